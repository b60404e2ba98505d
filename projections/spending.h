// The auditors' spending query (`fundtrail view spending`): what was spent on a
// grant, by a member, in a budget category, over a business period (payment
// dates), as the ledger stood at a sequence number; in total, or by month,
// category or member.
//
// "Spent" means what the views mean (projection.h): expenditures less vendor
// refunds. An expenditure counts on its payment date, a vendor refund on its
// date, and a reversed event not at all. A vendor refund counts against a
// member when ApplyMemberGrantChange counts it (the member had received money
// of the grant), else against the grant alone. So, with no period and no
// category, a grant's total equals its `spent` in `view grants`, and a member's
// total on a grant its `spent` in `view members`. A vendor refund has no
// category: a query for a category leaves refunds out, as the grants view's
// budget against actual does (its `spent` per category is gross), and --by
// category shows them in a group of their own, "vendor_refund".
//
// Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ledger/status.h"
#include "ledger/store.h"
#include "projections/projection.h"
#include "projections/views.h"
#include "schemas/fundtrail.capnp.h"

namespace fundtrail::projections {

// The live expenditures and vendor refunds of a log, folded in sequence order.
class SpendingFold {
 public:
  struct Item {
    std::string grant_id;
    std::string org_id;  // "" for a vendor refund that counts for no member
    int category = -1;   // schema::BudgetCategory; -1 for a vendor refund
    int32_t days = 0;    // payment date (expenditure) or date (vendor refund),
                         // days since 1970
    int64_t amount = 0;  // minor units, positive
    std::string currency;
  };

  // Folds event `sequence` in; a reversal removes its target.
  // REQUIRES: sequences increase from call to call; the event passed the
  // ledger's validation.
  void Apply(uint64_t sequence, schema::Event::Reader event);

  // The live items by sequence number.
  const std::map<uint64_t, Item>& items() const { return items_; }

 private:
  // A member's money event, kept to undo it when it is reversed
  // (MemberGrantChange points into its event).
  struct MemberEvent {
    std::string org_id;
    std::string grant_id;
    MemberGrantChange::Kind kind = MemberGrantChange::Kind::kDisbursed;
    int64_t amount = 0;
    int category = 0;
  };
  void Reverse(uint64_t target);

  std::map<uint64_t, Item> items_;
  std::map<uint64_t, MemberEvent> member_events_;
  MemberGrantMap members_;  // as the projection folds them, to count vendor
                            // refunds as it does
};

// Folds the log's events 1..`to` (the ledger's own events, read as the
// projections read them).
Result<SpendingFold> FoldSpending(const Ledger& ledger, uint64_t to);

enum class SpendingGroup { kNone, kMonth, kCategory, kMember };

struct SpendingFilter {
  std::string grant_id;           // "" any
  std::string org_id;             // "" any
  int category = -1;              // -1 any
  int32_t from_days = INT32_MIN;  // payment dates, inclusive
  int32_t to_days = INT32_MAX;
  SpendingGroup by = SpendingGroup::kNone;
};

struct SpendingRow {
  std::string group;  // "2025-03", "equipment", an org id; "total" for the totals
  std::string currency;
  uint64_t payments = 0;       // expenditures counted
  int64_t expenditures = 0;    // their sum
  uint64_t refunds = 0;        // vendor refunds counted
  int64_t vendor_refunds = 0;  // their sum
  int64_t spent() const { return expenditures - vendor_refunds; }
};

// The groups in order (then by currency), followed by one "total" row per
// currency (one, with zeros, in `default_currency` when nothing matched). Sums
// that would not fit in int64 are an error.
Result<std::vector<SpendingRow>> QuerySpending(const SpendingFold& fold,
                                               const SpendingFilter& filter,
                                               const std::string& default_currency);

// The rows ready to print; `scope` describes the query in the title.
ViewData SpendingView(const std::vector<SpendingRow>& rows, const SpendingFilter& filter,
                      const std::string& scope);

// The budget category named `name` (snake_case, any case), or nullopt.
std::optional<int> BudgetCategoryFromName(const std::string& name);
// Every budget category name, in schema order.
std::vector<std::string> BudgetCategoryNames();

}  // namespace fundtrail::projections
