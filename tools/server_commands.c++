// `fundtrail serve`, and the client commands that reach a server: `append --server`, `sign`,
// `submit`. Wiring only: the server and its client are in server/.
#include <fstream>
#include <iostream>
#include <sstream>

#include "ledger/client.h"
#include "ledger/input_rules.h"
#include "ledger/json_file.h"
#include "ledger/wire.h"
#include "server/http_client.h"
#include "server/http_server.h"
#include "tools/commands.h"

namespace fundtrail {

int RunServe(const server::ServeOptions& options, Clock* clock) {
  Status served = server::Serve(options, clock, [](const std::string& address) {
    // The first line on stdout, for scripts and tests that start the server on port 0.
    std::cout << "listening on http://" << address << std::endl;
  });
  if (!served.ok()) return ReportError(served);
  return kExitOk;
}

namespace {

// The events of `input`, signed as one submission for `ledger_id` (16 raw bytes).
Result<SignedSubmission> SignInput(const PrivateKey& key, const EventBatch& batch, const std::string& ledger_id,
                                   std::string submission_id, Clock* clock) {
  if (submission_id.empty()) submission_id = ContentSubmissionId(key.public_key().key_id(), batch.canonical_events);
  if (Status checked = CheckSubmissionIdV2(submission_id); !checked.ok()) return Error(checked);
  return SignSubmission(key, ledger_id, submission_id, clock->NowMicros(), batch.canonical_events);
}

// Posts an envelope and prints the receipt. `batch`, when given, names the line of an event the
// server refused, as `fundtrail append` does.
int PostAndPrint(const server::ServerUrl& url, const std::string& envelope, const EventBatch* batch, bool json) {
  size_t event_index = SIZE_MAX;
  auto receipt = server::PostSubmission(url, envelope, &event_index);
  if (!receipt) {
    Status error = receipt.error();
    if (event_index != SIZE_MAX) {
      error = batch != nullptr && event_index < batch->canonical_events.size()
                  ? error.WithPrefix(EventLocation(*batch, event_index))
                  : error.WithPrefix("event " + std::to_string(event_index + 1) + " of the submission");
    }
    return ReportError(error);
  }
  PrintReceipt(*receipt, json);
  return kExitOk;
}

}  // namespace

int RunRemoteAppend(const std::string& server_url, const std::string& key_path, const std::string& input,
                    const std::string& submission_id, bool json, Clock* clock) {
  auto url = server::ParseServerUrl(server_url);
  if (!url) return ReportError(url.error());
  auto key = PrivateKey::FromPemFile(key_path);
  if (!key) return ReportError(key.error());
  auto batch = ReadJsonLinesFile(input);
  if (!batch) return ReportError(batch.error());
  auto head = server::FetchHead(*url);
  if (!head) return ReportError(head.error());
  auto submission = SignInput(*key, *batch, head->ledger_id, submission_id, clock);
  if (!submission) return ReportError(submission.error());
  return PostAndPrint(*url, EncodeSignedSubmission(*submission), &*batch, json);
}

int RunSign(const SignCommandOptions& options, Clock* clock) {
  std::string ledger_id;
  if (!options.ledger_id_hex.empty() && !options.server.empty()) {
    return ReportError(Status::InvalidArgument("give --ledger-id or --server, not both"));
  }
  if (!options.ledger_id_hex.empty()) {
    auto raw = HexDecode(options.ledger_id_hex);
    if (!raw || raw->size() != kLedgerIdSizeBytes) {
      return ReportError(Status::InvalidArgument("--ledger-id \"" + options.ledger_id_hex +
                                                 "\" is not 32 hex digits (fundtrail head prints the ledger id)"));
    }
    ledger_id = *raw;
  } else if (!options.server.empty()) {
    auto url = server::ParseServerUrl(options.server);
    if (!url) return ReportError(url.error());
    auto head = server::FetchHead(*url);
    if (!head) return ReportError(head.error());
    ledger_id = head->ledger_id;
  } else {
    return ReportError(Status::InvalidArgument(
        "give the ledger to sign for: --ledger-id HEX (offline) or --server URL"));
  }
  auto key = PrivateKey::FromPemFile(options.key);
  if (!key) return ReportError(key.error());
  auto batch = ReadJsonLinesFile(options.input);
  if (!batch) return ReportError(batch.error());
  auto submission = SignInput(*key, *batch, ledger_id, options.submission_id, clock);
  if (!submission) return ReportError(submission.error());
  Status written = WriteFileAtomically(options.out, EncodeSignedSubmission(*submission) + "\n");
  if (!written.ok()) return ReportError(written);
  std::cout << "signed: " << batch->canonical_events.size()
            << (batch->canonical_events.size() == 1 ? " event" : " events") << " by key "
            << HexEncode(AsBytes(key->public_key().key_id())) << " for ledger " << HexEncode(AsBytes(ledger_id))
            << " into " << options.out << "\n"
            << "send it with: fundtrail submit " << options.out << " --server URL" << std::endl;
  return kExitOk;
}

int RunSubmit(const std::string& server_url, const std::string& file, bool json) {
  auto url = server::ParseServerUrl(server_url);
  if (!url) return ReportError(url.error());
  auto size = CheckRegularFile(file, "signed submission", kJsonFileSizeBytesMax);
  if (!size) return ReportError(size.error());
  std::ifstream stream(file, std::ios::binary);
  std::stringstream text;
  text << stream.rdbuf();
  if (!stream) return ReportError(Status::IoError("cannot read " + file));
  std::string envelope = text.str();
  while (!envelope.empty() && (envelope.back() == '\n' || envelope.back() == '\r')) envelope.pop_back();
  // Checked here too, so that a damaged file is named before anything is sent.
  auto decoded = DecodeSignedSubmission(envelope, file);
  if (!decoded) return ReportError(decoded.error());
  return PostAndPrint(*url, envelope, nullptr, json);
}

int RunLogin(const std::string& server_url, const std::string& key_path, bool json) {
  auto url = server::ParseServerUrl(server_url);
  if (!url) return ReportError(url.error());
  auto key = PrivateKey::FromPemFile(key_path);
  if (!key) return ReportError(key.error());
  auto answer = server::SignIn(*url, *key);
  if (!answer) return ReportError(answer.error());
  if (json) {
    std::cout << answer->dump() << std::endl;
    return kExitOk;
  }
  std::string roles;
  for (const auto& role : (*answer)["roles"]) roles += (roles.empty() ? "" : ", ") + role.get<std::string>();
  std::cout << answer->value("token", "") << "\n"
            << "signed in as key " << answer->value("key_id", "") << " of " << answer->value("org", "") << " ("
            << roles << "), reads " << answer->value("scope", "") << ", until " << answer->value("expires", "")
            << "\nsend it as: Authorization: Bearer TOKEN" << std::endl;
  return kExitOk;
}

}  // namespace fundtrail
