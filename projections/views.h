// The oversight views and fund histories, as data ready to print: display rows (amounts grouped,
// "1,250,000.00 CNY"), CSV rows (plain decimals) and JSON objects.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ledger/store.h"
#include "projections/projection.h"

namespace fundtrail::projections {

struct ViewData {
  std::string title;
  std::vector<std::string> headers;
  std::vector<bool> right_aligned;
  std::vector<std::vector<std::string>> rows;      // for tables
  std::vector<std::vector<std::string>> csv_rows;  // same columns, plain numbers
  nlohmann::ordered_json json = nlohmann::ordered_json::array();  // one object per row or item
  std::vector<ViewData> sections;                  // further tables (table output only)
};

ViewData GrantsView(const Projection& projection);
ViewData MembersView(const Projection& projection);
ViewData AllianceView(const Projection& projection);
ViewData OutcomesView(const Projection& projection);

// The rows a history builds: ViewData::rows for a table (grouped amounts, the first 16 hex
// digits of each hash), ViewData::csv_rows (plain amounts, whole hashes) or ViewData::json (the
// same with each full event). Each costs formatting per row, so a caller builds what it prints.
enum class HistoryForm { kTable, kCsv, kJson };

// Every event touching the grant (or member organisation), in order, up to sequence `to`, with
// running balances, each event's sequence number and chain hash, as rows of `form` (the others
// stay empty). Served from the history store (projections/history_store.h): one range scan;
// the JSON form also reads each event from the log.
Result<ViewData> GrantHistory(const Ledger& ledger, const std::string& grant_id, uint64_t to,
                              HistoryForm form);
Result<ViewData> MemberHistory(const Ledger& ledger, const std::string& org_id, uint64_t to,
                               HistoryForm form);

// Article 8 of the Opinions (No. 770) as a checklist computed from the projection.
struct ChecklistItem {
  std::string article;   // "8(1)"
  std::string condition;
  bool met = false;
  std::string detail;
};
std::vector<ChecklistItem> Article8Checklist(const Projection& projection);

// Enumerant names in snake_case.
std::string BudgetCategoryName(int category);
std::string OrganisationKindName(int kind);
std::string SourceKindName(int kind);

}  // namespace fundtrail::projections
