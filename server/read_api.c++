#include "server/read_api.h"

#include <algorithm>
#include <charconv>
#include <sstream>
#include <variant>

#include "ledger/bytes.h"
#include "ledger/crypto.h"
#include "ledger/dates.h"
#include "ledger/export.h"
#include "ledger/log_format.h"
#include "ledger/log_lines.h"
#include "ledger/merkle.h"
#include "ledger/proof_file.h"
#include "projections/flag_query.h"
#include "projections/flag_text.h"
#include "projections/projection_store.h"
#include "projections/views.h"
#include "server/protocol.h"
#include "tools/output.h"

namespace fundtrail::server {
namespace {

constexpr char kCsvByteOrderMark[] = "\xEF\xBB\xBF";
constexpr size_t kEvidenceEventsMax = 100;  // events shown in full with one flag

Answer BadParameter(const std::string& message) { return ErrorAnswerOf(400, "bad_parameter", message); }

Answer Unauthenticated(const std::string& code, const std::string& message) {
  return ErrorAnswerOf(401, code, message);
}

Answer Forbidden(const std::string& message) { return ErrorAnswerOf(403, "forbidden", message); }

// The answer for a failed read: NotFound is 404, bad input 400, anything else 500 (a damaged
// ledger names itself; the operator runs `fundtrail verify`).
Answer AnswerForStatus(const Status& status) {
  switch (status.code()) {
    case StatusCode::kNotFound: return ErrorAnswerOf(404, "not_found", status.message());
    case StatusCode::kInvalidArgument: return BadParameter(status.message());
    case StatusCode::kPermissionDenied: return Forbidden(status.message());
    case StatusCode::kBusy: return ErrorAnswerOf(503, "overloaded", status.message());
    default: return ErrorAnswerOf(500, "read_failed", status.message());
  }
}

int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX escapes (and '+' for a space in the query), refusing a NUL byte.
Result<std::string> PercentDecode(std::string_view text, bool query) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+' && query) {
      out.push_back(' ');
      continue;
    }
    if (c != '%') {
      out.push_back(c);
      continue;
    }
    const bool whole = i + 2 < text.size();
    const int high = whole ? HexDigitValue(text[i + 1]) : -1;
    const int low = whole ? HexDigitValue(text[i + 2]) : -1;
    if (high < 0 || low < 0) {
      return Error(Status::InvalidArgument("malformed %-escape at \"" + std::string(text.substr(i, 3)) + "\""));
    }
    char decoded = static_cast<char>(high * 16 + low);
    if (decoded == '\0') return Error(Status::InvalidArgument("a %00 (NUL) byte in the request"));
    out.push_back(decoded);
    i += 2;
  }
  return out;
}

Answer CsvAnswer(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows) {
  std::ostringstream out;
  out << kCsvByteOrderMark;  // so that Excel reads UTF-8
  PrintCsvRow(out, headers);
  for (const auto& row : rows) PrintCsvRow(out, row);
  return Answer{200, "text/csv; charset=utf-8", out.str(), false, {}};
}

// The request's parameters, checked against the ones a read takes.
class Parameters {
 public:
  explicit Parameters(const ReadRequest& request) : request_(request) {}

  // InvalidArgument naming the first parameter not in `allowed`.
  Status OnlyThese(std::initializer_list<std::string_view> allowed) const {
    for (const auto& [name, value] : request_.query) {
      if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) continue;
      std::string list;
      for (auto known : allowed) list += (list.empty() ? "" : ", ") + std::string(known);
      return Status::InvalidArgument("parameter \"" + name + "\" is not one of " + request_.path +
                                     "'s (" + (list.empty() ? "none" : list) + ")");
    }
    return Status::Ok();
  }
  std::string Text(const std::string& name) const {
    auto found = request_.query.find(name);
    return found == request_.query.end() ? "" : found->second;
  }
  bool Has(const std::string& name) const { return request_.query.contains(name); }
  // A whole number in [1, max], or nullopt when absent.
  Result<std::optional<uint64_t>> Number(const std::string& name, uint64_t max) const {
    auto found = request_.query.find(name);
    if (found == request_.query.end()) return std::optional<uint64_t>();
    const std::string& text = found->second;
    uint64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || text.front() == '+' || end != text.data() + text.size() ||
        (error != std::errc() && error != std::errc::result_out_of_range)) {
      return Error(Status::InvalidArgument("parameter " + name + "=\"" + text + "\" is not a whole number"));
    }
    if (error == std::errc::result_out_of_range || value < 1 || value > max) {
      return Error(Status::InvalidArgument("parameter " + name + "=" + text + " is out of range: use 1 to " +
                                           std::to_string(max)));
    }
    return std::optional<uint64_t>(value);
  }
  // format=json (the default) or format=csv.
  Result<bool> Csv() const {
    std::string format = Text("format");
    if (format.empty() || format == "json") return false;
    if (format == "csv") return true;
    return Error(Status::InvalidArgument("parameter format=\"" + format + "\": use json or csv"));
  }

 private:
  const ReadRequest& request_;
};

// The sequence number a read is as of: as_of_seq, or the last event appended by the end of
// as_of_date (by append time, as `fundtrail view --as-of-date`), else the published head.
Result<uint64_t> AsOfSequence(const Parameters& parameters, const Ledger& ledger, const TreeHead& published) {
  if (parameters.Has("as_of_seq") && parameters.Has("as_of_date")) {
    return Error(Status::InvalidArgument("give as_of_seq or as_of_date, not both"));
  }
  auto sequence = parameters.Number("as_of_seq", published.tree_size);
  if (!sequence) return Error(sequence.error());
  if (*sequence) return **sequence;
  std::string date = parameters.Text("as_of_date");
  if (date.empty()) return published.tree_size;
  auto parsed = ParseDate(date);
  if (!parsed) return Error(parsed.error().WithPrefix("parameter as_of_date"));
  auto at = projections::SequenceAtEndOfDate(ledger, date);
  if (!at) return Error(at.error());
  return std::min(*at, published.tree_size);
}

// Adds a name beside each organisation id of `json`: "org_id" gets "org_name", "funder_org_id"
// gets "funder_org_name", in every object and array inside, except an "event" (the event as signed,
// shown as `log --json` shows it), and "author_org" gets "author_org_name".
void AddNames(nlohmann::ordered_json& json, const LedgerState& state) {
  if (json.is_array()) {
    for (auto& item : json) AddNames(item, state);
    return;
  }
  if (!json.is_object()) return;
  std::vector<std::pair<std::string, std::string>> names;
  for (auto& [key, value] : json.items()) {
    if (key == "event") continue;
    if (value.is_structured()) {
      AddNames(value, state);
      continue;
    }
    if (key == "author_org" && value.is_string()) {
      const OrganisationRecord* org = state.organisations.Find(value.get<std::string>());
      names.emplace_back("author_org_name", org ? org->name : "");
      continue;
    }
    if (!value.is_string() || key.size() < 6 || key.substr(key.size() - 6) != "org_id") continue;
    if (json.contains(key.substr(0, key.size() - 2) + "name")) continue;
    const OrganisationRecord* org = state.organisations.Find(value.get<std::string>());
    names.emplace_back(key.substr(0, key.size() - 2) + "name", org ? org->name : "");
  }
  for (auto& [key, name] : names) json[key] = name;
}

nlohmann::ordered_json CallerJson(const Caller& caller, const LedgerState& state) {
  const OrganisationRecord* org = state.organisations.Find(caller.org_id);
  return {{"key_id", caller.key_id},
          {"roles", RoleNames(caller.roles)},
          {"org", caller.org_id},
          {"org_name", org ? org->name : ""},
          {"scope", caller.scope == ReadScope::kEverything ? "everything" : "own_organisation"}};
}

// ---- views ----

Result<projections::ViewData> NamedView(const Ledger& ledger, uint64_t to, const std::string& name) {
  auto views = projections::LoadViews(ledger, to);
  if (!views) return Error(views.error());
  if (name == "grants") return projections::GrantsView(*views);
  if (name == "members") return projections::MembersView(*views);
  if (name == "alliance") return projections::AllianceView(*views);
  return projections::OutcomesView(*views);
}

// A member's key sees its own organisation's row of the members view (one row per member and
// grant; the first column is the member). The other views are alliance-level figures.
void FilterMembersView(const Caller& caller, projections::ViewData& view) {
  if (caller.scope == ReadScope::kEverything) return;
  std::erase_if(view.csv_rows, [&](const auto& row) { return row.front() != caller.org_id; });
  nlohmann::ordered_json kept = nlohmann::ordered_json::array();
  for (auto& item : view.json) {
    if (item.value("org_id", "") == caller.org_id) kept.push_back(std::move(item));
  }
  view.json = std::move(kept);
}

Answer AnswerView(const Parameters& parameters, const std::string& name, const Caller& caller, const Ledger& ledger,
                  const TreeHead& published) {
  if (Status only = parameters.OnlyThese({"as_of_seq", "as_of_date", "format"}); !only.ok()) {
    return AnswerForStatus(only);
  }
  auto csv = parameters.Csv();
  if (!csv) return AnswerForStatus(csv.error());
  auto to = AsOfSequence(parameters, ledger, published);
  if (!to) return AnswerForStatus(to.error());
  auto view = NamedView(ledger, *to, name);
  if (!view) return AnswerForStatus(view.error());
  if (name == "members") FilterMembersView(caller, *view);
  if (*csv) return CsvAnswer(view->headers, view->csv_rows);
  AddNames(view->json, ledger.state());
  return JsonAnswer(200, {{"view", name},
                          {"as_of_sequence", *to},
                          {"tree_size", published.tree_size},
                          {"rows", std::move(view->json)}});
}

// GET /v1/grants/{id}: the grant's figures and budget against actual, and each member's share.
Answer AnswerGrant(const Parameters& parameters, const std::string& grant_id, const Caller& caller,
                   const Ledger& ledger, const TreeHead& published) {
  if (Status only = parameters.OnlyThese({"as_of_seq", "as_of_date"}); !only.ok()) return AnswerForStatus(only);
  auto to = AsOfSequence(parameters, ledger, published);
  if (!to) return AnswerForStatus(to.error());
  auto views = projections::LoadViews(ledger, *to);
  if (!views) return AnswerForStatus(views.error());
  projections::ViewData grants = projections::GrantsView(*views);
  nlohmann::ordered_json grant;
  for (auto& item : grants.json) {
    if (item.value("grant_id", "") == grant_id) grant = std::move(item);
  }
  if (grant.is_null()) {
    return ErrorAnswerOf(404, "not_found", "grant \"" + grant_id + "\" is not in the ledger at sequence " +
                                               std::to_string(*to) + "; list them with GET /v1/views/grants");
  }
  nlohmann::ordered_json members = nlohmann::ordered_json::array();
  projections::ViewData members_view = projections::MembersView(*views);
  for (auto& member : members_view.json) {
    const std::string org_id = member.value("org_id", "");
    if (!caller.may_read(org_id)) continue;
    for (auto& share : member["grants"]) {
      if (share.value("grant_id", "") != grant_id) continue;
      nlohmann::ordered_json row = {{"org_id", org_id}, {"org_name", member.value("name", "")}};
      for (auto& [key, value] : share.items()) {
        if (key != "grant_id") row[key] = value;
      }
      members.push_back(std::move(row));
    }
  }
  AddNames(grant, ledger.state());
  return JsonAnswer(200, {{"as_of_sequence", *to},
                          {"tree_size", published.tree_size},
                          {"grant", std::move(grant)},
                          {"members", std::move(members)}});
}

// GET /v1/members/{org}: the member's row of the members view.
Answer AnswerMember(const Parameters& parameters, const std::string& org_id, const Caller& caller,
                    const Ledger& ledger, const TreeHead& published) {
  if (Status only = parameters.OnlyThese({"as_of_seq", "as_of_date"}); !only.ok()) return AnswerForStatus(only);
  if (!caller.may_read(org_id)) {
    return Forbidden("key " + caller.key_id + " of " + caller.org_id + " reads its own organisation only, not " +
                     org_id + "; ask GET /v1/members/" + caller.org_id);
  }
  auto to = AsOfSequence(parameters, ledger, published);
  if (!to) return AnswerForStatus(to.error());
  auto view = NamedView(ledger, *to, "members");
  if (!view) return AnswerForStatus(view.error());
  for (auto& item : view->json) {
    if (item.value("org_id", "") != org_id) continue;
    AddNames(item, ledger.state());
    return JsonAnswer(200, {{"as_of_sequence", *to}, {"tree_size", published.tree_size}, {"member", std::move(item)}});
  }
  return ErrorAnswerOf(404, "not_found", "\"" + org_id + "\" is not a member at sequence " + std::to_string(*to) +
                                             "; list them with GET /v1/views/members");
}

// ---- histories ----

// The page of `view`'s rows after sequence `cursor`, at most `limit`; the cursor of the next page
// (0: none). Rows are in sequence order; a row's sequence is its first column (CSV) or field.
struct Page {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  uint64_t next = 0;
};
Page PageOf(nlohmann::ordered_json& rows, uint64_t cursor, uint64_t limit) {
  Page page;
  for (auto& row : rows) {
    uint64_t sequence = row.value("sequence", uint64_t{0});
    if (sequence <= cursor) continue;
    if (page.rows.size() == limit) {
      page.next = page.rows.back().value("sequence", uint64_t{0});
      break;
    }
    page.rows.push_back(std::move(row));
  }
  return page;
}

Answer AnswerHistory(const Parameters& parameters, const std::string& kind, const std::string& id,
                     const Caller& caller, const Ledger& ledger, const TreeHead& published) {
  if (Status only = parameters.OnlyThese({"as_of_seq", "as_of_date", "format", "limit", "cursor"}); !only.ok()) {
    return AnswerForStatus(only);
  }
  if (kind == "grant" && caller.scope != ReadScope::kEverything) {
    return Forbidden("a grant's history lists every member's expenditures; key " + caller.key_id + " of " +
                     caller.org_id + " reads its own: GET /v1/members/" + caller.org_id + "/history");
  }
  if (kind == "member" && !caller.may_read(id)) {
    return Forbidden("key " + caller.key_id + " of " + caller.org_id + " reads its own organisation's history, not " +
                     id + "'s: GET /v1/members/" + caller.org_id + "/history");
  }
  auto csv = parameters.Csv();
  if (!csv) return AnswerForStatus(csv.error());
  auto limit = parameters.Number("limit", kPageSizeMax);
  if (!limit) return AnswerForStatus(limit.error());
  auto cursor = parameters.Number("cursor", published.tree_size);
  if (!cursor) return AnswerForStatus(cursor.error());
  if (*csv && (*limit || *cursor)) {
    return BadParameter("format=csv gives the whole history, as `fundtrail history --csv` does; leave out limit and "
                        "cursor");
  }
  auto to = AsOfSequence(parameters, ledger, published);
  if (!to) return AnswerForStatus(to.error());
  const auto form = *csv ? projections::HistoryForm::kCsv : projections::HistoryForm::kJson;
  auto view = kind == "grant" ? projections::GrantHistory(ledger, id, *to, form)
                              : projections::MemberHistory(ledger, id, *to, form);
  if (!view) return AnswerForStatus(view.error());
  if (*csv) return CsvAnswer(view->headers, view->csv_rows);
  Page page = PageOf(view->json, cursor->value_or(0), limit->value_or(kPageSizeDefault));
  AddNames(page.rows, ledger.state());
  return JsonAnswer(200, {{kind == "grant" ? "grant_id" : "org_id", id},
                          {"as_of_sequence", *to},
                          {"tree_size", published.tree_size},
                          {"rows", std::move(page.rows)},
                          {"next", page.next == 0 ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(page.next)}});
}

// ---- flags ----

bool TouchesOrganisation(const projections::Flag& flag, const std::string& org_id) {
  return std::find(flag.touches.begin(), flag.touches.end(), "org:" + org_id) != flag.touches.end();
}

using projections::LoadedFlags;

// The `lang` parameter of the flags' explanations: zh or en (the default, as the rules write them).
Result<projections::FlagLanguage> LanguageParameter(const Parameters& parameters) {
  if (!parameters.Has("lang")) return projections::FlagLanguage::kEnglish;
  auto language = projections::ParseFlagLanguage(parameters.Text("lang"));
  if (!language) return Error(Status::InvalidArgument("lang=" + parameters.Text("lang") + ": use zh or en"));
  return language;
}

// `flag` with its explanation in `language`.
projections::Flag Explained(const projections::Flag& flag, projections::FlagLanguage language) {
  projections::Flag out = flag;
  out.explanation = projections::FlagExplanation(flag, language);
  return out;
}

Result<LoadedFlags> LoadFlags(const Parameters& parameters, const Ledger& ledger, const TreeHead& published,
                              int32_t today_days) {
  auto to = AsOfSequence(parameters, ledger, published);
  if (!to) return Error(to.error());
  int32_t as_of_days = today_days;
  if (parameters.Has("as_of_date")) as_of_days = *ParseDate(parameters.Text("as_of_date"));  // checked above
  return projections::LoadFlagsAt(ledger, *to, as_of_days);
}

Answer AnswerFlags(const Parameters& parameters, const Caller& caller, const Ledger& ledger, const TreeHead& published,
                   int32_t today_days) {
  if (Status only = parameters.OnlyThese(
          {"as_of_seq", "as_of_date", "format", "rule", "severity", "status", "subject", "member", "grant", "lang"});
      !only.ok()) {
    return AnswerForStatus(only);
  }
  auto language = LanguageParameter(parameters);
  if (!language) return AnswerForStatus(language.error());
  auto csv = parameters.Csv();
  if (!csv) return AnswerForStatus(csv.error());
  std::string subject = parameters.Text("subject");
  int subjects = 0;
  for (const auto& [name, prefix] : {std::pair{"subject", ""}, std::pair{"member", "org:"}, std::pair{"grant", "grant:"}}) {
    if (!parameters.Has(name)) continue;
    ++subjects;
    subject = prefix + parameters.Text(name);
  }
  if (subjects > 1) return BadParameter("give one of subject, member and grant");
  if (parameters.Has("member") && !caller.may_read(parameters.Text("member"))) {
    return Forbidden("key " + caller.key_id + " of " + caller.org_id + " reads its own organisation's flags, not " +
                     parameters.Text("member") + "'s");
  }
  auto loaded = LoadFlags(parameters, ledger, published, today_days);
  if (!loaded) return AnswerForStatus(loaded.error());
  auto filter = projections::MakeFlagFilter(
      {parameters.Text("rule"), parameters.Text("severity"), subject, parameters.Text("status")},
      loaded->known_subjects);
  if (!filter) return AnswerForStatus(filter.error());
  std::vector<const projections::Flag*> flags;
  for (const auto& flag : loaded->flags) {
    if (!filter->Matches(flag)) continue;
    if (caller.scope != ReadScope::kEverything && !TouchesOrganisation(flag, caller.org_id)) continue;
    flags.push_back(&flag);
  }
  if (*csv) {
    std::vector<std::vector<std::string>> rows;
    for (const auto* flag : flags) rows.push_back(projections::FlagCsvRow(Explained(*flag, *language)));
    return CsvAnswer(projections::FlagCsvHeaders(), rows);
  }
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto* flag : flags) list.push_back(projections::FlagToJson(Explained(*flag, *language)));
  return JsonAnswer(200, {{"as_of_sequence", loaded->sequence},
                          {"as_of_date", FormatDate(loaded->as_of_days)},
                          {"tree_size", published.tree_size},
                          {"policy_version", loaded->policy_version},
                          {"count", flags.size()},
                          {"flags", std::move(list)}});
}

Answer AnswerFlag(const Parameters& parameters, const std::string& flag_id, const Caller& caller, const Ledger& ledger,
                  const TreeHead& published, int32_t today_days) {
  if (Status only = parameters.OnlyThese({"as_of_seq", "as_of_date", "lang"}); !only.ok()) return AnswerForStatus(only);
  auto language = LanguageParameter(parameters);
  if (!language) return AnswerForStatus(language.error());
  auto loaded = LoadFlags(parameters, ledger, published, today_days);
  if (!loaded) return AnswerForStatus(loaded.error());
  auto flag = projections::FindFlag(loaded->flags, flag_id);
  if (!flag) return AnswerForStatus(flag.error());
  if (caller.scope != ReadScope::kEverything && !TouchesOrganisation(**flag, caller.org_id)) {
    return Forbidden("flag " + (*flag)->id + " does not touch " + caller.org_id + ", the organisation of key " +
                     caller.key_id);
  }
  // The evidence in full, each event checked against the chain hash the flag cites.
  nlohmann::ordered_json events = nlohmann::ordered_json::array();
  SubmissionSigners signers;
  for (const auto& item : (*flag)->evidence) {
    if (events.size() == kEvidenceEventsMax) break;
    auto event = ReadEvidenceEvent(ledger, item.sequence, item.chain_hash, &signers);
    if (!event) return AnswerForStatus(event.error());
    events.push_back(std::move(*event));
  }
  AddNames(events, ledger.state());
  const size_t omitted = (*flag)->evidence.size() - events.size();
  return JsonAnswer(200, {{"as_of_sequence", loaded->sequence},
                          {"as_of_date", FormatDate(loaded->as_of_days)},
                          {"tree_size", published.tree_size},
                          {"flag", projections::FlagToJson(Explained(**flag, *language))},
                          {"evidence_events", std::move(events)},
                          {"evidence_events_omitted", omitted}});
}

// ---- the log ----

// Comma-separated event type names.
std::vector<std::string> SplitCommas(const std::string& text) {
  std::vector<std::string> parts;
  size_t begin = 0;
  while (begin <= text.size() && !text.empty()) {
    size_t comma = std::min(text.find(',', begin), text.size());
    parts.push_back(text.substr(begin, comma - begin));
    begin = comma + 1;
  }
  return parts;
}

// GET /v1/log: a page of the log, as `fundtrail log --json` (or --csv) prints it. A member's key
// sees the events its own organisation's keys signed.
Answer AnswerLog(const Parameters& parameters, const Caller& caller, const Ledger& ledger, const TreeHead& published) {
  if (Status only = parameters.OnlyThese({"from_seq", "to_seq", "limit", "cursor", "type", "subject", "format"});
      !only.ok()) {
    return AnswerForStatus(only);
  }
  auto csv = parameters.Csv();
  if (!csv) return AnswerForStatus(csv.error());
  const uint64_t size = published.tree_size;
  auto from = parameters.Number("from_seq", size);
  if (!from) return AnswerForStatus(from.error());
  auto to = parameters.Number("to_seq", size);
  if (!to) return AnswerForStatus(to.error());
  auto limit = parameters.Number("limit", kPageSizeMax);
  if (!limit) return AnswerForStatus(limit.error());
  auto cursor = parameters.Number("cursor", size);
  if (!cursor) return AnswerForStatus(cursor.error());
  auto types = EventTypesFromNames(SplitCommas(parameters.Text("type")), "parameter type");
  if (!types) return AnswerForStatus(types.error());
  LogQuery query{std::max(from->value_or(1), cursor->value_or(0) + 1), to->value_or(size), std::move(*types),
                 parameters.Text("subject"), nullptr};
  if (query.from > query.to) return BadParameter("from_seq is after to_seq");
  const uint64_t page_size = limit->value_or(kPageSizeDefault);
  std::vector<std::vector<std::string>> csv_rows;
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  uint64_t shown = 0, next = 0;
  Status scanned = ScanLog(ledger, query, [&](const LogLine& line) {
    if (caller.scope != ReadScope::kEverything && line.author_org != caller.org_id) return true;
    if (shown == page_size) {
      next = line.sequence - 1;  // the page ended before this line
      return false;
    }
    ++shown;
    if (*csv) {
      csv_rows.push_back(LogCsvRow(line));
    } else {
      rows.push_back(LogLineJson(line));
    }
    return true;
  });
  if (!scanned.ok()) return AnswerForStatus(scanned);
  if (*csv) return CsvAnswer(LogCsvHeaders(), csv_rows);
  AddNames(rows, ledger.state());
  return JsonAnswer(200, {{"tree_size", size},
                          {"rows", std::move(rows)},
                          {"next", next == 0 ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(next)}});
}

// ---- proofs ----

nlohmann::ordered_json HashList(const std::vector<Digest>& hashes) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& hash : hashes) list.push_back(HexEncode(hash));
  return list;
}

Answer AnswerInclusion(const Parameters& parameters, const Ledger& ledger, const TreeHead& published) {
  if (Status only = parameters.OnlyThese({"seq", "tree_size"}); !only.ok()) return AnswerForStatus(only);
  auto size = parameters.Number("tree_size", published.tree_size);
  if (!size) return AnswerForStatus(size.error());
  const uint64_t tree_size = size->value_or(published.tree_size);
  if (!parameters.Has("seq")) return BadParameter("give seq, the event to prove (1 to " + std::to_string(tree_size) + ")");
  auto sequence = parameters.Number("seq", tree_size);
  if (!sequence) return AnswerForStatus(sequence.error());
  auto hashes = ledger.InclusionProof(**sequence, tree_size);
  if (!hashes) return AnswerForStatus(hashes.error());
  auto chain_hash = ledger.ChainHash(**sequence);
  if (!chain_hash) return AnswerForStatus(chain_hash.error());
  auto root = ledger.TreeRoot(tree_size);
  if (!root) return AnswerForStatus(root.error());
  return JsonAnswer(200, {{"ledger_id", HexEncode(AsBytes(ledger.ledger_id()))},
                          {"sequence", **sequence},
                          {"leaf_index", **sequence - 1},
                          {"tree_size", tree_size},
                          {"chain_hash", HexEncode(*chain_hash)},
                          {"leaf_hash", HexEncode(LogLeafHash(*chain_hash))},
                          {"root", HexEncode(*root)},
                          {"hashes", HashList(*hashes)}});
}

Answer AnswerConsistency(const Parameters& parameters, const Ledger& ledger, const TreeHead& published) {
  if (Status only = parameters.OnlyThese({"from", "to"}); !only.ok()) return AnswerForStatus(only);
  auto to = parameters.Number("to", published.tree_size);
  if (!to) return AnswerForStatus(to.error());
  const uint64_t new_size = to->value_or(published.tree_size);
  if (!parameters.Has("from")) return BadParameter("give from, the size of the older tree (1 to " + std::to_string(new_size) + ")");
  auto from = parameters.Number("from", new_size);
  if (!from) return AnswerForStatus(from.error());
  auto hashes = ledger.ConsistencyProof(**from, new_size);
  if (!hashes) return AnswerForStatus(hashes.error());
  auto old_root = ledger.TreeRoot(**from);
  if (!old_root) return AnswerForStatus(old_root.error());
  auto new_root = ledger.TreeRoot(new_size);
  if (!new_root) return AnswerForStatus(new_root.error());
  ConsistencyProofFile proof{ledger.ledger_id(), **from, new_size, *old_root, *new_root, std::move(*hashes)};
  return JsonAnswer(200, ConsistencyProofToJson(proof));
}

// The rest of `path` after `prefix`, when it starts so and the rest is one non-empty segment.
std::optional<std::string> Segment(const std::string& path, std::string_view prefix, std::string_view suffix = "") {
  if (!path.starts_with(prefix) || !path.ends_with(suffix) || path.size() <= prefix.size() + suffix.size()) {
    return std::nullopt;
  }
  std::string rest = path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
  if (rest.find('/') != std::string::npos) return std::nullopt;
  return rest;
}

// Parses the JSON body of a sign-in request: InvalidArgument naming what is wrong.
Result<nlohmann::json> SignInBody(const std::string& body, std::initializer_list<const char*> fields) {
  nlohmann::json json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return Error(Status::InvalidArgument("the request body is not a JSON object"));
  }
  for (const char* field : fields) {
    auto found = json.find(field);
    if (found == json.end() || !found->is_string() || found->get<std::string>().empty()) {
      return Error(Status::InvalidArgument(std::string("field \"") + field + "\" is missing or not a string"));
    }
  }
  return json;
}

std::string LowerHex(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

Answer RefusedKey(const Status& status) {
  return Unauthenticated(status.code() == StatusCode::kNotFound ? "key_unknown" : "key_revoked", status.message());
}

}  // namespace

Answer JsonAnswer(unsigned status, const nlohmann::ordered_json& json) {
  // Invalid UTF-8 (an id from the request path, echoed in a message) is replaced, never thrown on.
  std::string body = json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  return Answer{status, "application/json", body + "\n", false, {}};
}

Answer ErrorAnswerOf(unsigned status, const std::string& code, const std::string& message) {
  ErrorAnswer error{status, code, message, SIZE_MAX};
  return Answer{status, "application/json", ErrorBody(error), status == 503, {}};
}

Result<ReadRequest> ParseTarget(std::string_view target) {
  ReadRequest request;
  const size_t question = target.find('?');
  auto path = PercentDecode(target.substr(0, question), /*query=*/false);
  if (!path) return Error(path.error().WithPrefix("request path"));
  request.path = std::move(*path);
  if (request.path.empty() || request.path.front() != '/') {
    return Error(Status::InvalidArgument("request path \"" + request.path + "\" is not absolute"));
  }
  // No "." or ".." segment, however escaped: a path names a resource, never a way to another.
  for (size_t begin = 1; begin <= request.path.size();) {
    size_t end = std::min(request.path.find('/', begin), request.path.size());
    std::string_view segment(request.path.data() + begin, end - begin);
    if (segment == "." || segment == "..") {
      return Error(Status::InvalidArgument("request path \"" + request.path + "\" has a \".\" or \"..\" segment"));
    }
    begin = end + 1;
  }
  if (question == std::string_view::npos) return request;
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t equals = pair.find('=');
    auto name = PercentDecode(pair.substr(0, equals), /*query=*/true);
    if (!name) return Error(name.error().WithPrefix("query"));
    auto value = PercentDecode(equals == std::string_view::npos ? "" : pair.substr(equals + 1), /*query=*/true);
    if (!value) return Error(value.error().WithPrefix("query parameter " + *name));
    if (!request.query.emplace(*name, *value).second) {
      return Error(Status::InvalidArgument("query parameter \"" + *name + "\" is given twice"));
    }
  }
  return request;
}

bool IsReadPath(const std::string& path) {
  for (std::string_view prefix : {"/v1/views/", "/v1/grants/", "/v1/members/", "/v1/flags", "/v1/proofs/",
                                  "/v1/log", "/v1/auth/me"}) {
    if (path.starts_with(prefix)) return true;
  }
  return false;
}

Answer AnswerChallenge(const std::string& body, const Ledger& ledger, AuthTables& auth) {
  auto json = SignInBody(body, {"key_id"});
  if (!json) return ErrorAnswerOf(400, "malformed_body", json.error().message());
  const std::string key_id = LowerHex((*json)["key_id"].get<std::string>());
  auto caller = CallerOfKey(ledger.state(), key_id);
  if (!caller) return RefusedKey(caller.error());
  auto nonce = auth.NewNonce(key_id);
  if (!nonce) return AnswerForStatus(nonce.error());
  const std::string ledger_id = HexEncode(AsBytes(ledger.ledger_id()));
  return JsonAnswer(200, {{"nonce", nonce->value},
                          {"expires", FormatTimestamp(nonce->expires_micros)},
                          {"ledger_id", ledger_id},
                          {"message", AuthMessage(ledger_id, key_id, nonce->value)}});
}

Answer AnswerToken(const std::string& body, const Ledger& ledger, AuthTables& auth) {
  auto json = SignInBody(body, {"key_id", "nonce", "signature"});
  if (!json) return ErrorAnswerOf(400, "malformed_body", json.error().message());
  const std::string key_id = LowerHex((*json)["key_id"].get<std::string>());
  const std::string nonce = LowerHex((*json)["nonce"].get<std::string>());
  Status taken = auth.TakeNonce(nonce, key_id);  // used up, whatever follows
  if (!taken.ok()) return Unauthenticated("bad_nonce", taken.message());
  auto caller = CallerOfKey(ledger.state(), key_id);
  if (!caller) return RefusedKey(caller.error());
  auto signature = HexDecode((*json)["signature"].get<std::string>());
  if (!signature || signature->size() != 64) {
    return Unauthenticated("bad_signature", "field \"signature\" is not 128 hex digits (a raw Ed25519 signature)");
  }
  const KeyRecord* record = ledger.state().keys.Find(key_id);
  auto raw = HexDecode(record->public_key_hex);
  auto key = raw ? PublicKey::FromRaw(*raw) : Result<PublicKey>(Error(raw.error()));
  if (!key) return AnswerForStatus(key.error());
  const std::string message = AuthMessage(HexEncode(AsBytes(ledger.ledger_id())), key_id, nonce);
  if (!key->Verify(AsBytes(message), *signature)) {
    return Unauthenticated("bad_signature",
                           "the signature does not verify with key " + key_id +
                               ": sign the challenge's \"message\" bytes exactly (docs/FORMAT.md, \"Sign-in\")");
  }
  auto token = auth.NewToken(key_id);
  if (!token) return AnswerForStatus(token.error());
  nlohmann::ordered_json answer = {{"token", token->value}, {"expires", FormatTimestamp(token->expires_micros)}};
  answer.update(CallerJson(*caller, ledger.state()));
  return JsonAnswer(200, answer);
}

std::variant<Caller, Answer> Authenticate(const std::string& authorization, const Ledger& ledger, AuthTables& auth) {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.empty()) {
    return Unauthenticated("unauthenticated",
                           "this read needs a token: sign in with POST /v1/auth/challenge and POST /v1/auth/token, "
                           "then send \"Authorization: Bearer TOKEN\"");
  }
  if (!authorization.starts_with(kBearer)) {
    return Unauthenticated("unauthenticated", "the Authorization header is not \"Bearer TOKEN\"");
  }
  auto key_id = auth.KeyOfToken(authorization.substr(kBearer.size()));
  if (!key_id) {
    return Unauthenticated(key_id.error().code() == StatusCode::kNotFound ? "token_unknown" : "token_expired",
                           key_id.error().message());
  }
  // The registry now, not when the token was issued: a revoked key loses access at once.
  auto caller = CallerOfKey(ledger.state(), *key_id);
  if (!caller) return RefusedKey(caller.error());
  return *caller;
}

Answer AnswerRead(const ReadRequest& request, const Caller& caller, const Ledger& ledger, const TreeHead& published,
                  int32_t today_days) {
  const std::string& path = request.path;
  Parameters parameters(request);
  if (path == "/v1/auth/me") {
    if (Status only = parameters.OnlyThese({}); !only.ok()) return AnswerForStatus(only);
    return JsonAnswer(200, CallerJson(caller, ledger.state()));
  }
  if (auto view = Segment(path, "/v1/views/")) {
    if (*view == "grants" || *view == "members" || *view == "alliance" || *view == "outcomes") {
      return AnswerView(parameters, *view, caller, ledger, published);
    }
    return ErrorAnswerOf(404, "not_found", "no view \"" + *view + "\"; the views are grants, members, alliance, outcomes");
  }
  if (auto grant = Segment(path, "/v1/grants/", "/history")) {
    return AnswerHistory(parameters, "grant", *grant, caller, ledger, published);
  }
  if (auto member = Segment(path, "/v1/members/", "/history")) {
    return AnswerHistory(parameters, "member", *member, caller, ledger, published);
  }
  if (auto grant = Segment(path, "/v1/grants/")) return AnswerGrant(parameters, *grant, caller, ledger, published);
  if (auto member = Segment(path, "/v1/members/")) return AnswerMember(parameters, *member, caller, ledger, published);
  if (path == "/v1/flags") return AnswerFlags(parameters, caller, ledger, published, today_days);
  if (path.starts_with("/v1/flags/") && path.size() > 10) {
    // Flag ids hold slashes ("TP-1/8812/liquidation"): the rest of the path is the id.
    return AnswerFlag(parameters, path.substr(10), caller, ledger, published, today_days);
  }
  if (path == "/v1/log") return AnswerLog(parameters, caller, ledger, published);
  if (path == "/v1/proofs/inclusion") return AnswerInclusion(parameters, ledger, published);
  if (path == "/v1/proofs/consistency") return AnswerConsistency(parameters, ledger, published);
  return ErrorAnswerOf(404, "not_found", "no such endpoint: " + path);
}

}  // namespace fundtrail::server
