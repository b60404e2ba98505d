#include "ledger/client.h"

#include <openssl/rand.h>

#include <fstream>
#include <iostream>

#include "ledger/json_codec.h"
#include "ledger/json_file.h"
#include "ledger/validator.h"

namespace fundtrail {

Result<EventBatch> ReadJsonLines(std::istream& input, const std::string& source) {
  EventBatch batch;
  batch.source = source;
  std::string line;
  size_t line_number = 0;
  while (std::getline(input, line)) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::string where = source + ": line " + std::to_string(line_number);
    // Strict: a key given twice is refused (nlohmann would keep the last, so `"amount"` twice or
    // even `"type"` twice would silently change the event).
    auto parsed = ParseJson(line, where);
    if (!parsed && nlohmann::json::accept(line)) return Error(parsed.error());
    if (!parsed) {
      // Parse again with exceptions, only to get the position of the error.
      std::string detail;
      try {
        auto unused = nlohmann::json::parse(line);
        (void)unused;
      } catch (const nlohmann::json::parse_error& error) {
        detail = " at column " + std::to_string(error.byte);
      } catch (const nlohmann::json::exception&) {
        detail = " (a number too large to read: amounts are strings such as \"1250.00 CNY\")";
      }
      return Error(Status::InvalidArgument(where + ": malformed JSON" + detail +
                                           "; each line must be one JSON object"));
    }
    const nlohmann::json& object = *parsed;
    std::string type = object.is_object() && object.contains("type") && object["type"].is_string()
                           ? object["type"].get<std::string>()
                           : "?";
    auto event = EncodeEvent(object);
    if (!event) return Error(event.error().WithPrefix(where + " (" + type + ")"));
    batch.canonical_events.push_back(std::move(*event));
    batch.line_numbers.push_back(line_number);
    batch.types.push_back(type);
    if (batch.canonical_events.size() > kSubmissionEventCountMax) {
      return Error(Status::InvalidArgument(where + ": more than " + std::to_string(kSubmissionEventCountMax) +
                                           " events in one submission; split the file"));
    }
  }
  if (input.bad()) return Error(Status::IoError("cannot read " + source));
  if (batch.canonical_events.empty()) {
    return Error(Status::InvalidArgument(source + ": no events (the input is empty)"));
  }
  return batch;
}

Result<EventBatch> ReadJsonLinesFile(const std::string& path) {
  if (path == "-") return ReadJsonLines(std::cin, "stdin");
  std::ifstream file(path);
  if (!file) return Error(Status::NotFound("cannot open " + path));
  return ReadJsonLines(file, path);
}

std::string EventLocation(const EventBatch& batch, size_t index) {
  FT_ASSERT(index < batch.canonical_events.size());
  return batch.source + ": line " + std::to_string(batch.line_numbers[index]) + " (" + batch.types[index] + ")";
}

Result<Receipt> AppendBatch(Ledger& ledger, const PrivateKey& key, const EventBatch& batch,
                            std::string submission_id, Clock* clock) {
  if (submission_id.empty()) {
    submission_id = ContentSubmissionId(key.public_key().key_id(), batch.canonical_events);
  }
  SignedSubmission submission = SignSubmission(key, ledger.ledger_id(), submission_id,
                                               clock->NowMicros(), batch.canonical_events);
  size_t failed_event_index = SIZE_MAX;
  auto receipt = ledger.Append(submission, &failed_event_index);
  if (!receipt && failed_event_index != SIZE_MAX) {
    return Error(receipt.error().WithPrefix(EventLocation(batch, failed_event_index)));
  }
  return receipt;
}

Result<std::unique_ptr<Ledger>> InitLedger(const InitOptions& options, Clock* clock) {
  auto operator_key = PrivateKey::FromPemFile(options.operator_key_path);
  if (!operator_key) return Error(operator_key.error());
  std::string date = options.date.empty() ? FormatDate(static_cast<int32_t>(clock->NowMicros() / 86400000000LL))
                                          : options.date;
  std::string ledger_id(kLedgerIdSizeBytes, '\0');
  FT_ASSERT(RAND_bytes(reinterpret_cast<unsigned char*>(ledger_id.data()), kLedgerIdSizeBytes) == 1);

  nlohmann::json genesis = {
      {"type", "ledger_genesis"},
      {"ledger_id", HexEncode(AsBytes(ledger_id))},
      {"alliance_id", options.alliance_id},
      {"alliance_name", options.alliance_name},
      {"operator_public_key", HexEncode(AsBytes(operator_key->public_key().raw()))},
      {"date", date},
  };
  if (!options.alliance_name_en.empty()) genesis["alliance_name_en"] = options.alliance_name_en;
  auto first = EncodeEvent(genesis);
  if (!first) return Error(first.error().WithPrefix("the alliance"));

  EventBatch batch;
  batch.source = options.genesis_path.empty() ? "genesis" : options.genesis_path;
  if (!options.genesis_path.empty()) {
    auto read = ReadJsonLinesFile(options.genesis_path);
    if (!read) return Error(read.error());
    batch = std::move(*read);
  }
  batch.canonical_events.insert(batch.canonical_events.begin(), std::move(*first));
  batch.line_numbers.insert(batch.line_numbers.begin(), 0);
  batch.types.insert(batch.types.begin(), "ledger_genesis");
  if (!options.admin_public_key_paths.empty() && !options.admin_org_id.empty()) {
    // Say which option to fix, rather than let the validator blame an event the user never wrote.
    bool registered = false;
    for (const auto& bytes : batch.canonical_events) {
      auto event = DecodedEvent::Open(bytes, "event");
      FT_ASSERT(event.has_value());
      registered |= event->root().isOrganisationRegistered() &&
                    event->root().getOrganisationRegistered().getOrgId() == options.admin_org_id.c_str();
    }
    if (!registered) {
      return Error(Status::InvalidArgument(
          "--admin-org \"" + options.admin_org_id + "\" is not registered by the genesis; put an "
          "organisation_registered event for it in the --genesis file"));
    }
  }
  for (const auto& path : options.admin_public_key_paths) {
    auto admin = PublicKey::FromPemFile(path);
    if (!admin) return Error(admin.error());
    if (options.admin_org_id.empty()) {
      return Error(Status::InvalidArgument("--admin-key needs --admin-org, the organisation the key belongs to"));
    }
    auto event = EncodeEvent({{"type", "key_registered"},
                              {"public_key", HexEncode(AsBytes(admin->raw()))},
                              {"org_id", options.admin_org_id},
                              {"roles", {"admin"}},
                              {"label", "admin key from " + path}});
    if (!event) return Error(event.error().WithPrefix(path));
    batch.canonical_events.push_back(std::move(*event));
    batch.line_numbers.push_back(0);
    batch.types.push_back("key_registered");
  }
  bool has_admin = false;
  for (const auto& bytes : batch.canonical_events) {
    auto event = DecodedEvent::Open(bytes, "event");
    FT_ASSERT(event.has_value());
    if (event->root().isKeyRegistered()) {
      for (auto role : event->root().getKeyRegistered().getRoles()) has_admin |= role == schema::Role::ADMIN;
    }
  }
  if (!has_admin) {
    return Error(Status::InvalidArgument(
        "the genesis registers no admin key, so nobody could append; pass --admin-key PUB.pem "
        "--admin-org ORG_ID, or put a key_registered event with role admin in --genesis"));
  }
  SignedSubmission submission = SignSubmission(*operator_key, ledger_id, "genesis", clock->NowMicros(),
                                               batch.canonical_events);
  auto ledger = Ledger::Create(options.directory, submission, clock);
  if (!ledger) return ledger;
  return ledger;
}

}  // namespace fundtrail
