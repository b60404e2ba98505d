#include "projections/flag_query.h"

#include "projections/projection_store.h"

#include <algorithm>

namespace fundtrail::projections {

namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string Joined(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& value : values) out += (out.empty() ? "" : ", ") + value;
  return out;
}

// The value of `valid` that `typed` names, ignoring ASCII case, or "".
std::string Canonical(std::string_view typed, const std::vector<std::string>& valid) {
  const std::string wanted = Lower(typed);
  for (const auto& value : valid) {
    if (Lower(value) == wanted) return value;
  }
  return "";
}

Result<std::string> Checked(const char* option, const char* what, const std::string& typed,
                            const std::vector<std::string>& valid) {
  if (typed.empty()) return std::string();
  std::string value = Canonical(typed, valid);
  if (value.empty()) {
    return Error(Status::InvalidArgument(std::string(option) + " \"" + typed + "\" is not " + what +
                                         "; use one of: " + Joined(valid)));
  }
  return value;
}

// The known subjects of one kind ("org:A", "org:B", ...), from the sorted list
// of all.
std::vector<std::string> OfKind(const std::string& kind,
                                const std::vector<std::string>& known_subjects) {
  const std::string prefix = kind + ":";
  auto first = std::lower_bound(known_subjects.begin(), known_subjects.end(), prefix);
  std::vector<std::string> out;
  for (auto at = first; at != known_subjects.end() && at->starts_with(prefix); ++at) {
    out.push_back(at->substr(prefix.size()));
  }
  return out;
}

Result<std::string> CheckedSubject(const std::string& typed,
                                   const std::vector<std::string>& known_subjects) {
  if (typed.empty()) return std::string();
  const std::string kinds = Joined(SubjectKinds());
  size_t colon = typed.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == typed.size()) {
    return Error(Status::InvalidArgument("--subject \"" + typed +
                                         "\" is not KIND:ID; KIND is one of: " + kinds +
                                         " (e.g. org:91110000MA01ABCD1X)"));
  }
  std::string kind = Lower(typed.substr(0, colon));
  if (kind == "member") kind = "org";
  if (Canonical(kind, SubjectKinds()).empty()) {
    return Error(Status::InvalidArgument(
        "--subject \"" + typed + "\": \"" + typed.substr(0, colon) +
        "\" is not a subject kind; use one of: " + kinds + " (member is taken for org)"));
  }
  const std::string id = typed.substr(colon + 1);
  const std::vector<std::string> ids = OfKind(kind, known_subjects);
  if (std::binary_search(ids.begin(), ids.end(), id)) return kind + ":" + id;
  std::vector<std::string> folded;
  for (const auto& known : ids) {
    if (Lower(known) == Lower(id)) folded.push_back(known);
  }
  if (folded.size() == 1) return kind + ":" + folded.front();
  constexpr size_t kListedMax = 12;
  std::string listed;
  for (size_t i = 0; i < ids.size() && i < kListedMax; ++i)
    listed += (listed.empty() ? "" : ", ") + ids[i];
  if (ids.size() > kListedMax)
    listed += " and " + std::to_string(ids.size() - kListedMax) + " more";
  return Error(Status::InvalidArgument(
      "--subject \"" + typed + "\": the ledger has no " + kind + " \"" + id + "\"" +
      (ids.empty() ? "; it has none of that kind" : "; it has: " + listed)));
}

}  // namespace

const std::vector<std::string>& Severities() {
  static const std::vector<std::string> values = {"low", "medium", "high", "critical"};
  return values;
}

const std::vector<std::string>& ReviewStatuses() {
  static const std::vector<std::string> values = {"open", "confirmed", "false_positive",
                                                  "remediated"};
  return values;
}

const std::vector<std::string>& SubjectKinds() {
  static const std::vector<std::string> values = {"grant", "org", "vendor", "outcome", "alliance"};
  return values;
}

bool FlagFilter::Matches(const Flag& flag) const {
  if (!rule.empty() && flag.rule != rule) return false;
  if (!severity.empty() && flag.severity != severity) return false;
  if (!status.empty() && flag.review_status != status) return false;
  if (!subject.empty() && !std::binary_search(flag.touches.begin(), flag.touches.end(), subject)) {
    return false;
  }
  return true;
}

Result<FlagFilter> MakeFlagFilter(const FlagFilterText& text,
                                  const std::vector<std::string>& known_subjects) {
  FT_ASSERT(std::is_sorted(known_subjects.begin(), known_subjects.end()));
  FlagFilter filter;
  auto rule = Checked("--rule", "a rule id (docs/RULES.md)", text.rule, RuleIds());
  if (!rule) return Error(rule.error());
  auto severity = Checked("--severity", "a severity", text.severity, Severities());
  if (!severity) return Error(severity.error());
  std::string status_text = text.status;
  std::replace(status_text.begin(), status_text.end(), '-', '_');
  auto status = Checked("--status", "a review status", status_text, ReviewStatuses());
  if (!status) {
    return Error(Status::InvalidArgument(
        "--status \"" + text.status +
        "\" is not a review status; use one of: " + Joined(ReviewStatuses())));
  }
  auto subject = CheckedSubject(text.subject, known_subjects);
  if (!subject) return Error(subject.error());
  filter.rule = *rule;
  filter.severity = *severity;
  filter.status = *status;
  filter.subject = *subject;
  return filter;
}

Result<const Flag*> FindFlag(const std::vector<Flag>& flags, std::string_view id) {
  const std::string wanted = Lower(id);
  // Only RULE/SEQUENCE may stand for a longer id: a bare rule names no one
  // flag.
  const bool short_form = std::count(wanted.begin(), wanted.end(), '/') == 1;
  const std::string prefix = wanted + "/";
  std::vector<const Flag*> candidates;
  for (const Flag& flag : flags) {
    const std::string lowered = Lower(flag.id);
    if (lowered == wanted) return &flag;
    if (short_form && lowered.starts_with(prefix)) candidates.push_back(&flag);
  }
  if (candidates.size() == 1) return candidates.front();
  if (candidates.empty()) {
    return Error(Status::NotFound("there is no flag \"" + std::string(id) + "\""));
  }
  std::string listed;
  for (const Flag* flag : candidates) listed += (listed.empty() ? "" : ", ") + flag->id;
  return Error(Status::InvalidArgument("flag id \"" + std::string(id) + "\" names " +
                                       std::to_string(candidates.size()) + " flags (" + listed +
                                       "); give the whole id"));
}

const std::vector<std::string>& FlagCsvHeaders() {
  static const std::vector<std::string> kHeaders = {"id",     "rule",           "severity", "subject",
                                                    "status", "policy_version", "evidence", "explanation"};
  return kHeaders;
}

std::vector<std::string> FlagCsvRow(const Flag& flag) {
  std::string evidence;
  for (const auto& item : flag.evidence) evidence += (evidence.empty() ? "" : " ") + std::to_string(item.sequence);
  return {flag.id,           flag.rule, flag.severity, flag.subject, flag.review_status, std::to_string(flag.policy_version),
          evidence, flag.explanation};
}

namespace {

// The flags of `rules` (folded up to `sequence`), evaluated at `as_of_days`.
LoadedFlags FlagsOf(const RulesEngine& rules, uint64_t sequence, int32_t as_of_days) {
  LoadedFlags out;
  out.sequence = sequence;
  out.as_of_days = as_of_days;
  out.policy_version = rules.policy().version;
  out.known_subjects = rules.KnownSubjects();
  out.flags = rules.Flags(as_of_days);
  return out;
}

}  // namespace

Result<LoadedFlags> LoadFlagsAt(const Ledger& ledger, uint64_t sequence, int32_t as_of_days) {
  auto loaded = Load(ledger, sequence);
  if (!loaded) return Error(loaded.error());
  return FlagsOf(loaded->rules, sequence, as_of_days);
}

Result<LoadedFlags> LoadFlagsByBusinessDate(const Ledger& ledger, uint64_t sequence, int32_t as_of_days,
                                            BusinessCut* cut) {
  auto folded = FoldToBusinessDate(ledger, sequence, as_of_days, cut);
  if (!folded) return Error(folded.error());
  return FlagsOf(folded->rules, sequence, as_of_days);
}

}  // namespace fundtrail::projections
