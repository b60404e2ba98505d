// Tests of witnesses (ledger/witness.h), the consistency-proof file (ledger/proof_file.h) and the
// JSON file helpers (ledger/json_file.h):
//   - co-signatures: the message layout, a pinned vector, round trips, every bit of a co-signature
//     flipped, every field of the head changed, the wrong key;
//   - head files with co-signatures still verify with the operator signature, and parse strictly;
//   - witness policies: each parsing error names its field and index;
//   - quorums: 2 of 3 met and not met, duplicates counted once, unknown and invalid co-signatures
//     reported and not counted;
//   - the witness state machine: trust on first use, the same tree, an extension with a proof, a
//     split view (evidence saved, state unchanged), a rewritten history, smaller heads, missing or
//     mismatched proofs, pinned operator keys, the state lock.
#include "ledger/witness.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "ledger/json_file.h"
#include "ledger/log_format.h"
#include "ledger/merkle.h"
#include "ledger/test_util.h"

namespace fundtrail {
namespace {

using nlohmann::json;
using test::Hex;
using test::Unhex;

std::string ReadText(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream file(path, std::ios::trunc);
  file << text;
  ASSERT_TRUE(file.flush()) << path;
}

void ExpectError(const Status& status, StatusCode code, const std::vector<std::string>& needles) {
  EXPECT_EQ(status.code(), code) << status.message();
  for (const auto& needle : needles) {
    EXPECT_NE(status.message().find(needle), std::string::npos)
        << "message lacks \"" << needle << "\": " << status.message();
  }
}

// A log's Merkle tree in memory, with operator-signed heads of any size, and the keys of the
// operator and three witnesses.
class WitnessFixture : public ::testing::Test {
 protected:
  WitnessFixture()
      : operator_key_(test::KeyFromSeed(test::SeedFromLabel("operator"), keys_.File("operator.pem"))),
        audit_(test::KeyFromSeed(test::SeedFromLabel("audit office"), keys_.File("audit.pem"))),
        finance_(test::KeyFromSeed(test::SeedFromLabel("finance bureau"), keys_.File("finance.pem"))),
        regulator_(test::KeyFromSeed(test::SeedFromLabel("regulator"), keys_.File("regulator.pem"))),
        ledger_id_(Unhex("00112233445566778899aabbccddeeff")),
        tree_(&nodes_, 0) {
    Grow(&tree_, 20, "genuine");
  }

  // Appends leaves LogLeafHash(SHA-256(label || i)) until the tree has `size` leaves.
  static void Grow(MerkleTreeWriter* tree, uint64_t size, const std::string& label) {
    while (tree->size() < size) {
      Digest chain = Sha256::Of(AsBytes(label + std::to_string(tree->size())));
      ASSERT_TRUE(tree->AppendLeaf(LogLeafHash(chain)).has_value());
    }
  }

  // The operator-signed head of the first `size` leaves of `tree`.
  TreeHead HeadOf(const MerkleTree& tree, uint64_t size, int64_t timestamp_micros = 1764331200000000) {
    TreeHead head;
    head.ledger_id = ledger_id_;
    head.tree_size = size;
    head.root_hash = *tree.Root(size);
    head.chain_hash = Sha256::Of(AsBytes("chain " + std::to_string(size) + " of " + Hex(head.root_hash)));
    head.timestamp_micros = timestamp_micros;
    SignTreeHead(operator_key_, &head);
    return head;
  }
  TreeHead HeadOf(uint64_t size) { return HeadOf(tree_, size); }

  ConsistencyProofFile ProofOf(const MerkleTree& tree, uint64_t old_size, uint64_t new_size) {
    ConsistencyProofFile proof;
    proof.ledger_id = ledger_id_;
    proof.old_size = old_size;
    proof.new_size = new_size;
    proof.old_root = *tree.Root(old_size);
    proof.new_root = *tree.Root(new_size);
    proof.hashes = *tree.ConsistencyProof(old_size, new_size);
    return proof;
  }

  WitnessPolicy Policy(size_t quorum) {
    WitnessPolicy policy;
    policy.quorum = quorum;
    policy.witnesses = {{"审计署 audit office", audit_.public_key()},
                        {"财政局 finance bureau", finance_.public_key()},
                        {"监管机构 regulator", regulator_.public_key()}};
    return policy;
  }

  test::TempDir keys_;
  PrivateKey operator_key_, audit_, finance_, regulator_;
  std::string ledger_id_;
  MemoryMerkleNodeStore nodes_;
  MerkleTreeWriter tree_;
  test::FixedClock clock_{1764400000000000, 1000000};
};

// ---------------------------------------------------------------------------------------------
// Co-signatures.

using CosignatureTest = WitnessFixture;

TEST_F(CosignatureTest, MessageIsTagCanonicalHeadAndBigEndianTimestamp) {
  TreeHead head = HeadOf(7);
  std::string message = CosignatureMessage(head, 0x0102030405060708);
  std::string canonical = CanonicalTreeHead(head);
  ASSERT_EQ(message.size(), 8 + canonical.size() + 8);
  EXPECT_EQ(message.substr(0, 8), "FTCOSG01");
  EXPECT_EQ(message.substr(8, canonical.size()), canonical);
  EXPECT_EQ(Hex(message.substr(8 + canonical.size())), "0102030405060708");
  // The operator signs the same canonical bytes under its own tag.
  EXPECT_EQ(TreeHeadMessage(head), "FTHEAD01" + canonical);
  // A negative timestamp is two's complement.
  EXPECT_EQ(Hex(CosignatureMessage(head, -1).substr(8 + canonical.size())), "ffffffffffffffff");
}

// clang-format off
constexpr char kGoldenMessageHex[] =
    "4654434f53473031"  // "FTCOSG01"
    // canonical(TreeHead), 128 bytes: the root pointer (2 data words, 3 pointers), tree size 3
    // and the timestamp (little-endian), three byte-list pointers, then the ledger id, the root
    // (SHA-256("root")) and the chain hash (SHA-256("chain")).
    "0000000002000300" "0300000000000000" "0030715ea6440600"
    "0900000082000000" "0d00000002010000" "1900000002010000"
    "00112233445566778899aabbccddeeff"
    "4813494d137e1631bba301d5acab6e7bb7aa74ce1185d456565ef51d737677b2"
    "9414886b1ebf025db067a4cbd13a0903fbd9733a5372bba1b58bd72c1699b798"
    "000644a66204b700";  // be64(1764331260000000), the co-signing time
// clang-format on
constexpr char kGoldenSignatureHex[] =
    "f7b6ab900e63e6d249b72eaad104bc3827a8b0004df407165ccd656c5eeb63bd"
    "a7a599330dc3588fd7fc2d75779de8549c6f2bc6c9d5670d9858268d10a4f501";

// Pinned bytes, so that an independent implementation of FORMAT.md section 10 can check itself.
TEST_F(CosignatureTest, GoldenVector) {
  TreeHead head;
  head.ledger_id = Unhex("00112233445566778899aabbccddeeff");
  head.tree_size = 3;
  head.root_hash = Sha256::Of(AsBytes(std::string("root")));
  head.chain_hash = Sha256::Of(AsBytes(std::string("chain")));
  head.timestamp_micros = 1764331200000000;
  std::string message = CosignatureMessage(head, 1764331260000000);
  EXPECT_EQ(Hex(message), kGoldenMessageHex);
  Cosignature cosignature = SignCosignature(audit_, head, 1764331260000000, "");
  EXPECT_EQ(Hex(cosignature.signature), kGoldenSignatureHex);
  EXPECT_EQ(Hex(cosignature.key_id), Hex(DeriveKeyId(audit_.public_key().raw())));
}

TEST_F(CosignatureTest, SignAndVerifyRoundTrip) {
  TreeHead head = HeadOf(20);
  Cosignature cosignature = SignCosignature(audit_, head, 1764331260000000, "审计署 audit office");
  EXPECT_EQ(cosignature.key_id, audit_.public_key().key_id());
  EXPECT_EQ(cosignature.timestamp_micros, 1764331260000000);
  EXPECT_EQ(cosignature.signature.size(), kSignatureSizeBytes);
  Status verified = VerifyCosignature(head, cosignature, audit_.public_key());
  EXPECT_TRUE(verified.ok()) << verified.message();
}

TEST_F(CosignatureTest, EveryFlippedBitIsRejected) {
  TreeHead head = HeadOf(20);
  const Cosignature good = SignCosignature(audit_, head, 1764331260000000, "");
  for (size_t bit = 0; bit < good.signature.size() * 8; ++bit) {
    Cosignature bad = good;
    bad.signature[bit / 8] = static_cast<char>(bad.signature[bit / 8] ^ (1 << (bit % 8)));
    EXPECT_FALSE(VerifyCosignature(head, bad, audit_.public_key()).ok()) << "signature bit " << bit;
  }
  for (size_t bit = 0; bit < good.key_id.size() * 8; ++bit) {
    Cosignature bad = good;
    bad.key_id[bit / 8] = static_cast<char>(bad.key_id[bit / 8] ^ (1 << (bit % 8)));
    ExpectError(VerifyCosignature(head, bad, audit_.public_key()), StatusCode::kCorruption, {"names key"});
  }
  for (int bit = 0; bit < 64; ++bit) {
    Cosignature bad = good;
    bad.timestamp_micros = static_cast<int64_t>(static_cast<uint64_t>(bad.timestamp_micros) ^ (uint64_t{1} << bit));
    ExpectError(VerifyCosignature(head, bad, audit_.public_key()), StatusCode::kCorruption, {"does not verify"});
  }
}

TEST_F(CosignatureTest, AnyChangeToTheHeadIsRejected) {
  const TreeHead head = HeadOf(20);
  const Cosignature cosignature = SignCosignature(audit_, head, 1764331260000000, "");
  std::vector<std::pair<std::string, TreeHead>> changed(5, {"", head});
  changed[0].first = "ledger id";
  changed[0].second.ledger_id[15] ^= 1;
  changed[1].first = "tree size";
  changed[1].second.tree_size = 21;
  changed[2].first = "root";
  changed[2].second.root_hash[0] ^= 0x80;
  changed[3].first = "chain hash";
  changed[3].second.chain_hash[31] ^= 1;
  changed[4].first = "operator timestamp";
  changed[4].second.timestamp_micros += 1;
  for (const auto& [what, other] : changed) {
    EXPECT_FALSE(VerifyCosignature(other, cosignature, audit_.public_key()).ok()) << what;
  }
  // The operator's key id and signature are not part of what a witness signs.
  TreeHead resigned = head;
  resigned.signature = std::string(64, '\0');
  EXPECT_TRUE(VerifyCosignature(resigned, cosignature, audit_.public_key()).ok());
}

TEST_F(CosignatureTest, WrongKeyIsRejected) {
  TreeHead head = HeadOf(20);
  Cosignature cosignature = SignCosignature(audit_, head, 1764331260000000, "");
  ExpectError(VerifyCosignature(head, cosignature, finance_.public_key()), StatusCode::kCorruption,
              {"names key " + Hex(audit_.public_key().key_id()), "not the witness key"});
  // A co-signature claiming the right key id but made by another key.
  Cosignature forged = SignCosignature(finance_, head, 1764331260000000, "");
  forged.key_id = audit_.public_key().key_id();
  ExpectError(VerifyCosignature(head, forged, audit_.public_key()), StatusCode::kCorruption, {"does not verify"});
}

TEST_F(CosignatureTest, HeadFileRoundTripKeepsTheOperatorSignatureValid) {
  CosignedHead cosigned{HeadOf(20), {}};
  cosigned.cosignatures.push_back(SignCosignature(audit_, cosigned.head, 1764331260000000, "审计署 audit office"));
  cosigned.cosignatures.push_back(SignCosignature(finance_, cosigned.head, 1764331270000000, ""));
  json written = json::parse(CosignedHeadToJson(cosigned).dump());
  ASSERT_EQ(written["cosignatures"].size(), 2u);
  EXPECT_EQ(written["cosignatures"][0]["witness"], "审计署 audit office");
  EXPECT_EQ(written["cosignatures"][0]["time"], "2025-11-28T12:01:00.000000Z");
  EXPECT_FALSE(written["cosignatures"][1].contains("witness"));

  // The plain head reader ignores the co-signatures; the operator signature still verifies.
  auto plain = TreeHeadFromJson(written);
  ASSERT_TRUE(plain.has_value()) << plain.error().message();
  Status signature = VerifyTreeHeadSignature(*plain, operator_key_.public_key());
  EXPECT_TRUE(signature.ok()) << signature.message();

  auto read = CosignedHeadFromJson(written);
  ASSERT_TRUE(read.has_value()) << read.error().message();
  ASSERT_EQ(read->cosignatures.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(read->cosignatures[i].witness_name, cosigned.cosignatures[i].witness_name);
    EXPECT_EQ(read->cosignatures[i].key_id, cosigned.cosignatures[i].key_id);
    EXPECT_EQ(read->cosignatures[i].timestamp_micros, cosigned.cosignatures[i].timestamp_micros);
    EXPECT_EQ(read->cosignatures[i].signature, cosigned.cosignatures[i].signature);
  }
  EXPECT_TRUE(VerifyCosignature(read->head, read->cosignatures[1], finance_.public_key()).ok());

  // A head without co-signatures is written and read without the array.
  CosignedHead bare{HeadOf(20), {}};
  EXPECT_FALSE(json::parse(CosignedHeadToJson(bare).dump()).contains("cosignatures"));
  auto bare_read = CosignedHeadFromJson(json::parse(CosignedHeadToJson(bare).dump()));
  ASSERT_TRUE(bare_read.has_value());
  EXPECT_TRUE(bare_read->cosignatures.empty());
}

TEST_F(CosignatureTest, MalformedCosignaturesNameTheField) {
  CosignedHead cosigned{HeadOf(20), {SignCosignature(audit_, HeadOf(20), 1764331260000000, "")}};
  const json good = json::parse(CosignedHeadToJson(cosigned).dump());
  struct Case {
    std::function<void(json&)> damage;
    std::string needle;
  };
  std::vector<Case> cases = {
      {[](json& j) { j["cosignatures"] = "none"; }, "field \"cosignatures\" must be a JSON array"},
      {[](json& j) { j["cosignatures"][0] = 7; }, "head: cosignatures[0] must be a JSON object"},
      {[](json& j) { j["cosignatures"][0].erase("key_id"); }, "cosignatures[0]: field \"key_id\" is missing"},
      {[](json& j) { j["cosignatures"][0]["key_id"] = "abcd"; }, "field \"key_id\" must be 32 hex digits"},
      {[](json& j) { j["cosignatures"][0]["signature"] = std::string(128, 'x'); }, "must be 128 hex digits"},
      {[](json& j) { j["cosignatures"][0]["timestamp"] = "yesterday"; }, "field \"timestamp\" must be a whole number"},
      {[](json& j) { j["cosignatures"][0]["witness"] = ""; }, "field \"witness\" must be a non-empty string"},
      {[](json& j) { j["cosignatures"][0]["extra"] = 1; }, "cosignatures[0]: unknown field \"extra\""},
      {[](json& j) {
         j["cosignatures"] = json::array();
         for (int i = 0; i < 257; ++i) j["cosignatures"].push_back(j.at("ledger_id"));
       },
       "257 entries"},
  };
  for (const auto& [damage, needle] : cases) {
    json bad = good;
    damage(bad);
    auto read = CosignedHeadFromJson(bad);
    ASSERT_FALSE(read.has_value()) << needle;
    ExpectError(read.error(), StatusCode::kInvalidArgument, {needle});
  }
}

// ---------------------------------------------------------------------------------------------
// Policies and quorums.

using PolicyTest = WitnessFixture;

TEST_F(PolicyTest, ParsesAPolicy) {
  json text = {{"quorum", 2},
               {"witnesses",
                {{{"name", "审计署 audit office"}, {"public_key", Hex(audit_.public_key().raw())}},
                 {{"name", "财政局 finance bureau"}, {"public_key", Hex(finance_.public_key().raw())}}}}};
  auto policy = WitnessPolicyFromJson(text);
  ASSERT_TRUE(policy.has_value()) << policy.error().message();
  EXPECT_EQ(policy->quorum, 2u);
  ASSERT_EQ(policy->witnesses.size(), 2u);
  EXPECT_EQ(policy->witnesses[0].name, "审计署 audit office");
  EXPECT_EQ(policy->witnesses[1].public_key.raw(), finance_.public_key().raw());
}

TEST_F(PolicyTest, ParsingErrorsNameFieldAndIndex) {
  std::string audit = Hex(audit_.public_key().raw()), finance = Hex(finance_.public_key().raw());
  auto entry = [](const std::string& name, const std::string& key) {
    return json{{"name", name}, {"public_key", key}};
  };
  struct Case {
    json policy;
    std::string needle;
  };
  std::vector<Case> cases = {
      {json::array(), "witness policy must be a JSON object"},
      {{{"witnesses", {entry("a", audit)}}}, "field \"quorum\" is missing"},
      {{{"quorum", -1}, {"witnesses", {entry("a", audit)}}}, "field \"quorum\" must be a whole number >= 0"},
      {{{"quorum", 1}}, "field \"witnesses\" is missing"},
      {{{"quorum", 1}, {"witnesses", "a"}}, "field \"witnesses\" must be a JSON array"},
      {{{"quorum", 1}, {"witnesses", json::array()}}, "field \"witnesses\" is empty"},
      {{{"quorum", 0}, {"witnesses", {entry("a", audit)}}},
       "field \"quorum\" is 0, it must be from 1 to the 1 witnesses"},
      {{{"quorum", 3}, {"witnesses", {entry("a", audit), entry("b", finance)}}}, "field \"quorum\" is 3"},
      {{{"quorum", 1}, {"witnesses", {entry("a", audit)}}, {"threshold", 1}}, "unknown field \"threshold\""},
      {{{"quorum", 1}, {"witnesses", {entry("a", audit), 5}}}, "witnesses[1] must be a JSON object"},
      {{{"quorum", 1}, {"witnesses", {entry("a", audit), {{"public_key", finance}}}}},
       "witnesses[1]: field \"name\" is missing"},
      {{{"quorum", 1}, {"witnesses", {entry("a", audit), entry("", finance)}}},
       "witnesses[1]: field \"name\" must be a non-empty string"},
      {{{"quorum", 1}, {"witnesses", {entry("a", audit), entry("b", "00ff")}}},
       "witnesses[1]: field \"public_key\" must be 64 hex digits (the raw Ed25519 public key; `fundtrail witness "
       "show-key"},
      {{{"quorum", 1}, {"witnesses", {entry("a", audit), entry("b", finance + "00")}}},
       "witnesses[1]: field \"public_key\" must be 64"},
      {{{"quorum", 1}, {"witnesses", {entry("a", audit), {{"name", "b"}, {"public_key", finance}, {"role", "x"}}}}},
       "witnesses[1]: unknown field \"role\""},
      {{{"quorum", 1}, {"witnesses", {entry("a", audit), entry("a", finance)}}},
       "witnesses[1]: field \"name\" repeats witnesses[0] (\"a\")"},
      {{{"quorum", 1}, {"witnesses", {entry("a", audit), entry("b", finance), entry("c", audit)}}},
       "witnesses[2]: field \"public_key\" repeats witnesses[0] (\"a\")"},
  };
  for (const auto& [policy, needle] : cases) {
    auto parsed = WitnessPolicyFromJson(policy);
    ASSERT_FALSE(parsed.has_value()) << policy.dump();
    ExpectError(parsed.error(), StatusCode::kInvalidArgument, {needle});
  }
}

TEST_F(PolicyTest, FileErrorsNameThePath) {
  std::string path = keys_.File("policy.json");
  auto missing = ReadWitnessPolicyFile(path);
  ASSERT_FALSE(missing.has_value());
  ExpectError(missing.error(), StatusCode::kNotFound, {"cannot open witness policy file " + path});
  WriteText(path, "{\"quorum\": 2,\n \"witnesses\": [}\n");
  auto malformed = ReadWitnessPolicyFile(path);
  ASSERT_FALSE(malformed.has_value());
  ExpectError(malformed.error(), StatusCode::kInvalidArgument, {path + " is not JSON", "line 2"});
  WriteText(path, "{\"quorum\": 2, \"witnesses\": []}");
  auto empty = ReadWitnessPolicyFile(path);
  ASSERT_FALSE(empty.has_value());
  ExpectError(empty.error(), StatusCode::kInvalidArgument, {path + ": witness policy: field \"witnesses\" is empty"});
}

TEST_F(PolicyTest, TwoOfThreeMet) {
  CosignedHead head{HeadOf(20), {}};
  head.cosignatures.push_back(SignCosignature(regulator_, head.head, 1, ""));
  head.cosignatures.push_back(SignCosignature(audit_, head.head, 2, ""));
  QuorumReport report;
  Status status = CheckWitnessQuorum(head, Policy(2), &report);
  EXPECT_TRUE(status.ok()) << status.message();
  EXPECT_TRUE(report.met());
  EXPECT_EQ(report.signed_by, (std::vector<std::string>{"审计署 audit office", "监管机构 regulator"}));
  EXPECT_EQ(report.missing, (std::vector<std::string>{"财政局 finance bureau"}));
  EXPECT_EQ(report.Describe(),
            "2 valid co-signatures of the 2 needed (2 of 3 witnesses): signed by 审计署 audit office, 监管机构 "
            "regulator; missing 财政局 finance bureau");
}

TEST_F(PolicyTest, OneOfThreeIsNotAQuorumOfTwo) {
  CosignedHead head{HeadOf(20), {SignCosignature(finance_, HeadOf(20), 1, "")}};
  QuorumReport report;
  Status status = CheckWitnessQuorum(head, Policy(2), &report);
  EXPECT_FALSE(report.met());
  ExpectError(status, StatusCode::kCorruption,
              {"witness quorum not met: 1 valid co-signature of the 2 needed (2 of 3 witnesses): signed by 财政局 "
               "finance bureau; missing 审计署 audit office, 监管机构 regulator"});
  // No co-signatures at all.
  ExpectError(CheckWitnessQuorum(CosignedHead{HeadOf(20), {}}, Policy(1)), StatusCode::kCorruption,
              {"0 valid co-signatures of the 1 needed (1 of 3 witnesses): missing 审计署 audit office, 财政局"});
}

TEST_F(PolicyTest, DuplicateCosignaturesCountOnce) {
  CosignedHead head{HeadOf(20), {}};
  head.cosignatures.push_back(SignCosignature(audit_, head.head, 1, ""));
  head.cosignatures.push_back(SignCosignature(audit_, head.head, 2, ""));
  head.cosignatures.push_back(SignCosignature(audit_, head.head, 1, "again"));
  QuorumReport report;
  ExpectError(CheckWitnessQuorum(head, Policy(2), &report), StatusCode::kCorruption,
              {"1 valid co-signature of the 2 needed", "signed by 审计署 audit office;",
               "2 repeated co-signatures by a witness already counted"});
  EXPECT_EQ(report.duplicate_count, 2u);
  EXPECT_EQ(report.signed_by.size(), 1u);
}

TEST_F(PolicyTest, UnknownCosignersAreIgnoredAndReported) {
  CosignedHead head{HeadOf(20), {}};
  head.cosignatures.push_back(SignCosignature(operator_key_, head.head, 1, "operator pretending"));
  head.cosignatures.push_back(SignCosignature(audit_, head.head, 2, ""));
  QuorumReport report;
  ExpectError(CheckWitnessQuorum(head, Policy(2), &report), StatusCode::kCorruption,
              {"1 valid co-signature of the 2 needed", "ignored 1 co-signature by a key not in the policy (key id " +
                                                           Hex(operator_key_.public_key().key_id()) + ")"});
  EXPECT_EQ(report.unknown_key_ids, std::vector<std::string>{Hex(operator_key_.public_key().key_id())});
  // With a quorum of one the known co-signature suffices; the unknown one is still reported.
  EXPECT_TRUE(CheckWitnessQuorum(head, Policy(1), &report).ok());
  EXPECT_EQ(report.unknown_key_ids.size(), 1u);
}

TEST_F(PolicyTest, InvalidCosignaturesAreReportedAndNotCounted) {
  CosignedHead head{HeadOf(20), {}};
  head.cosignatures.push_back(SignCosignature(audit_, head.head, 1, ""));
  // The finance bureau's co-signature of another head, pasted into this one.
  head.cosignatures.push_back(SignCosignature(finance_, HeadOf(19), 2, ""));
  QuorumReport report;
  ExpectError(CheckWitnessQuorum(head, Policy(2), &report), StatusCode::kCorruption,
              {"1 valid co-signature of the 2 needed", "missing 财政局 finance bureau",
               "invalid: cosignatures[1] (财政局 finance bureau): the co-signature does not verify"});
  EXPECT_EQ(report.invalid.size(), 1u);
  // A valid co-signature by the same witness makes up for it.
  head.cosignatures.push_back(SignCosignature(finance_, head.head, 3, ""));
  EXPECT_TRUE(CheckWitnessQuorum(head, Policy(2), &report).ok());
  EXPECT_EQ(report.invalid.size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// Consistency-proof files.

using ProofFileTest = WitnessFixture;

TEST_F(ProofFileTest, RoundTripAndVerify) {
  ConsistencyProofFile proof = ProofOf(tree_, 7, 20);
  json written = json::parse(ConsistencyProofToJson(proof).dump());
  EXPECT_EQ(written["format"], "fundtrail-consistency-proof-1");
  EXPECT_EQ(written["ledger_id"], "00112233445566778899aabbccddeeff");
  EXPECT_EQ(written["old_size"], 7);
  EXPECT_EQ(written["new_size"], 20);
  EXPECT_EQ(written["hashes"].size(), ConsistencyProofSize(7, 20));
  auto read = ConsistencyProofFromJson(written);
  ASSERT_TRUE(read.has_value()) << read.error().message();
  EXPECT_EQ(read->ledger_id, proof.ledger_id);
  EXPECT_EQ(read->old_root, proof.old_root);
  EXPECT_EQ(read->new_root, proof.new_root);
  EXPECT_EQ(read->hashes, proof.hashes);
  EXPECT_TRUE(VerifyConsistencyProofFile(*read).ok());
  // Every hash damaged, and a hash missing, fail.
  for (size_t i = 0; i < proof.hashes.size(); ++i) {
    ConsistencyProofFile bad = proof;
    bad.hashes[i][i % 32] ^= 1;
    EXPECT_EQ(VerifyConsistencyProofFile(bad).code(), StatusCode::kCorruption) << i;
  }
  ConsistencyProofFile short_proof = proof;
  short_proof.hashes.pop_back();
  ExpectError(VerifyConsistencyProofFile(short_proof), StatusCode::kCorruption, {"wrong proof size"});
}

TEST_F(ProofFileTest, ParsingErrorsNameTheField) {
  const json good = json::parse(ConsistencyProofToJson(ProofOf(tree_, 7, 20)).dump());
  struct Case {
    std::function<void(json&)> damage;
    std::string needle;
  };
  std::vector<Case> cases = {
      {[](json& j) { j["format"] = "fundtrail-consistency-proof-2"; },
       "field \"format\" is \"fundtrail-consistency-proof-2\", want \"fundtrail-consistency-proof-1\""},
      {[](json& j) { j.erase("ledger_id"); }, "consistency proof: field \"ledger_id\" is missing"},
      {[](json& j) { j["old_size"] = 21; }, "field \"old_size\" 21 is greater than new_size 20"},
      {[](json& j) { j["new_size"] = 2.5; }, "field \"new_size\" must be a whole number"},
      {[](json& j) { j["new_root"] = "00"; }, "field \"new_root\" must be 64 hex digits"},
      {[](json& j) { j["hashes"][2] = 3; }, "field \"hashes\" [2] must be 64 hex digits"},
      {[](json& j) {
         j["hashes"] = json::array();
         for (int i = 0; i < 127; ++i) j["hashes"].push_back(j["old_root"]);
       },
       "has 127 entries, a proof has at most 126"},
      {[](json& j) { j["proof"] = json::array(); }, "unknown field \"proof\""},
  };
  for (const auto& [damage, needle] : cases) {
    json bad = good;
    damage(bad);
    auto read = ConsistencyProofFromJson(bad);
    ASSERT_FALSE(read.has_value()) << needle;
    ExpectError(read.error(), StatusCode::kInvalidArgument, {needle});
  }
}

// ---------------------------------------------------------------------------------------------
// JSON files.

TEST(JsonFileTest, WriteFileAtomicallyReplacesAndLeavesNoTemporaryFile) {
  test::TempDir dir;
  std::string path = dir.File("state.json");
  ASSERT_TRUE(WriteFileAtomically(path, "first\n").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "second\n").ok());
  EXPECT_EQ(ReadText(path), "second\n");
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0644u);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
  ExpectError(WriteFileAtomically(dir.File("no/such/dir/file"), "x"), StatusCode::kIoError, {"cannot create"});
}

// ---------------------------------------------------------------------------------------------
// The witness.

class WitnessTest : public WitnessFixture {
 protected:
  std::unique_ptr<Witness> OpenWitness(const PrivateKey& key) {
    auto witness = Witness::Open(state_.path() + "/audit", key, &clock_);
    EXPECT_TRUE(witness.has_value()) << witness.error().message();
    return witness ? std::move(*witness) : nullptr;
  }
  std::string StateFile() { return state_.path() + "/audit/" + Hex(ledger_id_) + ".json"; }

  test::TempDir state_;
};

TEST_F(WitnessTest, FirstUseThenSameTreeThenExtension) {
  auto witness = OpenWitness(audit_);
  ASSERT_NE(witness, nullptr);
  EXPECT_FALSE(witness->LastCosigned(ledger_id_)->has_value());

  // Trust on first use: only the operator signature is checked.
  CosignedHead first{HeadOf(7), {}};
  auto outcome = witness->Cosign(&first, &operator_key_.public_key(), nullptr, "审计署 audit office");
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message();
  EXPECT_EQ(outcome->basis, CosignBasis::kFirstUse);
  EXPECT_FALSE(outcome->previous.has_value());
  ASSERT_EQ(first.cosignatures.size(), 1u);
  EXPECT_EQ(first.cosignatures[0].witness_name, "审计署 audit office");
  EXPECT_TRUE(VerifyCosignature(first.head, first.cosignatures[0], audit_.public_key()).ok());
  auto state = witness->LastCosigned(ledger_id_);
  ASSERT_TRUE(state.has_value() && state->has_value());
  EXPECT_EQ((*state)->head.tree_size, 7u);
  EXPECT_EQ((*state)->operator_public_key, operator_key_.public_key().raw());
  EXPECT_EQ((*state)->witness_key_id, audit_.public_key().key_id());
  EXPECT_EQ((*state)->cosigned_at_micros, first.cosignatures[0].timestamp_micros);

  // The same tree, re-signed later by the operator: no proof needed; the operator key is pinned.
  CosignedHead again{HeadOf(tree_, 7, 1764331300000000), {}};
  outcome = witness->Cosign(&again, nullptr, nullptr, "");
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message();
  EXPECT_EQ(outcome->basis, CosignBasis::kSameTree);

  // A larger tree with a proof from the last co-signed size.
  CosignedHead grown{HeadOf(20), {SignCosignature(finance_, HeadOf(20), 5, "")}};
  ConsistencyProofFile proof = ProofOf(tree_, 7, 20);
  outcome = witness->Cosign(&grown, nullptr, &proof, "");
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message();
  EXPECT_EQ(outcome->basis, CosignBasis::kConsistencyProof);
  ASSERT_TRUE(outcome->previous.has_value());
  EXPECT_EQ(outcome->previous->head.tree_size, 7u);
  ASSERT_EQ(grown.cosignatures.size(), 2u) << "the finance bureau's co-signature is kept";
  EXPECT_TRUE(CheckWitnessQuorum(grown, Policy(2)).ok());
  EXPECT_EQ((*witness->LastCosigned(ledger_id_))->head.tree_size, 20u);

  // Co-signing the same head file again keeps the co-signature it has.
  CosignedHead copy = grown;
  outcome = witness->Cosign(&copy, nullptr, nullptr, "");
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message();
  EXPECT_TRUE(outcome->already_cosigned);
  ASSERT_EQ(copy.cosignatures.size(), 2u);
  EXPECT_EQ(copy.cosignatures[1].signature, grown.cosignatures[1].signature);
}

TEST_F(WitnessTest, SplitViewIsReportedWithEvidenceAndStateUnchanged) {
  auto witness = OpenWitness(audit_);
  ASSERT_NE(witness, nullptr);
  CosignedHead genuine{HeadOf(20), {}};
  ASSERT_TRUE(witness->Cosign(&genuine, &operator_key_.public_key(), nullptr, "").has_value());
  std::string state_before = ReadText(StateFile());

  // The operator shows someone else a different log of the same size, and signs its head.
  MemoryMerkleNodeStore other_nodes;
  MerkleTreeWriter other(&other_nodes, 0);
  Grow(&other, 20, "forked");
  CosignedHead forked{HeadOf(other, 20), {}};
  auto outcome = witness->Cosign(&forked, nullptr, nullptr, "");
  ASSERT_FALSE(outcome.has_value());
  std::string evidence_path = state_.path() + "/audit/" + Hex(ledger_id_) + ".split-view-20-" +
                              Hex(forked.head.root_hash).substr(0, 16) + ".json";
  ExpectError(outcome.error(), StatusCode::kCorruption,
              {"split view: two different heads of size 20 of ledger " + Hex(ledger_id_),
               "root " + Hex(genuine.head.root_hash) + " (co-signed at ", "and root " + Hex(forked.head.root_hash),
               "evidence saved to " + evidence_path, "not co-signed"});
  EXPECT_TRUE(forked.cosignatures.empty());
  EXPECT_EQ(ReadText(StateFile()), state_before);

  // The evidence: both heads, each verifiable with the operator key.
  json evidence = json::parse(ReadText(evidence_path));
  EXPECT_EQ(evidence["format"], "fundtrail-split-view-1");
  EXPECT_EQ(evidence["tree_size"], 20);
  EXPECT_EQ(evidence["operator_public_key"], Hex(operator_key_.public_key().raw()));
  ASSERT_EQ(evidence["heads"].size(), 2u);
  for (const auto& head_json : evidence["heads"]) {
    auto head = TreeHeadFromJson(head_json);
    ASSERT_TRUE(head.has_value());
    EXPECT_TRUE(VerifyTreeHeadSignature(*head, operator_key_.public_key()).ok());
  }
  EXPECT_NE(evidence["heads"][0]["root_hash"], evidence["heads"][1]["root_hash"]);

  // The same root with another chain hash is a split view too.
  CosignedHead other_chain{genuine.head, {}};
  other_chain.head.chain_hash[0] ^= 1;
  SignTreeHead(operator_key_, &other_chain.head);
  ExpectError(witness->Cosign(&other_chain, nullptr, nullptr, "").error(), StatusCode::kCorruption,
              {"split view", "the same root but chain hash"});
  EXPECT_EQ(ReadText(StateFile()), state_before);
}

TEST_F(WitnessTest, RewrittenHistoryIsRefused) {
  auto witness = OpenWitness(audit_);
  ASSERT_NE(witness, nullptr);
  CosignedHead genuine{HeadOf(7), {}};
  ASSERT_TRUE(witness->Cosign(&genuine, &operator_key_.public_key(), nullptr, "").has_value());
  std::string state_before = ReadText(StateFile());

  // A log that differs from entry 5 on, grown to 20, with an honest proof of *its own* history.
  MemoryMerkleNodeStore rewritten_nodes;
  MerkleTreeWriter rewritten(&rewritten_nodes, 0);
  Grow(&rewritten, 4, "genuine");
  Grow(&rewritten, 20, "rewritten");
  CosignedHead head{HeadOf(rewritten, 20), {}};
  ConsistencyProofFile proof = ProofOf(rewritten, 7, 20);
  ExpectError(witness->Cosign(&head, nullptr, &proof, "").error(), StatusCode::kCorruption,
              {"the head (size 20, root " + Hex(head.head.root_hash) +
                   ") is not consistent with the last head this "
                   "witness co-signed (size 7, root " +
                   Hex(genuine.head.root_hash),
               "the proof's old root is " + Hex(proof.old_root), "history was rewritten"});
  // The same proof claiming the genuine old root still does not verify.
  proof.old_root = genuine.head.root_hash;
  ExpectError(witness->Cosign(&head, nullptr, &proof, "").error(), StatusCode::kCorruption,
              {"is not consistent with the last head this witness co-signed", "calculated old root"});
  // A genuine proof whose new root is not this head's.
  ConsistencyProofFile genuine_proof = ProofOf(tree_, 7, 20);
  ExpectError(witness->Cosign(&head, nullptr, &genuine_proof, "").error(), StatusCode::kCorruption,
              {"the proof's new root is " + Hex(*tree_.Root(20)), "made from another log"});
  EXPECT_TRUE(head.cosignatures.empty());
  EXPECT_EQ(ReadText(StateFile()), state_before);
}

TEST_F(WitnessTest, RefusalsThatNameTheFix) {
  auto witness = OpenWitness(audit_);
  ASSERT_NE(witness, nullptr);
  CosignedHead head7{HeadOf(7), {}};
  // No state and no operator key.
  ExpectError(witness->Cosign(&head7, nullptr, nullptr, "").error(), StatusCode::kInvalidArgument,
              {"has not co-signed ledger " + Hex(ledger_id_) + " before", "--operator-key", "--ledger"});
  // The witness key as the operator key.
  ExpectError(witness->Cosign(&head7, &audit_.public_key(), nullptr, "").error(), StatusCode::kInvalidArgument,
              {"the witness key is the ledger's operator key"});
  // A head signed by another key, an altered head, an unsigned head.
  CosignedHead foreign{HeadOf(7), {}};
  SignTreeHead(finance_, &foreign.head);
  ExpectError(witness->Cosign(&foreign, &operator_key_.public_key(), nullptr, "").error(), StatusCode::kCorruption,
              {"head: the head is signed by key " + Hex(finance_.public_key().key_id())});
  CosignedHead altered{HeadOf(7), {}};
  altered.head.tree_size = 8;
  ExpectError(witness->Cosign(&altered, &operator_key_.public_key(), nullptr, "").error(), StatusCode::kCorruption,
              {"signature does not verify"});
  CosignedHead unsigned_head{HeadOf(7), {}};
  unsigned_head.head.signature.clear();
  unsigned_head.head.key_id.clear();
  ExpectError(witness->Cosign(&unsigned_head, &operator_key_.public_key(), nullptr, "").error(),
              StatusCode::kInvalidArgument, {"the head is not signed", "fundtrail head --sign-key"});
  EXPECT_FALSE(witness->LastCosigned(ledger_id_)->has_value()) << "nothing was recorded";

  ASSERT_TRUE(witness->Cosign(&head7, &operator_key_.public_key(), nullptr, "").has_value());
  // Another operator key than the pinned one.
  CosignedHead head20{HeadOf(20), {}};
  ExpectError(witness->Cosign(&head20, &finance_.public_key(), nullptr, "").error(), StatusCode::kInvalidArgument,
              {"is not the operator key of ledger", "pinned"});
  // A larger head without a proof, with a proof between other sizes, for another ledger.
  ExpectError(witness->Cosign(&head20, nullptr, nullptr, "").error(), StatusCode::kInvalidArgument,
              {"a consistency proof from size 7 (the last head this witness co-signed) to size 20 (this head) is "
               "needed: pass --proof FILE",
               "--ledger DIR"});
  ConsistencyProofFile wrong_sizes = ProofOf(tree_, 6, 20);
  ExpectError(witness->Cosign(&head20, nullptr, &wrong_sizes, "").error(), StatusCode::kInvalidArgument,
              {"the consistency proof goes from size 6 to size 20; the witness needs one from size 7"});
  ConsistencyProofFile other_ledger = ProofOf(tree_, 7, 20);
  other_ledger.ledger_id[0] ^= 1;
  ExpectError(witness->Cosign(&head20, nullptr, &other_ledger, "").error(), StatusCode::kInvalidArgument,
              {"the consistency proof is for ledger"});
  // A smaller head than the last co-signed one.
  CosignedHead head5{HeadOf(5), {}};
  ExpectError(witness->Cosign(&head5, nullptr, nullptr, "").error(), StatusCode::kInvalidArgument,
              {"the head has size 5, smaller than the last head this witness co-signed (size 7",
               "a witness co-signs only heads that extend it"});
  EXPECT_EQ((*witness->LastCosigned(ledger_id_))->head.tree_size, 7u);
}

TEST_F(WitnessTest, StateBelongsToOneWitnessAndOneProcess) {
  {
    auto witness = OpenWitness(audit_);
    ASSERT_NE(witness, nullptr);
    // A second process (here: a second open) cannot use the directory at the same time.
    auto second = Witness::Open(state_.path() + "/audit", audit_, &clock_);
    ASSERT_FALSE(second.has_value());
    ExpectError(second.error(), StatusCode::kBusy, {"is in use by another fundtrail witness process"});
    CosignedHead head{HeadOf(7), {}};
    ASSERT_TRUE(witness->Cosign(&head, &operator_key_.public_key(), nullptr, "").has_value());
  }
  // Another witness's key with this state directory.
  auto finance = OpenWitness(finance_);
  ASSERT_NE(finance, nullptr);
  CosignedHead head{HeadOf(7), {}};
  ExpectError(finance->Cosign(&head, &operator_key_.public_key(), nullptr, "").error(), StatusCode::kInvalidArgument,
              {"belongs to witness key " + Hex(audit_.public_key().key_id())});
  finance.reset();

  // A damaged state file is an error, never a reason to trust on first use again.
  WriteText(StateFile(), "{\"format\": \"fundtrail-witness-state-1\"}");
  auto witness = OpenWitness(audit_);
  ASSERT_NE(witness, nullptr);
  auto last = witness->LastCosigned(ledger_id_);
  ASSERT_FALSE(last.has_value());
  ExpectError(last.error(), StatusCode::kCorruption, {StateFile(), "field \"ledger_id\" is missing"});
  ExpectError(witness->Cosign(&head, &operator_key_.public_key(), nullptr, "").error(), StatusCode::kCorruption,
              {StateFile()});
}

TEST_F(WitnessTest, StateFileRoundTrip) {
  WitnessState state;
  state.operator_public_key = operator_key_.public_key().raw();
  state.witness_key_id = audit_.public_key().key_id();
  state.head = HeadOf(20);
  state.cosigned_at_micros = 1764331260000000;
  json written = json::parse(WitnessStateToJson(state).dump());
  EXPECT_EQ(written["format"], "fundtrail-witness-state-1");
  EXPECT_EQ(written["ledger_id"], Hex(ledger_id_));
  EXPECT_EQ(written["cosigned_time"], "2025-11-28T12:01:00.000000Z");
  auto read = WitnessStateFromJson(written);
  ASSERT_TRUE(read.has_value()) << read.error().message();
  EXPECT_EQ(read->head.root_hash, state.head.root_hash);
  EXPECT_EQ(read->head.signature, state.head.signature);
  EXPECT_EQ(read->operator_public_key, state.operator_public_key);
  written["head"]["ledger_id"] = "ffeeddccbbaa99887766554433221100";
  ExpectError(WitnessStateFromJson(written).error(), StatusCode::kInvalidArgument,
              {"field \"head\" is for another ledger"});
}

}  // namespace
}  // namespace fundtrail
