// The history store: fund histories served by one range scan.
//
// A grant's or a member's history shows every event touching it. Read from the log, that is one
// point read per event, each in a block of its own (the subject's events are spread over the
// whole log): 10,000 events of a 10M-event ledger cost 10,000 block reads. The history store
// keeps, for every event, the little a history row needs (a HistoryRecord: hash, type, summary,
// what the event changes of its grant's and its member's figures) under each grant and
// organisation it touches, so that one subject's records lie side by side, in sequence order.
// The running balances are folded when the history is read, with the same functions the
// projection folds (GrantChange, MemberGrantChange), so they cannot disagree.
//
// Derived data, in the ledger's `history` column family (Ledger::*History):
//   "c"                        -> be64 sequence || 32-byte chain hash of the last event indexed
//                                 || layout byte (4); another layout is rebuilt, not read
//   "r" || SubjectKey(s, n)    -> a group: the encoded HistoryRecords of subject s (a grant or
//                                 an organisation) from event n on, each as be64 sequence ||
//                                 LEB128 length || record; up to 64 of one batch per group
// The writer catches the store up after each append (CatchUpHistory, called by
// projections::CatchUp), each batch of records written atomically with the checkpoint that covers
// it, so the store is exactly-once across crashes. `fundtrail rebuild` recomputes it from zero
// (RebuildHistory): a new column family, written by several threads as tables added whole, its
// one checkpoint written once all of it is in the store; a store without a checkpoint is not
// read but rebuilt. A reader
// takes what the store holds up to its checkpoint and reads any later events from the log, so
// a store that is behind (or missing, or of another history) only costs time, never changes a
// row: ReadHistoryFromLog computes the same records from the log alone, and the tests hold the
// two equal.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/event_info.h"
#include "ledger/money.h"
#include "ledger/store.h"
#include "projections/projection.h"

namespace fundtrail::projections {

// One event as a history row shows it.
struct HistoryRecord {
  uint64_t sequence = 0;
  Digest hash{};                 // the event's chain hash h_n
  std::string type;              // "funds_disbursed"
  // The event's summary; for a reversal, naming the reversed event, with its amount negated.
  std::string subject;
  std::optional<Money> amount;
  // What the event changes of a grant's figures (GrantChangeOf; of the reversed event for a
  // reversal): grant_sign 0 for no change, +1, or -1 for a reversal, which undoes it.
  int grant_sign = 0;
  std::string grant_id;
  std::string grant_currency;
  int64_t awarded = 0, received = 0, disbursed = 0, spent = 0, refunded = 0;
  // What it changes of a member's figures (MemberGrantChangeOf), signed the same way.
  int member_sign = 0;
  std::string member_org_id;
  std::string member_grant_id;
  MemberGrantChange::Kind member_kind = MemberGrantChange::Kind::kDisbursed;
  int64_t member_amount = 0;
  int member_category = 0;
  // The grant the event (or the reversed event) concerns, "" if none: a member history's
  // "grant" column.
  std::string concerns_grant_id;

  GrantChange grant_change() const;           // views into this record
  MemberGrantChange member_change() const;    // views into this record
  bool operator==(const HistoryRecord&) const = default;
};

// The record of event `sequence`; `reversed` is the event it reverses, for a reversal.
HistoryRecord MakeHistoryRecord(uint64_t sequence, const Digest& hash, schema::Event::Reader event,
                                const schema::Event::Reader* reversed);

// The stored form (docs/FORMAT.md, section 6, the `history` column family) and back. The store's
// writers encode from views of the event, with the same code; EncodeHistoryRecord serves tests.
std::string EncodeHistoryRecord(const HistoryRecord& record);
Result<HistoryRecord> DecodeHistoryRecord(uint64_t sequence, std::string_view bytes);

// Where the store's records come from for a read up to `to`: the store holds `subject`'s
// records of events 1..stored_to; the log serves the rest.
struct HistorySources {
  uint64_t stored_to = 0;
};

// The records of the events touching `subject` (a grant or an organisation) up to sequence
// `to`, in order: from the store as far as its checkpoint reaches, the rest from the log.
// With `sources`, says how far the store served.
Result<std::vector<HistoryRecord>> ReadHistory(const Ledger& ledger, const Subject& subject, uint64_t to,
                                               HistorySources* sources = nullptr);
// The same records from the log alone: the subject index, then each entry (and the event a
// reversal reverses), read in parts on several threads.
Result<std::vector<HistoryRecord>> ReadHistoryFromLog(const Ledger& ledger, const Subject& subject,
                                                      uint64_t from, uint64_t to);

struct HistoryIndexOptions {
  // Events indexed per batch (a catch-up's atomic write, with the checkpoint it reaches; a
  // rebuild's tables): bounds the batch's memory (a few hundred bytes per event) while keeping
  // the writes large. Tests make it small.
  uint64_t events_per_batch = 1 << 16;
  // Threads that index a store from zero (RebuildHistory), each a contiguous part of the log:
  // the store's writes are spread over the cores.
  size_t workers = 2;
};

// The submission an event of the log belongs to, read once per submission as a scan moves on
// (a submission's events are contiguous): its append time and its signing key.
class SubmissionReader {
 public:
  explicit SubmissionReader(const Ledger& ledger) : ledger_(ledger) {}
  Status Enter(uint64_t submission_sequence);
  int64_t appended_at() const { return appended_at_; }
  // The signing key's organisation if the key was registered before sequence `before`, else ""
  // (the genesis submission's key is the operator's). The rules ask per submission (`before` its
  // first sequence), the subject index and the history store per event (the genesis submission
  // may register its own key).
  std::string AuthorOrgId(uint64_t before) const {
    return key_ != nullptr && key_->registered_sequence < before ? key_->org_id : std::string();
  }

 private:
  const Ledger& ledger_;
  uint64_t current_ = 0;
  int64_t appended_at_ = 0;
  const KeyRecord* key_ = nullptr;
};

// Reads and decodes the log's events at `sequences` (increasing) in contiguous parts, one thread
// each (HistoryPartCount), and calls `visit` for each on its part's thread with its index in
// `sequences` and that thread's lookup of earlier events; stops at the first failure.
using LogEventVisitor = std::function<Status(size_t index, uint64_t sequence, const Digest& chain_hash,
                                             schema::Event::Reader event, EventLookup& lookup)>;
Status ForEachLogEvent(const Ledger& ledger, std::span<const uint64_t> sequences, const LogEventVisitor& visit);

// Writer side: indexes the events after the store's checkpoint (all of them when the store is
// missing, of another layout, or was built from another history than the log's).
// REQUIRES: a writer.
Status CatchUpHistory(Ledger& ledger, const HistoryIndexOptions& options = {});
// Writer side: replaces the store by a new, empty one (Ledger::RecreateHistory) and indexes the
// whole log into it, `options.workers` threads each a part. REQUIRES: a writer, and no other
// thread using the store meanwhile.
Status RebuildHistory(Ledger& ledger, const HistoryIndexOptions& options = {});

// The last event the store indexed, as stored (nullopt when there is none, or of another layout).
struct HistoryCheckpoint {
  uint64_t sequence = 0;
  Digest chain_hash{};
};
Result<std::optional<HistoryCheckpoint>> ReadHistoryCheckpoint(const Ledger& ledger);
// The same, only if it lies on the log: not beyond the head, and event `sequence` has that chain
// hash. Reads trust the store up to this checkpoint, and catching up continues from it.
Result<std::optional<HistoryCheckpoint>> UsableHistoryCheckpoint(const Ledger& ledger);

// SHA-256 over the store's content, record by record under its subject and sequence number
// (however the records are grouped), and the checkpoint; and the number of records. Equal for
// stores that serve the same histories: an incrementally kept store and a rebuilt one. With
// `up_to`, only the records of events up to it count, and not the checkpoint: what a store
// behind the log held is compared with the same part of a rebuilt one. (docs/FORMAT.md, section
// 6, and DigestParts in history_store.c++ say exactly what is hashed.)
struct HistoryStoreDigest {
  Digest digest{};
  uint64_t records = 0;
};
Result<HistoryStoreDigest> DigestHistoryStore(const Ledger& ledger, std::optional<uint64_t> up_to = std::nullopt);

// RebuildHistory, which also digests what it writes, as DigestHistoryStore would read it back
// (without reading it back): the whole store, and the part up to `up_to` when given.
struct RebuiltHistoryDigests {
  HistoryStoreDigest whole;
  std::optional<HistoryStoreDigest> part;
};
Result<RebuiltHistoryDigests> RebuildHistoryWithDigests(Ledger& ledger, std::optional<uint64_t> up_to,
                                                        const HistoryIndexOptions& options = {});

// Whether the store differs from the log up to its checkpoint: its records read back against those
// computed from the log (nothing written), by their digests (DigestHistoryStore). Returns the
// checkpoint's sequence number if they differ, nothing if they agree or no store is read (none,
// or no usable checkpoint). `verify` reports a store that differs; `rebuild` mends it.
Result<std::optional<uint64_t>> FindDifferingHistoryStore(Ledger& ledger, const HistoryIndexOptions& options = {});

// The store a rebuild replaces, as it was: its usable checkpoint and the digest of its records up
// to it (DigestHistoryStore), to say whether it agreed with the log. Best effort: `unreadable`
// says why a store could not be read (such a store is what a rebuild mends).
struct ReplacedHistory {
  std::optional<HistoryCheckpoint> checkpoint;
  std::optional<Digest> digest;
  std::string unreadable;
};
ReplacedHistory ReadReplacedHistory(const Ledger& ledger);

// Runs `work(begin, end)` on `part_count` contiguous parts of [0, count), each part on a thread
// of its own but the first, which the calling thread runs; returns the first failure, in part
// order. HistoryPartCount says how many parts a history of `count` events is worth: one per
// core, each of at least 1,000 events, 4 at the most.
size_t HistoryPartCount(size_t count);
Status ForEachPart(size_t count, size_t part_count, const std::function<Status(size_t, size_t)>& work);

}  // namespace fundtrail::projections
