#include "ledger/replayer.h"

#include "ledger/json_codec.h"
#include "ledger/merkle.h"

namespace fundtrail {

namespace {
std::string Str(capnp::Data::Reader data) {
  return std::string(reinterpret_cast<const char*>(data.begin()), data.size());
}
}  // namespace

Replayer::Replayer(EventLookup* lookup) : validator_(&state_, lookup) {}

Status Replayer::BeginSubmission(std::string_view canonical_submission) {
  FT_ASSERT(!submission_.has_value(), "BeginSubmission without EndSubmission");
  uint64_t first = last_sequence_ + 1;
  std::string where = "submission at sequence " + std::to_string(first);
  auto decoded = DecodedSubmission::Open(canonical_submission, where);
  if (!decoded) return decoded.error();
  auto submission = decoded->root();
  auto body = submission.getBody();
  if (submission.getFirstSequence() != first) {
    return Status::Corruption(where + ": records first sequence " +
                              std::to_string(submission.getFirstSequence()));
  }
  if (body.getEventCount() == 0 || body.getEventDigests().size() != body.getEventCount()) {
    return Status::Corruption(where + ": event count " + std::to_string(body.getEventCount()) +
                              " does not match its " + std::to_string(body.getEventDigests().size()) +
                              " event digests");
  }
  if (const LedgerMeta* ledger = state_.ledger()) {
    if (HexEncode(AsBytes(Str(body.getLedgerId()))) != ledger->ledger_id_hex) {
      return Status::Corruption(where + ": signed for another ledger (" +
                                HexEncode(AsBytes(Str(body.getLedgerId()))) + ")");
    }
  }
  submission_digest_ = SubmissionDigest(canonical_submission);
  key_id_hex_ = HexEncode(AsBytes(Str(body.getKeyId())));
  events_seen_ = 0;
  signature_checked_ = false;
  submission_ = std::move(*decoded);
  if (first != 1) {
    // Key validity as of the start of the submission; each event rechecks it.
    auto key = validator_.SigningKey(key_id_hex_);
    if (!key) return Status::Corruption(where + ": " + key.error().message());
    FT_RETURN_IF_ERROR(VerifySignature(*key));
  }
  return Status::Ok();
}

Status Replayer::VerifySignature(const std::string& public_key_raw) {
  auto submission = submission_->root();
  auto key = PublicKey::FromRaw(public_key_raw);
  FT_ASSERT(key.has_value());
  std::string message = SignedMessage(CanonicalBytes(submission.getBody()));
  if (!key->Verify(AsBytes(message), Str(submission.getSignature()))) {
    return Status::Corruption("submission at sequence " + std::to_string(submission.getFirstSequence()) +
                              ": the signature by key " + key_id_hex_ + " does not verify");
  }
  signature_checked_ = true;
  return Status::Ok();
}

Status Replayer::AddEntry(uint64_t sequence, std::string_view record) {
  FT_ASSERT(submission_.has_value(), "AddEntry outside a submission");
  std::string where = "sequence " + std::to_string(sequence);
  if (sequence != last_sequence_ + 1) {
    return Status::Corruption("sequence " + std::to_string(last_sequence_ + 1) +
                              " is missing (the next stored entry is " + std::to_string(sequence) + ")");
  }
  auto submission = submission_->root();
  auto body = submission.getBody();
  if (events_seen_ >= body.getEventCount()) {
    return Status::Corruption(where + ": entry beyond the " + std::to_string(body.getEventCount()) +
                              " events of its submission at sequence " +
                              std::to_string(submission.getFirstSequence()));
  }
  auto entry = DecodeEntry(record);
  if (!entry) return entry.error().WithPrefix(where);
  if (entry->submission_sequence != submission.getFirstSequence()) {
    return Status::Corruption(where + ": entry names submission " +
                              std::to_string(entry->submission_sequence) + ", expected " +
                              std::to_string(submission.getFirstSequence()));
  }
  Digest event_digest = hasher_.Event(entry->canonical_event);
  auto signed_digest = body.getEventDigests()[events_seen_];
  if (signed_digest.size() != 32 ||
      std::memcmp(signed_digest.begin(), event_digest.data(), 32) != 0) {
    return Status::Corruption(where + ": the event differs from the digest its submission signed "
                              "(the event was altered or moved)");
  }
  Digest chain = hasher_.Chain(head_, sequence, submission_digest_, event_digest);
  if (chain != entry->chain_hash) {
    return Status::Corruption(where + ": stored chain hash " + HexEncode(entry->chain_hash) +
                              " differs from the recomputed " + HexEncode(chain));
  }
  auto event = DecodedEvent::Open(entry->canonical_event, where);
  if (!event) return event.error();
  bool genesis = submission.getFirstSequence() == 1;
  Status applied = validator_.Apply(sequence, key_id_hex_, genesis, event->root());
  if (!applied.ok()) {
    return Status::Corruption(where + " (" + EventTypeName(event->root()) + "): " + applied.message());
  }
  if (genesis && !signature_checked_) {
    // The genesis submission is signed by the operator key its first event declares.
    const LedgerMeta* ledger = state_.ledger();
    FT_ASSERT(ledger != nullptr);
    if (HexEncode(AsBytes(Str(body.getLedgerId()))) != ledger->ledger_id_hex) {
      return Status::Corruption("submission at sequence 1: ledger id differs from ledger_genesis");
    }
    auto raw = HexDecode(ledger->operator_public_key_hex);
    FT_ASSERT(raw.has_value());
    FT_RETURN_IF_ERROR(VerifySignature(*raw));
  }
  head_ = chain;
  last_sequence_ = sequence;
  // Append the leaf to the compact range, merging equal-height subtrees.
  last_leaf_ = LogLeafHash(chain);
  merkle_range_.emplace_back(0, last_leaf_);
  while (merkle_range_.size() >= 2 &&
         merkle_range_[merkle_range_.size() - 2].first == merkle_range_.back().first) {
    Digest right = merkle_range_.back().second;
    merkle_range_.pop_back();
    merkle_range_.back().second = MerkleNodeHash(merkle_range_.back().second, right);
    merkle_range_.back().first += 1;
  }
  ++events_seen_;
  return Status::Ok();
}

Digest Replayer::MerkleRoot() const {
  if (merkle_range_.empty()) return MerkleEmptyRoot();
  // RFC 9162: the right-most subtrees combine first.
  Digest root = merkle_range_.back().second;
  for (size_t i = merkle_range_.size() - 1; i > 0; --i) root = MerkleNodeHash(merkle_range_[i - 1].second, root);
  return root;
}

uint32_t Replayer::events_remaining() const {
  FT_ASSERT(submission_.has_value());
  return submission_->root().getBody().getEventCount() - events_seen_;
}

Status Replayer::EndSubmission() {
  FT_ASSERT(submission_.has_value(), "EndSubmission without BeginSubmission");
  auto submission = submission_->root();
  if (events_seen_ != submission.getBody().getEventCount()) {
    return Status::Corruption("submission at sequence " + std::to_string(submission.getFirstSequence()) +
                              " signed " + std::to_string(submission.getBody().getEventCount()) +
                              " events, the log holds " + std::to_string(events_seen_) +
                              " (sequence " + std::to_string(last_sequence_ + 1) + " is missing)");
  }
  FT_ASSERT(signature_checked_);
  submission_.reset();
  ++submission_count_;
  return Status::Ok();
}

}  // namespace fundtrail
