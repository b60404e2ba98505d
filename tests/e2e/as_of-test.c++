// End-to-end tests of evaluation by business date and of the episode rules through the binary.
// The sample alliance's history is appended now (this year) for business dates of 2024, as an
// alliance that imports last year's books does: --as-of-date reads it by its business dates,
// --as-of-seq and --as-of-time by its ledger position, and the two combine.
#include <gtest/gtest.h>

#include <string>

#include "tests/testing/cli_harness.h"

namespace fundtrail::testing {
namespace {

class AsOf : public ::testing::Test {
 protected:
  void SetUp() override {
    alliance_ = std::make_unique<SampleAlliance>(temp_.path());
    alliance_->Init();
    alliance_->AppendHistory();
    head_ = alliance_->Log().back()["sequence"].get<uint64_t>();
  }
  CommandResult Run(std::vector<std::string> args) {
    args.push_back("--ledger");
    args.push_back(alliance_->ledger());
    return Fundtrail(args);
  }
  // `view grants --json` with `extra`: the battery grant's item.
  nlohmann::json BatteryGrant(const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"view", "grants", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    CommandResult result = Run(args);
    EXPECT_EQ(result.exit_code, 0) << result.Describe();
    for (const auto& item : ParseJsonLines(result.out)) {
      if (item["grant_id"] == SampleAlliance::kGrantBattery) return item;
    }
    ADD_FAILURE() << "no battery grant: " << result.Describe();
    return {};
  }
  // A CATL payment on the battery grant, paid on `paid`.
  uint64_t AppendCatlPayment(const std::string& invoice, const std::string& amount, const std::string& paid) {
    nlohmann::json event = ExpenditureRecorded(SampleAlliance::kGrantBattery, SampleAlliance::kCatl, "materials",
                                               "V-LAB", invoice, amount);
    event["invoice_date"] = paid;
    event["payment_date"] = paid;
    return alliance_->Append(alliance_->finance_catl, {event})["first_sequence"].get<uint64_t>();
  }

  TempDir temp_;
  std::unique_ptr<SampleAlliance> alliance_;
  uint64_t head_ = 0;
};

TEST_F(AsOf, AsOfDateReadsBusinessDatesOfAHistoryAppendedLater) {
  // Appended today, dated 2024: by append time the end of 2024 is an empty ledger; by business
  // date it is the whole history.
  CommandResult flags = Run({"flags", "--as-of-date", "2024-12-31"});
  ASSERT_EQ(flags.exit_code, 0) << flags.Describe();
  EXPECT_NE(flags.out.find("flags as of 2024-12-31, ledger sequence " + std::to_string(head_) + " of " +
                           std::to_string(head_) + ", business dates up to 2024-12-31 (0 events dated later left out)"),
            std::string::npos)
      << flags.out;

  // Received 2024-02-01, disbursed 2024-02-10 and 02-12, paid 2024-03-20.
  nlohmann::json received = BatteryGrant({"--as-of-date", "2024-02-05"});
  EXPECT_EQ(received["received"], "10000000.00 CNY");
  EXPECT_EQ(received["disbursed"], "0.00 CNY");
  EXPECT_EQ(received["spent"], "0.00 CNY");
  EXPECT_EQ(BatteryGrant({"--as-of-date", "2024-03-19"})["spent"], "0.00 CNY");
  EXPECT_EQ(BatteryGrant({"--as-of-date", "2024-03-20"})["spent"], "1310345.67 CNY");
  EXPECT_EQ(BatteryGrant({"--as-of-date", "2024-03-20"}), BatteryGrant({}));

  // What was read is said: above a table, on stderr beside JSON.
  CommandResult table = Run({"view", "grants", "--as-of-date", "2024-02-05"});
  ASSERT_EQ(table.exit_code, 0) << table.Describe();
  EXPECT_NE(table.out.find("as of sequence " + std::to_string(head_) + " of " + std::to_string(head_) +
                           ", business dates up to 2024-02-05 ("),
            std::string::npos)
      << table.out;
  CommandResult json = Run({"view", "grants", "--json", "--as-of-date", "2024-02-05"});
  EXPECT_NE(json.err.find("business dates up to 2024-02-05"), std::string::npos) << json.Describe();

  // The spending query's period ends at the business date.
  CommandResult spending =
      Run({"view", "spending", "--grant", SampleAlliance::kGrantBattery, "--json", "--as-of-date", "2024-03-19"});
  ASSERT_EQ(spending.exit_code, 0) << spending.Describe();
  EXPECT_EQ(ParseJsonLines(spending.out).back()["spent"], "0.00 CNY") << spending.out;
}

TEST_F(AsOf, NothingSilentlyEvaluatesAnEmptyLedger) {
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"flags"}, {"view", "grants"}, {"view", "spending"}, {"flags", "show", "BR-3/1"}}) {
    std::vector<std::string> args = command;
    args.insert(args.end(), {"--as-of-date", "2023-12-31"});
    CommandResult result = Run(args);
    EXPECT_NE(result.exit_code, 0) << result.Describe();
    EXPECT_NE(result.err.find("--as-of-date 2023-12-31 is before the first business date the ledger records, "
                              "2024-01-01"),
              std::string::npos)
        << result.Describe();
    EXPECT_NE(result.err.find("there is nothing to evaluate"), std::string::npos) << result.Describe();
    EXPECT_EQ(result.out, "") << result.Describe();
  }
  // By append time, last year is before the ledger was written.
  CommandResult by_time = Run({"flags", "--as-of-time", "2024-12-31T23:59:59Z"});
  EXPECT_NE(by_time.exit_code, 0) << by_time.Describe();
  EXPECT_NE(by_time.err.find("--as-of-time 2024-12-31T23:59:59Z is before the ledger's first append"),
            std::string::npos)
      << by_time.Describe();
  EXPECT_NE(by_time.err.find("use --as-of-date"), std::string::npos) << by_time.Describe();
  CommandResult bad_time = Run({"view", "grants", "--as-of-time", "2024-12-31 10:00"});
  EXPECT_NE(bad_time.exit_code, 0) << bad_time.Describe();
  EXPECT_NE(bad_time.err.find("is not a UTC time; write 2025-12-31T23:59:59Z"), std::string::npos)
      << bad_time.Describe();
  // Far in the future, by append time: the head.
  CommandResult later = Run({"view", "grants", "--as-of-time", "2999-01-01"});
  ASSERT_EQ(later.exit_code, 0) << later.Describe();
  EXPECT_NE(later.out.find("as of sequence " + std::to_string(head_) + " of " + std::to_string(head_)),
            std::string::npos)
      << later.out;
  CommandResult both = Run({"view", "grants", "--as-of-seq", "5", "--as-of-time", "2999-01-01"});
  EXPECT_NE(both.exit_code, 0);
  EXPECT_NE(both.err.find("give --as-of-seq or --as-of-time, not both"), std::string::npos) << both.Describe();
}

TEST_F(AsOf, LedgerPositionCombinesWithABusinessDate) {
  // A payment of March 2024 recorded later: as of the earlier ledger position it is not known;
  // as of the head it counts for March.
  uint64_t late = AppendCatlPayment("INV-LATE", "1000.00 CNY", "2024-03-25");
  const std::string before = std::to_string(late - 1);
  EXPECT_EQ(BatteryGrant({"--as-of-seq", before, "--as-of-date", "2024-03-31"})["spent"], "1310345.67 CNY");
  EXPECT_EQ(BatteryGrant({"--as-of-date", "2024-03-31"})["spent"], "1311345.67 CNY");
  EXPECT_EQ(BatteryGrant({"--as-of-date", "2024-03-24"})["spent"], "1310345.67 CNY");
  CommandResult flags = Run({"flags", "--as-of-seq", before, "--as-of-date", "2024-03-31"});
  ASSERT_EQ(flags.exit_code, 0) << flags.Describe();
  EXPECT_NE(flags.out.find("ledger sequence " + before + " of " + std::to_string(late) +
                           ", business dates up to 2024-03-31"),
            std::string::npos)
      << flags.out;
}

TEST_F(AsOf, HistoryRefusesABusinessDateAndLogTakesSequenceNumbers) {
  CommandResult history = Run({"history", "grant", SampleAlliance::kGrantBattery, "--as-of-date", "2024-03-31"});
  EXPECT_NE(history.exit_code, 0) << history.Describe();
  EXPECT_NE(history.err.find("give --as-of-seq or --as-of-time for a ledger position"), std::string::npos)
      << history.Describe();
  CommandResult by_seq = Run({"log", "--from-seq", "3", "--to-seq", "6", "--json"});
  CommandResult alias = Run({"log", "--from", "3", "--to", "6", "--json"});
  ASSERT_EQ(by_seq.exit_code, 0) << by_seq.Describe();
  EXPECT_EQ(ParseJsonLines(by_seq.out).size(), 4u);
  EXPECT_EQ(by_seq.out, alias.out);
}

TEST_F(AsOf, AnOverdraftCoveredLaterIsOneFlagWithItsDates) {
  // CATL received 6,000,000 on 2024-02-10 and paid 1,250,000 on 2024-03-20. It pays 5,000,000
  // more on 2024-04-10 (short 250,000) and a tranche of 1,000,000 on 2024-05-10 covers it.
  uint64_t over = AppendCatlPayment("INV-OVER", "5000000.00 CNY", "2024-04-10");
  alliance_->Append(alliance_->fund_manager,
                    {FundsDisbursed(SampleAlliance::kGrantBattery, SampleAlliance::kCatl, "1000000.00 CNY",
                                    "2024-05-10")});
  auto member_flags = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"flags", "--rule", "BR-3", "--subject", "org:CATL", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    CommandResult result = Run(args);
    EXPECT_EQ(result.exit_code, 0) << result.Describe();
    std::vector<nlohmann::json> out;
    for (const auto& flag : ParseJsonLines(result.out)) {
      if (flag["id"].get<std::string>().ends_with("/member")) out.push_back(flag);
    }
    return out;
  };
  auto flags = member_flags({});
  ASSERT_EQ(flags.size(), 1u);
  EXPECT_EQ(flags[0]["id"], "BR-3/" + std::to_string(over) + "/member");
  EXPECT_EQ(flags[0]["figures"]["start"], "2024-04-10");
  EXPECT_EQ(flags[0]["figures"]["end"], "2024-05-10");
  EXPECT_EQ(flags[0]["figures"]["peak_shortfall"], "250000.00 CNY");
  // As of a business date inside the episode it is ongoing, under the same id.
  flags = member_flags({"--as-of-date", "2024-04-30"});
  ASSERT_EQ(flags.size(), 1u);
  EXPECT_EQ(flags[0]["id"], "BR-3/" + std::to_string(over) + "/member");
  EXPECT_EQ(flags[0]["figures"]["end"], "ongoing");
  EXPECT_TRUE(member_flags({"--as-of-date", "2024-04-09"}).empty());
}

TEST_F(AsOf, IdleMoneyIsJudgedAtTheBusinessDate) {
  // Tsinghua received 4,000,000 on 2024-02-10 and spent 60,345.67: idle beyond 180 days from
  // 2024-08-09, and not yet on 2024-08-08.
  auto idle = [&](const std::string& date) {
    CommandResult result =
        Run({"flags", "--rule", "TP-3", "--subject", "org:清华大学", "--json", "--as-of-date", date});
    EXPECT_EQ(result.exit_code, 0) << result.Describe();
    return ParseJsonLines(result.out);
  };
  EXPECT_TRUE(idle("2024-08-08").empty());
  auto flags = idle("2024-12-31");
  ASSERT_EQ(flags.size(), 1u);
  EXPECT_EQ(flags[0]["figures"]["start"], "2024-08-09");
  EXPECT_EQ(flags[0]["figures"]["end"], "ongoing");
  EXPECT_EQ(flags[0]["figures"]["idle"], "3939654.33 CNY");
}

}  // namespace
}  // namespace fundtrail::testing
