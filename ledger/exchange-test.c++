#include "ledger/exchange.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace fundtrail {
namespace {

ExchangeRate Rate(std::string_view text) {
  auto rate = ParseExchangeRate(text);
  EXPECT_TRUE(rate.has_value()) << text << ": " << rate.error().message();
  return rate.value_or(ExchangeRate{1, 0});
}

int64_t Convert(int64_t original, int from, std::string_view rate, int to) {
  auto converted = ConvertMinorUnits(original, from, Rate(rate), to);
  EXPECT_TRUE(converted.has_value()) << converted.error().message();
  return converted.value_or(-1);
}

TEST(ExchangeTest, ParsesDecimalRates) {
  EXPECT_EQ(Rate("7.1234").digits, 71234u);
  EXPECT_EQ(Rate("7.1234").scale, 4);
  EXPECT_EQ(Rate("151").digits, 151u);
  EXPECT_EQ(Rate("151").scale, 0);
  EXPECT_EQ(Rate("0.0652").digits, 652u);
  EXPECT_EQ(Rate("0.0652").scale, 4);
  EXPECT_EQ(Rate("123456789.123456789").digits, 123456789123456789u);
}

TEST(ExchangeTest, RefusesMalformedRates) {
  for (const char* bad : {"", ".5", "5.", "1e3", "-1", "+1", "0", "0.000", "1,5", "7.12 ",
                          " 7.1", "7..1", "1234567890.123456789", "７.1"}) {
    auto rate = ParseExchangeRate(bad);
    EXPECT_FALSE(rate.has_value()) << "\"" << bad << "\" was accepted";
    if (!rate) {
      EXPECT_NE(rate.error().message().find("exchange rate"), std::string::npos);
    }
  }
}

TEST(ExchangeTest, ConvertsExactly) {
  // 170.00 USD at 7.2622 = 1234.574 CNY -> 1234.57.
  EXPECT_EQ(Convert(17000, 2, "7.2622", 2), 123457);
  // 10000 JPY at 0.0482 = 482.00 CNY (JPY has no decimals).
  EXPECT_EQ(Convert(10000, 0, "0.0482", 2), 48200);
  // 100.00 CNY at 21.5 = 2150 JPY.
  EXPECT_EQ(Convert(10000, 2, "21.5", 0), 2150);
  EXPECT_EQ(Convert(1, 2, "1", 2), 1);
}

TEST(ExchangeTest, RoundsHalfToEven) {
  // 0.01 USD at 0.5 = 0.005 CNY: exactly half, the even neighbour is 0.00.
  EXPECT_EQ(Convert(1, 2, "0.5", 2), 0);
  // 0.03 USD at 0.5 = 0.015: half, rounds to the even 0.02.
  EXPECT_EQ(Convert(3, 2, "0.5", 2), 2);
  // 0.05 USD at 0.5 = 0.025: half, rounds down to the even 0.02.
  EXPECT_EQ(Convert(5, 2, "0.5", 2), 2);
  // Just above and below half are not ties.
  EXPECT_EQ(Convert(1, 2, "0.5000001", 2), 1);
  EXPECT_EQ(Convert(1, 2, "0.4999999", 2), 0);
  // 125 JPY at 0.01 = 1.25 CNY... exact; at 0.0001 = 0.0125 CNY, rounds to 0.01.
  EXPECT_EQ(Convert(125, 0, "0.01", 2), 125);
  EXPECT_EQ(Convert(125, 0, "0.0001", 2), 1);
  // 135 JPY at 0.0001 = 0.0135 CNY: below half of a fen above 0.01 -> 0.01.
  EXPECT_EQ(Convert(135, 0, "0.0001", 2), 1);
  // 150 JPY at 0.0001 = 0.015 CNY: a tie, rounds to the even 0.02.
  EXPECT_EQ(Convert(150, 0, "0.0001", 2), 2);
  // 250 JPY at 0.0001 = 0.025 CNY: a tie, rounds to the even 0.02.
  EXPECT_EQ(Convert(250, 0, "0.0001", 2), 2);
}

TEST(ExchangeTest, OverflowIsAnErrorNotAWrap) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  // The product of the largest amount and an 18-digit rate exceeds 128 bits' worth of checks.
  auto huge = ConvertMinorUnits(kMax, 0, Rate("999999999999999999"), 4);
  ASSERT_FALSE(huge.has_value());
  EXPECT_NE(huge.error().message().find("overflows"), std::string::npos);
  // A result just beyond int64.
  auto beyond = ConvertMinorUnits(kMax, 2, Rate("1"), 4);
  EXPECT_FALSE(beyond.has_value());
  // The largest result that fits.
  EXPECT_EQ(Convert(kMax, 2, "1", 2), kMax);
  EXPECT_EQ(Convert(kMax, 2, "0.5", 2), kMax / 2 + 1);  // 4611686018427387903.5 -> even ...04
  EXPECT_FALSE(ConvertMinorUnits(0, 2, Rate("7"), 2).has_value());
  EXPECT_FALSE(ConvertMinorUnits(-5, 2, Rate("7"), 2).has_value());
}

}  // namespace
}  // namespace fundtrail
