#include "server/http_server.h"

#include <kj/async-io.h>
#include <kj/async-unix.h>
#include <kj/compat/http.h>
#include <signal.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <optional>

#include "ledger/bytes.h"
#include "ledger/crypto.h"
#include "ledger/log_format.h"
#include "ledger/store.h"
#include "ledger/tree_head.h"
#include "ledger/wire.h"
#include "projections/projection_store.h"
#include "server/assets.h"
#include "server/group_writer.h"
#include "server/metrics.h"
#include "server/protocol.h"
#include "server/read_api.h"
#include "server/read_side.h"

namespace fundtrail::server {
namespace {

constexpr auto kDrainTimeout = 30 * kj::SECONDS;
constexpr size_t kReadChunkBytes = 64 << 10;
constexpr uint64_t kSignInBodySizeMaxBytes = 4096;  // a sign-in request is a few hundred bytes

// The server's log on stderr through spdlog: startup, shutdown, warnings and one access line per
// request; as text, or one JSON object per line for log collectors. Never a secret: no request
// body, no header, no key material is logged.
class ServerLog {
 public:
  explicit ServerLog(bool json)
      : json_(json), logger_("fundtrail", std::make_shared<spdlog::sinks::stderr_sink_mt>()) {
    logger_.set_pattern(json ? "{\"time\":\"%Y-%m-%dT%H:%M:%S.%fZ\",\"level\":\"%l\",%v}"
                             : "%Y-%m-%dT%H:%M:%S.%fZ %l %v",
                        spdlog::pattern_time_type::utc);
    logger_.flush_on(spdlog::level::info);
  }
  void Info(const std::string& message) { logger_.info(Message(message)); }
  void Warn(const std::string& message) { logger_.warn(Message(message)); }
  void Access(std::string_view method, std::string_view path, unsigned status, size_t bytes, double latency_ms,
              const std::string& key_id) {
    if (json_) {
      nlohmann::ordered_json fields = {{"method", method}, {"path", path},         {"status", status},
                                       {"bytes", bytes},   {"latency_ms", latency_ms}, {"key_id", key_id}};
      std::string text = fields.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
      logger_.info(text.substr(1, text.size() - 2));  // the fields, inside the pattern's braces
      return;
    }
    char latency[32];
    std::snprintf(latency, sizeof(latency), "%.3f", latency_ms);
    logger_.info("{} {} {} {}B {}ms key={}", method, path, status, bytes, latency, key_id);
  }

 private:
  std::string Message(const std::string& message) const {
    if (!json_) return message;
    std::string quoted = nlohmann::json(message).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return "\"message\":" + quoted;
  }
  bool json_;
  spdlog::logger logger_;
};

kj::StringPtr StatusText(unsigned status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 503: return "Service Unavailable";
    default: return "Internal Server Error";
  }
}

// Per request: what the access log says about it.
struct RequestRecord {
  std::string method;
  std::string path;
  std::chrono::steady_clock::time_point started;
  std::string key_id = "-";
};

// A request body read into memory, up to a bound.
struct BodyState {
  explicit BodyState(uint64_t size_max_bytes) : size_max_bytes(size_max_bytes) {}
  uint64_t size_max_bytes;
  std::string data;
  bool too_large = false;
};

kj::Promise<void> ReadMore(kj::AsyncInputStream& input, BodyState& state) {
  const size_t old_size = state.data.size();
  state.data.resize(old_size + kReadChunkBytes);
  return input.tryRead(state.data.data() + old_size, 1, kReadChunkBytes)
      .then([&input, &state, old_size](size_t read) -> kj::Promise<void> {
        state.data.resize(old_size + read);
        if (read == 0) return kj::READY_NOW;  // the end of the body
        if (state.data.size() > state.size_max_bytes) {
          state.too_large = true;
          return kj::READY_NOW;
        }
        return ReadMore(input, state);
      });
}

// The whole body, or nothing (std::nullopt) when it is larger than `size_max_bytes`.
kj::Promise<std::optional<std::string>> ReadBody(kj::AsyncInputStream& input, uint64_t size_max_bytes) {
  auto state = kj::heap<BodyState>(size_max_bytes);
  BodyState& ref = *state;
  return ReadMore(input, ref).then([state = kj::mv(state)]() mutable -> std::optional<std::string> {
    if (state->too_large) return std::nullopt;
    return std::move(state->data);
  });
}

bool IsJsonContentType(kj::StringPtr value) {
  std::string type(value.cStr());
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type == "application/json";
}

class Service final : public kj::HttpService {
 public:
  Service(kj::Timer& timer, const kj::HttpHeaderTable& table, kj::HttpHeaderId retry_after,
          kj::HttpHeaderId authorization, kj::HttpHeaderId if_none_match, GroupWriter& writer, ReadSide& reads,
          AuthTables& auth, Metrics& metrics, ServerLog& log, const ServeOptions& options, Clock* clock)
      : timer_(timer), table_(table), retry_after_(retry_after), authorization_(authorization),
        if_none_match_(if_none_match), writer_(writer), reads_(reads), auth_(auth), metrics_(metrics), log_(log),
        options_(options), clock_(clock) {}

  kj::Promise<void> request(kj::HttpMethod method, kj::StringPtr url, const kj::HttpHeaders& headers,
                            kj::AsyncInputStream& body, Response& response) override {
    auto record = kj::heap<RequestRecord>();
    record->method = kj::str(method).cStr();
    std::string target(url.cStr());
    record->path = target.substr(0, target.find('?'));
    record->started = std::chrono::steady_clock::now();
    RequestRecord& ref = *record;
    return Route(method, url, headers, body, ref)
        .then([this, &response, &ref](Answer answer) { return Send(response, std::move(answer), ref); },
              [this, &ref](kj::Exception&& exception) -> kj::Promise<void> {
                // The client went away (a truncated body) or the connection failed: there is no
                // one to answer.
                log_.Access(ref.method, ref.path, 0, 0, MillisecondsSince(ref.started), ref.key_id);
                return kj::mv(exception);
              })
        .attach(kj::mv(record));
  }

 private:
  static double MillisecondsSince(std::chrono::steady_clock::time_point started) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  }

  kj::Promise<Answer> Route(kj::HttpMethod method, kj::StringPtr url, const kj::HttpHeaders& headers,
                            kj::AsyncInputStream& body, RequestRecord& record) {
    const std::string& path = record.path;
    auto only = [&](kj::HttpMethod allowed) -> std::optional<Answer> {
      if (method == allowed) return std::nullopt;
      return ErrorAnswerOf(405, "method_not_allowed",
                           std::string(kj::str(method).cStr()) + " " + path + " is not served; use " +
                               kj::str(allowed).cStr());
    };
    if (path == "/v1/submissions") {
      if (auto refused = only(kj::HttpMethod::POST)) return std::move(*refused);
      return PostSubmission(headers, body, record);
    }
    if (path == "/v1/head") {
      if (auto refused = only(kj::HttpMethod::GET)) return std::move(*refused);
      return JsonAnswer(200, TreeHeadToJson(writer_.Published()));
    }
    if (path == "/healthz") {
      if (auto refused = only(kj::HttpMethod::GET)) return std::move(*refused);
      if (writer_.failed()) {
        return ErrorAnswerOf(503, "writer_failed", "the ledger's writer failed to sync; restart the server");
      }
      return JsonAnswer(200, {{"status", "ok"}, {"tree_size", writer_.Published().tree_size}});
    }
    if (path == "/metrics") {
      if (auto refused = only(kj::HttpMethod::GET)) return std::move(*refused);
      return Answer{200, "text/plain; version=0.0.4", metrics_.Render(), false, {}};
    }
    if (IsAssetPath(path)) {
      if (auto refused = only(kj::HttpMethod::GET)) return std::move(*refused);
      return Asset(headers, path);
    }
    if (path == "/v1/auth/challenge" || path == "/v1/auth/token") {
      if (auto refused = only(kj::HttpMethod::POST)) return std::move(*refused);
      return PostSignIn(path, headers, body, record);
    }
    auto target = ParseTarget(url.cStr());
    if (!target) return ErrorAnswerOf(400, "bad_request", target.error().message());
    if (IsReadPath(target->path)) {
      if (auto refused = only(kj::HttpMethod::GET)) return std::move(*refused);
      std::string authorization;
      KJ_IF_MAYBE(value, headers.get(authorization_)) { authorization = value->cStr(); }
      return Read(std::move(*target), std::move(authorization), record);
    }
    return ErrorAnswerOf(404, "not_found", "no such endpoint: " + path);
  }

  // The dashboard (server/assets.h): the page and its files, compiled into the binary.
  Answer Asset(const kj::HttpHeaders& headers, const std::string& path) {
    std::optional<std::string_view> if_none_match;
    KJ_IF_MAYBE(value, headers.get(if_none_match_)) { if_none_match = std::string_view(value->cStr()); }
    AssetAnswer asset = AnswerAsset(path, if_none_match);
    Answer answer = asset.status == 404 ? ErrorAnswerOf(404, "not_found", asset.message)
                                        : Answer{asset.status, asset.content_type, std::string(asset.body), false, {}};
    answer.headers = std::move(asset.headers);
    return answer;
  }

  // What a job on the reader thread hands back: the answer, and the caller's key id for the log.
  struct ReadOutcome {
    Answer answer;
    std::string key_id;
  };

  // Runs `job` on the reader thread (server/read_side.h); 503 when its queue is full.
  kj::Promise<Answer> OnReader(RequestRecord& record,
                               std::function<ReadOutcome(const Ledger&, const TreeHead&)> job) {
    auto pair = kj::newPromiseAndCrossThreadFulfiller<ReadOutcome>();
    bool queued = reads_.Submit([job = std::move(job), fulfiller = kj::mv(pair.fulfiller)](
                                    const Ledger* ledger, const TreeHead& published, const Status& opened) mutable {
      if (ledger == nullptr) {
        fulfiller->fulfill(ReadOutcome{ErrorAnswerOf(500, "read_failed", opened.message()), "-"});
        return;
      }
      fulfiller->fulfill(job(*ledger, published));
    });
    if (!queued) return ErrorAnswerOf(503, "overloaded", "too many reads waiting; retry after 1 s");
    return pair.promise.then([&record](ReadOutcome outcome) {
      if (!outcome.key_id.empty()) record.key_id = outcome.key_id;
      return std::move(outcome.answer);
    });
  }

  kj::Promise<Answer> Read(ReadRequest request, std::string authorization, RequestRecord& record) {
    const int32_t today_days = static_cast<int32_t>(clock_->NowMicros() / 86400000000LL);
    return OnReader(record, [this, request = std::move(request), authorization = std::move(authorization),
                             today_days](const Ledger& ledger, const TreeHead& published) {
      auto caller = Authenticate(authorization, ledger, auth_);
      if (auto* refused = std::get_if<Answer>(&caller)) return ReadOutcome{std::move(*refused), ""};
      const Caller& who = std::get<Caller>(caller);
      return ReadOutcome{AnswerRead(request, who, ledger, published, today_days), who.key_id};
    });
  }

  // POST /v1/auth/challenge and /v1/auth/token: a small JSON body, answered on the reader thread
  // (the key registry is read there).
  kj::Promise<Answer> PostSignIn(const std::string& path, const kj::HttpHeaders& headers, kj::AsyncInputStream& body,
                                 RequestRecord& record) {
    KJ_IF_MAYBE(type, headers.get(kj::HttpHeaderId::CONTENT_TYPE)) {
      if (!IsJsonContentType(*type)) {
        return ErrorAnswerOf(415, "unsupported_media_type",
                             std::string("Content-Type is \"") + type->cStr() + "\"; send application/json");
      }
    } else {
      return ErrorAnswerOf(415, "unsupported_media_type", "no Content-Type; send application/json");
    }
    auto read = ReadBody(body, kSignInBodySizeMaxBytes);
    return timer_.timeoutAfter(options_.request_timeout_seconds * kj::SECONDS, kj::mv(read))
        .then(
            [this, path, &record](std::optional<std::string> text) -> kj::Promise<Answer> {
              if (!text) {
                return ErrorAnswerOf(413, "body_too_large",
                                     "a sign-in body is at most " + std::to_string(kSignInBodySizeMaxBytes) + " bytes");
              }
              return OnReader(record, [this, path, text = std::move(*text)](const Ledger& ledger, const TreeHead&) {
                if (path == "/v1/auth/challenge") return ReadOutcome{AnswerChallenge(text, ledger, auth_), ""};
                return ReadOutcome{AnswerToken(text, ledger, auth_), ""};
              });
            },
            [this](kj::Exception&& exception) -> kj::Promise<Answer> {
              if (exception.getType() != kj::Exception::Type::OVERLOADED) return kj::mv(exception);
              return ErrorAnswerOf(408, "request_timeout",
                                   "the request body did not arrive within " +
                                       std::to_string(options_.request_timeout_seconds) + " s");
            });
  }

  kj::Promise<Answer> PostSubmission(const kj::HttpHeaders& headers, kj::AsyncInputStream& body,
                                     RequestRecord& record) {
    KJ_IF_MAYBE(type, headers.get(kj::HttpHeaderId::CONTENT_TYPE)) {
      if (!IsJsonContentType(*type)) return Refuse(415, "unsupported_media_type",
                                                   std::string("Content-Type is \"") + type->cStr() +
                                                       "\"; a signed submission is sent as application/json");
    } else {
      return Refuse(415, "unsupported_media_type",
                    "no Content-Type; a signed submission is sent as application/json");
    }
    KJ_IF_MAYBE(length, body.tryGetLength()) {
      if (*length > options_.body_size_max_bytes) return TooLarge();
    }
    auto read = ReadBody(body, options_.body_size_max_bytes);
    return timer_.timeoutAfter(options_.request_timeout_seconds * kj::SECONDS, kj::mv(read))
        .then(
            [this, &record](std::optional<std::string> text) -> kj::Promise<Answer> {
              if (!text) return TooLarge();
              return Queue(std::move(*text), record);
            },
            [this](kj::Exception&& exception) -> kj::Promise<Answer> {
              if (exception.getType() != kj::Exception::Type::OVERLOADED) return kj::mv(exception);
              return Refuse(408, "request_timeout",
                            "the request body did not arrive within " +
                                std::to_string(options_.request_timeout_seconds) + " s");
            });
  }

  Answer Refuse(unsigned status, const std::string& code, const std::string& message) {
    metrics_.submissions_refused.fetch_add(1);
    return ErrorAnswerOf(status, code, message);
  }

  Answer TooLarge() {
    return Refuse(413, "body_too_large",
                  "the request body is larger than " + std::to_string(options_.body_size_max_bytes) +
                      " bytes (serve --body-size-max); split the submission");
  }

  kj::Promise<Answer> Queue(std::string text, RequestRecord& record) {
    auto submission = DecodeSignedSubmission(text, "request body");
    if (!submission) return Refuse(400, "malformed_body", submission.error().message());
    auto body = DecodedSubmissionBody::Open(submission->canonical_body, "submission body");
    if (body) {
      auto key_id = body->root().getKeyId();
      record.key_id = HexEncode(ByteSpan(key_id.begin(), key_id.size()));
    }
    auto pair = kj::newPromiseAndCrossThreadFulfiller<GroupWriter::Outcome>();
    bool queued = writer_.Submit(std::move(*submission),
                                 [fulfiller = kj::mv(pair.fulfiller)](GroupWriter::Outcome outcome) mutable {
                                   fulfiller->fulfill(std::move(outcome));
                                 });
    if (!queued) {
      metrics_.submissions_overloaded.fetch_add(1);
      if (writer_.failed()) {
        return ErrorAnswerOf(503, "writer_failed", "the ledger's writer failed to sync; restart the server");
      }
      return ErrorAnswerOf(503, "overloaded", "the server's queue is full; retry after 1 s");
    }
    return pair.promise.then([this](GroupWriter::Outcome outcome) { return AnswerFor(std::move(outcome)); });
  }

  Answer AnswerFor(GroupWriter::Outcome outcome) {
    if (outcome.receipt.has_value()) {
      bool retried = outcome.receipt->already_appended;
      (retried ? metrics_.submissions_retried : metrics_.submissions_appended).fetch_add(1);
      return JsonAnswer(retried ? 200 : 201, ReceiptJson(*outcome.receipt));
    }
    metrics_.submissions_rejected.fetch_add(1);
    ErrorAnswer error = AnswerForRefusal(outcome.receipt.error(), outcome.failed_event_index);
    return Answer{error.http_status, "application/json", ErrorBody(error), false, {}};
  }

  kj::Promise<void> Send(Response& response, Answer answer, RequestRecord& record) {
    kj::HttpHeaders headers(table_);
    headers.set(kj::HttpHeaderId::CONTENT_TYPE, kj::str(answer.content_type.c_str()));
    if (answer.retry_after) headers.set(retry_after_, "1");
    for (const auto& [name, value] : answer.headers) headers.add(kj::StringPtr(name.c_str()), kj::StringPtr(value.c_str()));
    auto body = kj::heap<std::string>(std::move(answer.body));
    auto stream = response.send(answer.status, StatusText(answer.status), headers, body->size());
    auto written = stream->write(body->data(), body->size());
    double latency_ms = MillisecondsSince(record.started);
    metrics_.requests.fetch_add(1);
    if (record.path == "/v1/submissions") metrics_.submission_latency.Observe(static_cast<uint64_t>(latency_ms * 1000));
    log_.Access(record.method, record.path, answer.status, body->size(), latency_ms, record.key_id);
    return written.attach(kj::mv(stream), kj::mv(body));
  }

  kj::Timer& timer_;
  const kj::HttpHeaderTable& table_;
  kj::HttpHeaderId retry_after_;
  kj::HttpHeaderId authorization_;
  kj::HttpHeaderId if_none_match_;
  GroupWriter& writer_;
  ReadSide& reads_;
  AuthTables& auth_;
  Metrics& metrics_;
  ServerLog& log_;
  const ServeOptions& options_;
  Clock* clock_;
};

// HOST:PORT, with [::1]:PORT for IPv6.
Result<std::pair<std::string, std::string>> SplitListen(const std::string& listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
    return Error(Status::InvalidArgument("--listen \"" + listen + "\" is not HOST:PORT (for example 127.0.0.1:8750)"));
  }
  std::string host = listen.substr(0, colon);
  std::string port = listen.substr(colon + 1);
  if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 || std::stoul(port) > 65535) {
    return Error(Status::InvalidArgument("--listen \"" + listen + "\": port \"" + port + "\" is not 0 to 65535"));
  }
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return std::make_pair(host, port);
}

Status CheckOptions(const ServeOptions& options, const std::string& host) {
  if (options.log_format != "text" && options.log_format != "json") {
    return Status::InvalidArgument("--log-format \"" + options.log_format + "\": use text or json");
  }
  if (!options.tls_certificate.empty() || !options.tls_key.empty()) {
    return Status::InvalidArgument(
        "--tls-cert/--tls-key: this version does not serve TLS yet; listen on 127.0.0.1 and put a TLS "
        "proxy in front (docs/OPERATIONS.md)");
  }
  if (!IsLoopbackHost(host)) {
    return Status::InvalidArgument("--listen " + options.listen +
                                   ": not a loopback address, and serving beyond this machine needs TLS, which "
                                   "this version does not offer yet; listen on 127.0.0.1 and put a TLS proxy in "
                                   "front (docs/OPERATIONS.md)");
  }
  if (options.queue_size_max == 0) return Status::InvalidArgument("--queue-size-max must be at least 1");
  if (options.body_size_max_bytes == 0) return Status::InvalidArgument("--body-size-max must be at least 1");
  if (options.request_timeout_seconds == 0) return Status::InvalidArgument("--request-timeout must be at least 1");
  if (options.token_lifetime_seconds == 0) return Status::InvalidArgument("--token-lifetime must be at least 1");
  return Status::Ok();
}

// The operator key that signs the heads served, checked against the ledger's.
Result<std::optional<PrivateKey>> LoadHeadKey(const ServeOptions& options, const Ledger& ledger) {
  if (options.operator_key.empty()) return std::optional<PrivateKey>();
  auto key = PrivateKey::FromPemFile(options.operator_key);
  if (!key) return Error(key.error());
  if (HexEncode(AsBytes(key->public_key().raw())) != ledger.state().ledger()->operator_public_key_hex) {
    return Error(Status::PermissionDenied("--operator-key " + options.operator_key +
                                          " is not this ledger's operator key; only the operator key signs "
                                          "tree heads"));
  }
  return std::optional<PrivateKey>(std::move(*key));
}

// The event loop: listens, serves until a signal, then drains. The writer runs meanwhile.
Status RunEventLoop(const ServeOptions& options, const std::string& host, GroupWriter& writer, ReadSide& reads,
                    AuthTables& auth, Metrics& metrics, ServerLog& log, Clock* clock,
                    const std::function<void(const std::string&)>& listening) {
  try {
    kj::AsyncIoContext io = kj::setupAsyncIo();
    kj::HttpHeaderTable::Builder builder;
    kj::HttpHeaderId retry_after = builder.add("Retry-After");
    kj::HttpHeaderId authorization = builder.add("Authorization");
    kj::HttpHeaderId if_none_match = builder.add("If-None-Match");
    kj::Own<kj::HttpHeaderTable> table = builder.build();
    Service service(io.provider->getTimer(), *table, retry_after, authorization, if_none_match, writer, reads, auth,
                    metrics, log, options, clock);
    kj::HttpServerSettings settings;
    // A client that sends its headers one byte at a time is cut off after this.
    settings.headerTimeout = options.request_timeout_seconds * kj::SECONDS;
    kj::HttpServer server(io.provider->getTimer(), *table, service, settings);
    kj::Own<kj::NetworkAddress> address =
        io.provider->getNetwork().parseAddress(kj::str(options.listen.c_str())).wait(io.waitScope);
    kj::Own<kj::ConnectionReceiver> receiver = address->listen();
    std::string bound = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
                        std::to_string(receiver->getPort());
    log.Info("listening on http://" + bound + ", ledger at sequence " +
             std::to_string(writer.Published().tree_size));
    listening(bound);
    kj::Promise<void> serving = server.listenHttp(*receiver).eagerlyEvaluate([&log](kj::Exception&& exception) {
      log.Warn(std::string("accepting connections failed: ") + exception.getDescription().cStr());
    });
    siginfo_t signal = io.unixEventPort.onSignal(SIGTERM)
                           .exclusiveJoin(io.unixEventPort.onSignal(SIGINT))
                           .wait(io.waitScope);
    log.Info(std::string("signal ") + (signal.si_signo == SIGTERM ? "SIGTERM" : "SIGINT") +
             ": no new connections; answering the requests under way");
    serving = kj::Promise<void>(kj::READY_NOW);  // stops accepting
    receiver = nullptr;
    // The timeout ends the wait with an OVERLOADED exception, below.
    io.provider->getTimer().timeoutAfter(kDrainTimeout, server.drain()).wait(io.waitScope);
  } catch (const kj::Exception& exception) {
    if (exception.getType() == kj::Exception::Type::OVERLOADED) {
      log.Warn("connections still open after the drain timeout; closing them");
      return Status::Ok();
    }
    return Status::IoError("serving on " + options.listen + ": " + exception.getDescription().cStr());
  }
  return Status::Ok();
}

}  // namespace

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  // 127.0.0.0/8, as four decimal octets.
  if (host.rfind("127.", 0) != 0) return false;
  int dots = 0;
  for (char c : host) {
    if (c == '.') ++dots;
    else if (c < '0' || c > '9') return false;
  }
  return dots == 3 && host.back() != '.' && host.find("..") == std::string::npos;
}

Status Serve(const ServeOptions& options, Clock* clock, const std::function<void(const std::string&)>& listening) {
  auto split = SplitListen(options.listen);
  if (!split) return split.error();
  FT_RETURN_IF_ERROR(CheckOptions(options, split->first));
  // Before any thread exists (RocksDB starts its own when the ledger opens): the signals are then
  // blocked in every thread and delivered to the event loop only.
  kj::UnixEventPort::captureSignal(SIGTERM);
  kj::UnixEventPort::captureSignal(SIGINT);
  ServerLog log(options.log_format == "json");
  // With the views' fold, as every writer: each submission commits the views (docs/FORMAT.md, 5).
  auto opened = projections::OpenWriter(ResolveLedgerDirectory(options.ledger), clock);
  if (!opened) return opened.error();
  std::unique_ptr<Ledger> ledger = std::move(*opened);
  auto head_key = LoadHeadKey(options, *ledger);
  if (!head_key) return head_key.error();
  Metrics metrics;
  GroupWriter::Options writer_options;
  writer_options.queue_size_max = options.queue_size_max;
  writer_options.head_key = head_key->has_value() ? &**head_key : nullptr;
  Status served;
  {
    GroupWriter writer(ledger.get(), writer_options, &metrics, clock);
    ReadSide reads(ResolveLedgerDirectory(options.ledger), [&writer] { return writer.Published(); }, clock,
                   options.queue_size_max);
    AuthTables::Options auth_options;
    auth_options.token_lifetime_micros = int64_t{options.token_lifetime_seconds} * 1000000;
    AuthTables auth(auth_options, clock);
    served = RunEventLoop(options, split->first, writer, reads, auth, metrics, log, clock, listening);
    reads.Stop();
    writer.Stop();  // appends what is queued
  }
  log.Info("writer stopped at sequence " + std::to_string(ledger->head().sequence));
  // Derived data, as after a CLI append: readers fold any lag themselves, so a failure only warns.
  Status projected = projections::CatchUp(*ledger, projections::RulesSnapshot::kWhenLagging);
  if (!projected.ok()) log.Warn("projections not updated: " + projected.message());
  ledger.reset();
  log.Info(served.ok() ? "stopped cleanly" : "stopped: " + served.message());
  return served;
}

}  // namespace fundtrail::server
