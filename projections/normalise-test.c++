#include "projections/normalise.h"

#include <gtest/gtest.h>

namespace fundtrail::projections {
namespace {

TEST(TextNormaliser, TraditionalToSimplified) {
  auto normaliser = TextNormaliser::Shared();
  EXPECT_EQ(normaliser->Normalise("茅臺酒 兩瓶"), "茅台酒 两瓶");
  EXPECT_EQ(normaliser->Normalise("購物卡一批（年終）"), "购物卡一批(年终)");
  EXPECT_EQ(normaliser->Normalise("業務招待 宴請"), "业务招待 宴请");
  // A phrase of t2s's phrase dictionary, whose first character alone is not converted.
  EXPECT_EQ(normaliser->Normalise("乾燥箱"), "干燥箱");
}

TEST(TextNormaliser, FullWidthAndCase) {
  auto normaliser = TextNormaliser::Shared();
  EXPECT_EQ(normaliser->Normalise("ＪＤ　Ｅ卡（电子）"), "jd e卡(电子)");
  EXPECT_EQ(normaliser->Normalise("Johnnie WALKER Blue Label"), "johnnie walker blue label");
  EXPECT_EQ(normaliser->Normalise("ＫＴＶ包厢"), "ktv包厢");
  EXPECT_EQ(normaliser->Normalise(""), "");
}

TEST(TextNormaliser, CallsOpenCcOnlyWhereAConversionCanStart) {
  auto normaliser = TextNormaliser::Shared();
  for (const char* simplified : {"实验室 电费 第三季度", "高效液相色谱仪 Agilent 1260",
                                 "plain ASCII text", "购买京东E卡10张"}) {
    EXPECT_FALSE(normaliser->NeedsConversion(simplified)) << simplified;
    // The same text through OpenCC (a traditional character appended) reads the same.
    EXPECT_EQ(normaliser->Normalise(std::string(simplified) + " 臺"),
              normaliser->Normalise(simplified) + " 台")
        << simplified;
  }
  // 手 begins the key 手錶 but is never changed itself: only 錶 sends a text to OpenCC.
  for (const char* simplified : {"手套箱耗材 第1批", "专利申请费", "论文版面费"})
    EXPECT_FALSE(normaliser->NeedsConversion(simplified)) << simplified;
  EXPECT_TRUE(normaliser->NeedsConversion("手錶"));
  EXPECT_EQ(normaliser->Normalise("手錶"), "手表");
  EXPECT_TRUE(normaliser->NeedsConversion("茅臺"));
  EXPECT_TRUE(normaliser->NeedsConversion("乾燥"));
}

TEST(TextNormaliser, KeepsInvalidUtf8) {
  auto normaliser = TextNormaliser::Shared();
  EXPECT_EQ(normaliser->Normalise("\xff" "ABC\xe8"), "\xff" "abc\xe8");
  EXPECT_EQ(normaliser->Normalise("\xe8\x8c"), "\xe8\x8c");  // a truncated character
}

}  // namespace
}  // namespace fundtrail::projections
