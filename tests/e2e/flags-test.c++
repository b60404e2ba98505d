// End-to-end tests of the misuse rules, the policy and signed tree heads through the binary.
#include <gtest/gtest.h>

#include <set>

#include "tests/testing/cli_harness.h"

namespace fundtrail::testing {
namespace {

class Flags : public ::testing::Test {
 protected:
  void SetUp() override {
    alliance_ = std::make_unique<SampleAlliance>(temp_.path());
    alliance_->Init();
    alliance_->AppendHistory();
    auditor_ = MakeKey(temp_.path(), "auditor");
    alliance_->Append(alliance_->admin, {KeyRegistered(auditor_, SampleAlliance::kSecretariat, {"auditor"})});
  }
  CommandResult Run(std::vector<std::string> args) {
    args.push_back("--ledger");
    args.push_back(alliance_->ledger());
    return Fundtrail(args);
  }
  // Appends a Tsinghua expenditure paid on Saturday 2024-06-15 (AN-6) and returns its sequence.
  uint64_t AppendWeekendPayment() {
    nlohmann::json event = ExpenditureRecorded(SampleAlliance::kGrantBattery, SampleAlliance::kTsinghua,
                                               "materials", "V-LAB", "INV-WEEKEND", "1234.56 CNY");
    event["invoice_date"] = "2024-06-14";
    event["payment_date"] = "2024-06-15";
    return alliance_->Append(alliance_->finance_tsinghua, {event})["first_sequence"].get<uint64_t>();
  }
  TempDir temp_;
  std::unique_ptr<SampleAlliance> alliance_;
  TestKey auditor_;
};

TEST_F(Flags, EvidenceNamesSequencesAndHashesOfTheLog) {
  uint64_t weekend = AppendWeekendPayment();
  CommandResult listed = Run({"flags", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.Describe();
  auto flags = ParseJsonLines(listed.out);
  std::map<uint64_t, std::string> hashes;
  for (const auto& entry : alliance_->Log()) hashes[entry["sequence"].get<uint64_t>()] = entry["hash"];
  bool found = false;
  for (const auto& flag : flags) {
    ASSERT_FALSE(flag["evidence"].empty()) << flag.dump();
    for (const auto& evidence : flag["evidence"]) {
      EXPECT_EQ(evidence["chain_hash"], hashes.at(evidence["sequence"].get<uint64_t>())) << flag.dump();
    }
    EXPECT_FALSE(flag["explanation"].get<std::string>().empty());
    if (flag["rule"] == "AN-6" && flag["evidence"][0]["sequence"] == weekend) {
      found = true;
      EXPECT_NE(flag["explanation"].get<std::string>().find("2024-06-15"), std::string::npos) << flag.dump();
      EXPECT_EQ(flag["severity"], "low");
      EXPECT_EQ(flag["review_status"], "open");
    }
  }
  EXPECT_TRUE(found) << listed.out;
  // Filters and formats.
  CommandResult by_rule = Run({"flags", "--rule", "AN-6", "--json"});
  ASSERT_EQ(by_rule.exit_code, 0);
  for (const auto& flag : ParseJsonLines(by_rule.out)) EXPECT_EQ(flag["rule"], "AN-6");
  CommandResult csv = Run({"flags", "--csv"});
  ASSERT_EQ(csv.exit_code, 0);
  EXPECT_EQ(ParseCsv(csv.out).size(), flags.size() + 1);
  CommandResult table = Run({"flags"});
  ASSERT_EQ(table.exit_code, 0);
  EXPECT_NE(table.out.find("AN-6/" + std::to_string(weekend)), std::string::npos) << table.out;
}

TEST_F(Flags, AsOfAnEarlierSequenceTheFlagDidNotExist) {
  uint64_t weekend = AppendWeekendPayment();
  CommandResult before = Run({"flags", "--rule", "AN-6", "--json", "--as-of-seq", std::to_string(weekend - 1)});
  ASSERT_EQ(before.exit_code, 0) << before.Describe();
  for (const auto& flag : ParseJsonLines(before.out)) EXPECT_NE(flag["evidence"][0]["sequence"], weekend);
  // Reversing the payment removes the flag.
  alliance_->Append(alliance_->finance_tsinghua, {{{"type", "reversal"}, {"target_sequence", weekend}, {"reason", "付款日期录入错误"}}});
  CommandResult after = Run({"flags", "--rule", "AN-6", "--json"});
  ASSERT_EQ(after.exit_code, 0);
  for (const auto& flag : ParseJsonLines(after.out)) EXPECT_NE(flag["evidence"][0]["sequence"], weekend);
}

TEST_F(Flags, AnAuditorRecordsADisposition) {
  uint64_t weekend = AppendWeekendPayment();
  std::string id = "AN-6/" + std::to_string(weekend);
  CommandResult reviewed = Run({"flags", "review", id, "--key", auditor_.path, "--disposition", "false_positive",
                                "--note", "调休工作日，付款合规"});
  ASSERT_EQ(reviewed.exit_code, 0) << reviewed.Describe();
  CommandResult listed = Run({"flags", "--rule", "AN-6", "--json"});
  bool seen = false;
  for (const auto& flag : ParseJsonLines(listed.out)) {
    if (flag["id"] != id) continue;
    seen = true;
    EXPECT_EQ(flag["review_status"], "false_positive");
    ASSERT_EQ(flag["reviews"].size(), 1u);
    EXPECT_EQ(flag["reviews"][0]["note"], "调休工作日，付款合规");
  }
  EXPECT_TRUE(seen);
  // The review is an event too: the audit is audited.
  EXPECT_EQ(alliance_->Log({"--type", "flag_disposition"}).size(), 1u);
  // Only auditors review, only existing flags, only known dispositions.
  CommandResult not_auditor = Run({"flags", "review", id, "--key", alliance_->finance_catl.path, "--disposition",
                                   "confirmed", "--note", "x"});
  EXPECT_EQ(not_auditor.exit_code, 2) << not_auditor.Describe();
  EXPECT_NE(not_auditor.err.find("auditor"), std::string::npos) << not_auditor.err;
  CommandResult unknown = Run({"flags", "review", "AN-6/999999", "--key", auditor_.path, "--disposition",
                               "confirmed", "--note", "x"});
  EXPECT_EQ(unknown.exit_code, 5) << unknown.Describe();
  CommandResult bad = Run({"flags", "review", id, "--key", auditor_.path, "--disposition", "ignored", "--note", "x"});
  EXPECT_EQ(bad.exit_code, 1) << bad.Describe();
}

TEST_F(Flags, PolicyShowAndSet) {
  CommandResult shown = Run({"policy", "show", "--json"});
  ASSERT_EQ(shown.exit_code, 0) << shown.Describe();
  auto policy = nlohmann::json::parse(shown.out);
  EXPECT_EQ(policy["version"], 0);
  EXPECT_EQ(policy["document"]["AN-2"]["window_days"], 7);

  std::string file = alliance_->NewFile(R"({"AN-2": {"window_days": 10}})");
  CommandResult set = Run({"policy", "set", file, "--key", alliance_->admin.path});
  ASSERT_EQ(set.exit_code, 0) << set.Describe();
  policy = nlohmann::json::parse(Run({"policy", "show", "--json"}).out);
  EXPECT_EQ(policy["version"], 1);
  EXPECT_EQ(policy["document"]["AN-2"]["window_days"], 10);
  EXPECT_EQ(policy["document"]["AN-3"], nlohmann::json::parse(shown.out)["document"]["AN-3"]) << "defaults kept";

  std::string typo = alliance_->NewFile(R"({"AN-2": {"window_dayz": 10}})");
  CommandResult rejected = Run({"policy", "set", typo, "--key", alliance_->admin.path});
  EXPECT_EQ(rejected.exit_code, 2) << rejected.Describe();
  EXPECT_NE(rejected.err.find("window_dayz"), std::string::npos) << rejected.err;
  CommandResult not_admin = Run({"policy", "set", file, "--key", alliance_->finance_catl.path});
  EXPECT_EQ(not_admin.exit_code, 2) << not_admin.Describe();
  EXPECT_EQ(nlohmann::json::parse(Run({"policy", "show", "--json"}).out)["version"], 1);
}

TEST_F(Flags, TrustedHeadDetectsARewrittenHistory) {
  std::string head = temp_ / "head.json";
  CommandResult signed_head = Run({"head", "--sign-key", alliance_->operator_key.path, "--out", head});
  ASSERT_EQ(signed_head.exit_code, 0) << signed_head.Describe();
  // The log grows: it still extends the saved head.
  AppendWeekendPayment();
  CommandResult extends = Run({"verify", "--trusted-head", head});
  ASSERT_EQ(extends.exit_code, 0) << extends.Describe();
  EXPECT_NE(extends.out.find("extends the trusted head"), std::string::npos);

  // The operator rewrites history: a ledger with the same genesis and early submissions, then
  // other (validly signed) events, every hash recomputed, tree rebuilt, heads re-signed. It
  // verifies on its own; only the head saved earlier exposes it.
  auto number = [](const std::string& out) { return nlohmann::json::parse(out)["tree_size"].get<uint64_t>(); };
  uint64_t saved_size = number(ReadFile(head));
  std::string rewritten = temp_ / "rewritten";
  CopySubmissions(alliance_->ledger(), rewritten, 3);
  CommandResult appended = Fundtrail({"append", "--ledger", rewritten, "--key", alliance_->admin.path,
                                      alliance_->NewFile(JsonLines({VendorRegistered("V-SHELL", "空壳公司", "TAX-SHELL")}))});
  ASSERT_EQ(appended.exit_code, 0) << appended.Describe();
  for (int i = 0; i < 40 && number(Fundtrail({"head", "--json", "--ledger", rewritten}).out) < saved_size; ++i) {
    Fundtrail({"append", "--ledger", rewritten, "--key", alliance_->admin.path,
               alliance_->NewFile(JsonLines({VendorRegistered("V-S" + std::to_string(i), "空壳" + std::to_string(i), "T" + std::to_string(i))}))});
  }
  ASSERT_EQ(Fundtrail({"verify", "--ledger", rewritten}).exit_code, 0) << "the rewrite is self-consistent";
  CommandResult caught = Fundtrail({"verify", "--ledger", rewritten, "--trusted-head", head});
  EXPECT_EQ(caught.exit_code, 3) << caught.Describe();
  EXPECT_NE(caught.err.find("history was rewritten"), std::string::npos) << caught.err;

  // Truncation is caught too: a copy of fewer submissions than the head covers.
  std::string truncated = temp_ / "truncated";
  CopySubmissions(alliance_->ledger(), truncated, 2);
  CommandResult short_log = Fundtrail({"verify", "--ledger", truncated, "--trusted-head", head});
  EXPECT_EQ(short_log.exit_code, 3) << short_log.Describe();
  EXPECT_NE(short_log.err.find("truncated"), std::string::npos) << short_log.err;

  // A head that was not signed by the operator, or was altered, is no anchor: the log is valid,
  // but not tied to it (exit 6, not 3).
  nlohmann::json forged = nlohmann::json::parse(ReadFile(head));
  forged["tree_size"] = forged["tree_size"].get<uint64_t>() - 1;
  std::string forged_path = temp_ / "forged.json";
  WriteFile(forged_path, forged.dump());
  CommandResult refused = Run({"verify", "--trusted-head", forged_path});
  EXPECT_EQ(refused.exit_code, 6) << refused.Describe();
  EXPECT_NE(refused.err.find("signature does not verify"), std::string::npos) << refused.err;
  CommandResult wrong_key = Run({"head", "--sign-key", alliance_->admin.path});
  EXPECT_EQ(wrong_key.exit_code, 2) << wrong_key.Describe();
}

}  // namespace
}  // namespace fundtrail::testing
