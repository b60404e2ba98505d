#include "tools/output.h"

#include <utf8proc.h>

#include <algorithm>

namespace fundtrail {

size_t DisplayWidth(const std::string& text) {
  // Printable ASCII takes one column a byte, as utf8proc says too: most cells (numbers, amounts,
  // hashes, identifiers) are all of it, and a table measures every cell more than once.
  if (std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; })) return text.size();
  size_t width = 0;
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  utf8proc_ssize_t remaining = static_cast<utf8proc_ssize_t>(text.size());
  while (remaining > 0) {
    utf8proc_int32_t codepoint = 0;
    utf8proc_ssize_t size = utf8proc_iterate(bytes, remaining, &codepoint);
    if (size <= 0) {  // invalid UTF-8: count the byte as one column
      ++width;
      ++bytes;
      --remaining;
      continue;
    }
    width += static_cast<size_t>(std::max(0, utf8proc_charwidth(codepoint)));
    bytes += size;
    remaining -= size;
  }
  return width;
}

Table::Table(std::vector<std::string> headers, std::vector<bool> right_aligned)
    : headers_(std::move(headers)), right_aligned_(std::move(right_aligned)) {
  right_aligned_.resize(headers_.size(), false);
}

namespace {

// The longest prefix of `text` (whole code points) that fits `width` columns, plus "…".
std::string Truncate(const std::string& text, size_t width) {
  if (DisplayWidth(text) <= width) return text;
  std::string out;
  size_t used = 0;
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  utf8proc_ssize_t remaining = static_cast<utf8proc_ssize_t>(text.size());
  while (remaining > 0) {
    utf8proc_int32_t codepoint = 0;
    utf8proc_ssize_t size = utf8proc_iterate(bytes, remaining, &codepoint);
    if (size <= 0) size = 1;
    size_t columns = size == 1 && codepoint < 0 ? 1 : static_cast<size_t>(std::max(0, utf8proc_charwidth(codepoint)));
    if (used + columns + 1 > width) break;
    out.append(reinterpret_cast<const char*>(bytes), size);
    used += columns;
    bytes += size;
    remaining -= size;
  }
  return out + "\u2026";
}

}  // namespace

void Table::AddRow(std::vector<std::string> row) {
  row.resize(headers_.size());
  for (auto& cell : row) cell = Truncate(cell, kCellWidthMax);
  rows_.push_back(std::move(row));
}

void Table::Print(std::ostream& out) const {
  std::vector<size_t> widths(headers_.size());
  for (size_t i = 0; i < headers_.size(); ++i) widths[i] = DisplayWidth(headers_[i]);
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], DisplayWidth(row[i]));
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      std::string padding(widths[i] - DisplayWidth(row[i]), ' ');
      if (i > 0) line += "  ";
      line += right_aligned_[i] ? padding + row[i] : row[i] + (i + 1 < row.size() ? padding : "");
    }
    out << line << '\n';
  };
  print_row(headers_);
  std::vector<std::string> rule;
  for (size_t width : widths) rule.push_back(std::string(width, '-'));
  print_row(rule);
  for (const auto& row : rows_) print_row(row);
}

void PrintCsvRow(std::ostream& out, const std::vector<std::string>& fields) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out << ',';
    const std::string& field = fields[i];
    if (field.find_first_of(",\"\r\n") == std::string::npos) {
      out << field;
      continue;
    }
    out << '"';
    for (char c : field) {
      if (c == '"') out << '"';
      out << c;
    }
    out << '"';
  }
  out << "\r\n";
}

}  // namespace fundtrail
