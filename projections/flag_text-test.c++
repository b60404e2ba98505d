// Tests of the flags' Chinese explanations (flag_text.h). Every flag the rules' scenarios raise is
// checked in rules-test.c++ (Stream::Flags): a sentence for its rule and check, with every field
// it needs. Here: exact sentences for flags shaped as the rules shape them, the errors, and the
// language choice.
#include "projections/flag_text.h"

#include <gtest/gtest.h>

namespace fundtrail::projections {
namespace {

using nlohmann::ordered_json;

Flag MakeFlag(const std::string& id, const std::string& subject, ordered_json figures,
              ordered_json parameters = ordered_json::object()) {
  Flag flag;
  flag.id = id;
  flag.rule = id.substr(0, id.find('/'));
  flag.severity = "critical";
  flag.subject = subject;
  flag.figures = std::move(figures);
  flag.parameters = std::move(parameters);
  flag.evidence.push_back({8812, {}});
  flag.explanation = "the English sentence";
  return flag;
}

ordered_json Expenditure() {
  return {
      {"expenditure", 8812},     {"grant", "G-2024-01"},         {"org", "91110000MA01ABCD1X"},
      {"vendor", "V-17"},        {"invoice_number", "0440019"},  {"amount", "48000.00 CNY"},
      {"category", "materials"}, {"invoice_date", "2025-01-09"}, {"payment_date", "2025-01-10"}};
}

TEST(FlagTextTest, OutOfPeriodReadsAsTheEnglishDoes) {
  ordered_json figures = Expenditure();
  figures["period_end"] = "2024-11-30";
  figures["days_after_end"] = 40;
  Flag flag = MakeFlag("TP-1/8812/after", "grant:G-2024-01", figures, {{"liquidation_days", 120}});
  auto chinese = ChineseExplanation(flag);
  ASSERT_TRUE(chinese.has_value()) << chinese.error().message();
  EXPECT_EQ(*chinese,
            "支出 #8812（48,000.00 CNY）付给供应商 V-17，发票日期为 2025-01-09，比拨款 G-2024-01 "
            "的结束日 "
            "2024-11-30 晚 40 天");
  EXPECT_EQ(FlagExplanation(flag, FlagLanguage::kChinese), *chinese);
  EXPECT_EQ(FlagExplanation(flag, FlagLanguage::kEnglish), "the English sentence");
}

TEST(FlagTextTest, DuplicateWithTheSameInvoiceAndWithAnother) {
  ordered_json figures = Expenditure();
  figures["earlier_expenditure"] = 8700;
  figures["earlier_invoice_number"] = "0440019";
  figures["earlier_payment_date"] = "2025-01-02";
  figures["days_apart"] = 8;
  // AN-1's check is the repeat's sequence number.
  Flag same = MakeFlag("AN-1/8700/8812", "vendor:V-17", figures);
  EXPECT_EQ(ChineseExplanation(same).value(),
            "支出 #8812（48,000.00 CNY）付给供应商 V-17，重复了支出 #8700 的发票 0440019 和金额");
  figures["earlier_invoice_number"] = "0440018";
  Flag other = MakeFlag("AN-1/8700/8812", "vendor:V-17", figures);
  EXPECT_EQ(ChineseExplanation(other).value(),
            "支出 #8812（48,000.00 CNY）付给供应商 V-17，付款日 2025-01-10，与 2025-01-02 "
            "支付的支出 #8700 "
            "金额相同，相隔 8 天，但发票号不同（0440019，之前为 0440018）");
}

TEST(FlagTextTest, GrantFiguresUseTheSubjectAndTheCategoryName) {
  Flag flag = MakeFlag("BR-2/8812/overrun", "grant:G-1",
                       {{"category", "equipment"},
                        {"budget_awarded", "100000.00 CNY"},
                        {"budget", "100000.00 CNY"},
                        {"adjustments", ordered_json::array()},
                        {"spent", "1250000.50 CNY"},
                        {"overrun", "1150000.50 CNY"}});
  EXPECT_EQ(
      ChineseExplanation(flag).value(),
      "拨款 G-1 的设备费支出达 1,250,000.50 CNY，超出预算 100,000.00 CNY（批准额加已批准的调整）"
      "1,150,000.50 CNY，首次超出为支出 #8812");
}

TEST(FlagTextTest, Article8NamesEachUnmetCondition) {
  Flag flag = MakeFlag("AL-3/1", "alliance:PBA",
                       {{"as_of", "2025-06-30"},
                        {"checklist",
                         {{"enterprise_member", true},
                          {"university_or_institute_member", false},
                          {"independent_members", 1},
                          {"executive_body_with_staff", true},
                          {"agreement", "AG-1"},
                          {"agreement_signed_by_all", false},
                          {"unsigned_members", {"ENT-1"}}}}});
  EXPECT_EQ(
      ChineseExplanation(flag).value(),
      "2025-06-30 联盟 PBA 不满足《关于推动产业技术创新战略联盟构建的指导意见》第八条的试点条件："
      "没有高校或科研院所成员；独立法人成员少于 2 个；协议 AG-1 未经全体成员签署");
}

TEST(FlagTextTest, AMissingFigureIsAnErrorAndFallsBackToEnglish) {
  ordered_json figures = Expenditure();
  figures["period_end"] = "2024-11-30";  // days_after_end left out
  Flag flag = MakeFlag("TP-1/8812/after", "grant:G-2024-01", figures);
  auto chinese = ChineseExplanation(flag);
  ASSERT_FALSE(chinese.has_value());
  EXPECT_EQ(
      chinese.error().message(),
      "flag TP-1/8812/after: the Chinese sentence needs figure \"days_after_end\" is missing");
  EXPECT_EQ(FlagExplanation(flag, FlagLanguage::kChinese), "the English sentence");
}

TEST(FlagTextTest, AnUnknownCheckIsAnError) {
  Flag flag = MakeFlag("TP-1/8812/someday", "grant:G-2024-01", Expenditure());
  auto chinese = ChineseExplanation(flag);
  ASSERT_FALSE(chinese.has_value());
  EXPECT_EQ(chinese.error().message(),
            "flag TP-1/8812/someday: no Chinese sentence for rule TP-1, check someday");
  Flag unknown = MakeFlag("ZZ-9/1", "grant:G", Expenditure());
  EXPECT_FALSE(ChineseExplanation(unknown).has_value());
}

TEST(FlagTextTest, TheCheckIsTheIdsThirdPart) {
  EXPECT_EQ(FlagCheck(MakeFlag("TP-1/8812/after", "grant:G", {})), "after");
  EXPECT_EQ(FlagCheck(MakeFlag("AN-6/8813", "org:X", {})), "");
}

TEST(FlagTextTest, Languages) {
  EXPECT_EQ(ParseFlagLanguage("zh").value(), FlagLanguage::kChinese);
  EXPECT_EQ(ParseFlagLanguage("ZH-cn").value(), FlagLanguage::kChinese);
  EXPECT_EQ(ParseFlagLanguage("zh_CN.UTF-8").value(), FlagLanguage::kChinese);
  EXPECT_EQ(ParseFlagLanguage("en").value(), FlagLanguage::kEnglish);
  EXPECT_EQ(ParseFlagLanguage("en_US").value(), FlagLanguage::kEnglish);
  auto bad = ParseFlagLanguage("fr");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message(),
            "--lang \"fr\" is not a language; use zh (Chinese) or en (English)");
  EXPECT_EQ(FlagLanguageFromLocale("zh_CN.UTF-8"), FlagLanguage::kChinese);
  EXPECT_EQ(FlagLanguageFromLocale("C.UTF-8"), FlagLanguage::kEnglish);
  EXPECT_EQ(FlagLanguageFromLocale(nullptr), FlagLanguage::kEnglish);
  EXPECT_EQ(FlagLanguageCode(FlagLanguage::kChinese), "zh");
}

}  // namespace
}  // namespace fundtrail::projections
