#include "ledger/log_format.h"

#include <kj/exception.h>

#include <cstring>

namespace fundtrail {

namespace {
constexpr std::string_view kEventTag = "FTEVENT1";
constexpr std::string_view kSignTag = "FTSIGN01";
constexpr std::string_view kSubmissionTag = "FTSUBMT1";
constexpr std::string_view kChainTag = "FTCHAIN1";
}  // namespace

Digest ChainHasher::Event(std::string_view canonical_event) {
  hash_.Update(kEventTag);
  hash_.Update(canonical_event);
  return hash_.Finish();
}

Digest ChainHasher::Chain(const Digest& previous, uint64_t sequence,
                          const Digest& submission_digest, const Digest& event_digest) {
  // One contiguous 112-byte message: two SHA-256 blocks.
  uint8_t message[8 + 32 + 8 + 32 + 32];
  std::memcpy(message, kChainTag.data(), 8);
  std::memcpy(message + 8, previous.data(), 32);
  PutBigEndian64(sequence, message + 40);
  std::memcpy(message + 48, submission_digest.data(), 32);
  std::memcpy(message + 80, event_digest.data(), 32);
  hash_.Update(ByteSpan(message, sizeof message));
  return hash_.Finish();
}

Digest EventDigest(std::string_view canonical_event) {
  ChainHasher hasher;
  return hasher.Event(canonical_event);
}

std::string SignedMessage(std::string_view canonical_submission_body) {
  std::string message(kSignTag);
  message += canonical_submission_body;
  return message;
}

Digest SubmissionDigest(std::string_view canonical_submission) {
  Sha256 hash;
  hash.Update(kSubmissionTag);
  hash.Update(canonical_submission);
  return hash.Finish();
}

Digest ChainHash(const Digest& previous, uint64_t sequence, const Digest& submission_digest,
                 const Digest& event_digest) {
  ChainHasher hasher;
  return hasher.Chain(previous, sequence, submission_digest, event_digest);
}

std::string EncodeEntry(const Digest& chain_hash, uint64_t submission_sequence,
                        std::string_view canonical_event) {
  std::string record(kEntryHeaderSizeBytes, '\0');
  auto* bytes = reinterpret_cast<uint8_t*>(record.data());
  bytes[0] = kEntryFormatVersion;
  std::memcpy(bytes + 1, chain_hash.data(), 32);
  PutBigEndian64(submission_sequence, bytes + 33);
  record += canonical_event;
  return record;
}

Result<EntryView> DecodeEntry(std::string_view record) {
  if (record.size() < kEntryHeaderSizeBytes + 8) {
    return Error(Status::Corruption("entry record is " + std::to_string(record.size()) +
                                    " bytes, shorter than the smallest entry"));
  }
  const auto* bytes = reinterpret_cast<const uint8_t*>(record.data());
  if (bytes[0] != kEntryFormatVersion) {
    return Error(Status::Corruption("entry record has format version " + std::to_string(bytes[0]) +
                                    ", expected 1"));
  }
  EntryView view;
  std::memcpy(view.chain_hash.data(), bytes + 1, 32);
  view.submission_sequence = GetBigEndian64(bytes + 33);
  view.canonical_event = record.substr(kEntryHeaderSizeBytes);
  return view;
}

template <typename Root>
Result<Decoded<Root>> Decoded<Root>::Open(std::string_view bytes, std::string_view what) {
  if (bytes.size() % sizeof(capnp::word) != 0 || bytes.empty()) {
    return Error(Status::Corruption(std::string(what) + " is " + std::to_string(bytes.size()) +
                                    " bytes, not a whole number of 8-byte words"));
  }
  Decoded decoded;
  decoded.words_ = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  std::memcpy(decoded.words_.begin(), bytes.data(), bytes.size());
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&]() {
    // Canonical bytes are one segment without a segment table.
    decoded.segment_ = std::make_unique<kj::ArrayPtr<const capnp::word>>(decoded.words_.asPtr());
    decoded.reader_ = std::make_unique<capnp::SegmentArrayMessageReader>(
        kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>>(decoded.segment_.get(), 1));
    if (!decoded.reader_->isCanonical()) {
      decoded.reader_.reset();
      return;
    }
    decoded.root_ = decoded.reader_->template getRoot<Root>();
  });
  KJ_IF_MAYBE(exception, failure) {
    return Error(Status::Corruption(std::string(what) + " is not a valid Cap'n Proto message: " +
                                    exception->getDescription().cStr()));
  }
  if (decoded.reader_ == nullptr) {
    return Error(Status::Corruption(std::string(what) + " is not in canonical form"));
  }
  return decoded;
}

template class Decoded<schema::Event>;
template class Decoded<schema::Submission>;
template class Decoded<schema::SubmissionBody>;

}  // namespace fundtrail
