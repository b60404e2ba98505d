#include "projections/spending.h"

#include <capnp/schema.h>

#include "ledger/dates.h"
#include "ledger/json_codec.h"
#include "ledger/log_format.h"
#include "ledger/money.h"

namespace fundtrail::projections {

namespace {

using Which = schema::Event::Which;
using int128 = __int128;

std::string Str(capnp::Text::Reader text) { return std::string(text.cStr(), text.size()); }

constexpr char kVendorRefundGroup[] = "vendor_refund";

std::string GroupOf(const SpendingFold::Item& item, SpendingGroup by) {
  switch (by) {
    case SpendingGroup::kNone:
      return "total";
    case SpendingGroup::kMonth:
      return FormatDate(item.days).substr(0, 7);
    case SpendingGroup::kCategory:
      return item.category < 0 ? kVendorRefundGroup : BudgetCategoryName(item.category);
    case SpendingGroup::kMember:
      return item.org_id.empty() ? "-" : item.org_id;
  }
  return "total";
}

bool Selected(const SpendingFold::Item& item, const SpendingFilter& filter) {
  if (!filter.grant_id.empty() && item.grant_id != filter.grant_id) return false;
  if (!filter.org_id.empty() && item.org_id != filter.org_id) return false;
  if (filter.category >= 0 && item.category != filter.category) return false;
  return item.days >= filter.from_days && item.days <= filter.to_days;
}

// Sums kept wider than a row's, checked when the row is made.
struct Sums {
  uint64_t payments = 0, refunds = 0;
  int128 expenditures = 0, vendor_refunds = 0;

  void Add(const SpendingFold::Item& item) {
    if (item.category < 0) {
      ++refunds;
      vendor_refunds += item.amount;
    } else {
      ++payments;
      expenditures += item.amount;
    }
  }
};

Result<SpendingRow> MakeRow(const std::string& group, const std::string& currency,
                            const Sums& sums) {
  auto fits = [](int128 value) { return value >= INT64_MIN && value <= INT64_MAX; };
  if (!fits(sums.expenditures) || !fits(sums.vendor_refunds) ||
      !fits(sums.expenditures - sums.vendor_refunds)) {
    return Error(Status::InvalidArgument("spending of " + group + " in " + currency +
                                         " does not fit in 64 bits of minor units"));
  }
  return SpendingRow{group,         currency,
                     sums.payments, static_cast<int64_t>(sums.expenditures),
                     sums.refunds,  static_cast<int64_t>(sums.vendor_refunds)};
}

std::string Grouped(int64_t minor_units, const std::string& currency) {
  return FormatAmountGrouped(minor_units, currency) + " " + currency;
}

std::string Plain(int64_t minor_units, const std::string& currency) {
  return FormatMoneyPlain({minor_units, currency});
}

const char* GroupName(SpendingGroup by) {
  switch (by) {
    case SpendingGroup::kNone:
      return "";
    case SpendingGroup::kMonth:
      return "month";
    case SpendingGroup::kCategory:
      return "category";
    case SpendingGroup::kMember:
      return "member";
  }
  return "";
}

}  // namespace

void SpendingFold::Apply(uint64_t sequence, schema::Event::Reader event) {
  if (event.which() == Which::REVERSAL) {
    Reverse(event.getReversal().getTargetSequence());
    return;
  }
  std::optional<MemberGrantChange> change = MemberGrantChangeOf(event);
  if (!change) return;
  const bool counted = ApplyMemberGrantChange(*change, +1, members_);
  member_events_[sequence] = {std::string(change->org_id), std::string(change->grant_id),
                              change->kind, change->amount, change->category};
  if (event.which() == Which::EXPENDITURE_RECORDED) {
    auto spent = event.getExpenditureRecorded();
    auto days = ParseDate(Str(spent.getPaymentDate()));
    FT_ASSERT(days.has_value(), "an expenditure the validator accepted has a payment date");
    items_[sequence] = {Str(spent.getGrantId()),
                        Str(spent.getOrgId()),
                        static_cast<int>(spent.getCategory()),
                        *days,
                        spent.getAmount().getMinorUnits(),
                        Str(spent.getAmount().getCurrency())};
  } else if (change->kind == MemberGrantChange::Kind::kVendorRefund) {
    auto refund = event.getRefundRecorded();
    auto days = ParseDate(Str(refund.getDate()));
    FT_ASSERT(days.has_value(), "a refund the validator accepted has a date");
    items_[sequence] = {Str(refund.getGrantId()),
                        counted ? Str(refund.getOrgId()) : std::string(),
                        -1,
                        *days,
                        refund.getAmount().getMinorUnits(),
                        Str(refund.getAmount().getCurrency())};
  }
}

void SpendingFold::Reverse(uint64_t target) {
  // As Projection::Apply does: the target's money effects undone (a reversed
  // reversal has none).
  auto found = member_events_.find(target);
  if (found == member_events_.end()) return;
  const MemberEvent& undone = found->second;
  MemberGrantChange change;
  change.org_id = undone.org_id;
  change.grant_id = undone.grant_id;
  change.kind = undone.kind;
  change.amount = undone.amount;
  change.category = undone.category;
  ApplyMemberGrantChange(change, -1, members_);
  items_.erase(target);
  member_events_.erase(found);
}

Result<SpendingFold> FoldSpending(const Ledger& ledger, uint64_t to) {
  SpendingFold fold;
  LogEventReader reader;
  Status failure;
  Status scanned = ledger.ScanEntries(1, to, [&](const StoredEntry& entry) {
    auto view = DecodeEntry(entry.record);
    if (!view) {
      failure = view.error().WithPrefix("sequence " + std::to_string(entry.sequence));
      return false;
    }
    failure = reader.Read(view->canonical_event, entry.sequence, [&](schema::Event::Reader event) {
      fold.Apply(entry.sequence, event);
      return Status::Ok();
    });
    return failure.ok();
  });
  if (!scanned.ok()) return Error(scanned);
  if (!failure.ok()) return Error(failure);
  return fold;
}

Result<std::vector<SpendingRow>> QuerySpending(const SpendingFold& fold,
                                               const SpendingFilter& filter,
                                               const std::string& default_currency) {
  std::map<std::pair<std::string, std::string>, Sums> groups;  // (group, currency)
  std::map<std::string, Sums> totals;                          // by currency
  for (const auto& [sequence, item] : fold.items()) {
    if (!Selected(item, filter)) continue;
    if (filter.by != SpendingGroup::kNone)
      groups[{GroupOf(item, filter.by), item.currency}].Add(item);
    totals[item.currency].Add(item);
  }
  if (totals.empty()) totals[default_currency];
  std::vector<SpendingRow> rows;
  for (const auto& [key, sums] : groups) {
    auto row = MakeRow(key.first, key.second, sums);
    if (!row) return Error(row.error());
    rows.push_back(std::move(*row));
  }
  for (const auto& [currency, sums] : totals) {
    auto row = MakeRow("total", currency, sums);
    if (!row) return Error(row.error());
    rows.push_back(std::move(*row));
  }
  return rows;
}

ViewData SpendingView(const std::vector<SpendingRow>& rows, const SpendingFilter& filter,
                      const std::string& scope) {
  ViewData view;
  view.title = "Spending by payment date: " + scope;
  const std::string group = filter.by == SpendingGroup::kNone ? "" : GroupName(filter.by);
  view.headers = {group.empty() ? "" : group, "payments", "expenditures", "vendor refunds",
                  "spent"};
  if (group.empty()) view.headers.front() = "total";
  view.right_aligned = {false, true, true, true, true};
  for (const auto& row : rows) {
    std::string label = row.group;
    view.rows.push_back(
        {label, std::to_string(row.payments), Grouped(row.expenditures, row.currency),
         Grouped(row.vendor_refunds, row.currency), Grouped(row.spent(), row.currency)});
    view.csv_rows.push_back(
        {label, std::to_string(row.payments), Plain(row.expenditures, row.currency),
         Plain(row.vendor_refunds, row.currency), Plain(row.spent(), row.currency)});
    nlohmann::ordered_json item;
    if (row.group == "total") {
      item["total"] = true;
    } else {
      item[group] = row.group;
    }
    item["currency"] = row.currency;
    item["payments"] = row.payments;
    item["expenditures"] = Plain(row.expenditures, row.currency);
    item["refunds"] = row.refunds;
    item["vendor_refunds"] = Plain(row.vendor_refunds, row.currency);
    item["spent"] = Plain(row.spent(), row.currency);
    view.json.push_back(std::move(item));
  }
  return view;
}

std::optional<int> BudgetCategoryFromName(const std::string& name) {
  std::string lowered = name;
  for (char& c : lowered) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  std::vector<std::string> names = BudgetCategoryNames();
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == lowered) return static_cast<int>(i);
  }
  return std::nullopt;
}

std::vector<std::string> BudgetCategoryNames() {
  std::vector<std::string> out;
  auto enumerants = capnp::Schema::from<schema::BudgetCategory>().getEnumerants();
  for (unsigned i = 0; i < enumerants.size(); ++i)
    out.push_back(BudgetCategoryName(static_cast<int>(i)));
  return out;
}

}  // namespace fundtrail::projections
