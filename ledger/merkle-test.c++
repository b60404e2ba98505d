// Tests of the RFC 9162 Merkle tree (ledger/merkle.h):
//   - the Certificate Transparency reference vectors (roots of the 8-leaf test tree and some of its
//     proofs), pinned as published;
//   - the fast tree against the slow literal reference (ledger/merkle_reference.h): every size
//     up to 64 exhaustively, and seeded random trees up to 5000 leaves (FUNDTRAIL_TEST_SEED
//     replays one);
//   - damaged proofs, each rejected with its exact message;
//   - the cost of appends and proofs, counted (store reads and writes, hashes), not timed;
//   - the storage plumbing: staging over a read-only base, keys and values as bytes.
#include "ledger/merkle.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstdlib>
#include <random>
#include <set>

#include "ledger/crypto.h"
#include "ledger/merkle_reference.h"
#include "ledger/test_util.h"

namespace fundtrail {
namespace {

namespace reference = merkle_reference;
using test::Hex;
using test::Unhex;

constexpr char kEmptyRootHex[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

Digest DigestOfHex(std::string_view hex) {
  std::string raw = Unhex(hex);
  Digest digest{};
  EXPECT_EQ(raw.size(), digest.size()) << hex;
  std::copy_n(raw.begin(), std::min(raw.size(), digest.size()), digest.begin());
  return digest;
}

// Hex strings print readably when a comparison fails.
std::vector<std::string> HexList(std::span<const Digest> digests) {
  std::vector<std::string> hexes;
  for (const auto& digest : digests) hexes.push_back(Hex(digest));
  return hexes;
}

// The leaf inputs of the RFC 6962 test tree used by Certificate Transparency implementations.
std::vector<std::string> RfcLeaves() {
  std::vector<std::string> leaves;
  for (const char* hex : {"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                          "606162636465666768696a6b6c6d6e6f"}) {
    leaves.push_back(Unhex(hex));
  }
  return leaves;
}

// The RFC leaves, then "leaf 8", "leaf 9", ...: distinct, of varied lengths.
std::vector<std::string> TestLeaves(size_t count) {
  std::vector<std::string> leaves = RfcLeaves();
  leaves.resize(std::min(leaves.size(), count));
  while (leaves.size() < count) leaves.push_back("leaf " + std::to_string(leaves.size()));
  return leaves;
}

std::span<const std::string> Prefix(const std::vector<std::string>& leaves, uint64_t size) {
  return std::span<const std::string>(leaves).subspan(0, size);
}

// A store of every node for `leaves`, built by appending them one by one.
void AppendAll(MerkleTreeWriter& writer, std::span<const std::string> leaves) {
  for (const auto& leaf : leaves) {
    Result<uint64_t> size = writer.AppendLeaf(MerkleLeafHash(leaf));
    ASSERT_TRUE(size.has_value()) << size.error().message();
  }
}

template <typename T>
T Must(Result<T> result) {
  EXPECT_TRUE(result.has_value()) << result.error().message();
  if (!result.has_value()) return T{};
  return *std::move(result);
}

void ExpectStatus(const Status& status, StatusCode code, const std::string& message) {
  EXPECT_EQ(status.code(), code) << status.message();
  EXPECT_EQ(status.message(), message);
}

std::string WrongProofSize(size_t got, size_t want) {
  return "wrong proof size " + std::to_string(got) + ", want " + std::to_string(want);
}

// `status` says that a calculated root ("", "old " or "new ") differs from `expected`: the
// message is exactly "calculated <which>root <64 hex> differs from expected <hex of expected>",
// and the calculated hex is not the expected one.
void ExpectRootDiffers(const Status& status, std::string_view which, const Digest& expected) {
  EXPECT_EQ(status.code(), StatusCode::kCorruption) << status.message();
  const std::string prefix = "calculated " + std::string(which) + "root ";
  const std::string suffix = " differs from expected " + Hex(expected);
  const std::string& message = status.message();
  ASSERT_EQ(message.size(), prefix.size() + 64 + suffix.size()) << message;
  EXPECT_TRUE(message.starts_with(prefix)) << message;
  EXPECT_TRUE(message.ends_with(suffix)) << message;
  const std::string calculated = message.substr(prefix.size(), 64);
  EXPECT_EQ(calculated.find_first_not_of("0123456789abcdef"), std::string::npos) << message;
  EXPECT_NE(calculated, Hex(expected)) << message;
}

Digest FlipBit(Digest digest, size_t bit) {
  digest[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
  return digest;
}

uint64_t SeedFromEnvironment(uint64_t fallback) {
  const char* text = std::getenv("FUNDTRAIL_TEST_SEED");
  return text && *text ? std::strtoull(text, nullptr, 10) : fallback;
}

// ceil(log2(n)) for n >= 1: the height of a tree of n leaves.
uint64_t Log2Ceil(uint64_t n) { return std::bit_width(n - 1); }

// The directions of PATH(m, D[n]) from the leaf up (true: the sibling is on the right), by the
// same recursion as the reference PATH. Two (index, size) pairs with equal directions give proofs
// that hash in the same order, so one's proof also verifies for the other.
std::vector<bool> PathDirections(uint64_t m, uint64_t n) {
  if (n == 1) return {};
  const uint64_t k = reference::LargestPowerOfTwoBelow(n);
  std::vector<bool> directions = m < k ? PathDirections(m, k) : PathDirections(m - k, n - k);
  directions.push_back(m < k);
  return directions;
}

// The shape of PROOF(m, D[n]), by the same recursion as the reference SUBPROOF: whether the seed
// is sent (else it is the old root) and, from the seed up, whether each further hash is a left
// sibling (inside the old tree: hashed into both roots) or a right one (new tree only). Proofs of
// equal shape are hashed identically by the verifier. REQUIRES: 0 < m < n.
struct ConsistencyShape {
  bool seed_sent = false;
  std::vector<bool> sibling_on_left;
  bool operator==(const ConsistencyShape&) const = default;
};

void WalkSubproof(uint64_t m, uint64_t n, bool b, ConsistencyShape& shape) {
  if (m == n) {
    shape.seed_sent = !b;
    return;
  }
  const uint64_t k = reference::LargestPowerOfTwoBelow(n);
  if (m <= k) {
    WalkSubproof(m, k, b, shape);
    shape.sibling_on_left.push_back(false);
  } else {
    WalkSubproof(m - k, n - k, false, shape);
    shape.sibling_on_left.push_back(true);
  }
}

ConsistencyShape ShapeOf(uint64_t m, uint64_t n) {
  ConsistencyShape shape;
  WalkSubproof(m, n, true, shape);
  return shape;
}

// ---------------------------------------------------------------------------------------------
// Hashing and the published vectors.

TEST(MerkleHashTest, LeafNodeAndEmptyHashesAreRfc9162) {
  EXPECT_EQ(Hex(MerkleEmptyRoot()), kEmptyRootHex);
  // SHA-256 of the single byte 0x00: the leaf hash of the empty leaf.
  EXPECT_EQ(Hex(MerkleLeafHash(std::string_view(""))),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  EXPECT_EQ(Hex(MerkleLeafHash(std::string_view("abc"))),
            Hex(Sha256::Of(AsBytes(std::string_view("\0abc", 4)))));

  const Digest left = MerkleLeafHash(std::string_view("left"));
  const Digest right = MerkleLeafHash(std::string_view("right"));
  std::string message = std::string("\x01", 1) +
                        std::string(reinterpret_cast<const char*>(left.data()), 32) +
                        std::string(reinterpret_cast<const char*>(right.data()), 32);
  EXPECT_EQ(Hex(MerkleNodeHash(left, right)), Hex(Sha256::Of(AsBytes(message))));
  EXPECT_NE(MerkleNodeHash(left, right), MerkleNodeHash(right, left));

  // The prefixes keep leaves and nodes apart: the 64 bytes left || right as a leaf do not hash
  // like the node over left and right, so an inner node cannot pass for a leaf.
  EXPECT_NE(MerkleLeafHash(std::string_view(message).substr(1)), MerkleNodeHash(left, right));
}

// Roots of the first n RFC leaves as published with the Certificate Transparency reference
// implementations (also transparency-dev/merkle testonly), and checked here three ways: by the
// literal reference, by the fast tree, and (when these constants were written) by an independent
// Python hashlib transcription of the RFC.
const std::vector<std::string> kRfcRootsHex = {
    kEmptyRootHex,
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

TEST(MerkleHashTest, RfcReferenceRootsForSizes0To8) {
  const std::vector<std::string> leaves = RfcLeaves();
  MemoryMerkleNodeStore store;
  MerkleTreeWriter writer(&store, 0);
  AppendAll(writer, leaves);
  for (uint64_t size = 0; size <= 8; ++size) {
    SCOPED_TRACE("size " + std::to_string(size));
    EXPECT_EQ(Hex(reference::Mth(Prefix(leaves, size))), kRfcRootsHex[size]);
    EXPECT_EQ(Hex(Must(writer.Root(size))), kRfcRootsHex[size]);
    EXPECT_EQ(Hex(Must(MerkleTree(&store, size).Root())), kRfcRootsHex[size]);
  }
}

TEST(MerkleHashTest, RfcReferenceProofs) {
  // Published proofs over the same 8 leaves (index or old size, size, hashes from the leaf up).
  struct Vector {
    uint64_t first;
    uint64_t size;
    std::vector<std::string> proof;
  };
  const std::vector<Vector> inclusion = {
      {0, 1, {}},
      {0,
       8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {5,
       8,
       {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
      {1,
       5,
       {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
  };
  const std::vector<Vector> consistency = {
      {1, 1, {}},
      {1,
       8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {6,
       8,
       {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2,
       5,
       {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
  };
  const std::vector<std::string> leaves = RfcLeaves();
  MemoryMerkleNodeStore store;
  MerkleTreeWriter writer(&store, 0);
  AppendAll(writer, leaves);
  for (const auto& vector : inclusion) {
    SCOPED_TRACE("inclusion " + std::to_string(vector.first) + " in " +
                 std::to_string(vector.size));
    EXPECT_EQ(HexList(reference::Path(vector.first, Prefix(leaves, vector.size))), vector.proof);
    std::vector<Digest> proof = Must(writer.InclusionProof(vector.first, vector.size));
    EXPECT_EQ(HexList(proof), vector.proof);
    Status verified = VerifyInclusion(MerkleLeafHash(leaves[vector.first]), vector.first,
                                      vector.size, proof, DigestOfHex(kRfcRootsHex[vector.size]));
    EXPECT_TRUE(verified.ok()) << verified.message();
  }
  for (const auto& vector : consistency) {
    SCOPED_TRACE("consistency " + std::to_string(vector.first) + " to " +
                 std::to_string(vector.size));
    EXPECT_EQ(HexList(reference::Proof(vector.first, Prefix(leaves, vector.size))), vector.proof);
    std::vector<Digest> proof = Must(writer.ConsistencyProof(vector.first, vector.size));
    EXPECT_EQ(HexList(proof), vector.proof);
    Status verified =
        VerifyConsistency(vector.first, vector.size, DigestOfHex(kRfcRootsHex[vector.first]),
                          DigestOfHex(kRfcRootsHex[vector.size]), proof);
    EXPECT_TRUE(verified.ok()) << verified.message();
  }
}

// ---------------------------------------------------------------------------------------------
// The fast tree against the reference.

TEST(MerkleTreeTest, EverySizeUpTo64MatchesTheReference) {
  constexpr uint64_t kSizeMax = 64;
  const std::vector<std::string> leaves = TestLeaves(kSizeMax);
  std::vector<Digest> roots = {reference::Mth({})};
  MemoryMerkleNodeStore store;
  MerkleTreeWriter writer(&store, 0);
  EXPECT_EQ(Hex(Must(writer.Root())), kEmptyRootHex);

  // While growing: each new size's root, proofs and node count.
  for (uint64_t size = 1; size <= kSizeMax; ++size) {
    SCOPED_TRACE("size " + std::to_string(size));
    ASSERT_EQ(Must(writer.AppendLeaf(MerkleLeafHash(leaves[size - 1]))), size);
    ASSERT_EQ(writer.size(), size);
    roots.push_back(reference::Mth(Prefix(leaves, size)));
    ASSERT_EQ(Hex(Must(writer.Root())), Hex(roots[size]));
    // One node per perfect subtree: sum over levels of floor(size / 2^level).
    EXPECT_EQ(store.node_count(), 2 * size - std::popcount(size));
    EXPECT_EQ(Must(writer.LeafHash(size - 1)), MerkleLeafHash(leaves[size - 1]));
  }

  // From the full tree: every older size, every index, every old size.
  for (uint64_t size = 0; size <= kSizeMax; ++size) {
    SCOPED_TRACE("size " + std::to_string(size));
    ASSERT_EQ(Hex(Must(writer.Root(size))), Hex(roots[size]));
    const auto prefix = Prefix(leaves, size);
    for (uint64_t index = 0; index < size; ++index) {
      SCOPED_TRACE("index " + std::to_string(index));
      std::vector<Digest> proof = Must(writer.InclusionProof(index, size));
      ASSERT_EQ(HexList(proof), HexList(reference::Path(index, prefix)));
      EXPECT_EQ(InclusionProofSize(index, size), proof.size());
      Status verified =
          VerifyInclusion(MerkleLeafHash(leaves[index]), index, size, proof, roots[size]);
      ASSERT_TRUE(verified.ok()) << verified.message();
    }
    for (uint64_t old_size = 0; old_size <= size; ++old_size) {
      SCOPED_TRACE("old size " + std::to_string(old_size));
      std::vector<Digest> proof = Must(writer.ConsistencyProof(old_size, size));
      ASSERT_EQ(HexList(proof), HexList(reference::Proof(old_size, prefix)));
      EXPECT_EQ(ConsistencyProofSize(old_size, size), proof.size());
      Status verified = VerifyConsistency(old_size, size, roots[old_size], roots[size], proof);
      ASSERT_TRUE(verified.ok()) << verified.message();
    }
  }
}

TEST(MerkleTreeTest, RandomTreesUpTo5000LeavesMatchTheReference) {
  constexpr uint64_t kLeafCount = 5000;
  for (uint64_t fallback_seed : {1, 2, 3}) {
    const uint64_t seed = SeedFromEnvironment(fallback_seed);
    SCOPED_TRACE("seed " + std::to_string(seed) +
                 " (replay with FUNDTRAIL_TEST_SEED=" + std::to_string(seed) + ")");
    std::mt19937_64 random(seed);
    std::vector<std::string> leaves;
    for (uint64_t i = 0; i < kLeafCount; ++i) {
      std::string leaf(random() % 49, '\0');
      for (char& byte : leaf) byte = static_cast<char>(random());
      leaves.push_back(std::move(leaf));
    }
    MemoryMerkleNodeStore store;
    MerkleTreeWriter writer(&store, 0);
    AppendAll(writer, leaves);

    std::vector<uint64_t> sizes = {1, 2, 3, 4095, 4096, 4097, kLeafCount};
    for (int i = 0; i < 5; ++i) sizes.push_back(1 + random() % kLeafCount);
    for (uint64_t size : sizes) {
      SCOPED_TRACE("size " + std::to_string(size));
      const auto prefix = Prefix(leaves, size);
      const Digest root = reference::Mth(prefix);
      ASSERT_EQ(Hex(Must(writer.Root(size))), Hex(root));
      for (uint64_t index : {uint64_t{0}, size - 1, random() % size, random() % size}) {
        SCOPED_TRACE("index " + std::to_string(index));
        std::vector<Digest> proof = Must(writer.InclusionProof(index, size));
        ASSERT_EQ(HexList(proof), HexList(reference::Path(index, prefix)));
        Status verified = VerifyInclusion(MerkleLeafHash(leaves[index]), index, size, proof, root);
        ASSERT_TRUE(verified.ok()) << verified.message();
      }
      for (uint64_t old_size : {uint64_t{1}, size - 1, 1 + random() % size, 1 + random() % size}) {
        if (old_size == 0) continue;
        SCOPED_TRACE("old size " + std::to_string(old_size));
        std::vector<Digest> proof = Must(writer.ConsistencyProof(old_size, size));
        ASSERT_EQ(HexList(proof), HexList(reference::Proof(old_size, prefix)));
        Status verified =
            VerifyConsistency(old_size, size, Must(writer.Root(old_size)), root, proof);
        ASSERT_TRUE(verified.ok()) << verified.message();
      }
    }
    if (std::getenv("FUNDTRAIL_TEST_SEED") != nullptr) break;  // one replayed seed is enough
  }
}

TEST(MerkleTreeTest, ProofSizesMatchTheReferenceUpTo200) {
  // The closed forms used to say "want N" agree with the length of the recursive definitions.
  const std::vector<std::string> leaves = TestLeaves(200);
  for (uint64_t size = 1; size <= 200; size += (size < 70 ? 1 : 13)) {
    const auto prefix = Prefix(leaves, size);
    for (uint64_t i = 0; i < size; ++i) {
      ASSERT_EQ(InclusionProofSize(i, size), PathDirections(i, size).size()) << i << " " << size;
    }
    for (uint64_t old_size = 0; old_size <= size; old_size += (size < 70 ? 1 : 7)) {
      ASSERT_EQ(ConsistencyProofSize(old_size, size), reference::Proof(old_size, prefix).size())
          << old_size << " " << size;
    }
  }
  // Large sizes stay within the tree's height.
  EXPECT_EQ(InclusionProofSize(0, kMerkleTreeSizeMax), 63u);
  EXPECT_EQ(InclusionProofSize(kMerkleTreeSizeMax - 1, kMerkleTreeSizeMax), 62u);
  EXPECT_EQ(ConsistencyProofSize(1, kMerkleTreeSizeMax), 63u);
  EXPECT_EQ(ConsistencyProofSize(uint64_t{1} << 62, kMerkleTreeSizeMax), 1u);
  // Seed (leaf 2), then the 63 siblings on leaf 2's path.
  EXPECT_EQ(ConsistencyProofSize(3, kMerkleTreeSizeMax), 64u);
}

TEST(MerkleTreeTest, ArgumentErrors) {
  const std::vector<std::string> leaves = TestLeaves(8);
  MemoryMerkleNodeStore store;
  MerkleTreeWriter writer(&store, 0);
  AppendAll(writer, leaves);

  ExpectStatus(writer.Root(9).error(), StatusCode::kInvalidArgument,
               "size 9 is beyond the tree size 8");
  ExpectStatus(writer.InclusionProof(7, 7).error(), StatusCode::kInvalidArgument,
               "index 7 out of range for size 7");
  ExpectStatus(writer.InclusionProof(0, 0).error(), StatusCode::kInvalidArgument,
               "index 0 out of range for size 0");
  ExpectStatus(writer.InclusionProof(0, 9).error(), StatusCode::kInvalidArgument,
               "size 9 is beyond the tree size 8");
  ExpectStatus(writer.ConsistencyProof(9, 8).error(), StatusCode::kInvalidArgument,
               "old size 9 is greater than new size 8");
  ExpectStatus(writer.ConsistencyProof(2, 9).error(), StatusCode::kInvalidArgument,
               "size 9 is beyond the tree size 8");
  ExpectStatus(writer.LeafHash(8).error(), StatusCode::kInvalidArgument,
               "index 8 out of range for size 8");

  // The size limit: a tree at the largest size refuses to grow, before touching the store.
  MemoryMerkleNodeStore empty_store;
  MerkleTreeWriter full(&empty_store, kMerkleTreeSizeMax);
  ExpectStatus(full.AppendLeaf(Digest{}).error(), StatusCode::kInvalidArgument,
               "the merkle tree is full at size 9223372036854775807");
  EXPECT_EQ(empty_store.node_count(), 0u);

  // A view of an older size sees only that size.
  MerkleTree old_view(&store, 5);
  EXPECT_EQ(Hex(Must(old_view.Root())), Hex(reference::Mth(Prefix(leaves, 5))));
  ExpectStatus(old_view.Root(6).error(), StatusCode::kInvalidArgument,
               "size 6 is beyond the tree size 5");
}

// A store whose reads can be made to fail, to check that errors come through with the node named.
class FailingStore final : public MerkleNodeStore {
 public:
  Result<Digest> Get(uint32_t level, uint64_t index) const override {
    if (fail_reads) return Error(Status::IoError("disk on fire"));
    return inner.Get(level, index);
  }
  void Put(uint32_t level, uint64_t index, const Digest& hash) override {
    ++put_count;
    inner.Put(level, index, hash);
  }

  MemoryMerkleNodeStore inner;
  bool fail_reads = false;
  uint64_t put_count = 0;
};

TEST(MerkleTreeTest, MissingNodesAndReadErrorsAreReportedAndAppendPutsNothing) {
  const std::vector<std::string> leaves = TestLeaves(14);
  FailingStore store;
  MerkleTreeWriter writer(&store, 0);
  AppendAll(writer, Prefix(leaves, 13));

  // Leaf 6's proof needs node (1, 2) = leaves 4..5; the root of 13 does not.
  store.inner.mutable_nodes().erase(MerkleNodeId{1, 2});
  EXPECT_TRUE(writer.Root().has_value());
  ExpectStatus(writer.InclusionProof(6, 13).error(), StatusCode::kCorruption,
               "merkle node level 1 index 2 is missing from a tree of size 13");

  // Appending leaf 13 (binary 1101) reads its left sibling, leaf 12.
  const Digest leaf_12 = store.inner.nodes().at(MerkleNodeId{0, 12});
  store.inner.mutable_nodes().erase(MerkleNodeId{0, 12});
  const uint64_t puts_before = store.put_count;
  ExpectStatus(writer.AppendLeaf(MerkleLeafHash(leaves[13])).error(), StatusCode::kCorruption,
               "merkle node level 0 index 12 is missing from a tree of size 13");
  EXPECT_EQ(writer.size(), 13u);
  EXPECT_EQ(store.put_count, puts_before);

  store.inner.mutable_nodes()[MerkleNodeId{0, 12}] = leaf_12;
  store.fail_reads = true;
  ExpectStatus(writer.AppendLeaf(MerkleLeafHash(leaves[13])).error(), StatusCode::kIoError,
               "merkle node level 0 index 12: disk on fire");
  EXPECT_EQ(writer.size(), 13u);
  EXPECT_EQ(store.put_count, puts_before);

  // Once the store is healthy the same append succeeds.
  store.fail_reads = false;
  EXPECT_EQ(Must(writer.AppendLeaf(MerkleLeafHash(leaves[13]))), 14u);
  EXPECT_EQ(Hex(Must(writer.Root())), Hex(reference::Mth(Prefix(leaves, 14))));
}

TEST(MerkleTreeTest, AnAlteredNodeChangesTheRootAndFailsItsProofs) {
  const std::vector<std::string> leaves = TestLeaves(11);
  MemoryMerkleNodeStore store;
  MerkleTreeWriter writer(&store, 0);
  AppendAll(writer, leaves);
  const Digest root = reference::Mth(leaves);
  store.mutable_nodes()[MerkleNodeId{0, 3}] = MerkleLeafHash(std::string_view("forged"));
  // Node (0, 3) lies inside the perfect subtree (3, 0), whose stored hash still covers the real
  // leaf: the root is unchanged, but the proof of leaf 2 now carries the forged leaf 3 as its
  // first sibling, so leaf 2 no longer verifies.
  EXPECT_EQ(Hex(Must(writer.Root())), Hex(root));
  std::vector<Digest> proof = Must(writer.InclusionProof(2, 11));
  ExpectRootDiffers(VerifyInclusion(MerkleLeafHash(leaves[2]), 2, 11, proof, root), "", root);
}

// ---------------------------------------------------------------------------------------------
// Storage plumbing.

// The intended wiring in miniature: a reader over a key-value map (as over a RocksDB column
// family), a staging store over it, and a commit that writes the staged nodes as bytes.
class KeyValueReader final : public MerkleNodeReader {
 public:
  Result<Digest> Get(uint32_t level, uint64_t index) const override {
    auto found = values.find(MerkleNodeKey(level, index));
    if (found == values.end()) return Error(Status::NotFound("no such key"));
    return ParseMerkleNodeValue(level, index, found->second);
  }
  std::map<std::string, std::string> values;
};

void Commit(const MerkleStagingStore& staging, KeyValueReader& database) {
  for (const auto& [id, hash] : staging.staged()) {
    database.values[MerkleNodeKey(id.level, id.index)] =
        std::string(reinterpret_cast<const char*>(hash.data()), hash.size());
  }
}

TEST(MerkleStorageTest, StagingAppendsCommitAsOneBatch) {
  const std::vector<std::string> leaves = TestLeaves(21);
  KeyValueReader database;
  uint64_t size = 0;
  // Three "submissions" of 5, 3 and 13 leaves; the second is aborted once, then retried.
  struct Batch {
    uint64_t size;
    bool aborted;
  };
  for (const auto [batch_size, aborted] :
       {Batch{5, false}, Batch{3, true}, Batch{3, false}, Batch{13, false}}) {
    MerkleStagingStore staging(&database);
    MerkleTreeWriter writer(&staging, size);
    AppendAll(writer, Prefix(leaves, size + batch_size).subspan(size));
    const uint64_t new_size = size + batch_size;
    EXPECT_EQ(Hex(Must(writer.Root())), Hex(reference::Mth(Prefix(leaves, new_size))));
    // Staged: exactly the nodes that the new leaves complete.
    EXPECT_EQ(staging.staged().size(),
              (2 * new_size - std::popcount(new_size)) - (2 * size - std::popcount(size)));
    const size_t stored_before = database.values.size();
    if (aborted) {
      // Dropping the staging store leaves the database as it was, still a tree of `size`.
      EXPECT_EQ(database.values.size(), stored_before);
      continue;
    }
    Commit(staging, database);
    size = new_size;
    EXPECT_EQ(Hex(Must(MerkleTree(&database, size).Root())),
              Hex(reference::Mth(Prefix(leaves, size))));
  }
  EXPECT_EQ(size, 21u);
  EXPECT_EQ(database.values.size(), 2 * 21 - std::popcount(21u));
  MerkleStagingStore staging(&database);
  staging.Put(0, 21, Digest{});
  EXPECT_EQ(staging.staged().size(), 1u);
  staging.Clear();
  EXPECT_TRUE(staging.staged().empty());
}

TEST(MerkleStorageTest, NodeKeysAndValues) {
  EXPECT_EQ(Hex(MerkleNodeKey(3, 0x0102030405060708)), "030102030405060708");
  EXPECT_EQ(MerkleNodeKey(0, 0).size(), kMerkleNodeKeySizeBytes);
  // Bytewise order is (level, index) order.
  EXPECT_LT(MerkleNodeKey(0, 1), MerkleNodeKey(0, 256));
  EXPECT_LT(MerkleNodeKey(0, 256), MerkleNodeKey(1, 0));
  EXPECT_LT(MerkleNodeKey(1, UINT64_MAX), MerkleNodeKey(2, 0));

  const Digest hash = MerkleLeafHash(std::string_view("x"));
  const std::string value(reinterpret_cast<const char*>(hash.data()), hash.size());
  EXPECT_EQ(Must(ParseMerkleNodeValue(2, 7, value)), hash);
  ExpectStatus(ParseMerkleNodeValue(2, 7, value.substr(1)).error(), StatusCode::kCorruption,
               "merkle node level 2 index 7 has 31 bytes, want 32");
  ExpectStatus(ParseMerkleNodeValue(2, 7, value + "x").error(), StatusCode::kCorruption,
               "merkle node level 2 index 7 has 33 bytes, want 32");
  ExpectStatus(ParseMerkleNodeValue(0, 0, "").error(), StatusCode::kCorruption,
               "merkle node level 0 index 0 has 0 bytes, want 32");

  // A short value in the store surfaces through the tree with the node named.
  KeyValueReader database;
  MerkleStagingStore staging(&database);
  MerkleTreeWriter writer(&staging, 0);
  AppendAll(writer, TestLeaves(2));
  Commit(staging, database);
  database.values[MerkleNodeKey(1, 0)].pop_back();
  ExpectStatus(MerkleTree(&database, 2).Root().error(), StatusCode::kCorruption,
               "merkle node level 1 index 0: merkle node level 1 index 0 has 31 bytes, want 32");
}

// ---------------------------------------------------------------------------------------------
// Damaged inclusion proofs.

class MerkleDamagedProofTest : public ::testing::Test {
 protected:
  static constexpr uint64_t kSizeMax = 12;

  void SetUp() override {
    leaves_ = TestLeaves(3 * kSizeMax + 2);
    writer_ = std::make_unique<MerkleTreeWriter>(&store_, 0);
    AppendAll(*writer_, leaves_);
    for (uint64_t size = 0; size <= leaves_.size(); ++size) {
      roots_.push_back(reference::Mth(Prefix(leaves_, size)));
    }
  }

  Digest LeafHash(uint64_t index) const { return MerkleLeafHash(leaves_[index]); }
  std::vector<Digest> Inclusion(uint64_t index, uint64_t size) const {
    return Must(writer_->InclusionProof(index, size));
  }
  std::vector<Digest> Consistency(uint64_t old_size, uint64_t new_size) const {
    return Must(writer_->ConsistencyProof(old_size, new_size));
  }

  std::vector<std::string> leaves_;
  std::vector<Digest> roots_;
  MemoryMerkleNodeStore store_;
  std::unique_ptr<MerkleTreeWriter> writer_;
};

TEST_F(MerkleDamagedProofTest, InclusionEveryBitOfEveryHashFlipped) {
  for (uint64_t size = 1; size <= kSizeMax; ++size) {
    for (uint64_t index = 0; index < size; ++index) {
      SCOPED_TRACE("index " + std::to_string(index) + " size " + std::to_string(size));
      const std::vector<Digest> proof = Inclusion(index, size);
      const Digest& root = roots_[size];
      ASSERT_TRUE(VerifyInclusion(LeafHash(index), index, size, proof, root).ok());
      for (size_t j = 0; j < proof.size(); ++j) {
        for (size_t bit = 0; bit < 256; ++bit) {
          std::vector<Digest> damaged = proof;
          damaged[j] = FlipBit(damaged[j], bit);
          ExpectRootDiffers(VerifyInclusion(LeafHash(index), index, size, damaged, root), "", root);
        }
      }
      for (size_t bit = 0; bit < 256; ++bit) {
        // The leaf hash flipped: the calculated root differs.
        ExpectRootDiffers(VerifyInclusion(FlipBit(LeafHash(index), bit), index, size, proof, root),
                          "", root);
        // The expected root flipped: the calculated root is the true one.
        const Digest wrong_root = FlipBit(root, bit);
        ExpectStatus(VerifyInclusion(LeafHash(index), index, size, proof, wrong_root),
                     StatusCode::kCorruption,
                     "calculated root " + Hex(root) + " differs from expected " + Hex(wrong_root));
      }
    }
  }
}

TEST_F(MerkleDamagedProofTest, InclusionWrongIndexSizeLengthRootOrLeaf) {
  for (uint64_t size = 1; size <= kSizeMax; ++size) {
    for (uint64_t index = 0; index < size; ++index) {
      SCOPED_TRACE("index " + std::to_string(index) + " size " + std::to_string(size));
      const std::vector<Digest> proof = Inclusion(index, size);
      const Digest leaf = LeafHash(index);
      const Digest& root = roots_[size];
      const size_t n = proof.size();

      // Another index: a proof pins its leaf's position, so it never verifies elsewhere.
      for (uint64_t other = 0; other < size; ++other) {
        if (other == index) continue;
        Status status = VerifyInclusion(leaf, other, size, proof, root);
        const size_t want = reference::Path(other, Prefix(leaves_, size)).size();
        if (want != n) {
          ExpectStatus(status, StatusCode::kCorruption, WrongProofSize(n, want));
        } else {
          ExpectRootDiffers(status, "", root);
        }
      }
      // An index out of range.
      for (uint64_t bad : {size, size + 1, uint64_t{UINT64_MAX}}) {
        ExpectStatus(
            VerifyInclusion(leaf, bad, size, proof, root), StatusCode::kInvalidArgument,
            "index " + std::to_string(bad) + " out of range for size " + std::to_string(size));
      }
      // Another size, against this size's root. The size only shapes the hashing order, so a
      // size whose path has the same directions verifies too: the size is bound by the signed
      // tree head, not by the proof. Every other size fails, exactly.
      for (uint64_t other_size = index + 1; other_size <= 3 * kSizeMax + 2; ++other_size) {
        if (other_size == size) continue;
        SCOPED_TRACE("claimed size " + std::to_string(other_size));
        Status status = VerifyInclusion(leaf, index, other_size, proof, root);
        const size_t want = reference::Path(index, Prefix(leaves_, other_size)).size();
        if (want != n) {
          ExpectStatus(status, StatusCode::kCorruption, WrongProofSize(n, want));
        } else if (PathDirections(index, other_size) == PathDirections(index, size)) {
          EXPECT_TRUE(status.ok()) << status.message();
        } else {
          ExpectRootDiffers(status, "", root);
        }
        // Against the root of the claimed size, a proof of a different shape never verifies.
        if (PathDirections(index, other_size) != PathDirections(index, size)) {
          EXPECT_FALSE(VerifyInclusion(leaf, index, other_size, proof, roots_[other_size]).ok());
        }
      }
      ExpectStatus(VerifyInclusion(leaf, 0, 0, {}, roots_[0]), StatusCode::kInvalidArgument,
                   "index 0 out of range for size 0");

      // One hash more, at either end, and one hash less, at either end.
      for (const Digest& extra : {Digest{}, root, leaf}) {
        std::vector<Digest> longer = proof;
        longer.push_back(extra);
        ExpectStatus(VerifyInclusion(leaf, index, size, longer, root), StatusCode::kCorruption,
                     WrongProofSize(n + 1, n));
        longer = proof;
        longer.insert(longer.begin(), extra);
        ExpectStatus(VerifyInclusion(leaf, index, size, longer, root), StatusCode::kCorruption,
                     WrongProofSize(n + 1, n));
      }
      if (n > 0) {
        std::vector<Digest> shorter(proof.begin(), proof.end() - 1);
        ExpectStatus(VerifyInclusion(leaf, index, size, shorter, root), StatusCode::kCorruption,
                     WrongProofSize(n - 1, n));
        shorter.assign(proof.begin() + 1, proof.end());
        ExpectStatus(VerifyInclusion(leaf, index, size, shorter, root), StatusCode::kCorruption,
                     WrongProofSize(n - 1, n));
      }

      // Another tree's root.
      for (uint64_t other_size = 0; other_size <= kSizeMax; ++other_size) {
        if (other_size == size) continue;
        ExpectStatus(
            VerifyInclusion(leaf, index, size, proof, roots_[other_size]), StatusCode::kCorruption,
            "calculated root " + Hex(root) + " differs from expected " + Hex(roots_[other_size]));
      }

      // Another leaf with this proof, and this leaf with another leaf's proof.
      for (uint64_t other = 0; other < size; ++other) {
        if (other == index) continue;
        ExpectRootDiffers(VerifyInclusion(LeafHash(other), index, size, proof, root), "", root);
        const std::vector<Digest> other_proof = Inclusion(other, size);
        Status status = VerifyInclusion(leaf, index, size, other_proof, root);
        if (other_proof.size() != n) {
          ExpectStatus(status, StatusCode::kCorruption, WrongProofSize(other_proof.size(), n));
        } else {
          ExpectRootDiffers(status, "", root);
        }
      }
      // The leaf bytes hashed without the leaf prefix, or as a node.
      if (size >= 2 && index == 0) {
        const Digest unprefixed = Sha256::Of(AsBytes(leaves_[0]));
        ExpectRootDiffers(VerifyInclusion(unprefixed, 0, size, proof, root), "", root);
      }
    }
  }
}

TEST_F(MerkleDamagedProofTest, AnInnerNodeCannotPassAsALeaf) {
  // The second-preimage attack that the prefixes prevent: claim that the 4-leaf tree has 2
  // leaves, the first being the 64 bytes leaf_hash(0) || leaf_hash(1). Were leaves and nodes
  // hashed alike, that "leaf" would hash to node (1, 0) and, with node (1, 1) as its proof, give
  // the 4-leaf root.
  const Digest node_1_1 = Inclusion(0, 4)[1];
  std::string children(reinterpret_cast<const char*>(LeafHash(0).data()), 32);
  children += std::string(reinterpret_cast<const char*>(LeafHash(1).data()), 32);
  ExpectRootDiffers(
      VerifyInclusion(MerkleLeafHash(children), 0, 2, std::vector<Digest>{node_1_1}, roots_[4]), "",
      roots_[4]);
  // Only the node hash itself, which no leaf bytes can produce, would do.
  EXPECT_TRUE(VerifyInclusion(MerkleNodeHash(LeafHash(0), LeafHash(1)), 0, 2,
                              std::vector<Digest>{node_1_1}, roots_[4])
                  .ok());
}

// ---------------------------------------------------------------------------------------------
// Damaged consistency proofs.

TEST_F(MerkleDamagedProofTest, ConsistencyEveryBitOfEveryHashFlipped) {
  std::set<std::string> kinds_seen;
  for (uint64_t new_size = 1; new_size <= kSizeMax; ++new_size) {
    for (uint64_t old_size = 1; old_size < new_size; ++old_size) {
      SCOPED_TRACE("old size " + std::to_string(old_size) + " new size " +
                   std::to_string(new_size));
      const std::vector<Digest> proof = Consistency(old_size, new_size);
      const Digest& old_root = roots_[old_size];
      const Digest& new_root = roots_[new_size];
      ASSERT_TRUE(VerifyConsistency(old_size, new_size, old_root, new_root, proof).ok());
      for (size_t j = 0; j < proof.size(); ++j) {
        for (size_t bit = 0; bit < 256; ++bit) {
          std::vector<Digest> damaged = proof;
          damaged[j] = FlipBit(damaged[j], bit);
          Status status = VerifyConsistency(old_size, new_size, old_root, new_root, damaged);
          // A hash inside the old tree breaks the old root (checked first); a hash only in the
          // new tree breaks the new root.
          const bool old_broken = status.message().starts_with("calculated old");
          kinds_seen.insert(old_broken ? "old" : "new");
          ExpectRootDiffers(status, old_broken ? "old " : "new ", old_broken ? old_root : new_root);
        }
      }
      for (size_t bit = 0; bit < 256; bit += 7) {
        // The expected new root flipped: the old root still checks, the new one is calculated.
        const Digest wrong_new = FlipBit(new_root, bit);
        ExpectStatus(
            VerifyConsistency(old_size, new_size, old_root, wrong_new, proof),
            StatusCode::kCorruption,
            "calculated new root " + Hex(new_root) + " differs from expected " + Hex(wrong_new));
        // The old root flipped. When the old tree is perfect its root is the proof's seed, so the
        // old check passes trivially and the new root comes out wrong instead.
        const Digest wrong_old = FlipBit(old_root, bit);
        Status status = VerifyConsistency(old_size, new_size, wrong_old, new_root, proof);
        if (std::has_single_bit(old_size)) {
          ExpectRootDiffers(status, "new ", new_root);
        } else {
          ExpectStatus(
              status, StatusCode::kCorruption,
              "calculated old root " + Hex(old_root) + " differs from expected " + Hex(wrong_old));
        }
      }
    }
  }
  EXPECT_EQ(kinds_seen, (std::set<std::string>{"old", "new"}));
}

TEST_F(MerkleDamagedProofTest, ConsistencyWrongSizesLengthsAndEdgeCases) {
  for (uint64_t new_size = 0; new_size <= kSizeMax; ++new_size) {
    for (uint64_t old_size = 0; old_size <= new_size; ++old_size) {
      SCOPED_TRACE("old size " + std::to_string(old_size) + " new size " +
                   std::to_string(new_size));
      const std::vector<Digest> proof = Consistency(old_size, new_size);
      const Digest& old_root = roots_[old_size];
      const Digest& new_root = roots_[new_size];
      const size_t n = proof.size();
      ASSERT_TRUE(VerifyConsistency(old_size, new_size, old_root, new_root, proof).ok());

      // Swapped sizes.
      if (old_size != new_size) {
        ExpectStatus(VerifyConsistency(new_size, old_size, new_root, old_root, proof),
                     StatusCode::kInvalidArgument,
                     "old size " + std::to_string(new_size) + " is greater than new size " +
                         std::to_string(old_size));
      }
      // Truncated and extended.
      for (const Digest& extra : {Digest{}, old_root, new_root}) {
        std::vector<Digest> longer = proof;
        longer.push_back(extra);
        ExpectStatus(VerifyConsistency(old_size, new_size, old_root, new_root, longer),
                     StatusCode::kCorruption, WrongProofSize(n + 1, n));
        longer = proof;
        longer.insert(longer.begin(), extra);
        ExpectStatus(VerifyConsistency(old_size, new_size, old_root, new_root, longer),
                     StatusCode::kCorruption, WrongProofSize(n + 1, n));
      }
      if (n > 0) {
        std::vector<Digest> shorter(proof.begin(), proof.end() - 1);
        ExpectStatus(VerifyConsistency(old_size, new_size, old_root, new_root, shorter),
                     StatusCode::kCorruption, WrongProofSize(n - 1, n));
        shorter.assign(proof.begin() + 1, proof.end());
        ExpectStatus(VerifyConsistency(old_size, new_size, old_root, new_root, shorter),
                     StatusCode::kCorruption, WrongProofSize(n - 1, n));
      }
      if (old_size == 0 || old_size == new_size) continue;

      // Other sizes with these roots. As with inclusion, the sizes only shape the hashing order:
      // sizes whose proof has the same shape verify too (the sizes are bound by the signed tree
      // heads, not by the proof). Every other claim fails, exactly.
      for (uint64_t other_old = 1; other_old <= new_size + 2; ++other_old) {
        for (uint64_t other_new = other_old; other_new <= new_size + 2; ++other_new) {
          if (other_old == old_size && other_new == new_size) continue;
          SCOPED_TRACE("claimed " + std::to_string(other_old) + " to " + std::to_string(other_new));
          Status status = VerifyConsistency(other_old, other_new, old_root, new_root, proof);
          const size_t want = reference::Proof(other_old, Prefix(leaves_, other_new)).size();
          if (want != n) {
            ExpectStatus(status, StatusCode::kCorruption, WrongProofSize(n, want));
          } else if (ShapeOf(other_old, other_new) == ShapeOf(old_size, new_size)) {
            EXPECT_TRUE(status.ok()) << status.message();
          } else if (status.message().starts_with("calculated old")) {
            ExpectRootDiffers(status, "old ", old_root);
          } else {
            ExpectRootDiffers(status, "new ", new_root);
          }
        }
      }
    }
  }
}

TEST_F(MerkleDamagedProofTest, ConsistencyFromTheEmptyTreeAndBetweenEqualSizes) {
  const Digest& empty = roots_[0];
  // Every tree extends the empty tree, with an empty proof; the new root is not constrained.
  for (uint64_t size = 0; size <= kSizeMax; ++size) {
    EXPECT_TRUE(VerifyConsistency(0, size, empty, roots_[size], {}).ok());
    EXPECT_TRUE(Consistency(0, size).empty());
  }
  EXPECT_TRUE(VerifyConsistency(0, 5, empty, Digest{}, {}).ok());
  ExpectStatus(VerifyConsistency(0, 5, empty, roots_[5], std::vector<Digest>{roots_[5]}),
               StatusCode::kCorruption, "wrong proof size 1, want 0");
  ExpectStatus(VerifyConsistency(0, 5, roots_[1], roots_[5], {}), StatusCode::kCorruption,
               "old root " + Hex(roots_[1]) + " of size 0 differs from the empty tree root " +
                   kEmptyRootHex);
  ExpectStatus(VerifyConsistency(0, 0, empty, roots_[1], {}), StatusCode::kCorruption,
               "old root " + std::string(kEmptyRootHex) + " differs from new root " +
                   Hex(roots_[1]) + " for the same size 0");

  // Equal sizes: an empty proof, equal roots (RFC 9162: PROOF(n, D[n]) = SUBPROOF(n, D[n], true) =
  // {}).
  for (uint64_t size = 1; size <= kSizeMax; ++size) {
    EXPECT_TRUE(VerifyConsistency(size, size, roots_[size], roots_[size], {}).ok());
    EXPECT_TRUE(Consistency(size, size).empty());
    ExpectStatus(VerifyConsistency(size, size, roots_[size], roots_[size],
                                   std::vector<Digest>{roots_[size]}),
                 StatusCode::kCorruption, "wrong proof size 1, want 0");
    ExpectStatus(VerifyConsistency(size, size, roots_[size], roots_[size - 1], {}),
                 StatusCode::kCorruption,
                 "old root " + Hex(roots_[size]) + " differs from new root " +
                     Hex(roots_[size - 1]) + " for the same size " + std::to_string(size));
  }
  ExpectStatus(VerifyConsistency(9, 8, roots_[9], roots_[8], {}), StatusCode::kInvalidArgument,
               "old size 9 is greater than new size 8");
}

// ---------------------------------------------------------------------------------------------
// Cost: counted store reads, writes and hashes, bounded by c * log2(n) + c.

class CountingStore final : public MerkleNodeStore {
 public:
  Result<Digest> Get(uint32_t level, uint64_t index) const override {
    ++read_count;
    return inner.Get(level, index);
  }
  void Put(uint32_t level, uint64_t index, const Digest& hash) override {
    ++write_count;
    inner.Put(level, index, hash);
  }

  MemoryMerkleNodeStore inner;
  mutable uint64_t read_count = 0;
  uint64_t write_count = 0;
};

TEST(MerkleCostTest, AppendsAndProofsTouchLogarithmicallyManyNodes) {
  constexpr uint64_t kSizeMax = uint64_t{1} << 16;
  const uint64_t seed = SeedFromEnvironment(7);
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 random(seed);
  CountingStore store;
  MerkleTreeWriter writer(&store, 0);

  std::set<uint64_t> probe_sizes;
  for (uint64_t size = 1; size <= 70; ++size) probe_sizes.insert(size);
  for (int level = 1; level <= 16; ++level) {
    for (int64_t delta : {-1, 0, 1}) probe_sizes.insert((uint64_t{1} << level) + delta);
  }
  for (int i = 0; i < 100; ++i) probe_sizes.insert(1 + random() % kSizeMax);

  uint64_t append_reads_max = 0;
  uint64_t proof_reads_max = 0;
  for (uint64_t size = 1; size <= kSizeMax; ++size) {
    const uint64_t log2 = Log2Ceil(size);
    uint64_t reads = store.read_count, writes = store.write_count, hashes = writer.hash_count();
    const Digest leaf = MerkleLeafHash(std::to_string(size));
    ASSERT_EQ(Must(writer.AppendLeaf(leaf)), size);
    reads = store.read_count - reads;
    writes = store.write_count - writes;
    hashes = writer.hash_count() - hashes;
    // Exactly: one read and one hash per completed level, one write per new node.
    ASSERT_EQ(reads, static_cast<uint64_t>(std::countr_one(size - 1)));
    ASSERT_EQ(writes, reads + 1);
    ASSERT_EQ(hashes, reads);
    ASSERT_LE(reads, log2);
    ASSERT_LE(writes, log2 + 1);
    append_reads_max = std::max(append_reads_max, reads);

    if (!probe_sizes.contains(size)) continue;
    SCOPED_TRACE("size " + std::to_string(size));
    // Root(size) for this and for an older size: one read per perfect part.
    for (uint64_t root_size : {size, 1 + random() % size}) {
      reads = store.read_count, hashes = writer.hash_count();
      ASSERT_TRUE(writer.Root(root_size).has_value());
      ASSERT_EQ(store.read_count - reads, static_cast<uint64_t>(std::popcount(root_size)));
      ASSERT_LE(writer.hash_count() - hashes, log2);
    }
    for (uint64_t index : {uint64_t{0}, size - 1, size / 2, random() % size}) {
      reads = store.read_count, hashes = writer.hash_count();
      std::vector<Digest> proof = Must(writer.InclusionProof(index, size));
      reads = store.read_count - reads;
      ASSERT_LE(proof.size(), log2);
      ASSERT_LE(reads, 2 * log2 + 2) << "index " << index;
      ASSERT_LE(writer.hash_count() - hashes, log2 + 1);
      proof_reads_max = std::max(proof_reads_max, reads);
    }
    for (uint64_t old_size : {uint64_t{1}, size - 1, size / 2 + 1, 1 + random() % size}) {
      reads = store.read_count, hashes = writer.hash_count();
      std::vector<Digest> proof = Must(writer.ConsistencyProof(old_size, size));
      reads = store.read_count - reads;
      ASSERT_LE(proof.size(), log2 + 1);
      ASSERT_LE(reads, 2 * log2 + 2) << "old size " << old_size;
      ASSERT_LE(writer.hash_count() - hashes, log2 + 1);
      proof_reads_max = std::max(proof_reads_max, reads);
    }
  }
  // Every node written exactly once: 2n - popcount(n) nodes for n leaves.
  EXPECT_EQ(store.write_count, 2 * kSizeMax - 1);
  EXPECT_EQ(store.inner.node_count(), 2 * kSizeMax - 1);
  EXPECT_EQ(append_reads_max, 16u);  // the append that completes the 2^16 tree
  EXPECT_GE(proof_reads_max, 16u);
}

}  // namespace
}  // namespace fundtrail
