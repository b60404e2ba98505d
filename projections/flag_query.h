// What a user types to pick flags: the filters of `fundtrail flags` (rule,
// severity, subject, review status) and flag ids. Values are checked
// case-insensitively against the valid ones, and an unknown value is an error
// that lists them, so that a typo is never "0 flags".
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ledger/status.h"
#include "ledger/store.h"
#include "projections/business_date.h"
#include "projections/rules.h"

namespace fundtrail::projections {

const std::vector<std::string>& Severities();      // low, medium, high, critical
const std::vector<std::string>& ReviewStatuses();  // open, confirmed, false_positive, remediated
const std::vector<std::string>& SubjectKinds();    // grant, org, vendor, outcome, alliance

// The filters as typed; empty means any.
struct FlagFilterText {
  std::string rule;
  std::string severity;
  std::string subject;  // KIND:ID
  std::string status;
};

// The filters checked and spelt as the flags spell them; empty means any.
struct FlagFilter {
  std::string rule;      // "TP-1"
  std::string severity;  // "critical"
  std::string subject;   // "org:91110000MA01ABCD1X", matched against Flag::touches
  std::string status;    // "false_positive"

  bool Matches(const Flag& flag) const;
};

// Checks `text`: the rule one of RuleIds(), the severity one of Severities(),
// the status one of ReviewStatuses() (a '-' may stand for '_'), each
// case-insensitively; the subject KIND:ID with KIND one of SubjectKinds() (or
// "member" for org), case-insensitively, and ID one the ledger knows
// (`known_subjects`, RulesEngine::KnownSubjects), exactly or, when only one
// matches so, case-insensitively. Errors name the option and list the valid
// values, e.g.
//   --severity "CRITICALL" is not a severity; use one of: low, medium, high,
//   critical
// REQUIRES: `known_subjects` is sorted.
Result<FlagFilter> MakeFlagFilter(const FlagFilterText& text,
                                  const std::vector<std::string>& known_subjects);

// The flag of `flags` that `id` names: the flag whose id equals it,
// case-insensitively, else, when `id` is RULE/SEQUENCE, the only flag whose id
// starts with `id` + "/" (so "PU-4/330" finds "PU-4/330/cap" when the rule
// raised nothing else at #330). NotFound when none does; InvalidArgument,
// listing the candidates, when several do.
Result<const Flag*> FindFlag(const std::vector<Flag>& flags, std::string_view id);

// `flags --csv`'s columns, and one flag's record (its evidence as space-separated sequence
// numbers): the CLI and the server's CSV print the same.
const std::vector<std::string>& FlagCsvHeaders();
std::vector<std::string> FlagCsvRow(const Flag& flag);

// The flags of the ledger as of sequence `sequence`, evaluated at day `as_of_days` (days since
// 1970-01-01): what `fundtrail flags` and the server's /v1/flags filter and print.
struct LoadedFlags {
  uint64_t sequence = 0;
  int32_t as_of_days = 0;
  uint32_t policy_version = 0;
  std::vector<std::string> known_subjects;
  std::vector<Flag> flags;
};
Result<LoadedFlags> LoadFlagsAt(const Ledger& ledger, uint64_t sequence, int32_t as_of_days);
// The same for the business recorded up to day `as_of_days` (business_date.h): the events 1..
// `sequence` dated on or before it (and the undated ones), evaluated at it. `cut` says what was
// read. An error when the day is before every business date of the ledger.
Result<LoadedFlags> LoadFlagsByBusinessDate(const Ledger& ledger, uint64_t sequence, int32_t as_of_days,
                                            BusinessCut* cut);

}  // namespace fundtrail::projections
