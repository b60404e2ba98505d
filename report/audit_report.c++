#include "report/audit_report.h"

#include <algorithm>
#include <map>
#include <set>

#include "ledger/crypto.h"
#include "ledger/dates.h"
#include "ledger/export.h"
#include "ledger/money.h"
#include "projections/flag_text.h"
#include "projections/projection_store.h"
#include "projections/spending.h"
#include "projections/views.h"
#include "report/chart.h"
#include "report/labels.h"

namespace fundtrail::report {

namespace {

using Json = nlohmann::ordered_json;
using projections::SpendingGroup;
using projections::SpendingRow;

constexpr int64_t kMicrosPerDay = 86400000000LL;
// Evidence items shown beside a flag; the appendix lists them all.
constexpr size_t kFlagEvidenceShownMax = 8;

std::string Amount(int64_t minor_units, const std::string& currency) {
  return FormatMoneyGrouped(Money{minor_units, currency});
}

// "87.5%" of `part` in `whole`, to one decimal, rounded down; "-" without a whole.
std::string Percent(int64_t part, int64_t whole) {
  if (whole <= 0) return "-";
  const __int128 permille = static_cast<__int128>(part) * 1000 / whole;
  const int64_t value = static_cast<int64_t>(permille);
  const std::string sign = value < 0 ? "-" : "";
  const int64_t magnitude = value < 0 ? -value : value;
  return sign + std::to_string(magnitude / 10) + "." + std::to_string(magnitude % 10) + "%";
}

// An organisation's name in the report's language (its English name when there is one), or its id.
std::string OrgName(const projections::Projection& views, const std::string& org_id, Language language) {
  auto found = views.organisations().find(org_id);
  if (found == views.organisations().end()) return org_id;
  if (language == Language::kEnglish && !found->second.name_en.empty()) return found->second.name_en;
  return found->second.name.empty() ? org_id : found->second.name;
}

// The scope checked against the ledger as the head has it, with its spending filter.
struct CheckedScope {
  projections::SpendingFilter filter;
  std::vector<std::string> grant_ids;
};

Result<CheckedScope> CheckScope(const projections::Projection& views, const ReportScope& scope) {
  CheckedScope checked;
  if (!scope.grant_id.empty() && !views.grants().contains(scope.grant_id)) {
    return Error(Status::InvalidArgument("--grant \"" + scope.grant_id +
                                         "\": no such grant in the signed head's ledger; list them with "
                                         "`fundtrail view grants`"));
  }
  if (!scope.org_id.empty() && !views.organisations().contains(scope.org_id)) {
    return Error(Status::InvalidArgument("--member \"" + scope.org_id +
                                         "\": no such organisation in the signed head's ledger; list them with "
                                         "`fundtrail view members`"));
  }
  checked.filter.grant_id = scope.grant_id;
  checked.filter.org_id = scope.org_id;
  for (const auto& [option, text, days] : {std::tuple{"--from-date", &scope.from_date, &checked.filter.from_days},
                                           std::tuple{"--to-date", &scope.to_date, &checked.filter.to_days}}) {
    if (text->empty()) continue;
    auto parsed = ParseDate(*text);
    if (!parsed) return Error(parsed.error().WithPrefix(option));
    *days = *parsed;
  }
  if (checked.filter.from_days > checked.filter.to_days) {
    return Error(Status::InvalidArgument("--from-date " + scope.from_date + " is after --to-date " + scope.to_date));
  }
  for (const auto& [grant_id, grant] : views.grants()) {
    if (!scope.grant_id.empty() && grant_id != scope.grant_id) continue;
    // A member's report covers the grants it took part in.
    if (!scope.org_id.empty() && !views.member_grants().contains({scope.org_id, grant_id})) continue;
    checked.grant_ids.push_back(grant_id);
  }
  return checked;
}

Result<std::vector<SpendingRow>> Query(const projections::SpendingFold& fold, projections::SpendingFilter filter,
                                       const std::string& grant_id, SpendingGroup by, const std::string& currency) {
  filter.grant_id = grant_id;
  filter.by = by;
  return projections::QuerySpending(fold, filter, currency);
}

Json CoverModel(const projections::Projection& views, const TreeHead& head, const ReportScope& scope,
                const Json& captions) {
  const Language language = scope.language;
  std::string grant = captions["all_grants"];
  if (!scope.grant_id.empty()) {
    grant = scope.grant_id + " " + views.grants().at(scope.grant_id).title;
  }
  std::string member = captions["all_members"];
  if (!scope.org_id.empty()) member = OrgName(views, scope.org_id, language) + " (" + scope.org_id + ")";
  std::string period = captions["period_open"];
  if (!scope.from_date.empty() || !scope.to_date.empty()) {
    period = (scope.from_date.empty() ? std::string("…") : scope.from_date) + " – " +
             (scope.to_date.empty() ? std::string("…") : scope.to_date);
  }
  return {{"alliance_name", views.alliance_name()},
          {"alliance_id", views.alliance_id()},
          {"grant", grant},
          {"member", member},
          {"period", period},
          {"sequence", std::to_string(head.tree_size)},
          {"head_time", FormatTimestamp(head.timestamp_micros)},
          {"head_date", FormatDate(static_cast<int32_t>(head.timestamp_micros / kMicrosPerDay))}};
}

Json VerificationModel(const Ledger& ledger, const CosignedHead& cosigned, const std::optional<WitnessPolicy>& policy,
                       const ReportScope& scope) {
  const TreeHead& head = cosigned.head;
  auto operator_raw = HexDecode(ledger.state().ledger()->operator_public_key_hex);
  FT_ASSERT(operator_raw.has_value());
  Json witnesses = Json::array();
  for (const auto& cosignature : cosigned.cosignatures) {
    witnesses.push_back({{"name", cosignature.witness_name.empty() ? "-" : cosignature.witness_name},
                         {"key_id", HexEncode(AsBytes(cosignature.key_id))},
                         {"time", FormatTimestamp(cosignature.timestamp_micros)}});
  }
  Json model = {{"ledger_id", HexEncode(AsBytes(head.ledger_id))},
                {"tree_size", std::to_string(head.tree_size)},
                {"root_hash", HexEncode(head.root_hash)},
                {"chain_hash", HexEncode(head.chain_hash)},
                {"operator_key_id", HexEncode(AsBytes(DeriveKeyId(*operator_raw)))},
                {"signed_at", FormatTimestamp(head.timestamp_micros)},
                {"witnesses", witnesses},
                {"has_witnesses", !witnesses.empty()},
                {"has_policy", policy.has_value()},
                {"verify_command", "fundtrail verify --ledger " + scope.ledger_argument + " --trusted-head " +
                                       scope.head_argument}};
  if (policy) {
    QuorumReport quorum = EvaluateWitnessQuorum(cosigned, *policy);
    model["quorum_met"] = quorum.met();
    model["quorum_text"] = quorum.Describe();
    model["verify_command"] = model["verify_command"].get<std::string>() + " --witness-policy POLICY.json";
  }
  return model;
}

// Budget against actual: each category with a budget or spending in the scope, in schema order;
// vendor refunds (no category) in a row of their own, outside the chart.
Json BudgetModel(const projections::GrantFigures& grant, const std::vector<SpendingRow>& by_category,
                 Language language, const Json& captions) {
  std::map<std::string, const SpendingRow*> actual;
  for (const auto& row : by_category) actual[row.group] = &row;
  Json rows = Json::array();
  std::vector<ChartItem> items;
  const std::string& currency = grant.currency;
  for (const auto& name : projections::BudgetCategoryNames()) {
    auto category = projections::BudgetCategoryFromName(name);
    FT_ASSERT(category.has_value());
    auto budget_found = grant.budget.find(*category);
    const int64_t budget = budget_found == grant.budget.end() ? 0 : budget_found->second;
    auto actual_found = actual.find(name);
    const int64_t spent = actual_found == actual.end() ? 0 : actual_found->second->expenditures;
    const uint64_t payments = actual_found == actual.end() ? 0 : actual_found->second->payments;
    if (budget == 0 && spent == 0) continue;
    rows.push_back({{"category", CategoryLabel(language, name)},
                    {"budget", Amount(budget, currency)},
                    {"actual", Amount(spent, currency)},
                    {"payments", std::to_string(payments)},
                    {"used", Percent(spent, budget)},
                    {"over", spent > budget}});
    items.push_back({CategoryLabel(language, name), spent, budget});
  }
  Json model = {{"rows", rows},
                {"chart", BudgetChart(items, currency, {captions["actual"], captions["budget"], captions["over_budget"]})}};
  if (auto refunds = actual.find("vendor_refund"); refunds != actual.end()) {
    model["vendor_refunds"] = {{"category", CategoryLabel(language, "vendor_refund")},
                               {"amount", Amount(refunds->second->vendor_refunds, currency)},
                               {"count", std::to_string(refunds->second->refunds)}};
  }
  return model;
}

// "2025-03" -> "2025-04".
std::string NextMonth(const std::string& month) {
  int year = std::stoi(month.substr(0, 4));
  int number = std::stoi(month.substr(5, 2)) + 1;
  if (number == 13) {
    number = 1;
    ++year;
  }
  char text[8];
  std::snprintf(text, sizeof text, "%04d-%02d", year, number);
  return text;
}

// Spending by month, every month from the first to the last with spending (a month without any
// is a zero column, so the axis is time), and the total.
Json MonthModel(const std::vector<SpendingRow>& by_month, const std::string& currency) {
  Json rows = Json::array();
  std::vector<ChartItem> items;
  Json total;
  std::map<std::string, const SpendingRow*> months;
  for (const auto& row : by_month) {
    if (row.group == "total") {
      total = {{"expenditures", Amount(row.expenditures, currency)},
               {"vendor_refunds", Amount(row.vendor_refunds, currency)},
               {"spent", Amount(row.spent(), currency)},
               {"payments", std::to_string(row.payments)}};
    } else {
      months[row.group] = &row;
    }
  }
  if (!months.empty()) {
    const std::string last = months.rbegin()->first;
    // Bounded by the months between two payment dates the ledger accepted (years 1..9999).
    for (std::string month = months.begin()->first; month <= last; month = NextMonth(month)) {
      auto found = months.find(month);
      if (found == months.end()) {
        items.push_back({month, 0, 0});
        continue;
      }
      const SpendingRow& row = *found->second;
      rows.push_back({{"month", month},
                      {"payments", std::to_string(row.payments)},
                      {"expenditures", Amount(row.expenditures, currency)},
                      {"vendor_refunds", Amount(row.vendor_refunds, currency)},
                      {"spent", Amount(row.spent(), currency)}});
      items.push_back({month, row.spent(), 0});
    }
  }
  return {{"rows", rows}, {"has_rows", !rows.empty()}, {"total", total}, {"chart", ColumnChart(items, currency)}};
}

// Disbursed, spent, refunded and unspent per member (the members view), and what each spent in the
// period (the spending query by member).
Json MemberModel(const projections::Projection& views, const std::string& grant_id,
                 const std::vector<SpendingRow>& by_member, const ReportScope& scope, const std::string& currency) {
  std::map<std::string, int64_t> in_period;
  for (const auto& row : by_member) in_period[row.group] = row.spent();
  Json rows = Json::array();
  for (const auto& [key, figures] : views.member_grants()) {
    const auto& [org_id, member_grant] = key;
    if (member_grant != grant_id || (!scope.org_id.empty() && org_id != scope.org_id)) continue;
    auto period = in_period.find(org_id);
    rows.push_back({{"org_id", org_id},
                    {"name", OrgName(views, org_id, scope.language)},
                    {"disbursed", Amount(figures.received, currency)},
                    {"spent", Amount(figures.spent, currency)},
                    {"refunded", Amount(figures.refunded, currency)},
                    {"unspent", Amount(figures.unspent(), currency)},
                    {"unspent_negative", figures.unspent() < 0},
                    {"spent_in_period", Amount(period == in_period.end() ? 0 : period->second, currency)}});
  }
  return rows;
}

Result<Json> GrantModel(const projections::Projection& views, const projections::SpendingFold& fold,
                        const CheckedScope& checked, const std::string& grant_id, const ReportScope& scope,
                        const Json& captions) {
  const projections::GrantFigures& grant = views.grants().at(grant_id);
  const std::string& c = grant.currency;
  auto by_category = Query(fold, checked.filter, grant_id, SpendingGroup::kCategory, c);
  if (!by_category) return Error(by_category.error());
  auto by_month = Query(fold, checked.filter, grant_id, SpendingGroup::kMonth, c);
  if (!by_month) return Error(by_month.error());
  auto by_member = Query(fold, checked.filter, grant_id, SpendingGroup::kMember, c);
  if (!by_member) return Error(by_member.error());
  Json members = MemberModel(views, grant_id, *by_member, scope, c);
  return Json{{"id", grant_id},
              {"title", grant.title},
              {"funder", OrgName(views, grant.funder_org_id, scope.language)},
              {"source_kind", projections::SourceKindName(grant.source_kind)},
              {"period", grant.period_start + " – " + grant.period_end},
              {"currency", c},
              {"figures",
               Json::array({{{"label", captions["awarded"]}, {"value", Amount(grant.awarded, c)}},
                            {{"label", captions["received"]}, {"value", Amount(grant.received, c)}},
                            {{"label", captions["disbursed"]}, {"value", Amount(grant.disbursed, c)}},
                            {{"label", captions["spent"]}, {"value", Amount(grant.spent, c)}},
                            {{"label", captions["refunded"]}, {"value", Amount(grant.refunded, c)}},
                            {{"label", captions["available"]}, {"value", Amount(grant.available(), c)}}})},
              {"budget", BudgetModel(grant, *by_category, scope.language, captions)},
              {"months", MonthModel(*by_month, c)},
              {"members", members},
              {"has_members", !members.empty()}};
}

bool InScope(const projections::Flag& flag, const ReportScope& scope) {
  auto touches = [&](const std::string& subject) {
    return std::binary_search(flag.touches.begin(), flag.touches.end(), subject);
  };
  if (!scope.grant_id.empty() && !touches("grant:" + scope.grant_id)) return false;
  return scope.org_id.empty() || touches("org:" + scope.org_id);
}

// What the appendix lists: every event cited as evidence or recorded as a disposition, by
// sequence, with the chain hash cited and the flags citing it.
struct Citation {
  Digest chain_hash{};
  std::set<std::string> flag_ids;
};

Json FlagModel(const projections::Flag& flag, Language language, std::map<uint64_t, Citation>* cited) {
  Json evidence = Json::array();
  for (const auto& item : flag.evidence) {
    Citation& citation = (*cited)[item.sequence];
    citation.chain_hash = item.chain_hash;
    citation.flag_ids.insert(flag.id);
    if (evidence.size() < kFlagEvidenceShownMax) {
      evidence.push_back({{"sequence", std::to_string(item.sequence)}, {"hash", HexEncode(item.chain_hash)}});
    }
  }
  const size_t more = flag.evidence.size() - evidence.size();
  Json reviews = Json::array();
  for (const auto& review : flag.reviews) {
    Citation& citation = (*cited)[review.sequence];
    citation.chain_hash = review.chain_hash;
    citation.flag_ids.insert(flag.id);
    reviews.push_back({{"flag_id", flag.id},
                       {"sequence", std::to_string(review.sequence)},
                       {"hash", HexEncode(review.chain_hash)},
                       {"disposition", StatusLabel(language, review.disposition)},
                       {"note", review.note}});
  }
  return {{"id", flag.id},
          {"rule", flag.rule},
          {"rule_title", RuleTitle(language, flag.rule)},
          {"detects", RuleDetects(language, flag.rule)},
          {"severity", flag.severity},
          {"severity_label", SeverityLabel(language, flag.severity)},
          {"status", flag.review_status},
          {"status_label", StatusLabel(language, flag.review_status)},
          {"subject", flag.subject},
          {"explanation", projections::FlagExplanation(flag, language == Language::kChinese
                                                                   ? projections::FlagLanguage::kChinese
                                                                   : projections::FlagLanguage::kEnglish)},
          {"evidence", evidence},
          {"evidence_more", more == 0 ? "" : "+" + std::to_string(more)},
          {"reviews", reviews}};
}

// The fields of an evidence event that say what it was, as "name: value; ...".
std::string EventSummary(const nlohmann::ordered_json& event) {
  std::string summary;
  for (const char* field : {"grant_id", "org_id", "vendor_id", "flag_id", "amount", "payment_date", "date"}) {
    auto found = event.find(field);
    if (found == event.end() || !found->is_string()) continue;
    summary += (summary.empty() ? "" : "; ") + std::string(field) + " " + found->get<std::string>();
  }
  return summary;
}

Result<Json> EvidenceModel(const Ledger& ledger, const std::map<uint64_t, Citation>& cited, const ReportScope& scope) {
  Json rows = Json::array();
  SubmissionSigners signers;
  for (const auto& [sequence, citation] : cited) {
    auto event = ReadEvidenceEvent(ledger, sequence, citation.chain_hash, &signers);
    if (!event) return Error(event.error());
    std::string flags;
    for (const auto& id : citation.flag_ids) flags += (flags.empty() ? "" : " ") + id;
    const std::string seq = std::to_string(sequence);
    rows.push_back({{"sequence", seq},
                    {"type", (*event)["type"]},
                    {"time", (*event)["time"]},
                    {"author", (*event)["author_org"]},
                    {"hash", (*event)["hash"]},
                    {"summary", EventSummary((*event)["event"])},
                    {"cited_by", flags},
                    {"command", "fundtrail prove --ledger " + scope.ledger_argument + " --seq " + seq + " --head " +
                                    scope.head_argument + " --out event-" + seq + ".json"}});
  }
  return rows;
}

// Adds the flags touching the scope, their dispositions and the evidence appendix to `model`.
Status AddFlags(const Ledger& ledger, const projections::RulesEngine& rules, const TreeHead& head,
                const ReportScope& scope, Json* model) {
  const int32_t as_of_days = static_cast<int32_t>(head.timestamp_micros / kMicrosPerDay);
  std::map<uint64_t, Citation> cited;
  Json flags = Json::array();
  Json dispositions = Json::array();
  std::map<std::string, size_t> by_severity;
  for (const auto& flag : rules.Flags(as_of_days)) {
    if (!InScope(flag, scope)) continue;
    Json item = FlagModel(flag, scope.language, &cited);
    for (const auto& review : item["reviews"]) dispositions.push_back(review);
    by_severity[flag.severity]++;
    flags.push_back(std::move(item));
  }
  Json severities = Json::array();
  for (const char* severity : {"critical", "high", "medium", "low"}) {
    severities.push_back({{"severity", severity},
                          {"label", SeverityLabel(scope.language, severity)},
                          {"count", std::to_string(by_severity[severity])}});
  }
  auto evidence = EvidenceModel(ledger, cited, scope);
  if (!evidence) return Error(evidence.error());
  (*model)["flags"] = flags;
  (*model)["has_flags"] = !flags.empty();
  (*model)["flag_count"] = std::to_string(flags.size());
  (*model)["severities"] = severities;
  (*model)["flags_as_of"] = FormatDate(as_of_days);
  (*model)["dispositions"] = dispositions;
  (*model)["has_dispositions"] = !dispositions.empty();
  (*model)["evidence"] = *evidence;
  (*model)["has_evidence"] = !evidence->empty();
  (*model)["verify_evidence_command"] = "fundtrail-verify event-N.json --operator-key OPERATOR.pub";
  return Status::Ok();
}

}  // namespace

Result<Language> ParseLanguage(const std::string& text) {
  std::string lower;
  for (char c : text) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (lower == "zh" || lower == "zh-cn" || lower == "zh_cn") return Language::kChinese;
  if (lower == "en") return Language::kEnglish;
  return Error(Status::InvalidArgument("--lang \"" + text + "\" is not a report language; use one of: zh, en"));
}

Result<nlohmann::ordered_json> BuildReportModel(const Ledger& ledger, const CosignedHead& head,
                                                const std::optional<WitnessPolicy>& policy,
                                                const ReportScope& scope) {
  const uint64_t to = head.head.tree_size;
  FT_ASSERT(to <= ledger.head().sequence);
  auto loaded = projections::Load(ledger, to);
  if (!loaded) return Error(loaded.error());
  auto checked = CheckScope(loaded->views, scope);
  if (!checked) return Error(checked.error());
  auto fold = projections::FoldSpending(ledger, to);
  if (!fold) return Error(fold.error());
  const Json captions = Captions(scope.language);
  Json model = {{"lang", scope.language == Language::kChinese ? "zh-CN" : "en"},
                {"t", captions},
                {"cover", CoverModel(loaded->views, head.head, scope, captions)},
                {"verification", VerificationModel(ledger, head, policy, scope)},
                {"has_period", !scope.from_date.empty() || !scope.to_date.empty()}};
  Json grants = Json::array();
  for (const auto& grant_id : checked->grant_ids) {
    auto grant = GrantModel(loaded->views, *fold, *checked, grant_id, scope, captions);
    if (!grant) return Error(grant.error());
    grants.push_back(std::move(*grant));
  }
  model["grants"] = grants;
  Status flags = AddFlags(ledger, loaded->rules, head.head, scope, &model);
  if (!flags.ok()) return Error(flags);
  return model;
}

}  // namespace fundtrail::report
