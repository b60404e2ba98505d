#include "report/labels.h"

#include <gtest/gtest.h>

#include "projections/flag_query.h"
#include "projections/rules.h"
#include "projections/spending.h"

namespace fundtrail::report {
namespace {

// Every rule, category, severity and status the report can meet has words in both languages (a
// missing one would abort the report).
TEST(Labels, CoverEveryRuleCategorySeverityAndStatusInBothLanguages) {
  for (Language language : {Language::kChinese, Language::kEnglish}) {
    for (const auto& rule : projections::RuleIds()) {
      EXPECT_FALSE(RuleTitle(language, rule).empty()) << rule;
      EXPECT_FALSE(RuleDetects(language, rule).empty()) << rule;
    }
    for (const auto& category : projections::BudgetCategoryNames()) EXPECT_FALSE(CategoryLabel(language, category).empty());
    EXPECT_FALSE(CategoryLabel(language, "vendor_refund").empty());
    for (const auto& severity : projections::Severities()) EXPECT_FALSE(SeverityLabel(language, severity).empty());
    for (const auto& status : projections::ReviewStatuses()) EXPECT_FALSE(StatusLabel(language, status).empty());
  }
  EXPECT_EQ(RuleTitle(Language::kChinese, "PU-3"), "重复报销");
  EXPECT_EQ(RuleTitle(Language::kEnglish, "PU-3"), "double charging");
}

TEST(Labels, CaptionsHaveTheSameKeysInBothLanguages) {
  auto chinese = Captions(Language::kChinese);
  auto english = Captions(Language::kEnglish);
  ASSERT_EQ(chinese.size(), english.size());
  for (const auto& [key, text] : chinese.items()) {
    ASSERT_TRUE(english.contains(key)) << key;
    EXPECT_FALSE(text.get<std::string>().empty()) << key;
  }
  EXPECT_EQ(chinese["document_title"], "联盟经费审计报告");
}

TEST(ParseLanguage, AcceptsZhAndEnInAnyCaseAndListsThemOtherwise) {
  EXPECT_EQ(*ParseLanguage("zh"), Language::kChinese);
  EXPECT_EQ(*ParseLanguage("zh_CN"), Language::kChinese);
  EXPECT_EQ(*ParseLanguage("EN"), Language::kEnglish);
  auto french = ParseLanguage("fr");
  ASSERT_FALSE(french.has_value());
  EXPECT_EQ(french.error().message(), "--lang \"fr\" is not a report language; use one of: zh, en");
}

}  // namespace
}  // namespace fundtrail::report
