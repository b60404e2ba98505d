#include "projections/history_store.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <thread>
#include <unordered_map>

#include "ledger/crypto.h"
#include "ledger/json_codec.h"

namespace fundtrail::projections {

namespace {

constexpr char kCheckpointKey[] = "c";
// The store's layout, in its checkpoint: a store of another layout is rebuilt, not read.
// Layout 4: records of version 3, whose strings may name an earlier string of the record (layout
// 3 held version 2, without; layout 2 held version 1, with fixed-width integers and the type
// by name).
constexpr uint8_t kStoreLayout = 4;
constexpr char kRecordPrefix = 'r';
constexpr uint8_t kRecordVersion = 3;
// A subject's records of one batch are stored together, up to this many per value: one key per
// group instead of one per record (RocksDB's cost is mostly per key: a skip-list insert, a
// comparison at every level, an index entry), small enough to be read and decoded whole.
constexpr size_t kRecordsPerGroupMax = 64;

constexpr size_t kHistoryEventsPerPartMin = 1000;
constexpr size_t kHistoryPartsMax = 4;

std::string RecordKey(const Subject& subject, uint64_t sequence) {
  return kRecordPrefix + SubjectKey(subject, sequence);
}

// The histories that exist: of grants and of members (organisations).
const SubjectKinds kHistoryKinds = {SubjectKind::kGrant, SubjectKind::kOrganisation};
bool HasHistory(SubjectKind kind) { return kHistoryKinds.Has(kind); }

// --- the record's bytes: unsigned integers as LEB128 varints, signed ones zigzag-encoded first
// (so that small magnitudes of either sign take few bytes), strings as a varint length and bytes.

void PutU8(std::string& out, uint8_t value) { out.push_back(static_cast<char>(value)); }
void PutVarint(std::string& out, uint64_t value) {
  char bytes[10];
  size_t size = 0;
  do {
    const auto byte = static_cast<uint8_t>(value & 0x7f);
    value >>= 7;
    bytes[size++] = static_cast<char>(byte | (value != 0 ? 0x80 : 0));
  } while (value != 0);
  out.append(bytes, size);
}
void PutI64(std::string& out, int64_t value) {
  PutVarint(out, (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63));
}
void PutString(std::string& out, std::string_view value) {
  PutVarint(out, value.size());
  out.append(value);
}

// A record's strings (`str` in docs/FORMAT.md), numbered in order from 0: a varint h, then for an
// even h the h / 2 bytes of the string; an odd h is the same string as the record's (h >> 1)-th.
// A non-empty string equal to an earlier one is written as the first such (a grant id recurs in
// the grant's change, the member's and the grant concerned).
constexpr size_t kRecordStringsMax = 8;
class StringWriter {
 public:
  explicit StringWriter(std::string& out) : out_(out) {}
  void Put(std::string_view value) {
    FT_ASSERT(count_ < kRecordStringsMax, "too many strings in a history record");
    size_t same = count_;
    if (!value.empty()) {
      same = static_cast<size_t>(std::find(written_.begin(), written_.begin() + count_, value) - written_.begin());
    }
    if (same < count_) {
      PutVarint(out_, same * 2 + 1);
    } else {
      PutVarint(out_, value.size() * 2);
      out_.append(value);
    }
    written_[count_++] = value;
  }

 private:
  std::string& out_;
  std::array<std::string_view, kRecordStringsMax> written_;
  size_t count_ = 0;
};

// The record's event type: the Event union's discriminant (schemas only add members, so a
// discriminant keeps its meaning), by name and back.
uint64_t TypeCode(const std::string& name) {
  static const std::unordered_map<std::string, uint64_t> codes = [] {
    std::unordered_map<std::string, uint64_t> by_name;
    for (const auto& type : EventTypeNames()) by_name[type] = static_cast<uint64_t>(*EventTypeFromName(type));
    return by_name;
  }();
  auto found = codes.find(name);
  FT_ASSERT(found != codes.end(), "a history record of an unknown event type");
  return found->second;
}
std::optional<std::string> TypeName(uint64_t code) {
  if (code > UINT16_MAX) return std::nullopt;
  std::string name = EventTypeName(static_cast<schema::Event::Which>(code));
  if (name.starts_with("unknown_")) return std::nullopt;
  return name;
}

// Reads a LEB128 length (at most 9 bytes) from the front of `in`.
bool TakeLength(std::string_view& in, uint64_t* length) {
  *length = 0;
  for (int shift = 0; shift <= 56; shift += 7) {
    if (in.empty()) return false;
    const uint8_t byte = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    *length |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  bool U8(uint8_t* value) {
    if (bytes_.empty()) return false;
    *value = static_cast<uint8_t>(bytes_[0]);
    bytes_.remove_prefix(1);
    return true;
  }
  // A LEB128 varint of at most 10 bytes, the tenth holding only the top bit.
  bool Varint(uint64_t* value) {
    *value = 0;
    for (int shift = 0; shift <= 63; shift += 7) {
      if (bytes_.empty()) return false;
      const uint8_t byte = static_cast<uint8_t>(bytes_.front());
      bytes_.remove_prefix(1);
      if (shift == 63 && byte > 1) return false;
      *value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  }
  bool I64(int64_t* value) {
    uint64_t zigzag = 0;
    if (!Varint(&zigzag)) return false;
    *value = static_cast<int64_t>((zigzag >> 1) ^ (~(zigzag & 1) + 1));
    return true;
  }
  bool Bytes(void* out, size_t size) {
    if (bytes_.size() < size) return false;
    std::memcpy(out, bytes_.data(), size);
    bytes_.remove_prefix(size);
    return true;
  }
  // A record's next string (StringWriter's form), which stays where it is while the record is read.
  bool String(std::string* value) {
    uint64_t head = 0;
    if (strings_ == kRecordStringsMax || !Varint(&head)) return false;
    if (head & 1) {
      if ((head >> 1) >= strings_) return false;
      *value = *read_[head >> 1];
    } else {
      if (bytes_.size() < (head >> 1)) return false;
      value->assign(bytes_.data(), head >> 1);
      bytes_.remove_prefix(head >> 1);
    }
    read_[strings_++] = value;
    return true;
  }
  bool Sign(int* value) {
    uint8_t byte = 0;
    if (!U8(&byte)) return false;
    *value = byte == 0 ? 0 : byte == 1 ? 1 : byte == 0xff ? -1 : 2;
    return *value != 2;
  }
  bool done() const { return bytes_.empty(); }

 private:
  std::string_view bytes_;
  std::array<const std::string*, kRecordStringsMax> read_{};
  size_t strings_ = 0;
};

void PutSign(std::string& out, int sign) { PutU8(out, sign == 0 ? 0 : sign > 0 ? 1 : 0xff); }

std::string EncodeCheckpoint(uint64_t sequence, const Digest& chain_hash) {
  std::string value(41, '\0');
  PutBigEndian64(sequence, reinterpret_cast<uint8_t*>(value.data()));
  std::memcpy(value.data() + 8, chain_hash.data(), 32);
  value[40] = static_cast<char>(kStoreLayout);
  return value;
}

}  // namespace

Result<std::optional<HistoryCheckpoint>> UsableHistoryCheckpoint(const Ledger& ledger) {
  auto checkpoint = ReadHistoryCheckpoint(ledger);
  if (!checkpoint || !checkpoint->has_value()) return checkpoint;
  const HistoryCheckpoint& stored = **checkpoint;
  if (stored.sequence > ledger.head().sequence) return std::optional<HistoryCheckpoint>();
  if (stored.sequence == 0) return checkpoint;
  auto hash = ledger.ChainHash(stored.sequence);
  if (!hash) return Error(hash.error());
  if (*hash != stored.chain_hash) return std::optional<HistoryCheckpoint>();  // another history
  return checkpoint;
}

namespace {

// A subject's records waiting to be written as one group.
struct PendingGroup {
  uint64_t first_sequence = 0;
  size_t count = 0;
  std::string bytes;
};

// Appends one group entry: be64(sequence) || LEB128 length || record.
void AppendGroupEntry(std::string& group, uint64_t sequence, std::string_view record) {
  uint8_t key[8];
  PutBigEndian64(sequence, key);
  group.append(reinterpret_cast<const char*>(key), 8);
  PutString(group, record);
}

// --- The store's digest (DigestHistoryStore), computed from the groups as they are read back or
// as they are written, by any number of workers over disjoint ranges of blocks.
//
// A subject's entries (be64 sequence || LEB128 length || record) count in blocks of 4,096
// sequence numbers, so that neither how they are grouped nor how the work was split counts:
//   block digest B(S, b) = SHA-256(S's entries with sequence >> 12 == b, in sequence order)
//   digest = SHA-256("FTHIST03" || for each subject S (its key prefix kind || id || 0x00), in key
//              order, with n >= 1 entries: be64(|S|) || S || be64(n) ||
//              SHA-256(for each block b of S, in order: be64(b) || be64(entries in b) || B(S, b))
//            || for each key k of no subject (the checkpoint): be64(|k|) || k || be64(|v|) || v)
// The digest of the part up to a sequence number m counts only the entries up to m and no key of
// no subject. A damaged group (read back) adds "damaged" || be64(|key|) || key || its bytes to the
// block of its first sequence number. Memory: one small record per subject and block.
constexpr int kDigestBlockBits = 12;

struct DigestBlock {
  uint64_t block = 0;
  uint64_t entries = 0;
  Digest digest{};
};

// The digest of one subject's entries, fed in sequence order as runs of whole entries, each run
// within one block and on one side of `up_to`.
class SubjectDigest {
 public:
  // Whether an entry at `sequence` may join a run that began at `first`.
  static bool SameRun(uint64_t first, uint64_t sequence, std::optional<uint64_t> up_to) {
    return (first >> kDigestBlockBits) == (sequence >> kDigestBlockBits) &&
           (!up_to || (first > *up_to) == (sequence > *up_to));
  }

  void AddRun(uint64_t first, uint64_t count, std::string_view bytes, std::optional<uint64_t> up_to) {
    if (up_to && first > *up_to && !cut_) {
      // Everything before is the part up to `up_to`.
      cut_ = true;
      part_blocks_ = blocks_.size();
      if (open_) part_open_ = DigestBlock{block_, entries_, hash_.Peek()};
    }
    const uint64_t block = first >> kDigestBlockBits;
    if (!open_ || block != block_) {
      Close();
      open_ = true;
      block_ = block;
    }
    hash_.Update(bytes);
    entries_ += count;
  }

  // Whole: every block; part: the blocks up to `up_to` (all of them if no run came after it).
  std::vector<DigestBlock> Blocks(bool part) {
    Close();
    if (!part || !cut_) return blocks_;
    std::vector<DigestBlock> blocks(blocks_.begin(), blocks_.begin() + static_cast<ptrdiff_t>(part_blocks_));
    if (part_open_) blocks.push_back(*part_open_);
    return blocks;
  }

 private:
  void Close() {
    if (!open_) return;
    blocks_.push_back({block_, entries_, hash_.Finish()});
    open_ = false;
    entries_ = 0;
  }

  std::vector<DigestBlock> blocks_;
  bool open_ = false;
  uint64_t block_ = 0;
  uint64_t entries_ = 0;
  Sha256 hash_;
  bool cut_ = false;
  size_t part_blocks_ = 0;
  std::optional<DigestBlock> part_open_;
};

// The blocks of every subject, and the keys of no subject: what the digest is computed from.
struct DigestParts {
  std::map<std::string, std::vector<DigestBlock>, std::less<>> subjects;
  std::vector<std::pair<std::string, std::string>> others;

  // Adds `other`'s, whose blocks all come after this one's for each subject.
  void Append(DigestParts&& other) {
    for (auto& [subject, blocks] : other.subjects) {
      auto& mine = subjects[subject];
      FT_ASSERT(mine.empty() || blocks.empty() || mine.back().block < blocks.front().block,
                "digest parts out of order");
      mine.insert(mine.end(), blocks.begin(), blocks.end());
    }
    for (auto& item : other.others) others.push_back(std::move(item));
  }

  HistoryStoreDigest Finish() const {
    HistoryStoreDigest result;
    Sha256 hash;
    hash.Update(std::string_view("FTHIST03"));
    auto put = [](Sha256& into, uint64_t value) {
      uint8_t bytes[8];
      PutBigEndian64(value, bytes);
      into.Update(ByteSpan(bytes, 8));
    };
    Sha256 blocks_hash;
    for (const auto& [subject, blocks] : subjects) {
      uint64_t entries = 0;
      for (const DigestBlock& block : blocks) {
        put(blocks_hash, block.block);
        put(blocks_hash, block.entries);
        blocks_hash.Update(ByteSpan(block.digest.data(), block.digest.size()));
        entries += block.entries;
      }
      const Digest of_blocks = blocks_hash.Finish();
      if (blocks.empty()) continue;
      put(hash, subject.size());
      hash.Update(subject);
      put(hash, entries);
      hash.Update(ByteSpan(of_blocks.data(), of_blocks.size()));
      result.records += entries;
    }
    for (const auto& [key, value] : others) {
      put(hash, key.size());
      hash.Update(key);
      put(hash, value.size());
      hash.Update(value);
    }
    result.digest = hash.Finish();
    return result;
  }
};

// A subject's records of the batch being built (groups already full, and the one filling), and
// the digest of what it wrote so far: the bytes of `pending` from `run_offset` on are a run not
// yet hashed.
struct SubjectGroups {
  std::vector<PendingGroup> full;
  PendingGroup pending;
  SubjectDigest digest;
  size_t run_offset = 0;
  uint64_t run_first = 0;
  uint64_t run_count = 0;
};

// How IndexEventsInBatches writes and what it computes besides.
struct IndexPlan {
  // kCatchUp: each batch through the write-ahead log, with the checkpoint it reaches. kTables: a
  // part of a rebuild from zero, each batch as tables added to the store whole
  // (Ledger::HistoryTable), without checkpoint: the rebuild's one checkpoint is written when every
  // part is in the store.
  // kNone: nothing written, the records only digested (FindDifferingHistoryStore).
  enum class Write { kCatchUp, kTables, kNone } write = Write::kCatchUp;
  // Digests what it writes (whole and, with `digest_up_to`, up to it) into *digests.
  DigestParts* whole = nullptr;
  DigestParts* part = nullptr;
  std::optional<uint64_t> digest_up_to;
};

}  // namespace

Status SubmissionReader::Enter(uint64_t submission_sequence) {
  if (submission_sequence == current_) return Status::Ok();
  auto bytes = ledger_.ReadSubmission(submission_sequence);
  if (!bytes) return bytes.error();
  auto submission = DecodedSubmission::Open(*bytes, "submission at sequence " + std::to_string(submission_sequence));
  if (!submission) return submission.error();
  current_ = submission_sequence;
  appended_at_ = submission->root().getAppendedAt();
  auto key_id = submission->root().getBody().getKeyId();
  key_ = ledger_.state().keys.Find(HexEncode(ByteSpan(key_id.begin(), key_id.size())));
  return Status::Ok();
}

namespace {

// A history record as views (into an event and its summary, or into a HistoryRecord): what
// AppendHistoryRecord encodes.
struct RecordView {
  const Digest* hash = nullptr;
  uint64_t type = 0;  // the Event union's discriminant
  std::string_view subject;
  const Money* amount = nullptr;
  int grant_sign = 0;
  GrantChange grant;
  int member_sign = 0;
  MemberGrantChange member;
  std::string_view concerns_grant_id;
};

// The event's summary as a history row shows it: a reversal's names the reversed event, whose
// amount it negates.
EventSummary HistorySummary(schema::Event::Reader event, const schema::Event::Reader* reversed) {
  EventSummary summary = SummariseEvent(event);
  if (reversed != nullptr) {
    EventSummary target = SummariseEvent(*reversed);
    summary.subject += " (" + target.subject + ")";
    if (target.amount) {
      summary.amount = std::move(target.amount);
      summary.amount->minor_units = -summary.amount->minor_units;
    }
  }
  return summary;
}

// The record of `event` (`reversed`: the event it reverses), with `summary` from HistorySummary.
RecordView ViewOf(const Digest& hash, schema::Event::Reader event, const schema::Event::Reader* reversed,
                  const EventSummary& summary) {
  RecordView view;
  view.hash = &hash;
  view.type = static_cast<uint64_t>(event.which());
  view.subject = summary.subject;
  view.amount = summary.amount ? &*summary.amount : nullptr;
  // A reversal undoes what the reversed event changed.
  schema::Event::Reader changing = reversed != nullptr ? *reversed : event;
  const int sign = reversed != nullptr ? -1 : 1;
  if (std::optional<GrantChange> change = GrantChangeOf(changing)) {
    view.grant_sign = sign;
    view.grant = *change;
  }
  if (std::optional<MemberGrantChange> change = MemberGrantChangeOf(changing)) {
    view.member_sign = sign;
    view.member = *change;
  }
  view.concerns_grant_id = GrantIdOf(changing);
  return view;
}

// Appends the stored form of a record (docs/FORMAT.md, section 6).
void AppendHistoryRecord(std::string& out, const RecordView& record) {
  PutU8(out, kRecordVersion);
  out.append(reinterpret_cast<const char*>(record.hash->data()), record.hash->size());
  PutVarint(out, record.type);
  StringWriter strings(out);
  strings.Put(record.subject);
  PutU8(out, record.amount != nullptr ? 1 : 0);
  if (record.amount != nullptr) {
    PutI64(out, record.amount->minor_units);
    strings.Put(record.amount->currency);
  }
  PutSign(out, record.grant_sign);
  if (record.grant_sign != 0) {
    strings.Put(record.grant.grant_id);
    strings.Put(record.grant.currency);
    for (int64_t value : {record.grant.awarded, record.grant.received, record.grant.disbursed, record.grant.spent,
                          record.grant.refunded}) {
      PutI64(out, value);
    }
  }
  PutSign(out, record.member_sign);
  if (record.member_sign != 0) {
    strings.Put(record.member.org_id);
    strings.Put(record.member.grant_id);
    PutU8(out, static_cast<uint8_t>(record.member.kind));
    PutI64(out, record.member.amount);
    PutI64(out, record.member.category);
  }
  strings.Put(record.concerns_grant_id);
}

// Indexes events [from, to] of the log, in batches of `events_per_batch` written as `plan` says.
Status IndexEventsInBatches(Ledger& ledger, uint64_t from, uint64_t to, uint64_t events_per_batch,
                            const IndexPlan& plan) {
  FT_ASSERT(events_per_batch > 0);
  const bool digesting = plan.whole != nullptr;
  auto lookup = ledger.NewLookup();
  // By subject key prefix (kind || id || 0x00), in key order, kept from batch to batch (subjects
  // recur), as is the write batch's buffer.
  std::map<std::string, SubjectGroups, std::less<>> groups;
  // A catch-up's write batch (a rebuild's workers write tables instead).
  std::optional<Ledger::HistoryBatch> batch;
  if (plan.write == IndexPlan::Write::kCatchUp) batch.emplace(ledger.NewHistoryBatch());
  std::string key;
  // Hashes the subject's pending run (a group's bytes are final once written, or full).
  auto hash_run = [&](SubjectGroups& subject) {
    if (!digesting || subject.run_count == 0) return;
    subject.digest.AddRun(subject.run_first, subject.run_count,
                          std::string_view(subject.pending.bytes).substr(subject.run_offset), plan.digest_up_to);
    subject.run_count = 0;
    subject.run_offset = subject.pending.bytes.size();
  };
  // A batch's tables: one for its grants' records and one for its organisations'. A table then
  // overlaps only tables of its kind, and RocksDB places more of them below level 0, where they
  // need no compaction (batches that share no grant, say).
  std::optional<Ledger::HistoryTable> table;
  char table_kind = 0;
  auto put = [&](std::string_view prefix, const PendingGroup& group) {
    if (plan.write == IndexPlan::Write::kNone) return Status::Ok();
    key.assign(1, kRecordPrefix);
    key += prefix;
    key += SequenceKey(group.first_sequence);
    if (plan.write == IndexPlan::Write::kCatchUp) {
      batch->Put(key, group.bytes);
      return Status::Ok();
    }
    if (!table || prefix.front() != table_kind) {
      if (table) FT_RETURN_IF_ERROR(ledger.AddHistoryTable(std::move(*table)));
      auto created = ledger.NewHistoryTable();
      if (!created) return created.error();
      table.emplace(std::move(*created));
      table_kind = prefix.front();
    }
    return table->Put(key, group.bytes);
  };
  Status failure;
  SubmissionReader submissions(ledger);
  uint64_t batch_events = 0;
  uint64_t indexed_to = from - 1;
  // The batch in key order (the checkpoint's key sorts first): a table takes its keys in order,
  // and in a catch-up each insert into the memtable's skip list starts where the last one ended.
  auto flush = [&](uint64_t sequence, const Digest& chain_hash) {
    if (batch) {
      batch->Clear();
      batch->Put(kCheckpointKey, EncodeCheckpoint(sequence, chain_hash));
    }
    for (auto& [prefix, subject] : groups) {
      for (const PendingGroup& group : subject.full) FT_RETURN_IF_ERROR(put(prefix, group));
      subject.full.clear();
      if (subject.pending.count > 0) {
        hash_run(subject);
        FT_RETURN_IF_ERROR(put(prefix, subject.pending));
        subject.pending.count = 0;
        subject.pending.bytes.clear();
        subject.run_offset = 0;
      }
    }
    batch_events = 0;
    indexed_to = sequence;
    if (batch) return ledger.WriteHistory(*batch);
    if (!table) return Status::Ok();
    Status added = ledger.AddHistoryTable(std::move(*table));
    table.reset();
    return added;
  };
  std::string record;
  std::string prefix;
  LogEventReader reader;
  uint64_t expected = from;
  FT_RETURN_IF_ERROR(ledger.ScanEntries(from, to, [&](const StoredEntry& entry) {
    if (entry.sequence != expected++) {
      failure = Status::Corruption("the log has no event " + std::to_string(expected - 1) +
                                   "; run `fundtrail verify`");
      return false;
    }
    auto view = DecodeEntry(entry.record);
    if (!view) {
      failure = view.error().WithPrefix("sequence " + std::to_string(entry.sequence));
      return false;
    }
    failure = submissions.Enter(view->submission_sequence);
    if (!failure.ok()) return false;
    failure = reader.Read(view->canonical_event, entry.sequence, [&](schema::Event::Reader event) {
      auto target = FindReversed(*lookup, entry.sequence, event);
      if (!target) return target.error();
      schema::Event::Reader reversed;
      if (*target) reversed = (*target)->event.root();
      // As the ledger's subject index has it: the author's organisation counts for the events
      // after the signing key's registration, which may be an earlier event of the same
      // submission (the genesis submission, which the operator key signs, may register that key).
      std::string author_org_id = submissions.AuthorOrgId(entry.sequence);
      // Everything that reads the event comes before the first record is added, so that an
      // event that cannot be read adds nothing.
      record.clear();
      for (const Subject& subject :
           IndexedSubjects(event, author_org_id, *target ? &reversed : nullptr, ledger.state(), kHistoryKinds)) {
        if (record.empty()) {
          const EventSummary summary = HistorySummary(event, *target ? &reversed : nullptr);
          AppendHistoryRecord(record, ViewOf(view->chain_hash, event, *target ? &reversed : nullptr, summary));
        }
        prefix.assign(1, static_cast<char>(subject.kind));
        prefix += subject.id;
        prefix += '\0';
        auto found = groups.find(prefix);
        if (found == groups.end()) found = groups.try_emplace(prefix).first;
        SubjectGroups& subject_groups = found->second;
        PendingGroup& group = subject_groups.pending;
        if (digesting && subject_groups.run_count > 0 &&
            !SubjectDigest::SameRun(subject_groups.run_first, entry.sequence, plan.digest_up_to)) {
          hash_run(subject_groups);
        }
        if (group.count == 0) group.first_sequence = entry.sequence;
        if (subject_groups.run_count++ == 0) {
          subject_groups.run_first = entry.sequence;
          subject_groups.run_offset = group.bytes.size();
        }
        AppendGroupEntry(group.bytes, entry.sequence, record);
        if (++group.count == kRecordsPerGroupMax) {
          hash_run(subject_groups);
          subject_groups.full.push_back(std::move(group));
          group = PendingGroup();
          subject_groups.run_offset = 0;
        }
      }
      return Status::Ok();
    });
    if (!failure.ok()) return false;
    if (++batch_events == events_per_batch || entry.sequence == to) {
      failure = flush(entry.sequence, view->chain_hash);
      if (!failure.ok()) return false;
    }
    return true;
  }));
  FT_RETURN_IF_ERROR(failure);
  if (indexed_to != to) return Status::Corruption("the log ends before sequence " + std::to_string(to));
  if (digesting) {
    for (auto& [subject_prefix, subject] : groups) {
      plan.whole->subjects[subject_prefix] = subject.digest.Blocks(/*part=*/false);
      if (plan.part != nullptr) plan.part->subjects[subject_prefix] = subject.digest.Blocks(/*part=*/true);
    }
  }
  return Status::Ok();
}

// A store written from zero: a new, empty column family (Ledger::RecreateHistory), indexed by
// `workers` threads over contiguous parts of the log (cut at digest block boundaries), each batch
// as tables added to the store whole (Ledger::HistoryTable: no write-ahead log, memtable or
// flush), then given its one checkpoint (a table too: see below) and left as RocksDB keeps it
// (Ledger::SettleHistory: no compaction pending). A crash before the checkpoint leaves a store
// without one, which reads ignore and the next writer rebuilds. With `whole`, also the store's
// digests.
Status IndexFromZero(Ledger& ledger, uint64_t events_per_batch, size_t workers, DigestParts* whole, DigestParts* part,
                     std::optional<uint64_t> digest_up_to) {
  FT_RETURN_IF_ERROR(ledger.RecreateHistory());
  const uint64_t head = ledger.head().sequence;
  if (head == 0) return ledger.EndHistoryLoad();
  // Parts of whole blocks, at least one block each.
  const uint64_t block_size = uint64_t{1} << kDigestBlockBits;
  const uint64_t blocks = (head >> kDigestBlockBits) + 1;
  const size_t part_count = static_cast<size_t>(std::max<uint64_t>(1, std::min<uint64_t>(workers, blocks)));
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (size_t index = 0; index < part_count; ++index) {
    uint64_t first_block = blocks * index / part_count, end_block = blocks * (index + 1) / part_count;
    uint64_t from = std::max<uint64_t>(1, first_block * block_size);
    uint64_t to = std::min<uint64_t>(head, end_block * block_size - 1);
    if (from <= to) ranges.emplace_back(from, to);
  }
  std::vector<Status> statuses(ranges.size());
  std::vector<DigestParts> wholes(ranges.size()), parts(ranges.size());
  {
    std::vector<std::jthread> threads;
    for (size_t index = 0; index < ranges.size(); ++index) {
      auto work = [&, index] {
        IndexPlan plan;
        plan.write = IndexPlan::Write::kTables;
        if (whole != nullptr) {
          plan.whole = &wholes[index];
          plan.part = part != nullptr ? &parts[index] : nullptr;
          plan.digest_up_to = digest_up_to;
        }
        statuses[index] = IndexEventsInBatches(ledger, ranges[index].first, ranges[index].second, events_per_batch, plan);
      };
      if (index + 1 == ranges.size()) {
        work();  // the last part on this thread
      } else {
        threads.emplace_back(work);
      }
    }
  }
  for (const Status& status : statuses) {
    if (!status.ok()) {
      (void)ledger.EndHistoryLoad();  // the tables added are of no use without a checkpoint
      return status;
    }
  }
  // The checkpoint is added as a table of its own, after every table of records, and not written
  // through the write-ahead log: a reader that opens meanwhile reads the store's tables from the
  // MANIFEST, then the write-ahead log, so a checkpoint in the log could show it a checkpoint
  // without the tables added after its MANIFEST was read (it read a store of no records up to the
  // checkpoint). A table is in the MANIFEST after every table added before it.
  auto chain_hash = ledger.ChainHash(head);
  if (!chain_hash) return chain_hash.error();
  const std::string checkpoint = EncodeCheckpoint(head, *chain_hash);
  {
    auto table = ledger.NewHistoryTable();
    if (!table) return table.error();
    FT_RETURN_IF_ERROR(table->Put(kCheckpointKey, checkpoint));
    FT_RETURN_IF_ERROR(ledger.AddHistoryTable(std::move(*table)));
  }
  FT_RETURN_IF_ERROR(ledger.EndHistoryLoad());
  FT_RETURN_IF_ERROR(ledger.SettleHistory());
  if (whole != nullptr) {
    for (size_t index = 0; index < ranges.size(); ++index) {
      whole->Append(std::move(wholes[index]));
      if (part != nullptr) part->Append(std::move(parts[index]));
    }
    whole->others.emplace_back(kCheckpointKey, checkpoint);
  }
  return Status::Ok();
}

// Calls `visit(sequence, record bytes)` for each entry of a stored group (its key's first
// sequence is `first`), in order, until it returns false. A group that does not parse is damaged.
Status ForEachGroupEntry(uint64_t first, std::string_view group,
                         const std::function<bool(uint64_t, std::string_view)>& visit) {
  auto damaged = [&] {
    return Status::Corruption("the history store's records from sequence " + std::to_string(first) +
                              " are damaged; run `fundtrail rebuild` to recompute the store from the log");
  };
  uint64_t previous = 0;
  while (!group.empty()) {
    if (group.size() < 8) return damaged();
    uint64_t sequence = GetBigEndian64(reinterpret_cast<const uint8_t*>(group.data()));
    group.remove_prefix(8);
    if (sequence <= previous || (previous == 0 && sequence != first)) return damaged();
    previous = sequence;
    uint64_t length = 0;
    if (!TakeLength(group, &length) || group.size() < length) return damaged();
    if (!visit(sequence, group.substr(0, length))) return Status::Ok();
    group.remove_prefix(length);
  }
  return previous == 0 ? damaged() : Status::Ok();
}

}  // namespace

GrantChange HistoryRecord::grant_change() const {
  GrantChange change;
  change.grant_id = grant_id;
  change.currency = grant_currency;
  change.awarded = awarded;
  change.received = received;
  change.disbursed = disbursed;
  change.spent = spent;
  change.refunded = refunded;
  return change;
}

MemberGrantChange HistoryRecord::member_change() const {
  MemberGrantChange change;
  change.org_id = member_org_id;
  change.grant_id = member_grant_id;
  change.kind = member_kind;
  change.amount = member_amount;
  change.category = member_category;
  return change;
}


HistoryRecord MakeHistoryRecord(uint64_t sequence, const Digest& hash, schema::Event::Reader event,
                                const schema::Event::Reader* reversed) {
  const EventSummary summary = HistorySummary(event, reversed);
  const RecordView view = ViewOf(hash, event, reversed, summary);
  HistoryRecord record;
  record.sequence = sequence;
  record.hash = hash;
  record.type = EventTypeName(event);
  record.subject = view.subject;
  if (view.amount != nullptr) record.amount = *view.amount;
  record.grant_sign = view.grant_sign;
  if (view.grant_sign != 0) {
    record.grant_id = view.grant.grant_id;
    record.grant_currency = view.grant.currency;
    record.awarded = view.grant.awarded;
    record.received = view.grant.received;
    record.disbursed = view.grant.disbursed;
    record.spent = view.grant.spent;
    record.refunded = view.grant.refunded;
  }
  record.member_sign = view.member_sign;
  if (view.member_sign != 0) {
    record.member_org_id = view.member.org_id;
    record.member_grant_id = view.member.grant_id;
    record.member_kind = view.member.kind;
    record.member_amount = view.member.amount;
    record.member_category = view.member.category;
  }
  record.concerns_grant_id = view.concerns_grant_id;
  return record;
}

std::string EncodeHistoryRecord(const HistoryRecord& record) {
  RecordView view;
  view.hash = &record.hash;
  view.type = TypeCode(record.type);
  view.subject = record.subject;
  view.amount = record.amount ? &*record.amount : nullptr;
  view.grant_sign = record.grant_sign;
  view.grant = record.grant_change();
  view.member_sign = record.member_sign;
  view.member = record.member_change();
  view.concerns_grant_id = record.concerns_grant_id;
  std::string out;
  AppendHistoryRecord(out, view);
  return out;
}

Result<HistoryRecord> DecodeHistoryRecord(uint64_t sequence, std::string_view bytes) {
  auto damaged = [&] {
    return Error(Status::Corruption("the history store's record of sequence " + std::to_string(sequence) +
                                    " is damaged; run `fundtrail rebuild` to recompute the store from the log"));
  };
  HistoryRecord record;
  record.sequence = sequence;
  Reader in(bytes);
  uint8_t version = 0, has_amount = 0;
  uint64_t type = 0;
  if (!in.U8(&version) || version != kRecordVersion || !in.Bytes(record.hash.data(), record.hash.size()) ||
      !in.Varint(&type)) {
    return damaged();
  }
  std::optional<std::string> type_name = TypeName(type);
  if (!type_name) return damaged();
  record.type = std::move(*type_name);
  if (!in.String(&record.subject) || !in.U8(&has_amount) || has_amount > 1) return damaged();
  if (has_amount) {
    Money& amount = record.amount.emplace();  // in place: a later string may be the same as its currency
    if (!in.I64(&amount.minor_units) || !in.String(&amount.currency)) return damaged();
  }
  if (!in.Sign(&record.grant_sign)) return damaged();
  if (record.grant_sign != 0 &&
      (!in.String(&record.grant_id) || !in.String(&record.grant_currency) || !in.I64(&record.awarded) ||
       !in.I64(&record.received) || !in.I64(&record.disbursed) || !in.I64(&record.spent) ||
       !in.I64(&record.refunded))) {
    return damaged();
  }
  if (!in.Sign(&record.member_sign)) return damaged();
  if (record.member_sign != 0) {
    uint8_t kind = 0;
    int64_t category = 0;
    if (!in.String(&record.member_org_id) || !in.String(&record.member_grant_id) || !in.U8(&kind) ||
        kind < static_cast<uint8_t>(MemberGrantChange::Kind::kDisbursed) ||
        kind > static_cast<uint8_t>(MemberGrantChange::Kind::kFunderRefund) || !in.I64(&record.member_amount) ||
        !in.I64(&category) || category < 0 || category > 0xffff) {
      return damaged();
    }
    record.member_kind = static_cast<MemberGrantChange::Kind>(kind);
    record.member_category = static_cast<int>(category);
  }
  if (!in.String(&record.concerns_grant_id) || !in.done()) return damaged();
  return Result<HistoryRecord>(std::move(record));
}

Result<std::optional<HistoryCheckpoint>> ReadHistoryCheckpoint(const Ledger& ledger) {
  if (!ledger.HasHistory()) return std::optional<HistoryCheckpoint>();
  auto stored = ledger.GetHistory(kCheckpointKey);
  if (!stored) return Error(stored.error());
  if (!stored->has_value()) return std::optional<HistoryCheckpoint>();
  // A store written in another layout (an earlier version's) is as good as none: the writer
  // rebuilds it, readers read the log meanwhile.
  if ((*stored)->size() != 41 || static_cast<uint8_t>((**stored)[40]) != kStoreLayout) {
    return std::optional<HistoryCheckpoint>();
  }
  HistoryCheckpoint checkpoint;
  checkpoint.sequence = GetBigEndian64(reinterpret_cast<const uint8_t*>((*stored)->data()));
  std::memcpy(checkpoint.chain_hash.data(), (*stored)->data() + 8, 32);
  return std::optional<HistoryCheckpoint>(checkpoint);
}

size_t HistoryPartCount(size_t count) {
  const size_t cores = std::max<size_t>(1, std::thread::hardware_concurrency());
  return std::clamp<size_t>(count / kHistoryEventsPerPartMin, 1, std::min(cores, kHistoryPartsMax));
}

Status ForEachPart(size_t count, size_t part_count, const std::function<Status(size_t, size_t)>& work) {
  FT_ASSERT(part_count >= 1);
  FT_ASSERT(part_count <= kHistoryPartsMax);
  auto begin = [&](size_t part) { return count * part / part_count; };
  std::vector<Status> results(part_count);
  std::vector<std::thread> threads;
  for (size_t part = 1; part < part_count; ++part) {
    threads.emplace_back([&, part] { results[part] = work(begin(part), begin(part + 1)); });
  }
  results[0] = work(0, begin(1));
  for (auto& thread : threads) thread.join();
  for (const auto& result : results) FT_RETURN_IF_ERROR(result);
  return Status::Ok();
}

Status ForEachLogEvent(const Ledger& ledger, std::span<const uint64_t> sequences, const LogEventVisitor& visit) {
  // Reading an event (a block read and its decompression) and decoding it do not depend on the
  // other events: in parts, on several threads.
  return ForEachPart(sequences.size(), HistoryPartCount(sequences.size()), [&](size_t begin, size_t end) {
    auto lookup = ledger.NewLookup();  // one per thread
    size_t index = begin;
    Status failure;
    FT_RETURN_IF_ERROR(ledger.ReadEntries(sequences.subspan(begin, end - begin),
                                          [&](uint64_t sequence, std::string_view bytes) {
      auto entry = DecodeEntry(bytes);
      if (!entry) {
        failure = entry.error().WithPrefix("sequence " + std::to_string(sequence));
        return false;
      }
      auto event = DecodedEvent::Open(entry->canonical_event, "sequence " + std::to_string(sequence));
      if (!event) {
        failure = event.error();
        return false;
      }
      FT_ASSERT(index < end);
      failure = visit(index++, sequence, entry->chain_hash, event->root(), *lookup);
      return failure.ok();
    }));
    return failure;
  });
}

Result<std::vector<HistoryRecord>> ReadHistoryFromLog(const Ledger& ledger, const Subject& subject, uint64_t from,
                                                      uint64_t to) {
  std::vector<uint64_t> sequences;
  FT_RETURN_IF_ERROR(ledger.ScanSubject(subject, from, to, [&](uint64_t sequence) {
    sequences.push_back(sequence);
    return true;
  }));
  std::vector<HistoryRecord> records(sequences.size());
  FT_RETURN_IF_ERROR(ForEachLogEvent(ledger, sequences,
                                     [&](size_t index, uint64_t sequence, const Digest& chain_hash,
                                         schema::Event::Reader event, EventLookup& lookup) -> Status {
    auto target = FindReversed(lookup, sequence, event);
    if (!target) return target.error();
    schema::Event::Reader reversed;
    if (*target) reversed = (*target)->event.root();
    records[index] = MakeHistoryRecord(sequence, chain_hash, event, *target ? &reversed : nullptr);
    return Status::Ok();
  }));
  return records;
}

Result<std::vector<HistoryRecord>> ReadHistory(const Ledger& ledger, const Subject& subject, uint64_t to,
                                               HistorySources* sources) {
  FT_ASSERT(HasHistory(subject.kind));
  auto checkpoint = UsableHistoryCheckpoint(ledger);
  if (!checkpoint) return Error(checkpoint.error());
  const uint64_t stored_to = checkpoint->has_value() ? std::min((*checkpoint)->sequence, to) : 0;
  if (sources != nullptr) sources->stored_to = stored_to;
  std::vector<HistoryRecord> records;
  if (stored_to > 0) {
    // One range scan over the subject's groups of records that begin by stored_to.
    const std::string begin = RecordKey(subject, 0), end = RecordKey(subject, stored_to + 1);
    const size_t sequence_at = begin.size() - 8;
    // Meanwhile, on a second thread, the sequence numbers the subject index names (keys only, one
    // range scan): the store must hold exactly those events (below).
    std::vector<uint64_t> indexed;
    Status indexed_status;
    std::jthread index_scan([&] {
      indexed_status = ledger.ScanSubject(subject, 1, stored_to, [&](uint64_t sequence) {
        indexed.push_back(sequence);
        return true;
      });
    });
    Status failure;
    FT_RETURN_IF_ERROR(ledger.ScanHistory(begin, end, [&](std::string_view key, std::string_view value) {
      if (key.size() != begin.size()) {
        failure = Status::Corruption("the history store has a key of " + std::to_string(key.size()) +
                                     " bytes among those of " + SubjectKindName(subject.kind) + " " + subject.id +
                                     "; run `fundtrail rebuild` to recompute it from the log");
        return false;
      }
      const uint64_t first = GetBigEndian64(reinterpret_cast<const uint8_t*>(key.data()) + sequence_at);
      bool more = true;
      Status entry_failure;
      Status parsed = ForEachGroupEntry(first, value, [&](uint64_t sequence, std::string_view bytes) {
        if (sequence > stored_to) return more = false;
        if (!records.empty() && sequence <= records.back().sequence) {
          entry_failure = Status::Corruption("the history store holds sequence " + std::to_string(sequence) +
                                             " twice; run `fundtrail rebuild` to recompute it from the log");
          return more = false;
        }
        auto record = DecodeHistoryRecord(sequence, bytes);
        if (!record) {
          entry_failure = record.error();
          return more = false;
        }
        records.push_back(std::move(*record));
        return true;
      });
      failure = !parsed.ok() ? parsed : entry_failure;
      if (!failure.ok()) failure = failure.WithPrefix(SubjectKindName(subject.kind) + " " + subject.id);
      return failure.ok() && more;
    }));
    index_scan.join();
    FT_RETURN_IF_ERROR(failure);
    FT_RETURN_IF_ERROR(indexed_status);
    // The store holds exactly the events the subject index (written with the log, in the same
    // batch as each event) names: a group dropped or added is caught here.
    for (size_t i = 0; i < std::max(indexed.size(), records.size()); ++i) {
      if (i < records.size() && i < indexed.size() && records[i].sequence == indexed[i]) continue;
      auto name = [](const auto& list, size_t at, auto sequence_of) {
        return at < list.size() ? "sequence " + std::to_string(sequence_of(list[at])) : std::string("nothing");
      };
      return Error(Status::Corruption(
          "the history store's records of " + SubjectKindName(subject.kind) + " " + subject.id +
          " disagree with the subject index: its record " + std::to_string(i + 1) + " is " +
          name(records, i, [](const HistoryRecord& record) { return record.sequence; }) + ", the index names " +
          name(indexed, i, [](uint64_t sequence) { return sequence; }) + " (" + std::to_string(records.size()) +
          " records, " + std::to_string(indexed.size()) + " indexed, up to sequence " + std::to_string(stored_to) +
          "); run `fundtrail rebuild` to recompute the store from the log"));
    }
  }
  if (stored_to < to) {
    auto rest = ReadHistoryFromLog(ledger, subject, stored_to + 1, to);
    if (!rest) return Error(rest.error());
    records.insert(records.end(), std::make_move_iterator(rest->begin()), std::make_move_iterator(rest->end()));
  }
  return records;
}

Status CatchUpHistory(Ledger& ledger, const HistoryIndexOptions& options) {
  const uint64_t head = ledger.head().sequence;
  auto checkpoint = UsableHistoryCheckpoint(ledger);
  if (!checkpoint) return checkpoint.error();
  if (!checkpoint->has_value()) return RebuildHistory(ledger, options);
  return IndexEventsInBatches(ledger, (*checkpoint)->sequence + 1, head, options.events_per_batch, IndexPlan());
}

Status RebuildHistory(Ledger& ledger, const HistoryIndexOptions& options) {
  return IndexFromZero(ledger, options.events_per_batch, options.workers, nullptr, nullptr, std::nullopt);
}

Result<RebuiltHistoryDigests> RebuildHistoryWithDigests(Ledger& ledger, std::optional<uint64_t> up_to,
                                                        const HistoryIndexOptions& options) {
  DigestParts whole, part;
  FT_RETURN_IF_ERROR(
      IndexFromZero(ledger, options.events_per_batch, options.workers, &whole, up_to ? &part : nullptr, up_to));
  RebuiltHistoryDigests digests;
  digests.whole = whole.Finish();
  if (up_to) digests.part = part.Finish();
  return digests;
}

Result<std::optional<uint64_t>> FindDifferingHistoryStore(Ledger& ledger, const HistoryIndexOptions& options) {
  auto checkpoint = UsableHistoryCheckpoint(ledger);
  if (!checkpoint) return Error(checkpoint.error());
  // A store without a usable checkpoint is not read: readers take the log.
  if (!checkpoint->has_value() || (*checkpoint)->sequence == 0) return std::optional<uint64_t>();
  const uint64_t to = (*checkpoint)->sequence;
  // The stored records read back on a second thread while the log's are computed, unwritten.
  std::optional<Result<HistoryStoreDigest>> stored;
  DigestParts computed;
  Status indexed;
  {
    std::jthread reader([&] { stored.emplace(DigestHistoryStore(ledger, to)); });
    IndexPlan plan;
    plan.write = IndexPlan::Write::kNone;
    plan.whole = &computed;
    indexed = IndexEventsInBatches(ledger, 1, to, options.events_per_batch, plan);
  }
  FT_RETURN_IF_ERROR(indexed);
  if (!*stored) return Error(stored->error());
  if ((*stored)->digest == computed.Finish().digest) return std::optional<uint64_t>();
  return std::optional<uint64_t>(to);
}

ReplacedHistory ReadReplacedHistory(const Ledger& ledger) {
  ReplacedHistory replaced;
  auto checkpoint = UsableHistoryCheckpoint(ledger);
  if (!checkpoint) {
    replaced.unreadable = checkpoint.error().message();
  } else if (checkpoint->has_value()) {
    replaced.checkpoint = **checkpoint;
    auto digest = DigestHistoryStore(ledger, replaced.checkpoint->sequence);
    if (digest) {
      replaced.digest = digest->digest;
    } else {
      replaced.unreadable = digest.error().message();
    }
  }
  return replaced;
}

Result<HistoryStoreDigest> DigestHistoryStore(const Ledger& ledger, std::optional<uint64_t> up_to) {
  DigestParts parts;
  if (ledger.HasHistory()) {
    // Subjects come one after another, in key order, each group's entries in sequence order.
    std::string subject;
    std::optional<SubjectDigest> digest;
    digest.emplace();
    auto finish_subject = [&] {
      if (!subject.empty()) parts.subjects[subject] = digest->Blocks(/*part=*/up_to.has_value());
      digest.emplace();
    };
    std::string damage;
    FT_RETURN_IF_ERROR(ledger.ScanHistory("", "\xff", [&](std::string_view key, std::string_view value) {
      if (key.size() < 9 || key[0] != kRecordPrefix) {
        if (!up_to) parts.others.emplace_back(key, value);  // the checkpoint
        return true;
      }
      const std::string_view group_subject = key.substr(1, key.size() - 9);
      if (group_subject != subject) {
        finish_subject();
        subject.assign(group_subject);
      }
      const uint64_t first = GetBigEndian64(reinterpret_cast<const uint8_t*>(key.data() + key.size() - 8));
      // The group's entries in runs: within one block, on one side of `up_to`.
      size_t run_offset = 0, offset = 0;
      uint64_t run_first = 0, run_count = 0;
      auto end_run = [&] {
        if (run_count > 0) digest->AddRun(run_first, run_count, value.substr(run_offset, offset - run_offset), up_to);
        run_count = 0;
        run_offset = offset;
      };
      Status parsed = ForEachGroupEntry(first, value, [&](uint64_t sequence, std::string_view record) {
        if (run_count > 0 && !SubjectDigest::SameRun(run_first, sequence, up_to)) end_run();
        if (run_count++ == 0) run_first = sequence;
        offset = static_cast<size_t>(record.data() + record.size() - value.data());
        return true;
      });
      if (!parsed.ok()) {
        // Counted as its bytes, in the block of its first sequence number.
        damage.assign("damaged");
        uint8_t length[8];
        PutBigEndian64(key.size(), length);
        damage.append(reinterpret_cast<const char*>(length), 8);
        damage.append(key);
        damage.append(value);
        digest->AddRun(first, 0, damage, up_to);
      } else {
        end_run();
      }
      return true;
    }));
    finish_subject();
  }
  return parts.Finish();
}

}  // namespace fundtrail::projections
