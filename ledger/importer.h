// `fundtrail import`: a finance system's CSV export, through a mapping (ledger/import_mapping.h),
// into signed submissions of expenditure_recorded events.
//
// The whole file is checked before anything is appended: every error is reported (one line each,
// with row, column, value and fix), and one error appends nothing. Each row carries its source key
// (schema field source_key), so that importing a file again appends only rows not yet in the
// ledger; a row whose key is in the ledger with other content is reported as changed and not
// appended. More than kSubmissionEventCountMax new rows become several submissions whose ids
// derive from the file and the mapping, so an interrupted import completes when run again.
//
// Memory: the file is streamed twice (once to check, once to append) unless its rows fit one
// submission and it is not a --check, in which case the events of the first pass are kept. Per row, the check keeps 24
// bytes (a 64-bit hash of the source key, the row number, a 64-bit hash of the invoice number);
// the append holds at most one submission of events.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ledger/crypto.h"
#include "ledger/csv_source.h"
#include "ledger/dates.h"
#include "ledger/status.h"
#include "ledger/store.h"

namespace fundtrail {

struct ImportOptions {
  std::string input_path;
  std::string mapping_path;
  std::optional<TextEncoding> encoding;  // --encoding: overrides the mapping and detection
  bool check_only = false;               // --check: report, append nothing
  size_t submission_event_count_max = kSubmissionEventCountMax;  // smaller in tests
};

struct ImportReport {
  TextEncoding encoding = TextEncoding::kUtf8;
  uint64_t rows = 0;            // data rows (blank and skipped rows not counted)
  uint64_t skipped = 0;         // blank rows and rows with a skip_when_blank column blank
  uint64_t already = 0;         // in the ledger with the same content: not appended again
  uint64_t changed = 0;         // in the ledger with other content: reported, not appended
  uint64_t new_rows = 0;        // appended, or to append (--check)
  uint64_t invoice_warnings = 0;
  std::vector<Receipt> receipts;
};

// How messages reach the user: one line each, without a trailing newline.
struct ImportMessages {
  std::function<void(const std::string&)> error;     // a row that cannot be imported
  std::function<void(const std::string&)> warning;   // changed rows, invoices charged before
  std::function<void(const std::string&)> progress;  // long files
};

// Imports `options.input_path`. With check_only, `key` may be null and `ledger` may be open
// read-only. Returns the report, or the error that stopped the import (after `messages.error`
// listed each row's errors: "N errors in FILE; nothing appended").
Result<ImportReport> ImportCsv(const ImportOptions& options, Ledger& ledger, const PrivateKey* key,
                               Clock* clock, const ImportMessages& messages);

// The id of part `part` (1-based) of `parts` submissions of an import whose file and mapping
// hash to `digest`: "import-<16 hex digits>-<part>of<parts>".
std::string ImportSubmissionId(const Digest& digest, size_t part, size_t parts);

}  // namespace fundtrail
