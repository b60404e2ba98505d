#include "report/chart.h"

#include <algorithm>

#include "ledger/money.h"
#include "ledger/status.h"

namespace fundtrail::report {

namespace {

// Geometry of the budget chart, in SVG user units.
constexpr int64_t kWidth = 720;
constexpr int64_t kLabelWidth = 210;   // category names, right-aligned before the bars
constexpr int64_t kAmountWidth = 120;  // the amount after the longest bar
constexpr int64_t kLegendHeight = 28;
constexpr int64_t kRowHeight = 34;
constexpr int64_t kBarHeight = 12;

// Geometry of the column chart.
constexpr int64_t kColumnHeight = 270;
constexpr int64_t kAxisWidth = 96;  // tick labels left of the plot
constexpr int64_t kPlotTop = 16;
constexpr int64_t kPlotBottom = 226;
constexpr int64_t kPlotRight = 708;
constexpr size_t kMonthLabelsMax = 12;

nlohmann::ordered_json Rect(int64_t x, int64_t y, int64_t width, int64_t height, const std::string& css) {
  return {{"x", x}, {"y", y}, {"width", width}, {"height", height}, {"class", css}};
}

nlohmann::ordered_json Text(int64_t x, int64_t y, const std::string& anchor, const std::string& css,
                            const std::string& text) {
  return {{"x", x}, {"y", y}, {"anchor", anchor}, {"class", css}, {"text", text}};
}

nlohmann::ordered_json Line(int64_t x1, int64_t y1, int64_t x2, int64_t y2, const std::string& css) {
  return {{"x1", x1}, {"y1", y1}, {"x2", x2}, {"y2", y2}, {"class", css}};
}

nlohmann::ordered_json EmptyChart(int64_t width, int64_t height) {
  return {{"width", width},
          {"height", height},
          {"rects", nlohmann::ordered_json::array()},
          {"lines", nlohmann::ordered_json::array()},
          {"texts", nlohmann::ordered_json::array()}};
}

// "1,200,000" for an axis: the grouped amount without a fraction of zeros.
std::string AxisLabel(int64_t minor_units, const std::string& currency) {
  std::string text = FormatAmountGrouped(minor_units, currency);
  const size_t point = text.find('.');
  if (point != std::string::npos && text.find_first_not_of('0', point + 1) == std::string::npos) {
    text.resize(point);
  }
  return text;
}

void AddLegend(nlohmann::ordered_json& chart, const ChartLegend& legend) {
  int64_t x = kLabelWidth;
  for (const auto& [css, text] : {std::pair{"reference", legend.reference}, std::pair{"value", legend.value},
                                  std::pair{"over", legend.over}}) {
    chart["rects"].push_back(Rect(x, 8, 12, 12, css));
    chart["texts"].push_back(Text(x + 18, 18, "start", "legend", text));
    x += 130;
  }
}

}  // namespace

int64_t Scale(int64_t value, int64_t max, int64_t length) {
  if (max <= 0 || value <= 0) return 0;
  FT_ASSERT(length >= 0);
  const __int128 scaled = static_cast<__int128>(std::min(value, max)) * length / max;
  return static_cast<int64_t>(scaled);
}

int64_t TickStep(int64_t max) {
  FT_ASSERT(max > 0);
  int64_t power = 1;
  // Bounded: a power of ten above INT64_MAX / 10 would overflow, and 10^18 > any max / 5 step.
  for (int i = 0; i < 18 && power <= max / 10; ++i) power *= 10;
  for (int64_t multiple : {1, 2, 5, 10}) {
    if (max / (power * multiple) < 5 || (max / (power * multiple) == 5 && max % (power * multiple) == 0)) {
      return power * multiple;
    }
  }
  return power * 10;
}

nlohmann::ordered_json BudgetChart(const std::vector<ChartItem>& items, const std::string& currency,
                                   const ChartLegend& legend) {
  const int64_t height = kLegendHeight + static_cast<int64_t>(items.size()) * kRowHeight + 8;
  nlohmann::ordered_json chart = EmptyChart(kWidth, height);
  AddLegend(chart, legend);
  int64_t max = 0;
  for (const auto& item : items) max = std::max({max, item.value, item.reference});
  const int64_t bar_length_max = kWidth - kLabelWidth - kAmountWidth;
  int64_t y = kLegendHeight;
  for (const auto& item : items) {
    chart["texts"].push_back(Text(kLabelWidth - 8, y + kBarHeight + 6, "end", "label", item.label));
    const int64_t reference = Scale(item.reference, max, bar_length_max);
    const int64_t value = Scale(item.value, max, bar_length_max);
    const bool over = item.value > item.reference;
    chart["rects"].push_back(Rect(kLabelWidth, y + 3, reference, kBarHeight, "reference"));
    chart["rects"].push_back(Rect(kLabelWidth, y + 4 + kBarHeight, value, kBarHeight, over ? "over" : "value"));
    chart["texts"].push_back(Text(kLabelWidth + reference + 6, y + 3 + kBarHeight - 2, "start", "amount",
                                  AxisLabel(item.reference, currency)));
    chart["texts"].push_back(Text(kLabelWidth + value + 6, y + 4 + 2 * kBarHeight - 2, "start",
                                  over ? "amount over-text" : "amount", AxisLabel(item.value, currency)));
    y += kRowHeight;
  }
  chart["lines"].push_back(Line(kLabelWidth, kLegendHeight, kLabelWidth, y, "axis"));
  return chart;
}

nlohmann::ordered_json ColumnChart(const std::vector<ChartItem>& items, const std::string& currency) {
  nlohmann::ordered_json chart = EmptyChart(kWidth, kColumnHeight);
  int64_t max = 0;
  for (const auto& item : items) max = std::max(max, item.value);
  const int64_t plot_height = kPlotBottom - kPlotTop;
  if (max > 0) {
    const int64_t step = TickStep(max);
    // The axis ends at the first tick at or above the largest column (no overflow: a column near
    // INT64_MAX ends the axis at itself).
    const int64_t top = max > INT64_MAX - step ? max : (max / step + (max % step != 0 ? 1 : 0)) * step;
    for (int64_t tick = 0; tick <= top && tick >= 0; tick = tick > INT64_MAX - step ? -1 : tick + step) {
      const int64_t y = kPlotBottom - Scale(tick, top, plot_height);
      chart["lines"].push_back(Line(kAxisWidth, y, kPlotRight, y, tick == 0 ? "axis" : "grid"));
      chart["texts"].push_back(Text(kAxisWidth - 6, y + 4, "end", "tick", AxisLabel(tick, currency)));
    }
    max = top;
  } else {
    chart["lines"].push_back(Line(kAxisWidth, kPlotBottom, kPlotRight, kPlotBottom, "axis"));
  }
  if (items.empty()) return chart;
  const int64_t count = static_cast<int64_t>(items.size());
  const int64_t slot = (kPlotRight - kAxisWidth) / count;
  const int64_t bar_width = std::max<int64_t>(1, slot * 7 / 10);
  const size_t label_every = (items.size() + kMonthLabelsMax - 1) / kMonthLabelsMax;
  for (size_t i = 0; i < items.size(); ++i) {
    const int64_t x = kAxisWidth + static_cast<int64_t>(i) * slot + (slot - bar_width) / 2;
    const int64_t bar = Scale(items[i].value, max, plot_height);
    chart["rects"].push_back(Rect(x, kPlotBottom - bar, bar_width, bar, "value"));
    if (i % label_every == 0) {
      chart["texts"].push_back(Text(x + bar_width / 2, kPlotBottom + 18, "middle", "tick", items[i].label));
    }
  }
  return chart;
}

}  // namespace fundtrail::report
