// End-to-end tests of the events and fields of validation version 4 (issue 19, item 3) through
// `fundtrail append`, `view`, `history`, `flags` and `verify`: a budget reallocation by the fund
// manager, a grant's termination, an invoice split across grants, a foreign-currency payment.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/testing/cli_harness.h"

namespace fundtrail::testing {
namespace {

using nlohmann::json;
using A = SampleAlliance;

class Events : public ::testing::Test {
 protected:
  void SetUp() override {
    alliance_ = std::make_unique<SampleAlliance>(temp_.path());
    alliance_->Init();
    alliance_->AppendHistory();
  }
  CommandResult Run(std::vector<std::string> args) {
    args.push_back("--ledger");
    args.push_back(alliance_->ledger());
    return Fundtrail(args);
  }
  std::vector<json> FlagsOf(const std::string& rule) {
    CommandResult listed = Run({"flags", "--rule", rule, "--json"});
    EXPECT_EQ(listed.exit_code, 0) << listed.Describe();
    return ParseJsonLines(listed.out);
  }
  void ExpectVerifies() {
    CommandResult verified = Run({"verify"});
    EXPECT_EQ(verified.exit_code, 0) << verified.Describe();
  }
  // The refusal of `events` by `key`: exit 2, nothing appended, the message containing `part`.
  void ExpectRefused(const TestKey& key, const std::vector<json>& events, const std::string& part) {
    const size_t before = alliance_->Log().size();
    CommandResult refused = alliance_->TryAppend(key, events);
    EXPECT_EQ(refused.exit_code, 2) << refused.Describe();
    EXPECT_NE(refused.err.find(part), std::string::npos) << refused.err;
    EXPECT_EQ(alliance_->Log().size(), before);
  }
  uint64_t AppendOne(const TestKey& key, const json& event) {
    return alliance_->Append(key, {event})["first_sequence"].get<uint64_t>();
  }
  static json Adjustment(const std::string& category, const std::string& amount) {
    return {{"type", "budget_adjusted"},
            {"grant_id", A::kGrantBattery},
            {"lines", json::array({{{"category", category}, {"amount", amount}}})},
            {"approved_by", "联盟资金管理办公室"},
            {"date", "2024-05-10"}};
  }
  static json Termination(const std::string& grant_id, const std::string& date) {
    return {{"type", "grant_terminated"}, {"grant_id", grant_id}, {"date", date}, {"reason", "中期评估不合格，提前终止"}};
  }

  TempDir temp_;
  std::unique_ptr<SampleAlliance> alliance_;
};

TEST_F(Events, TheFundManagerReallocatesTheBudgetAndBr2CountsIt) {
  // 3,300,000 of materials on top of the 48,000 spent overruns the 3,000,000 awarded...
  json spent = ExpenditureRecorded(A::kGrantBattery, A::kCatl, "materials", "V-LAB", "INV-MAT", "3300000.00 CNY");
  // ...unless the undertaking unit moved 500,000 from labour to materials (2021 reform).
  json labour = Adjustment("labour", "500000.00 CNY");
  labour["lines"].push_back({{"category", "materials"}, {"amount", "3500000.00 CNY"}});
  AppendOne(alliance_->fund_manager, labour);
  AppendOne(alliance_->finance_catl, spent);
  for (const auto& flag : FlagsOf("BR-2")) EXPECT_NE(flag["figures"]["category"], "materials") << flag.dump();

  // An equipment increase needs the funder's approval: recordable without it, then flagged.
  uint64_t unapproved = AppendOne(alliance_->fund_manager, Adjustment("equipment", "6500000.00 CNY"));
  json approved = Adjustment("equipment", "6600000.00 CNY");
  approved["funder_approval_reference"] = "国科高发计字〔2024〕18号";
  uint64_t with_reference = AppendOne(alliance_->fund_manager, approved);
  bool flagged = false;
  for (const auto& flag : FlagsOf("BR-2")) {
    EXPECT_NE(flag["evidence"][0]["sequence"], with_reference) << flag.dump();
    if (flag["id"] != "BR-2/" + std::to_string(unapproved) + "/equipment_increase") continue;
    flagged = true;
    EXPECT_EQ(flag["figures"]["recorded_by"], A::kSecretariat) << flag.dump();
    EXPECT_NE(flag["explanation"].get<std::string>().find("without the funder's approval reference"),
              std::string::npos)
        << flag.dump();
  }
  EXPECT_TRUE(flagged);
  // The history of the grant shows the adjustments; the log keeps the reference.
  CommandResult history = Run({"history", "grant", A::kGrantBattery, "--json"});
  ASSERT_EQ(history.exit_code, 0) << history.Describe();
  EXPECT_NE(history.out.find("budget_adjusted"), std::string::npos) << history.out;
  auto logged = alliance_->Log({"--type", "budget_adjusted"});
  ASSERT_EQ(logged.size(), 3u);
  EXPECT_EQ(logged.back()["event"]["funder_approval_reference"], "国科高发计字〔2024〕18号");

  // A member's finance office does not adjust the grant's budget.
  ExpectRefused(alliance_->finance_catl, {Adjustment("materials", "1.00 CNY")}, "fund_manager");
  ExpectVerifies();
}

TEST_F(Events, TheFunderTerminatesAGrant) {
  ExpectRefused(alliance_->fund_manager, {Termination(A::kGrantRecycling, "2025-06-30")}, "admin, funder");
  ExpectRefused(alliance_->funder, {Termination(A::kGrantRecycling, "2027-01-01")}, "after the grant's end");
  uint64_t terminated = AppendOne(alliance_->funder, Termination(A::kGrantRecycling, "2025-06-30"));
  ExpectRefused(alliance_->funder, {Termination(A::kGrantRecycling, "2025-07-30")}, "already terminated");

  // The views show it.
  CommandResult view = Run({"view", "grants", "--json"});
  ASSERT_EQ(view.exit_code, 0) << view.Describe();
  bool shown = false;
  for (const auto& grant : ParseJsonLines(view.out)) {
    if (grant["grant_id"] == A::kGrantBattery) {
      EXPECT_FALSE(grant.contains("terminated")) << grant.dump();
    }
    if (grant["grant_id"] != A::kGrantRecycling) continue;
    shown = true;
    EXPECT_EQ(grant["terminated"]["date"], "2025-06-30") << grant.dump();
    EXPECT_EQ(grant["terminated"]["sequence"], terminated) << grant.dump();
  }
  EXPECT_TRUE(shown) << view.out;
  CommandResult table = Run({"view", "grants"});
  EXPECT_NE(table.out.find("terminated on 2025-06-30"), std::string::npos) << table.out;
  // So does the grant's history.
  CommandResult history = Run({"history", "grant", A::kGrantRecycling, "--json"});
  ASSERT_EQ(history.exit_code, 0) << history.Describe();
  EXPECT_NE(history.out.find("grant_terminated"), std::string::npos) << history.out;

  // Spending dated after the termination is flagged like spending after the end (TP-1).
  json late = ExpenditureRecorded(A::kGrantRecycling, A::kCatl, "materials", "V-LAB", "INV-LATE", "1000.00 CNY");
  late["invoice_date"] = "2025-08-01";
  late["payment_date"] = "2025-08-02";
  uint64_t spent = AppendOne(alliance_->finance_catl, late);
  bool after = false;
  for (const auto& flag : FlagsOf("TP-1")) {
    if (flag["evidence"][0]["sequence"] != spent) continue;
    after = true;
    EXPECT_EQ(flag["figures"]["terminated_on"], "2025-06-30") << flag.dump();
    EXPECT_NE(flag["explanation"].get<std::string>().find("was terminated on 2025-06-30"), std::string::npos)
        << flag.dump();
  }
  EXPECT_TRUE(after);
  // The unspent money was not refunded within 30 days of the termination (TP-4's terminated branch).
  bool unreturned = false;
  for (const auto& flag : FlagsOf("TP-4")) {
    if (flag["subject"] != std::string("grant:") + A::kGrantRecycling) continue;
    unreturned = true;
    EXPECT_EQ(flag["figures"]["terminated_on"], "2025-06-30") << flag.dump();
  }
  EXPECT_TRUE(unreturned);
  ExpectVerifies();
}

TEST_F(Events, AnInvoiceSplitAcrossGrantsIsNotChargedTwice) {
  auto charge = [&](const std::string& grant, const std::string& invoice, const std::string& amount,
                    const std::string& total) {
    json event = ExpenditureRecorded(grant, A::kCatl, "materials", "V-LAB", invoice, amount);
    if (!total.empty()) event["invoice_total"] = total;
    return AppendOne(alliance_->finance_catl, event);
  };
  charge(A::kGrantBattery, "INV-SPLIT", "60000.00 CNY", "100000.00 CNY");
  charge(A::kGrantRecycling, "INV-SPLIT", "40000.00 CNY", "100000.00 CNY");
  uint64_t twice = charge(A::kGrantBattery, "INV-TWICE", "50000.00 CNY", "");
  charge(A::kGrantRecycling, "INV-TWICE", "50000.00 CNY", "");
  uint64_t over = charge(A::kGrantBattery, "INV-OVER", "50000.00 CNY", "80000.00 CNY");
  charge(A::kGrantRecycling, "INV-OVER", "50000.00 CNY", "80000.00 CNY");
  std::vector<std::string> invoices;
  for (const auto& flag : FlagsOf("PU-3")) {
    invoices.push_back(flag["figures"]["invoice_number"].get<std::string>());
    if (flag["figures"]["invoice_number"] == "INV-OVER") {
      EXPECT_EQ(flag["evidence"][0]["sequence"], over);
      EXPECT_EQ(flag["figures"]["invoice_total"], "80000.00 CNY") << flag.dump();
    }
    if (flag["figures"]["invoice_number"] == "INV-TWICE") {
      EXPECT_EQ(flag["evidence"][0]["sequence"], twice);
    }
  }
  std::sort(invoices.begin(), invoices.end());
  EXPECT_EQ(invoices, (std::vector<std::string>{"INV-OVER", "INV-TWICE"}));
  // A total below the charge is refused.
  json below = ExpenditureRecorded(A::kGrantBattery, A::kCatl, "materials", "V-LAB", "INV-LOW", "500.00 CNY");
  below["invoice_total"] = "400.00 CNY";
  ExpectRefused(alliance_->finance_catl, {below}, "field \"invoice_total\": 400.00 CNY is less than the amount");
  ExpectVerifies();
}

TEST_F(Events, AForeignCurrencyPaymentIsConvertedExactly) {
  json paid = ExpenditureRecorded(A::kGrantBattery, A::kTsinghua, "testing", "V-LAB", "INV-USD", "726.23 CNY");
  paid["original_amount"] = "100.00 USD";
  paid["exchange_rate"] = "7.2622";
  ExpectRefused(alliance_->finance_tsinghua, {paid},
                "field \"amount\": 726.23 CNY is not original_amount x exchange_rate (100.00 USD x 7.2622 = "
                "726.22 CNY, rounded half to even)");
  paid["amount"] = "726.22 CNY";
  uint64_t sequence = AppendOne(alliance_->finance_tsinghua, paid);
  auto logged = alliance_->Log({"--type", "expenditure_recorded"});
  ASSERT_FALSE(logged.empty());
  EXPECT_EQ(logged.back()["sequence"], sequence);
  EXPECT_EQ(logged.back()["event"]["original_amount"], "100.00 USD");
  EXPECT_EQ(logged.back()["event"]["exchange_rate"], "7.2622");
  // A tie rounds to the even fen: 0.03 USD x 0.5 = 0.015 -> 0.02 CNY.
  json tie = ExpenditureRecorded(A::kGrantBattery, A::kTsinghua, "testing", "V-LAB", "INV-TIE", "0.01 CNY");
  tie["original_amount"] = "0.03 USD";
  tie["exchange_rate"] = "0.5";
  ExpectRefused(alliance_->finance_tsinghua, {tie}, "= 0.02 CNY");
  tie["amount"] = "0.02 CNY";
  AppendOne(alliance_->finance_tsinghua, tie);
  json no_rate = paid;
  no_rate.erase("exchange_rate");
  no_rate["invoice_number"] = "INV-NORATE";
  ExpectRefused(alliance_->finance_tsinghua, {no_rate}, "original_amount and exchange_rate go together");
  // The views count the grant-currency amount.
  CommandResult view = Run({"view", "members", "--json"});
  ASSERT_EQ(view.exit_code, 0) << view.Describe();
  ExpectVerifies();
  // The offline verifier replays the bundle's version 4 submissions as the writer checked them.
  CommandResult offline =
      Run({"export", "--sign-key", alliance_->operator_key.path, "--out", temp_.path() + "/alliance.bundle"});
  ASSERT_EQ(offline.exit_code, 0) << offline.Describe();
  CommandResult verified = FundtrailVerify(
      {temp_.path() + "/alliance.bundle", "--operator-key", alliance_->operator_key.path + ".pub"});
  EXPECT_EQ(verified.exit_code, 0) << verified.Describe();
}

}  // namespace
}  // namespace fundtrail::testing
