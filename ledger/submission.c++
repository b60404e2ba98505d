#include "ledger/submission.h"

#include "ledger/json_codec.h"

namespace fundtrail {

Result<std::string> EncodeEvent(const nlohmann::json& object) {
  capnp::MallocMessageBuilder message;
  auto event = message.initRoot<schema::Event>();
  FT_RETURN_IF_ERROR(DecodeEventJson(object, event));
  return CanonicalBytes(event.asReader());
}

SignedSubmission SignSubmission(const PrivateKey& key, std::string_view ledger_id,
                                const std::string& submission_id, int64_t created_at_micros,
                                std::vector<std::string> canonical_events) {
  FT_ASSERT(!canonical_events.empty());
  FT_ASSERT(canonical_events.size() <= kSubmissionEventCountMax);
  FT_ASSERT(ledger_id.size() == kLedgerIdSizeBytes);
  capnp::MallocMessageBuilder message;
  auto body = message.initRoot<schema::SubmissionBody>();
  body.setLedgerId(capnp::Data::Reader(reinterpret_cast<const capnp::byte*>(ledger_id.data()), ledger_id.size()));
  body.setSubmissionId(submission_id);
  const std::string& key_id = key.public_key().key_id();
  body.setKeyId(capnp::Data::Reader(reinterpret_cast<const capnp::byte*>(key_id.data()), key_id.size()));
  body.setCreatedAt(created_at_micros);
  body.setEventCount(static_cast<uint32_t>(canonical_events.size()));
  auto digests = body.initEventDigests(static_cast<uint32_t>(canonical_events.size()));
  ChainHasher hasher;
  for (size_t i = 0; i < canonical_events.size(); ++i) {
    Digest digest = hasher.Event(canonical_events[i]);
    digests.set(i, capnp::Data::Reader(digest.data(), digest.size()));
  }
  SignedSubmission signed_submission;
  signed_submission.canonical_body = CanonicalBytes(body.asReader());
  signed_submission.signature = key.Sign(AsBytes(SignedMessage(signed_submission.canonical_body)));
  signed_submission.canonical_events = std::move(canonical_events);
  return signed_submission;
}

std::string ContentSubmissionId(const std::string& key_id,
                                const std::vector<std::string>& canonical_events) {
  Sha256 hash;
  hash.Update(std::string_view("FTSUBID1"));
  hash.Update(key_id);
  ChainHasher hasher;
  for (const auto& event : canonical_events) {
    Digest digest = hasher.Event(event);
    hash.Update(ByteSpan(digest));
  }
  Digest digest = hash.Finish();
  return "content-" + HexEncode(ByteSpan(digest.data(), 16));
}

}  // namespace fundtrail
