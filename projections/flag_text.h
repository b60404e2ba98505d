// A flag's explanation in the reader's language. The rules (projections/rules.c++) write one
// English sentence per flag; this module writes the Chinese one from what the flag carries: its
// rule, its check (the id's third part: "after" of "TP-1/8812/after"), its figures, its
// parameters, its subject and its evidence. So the Chinese says exactly what the figures say, and
// the rules need not know about languages.
//
// Every check that the rules can raise has a sentence here; a flag of a rule or check this module
// does not know, or whose figures lack a field its sentence needs, is an error from
// ChineseExplanation (rules-test.c++ checks every flag its scenarios raise) and falls back to
// the English sentence in FlagExplanation.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "ledger/status.h"
#include "projections/rules.h"

namespace fundtrail::projections {

enum class FlagLanguage { kChinese, kEnglish };

// "zh", "zh-CN", "zh_CN.UTF-8", "en", "en-US", ... case-insensitively. An unknown value is an
// error that says which are valid.
Result<FlagLanguage> ParseFlagLanguage(std::string_view text);
// The language a locale value (LANG, e.g. "zh_CN.UTF-8") asks for: Chinese when it starts with
// "zh", English otherwise (and when unset).
FlagLanguage FlagLanguageFromLocale(const char* locale);
// "zh" or "en".
std::string FlagLanguageCode(FlagLanguage language);

// The check part of the flag's id: "after" for "TP-1/8812/after", "" for "AN-6/8813".
std::string FlagCheck(const Flag& flag);

// The explanation in Chinese. Errors (InvalidArgument) name the flag id and what is missing: a
// rule or check without a sentence, or a figure or parameter the sentence needs.
Result<std::string> ChineseExplanation(const Flag& flag);

// The explanation in `language`: English is the rules' own sentence; Chinese is
// ChineseExplanation, or the English sentence when it fails.
std::string FlagExplanation(const Flag& flag, FlagLanguage language);

}  // namespace fundtrail::projections
