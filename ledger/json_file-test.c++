// Hostile input to every JSON and proof reader (ledger/json_file.h and the readers built on it:
// tree heads, co-signed heads, witness policies, consistency proofs, inclusion proofs, bundles,
// and the JSON Lines of `fundtrail append`): oversized numbers (10^400), negative and fractional
// sizes, directories given as files, huge arrays, deep nesting and duplicate keys are refused
// with an error that names the problem, never an abort.
#include "ledger/json_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "ledger/bundle.h"
#include "ledger/client.h"
#include "ledger/evidence.h"
#include "ledger/proof_file.h"
#include "ledger/test_util.h"
#include "ledger/tree_head.h"
#include "ledger/witness.h"

namespace fundtrail {
namespace {

using nlohmann::json;

void ExpectError(const Status& status, StatusCode code, const std::vector<std::string>& needles) {
  EXPECT_EQ(status.code(), code) << status.message();
  for (const auto& needle : needles) {
    EXPECT_NE(status.message().find(needle), std::string::npos) << status.message() << "\nlacks: " << needle;
  }
}

template <typename T>
void ExpectRefused(const Result<T>& result, StatusCode code, const std::vector<std::string>& needles) {
  ASSERT_FALSE(result.has_value()) << "accepted; expected: " << (needles.empty() ? "" : needles.front());
  ExpectError(result.error(), code, needles);
}

// 1 followed by 400 zeros: a whole number far beyond uint64 and beyond a double.
const std::string kHuge = "1" + std::string(400, '0');

class HostileJsonTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& content) {
    std::string path = dir_ / name;
    std::ofstream(path) << content;
    return path;
  }
  // A valid signed head as JSON text, with `field` replaced by the raw JSON text `value`.
  std::string HeadWith(const std::string& field, const std::string& value) const {
    TreeHead head;
    head.ledger_id = std::string(16, '\x01');
    head.tree_size = 4;
    head.timestamp_micros = 1764331200000000;
    SignTreeHead(key_, &head);
    json object = json::parse(TreeHeadToJson(head).dump());
    object[field] = "@@";
    std::string text = object.dump();
    text.replace(text.find("\"@@\""), 4, value);
    return text;
  }

  test::TempDir dir_;
  PrivateKey key_ = test::KeyFromSeed(test::SeedFromLabel("hostile"), dir_ / "key.pem");
};

TEST_F(HostileJsonTest, ParseJsonRefusesDuplicateKeysAtAnyDepth) {
  auto top = ParseJson(R"({"a": 1, "b": 2, "a": 3})", "x.json");
  ExpectRefused(top, StatusCode::kInvalidArgument, {"x.json: key \"a\" appears twice in one object"});
  auto nested = ParseJson(R"({"list": [{"k": 1}, {"k": 2, "k": 2}]})", "y.json");
  ExpectRefused(nested, StatusCode::kInvalidArgument, {"key \"k\" appears twice"});
  // The same key in different objects is fine.
  auto fine = ParseJson(R"({"k": {"k": 1}, "list": [{"k": 1}, {"k": 2}]})", "z.json");
  ASSERT_TRUE(fine.has_value()) << fine.error().message();
  EXPECT_EQ((*fine)["list"][1]["k"], 2);
}

TEST_F(HostileJsonTest, ParseJsonRefusesNumbersBeyondADoubleAndDeepNesting) {
  for (const std::string& number : {kHuge, std::string("1e400"), std::string("-1e400")}) {
    SCOPED_TRACE(number);
    ExpectRefused(ParseJson("{\"n\": " + number + "}", "n.json"), StatusCode::kInvalidArgument,
                  {"n.json is not JSON: number overflow"});
  }
  std::string deep = std::string(kJsonDepthMax + 5, '[') + std::string(kJsonDepthMax + 5, ']');
  ExpectRefused(ParseJson(deep, "deep.json"), StatusCode::kInvalidArgument,
                {"deep.json: arrays and objects nest more than " + std::to_string(kJsonDepthMax) + " deep"});
  std::string shallow = std::string(kJsonDepthMax - 1, '[') + std::string(kJsonDepthMax - 1, ']');
  EXPECT_TRUE(ParseJson(shallow, "ok.json").has_value());
  ExpectRefused(ParseJson("{\"a\": ", "cut.json"), StatusCode::kInvalidArgument, {"cut.json is not JSON: parse error"});
}

TEST_F(HostileJsonTest, FilesThatAreDirectoriesOrTooLargeAreRefused) {
  std::filesystem::create_directory(dir_ / "a-directory");
  ExpectRefused(ReadJsonFile(dir_ / "a-directory", "head file"), StatusCode::kInvalidArgument,
                {"head file " + dir_ / "a-directory" + " is a directory, not a file"});
  ExpectRefused(ReadJsonFile(dir_ / "missing.json", "head file"), StatusCode::kNotFound,
                {"cannot open head file " + dir_ / "missing.json"});
  std::string big = Write("big.json", std::string(100, ' ') + "{}");
  ExpectRefused(CheckRegularFile(big, "witness policy file", 64), StatusCode::kInvalidArgument,
                {"is 102 bytes, more than the 64 a witness policy file may have"});
  EXPECT_EQ(CheckRegularFile(big, "witness policy file", 102).value_or(0), 102u);
  // Every reader a verifier uses goes through the same check.
  std::string directory = dir_ / "a-directory";
  ExpectRefused(ReadTreeHeadFile(directory), StatusCode::kInvalidArgument, {"is a directory"});
  ExpectRefused(ReadCosignedHeadFile(directory), StatusCode::kInvalidArgument, {"is a directory"});
  ExpectRefused(ReadWitnessPolicyFile(directory), StatusCode::kInvalidArgument, {"is a directory"});
  ExpectRefused(ReadConsistencyProofFile(directory), StatusCode::kInvalidArgument, {"is a directory"});
  ExpectRefused(VerifyBundle(directory, {}), StatusCode::kInvalidArgument, {"bundle", "is a directory"});
}

TEST_F(HostileJsonTest, AHeadRefusesOversizedNegativeAndFractionalSizes) {
  ASSERT_TRUE(ReadTreeHeadFile(Write("good.json", HeadWith("tree_size", "4"))).has_value());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {kHuge, "number overflow"},
      {"1e400", "number overflow"},
      {"-1", "field \"tree_size\" must be a whole number"},
      {"4.5", "field \"tree_size\" must be a whole number"},
      {"1e30", "field \"tree_size\" must be a whole number"},
      {"\"4\"", "field \"tree_size\" must be a whole number"},
      {"9223372036854775808", "field \"tree_size\" is 9223372036854775808, more than a tree may have"},
  };
  for (const auto& [value, needle] : cases) {
    SCOPED_TRACE(value.substr(0, 20));
    std::string path = Write("head.json", HeadWith("tree_size", value));
    ExpectRefused(ReadTreeHeadFile(path), StatusCode::kInvalidArgument, {needle});
    ExpectRefused(ReadCosignedHeadFile(path), StatusCode::kInvalidArgument, {needle});
  }
  for (const std::string& value : {kHuge, std::string("1.5")}) {
    ExpectRefused(ReadTreeHeadFile(Write("t.json", HeadWith("timestamp", value))), StatusCode::kInvalidArgument,
                  {value == kHuge ? "number overflow" : "field \"timestamp\" must be a whole number"});
  }
}

TEST_F(HostileJsonTest, AHeadWithADuplicateKeyIsRefused) {
  std::string text = HeadWith("tree_size", "4");
  text.insert(1, "\"tree_size\": 3, ");
  ExpectRefused(ReadTreeHeadFile(Write("dup.json", text)), StatusCode::kInvalidArgument,
                {"key \"tree_size\" appears twice"});
  std::string signature = HeadWith("tree_size", "4");
  signature.insert(1, "\"signature\": \"" + std::string(128, '0') + "\", ");
  ExpectRefused(ReadCosignedHeadFile(Write("dup2.json", signature)), StatusCode::kInvalidArgument,
                {"key \"signature\" appears twice"});
}

TEST_F(HostileJsonTest, AWitnessPolicyRefusesOversizedNegativeAndFractionalQuorums) {
  std::string witness = R"({"name": "audit", "public_key": ")" + test::Hex(key_.public_key().raw()) + R"("})";
  auto policy = [&](const std::string& quorum) {
    return Write("policy.json", "{\"quorum\": " + quorum + ", \"witnesses\": [" + witness + "]}");
  };
  ASSERT_TRUE(ReadWitnessPolicyFile(policy("1")).has_value());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {kHuge, "number overflow"},
      {"1e400", "number overflow"},
      {"-1", "field \"quorum\" must be a whole number >= 0"},
      {"0.5", "field \"quorum\" must be a whole number >= 0"},
      {"18446744073709551615", "field \"quorum\" is 18446744073709551615, it must be from 1 to the 1"},
  };
  for (const auto& [quorum, needle] : cases) {
    SCOPED_TRACE(quorum.substr(0, 20));
    ExpectRefused(ReadWitnessPolicyFile(policy(quorum)), StatusCode::kInvalidArgument, {needle});
  }
  std::string huge_array = "{\"quorum\": 1, \"witnesses\": [" + witness;
  for (int i = 0; i < 100000; ++i) huge_array += ", {}";
  huge_array += "]}";
  ExpectRefused(ReadWitnessPolicyFile(Write("many.json", huge_array)), StatusCode::kInvalidArgument,
                {"field \"witnesses\" has 100001 entries, at most 256 are allowed"});
  ExpectRefused(ReadWitnessPolicyFile(Write("dup.json", "{\"quorum\": 1, \"quorum\": 2, \"witnesses\": [" + witness +
                                                            "]}")),
                StatusCode::kInvalidArgument, {"key \"quorum\" appears twice"});
}

TEST_F(HostileJsonTest, AConsistencyProofRefusesOversizedSizesAndHugeArrays) {
  ConsistencyProofFile proof;
  proof.ledger_id = std::string(16, '\x01');
  proof.old_size = 1;
  proof.new_size = 2;
  proof.hashes = {Digest{}};
  json good = ConsistencyProofToJson(proof);
  ASSERT_TRUE(ReadConsistencyProofFile(Write("good.json", good.dump())).has_value());
  for (const auto& [value, needle] : std::vector<std::pair<std::string, std::string>>{
           {kHuge, "number overflow"}, {"-2", "must be a whole number >= 0"}, {"2.5", "must be a whole number >= 0"}}) {
    json damaged = good;
    damaged["new_size"] = "@@";
    std::string text = damaged.dump();
    text.replace(text.find("\"@@\""), 4, value);
    ExpectRefused(ReadConsistencyProofFile(Write("p.json", text)), StatusCode::kInvalidArgument, {needle});
  }
  json many = good;
  many["hashes"] = json::array();
  for (int i = 0; i < 100000; ++i) many["hashes"].push_back(std::string(64, '0'));
  ExpectRefused(ReadConsistencyProofFile(Write("many.json", many.dump())), StatusCode::kInvalidArgument,
                {"field \"hashes\" has 100000 entries, a proof has at most 126"});
}

TEST_F(HostileJsonTest, AnInclusionProofRefusesHugeArrays) {
  TreeHead head;
  head.ledger_id = std::string(16, '\x01');
  head.tree_size = 4;
  SignTreeHead(key_, &head);
  json entry = {{"sequence", uint64_t{1}},
                {"previous_chain_hash", std::string(64, '0')},
                {"submission", "00"},
                {"record", "00"},
                {"inclusion", json::array()}};
  json evidence = {{"format", kInclusionEvidenceFormat},
                   {"head", json::parse(TreeHeadToJson(head).dump())},
                   {"subject", entry},
                   {"signers", json::array()}};
  json long_proof = evidence;
  for (int i = 0; i < 1000; ++i) long_proof["subject"]["inclusion"].push_back(std::string(64, '0'));
  ExpectRefused(InclusionEvidenceFromJson(long_proof), StatusCode::kInvalidArgument,
                {"inclusion proof: subject: field \"inclusion\" has 1000 hashes, an inclusion proof has at most 63"});
  json many_signers = evidence;
  for (size_t i = 0; i <= kInclusionSignerCountMax; ++i) many_signers["signers"].push_back(entry);
  ExpectRefused(InclusionEvidenceFromJson(many_signers), StatusCode::kInvalidArgument,
                {"field \"signers\" has 1025 entries, at most 1024 are allowed"});
  json negative = evidence;
  negative["subject"]["sequence"] = -1;
  ExpectRefused(InclusionEvidenceFromJson(negative), StatusCode::kInvalidArgument,
                {"field \"sequence\" must be a whole number"});
}

// A bundle's header and head records are JSON too: the strict parser reads them, and what it
// refuses is a damaged bundle (Corruption), never an abort.
TEST_F(HostileJsonTest, ABundleHeaderWithADuplicateKeyOrAHugeNumberIsDamaged) {
  auto bundle = [&](const std::string& header) {
    std::string bytes = kBundleMagic;
    bytes += static_cast<char>(BundleRecord::kHeader);
    uint32_t size = static_cast<uint32_t>(header.size());
    for (int shift = 24; shift >= 0; shift -= 8) bytes += static_cast<char>((size >> shift) & 0xff);
    bytes += header;
    return Write("b.bundle", bytes);
  };
  const std::string id = std::string(32, '0');
  ExpectRefused(VerifyBundle(bundle(R"({"format":"fundtrail-bundle-1","format":"x"})"), {}), StatusCode::kCorruption,
                {"record 1", "key \"format\" appears twice"});
  ExpectRefused(VerifyBundle(bundle(R"({"format":"fundtrail-bundle-1","ledger_id":")" + id +
                                    R"(","from_sequence":)" + kHuge + "}"),
                             {}),
                StatusCode::kCorruption, {"number overflow"});
  ExpectRefused(VerifyBundle(bundle(R"({"format":"fundtrail-bundle-1","ledger_id":")" + id +
                                    R"(","from_sequence":-1,"to_sequence":1,"tree_size":1,"exported_at":0})"),
                             {}),
                StatusCode::kCorruption, {"field \"from_sequence\" must be a whole number"});
  ExpectRefused(VerifyBundle(bundle(R"({"format":7,"ledger_id":5})"), {}), StatusCode::kCorruption,
                {"field \"format\" must be \"fundtrail-bundle-1\""});
}

// `fundtrail append` reads JSON Lines: a key twice is an error naming the key and the line, so
// that neither the amount nor the event type can be silently replaced by a second copy.
TEST_F(HostileJsonTest, JsonLinesRefuseDuplicateKeysAndHugeNumbers) {
  json expenditure = test::ExpenditureJson("G-1", "ORG", "V-1", "1.00 CNY");
  std::string line = expenditure.dump();
  std::string twice_amount = line;
  twice_amount.insert(1, "\"amount\": \"9.00 CNY\", ");
  std::string twice_type = line;
  twice_type.insert(1, "\"type\": \"funds_received\", ");
  for (const auto& [text, key] : std::vector<std::pair<std::string, std::string>>{{twice_amount, "amount"},
                                                                                 {twice_type, "type"}}) {
    SCOPED_TRACE(key);
    std::istringstream input(line + "\n" + text + "\n");
    ExpectRefused(ReadJsonLines(input, "batch.jsonl"), StatusCode::kInvalidArgument,
                  {"batch.jsonl: line 2: key \"" + key + "\" appears twice in one object"});
  }
  std::istringstream huge("{\"type\": \"funds_received\", \"amount\": " + kHuge + "}\n");
  ExpectRefused(ReadJsonLines(huge, "batch.jsonl"), StatusCode::kInvalidArgument,
                {"batch.jsonl: line 1: malformed JSON (a number too large to read"});
  std::istringstream fine(line + "\n");
  EXPECT_TRUE(ReadJsonLines(fine, "batch.jsonl").has_value());
}

}  // namespace
}  // namespace fundtrail
