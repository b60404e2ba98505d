#include "projections/views.h"

#include <capnp/schema.h>

#include <algorithm>
#include <optional>
#include <span>
#include <thread>

#include "ledger/dates.h"
#include "ledger/json_codec.h"
#include "ledger/money.h"

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
    ViewData budget;
    budget.title = "Budget against actual: " + id + " (" + grant.period_start + " to " + grant.period_end + ")";
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

// The sequence numbers of the events touching `subject` up to `to`, from the subject index.
Result<std::vector<uint64_t>> SubjectSequences(const Ledger& ledger, const Subject& subject, uint64_t to) {
  std::vector<uint64_t> sequences;
  FT_RETURN_IF_ERROR(ledger.ScanSubject(subject, 1, to, [&](uint64_t sequence) {
    sequences.push_back(sequence);
    return true;
  }));
  return sequences;
}

using EventVisitor = std::function<Status(uint64_t sequence, const Digest& chain_hash, schema::Event::Reader event)>;

// Reads and decodes the events at `sequences` (increasing), in order, and calls `visit` with
// each; stops at the first failure.
Status VisitEvents(const Ledger& ledger, std::span<const uint64_t> sequences, const EventVisitor& visit) {
  Status failure;
  FT_RETURN_IF_ERROR(ledger.ReadEntries(sequences, [&](uint64_t sequence, std::string_view record) {
    auto entry = DecodeEntry(record);
    if (!entry) {
      failure = entry.error();
      return false;
    }
    auto event = DecodedEvent::Open(entry->canonical_event, "sequence " + std::to_string(sequence));
    if (!event) {
      failure = event.error();
      return false;
    }
    failure = visit(sequence, entry->chain_hash, event->root());
    return failure.ok();
  }));
  return failure;
}

// The event a reversal at `sequence` reverses, read through `lookup`; nullopt for any other
// event.
Result<std::optional<EarlierEvent>> ReversedEvent(uint64_t sequence, schema::Event::Reader event,
                                                  EventLookup* lookup) {
  if (!event.isReversal()) return std::optional<EarlierEvent>();
  auto target = lookup->Find(event.getReversal().getTargetSequence());
  if (!target) return Error(target.error().WithPrefix("reversal at sequence " + std::to_string(sequence)));
  return std::optional<EarlierEvent>(std::move(*target));
}

// What a history row shows of an event: its summary; for a reversal, with the reversed event
// (`reversed`) named and its amount negated.
EventSummary RowSummary(schema::Event::Reader event, const std::optional<EarlierEvent>& reversed) {
  EventSummary summary = SummariseEvent(event);
  if (reversed) {
    EventSummary target = SummariseEvent(reversed->event.root());
    summary.subject += " (" + target.subject + ")";
    if (target.amount) {
      summary.amount = target.amount;
      summary.amount->minor_units = -summary.amount->minor_units;
    }
  }
  return summary;
}

std::string Grouped(const std::optional<Money>& amount) { return amount ? FormatMoneyGrouped(*amount) : ""; }
std::string Plain(const std::optional<Money>& amount) { return amount ? FormatMoneyPlain(*amount) : ""; }
// A table shows the first 8 bytes of a chain hash; CSV and JSON all 32.
std::string ShortHash(const Digest& hash) { return HexEncode(ByteSpan(hash.data(), 8)); }

// A long history is shared between threads: contiguous parts of at least
// kHistoryEventsPerPartMin events, one per core, kHistoryPartsMax at the most. Reading an event
// (a block read and its decompression) and decoding it are independent of the other events, and
// so is formatting its row once the running balances are known; only the balances are a
// sequential fold, and a cheap one.
constexpr size_t kHistoryEventsPerPartMin = 1000;
constexpr size_t kHistoryPartsMax = 4;

size_t HistoryPartCount(size_t event_count) {
  const size_t cores = std::max<size_t>(1, std::thread::hardware_concurrency());
  return std::clamp<size_t>(event_count / kHistoryEventsPerPartMin, 1, std::min(cores, kHistoryPartsMax));
}

// Runs `work(begin, end)` on `part_count` contiguous parts of [0, count), each part on a thread of
// its own but the first, which the calling thread runs. Returns the first failure, in part order.
Status ForEachPart(size_t count, size_t part_count, const std::function<Status(size_t, size_t)>& work) {
  FT_ASSERT(part_count >= 1);
  FT_ASSERT(part_count <= kHistoryPartsMax);
  auto begin = [&](size_t part) { return count * part / part_count; };
  std::vector<Status> results(part_count);
  std::vector<std::thread> threads;
  for (size_t part = 1; part < part_count; ++part) {
    threads.emplace_back([&, part] { results[part] = work(begin(part), begin(part + 1)); });
  }
  results[0] = work(0, begin(1));
  for (auto& thread : threads) thread.join();
  for (const auto& result : results) FT_RETURN_IF_ERROR(result);
  return Status::Ok();
}

// One event of a grant's history, read and decoded: what its row shows besides the running
// balances, what it changes of them, and the balances after it (filled in by the fold).
struct GrantHistoryEvent {
  uint64_t sequence = 0;
  Digest hash{};
  std::string type;
  EventSummary summary;
  int sign = 0;                       // 0: no change to this grant; -1: a reversal undoes `change`
  GrantChange change;                 // its views cleared: they pointed into the event
  std::string change_currency;
  nlohmann::ordered_json event_json;  // HistoryForm::kJson only
  std::string currency;               // of the balances
  int64_t received = 0;
  int64_t disbursed = 0;
  int64_t spent = 0;
  int64_t available = 0;
};

// The cells of a table row (grouped amounts, a short hash) or a CSV row (plain, the whole hash).
std::vector<std::string> GrantHistoryCells(const GrantHistoryEvent& event, HistoryForm form) {
  FT_ASSERT(form != HistoryForm::kJson);
  const bool table = form == HistoryForm::kTable;
  const std::string& c = event.currency;
  auto amount = [&](int64_t minor_units) { return table ? Grouped(minor_units, c) : Plain(minor_units, c); };
  return {std::to_string(event.sequence),
          event.type,
          event.summary.subject,
          table ? Grouped(event.summary.amount) : Plain(event.summary.amount),
          amount(event.received),
          amount(event.disbursed),
          amount(event.spent),
          amount(event.available),
          table ? ShortHash(event.hash) : HexEncode(event.hash)};
}

}  // namespace

Result<ViewData> GrantHistory(const Ledger& ledger, const std::string& grant_id, uint64_t to, HistoryForm form) {
  if (!ledger.state().grants.Contains(grant_id)) {
    return Error(Status::NotFound("grant \"" + grant_id + "\" is not registered in this ledger"));
  }
  ViewData view;
  view.title = "History of grant " + grant_id;
  view.headers = {"seq", "type", "subject", "amount", "received", "disbursed", "spent", "available", "hash"};
  view.right_aligned = {true, false, false, true, true, true, true, true, false};
  auto sequences = SubjectSequences(ledger, Subject{SubjectKind::kGrant, grant_id}, to);
  if (!sequences) return Error(sequences.error());
  const size_t count = sequences->size();
  const size_t part_count = HistoryPartCount(count);
  std::vector<GrantHistoryEvent> events(count);

  // Read and decode the events, in parts at once: what each shows and changes.
  FT_RETURN_IF_ERROR(ForEachPart(count, part_count, [&](size_t begin, size_t end) {
    auto lookup = ledger.NewLookup();  // one per thread
    size_t index = begin;
    return VisitEvents(ledger, std::span<const uint64_t>(*sequences).subspan(begin, end - begin),
                       [&](uint64_t sequence, const Digest& hash, schema::Event::Reader event) -> Status {
      FT_ASSERT(index < end);
      GrantHistoryEvent& row = events[index++];
      auto reversed = ReversedEvent(sequence, event, lookup.get());
      if (!reversed) return reversed.error();
      row.sequence = sequence;
      row.hash = hash;
      row.type = EventTypeName(event);
      row.summary = RowSummary(event, *reversed);
      std::optional<GrantChange> change = GrantChangeOf(*reversed ? (*reversed)->event.root() : event);
      if (change && change->grant_id == grant_id) {
        row.sign = *reversed ? -1 : 1;
        row.change_currency = change->currency;
        row.change = *change;
        row.change.grant_id = row.change.currency = std::string_view();
      }
      if (form == HistoryForm::kJson) row.event_json = EncodeEventJson(event);
      return Status::Ok();
    });
  }));

  // The running balances fold only this grant's changes (GrantChangeOf): what the projection's
  // fold of the same events holds for the grant, without the accounts and members it also
  // keeps. A grant takes the currency of the first change seen, as Projection does.
  GrantFigures grant;
  bool seen = false;
  for (GrantHistoryEvent& row : events) {
    if (row.sign != 0) {
      if (!seen) grant.currency = row.change_currency;
      seen = true;
      ApplyGrantChange(row.change, row.sign, grant);
    }
    row.currency = grant.currency.empty() ? "CNY" : grant.currency;
    row.received = grant.received;
    row.disbursed = grant.disbursed;
    row.spent = grant.spent;
    row.available = grant.available();
  }

  // The rows of the one form asked for, in parts at once.
  if (form == HistoryForm::kJson) {
    std::vector<nlohmann::ordered_json> objects(count);
    FT_RETURN_IF_ERROR(ForEachPart(count, part_count, [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) {
        GrantHistoryEvent& row = events[i];
        const std::string& c = row.currency;
        objects[i] = {{"sequence", row.sequence}, {"type", row.type}, {"subject", row.summary.subject},
                      {"amount", Plain(row.summary.amount)}, {"received", Plain(row.received, c)},
                      {"disbursed", Plain(row.disbursed, c)}, {"spent", Plain(row.spent, c)},
                      {"available", Plain(row.available, c)}, {"hash", HexEncode(row.hash)},
                      {"event", std::move(row.event_json)}};
      }
      return Status::Ok();
    }));
    for (auto& object : objects) view.json.push_back(std::move(object));
    return view;
  }
  auto& rows = form == HistoryForm::kTable ? view.rows : view.csv_rows;
  rows.resize(count);
  FT_RETURN_IF_ERROR(ForEachPart(count, part_count, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) rows[i] = GrantHistoryCells(events[i], form);
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
  view.headers = {"seq", "type", "subject", "amount", "grant", "received", "spent", "unspent", "hash"};
  view.right_aligned = {true, false, false, true, false, true, true, true, false};
  auto sequences = SubjectSequences(ledger, Subject{SubjectKind::kOrganisation, org_id}, to);
  if (!sequences) return Error(sequences.error());
  auto lookup = ledger.NewLookup();
  // A member's running figures are per grant and need the members' accounts: the projection's
  // fold of the member's events.
  Projection projection;
  FT_RETURN_IF_ERROR(VisitEvents(ledger, *sequences, [&](uint64_t sequence, const Digest& hash,
                                                         schema::Event::Reader event) -> Status {
    FT_RETURN_IF_ERROR(projection.Apply(sequence, hash, event, lookup.get()));
    auto reversed = ReversedEvent(sequence, event, lookup.get());
    if (!reversed) return reversed.error();
    // The running balances of the member on the grant this event concerns, if any.
    std::string grant_id;
    for (const auto& subject : EventSubjects(*reversed ? (*reversed)->event.root() : event, "", ledger.state())) {
      if (subject.kind == SubjectKind::kGrant) grant_id = subject.id;
    }
    MemberGrantFigures figures;
    std::string c = "CNY";
    if (!grant_id.empty()) {
      auto found = projection.member_grants().find({org_id, grant_id});
      if (found != projection.member_grants().end()) figures = found->second;
      auto grant = projection.grants().find(grant_id);
      if (grant != projection.grants().end() && !grant->second.currency.empty()) c = grant->second.currency;
    }
    EventSummary summary = RowSummary(event, *reversed);
    const bool money = !grant_id.empty();
    switch (form) {
      case HistoryForm::kTable:
        view.rows.push_back({std::to_string(sequence), EventTypeName(event), summary.subject, Grouped(summary.amount),
                             grant_id, money ? Grouped(figures.received, c) : "", money ? Grouped(figures.spent, c) : "",
                             money ? Grouped(figures.unspent(), c) : "", ShortHash(hash)});
        break;
      case HistoryForm::kCsv:
        view.csv_rows.push_back({std::to_string(sequence), EventTypeName(event), summary.subject, Plain(summary.amount),
                                 grant_id, money ? Plain(figures.received, c) : "", money ? Plain(figures.spent, c) : "",
                                 money ? Plain(figures.unspent(), c) : "", HexEncode(hash)});
        break;
      case HistoryForm::kJson: {
        nlohmann::ordered_json row = {{"sequence", sequence}, {"type", EventTypeName(event)},
                                      {"subject", summary.subject}, {"amount", Plain(summary.amount)},
                                      {"grant_id", grant_id}};
        if (money) {
          row["received"] = Plain(figures.received, c);
          row["spent"] = Plain(figures.spent, c);
          row["unspent"] = Plain(figures.unspent(), c);
        }
        row["hash"] = HexEncode(hash);
        row["event"] = EncodeEventJson(event);
        view.json.push_back(std::move(row));
        break;
      }
    }
    return Status::Ok();
  }));
  return view;
}

}  // namespace fundtrail::projections
