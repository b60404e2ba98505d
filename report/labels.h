// The audit report's words in Chinese and English: headings and captions, budget categories,
// rule titles and what each rule detects (docs/RULES.md), severities and review statuses. A
// missing entry is a bug (FT_ASSERT), so a new rule or category cannot be forgotten silently:
// labels-test.c++ checks that every rule id and category has both languages.
//
// Thread safety: pure functions over constant tables.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "report/audit_report.h"

namespace fundtrail::report {

// Every caption of the template, as {"key": "text"}.
nlohmann::ordered_json Captions(Language language);

// A budget category ("equipment", or "vendor_refund" for the spending query's refund group).
std::string CategoryLabel(Language language, const std::string& category);
// "PU-1" -> "禁止用途" / "prohibited use".
std::string RuleTitle(Language language, const std::string& rule);
// What the rule detects, in one sentence.
std::string RuleDetects(Language language, const std::string& rule);
std::string SeverityLabel(Language language, const std::string& severity);
// open, confirmed, false_positive, remediated.
std::string StatusLabel(Language language, const std::string& status);

}  // namespace fundtrail::report
