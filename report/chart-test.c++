#include "report/chart.h"

#include <gtest/gtest.h>

namespace fundtrail::report {
namespace {

TEST(Scale, IsAnIntegerFractionOfTheLargestValue) {
  EXPECT_EQ(Scale(50, 100, 400), 200);
  EXPECT_EQ(Scale(100, 100, 400), 400);
  EXPECT_EQ(Scale(1, 3, 100), 33) << "rounded down";
  EXPECT_EQ(Scale(0, 100, 400), 0);
  EXPECT_EQ(Scale(-5, 100, 400), 0) << "a negative value draws nothing";
  EXPECT_EQ(Scale(5, 0, 400), 0) << "nothing to scale against";
  EXPECT_EQ(Scale(INT64_MAX, INT64_MAX, 620), 620) << "no overflow near INT64_MAX";
  EXPECT_EQ(Scale(INT64_MAX / 2, INT64_MAX, 620), 309);
}

TEST(TickStep, IsOneTwoOrFiveTimesAPowerOfTenWithAtMostFiveSteps) {
  EXPECT_EQ(TickStep(1), 1);
  EXPECT_EQ(TickStep(4'999'999), 1'000'000);
  EXPECT_EQ(TickStep(5'000'000), 1'000'000);
  EXPECT_EQ(TickStep(5'000'001), 2'000'000);
  EXPECT_EQ(TickStep(9'999'999), 2'000'000);
  EXPECT_EQ(TickStep(10'000'000), 10'000'000);
  EXPECT_GT(TickStep(INT64_MAX), 0);
  for (int64_t max : {int64_t{3}, int64_t{77}, int64_t{123'456'789}, int64_t{999'999'999'999}}) {
    const int64_t step = TickStep(max);
    EXPECT_LE((max + step - 1) / step, 5) << max;
  }
}

TEST(BudgetChart, DrawsBudgetAndActualWithTheOverspendMarked) {
  auto chart = BudgetChart({{"设备费", 150'00, 100'00}, {"材料费", 50'00, 200'00}}, "CNY",
                           {"actual", "budget", "over budget"});
  // Legend (3 swatches), then two bars per category.
  ASSERT_EQ(chart["rects"].size(), 3u + 4u);
  const auto& rects = chart["rects"];
  EXPECT_EQ(rects[3]["class"], "reference");
  EXPECT_EQ(rects[4]["class"], "over") << "actual 150 above budget 100";
  EXPECT_EQ(rects[6]["class"], "value");
  // The largest figure (material's budget of 200) spans the whole bar area; the rest scale to it.
  const int64_t full = rects[5]["width"];
  EXPECT_EQ(rects[4]["width"].get<int64_t>(), full * 3 / 4);
  EXPECT_EQ(rects[3]["width"].get<int64_t>(), full / 2);
  bool labelled = false, amount = false;
  for (const auto& text : chart["texts"]) {
    labelled |= text["text"] == "设备费";
    amount |= text["text"] == "150";
  }
  EXPECT_TRUE(labelled);
  EXPECT_TRUE(amount) << "amounts without a fraction of zeros";
}

TEST(ColumnChart, ScalesColumnsToTheAxisAndThinsLabels) {
  std::vector<ChartItem> months;
  for (int i = 0; i < 24; ++i) months.push_back({"m" + std::to_string(i), i == 5 ? -100 : 100 * i, 0});
  auto chart = ColumnChart(months, "CNY");
  ASSERT_EQ(chart["rects"].size(), 24u);
  EXPECT_EQ(chart["rects"][5]["height"], 0) << "a negative month draws no column";
  EXPECT_EQ(chart["rects"][0]["height"], 0);
  EXPECT_GT(chart["rects"][23]["height"].get<int64_t>(), chart["rects"][22]["height"].get<int64_t>());
  size_t month_labels = 0;
  for (const auto& text : chart["texts"]) month_labels += text["text"].get<std::string>().starts_with("m");
  EXPECT_EQ(month_labels, 12u) << "every second month labelled";
  auto empty = ColumnChart({}, "CNY");
  EXPECT_TRUE(empty["rects"].empty());
  EXPECT_EQ(empty["lines"].size(), 1u) << "the axis alone";
}

}  // namespace
}  // namespace fundtrail::report
