// The read API of `fundtrail serve` (docs/API.md): sign-in, and the CLI's reads (views, histories,
// flags, the log, proofs) as JSON, or CSV where the CLI prints a table, each filtered by what the
// caller's key may read. Every function here runs on the reader thread (server/read_side.h) with
// a read-only Ledger, and reads at or below the published head's size.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "ledger/store.h"
#include "ledger/tree_head.h"
#include "server/auth.h"

namespace fundtrail::server {

// What a handler answers.
struct Answer {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  bool retry_after = false;  // 503: "Retry-After: 1"
  std::vector<std::pair<std::string, std::string>> headers;  // more headers (the dashboard's)
};
Answer JsonAnswer(unsigned status, const nlohmann::ordered_json& json);
// {"error": {"code": CODE, "message": MESSAGE}} (server/protocol.h, ErrorBody).
Answer ErrorAnswerOf(unsigned status, const std::string& code, const std::string& message);

// A request target split and percent-decoded: "/v1/flags/TP-1%2F8?rule=TP-1" gives path
// "/v1/flags/TP-1/8" and query {rule: TP-1}. InvalidArgument for a malformed escape, a NUL byte, a
// parameter given twice, or a path that is not absolute or holds a "." or ".." segment.
struct ReadRequest {
  std::string path;
  std::map<std::string, std::string> query;
};
Result<ReadRequest> ParseTarget(std::string_view target);

// Whether `path` is one of the reads below (all of which need a token).
bool IsReadPath(const std::string& path);

// POST /v1/auth/challenge: {"key_id": HEX} -> {"nonce", "expires", "message"}.
Answer AnswerChallenge(const std::string& body, const Ledger& ledger, AuthTables& auth);
// POST /v1/auth/token: {"key_id", "nonce", "signature"} -> {"token", "expires", "key_id", "roles", "org",
// "org_name", "scope"}.
Answer AnswerToken(const std::string& body, const Ledger& ledger, AuthTables& auth);
// The caller of an "Authorization: Bearer TOKEN" header value (empty: none), its key checked
// against `ledger`'s registry now; otherwise the 401 to send.
std::variant<Caller, Answer> Authenticate(const std::string& authorization, const Ledger& ledger, AuthTables& auth);

// A read, for `caller`, at or below `published.tree_size`. `today_days` is the date flags are
// evaluated at when the request gives no as_of_date.
Answer AnswerRead(const ReadRequest& request, const Caller& caller, const Ledger& ledger, const TreeHead& published,
                  int32_t today_days);

// Bounds of the paged reads.
inline constexpr uint64_t kPageSizeDefault = 100;
inline constexpr uint64_t kPageSizeMax = 1000;

}  // namespace fundtrail::server
