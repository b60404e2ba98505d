// The mapping file of `fundtrail import` (TOML, read with toml++) and what it does to one CSV row:
// which column is which event field, constant fields, value maps, date and number formats. Like
// hledger's CSV rules, the mapping says once how a finance system's export reads, and every row
// then becomes the event that `fundtrail append` would build from the same fields in JSON (the
// row goes through the same codec, ledger/json_codec).
//
//   [import]
//   type = "expenditure_recorded"        # the only type imported so far
//   encoding = "gbk"                     # optional: utf-8, utf-8-bom, gb18030, gbk (else detected)
//   skip_lines = 2                       # records above the header (titles)
//   date_formats = ["%Y/%m/%d"]          # optional; %Y %m %d; else unambiguous forms only
//   currency = "CNY"
//   skip_when_blank = ["凭证字号"]        # rows with this column blank are skipped (subtotals)
//   source_key = ["会计期间", "凭证字号", "分录号"]   # optional; default: period, voucher, line
//   [constants]   grant_id = "G-1"  org_id = "9132..."
//   [columns]     amount = "借方金额"  invoice_date = 5   (header name, or 1-based index)
//   [map.category]   "设备费" = "equipment"
//   [map.vendor_id]  "宁德某某有限公司" = "V-07"
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/csv_source.h"
#include "ledger/state.h"
#include "ledger/status.h"

namespace fundtrail {

// A column named by its header, or by its 1-based index when `index` > 0.
struct ColumnName {
  std::string header;
  size_t index = 0;
  std::string Describe() const;  // "借方金额" or "#5"
};

struct ImportMapping {
  std::string path;
  std::string event_type = "expenditure_recorded";
  std::optional<TextEncoding> encoding;
  char delimiter = ',';
  size_t skip_lines = 0;
  std::vector<std::string> date_formats;
  std::string currency = "CNY";
  std::vector<ColumnName> skip_when_blank;
  std::vector<ColumnName> source_key;  // empty: the columns of period, voucher and line
  std::vector<std::pair<std::string, ColumnName>> columns;  // field -> column, as written
  std::map<std::string, std::string> constants;             // field -> value
  std::map<std::string, std::map<std::string, std::string>> value_maps;  // field -> from -> to
};

// Reads and checks a mapping: its TOML, that every field is one the event has (or period,
// voucher, line), that every required field is mapped, and that rows have a source key.
// Errors name the file, the line when toml++ gives one, and the fix.
Result<ImportMapping> ReadImportMapping(const std::string& path);

// Dates as finance systems write them. With `formats` empty, only unambiguous forms:
// 2025-06-09, 2025/6/9, 2025.6.9, 2025年6月9日, 20250609; 03/04/2025 is ambiguous and an error
// that asks for a format. Returns YYYY-MM-DD.
Result<std::string> ParseImportDate(std::string_view text, const std::vector<std::string>& formats);

// Amounts: 36018.26, 36,018.26, ¥36,018.26, ￥36,018.26. A negative amount ((1,200.00) or
// -1200.00) is an error: an expenditure is positive, and money returned is a refund or a
// reversal. Returns "36018.26 CNY", the form the JSON codec reads.
Result<std::string> ParseImportAmount(std::string_view text, const std::string& currency);

// The budget category a name stands for: the schema's names (materials), the central research
// funds' Chinese names (材料费) and English ones (Materials), after `custom` (the mapping's
// [map.category]).
std::optional<std::string> BudgetCategoryOf(std::string_view name,
                                            const std::map<std::string, std::string>& custom);

// One row, converted.
struct ImportedRow {
  std::string canonical_event;
  std::string source_key;
  std::string invoice_number;
  std::string org_id;
};

// Turns rows into events. Constructed once per file from its header.
class RowConverter {
 public:
  // Resolves the mapping's columns against `header`; a column that is not there is an error
  // listing the headers the file has. `state`, when given, is used to check that grants and
  // vendors are registered, so that --check reports those too.
  static Result<RowConverter> Create(const ImportMapping& mapping, const std::vector<std::string>& header,
                                     const LedgerState* state);

  // Converts `record` (row `row` of the file, 1-based as a spreadsheet counts). On failure appends
  // one message per error to `errors` ("row 7, column 付款日期: ...") and returns nullopt.
  std::optional<ImportedRow> Convert(const CsvRecord& record, uint64_t row, std::vector<std::string>* errors) const;

  // True for a row to skip: every field blank, or a skip_when_blank column blank.
  bool Skipped(const CsvRecord& record) const;

 private:
  struct Field {
    std::string name;
    size_t column = SIZE_MAX;  // 0-based; SIZE_MAX for a constant
    std::string constant;
  };
  RowConverter() = default;
  std::string Where(uint64_t row, const CsvRecord& record, const Field& field) const;
  std::optional<std::string> ConvertValue(const Field& field, const std::string& text,
                                          std::string* error) const;

  const ImportMapping* mapping_ = nullptr;
  const LedgerState* state_ = nullptr;
  std::vector<std::string> header_;
  std::vector<Field> fields_;
  std::vector<Field> key_parts_;  // the source key: columns, or key fields given as constants
  std::vector<size_t> skip_columns_;
};

}  // namespace fundtrail
