// The ledger store: an append-only, hash-chained event log in RocksDB.
//
// Column families (keys are be64 sequence numbers unless said otherwise):
//   default         "head" -> be64 last sequence || 32-byte chain head || be64 submission count
//   log             entry records (ledger/log_format.h)
//   submissions     be64 first sequence -> canonical(Submission)
//   submission_ids  submission id -> be64 first sequence
//   subjects        kind byte || id || 0x00 || be64 sequence -> "" (the subject index)
//   state           "table/id" -> validation state row (derived; see ledger/state.h)
//   projections     key -> projection snapshots (derived; see projections/projection_store.h)
//   merkle          level byte || be64 index -> 32-byte hash of a perfect subtree of the log's
//                   RFC 9162 Merkle tree (ledger/merkle.h); leaves are LogLeafHash(h_n)
//   history         the history store (derived; see projections/history_store.h)
//
// Everything one submission changes is written in one RocksDB WriteBatch with a synced WAL, so a
// crash leaves either the whole submission or none of it, and a receipt is returned only after
// the write is durable.
//
// One writer at a time (an flock on DIR/WRITER.lock); readers open read-only and see the ledger
// as of the moment they opened it. A Ledger object is not thread-safe, with one exception: the
// reads ReadEntry, ReadEntries, ScanEntries, ScanSubject, ReadSubmission, the lookups of
// NewLookup() (one per thread), the derived data's GetDerived, PutDerived and DeleteDerived and
// the history store's GetHistory, ScanHistory, NewHistoryBatch, WriteHistory, NewHistoryTable
// and AddHistoryTable may run on several threads at once while nothing appends
// (RocksDB is thread-safe); RecreateHistory and SettleHistory may not run beside any history
// method.
#pragma once

#include <rocksdb/db.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/committed_fold.h"
#include "ledger/dates.h"
#include "ledger/event_info.h"
#include "ledger/log_format.h"
#include "ledger/state.h"
#include "ledger/submission.h"
#include "ledger/validator.h"

namespace rocksdb {
class SstFileWriter;
}

namespace fundtrail {

struct Head {
  uint64_t sequence = 0;        // the last event's sequence number, 0 for an empty log
  Digest chain_hash{};          // h_sequence
  uint64_t submission_count = 0;
};

struct Receipt {
  std::string submission_id;
  uint64_t first_sequence = 0;
  uint64_t last_sequence = 0;
  std::vector<Digest> entry_hashes;  // chain hash of each event
  Digest head{};                     // chain head right after this submission
  int64_t appended_at_micros = 0;
  bool already_appended = false;     // a retry: the original receipt, nothing new was written
};

struct StoredEntry {
  uint64_t sequence = 0;
  std::string record;  // the entry record (ledger/log_format.h)
};

// What a submission commits of the views (docs/FORMAT.md, section 5, "The views commitment").
struct ViewsCommitment {
  uint64_t submission_sequence = 0;  // the submission's first event
  uint16_t version = 0;              // of the fold that computed it
  Digest digest{};
};

// How the subject index (column family `subjects`) differs from the keys the log implies.
struct SubjectIndexDifference {
  uint64_t expected = 0;                // keys the log implies
  uint64_t missing = 0;                 // of those, not in the index
  uint64_t first_missing_sequence = 0;  // the event of the first one missing
  uint64_t extra = 0;                   // keys in the index that the log does not imply
};

class Ledger {
 public:
  enum class Access { kReadOnly, kReadWrite };

  // Creates a ledger in `directory` (missing or empty) from a genesis submission signed by the
  // operator key.
  static Result<std::unique_ptr<Ledger>> Create(const std::string& directory,
                                                const SignedSubmission& genesis, Clock* clock);
  // How an open treats the stored validation state (column family `state`, derived):
  //   kCheck     its digest must equal the one the last submission commits (format 2), or, for a
  //              ledger whose last submission commits none (written before format 2), the state
  //              a replay of the log builds; otherwise the open fails with Corruption naming the
  //              store and `fundtrail rebuild`. The writer thus never validates against a state
  //              that a replay of the log would not build.
  //   kUnchecked for `fundtrail verify` and `fundtrail rebuild`, which replay the log themselves
  //              and report (verify) or mend (rebuild, RebuildState) a state that differs.
  enum class StateCheck { kCheck, kUnchecked };
  // Opens an existing ledger. kReadWrite fails with Busy if another writer holds it.
  // `env`: tests only, the RocksDB environment (and so the file system) the store works through,
  // for fault injection (ledger/fault_file_system.h); nullptr is RocksDB's default, the disk.
  // REQUIRES: clock, and env if given, outlive the ledger.
  static Result<std::unique_ptr<Ledger>> Open(const std::string& directory, Access access,
                                              Clock* clock, StateCheck state_check = StateCheck::kCheck,
                                              rocksdb::Env* env = nullptr);
  ~Ledger();

  // Validates and appends a signed submission, all or nothing. On a validation error
  // *failed_event_index is the index of the offending event in the batch, or SIZE_MAX when the
  // submission as a whole is wrong (signature, key, ledger id, submission id).
  Result<Receipt> Append(const SignedSubmission& submission, size_t* failed_event_index);

  // Group commit (fundtrail serve): appends `submissions` in order, each exactly as Append does
  // (all or nothing, validated against the state the earlier ones of the group left), but pays
  // one fsync for the whole group: each submission's batch is written without syncing the
  // write-ahead log, then the log is synced once. A submission that fails validation fails
  // alone; the others land. Returns after the sync, so every receipt returned is durable. A
  // crash before the sync loses a suffix of the group at most (the write-ahead log is replayed
  // up to its last whole record), never a submission whose receipt was returned.
  // If the sync fails, every submission the group wrote gets the sync's error (they may not
  // survive a crash, and were not acknowledged), and the ledger must be closed: RocksDB refuses
  // further writes after a failed sync.
  // REQUIRES: a writer; submissions.size() <= kGroupSizeMax.
  struct GroupResult {
    Result<Receipt> receipt;
    size_t failed_event_index = SIZE_MAX;  // as Append's *failed_event_index
  };
  static constexpr size_t kGroupSizeMax = 4096;
  std::vector<GroupResult> AppendGroup(std::span<const SignedSubmission> submissions);

  // The views' fold that Append applies each submission's events to, committing its digest in
  // the submission (validation version 3). Without it, Append writes validation version 2, and
  // refuses a ledger already at version 3. The fold must hold the views as of the head.
  void SetViewsFold(std::unique_ptr<CommittedFold> fold) { views_fold_ = std::move(fold); }
  CommittedFold* views_fold() const { return views_fold_.get(); }
  // The views commitment of the submission whose last event is `sequence`; nullopt when no
  // submission ends there or it commits none (written before validation version 3).
  Result<std::optional<ViewsCommitment>> ViewsCommitmentAt(uint64_t sequence) const;

  const Head& head() const { return head_; }
  std::string ledger_id() const;  // 16 raw bytes
  const LedgerState& state() const { return state_; }

  Result<StoredEntry> ReadEntry(uint64_t sequence) const;
  // h_sequence, from the entry of event `sequence` (an all-zero digest for 0).
  Result<Digest> ChainHash(uint64_t sequence) const;
  Result<std::string> ReadSubmission(uint64_t first_sequence) const;  // canonical bytes
  // The first sequence of the submission whose id is `submission_id`, nullopt if the ledger has
  // none: looked up in the submission id index, and checked against the submission record it
  // points to, so that a damaged index is reported (Corruption, naming `fundtrail rebuild`)
  // rather than answered with another submission.
  Result<std::optional<uint64_t>> FindSubmission(const std::string& submission_id) const;

  // Calls `visit` for each stored entry with from <= sequence <= to, in order, streaming.
  // Stops early when `visit` returns false.
  Status ScanEntries(uint64_t from, uint64_t to,
                     const std::function<bool(const StoredEntry&)>& visit) const;
  // The sequence numbers of events touching `subject`, from the index, in order: one range
  // iterator over the subject's keys.
  Status ScanSubject(const Subject& subject, uint64_t from, uint64_t to,
                     const std::function<bool(uint64_t)>& visit) const;
  // Calls `visit(sequence, record)` for the entry of each of `sequences`, in order, reading them
  // with sorted, batched MultiGets: RocksDB then looks up a batch level by level and file by
  // file instead of once per key, and hands out its blocks without copying the values.
  // `record` (ledger/log_format.h) points into RocksDB's memory, valid only during the call.
  // Stops early when `visit` returns false. A missing entry is NotFound ("there is no event n").
  // REQUIRES: `sequences` increase strictly.
  Status ReadEntries(std::span<const uint64_t> sequences,
                     const std::function<bool(uint64_t, std::string_view)>& visit) const;

  // The sequence number of the last event appended at or before `micros` (ledger clock), 0 if
  // none. Scans the submission records.
  Result<uint64_t> LastSequenceAppendedBy(int64_t micros) const;

  // The RFC 9162 root of the log's first `size` entries (size <= head), from the stored tree.
  Result<Digest> TreeRoot(uint64_t size) const;
  // Inclusion proof of entry `sequence` (1-based) in the tree of `size` entries, and the
  // consistency proof between trees of `old_size` and `new_size` entries.
  Result<std::vector<Digest>> InclusionProof(uint64_t sequence, uint64_t size) const;
  Result<std::vector<Digest>> ConsistencyProof(uint64_t old_size, uint64_t new_size) const;
  // The Merkle compact range of the first `size` entries (MerkleTree::CompactRange).
  Result<std::vector<std::pair<uint32_t, Digest>>> CompactRange(uint64_t size) const;

  // Reads earlier events by sequence number (for reversals).
  std::unique_ptr<EventLookup> NewLookup() const;

  // Derived data kept beside the log (projection snapshots). Put requires a writer.
  Result<std::optional<std::string>> GetDerived(const std::string& key) const;
  Status PutDerived(const std::string& key, const std::string& value);
  // Several keys in one atomic write.
  Status PutDerived(const std::vector<std::pair<std::string, std::string>>& puts);
  Status DeleteDerived(const std::string& key);

  // The history store (derived; projections/history_store.h) in the `history` column family.
  // A ledger last written by a version without it, opened read-only, lacks the family (a writer
  // adds it when it opens): HasHistory() is false, and the others must not be called.
  bool HasHistory() const;
  Result<std::optional<std::string>> GetHistory(std::string_view key) const;
  // Calls `visit(key, value)` for each key in [begin, end), in order, until it returns false.
  // key and value point into RocksDB's memory, valid only during the call.
  Status ScanHistory(std::string_view begin, std::string_view end,
                     const std::function<bool(std::string_view, std::string_view)>& visit) const;
  // Writes `puts` in one atomic batch, through the write-ahead log. REQUIRES: a writer.
  Status WriteHistory(const std::vector<std::pair<std::string, std::string>>& puts);
  // The same, built by the caller: a batch of writes to the history store, applied atomically by
  // WriteHistory. Reusable: Clear() keeps its buffer for the next batch.
  class HistoryBatch {
   public:
    // Puts had best come in key order: each insert into the memtable then starts where the last
    // one ended.
    void Put(std::string_view key, std::string_view value);
    void Clear() { batch_.Clear(); }

   private:
    friend class Ledger;
    explicit HistoryBatch(rocksdb::ColumnFamilyHandle* family) : family_(family) {}
    rocksdb::ColumnFamilyHandle* family_;
    rocksdb::WriteBatch batch_;
  };
  // REQUIRES: HasHistory().
  HistoryBatch NewHistoryBatch();
  // Writes the batch through RocksDB's write-ahead log: a crash loses at most the batches the
  // operating system had not yet written.
  Status WriteHistory(HistoryBatch& batch);
  // A table of history records written beside the store, then added to it whole
  // (AddHistoryTable): how a store rebuilt from zero (RecreateHistory) is loaded, without the
  // write-ahead log, the memtable and its flushes. A file in DIR/history-load/, which
  // RecreateHistory empties (a crash may leave files there). Not thread-safe: one per thread.
  class HistoryTable {
   public:
    HistoryTable(HistoryTable&&) noexcept;
    HistoryTable& operator=(HistoryTable&&) noexcept;
    ~HistoryTable();  // removes an unfinished file
    // REQUIRES: keys strictly increasing.
    Status Put(std::string_view key, std::string_view value);
    bool empty() const { return entries_ == 0; }

   private:
    friend class Ledger;
    HistoryTable();
    void Discard();
    std::unique_ptr<rocksdb::SstFileWriter> writer_;
    std::string path_;
    uint64_t entries_ = 0;
  };
  // REQUIRES: a writer, and RecreateHistory before (the load directory).
  Result<HistoryTable> NewHistoryTable();
  // Ends the table and adds its records to the store, at once and whole (RocksDB's ingestion of
  // an external table, moved, not copied); an empty table adds nothing. Tables may overlap each
  // other (RocksDB places a table as deep as no overlap allows, level 0 at worst, and compacts as
  // it does flushed tables) and be added from several threads. A store so loaded is on disk once
  // the last table is added.
  Status AddHistoryTable(HistoryTable table);
  // Removes DIR/history-load/ once every table is added. REQUIRES: no HistoryTable in use.
  Status EndHistoryLoad();
  // Replaces the history store by an empty one at once, the column family dropped and created
  // again: a store rebuilt from zero then costs neither deleting nor compacting the old records
  // (their files go when the writer closes). A crash in between leaves a ledger without the
  // family, which a reader reads as a ledger without a store and the next writer adds.
  // REQUIRES: a writer, and no other thread using the store meanwhile.
  Status RecreateHistory();
  // Flushes the store and waits until RocksDB has no compaction of it pending and none running
  // in the database (RocksDB counts running ones for the database only): a store written from
  // zero is left as RocksDB keeps it, not with work that the next process would start again (a
  // process that ends stops its compactions). Stops waiting after 10 minutes; an IoError if
  // RocksDB fails in the background meanwhile.
  Status SettleHistory();

  // Replays the whole log from genesis (ledger/replayer.h) and checks the stored head.
  // `progress` is called now and then with (events done, events in total).
  // With `checkpoint`, also records the Merkle root and chain hash the replay computed when
  // the log had checkpoint->size entries (to compare with a trusted head).
  struct Checkpoint {
    uint64_t size = 0;
    bool reached = false;
    Digest root{};
    Digest chain_hash{};
  };
  // With `views` (the views' fold, empty), also compares each submission's views commitment
  // with what the log folds into, and counts the submissions compared in *views_checked.
  // kParallel: the checks that need no state (digests, chain and leaf hashes, decoding, input
  // rules, signatures) run ahead on other threads (ledger/read_ahead.h); the outcome and every
  // message are those of kSequential, which checks everything in order on this thread.
  enum class VerifyMode { kParallel, kSequential };
  Status Verify(const std::function<void(uint64_t, uint64_t)>& progress,
                Checkpoint* checkpoint = nullptr, CommittedFold* views = nullptr,
                uint64_t* views_checked = nullptr, VerifyMode mode = VerifyMode::kParallel) const;

  // Replays the log's events through the validator into `state` (empty), each submission at its
  // validation version: the validation state the log builds. Checks no signature, digest or
  // chain hash (Verify does); a log the validator refuses is Corruption naming the sequence.
  Status ReplayStateInto(LedgerState* state) const;
  // `fundtrail rebuild`: replaces the stored validation state by the one the log builds (one
  // synced write) and returns the names of the tables that differed, empty when the store was
  // right. Then checks the rebuilt state against the last submission's commitment.
  // REQUIRES: a writer.
  Result<std::vector<std::string>> RebuildState();
  // `fundtrail verify`: compares the subject index with the keys a replay of the log implies
  // (what Append indexes for each event), reading each implied key and counting the stored ones.
  Result<SubjectIndexDifference> VerifySubjectIndex() const;
  // `fundtrail rebuild`: the same, then, if they differ, adds the missing keys and removes the
  // others, window by window of the log (each window one synced write; a reader meanwhile never
  // loses a right key). Returns what differed. REQUIRES: a writer.
  Result<SubjectIndexDifference> RebuildSubjectIndex();
  // `fundtrail rebuild`: rewrites the submission id index from the submission records (one
  // synced write); returns what differed ("missing", "extra", "changed"), empty when the index
  // was right. REQUIRES: a writer.
  Result<std::vector<std::string>> RebuildSubmissionIds();

  // Benchmarks only (fundtrail-bench, figure 7, what the tree costs): later appends on this
  // object do not maintain the Merkle tree. Such a ledger cannot serve proofs and fails
  // verification; nothing else calls this.
  void DisableMerkleTreeForBenchmark() { merkle_tree_ = false; }

  // For tamper tests and tools that must look under the hood.
  rocksdb::DB* database() { return database_.get(); }
  rocksdb::ColumnFamilyHandle* column_family(const std::string& name) const;

 private:
  class Lookup;
  class MerkleNodes;
  Ledger() = default;
  static Result<std::unique_ptr<Ledger>> OpenDatabase(const std::string& directory, Access access,
                                                      bool create, Clock* clock,
                                                      rocksdb::Env* env = nullptr);
  Status LoadHeadAndState();
  // StateCheck::kCheck (see Open).
  Status CheckState() const;
  // ReplayStateInto, calling `before_apply(sequence, signing key id, event, lookup)` for each
  // event before the validator applies it (`state` then holds the state before the event).
  using ReplayVisitor =
      std::function<Status(uint64_t, const std::string&, schema::Event::Reader, EventLookup&)>;
  Status ReplayEvents(LedgerState* state, const ReplayVisitor& before_apply) const;
  // The subject index keys of each event in [from, to], from a replay of the log.
  Status ForEachIndexedKey(uint64_t from, uint64_t to,
                           const std::function<Status(uint64_t, std::vector<std::string>&)>& visit) const;
  // The last submission record, decoded.
  Result<DecodedSubmission> LastSubmission() const;
  // Verify's checks of the derived stores the writer relies on: the stored state against the
  // replay's, and the submission id index against the submissions.
  Status VerifyStateRows(const LedgerState& replayed) const;
  Status VerifySubmissionIds() const;
  // Writes the history store's memtables to disk and waits for it.
  Status FlushHistory();
  Result<Receipt> ReceiptFor(uint64_t first_sequence) const;
  // Append's fold of a validated submission into the views: their digest, or nullopt without a
  // fold (refused when the ledger already commits its views).
  Result<std::optional<Digest>> FoldViews(uint64_t first, std::span<const DecodedEvent> events,
                                          EventLookup* lookup, size_t* failed_event_index);
  Status VerifyMerkleNodes() const;
  // Every write to the database goes through here. After a write fails (a full disk, an I/O
  // error), RocksDB must not be written again through this object: its write-ahead log writer
  // is left in error, and RocksDB asserts (aborts) when it is used again. So the first failure is
  // kept, and every later write, and the flush at close, is refused with it until the ledger is
  // opened again. Thread-safe.
  Status WriteThrough(const std::function<rocksdb::Status()>& write, const std::string& what);

  std::string directory_;
  Access access_ = Access::kReadOnly;
  Clock* clock_ = nullptr;
  int lock_fd_ = -1;
  std::atomic<uint64_t> history_tables_{0};  // HistoryTable file names
  std::unique_ptr<rocksdb::DB> database_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::vector<std::string> handle_names_;
  Head head_;
  LedgerState state_;
  std::unique_ptr<MerkleNodes> merkle_nodes_;
  std::unique_ptr<CommittedFold> views_fold_;
  bool merkle_tree_ = true;
  bool sync_writes_ = true;  // false only inside AppendGroup, which syncs once at its end
  std::mutex write_failure_mutex_;
  std::optional<Status> write_failure_;  // the first failed write (see WriteThrough)
};

// The subject index's key of `subject`'s event `sequence`: kind byte || id || 0x00 ||
// be64 sequence. Keys of one subject sort by sequence number.
std::string SubjectKey(const Subject& subject, uint64_t sequence);

// The directory a command works on: --ledger, else $FUNDTRAIL_LEDGER, else "./ledger".
std::string ResolveLedgerDirectory(const std::string& flag_value);

}  // namespace fundtrail
