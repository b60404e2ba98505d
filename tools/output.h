// Presentation: aligned tables (East Asian wide characters take two columns), CSV, JSON Lines.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace fundtrail {

// Terminal columns `text` occupies: 2 for East Asian wide and fullwidth characters, 0 for
// combining marks, 1 otherwise.
size_t DisplayWidth(const std::string& text);

class Table {
 public:
  explicit Table(std::vector<std::string> headers, std::vector<bool> right_aligned = {});
  // Cells wider than `cell_width_max` display columns are cut with "…" (tables only; JSON and
  // CSV always carry the whole text).
  void AddRow(std::vector<std::string> row);
  static constexpr size_t kCellWidthMax = 48;
  void Print(std::ostream& out) const;
  size_t row_count() const { return rows_.size(); }

 private:
  std::vector<std::string> headers_;
  std::vector<bool> right_aligned_;
  std::vector<std::vector<std::string>> rows_;
};

// One CSV record (RFC 4180: fields with commas, quotes or line breaks are quoted).
void PrintCsvRow(std::ostream& out, const std::vector<std::string>& fields);

}  // namespace fundtrail
