#include "ledger/input_rules.h"

#include <gtest/gtest.h>

#include <string>

namespace fundtrail {
namespace {

TEST(InputRulesTest, TextProblems) {
  EXPECT_EQ(TextProblem("正极材料样品 48 kg", true), "");
  EXPECT_EQ(TextProblem("a\tb\nc", true), "");
  EXPECT_EQ(TextProblem("a\tb", false), "contains the control character U+0009 at byte 1");
  EXPECT_EQ(TextProblem("a\rb", true), "contains the control character U+000D at byte 1");
  EXPECT_EQ(TextProblem(std::string("a\0b", 3), true), "contains the control character U+0000 at byte 1");
  EXPECT_EQ(TextProblem("a\x7f", true), "contains the control character U+007F at byte 1");
  EXPECT_EQ(TextProblem("\xc2\x85", true), "contains the control character U+0085 at byte 0");
  EXPECT_NE(TextProblem("x\xe2\x80\xae", true).find("bidirectional formatting character U+202E at byte 1"),
            std::string::npos);
  EXPECT_NE(TextProblem("\xe2\x81\xa6", true).find("U+2066"), std::string::npos);
  EXPECT_NE(TextProblem("\xe2\x81\xa9", true).find("U+2069"), std::string::npos);
  // Marks that do not reorder text are allowed (U+200E LEFT-TO-RIGHT MARK).
  EXPECT_EQ(TextProblem("\xe2\x80\x8e", true), "");
  // Malformed UTF-8: a stray continuation byte, a truncated sequence, an overlong form, a
  // surrogate, beyond U+10FFFF.
  for (const char* bad : {"a\x80", "\xe4\xb8", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80"}) {
    EXPECT_EQ(TextProblem(bad, true).rfind("is not valid UTF-8", 0), 0u) << bad;
  }
  EXPECT_EQ(TextProblem(std::string(4096, 'x'), true), "");
  EXPECT_EQ(TextProblem(std::string(4097, 'x'), true), "is 4097 bytes long, the limit is 4096");
}

TEST(InputRulesTest, AmountLimits) {
  EXPECT_EQ(AmountLimitMinorUnits("CNY"), int64_t{100000000000000});
  EXPECT_EQ(AmountLimitMinorUnits("JPY"), int64_t{1000000000000});
  EXPECT_EQ(AmountLimitMinorUnits("XXX"), std::nullopt);
}

TEST(InputRulesTest, SubmissionIds) {
  EXPECT_TRUE(CheckSubmissionIdV2("2025-06-batch").ok());
  EXPECT_TRUE(CheckSubmissionIdV2("凭证-2025-06").ok());
  EXPECT_FALSE(CheckSubmissionIdV2("").ok());
  EXPECT_FALSE(CheckSubmissionIdV2(std::string(129, 'a')).ok());
  EXPECT_TRUE(CheckSubmissionIdV2(std::string(128, 'a')).ok());
  Status not_utf8 = CheckSubmissionIdV2("batch-\xff");
  EXPECT_EQ(not_utf8.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(not_utf8.message(), "the submission id is not valid UTF-8 (at byte 6)");
  EXPECT_FALSE(CheckSubmissionIdV2("a\nb").ok());
}

}  // namespace
}  // namespace fundtrail
