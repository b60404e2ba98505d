#include "projections/history_store.h"

#include <algorithm>
#include <charconv>
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
// Layout 3: records of version 2 (layout 2 held version 1, with fixed-width integers and the type
// by name).
constexpr uint8_t kStoreLayout = 3;
constexpr char kRecordPrefix = 'r';
constexpr uint8_t kRecordVersion = 2;
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
bool HasHistory(SubjectKind kind) { return kind == SubjectKind::kGrant || kind == SubjectKind::kOrganisation; }

// --- the record's bytes: unsigned integers as LEB128 varints, signed ones zigzag-encoded first
// (so that small magnitudes of either sign take few bytes), strings as a varint length and bytes.

void PutU8(std::string& out, uint8_t value) { out.push_back(static_cast<char>(value)); }
void PutVarint(std::string& out, uint64_t value) {
  do {
    uint8_t byte = value & 0x7f;
    value >>= 7;
    PutU8(out, static_cast<uint8_t>(byte | (value != 0 ? 0x80 : 0)));
  } while (value != 0);
}
void PutI64(std::string& out, int64_t value) {
  PutVarint(out, (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63));
}
void PutString(std::string& out, std::string_view value) {
  PutVarint(out, value.size());
  out.append(value);
}

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
  bool String(std::string* value) {
    uint64_t length = 0;
    if (!TakeLength(bytes_, &length) || bytes_.size() < length) return false;
    value->assign(bytes_.data(), length);
    bytes_.remove_prefix(length);
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

// A subject's records of the batch being built: groups already full, and the one filling.
struct SubjectGroups {
  std::vector<PendingGroup> full;
  PendingGroup pending;
};

// DigestHistoryStore's digests, computed from the groups of each subject as they are read back
// or as they are written. A subject's entries (be64 sequence || LEB128 length || record) hash as
// one stream, so how they are grouped does not count:
//   digest = SHA-256("FTHIST02" || for each subject S (its key prefix kind || id || 0x00), in key
//              order, with n >= 1 entries: be64(|S|) || S || be64(n) || SHA-256(its entries, in
//              sequence order)
//            || for each key k of no subject (the checkpoint): be64(|k|) || k || be64(|v|) || v)
// The digest of the part up to a sequence number counts only the entries up to it and no key of
// no subject. A damaged group adds "damaged" || be64(|key|) || key || its bytes to its subject's
// stream. Memory: one SHA-256 context per subject.
class HistoryDigester {
 public:
  // With `up_to`, also the digest of the part up to it.
  explicit HistoryDigester(std::optional<uint64_t> up_to) : up_to_(up_to) {}

  // `count` entries of `subject`, the first at sequence `first`: either all up to `up_to` or all
  // after it.
  void AddEntries(std::string_view subject, uint64_t first, uint64_t count, std::string_view entries) {
    Stream& stream = At(subject, first);
    stream.hash.Update(entries);
    stream.entries += count;
    stream.touched = true;
  }
  void AddDamaged(std::string_view subject, uint64_t first, std::string_view key, std::string_view group) {
    Stream& stream = At(subject, first);
    uint8_t length[8];
    PutBigEndian64(key.size(), length);
    stream.hash.Update(std::string_view("damaged"));
    stream.hash.Update(ByteSpan(length, 8));
    stream.hash.Update(key);
    stream.hash.Update(group);
    stream.touched = true;
  }
  void AddOther(std::string_view key, std::string_view value) { others_.emplace_back(key, value); }

  HistoryStoreDigest Whole() const { return Finish(/*part=*/false); }
  HistoryStoreDigest Part() const { return Finish(/*part=*/true); }

 private:
  struct Stream {
    Sha256 hash;
    uint64_t entries = 0;
    bool touched = false;
    // Where the part up to `up_to_` ended, once an entry after it came.
    bool cut = false;
    Digest part_hash{};
    uint64_t part_entries = 0;
    bool part_touched = false;
  };

  Stream& At(std::string_view subject, uint64_t first) {
    auto found = streams_.find(subject);
    if (found == streams_.end()) found = streams_.try_emplace(std::string(subject)).first;
    Stream& stream = found->second;
    if (up_to_ && first > *up_to_ && !stream.cut) {
      stream.cut = true;
      stream.part_hash = stream.hash.Peek();
      stream.part_entries = stream.entries;
      stream.part_touched = stream.touched;
    }
    return stream;
  }

  HistoryStoreDigest Finish(bool part) const {
    HistoryStoreDigest result;
    Sha256 hash;
    hash.Update(std::string_view("FTHIST02"));
    auto put_length = [&](uint64_t length) {
      uint8_t bytes[8];
      PutBigEndian64(length, bytes);
      hash.Update(ByteSpan(bytes, 8));
    };
    for (const auto& [subject, stream] : streams_) {
      const bool cut = part && stream.cut;
      if (!(cut ? stream.part_touched : stream.touched)) continue;
      const uint64_t entries = cut ? stream.part_entries : stream.entries;
      const Digest digest = cut ? stream.part_hash : stream.hash.Peek();
      put_length(subject.size());
      hash.Update(subject);
      put_length(entries);
      hash.Update(ByteSpan(digest.data(), digest.size()));
      result.records += entries;
    }
    if (!part) {
      for (const auto& [key, value] : others_) {
        put_length(key.size());
        hash.Update(key);
        put_length(value.size());
        hash.Update(value);
      }
    }
    result.digest = hash.Finish();
    return result;
  }

  std::optional<uint64_t> up_to_;
  std::map<std::string, Stream, std::less<>> streams_;
  std::vector<std::pair<std::string, std::string>> others_;
};

// Indexes events [from, to] of the log, in batches written `how`, each carrying the checkpoint
// it reaches.
// With `digester`, also digests what it writes; groups then do not straddle the digester's
// `up_to` (`digest_up_to`).
Status IndexEventsInBatches(Ledger& ledger, uint64_t from, uint64_t to, uint64_t events_per_batch,
                            Ledger::HistoryWrite how, HistoryDigester* digester, std::optional<uint64_t> digest_up_to) {
  FT_ASSERT(events_per_batch > 0);
  auto lookup = ledger.NewLookup();
  // By subject key prefix (kind || id || 0x00), in key order, kept from batch to batch (subjects
  // recur), as is the write batch's buffer.
  std::map<std::string, SubjectGroups, std::less<>> groups;
  Ledger::HistoryBatch batch = ledger.NewHistoryBatch();
  std::string key;
  auto put = [&](std::string_view prefix, const PendingGroup& group) {
    key.assign(1, kRecordPrefix);
    key += prefix;
    key += SequenceKey(group.first_sequence);
    batch.Put(key, group.bytes);
    if (digester != nullptr) digester->AddEntries(prefix, group.first_sequence, group.count, group.bytes);
  };
  std::string checkpoint;
  Status failure;
  uint64_t submission_sequence = 0;
  const KeyRecord* author_key = nullptr;
  uint64_t batch_events = 0;
  uint64_t indexed_to = from - 1;
  // The batch in key order (the checkpoint's key sorts first): each insert into the memtable's
  // skip list then starts where the last one ended.
  auto flush = [&](uint64_t sequence, const Digest& chain_hash) {
    batch.Clear();
    checkpoint = EncodeCheckpoint(sequence, chain_hash);
    batch.Put(kCheckpointKey, checkpoint);
    for (auto& [prefix, subject] : groups) {
      for (const PendingGroup& group : subject.full) put(prefix, group);
      subject.full.clear();
      if (subject.pending.count > 0) {
        put(prefix, subject.pending);
        subject.pending.count = 0;
        subject.pending.bytes.clear();
      }
    }
    Status written = ledger.WriteHistory(batch, how);
    batch_events = 0;
    indexed_to = sequence;
    return written;
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
    if (view->submission_sequence != submission_sequence) {
      auto bytes = ledger.ReadSubmission(view->submission_sequence);
      if (!bytes) {
        failure = bytes.error();
        return false;
      }
      auto submission = DecodedSubmission::Open(*bytes, "submission at sequence " +
                                                           std::to_string(view->submission_sequence));
      if (!submission) {
        failure = submission.error();
        return false;
      }
      submission_sequence = view->submission_sequence;
      auto key_id = submission->root().getBody().getKeyId();
      author_key = ledger.state().keys.Find(HexEncode(ByteSpan(key_id.begin(), key_id.size())));
    }
    // The name for error messages, formatted without allocating: this runs for every event.
    char what[32] = "sequence ";
    char* what_end = std::to_chars(what + 9, what + sizeof what, entry.sequence).ptr;
    failure = reader.Read(view->canonical_event, std::string_view(what, what_end - what), [&](schema::Event::Reader event) {
      auto target = FindReversed(*lookup, entry.sequence, event);
      if (!target) return target.error();
      schema::Event::Reader reversed;
      if (*target) reversed = (*target)->event.root();
      // As the ledger's subject index has it: the author's organisation counts for the events
      // after the signing key's registration, which may be an earlier event of the same
      // submission (the genesis submission, which the operator key signs, may register that key).
      std::string author_org_id =
          author_key != nullptr && author_key->registered_sequence < entry.sequence ? author_key->org_id : std::string();
      // Everything that reads the event comes before the first record is added, so that an
      // event that cannot be read adds nothing.
      record.clear();
      for (const Subject& subject :
           IndexedSubjects(event, author_org_id, *target ? &reversed : nullptr, ledger.state())) {
        if (!HasHistory(subject.kind)) continue;
        if (record.empty()) {
          record = EncodeHistoryRecord(MakeHistoryRecord(entry.sequence, view->chain_hash, event,
                                                         *target ? &reversed : nullptr, ledger.state()));
        }
        prefix.assign(1, static_cast<char>(subject.kind));
        prefix += subject.id;
        prefix += '\0';
        auto found = groups.find(prefix);
        if (found == groups.end()) found = groups.emplace(prefix, SubjectGroups()).first;
        SubjectGroups& subject_groups = found->second;
        PendingGroup& group = subject_groups.pending;
        if (group.count == 0) group.first_sequence = entry.sequence;
        AppendGroupEntry(group.bytes, entry.sequence, record);
        if (++group.count == kRecordsPerGroupMax) {
          subject_groups.full.push_back(std::move(group));
          group = PendingGroup();
        }
      }
      return Status::Ok();
    });
    if (!failure.ok()) return false;
    if (digester != nullptr && digest_up_to && entry.sequence == *digest_up_to) {
      for (auto& [prefix, subject] : groups) {
        if (subject.pending.count == 0) continue;
        subject.full.push_back(std::move(subject.pending));
        subject.pending = PendingGroup();
      }
    }
    if (++batch_events == events_per_batch || entry.sequence == to) {
      failure = flush(entry.sequence, view->chain_hash);
      if (!failure.ok()) return false;
    }
    return true;
  }));
  FT_RETURN_IF_ERROR(failure);
  if (indexed_to != to) return Status::Corruption("the log ends before sequence " + std::to_string(to));
  if (digester != nullptr) digester->AddOther(kCheckpointKey, checkpoint);
  return Status::Ok();
}

// The same; a store written from zero (`clear`) starts from a new, empty column family
// (Ledger::RecreateHistory), goes without RocksDB's write-ahead log and is flushed at the end,
// whatever happened (Ledger::HistoryWrite).
Status IndexEvents(Ledger& ledger, uint64_t from, uint64_t to, bool clear, uint64_t events_per_batch,
                   HistoryDigester* digester = nullptr, std::optional<uint64_t> digest_up_to = std::nullopt) {
  if (clear) FT_RETURN_IF_ERROR(ledger.RecreateHistory());
  if (clear && from > to) return Status::Ok();
  const Ledger::HistoryWrite how = clear ? Ledger::HistoryWrite::kUnlogged : Ledger::HistoryWrite::kLogged;
  Status indexed =
      IndexEventsInBatches(ledger, from, to, events_per_batch, how, digester, digest_up_to);
  if (how == Ledger::HistoryWrite::kUnlogged) {
    Status flushed = ledger.FlushHistory();
    if (indexed.ok()) return flushed;
  }
  return indexed;
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
                                const schema::Event::Reader* reversed, const LedgerState& state) {
  HistoryRecord record;
  record.sequence = sequence;
  record.hash = hash;
  record.type = EventTypeName(event);
  EventSummary summary = SummariseEvent(event);
  if (reversed != nullptr) {
    EventSummary target = SummariseEvent(*reversed);
    summary.subject += " (" + target.subject + ")";
    if (target.amount) {
      summary.amount = target.amount;
      summary.amount->minor_units = -summary.amount->minor_units;
    }
  }
  record.subject = std::move(summary.subject);
  record.amount = std::move(summary.amount);
  // A reversal undoes what the reversed event changed.
  schema::Event::Reader changing = reversed != nullptr ? *reversed : event;
  const int sign = reversed != nullptr ? -1 : 1;
  if (std::optional<GrantChange> change = GrantChangeOf(changing)) {
    record.grant_sign = sign;
    record.grant_id = change->grant_id;
    record.grant_currency = change->currency;
    record.awarded = change->awarded;
    record.received = change->received;
    record.disbursed = change->disbursed;
    record.spent = change->spent;
    record.refunded = change->refunded;
  }
  if (std::optional<MemberGrantChange> change = MemberGrantChangeOf(changing)) {
    record.member_sign = sign;
    record.member_org_id = change->org_id;
    record.member_grant_id = change->grant_id;
    record.member_kind = change->kind;
    record.member_amount = change->amount;
    record.member_category = change->category;
  }
  record.concerns_grant_id = GrantIdOf(changing);
  return record;
}

std::string EncodeHistoryRecord(const HistoryRecord& record) {
  std::string out;
  out.reserve(128);
  PutU8(out, kRecordVersion);
  out.append(reinterpret_cast<const char*>(record.hash.data()), record.hash.size());
  PutVarint(out, TypeCode(record.type));
  PutString(out, record.subject);
  PutU8(out, record.amount ? 1 : 0);
  if (record.amount) {
    PutI64(out, record.amount->minor_units);
    PutString(out, record.amount->currency);
  }
  PutSign(out, record.grant_sign);
  if (record.grant_sign != 0) {
    PutString(out, record.grant_id);
    PutString(out, record.grant_currency);
    for (int64_t value : {record.awarded, record.received, record.disbursed, record.spent, record.refunded}) {
      PutI64(out, value);
    }
  }
  PutSign(out, record.member_sign);
  if (record.member_sign != 0) {
    PutString(out, record.member_org_id);
    PutString(out, record.member_grant_id);
    PutU8(out, static_cast<uint8_t>(record.member_kind));
    PutI64(out, record.member_amount);
    PutI64(out, record.member_category);
  }
  PutString(out, record.concerns_grant_id);
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
    Money amount;
    if (!in.I64(&amount.minor_units) || !in.String(&amount.currency)) return damaged();
    record.amount = std::move(amount);
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
    records[index] = MakeHistoryRecord(sequence, chain_hash, event, *target ? &reversed : nullptr, ledger.state());
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
    uint64_t differs = 0;
    for (size_t i = 0; i < std::max(indexed.size(), records.size()) && differs == 0; ++i) {
      if (i >= records.size()) differs = indexed[i];
      else if (i >= indexed.size() || records[i].sequence != indexed[i]) differs = records[i].sequence;
    }
    if (differs != 0) {
      return Error(Status::Corruption("the history store's records of " + SubjectKindName(subject.kind) + " " +
                                      subject.id + " disagree with the subject index at sequence " +
                                      std::to_string(differs) +
                                      "; run `fundtrail rebuild` to recompute the store from the log"));
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
  if (!checkpoint->has_value()) return IndexEvents(ledger, 1, head, /*clear=*/true, options.events_per_batch);
  return IndexEvents(ledger, (*checkpoint)->sequence + 1, head, /*clear=*/false, options.events_per_batch);
}

Status RebuildHistory(Ledger& ledger, const HistoryIndexOptions& options) {
  return IndexEvents(ledger, 1, ledger.head().sequence, /*clear=*/true, options.events_per_batch);
}

Result<RebuiltHistoryDigests> RebuildHistoryWithDigests(Ledger& ledger, std::optional<uint64_t> up_to,
                                                        const HistoryIndexOptions& options) {
  HistoryDigester digester(up_to);
  FT_RETURN_IF_ERROR(IndexEvents(ledger, 1, ledger.head().sequence, /*clear=*/true, options.events_per_batch,
                                 &digester, up_to));
  RebuiltHistoryDigests digests;
  digests.whole = digester.Whole();
  if (up_to) digests.part = digester.Part();
  return digests;
}

Result<HistoryStoreDigest> DigestHistoryStore(const Ledger& ledger, std::optional<uint64_t> up_to) {
  HistoryDigester digester(up_to);
  if (ledger.HasHistory()) {
    FT_RETURN_IF_ERROR(ledger.ScanHistory("", "\xff", [&](std::string_view key, std::string_view value) {
      if (key.size() < 9 || key[0] != kRecordPrefix) {
        digester.AddOther(key, value);  // the checkpoint
        return true;
      }
      const std::string_view subject = key.substr(1, key.size() - 9);
      const uint64_t first = GetBigEndian64(reinterpret_cast<const uint8_t*>(key.data() + key.size() - 8));
      // The group's entries up to `up_to` and those after it, apart.
      size_t split = 0;
      uint64_t before = 0, after = 0, first_after = 0;
      Status parsed = ForEachGroupEntry(first, value, [&](uint64_t sequence, std::string_view record) {
        if (up_to && sequence > *up_to) {
          if (after++ == 0) first_after = sequence;
        } else {
          ++before;
          split = static_cast<size_t>(record.data() + record.size() - value.data());
        }
        return true;
      });
      if (!parsed.ok()) {
        digester.AddDamaged(subject, first, key, value);
      } else {
        if (before > 0) digester.AddEntries(subject, first, before, value.substr(0, split));
        if (after > 0) digester.AddEntries(subject, first_after, after, value.substr(split));
      }
      return true;
    }));
  }
  return up_to ? digester.Part() : digester.Whole();
}

}  // namespace fundtrail::projections
