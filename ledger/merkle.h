// An RFC 9162 (section 2.1) Merkle tree: hashing, an append-only tree over a node store, inclusion
// and consistency proofs, and their verification. docs/MERKLE.md is the normative description.
//
//   leaf hash    = SHA-256(0x00 || leaf bytes)
//   node hash    = SHA-256(0x01 || left child hash || right child hash)
//   empty root   = SHA-256("")
//   MTH(D[n])    = the leaf hash for n = 1; for n > 1, with k the largest power of two below n,
//                  node hash(MTH(D[0:k]), MTH(D[k:n]))
//
// The fast tree stores one hash per *perfect* subtree: node (level, index) is the root of the
// 2^level leaves [index * 2^level, (index + 1) * 2^level). Level 0 holds the leaf hashes. A node is
// written once, when its last leaf is appended, and never changes, so the store only grows. Any
// tree head of an earlier size, and every proof, is a composition of O(log n) such nodes, whatever
// n is:
//
//   append       reads <= log2(n) nodes, writes <= log2(n) + 1, hashes <= log2(n)
//   Root(size)   reads popcount(size) <= log2(n) + 1 nodes
//   proofs       read <= 2 log2(n) + 2 nodes
//
// Wiring into a store: implement MerkleNodeReader over the column family (MerkleNodeKey gives the
// key, ParseMerkleNodeValue checks the value), wrap it in a MerkleStagingStore, append the leaves
// of a submission through a MerkleTreeWriter on the staging store, then copy staging.staged() into
// the submission's write batch. The tree size is not stored here: the caller keeps it (it is the
// ledger's event count).
//
// Thread safety: the verification functions are pure and thread-safe. A MerkleTree counts its
// hashes and is not thread-safe; trees are cheap, so make one per thread. Stores are not
// thread-safe unless an implementation says so.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/bytes.h"
#include "ledger/status.h"

namespace fundtrail {

inline constexpr uint8_t kMerkleLeafPrefix = 0x00;
inline constexpr uint8_t kMerkleNodePrefix = 0x01;
// Tree sizes stay below 2^63 so that all range arithmetic fits in uint64_t with room to spare; a
// ledger never comes near it. Stored nodes therefore have levels 0..62.
inline constexpr uint64_t kMerkleTreeSizeMax = (uint64_t{1} << 63) - 1;
inline constexpr uint32_t kMerkleLevelCount = 63;
inline constexpr size_t kMerkleNodeKeySizeBytes = 1 + 8;

// SHA-256(0x00 || leaf).
Digest MerkleLeafHash(ByteSpan leaf);
inline Digest MerkleLeafHash(std::string_view leaf) { return MerkleLeafHash(AsBytes(leaf)); }
// SHA-256(0x01 || left || right).
Digest MerkleNodeHash(const Digest& left, const Digest& right);
// SHA-256(""), the root of the tree of size 0.
Digest MerkleEmptyRoot();

// ---------------------------------------------------------------------------------------------
// Node storage.

struct MerkleNodeId {
  uint32_t level = 0;  // the node covers 2^level leaves
  uint64_t index = 0;  // ... starting at leaf index * 2^level
  auto operator<=>(const MerkleNodeId&) const = default;
};

// Storage key of a node: one byte level || be64(index), 9 bytes, so that bytewise order is
// (level, index) order. REQUIRES: level < kMerkleLevelCount.
std::string MerkleNodeKey(uint32_t level, uint64_t index);
// Checks a stored value (the 32 raw hash bytes) and returns it; Corruption naming the node if it
// does not have 32 bytes.
Result<Digest> ParseMerkleNodeValue(uint32_t level, uint64_t index, std::string_view value);

// Read access to the perfect-subtree nodes.
class MerkleNodeReader {
 public:
  virtual ~MerkleNodeReader() = default;
  // The hash of node (level, index). NotFound if it was never put; other errors (I/O, a bad
  // stored value) as the implementation finds them. The tree turns NotFound for a node that must
  // exist into Corruption.
  virtual Result<Digest> Get(uint32_t level, uint64_t index) const = 0;
};

// Read and write access. Put must be visible to later Gets on the same object (a write batch
// alone is not: use MerkleStagingStore). Each node is put at most once and never changed.
class MerkleNodeStore : public MerkleNodeReader {
 public:
  virtual void Put(uint32_t level, uint64_t index, const Digest& hash) = 0;
};

// All nodes in memory: for tests, and for verifiers that rebuild a tree from a bundle.
class MemoryMerkleNodeStore final : public MerkleNodeStore {
 public:
  Result<Digest> Get(uint32_t level, uint64_t index) const override;
  // REQUIRES: the node was not put before.
  void Put(uint32_t level, uint64_t index, const Digest& hash) override;

  size_t node_count() const { return nodes_.size(); }
  const std::map<MerkleNodeId, Digest>& nodes() const { return nodes_; }
  // For tamper tests: replaces or removes a node behind the tree's back.
  std::map<MerkleNodeId, Digest>& mutable_nodes() { return nodes_; }

 private:
  std::map<MerkleNodeId, Digest> nodes_;
};

// Puts kept in memory over a read-only base, so that the nodes of one append can go into the same
// write batch as the rest of it. Get looks in the staged nodes first, then in the base. The base
// is never written; the caller commits staged() (e.g. batch.Put(MerkleNodeKey(id.level,
// id.index), hash bytes) for each) and then calls Clear(), or drops the object to abort.
// REQUIRES: `base` outlives this object.
class MerkleStagingStore final : public MerkleNodeStore {
 public:
  explicit MerkleStagingStore(const MerkleNodeReader* base);

  Result<Digest> Get(uint32_t level, uint64_t index) const override;
  // REQUIRES: the node was not staged before.
  void Put(uint32_t level, uint64_t index, const Digest& hash) override;

  const std::map<MerkleNodeId, Digest>& staged() const { return staged_; }
  void Clear() { staged_.clear(); }

 private:
  const MerkleNodeReader* base_;
  std::map<MerkleNodeId, Digest> staged_;
};

// ---------------------------------------------------------------------------------------------
// The tree.

// A read-only view of the first size() leaves: tree heads and proofs for any size <= size().
// REQUIRES: `nodes` outlives the tree and holds every perfect-subtree node of the first `size`
// leaves (exactly what a MerkleTreeWriter puts while appending them).
class MerkleTree {
 public:
  MerkleTree(const MerkleNodeReader* nodes, uint64_t size);

  uint64_t size() const { return size_; }

  // MTH(D[0:size]). InvalidArgument if size > size(). MerkleEmptyRoot() for size 0.
  Result<Digest> Root(uint64_t size) const;
  Result<Digest> Root() const { return Root(size_); }
  // The stored hash of leaf `index` (node (0, index)).
  Result<Digest> LeafHash(uint64_t index) const;

  // PATH(index, D[0:size]) of RFC 9162 2.1.3.1: the sibling hashes from the leaf up to the root.
  // InvalidArgument "index 7 out of range for size 7" if index >= size; also if size > size().
  Result<std::vector<Digest>> InclusionProof(uint64_t index, uint64_t size) const;
  // PROOF(old_size, D[0:new_size]) of RFC 9162 2.1.4.1; empty when old_size is 0 or equals
  // new_size. InvalidArgument "old size 9 is greater than new size 8", or if new_size > size().
  Result<std::vector<Digest>> ConsistencyProof(uint64_t old_size, uint64_t new_size) const;

  // The compact range of the first `size` leaves: the roots of the perfect subtrees of its
  // binary decomposition, largest (leftmost) first, as (level, hash). popcount(size) reads.
  // Combining them right to left with MerkleNodeHash gives Root(size); appending leaves to it
  // as a verifier does (merging equal levels) continues the tree. See docs/FORMAT.md.
  Result<std::vector<std::pair<uint32_t, Digest>>> CompactRange(uint64_t size) const;

  // Node hashes (MerkleNodeHash) computed by this object so far; for cost tests.
  uint64_t hash_count() const { return hash_count_; }

 protected:
  Result<Digest> ReadNode(uint32_t level, uint64_t index) const;
  Digest HashChildren(const Digest& left, const Digest& right) const;
  // MTH of leaves [begin, end), composed from the perfect subtrees of its binary decomposition.
  // REQUIRES: begin < end <= size_, and begin is a multiple of the smallest power of two >= end -
  // begin (true of every subtree of the RFC tree shape).
  Result<Digest> RangeHash(uint64_t begin, uint64_t end) const;

  const MerkleNodeReader* nodes_;
  uint64_t size_;
  mutable uint64_t hash_count_ = 0;
};

// A MerkleTree that can grow.
class MerkleTreeWriter : public MerkleTree {
 public:
  // REQUIRES: as MerkleTree; `nodes` outlives the writer.
  MerkleTreeWriter(MerkleNodeStore* nodes, uint64_t size);

  // Appends one leaf, given as its leaf hash (MerkleLeafHash of the leaf bytes), and returns the
  // new size. Puts node (0, size) and every perfect subtree the leaf completes. All reads happen
  // before the first Put, so on an error nothing was put and size() is unchanged.
  Result<uint64_t> AppendLeaf(const Digest& leaf_hash);

 private:
  MerkleNodeStore* store_;
};

// ---------------------------------------------------------------------------------------------
// Verification: pure functions of their arguments, no store. Failures:
//   InvalidArgument  the question is malformed ("index 7 out of range for size 7",
//                    "old size 9 is greater than new size 8")
//   Corruption       the proof or a root is wrong ("wrong proof size 5, want 4",
//                    "calculated root <hex> differs from expected <hex>")

// MTH of a compact range (as MerkleTree::CompactRange returns): MerkleEmptyRoot() when empty.
Digest CompactRangeRoot(std::span<const std::pair<uint32_t, Digest>> range);
// Appends one leaf hash to a compact range, merging subtrees of equal level.
void CompactRangeAppend(std::vector<std::pair<uint32_t, Digest>>* range, const Digest& leaf_hash);

// The number of hashes in an inclusion proof. REQUIRES: index < size.
size_t InclusionProofSize(uint64_t index, uint64_t size);
// The number of hashes in a consistency proof (0 when old_size is 0 or equal to new_size).
// REQUIRES: old_size <= new_size.
size_t ConsistencyProofSize(uint64_t old_size, uint64_t new_size);

// The root that an inclusion proof leads to (RFC 9162 2.1.3.2, steps 1-4). Checks the index and
// the proof size, not the root.
Result<Digest> RootFromInclusionProof(const Digest& leaf_hash, uint64_t index, uint64_t size,
                                      std::span<const Digest> proof);
// RFC 9162 2.1.3.2: the leaf with hash `leaf_hash` is leaf `index` of the tree of `size` leaves
// whose root is `root`.
Status VerifyInclusion(const Digest& leaf_hash, uint64_t index, uint64_t size,
                       std::span<const Digest> proof, const Digest& root);
// RFC 9162 2.1.4.2: the tree (old_size, old_root) is a prefix of the tree (new_size, new_root).
// Edge cases: for old_size == new_size the proof must be empty and the roots equal; for
// old_size == 0 the proof must be empty and old_root must be MerkleEmptyRoot() (every tree
// extends the empty tree).
Status VerifyConsistency(uint64_t old_size, uint64_t new_size, const Digest& old_root,
                         const Digest& new_root, std::span<const Digest> proof);

}  // namespace fundtrail
