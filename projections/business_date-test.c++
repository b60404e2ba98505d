// Tests of evaluation by business date (business_date.h): which date of each event type counts,
// and a fold of a random ledger cut at days before, between and after its business dates,
// against the projection of the whole log.
#include "projections/business_date.h"

#include <gtest/gtest.h>

#include "ledger/dates.h"
#include "ledger/log_format.h"
#include "projections/random_ledger.h"
#include "projections/views.h"

namespace fundtrail::projections {
namespace {

std::optional<int32_t> DayOf(const json& event) {
  std::string canonical = test::MustEncode(event);
  auto decoded = DecodedEvent::Open(canonical, "event");
  EXPECT_TRUE(decoded.has_value()) << event.dump();
  if (!decoded) return std::nullopt;
  auto day = BusinessDay(decoded->root());
  EXPECT_TRUE(day.has_value()) << event.dump();
  return day ? *day : std::nullopt;
}

int32_t Day(const char* date) { return *ParseDate(date); }

std::string FlagsOf(const std::vector<Flag>& flags) {
  std::string out;
  for (const Flag& flag : flags) out += FlagToJson(flag).dump() + "\n";
  return out;
}

TEST(BusinessDay, EachEventTypeByItsDate) {
  // Dated events: the date that says when the business happened.
  json expenditure = test::ExpenditureJson("G-1", test::kUniversity, "V-1", "10.00 CNY");
  expenditure["invoice_date"] = "2024-03-30";
  expenditure["payment_date"] = "2024-04-03";
  EXPECT_EQ(DayOf(expenditure), Day("2024-04-03"));  // paid, not invoiced
  EXPECT_EQ(DayOf(test::MemberAdmittedJson(test::kUniversity, "2024-01-16")), Day("2024-01-16"));
  EXPECT_EQ(DayOf({{"type", "member_withdrawn"}, {"org_id", "X"}, {"date", "2024-07-01"}}), Day("2024-07-01"));
  json grant = test::GrantJson("G-1", test::kFunder, "P-1");
  grant["date"] = "2024-02-21";
  EXPECT_EQ(DayOf(grant), Day("2024-02-21"));  // the award date, not the period's start
  EXPECT_EQ(DayOf(test::FundsReceivedJson("G-1", "1.00 CNY")), Day("2024-03-05"));
  EXPECT_EQ(DayOf(test::FundsDisbursedJson("G-1", test::kUniversity, "1.00 CNY")), Day("2024-03-10"));
  EXPECT_EQ(DayOf(test::RefundJson("G-1", test::kUniversity, "1.00 CNY")), Day("2024-12-20"));
  EXPECT_EQ(DayOf({{"type", "budget_adjusted"},
                   {"grant_id", "G-1"},
                   {"lines", json::array({{{"category", "materials"}, {"amount", "1.00 CNY"}}})},
                   {"approved_by", "F"},
                   {"date", "2024-05-06"}}),
            Day("2024-05-06"));
  EXPECT_EQ(DayOf({{"type", "agreement_signed"},
                   {"agreement_id", "A"},
                   {"org_id", "X"},
                   {"signatory_name", "S"},
                   {"date", "2024-01-25"}}),
            Day("2024-01-25"));
  EXPECT_EQ(DayOf({{"type", "outcome_shared"}, {"outcome_id", "O"}, {"recipient", "R"}, {"date", "2025-01-02"}}),
            Day("2025-01-02"));
  EXPECT_EQ(DayOf({{"type", "licence_granted"},
                   {"licence_id", "L"},
                   {"outcome_id", "O"},
                   {"licensee_name", "N"},
                   {"date", "2025-02-03"}}),
            Day("2025-02-03"));
  EXPECT_EQ(DayOf({{"type", "revenue_distributed"},
                   {"outcome_id", "O"},
                   {"total", "1.00 CNY"},
                   {"payments", json::array({{{"org_id", "X"}, {"amount", "1.00 CNY"}}})},
                   {"date", "2025-03-04"}}),
            Day("2025-03-04"));
  // Undated: reference data, the genesis, policies, reviews and reversals always count.
  test::TempDir keys;
  for (const json& event : test::TestAlliance(keys.path()).GenesisEvents()) {
    if (event["type"] == "member_admitted") continue;
    EXPECT_EQ(DayOf(event), std::nullopt) << event.dump();
  }
  EXPECT_EQ(DayOf(test::VendorJson("V-1")), std::nullopt);
  EXPECT_EQ(DayOf(test::ProjectJson("P-1")), std::nullopt);
  EXPECT_EQ(DayOf(test::TaskJson("T", "P-1", test::kUniversity)), std::nullopt);
  EXPECT_EQ(DayOf(test::ReversalJson(5)), std::nullopt);
  EXPECT_EQ(DayOf({{"type", "policy_set"}, {"version", 1}, {"document", "{}"}}), std::nullopt);
  EXPECT_EQ(DayOf({{"type", "flag_disposition"}, {"flag_id", "TP-3/9"}, {"disposition", "confirmed"}, {"note", "n"}}),
            std::nullopt);
}

class FoldToBusinessDateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto made = RandomLedger::Make(SeedFromEnvironment(20261208), temp_);
    ASSERT_TRUE(made.has_value()) << made.error().message();
    random_ = std::move(*made);
    for (int batch = 0; batch < 30; ++batch) ASSERT_TRUE(random_->AppendRandomBatch().ok());
    head_ = random_->ledger().head().sequence;
    auto whole = Load(random_->ledger(), head_);
    ASSERT_TRUE(whole.has_value()) << whole.error().message();
    whole_ = std::move(*whole);
  }

  Result<Projections> Cut(const char* date, BusinessCut* cut) {
    return FoldToBusinessDate(random_->ledger(), head_, Day(date), cut);
  }

  test::TempDir temp_;
  std::unique_ptr<RandomLedger> random_;
  uint64_t head_ = 0;
  Projections whole_;
};

TEST_F(FoldToBusinessDateTest, AfterEveryDateItIsTheWholeLog) {
  BusinessCut cut;
  auto folded = Cut("2030-01-01", &cut);
  ASSERT_TRUE(folded.has_value()) << folded.error().message();
  EXPECT_EQ(cut.events_left_out, 0u);
  EXPECT_EQ(cut.sequence, head_);
  EXPECT_EQ(GrantsView(folded->views).json.dump(), GrantsView(whole_.views).json.dump());
  EXPECT_EQ(MembersView(folded->views).json.dump(), MembersView(whole_.views).json.dump());
  EXPECT_EQ(FlagsOf(folded->rules.Flags(Day("2030-01-01"))), FlagsOf(whole_.rules.Flags(Day("2030-01-01"))));
}

TEST_F(FoldToBusinessDateTest, BetweenDatesLaterBusinessAndItsReversalsAreLeftOut) {
  // Received 2024-03-05, disbursed 2024-03-10, paid 2024-04-03, refunded 2024-12-20.
  BusinessCut cut;
  auto folded = Cut("2024-03-31", &cut);
  ASSERT_TRUE(folded.has_value()) << folded.error().message();
  EXPECT_GT(cut.events_left_out, 0u);
  for (const auto& [id, grant] : folded->views.grants()) {
    const auto& whole = whole_.views.grants().at(id);
    EXPECT_EQ(grant.received, whole.received) << id;
    EXPECT_EQ(grant.disbursed, whole.disbursed) << id;
    EXPECT_EQ(grant.spent, 0) << id;  // a reversal of a payment left out is left out too
    EXPECT_EQ(grant.refunded, 0) << id;
  }
  folded = Cut("2024-04-03", &cut);
  ASSERT_TRUE(folded.has_value()) << folded.error().message();
  for (const auto& [id, grant] : folded->views.grants()) {
    EXPECT_EQ(grant.spent, whole_.views.grants().at(id).spent) << id;
    EXPECT_EQ(grant.refunded, 0) << id;
  }
  // Before the grants were awarded (2024-02-20) there are no grants, but members.
  folded = Cut("2024-02-19", &cut);
  ASSERT_TRUE(folded.has_value()) << folded.error().message();
  EXPECT_TRUE(folded->views.grants().empty());
}

TEST_F(FoldToBusinessDateTest, BeforeTheFirstBusinessDateSaysSo) {
  BusinessCut cut;
  auto folded = Cut("2023-12-31", &cut);
  ASSERT_FALSE(folded.has_value());
  EXPECT_EQ(folded.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(folded.error().message().find("--as-of-date 2023-12-31 is before the first business date the ledger "
                                          "records, 2024-01-15"),
            std::string::npos)
      << folded.error().message();
  EXPECT_NE(folded.error().message().find("member_admitted): there is nothing to evaluate"), std::string::npos)
      << folded.error().message();
}

}  // namespace
}  // namespace fundtrail::projections
