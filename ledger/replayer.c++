#include "ledger/replayer.h"

#include <cstring>

#include "ledger/input_rules.h"
#include "ledger/json_codec.h"
#include "ledger/submission.h"
#include "ledger/merkle.h"

namespace fundtrail {

namespace {
std::string Str(capnp::Data::Reader data) {
  return std::string(reinterpret_cast<const char*>(data.begin()), data.size());
}
}  // namespace

Replayer::Replayer(EventLookup* lookup) : validator_(&state_, lookup), lookup_(lookup) {}

Status Replayer::BeginSubmission(std::string_view canonical_submission, const SubmissionPrecheck* precheck) {
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
  FT_RETURN_IF_ERROR(CheckEnvelope(submission, where));
  // A precheck counts for these very bytes only.
  if (precheck != nullptr && precheck->record != canonical_submission) precheck = nullptr;
  submission_digest_ = precheck != nullptr ? precheck->digest : SubmissionDigest(canonical_submission);
  key_id_hex_ = HexEncode(AsBytes(Str(body.getKeyId())));
  events_seen_ = 0;
  signature_checked_ = false;
  submission_ = std::move(*decoded);
  if (folding()) fold_->Begin();
  if (first != 1) {
    // Key validity as of the start of the submission; each event rechecks it.
    auto key = validator_.SigningKey(key_id_hex_);
    if (!key) return Status::Corruption(where + ": " + key.error().message());
    if (precheck != nullptr && !precheck->verified_public_key.empty() && precheck->verified_public_key == *key) {
      signature_checked_ = true;  // verified ahead with the key the state names
    } else {
      FT_RETURN_IF_ERROR(VerifySignature(*key));
    }
  }
  return Status::Ok();
}

Status Replayer::CheckEnvelope(schema::Submission::Reader submission, const std::string& where) {
  auto body = submission.getBody();
  // What Ledger::Append refuses, a replay refuses too: no ledger that append could not have
  // written verifies (docs/FORMAT.md, section 2).
  if (body.getEventCount() > kSubmissionEventCountMax) {
    return Status::Corruption(where + ": " + std::to_string(body.getEventCount()) + " events, the limit is " +
                              std::to_string(kSubmissionEventCountMax));
  }
  const uint16_t version = ValidationVersionOf(submission);
  if (version > kValidationVersionCurrent) {
    return Status::Corruption(where + ": validation version " + std::to_string(version) +
                              " is newer than this fundtrail knows (" + std::to_string(kValidationVersionCurrent) +
                              "); verify with a newer fundtrail");
  }
  if (version < validator_.validation_version()) {
    return Status::Corruption(where + ": validation version " + std::to_string(version) + " after version " +
                              std::to_string(validator_.validation_version()) + " (versions never decrease)");
  }
  validator_.set_validation_version(version);
  std::string_view id(body.getSubmissionId().cStr(), body.getSubmissionId().size());
  if (version >= 2) {
    Status checked = CheckSubmissionIdV2(id);
    if (!checked.ok()) return Status::Corruption(where + ": " + checked.message());
  } else if (id.empty() || id.size() > kSubmissionIdSizeBytesMax) {
    return Status::Corruption(where + ": the submission id has " + std::to_string(id.size()) +
                              " bytes, it must have 1 to " + std::to_string(kSubmissionIdSizeBytesMax));
  }
  if (submission.hasStateDigest() && submission.getStateDigest().size() != kDigestSizeBytes) {
    return Status::Corruption(where + ": its state digest has " + std::to_string(submission.getStateDigest().size()) +
                              " bytes, expected 32");
  }
  if (version >= kValidationVersionViews && (!submission.hasViewsDigest() || submission.getViewsVersion() == 0)) {
    return Status::Corruption(where + ": validation version " + std::to_string(version) +
                              " requires the views' digest and its version, and the submission lacks them");
  }
  if (submission.hasViewsDigest() && submission.getViewsDigest().size() != kDigestSizeBytes) {
    return Status::Corruption(where + ": its views digest has " + std::to_string(submission.getViewsDigest().size()) +
                              " bytes, expected 32");
  }
  return Status::Ok();
}

Status Replayer::VerifySubmissionSignature(schema::Submission::Reader submission,
                                           const std::string& key_id_hex,
                                           const std::string& public_key_raw) {
  auto key = PublicKey::FromRaw(public_key_raw);
  FT_ASSERT(key.has_value());
  std::string message = SignedMessage(CanonicalBytes(submission.getBody()));
  if (!key->Verify(AsBytes(message), Str(submission.getSignature()))) {
    return Status::Corruption("submission at sequence " + std::to_string(submission.getFirstSequence()) +
                              ": the signature by key " + key_id_hex + " does not verify");
  }
  return Status::Ok();
}

Status Replayer::VerifySignature(const std::string& public_key_raw) {
  FT_RETURN_IF_ERROR(VerifySubmissionSignature(submission_->root(), key_id_hex_, public_key_raw));
  signature_checked_ = true;
  return Status::Ok();
}

Result<CheckedEntry> Replayer::CheckEntry(ChainHasher* hasher, uint64_t sequence,
                                          schema::Submission::Reader submission, const Digest& submission_digest,
                                          uint32_t index, const Digest& previous, std::string_view record) {
  std::string where = "sequence " + std::to_string(sequence);
  auto body = submission.getBody();
  if (index >= body.getEventCount()) {
    return Error(Status::Corruption(where + ": entry beyond the " + std::to_string(body.getEventCount()) +
                                    " events of its submission at sequence " +
                                    std::to_string(submission.getFirstSequence())));
  }
  auto entry = DecodeEntry(record);
  if (!entry) return Error(entry.error().WithPrefix(where));
  if (entry->submission_sequence != submission.getFirstSequence()) {
    return Error(Status::Corruption(where + ": entry names submission " +
                                    std::to_string(entry->submission_sequence) + ", expected " +
                                    std::to_string(submission.getFirstSequence())));
  }
  Digest event_digest = hasher->Event(entry->canonical_event);
  auto signed_digest = body.getEventDigests()[index];
  if (signed_digest.size() != 32 ||
      std::memcmp(signed_digest.begin(), event_digest.data(), 32) != 0) {
    return Error(Status::Corruption(where + ": the event differs from the digest its submission signed "
                                    "(the event was altered or moved)"));
  }
  Digest chain = hasher->Chain(previous, sequence, submission_digest, event_digest);
  if (chain != entry->chain_hash) {
    return Error(Status::Corruption(where + ": stored chain hash " + HexEncode(entry->chain_hash) +
                                    " differs from the recomputed " + HexEncode(chain)));
  }
  auto event = DecodedEvent::Open(entry->canonical_event, where);
  if (!event) return Error(event.error());
  return CheckedEntry{chain, std::move(*event)};
}

Status Replayer::AddEntry(uint64_t sequence, std::string_view record, const EntryPrecheck* precheck) {
  FT_ASSERT(submission_.has_value(), "AddEntry outside a submission");
  std::string where = "sequence " + std::to_string(sequence);
  if (sequence != last_sequence_ + 1) {
    return Status::Corruption("sequence " + std::to_string(last_sequence_ + 1) +
                              " is missing (the next stored entry is " + std::to_string(sequence) + ")");
  }
  auto submission = submission_->root();
  auto body = submission.getBody();
  // A precheck stands for CheckEntry only if it was made with the same inputs.
  const bool prechecked = precheck != nullptr && precheck->checked.has_value() && precheck->index == events_seen_ &&
                          precheck->submission_digest == submission_digest_ && precheck->previous_chain_hash == head_ &&
                          precheck->record == record;
  std::optional<CheckedEntry> own;
  if (!prechecked) {
    auto checked = CheckEntry(&hasher_, sequence, submission, submission_digest_, events_seen_, head_, record);
    if (!checked) return checked.error();
    own = std::move(*checked);
  }
  const CheckedEntry& checked = prechecked ? *precheck->checked : *own;
  Digest chain = checked.chain_hash;
  bool genesis = submission.getFirstSequence() == 1;
  Status applied = validator_.Apply(sequence, key_id_hex_, genesis, checked.event.root(),
                                    /*input_checked=*/prechecked && precheck->input_checked);
  if (!applied.ok()) {
    return Status::Corruption(where + " (" + EventTypeName(checked.event.root()) + "): " + applied.message());
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
  if (folding()) {
    Status folded = fold_->Apply(sequence, checked.event.root(), lookup_);
    if (!folded.ok()) {
      return Status::Corruption(where + " (" + EventTypeName(checked.event.root()) + "): the views' fold refuses it: " +
                                folded.message());
    }
  }
  head_ = chain;
  last_sequence_ = sequence;
  last_leaf_ = prechecked ? precheck->leaf_hash : LogLeafHash(chain);
  CompactRangeAppend(&merkle_range_, last_leaf_);
  ++events_seen_;
  return Status::Ok();
}

Result<Digest> Replayer::ApplyContext(uint64_t sequence, std::string_view canonical_submission,
                                      const Digest& previous_chain_hash, std::string_view record) {
  std::string where = "context event " + std::to_string(sequence);
  if (sequence <= context_sequence_ || sequence <= last_sequence_) {
    return Error(Status::Corruption(where + ": context events must come in increasing order before the range"));
  }
  if (context_sequence_ == 0 && sequence != 1) {
    return Error(Status::Corruption(where + ": the first context event must be the genesis (sequence 1)"));
  }
  // As a replay from the start: the chain begins at zero (FORMAT.md section 3).
  if (sequence == 1 && previous_chain_hash != Digest{}) {
    return Error(Status::Corruption(where + ": the chain hash before sequence 1 must be zero"));
  }
  auto decoded = DecodedSubmission::Open(canonical_submission, where + ", its submission");
  if (!decoded) return Error(decoded.error());
  auto submission = decoded->root();
  auto body = submission.getBody();
  uint64_t first = submission.getFirstSequence();
  if (first == 0 || first > sequence || body.getEventDigests().size() != body.getEventCount()) {
    return Error(Status::Corruption(where + ": its submission (first sequence " + std::to_string(first) +
                                    ", " + std::to_string(body.getEventCount()) + " events) does not hold it"));
  }
  if (const LedgerMeta* ledger = state_.ledger()) {
    if (HexEncode(AsBytes(Str(body.getLedgerId()))) != ledger->ledger_id_hex) {
      return Error(Status::Corruption(where + ": signed for another ledger (" +
                                      HexEncode(AsBytes(Str(body.getLedgerId()))) + ")"));
    }
  }
  FT_RETURN_IF_ERROR(CheckEnvelope(submission, where + ", its submission"));
  Digest submission_digest = SubmissionDigest(canonical_submission);
  auto checked = CheckEntry(&hasher_, sequence, submission, submission_digest, static_cast<uint32_t>(sequence - first),
                            previous_chain_hash, record);
  if (!checked) return Error(checked.error().WithPrefix("context"));
  std::string key_id_hex = HexEncode(AsBytes(Str(body.getKeyId())));
  bool genesis = first == 1;
  bool check_signature = context_submission_checked_ != submission_digest;
  if (check_signature && !genesis) {
    auto key = validator_.SigningKey(key_id_hex);
    if (!key) return Error(Status::Corruption(where + ": " + key.error().message()));
    FT_RETURN_IF_ERROR(VerifySubmissionSignature(submission, key_id_hex, *key));
  }
  Status applied = validator_.Apply(sequence, key_id_hex, genesis, checked->event.root());
  if (!applied.ok()) {
    return Error(Status::Corruption(where + " (" + EventTypeName(checked->event.root()) + "): " + applied.message()));
  }
  if (check_signature && genesis) {
    const LedgerMeta* ledger = state_.ledger();
    FT_ASSERT(ledger != nullptr);
    if (HexEncode(AsBytes(Str(body.getLedgerId()))) != ledger->ledger_id_hex) {
      return Error(Status::Corruption("submission at sequence 1: ledger id differs from ledger_genesis"));
    }
    auto raw = HexDecode(ledger->operator_public_key_hex);
    FT_ASSERT(raw.has_value());
    FT_RETURN_IF_ERROR(VerifySubmissionSignature(submission, key_id_hex, *raw));
  }
  context_submission_checked_ = submission_digest;
  context_sequence_ = sequence;
  return LogLeafHash(checked->chain_hash);
}

Status Replayer::StartAt(uint64_t first_sequence, const Digest& previous_chain_hash,
                         std::vector<std::pair<uint32_t, Digest>> prefix_range) {
  FT_ASSERT(!submission_.has_value() && last_sequence_ == 0, "StartAt after the replay began");
  if (first_sequence <= context_sequence_) {
    return Status::Corruption("the range starts at sequence " + std::to_string(first_sequence) +
                              " but context event " + std::to_string(context_sequence_) + " is not before it");
  }
  uint64_t covered = 0;
  for (size_t i = 0; i < prefix_range.size(); ++i) {
    uint32_t level = prefix_range[i].first;
    if (level >= 63 || (i > 0 && level >= prefix_range[i - 1].first)) {
      return Status::Corruption("the Merkle prefix of the range is malformed (levels must decrease)");
    }
    covered += uint64_t{1} << level;
  }
  if (covered != first_sequence - 1) {
    return Status::Corruption("the Merkle prefix covers " + std::to_string(covered) + " entries, the range starts at " +
                              std::to_string(first_sequence));
  }
  last_sequence_ = first_sequence - 1;
  partial_ = first_sequence > 1;
  head_ = previous_chain_hash;
  merkle_range_ = std::move(prefix_range);
  return Status::Ok();
}

Digest Replayer::MerkleRoot() const { return CompactRangeRoot(merkle_range_); }

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
  // The state digest the writer committed must be the one this replay built. A partial replay
  // (a bundle from A > 1) holds only the context's entities, so it cannot compare.
  if (submission.hasStateDigest() && !partial_) {
    Digest computed = state_.ComputeDigest();
    auto committed = submission.getStateDigest();
    if (std::memcmp(committed.begin(), computed.data(), kDigestSizeBytes) != 0) {
      return Status::Corruption("submission at sequence " + std::to_string(submission.getFirstSequence()) +
                                ": it commits the validation state digest " +
                                HexEncode(AsBytes(Str(committed))) + ", the replay builds " + HexEncode(computed));
    }
  }
  if (folding()) {
    FT_RETURN_IF_ERROR(CompareViews(submission));
    fold_->Commit(last_sequence_, head_);
  }
  submission_.reset();
  ++submission_count_;
  return Status::Ok();
}

Status Replayer::CompareViews(schema::Submission::Reader submission) {
  if (!submission.hasViewsDigest()) return Status::Ok();
  if (submission.getViewsVersion() != fold_->version()) {
    // Computed by other code than this fundtrail's: not comparable, and said so (views_unchecked).
    ++views_unchecked_;
    return Status::Ok();
  }
  Digest computed = fold_->StateDigest();
  auto committed = submission.getViewsDigest();
  if (std::memcmp(committed.begin(), computed.data(), kDigestSizeBytes) != 0) {
    return Status::Corruption("submission at sequence " + std::to_string(submission.getFirstSequence()) +
                              ": it commits the views digest " + HexEncode(AsBytes(Str(committed))) +
                              ", the log's events fold into " + HexEncode(computed));
  }
  ++views_checked_;
  return Status::Ok();
}

}  // namespace fundtrail
