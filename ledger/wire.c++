#include "ledger/wire.h"

#include "ledger/bytes.h"
#include "ledger/json_file.h"

namespace fundtrail {

std::string EncodeSignedSubmission(const SignedSubmission& submission) {
  nlohmann::ordered_json events = nlohmann::ordered_json::array();
  for (const std::string& event : submission.canonical_events) events.push_back(HexEncode(AsBytes(event)));
  nlohmann::ordered_json envelope = {
      {"format", kSignedSubmissionFormat},
      {"body", HexEncode(AsBytes(submission.canonical_body))},
      {"signature", HexEncode(AsBytes(submission.signature))},
      {"events", std::move(events)},
  };
  return envelope.dump();
}

namespace {

// Hex digits of any length, decoded. Empty is refused: no part of a submission is.
Result<std::string> HexText(std::string_view text, const std::string& where) {
  if (text.empty()) return Error(Status::InvalidArgument(where + " is empty"));
  auto raw = HexDecode(text);
  if (!raw) return Error(Status::InvalidArgument(where + " is not hex digits: " + raw.error().message()));
  return raw;
}

}  // namespace

Result<SignedSubmission> DecodeSignedSubmission(std::string_view text, const std::string& where) {
  auto parsed = ParseJson(text, where);
  if (!parsed) return Error(parsed.error());
  auto reader = JsonFieldReader::Open(*parsed, where);
  if (!reader) return Error(reader.error());
  auto format = reader->String("format");
  if (!format) return Error(format.error());
  if (*format != kSignedSubmissionFormat) {
    return Error(reader->FieldError("format", "is \"" + *format + "\", expected \"" +
                                                  kSignedSubmissionFormat + "\""));
  }
  auto body = reader->String("body");
  if (!body) return Error(body.error());
  SignedSubmission submission;
  auto body_raw = HexText(*body, where + ": field \"body\"");
  if (!body_raw) return Error(body_raw.error());
  submission.canonical_body = std::move(*body_raw);
  auto signature = reader->Hex("signature", 64);
  if (!signature) return Error(signature.error());
  submission.signature = std::move(*signature);
  auto events = reader->Array("events");
  if (!events) return Error(events.error());
  if ((*events)->empty()) return Error(reader->FieldError("events", "is empty: give at least one event"));
  if ((*events)->size() > kSubmissionEventCountMax) {
    return Error(reader->FieldError("events", "has " + std::to_string((*events)->size()) +
                                                  " events, the limit is " +
                                                  std::to_string(kSubmissionEventCountMax)));
  }
  submission.canonical_events.reserve((*events)->size());
  for (size_t i = 0; i < (*events)->size(); ++i) {
    const nlohmann::json& item = (**events)[i];
    const std::string item_where = where + ": events[" + std::to_string(i) + "]";
    if (!item.is_string()) return Error(Status::InvalidArgument(item_where + " must be a string of hex digits"));
    auto event = HexText(item.get_ref<const std::string&>(), item_where);
    if (!event) return Error(event.error());
    submission.canonical_events.push_back(std::move(*event));
  }
  FT_RETURN_IF_ERROR(reader->CheckNoOtherFields());
  return submission;
}

}  // namespace fundtrail
