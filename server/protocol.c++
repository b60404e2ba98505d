#include "server/protocol.h"

#include <cstring>

#include "ledger/bytes.h"
#include "ledger/dates.h"
#include "ledger/json_file.h"

namespace fundtrail::server {

nlohmann::ordered_json ReceiptJson(const Receipt& receipt) {
  nlohmann::ordered_json out = {
      {"submission_id", receipt.submission_id},
      {"first_sequence", receipt.first_sequence},
      {"last_sequence", receipt.last_sequence},
      {"appended_at", FormatTimestamp(receipt.appended_at_micros)},
      {"appended_at_micros", receipt.appended_at_micros},
      {"already_appended", receipt.already_appended},
      {"head", HexEncode(receipt.head)},
  };
  nlohmann::ordered_json hashes = nlohmann::ordered_json::array();
  for (const auto& hash : receipt.entry_hashes) hashes.push_back(HexEncode(hash));
  out["entry_hashes"] = hashes;
  return out;
}

Result<Receipt> ReceiptFromJson(const nlohmann::json& json) {
  auto reader = JsonFieldReader::Open(json, "the server's receipt");
  if (!reader) return Error(reader.error());
  Receipt receipt;
  auto id = reader->String("submission_id");
  if (!id) return Error(id.error());
  receipt.submission_id = *id;
  auto first = reader->Unsigned("first_sequence");
  if (!first) return Error(first.error());
  auto last = reader->Unsigned("last_sequence");
  if (!last) return Error(last.error());
  if (*first == 0 || *last < *first) return Error(reader->FieldError("last_sequence", "is before first_sequence"));
  receipt.first_sequence = *first;
  receipt.last_sequence = *last;
  auto micros = reader->Integer("appended_at_micros");
  if (!micros) return Error(micros.error());
  receipt.appended_at_micros = *micros;
  reader->Skip("appended_at");
  auto already = json.find("already_appended");
  reader->Skip("already_appended");
  if (already == json.end() || !already->is_boolean()) {
    return Error(reader->FieldError("already_appended", "must be true or false"));
  }
  receipt.already_appended = already->get<bool>();
  auto head = reader->HexDigest("head");
  if (!head) return Error(head.error());
  receipt.head = *head;
  auto hashes = reader->Array("entry_hashes");
  if (!hashes) return Error(hashes.error());
  if ((*hashes)->size() != receipt.last_sequence - receipt.first_sequence + 1) {
    return Error(reader->FieldError("entry_hashes", "does not list one hash per event"));
  }
  for (const auto& hash : **hashes) {
    if (!hash.is_string()) return Error(reader->FieldError("entry_hashes", "holds a hash that is not a string"));
    auto raw = HexDecode(hash.get<std::string>());
    if (!raw || raw->size() != kDigestSizeBytes) {
      return Error(reader->FieldError("entry_hashes", "holds a hash that is not 64 hex digits"));
    }
    Digest digest;
    std::memcpy(digest.data(), raw->data(), digest.size());
    receipt.entry_hashes.push_back(digest);
  }
  FT_RETURN_IF_ERROR(reader->CheckNoOtherFields());
  return receipt;
}

ErrorAnswer AnswerForRefusal(const Status& status, size_t failed_event_index) {
  ErrorAnswer answer;
  answer.message = status.message();
  answer.event_index = failed_event_index;
  switch (status.code()) {
    case StatusCode::kInvalidArgument: answer.http_status = 422; answer.code = "invalid_submission"; break;
    case StatusCode::kPermissionDenied: answer.http_status = 403; answer.code = "permission_denied"; break;
    case StatusCode::kAlreadyExists: answer.http_status = 409; answer.code = "submission_id_conflict"; break;
    case StatusCode::kBusy: answer.http_status = 503; answer.code = "overloaded"; break;
    case StatusCode::kOk:
    case StatusCode::kNotFound:
    case StatusCode::kCorruption:
    case StatusCode::kIoError:
    case StatusCode::kNotAnchored: answer.http_status = 500; answer.code = "internal_error"; break;
  }
  return answer;
}

std::string ErrorBody(const ErrorAnswer& answer) {
  nlohmann::ordered_json error = {{"code", answer.code}, {"message", answer.message}};
  if (answer.event_index != SIZE_MAX) error["event_index"] = answer.event_index;
  // Invalid UTF-8 (from a request path in a message) is replaced, never thrown on.
  return nlohmann::ordered_json{{"error", error}}.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) +
         "\n";
}

Status StatusForErrorCode(const std::string& code, const std::string& message) {
  if (code == "invalid_submission" || code == "malformed_body" || code == "body_too_large" ||
      code == "unsupported_media_type" || code == "request_timeout") {
    return Status::InvalidArgument(message);
  }
  if (code == "bad_parameter" || code == "bad_request") return Status::InvalidArgument(message);
  // Sign-in and the read rules (docs/API.md): the caller's key or token is refused.
  if (code == "permission_denied" || code == "forbidden" || code == "unauthenticated" || code == "token_unknown" ||
      code == "token_expired" || code == "key_unknown" || code == "key_revoked" || code == "bad_signature" ||
      code == "bad_nonce") {
    return Status::PermissionDenied(message);
  }
  if (code == "submission_id_conflict") return Status::AlreadyExists(message);
  if (code == "overloaded") return Status::Busy(message);
  return Status::IoError(message);
}

}  // namespace fundtrail::server
