#include "ledger/import_mapping.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "ledger/json_codec.h"
#include "ledger/log_format.h"
#include "ledger/submission.h"
#include "ledger/test_util.h"

namespace fundtrail {
namespace {

std::string DateOf(std::string_view text, const std::vector<std::string>& formats = {}) {
  auto date = ParseImportDate(text, formats);
  return date ? *date : "error: " + date.error().message();
}

std::string AmountOf(std::string_view text) {
  auto amount = ParseImportAmount(text, "CNY");
  return amount ? *amount : "error: " + amount.error().message();
}

TEST(ImportMappingTest, DatesInTheFormsFinanceSystemsWrite) {
  EXPECT_EQ(DateOf("2025/6/9"), "2025-06-09");
  EXPECT_EQ(DateOf("2025年6月9日"), "2025-06-09");
  EXPECT_EQ(DateOf("20250609"), "2025-06-09");
  EXPECT_EQ(DateOf("2025-06-09"), "2025-06-09");
  EXPECT_EQ(DateOf(" 2025.12.31 "), "2025-12-31");
  EXPECT_EQ(DateOf("09/06/2025", {"%d/%m/%Y"}), "2025-06-09");
  EXPECT_EQ(DateOf("06/09/2025", {"%m/%d/%Y"}), "2025-06-09");
}

TEST(ImportMappingTest, AmbiguousAndInvalidDatesAreErrors) {
  EXPECT_NE(DateOf("03/04/2025").find("is ambiguous"), std::string::npos) << DateOf("03/04/2025");
  EXPECT_NE(DateOf("03/04/2025").find("date_formats"), std::string::npos);
  EXPECT_EQ(DateOf("2025/2/30"), "error: \"2025/2/30\" is not a calendar date");
  EXPECT_NE(DateOf("next tuesday").find("is not a date"), std::string::npos);
  EXPECT_NE(DateOf("2025-06-09", {"%Y/%m/%d"}).find("matches none of the date formats %Y/%m/%d"), std::string::npos);
}

TEST(ImportMappingTest, AmountsWithSeparatorsAndSymbols) {
  EXPECT_EQ(AmountOf("36018.26"), "36018.26 CNY");
  EXPECT_EQ(AmountOf("36,018.26"), "36018.26 CNY");
  EXPECT_EQ(AmountOf("¥36,018.26"), "36018.26 CNY");
  EXPECT_EQ(AmountOf("￥1,236,018.2"), "1236018.2 CNY");
  EXPECT_EQ(AmountOf("500"), "500 CNY");
}

TEST(ImportMappingTest, NegativeZeroMalformedAndTooPreciseAmountsAreErrors) {
  EXPECT_NE(AmountOf("(1,200.00)").find("\"(1,200.00)\" is negative"), std::string::npos) << AmountOf("(1,200.00)");
  EXPECT_NE(AmountOf("-1200").find("is negative"), std::string::npos);
  EXPECT_NE(AmountOf("0.00").find("is zero"), std::string::npos);
  EXPECT_NE(AmountOf("12a").find("is not an amount"), std::string::npos);
  EXPECT_EQ(AmountOf("1,200.345"), "error: \"1,200.345\" has 3 decimals, CNY allows 2") << AmountOf("1,200.345");
}

TEST(ImportMappingTest, CategoryNamesInChineseAndEnglish) {
  std::map<std::string, std::string> custom = {{"设备购置", "equipment"}};
  EXPECT_EQ(BudgetCategoryOf("材料费", {}), "materials");
  EXPECT_EQ(BudgetCategoryOf("测试化验加工费", {}), "testing");
  EXPECT_EQ(BudgetCategoryOf("Materials", {}), "materials");
  EXPECT_EQ(BudgetCategoryOf("fuel_power", {}), "fuel_power");
  EXPECT_EQ(BudgetCategoryOf("设备购置", custom), "equipment");
  EXPECT_EQ(BudgetCategoryOf("设备购置", {}), std::nullopt);
}

class MappingFileTest : public ::testing::Test {
 protected:
  std::string WriteMapping(const std::string& text) {
    std::string path = directory_.File("map.toml");
    std::ofstream(path) << text;
    return path;
  }
  static constexpr char kMinimal[] =
      "[constants]\ngrant_id = \"G-1\"\norg_id = \"ORG\"\nrequester = \"王敏\"\napprover = \"陈刚\"\n"
      "[columns]\nperiod = \"期间\"\nvoucher = \"凭证号\"\nline = \"分录\"\ncategory = \"科目\"\n"
      "vendor_id = \"单位\"\ninvoice_number = \"发票号\"\ninvoice_date = \"发票日期\"\npayment_date = 9\n"
      "amount = \"金额\"\ndescription = \"摘要\"\n"
      "[map.vendor_id]\n\"某某材料有限公司\" = \"V-07\"\n";
  test::TempDir directory_;
};

TEST_F(MappingFileTest, ConvertsARowToTheEventAppendWouldBuild) {
  auto mapping = ReadImportMapping(WriteMapping(kMinimal));
  ASSERT_TRUE(mapping.has_value()) << mapping.error().message();
  std::vector<std::string> header = {"期间", "凭证号", "分录", "科目", "单位", "发票号", "发票日期", "摘要", "付款日", "金额"};
  auto converter = RowConverter::Create(*mapping, header, nullptr);
  ASSERT_TRUE(converter.has_value()) << converter.error().message();
  CsvRecord record{{"2025-06", "记-12", "1", "材料费", "某某材料有限公司", "0440", "2025/6/2", "正极材料", "2025年6月5日", "36,018.26"}, 2};
  std::vector<std::string> errors;
  auto row = converter->Convert(record, 2, &errors);
  ASSERT_TRUE(row.has_value()) << (errors.empty() ? "" : errors[0]);
  EXPECT_EQ(row->source_key, "ORG|2025-06|记-12|1");
  // The event the same fields in JSON make, byte for byte.
  auto expected = EncodeEvent({{"type", "expenditure_recorded"}, {"grant_id", "G-1"}, {"org_id", "ORG"},
                               {"category", "materials"}, {"vendor_id", "V-07"}, {"invoice_number", "0440"},
                               {"invoice_date", "2025-06-02"}, {"payment_date", "2025-06-05"},
                               {"amount", "36018.26 CNY"}, {"requester", "王敏"}, {"approver", "陈刚"},
                               {"description", "正极材料"}, {"source_key", "ORG|2025-06|记-12|1"}});
  ASSERT_TRUE(expected.has_value()) << expected.error().message();
  EXPECT_EQ(row->canonical_event, *expected);
  EXPECT_EQ(row->invoice_number, "0440");
}

TEST_F(MappingFileTest, EveryErrorOfARowIsReportedWithRowColumnAndValue) {
  auto mapping = ReadImportMapping(WriteMapping(kMinimal));
  ASSERT_TRUE(mapping.has_value()) << mapping.error().message();
  std::vector<std::string> header = {"期间", "凭证号", "分录", "科目", "单位", "发票号", "发票日期", "摘要", "付款日", "金额"};
  auto converter = RowConverter::Create(*mapping, header, nullptr);
  ASSERT_TRUE(converter.has_value());
  CsvRecord record{{"2025-06", "记-12", "1", "设备购置", "V-01", "0440", "03/04/2025", "正极材料", "2025/2/30", "1.005"}, 7};
  std::vector<std::string> errors;
  EXPECT_FALSE(converter->Convert(record, 7, &errors).has_value());
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_NE(errors[0].find("row 7, column 科目 (category): unknown budget category \"设备购置\"; add it"), std::string::npos) << errors[0];
  EXPECT_NE(errors[1].find("row 7, column 发票日期 (invoice_date): \"03/04/2025\" is ambiguous"), std::string::npos) << errors[1];
  EXPECT_NE(errors[2].find("row 7, column 付款日 (payment_date): \"2025/2/30\" is not a calendar date"), std::string::npos) << errors[2];
  EXPECT_NE(errors[3].find("row 7, column 金额 (amount): \"1.005\" has 3 decimals, CNY allows 2"), std::string::npos) << errors[3];
}

TEST_F(MappingFileTest, AMissingColumnIsAnErrorListingTheFilesColumns) {
  auto mapping = ReadImportMapping(WriteMapping(kMinimal));
  ASSERT_TRUE(mapping.has_value());
  auto converter = RowConverter::Create(*mapping, {"期间", "凭证号"}, nullptr);
  ASSERT_FALSE(converter.has_value());
  EXPECT_NE(converter.error().message().find("the file has no column \"金额\", \"科目\""), std::string::npos)
      << converter.error().message();
  EXPECT_NE(converter.error().message().find(", #9, "), std::string::npos) << converter.error().message();
  EXPECT_NE(converter.error().message().find("(its columns: 期间, 凭证号)"), std::string::npos)
      << converter.error().message();
}

TEST_F(MappingFileTest, BadMappingsSayWhatToFix) {
  auto unknown = ReadImportMapping(WriteMapping(std::string(kMinimal) + "[map.colour]\n\"a\" = \"b\"\n"));
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().message().find("unknown field \"colour\""), std::string::npos) << unknown.error().message();
  auto toml = ReadImportMapping(WriteMapping("[columns\n"));
  ASSERT_FALSE(toml.has_value());
  EXPECT_NE(toml.error().message().find("line 1: not valid TOML"), std::string::npos) << toml.error().message();
  std::string no_key = kMinimal;
  no_key.replace(no_key.find("line = \"分录\"\n"), std::string("line = \"分录\"\n").size(), "");
  auto keyless = ReadImportMapping(WriteMapping(no_key));
  ASSERT_FALSE(keyless.has_value());
  EXPECT_NE(keyless.error().message().find("needs a source key"), std::string::npos) << keyless.error().message();
  std::string no_approver = kMinimal;
  no_approver.replace(no_approver.find("approver = \"陈刚\"\n"), std::string("approver = \"陈刚\"\n").size(), "");
  auto required = ReadImportMapping(WriteMapping(no_approver));
  ASSERT_FALSE(required.has_value());
  EXPECT_NE(required.error().message().find("field \"approver\" is required"), std::string::npos);
}

}  // namespace
}  // namespace fundtrail
