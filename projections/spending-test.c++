// Tests of the spending query (spending.h) against sums computed by hand, on
// events with reversals and vendor refunds, and against the projection's own
// figures (the views' totals).
#include "projections/spending.h"

#include <gtest/gtest.h>

#include "ledger/dates.h"
#include "ledger/log_format.h"
#include "ledger/test_util.h"

namespace fundtrail::projections {
namespace {

using nlohmann::json;
using test::Cny;

json Disburse(const std::string& grant, const std::string& org, int64_t fen) {
  return {{"type", "funds_disbursed"},
          {"grant_id", grant},
          {"member_org_id", org},
          {"amount", Cny(fen)},
          {"date", "2025-01-02"}};
}

json Spend(const std::string& grant, const std::string& org, const std::string& category,
           const std::string& paid, int64_t fen) {
  static int invoice = 0;
  return {{"type", "expenditure_recorded"},
          {"grant_id", grant},
          {"org_id", org},
          {"category", category},
          {"vendor_id", "V-1"},
          {"invoice_number", "INV-" + std::to_string(++invoice)},
          {"invoice_date", "2025-01-01"},
          {"payment_date", paid},
          {"amount", Cny(fen)},
          {"requester", "李娜"},
          {"approver", "王强"},
          {"description", "材料"}};
}

json Refund(const std::string& grant, const std::string& org, const std::string& kind,
            const std::string& date, int64_t fen) {
  json event = {{"type", "refund_recorded"}, {"grant_id", grant}, {"org_id", org}, {"kind", kind},
                {"amount", Cny(fen)},        {"date", date}};
  if (kind == "vendor_refund") event["vendor_id"] = "V-1";
  return event;
}

json Reverse(uint64_t target) {
  return {{"type", "reversal"}, {"target_sequence", target}, {"reason", "录入错误"}};
}

// A query, field by field (designated initializers would have to name every field).
struct Query {
  SpendingFilter filter;
  Query& Grant(const std::string& id) {
    filter.grant_id = id;
    return *this;
  }
  Query& Member(const std::string& id) {
    filter.org_id = id;
    return *this;
  }
  Query& Category(int category) {
    filter.category = category;
    return *this;
  }
  Query& Paid(const char* from, const char* to) {
    filter.from_days = *ParseDate(from);
    filter.to_days = *ParseDate(to);
    return *this;
  }
  Query& By(SpendingGroup by) {
    filter.by = by;
    return *this;
  }
  operator SpendingFilter() const { return filter; }  // NOLINT: a builder
};

// The events, folded into a SpendingFold and, for comparison, a Projection.
class SpendingTest : public ::testing::Test {
 protected:
  uint64_t Add(const json& event) {
    std::string canonical = test::MustEncode(event);
    uint64_t sequence = ++sequence_;
    lookup_.Add(sequence, canonical, "");
    auto decoded = DecodedEvent::Open(canonical, "event");
    EXPECT_TRUE(decoded.has_value());
    fold_.Apply(sequence, decoded->root());
    Status applied = projection_.Apply(sequence, Digest{}, decoded->root(), &lookup_);
    EXPECT_TRUE(applied.ok()) << applied.message();
    return sequence;
  }

  // The rows of a query, as "group currency payments expenditures refunds
  // vendor_refunds spent".
  std::vector<std::string> Rows(SpendingFilter filter) {
    auto rows = QuerySpending(fold_, filter, "CNY");
    EXPECT_TRUE(rows.has_value());
    std::vector<std::string> out;
    for (const auto& row : *rows) {
      out.push_back(row.group + " " + row.currency + " " + std::to_string(row.payments) + " " +
                    std::to_string(row.expenditures) + " " + std::to_string(row.refunds) + " " +
                    std::to_string(row.vendor_refunds) + " " + std::to_string(row.spent()));
    }
    return out;
  }

  // The seeded ledger: two members on G-1, an expenditure reversed, a vendor
  // refund counted for the member, one on G-2 that counts for no member
  // (nothing was disbursed to it there), a refund to the funder (not spending),
  // and an expenditure reversed after a later one.
  void Seed() {
    Add(Disburse("G-1", "UNI", 10000000));
    Add(Disburse("G-1", "ENT", 5000000));
    Add(Spend("G-1", "UNI", "materials", "2025-01-10", 100000));
    reversed_ = Add(Spend("G-1", "UNI", "equipment", "2025-01-20", 2000000));
    Add(Spend("G-1", "ENT", "materials", "2025-02-05", 300050));
    Add(Spend("G-1", "UNI", "testing", "2025-02-28", 50025));
    Add(Spend("G-2", "UNI", "materials", "2025-02-10", 77700));
    Add(Reverse(reversed_));
    Add(Refund("G-1", "UNI", "vendor_refund", "2025-02-15", 20000));
    Add(Refund("G-2", "UNI", "vendor_refund", "2025-03-01", 7700));
    Add(Refund("G-1", "ENT", "unspent_to_funder", "2025-03-05", 100000));
    Add(Spend("G-1", "UNI", "materials", "2025-03-31", 99999));
    uint64_t late = Add(Spend("G-1", "ENT", "materials", "2025-04-01", 12345));
    Add(Spend("G-1", "ENT", "materials", "2025-04-02", 11111));
    Add(Reverse(late));
  }

  SpendingFold fold_;
  Projection projection_;
  test::MemoryEventLookup lookup_;
  uint64_t sequence_ = 0;
  uint64_t reversed_ = 0;
};

TEST_F(SpendingTest, TotalsByHand) {
  Seed();
  // G-1: 1,000.00 + 3,000.50 + 500.25 + 999.99 + 111.11 (the equipment and the
  // 123.45 reversed), less the vendor refund of 200.00.
  EXPECT_EQ(Rows(Query().Grant("G-1")),
            (std::vector<std::string>{"total CNY 5 561185 1 20000 541185"}));
  // G-2: 777.00 less a refund of 77.00 that counts for the grant, not for UNI.
  EXPECT_EQ(Rows(Query().Grant("G-2")),
            (std::vector<std::string>{"total CNY 1 77700 1 7700 70000"}));
  EXPECT_EQ(Rows(Query().Grant("G-2").Member("UNI")),
            (std::vector<std::string>{"total CNY 1 77700 0 0 77700"}));
  // UNI on G-1: 1,000.00 + 500.25 + 999.99 less 200.00.
  EXPECT_EQ(Rows(Query().Grant("G-1").Member("UNI")),
            (std::vector<std::string>{"total CNY 3 250024 1 20000 230024"}));
  // Everything.
  EXPECT_EQ(Rows(Query()), (std::vector<std::string>{"total CNY 6 638885 2 27700 611185"}));
  // Nothing matches: one zero total.
  EXPECT_EQ(Rows(Query().Grant("G-9")), (std::vector<std::string>{"total CNY 0 0 0 0 0"}));
}

TEST_F(SpendingTest, GroupsByHand) {
  Seed();
  EXPECT_EQ(Rows(Query().Grant("G-1").By(SpendingGroup::kMonth)),
            (std::vector<std::string>{
                "2025-01 CNY 1 100000 0 0 100000", "2025-02 CNY 2 350075 1 20000 330075",
                "2025-03 CNY 1 99999 0 0 99999", "2025-04 CNY 1 11111 0 0 11111",
                "total CNY 5 561185 1 20000 541185"}));
  EXPECT_EQ(Rows(Query().Grant("G-1").By(SpendingGroup::kCategory)),
            (std::vector<std::string>{
                "materials CNY 4 511160 0 0 511160", "testing CNY 1 50025 0 0 50025",
                "vendor_refund CNY 0 0 1 20000 -20000", "total CNY 5 561185 1 20000 541185"}));
  EXPECT_EQ(Rows(Query().By(SpendingGroup::kMember)),
            (std::vector<std::string>{"- CNY 0 0 1 7700 -7700", "ENT CNY 2 311161 0 0 311161",
                                      "UNI CNY 4 327724 1 20000 307724",
                                      "total CNY 6 638885 2 27700 611185"}));
}

TEST_F(SpendingTest, PeriodAndCategoryByHand) {
  Seed();
  EXPECT_EQ(
      Rows(Query().Grant("G-1").Paid("2025-02-01", "2025-02-28")),
      (std::vector<std::string>{"total CNY 2 350075 1 20000 330075"}));
  // Both ends inclusive; the refund of 2025-02-15 lies outside.
  EXPECT_EQ(
      Rows(Query().Grant("G-1").Paid("2025-02-28", "2025-03-31")),
      (std::vector<std::string>{"total CNY 2 150024 0 0 150024"}));
  // A category leaves vendor refunds out: they have none.
  EXPECT_EQ(Rows(Query().Grant("G-1").Category(*BudgetCategoryFromName("Materials"))),
            (std::vector<std::string>{"total CNY 4 511160 0 0 511160"}));
  EXPECT_EQ(Rows(Query().Grant("G-1").Category(*BudgetCategoryFromName("equipment"))),
            (std::vector<std::string>{"total CNY 0 0 0 0 0"}));
  EXPECT_FALSE(BudgetCategoryFromName("furniture").has_value());
  EXPECT_EQ(BudgetCategoryNames().size(), 10u);
  EXPECT_EQ(BudgetCategoryNames()[4], "travel_conference_international");
}

TEST_F(SpendingTest, TotalsEqualTheViews) {
  Seed();
  for (const auto& [id, grant] : projection_.grants()) {
    auto rows = QuerySpending(fold_, Query().Grant(id), "CNY");
    ASSERT_TRUE(rows.has_value());
    EXPECT_EQ(rows->back().spent(), grant.spent) << id;
    for (const auto& [category, amount] : grant.spent_by_category) {
      auto by_category = QuerySpending(fold_, Query().Grant(id).Category(category), "CNY");
      EXPECT_EQ(by_category->back().spent(), amount) << id << " " << category;
    }
  }
  for (const auto& [key, member] : projection_.member_grants()) {
    auto rows = QuerySpending(fold_, Query().Grant(key.second).Member(key.first), "CNY");
    ASSERT_TRUE(rows.has_value());
    EXPECT_EQ(rows->back().spent(), member.spent) << key.first << " " << key.second;
  }
  EXPECT_EQ(projection_.grants().size(), 2u);
  EXPECT_EQ(projection_.member_grants().size(), 3u);
}

TEST_F(SpendingTest, ViewHasTableCsvAndJsonRows) {
  Seed();
  SpendingFilter filter = Query().Grant("G-1").By(SpendingGroup::kMonth);
  ViewData view = SpendingView(*QuerySpending(fold_, filter, "CNY"), filter, "grant G-1");
  EXPECT_EQ(view.headers.front(), "month");
  ASSERT_EQ(view.rows.size(), 5u);
  EXPECT_EQ(view.rows[1], (std::vector<std::string>{"2025-02", "2", "3,500.75 CNY", "200.00 CNY",
                                                    "3,300.75 CNY"}));
  EXPECT_EQ(view.csv_rows[1],
            (std::vector<std::string>{"2025-02", "2", "3500.75 CNY", "200.00 CNY", "3300.75 CNY"}));
  EXPECT_EQ(view.json[1]["month"], "2025-02");
  EXPECT_EQ(view.json[1]["spent"], "3300.75 CNY");
  EXPECT_EQ(view.json[4]["total"], true);
  EXPECT_EQ(view.json[4]["spent"], "5411.85 CNY");
}

}  // namespace
}  // namespace fundtrail::projections
