#include "ledger/import_mapping.h"

#include <capnp/schema.h>

#include <algorithm>
#include <cctype>
#include <toml++/toml.h>

#include "ledger/dates.h"
#include "ledger/json_codec.h"
#include "ledger/money.h"
#include "ledger/submission.h"

namespace fundtrail {

namespace {

constexpr uint64_t kOptionalAnnotationId = 0xd4a4b3c1f0a1e201ull;  // schemas/fundtrail.capnp
constexpr uint64_t kDateAnnotationId = 0xd4a4b3c1f0a1e202ull;

// Fields of a row that are no event field: they make up the default source key.
constexpr std::string_view kKeyFields[] = {"period", "voucher", "line"};
// Set by import itself, never by the mapping.
constexpr std::string_view kSourceKeyField = "source_key";

std::string Quote(std::string_view text) { return "\"" + std::string(text) + "\""; }

std::string Trim(std::string_view text) {
  // ASCII blanks and the ideographic space (U+3000) that Chinese spreadsheets leave behind.
  for (;;) {
    size_t before = text.size();
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    if (text.starts_with("\xE3\x80\x80")) text.remove_prefix(3);
    if (text.ends_with("\xE3\x80\x80")) text.remove_suffix(3);
    if (text.size() == before) return std::string(text);
  }
}

struct EventField {
  std::string name;
  bool optional = false;
  bool date = false;
  capnp::Type type;
};

std::vector<EventField> ExpenditureFields() {
  std::vector<EventField> fields;
  for (auto field : capnp::Schema::from<schema::ExpenditureRecorded>().getFields()) {
    EventField out{SnakeCase(field.getProto().getName().cStr()), false, false, field.getType()};
    for (auto annotation : field.getProto().getAnnotations()) {
      out.optional |= annotation.getId() == kOptionalAnnotationId;
      out.date |= annotation.getId() == kDateAnnotationId;
    }
    fields.push_back(std::move(out));
  }
  return fields;
}

const EventField* FindEventField(const std::vector<EventField>& fields, std::string_view name) {
  for (const auto& field : fields) {
    if (field.name == name) return &field;
  }
  return nullptr;
}

bool IsKeyField(std::string_view name) {
  return std::find(std::begin(kKeyFields), std::end(kKeyFields), name) != std::end(kKeyFields);
}

Result<ColumnName> ColumnOf(const toml::node& node, const std::string& where) {
  if (auto text = node.value<std::string>(); text && node.is_string()) {
    if (text->empty()) return Error(Status::InvalidArgument(where + ": an empty column name"));
    return ColumnName{*text, 0};
  }
  if (auto index = node.value<int64_t>(); index && node.is_integer()) {
    if (*index < 1) return Error(Status::InvalidArgument(where + ": column indexes start at 1"));
    return ColumnName{"", static_cast<size_t>(*index)};
  }
  return Error(Status::InvalidArgument(where + ": name a column by its header (a string) or its index (1, 2, ...)"));
}

Result<std::vector<ColumnName>> ColumnList(const toml::node* node, const std::string& where) {
  std::vector<ColumnName> columns;
  if (node == nullptr) return columns;
  const toml::array* array = node->as_array();
  if (array == nullptr) return Error(Status::InvalidArgument(where + ": expected a list of columns"));
  for (const auto& element : *array) {
    auto column = ColumnOf(element, where);
    if (!column) return Error(column.error());
    columns.push_back(*column);
  }
  return columns;
}

Result<std::optional<std::string>> OptionalString(const toml::table& table, std::string_view key,
                                                  const std::string& where) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return std::nullopt;
  if (!node->is_string()) return Error(Status::InvalidArgument(where + "." + std::string(key) + ": expected a string"));
  return *node->value<std::string>();
}

Status ReadImportSection(const toml::table& table, ImportMapping* mapping) {
  const std::string where = mapping->path + ": [import]";
  static constexpr std::string_view kKeys[] = {"type", "encoding", "delimiter", "skip_lines", "date_formats",
                                               "currency", "skip_when_blank", "source_key"};
  for (const auto& [key, value] : table) {
    if (std::find(std::begin(kKeys), std::end(kKeys), key.str()) == std::end(kKeys)) {
      return Status::InvalidArgument(where + ": unknown key \"" + std::string(key.str()) +
                                     "\" (known: type, encoding, delimiter, skip_lines, date_formats, currency, "
                                     "skip_when_blank, source_key)");
    }
  }
  auto type = OptionalString(table, "type", where);
  if (!type) return type.error();
  if (*type) mapping->event_type = **type;
  if (mapping->event_type != "expenditure_recorded") {
    return Status::InvalidArgument(where + ".type: \"" + mapping->event_type +
                                   "\": import writes expenditure_recorded events only");
  }
  auto encoding = OptionalString(table, "encoding", where);
  if (!encoding) return encoding.error();
  if (*encoding && **encoding != "auto") {
    auto parsed = ParseTextEncoding(**encoding);
    if (!parsed) return parsed.error().WithPrefix(where + ".encoding");
    mapping->encoding = *parsed;
  }
  auto delimiter = OptionalString(table, "delimiter", where);
  if (!delimiter) return delimiter.error();
  if (*delimiter) {
    if (**delimiter == "\\t" || **delimiter == "tab") **delimiter = "\t";
    if ((*delimiter)->size() != 1 || **delimiter == "\"" || **delimiter == "\n") {
      return Status::InvalidArgument(where + ".delimiter: one ASCII character such as \",\", \";\" or \"\\t\"");
    }
    mapping->delimiter = (**delimiter)[0];
  }
  if (const toml::node* skip = table.get("skip_lines")) {
    auto count = skip->value<int64_t>();
    if (!skip->is_integer() || *count < 0 || *count > 1000) {
      return Status::InvalidArgument(where + ".skip_lines: a number of records from 0 to 1000");
    }
    mapping->skip_lines = static_cast<size_t>(*count);
  }
  if (const toml::node* formats = table.get("date_formats")) {
    const toml::array* array = formats->as_array();
    if (array == nullptr) return Status::InvalidArgument(where + ".date_formats: expected a list such as [\"%Y/%m/%d\"]");
    for (const auto& format : *array) {
      auto text = format.value<std::string>();
      if (!format.is_string() || text->find("%Y") == std::string::npos || text->find("%m") == std::string::npos ||
          text->find("%d") == std::string::npos) {
        return Status::InvalidArgument(where + ".date_formats: each format holds %Y, %m and %d, e.g. \"%Y/%m/%d\"");
      }
      mapping->date_formats.push_back(*text);
    }
  }
  auto currency = OptionalString(table, "currency", where);
  if (!currency) return currency.error();
  if (*currency) {
    if (!CurrencyExponent(**currency)) return Status::InvalidArgument(where + ".currency: unsupported currency " + Quote(**currency));
    mapping->currency = **currency;
  }
  auto skip = ColumnList(table.get("skip_when_blank"), where + ".skip_when_blank");
  if (!skip) return skip.error();
  mapping->skip_when_blank = *skip;
  auto key = ColumnList(table.get("source_key"), where + ".source_key");
  if (!key) return key.error();
  mapping->source_key = *key;
  return Status::Ok();
}

Status ReadFieldSections(const toml::table& root, ImportMapping* mapping) {
  std::vector<EventField> fields = ExpenditureFields();
  auto check_field = [&](std::string_view name, const std::string& where) -> Status {
    if (name == kSourceKeyField) {
      return Status::InvalidArgument(where + ": source_key is written by import; name its columns in [import] source_key");
    }
    if (IsKeyField(name) || FindEventField(fields, name) != nullptr) return Status::Ok();
    std::string known = "period, voucher, line";
    for (const auto& field : fields) {
      if (field.name != kSourceKeyField) known += ", " + field.name;
    }
    return Status::InvalidArgument(where + ": unknown field \"" + std::string(name) + "\" (known: " + known + ")");
  };
  if (const toml::table* columns = root["columns"].as_table()) {
    for (const auto& [key, value] : *columns) {
      std::string where = mapping->path + ": [columns] " + std::string(key.str());
      FT_RETURN_IF_ERROR(check_field(key.str(), where));
      auto column = ColumnOf(value, where);
      if (!column) return column.error();
      mapping->columns.emplace_back(std::string(key.str()), *column);
    }
  }
  if (const toml::table* constants = root["constants"].as_table()) {
    for (const auto& [key, value] : *constants) {
      std::string where = mapping->path + ": [constants] " + std::string(key.str());
      FT_RETURN_IF_ERROR(check_field(key.str(), where));
      if (!value.is_string()) return Status::InvalidArgument(where + ": expected a string");
      for (const auto& [field, column] : mapping->columns) {
        if (field == key.str()) return Status::InvalidArgument(where + ": also in [columns]; keep one");
      }
      mapping->constants[std::string(key.str())] = *value.value<std::string>();
    }
  }
  if (const toml::table* maps = root["map"].as_table()) {
    for (const auto& [field, table] : *maps) {
      std::string where = mapping->path + ": [map." + std::string(field.str()) + "]";
      FT_RETURN_IF_ERROR(check_field(field.str(), where));
      if (!table.is_table()) return Status::InvalidArgument(where + ": expected a table of \"from\" = \"to\"");
      auto& values = mapping->value_maps[std::string(field.str())];
      for (const auto& [from, to] : *table.as_table()) {
        if (!to.is_string()) return Status::InvalidArgument(where + " " + Quote(from.str()) + ": expected a string");
        values[Trim(from.str())] = *to.value<std::string>();
      }
    }
  }
  for (const auto& field : fields) {
    if (field.optional || field.name == "amount") continue;
    bool mapped = mapping->constants.contains(field.name);
    for (const auto& [name, column] : mapping->columns) mapped |= name == field.name;
    if (!mapped) {
      return Status::InvalidArgument(mapping->path + ": field \"" + field.name +
                                     "\" is required: map it in [columns] or give it in [constants]");
    }
  }
  bool amount = mapping->constants.contains("amount");
  for (const auto& [name, column] : mapping->columns) amount |= name == "amount";
  if (!amount) return Status::InvalidArgument(mapping->path + ": field \"amount\" is required: map it in [columns]");
  if (mapping->source_key.empty()) {
    for (std::string_view key : kKeyFields) {
      bool mapped = mapping->constants.contains(std::string(key));
      for (const auto& [name, column] : mapping->columns) mapped |= name == key;
      if (!mapped) {
        return Status::InvalidArgument(
            mapping->path + ": each row needs a source key so that a re-import recognises it: map period, voucher "
            "and line in [columns] (accounting period, voucher number, line of the voucher), or list the columns "
            "that identify a row in [import] source_key; \"" + std::string(key) + "\" is not mapped");
      }
    }
  }
  return Status::Ok();
}

bool AllDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

// Matches `text` against one format of %Y (4 digits), %m and %d (1 or 2 digits) and literal
// bytes. Fills year, month, day.
bool MatchDateFormat(std::string_view text, std::string_view format, int* year, int* month, int* day) {
  size_t t = 0;
  for (size_t f = 0; f < format.size(); ++f) {
    if (format[f] == '%' && f + 1 < format.size()) {
      char spec = format[++f];
      size_t width_max = spec == 'Y' ? 4 : 2;
      size_t width_min = spec == 'Y' ? 4 : 1;
      // A compact format (no separator after the field) takes exactly two digits.
      bool next_is_field = f + 1 < format.size() && format[f + 1] == '%';
      if (next_is_field) width_min = width_max;
      size_t start = t;
      while (t < text.size() && t - start < width_max && std::isdigit(static_cast<unsigned char>(text[t]))) ++t;
      if (t - start < width_min) return false;
      int value = std::stoi(std::string(text.substr(start, t - start)));
      if (spec == 'Y') *year = value;
      else if (spec == 'm') *month = value;
      else if (spec == 'd') *day = value;
      else return false;
    } else {
      if (t >= text.size() || text[t] != format[f]) return false;
      ++t;
    }
  }
  return t == text.size();
}

}  // namespace

std::string ColumnName::Describe() const { return index > 0 ? "#" + std::to_string(index) : header; }

Result<ImportMapping> ReadImportMapping(const std::string& path) {
  ImportMapping mapping;
  mapping.path = path;
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& error) {
    std::string description(error.description());
    if (description.find("File could not be opened") != std::string::npos) {
      return Error(Status::NotFound("cannot open the mapping " + path));
    }
    return Error(Status::InvalidArgument(path + ": line " + std::to_string(error.source().begin.line) +
                                         ": not valid TOML: " + description));
  }
  for (const auto& [key, value] : root) {
    static constexpr std::string_view kSections[] = {"import", "columns", "constants", "map"};
    if (std::find(std::begin(kSections), std::end(kSections), key.str()) == std::end(kSections)) {
      return Error(Status::InvalidArgument(path + ": unknown section [" + std::string(key.str()) +
                                           "] (known: [import], [columns], [constants], [map.FIELD])"));
    }
  }
  if (const toml::table* import = root["import"].as_table()) FT_RETURN_IF_ERROR(ReadImportSection(*import, &mapping));
  FT_RETURN_IF_ERROR(ReadFieldSections(root, &mapping));
  return mapping;
}

Result<std::string> ParseImportDate(std::string_view raw, const std::vector<std::string>& formats) {
  std::string text = Trim(raw);
  auto checked = [&](int year, int month, int day) -> Result<std::string> {
    char iso[32];
    std::snprintf(iso, sizeof(iso), "%04d-%02d-%02d", year, month, day);
    auto days = ParseDate(iso);
    if (!days) return Error(Status::InvalidArgument(Quote(text) + " is not a calendar date"));
    return std::string(iso);
  };
  int year = 0, month = 0, day = 0;
  if (!formats.empty()) {
    std::string tried;
    for (const auto& format : formats) {
      if (MatchDateFormat(text, format, &year, &month, &day)) return checked(year, month, day);
      tried += (tried.empty() ? "" : ", ") + format;
    }
    return Error(Status::InvalidArgument(Quote(text) + " matches none of the date formats " + tried +
                                         "; fix the date or add its format to [import] date_formats"));
  }
  static constexpr std::string_view kUnambiguous[] = {"%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d",
                                                      "%Y年%m月%d日", "%Y%m%d"};
  for (std::string_view format : kUnambiguous) {
    if (MatchDateFormat(text, format, &year, &month, &day)) return checked(year, month, day);
  }
  for (std::string_view format : {"%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"}) {
    if (MatchDateFormat(text, format, &year, &month, &day)) {
      return Error(Status::InvalidArgument(
          Quote(text) + " is ambiguous (day/month/year or month/day/year); say which in the mapping: "
          "[import] date_formats = [\"%d/%m/%Y\"] or [\"%m/%d/%Y\"] (with the file's separator)"));
    }
  }
  return Error(Status::InvalidArgument(Quote(text) + " is not a date; write it as 2025-06-09, 2025/6/9, 2025年6月9日 "
                                       "or 20250609, or give its format in [import] date_formats"));
}

Result<std::string> ParseImportAmount(std::string_view raw, const std::string& currency) {
  std::string text = Trim(raw);
  std::string_view rest = text;
  bool negative = false;
  if (rest.size() >= 2 && rest.front() == '(' && rest.back() == ')') {
    negative = true;
    rest = rest.substr(1, rest.size() - 2);
  }
  if (rest.starts_with("-")) {
    negative = true;
    rest.remove_prefix(1);
  }
  for (std::string_view symbol : {"\xC2\xA5" /* ¥ */, "\xEF\xBF\xA5" /* ￥ */, "RMB", "CNY"}) {
    if (rest.starts_with(symbol)) {
      rest.remove_prefix(symbol.size());
      break;
    }
  }
  if (!negative && rest.starts_with("-")) {
    negative = true;
    rest.remove_prefix(1);
  }
  std::string digits;
  size_t point = rest.find('.');
  for (size_t i = 0; i < rest.size(); ++i) {
    char c = rest[i];
    // Thousands separators only in the integer part.
    if (c == ',' && i < point && i > 0) continue;
    digits.push_back(c);
  }
  if (digits.empty() || digits.find_first_not_of("0123456789.") != std::string::npos ||
      std::count(digits.begin(), digits.end(), '.') > 1 || digits.front() == '.' || digits.back() == '.') {
    return Error(Status::InvalidArgument(Quote(text) + " is not an amount; write it as 36018.26, 36,018.26 or ¥36,018.26"));
  }
  if (negative) {
    return Error(Status::InvalidArgument(
        Quote(text) + " is negative; import records expenditures, which are positive: record money returned as "
        "a refund (refund_recorded) or correct the original row with a reversal, and leave this row out"));
  }
  std::string money = digits + " " + currency;
  auto parsed = ParseMoney(money);
  if (!parsed) {
    std::string message = parsed.error().message();
    // ParseMoney quotes the normalised amount; show the user's text instead.
    size_t quoted = message.find(Quote(money));
    if (quoted != std::string::npos) message.replace(quoted, money.size() + 2, Quote(text));
    return Error(Status::InvalidArgument(message));
  }
  if (parsed->minor_units == 0) return Error(Status::InvalidArgument(Quote(text) + " is zero; an expenditure is positive"));
  return money;
}

std::optional<std::string> BudgetCategoryOf(std::string_view raw, const std::map<std::string, std::string>& custom) {
  std::string name = Trim(raw);
  if (auto found = custom.find(name); found != custom.end()) return found->second;
  static const std::map<std::string, std::string, std::less<>> kNames = {
      {"设备费", "equipment"}, {"设备购置费", "equipment"},
      {"材料费", "materials"},
      {"测试化验加工费", "testing"}, {"测试费", "testing"},
      {"燃料动力费", "fuel_power"},
      {"差旅费/会议费/国际合作与交流费", "travel_conference_international"},
      {"差旅会议国际合作与交流费", "travel_conference_international"},
      {"差旅费", "travel_conference_international"}, {"会议费", "travel_conference_international"},
      {"国际合作与交流费", "travel_conference_international"},
      {"出版/文献/信息传播/知识产权事务费", "publication_ip"},
      {"出版文献信息传播知识产权事务费", "publication_ip"},
      {"劳务费", "labour"},
      {"专家咨询费", "expert_consultation"},
      {"其他支出", "other_direct"}, {"其他直接费用", "other_direct"},
      {"间接费用", "indirect"}, {"管理费", "indirect"},
      {"equipment", "equipment"}, {"materials", "materials"}, {"testing", "testing"},
      {"fuel and power", "fuel_power"}, {"fuel_power", "fuel_power"},
      {"travel, conference and international cooperation", "travel_conference_international"},
      {"travel_conference_international", "travel_conference_international"},
      {"publication and ip", "publication_ip"}, {"publication_ip", "publication_ip"},
      {"labour", "labour"}, {"labor", "labour"},
      {"expert consultation", "expert_consultation"}, {"expert_consultation", "expert_consultation"},
      {"other direct", "other_direct"}, {"other_direct", "other_direct"}, {"other", "other_direct"},
      {"indirect", "indirect"}, {"indirect costs", "indirect"},
  };
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (auto found = kNames.find(lower); found != kNames.end()) return found->second;
  return std::nullopt;
}

Result<RowConverter> RowConverter::Create(const ImportMapping& mapping, const std::vector<std::string>& header,
                                          const LedgerState* state) {
  RowConverter converter;
  converter.mapping_ = &mapping;
  converter.state_ = state;
  for (const auto& name : header) converter.header_.push_back(Trim(name));
  auto resolve = [&](const ColumnName& column, const std::string& what) -> Result<size_t> {
    if (column.index > 0) {
      if (column.index > header.size()) {
        return Error(Status::InvalidArgument(mapping.path + ": " + what + ": column #" + std::to_string(column.index) +
                                             ", but the file has " + std::to_string(header.size()) + " columns"));
      }
      return column.index - 1;
    }
    for (size_t i = 0; i < converter.header_.size(); ++i) {
      if (converter.header_[i] == column.header) return i;
    }
    std::string names;
    for (const auto& name : converter.header_) names += (names.empty() ? "" : ", ") + name;
    return Error(Status::InvalidArgument(mapping.path + ": " + what + ": the file has no column " +
                                         Quote(column.header) + " (its columns: " + names +
                                         "); correct the name in the mapping, or set [import] skip_lines if the "
                                         "header is not the first line"));
  };
  std::vector<std::string> missing;
  for (const auto& [field, column] : mapping.columns) {
    auto index = resolve(column, "[columns] " + field);
    if (!index) {
      std::string name = column.index > 0 ? column.Describe() : Quote(column.header);
      if (std::find(missing.begin(), missing.end(), name) == missing.end()) missing.push_back(name);
      continue;
    }
    converter.fields_.push_back(Field{field, *index, ""});
  }
  if (!missing.empty()) {
    // All of them at once: a mapping written for another export misses several.
    std::string names, quoted;
    for (const auto& name : converter.header_) names += (names.empty() ? "" : ", ") + name;
    for (const auto& name : missing) quoted += (quoted.empty() ? "" : ", ") + name;
    return Error(Status::InvalidArgument(mapping.path + ": [columns]: the file has no column " + quoted +
                                         " (its columns: " + names + "); correct the names in the mapping, or set "
                                         "[import] skip_lines if the header is not the first line"));
  }
  // Errors of a row are reported in the order of its columns.
  std::stable_sort(converter.fields_.begin(), converter.fields_.end(),
                   [](const Field& a, const Field& b) { return a.column < b.column; });
  for (const auto& [field, value] : mapping.constants) converter.fields_.push_back(Field{field, SIZE_MAX, value});
  if (mapping.source_key.empty()) {
    for (std::string_view key : kKeyFields) {
      auto found = std::find_if(converter.fields_.begin(), converter.fields_.end(),
                                [&](const Field& field) { return field.name == key; });
      FT_ASSERT(found != converter.fields_.end(), "ReadImportMapping requires period, voucher and line");
      converter.key_parts_.push_back(*found);
    }
  } else {
    for (const auto& column : mapping.source_key) {
      auto index = resolve(column, "[import] source_key");
      if (!index) return Error(index.error());
      converter.key_parts_.push_back(Field{"", *index, ""});
    }
  }
  for (const auto& column : mapping.skip_when_blank) {
    auto index = resolve(column, "[import] skip_when_blank");
    if (!index) return Error(index.error());
    converter.skip_columns_.push_back(*index);
  }
  return converter;
}

bool RowConverter::Skipped(const CsvRecord& record) const {
  bool blank = true;
  for (const auto& field : record.fields) blank &= Trim(field).empty();
  if (blank) return true;
  for (size_t column : skip_columns_) {
    if (column >= record.fields.size() || Trim(record.fields[column]).empty()) return true;
  }
  return false;
}

std::string RowConverter::Where(uint64_t row, const CsvRecord& record, const Field& field) const {
  std::string where = "row " + std::to_string(row);
  if (record.line != row) where += " (line " + std::to_string(record.line) + ")";
  if (field.column == SIZE_MAX) return where + ", [constants] " + field.name;
  return where + ", column " + header_[field.column] + " (" + field.name + ")";
}

std::optional<std::string> RowConverter::ConvertValue(const Field& field, const std::string& text,
                                                      std::string* error) const {
  static const std::vector<EventField> kFields = ExpenditureFields();
  const EventField* event_field = FindEventField(kFields, field.name);
  FT_ASSERT(event_field != nullptr);
  std::string value = text;
  if (field.name != "category") {
    auto map = mapping_->value_maps.find(field.name);
    if (map != mapping_->value_maps.end()) {
      auto found = map->second.find(value);
      if (found != map->second.end()) value = found->second;
    }
  }
  if (event_field->date) {
    auto date = ParseImportDate(value, mapping_->date_formats);
    if (!date) *error = date.error().message();
    return date ? std::optional(*date) : std::nullopt;
  }
  if (field.name == "amount") {
    auto amount = ParseImportAmount(value, mapping_->currency);
    if (!amount) *error = amount.error().message();
    return amount ? std::optional(*amount) : std::nullopt;
  }
  if (field.name == "category") {
    static const std::map<std::string, std::string> kNone;
    auto map = mapping_->value_maps.find("category");
    auto category = BudgetCategoryOf(value, map == mapping_->value_maps.end() ? kNone : map->second);
    if (!category) {
      *error = "unknown budget category " + Quote(value) + "; add it to the mapping as [map.category] " + Quote(value) +
               " = \"CATEGORY\", one of equipment, materials, testing, fuel_power, travel_conference_international, "
               "publication_ip, labour, expert_consultation, other_direct, indirect";
    }
    return category;
  }
  if (state_ != nullptr && field.name == "vendor_id" && !state_->vendors.Contains(value)) {
    *error = "vendor " + Quote(value) + " is not registered in the ledger; map the name or tax id to a vendor id in "
             "[map.vendor_id], or register the vendor first";
    return std::nullopt;
  }
  if (state_ != nullptr && field.name == "grant_id" && !state_->grants.Contains(value)) {
    *error = "grant " + Quote(value) + " is not registered in the ledger; correct the grant id (or map it in [map.grant_id])";
    return std::nullopt;
  }
  return value;
}

std::optional<ImportedRow> RowConverter::Convert(const CsvRecord& record, uint64_t row,
                                                 std::vector<std::string>* errors) const {
  size_t errors_before = errors->size();
  nlohmann::json object = {{"type", mapping_->event_type}};
  std::map<std::string, std::string> values;  // every field's trimmed text, key fields included
  std::map<std::string, const Field*> by_name;
  if (record.fields.size() < header_.size()) {
    // Extra columns are ignored (spreadsheets add empty ones); missing ones are one error.
    errors->push_back("row " + std::to_string(row) + (record.line != row ? " (line " + std::to_string(record.line) + ")" : "") +
                      ": the row has only " + std::to_string(record.fields.size()) + " columns, the header " +
                      std::to_string(header_.size()) + "; is a delimiter missing or a quote not closed?");
    return std::nullopt;
  }
  static const std::vector<EventField> kFields = ExpenditureFields();
  for (const auto& field : fields_) {
    std::string text;
    if (field.column == SIZE_MAX) {
      text = field.constant;
    } else if (field.column < record.fields.size()) {
      text = Trim(record.fields[field.column]);
    }
    values[field.name] = text;
    by_name[field.name] = &field;
    if (IsKeyField(field.name)) continue;
    if (text.empty()) {
      const EventField* event_field = FindEventField(kFields, field.name);
      if (!event_field->optional) {
        errors->push_back(Where(row, record, field) + ": blank, but " + field.name + " is required; fill it in");
      }
      continue;  // an optional field left blank is left out
    }
    std::string error;
    auto value = ConvertValue(field, text, &error);
    if (!value) {
      errors->push_back(Where(row, record, field) + ": " + error);
      continue;
    }
    if (field.name == "expert_days") {
      if (!AllDigits(*value) || value->size() > 9) {
        errors->push_back(Where(row, record, field) + ": " + Quote(text) + " is not a whole number of days");
        continue;
      }
      object[field.name] = std::stoul(*value);
    } else if (field.name == "expert_is_academician") {
      bool yes = *value == "是" || *value == "true" || *value == "yes" || *value == "Y" || *value == "1";
      bool no = *value == "否" || *value == "false" || *value == "no" || *value == "N" || *value == "0";
      if (!yes && !no) {
        errors->push_back(Where(row, record, field) + ": " + Quote(text) + " is neither 是/yes nor 否/no");
        continue;
      }
      object[field.name] = yes;
    } else {
      object[field.name] = *value;
    }
  }
  if (errors->size() > errors_before) return std::nullopt;

  ImportedRow imported;
  imported.org_id = values["org_id"];
  imported.invoice_number = values["invoice_number"];
  std::string key = imported.org_id;
  for (const auto& part : key_parts_) {
    std::string text = part.column == SIZE_MAX ? part.constant
                       : part.column < record.fields.size() ? Trim(record.fields[part.column]) : "";
    if (text.empty()) {
      errors->push_back((part.name.empty() ? "row " + std::to_string(row) + ", column " + header_[part.column]
                                           : Where(row, record, part)) +
                        ": blank, but it is part of the row's source key; fill it in, or skip such rows with "
                        "[import] skip_when_blank");
      return std::nullopt;
    }
    // "|" separates the parts; a part holding one would make two keys alike.
    if (text.find('|') != std::string::npos) std::replace(text.begin(), text.end(), '|', '/');
    key += "|" + text;
  }
  imported.source_key = key;
  object[std::string(kSourceKeyField)] = key;
  auto event = EncodeEvent(object);
  if (!event) {
    // The codec names the field: point at the column it came from.
    std::string message = event.error().message();
    std::string where = "row " + std::to_string(row);
    for (const auto& [name, field] : by_name) {
      if (message.starts_with("field \"" + name + "\"")) where = Where(row, record, *field);
    }
    errors->push_back(where + ": " + message);
    return std::nullopt;
  }
  imported.canonical_event = std::move(*event);
  return imported;
}

}  // namespace fundtrail
