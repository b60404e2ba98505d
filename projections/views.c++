#include "projections/views.h"

#include <capnp/schema.h>

#include <algorithm>
#include <optional>
#include <span>
#include <unordered_map>

#include "ledger/dates.h"
#include "ledger/json_codec.h"
#include "ledger/money.h"
#include "projections/history_store.h"

namespace fundtrail::projections {

namespace {

template <typename Enum>
std::string EnumName(int value) {
  auto enumerants = capnp::Schema::from<Enum>().getEnumerants();
  if (value < 0 || static_cast<unsigned>(value) >= enumerants.size()) return std::to_string(value);
  return SnakeCase(enumerants[value].getProto().getName().cStr());
}

std::string Grouped(int64_t minor_units, const std::string& currency) {
  return FormatAmountGrouped(minor_units, currency) + " " + currency;
}

std::string Plain(int64_t minor_units, const std::string& currency) {
  return FormatMoneyPlain({minor_units, currency});
}

std::string Percent(int64_t part, int64_t whole) {
  if (whole == 0) return "-";
  // Integer arithmetic, one decimal, rounded half up; no floating point near money.
  __int128 tenths = (static_cast<__int128>(part) * 1000 + whole / 2) / whole;
  int64_t value = static_cast<int64_t>(tenths);
  std::string sign = value < 0 ? "-" : "";
  if (value < 0) value = -value;
  return sign + std::to_string(value / 10) + "." + std::to_string(value % 10) + "%";
}

std::string Name(const Projection& projection, const std::string& org_id) {
  auto found = projection.organisations().find(org_id);
  return found == projection.organisations().end() ? org_id : found->second.name;
}

// Adds a row whose amount columns (by index) are formatted for display and plain for CSV.
void AddRow(ViewData& view, std::vector<std::string> display, std::vector<std::string> plain) {
  view.rows.push_back(std::move(display));
  view.csv_rows.push_back(std::move(plain));
}

}  // namespace

std::string BudgetCategoryName(int category) { return EnumName<schema::BudgetCategory>(category); }
std::string OrganisationKindName(int kind) { return EnumName<schema::OrganisationKind>(kind); }
std::string SourceKindName(int kind) { return EnumName<schema::SourceKind>(kind); }

ViewData GrantsView(const Projection& projection) {
  ViewData view;
  view.title = "Grants";
  view.headers = {"grant", "title", "source", "awarded", "received", "disbursed", "spent", "refunded", "available", "used"};
  view.right_aligned = {false, false, false, true, true, true, true, true, true, true};
  for (const auto& [id, grant] : projection.grants()) {
    const std::string& c = grant.currency;
    AddRow(view,
           {id, grant.title, SourceKindName(grant.source_kind), Grouped(grant.awarded, c), Grouped(grant.received, c),
            Grouped(grant.disbursed, c), Grouped(grant.spent, c), Grouped(grant.refunded, c),
            Grouped(grant.available(), c), Percent(grant.spent, grant.awarded)},
           {id, grant.title, SourceKindName(grant.source_kind), Plain(grant.awarded, c), Plain(grant.received, c),
            Plain(grant.disbursed, c), Plain(grant.spent, c), Plain(grant.refunded, c), Plain(grant.available(), c),
            Percent(grant.spent, grant.awarded)});
    auto terminated = projection.terminations().find(id);
    const bool is_terminated = terminated != projection.terminations().end();
    ViewData budget;
    budget.title = "Budget against actual: " + id + " (" + grant.period_start + " to " + grant.period_end +
                   (is_terminated ? ", terminated on " + terminated->second.date + ": " + terminated->second.reason
                                  : std::string()) +
                   ")";
    budget.headers = {"category", "budget", "spent", "remaining", "used"};
    budget.right_aligned = {false, true, true, true, true};
    nlohmann::ordered_json lines = nlohmann::ordered_json::array();
    std::set<int> categories;
    for (const auto& [category, amount] : grant.budget) categories.insert(category);
    for (const auto& [category, amount] : grant.spent_by_category) categories.insert(category);
    for (int category : categories) {
      int64_t planned = grant.budget.contains(category) ? grant.budget.at(category) : 0;
      int64_t spent = grant.spent_by_category.contains(category) ? grant.spent_by_category.at(category) : 0;
      AddRow(budget,
             {BudgetCategoryName(category), Grouped(planned, c), Grouped(spent, c), Grouped(planned - spent, c),
              Percent(spent, planned)},
             {BudgetCategoryName(category), Plain(planned, c), Plain(spent, c), Plain(planned - spent, c),
              Percent(spent, planned)});
      lines.push_back({{"category", BudgetCategoryName(category)}, {"budget", Plain(planned, c)},
                       {"spent", Plain(spent, c)}, {"remaining", Plain(planned - spent, c)}});
    }
    view.sections.push_back(std::move(budget));
    view.json.push_back({{"grant_id", id},
                         {"title", grant.title},
                         {"funder_org_id", grant.funder_org_id},
                         {"source_kind", SourceKindName(grant.source_kind)},
                         {"project_id", grant.project_id},
                         {"period_start", grant.period_start},
                         {"period_end", grant.period_end},
                         {"awarded", Plain(grant.awarded, c)},
                         {"received", Plain(grant.received, c)},
                         {"disbursed", Plain(grant.disbursed, c)},
                         {"spent", Plain(grant.spent, c)},
                         {"refunded", Plain(grant.refunded, c)},
                         {"available", Plain(grant.available(), c)},
                         {"utilisation", Percent(grant.spent, grant.awarded)},
                         {"budget", lines}});
    if (is_terminated) {
      // Only for a terminated grant, so that the view of every other grant stays as it was.
      view.json.back()["terminated"] = {{"date", terminated->second.date},
                                        {"reason", terminated->second.reason},
                                        {"sequence", terminated->second.sequence}};
    }
  }
  return view;
}

ViewData MembersView(const Projection& projection) {
  ViewData view;
  view.title = "Members";
  view.headers = {"member", "name", "kind", "status", "admitted", "left", "grant", "received", "spent", "unspent"};
  view.right_aligned = {false, false, false, false, false, false, false, true, true, true};
  for (const auto& [org_id, org] : projection.organisations()) {
    if (org.admitted_date.empty()) continue;  // never a member: funders, vendors' owners
    std::string status = org.member ? "active" : org.expelled ? "expelled" : "withdrawn";
    std::vector<std::string> base = {org_id, org.name, OrganisationKindName(org.kind), status, org.admitted_date,
                                     org.withdrawn_date};
    nlohmann::ordered_json grants = nlohmann::ordered_json::array();
    bool any = false;
    for (const auto& [key, figures] : projection.member_grants()) {
      if (key.first != org_id) continue;
      any = true;
      auto grant = projection.grants().find(key.second);
      std::string c = grant == projection.grants().end() ? "CNY" : grant->second.currency;
      std::vector<std::string> display = base, plain = base;
      display.insert(display.end(), {key.second, Grouped(figures.received, c), Grouped(figures.spent, c),
                                     Grouped(figures.unspent(), c)});
      plain.insert(plain.end(), {key.second, Plain(figures.received, c), Plain(figures.spent, c),
                                 Plain(figures.unspent(), c)});
      AddRow(view, display, plain);
      nlohmann::ordered_json by_category = nlohmann::ordered_json::object();
      for (const auto& [category, amount] : figures.spent_by_category) {
        by_category[BudgetCategoryName(category)] = Plain(amount, c);
      }
      grants.push_back({{"grant_id", key.second}, {"received", Plain(figures.received, c)},
                        {"spent", Plain(figures.spent, c)}, {"refunded", Plain(figures.refunded, c)},
                        {"unspent", Plain(figures.unspent(), c)}, {"spent_by_category", by_category}});
    }
    if (!any) {
      std::vector<std::string> row = base;
      row.insert(row.end(), {"", "", "", ""});
      AddRow(view, row, row);
    }
    view.json.push_back({{"org_id", org_id}, {"name", org.name}, {"name_en", org.name_en},
                         {"kind", OrganisationKindName(org.kind)}, {"status", status},
                         {"admitted", org.admitted_date}, {"withdrawn", org.withdrawn_date}, {"grants", grants}});
  }
  return view;
}

std::vector<ChecklistItem> Article8Checklist(const Projection& projection) {
  std::vector<ChecklistItem> items;
  int members = 0, enterprises = 0, academic = 0;
  std::set<std::string> member_ids;
  for (const auto& [id, org] : projection.organisations()) {
    if (!org.member) continue;
    ++members;
    member_ids.insert(id);
    if (org.kind == static_cast<int>(schema::OrganisationKind::ENTERPRISE)) ++enterprises;
    if (org.kind == static_cast<int>(schema::OrganisationKind::UNIVERSITY) ||
        org.kind == static_cast<int>(schema::OrganisationKind::RESEARCH_INSTITUTE)) {
      ++academic;
    }
  }
  items.push_back({"8(1)", "several independent legal entities, including enterprises and universities or institutes",
                   members >= 2 && enterprises >= 1 && academic >= 1,
                   std::to_string(members) + " members: " + std::to_string(enterprises) + " enterprises, " +
                       std::to_string(academic) + " universities or institutes"});
  bool agreement_in_force = false;
  bool terms_defined = false;
  std::string agreement_detail = "no agreement registered";
  for (const auto& [id, agreement] : projection.agreements()) {
    std::vector<std::string> missing;
    for (const auto& member : member_ids) {
      if (!agreement.signed_org_ids.contains(member)) missing.push_back(member);
    }
    bool complete = agreement.has_goals && agreement.has_task_division;
    if (complete && missing.empty() && !member_ids.empty()) agreement_in_force = true;
    terms_defined |= agreement.has_ownership_shares && !agreement.revenue_shares.empty() && agreement.has_licensing_terms;
    agreement_detail = id + ": signed by " + std::to_string(member_ids.size() - missing.size()) + " of " +
                       std::to_string(member_ids.size()) + " members" +
                       (missing.empty() ? "" : ", not yet by " + Name(projection, missing.front()) +
                                                   (missing.size() > 1 ? " and " + std::to_string(missing.size() - 1) + " more" : ""));
  }
  items.push_back({"8(2)", "an agreement with goals and a division of tasks, signed by every member's legal representative",
                   agreement_in_force, agreement_detail});
  bool decision = false, consultation = false, executive_staffed = false;
  uint32_t staff = 0;
  for (const auto& [id, body] : projection.bodies()) {
    decision |= body.kind == static_cast<int>(schema::GovernanceKind::DECISION_MAKING);
    consultation |= body.kind == static_cast<int>(schema::GovernanceKind::CONSULTATION);
    if (body.kind == static_cast<int>(schema::GovernanceKind::EXECUTIVE)) {
      staff += body.full_time_staff;
      executive_staffed |= body.full_time_staff > 0;
    }
  }
  items.push_back({"8(3)", "decision-making, consultation and executive bodies; full-time staff in the executive body",
                   decision && consultation && executive_staffed,
                   std::string(decision ? "decision-making" : "no decision-making body") + ", " +
                       (consultation ? "consultation" : "no consultation body") + ", executive staff " +
                       std::to_string(staff)});
  bool fund_manager = false, auditor = false;
  for (const auto& [id, key] : projection.keys()) {
    if (key.revoked) continue;
    fund_manager |= (key.roles & (1u << static_cast<uint32_t>(schema::Role::FUND_MANAGER))) != 0;
    auditor |= (key.roles & (1u << static_cast<uint32_t>(schema::Role::AUDITOR))) != 0;
  }
  items.push_back({"8(4)", "funds managed by an entrusted unit, with internal oversight",
                   fund_manager && auditor,
                   std::string(fund_manager ? "fund manager key registered" : "no fund manager key") + ", " +
                       (auditor ? "auditor key registered" : "no auditor key")});
  items.push_back({"8(5)", "ownership, licensing and revenue shares of outcomes agreed in advance", terms_defined,
                   terms_defined ? "defined in the agreement" : "the agreement lacks ownership shares, revenue shares or licensing terms"});
  int government_outcomes = 0, shared = 0;
  for (const auto& [id, outcome] : projection.outcomes()) {
    auto grant = projection.grants().find(outcome.grant_id);
    if (grant == projection.grants().end()) continue;
    bool government = grant->second.source_kind == static_cast<int>(schema::SourceKind::CENTRAL_GOVERNMENT) ||
                      grant->second.source_kind == static_cast<int>(schema::SourceKind::LOCAL_GOVERNMENT);
    if (!government) continue;
    ++government_outcomes;
    bool outside = false;
    for (const auto& [sequence, sharing] : outcome.sharing) {
      std::string org = sharing.value("recipient_org_id", "");
      outside |= org.empty() || !member_ids.contains(org);
    }
    for (const auto& [sequence, licence] : outcome.licences) {
      std::string org = licence.value("licensee_org_id", "");
      outside |= org.empty() || !member_ids.contains(org);
    }
    shared += outside;
  }
  items.push_back({"8(6)", "outcomes of government-funded projects shared outside the alliance",
                   government_outcomes == shared,
                   std::to_string(shared) + " of " + std::to_string(government_outcomes) +
                       " outcomes of government-funded grants shared or licensed outside"});
  return items;
}

ViewData AllianceView(const Projection& projection) {
  ViewData view;
  view.title = "Alliance " + projection.alliance_name() + " (" + projection.alliance_id() + "): Article 8 checklist";
  view.headers = {"article", "condition", "met", "detail"};
  for (const auto& item : Article8Checklist(projection)) {
    std::vector<std::string> row = {item.article, item.condition, item.met ? "yes" : "NO", item.detail};
    AddRow(view, row, row);
    view.json.push_back({{"article", item.article}, {"condition", item.condition}, {"met", item.met}, {"detail", item.detail}});
  }
  ViewData members;
  members.title = "Members by kind";
  members.headers = {"kind", "active", "withdrawn"};
  members.right_aligned = {false, true, true};
  std::map<int, std::pair<int, int>> counts;
  for (const auto& [id, org] : projection.organisations()) {
    if (org.admitted_date.empty()) continue;
    auto& count = counts[org.kind];
    (org.member ? count.first : count.second)++;
  }
  for (const auto& [kind, count] : counts) {
    std::vector<std::string> row = {OrganisationKindName(kind), std::to_string(count.first), std::to_string(count.second)};
    AddRow(members, row, row);
  }
  view.sections.push_back(std::move(members));
  ViewData bodies;
  bodies.title = "Governance bodies";
  bodies.headers = {"body", "kind", "name", "members", "full-time staff"};
  bodies.right_aligned = {false, false, false, true, true};
  for (const auto& [id, body] : projection.bodies()) {
    std::vector<std::string> row = {id, EnumName<schema::GovernanceKind>(body.kind), body.name,
                                    std::to_string(body.member_org_ids.size()), std::to_string(body.full_time_staff)};
    AddRow(bodies, row, row);
  }
  view.sections.push_back(std::move(bodies));
  ViewData agreements;
  agreements.title = "Agreements";
  agreements.headers = {"agreement", "title", "signed by"};
  for (const auto& [id, agreement] : projection.agreements()) {
    std::string signers;
    for (const auto& org : agreement.signed_org_ids) signers += (signers.empty() ? "" : ", ") + Name(projection, org);
    std::vector<std::string> row = {id, agreement.title, signers};
    AddRow(agreements, row, row);
  }
  view.sections.push_back(std::move(agreements));
  return view;
}

ViewData OutcomesView(const Projection& projection) {
  ViewData view;
  view.title = "Outcomes";
  view.headers = {"outcome", "kind", "title", "grant", "owners", "licences", "shared", "revenue paid"};
  view.right_aligned = {false, false, false, false, false, true, true, true};
  for (const auto& [id, outcome] : projection.outcomes()) {
    std::string owners;
    for (const auto& [org, points] : outcome.owners) {
      owners += (owners.empty() ? "" : ", ") + Name(projection, org) + " " + Percent(points, 10000);
    }
    std::string currency = outcome.revenue_currency.empty() ? "CNY" : outcome.revenue_currency;
    std::vector<std::string> display = {id, EnumName<schema::OutcomeKind>(outcome.kind), outcome.title, outcome.grant_id,
                                        owners, std::to_string(outcome.licences.size()),
                                        std::to_string(outcome.sharing.size()), Grouped(outcome.revenue_total, currency)};
    std::vector<std::string> plain = display;
    plain.back() = Plain(outcome.revenue_total, currency);
    AddRow(view, display, plain);
    nlohmann::ordered_json licences = nlohmann::ordered_json::array(), sharing = nlohmann::ordered_json::array(),
                           revenue = nlohmann::ordered_json::array();
    for (const auto& [sequence, item] : outcome.licences) licences.push_back(nlohmann::ordered_json(item));
    for (const auto& [sequence, item] : outcome.sharing) sharing.push_back(nlohmann::ordered_json(item));
    for (const auto& [sequence, item] : outcome.revenue) revenue.push_back(nlohmann::ordered_json(item));
    nlohmann::ordered_json owner_list = nlohmann::ordered_json::array();
    for (const auto& [org, points] : outcome.owners) owner_list.push_back({{"org_id", org}, {"basis_points", points}});
    view.json.push_back({{"outcome_id", id}, {"kind", EnumName<schema::OutcomeKind>(outcome.kind)},
                         {"title", outcome.title}, {"grant_id", outcome.grant_id}, {"owners", owner_list},
                         {"licences", licences}, {"sharing", sharing}, {"revenue", revenue},
                         {"revenue_total", Plain(outcome.revenue_total, currency)}});
  }
  return view;
}

namespace {

std::string Grouped(const std::optional<Money>& amount) { return amount ? FormatMoneyGrouped(*amount) : ""; }
std::string Plain(const std::optional<Money>& amount) { return amount ? FormatMoneyPlain(*amount) : ""; }
// A table shows the first 8 bytes of a chain hash; CSV and JSON all 32.
std::string ShortHash(const Digest& hash) { return HexEncode(ByteSpan(hash.data(), 8)); }

// The JSON of each event of `records`, read from the log in parts (HistoryForm::kJson only: the
// history store keeps what the rows show, not the events).
Result<std::vector<nlohmann::ordered_json>> EventsJson(const Ledger& ledger, const std::vector<HistoryRecord>& records) {
  std::vector<uint64_t> sequences;
  sequences.reserve(records.size());
  for (const auto& record : records) sequences.push_back(record.sequence);
  std::vector<nlohmann::ordered_json> events(records.size());
  FT_RETURN_IF_ERROR(ForEachLogEvent(ledger, sequences,
                                     [&](size_t index, uint64_t sequence, const Digest& chain_hash,
                                         schema::Event::Reader event, EventLookup&) -> Status {
    // The row's hash comes from the history store, the event from the log: they must agree.
    if (chain_hash != records[index].hash) {
      return Status::Corruption("the history store's record of sequence " + std::to_string(sequence) +
                                " has another hash than the log; run `fundtrail rebuild` to recompute it");
    }
    events[index] = EncodeEventJson(event);
    return Status::Ok();
  }));
  return events;
}

// For each record of `records` that a record of the same list reverses, that reversal's
// sequence. A reversal touches the subjects of the event it reverses (the subject index and the
// store file it under the same grant and member), so the list up to its end holds every reversal
// of its events up to there; reversals themselves cannot be reversed. The target is read from the
// log, which the store's summary only describes.
Result<std::unordered_map<uint64_t, uint64_t>> ReversedBy(const Ledger& ledger,
                                                          const std::vector<HistoryRecord>& records) {
  std::vector<uint64_t> reversals;
  for (const auto& record : records) {
    if (record.type == "reversal") reversals.push_back(record.sequence);
  }
  std::vector<uint64_t> targets(reversals.size());
  FT_RETURN_IF_ERROR(ForEachLogEvent(ledger, reversals,
                                     [&](size_t index, uint64_t sequence, const Digest&,
                                         schema::Event::Reader event, EventLookup&) -> Status {
    if (event.which() != schema::Event::REVERSAL) {
      return Status::Corruption("the history store's record of sequence " + std::to_string(sequence) +
                                " says reversal, the log does not; run `fundtrail rebuild` to recompute it");
    }
    targets[index] = event.getReversal().getTargetSequence();
    return Status::Ok();
  }));
  std::unordered_map<uint64_t, uint64_t> reversed_by;
  for (size_t i = 0; i < reversals.size(); ++i) reversed_by.emplace(targets[i], reversals[i]);
  return reversed_by;
}

// The "reversed_by" cell and JSON member of a history row: the reversal's sequence, or empty.
std::string ReversedByCell(const std::unordered_map<uint64_t, uint64_t>& reversed_by, uint64_t sequence) {
  auto found = reversed_by.find(sequence);
  return found == reversed_by.end() ? "" : std::to_string(found->second);
}

void AddReversedBy(const std::unordered_map<uint64_t, uint64_t>& reversed_by, uint64_t sequence,
                   nlohmann::ordered_json& row) {
  auto found = reversed_by.find(sequence);
  row["reversed"] = found != reversed_by.end();
  if (found != reversed_by.end()) row["reversed_by"] = found->second;
}

// The history store's records are derived, not validated as the log's events are: figures that
// would leave int64 can come only from a damaged or forged record, and are reported, not
// computed (signed overflow; GrantChangeFits and MemberChangeFits, projection.h).
Status RecordOverflows(const HistoryRecord& record) {
  return Status::Corruption("the history store's record of sequence " + std::to_string(record.sequence) +
                            " would overflow the running figures; run `fundtrail rebuild` to recompute the store");
}


// A grant's running balances after one event of its history.
struct GrantBalances {
  std::string currency;
  int64_t received = 0;
  int64_t disbursed = 0;
  int64_t spent = 0;
  int64_t available = 0;
};

// The cells of a table row (grouped amounts, a short hash) or a CSV row (plain, the whole hash).
std::vector<std::string> GrantHistoryCells(const HistoryRecord& record, const GrantBalances& balances, HistoryForm form,
                                           const std::string& reversed_by) {
  FT_ASSERT(form != HistoryForm::kJson);
  const bool table = form == HistoryForm::kTable;
  const std::string& c = balances.currency;
  auto amount = [&](int64_t minor_units) { return table ? Grouped(minor_units, c) : Plain(minor_units, c); };
  return {std::to_string(record.sequence),
          record.type,
          record.subject,
          table ? Grouped(record.amount) : Plain(record.amount),
          amount(balances.received),
          amount(balances.disbursed),
          amount(balances.spent),
          amount(balances.available),
          table ? ShortHash(record.hash) : HexEncode(record.hash),
          reversed_by};
}

}  // namespace

Result<ViewData> GrantHistory(const Ledger& ledger, const std::string& grant_id, uint64_t to, HistoryForm form) {
  if (!ledger.state().grants.Contains(grant_id)) {
    return Error(Status::NotFound("grant \"" + grant_id + "\" is not registered in this ledger"));
  }
  ViewData view;
  view.title = "History of grant " + grant_id;
  view.headers = {"seq", "type", "subject", "amount", "received", "disbursed", "spent", "available", "hash",
                  "reversed_by"};
  view.right_aligned = {true, false, false, true, true, true, true, true, false, true};
  auto records = ReadHistory(ledger, Subject{SubjectKind::kGrant, grant_id}, to);
  if (!records) return Error(records.error());
  auto reversed_by = ReversedBy(ledger, *records);
  if (!reversed_by) return Error(reversed_by.error());
  const size_t count = records->size();

  // The running balances fold only this grant's changes (GrantChangeOf): what the projection's
  // fold of the same events holds for the grant, without the accounts and members it also
  // keeps. A grant takes the currency of the first change seen, as Projection does.
  std::vector<GrantBalances> balances(count);
  GrantFigures grant;
  bool seen = false;
  for (size_t i = 0; i < count; ++i) {
    const HistoryRecord& record = (*records)[i];
    if (record.grant_sign != 0 && record.grant_id == grant_id) {
      if (!seen) grant.currency = record.grant_currency;
      seen = true;
      if (!GrantChangeFits(grant, record.grant_change(), record.grant_sign)) return Error(RecordOverflows(record));
      ApplyGrantChange(record.grant_change(), record.grant_sign, grant);
    }
    balances[i] = {grant.currency.empty() ? "CNY" : grant.currency, grant.received, grant.disbursed, grant.spent,
                   grant.available()};
  }

  if (form == HistoryForm::kJson) {
    auto events = EventsJson(ledger, *records);
    if (!events) return Error(events.error());
    for (size_t i = 0; i < count; ++i) {
      const HistoryRecord& record = (*records)[i];
      const GrantBalances& row = balances[i];
      const std::string& c = row.currency;
      view.json.push_back({{"sequence", record.sequence}, {"type", record.type}, {"subject", record.subject},
                           {"amount", Plain(record.amount)}, {"received", Plain(row.received, c)},
                           {"disbursed", Plain(row.disbursed, c)}, {"spent", Plain(row.spent, c)},
                           {"available", Plain(row.available, c)}, {"hash", HexEncode(record.hash)}});
      AddReversedBy(*reversed_by, record.sequence, view.json.back());
      view.json.back()["event"] = std::move((*events)[i]);
    }
    return view;
  }
  // The rows of the one form asked for, in parts at once.
  auto& rows = form == HistoryForm::kTable ? view.rows : view.csv_rows;
  rows.resize(count);
  FT_RETURN_IF_ERROR(ForEachPart(count, HistoryPartCount(count), [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      rows[i] = GrantHistoryCells((*records)[i], balances[i], form, ReversedByCell(*reversed_by, (*records)[i].sequence));
    }
    return Status::Ok();
  }));
  return view;
}

Result<ViewData> MemberHistory(const Ledger& ledger, const std::string& org_id, uint64_t to, HistoryForm form) {
  if (!ledger.state().organisations.Contains(org_id)) {
    return Error(Status::NotFound("organisation \"" + org_id + "\" is not registered in this ledger"));
  }
  ViewData view;
  view.title = "History of member " + org_id;
  view.headers = {"seq", "type", "subject", "amount", "grant", "received", "spent", "unspent", "hash", "reversed_by"};
  view.right_aligned = {true, false, false, true, false, true, true, true, false, true};
  auto records = ReadHistory(ledger, Subject{SubjectKind::kOrganisation, org_id}, to);
  if (!records) return Error(records.error());
  auto reversed_by = ReversedBy(ledger, *records);
  if (!reversed_by) return Error(reversed_by.error());
  std::vector<nlohmann::ordered_json> events;
  if (form == HistoryForm::kJson) {
    auto read = EventsJson(ledger, *records);
    if (!read) return Error(read.error());
    events = std::move(*read);
  }
  // The member's figures per grant fold its changes (MemberGrantChangeOf), as the projection's.
  MemberGrantMap figures_by_grant;
  for (size_t i = 0; i < records->size(); ++i) {
    const HistoryRecord& record = (*records)[i];
    if (record.member_sign != 0 && record.member_org_id == org_id) {
      if (!MemberChangeFits(figures_by_grant, record.member_change(), record.member_sign)) {
        return Error(RecordOverflows(record));
      }
      ApplyMemberGrantChange(record.member_change(), record.member_sign, figures_by_grant);
    }
    // The running figures of the member on the grant this event concerns, if any.
    const std::string& grant_id = record.concerns_grant_id;
    const bool money = !grant_id.empty();
    MemberGrantFigures figures;
    std::string c = "CNY";
    if (money) {
      auto found = figures_by_grant.find({org_id, grant_id});
      if (found != figures_by_grant.end()) figures = found->second;
      const GrantRecord* grant = ledger.state().grants.Find(grant_id);
      if (grant != nullptr && !grant->currency.empty()) c = grant->currency;
    }
    switch (form) {
      case HistoryForm::kTable:
        view.rows.push_back({std::to_string(record.sequence), record.type, record.subject, Grouped(record.amount),
                             grant_id, money ? Grouped(figures.received, c) : "", money ? Grouped(figures.spent, c) : "",
                             money ? Grouped(figures.unspent(), c) : "", ShortHash(record.hash),
                             ReversedByCell(*reversed_by, record.sequence)});
        break;
      case HistoryForm::kCsv:
        view.csv_rows.push_back({std::to_string(record.sequence), record.type, record.subject, Plain(record.amount),
                                 grant_id, money ? Plain(figures.received, c) : "", money ? Plain(figures.spent, c) : "",
                                 money ? Plain(figures.unspent(), c) : "", HexEncode(record.hash),
                                 ReversedByCell(*reversed_by, record.sequence)});
        break;
      case HistoryForm::kJson: {
        nlohmann::ordered_json row = {{"sequence", record.sequence}, {"type", record.type},
                                      {"subject", record.subject}, {"amount", Plain(record.amount)},
                                      {"grant_id", grant_id}};
        if (money) {
          row["received"] = Plain(figures.received, c);
          row["spent"] = Plain(figures.spent, c);
          row["unspent"] = Plain(figures.unspent(), c);
        }
        row["hash"] = HexEncode(record.hash);
        AddReversedBy(*reversed_by, record.sequence, row);
        row["event"] = std::move(events[i]);
        view.json.push_back(std::move(row));
        break;
      }
    }
  }
  return view;
}

}  // namespace fundtrail::projections
