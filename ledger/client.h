// What the command-line tools do with a ledger, as a library: create one, read JSON Lines into a
// batch, sign and append it. `fundtrail init`, `append` and `demo` are thin wrappers over this.
#pragma once

#include <istream>
#include <memory>
#include <string>
#include <vector>

#include "ledger/crypto.h"
#include "ledger/dates.h"
#include "ledger/store.h"

namespace fundtrail {

// Events read from JSON Lines, in canonical form, with where each came from.
struct EventBatch {
  std::vector<std::string> canonical_events;
  std::vector<size_t> line_numbers;  // 1-based line of each event in its source
  std::vector<std::string> types;    // event type of each event
  std::string source;                // file name, or "stdin"
};

// Reads one event per non-blank line. Errors name the line, the type and the field:
//   line 3 (expenditure_recorded): field "amount": "12.345 CNY" has 3 decimals, CNY allows 2
// `source` names the input in messages.
Result<EventBatch> ReadJsonLines(std::istream& input, const std::string& source);
Result<EventBatch> ReadJsonLinesFile(const std::string& path);

// The location of event `index` of `batch` for error messages: "line 3 (funds_disbursed)".
std::string EventLocation(const EventBatch& batch, size_t index);

// Signs `batch` with `key` and appends it. An empty `submission_id` is derived from the content.
// Validation errors are prefixed with the event's location.
Result<Receipt> AppendBatch(Ledger& ledger, const PrivateKey& key, const EventBatch& batch,
                            std::string submission_id, Clock* clock);

struct InitOptions {
  std::string directory;
  std::string operator_key_path;         // private key; signs the genesis and tree heads
  std::string alliance_id;
  std::string alliance_name;
  std::string alliance_name_en;
  std::string date;                      // YYYY-MM-DD; today (UTC) when empty
  std::string genesis_path;              // JSON Lines: organisations, members, keys; may be empty
  std::vector<std::string> admin_public_key_paths;  // registered with role admin for admin_org_id
  std::string admin_org_id;
};

// Creates a ledger whose genesis submission holds ledger_genesis, the events of
// `genesis_path`, and a key_registered (admin) event per admin key. At least one admin key must
// end up registered, or nobody could ever append.
Result<std::unique_ptr<Ledger>> InitLedger(const InitOptions& options, Clock* clock);

}  // namespace fundtrail
