// End-to-end tests of the misuse rules, the policy and signed tree heads through the binary.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
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

// The flags that involve a member: those whose subject it is, and those raised against a grant or
// a vendor by its expenditures and disbursements. Computed here from the log, independently of
// the rules' own bookkeeping.
std::set<std::string> FlagsInvolving(const std::vector<nlohmann::json>& flags, const std::vector<nlohmann::json>& log,
                                     const std::string& org_id) {
  std::map<uint64_t, nlohmann::json> events;
  for (const auto& entry : log) events[entry["sequence"].get<uint64_t>()] = entry["event"];
  std::set<std::string> out;
  for (const auto& flag : flags) {
    if (flag["subject"] == "org:" + org_id) out.insert(flag["id"]);
    for (const auto& evidence : flag["evidence"]) {
      const nlohmann::json& event = events.at(evidence["sequence"].get<uint64_t>());
      if (event.value("org_id", "") == org_id || event.value("member_org_id", "") == org_id) out.insert(flag["id"]);
    }
  }
  return out;
}

std::set<std::string> Ids(const std::vector<nlohmann::json>& flags) {
  std::set<std::string> out;
  for (const auto& flag : flags) out.insert(flag["id"].get<std::string>());
  return out;
}

TEST_F(Flags, SubjectListsEveryFlagThatTouchesTheMember) {
  using A = SampleAlliance;
  nlohmann::json prohibited = ExpenditureRecorded(A::kGrantBattery, A::kTsinghua, "materials", "V-LAB", "INV-PU1",
                                                  "2345.67 CNY");
  prohibited["description"] = "招待专家晚宴";  // PU-1, raised against the grant
  nlohmann::json early = ExpenditureRecorded(A::kGrantBattery, A::kTsinghua, "materials", "V-LAB", "INV-EARLY",
                                             "3456.78 CNY");
  early["invoice_date"] = "2023-12-20";  // TP-1, before the grant's period: against the grant
  nlohmann::json repeat = ExpenditureRecorded(A::kGrantBattery, A::kTsinghua, "materials", "V-LAB", "INV-101",
                                              "48000.00 CNY");  // AN-1, a repeat: against the vendor
  alliance_->Append(alliance_->finance_tsinghua, {prohibited, early, repeat});
  AppendWeekendPayment();  // AN-6, against the member itself

  CommandResult all = Run({"flags", "--json"});
  ASSERT_EQ(all.exit_code, 0) << all.Describe();
  auto flags = ParseJsonLines(all.out);
  std::set<std::string> expected = FlagsInvolving(flags, alliance_->Log(), A::kTsinghua);
  std::set<std::string> subjects_before;  // what `--subject` matched before: the subject alone
  std::set<std::string> kinds;
  for (const auto& flag : flags) {
    if (!expected.contains(flag["id"])) continue;
    std::string subject = flag["subject"];
    kinds.insert(subject.substr(0, subject.find(':')));
    if (subject == std::string("org:") + A::kTsinghua) subjects_before.insert(flag["id"]);
  }
  for (const char* kind : {"grant", "org", "vendor"}) EXPECT_TRUE(kinds.contains(kind)) << kind << "\n" << all.out;
  EXPECT_LT(subjects_before.size(), expected.size());

  CommandResult listed = Run({"flags", "--subject", std::string("org:") + A::kTsinghua, "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.Describe();
  EXPECT_EQ(Ids(ParseJsonLines(listed.out)), expected);
  for (const auto& flag : ParseJsonLines(listed.out)) {
    std::vector<std::string> touches = flag["touches"];
    EXPECT_TRUE(std::find(touches.begin(), touches.end(), std::string("org:") + A::kTsinghua) != touches.end());
  }
  // The kind in any case, and member for org.
  for (const std::string kind : {"ORG:", "Member:"}) {
    CommandResult same = Run({"flags", "--subject", kind + A::kTsinghua, "--json"});
    ASSERT_EQ(same.exit_code, 0) << same.Describe();
    EXPECT_EQ(same.out, listed.out) << kind;
  }
  // The vendor's flags include those of the expenditures paid to it, whatever their subject.
  CommandResult vendor = Run({"flags", "--subject", "vendor:V-LAB", "--json"});
  ASSERT_EQ(vendor.exit_code, 0) << vendor.Describe();
  std::set<std::string> vendor_rules;
  for (const auto& flag : ParseJsonLines(vendor.out)) vendor_rules.insert(flag["rule"]);
  for (const char* rule : {"PU-1", "TP-1", "AN-1", "AN-6"}) EXPECT_TRUE(vendor_rules.contains(rule)) << rule;
  // The other member's list holds none of these.
  CommandResult catl = Run({"flags", "--subject", std::string("org:") + A::kCatl, "--json"});
  ASSERT_EQ(catl.exit_code, 0) << catl.Describe();
  for (const auto& flag : ParseJsonLines(catl.out)) {
    EXPECT_NE(flag["rule"], "PU-1") << flag.dump();
    EXPECT_NE(flag["rule"], "AN-6") << flag.dump();
  }
}

TEST_F(Flags, FilterValuesInAnyCaseAndEveryBadOneRejected) {
  AppendWeekendPayment();
  CommandResult canonical = Run({"flags", "--severity", "low", "--rule", "AN-6", "--status", "open", "--json"});
  ASSERT_EQ(canonical.exit_code, 0) << canonical.Describe();
  ASSERT_FALSE(ParseJsonLines(canonical.out).empty());
  CommandResult any_case = Run({"flags", "--severity", "LOW", "--rule", "an-6", "--status", "Open", "--json"});
  ASSERT_EQ(any_case.exit_code, 0) << any_case.Describe();
  EXPECT_EQ(any_case.out, canonical.out);
  EXPECT_EQ(Run({"flags", "--severity", "CRITICAL"}).exit_code, 0);

  struct Bad {
    std::vector<std::string> args;
    std::string listed;  // a valid value the error must list
  };
  const std::vector<Bad> bad = {
      {{"--severity", "CRITICALL"}, "low, medium, high, critical"},
      {{"--severity", "severe"}, "low, medium, high, critical"},
      {{"--rule", "tp-9"}, "PU-1, PU-2, PU-3, PU-4, BR-1"},
      {{"--rule", "TP1"}, "AL-3"},
      {{"--status", "closed"}, "open, confirmed, false_positive, remediated"},
      {{"--subject", "person:李娜"}, "grant, org, vendor, outcome, alliance"},
      {{"--subject", "清华大学"}, "KIND:ID"},
      {{"--subject", "org:"}, "KIND:ID"},
      {{"--subject", "org:NO-SUCH-ORG"}, std::string(SampleAlliance::kTsinghua)},
      {{"--subject", "grant:G-9999"}, SampleAlliance::kGrantBattery},
      {{"--subject", "vendor:V-NONE"}, "V-LAB"},
      {{"--subject", "outcome:O-1"}, "none of that kind"},
  };
  for (const auto& [args, listed] : bad) {
    std::vector<std::string> command = {"flags"};
    command.insert(command.end(), args.begin(), args.end());
    CommandResult result = Run(command);
    std::string what = args[0] + " " + args[1];
    EXPECT_EQ(result.exit_code, 1) << what << "\n" << result.Describe();
    EXPECT_TRUE(result.out.empty()) << what << "\n" << result.out;
    EXPECT_NE(result.err.find("\"" + args[1] + "\""), std::string::npos) << what << "\n" << result.err;
    EXPECT_NE(result.err.find(listed), std::string::npos) << what << "\n" << result.err;
    EXPECT_EQ(SplitLines(result.err).size(), 1u) << what << "\n" << result.err;
  }
}

TEST_F(Flags, ShowPrintsAFlagWithItsEvidenceEventsInFull) {
  uint64_t weekend = AppendWeekendPayment();
  std::string hash;
  for (const auto& entry : alliance_->Log()) {
    if (entry["sequence"] == weekend) hash = entry["hash"];
  }
  std::string id = "AN-6/" + std::to_string(weekend);
  CommandResult shown = Run({"flags", "show", id});
  ASSERT_EQ(shown.exit_code, 0) << shown.Describe();
  for (const std::string& expected : {std::string("flag ") + id, std::string("INV-WEEKEND"), hash,
                                      std::string("expenditure_recorded"), std::string("by 清华大学"),
                                      std::string("2024-06-15"), std::string("vendor:V-LAB")}) {
    EXPECT_NE(shown.out.find(expected), std::string::npos) << expected << "\n" << shown.out;
  }
  CommandResult json = Run({"flags", "show", id, "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.Describe();
  auto flag = nlohmann::json::parse(json.out);
  EXPECT_EQ(flag["id"], id);
  ASSERT_EQ(flag["evidence_events"].size(), 1u);
  EXPECT_EQ(flag["evidence_events"][0]["hash"], hash);
  EXPECT_EQ(flag["evidence_events"][0]["event"]["invoice_number"], "INV-WEEKEND");
  EXPECT_EQ(flag["evidence_events"][0]["author_org"], SampleAlliance::kTsinghua);

  // One id form everywhere: RULE/SEQUENCE/CHECK as listed; RULE/SEQUENCE when it names one flag.
  nlohmann::json both = ExpenditureRecorded(SampleAlliance::kGrantRecycling, SampleAlliance::kTsinghua, "testing",
                                            "V-LAB", "INV-TWICE", "2222.22 CNY");
  uint64_t twice = alliance_->Append(alliance_->finance_tsinghua, {both})["first_sequence"];
  std::string prefix = "PU-2/" + std::to_string(twice);
  CommandResult listed = Run({"flags", "--rule", "PU-2"});
  ASSERT_EQ(listed.exit_code, 0) << listed.Describe();
  EXPECT_NE(listed.out.find(prefix + "/category"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find(prefix + "/task"), std::string::npos) << listed.out;
  CommandResult ambiguous = Run({"flags", "show", prefix});
  EXPECT_EQ(ambiguous.exit_code, 2) << ambiguous.Describe();
  EXPECT_NE(ambiguous.err.find(prefix + "/category, " + prefix + "/task"), std::string::npos) << ambiguous.err;
  CommandResult whole = Run({"flags", "show", "pu-2/" + std::to_string(twice) + "/TASK", "--json"});
  ASSERT_EQ(whole.exit_code, 0) << whole.Describe();
  EXPECT_EQ(nlohmann::json::parse(whole.out)["id"], prefix + "/task");
  CommandResult missing = Run({"flags", "show", "AN-6/999999"});
  EXPECT_EQ(missing.exit_code, 5) << missing.Describe();
  EXPECT_NE(missing.err.find("there is no flag \"AN-6/999999\""), std::string::npos) << missing.err;

  // A review typed in the short form records the whole id.
  uint64_t testing = 0;
  for (const auto& entry : alliance_->Log({"--type", "expenditure_recorded"})) {
    if (entry["event"]["invoice_number"] == "INV-102") testing = entry["sequence"];
  }
  ASSERT_NE(testing, 0u);
  CommandResult reviewed = Run({"flags", "review", "pu-2/" + std::to_string(testing), "--key", auditor_.path,
                                "--disposition", "confirmed", "--note", "测试费无预算"});
  ASSERT_EQ(reviewed.exit_code, 0) << reviewed.Describe();
  auto dispositions = alliance_->Log({"--type", "flag_disposition"});
  ASSERT_EQ(dispositions.size(), 1u);
  EXPECT_EQ(dispositions[0]["event"]["flag_id"], "PU-2/" + std::to_string(testing) + "/category");
  CommandResult confirmed = Run({"flags", "--status", "CONFIRMED", "--json"});
  ASSERT_EQ(confirmed.exit_code, 0) << confirmed.Describe();
  EXPECT_EQ(Ids(ParseJsonLines(confirmed.out)), std::set<std::string>{"PU-2/" + std::to_string(testing) + "/category"});
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

// PU-1's lexicon through the binary: a brand in traditional characters and full-width forms is
// flagged with its label, term and lexicon version; an innocent compound is not; `policy set`
// extends the lexicon and `policy show` prints it; a policy mixing the keyword lists with the
// lexicon is refused with the key to fix, and appends nothing.
TEST_F(Flags, LexiconFlagsSayWhyAndPolicySetExtendsIt) {
  using A = SampleAlliance;
  nlohmann::json brand =
      ExpenditureRecorded(A::kGrantBattery, A::kTsinghua, "materials", "V-LAB", "INV-LEX-1", "3456.00 CNY");
  brand["description"] = "茅臺酒 ５３度 兩瓶";
  nlohmann::json innocent =
      ExpenditureRecorded(A::kGrantBattery, A::kTsinghua, "materials", "V-LAB", "INV-LEX-2", "2345.00 CNY");
  innocent["description"] = "车载信息娱乐系统 开发板 酒精灯";
  auto appended = alliance_->Append(alliance_->finance_tsinghua, {brand, innocent});
  uint64_t first = appended["first_sequence"].get<uint64_t>();

  auto flags = ParseJsonLines(Run({"flags", "--rule", "PU-1", "--json"}).out);
  ASSERT_EQ(flags.size(), 1u) << Run({"flags", "--rule", "PU-1"}).out;
  EXPECT_EQ(flags[0]["id"], "PU-1/" + std::to_string(first));
  EXPECT_EQ(flags[0]["figures"]["label"], "liquor_tobacco");
  EXPECT_EQ(flags[0]["figures"]["term"], "茅台");
  EXPECT_EQ(flags[0]["figures"]["term_kind"], "brand");
  EXPECT_EQ(flags[0]["figures"]["lexicon_version"], "fundtrail-2026.12");
  EXPECT_NE(flags[0]["explanation"].get<std::string>().find("brand term \"茅台\" of lexicon fundtrail-2026.12"),
            std::string::npos)
      << flags[0].dump();

  std::string extend = alliance_->NewFile(
      R"({"PU-1": {"lexicon": {"version": "site-1", "labels": {"liquor_tobacco": {"terms": {"宝丰": "brand"}}}}}})");
  CommandResult set = Run({"policy", "set", extend, "--key", alliance_->admin.path});
  ASSERT_EQ(set.exit_code, 0) << set.Describe();
  auto policy = nlohmann::json::parse(Run({"policy", "show", "--json"}).out);
  const auto& lexicon = policy["document"]["PU-1"]["lexicon"];
  EXPECT_EQ(lexicon["version"], "site-1");
  EXPECT_EQ(lexicon["labels"]["liquor_tobacco"]["terms"]["宝丰"], "brand");
  EXPECT_EQ(lexicon["labels"]["liquor_tobacco"]["terms"]["五粮液"], "brand") << "extended, not replaced";
  nlohmann::json added =
      ExpenditureRecorded(A::kGrantBattery, A::kTsinghua, "materials", "V-LAB", "INV-LEX-3", "1234.00 CNY");
  added["description"] = "宝丰 礼盒";
  uint64_t third = alliance_->Append(alliance_->finance_tsinghua, {added})["first_sequence"].get<uint64_t>();
  flags = ParseJsonLines(Run({"flags", "--rule", "PU-1", "--json"}).out);
  ASSERT_EQ(flags.size(), 2u);
  EXPECT_EQ(flags[1]["id"], "PU-1/" + std::to_string(third));
  EXPECT_EQ(flags[1]["figures"]["lexicon_version"], "site-1");
  EXPECT_EQ(flags[1]["policy_version"], 1);

  uint64_t events = alliance_->Log().size();
  std::string mixed = alliance_->NewFile(R"({"PU-1": {"lexicon": {"version": "x"}, "exclusions": ["酒店"]}})");
  CommandResult refused = Run({"policy", "set", mixed, "--key", alliance_->admin.path});
  EXPECT_EQ(refused.exit_code, 2) << refused.Describe();
  EXPECT_NE(refused.err.find("PU-1.exclusions"), std::string::npos) << refused.err;
  EXPECT_EQ(alliance_->Log().size(), events) << "nothing appended";
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
