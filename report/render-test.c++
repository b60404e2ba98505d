#include <gtest/gtest.h>

#include <string>

#include "report/audit_report.h"
#include "report/chart.h"
#include "report/labels.h"
#include "report/template.h"

namespace fundtrail::report {
namespace {

constexpr char kHostile[] = "<script>alert('x')</script> & \"quoted\" {{t.footer}}";

// A model with hostile text in every kind of place the template prints: the cover, a table cell,
// a chart label, a flag, an attribute.
nlohmann::ordered_json HostileModel() {
  nlohmann::ordered_json flag = {{"id", "PU-1/7"},     {"rule", "PU-1"},         {"rule_title", kHostile},
                                 {"detects", kHostile}, {"severity", kHostile},   {"severity_label", "严重"},
                                 {"status_label", "待复核"}, {"subject", kHostile}, {"explanation", kHostile},
                                 {"evidence", {{{"sequence", "7"}, {"hash", kHostile}}}},
                                 {"reviews", {{{"sequence", "9"}, {"disposition", "已确认"}, {"note", kHostile}}}}};
  nlohmann::ordered_json grant = {
      {"id", kHostile},
      {"title", kHostile},
      {"figures", {{{"label", "批准金额"}, {"value", kHostile}}}},
      {"budget",
       {{"rows", {{{"category", kHostile}, {"budget", "1.00 CNY"}, {"actual", "2.00 CNY"}, {"over", true}}}},
        {"chart", BudgetChart({{kHostile, 200, 100}}, "CNY", {kHostile, "budget", "over"})}}},
      {"months", {{"has_rows", true}, {"rows", nlohmann::ordered_json::array()}, {"chart", ColumnChart({{kHostile, 5, 0}}, "CNY")}}},
      {"members", {{{"name", kHostile}, {"org_id", kHostile}}}},
      {"has_members", true}};
  return {{"lang", "zh-CN\"><script>"},
          {"t", Captions(Language::kChinese)},
          {"cover", {{"alliance_name", kHostile}, {"grant", kHostile}}},
          {"verification", {{"witnesses", {{{"name", kHostile}}}}, {"has_witnesses", true}}},
          {"grants", {grant}},
          {"flags", {flag}},
          {"has_flags", true},
          {"dispositions", {{{"flag_id", kHostile}, {"note", kHostile}}}},
          {"has_dispositions", true}};
}

TEST(RenderReportHtml, EscapesEveryText) {
  const std::string html = RenderReportHtml(HostileModel());
  EXPECT_EQ(html.find("<script"), std::string::npos) << "no markup from the data";
  EXPECT_EQ(html.find("alert('x')"), std::string::npos);
  EXPECT_EQ(html.find("\"quoted\""), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt; &amp; &quot;quoted&quot;"), std::string::npos);
  EXPECT_NE(html.find("{{t.footer}}"), std::string::npos) << "data is never rendered as a template";
  EXPECT_NE(html.find("lang=\"zh-CN&quot;&gt;&lt;script&gt;\""), std::string::npos) << "attributes too";
  // Places: the cover, a chart label, a table cell, a member, a flag, a disposition.
  size_t count = 0;
  for (size_t at = html.find("&lt;script&gt;"); at != std::string::npos; at = html.find("&lt;script&gt;", at + 1)) ++count;
  EXPECT_GE(count, 12u);
}

TEST(RenderReportHtml, IsDeterministicAndDrawsTheChartsInline) {
  const auto model = HostileModel();
  const std::string html = RenderReportHtml(model);
  EXPECT_EQ(html, RenderReportHtml(model));
  EXPECT_NE(html.find("<svg class=\"chart\""), std::string::npos);
  EXPECT_NE(html.find("<rect x=\"210\""), std::string::npos) << "the budget chart's bars";
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg")) << "the SVG namespace is the only URL";
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos) << "nothing fetched when viewed";
}

TEST(ReportTemplate, NeverPrintsUnescaped) {
  for (const std::string text : {std::string(kReportTemplate), std::string(kChartTemplate)}) {
    EXPECT_EQ(text.find("{{{"), std::string::npos);
    EXPECT_EQ(text.find("{{&"), std::string::npos);
    EXPECT_EQ(text.find("{{="), std::string::npos) << "no change of delimiters that could hide one";
  }
}

}  // namespace
}  // namespace fundtrail::report
