#include "ledger/status.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fundtrail {
namespace {

Result<int> Half(int value) {
  if (value % 2 != 0) return Error(Status::InvalidArgument(std::to_string(value) + " is odd"));
  return value / 2;
}

Status CheckEven(int value) {
  if (value % 2 != 0) return Status::InvalidArgument("odd");
  return Status::Ok();
}

// FT_RETURN_IF_ERROR returns a failed Status from a function returning Result<T>.
Result<std::string> Describe(int value) {
  FT_RETURN_IF_ERROR(CheckEven(value));
  return "even";  // a value made from what a std::string is made from
}

Result<std::optional<int>> Maybe(bool present) {
  if (present) return 7;
  return std::nullopt;
}

TEST(ResultTest, HoldsAValue) {
  Result<int> half = Half(8);
  ASSERT_TRUE(half.has_value());
  EXPECT_TRUE(static_cast<bool>(half));
  EXPECT_EQ(*half, 4);
  EXPECT_EQ(half.value(), 4);
  EXPECT_EQ(half.value_or(-1), 4);
}

TEST(ResultTest, HoldsAnError) {
  Result<int> half = Half(7);
  ASSERT_FALSE(half.has_value());
  EXPECT_FALSE(half);
  EXPECT_EQ(half.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(half.error().message(), "7 is odd");
  EXPECT_EQ(half.value_or(-1), -1);
}

TEST(ResultTest, ReturnIfErrorPassesTheStatusOn) {
  EXPECT_EQ(Describe(2).value(), "even");
  Result<std::string> odd = Describe(3);
  ASSERT_FALSE(odd);
  EXPECT_EQ(odd.error().message(), "odd");
}

TEST(ResultTest, ConvertsWhatTheValueIsMadeFrom) {
  EXPECT_EQ(Maybe(true).value(), std::optional<int>(7));
  Result<std::optional<int>> absent = Maybe(false);
  ASSERT_TRUE(absent.has_value());
  EXPECT_FALSE(absent->has_value());
}

TEST(ResultTest, DefaultConstructsTheValue) {
  Result<std::vector<int>> empty;
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->empty());
}

TEST(ResultTest, MovesMoveOnlyValuesAndErrors) {
  Result<std::unique_ptr<int>> owned = std::make_unique<int>(5);
  std::unique_ptr<int> taken = *std::move(owned);
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(*taken, 5);

  Result<std::unique_ptr<int>> failed = Error(Status::NotFound("no such key"));
  Result<std::unique_ptr<int>> moved = std::move(failed);
  ASSERT_FALSE(moved);
  Status status = std::move(moved).error();
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "no such key");
}

TEST(ResultTest, ArrowReachesTheValue) {
  Result<std::string> text = std::string("abc");
  EXPECT_EQ(text->size(), 3u);
  text->push_back('d');
  EXPECT_EQ(*text, "abcd");
  EXPECT_EQ(std::move(text).value(), "abcd");
}

struct Base {
  virtual ~Base() = default;
  virtual int Kind() const { return 0; }
};
struct Derived : Base {
  int Kind() const override { return 1; }
};

TEST(ResultTest, ConvertsFromAResultOfAConvertibleValue) {
  Result<std::unique_ptr<Derived>> derived = std::make_unique<Derived>();
  Result<std::unique_ptr<Base>> base = std::move(derived);
  ASSERT_TRUE(base);
  EXPECT_EQ((*base)->Kind(), 1);

  Result<std::unique_ptr<Derived>> failed = Error(Status::Corruption("damaged"));
  Result<std::unique_ptr<Base>> base_failed = std::move(failed);
  ASSERT_FALSE(base_failed);
  EXPECT_EQ(base_failed.error().code(), StatusCode::kCorruption);
}

TEST(ResultDeathTest, ReadingTheWrongSideIsABug) {
  Result<int> failed = Half(3);
  EXPECT_DEATH((void)failed.value(), "the value of a Result that holds an error");
  Result<int> value = Half(2);
  EXPECT_DEATH((void)value.error(), "the error of a Result that holds a value");
  EXPECT_DEATH((void)Result<int>(Status::Ok()), "a Result made from an ok Status");
}

}  // namespace
}  // namespace fundtrail
