// The client side of `fundtrail serve`, on KJ HTTP: what `fundtrail append --server`, `submit`
// and `sign --server` send. One request per call, each on its own connection and event loop, so a
// command-line tool can call these from plain code. Not for use on a thread that runs a KJ event
// loop already.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "ledger/crypto.h"
#include "ledger/status.h"
#include "ledger/store.h"
#include "ledger/tree_head.h"

namespace fundtrail::server {

// A server address as users type it: http://HOST:PORT, with an optional trailing slash.
struct ServerUrl {
  std::string host;
  std::string port;
  std::string text;  // as given, for messages
};
// InvalidArgument naming what is wrong (https is refused: this version has no TLS client).
Result<ServerUrl> ParseServerUrl(const std::string& url);

struct HttpReply {
  unsigned status = 0;
  std::string body;
};
// Sends one request (a JSON body when `body` is not empty) and reads the whole answer, within
// `timeout_seconds`. IoError "cannot reach the server at URL: ..." when the exchange fails.
Result<HttpReply> Exchange(const ServerUrl& server, const std::string& method, const std::string& path,
                           const std::string& body, unsigned timeout_seconds = 300);

// GET /v1/head: the head the server serves (signed when it signs heads).
Result<TreeHead> FetchHead(const ServerUrl& server);

// POST /v1/submissions with `envelope` (ledger/wire.h). A 503 "overloaded" is retried a few times
// after the delay the server asks for (the submission id makes a retry safe). A refusal is the
// status the server's code stands for (protocol.h StatusForErrorCode), with the server's message;
// *event_index is the index of the event at fault, or SIZE_MAX.
Result<Receipt> PostSubmission(const ServerUrl& server, const std::string& envelope, size_t* event_index);

// Signs in (docs/API.md, "Sign-in"): asks POST /v1/auth/challenge for a nonce for `key`, signs
// the challenge message with it here (the private key never leaves this process), and redeems it
// at POST /v1/auth/token. Returns the server's answer: {"token", "expires", "key_id", "roles", "org",
// ...}. A refusal is PermissionDenied with the server's message.
Result<nlohmann::json> SignIn(const ServerUrl& server, const PrivateKey& key);

}  // namespace fundtrail::server
