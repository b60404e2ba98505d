#include "ledger/dates.h"

#include <gtest/gtest.h>

namespace fundtrail {
namespace {

int32_t MustParse(std::string_view text) {
  auto days = ParseDate(text);
  EXPECT_TRUE(days.has_value()) << text << ": " << days.error().message();
  return days.value_or(INT32_MIN);
}

TEST(DatesTest, ParsesValidDates) {
  EXPECT_EQ(MustParse("1970-01-01"), 0);
  EXPECT_EQ(MustParse("1970-01-02"), 1);
  EXPECT_EQ(MustParse("1969-12-31"), -1);
  EXPECT_EQ(MustParse("2000-01-01"), 10957);
  EXPECT_EQ(MustParse("2024-11-30"), 20057);
  EXPECT_EQ(MustParse("1900-01-01"), -25567);
  EXPECT_EQ(MustParse("2999-12-31"), 376199);
}

TEST(DatesTest, LeapYears) {
  EXPECT_EQ(MustParse("2024-02-29") + 1, MustParse("2024-03-01"));
  EXPECT_EQ(MustParse("2000-02-29") + 1, MustParse("2000-03-01"));  // divisible by 400
  for (std::string_view text : {"2023-02-29", "1900-02-29", "2100-02-29", "2024-02-30"}) {
    auto days = ParseDate(text);
    ASSERT_FALSE(days.has_value()) << text;
    EXPECT_EQ(days.error().message(), "\"" + std::string(text) + "\" is not a calendar date");
  }
}

TEST(DatesTest, RejectsBadShapes) {
  for (std::string_view text : {"", "2024-1-01", "2024-01-1", "24-01-01", "2024/01/01", "2024-01-01T00:00",
                                " 2024-01-01", "2024-01-01 ", "2024-0a-01", "20240101", "2024--01-01",
                                "+024-01-01", "2024-01-0\n"}) {
    auto days = ParseDate(text);
    ASSERT_FALSE(days.has_value()) << text;
    EXPECT_EQ(days.error().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(days.error().message(),
              "\"" + std::string(text) + "\" is not a date; write YYYY-MM-DD, e.g. 2024-11-30");
  }
  for (std::string_view text : {"2024-00-10", "2024-13-01", "2024-01-00", "2024-01-32", "2024-04-31"}) {
    EXPECT_FALSE(ParseDate(text).has_value()) << text;
  }
}

TEST(DatesTest, RejectsYearsOutOfRange) {
  for (std::string_view text : {"1899-12-31", "3000-01-01", "0000-01-01"}) {
    auto days = ParseDate(text);
    ASSERT_FALSE(days.has_value()) << text;
    EXPECT_EQ(days.error().message(), "\"" + std::string(text) + "\": year out of range 1900..2999");
  }
}

TEST(DatesTest, FormatParseRoundTripOverTheWholeRange) {
  int32_t first = MustParse("1900-01-01");
  int32_t last = MustParse("2999-12-31");
  std::string previous;
  for (int32_t days = first; days <= last; ++days) {
    std::string text = FormatDate(days);
    auto parsed = ParseDate(text);
    ASSERT_TRUE(parsed.has_value()) << days << " formatted as " << text;
    ASSERT_EQ(*parsed, days) << text;
    ASSERT_LT(previous, text) << "dates must sort as text";
    previous = text;
  }
}

TEST(DatesTest, FormatsTimestamps) {
  EXPECT_EQ(FormatTimestamp(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatTimestamp(1), "1970-01-01T00:00:00.000001Z");
  EXPECT_EQ(FormatTimestamp(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatTimestamp(-86400000000), "1969-12-31T00:00:00.000000Z");
  EXPECT_EQ(FormatTimestamp(1764336352123456), "2025-11-28T13:25:52.123456Z");
  EXPECT_EQ(FormatTimestamp(951782400000000), "2000-02-29T00:00:00.000000Z");
}

TEST(DatesTest, SystemClockIsAfter2024) {
  SystemClock clock;
  EXPECT_GT(clock.NowMicros(), int64_t{1704067200} * 1000000);  // 2024-01-01
}

}  // namespace
}  // namespace fundtrail
