// What `fundtrail serve` and its clients say to each other beyond the submission envelope
// (ledger/wire.h): the receipt and error objects, the stable error codes, and how a status maps
// to an HTTP answer. docs/FORMAT.md, "The HTTP API", describes each byte.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "ledger/status.h"
#include "ledger/store.h"

namespace fundtrail::server {

// The receipt as `fundtrail append --json` prints it.
nlohmann::ordered_json ReceiptJson(const Receipt& receipt);
// The inverse, for clients; InvalidArgument naming the field when the server sent something else.
Result<Receipt> ReceiptFromJson(const nlohmann::json& json);

// An error answer: its HTTP status, a stable machine code and the one-line message.
struct ErrorAnswer {
  unsigned http_status = 500;
  std::string code;      // stable: clients and scripts match on it (docs/FORMAT.md)
  std::string message;   // the message the CLI prints for the same failure
  size_t event_index = SIZE_MAX;  // 0-based index of the event at fault, SIZE_MAX for none
};

// The answer to a submission the ledger refused with `status`.
ErrorAnswer AnswerForRefusal(const Status& status, size_t failed_event_index);
// {"error": {"code": ..., "message": ..., "event_index": N}} (event_index only when known).
std::string ErrorBody(const ErrorAnswer& answer);
// The status a client reports for an error answer (from its code), with its exit code meaning:
// rejected input (InvalidArgument, PermissionDenied, AlreadyExists), a busy server (Busy), or
// anything else (IoError).
Status StatusForErrorCode(const std::string& code, const std::string& message);

}  // namespace fundtrail::server
