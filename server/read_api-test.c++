#include "server/read_api.h"

#include <gtest/gtest.h>

#include <set>

#include "ledger/export.h"
#include "ledger/merkle.h"
#include "ledger/proof_file.h"
#include "projections/random_ledger.h"

namespace fundtrail::server {
namespace {

using projections::RandomLedger;

TEST(ParseTargetTest, DecodesPathAndQuery) {
  auto request = ParseTarget("/v1/flags/TP-1%2F8?rule=TP-1&subject=org%3AUNI&x=a+b");
  ASSERT_TRUE(request.has_value()) << request.error().message();
  EXPECT_EQ(request->path, "/v1/flags/TP-1/8");
  EXPECT_EQ(request->query.at("rule"), "TP-1");
  EXPECT_EQ(request->query.at("subject"), "org:UNI");
  EXPECT_EQ(request->query.at("x"), "a b");
}

TEST(ParseTargetTest, RefusesTraversalBadEscapesNulAndRepeats) {
  for (const char* target : {"/v1/views/../../etc/passwd", "/v1/%2e%2e/x", "/v1/./views", "/v1/views/%", "/v1/x%4",
                             "/v1/x%zz", "/v1/x%00", "/v1/log?limit=1&limit=2", "v1/log", "/v1/log?a=%00"}) {
    auto request = ParseTarget(target);
    EXPECT_FALSE(request.has_value()) << target;
  }
}

// A ledger of two members spending on shared grants, read by keys of each scope.
class ReadApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto made = RandomLedger::Make(17, directory_);
    ASSERT_TRUE(made.has_value()) << made.error().message();
    random_ = std::move(*made);
    for (int batch = 0; batch < 12; ++batch) ASSERT_TRUE(random_->AppendRandomBatch().ok());
    auto head = CurrentTreeHead(ledger(), 0);
    ASSERT_TRUE(head.has_value());
    published_ = *head;
  }
  const Ledger& ledger() { return random_->ledger(); }
  Caller CallerOf(const PrivateKey& key) {
    auto caller = CallerOfKey(ledger().state(), test::KeyIdHex(key));
    EXPECT_TRUE(caller.has_value());
    return *caller;
  }
  Answer Get(const std::string& target, const Caller& caller) {
    auto request = ParseTarget(target);
    EXPECT_TRUE(request.has_value()) << target;
    return AnswerRead(*request, caller, ledger(), published_, 20000);
  }
  static nlohmann::json Body(const Answer& answer) { return nlohmann::json::parse(answer.body); }

  test::TempDir directory_;
  std::unique_ptr<RandomLedger> random_;
  TreeHead published_;
};

TEST_F(ReadApiTest, MemberKeySeesItsOwnRowsOfTheMembersView) {
  Caller auditor = CallerOf(random_->alliance().auditor);
  Caller university = CallerOf(random_->alliance().finance_uni);
  std::set<std::string> all, own;
  const nlohmann::json everything = Body(Get("/v1/views/members", auditor));
  const nlohmann::json own_rows = Body(Get("/v1/views/members", university));
  for (const auto& row : everything["rows"]) all.insert(row["org_id"].get<std::string>());
  for (const auto& row : own_rows["rows"]) own.insert(row["org_id"].get<std::string>());
  EXPECT_TRUE(all.contains(test::kEnterprise));
  EXPECT_TRUE(all.contains(test::kUniversity));
  EXPECT_EQ(own, std::set<std::string>{test::kUniversity});
  // The CSV rows too: the header and the university's rows only.
  Answer csv = Get("/v1/views/members?format=csv", university);
  EXPECT_EQ(csv.content_type, "text/csv; charset=utf-8");
  EXPECT_TRUE(csv.body.starts_with("\xEF\xBB\xBFmember,name,"));
  EXPECT_EQ(csv.body.find(test::kEnterprise), std::string::npos);
  EXPECT_NE(csv.body.find(test::kUniversity), std::string::npos);
}

TEST_F(ReadApiTest, MemberKeyIsRefusedAnotherMembersRows) {
  Caller university = CallerOf(random_->alliance().finance_uni);
  Answer other = Get(std::string("/v1/members/") + test::kEnterprise, university);
  EXPECT_EQ(other.status, 403u);
  EXPECT_EQ(Body(other)["error"]["code"], "forbidden");
  EXPECT_EQ(Get(std::string("/v1/members/") + test::kEnterprise + "/history", university).status, 403u);
  EXPECT_EQ(Get("/v1/grants/G-1/history", university).status, 403u);
  EXPECT_EQ(Get(std::string("/v1/flags?member=") + test::kEnterprise, university).status, 403u);
  EXPECT_EQ(Get(std::string("/v1/members/") + test::kUniversity, university).status, 200u);
  // The grant's alliance-level figures, with the university's share only.
  nlohmann::json grant = Body(Get("/v1/grants/G-1", university));
  EXPECT_EQ(grant["grant"]["grant_id"], "G-1");
  for (const auto& member : grant["members"]) EXPECT_EQ(member["org_id"], test::kUniversity);
  Caller regulator = CallerOf(random_->alliance().regulator);
  EXPECT_EQ(Get(std::string("/v1/members/") + test::kEnterprise, regulator).status, 200u);
}

TEST_F(ReadApiTest, MemberKeySeesOnlyFlagsTouchingItsOrganisation) {
  Caller auditor = CallerOf(random_->alliance().auditor);
  Caller university = CallerOf(random_->alliance().finance_uni);
  const nlohmann::json flags = Body(Get("/v1/flags", university));
  for (const auto& flag : flags["flags"]) {
    auto touches = flag["touches"].get<std::vector<std::string>>();
    EXPECT_NE(std::find(touches.begin(), touches.end(), std::string("org:") + test::kUniversity), touches.end());
  }
  EXPECT_GE(Body(Get("/v1/flags", auditor))["count"], Body(Get("/v1/flags", university))["count"]);
}

TEST_F(ReadApiTest, FlagExplanationsInTheLanguageAsked) {
  Caller auditor = CallerOf(random_->alliance().auditor);
  const nlohmann::json english = Body(Get("/v1/flags", auditor));
  const nlohmann::json chinese = Body(Get("/v1/flags?lang=zh", auditor));
  ASSERT_GT(english["count"].get<size_t>(), 0u);
  ASSERT_EQ(chinese["count"], english["count"]);
  EXPECT_EQ(Body(Get("/v1/flags?lang=en", auditor)), english);
  for (size_t i = 0; i < english["flags"].size(); ++i) {
    const nlohmann::json& flag = chinese["flags"][i];
    EXPECT_EQ(flag["id"], english["flags"][i]["id"]);
    EXPECT_NE(flag["explanation"], english["flags"][i]["explanation"]) << flag.dump();
    const std::string id = flag["id"];
    nlohmann::json one = Body(Get("/v1/flags/" + id + "?lang=zh", auditor));
    EXPECT_EQ(one["flag"]["explanation"], flag["explanation"]) << id;
  }
  Answer bad = Get("/v1/flags?lang=fr", auditor);
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(Body(bad)["error"]["message"], "lang=fr: use zh or en");
}

TEST_F(ReadApiTest, BadParametersAre400) {
  Caller auditor = CallerOf(random_->alliance().auditor);
  for (const char* target : {"/v1/views/grants?as_of_seq=abc", "/v1/views/grants?as_of_seq=99999999",
                             "/v1/views/grants?as_of_seq=-1", "/v1/views/grants?format=xml",
                             "/v1/views/grants?as_of_seq=99999999999999999999", "/v1/log?cursor=%2B3",
                             "/v1/views/grants?colour=red", "/v1/grants/G-1/history?limit=100000",
                             "/v1/grants/G-1/history?limit=0", "/v1/proofs/inclusion?seq=0",
                             "/v1/proofs/inclusion?seq=99999999999999999999999", "/v1/proofs/consistency?from=x",
                             "/v1/flags?severity=fatal", "/v1/views/grants?as_of_date=2025-13-01"}) {
    Answer answer = Get(target, auditor);
    EXPECT_EQ(answer.status, 400u) << target << ": " << answer.body;
    EXPECT_EQ(Body(answer)["error"]["code"], "bad_parameter") << target;
  }
  EXPECT_EQ(Get("/v1/views/nothing", auditor).status, 404u);
  EXPECT_EQ(Get("/v1/grants/G-404", auditor).status, 404u);
}

TEST_F(ReadApiTest, ProofsVerify) {
  Caller auditor = CallerOf(random_->alliance().auditor);
  const uint64_t size = published_.tree_size;
  nlohmann::json inclusion = Body(Get("/v1/proofs/inclusion?seq=3&tree_size=" + std::to_string(size), auditor));
  EXPECT_EQ(inclusion["root"], HexEncode(published_.root_hash));
  EXPECT_EQ(inclusion["sequence"], 3);
  auto digest = [](const nlohmann::json& hex) {
    Digest digest{};
    std::string raw = test::Unhex(hex.get<std::string>());
    std::copy(raw.begin(), raw.end(), digest.begin());
    return digest;
  };
  std::vector<Digest> path;
  for (const auto& hash : inclusion["hashes"]) path.push_back(digest(hash));
  EXPECT_TRUE(VerifyInclusion(digest(inclusion["leaf_hash"]), 2, size, path, published_.root_hash).ok());
  nlohmann::json consistency = Body(Get("/v1/proofs/consistency?from=2", auditor));
  auto proof = ConsistencyProofFromJson(consistency);
  ASSERT_TRUE(proof.has_value()) << proof.error().message();
  EXPECT_TRUE(VerifyConsistencyProofFile(*proof).ok());
  EXPECT_EQ(proof->new_size, size);
}

}  // namespace
}  // namespace fundtrail::server
