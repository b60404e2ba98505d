// The audit report's HTML template (Mustache, rendered by kainjow-mustache from Debian's
// libkainjow-mustache-dev) and the SVG chart partial. Every value goes through {{name}}, which
// escapes & < > " and '; the template never uses the unescaped {{{name}}} or {{&name}} forms
// (template-test.c++ checks that).
#pragma once

namespace fundtrail::report {

extern const char kReportTemplate[];
// A chart (report/chart.h) as inline SVG; rendered in the chart's context.
extern const char kChartTemplate[];

}  // namespace fundtrail::report
