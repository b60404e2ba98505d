// The log as `fundtrail log` and the server's GET /v1/log show it: each event with its append
// time, author organisation and key, subject, amount and chain hash, filtered by sequence range,
// event type and subject. One reader of the log for both, so that they never disagree.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ledger/event_info.h"
#include "ledger/store.h"
#include "schemas/fundtrail.capnp.h"

namespace fundtrail {

// One event, as shown. `event` points into the entry read, valid only during the visit.
struct LogLine {
  uint64_t sequence = 0;
  int64_t appended_at_micros = 0;  // ledger time: when its submission was appended
  std::string author_org;          // the signing key's organisation; "operator" for the operator key
  std::string key_id_hex;
  EventSummary summary;
  Digest hash{};                   // h_sequence
  bool reversed = false;           // a later reversal undoes it
  schema::Event::Reader event;
};

struct LogQuery {
  uint64_t from = 1;
  uint64_t to = UINT64_MAX;
  std::vector<schema::Event::Which> types;  // empty: every type
  std::string subject;                      // KIND:ID (ParseSubject); empty: every event
  // Further filter (the CLI's paper trail); null: none.
  std::function<bool(schema::Event::Reader)> matches;
};

// Calls `visit` for each event of `query`, in order, until it returns false. Reads through the
// subject index when a subject is given. Errors name the sequence number of a damaged entry;
// InvalidArgument for a malformed subject.
Status ScanLog(const Ledger& ledger, const LogQuery& query, const std::function<bool(const LogLine&)>& visit);

// The event types by name (`log --type`): InvalidArgument listing the known ones for another.
Result<std::vector<schema::Event::Which>> EventTypesFromNames(const std::vector<std::string>& names,
                                                              const std::string& option);

// `log --json`'s object: sequence, time, type, author_org, key_id, subject, amount (or null),
// hash, reversed, event.
nlohmann::ordered_json LogLineJson(const LogLine& line);
// `log --csv`'s columns and one line's record.
const std::vector<std::string>& LogCsvHeaders();
std::vector<std::string> LogCsvRow(const LogLine& line);

}  // namespace fundtrail
