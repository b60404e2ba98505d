#include "ledger/money.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <utility>

namespace fundtrail {
namespace {

Money MustParse(std::string_view text) {
  auto parsed = ParseMoney(text);
  EXPECT_TRUE(parsed.has_value()) << text << ": " << parsed.error().message();
  return parsed.value_or(Money{});
}

// The error message of ParseMoney(text), or "(accepted)".
std::string ErrorOf(std::string_view text) {
  auto parsed = ParseMoney(text);
  if (parsed) return "(accepted)";
  EXPECT_EQ(parsed.error().code(), StatusCode::kInvalidArgument) << text;
  return parsed.error().message();
}

TEST(MoneyTest, ParsesDecimalsIntoMinorUnits) {
  EXPECT_EQ(MustParse("1250000.00 CNY"), (Money{125000000, "CNY"}));
  EXPECT_EQ(MustParse("5 CNY"), (Money{500, "CNY"}));
  EXPECT_EQ(MustParse("0.5 CNY"), (Money{50, "CNY"}));
  EXPECT_EQ(MustParse("0.05 CNY"), (Money{5, "CNY"}));
  EXPECT_EQ(MustParse("48000.1 USD"), (Money{4800010, "USD"}));
  EXPECT_EQ(MustParse("100 JPY"), (Money{100, "JPY"}));
  EXPECT_EQ(MustParse("0 CNY"), (Money{0, "CNY"}));  // zero is the caller's decision
}

TEST(MoneyTest, CurrencyExponents) {
  EXPECT_EQ(CurrencyExponent("CNY"), 2);
  EXPECT_EQ(CurrencyExponent("JPY"), 0);
  EXPECT_EQ(CurrencyExponent("KRW"), 0);
  EXPECT_EQ(CurrencyExponent("cny"), std::nullopt);
  EXPECT_EQ(CurrencyExponent("RMB"), std::nullopt);
  EXPECT_EQ(CurrencyExponent(""), std::nullopt);
}

TEST(MoneyTest, RejectsMissingCurrency) {
  EXPECT_EQ(ErrorOf("1250.00"), "\"1250.00\" has no currency; write it as \"1250.00 CNY\"");
}

TEST(MoneyTest, RejectsUnknownCurrency) {
  EXPECT_EQ(ErrorOf("12.00 RMB"),
            "\"12.00 RMB\" has an unsupported currency \"RMB\" (supported: ISO 4217 codes such as "
            "CNY, USD, EUR)");
  // Lowercase codes and a second space are not silently fixed.
  EXPECT_NE(ErrorOf("12.00 cny").find("unsupported currency \"cny\""), std::string::npos);
  EXPECT_NE(ErrorOf("12.00  CNY").find("unsupported currency \" CNY\""), std::string::npos);
}

TEST(MoneyTest, RejectsNegativeAndSigned) {
  EXPECT_EQ(ErrorOf("-5.00 CNY"), "\"-5.00 CNY\" is negative");
  EXPECT_EQ(ErrorOf("+5.00 CNY"), "\"+5.00 CNY\" must not carry a sign");
}

TEST(MoneyTest, RejectsThousandsSeparator) {
  EXPECT_EQ(ErrorOf("1,250,000.00 CNY"),
            "\"1,250,000.00 CNY\" has a thousands separator; write 1250000.00");
}

TEST(MoneyTest, RejectsTooManyDecimals) {
  EXPECT_EQ(ErrorOf("12.345 CNY"), "\"12.345 CNY\" has 3 decimals, CNY allows 2");
  EXPECT_EQ(ErrorOf("100.5 JPY"), "\"100.5 JPY\" has 1 decimals, JPY allows 0");
}

TEST(MoneyTest, RejectsMalformedNumbers) {
  for (std::string_view text : {"1.2.3 CNY", "1e5 CNY", ".5 CNY", "5. CNY", "12a CNY", "0x10 CNY",
                                "１２ CNY", " CNY", "five CNY"}) {
    auto parsed = ParseMoney(text);
    EXPECT_FALSE(parsed.has_value()) << text;
  }
  EXPECT_EQ(ErrorOf(" CNY"), "\" CNY\" has no amount");
  EXPECT_EQ(ErrorOf("5. CNY"), "\"5. CNY\" is not a decimal amount like 1250.00");
}

TEST(MoneyTest, Int64MaxParsesAndOneMoreOverflows) {
  // INT64_MAX fen = 92233720368547758.07 CNY.
  EXPECT_EQ(MustParse("92233720368547758.07 CNY").minor_units, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(MustParse("9223372036854775807 JPY").minor_units, std::numeric_limits<int64_t>::max());
  std::string overflow = ErrorOf("92233720368547758.08 CNY");
  EXPECT_NE(overflow.find("\"92233720368547758.08 CNY\" is too large"), std::string::npos) << overflow;
  EXPECT_NE(ErrorOf("9223372036854775808 JPY").find("is too large"), std::string::npos);
  // Overflow while reading the whole part, and while scaling by the exponent.
  EXPECT_NE(ErrorOf("99999999999999999999 CNY").find("is too large"), std::string::npos);
  EXPECT_NE(ErrorOf("92233720368547759 CNY").find("is too large"), std::string::npos);
}

TEST(MoneyTest, FormatsGroupedAndPlain) {
  EXPECT_EQ(FormatMoneyGrouped({125000000, "CNY"}), "1,250,000.00 CNY");
  EXPECT_EQ(FormatMoneyGrouped({100000, "CNY"}), "1,000.00 CNY");
  EXPECT_EQ(FormatMoneyGrouped({99999, "CNY"}), "999.99 CNY");
  EXPECT_EQ(FormatMoneyGrouped({5, "CNY"}), "0.05 CNY");
  EXPECT_EQ(FormatMoneyGrouped({0, "CNY"}), "0.00 CNY");
  EXPECT_EQ(FormatMoneyGrouped({-125000000, "CNY"}), "-1,250,000.00 CNY");
  EXPECT_EQ(FormatMoneyGrouped({1234567, "JPY"}), "1,234,567 JPY");
  EXPECT_EQ(FormatAmountGrouped(123456789, "CNY"), "1,234,567.89");
  EXPECT_EQ(FormatMoneyPlain({125000000, "CNY"}), "1250000.00 CNY");
  EXPECT_EQ(FormatMoneyPlain({50, "CNY"}), "0.50 CNY");
  EXPECT_EQ(FormatMoneyPlain({100, "JPY"}), "100 JPY");
}

TEST(MoneyTest, FormatsExtremes) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(FormatMoneyPlain({kMin, "CNY"}), "-92233720368547758.08 CNY");
  EXPECT_EQ(FormatMoneyGrouped({kMin, "CNY"}), "-92,233,720,368,547,758.08 CNY");
  EXPECT_EQ(FormatMoneyPlain({kMin, "JPY"}), "-9223372036854775808 JPY");
  EXPECT_EQ(FormatMoneyPlain({kMax, "CNY"}), "92233720368547758.07 CNY");
  EXPECT_EQ(FormatMoneyGrouped({kMax, "CNY"}), "92,233,720,368,547,758.07 CNY");
}

TEST(MoneyTest, PlainFormatRoundTrips) {
  // A deterministic spread of magnitudes, including every power of ten and its neighbours.
  std::vector<int64_t> values = {0, 1, 9, 10, 99, 100, 101, std::numeric_limits<int64_t>::max()};
  int64_t power = 1;
  for (int exponent = 0; exponent <= 18; ++exponent) {
    values.insert(values.end(), {power - 1, power, power + 1, power * 7 + 3});
    if (exponent < 18) power *= 10;
  }
  for (const char* currency : {"CNY", "JPY", "USD"}) {
    for (int64_t value : values) {
      Money money{value, currency};
      std::string text = FormatMoneyPlain(money);
      auto parsed = ParseMoney(text);
      ASSERT_TRUE(parsed.has_value()) << text << ": " << parsed.error().message();
      EXPECT_EQ(*parsed, money) << text;
    }
  }
}

// The formats the slow, obvious way: whole and fraction with std::to_string, commas inserted
// from the right.
std::string ReferenceDecimal(int64_t minor_units, int exponent, bool grouped) {
  const bool negative = minor_units < 0;
  uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(minor_units) : static_cast<uint64_t>(minor_units);
  uint64_t scale = 1;
  for (int i = 0; i < exponent; ++i) scale *= 10;
  std::string whole = std::to_string(magnitude / scale);
  if (grouped) {
    for (int at = static_cast<int>(whole.size()) - 3; at > 0; at -= 3) whole.insert(at, ",");
  }
  if (exponent == 0) return (negative ? "-" : "") + whole;
  std::string fraction = std::to_string(magnitude % scale);
  fraction.insert(0, exponent - fraction.size(), '0');
  return (negative ? "-" : "") + whole + "." + fraction;
}

TEST(MoneyTest, FormatsAsTheReferenceOnRandomAmounts) {
  uint64_t seed = 20261128;
  if (const char* text = std::getenv("FUNDTRAIL_TEST_SEED")) seed = std::strtoull(text, nullptr, 10);
  SCOPED_TRACE("seed " + std::to_string(seed) + " (replay with FUNDTRAIL_TEST_SEED=" + std::to_string(seed) + ")");
  std::mt19937_64 random(seed);
  for (int i = 0; i < 20000; ++i) {
    // Magnitudes of every length: a random value shifted right by 0 to 63 bits, either sign.
    auto value = static_cast<int64_t>(random() >> (random() % 64));
    if (random() % 2 == 1) value = -value;
    for (const auto& [currency, exponent] : {std::pair{"CNY", 2}, std::pair{"JPY", 0}, std::pair{"XXX", 2}}) {
      ASSERT_EQ(FormatMoneyPlain({value, currency}), ReferenceDecimal(value, exponent, false) + " " + currency);
      ASSERT_EQ(FormatAmountGrouped(value, currency), ReferenceDecimal(value, exponent, true));
      ASSERT_EQ(FormatMoneyGrouped({value, currency}), ReferenceDecimal(value, exponent, true) + " " + currency);
    }
  }
}

TEST(MoneyTest, CheckedAddition) {
  int64_t sum = 0;
  EXPECT_TRUE(AddMinorUnits(40, 2, &sum));
  EXPECT_EQ(sum, 42);
  EXPECT_FALSE(AddMinorUnits(std::numeric_limits<int64_t>::max(), 1, &sum));
  EXPECT_FALSE(AddMinorUnits(std::numeric_limits<int64_t>::min(), -1, &sum));
}

}  // namespace
}  // namespace fundtrail
