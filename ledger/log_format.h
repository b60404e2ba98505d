// The byte formats an independent verifier needs. docs/FORMAT.md is the normative description;
// this file implements it. Every hash is SHA-256 with an 8-byte ASCII domain tag first, so no
// input of one kind can be replayed as another.
//
//   d_i   event digest      = SHA-256("FTEVENT1" || canonical(Event_i))
//   M     signed message    = "FTSIGN01" || canonical(SubmissionBody)   (body lists d_1..d_n)
//   s     submission digest = SHA-256("FTSUBMT1" || canonical(Submission))
//   h_n   chain hash        = SHA-256("FTCHAIN1" || h_{n-1} || be64(n) || s || d_n),  h_0 = 0^32
//   l_n   Merkle leaf hash  = SHA-256(0x00 || "FTLEAF01" || h_n)    (RFC 9162 leaf of entry n)
//
// Entry record (value of the `log` column family, key be64(n)):
//
//   offset size  field
//   0      1     format version, 0x01
//   1      32    h_n, the chain hash of this entry
//   33     8     be64 sequence number of the first event of this entry's submission
//   41     ...   canonical(Event_n): a single-segment Cap'n Proto message without segment table
#pragma once

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/array.h>
#include <kj/exception.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/bytes.h"
#include "ledger/crypto.h"
#include "ledger/status.h"
#include "schemas/fundtrail.capnp.h"

namespace fundtrail {

inline constexpr uint8_t kEntryFormatVersion = 1;
inline constexpr size_t kEntryHeaderSizeBytes = 1 + 32 + 8;
inline constexpr size_t kLedgerIdSizeBytes = 16;

// Canonical bytes of any Cap'n Proto struct reader.
template <typename Reader>
std::string CanonicalBytes(Reader reader) {
  kj::Array<capnp::word> words = capnp::canonicalize(reader);
  auto bytes = words.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

Digest EventDigest(std::string_view canonical_event);
std::string SignedMessage(std::string_view canonical_submission_body);
Digest SubmissionDigest(std::string_view canonical_submission);
Digest ChainHash(const Digest& previous, uint64_t sequence, const Digest& submission_digest,
                 const Digest& event_digest);
// The leaf hash of entry n in the log's Merkle tree: its chain hash, tagged.
Digest LogLeafHash(const Digest& chain_hash);

// Reuses one hashing context for the hot path of verify and append.
class ChainHasher {
 public:
  Digest Event(std::string_view canonical_event);
  Digest Chain(const Digest& previous, uint64_t sequence, const Digest& submission_digest,
               const Digest& event_digest);

 private:
  Sha256 hash_;
};

std::string EncodeEntry(const Digest& chain_hash, uint64_t submission_sequence,
                        std::string_view canonical_event);

struct EntryView {
  Digest chain_hash;
  uint64_t submission_sequence;
  std::string_view canonical_event;  // points into the decoded record
};
// REQUIRES: `record` outlives the view.
Result<EntryView> DecodeEntry(std::string_view record);

// Reads the events of the ledger's own log, one after another, for what is derived from them
// (the projections' fold, the history store): faster than DecodedEvent::Open, which a scan of the
// log would pay for every event. It skips Open's checks (canonical form, every pointer readable),
// which the events passed when they were appended and which `fundtrail verify` makes again (the
// chain hash covers their bytes); a derived computation does not depend on them: a damaged event
// that is still well formed changes what is derived whether canonical or not. It keeps one: an
// event of a type this version does not know is Corruption. Reading a malformed event (a damaged
// store) throws kj::Exception inside `use`; Read turns that into Corruption naming the event's
// sequence number (formatted only then: this runs for every event of a scan), after
// which whatever `use` was building must be dropped (other exceptions pass through). Reuses its
// buffer.
class LogEventReader {
 public:
  // Calls `use(event)` (returning Status) on event `sequence`, whose canonical bytes are `bytes`.
  template <typename Use>
  Status Read(std::string_view bytes, uint64_t sequence, Use&& use) {
    if (bytes.size() % sizeof(capnp::word) != 0 || bytes.empty()) return NotWords(bytes, sequence);
    // Word-aligned, as Cap'n Proto reads it (RocksDB's values need not be).
    const size_t word_count = bytes.size() / sizeof(capnp::word);
    if (words_.size() < word_count) {
      // Grown, never shrunk. Not a std::vector: capnp::word cannot be copied under clang.
      words_ = kj::heapArray<capnp::word>(std::max(word_count, 2 * words_.size()));
    }
    std::memcpy(words_.begin(), bytes.data(), bytes.size());
    try {
      kj::ArrayPtr<const capnp::word> segment(words_.begin(), word_count);
      capnp::SegmentArrayMessageReader reader(kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>>(&segment, 1));
      schema::Event::Reader event = reader.getRoot<schema::Event>();
      if (!KnownType(event.which())) return UnknownType(sequence, event.which());
      return use(event);
    } catch (const kj::Exception& exception) {
      return Unreadable(sequence, exception);
    }
  }

 private:
  static bool KnownType(schema::Event::Which which);
  static Status NotWords(std::string_view bytes, uint64_t sequence);
  static Status UnknownType(uint64_t sequence, schema::Event::Which which);
  static Status Unreadable(uint64_t sequence, const kj::Exception& exception);
  kj::Array<capnp::word> words_;
};

// A read-only Cap'n Proto message over bytes that may come from an untrusted source. Copies the
// bytes into word-aligned memory. All Cap'n Proto decoding goes through Open(), which turns
// kj::Exception into a Status (or LogEventReader, for the log's own events); nothing else
// catches.
template <typename Root>
class Decoded {
 public:
  // Fails unless the bytes are a well-formed message in canonical form.
  static Result<Decoded> Open(std::string_view bytes, std::string_view what);

  typename Root::Reader root() const { return root_; }

  Decoded() = default;
  Decoded(Decoded&&) = default;
  Decoded& operator=(Decoded&&) = default;

 private:
  kj::Array<capnp::word> words_;
  // Heap-allocated so that the reader's pointer to it survives moves.
  std::unique_ptr<kj::ArrayPtr<const capnp::word>> segment_;
  std::unique_ptr<capnp::SegmentArrayMessageReader> reader_;
  typename Root::Reader root_;
};

using DecodedEvent = Decoded<schema::Event>;
using DecodedSubmission = Decoded<schema::Submission>;
using DecodedSubmissionBody = Decoded<schema::SubmissionBody>;

}  // namespace fundtrail
