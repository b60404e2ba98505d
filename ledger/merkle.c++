// RFC 9162 section 2.1, written from the RFC's definitions. The shape of the tree:
//
//   MTH(D[n]) for n > 1 splits at k, the largest power of two below n: the left subtree D[0:k] is
//   perfect, the right D[k:n] holds the rest. Every subtree that this recursion produces covers a
//   range [begin, end) whose begin is a multiple of bit_ceil(end - begin), so the binary
//   decomposition of its size, taken from the largest part down, cuts it into perfect subtrees that
//   are all stored nodes. Folding those parts from the right rebuilds the RFC's hash exactly,
//   because the RFC recursion splits off the largest perfect part first at every step.
#include "ledger/merkle.h"

#include <algorithm>
#include <array>
#include <bit>

#include "ledger/crypto.h"

namespace fundtrail {

namespace {

// Largest power of two strictly below n: the RFC's split point k. REQUIRES: n >= 2.
uint64_t SplitPoint(uint64_t n) {
  FT_ASSERT(n >= 2);
  return std::bit_floor(n - 1);
}

std::string HexOf(const Digest& digest) { return HexEncode(digest); }

std::string NodeName(uint32_t level, uint64_t index) {
  return "merkle node level " + std::to_string(level) + " index " + std::to_string(index);
}

Status WrongProofSize(size_t got, size_t want) {
  return Status::Corruption("wrong proof size " + std::to_string(got) + ", want " +
                            std::to_string(want));
}

Status RootDiffers(std::string_view which, const Digest& calculated, const Digest& expected) {
  return Status::Corruption("calculated " + std::string(which) + "root " + HexOf(calculated) +
                            " differs from expected " + HexOf(expected));
}

}  // namespace

Digest MerkleLeafHash(ByteSpan leaf) {
  thread_local Sha256 hash;  // reused, as in Sha256::Of: no context to allocate per leaf
  const uint8_t prefix = kMerkleLeafPrefix;
  hash.Update(ByteSpan(&prefix, 1));
  hash.Update(leaf);
  return hash.Finish();
}

Digest MerkleNodeHash(const Digest& left, const Digest& right) {
  // One contiguous 65-byte message: a single one-shot digest, no context to allocate.
  std::array<uint8_t, 1 + 32 + 32> message;
  message[0] = kMerkleNodePrefix;
  std::copy(left.begin(), left.end(), message.begin() + 1);
  std::copy(right.begin(), right.end(), message.begin() + 1 + 32);
  return Sha256::Of(message);
}

Digest MerkleEmptyRoot() { return Sha256::Of(ByteSpan()); }

// ---------------------------------------------------------------------------------------------
// Node storage.

std::string MerkleNodeKey(uint32_t level, uint64_t index) {
  FT_ASSERT(level < kMerkleLevelCount);
  std::string key(kMerkleNodeKeySizeBytes, '\0');
  key[0] = static_cast<char>(level);
  PutBigEndian64(index, reinterpret_cast<uint8_t*>(key.data() + 1));
  return key;
}

Result<Digest> ParseMerkleNodeValue(uint32_t level, uint64_t index, std::string_view value) {
  Digest digest;
  if (value.size() != digest.size()) {
    return Error(Status::Corruption(NodeName(level, index) + " has " +
                                    std::to_string(value.size()) + " bytes, want 32"));
  }
  std::copy(value.begin(), value.end(), digest.begin());
  return digest;
}

Result<Digest> MemoryMerkleNodeStore::Get(uint32_t level, uint64_t index) const {
  auto found = nodes_.find(MerkleNodeId{level, index});
  if (found == nodes_.end()) return Error(Status::NotFound(NodeName(level, index) + " not found"));
  return found->second;
}

void MemoryMerkleNodeStore::Put(uint32_t level, uint64_t index, const Digest& hash) {
  FT_ASSERT(level < kMerkleLevelCount);
  bool inserted = nodes_.emplace(MerkleNodeId{level, index}, hash).second;
  FT_ASSERT(inserted, "a merkle node is written once");
}

MerkleStagingStore::MerkleStagingStore(const MerkleNodeReader* base) : base_(base) {
  FT_ASSERT(base != nullptr);
}

Result<Digest> MerkleStagingStore::Get(uint32_t level, uint64_t index) const {
  auto found = staged_.find(MerkleNodeId{level, index});
  if (found != staged_.end()) return found->second;
  return base_->Get(level, index);
}

void MerkleStagingStore::Put(uint32_t level, uint64_t index, const Digest& hash) {
  FT_ASSERT(level < kMerkleLevelCount);
  bool inserted = staged_.emplace(MerkleNodeId{level, index}, hash).second;
  FT_ASSERT(inserted, "a merkle node is staged once");
}

// ---------------------------------------------------------------------------------------------
// The tree.

MerkleTree::MerkleTree(const MerkleNodeReader* nodes, uint64_t size) : nodes_(nodes), size_(size) {
  FT_ASSERT(nodes != nullptr);
  FT_ASSERT(size <= kMerkleTreeSizeMax);
}

Result<Digest> MerkleTree::ReadNode(uint32_t level, uint64_t index) const {
  // Callers only ask for nodes of perfect subtrees inside the first size_ leaves.
  FT_ASSERT(level < kMerkleLevelCount);
  FT_ASSERT(((index + 1) << level) <= size_);
  Result<Digest> node = nodes_->Get(level, index);
  if (node) return node;
  if (node.error().code() == StatusCode::kNotFound) {
    // The node must exist for a tree of this size: the store lost it.
    return Error(Status::Corruption(NodeName(level, index) + " is missing from a tree of size " +
                                    std::to_string(size_)));
  }
  return Error(node.error().WithPrefix(NodeName(level, index)));
}

Digest MerkleTree::HashChildren(const Digest& left, const Digest& right) const {
  ++hash_count_;
  return MerkleNodeHash(left, right);
}

Result<Digest> MerkleTree::RangeHash(uint64_t begin, uint64_t end) const {
  FT_ASSERT(begin < end);
  FT_ASSERT(end <= size_);
  const uint64_t count = end - begin;
  FT_ASSERT((begin & (std::bit_ceil(count) - 1)) == 0, "the range is not a subtree of the tree");

  // The perfect parts, largest (leftmost) first: one per set bit of count.
  std::array<Digest, kMerkleLevelCount> parts;
  size_t part_count = 0;
  uint64_t offset = begin;
  for (int level = kMerkleLevelCount - 1; level >= 0; --level) {
    const uint64_t part_size = uint64_t{1} << level;
    if ((count & part_size) == 0) continue;
    Result<Digest> part = ReadNode(static_cast<uint32_t>(level), offset >> level);
    if (!part) return part;
    parts[part_count++] = *part;
    offset += part_size;
  }
  FT_ASSERT(offset == end);
  FT_ASSERT(part_count == static_cast<size_t>(std::popcount(count)));

  Digest hash = parts[part_count - 1];
  for (size_t i = part_count - 1; i > 0; --i) hash = HashChildren(parts[i - 1], hash);
  return hash;
}

Result<Digest> MerkleTree::Root(uint64_t size) const {
  if (size > size_) {
    return Error(Status::InvalidArgument("size " + std::to_string(size) +
                                         " is beyond the tree size " + std::to_string(size_)));
  }
  if (size == 0) return MerkleEmptyRoot();
  return RangeHash(0, size);
}

Result<std::vector<std::pair<uint32_t, Digest>>> MerkleTree::CompactRange(uint64_t size) const {
  if (size > size_) {
    return Error(Status::InvalidArgument("size " + std::to_string(size) +
                                         " is beyond the tree size " + std::to_string(size_)));
  }
  std::vector<std::pair<uint32_t, Digest>> range;
  uint64_t offset = 0;
  for (int level = 62; level >= 0; --level) {
    uint64_t width = uint64_t{1} << level;
    if ((size & width) == 0) continue;
    auto node = ReadNode(static_cast<uint32_t>(level), offset >> level);
    if (!node) return node.error();
    range.emplace_back(static_cast<uint32_t>(level), *node);
    offset += width;
  }
  return range;
}

Digest CompactRangeRoot(std::span<const std::pair<uint32_t, Digest>> range) {
  if (range.empty()) return MerkleEmptyRoot();
  // RFC 9162: the right-most subtrees combine first.
  Digest root = range.back().second;
  for (size_t i = range.size() - 1; i > 0; --i) root = MerkleNodeHash(range[i - 1].second, root);
  return root;
}

void CompactRangeAppend(std::vector<std::pair<uint32_t, Digest>>* range, const Digest& leaf_hash) {
  range->emplace_back(0, leaf_hash);
  while (range->size() >= 2 && (*range)[range->size() - 2].first == range->back().first) {
    Digest right = range->back().second;
    range->pop_back();
    range->back().second = MerkleNodeHash(range->back().second, right);
    range->back().first += 1;
  }
}

Result<Digest> MerkleTree::LeafHash(uint64_t index) const {
  if (index >= size_) {
    return Error(Status::InvalidArgument("index " + std::to_string(index) +
                                         " out of range for size " + std::to_string(size_)));
  }
  return ReadNode(0, index);
}

Result<std::vector<Digest>> MerkleTree::InclusionProof(uint64_t index, uint64_t size) const {
  if (size > size_) {
    return Error(Status::InvalidArgument("size " + std::to_string(size) +
                                         " is beyond the tree size " + std::to_string(size_)));
  }
  if (index >= size) {
    return Error(Status::InvalidArgument("index " + std::to_string(index) +
                                         " out of range for size " + std::to_string(size)));
  }
  // Walk PATH's recursion from the root down to the leaf, collecting the sibling of each step;
  // the proof lists them from the leaf up, so reverse at the end. Only the first step to the left
  // can have an imperfect sibling (everything below a left step is perfect), so this reads at
  // most depth + popcount(size) nodes.
  std::vector<Digest> proof;
  uint64_t begin = 0;
  uint64_t end = size;
  for (int step = 0; end - begin > 1; ++step) {
    FT_ASSERT(step < 64, "the tree has at most 63 levels");
    const uint64_t middle = begin + SplitPoint(end - begin);
    Result<Digest> sibling = index < middle ? RangeHash(middle, end) : RangeHash(begin, middle);
    if (!sibling) return Error(sibling.error());
    proof.push_back(*sibling);
    if (index < middle) {
      end = middle;
    } else {
      begin = middle;
    }
  }
  std::reverse(proof.begin(), proof.end());
  FT_ASSERT(proof.size() == InclusionProofSize(index, size));
  return proof;
}

Result<std::vector<Digest>> MerkleTree::ConsistencyProof(uint64_t old_size,
                                                         uint64_t new_size) const {
  if (old_size > new_size) {
    return Error(Status::InvalidArgument("old size " + std::to_string(old_size) +
                                         " is greater than new size " + std::to_string(new_size)));
  }
  if (new_size > size_) {
    return Error(Status::InvalidArgument("size " + std::to_string(new_size) +
                                         " is beyond the tree size " + std::to_string(size_)));
  }
  std::vector<Digest> proof;
  if (old_size == 0 || old_size == new_size) return proof;

  // SUBPROOF(m, D[begin:end], whole) unrolled from the top: while the old tree's m leaves do not
  // fill the current subtree, descend into the half that holds leaf m's boundary and collect the
  // other half's hash. `whole` stays true while the current subtree's first m leaves are the
  // entire old tree, whose root the verifier already has; otherwise the subtree where the
  // descent stops (always perfect: it is reached by a step to the left) is the proof's seed.
  uint64_t begin = 0;
  uint64_t end = new_size;
  uint64_t m = old_size;
  bool whole = true;
  for (int step = 0; m != end - begin; ++step) {
    FT_ASSERT(step < 64, "the tree has at most 63 levels");
    FT_ASSERT(m < end - begin);
    const uint64_t split = SplitPoint(end - begin);
    const uint64_t middle = begin + split;
    Result<Digest> sibling = m <= split ? RangeHash(middle, end) : RangeHash(begin, middle);
    if (!sibling) return Error(sibling.error());
    proof.push_back(*sibling);
    if (m <= split) {
      end = middle;
    } else {
      begin = middle;
      m -= split;
      whole = false;
    }
  }
  if (!whole) {
    Result<Digest> seed = RangeHash(begin, end);
    if (!seed) return Error(seed.error());
    proof.push_back(*seed);
  }
  std::reverse(proof.begin(), proof.end());
  FT_ASSERT(proof.size() == ConsistencyProofSize(old_size, new_size));
  return proof;
}

MerkleTreeWriter::MerkleTreeWriter(MerkleNodeStore* nodes, uint64_t size)
    : MerkleTree(nodes, size), store_(nodes) {}

Result<uint64_t> MerkleTreeWriter::AppendLeaf(const Digest& leaf_hash) {
  if (size_ >= kMerkleTreeSizeMax) {
    return Error(
        Status::InvalidArgument("the merkle tree is full at size " + std::to_string(size_)));
  }
  // Leaf `index` completes the perfect subtree of 2^level leaves ending at it for every level up
  // to the number of trailing one bits of index: each such subtree's left half is a stored node.
  const uint64_t index = size_;
  const int completed_levels = std::countr_one(index);
  FT_ASSERT(completed_levels < static_cast<int>(kMerkleLevelCount));

  // Read every left sibling before the first Put, so that a failed read leaves the store as it was.
  // The siblings lie inside the old tree, so they exist already.
  std::array<Digest, kMerkleLevelCount> new_nodes;
  new_nodes[0] = leaf_hash;
  for (int level = 0; level < completed_levels; ++level) {
    const uint64_t node_index = index >> level;
    FT_ASSERT((node_index & 1) == 1, "a right child");
    Result<Digest> left = ReadNode(static_cast<uint32_t>(level), node_index - 1);
    if (!left) return Error(left.error());
    new_nodes[level + 1] = HashChildren(*left, new_nodes[level]);
  }
  for (int level = 0; level <= completed_levels; ++level) {
    store_->Put(static_cast<uint32_t>(level), index >> level, new_nodes[level]);
  }
  size_ = index + 1;
  return size_;
}

// ---------------------------------------------------------------------------------------------
// Verification.

size_t InclusionProofSize(uint64_t index, uint64_t size) {
  FT_ASSERT(index < size);
  // Below level `inner` the leaf and the last leaf lie in different perfect subtrees, so every
  // level has a full sibling. From `inner` up the leaf's subtree is on the right border: it has a
  // (left) sibling only where its index bit is 1, and is otherwise carried up unchanged.
  const int inner = std::bit_width(index ^ (size - 1));
  const int border = std::popcount(index >> inner);
  return static_cast<size_t>(inner + border);
}

size_t ConsistencyProofSize(uint64_t old_size, uint64_t new_size) {
  FT_ASSERT(old_size <= new_size);
  if (old_size == 0 || old_size == new_size) return 0;
  // The old tree's last perfect subtree (of 2^shift leaves, shift = trailing zeros of old_size)
  // is the seed; from it the proof climbs like an inclusion proof of leaf old_size - 1, but
  // starting at level `shift`. The seed itself is sent unless it is the whole old tree.
  const int shift = std::countr_zero(old_size);
  const int inner = std::bit_width((old_size - 1) ^ (new_size - 1));
  const int border = std::popcount((old_size - 1) >> inner);
  FT_ASSERT(inner > shift);
  const bool seed_sent = old_size != (uint64_t{1} << shift);
  return static_cast<size_t>(inner - shift + border + (seed_sent ? 1 : 0));
}

Result<Digest> RootFromInclusionProof(const Digest& leaf_hash, uint64_t index, uint64_t size,
                                      std::span<const Digest> proof) {
  // Step 1.
  if (index >= size) {
    return Error(Status::InvalidArgument("index " + std::to_string(index) +
                                         " out of range for size " + std::to_string(size)));
  }
  // The RFC's loop fails on a wrong proof size too, but only after hashing, and without saying
  // what was expected: check it first.
  const size_t want = InclusionProofSize(index, size);
  if (proof.size() != want) return Error(WrongProofSize(proof.size(), want));

  // Steps 2-4. fn is the leaf's node index at the current level and sn the last leaf's.
  uint64_t fn = index;
  uint64_t sn = size - 1;
  Digest r = leaf_hash;
  for (const Digest& p : proof) {
    FT_ASSERT(sn != 0, "the proof size was checked");
    if ((fn & 1) == 1 || fn == sn) {
      r = MerkleNodeHash(p, r);
      // A right-border node with no right sibling: carried up without hashing until it is a
      // right child again (or the root).
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = MerkleNodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  // Step 5, first half.
  FT_ASSERT(sn == 0, "the proof size was checked");
  return r;
}

Status VerifyInclusion(const Digest& leaf_hash, uint64_t index, uint64_t size,
                       std::span<const Digest> proof, const Digest& root) {
  Result<Digest> calculated = RootFromInclusionProof(leaf_hash, index, size, proof);
  if (!calculated) return calculated.error();
  if (*calculated != root) return RootDiffers("", *calculated, root);
  return Status::Ok();
}

Status VerifyConsistency(uint64_t old_size, uint64_t new_size, const Digest& old_root,
                         const Digest& new_root, std::span<const Digest> proof) {
  if (old_size > new_size) {
    return Status::InvalidArgument("old size " + std::to_string(old_size) +
                                   " is greater than new size " + std::to_string(new_size));
  }
  const size_t want = ConsistencyProofSize(old_size, new_size);
  if (proof.size() != want) return WrongProofSize(proof.size(), want);
  if (old_size == 0 && old_root != MerkleEmptyRoot()) {
    return Status::Corruption("old root " + HexOf(old_root) +
                              " of size 0 differs from the empty tree root " +
                              HexOf(MerkleEmptyRoot()));
  }
  if (old_size == new_size) {
    if (old_root != new_root) {
      return Status::Corruption("old root " + HexOf(old_root) + " differs from new root " +
                                HexOf(new_root) + " for the same size " + std::to_string(old_size));
    }
    return Status::Ok();
  }
  if (old_size == 0) return Status::Ok();  // every tree extends the empty tree

  // RFC 9162 2.1.4.2. Step 2: when the old tree is perfect, its root is the seed.
  const bool old_is_perfect = std::has_single_bit(old_size);
  auto element = [&](size_t i) -> const Digest& {
    if (old_is_perfect) return i == 0 ? old_root : proof[i - 1];
    return proof[i];
  };
  const size_t element_count = proof.size() + (old_is_perfect ? 1 : 0);
  FT_ASSERT(element_count >= 1, "step 1: a non-trivial proof is never empty");

  // Steps 3-4: fn and sn are the node indices of the old and new trees' last leaves; climb to
  // the level of the seed (the old tree's last perfect subtree).
  uint64_t fn = old_size - 1;
  uint64_t sn = new_size - 1;
  while ((fn & 1) == 1) {
    fn >>= 1;
    sn >>= 1;
  }
  // Step 5.
  Digest fr = element(0);
  Digest sr = element(0);
  // Step 6.
  for (size_t i = 1; i < element_count; ++i) {
    const Digest& c = element(i);
    FT_ASSERT(sn != 0, "the proof size was checked");
    if ((fn & 1) == 1 || fn == sn) {
      // A left sibling: part of both trees.
      fr = MerkleNodeHash(c, fr);
      sr = MerkleNodeHash(c, sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      // A right sibling: only in the new tree.
      sr = MerkleNodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  // Step 7.
  FT_ASSERT(sn == 0, "the proof size was checked");
  if (fr != old_root) return RootDiffers("old ", fr, old_root);
  if (sr != new_root) return RootDiffers("new ", sr, new_root);
  return Status::Ok();
}

}  // namespace fundtrail
