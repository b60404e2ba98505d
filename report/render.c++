// RenderReportHtml (audit_report.h): the model into the Mustache template.
#include <kainjow/mustache.hpp>

#include "ledger/status.h"
#include "report/audit_report.h"
#include "report/template.h"

namespace fundtrail::report {

namespace {

using kainjow::mustache::data;
using kainjow::mustache::mustache;
using kainjow::mustache::partial;

// The JSON model as Mustache data: objects and arrays alike, strings as they are, numbers in
// their JSON spelling, null as false (an absent section).
data ToData(const nlohmann::ordered_json& json) {
  switch (json.type()) {
    case nlohmann::ordered_json::value_t::object: {
      data object{data::type::object};
      for (const auto& [key, value] : json.items()) object.set(key, ToData(value));
      return object;
    }
    case nlohmann::ordered_json::value_t::array: {
      data list{data::type::list};
      for (const auto& item : json) list.push_back(ToData(item));
      return list;
    }
    case nlohmann::ordered_json::value_t::string:
      return data{json.get<std::string>()};
    case nlohmann::ordered_json::value_t::boolean:
      return data{json.get<bool>()};
    case nlohmann::ordered_json::value_t::null:
    case nlohmann::ordered_json::value_t::discarded:
      return data{false};
    case nlohmann::ordered_json::value_t::number_integer:
    case nlohmann::ordered_json::value_t::number_unsigned:
    case nlohmann::ordered_json::value_t::number_float:
    case nlohmann::ordered_json::value_t::binary:
      return data{json.dump()};
  }
  return data{false};
}

}  // namespace

std::string RenderReportHtml(const nlohmann::ordered_json& model) {
  mustache page{std::string(kReportTemplate)};
  // The template is a constant of this program: a parse error is a bug.
  FT_ASSERT(page.is_valid(), "the report template does not parse");
  data context = ToData(model);
  context.set("svg_chart", data{partial{[] { return std::string(kChartTemplate); }}});
  return page.render(context);
}

}  // namespace fundtrail::report
