// `fundtrail serve`: one ledger over HTTP, on KJ HTTP (Cap'n Proto's libkj-http).
//
// One event-loop thread answers requests; one writer thread (GroupWriter) owns the ledger and
// appends the submissions the handlers queue, a group per fsync. A request body is read whole
// (bounded in size and time) before its submission is queued, so a slow client holds only its
// own connection. Endpoints, answers and error codes: docs/FORMAT.md, "The HTTP API".
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "ledger/dates.h"
#include "ledger/status.h"

namespace fundtrail::server {

struct ServeOptions {
  std::string ledger;                         // the ledger directory
  std::string listen = "127.0.0.1:8750";      // HOST:PORT; port 0 picks a free port
  std::string tls_certificate;                // not offered yet: given, serve refuses to start
  std::string tls_key;
  std::string operator_key;                   // optional: signs the heads served (the ledger's operator key)
  size_t queue_size_max = 1024;               // submissions waiting for the writer; beyond: 503
  uint64_t body_size_max_bytes = uint64_t{64} << 20;  // larger request bodies: 413
  uint32_t request_timeout_seconds = 30;      // to receive a whole request body; then 408
  std::string log_format = "text";            // the access log: "text" or "json"
  uint32_t token_lifetime_seconds = 15 * 60;  // a read API token's life after sign-in
};

// Checks the options (a non-loopback address is refused: TLS is not offered yet), opens the
// ledger as its writer, listens, calls `listening("127.0.0.1:PORT")` once the socket is bound,
// and serves until SIGTERM or SIGINT. Then it stops accepting connections, answers the
// requests under way (up to 30 s), appends what is queued, and closes the ledger.
// Errors: InvalidArgument (options), Busy (another writer), IoError (address in use, ...).
Status Serve(const ServeOptions& options, Clock* clock, const std::function<void(const std::string&)>& listening);

// True for an address of this machine only: 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackHost(const std::string& host);

}  // namespace fundtrail::server
