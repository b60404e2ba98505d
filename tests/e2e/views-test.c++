// End-to-end tests of the projections through the binary: `view`, `history`, `rebuild`, as a
// user runs them, with --json and --csv round trips checked against figures computed here
// independently from the events the test appended.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <thread>

#include "ledger/money.h"
#include "tests/testing/cli_harness.h"

namespace fundtrail::testing {
namespace {

// Minor units of "1234.56 CNY"; views show reversals as negative amounts.
int64_t Fen(const std::string& amount) {
  bool negative = !amount.empty() && amount[0] == '-';
  auto money = ParseMoney(negative ? amount.substr(1) : amount);
  EXPECT_TRUE(money.has_value()) << amount;
  int64_t fen = money ? money->minor_units : 0;
  return negative ? -fen : fen;
}

struct Totals {
  int64_t awarded = 0, received = 0, disbursed = 0, spent = 0, refunded = 0;
};

// Grant totals from the events the alliance appended, up to sequence `to`.
std::map<std::string, Totals> ExpectedTotals(const SampleAlliance& alliance, uint64_t to = UINT64_MAX) {
  std::map<std::string, Totals> totals;
  for (const auto& [sequence, event] : alliance.events()) {
    if (sequence > to) break;
    std::string type = event["type"];
    if (type == "grant_awarded") totals[event["grant_id"]].awarded += Fen(event["amount"]);
    if (type == "funds_received") totals[event["grant_id"]].received += Fen(event["amount"]);
    if (type == "funds_disbursed") totals[event["grant_id"]].disbursed += Fen(event["amount"]);
    if (type == "expenditure_recorded") totals[event["grant_id"]].spent += Fen(event["amount"]);
    if (type == "refund_recorded") totals[event["grant_id"]].refunded += Fen(event["amount"]);
  }
  return totals;
}

class Views : public ::testing::Test {
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
  TempDir temp_;
  std::unique_ptr<SampleAlliance> alliance_;
};

TEST_F(Views, GrantsJsonMatchesTheEventsAndCsvMatchesJson) {
  CommandResult json = Run({"view", "grants", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.Describe();
  auto grants = ParseJsonLines(json.out);
  auto expected = ExpectedTotals(*alliance_);
  ASSERT_EQ(grants.size(), expected.size());
  for (const auto& grant : grants) {
    const Totals& want = expected.at(grant["grant_id"]);
    EXPECT_EQ(Fen(grant["awarded"]), want.awarded);
    EXPECT_EQ(Fen(grant["received"]), want.received);
    EXPECT_EQ(Fen(grant["disbursed"]), want.disbursed);
    EXPECT_EQ(Fen(grant["spent"]), want.spent);
    EXPECT_EQ(Fen(grant["available"]), want.received - want.spent - want.refunded);
    int64_t budget = 0;
    for (const auto& line : grant["budget"]) budget += Fen(line["budget"]);
    EXPECT_EQ(budget, want.awarded) << "budget lines sum to the award";
  }
  CommandResult csv = Run({"view", "grants", "--csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.Describe();
  auto rows = ParseCsv(csv.out);
  ASSERT_EQ(rows.size(), grants.size() + 1);
  EXPECT_EQ(rows[0][0], "grant");
  for (size_t i = 0; i < grants.size(); ++i) {
    EXPECT_EQ(rows[i + 1][0], grants[i]["grant_id"]);
    EXPECT_EQ(rows[i + 1][3], grants[i]["awarded"]);
    EXPECT_EQ(rows[i + 1][6], grants[i]["spent"]);
  }
}

TEST_F(Views, GrantsTableFormatsAmountsAndAlignsColumns) {
  CommandResult table = Run({"view", "grants"});
  ASSERT_EQ(table.exit_code, 0) << table.Describe();
  EXPECT_NE(table.out.find("10,000,000.00 CNY"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("Budget against actual: G-2024-01"), std::string::npos);
  // Every line of the main table has the same display width (titles excepted).
  auto lines = SplitLines(table.out);
  size_t header = 0;
  while (header < lines.size() && lines[header].rfind("grant ", 0) != 0) ++header;
  ASSERT_LT(header + 3, lines.size());
  size_t width = ReferenceDisplayWidth(lines[header + 1]);  // the rule line
  for (size_t i = header + 2; i < lines.size() && !lines[i].empty(); ++i) {
    EXPECT_EQ(ReferenceDisplayWidth(lines[i]), width) << lines[i];
  }
}

TEST_F(Views, MembersShowChineseNamesAlignedAndUnspent) {
  CommandResult table = Run({"view", "members"});
  ASSERT_EQ(table.exit_code, 0) << table.Describe();
  auto lines = SplitLines(table.out);
  std::vector<std::string> rows;
  for (const auto& line : lines) {
    if (line.find("CATL") == 0 || line.find("清华大学") == 0) rows.push_back(line);
  }
  ASSERT_GE(rows.size(), 2u) << table.out;
  // The "kind" column starts at the same display column in every row.
  auto kind_column = [](const std::string& line) {
    for (const char* kind : {"enterprise", "university"}) {
      size_t at = line.find(kind);
      if (at != std::string::npos) return ReferenceDisplayWidth(line.substr(0, at));
    }
    return size_t{0};
  };
  for (const auto& row : rows) EXPECT_EQ(kind_column(row), kind_column(rows[0])) << row;

  CommandResult json = Run({"view", "members", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.Describe();
  for (const auto& member : ParseJsonLines(json.out)) {
    for (const auto& grant : member["grants"]) {
      EXPECT_EQ(Fen(grant["unspent"]), Fen(grant["received"]) - Fen(grant["spent"]) - Fen(grant["refunded"]));
    }
    if (member["org_id"] == "清华大学") {
      EXPECT_EQ(member["kind"], "university");
      EXPECT_EQ(member["status"], "active");
    }
  }
}

TEST_F(Views, AllianceChecklistAndOutcomes) {
  CommandResult alliance = Run({"view", "alliance", "--json"});
  ASSERT_EQ(alliance.exit_code, 0) << alliance.Describe();
  auto items = ParseJsonLines(alliance.out);
  ASSERT_EQ(items.size(), 6u);
  EXPECT_EQ(items[0]["article"], "8(1)");
  EXPECT_TRUE(items[0]["met"].get<bool>()) << items[0].dump();  // CATL and Tsinghua are members
  EXPECT_FALSE(items[1]["met"].get<bool>()) << items[1].dump();  // no agreement yet

  alliance_->Append(alliance_->admin,
                    {{{"type", "outcome_registered"}, {"outcome_id", "O-1"}, {"kind", "patent"},
                      {"title", "高镍正极材料专利"}, {"grant_id", SampleAlliance::kGrantBattery},
                      {"owners", {{{"org_id", "CATL"}, {"basis_points", 6000}}, {{"org_id", "清华大学"}, {"basis_points", 4000}}}},
                      {"date", "2025-01-05"}},
                     {{"type", "licence_granted"}, {"licence_id", "L-1"}, {"outcome_id", "O-1"},
                      {"licensee_name", "Outside Motors"}, {"date", "2025-02-01"}}});
  CommandResult outcomes = Run({"view", "outcomes", "--json"});
  ASSERT_EQ(outcomes.exit_code, 0) << outcomes.Describe();
  auto list = ParseJsonLines(outcomes.out);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["outcome_id"], "O-1");
  EXPECT_EQ(list[0]["licences"].size(), 1u);
  EXPECT_EQ(list[0]["owners"].size(), 2u);
  CommandResult csv = Run({"view", "outcomes", "--csv"});
  ASSERT_EQ(csv.exit_code, 0);
  EXPECT_EQ(ParseCsv(csv.out).size(), 2u);
}

TEST_F(Views, GrantHistoryIsTheSubjectsEventsWithRunningBalances) {
  const std::string grant = SampleAlliance::kGrantBattery;
  CommandResult history = Run({"history", "grant", grant, "--json"});
  ASSERT_EQ(history.exit_code, 0) << history.Describe();
  auto rows = ParseJsonLines(history.out);
  auto logged = alliance_->Log({"--subject", "grant:" + grant});
  ASSERT_EQ(rows.size(), logged.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i]["sequence"], logged[i]["sequence"]);
    EXPECT_EQ(rows[i]["hash"], logged[i]["hash"]) << "an auditor cites the same hash everywhere";
  }
  // The last running balance equals the grants view, and each row equals the totals so far.
  for (const auto& row : rows) {
    Totals want = ExpectedTotals(*alliance_, row["sequence"].get<uint64_t>())[grant];
    EXPECT_EQ(Fen(row["received"]), want.received) << row.dump();
    EXPECT_EQ(Fen(row["spent"]), want.spent) << row.dump();
  }
  CommandResult csv = Run({"history", "grant", grant, "--csv"});
  ASSERT_EQ(csv.exit_code, 0);
  auto csv_rows = ParseCsv(csv.out);
  ASSERT_EQ(csv_rows.size(), rows.size() + 1);
  EXPECT_EQ(csv_rows.back()[8], rows.back()["hash"]);
}

TEST_F(Views, MemberHistoryAndReversals) {
  const std::string member = SampleAlliance::kTsinghua;
  CommandResult before = Run({"history", "member", member, "--json"});
  ASSERT_EQ(before.exit_code, 0) << before.Describe();
  // Reverse Tsinghua's first expenditure: it appears in the history with a negative amount,
  // and the running "spent" goes down by it.
  uint64_t target = 0;
  int64_t amount = 0;
  for (const auto& [sequence, event] : alliance_->events()) {
    if (event["type"] == "expenditure_recorded" && event["org_id"] == member) {
      target = sequence;
      amount = Fen(event["amount"]);
      break;
    }
  }
  ASSERT_NE(target, 0u);
  alliance_->Append(alliance_->finance_tsinghua, {{{"type", "reversal"}, {"target_sequence", target}, {"reason", "录入重复"}}});
  CommandResult after = Run({"history", "member", member, "--json"});
  ASSERT_EQ(after.exit_code, 0) << after.Describe();
  auto rows_before = ParseJsonLines(before.out);
  auto rows_after = ParseJsonLines(after.out);
  ASSERT_EQ(rows_after.size(), rows_before.size() + 1);
  const auto& reversal = rows_after.back();
  EXPECT_EQ(reversal["type"], "reversal");
  EXPECT_EQ(Fen(reversal["amount"]), -amount);
  EXPECT_EQ(Fen(reversal["spent"]), Fen(rows_before.back()["spent"]) - amount);
}

TEST_F(Views, AsOfSequenceAndDate) {
  uint64_t head = alliance_->Log().back()["sequence"];
  // Find a sequence in the middle of the money events.
  uint64_t middle = 0;
  for (const auto& [sequence, event] : alliance_->events()) {
    if (event["type"] == "funds_disbursed") middle = sequence;
  }
  ASSERT_GT(middle, 0u);
  CommandResult as_of = Run({"view", "grants", "--json", "--as-of-seq", std::to_string(middle)});
  ASSERT_EQ(as_of.exit_code, 0) << as_of.Describe();
  auto expected = ExpectedTotals(*alliance_, middle);
  for (const auto& grant : ParseJsonLines(as_of.out)) {
    EXPECT_EQ(Fen(grant["disbursed"]), expected[grant["grant_id"]].disbursed);
    EXPECT_EQ(Fen(grant["spent"]), expected[grant["grant_id"]].spent);
  }
  // Before the ledger existed (by append time), or before its first business date, there is
  // nothing to read, and the command says so rather than print an empty view.
  CommandResult past = Run({"view", "grants", "--json", "--as-of-time", "2000-01-01"});
  EXPECT_EQ(past.exit_code, 2) << past.Describe();
  EXPECT_NE(past.err.find("before the ledger's first append"), std::string::npos) << past.Describe();
  EXPECT_EQ(past.out, "");
  CommandResult early = Run({"view", "grants", "--json", "--as-of-date", "2000-01-01"});
  EXPECT_EQ(early.exit_code, 2) << early.Describe();
  EXPECT_NE(early.err.find("is before the first business date the ledger records"), std::string::npos)
      << early.Describe();
  CommandResult beyond = Run({"view", "grants", "--as-of-seq", std::to_string(head + 1)});
  EXPECT_EQ(beyond.exit_code, 2) << beyond.Describe();
  EXPECT_NE(beyond.err.find("beyond the head"), std::string::npos);
  CommandResult bad_date = Run({"view", "grants", "--as-of-date", "2025-02-30"});
  EXPECT_EQ(bad_date.exit_code, 2) << bad_date.Describe();
}

TEST_F(Views, RebuildGivesTheIncrementalDigest) {
  CommandResult incremental = Run({"view", "--digest"});
  ASSERT_EQ(incremental.exit_code, 0) << incremental.Describe();
  CommandResult rebuilt = Run({"rebuild"});
  ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.Describe();
  auto digest = [](const std::string& out) {
    size_t at = out.find("projection digest ");
    return at == std::string::npos ? std::string() : out.substr(at + 18, 64);
  };
  EXPECT_FALSE(digest(incremental.out).empty());
  EXPECT_EQ(digest(incremental.out), digest(rebuilt.out));
  // The history store the appends kept is the one recomputed from zero.
  EXPECT_NE(rebuilt.out.find("history store: "), std::string::npos) << rebuilt.Describe();
  EXPECT_NE(rebuilt.out.find("the stored one was the same"), std::string::npos) << rebuilt.Describe();
  // verify compares the store with the records the log gives.
  CommandResult verified = Run({"verify"});
  EXPECT_EQ(verified.exit_code, 0) << verified.Describe();
  EXPECT_NE(verified.out.find("ok: the history store's records agree with the log up to its checkpoint at sequence "),
            std::string::npos)
      << verified.Describe();
  // The tables it loaded the store with are gone from the ledger's directory.
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(alliance_->ledger()) / "history-load"));
}

// A reader that opens the ledger while `rebuild` replaces the history store sees the old store,
// or the new one whole, or reads the log: never a checkpoint without its records. (Before the
// checkpoint was added as a table of its own, about 1 read in 20 on the demo ledger failed with
// "disagree with the subject index".) The race is timing-dependent: a regression shows as some
// failed reads out of many, not on every run.
TEST_F(Views, HistoryReadWhileRebuildRunsIsWholeOrFromTheLog) {
  const std::vector<std::string> read = {"history", "grant", SampleAlliance::kGrantBattery, "--json"};
  CommandResult expected = Run(read);
  ASSERT_EQ(expected.exit_code, 0) << expected.Describe();
  std::atomic<bool> done = false;
  std::vector<CommandResult> rebuilds;
  std::thread rebuilder([&] {
    for (int round = 0; round < 12; ++round) rebuilds.push_back(Run({"rebuild"}));
    done = true;
  });
  int reads = 0;
  std::vector<std::string> wrong;
  while (!done || reads == 0) {
    CommandResult result = Run(read);
    ++reads;
    if (result.exit_code != 0 || result.out != expected.out) wrong.push_back(result.Describe());
  }
  rebuilder.join();
  for (const CommandResult& rebuild : rebuilds) EXPECT_EQ(rebuild.exit_code, 0) << rebuild.Describe();
  EXPECT_TRUE(wrong.empty()) << wrong.size() << " of " << reads << " reads differed; the first: " << wrong.front();
}

// `view spending` on the sample history plus Tsinghua's spending of 2024-05 to 2025-01, a vendor
// refund and a reversed expenditure; the sums below are computed by hand.
class Spending : public Views {
 protected:
  void SetUp() override {
    Views::SetUp();
    using A = SampleAlliance;
    auto spend = [](const std::string& category, const std::string& invoice, const std::string& amount,
                     const std::string& paid) {
      nlohmann::json event = ExpenditureRecorded(A::kGrantBattery, A::kTsinghua, category, "V-LAB", invoice, amount);
      event["invoice_date"] = paid;
      event["payment_date"] = paid;
      return event;
    };
    nlohmann::json receipt = alliance_->Append(
        alliance_->finance_tsinghua,
        {spend("materials", "INV-201", "10000.00 CNY", "2024-05-06"),
         spend("equipment", "INV-202", "200000.00 CNY", "2024-05-20"),
         spend("materials", "INV-203", "3333.33 CNY", "2024-12-31"),
         spend("materials", "INV-204", "1111.11 CNY", "2025-01-01"),
         {{"type", "refund_recorded"}, {"grant_id", A::kGrantBattery}, {"org_id", A::kTsinghua},
          {"kind", "vendor_refund"}, {"amount", "500.00 CNY"}, {"date", "2024-05-25"}, {"vendor_id", "V-LAB"}}});
    uint64_t equipment = receipt["first_sequence"].get<uint64_t>() + 1;
    before_reversal_ = equipment + 3;
    alliance_->Append(alliance_->finance_tsinghua,
                      {{{"type", "reversal"}, {"target_sequence", equipment}, {"reason", "重复录入"}}});
  }

  // The rows of `view spending ARGS --json`: each group's spent, then "total".
  std::map<std::string, std::string> Spent(std::vector<std::string> args) {
    args.insert(args.begin(), {"view", "spending"});
    args.push_back("--json");
    CommandResult result = Run(args);
    EXPECT_EQ(result.exit_code, 0) << result.Describe();
    std::map<std::string, std::string> out;
    for (const auto& row : ParseJsonLines(result.out)) {
      std::string group = "total";
      for (const char* by : {"month", "category", "member"}) {
        if (row.contains(by)) group = row[by];
      }
      out[group] = row["spent"];
    }
    return out;
  }
  uint64_t before_reversal_ = 0;
};

TEST_F(Spending, SumsByHandWithReversalsAndRefunds) {
  const std::string grant = SampleAlliance::kGrantBattery, thu = SampleAlliance::kTsinghua;
  // The grant: 1,250,000.00 + 48,000.00 + 12,345.67 (the history) + 10,000.00 + 3,333.33 +
  // 1,111.11, less the refund of 500.00; the reversed 200,000.00 not at all.
  using Rows = std::map<std::string, std::string>;
  EXPECT_EQ(Spent({"--grant", grant}), (Rows{{"total", "1324290.11 CNY"}}));
  // Tsinghua's 2024 on it.
  EXPECT_EQ(Spent({"--grant", grant, "--member", thu, "--from-date", "2024-01-01", "--to-date", "2024-12-31"}),
            (Rows{{"total", "73179.00 CNY"}}));
  EXPECT_EQ(Spent({"--grant", grant, "--member", thu, "--by", "month"}),
            (Rows{{"2024-03", "60345.67 CNY"},
                  {"2024-05", "9500.00 CNY"},
                  {"2024-12", "3333.33 CNY"},
                  {"2025-01", "1111.11 CNY"},
                  {"total", "74290.11 CNY"}}));
  // A category leaves refunds out; --by category shows them apart.
  EXPECT_EQ(Spent({"--member", thu, "--category", "MATERIALS", "--from-date", "2024-01-01", "--to-date", "2024-12-31"}),
            (Rows{{"total", "61333.33 CNY"}}));
  EXPECT_EQ(Spent({"--grant", grant, "--by", "category"}),
            (Rows{{"equipment", "1250000.00 CNY"},
                  {"materials", "62444.44 CNY"},
                  {"testing", "12345.67 CNY"},
                  {"vendor_refund", "-500.00 CNY"},
                  {"total", "1324290.11 CNY"}}));
  EXPECT_EQ(Spent({"--grant", grant, "--by", "member"}),
            (Rows{{SampleAlliance::kCatl, "1250000.00 CNY"}, {thu, "74290.11 CNY"}, {"total", "1324290.11 CNY"}}));
  // As of the ledger position before the reversal, for May 2024: the equipment still counts.
  EXPECT_EQ(Spent({"--member", thu, "--from-date", "2024-05-01", "--to-date", "2024-05-31", "--as-of-seq",
                   std::to_string(before_reversal_)}),
            (Rows{{"total", "209500.00 CNY"}}));
  EXPECT_EQ(Spent({"--member", thu, "--from-date", "2024-05-01", "--to-date", "2024-05-31"}),
            (Rows{{"total", "9500.00 CNY"}}));
}

TEST_F(Spending, TotalsMatchTheGrantsAndMembersViews) {
  CommandResult grants = Run({"view", "grants", "--json"});
  ASSERT_EQ(grants.exit_code, 0) << grants.Describe();
  for (const auto& grant : ParseJsonLines(grants.out)) {
    EXPECT_EQ(Spent({"--grant", grant["grant_id"]})["total"], grant["spent"]) << grant.dump();
  }
  CommandResult members = Run({"view", "members", "--json"});
  ASSERT_EQ(members.exit_code, 0) << members.Describe();
  int compared = 0;
  for (const auto& member : ParseJsonLines(members.out)) {
    for (const auto& grant : member["grants"]) {
      EXPECT_EQ(Spent({"--grant", grant["grant_id"], "--member", member["org_id"]})["total"], grant["spent"])
          << member.dump();
      ++compared;
    }
  }
  EXPECT_EQ(compared, 3);
}

TEST_F(Spending, TableAndCsv) {
  CommandResult table = Run({"view", "spending", "--grant", SampleAlliance::kGrantBattery, "--by", "month"});
  ASSERT_EQ(table.exit_code, 0) << table.Describe();
  for (const char* expected : {"Spending by payment date: grant G-2024-01", "month", "2024-05", "9,500.00 CNY",
                               "1,324,290.11 CNY", "vendor refunds"}) {
    EXPECT_NE(table.out.find(expected), std::string::npos) << expected << "\n" << table.out;
  }
  CommandResult csv = Run({"view", "spending", "--grant", SampleAlliance::kGrantBattery, "--by", "month", "--csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.Describe();
  auto rows = ParseCsv(csv.out);
  ASSERT_EQ(rows.size(), 6u) << csv.out;  // header, four months, total
  EXPECT_EQ(rows[0], (std::vector<std::string>{"month", "payments", "expenditures", "vendor refunds", "spent"}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"2024-05", "1", "10000.00 CNY", "500.00 CNY", "9500.00 CNY"}));
  EXPECT_EQ(rows[5], (std::vector<std::string>{"total", "6", "1324790.11 CNY", "500.00 CNY", "1324290.11 CNY"}));
}

TEST_F(Spending, BadArgumentsAreErrorsThatSayWhatToUse) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> bad = {
      {{"--by", "week"}, "month, category, member"},
      {{"--category", "furniture"}, "equipment, materials, testing"},
      {{"--from-date", "2024-13-01"}, "--from-date"},
      {{"--from-date", "2025-01-01", "--to-date", "2024-12-31"}, "after --to-date"},
      {{"--grant", "G-NOPE"}, "view grants"},
      {{"--member", "NOPE"}, "view members"},
  };
  for (const auto& [args, expected] : bad) {
    std::vector<std::string> command = {"view", "spending"};
    command.insert(command.end(), args.begin(), args.end());
    CommandResult result = Run(command);
    EXPECT_EQ(result.exit_code, 2) << args[0] << "\n" << result.Describe();
    EXPECT_NE(result.err.find(expected), std::string::npos) << args[0] << "\n" << result.err;
    EXPECT_TRUE(result.out.empty()) << result.out;
  }
  CommandResult misplaced = Run({"view", "grants", "--by", "month"});
  EXPECT_EQ(misplaced.exit_code, 2) << misplaced.Describe();
  EXPECT_NE(misplaced.err.find("view spending"), std::string::npos) << misplaced.err;
}

TEST_F(Views, ErrorsNameWhatIsWrong) {
  CommandResult unknown = Run({"view", "budgets"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("unknown view \"budgets\""), std::string::npos) << unknown.err;
  CommandResult missing = Run({"history", "grant", "G-NOPE"});
  EXPECT_EQ(missing.exit_code, 5);
  EXPECT_NE(missing.err.find("grant \"G-NOPE\" is not registered"), std::string::npos) << missing.err;
  CommandResult kind = Run({"history", "vendor", "V-LAB"});
  EXPECT_EQ(kind.exit_code, 2) << kind.Describe();
}

}  // namespace
}  // namespace fundtrail::testing
