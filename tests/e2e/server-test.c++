// End-to-end tests of `fundtrail serve`: the real server on 127.0.0.1 (a free port), driven by
// the fundtrail CLI (append --server, sign, submit) and by plain HTTP over a socket. Concurrent
// clients, kill -9 under load, bad and hostile input, and a clean SIGTERM.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>

#include "tests/testing/cli_harness.h"

namespace fundtrail::testing {
namespace {

using nlohmann::json;

// A `fundtrail serve` process. Its stdout's first line names the port it bound; its log (stderr)
// goes to a file.
class ServerProcess {
 public:
  ServerProcess(const std::string& ledger, const std::string& log_path, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {FundtrailBinary(), "serve", "--ledger", ledger, "--listen", "127.0.0.1:0",
                                     "--request-timeout", "2"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    int output[2];
    if (::pipe2(output, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log < 0) throw std::runtime_error("cannot open " + log_path);
    std::vector<char*> args;
    for (auto& arg : argv) args.push_back(arg.data());
    args.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::dup2(output[1], 1);
      ::dup2(log, 2);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(output[1]);
    ::close(log);
    // The first line: "listening on http://127.0.0.1:PORT".
    std::string line;
    char c;
    while (::read(output[0], &c, 1) == 1 && c != '\n') line += c;
    stdout_fd_ = output[0];
    const std::string prefix = "listening on http://127.0.0.1:";
    if (line.rfind(prefix, 0) != 0) {
      Kill();
      throw std::runtime_error("fundtrail serve did not start: \"" + line + "\"; log: " + ReadFile(log_path));
    }
    port_ = std::stoi(line.substr(prefix.size()));
  }
  ~ServerProcess() {
    if (pid_ > 0) Kill();
    if (stdout_fd_ >= 0) ::close(stdout_fd_);
  }

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Sends `signal` and waits; returns the exit code, or 128 + the signal that ended it.
  int StopWith(int signal) {
    ::kill(pid_, signal);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  int Kill() { return StopWith(SIGKILL); }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int port_ = 0;
};

// A connection to the server over a plain socket, for requests the CLI would never send.
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
    }
    // A guard against a test that would hang forever, not a timed assertion.
    timeval guard{120, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &guard, sizeof(guard));
  }
  ~RawConnection() { ::close(fd_); }

  // False once the server has closed the connection.
  bool Send(std::string_view bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
  }
  void EndWriting() { ::shutdown(fd_, SHUT_WR); }
  // Everything until the server closes the connection.
  std::string ReadAll() {
    std::string all;
    char buffer[4096];
    ssize_t read;
    while ((read = ::recv(fd_, buffer, sizeof(buffer), 0)) > 0) all.append(buffer, static_cast<size_t>(read));
    return all;
  }

 private:
  int fd_ = -1;
};

struct RawAnswer {
  int status = 0;  // 0: the connection closed without an answer
  std::string body;
};

RawAnswer ParseAnswer(const std::string& text) {
  RawAnswer answer;
  if (text.rfind("HTTP/1.1 ", 0) != 0) return answer;
  answer.status = std::stoi(text.substr(9, 3));
  size_t body = text.find("\r\n\r\n");
  if (body != std::string::npos) answer.body = text.substr(body + 4);
  return answer;
}

// One whole request on its own connection ("Connection: close"), and its answer.
RawAnswer Request(int port, const std::string& method, const std::string& path, const std::string& content_type = "",
                  const std::string& body = "") {
  RawConnection connection(port);
  std::string request = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!content_type.empty()) request += "Content-Type: " + content_type + "\r\n";
  if (method == "POST") request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  request += "\r\n" + body;
  connection.Send(request);
  return ParseAnswer(connection.ReadAll());
}

std::string ErrorCode(const RawAnswer& answer) {
  auto parsed = json::parse(answer.body, nullptr, false);
  if (parsed.is_discarded() || !parsed.contains("error")) return "(no error object: " + answer.body + ")";
  return parsed["error"].value("code", "");
}

class ServerTest : public ::testing::Test {
 protected:
  ServerTest() : alliance_(dir_.path()) {}
  void SetUp() override {
    alliance_.Init();
    alliance_.AppendHistory();
  }

  std::unique_ptr<ServerProcess> Start(const std::vector<std::string>& extra = {}) {
    return std::make_unique<ServerProcess>(alliance_.ledger(), dir_.File("serve.log"), extra);
  }
  uint64_t TreeSize(const ServerProcess& server) {
    RawAnswer head = Request(server.port(), "GET", "/v1/head");
    EXPECT_EQ(head.status, 200) << head.body;
    return json::parse(head.body).at("tree_size").get<uint64_t>();
  }
  // A file of JSON Lines under a name of its own (safe from several threads).
  std::string EventsFile(const std::string& name, const std::vector<json>& events) {
    std::string path = dir_.File(name + ".jsonl");
    WriteFile(path, JsonLines(events));
    return path;
  }
  json Vendor(const std::string& id) {
    return VendorRegistered(id, "供应商 " + id, "913202007331021869");
  }
  // `fundtrail append --server` of `events` by `key`.
  CommandResult RemoteAppend(const ServerProcess& server, const TestKey& key, const std::string& file,
                             const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"append", "--server", server.url(), "--key", key.path, "--json", file};
    args.insert(args.end(), extra.begin(), extra.end());
    return Fundtrail(args);
  }
  // Every acknowledged receipt is in the log: each sequence holds the hash the receipt gave.
  void ExpectReceiptsInLog(const std::vector<json>& receipts) {
    std::map<uint64_t, std::string> hashes;
    for (const json& line : alliance_.Log()) hashes[line.at("sequence").get<uint64_t>()] = line.at("hash");
    for (const json& receipt : receipts) {
      uint64_t first = receipt.at("first_sequence").get<uint64_t>();
      const json& entry_hashes = receipt.at("entry_hashes");
      for (size_t i = 0; i < entry_hashes.size(); ++i) {
        ASSERT_TRUE(hashes.count(first + i)) << "sequence " << first + i << " is missing";
        EXPECT_EQ(hashes[first + i], entry_hashes[i].get<std::string>()) << "sequence " << first + i;
      }
    }
  }
  void ExpectVerifies() {
    CommandResult verified = Fundtrail({"verify", "--ledger", alliance_.ledger()});
    EXPECT_EQ(verified.exit_code, 0) << verified.Describe();
  }

  TempDir dir_;
  SampleAlliance alliance_;
};

TEST_F(ServerTest, RemoteAppendSignAndSubmitThenSigtermStopsCleanly) {
  auto server = Start({"--operator-key", alliance_.operator_key.path});
  const uint64_t start = TreeSize(*server);
  EXPECT_EQ(start, alliance_.receipts().back().at("last_sequence").get<uint64_t>());

  // A remote append: signed here, posted, answered with the receipt `append --json` prints.
  std::string file = EventsFile("vendors", {Vendor("V-R1"), Vendor("V-R2")});
  CommandResult appended = RemoteAppend(*server, alliance_.admin, file);
  ASSERT_EQ(appended.exit_code, 0) << appended.Describe();
  json receipt = json::parse(appended.out);
  EXPECT_EQ(receipt.at("first_sequence").get<uint64_t>(), start + 1);
  EXPECT_EQ(receipt.at("last_sequence").get<uint64_t>(), start + 2);
  EXPECT_FALSE(receipt.at("already_appended").get<bool>());
  // The same input again: the derived submission id makes it a retry.
  CommandResult again = RemoteAppend(*server, alliance_.admin, file);
  ASSERT_EQ(again.exit_code, 0) << again.Describe();
  EXPECT_TRUE(json::parse(again.out).at("already_appended").get<bool>());
  CommandResult table = Fundtrail({"append", "--server", server->url(), "--key", alliance_.admin.path, file});
  EXPECT_NE(table.out.find("already appended (nothing new written)"), std::string::npos) << table.Describe();

  // The head is signed by the operator key and covers the receipt.
  RawAnswer head = Request(server->port(), "GET", "/v1/head");
  ASSERT_EQ(head.status, 200);
  json head_json = json::parse(head.body);
  EXPECT_EQ(head_json.at("tree_size").get<uint64_t>(), start + 2);
  EXPECT_EQ(head_json.at("chain_hash"), receipt.at("head"));
  EXPECT_EQ(head_json.at("key_id"), alliance_.operator_key.key_id_hex);
  std::string head_file = dir_.File("head.json");
  WriteFile(head_file, head.body);

  // Offline signing: sign with the ledger id, submit later.
  std::string signed_file = dir_.File("signed.json");
  CommandResult sign = Fundtrail({"sign", "--key", alliance_.admin.path, "--ledger-id", head_json.at("ledger_id").get<std::string>(),
                                  "--out", signed_file, EventsFile("offline", {Vendor("V-R3")})});
  ASSERT_EQ(sign.exit_code, 0) << sign.Describe();
  EXPECT_EQ(json::parse(ReadFile(signed_file)).at("format"), "fundtrail-signed-submission-1");
  CommandResult submit = Fundtrail({"submit", signed_file, "--server", server->url(), "--json"});
  ASSERT_EQ(submit.exit_code, 0) << submit.Describe();
  EXPECT_EQ(json::parse(submit.out).at("first_sequence").get<uint64_t>(), start + 3);

  // A refused event names its line, as a local append does; nothing is appended.
  std::string bad = EventsFile("bad", {Vendor("V-R4"),
                                       TaskAssigned("T-X", "P-NOWHERE", SampleAlliance::kCatl, "无项目的任务")});
  CommandResult refused = RemoteAppend(*server, alliance_.admin, bad);
  EXPECT_EQ(refused.exit_code, 2) << refused.Describe();
  EXPECT_NE(refused.err.find("bad.jsonl: line 2 (task_assigned): "), std::string::npos) << refused.Describe();
  EXPECT_NE(refused.err.find("P-NOWHERE"), std::string::npos) << refused.Describe();
  // An unregistered key is refused by the ledger, as locally.
  CommandResult outsider = RemoteAppend(*server, alliance_.outsider, EventsFile("outsider", {Vendor("V-R5")}));
  EXPECT_EQ(outsider.exit_code, 2) << outsider.Describe();
  EXPECT_EQ(TreeSize(*server), start + 3);

  // Health and metrics.
  RawAnswer health = Request(server->port(), "GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(json::parse(health.body).at("tree_size").get<uint64_t>(), start + 3);
  RawAnswer metrics = Request(server->port(), "GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("fundtrail_submissions_total{outcome=\"appended\"} 2\n"), std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("fundtrail_submissions_total{outcome=\"already_appended\"} 2\n"), std::string::npos);
  EXPECT_NE(metrics.body.find("fundtrail_submissions_total{outcome=\"rejected\"} 2\n"), std::string::npos);
  EXPECT_NE(metrics.body.find("fundtrail_events_appended_total 3\n"), std::string::npos);
  EXPECT_NE(metrics.body.find("fundtrail_submission_latency_seconds_count 6\n"), std::string::npos);

  // SIGTERM: a clean exit, the ledger verifies against the head the server signed.
  EXPECT_EQ(server->StopWith(SIGTERM), 0);
  std::string log = ReadFile(dir_.File("serve.log"));
  EXPECT_NE(log.find("POST /v1/submissions 201"), std::string::npos) << log;
  EXPECT_NE(log.find("key=" + alliance_.admin.key_id_hex), std::string::npos) << log;
  EXPECT_NE(log.find("stopped cleanly"), std::string::npos) << log;
  CommandResult verified = Fundtrail({"verify", "--ledger", alliance_.ledger(), "--trusted-head", head_file,
                                      "--operator-key", alliance_.operator_key.path + ".pub"});
  EXPECT_EQ(verified.exit_code, 0) << verified.Describe();
  ExpectReceiptsInLog({receipt});
}

TEST_F(ServerTest, ThirtyTwoConcurrentClientsAllLandAndVerify) {
  auto server = Start();
  const uint64_t start = TreeSize(*server);
  constexpr int kClients = 32;
  std::vector<std::string> files;
  for (int i = 0; i < kClients; ++i) files.push_back(EventsFile("client-" + std::to_string(i), {Vendor("V-C" + std::to_string(i))}));
  std::vector<CommandResult> results(kClients);
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] { results[i] = RemoteAppend(*server, alliance_.admin, files[i]); });
  }
  for (auto& client : clients) client.join();
  std::vector<json> receipts;
  std::set<uint64_t> sequences;
  for (const auto& result : results) {
    ASSERT_EQ(result.exit_code, 0) << result.Describe();
    receipts.push_back(json::parse(result.out));
    sequences.insert(receipts.back().at("first_sequence").get<uint64_t>());
  }
  EXPECT_EQ(sequences.size(), size_t{kClients});
  EXPECT_EQ(*sequences.begin(), start + 1);
  EXPECT_EQ(*sequences.rbegin(), start + kClients);
  RawAnswer metrics = Request(server->port(), "GET", "/metrics");
  std::cout << "  groups and fsyncs for " << kClients << " clients:\n";
  for (const auto& line : SplitLines(metrics.body)) {
    if (line.rfind("fundtrail_groups_total ", 0) == 0 || line.rfind("fundtrail_fsyncs_total ", 0) == 0) {
      std::cout << "    " << line << "\n";
    }
  }
  EXPECT_EQ(server->StopWith(SIGTERM), 0);
  ExpectVerifies();
  ExpectReceiptsInLog(receipts);
}

TEST_F(ServerTest, KillNineUnderLoadLosesNoAcknowledgedReceipt) {
  auto server = Start();
  constexpr int kClients = 8;
  constexpr int kPerClientMax = 40;
  std::mutex mutex;
  std::vector<json> acknowledged;
  std::atomic<int> acknowledged_count{0};
  std::vector<std::vector<std::string>> files(kClients);
  for (int c = 0; c < kClients; ++c) {
    for (int i = 0; i < kPerClientMax; ++i) {
      std::string id = "V-K" + std::to_string(c) + "-" + std::to_string(i);
      files[c].push_back(EventsFile(id, {Vendor(id)}));
    }
  }
  std::atomic<int> finished{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < kPerClientMax; ++i) {
        CommandResult result = RemoteAppend(*server, alliance_.admin, files[c][i]);
        if (result.exit_code != 0) break;  // the server is gone
        std::lock_guard lock(mutex);
        acknowledged.push_back(json::parse(result.out));
        ++acknowledged_count;
      }
      ++finished;
    });
  }
  // Kill once the load is well under way (by count, not by time).
  while (acknowledged_count.load() < 40 && finished.load() < kClients) std::this_thread::yield();
  ASSERT_LT(finished.load(), kClients) << "the clients ended before the kill: see serve.log";
  EXPECT_EQ(server->Kill(), 128 + SIGKILL);
  for (auto& client : clients) client.join();
  std::cout << "  acknowledged before kill -9: " << acknowledged.size() << "\n";
  ExpectVerifies();
  ExpectReceiptsInLog(acknowledged);
  // The ledger opens again as a writer, and serves.
  auto restarted = Start();
  CommandResult after = RemoteAppend(*restarted, alliance_.admin, EventsFile("after", {Vendor("V-AFTER")}));
  EXPECT_EQ(after.exit_code, 0) << after.Describe();
  EXPECT_EQ(restarted->StopWith(SIGTERM), 0);
  ExpectVerifies();
}

TEST_F(ServerTest, BadInputGetsA4xxAppendsNothingAndTheServerKeepsServing) {
  auto server = Start({"--body-size-max", "100000"});
  const uint64_t start = TreeSize(*server);
  auto head = json::parse(Request(server->port(), "GET", "/v1/head").body);
  std::string signed_file = dir_.File("good.json");
  ASSERT_EQ(Fundtrail({"sign", "--key", alliance_.admin.path, "--ledger-id", head.at("ledger_id").get<std::string>(), "--out",
                       signed_file, EventsFile("good", {Vendor("V-B1")})})
                .exit_code,
            0);
  std::string good = ReadFile(signed_file);
  const std::string kJson = "application/json";

  RawAnswer oversized = Request(server->port(), "POST", "/v1/submissions", kJson, std::string(200000, ' '));
  EXPECT_EQ(oversized.status, 413) << oversized.body;
  EXPECT_EQ(ErrorCode(oversized), "body_too_large");

  RawAnswer malformed = Request(server->port(), "POST", "/v1/submissions", kJson, "{\"format\": ");
  EXPECT_EQ(malformed.status, 400) << malformed.body;
  EXPECT_EQ(ErrorCode(malformed), "malformed_body");

  RawAnswer wrong_type = Request(server->port(), "POST", "/v1/submissions", "text/plain", good);
  EXPECT_EQ(wrong_type.status, 415) << wrong_type.body;
  EXPECT_EQ(ErrorCode(wrong_type), "unsupported_media_type");

  json forged = json::parse(good);
  std::string signature = forged["signature"];
  signature[0] = signature[0] == '0' ? '1' : '0';
  forged["signature"] = signature;
  RawAnswer bad_signature = Request(server->port(), "POST", "/v1/submissions", kJson, forged.dump());
  EXPECT_EQ(bad_signature.status, 403) << bad_signature.body;
  EXPECT_EQ(ErrorCode(bad_signature), "permission_denied");
  EXPECT_NE(bad_signature.body.find("does not verify"), std::string::npos) << bad_signature.body;

  std::string outsider_file = dir_.File("outsider.json");
  ASSERT_EQ(Fundtrail({"sign", "--key", alliance_.outsider.path, "--ledger-id", head.at("ledger_id").get<std::string>(), "--out",
                       outsider_file, EventsFile("outsider", {Vendor("V-B2")})})
                .exit_code,
            0);
  RawAnswer unknown_key = Request(server->port(), "POST", "/v1/submissions", kJson, ReadFile(outsider_file));
  EXPECT_EQ(unknown_key.status, 403) << unknown_key.body;
  EXPECT_EQ(ErrorCode(unknown_key), "permission_denied");

  EXPECT_EQ(Request(server->port(), "GET", "/v1/submissions").status, 405);
  int traversal = Request(server->port(), "GET", "/v1/../../etc/passwd").status;
  EXPECT_TRUE(traversal == 404 || traversal == 400) << traversal;

  // A truncated body: the client promises more than it sends, then stops writing. The server
  // has no one to answer and closes the connection.
  {
    RawConnection connection(server->port());
    connection.Send("POST /v1/submissions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    "Content-Length: " + std::to_string(good.size()) + "\r\n\r\n" + good.substr(0, good.size() / 2));
    connection.EndWriting();
    RawAnswer truncated = ParseAnswer(connection.ReadAll());
    EXPECT_TRUE(truncated.status == 0 || (truncated.status >= 400 && truncated.status < 500)) << truncated.status;
  }

  // A slow client: its headers one byte per second. Meanwhile another client appends; the slow
  // one is cut off (a closed connection) once --request-timeout (2 s) passes.
  std::thread slow([&] {
    RawConnection connection(server->port());
    std::string request = "POST /v1/submissions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
    // Eight bytes over eight seconds: the server closes the connection after two.
    for (size_t i = 0; i < 8 && connection.Send(request.substr(i, 1)); ++i) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    std::string answer = connection.ReadAll();
    RawAnswer parsed = ParseAnswer(answer);
    EXPECT_TRUE(parsed.status == 0 || parsed.status == 408) << answer;
  });
  CommandResult meanwhile = RemoteAppend(*server, alliance_.admin, EventsFile("meanwhile", {Vendor("V-B3")}));
  EXPECT_EQ(meanwhile.exit_code, 0) << meanwhile.Describe();
  slow.join();

  // A slow body: whole headers, then the body one byte per second: 408 after the timeout.
  {
    RawConnection connection(server->port());
    connection.Send("POST /v1/submissions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    "Content-Length: " + std::to_string(good.size()) + "\r\n\r\n");
    // Five bytes over five seconds, past the 2 s timeout.
    for (size_t i = 0; i < 5 && connection.Send(good.substr(i, 1)); ++i) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    RawAnswer answer = ParseAnswer(connection.ReadAll());
    EXPECT_TRUE(answer.status == 0 || answer.status == 408) << answer.status << " " << answer.body;
  }

  // Only the good client's event was appended, and the server still serves.
  EXPECT_EQ(TreeSize(*server), start + 1);
  RawAnswer submitted = Request(server->port(), "POST", "/v1/submissions", "application/json; charset=utf-8", good);
  EXPECT_EQ(submitted.status, 201) << submitted.body;
  EXPECT_EQ(TreeSize(*server), start + 2);
  EXPECT_EQ(server->StopWith(SIGTERM), 0);
  ExpectVerifies();
}

TEST_F(ServerTest, ServeRefusesWhatItCannotDoSafely) {
  CommandResult exposed = Fundtrail({"serve", "--ledger", alliance_.ledger(), "--listen", "0.0.0.0:0"});
  EXPECT_EQ(exposed.exit_code, 2) << exposed.Describe();
  EXPECT_NE(exposed.err.find("not a loopback address"), std::string::npos) << exposed.Describe();
  CommandResult tls = Fundtrail({"serve", "--ledger", alliance_.ledger(), "--listen", "127.0.0.1:0", "--tls-cert",
                                 "cert.pem", "--tls-key", "key.pem"});
  EXPECT_EQ(tls.exit_code, 2) << tls.Describe();
  CommandResult bad_listen = Fundtrail({"serve", "--ledger", alliance_.ledger(), "--listen", "127.0.0.1"});
  EXPECT_EQ(bad_listen.exit_code, 2) << bad_listen.Describe();
  CommandResult not_operator = Fundtrail({"serve", "--ledger", alliance_.ledger(), "--listen", "127.0.0.1:0",
                                          "--operator-key", alliance_.admin.path});
  EXPECT_EQ(not_operator.exit_code, 2) << not_operator.Describe();
  // One writer: a second server on the same ledger is refused as busy.
  auto server = Start();
  CommandResult second = Fundtrail({"serve", "--ledger", alliance_.ledger(), "--listen", "127.0.0.1:0"});
  EXPECT_EQ(second.exit_code, 4) << second.Describe();
  EXPECT_EQ(server->StopWith(SIGTERM), 0);
  // A client given a server that is not there says so.
  CommandResult unreachable = Fundtrail({"append", "--server", server->url(), "--key", alliance_.admin.path,
                                         EventsFile("nowhere", {Vendor("V-N")})});
  EXPECT_EQ(unreachable.exit_code, 5) << unreachable.Describe();
  EXPECT_NE(unreachable.err.find("cannot reach the server at " + server->url()), std::string::npos)
      << unreachable.Describe();
}

// ---- The read API (docs/API.md): sign-in, reads equal to the CLI's, who may read what ----

// GET `path` with a bearer token (none when empty), on its own connection.
RawAnswer Get(int port, const std::string& path, const std::string& token = "") {
  RawConnection connection(port);
  std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!token.empty()) request += "Authorization: Bearer " + token + "\r\n";
  request += "\r\n";
  connection.Send(request);
  return ParseAnswer(connection.ReadAll());
}

// "%E6%B8%85..." for a path segment of UTF-8 text.
std::string Escape(const std::string& text) {
  std::string out;
  char buffer[4];
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_') {
      out += static_cast<char>(c);
    } else {
      std::snprintf(buffer, sizeof(buffer), "%%%02X", c);
      out += buffer;
    }
  }
  return out;
}

class ReadApiTest : public ServerTest {
 protected:
  // `fundtrail login`: the token, signed in with `key`.
  std::string Login(const ServerProcess& server, const TestKey& key) {
    CommandResult login = Fundtrail({"login", "--server", server.url(), "--key", key.path, "--json"});
    EXPECT_EQ(login.exit_code, 0) << login.Describe();
    if (login.exit_code != 0) return "";
    return json::parse(login.out).at("token");
  }
  // POST a sign-in body; the answer.
  RawAnswer SignInPost(const ServerProcess& server, const std::string& path, const json& body) {
    return Request(server.port(), "POST", path, "application/json", body.dump());
  }
  // The challenge for `key_id`, and the signature of its message by `signer`.
  json Signed(const ServerProcess& server, const TestKey& key, const TestKey& signer) {
    RawAnswer challenge = SignInPost(server, "/v1/auth/challenge", {{"key_id", key.key_id_hex}});
    EXPECT_EQ(challenge.status, 200) << challenge.body;
    json offered = json::parse(challenge.body);
    auto private_key = PrivateKey::FromPemFile(signer.path);
    EXPECT_TRUE(private_key.has_value());
    const std::string message = "fundtrail-auth-v1\nledger " + offered.at("ledger_id").get<std::string>() + "\nkey " +
                                key.key_id_hex + "\nnonce " + offered.at("nonce").get<std::string>() + "\n";
    EXPECT_EQ(offered.at("message"), message);  // the documented bytes
    return {{"key_id", key.key_id_hex},
            {"nonce", offered.at("nonce")},
            {"signature", test::Hex(private_key->Sign(AsBytes(message)))}};
  }
  // The CLI's output for `args` on the sample ledger (stdout; the test fails on an error).
  std::string Cli(std::vector<std::string> args) {
    args.insert(args.end(), {"--ledger", alliance_.ledger()});
    CommandResult result = Fundtrail(args);
    EXPECT_EQ(result.exit_code, 0) << result.Describe();
    return result.out;
  }
};

TEST_F(ReadApiTest, SignInRoundTripAndEveryRefusalIs401WithItsCode) {
  auto server = Start();
  // Over plain HTTP, signing the documented message bytes here.
  json redeemed = Signed(*server, alliance_.finance_catl, alliance_.finance_catl);
  RawAnswer token = SignInPost(*server, "/v1/auth/token", redeemed);
  ASSERT_EQ(token.status, 200) << token.body;
  json session = json::parse(token.body);
  EXPECT_EQ(session.at("key_id"), alliance_.finance_catl.key_id_hex);
  EXPECT_EQ(session.at("org"), SampleAlliance::kCatl);
  EXPECT_EQ(session.at("roles"), json::array({"member_finance"}));
  EXPECT_EQ(session.at("scope"), "own_organisation");
  EXPECT_EQ(session.at("token").get<std::string>().size(), 64u);
  RawAnswer me = Get(server->port(), "/v1/auth/me", session.at("token"));
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(json::parse(me.body).at("org"), SampleAlliance::kCatl);
  // The nonce was single use.
  RawAnswer replayed = SignInPost(*server, "/v1/auth/token", redeemed);
  EXPECT_EQ(replayed.status, 401);
  EXPECT_EQ(ErrorCode(replayed), "bad_nonce");
  // Signed by another key.
  RawAnswer forged = SignInPost(*server, "/v1/auth/token", Signed(*server, alliance_.finance_catl, alliance_.admin));
  EXPECT_EQ(forged.status, 401);
  EXPECT_EQ(ErrorCode(forged), "bad_signature");
  // A key the ledger does not know.
  RawAnswer outsider = SignInPost(*server, "/v1/auth/challenge", {{"key_id", alliance_.outsider.key_id_hex}});
  EXPECT_EQ(outsider.status, 401);
  EXPECT_EQ(ErrorCode(outsider), "key_unknown");
  CommandResult login = Fundtrail({"login", "--server", server->url(), "--key", alliance_.outsider.path});
  EXPECT_EQ(login.exit_code, 2) << login.Describe();
  EXPECT_NE(login.err.find("is not registered in this ledger"), std::string::npos) << login.Describe();
  // Reads without a token, with an unknown one, with a malformed header.
  RawAnswer none = Get(server->port(), "/v1/views/grants");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(ErrorCode(none), "unauthenticated");
  RawAnswer unknown = Get(server->port(), "/v1/views/grants", std::string(64, 'a'));
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(ErrorCode(unknown), "token_unknown");
  RawAnswer malformed = SignInPost(*server, "/v1/auth/token", {{"key_id", "x"}});
  EXPECT_EQ(malformed.status, 400);
  // The public endpoints stay public.
  EXPECT_EQ(Get(server->port(), "/v1/head").status, 200);
  EXPECT_EQ(Get(server->port(), "/healthz").status, 200);
  EXPECT_EQ(server->StopWith(SIGTERM), 0);
  std::string log = ReadFile(dir_.File("serve.log"));
  EXPECT_NE(log.find("GET /v1/auth/me 200"), std::string::npos) << log;
  EXPECT_NE(log.find("key=" + alliance_.finance_catl.key_id_hex), std::string::npos) << log;
  EXPECT_EQ(log.find(session.at("token").get<std::string>()), std::string::npos) << "the log holds a token";
}

TEST_F(ReadApiTest, AnExpiredTokenIsRefused) {
  auto server = Start({"--token-lifetime", "1"});
  std::string token = Login(*server, alliance_.admin);
  ASSERT_EQ(Get(server->port(), "/v1/auth/me", token).status, 200);
  // Past the 1-second lifetime (waiting for an expiry, not timing the server).
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  RawAnswer expired = Get(server->port(), "/v1/auth/me", token);
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(ErrorCode(expired), "token_expired");
}

TEST_F(ReadApiTest, ViewsHistoriesAndFlagsEqualWhatTheCliPrints) {
  auto server = Start();
  std::string token = Login(*server, alliance_.admin);
  const std::string bom = "\xEF\xBB\xBF";
  auto csv = [&](const std::string& path) {
    RawAnswer answer = Get(server->port(), path, token);
    EXPECT_EQ(answer.status, 200) << path << ": " << answer.body;
    EXPECT_TRUE(answer.body.starts_with(bom)) << path;
    return answer.body.substr(std::min(answer.body.size(), bom.size()));
  };
  for (const std::string view : {"grants", "members", "alliance", "outcomes"}) {
    EXPECT_EQ(csv("/v1/views/" + view + "?format=csv"), Cli({"view", view, "--csv"})) << view;
  }
  EXPECT_EQ(csv("/v1/views/grants?format=csv&as_of_seq=20"), Cli({"view", "grants", "--csv", "--as-of-seq", "20"}));
  const std::string grant = SampleAlliance::kGrantBattery;
  EXPECT_EQ(csv("/v1/grants/" + grant + "/history?format=csv"), Cli({"history", "grant", grant, "--csv"}));
  EXPECT_EQ(csv("/v1/members/" + Escape(SampleAlliance::kTsinghua) + "/history?format=csv"),
            Cli({"history", "member", SampleAlliance::kTsinghua, "--csv"}));
  EXPECT_EQ(csv("/v1/flags?format=csv"), Cli({"flags", "--csv"}));
  EXPECT_EQ(csv("/v1/log?format=csv&limit=1000"), Cli({"log", "--csv"}));
  EXPECT_EQ(csv("/v1/log?format=csv&type=expenditure_recorded,funds_disbursed&limit=1000"),
            Cli({"log", "--csv", "--type", "expenditure_recorded", "--type", "funds_disbursed"}));

  // The JSON figures are the CLI's JSON figures, with names beside the ids.
  RawAnswer grants = Get(server->port(), "/v1/views/grants", token);
  ASSERT_EQ(grants.status, 200) << grants.body;
  std::vector<json> cli_grants = ParseJsonLines(Cli({"view", "grants", "--json"}));
  json rows = json::parse(grants.body).at("rows");
  ASSERT_EQ(rows.size(), cli_grants.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    for (const char* figure : {"grant_id", "awarded", "received", "disbursed", "spent", "available", "budget"}) {
      EXPECT_EQ(rows[i].at(figure), cli_grants[i].at(figure)) << figure;
    }
    if (rows[i].at("funder_org_id") == SampleAlliance::kMinistry) {
      EXPECT_EQ(rows[i].at("funder_org_name"), "科学技术部高技术研究发展中心") << rows[i].dump();
    }
  }

  // The history, paged: every row once, in order, with the CLI's running balances.
  std::vector<json> cli_history = ParseJsonLines(Cli({"history", "grant", grant, "--json"}));
  std::vector<json> paged;
  std::string cursor;
  for (int page = 0; page < 100; ++page) {
    RawAnswer answer = Get(server->port(), "/v1/grants/" + grant + "/history?limit=3" + cursor, token);
    ASSERT_EQ(answer.status, 200) << answer.body;
    json body = json::parse(answer.body);
    for (auto& row : body.at("rows")) paged.push_back(row);
    if (body.at("next").is_null()) break;
    cursor = "&cursor=" + std::to_string(body.at("next").get<uint64_t>());
  }
  ASSERT_EQ(paged.size(), cli_history.size());
  for (size_t i = 0; i < paged.size(); ++i) {
    for (const char* figure : {"sequence", "amount", "received", "disbursed", "spent", "available", "hash"}) {
      EXPECT_EQ(paged[i].at(figure), cli_history[i].at(figure)) << i << " " << figure;
    }
  }
}

TEST_F(ReadApiTest, TheLogPagesThroughEveryEventOnceAndAMemberSeesItsOwn) {
  auto server = Start();
  std::string admin = Login(*server, alliance_.admin);
  std::vector<json> cli = alliance_.Log();
  std::vector<json> paged;
  std::string cursor;
  for (int page = 0; page < 1000; ++page) {
    RawAnswer answer = Get(server->port(), "/v1/log?limit=7" + cursor, admin);
    ASSERT_EQ(answer.status, 200) << answer.body;
    json body = json::parse(answer.body);
    for (auto& row : body.at("rows")) paged.push_back(row);
    if (body.at("next").is_null()) break;
    cursor = "&cursor=" + std::to_string(body.at("next").get<uint64_t>());
  }
  ASSERT_EQ(paged.size(), cli.size());
  for (size_t i = 0; i < cli.size(); ++i) {
    for (const char* field : {"sequence", "type", "author_org", "subject", "amount", "hash", "event"}) {
      EXPECT_EQ(paged[i].at(field), cli[i].at(field)) << i << " " << field;
    }
  }
  std::string catl = Login(*server, alliance_.finance_catl);
  RawAnswer own = Get(server->port(), "/v1/log?limit=1000", catl);
  ASSERT_EQ(own.status, 200) << own.body;
  size_t catl_events = 0;
  for (const auto& line : cli) catl_events += line.at("author_org") == SampleAlliance::kCatl;
  json rows = json::parse(own.body).at("rows");
  EXPECT_EQ(rows.size(), catl_events);
  EXPECT_GT(catl_events, 0u);
  for (const auto& row : rows) EXPECT_EQ(row.at("author_org"), SampleAlliance::kCatl);
}

TEST_F(ReadApiTest, AMemberFinanceKeyIsRefusedAnotherMembersExpenditures) {
  auto server = Start();
  std::string catl = Login(*server, alliance_.finance_catl);
  const std::string tsinghua = Escape(SampleAlliance::kTsinghua);
  for (const std::string& path : {"/v1/members/" + tsinghua, "/v1/members/" + tsinghua + "/history",
                                 "/v1/members/" + tsinghua + "/history?format=csv",
                                 std::string("/v1/grants/") + SampleAlliance::kGrantBattery + "/history",
                                 "/v1/flags?member=" + tsinghua}) {
    RawAnswer refused = Get(server->port(), path, catl);
    EXPECT_EQ(refused.status, 403) << path << ": " << refused.body;
    EXPECT_EQ(ErrorCode(refused), "forbidden") << path;
  }
  // Its own rows, and the alliance-level totals.
  RawAnswer own = Get(server->port(), std::string("/v1/members/") + SampleAlliance::kCatl + "/history", catl);
  EXPECT_EQ(own.status, 200) << own.body;
  RawAnswer members = Get(server->port(), "/v1/views/members", catl);
  ASSERT_EQ(members.status, 200) << members.body;
  const json member_rows = json::parse(members.body).at("rows");
  EXPECT_FALSE(member_rows.empty());
  for (const auto& row : member_rows) EXPECT_EQ(row.at("org_id"), SampleAlliance::kCatl);
  RawAnswer csv = Get(server->port(), "/v1/views/members?format=csv", catl);
  EXPECT_EQ(csv.body.find(SampleAlliance::kTsinghua), std::string::npos) << csv.body;
  RawAnswer grant = Get(server->port(), std::string("/v1/grants/") + SampleAlliance::kGrantBattery, catl);
  ASSERT_EQ(grant.status, 200) << grant.body;
  const json shares = json::parse(grant.body).at("members");
  EXPECT_FALSE(shares.empty());
  for (const auto& member : shares) EXPECT_EQ(member.at("org_id"), SampleAlliance::kCatl);
  EXPECT_EQ(Get(server->port(), "/v1/views/grants", catl).status, 200);
  // An auditor's view of the same has both members.
  std::string admin = Login(*server, alliance_.admin);
  RawAnswer all = Get(server->port(), "/v1/members/" + tsinghua + "/history", admin);
  EXPECT_EQ(all.status, 200) << all.body;
}

TEST_F(ReadApiTest, ARevokedKeysTokenStopsWorkingAtOnce) {
  auto server = Start();
  std::string token = Login(*server, alliance_.finance_retired);
  ASSERT_EQ(Get(server->port(), "/v1/views/grants", token).status, 200);
  CommandResult revoked = RemoteAppend(*server, alliance_.admin,
                                       EventsFile("revoke", {KeyRevoked(alliance_.finance_retired, "retired")}));
  ASSERT_EQ(revoked.exit_code, 0) << revoked.Describe();
  RawAnswer refused = Get(server->port(), "/v1/views/grants", token);
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(ErrorCode(refused), "key_revoked");
  EXPECT_NE(refused.body.find("was revoked at sequence"), std::string::npos) << refused.body;
  CommandResult login = Fundtrail({"login", "--server", server->url(), "--key", alliance_.finance_retired.path});
  EXPECT_EQ(login.exit_code, 2) << login.Describe();
}

TEST_F(ReadApiTest, BadParametersAndTraversalAre400AndTheServerKeepsServing) {
  auto server = Start();
  std::string token = Login(*server, alliance_.admin);
  for (const std::string path :
       {"/v1/proofs/inclusion?seq=abc", "/v1/proofs/inclusion?seq=99999999999999999999999999",
        "/v1/log?limit=1000000000", "/v1/grants/G-2024-01/history?limit=100000", "/v1/views/grants?as_of_seq=-3",
        "/v1/views/../../../etc/passwd", "/v1/views/%2e%2e/%2e%2e/etc/passwd", "/v1/flags?severity=fatal",
        "/v1/views/grants?as_of_seq=1&as_of_seq=2", "/v1/views/grants?nonsense=1", "/v1/views/grants%00"}) {
    RawAnswer answer = Get(server->port(), path, token);
    EXPECT_EQ(answer.status, 400) << path << ": " << answer.body;
  }
  // Bytes that are not UTF-8 in an id: named in the message (replaced), not a crash.
  RawAnswer not_utf8 = Get(server->port(), "/v1/members/%FF%FE", token);
  EXPECT_EQ(not_utf8.status, 404) << not_utf8.body;
  RawAnswer proof = Get(server->port(), "/v1/proofs/consistency?from=3", token);
  ASSERT_EQ(proof.status, 200) << proof.body;
  EXPECT_EQ(json::parse(proof.body).at("old_size"), 3) << proof.body;
  EXPECT_EQ(Get(server->port(), "/v1/views/grants", token).status, 200);
  EXPECT_EQ(Get(server->port(), "/healthz").status, 200);
}

}  // namespace
}  // namespace fundtrail::testing

