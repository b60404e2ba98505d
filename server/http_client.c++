#include "server/http_client.h"

#include <kj/async-io.h>
#include <kj/compat/http.h>

#include <chrono>
#include <thread>

#include "ledger/json_file.h"
#include "server/auth.h"
#include "server/protocol.h"

namespace fundtrail::server {
namespace {

constexpr int kOverloadedAttemptsMax = 8;

}  // namespace

Result<ServerUrl> ParseServerUrl(const std::string& url) {
  const std::string http = "http://";
  if (url.rfind("https://", 0) == 0) {
    return Error(Status::InvalidArgument("--server " + url + ": https is not offered yet; use http:// to a "
                                         "loopback address or a TLS proxy's plain side"));
  }
  if (url.rfind(http, 0) != 0) {
    return Error(Status::InvalidArgument("--server " + url + ": give http://HOST:PORT, for example "
                                         "http://127.0.0.1:8750"));
  }
  std::string rest = url.substr(http.size());
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  size_t colon = rest.rfind(':');
  if (rest.empty() || rest.find('/') != std::string::npos || colon == std::string::npos || colon == 0 ||
      colon + 1 == rest.size() || rest.substr(colon + 1).find_first_not_of("0123456789") != std::string::npos) {
    return Error(Status::InvalidArgument("--server " + url + ": give http://HOST:PORT, for example "
                                         "http://127.0.0.1:8750"));
  }
  ServerUrl server;
  server.host = rest.substr(0, colon);
  server.port = rest.substr(colon + 1);
  server.text = url;
  return server;
}

Result<HttpReply> Exchange(const ServerUrl& server, const std::string& method, const std::string& path,
                           const std::string& body, unsigned timeout_seconds) {
  try {
    kj::AsyncIoContext io = kj::setupAsyncIo();
    auto& timer = io.provider->getTimer();
    auto address = io.provider->getNetwork()
                       .parseAddress(kj::str(server.host.c_str(), ":", server.port.c_str()))
                       .wait(io.waitScope);
    auto connection = address->connect().wait(io.waitScope);
    kj::HttpHeaderTable table;
    auto client = kj::newHttpClient(table, *connection);
    kj::HttpHeaders headers(table);
    headers.set(kj::HttpHeaderId::HOST, kj::str(server.host.c_str(), ":", server.port.c_str()));
    if (!body.empty()) headers.set(kj::HttpHeaderId::CONTENT_TYPE, "application/json");
    const bool post = method == "POST";
    kj::Maybe<uint64_t> body_size = nullptr;
    if (post) body_size = uint64_t{body.size()};
    kj::String target = kj::str(path.c_str());
    auto request = client->request(post ? kj::HttpMethod::POST : kj::HttpMethod::GET, target, headers, body_size);
    // The body is written beside the wait for the answer: a server that refuses early (413) may
    // answer, and close, before reading it all.
    kj::Promise<void> sent = request.body->write(body.data(), body.size())
                                 .attach(kj::mv(request.body))
                                 .eagerlyEvaluate([](kj::Exception&&) {});
    auto exchange = request.response.then([](kj::HttpClient::Response&& response) {
      auto status = response.statusCode;
      return response.body->readAllText().attach(kj::mv(response.body)).then([status](kj::String text) {
        return HttpReply{status, std::string(text.cStr(), text.size())};
      });
    });
    return timer.timeoutAfter(timeout_seconds * kj::SECONDS, kj::mv(exchange)).wait(io.waitScope);
  } catch (const kj::Exception& exception) {
    return Error(Status::IoError("cannot reach the server at " + server.text + ": " +
                                 exception.getDescription().cStr()));
  }
}

Result<TreeHead> FetchHead(const ServerUrl& server) {
  auto reply = Exchange(server, "GET", "/v1/head", "");
  if (!reply) return Error(reply.error());
  if (reply->status != 200) {
    return Error(Status::IoError("the server at " + server.text + " answered GET /v1/head with " +
                                 std::to_string(reply->status)));
  }
  auto json = ParseJson(reply->body, "the head from " + server.text);
  if (!json) return Error(json.error());
  return TreeHeadFromJson(*json);
}

namespace {

// The status of an error answer: the server's code and message, or what was wrong with it.
Status RefusalOf(const ServerUrl& server, const HttpReply& reply, size_t* event_index) {
  auto json = ParseJson(reply.body, "the answer of " + server.text);
  if (!json || !json->is_object() || !json->contains("error") || !(*json)["error"].is_object()) {
    return Status::IoError("the server at " + server.text + " answered " + std::to_string(reply.status) +
                           " without an error object");
  }
  const auto& error = (*json)["error"];
  std::string code = error.value("code", "");
  std::string message = error.value("message", "");
  if (error.contains("event_index") && error["event_index"].is_number_unsigned()) {
    *event_index = error["event_index"].get<size_t>();
  }
  if (message.empty()) message = "the server answered " + std::to_string(reply.status) + " (" + code + ")";
  return StatusForErrorCode(code, message);
}

}  // namespace

Result<Receipt> PostSubmission(const ServerUrl& server, const std::string& envelope, size_t* event_index) {
  *event_index = SIZE_MAX;
  for (int attempt = 1;; ++attempt) {
    auto reply = Exchange(server, "POST", "/v1/submissions", envelope);
    if (!reply) return Error(reply.error());
    if (reply->status == 200 || reply->status == 201) {
      auto json = ParseJson(reply->body, "the receipt from " + server.text);
      if (!json) return Error(json.error());
      return ReceiptFromJson(*json);
    }
    Status refused = RefusalOf(server, *reply, event_index);
    bool overloaded = reply->status == 503 && refused.code() == StatusCode::kBusy;
    if (!overloaded || attempt == kOverloadedAttemptsMax) return Error(refused);
    std::this_thread::sleep_for(std::chrono::milliseconds(250 * attempt));
  }
}

Result<nlohmann::json> SignIn(const ServerUrl& server, const PrivateKey& key) {
  const std::string key_id = HexEncode(AsBytes(key.public_key().key_id()));
  auto challenge = Exchange(server, "POST", "/v1/auth/challenge", nlohmann::json{{"key_id", key_id}}.dump());
  if (!challenge) return Error(challenge.error());
  size_t ignored = SIZE_MAX;
  if (challenge->status != 200) return Error(RefusalOf(server, *challenge, &ignored));
  auto offered = ParseJson(challenge->body, "the challenge from " + server.text);
  if (!offered) return Error(offered.error());
  if (!offered->contains("nonce") || !(*offered)["nonce"].is_string() || !offered->contains("ledger_id") ||
      !(*offered)["ledger_id"].is_string()) {
    return Error(Status::IoError("the challenge from " + server.text + " has no nonce or ledger_id"));
  }
  // The message is built here from its parts, not taken from the server: the client signs only
  // what the format says.
  const std::string nonce = (*offered)["nonce"];
  const std::string message = AuthMessage((*offered)["ledger_id"], key_id, nonce);
  const std::string signature = HexEncode(AsBytes(key.Sign(AsBytes(message))));
  auto token = Exchange(server, "POST", "/v1/auth/token",
                        nlohmann::json{{"key_id", key_id}, {"nonce", nonce}, {"signature", signature}}.dump());
  if (!token) return Error(token.error());
  if (token->status != 200) return Error(RefusalOf(server, *token, &ignored));
  auto answer = ParseJson(token->body, "the token from " + server.text);
  if (!answer) return Error(answer.error());
  return nlohmann::json(*answer);
}

}  // namespace fundtrail::server
