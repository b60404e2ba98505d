#include "ledger/store.h"

#include <fcntl.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "ledger/input_rules.h"
#include "ledger/json_codec.h"
#include "ledger/merkle.h"
#include "ledger/read_ahead.h"
#include "ledger/replayer.h"

namespace fundtrail {

namespace {

const std::vector<std::string> kColumnFamilies = {rocksdb::kDefaultColumnFamilyName, "log", "submissions",
                                                  "submission_ids", "subjects", "state", "projections",
                                                  "merkle", "history"};
constexpr size_t kDefault = 0, kLog = 1, kSubmissions = 2, kSubmissionIds = 3, kSubjects = 4, kState = 5,
                 kDerived = 6, kMerkle = 7, kHistory = 8;
constexpr char kHeadKey[] = "head";
constexpr char kHistoryLoadDirectory[] = "history-load";  // Ledger::HistoryTable's files

// The options of column family `index` (RocksDB's defaults otherwise).
rocksdb::ColumnFamilyOptions ColumnFamilyOptionsOf(size_t index) {
  rocksdb::ColumnFamilyOptions options;
  // The log's tables are LZ4-compressed: as small as with Snappy (RocksDB's default: 1,466 MB
  // against 1,464 MB for 10M entries), and a point read of a grant's history, which
  // decompresses a whole block for one entry, takes 28% less CPU (docs/BENCHMARKS.md, figure 6).
  // An option, not a format: each block names its compression, so tables written before (Snappy)
  // stay readable and compactions rewrite them in time.
  if (index == kLog) {
    options.compression = rocksdb::kLZ4Compression;
    // Blocks of 16 KiB rather than RocksDB's 4 KiB: a scan of the log (a rebuild, a
    // verification) reads a quarter of the blocks, each with its checksum, decompression and
    // index step, and compresses better: scanning 1M entries took 0.27 s instead of 0.45 s, and
    // the tables were 17% smaller (docs/BENCHMARKS.md, figure 5). A point read decompresses 16
    // KiB for one entry; histories, which read many, come from the history store. Also an
    // option, not a format: tables written with 4 KiB blocks stay readable.
    rocksdb::BlockBasedTableOptions table;
    table.block_size = 16 * 1024;
    options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  }
  if (index == kHistory) {
    // The history store's tables too (a history decompresses every block it reads), except level
    // 0: a catch-up's flushes cost no compression (RocksDB's usual advice for write-heavy column
    // families), compactions into the lower levels compress. A rebuild's tables
    // (HistoryTable) are compressed when written, as they may land in any level.
    options.compression_per_level = {rocksdb::kNoCompression, rocksdb::kLZ4Compression, rocksdb::kLZ4Compression,
                                     rocksdb::kLZ4Compression, rocksdb::kLZ4Compression, rocksdb::kLZ4Compression,
                                     rocksdb::kLZ4Compression};
  }
  return options;
}
constexpr uint64_t kProgressIntervalEvents = 1 << 18;

std::string Str(capnp::Data::Reader data) {
  return std::string(reinterpret_cast<const char*>(data.begin()), data.size());
}

Status FromRocks(const rocksdb::Status& status, const std::string& what) {
  if (status.ok()) return Status::Ok();
  if (status.IsNotFound()) return Status::NotFound(what + ": not found");
  if (status.IsCorruption()) return Status::Corruption(what + ": " + status.ToString());
  if (status.IsNoSpace()) {
    // A full disk is the user's to mend. RocksDB wrote nothing of the failed batch it reports,
    // and refuses further writes until reopened.
    return Status::IoError(what + ": no space left on device; nothing was written: free space on the "
                           "ledger's disk, then retry");
  }
  return Status::IoError(what + ": " + status.ToString());
}

std::string EncodeHead(const Head& head) {
  std::string value(8 + 32 + 8, '\0');
  auto* bytes = reinterpret_cast<uint8_t*>(value.data());
  PutBigEndian64(head.sequence, bytes);
  std::memcpy(bytes + 8, head.chain_hash.data(), 32);
  PutBigEndian64(head.submission_count, bytes + 40);
  return value;
}

rocksdb::Slice AsSlice(const std::string& s) { return rocksdb::Slice(s.data(), s.size()); }

// Holds DIR/FILES.lock, shared or exclusive, until destroyed: readers hold it shared while they
// open the store, the writer exclusively while RocksDB may delete files (see OpenDatabase). Both
// wait for it. Without a lock file (a ledger on a read-only file system, where nobody writes) it
// holds nothing.
class FilesLock {
 public:
  FilesLock(const std::string& directory, bool exclusive) {
    std::string path = directory + "/FILES.lock";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return;
    while (::flock(fd_, exclusive ? LOCK_EX : LOCK_SH) != 0 && errno == EINTR) {
    }
  }
  ~FilesLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the flock
  }
  FilesLock(const FilesLock&) = delete;
  FilesLock& operator=(const FilesLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace

std::string SubjectKey(const Subject& subject, uint64_t sequence) {
  std::string key(1, static_cast<char>(subject.kind));
  key += subject.id;
  key += '\0';
  key += SequenceKey(sequence);
  return key;
}

std::string ResolveLedgerDirectory(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  if (const char* environment = std::getenv("FUNDTRAIL_LEDGER"); environment && *environment) {
    return environment;
  }
  return "ledger";
}

// Reads earlier events for reversals: from the batch being appended, else from the store.
namespace {

// The subjects the index holds `event` under, signed by `key_id_hex`, as of `state` before it
// (Append, and verify's and rebuild's replay of the index). A reversal's missing target is the
// validator's to report.
std::vector<Subject> SubjectsToIndex(schema::Event::Reader event, const std::string& key_id_hex,
                                     const LedgerState& state, EventLookup& lookup) {
  const KeyRecord* key = state.keys.Find(key_id_hex);
  std::optional<EarlierEvent> target;
  if (event.isReversal()) {
    auto found = lookup.Find(event.getReversal().getTargetSequence());
    if (found) target = std::move(*found);
  }
  schema::Event::Reader target_event;
  if (target) target_event = target->event.root();
  return IndexedSubjects(event, key ? key->org_id : std::string(), target ? &target_event : nullptr, state);
}

}  // namespace

class Ledger::Lookup : public EventLookup {
 public:
  explicit Lookup(const Ledger* ledger) : ledger_(ledger) {}

  void SetPending(uint64_t first_sequence, const SignedSubmission* submission,
                  const std::string& key_id_hex) {
    pending_first_ = first_sequence;
    pending_ = submission;
    pending_key_id_hex_ = key_id_hex;
  }

  Result<EarlierEvent> Find(uint64_t sequence) override {
    if (pending_ != nullptr && sequence >= pending_first_ &&
        sequence < pending_first_ + pending_->canonical_events.size()) {
      auto event = DecodedEvent::Open(pending_->canonical_events[sequence - pending_first_], "event");
      if (!event) return Error(event.error());
      return EarlierEvent{std::move(*event), pending_key_id_hex_};
    }
    auto entry = ledger_->ReadEntry(sequence);
    if (!entry) return Error(entry.error());
    auto view = DecodeEntry(entry->record);
    if (!view) return Error(view.error());
    auto event = DecodedEvent::Open(view->canonical_event, "event " + std::to_string(sequence));
    if (!event) return Error(event.error());
    auto submission_bytes = ledger_->ReadSubmission(view->submission_sequence);
    if (!submission_bytes) return Error(submission_bytes.error());
    auto submission = DecodedSubmission::Open(*submission_bytes, "submission");
    if (!submission) return Error(submission.error());
    return EarlierEvent{std::move(*event),
                        HexEncode(AsBytes(Str(submission->root().getBody().getKeyId())))};
  }

 private:
  const Ledger* ledger_;
  uint64_t pending_first_ = 0;
  const SignedSubmission* pending_ = nullptr;
  std::string pending_key_id_hex_;
};

// The stored Merkle tree nodes, read from the `merkle` column family.
class Ledger::MerkleNodes : public MerkleNodeReader {
 public:
  MerkleNodes(rocksdb::DB* database, rocksdb::ColumnFamilyHandle* handle) : database_(database), handle_(handle) {}
  Result<Digest> Get(uint32_t level, uint64_t index) const override {
    std::string value;
    rocksdb::Status status = database_->Get(rocksdb::ReadOptions(), handle_, MerkleNodeKey(level, index), &value);
    if (status.IsNotFound()) {
      return Error(Status::Corruption("Merkle node (level " + std::to_string(level) + ", index " +
                                      std::to_string(index) + ") is missing"));
    }
    FT_RETURN_IF_ERROR(FromRocks(status, "reading a Merkle node"));
    return ParseMerkleNodeValue(level, index, value);
  }

 private:
  rocksdb::DB* database_;
  rocksdb::ColumnFamilyHandle* handle_;
};

Ledger::~Ledger() {
  // A writer deletes the files it made obsolete only now, while no reader is opening (see
  // OpenDatabase).
  std::optional<FilesLock> files;
  if (access_ == Access::kReadWrite && database_ != nullptr) files.emplace(directory_, /*exclusive=*/true);
  if (access_ == Access::kReadWrite && database_ != nullptr && !write_failure_) {
    // A writer flushes every column family when it closes, so that no write-ahead log is left
    // to replay. The small column families (head, submissions, ...) rarely fill a memtable, so
    // RocksDB otherwise keeps every WAL file since their last flush, and each later open replays
    // them all: 8 s and 160 MiB for a read-only open at a million events (docs/BENCHMARKS.md).
    // A failed flush loses nothing: the WAL stays and is replayed as before.
    std::vector<rocksdb::ColumnFamilyHandle*> open;  // `history` may be missing (RecreateHistory failed)
    for (auto* handle : handles_) {
      if (handle != nullptr) open.push_back(handle);
    }
    (void)database_->Flush(rocksdb::FlushOptions(), open);
  }
  // After a failed write (a full disk), RocksDB may be recovering on a thread of its own, and
  // asserts that file deletions stay disabled meanwhile: the obsolete files then wait for the
  // next writer's close.
  std::string background_errors;
  const bool failed = write_failure_.has_value() ||
                      (database_ != nullptr &&
                       database_->GetProperty("rocksdb.background-errors", &background_errors) &&
                       background_errors != "0");
  if (files && !failed) (void)database_->EnableFileDeletions(/*force=*/true);
  merkle_nodes_.reset();
  for (auto* handle : handles_) {
    if (handle != nullptr) database_->DestroyColumnFamilyHandle(handle);
  }
  database_.reset();
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

rocksdb::ColumnFamilyHandle* Ledger::column_family(const std::string& name) const {
  for (size_t i = 0; i < handle_names_.size(); ++i) {
    if (handle_names_[i] == name) return handles_[i];
  }
  FT_ASSERT(false, "unknown column family");
  return nullptr;
}

std::string Ledger::ledger_id() const {
  const LedgerMeta* meta = state_.ledger();
  FT_ASSERT(meta != nullptr);
  auto raw = HexDecode(meta->ledger_id_hex);
  FT_ASSERT(raw.has_value());
  return *raw;
}

Result<std::unique_ptr<Ledger>> Ledger::OpenDatabase(const std::string& directory, Access access,
                                                     bool create, Clock* clock, rocksdb::Env* env) {
  namespace fs = std::filesystem;
  std::error_code error;
  std::string database_path = directory + "/db";
  if (create) {
    if (fs::exists(directory, error) && !fs::is_empty(directory, error)) {
      return Error(Status::AlreadyExists("ledger directory " + directory +
                                         " is not empty; choose a new directory"));
    }
    fs::create_directories(directory, error);
    if (error) return Error(Status::IoError("cannot create " + directory + ": " + error.message()));
  } else if (!fs::exists(database_path + "/CURRENT", error)) {
    return Error(Status::NotFound("no ledger at " + directory +
                                  " (create one with `fundtrail init`, or pass --ledger DIR)"));
  }
  std::unique_ptr<Ledger> ledger(new Ledger());
  ledger->directory_ = directory;
  ledger->access_ = access;
  ledger->clock_ = clock;
  if (access == Access::kReadWrite) {
    std::string lock_path = directory + "/WRITER.lock";
    ledger->lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT, 0644);
    if (ledger->lock_fd_ < 0) {
      return Error(Status::IoError("cannot open " + lock_path + ": " + std::strerror(errno)));
    }
    if (::flock(ledger->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
      return Error(Status::Busy("ledger " + directory +
                                " is in use by another writer; wait until it finishes and retry"));
    }
  }
  rocksdb::Options options;
  if (env != nullptr) options.env = env;
  options.create_if_missing = create;
  // Of an existing ledger, only `history` (derived, added after the others) may be missing: a
  // writer then adds it, a reader opens without it. Any other missing column family is damage,
  // never silently replaced by an empty one.
  bool has_history = true;
  if (!create) {
    std::vector<std::string> existing;
    rocksdb::Status listed = rocksdb::DB::ListColumnFamilies(options, database_path, &existing);
    if (!listed.ok()) return Error(FromRocks(listed, "opening ledger " + directory));
    for (const auto& name : kColumnFamilies) {
      if (std::find(existing.begin(), existing.end(), name) != existing.end()) continue;
      if (name == kColumnFamilies[kHistory]) {
        has_history = false;
        continue;
      }
      return Error(Status::Corruption("ledger " + directory + " lacks the column family \"" + name +
                                      "\" (docs/FORMAT.md, section 6): the database is damaged or not a "
                                      "fundtrail ledger; restore it from a backup"));
    }
  }
  options.create_missing_column_families = create || access == Access::kReadWrite;
  options.error_if_exists = create;
  options.keep_log_file_num = 4;
  options.max_manifest_file_size = 64 << 20;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (size_t index = 0; index < kColumnFamilies.size(); ++index) {
    descriptors.emplace_back(kColumnFamilies[index], ColumnFamilyOptionsOf(index));
  }
  rocksdb::DB* database = nullptr;
  rocksdb::Status status;
  if (access == Access::kReadWrite) {
    // The writer deletes files only while it holds FILES.lock exclusively: while it opens (the
    // recovered log is flushed and its WAL deleted) and while it closes (see ~Ledger).
    FilesLock files(directory, /*exclusive=*/true);
    status = rocksdb::DB::Open(options, database_path, descriptors, &ledger->handles_, &database);
    if (status.ok()) {
      ledger->database_.reset(database);  // so that the handles are released on failure
      status = database->DisableFileDeletions();
    }
  } else {
    // A reader reads the MANIFEST, then opens the table and WAL files it names. Had a writer
    // deleted one in between, the open would fail with "Corruption", or, for a WAL, silently
    // show an older ledger. So readers open holding FILES.lock shared. Once open, a reader holds
    // every table file open (max_open_files -1), so later deletions cannot touch it.
    options.max_open_files = -1;
    FilesLock files(directory, /*exclusive=*/false);
    // A ledger no writer has opened since `history` was added lacks it: opened without, it
    // serves histories from the log (HasHistory() is false). Whether it has it is read again
    // under the lock: a writer drops and creates it again while holding the lock exclusively
    // (RecreateHistory), so what was listed before may be gone.
    if (has_history) {
      std::vector<std::string> existing;
      rocksdb::Status listed = rocksdb::DB::ListColumnFamilies(options, database_path, &existing);
      if (!listed.ok()) return Error(FromRocks(listed, "opening ledger " + directory));
      has_history = std::find(existing.begin(), existing.end(), kColumnFamilies[kHistory]) != existing.end();
    }
    if (!has_history) descriptors.erase(descriptors.begin() + kHistory);
    status = rocksdb::DB::OpenForReadOnly(options, database_path, descriptors, &ledger->handles_, &database);
    if (status.ok()) {
      ledger->database_.reset(database);
      if (!has_history) ledger->handles_.insert(ledger->handles_.begin() + kHistory, nullptr);
    }
  }
  if (!status.ok()) return Error(FromRocks(status, "opening ledger " + directory));
  ledger->handle_names_ = kColumnFamilies;
  ledger->merkle_nodes_ = std::make_unique<MerkleNodes>(database, ledger->handles_[kMerkle]);
  return ledger;
}

Status Ledger::LoadHeadAndState() {
  std::string value;
  rocksdb::Status status = database_->Get(rocksdb::ReadOptions(), handles_[kDefault], kHeadKey, &value);
  if (status.IsNotFound()) return Status::Ok();  // a ledger being created
  FT_RETURN_IF_ERROR(FromRocks(status, "reading the head"));
  if (value.size() != 48) return Status::Corruption("the stored head has " + std::to_string(value.size()) + " bytes, expected 48");
  const auto* bytes = reinterpret_cast<const uint8_t*>(value.data());
  head_.sequence = GetBigEndian64(bytes);
  std::memcpy(head_.chain_hash.data(), bytes + 8, 32);
  head_.submission_count = GetBigEndian64(bytes + 40);
  std::unique_ptr<rocksdb::Iterator> iterator(database_->NewIterator(rocksdb::ReadOptions(), handles_[kState]));
  for (iterator->SeekToFirst(); iterator->Valid(); iterator->Next()) {
    FT_RETURN_IF_ERROR(state_.LoadRow(iterator->key().ToString(), iterator->value().ToString()));
  }
  FT_RETURN_IF_ERROR(FromRocks(iterator->status(), "reading the state"));
  if (state_.ledger() == nullptr) return Status::Corruption("the ledger has a head but no genesis state");
  return Status::Ok();
}

Result<std::unique_ptr<Ledger>> Ledger::Create(const std::string& directory,
                                               const SignedSubmission& genesis, Clock* clock) {
  auto ledger = OpenDatabase(directory, Access::kReadWrite, /*create=*/true, clock);
  if (!ledger) return ledger;
  size_t failed_event_index = 0;
  auto receipt = (*ledger)->Append(genesis, &failed_event_index);
  if (!receipt) {
    ledger->reset();
    std::error_code ignored;
    std::filesystem::remove_all(directory, ignored);  // we created it; nothing was appended
    if (failed_event_index != SIZE_MAX) {
      return Error(receipt.error().WithPrefix("genesis event " + std::to_string(failed_event_index + 1)));
    }
    return Error(receipt.error());
  }
  return ledger;
}

Result<std::unique_ptr<Ledger>> Ledger::Open(const std::string& directory, Access access, Clock* clock,
                                             StateCheck state_check, rocksdb::Env* env) {
  auto ledger = OpenDatabase(directory, access, /*create=*/false, clock, env);
  if (!ledger) return ledger;
  FT_RETURN_IF_ERROR((*ledger)->LoadHeadAndState());
  if ((*ledger)->head_.sequence == 0) return Error(Status::Corruption("ledger " + directory + " has no genesis"));
  if (state_check == StateCheck::kCheck) FT_RETURN_IF_ERROR((*ledger)->CheckState());
  return ledger;
}

Result<DecodedSubmission> Ledger::LastSubmission() const {
  std::unique_ptr<rocksdb::Iterator> iterator(database_->NewIterator(rocksdb::ReadOptions(), handles_[kSubmissions]));
  iterator->SeekToLast();
  FT_RETURN_IF_ERROR(FromRocks(iterator->status(), "reading the last submission"));
  if (!iterator->Valid()) return Error(Status::Corruption("the ledger has a head but no submission record"));
  rocksdb::Slice value = iterator->value();
  return DecodedSubmission::Open(std::string_view(value.data(), value.size()), "the last submission record");
}

Status Ledger::CheckState() const {
  auto last = LastSubmission();
  if (!last) return last.error();
  auto submission = last->root();
  const std::string where = "the validation state (column family \"state\")";
  const std::string mend = ": a state row was changed or removed; run `fundtrail rebuild` to rebuild it from the log";
  if (submission.hasStateDigest()) {
    Digest stored = state_.ComputeDigest();
    auto committed = submission.getStateDigest();
    if (committed.size() != kDigestSizeBytes || std::memcmp(committed.begin(), stored.data(), kDigestSizeBytes) != 0) {
      return Status::Corruption(where + " differs from the digest that the submission at sequence " +
                                std::to_string(submission.getFirstSequence()) + " commits" + mend);
    }
    return Status::Ok();
  }
  // A ledger last written before format 2 commits no state: prove the rows by replaying the log
  // (once per open, until the next append commits the state).
  LedgerState replayed;
  FT_RETURN_IF_ERROR(ReplayStateInto(&replayed));
  std::vector<std::string> differing = state_.DifferingTables(replayed);
  if (!differing.empty()) {
    std::string tables;
    for (const auto& name : differing) tables += (tables.empty() ? "" : ", ") + name;
    return Status::Corruption(where + " differs from the state the log builds (tables " + tables + ")" + mend);
  }
  return Status::Ok();
}

Status Ledger::ReplayStateInto(LedgerState* state) const { return ReplayEvents(state, nullptr); }

Status Ledger::ReplayEvents(LedgerState* state, const ReplayVisitor& before_apply) const {
  Lookup lookup(this);
  Validator validator(state, &lookup);
  rocksdb::ReadOptions options;
  options.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> submissions(database_->NewIterator(options, handles_[kSubmissions]));
  std::unique_ptr<rocksdb::Iterator> entries(database_->NewIterator(options, handles_[kLog]));
  entries->SeekToFirst();
  for (submissions->SeekToFirst(); submissions->Valid(); submissions->Next()) {
    rocksdb::Slice bytes = submissions->value();
    auto decoded = DecodedSubmission::Open(std::string_view(bytes.data(), bytes.size()), "a submission record");
    if (!decoded) return decoded.error();
    auto submission = decoded->root();
    const uint64_t first = submission.getFirstSequence();
    const std::string key_id_hex = HexEncode(AsBytes(Str(submission.getBody().getKeyId())));
    validator.set_validation_version(ValidationVersionOf(submission));
    for (uint32_t i = 0; i < submission.getBody().getEventCount(); ++i, entries->Next()) {
      const uint64_t sequence = first + i;
      if (!entries->Valid() || entries->key() != rocksdb::Slice(SequenceKey(sequence))) {
        FT_RETURN_IF_ERROR(FromRocks(entries->status(), "reading the log"));
        return Status::Corruption("sequence " + std::to_string(sequence) + " is missing from the log");
      }
      auto view = DecodeEntry(std::string_view(entries->value().data(), entries->value().size()));
      if (!view) return view.error().WithPrefix("sequence " + std::to_string(sequence));
      auto event = DecodedEvent::Open(view->canonical_event, "event " + std::to_string(sequence));
      if (!event) return event.error();
      if (before_apply) FT_RETURN_IF_ERROR(before_apply(sequence, key_id_hex, event->root(), lookup));
      Status applied = validator.Apply(sequence, key_id_hex, first == 1, event->root());
      if (!applied.ok()) return Status::Corruption("sequence " + std::to_string(sequence) + ": " + applied.message());
    }
  }
  return FromRocks(submissions->status(), "reading submissions");
}

Result<std::vector<std::string>> Ledger::RebuildState() {
  FT_ASSERT(access_ == Access::kReadWrite, "RebuildState on a read-only ledger");
  LedgerState replayed;
  FT_RETURN_IF_ERROR(ReplayStateInto(&replayed));
  std::vector<std::string> differing = state_.DifferingTables(replayed);
  // Rows under keys that name no table, or that do not parse, are not in state_: compare the
  // stored keys and values as well.
  std::vector<std::pair<std::string, std::string>> rows = replayed.StoredRows();
  std::sort(rows.begin(), rows.end());
  rocksdb::WriteBatch batch;
  std::unique_ptr<rocksdb::Iterator> stored(database_->NewIterator(rocksdb::ReadOptions(), handles_[kState]));
  size_t matching = 0;
  for (stored->SeekToFirst(); stored->Valid(); stored->Next()) {
    std::string key = stored->key().ToString();
    auto row = std::lower_bound(rows.begin(), rows.end(), std::make_pair(key, std::string()));
    if (row != rows.end() && row->first == key && row->second == stored->value().ToString()) ++matching;
    FT_ASSERT(batch.Delete(handles_[kState], key).ok());
  }
  FT_RETURN_IF_ERROR(FromRocks(stored->status(), "reading the state"));
  if (differing.empty() && matching != rows.size()) differing.push_back("(stored rows)");
  for (const auto& [key, value] : rows) FT_ASSERT(batch.Put(handles_[kState], key, value).ok());
  rocksdb::WriteOptions options;
  options.sync = true;
  FT_RETURN_IF_ERROR(WriteThrough([&] { return database_->Write(options, &batch); }, "writing the rebuilt state"));
  // Reload what was written, so that the state in memory is the stored one.
  state_.Clear();
  for (const auto& [key, value] : rows) FT_RETURN_IF_ERROR(state_.LoadRow(key, value));
  FT_ASSERT(state_.ComputeDigest() == replayed.ComputeDigest(), "a state row does not round-trip");
  FT_RETURN_IF_ERROR(CheckState());
  return differing;
}

Result<StoredEntry> Ledger::ReadEntry(uint64_t sequence) const {
  StoredEntry entry;
  entry.sequence = sequence;
  rocksdb::Status status = database_->Get(rocksdb::ReadOptions(), handles_[kLog], SequenceKey(sequence), &entry.record);
  if (status.IsNotFound()) return Error(Status::NotFound("there is no event " + std::to_string(sequence)));
  FT_RETURN_IF_ERROR(FromRocks(status, "reading event " + std::to_string(sequence)));
  return entry;
}

Result<Digest> Ledger::ChainHash(uint64_t sequence) const {
  if (sequence == 0) return Digest{};
  auto entry = ReadEntry(sequence);
  if (!entry) return Error(entry.error());
  auto view = DecodeEntry(entry->record);
  if (!view) return Error(view.error().WithPrefix("sequence " + std::to_string(sequence)));
  return view->chain_hash;
}

Result<std::string> Ledger::ReadSubmission(uint64_t first_sequence) const {
  std::string value;
  rocksdb::Status status = database_->Get(rocksdb::ReadOptions(), handles_[kSubmissions], SequenceKey(first_sequence), &value);
  if (status.IsNotFound()) {
    return Error(Status::Corruption("the submission at sequence " + std::to_string(first_sequence) + " is missing"));
  }
  FT_RETURN_IF_ERROR(FromRocks(status, "reading submission " + std::to_string(first_sequence)));
  return value;
}

Result<std::optional<uint64_t>> Ledger::FindSubmission(const std::string& submission_id) const {
  std::string value;
  rocksdb::Status status = database_->Get(rocksdb::ReadOptions(), handles_[kSubmissionIds], submission_id, &value);
  if (status.IsNotFound()) return std::optional<uint64_t>();
  FT_RETURN_IF_ERROR(FromRocks(status, "reading the submission id index"));
  auto damaged = [&](const std::string& what) {
    return Error(Status::Corruption("the submission id index (column family \"submission_ids\") entry of \"" +
                                    submission_id + "\" " + what + "; run `fundtrail rebuild` to recompute it"));
  };
  if (value.size() != 8) return damaged("is not an 8-byte sequence number");
  const uint64_t first = GetBigEndian64(reinterpret_cast<const uint8_t*>(value.data()));
  if (first == 0 || first > head_.sequence) return damaged("points beyond the log (sequence " + std::to_string(first) + ")");
  auto bytes = ReadSubmission(first);
  if (!bytes) return damaged("points to sequence " + std::to_string(first) + ", where no submission starts");
  auto submission = DecodedSubmission::Open(*bytes, "submission " + std::to_string(first));
  if (!submission) return Error(submission.error());
  auto stored_id = submission->root().getBody().getSubmissionId();
  if (std::string_view(stored_id.cStr(), stored_id.size()) != submission_id) {
    return damaged("points to sequence " + std::to_string(first) + ", whose submission has another id");
  }
  return std::optional<uint64_t>(first);
}

Status Ledger::ScanEntries(uint64_t from, uint64_t to,
                           const std::function<bool(const StoredEntry&)>& visit) const {
  rocksdb::ReadOptions options;
  options.fill_cache = false;  // a scan should not evict the working set
  std::unique_ptr<rocksdb::Iterator> iterator(database_->NewIterator(options, handles_[kLog]));
  StoredEntry entry;
  for (iterator->Seek(SequenceKey(from)); iterator->Valid(); iterator->Next()) {
    if (iterator->key().size() != 8) {
      return Status::Corruption("log key of " + std::to_string(iterator->key().size()) + " bytes");
    }
    entry.sequence = GetBigEndian64(reinterpret_cast<const uint8_t*>(iterator->key().data()));
    if (entry.sequence > to) break;
    entry.record.assign(iterator->value().data(), iterator->value().size());
    if (!visit(entry)) break;
  }
  return FromRocks(iterator->status(), "scanning the log");
}

Status Ledger::ScanSubject(const Subject& subject, uint64_t from, uint64_t to,
                           const std::function<bool(uint64_t)>& visit) const {
  std::string prefix(1, static_cast<char>(subject.kind));
  prefix += subject.id;
  prefix += '\0';
  // Every key of the subject is below kind || id || 0x01: the bound keeps the iterator from
  // reading past them into the next subject's blocks.
  std::string limit = prefix;
  limit.back() = '\x01';
  rocksdb::Slice upper_bound(limit);
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = &upper_bound;
  std::unique_ptr<rocksdb::Iterator> iterator(database_->NewIterator(options, handles_[kSubjects]));
  for (iterator->Seek(prefix + SequenceKey(from)); iterator->Valid(); iterator->Next()) {
    rocksdb::Slice key = iterator->key();
    if (!key.starts_with(prefix) || key.size() != prefix.size() + 8) break;
    uint64_t sequence = GetBigEndian64(reinterpret_cast<const uint8_t*>(key.data()) + prefix.size());
    if (sequence > to || !visit(sequence)) break;
  }
  return FromRocks(iterator->status(), "scanning the subject index");
}

Status Ledger::ReadEntries(std::span<const uint64_t> sequences,
                           const std::function<bool(uint64_t, std::string_view)>& visit) const {
  // A bounded batch: the pinned blocks of one batch are all RocksDB holds for us at a time.
  constexpr size_t kBatchKeysMax = 256;
  std::array<std::array<char, 8>, kBatchKeysMax> keys;
  std::array<rocksdb::Slice, kBatchKeysMax> slices;
  std::vector<rocksdb::PinnableSlice> values(kBatchKeysMax);
  std::vector<rocksdb::Status> statuses(kBatchKeysMax);
  // A history reads each block once, and seldom the same blocks again soon: filling the block
  // cache would cost an insert (and an eviction) per block for nothing. Measured at 10M events:
  // docs/BENCHMARKS.md, figure 6.
  rocksdb::ReadOptions options;
  options.fill_cache = false;
  for (size_t first = 0; first < sequences.size(); first += kBatchKeysMax) {
    const size_t count = std::min(kBatchKeysMax, sequences.size() - first);
    for (size_t i = 0; i < count; ++i) {
      const uint64_t sequence = sequences[first + i];
      FT_ASSERT(first + i == 0 || sequence > sequences[first + i - 1], "ReadEntries needs increasing sequences");
      PutBigEndian64(sequence, reinterpret_cast<uint8_t*>(keys[i].data()));
      slices[i] = rocksdb::Slice(keys[i].data(), keys[i].size());
    }
    database_->MultiGet(options, handles_[kLog], count, slices.data(), values.data(), statuses.data(),
                        /*sorted_input=*/true);
    for (size_t i = 0; i < count; ++i) {
      const uint64_t sequence = sequences[first + i];
      if (statuses[i].IsNotFound()) return Status::NotFound("there is no event " + std::to_string(sequence));
      FT_RETURN_IF_ERROR(FromRocks(statuses[i], "reading event " + std::to_string(sequence)));
      if (!visit(sequence, std::string_view(values[i].data(), values[i].size()))) return Status::Ok();
      values[i].Reset();  // unpins the block
    }
  }
  return Status::Ok();
}

Result<Receipt> Ledger::ReceiptFor(uint64_t first_sequence) const {
  auto bytes = ReadSubmission(first_sequence);
  if (!bytes) return Error(bytes.error());
  auto submission = DecodedSubmission::Open(*bytes, "submission at sequence " + std::to_string(first_sequence));
  if (!submission) return Error(submission.error());
  Receipt receipt;
  receipt.submission_id = submission->root().getBody().getSubmissionId().cStr();
  receipt.first_sequence = first_sequence;
  receipt.last_sequence = first_sequence + submission->root().getBody().getEventCount() - 1;
  receipt.appended_at_micros = submission->root().getAppendedAt();
  for (uint64_t sequence = receipt.first_sequence; sequence <= receipt.last_sequence; ++sequence) {
    auto hash = ChainHash(sequence);
    if (!hash) return Error(hash.error());
    receipt.entry_hashes.push_back(*hash);
  }
  receipt.head = receipt.entry_hashes.back();
  return receipt;
}

Result<Receipt> Ledger::Append(const SignedSubmission& submission, size_t* failed_event_index) {
  FT_ASSERT(access_ == Access::kReadWrite, "Append on a read-only ledger");
  *failed_event_index = SIZE_MAX;
  auto invalid = [](const std::string& message) { return Error(Status::InvalidArgument(message)); };

  auto decoded_body = DecodedSubmissionBody::Open(submission.canonical_body, "submission body");
  if (!decoded_body) return invalid(decoded_body.error().message());
  auto body = decoded_body->root();
  const bool genesis = head_.sequence == 0;
  const size_t count = submission.canonical_events.size();
  if (count == 0) return invalid("the submission is empty: give at least one event");
  if (count > kSubmissionEventCountMax) {
    return invalid("the submission has " + std::to_string(count) + " events, the limit is " +
                   std::to_string(kSubmissionEventCountMax) + "; split it");
  }
  if (body.getEventCount() != count || body.getEventDigests().size() != count) {
    return invalid("the signed body lists " + std::to_string(body.getEventDigests().size()) +
                   " events, the submission carries " + std::to_string(count));
  }
  std::string submission_id(body.getSubmissionId().cStr(), body.getSubmissionId().size());
  if (Status id_checked = CheckSubmissionIdV2(submission_id); !id_checked.ok()) return Error(id_checked);
  std::string ledger_id = Str(body.getLedgerId());
  if (!genesis && ledger_id != this->ledger_id()) {
    return invalid("the submission was signed for ledger " + HexEncode(AsBytes(ledger_id)) +
                   ", this is ledger " + HexEncode(AsBytes(this->ledger_id())));
  }
  std::string key_id_hex = HexEncode(AsBytes(Str(body.getKeyId())));

  // A retry with the same submission id returns the original receipt.
  std::string existing;
  rocksdb::Status lookup = database_->Get(rocksdb::ReadOptions(), handles_[kSubmissionIds], submission_id, &existing);
  if (lookup.ok()) {
    uint64_t first = GetBigEndian64(reinterpret_cast<const uint8_t*>(existing.data()));
    auto stored_bytes = ReadSubmission(first);
    if (!stored_bytes) return Error(stored_bytes.error());
    auto stored = DecodedSubmission::Open(*stored_bytes, "stored submission");
    if (!stored) return Error(stored.error());
    auto stored_body = stored->root().getBody();
    bool same = stored_body.getKeyId() == body.getKeyId() && stored_body.getEventCount() == count;
    for (size_t i = 0; same && i < count; ++i) {
      same = stored_body.getEventDigests()[i] == body.getEventDigests()[i];
    }
    if (!same) {
      return Error(Status::AlreadyExists("submission id \"" + submission_id + "\" was already used at sequence " +
                                         std::to_string(first) + " for other content; choose a new id"));
    }
    auto receipt = ReceiptFor(first);
    if (receipt) receipt->already_appended = true;
    return receipt;
  }
  if (!lookup.IsNotFound()) return Error(FromRocks(lookup, "reading submission ids"));

  // Every event must be the one the signature covers.
  ChainHasher hasher;
  std::vector<Digest> event_digests(count);
  std::vector<DecodedEvent> events;
  events.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    event_digests[i] = hasher.Event(submission.canonical_events[i]);
    auto signed_digest = body.getEventDigests()[i];
    if (signed_digest.size() != 32 || std::memcmp(signed_digest.begin(), event_digests[i].data(), 32) != 0) {
      *failed_event_index = i;
      return invalid("the event differs from the digest in the signed body");
    }
    auto event = DecodedEvent::Open(submission.canonical_events[i], "the event");
    if (!event) {
      *failed_event_index = i;
      return invalid(event.error().message());
    }
    events.push_back(std::move(*event));
  }
  auto check_signature = [&](const std::string& public_key_raw) -> Status {
    auto key = PublicKey::FromRaw(public_key_raw);
    FT_ASSERT(key.has_value());
    if (!key->Verify(AsBytes(SignedMessage(submission.canonical_body)), submission.signature)) {
      return Status::PermissionDenied("the signature by key " + key_id_hex +
                                      " does not verify: the batch was changed after signing, or "
                                      "signed with another key");
    }
    return Status::Ok();
  };
  const uint64_t first = head_.sequence + 1;
  Lookup lookup_events(this);
  lookup_events.SetPending(first, &submission, key_id_hex);
  Validator checked(&state_, &lookup_events);
  // Validated under the version the submission will record (below): a writer without the views'
  // fold writes version 2, whose replay refuses what version 4 added.
  checked.set_validation_version(views_fold_ ? kValidationVersionCurrent : kValidationVersionWithoutViews);
  if (!genesis) {
    auto key = checked.SigningKey(key_id_hex);
    if (!key) return Error(key.error());
    FT_RETURN_IF_ERROR(check_signature(*key));
  }

  // Validate and apply, all or nothing.
  std::vector<std::vector<Subject>> subjects(count);
  state_.Begin();
  for (size_t i = 0; i < count; ++i) {
    auto event = events[i].root();
    subjects[i] = SubjectsToIndex(event, key_id_hex, state_, lookup_events);
    Status applied = checked.Apply(first + i, key_id_hex, genesis, event);
    if (!applied.ok()) {
      state_.Rollback();
      *failed_event_index = i;
      return Error(applied);
    }
  }
  if (genesis) {
    auto raw = HexDecode(state_.ledger()->operator_public_key_hex);
    FT_ASSERT(raw.has_value());
    Status signature = check_signature(*raw);
    if (signature.ok() && ledger_id != this->ledger_id()) {
      signature = Status::InvalidArgument("the genesis submission's ledger id differs from ledger_genesis");
    }
    if (!signature.ok()) {
      state_.Rollback();
      return Error(signature);
    }
  }
  // The views after the submission, committed beside the state (docs/FORMAT.md, section 5).
  auto views = FoldViews(first, events, &lookup_events, failed_event_index);
  if (!views) {
    state_.Rollback();
    return Error(views.error());
  }

  // The stored submission record, then the entries chained through its digest.
  capnp::MallocMessageBuilder message;
  auto stored = message.initRoot<schema::Submission>();
  stored.setBody(body);
  stored.setSignature(capnp::Data::Reader(reinterpret_cast<const capnp::byte*>(submission.signature.data()),
                                          submission.signature.size()));
  stored.setFirstSequence(first);
  int64_t appended_at = clock_->NowMicros();
  stored.setAppendedAt(appended_at);
  stored.setValidationVersion(views->has_value() ? kValidationVersionCurrent : kValidationVersionWithoutViews);
  // The state this submission leaves, committed in the chain (docs/FORMAT.md, section 5): every
  // open checks the stored state rows against it.
  const Digest state_digest = state_.ComputeDigest();
  stored.setStateDigest(capnp::Data::Reader(state_digest.data(), state_digest.size()));
  if (views->has_value()) {
    stored.setViewsVersion(views_fold_->version());
    stored.setViewsDigest(capnp::Data::Reader((*views)->data(), (*views)->size()));
  }
  std::string stored_bytes = CanonicalBytes(stored.asReader());
  Digest submission_digest = SubmissionDigest(stored_bytes);

  rocksdb::WriteBatch batch;
  Receipt receipt;
  receipt.submission_id = submission_id;
  receipt.first_sequence = first;
  receipt.last_sequence = first + count - 1;
  receipt.appended_at_micros = appended_at;
  Head next = head_;
  // The Merkle tree grows by one leaf per entry; new nodes are staged and join the batch.
  MerkleStagingStore merkle_staging(merkle_nodes_.get());
  MerkleTreeWriter merkle(&merkle_staging, head_.sequence);
  for (size_t i = 0; i < count; ++i) {
    uint64_t sequence = first + i;
    next.chain_hash = hasher.Chain(next.chain_hash, sequence, submission_digest, event_digests[i]);
    next.sequence = sequence;
    receipt.entry_hashes.push_back(next.chain_hash);
    if (merkle_tree_) {
      auto grown = merkle.AppendLeaf(LogLeafHash(next.chain_hash));
      if (!grown) {
        state_.Rollback();
        if (views_fold_) views_fold_->Rollback();
        return Error(grown.error());
      }
    }
    std::string key = SequenceKey(sequence);
    FT_ASSERT(batch.Put(handles_[kLog], key,
                        EncodeEntry(next.chain_hash, first, submission.canonical_events[i])).ok());
    for (const auto& subject : subjects[i]) {
      FT_ASSERT(batch.Put(handles_[kSubjects], SubjectKey(subject, sequence), rocksdb::Slice()).ok());
    }
  }
  for (const auto& [node, hash] : merkle_staging.staged()) {
    FT_ASSERT(batch.Put(handles_[kMerkle], MerkleNodeKey(node.level, node.index),
                        rocksdb::Slice(reinterpret_cast<const char*>(hash.data()), hash.size())).ok());
  }
  next.submission_count += 1;
  receipt.head = next.chain_hash;
  FT_ASSERT(batch.Put(handles_[kSubmissions], SequenceKey(first), AsSlice(stored_bytes)).ok());
  FT_ASSERT(batch.Put(handles_[kSubmissionIds], submission_id, SequenceKey(first)).ok());
  for (const auto& [key, value] : state_.DirtyRows()) {
    if (value) {
      FT_ASSERT(batch.Put(handles_[kState], key, *value).ok());
    } else {
      FT_ASSERT(batch.Delete(handles_[kState], key).ok());
    }
  }
  FT_ASSERT(batch.Put(handles_[kDefault], kHeadKey, EncodeHead(next)).ok());

  rocksdb::WriteOptions options;
  options.sync = sync_writes_;  // the receipt promises durability (AppendGroup syncs at its end)
  Status written = WriteThrough([&] { return database_->Write(options, &batch); }, "writing the submission");
  if (!written.ok()) {
    state_.Rollback();
    if (views_fold_) views_fold_->Rollback();
    return Error(written);
  }
  state_.Commit();
  if (views_fold_) views_fold_->Commit(next.sequence, next.chain_hash);
  head_ = next;
  return receipt;
}

Result<std::optional<Digest>> Ledger::FoldViews(uint64_t first, std::span<const DecodedEvent> events,
                                                EventLookup* lookup, size_t* failed_event_index) {
  if (!views_fold_) {
    // A writer without the views' fold may not append to a ledger whose submissions commit them.
    if (head_.sequence == 0) return std::optional<Digest>();
    auto last = LastSubmission();
    if (!last) return Error(last.error());
    if (ValidationVersionOf(last->root()) >= kValidationVersionViews) {
      return Error(Status::InvalidArgument(
          "this ledger commits its views in every submission (validation version " +
          std::to_string(kValidationVersionViews) + "), and this writer was opened without the views' fold; "
          "append with the fundtrail command"));
    }
    return std::optional<Digest>();
  }
  views_fold_->Begin();
  for (size_t i = 0; i < events.size(); ++i) {
    Status applied = views_fold_->Apply(first + i, events[i].root(), lookup);
    if (!applied.ok()) {
      views_fold_->Rollback();
      *failed_event_index = i;
      return Error(Status::InvalidArgument(applied.message()));
    }
  }
  return std::optional<Digest>(views_fold_->StateDigest());
}

Result<std::optional<ViewsCommitment>> Ledger::ViewsCommitmentAt(uint64_t sequence) const {
  if (sequence == 0 || sequence > head_.sequence) return std::optional<ViewsCommitment>();
  std::unique_ptr<rocksdb::Iterator> iterator(database_->NewIterator(rocksdb::ReadOptions(), handles_[kSubmissions]));
  std::string key = SequenceKey(sequence);
  iterator->SeekForPrev(key);
  FT_RETURN_IF_ERROR(FromRocks(iterator->status(), "reading the submissions"));
  if (!iterator->Valid()) return std::optional<ViewsCommitment>();
  rocksdb::Slice value = iterator->value();
  auto decoded = DecodedSubmission::Open(std::string_view(value.data(), value.size()), "a submission record");
  if (!decoded) return Error(decoded.error());
  auto submission = decoded->root();
  const uint64_t last = submission.getFirstSequence() + submission.getBody().getEventCount() - 1;
  if (last != sequence || !submission.hasViewsDigest() || submission.getViewsDigest().size() != kDigestSizeBytes) {
    return std::optional<ViewsCommitment>();
  }
  ViewsCommitment commitment;
  commitment.submission_sequence = submission.getFirstSequence();
  commitment.version = submission.getViewsVersion();
  std::memcpy(commitment.digest.data(), submission.getViewsDigest().begin(), kDigestSizeBytes);
  return std::optional<ViewsCommitment>(commitment);
}

std::vector<Ledger::GroupResult> Ledger::AppendGroup(std::span<const SignedSubmission> submissions) {
  FT_ASSERT(access_ == Access::kReadWrite, "AppendGroup on a read-only ledger");
  FT_ASSERT(submissions.size() <= kGroupSizeMax);
  FT_ASSERT(sync_writes_, "AppendGroup inside AppendGroup");
  std::vector<GroupResult> results;
  results.reserve(submissions.size());
  bool wrote = false;
  sync_writes_ = false;
  for (const SignedSubmission& submission : submissions) {
    size_t failed_event_index = SIZE_MAX;
    Result<Receipt> receipt = Append(submission, &failed_event_index);
    wrote = wrote || (receipt.has_value() && !receipt->already_appended);
    results.push_back(GroupResult{std::move(receipt), failed_event_index});
  }
  sync_writes_ = true;
  if (!wrote) return results;
  // One fsync makes every batch written above durable: the write-ahead log is one sequential
  // file (or several, each synced), and the batches were written to it in order.
  Status failed = WriteThrough([&] { return database_->FlushWAL(/*sync=*/true); }, "syncing the write-ahead log");
  if (failed.ok()) return results;
  // A retry of a submission written earlier in this group is no more durable than it.
  for (GroupResult& result : results) {
    if (result.receipt.has_value()) result.receipt = Error(failed);
  }
  return results;
}

Status Ledger::WriteThrough(const std::function<rocksdb::Status()>& write, const std::string& what) {
  {
    std::lock_guard lock(write_failure_mutex_);
    if (write_failure_) {
      return Status::IoError(what + ": refused after an earlier write failed (" + write_failure_->message() +
                             "); open the ledger again");
    }
  }
  Status status = FromRocks(write(), what);
  if (!status.ok() && status.code() != StatusCode::kNotFound) {
    std::lock_guard lock(write_failure_mutex_);
    if (!write_failure_) write_failure_ = status;
  }
  return status;
}

Result<uint64_t> Ledger::LastSequenceAppendedBy(int64_t micros) const {
  rocksdb::ReadOptions options;
  options.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> iterator(database_->NewIterator(options, handles_[kSubmissions]));
  uint64_t last = 0;
  for (iterator->SeekToFirst(); iterator->Valid(); iterator->Next()) {
    rocksdb::Slice value = iterator->value();
    auto submission = DecodedSubmission::Open(std::string_view(value.data(), value.size()), "submission");
    if (!submission) return Error(submission.error());
    if (submission->root().getAppendedAt() > micros) break;
    last = submission->root().getFirstSequence() + submission->root().getBody().getEventCount() - 1;
  }
  FT_RETURN_IF_ERROR(FromRocks(iterator->status(), "reading submissions"));
  return last;
}

Result<Digest> Ledger::TreeRoot(uint64_t size) const {
  return MerkleTree(merkle_nodes_.get(), head_.sequence).Root(size);
}

Result<std::vector<Digest>> Ledger::InclusionProof(uint64_t sequence, uint64_t size) const {
  if (sequence == 0) return Error(Status::InvalidArgument("sequence numbers start at 1"));
  return MerkleTree(merkle_nodes_.get(), head_.sequence).InclusionProof(sequence - 1, size);
}

Result<std::vector<Digest>> Ledger::ConsistencyProof(uint64_t old_size, uint64_t new_size) const {
  return MerkleTree(merkle_nodes_.get(), head_.sequence).ConsistencyProof(old_size, new_size);
}

Result<std::vector<std::pair<uint32_t, Digest>>> Ledger::CompactRange(uint64_t size) const {
  return MerkleTree(merkle_nodes_.get(), head_.sequence).CompactRange(size);
}

std::unique_ptr<EventLookup> Ledger::NewLookup() const { return std::make_unique<Lookup>(this); }

Result<std::optional<std::string>> Ledger::GetDerived(const std::string& key) const {
  std::string value;
  rocksdb::Status status = database_->Get(rocksdb::ReadOptions(), handles_[kDerived], key, &value);
  if (status.IsNotFound()) return std::optional<std::string>();
  FT_RETURN_IF_ERROR(FromRocks(status, "reading " + key));
  return std::optional<std::string>(std::move(value));
}

Status Ledger::PutDerived(const std::string& key, const std::string& value) {
  FT_ASSERT(access_ == Access::kReadWrite, "PutDerived on a read-only ledger");
  // Derived data can be recomputed from the log, so no sync: a crash only means catching up.
  return WriteThrough([&] { return database_->Put(rocksdb::WriteOptions(), handles_[kDerived], key, value); },
                      "writing " + key);
}

bool Ledger::HasHistory() const { return handles_[kHistory] != nullptr; }

Status Ledger::RecreateHistory() {
  FT_ASSERT(access_ == Access::kReadWrite, "RecreateHistory on a read-only ledger");
  // Readers list the column families and open them under FILES.lock shared: none sees the family
  // dropped and not yet created again.
  FilesLock files(directory_, /*exclusive=*/true);
  // HistoryTable's files: what a crashed load left is of no use.
  FT_RETURN_IF_ERROR(EndHistoryLoad());
  std::error_code error;
  const std::string load = directory_ + "/" + kHistoryLoadDirectory;
  if (!std::filesystem::create_directories(load, error) && error) {
    return Status::IoError("creating " + load + " for the history store's tables: " + error.message());
  }
  if (handles_[kHistory] != nullptr) {
    FT_RETURN_IF_ERROR(FromRocks(database_->DropColumnFamily(handles_[kHistory]), "dropping the history store"));
    FT_RETURN_IF_ERROR(
        FromRocks(database_->DestroyColumnFamilyHandle(handles_[kHistory]), "closing the dropped history store"));
    handles_[kHistory] = nullptr;
  }
  rocksdb::ColumnFamilyHandle* created = nullptr;
  FT_RETURN_IF_ERROR(FromRocks(
      database_->CreateColumnFamily(ColumnFamilyOptionsOf(kHistory), kColumnFamilies[kHistory], &created),
      "creating the history store"));
  handles_[kHistory] = created;
  return Status::Ok();
}

Status Ledger::EndHistoryLoad() {
  FT_ASSERT(access_ == Access::kReadWrite, "EndHistoryLoad on a read-only ledger");
  const std::string load = directory_ + "/" + kHistoryLoadDirectory;
  std::error_code error;
  std::filesystem::remove_all(load, error);
  if (error) return Status::IoError("removing " + load + ": " + error.message());
  return Status::Ok();
}

Status Ledger::SettleHistory() {
  FT_ASSERT(access_ == Access::kReadWrite, "SettleHistory on a read-only ledger");
  FT_RETURN_IF_ERROR(FlushHistory());
  // Settling is for speed only: after a background error RocksDB compacts no more, and a
  // compaction that outlasts the bound is left to RocksDB.
  constexpr auto kLongest = std::chrono::minutes(10);
  const auto start = std::chrono::steady_clock::now();
  uint64_t errors_before = 0;
  if (!database_->GetIntProperty("rocksdb.background-errors", &errors_before)) {
    return Status::IoError("reading RocksDB's background errors");
  }
  while (std::chrono::steady_clock::now() - start < kLongest) {
    uint64_t pending = 0, running = 0, errors = 0;
    if (!database_->GetIntProperty(handles_[kHistory], "rocksdb.compaction-pending", &pending) ||
        !database_->GetIntProperty("rocksdb.num-running-compactions", &running) ||
        !database_->GetIntProperty("rocksdb.background-errors", &errors)) {
      return Status::IoError("reading the history store's compaction state");
    }
    if (errors > errors_before) {
      return Status::IoError("RocksDB failed in the background while compacting the history store; see " +
                             directory_ + "/db/LOG");
    }
    if (pending == 0 && running == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return Status::Ok();
}

Result<std::optional<std::string>> Ledger::GetHistory(std::string_view key) const {
  FT_ASSERT(HasHistory());
  std::string value;
  rocksdb::Status status =
      database_->Get(rocksdb::ReadOptions(), handles_[kHistory], rocksdb::Slice(key.data(), key.size()), &value);
  if (status.IsNotFound()) return std::optional<std::string>();
  FT_RETURN_IF_ERROR(FromRocks(status, "reading the history store"));
  return std::optional<std::string>(std::move(value));
}

Status Ledger::ScanHistory(std::string_view begin, std::string_view end,
                           const std::function<bool(std::string_view, std::string_view)>& visit) const {
  FT_ASSERT(HasHistory());
  rocksdb::Slice upper_bound(end.data(), end.size());
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = &upper_bound;
  // Histories are read once: their blocks would only push the log's out of the block cache.
  options.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> iterator(database_->NewIterator(options, handles_[kHistory]));
  for (iterator->Seek(rocksdb::Slice(begin.data(), begin.size())); iterator->Valid(); iterator->Next()) {
    rocksdb::Slice key = iterator->key(), value = iterator->value();
    if (!visit(std::string_view(key.data(), key.size()), std::string_view(value.data(), value.size()))) break;
  }
  return FromRocks(iterator->status(), "scanning the history store");
}

Status Ledger::WriteHistory(const std::vector<std::pair<std::string, std::string>>& puts) {
  HistoryBatch batch = NewHistoryBatch();
  std::vector<const std::pair<std::string, std::string>*> ordered;
  ordered.reserve(puts.size());
  for (const auto& put : puts) ordered.push_back(&put);
  std::sort(ordered.begin(), ordered.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
  for (const auto* put : ordered) batch.Put(put->first, put->second);
  return WriteHistory(batch);
}

void Ledger::HistoryBatch::Put(std::string_view key, std::string_view value) {
  FT_ASSERT(batch_.Put(family_, rocksdb::Slice(key.data(), key.size()), rocksdb::Slice(value.data(), value.size())).ok());
}

Ledger::HistoryBatch Ledger::NewHistoryBatch() {
  FT_ASSERT(HasHistory());
  return HistoryBatch(handles_[kHistory]);
}

Status Ledger::WriteHistory(HistoryBatch& batch) {
  FT_ASSERT(access_ == Access::kReadWrite, "WriteHistory on a read-only ledger");
  // Derived data, so no sync (as PutDerived).
  return WriteThrough([&] { return database_->Write(rocksdb::WriteOptions(), &batch.batch_); },
                      "writing the history store");
}

Ledger::HistoryTable::HistoryTable() = default;
Ledger::HistoryTable::HistoryTable(HistoryTable&& other) noexcept
    : writer_(std::move(other.writer_)),
      path_(std::exchange(other.path_, {})),
      entries_(std::exchange(other.entries_, 0)) {}
Ledger::HistoryTable& Ledger::HistoryTable::operator=(HistoryTable&& other) noexcept {
  if (this != &other) {
    Discard();
    writer_ = std::move(other.writer_);
    path_ = std::exchange(other.path_, {});
    entries_ = std::exchange(other.entries_, 0);
  }
  return *this;
}
Ledger::HistoryTable::~HistoryTable() { Discard(); }
void Ledger::HistoryTable::Discard() {
  writer_.reset();  // abandons an unfinished table
  std::error_code ignored;
  if (!path_.empty()) std::filesystem::remove(path_, ignored);  // gone already once added
  path_.clear();
}

Status Ledger::HistoryTable::Put(std::string_view key, std::string_view value) {
  if (writer_ == nullptr) return Status::InvalidArgument("a history table written after it was moved or added");
  FT_RETURN_IF_ERROR(FromRocks(
      writer_->Put(rocksdb::Slice(key.data(), key.size()), rocksdb::Slice(value.data(), value.size())),
      "writing " + path_));
  ++entries_;
  return Status::Ok();
}

Result<Ledger::HistoryTable> Ledger::NewHistoryTable() {
  FT_ASSERT(access_ == Access::kReadWrite && HasHistory(), "NewHistoryTable without a writable store");
  rocksdb::Options options(database_->GetDBOptions(), ColumnFamilyOptionsOf(kHistory));
  // Compressed as the store's lower levels: a table that overlaps no other goes straight to the
  // last level (RocksDB places an added table as deep as it can) and stays as written.
  options.compression_per_level.clear();
  options.compression = rocksdb::kLZ4Compression;
  HistoryTable table;
  table.path_ = directory_ + "/" + kHistoryLoadDirectory + "/" + std::to_string(history_tables_++) + ".sst";
  // The table's pages stay in the page cache (RocksDB's default drops them as they are written):
  // it is read again soon, when it is compacted.
  table.writer_ = std::make_unique<rocksdb::SstFileWriter>(rocksdb::EnvOptions(), options, handles_[kHistory],
                                                           /*invalidate_page_cache=*/false);
  FT_RETURN_IF_ERROR(FromRocks(table.writer_->Open(table.path_), "creating " + table.path_));
  return Result<HistoryTable>(std::move(table));
}

Status Ledger::AddHistoryTable(HistoryTable table) {
  FT_ASSERT(access_ == Access::kReadWrite, "AddHistoryTable on a read-only ledger");
  if (table.writer_ == nullptr) return Status::InvalidArgument("a history table added after it was moved or added");
  if (table.empty()) return Status::Ok();
  FT_RETURN_IF_ERROR(FromRocks(table.writer_->Finish(), "writing " + table.path_));
  rocksdb::IngestExternalFileOptions options;
  options.move_files = true;  // linked into the database, then unlinked here
  // A table added to level 0 gets its sequence number in RocksDB's metadata only, not also
  // written into the file (RocksDB's advice for new uses; no random write per table).
  options.write_global_seqno = false;
  return WriteThrough([&] { return database_->IngestExternalFile(handles_[kHistory], {table.path_}, options); },
                   "adding " + table.path_ + " to the history store");
}

Status Ledger::FlushHistory() {
  FT_ASSERT(access_ == Access::kReadWrite, "FlushHistory on a read-only ledger");
  rocksdb::FlushOptions options;
  options.wait = true;
  return WriteThrough([&] { return database_->Flush(options, handles_[kHistory]); }, "flushing the history store");
}

Status Ledger::PutDerived(const std::vector<std::pair<std::string, std::string>>& puts) {
  FT_ASSERT(access_ == Access::kReadWrite, "PutDerived on a read-only ledger");
  rocksdb::WriteBatch batch;
  for (const auto& [key, value] : puts) FT_ASSERT(batch.Put(handles_[kDerived], key, value).ok());
  return WriteThrough([&] { return database_->Write(rocksdb::WriteOptions(), &batch); }, "writing derived data");
}

Status Ledger::DeleteDerived(const std::string& key) {
  FT_ASSERT(access_ == Access::kReadWrite, "DeleteDerived on a read-only ledger");
  return WriteThrough([&] { return database_->Delete(rocksdb::WriteOptions(), handles_[kDerived], key); },
                      "deleting " + key);
}

Status Ledger::VerifyMerkleNodes() const {
  // Level by level, each stored node must be the node hash of the two stored nodes below it.
  // Level 0 was checked against the log during the replay, so by induction every stored node
  // is the tree of the log. Streams: three iterators, constant memory.
  rocksdb::ReadOptions options;
  options.fill_cache = false;
  const uint64_t size = head_.sequence;
  for (uint32_t level = 1; level < 64 && (size >> level) > 0; ++level) {
    std::unique_ptr<rocksdb::Iterator> below(database_->NewIterator(options, handles_[kMerkle]));
    std::unique_ptr<rocksdb::Iterator> here(database_->NewIterator(options, handles_[kMerkle]));
    below->Seek(MerkleNodeKey(level - 1, 0));
    here->Seek(MerkleNodeKey(level, 0));
    for (uint64_t index = 0; index < (size >> level); ++index) {
      auto where = [&] {
        uint64_t first = (index << level) + 1;
        return "the stored Merkle node (level " + std::to_string(level) + ", index " + std::to_string(index) +
               ") covering sequence " + std::to_string(first) + " to " + std::to_string(first + (uint64_t{1} << level) - 1);
      };
      Digest children[2];
      for (uint64_t child = 0; child < 2; ++child) {
        if (!below->Valid() || below->key() != rocksdb::Slice(MerkleNodeKey(level - 1, 2 * index + child))) {
          return Status::Corruption(where() + " lacks a child");
        }
        auto value = ParseMerkleNodeValue(level - 1, 2 * index + child,
                                          std::string_view(below->value().data(), below->value().size()));
        if (!value) return value.error().WithPrefix(where());
        children[child] = *value;
        below->Next();
      }
      Digest expected = MerkleNodeHash(children[0], children[1]);
      if (!here->Valid() || here->key() != rocksdb::Slice(MerkleNodeKey(level, index))) {
        return Status::Corruption(where() + " is missing");
      }
      if (here->value() != rocksdb::Slice(reinterpret_cast<const char*>(expected.data()), expected.size())) {
        return Status::Corruption(where() + " is altered");
      }
      here->Next();
    }
    FT_RETURN_IF_ERROR(FromRocks(below->status(), "reading the Merkle tree"));
    FT_RETURN_IF_ERROR(FromRocks(here->status(), "reading the Merkle tree"));
  }
  return Status::Ok();
}

namespace {

// The sequence number a subject index key ends with (SubjectKey).
uint64_t SubjectKeySequence(const rocksdb::Slice& key) {
  return key.size() < 8 ? 0 : GetBigEndian64(reinterpret_cast<const uint8_t*>(key.data() + key.size() - 8));
}

}  // namespace

Status Ledger::ForEachIndexedKey(uint64_t from, uint64_t to,
                                 const std::function<Status(uint64_t, std::vector<std::string>&)>& visit) const {
  LedgerState replayed;
  std::vector<std::string> keys;
  return ReplayEvents(&replayed, [&](uint64_t sequence, const std::string& key_id_hex, schema::Event::Reader event,
                                     EventLookup& lookup) -> Status {
    if (sequence < from || sequence > to) return Status::Ok();
    // Exactly what Append indexes: the subjects as of the state before the event.
    keys.clear();
    for (const auto& subject : SubjectsToIndex(event, key_id_hex, replayed, lookup)) {
      keys.push_back(SubjectKey(subject, sequence));
    }
    return visit(sequence, keys);
  });
}

Result<SubjectIndexDifference> Ledger::VerifySubjectIndex() const {
  SubjectIndexDifference difference;
  rocksdb::ReadOptions options;
  options.fill_cache = false;
  // Every key the log implies must be there (looked up a submission's worth at a time)...
  std::vector<std::string> pending;
  std::vector<uint64_t> pending_sequences;
  auto look_up = [&]() -> Status {
    std::vector<rocksdb::Slice> slices(pending.begin(), pending.end());
    std::vector<rocksdb::PinnableSlice> values(slices.size());
    std::vector<rocksdb::Status> statuses(slices.size());
    database_->MultiGet(options, handles_[kSubjects], slices.size(), slices.data(), values.data(), statuses.data());
    for (size_t i = 0; i < statuses.size(); ++i) {
      if (statuses[i].IsNotFound()) {
        if (difference.missing++ == 0) difference.first_missing_sequence = pending_sequences[i];
      } else {
        FT_RETURN_IF_ERROR(FromRocks(statuses[i], "reading the subject index"));
      }
    }
    pending.clear();
    pending_sequences.clear();
    return Status::Ok();
  };
  FT_RETURN_IF_ERROR(ForEachIndexedKey(1, head_.sequence, [&](uint64_t sequence, std::vector<std::string>& keys) {
    difference.expected += keys.size();
    for (auto& key : keys) {
      pending.push_back(std::move(key));
      pending_sequences.push_back(sequence);
    }
    return pending.size() >= 4096 ? look_up() : Status::Ok();
  }));
  FT_RETURN_IF_ERROR(look_up());
  // ...and, since keys are unique, no others: the count says whether there are.
  uint64_t stored = 0;
  std::unique_ptr<rocksdb::Iterator> keys(database_->NewIterator(options, handles_[kSubjects]));
  for (keys->SeekToFirst(); keys->Valid(); keys->Next()) ++stored;
  FT_RETURN_IF_ERROR(FromRocks(keys->status(), "reading the subject index"));
  difference.extra = stored - (difference.expected - difference.missing);
  return difference;
}

Result<SubjectIndexDifference> Ledger::RebuildSubjectIndex() {
  FT_ASSERT(access_ == Access::kReadWrite, "RebuildSubjectIndex on a read-only ledger");
  auto found = VerifySubjectIndex();
  if (!found || found->missing + found->extra == 0) return found;
  // Mended in windows of the log, each in one synced write that adds the missing keys of its
  // events and removes the keys of its events that the log does not imply: a reader meanwhile
  // sees no right key go, and memory holds one window's keys.
  constexpr uint64_t kWindowEvents = 200'000;
  rocksdb::ReadOptions options;
  options.fill_cache = false;
  std::set<std::string> implied;  // the keys of the window's events, from one replay of the whole log
  auto mend_window = [&](uint64_t from, uint64_t to) -> Status {
    rocksdb::WriteBatch batch;
    std::unique_ptr<rocksdb::Iterator> keys(database_->NewIterator(options, handles_[kSubjects]));
    for (keys->SeekToFirst(); keys->Valid(); keys->Next()) {
      const uint64_t sequence = SubjectKeySequence(keys->key());
      // Keys of no sequence in the log at all (malformed, or beyond the head) go with the first window.
      const bool in_window = (sequence >= from && sequence <= to) ||
                             (from == 1 && (keys->key().size() < 10 || sequence == 0 || sequence > head_.sequence));
      if (!in_window) continue;
      auto it = implied.find(keys->key().ToString());
      if (it == implied.end()) {
        FT_ASSERT(batch.Delete(handles_[kSubjects], keys->key()).ok());
      } else {
        implied.erase(it);
      }
    }
    FT_RETURN_IF_ERROR(FromRocks(keys->status(), "reading the subject index"));
    for (const auto& key : implied) FT_ASSERT(batch.Put(handles_[kSubjects], key, rocksdb::Slice()).ok());
    implied.clear();
    rocksdb::WriteOptions write;
    write.sync = true;
    return WriteThrough([&] { return database_->Write(write, &batch); }, "writing the rebuilt subject index");
  };
  uint64_t window_from = 1;
  FT_RETURN_IF_ERROR(ForEachIndexedKey(1, head_.sequence, [&](uint64_t sequence, std::vector<std::string>& keys) {
    for (auto& key : keys) implied.insert(std::move(key));
    if (sequence != head_.sequence && sequence - window_from + 1 < kWindowEvents) return Status::Ok();
    Status mended = mend_window(window_from, sequence);
    window_from = sequence + 1;
    return mended;
  }));
  return found;
}

Result<std::vector<std::string>> Ledger::RebuildSubmissionIds() {
  FT_ASSERT(access_ == Access::kReadWrite, "RebuildSubmissionIds on a read-only ledger");
  rocksdb::ReadOptions options;
  options.fill_cache = false;
  std::set<std::string> differing;
  rocksdb::WriteBatch batch;
  uint64_t expected = 0;
  std::unique_ptr<rocksdb::Iterator> submissions(database_->NewIterator(options, handles_[kSubmissions]));
  for (submissions->SeekToFirst(); submissions->Valid(); submissions->Next()) {
    rocksdb::Slice bytes = submissions->value();
    auto decoded = DecodedSubmission::Open(std::string_view(bytes.data(), bytes.size()), "a submission record");
    if (!decoded) return Error(decoded.error());
    auto body = decoded->root().getBody();
    std::string id(body.getSubmissionId().cStr(), body.getSubmissionId().size());
    std::string value;
    rocksdb::Status found = database_->Get(options, handles_[kSubmissionIds], id, &value);
    if (found.IsNotFound()) {
      differing.insert("missing");
    } else {
      FT_RETURN_IF_ERROR(FromRocks(found, "reading submission ids"));
      if (value != SequenceKey(decoded->root().getFirstSequence())) differing.insert("changed");
    }
    ++expected;
  }
  FT_RETURN_IF_ERROR(FromRocks(submissions->status(), "reading submissions"));
  uint64_t keys = 0;
  std::unique_ptr<rocksdb::Iterator> ids(database_->NewIterator(options, handles_[kSubmissionIds]));
  for (ids->SeekToFirst(); ids->Valid(); ids->Next()) {
    ++keys;
    FT_ASSERT(batch.Delete(handles_[kSubmissionIds], ids->key()).ok());
  }
  FT_RETURN_IF_ERROR(FromRocks(ids->status(), "reading submission ids"));
  if (keys > expected || (keys == expected && differing.contains("missing"))) differing.insert("extra");
  if (differing.empty()) return std::vector<std::string>();
  // Rewrite it whole, in submission order: a later submission with a reused id (which verify
  // reports) must not take the id from the first.
  for (submissions->SeekToLast(); submissions->Valid(); submissions->Prev()) {
    rocksdb::Slice bytes = submissions->value();
    auto decoded = DecodedSubmission::Open(std::string_view(bytes.data(), bytes.size()), "a submission record");
    if (!decoded) return Error(decoded.error());
    auto body = decoded->root().getBody();
    FT_ASSERT(batch.Put(handles_[kSubmissionIds],
                        rocksdb::Slice(body.getSubmissionId().cStr(), body.getSubmissionId().size()),
                        SequenceKey(decoded->root().getFirstSequence())).ok());
  }
  rocksdb::WriteOptions write;
  write.sync = true;
  FT_RETURN_IF_ERROR(
      WriteThrough([&] { return database_->Write(write, &batch); }, "writing the rebuilt submission id index"));
  return std::vector<std::string>(differing.begin(), differing.end());
}

Status Ledger::VerifyStateRows(const LedgerState& replayed) const {
  std::vector<std::string> differing = state_.DifferingTables(replayed);
  if (differing.empty()) return Status::Ok();
  std::string tables;
  for (const auto& name : differing) tables += (tables.empty() ? "" : ", ") + name;
  return Status::Corruption("the validation state (column family \"state\", tables " + tables +
                            ") differs from the state the log builds; the log itself verifies: run `fundtrail "
                            "rebuild` to rebuild the state from it");
}

Status Ledger::VerifySubmissionIds() const {
  // Each submission's id must lead to it (a missing or moved key would let a retry append the
  // same submission twice), and the index must hold nothing else (ids are unique, FORMAT.md
  // section 2: a second submission with the same id finds the first one's sequence here).
  const std::string mend = "; run `fundtrail rebuild` to rebuild the index from the log";
  rocksdb::ReadOptions options;
  options.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> submissions(database_->NewIterator(options, handles_[kSubmissions]));
  for (submissions->SeekToFirst(); submissions->Valid(); submissions->Next()) {
    rocksdb::Slice bytes = submissions->value();
    auto decoded = DecodedSubmission::Open(std::string_view(bytes.data(), bytes.size()), "a submission record");
    if (!decoded) return decoded.error();
    auto body = decoded->root().getBody();
    const uint64_t first = decoded->root().getFirstSequence();
    std::string id(body.getSubmissionId().cStr(), body.getSubmissionId().size());
    std::string value;
    rocksdb::Status found = database_->Get(options, handles_[kSubmissionIds], id, &value);
    if (found.IsNotFound()) {
      return Status::Corruption("the submission id index (column family \"submission_ids\") lacks the id of the "
                                "submission at sequence " + std::to_string(first) + mend);
    }
    FT_RETURN_IF_ERROR(FromRocks(found, "reading submission ids"));
    if (value != SequenceKey(first)) {
      return Status::Corruption("the submission id \"" + id + "\" of the submission at sequence " +
                                std::to_string(first) +
                                " leads elsewhere in the submission id index (a reused id, or a changed index)" + mend);
    }
  }
  FT_RETURN_IF_ERROR(FromRocks(submissions->status(), "reading submissions"));
  uint64_t keys = 0;
  std::unique_ptr<rocksdb::Iterator> ids(database_->NewIterator(options, handles_[kSubmissionIds]));
  for (ids->SeekToFirst(); ids->Valid(); ids->Next()) ++keys;
  FT_RETURN_IF_ERROR(FromRocks(ids->status(), "reading submission ids"));
  if (keys != head_.submission_count) {
    return Status::Corruption("the submission id index (column family \"submission_ids\") holds " +
                              std::to_string(keys) + " ids for " + std::to_string(head_.submission_count) +
                              " submissions" + mend);
  }
  return Status::Ok();
}

namespace {

// Verify's replay of the log in order, one stored entry at a time: the submission record that
// begins at it, the entry itself, its stored Merkle leaf, and the checkpoint. The same steps
// whether the state-independent checks of the entry were made ahead on other threads (a
// window's prechecks, ledger/precheck.h) or not, so both ways report the same first failure.
class VerifyReplay {
 public:
  // REQUIRES: every argument outlives this object; `checkpoint` may be null.
  VerifyReplay(Replayer* replayer, rocksdb::Iterator* submissions, rocksdb::Iterator* leaves,
               Ledger::Checkpoint* checkpoint)
      : replayer_(replayer), submissions_(submissions), leaves_(leaves), checkpoint_(checkpoint) {}

  // The entry stored under `key`. `window` (may be null) holds it at `entry_index`, with the
  // prechecks of its entries and submissions.
  Status Step(rocksdb::Slice key, std::string_view record, const LogWindow* window,
              size_t entry_index) {
    if (key.size() != 8) {
      return Status::Corruption("a log key has " + std::to_string(key.size()) + " bytes after sequence " +
                                std::to_string(replayer_->last_sequence()));
    }
    const uint64_t sequence = GetBigEndian64(reinterpret_cast<const uint8_t*>(key.data()));
    if (!replayer_->submission_open()) FT_RETURN_IF_ERROR(BeginSubmission(sequence, window));
    const EntryPrecheck* precheck = window != nullptr ? &window->entry_prechecks[entry_index] : nullptr;
    FT_RETURN_IF_ERROR(replayer_->AddEntry(sequence, record, precheck));
    FT_RETURN_IF_ERROR(CheckLeaf(sequence));
    if (checkpoint_ != nullptr && sequence == checkpoint_->size) {
      checkpoint_->reached = true;
      checkpoint_->root = replayer_->MerkleRoot();
      checkpoint_->chain_hash = replayer_->head();
    }
    if (replayer_->events_remaining() == 0) FT_RETURN_IF_ERROR(replayer_->EndSubmission());
    return Status::Ok();
  }

 private:
  Status BeginSubmission(uint64_t sequence, const LogWindow* window) {
    if (!submissions_->Valid()) {
      return Status::Corruption("sequence " + std::to_string(sequence) + ": no submission record covers it");
    }
    // The window's precheck of this record, if the window holds it (a precheck of another
    // record is ignored by the replayer, which compares the bytes).
    const SubmissionPrecheck* precheck = nullptr;
    if (window != nullptr) {
      const auto& records = window->submissions;
      auto found = std::lower_bound(records.begin(), records.end(), submissions_->key(),
                                    [](const LogWindow::Record& record, const rocksdb::Slice& key) {
                                      return rocksdb::Slice(record.key).compare(key) < 0;
                                    });
      if (found != records.end()) precheck = &window->submission_prechecks[found - records.begin()];
    }
    rocksdb::Slice value = submissions_->value();
    FT_RETURN_IF_ERROR(replayer_->BeginSubmission(std::string_view(value.data(), value.size()), precheck));
    submissions_->Next();
    return Status::Ok();
  }

  // The stored Merkle leaves are read in step with the log: leaf n-1 must be LogLeafHash(h_n).
  Status CheckLeaf(uint64_t sequence) {
    const Digest& leaf = replayer_->last_leaf();
    const std::string key = MerkleNodeKey(0, sequence - 1);
    if (!leaves_->Valid() || leaves_->key() != rocksdb::Slice(key) ||
        leaves_->value() != rocksdb::Slice(reinterpret_cast<const char*>(leaf.data()), leaf.size())) {
      return Status::Corruption("sequence " + std::to_string(sequence) + ": the stored Merkle leaf is " +
                                (leaves_->Valid() && leaves_->key() == rocksdb::Slice(key) ? "altered" : "missing"));
    }
    leaves_->Next();
    return Status::Ok();
  }

  Replayer* replayer_;
  rocksdb::Iterator* submissions_;
  rocksdb::Iterator* leaves_;
  Ledger::Checkpoint* checkpoint_;
};

}  // namespace

Status Ledger::Verify(const std::function<void(uint64_t, uint64_t)>& progress, Checkpoint* checkpoint,
                      CommittedFold* views, uint64_t* views_checked, VerifyMode mode) const {
  Lookup lookup(this);
  Replayer replayer(&lookup);
  replayer.set_fold(views);
  if (checkpoint != nullptr && checkpoint->size == 0) {
    checkpoint->reached = true;
    checkpoint->root = MerkleEmptyRoot();
    checkpoint->chain_hash = Digest{};
  }
  // Every reader of the replay sees the same state of the store, the read-ahead thread included.
  std::unique_ptr<const rocksdb::Snapshot, std::function<void(const rocksdb::Snapshot*)>> snapshot(
      database_->GetSnapshot(), [this](const rocksdb::Snapshot* taken) { database_->ReleaseSnapshot(taken); });
  rocksdb::ReadOptions options;
  options.fill_cache = false;
  options.snapshot = snapshot.get();
  std::unique_ptr<rocksdb::Iterator> submissions(database_->NewIterator(options, handles_[kSubmissions]));
  submissions->SeekToFirst();
  std::unique_ptr<rocksdb::Iterator> leaves(database_->NewIterator(options, handles_[kMerkle]));
  leaves->Seek(MerkleNodeKey(0, 0));
  VerifyReplay replay(&replayer, submissions.get(), leaves.get(), checkpoint);
  uint64_t done = 0;
  auto advance = [&] {
    if (++done % kProgressIntervalEvents == 0 && progress) progress(done, head_.sequence);
  };
  if (mode == VerifyMode::kSequential) {
    std::unique_ptr<rocksdb::Iterator> entries(database_->NewIterator(options, handles_[kLog]));
    for (entries->SeekToFirst(); entries->Valid(); entries->Next()) {
      rocksdb::Slice value = entries->value();
      FT_RETURN_IF_ERROR(replay.Step(entries->key(), std::string_view(value.data(), value.size()), nullptr, 0));
      advance();
    }
    FT_RETURN_IF_ERROR(FromRocks(entries->status(), "reading the log"));
  } else {
    // The log comes in windows read ahead, whose state-independent checks (digests, chain and
    // leaf hashes, decoding, input rules, signatures) two other threads have made
    // (ledger/read_ahead.h), while this one replays the windows before.
    LogReadAhead ahead(database_.get(), handles_[kLog], handles_[kSubmissions], snapshot.get(),
                       LogReadAhead::Options{});
    for (std::unique_ptr<LogWindow> window = ahead.Next(); window != nullptr; window = ahead.Next()) {
      for (size_t index = 0; index < window->entries.size(); ++index) {
        const LogWindow::Record& entry = window->entries[index];
        FT_RETURN_IF_ERROR(replay.Step(entry.key, entry.value, window.get(), index));
        advance();
      }
    }
    FT_RETURN_IF_ERROR(ahead.status());
  }
  if (replayer.submission_open()) FT_RETURN_IF_ERROR(replayer.EndSubmission());
  FT_RETURN_IF_ERROR(FromRocks(submissions->status(), "reading submissions"));
  if (submissions->Valid()) {
    return Status::Corruption("the submission at sequence " +
                              std::to_string(GetBigEndian64(reinterpret_cast<const uint8_t*>(submissions->key().data()))) +
                              " has no events in the log (entries were deleted)");
  }
  if (replayer.last_sequence() > head_.sequence) {
    return Status::Corruption("the stored head is at sequence " + std::to_string(head_.sequence) +
                              ", but the log holds events up to sequence " +
                              std::to_string(replayer.last_sequence()));
  }
  if (replayer.last_sequence() < head_.sequence) {
    return Status::Corruption("the stored head is at sequence " + std::to_string(head_.sequence) +
                              ", the log ends at " + std::to_string(replayer.last_sequence()) +
                              " (sequence " + std::to_string(replayer.last_sequence() + 1) + " is missing)");
  }
  if (replayer.head() != head_.chain_hash) {
    return Status::Corruption("the stored head at sequence " + std::to_string(head_.sequence) +
                              " has chain hash " + HexEncode(head_.chain_hash) +
                              ", the log recomputes " + HexEncode(replayer.head()));
  }
  if (replayer.submission_count() != head_.submission_count) {
    return Status::Corruption("the stored head at sequence " + std::to_string(head_.sequence) + " counts " +
                              std::to_string(head_.submission_count) + " submissions, the log holds " +
                              std::to_string(replayer.submission_count()));
  }
  FT_RETURN_IF_ERROR(VerifyMerkleNodes());
  auto stored_root = TreeRoot(head_.sequence);
  if (!stored_root) return stored_root.error().WithPrefix("the stored Merkle tree");
  if (*stored_root != replayer.MerkleRoot()) {
    return Status::Corruption("the stored Merkle tree of " + std::to_string(head_.sequence) + " entries has root " +
                              HexEncode(*stored_root) + ", the log recomputes " + HexEncode(replayer.MerkleRoot()));
  }
  FT_RETURN_IF_ERROR(VerifyStateRows(replayer.state()));
  FT_RETURN_IF_ERROR(VerifySubmissionIds());
  if (views_checked != nullptr) *views_checked = replayer.views_checked();
  if (progress) progress(done, head_.sequence);
  return Status::Ok();
}

}  // namespace fundtrail
