// Bar charts for the audit report, drawn as SVG by the report's template: this module computes
// the geometry (integer coordinates, labels), the template writes the elements, escaping every
// text. No floating point: bar lengths are integer fractions of the largest value, so the same
// figures always give the same bytes.
//
// A chart is JSON (the report's model):
//   {"width": W, "height": H, "title": "...",
//    "rects": [{"x", "y", "width", "height", "class"}],
//    "lines": [{"x1", "y1", "x2", "y2", "class"}],
//    "texts": [{"x", "y", "anchor", "class", "text"}]}
// with coordinates as integers in SVG user units.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fundtrail::report {

struct ChartItem {
  std::string label;      // category or month, shown beside or under its bars
  int64_t value = 0;      // minor units; a negative value draws no bar but keeps its label
  int64_t reference = 0;  // the budget, for BudgetChart; unused by ColumnChart
};

struct ChartLegend {
  std::string value;      // "actual"
  std::string reference;  // "budget"
  std::string over;       // "over budget"
};

// Horizontal bars, two per item: the reference (budget) and the value (actual), the value's bar
// marked "over" when it exceeds the reference. Each bar ends in its amount (grouped, `currency`'s
// decimals).
nlohmann::ordered_json BudgetChart(const std::vector<ChartItem>& items, const std::string& currency,
                                   const ChartLegend& legend);

// Vertical columns, one per item in order (months), over a value axis with round ticks.
nlohmann::ordered_json ColumnChart(const std::vector<ChartItem>& items, const std::string& currency);

// A tick step for an axis up to `max` (minor units, > 0): 1, 2 or 5 times a power of ten, so that
// max / step is at most 5.
int64_t TickStep(int64_t max);

// `value * length / max`, rounded down, computed without overflow; 0 when max <= 0 or value <= 0.
int64_t Scale(int64_t value, int64_t max, int64_t length);

}  // namespace fundtrail::report
