// The audit report (`fundtrail report`): one self-contained HTML file for a committee, built from
// what the other commands show, never from figures computed a second way. The views
// (projections/projection.h) give a grant's and its members' figures, the spending query
// (projections/spending.h) the budget against actual and the months over the business period,
// the rules (projections/rules.h) the flags and their dispositions, and the log the evidence,
// each item checked against the chain hash its flag cites (ReadEvidenceEvent).
//
// Reproducible: everything is as of a signed tree head the caller saved (its size is the ledger
// position, its time the date the time-based rules are evaluated at and the time the report
// states); nothing reads the clock, and every collection is ordered. The same ledger, head and
// scope give byte-identical HTML.
//
// The report is built in two steps: BuildReportModel gathers the figures as JSON (what the tests
// compare with the CLI), RenderReportHtml fills the template (report/template.c++), escaping
// every text.
//
// Thread safety: pure functions over a ledger opened read-only.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "ledger/status.h"
#include "ledger/store.h"
#include "ledger/witness.h"

namespace fundtrail::report {

enum class Language { kChinese, kEnglish };

// "zh" (or zh-CN, zh_CN) and "en" (any case); InvalidArgument listing them otherwise.
Result<Language> ParseLanguage(const std::string& text);

struct ReportScope {
  std::string grant_id;   // "" every grant
  std::string org_id;     // "" every member
  std::string from_date;  // YYYY-MM-DD, business dates (payment dates), inclusive; "" open
  std::string to_date;
  Language language = Language::kChinese;
  // How the offline commands of the appendix name the ledger and the head file (as the user
  // typed them, so that they can be run from where the report was made).
  std::string ledger_argument;
  std::string head_argument;
};

// The report's figures and texts as JSON, in the report's language. `head` must be a head of
// `ledger` (CheckHeadOfLedger); `policy`, when given, is the witness policy whose quorum the
// verification statement reports. Errors: an unknown grant or member, bad dates, a damaged log.
Result<nlohmann::ordered_json> BuildReportModel(const Ledger& ledger, const CosignedHead& head,
                                                const std::optional<WitnessPolicy>& policy,
                                                const ReportScope& scope);

// The HTML of `model`: one file, styles and SVG charts inline, nothing fetched when it is viewed.
std::string RenderReportHtml(const nlohmann::ordered_json& model);

}  // namespace fundtrail::report
