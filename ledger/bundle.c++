#include "ledger/bundle.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <map>

#include "ledger/dates.h"
#include "ledger/json_file.h"
#include "ledger/merkle.h"
#include "ledger/replayer.h"
#include "ledger/validator.h"

namespace fundtrail {

namespace {

void PutBe64(std::string* out, uint64_t value) {
  uint8_t bytes[8];
  PutBigEndian64(value, bytes);
  out->append(reinterpret_cast<const char*>(bytes), 8);
}

void PutBe16(std::string* out, uint16_t value) {
  out->push_back(static_cast<char>(value >> 8));
  out->push_back(static_cast<char>(value & 0xff));
}

void PutDigest(std::string* out, const Digest& digest) {
  out->append(reinterpret_cast<const char*>(digest.data()), digest.size());
}

// Reads the fields of one record payload in order; every read checks the length.
class PayloadReader {
 public:
  PayloadReader(std::string_view payload, std::string where) : rest_(payload), where_(std::move(where)) {}

  Result<uint64_t> Be64() {
    FT_RETURN_IF_ERROR(Need(8));
    uint64_t value = GetBigEndian64(reinterpret_cast<const uint8_t*>(rest_.data()));
    rest_.remove_prefix(8);
    return value;
  }
  Result<uint16_t> Be16() {
    FT_RETURN_IF_ERROR(Need(2));
    uint16_t value = static_cast<uint16_t>((static_cast<uint8_t>(rest_[0]) << 8) | static_cast<uint8_t>(rest_[1]));
    rest_.remove_prefix(2);
    return value;
  }
  Result<uint8_t> Byte() {
    FT_RETURN_IF_ERROR(Need(1));
    uint8_t value = static_cast<uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    return value;
  }
  Result<Digest> Hash() {
    FT_RETURN_IF_ERROR(Need(32));
    Digest digest;
    std::memcpy(digest.data(), rest_.data(), 32);
    rest_.remove_prefix(32);
    return digest;
  }
  Result<std::vector<Digest>> Hashes() {
    auto count = Be16();
    if (!count) return Error(count.error());
    std::vector<Digest> hashes;
    for (uint16_t i = 0; i < *count; ++i) {
      auto hash = Hash();
      if (!hash) return Error(hash.error());
      hashes.push_back(*hash);
    }
    return hashes;
  }
  std::string_view Rest() { return std::exchange(rest_, std::string_view()); }
  Status End() const {
    if (!rest_.empty()) {
      return Status::Corruption(where_ + ": " + std::to_string(rest_.size()) + " unexpected bytes at its end");
    }
    return Status::Ok();
  }

 private:
  Status Need(size_t size) const {
    if (rest_.size() < size) return Status::Corruption(where_ + " is truncated");
    return Status::Ok();
  }
  std::string_view rest_;
  std::string where_;
};

const char* RecordName(BundleRecord type) {
  switch (type) {
    case BundleRecord::kHeader: return "header";
    case BundleRecord::kHead: return "head";
    case BundleRecord::kSubmission: return "submission";
    case BundleRecord::kContext: return "context entry";
    case BundleRecord::kLookup: return "lookup entry";
    case BundleRecord::kPrefix: return "prefix";
    case BundleRecord::kEntry: return "entry";
    case BundleRecord::kConsistency: return "consistency proof";
    case BundleRecord::kEnd: return "end";
  }
  return "unknown";
}

// Streams the records of a bundle file.
class BundleReader {
 public:
  static Result<BundleReader> Open(const std::string& path) {
    auto regular = CheckRegularFile(path, "bundle", UINT64_MAX);  // a bundle streams: any size
    if (!regular) return Error(regular.error());
    BundleReader reader;
    reader.file_ = std::make_unique<std::ifstream>(path, std::ios::binary);
    if (!*reader.file_) return Error(Status::IoError("cannot open bundle " + path));
    char magic[8];
    if (!reader.file_->read(magic, 8) || std::memcmp(magic, kBundleMagic, 8) != 0) {
      return Error(Status::InvalidArgument(path + " is not a fundtrail bundle (it does not start with \"" +
                                           std::string(kBundleMagic) + "\")"));
    }
    reader.offset_ = 8;
    return reader;
  }

  // The next record, or nullopt at the end of the file.
  Result<std::optional<BundleRecord>> Next() {
    char header[5];
    file_->read(header, 5);
    if (file_->gcount() == 0 && file_->eof()) return std::optional<BundleRecord>();
    ++index_;
    record_offset_ = offset_;
    type_.reset();  // until this record's type is known
    if (file_->gcount() != 5) return Error(Status::Corruption(Where() + " is truncated"));
    uint8_t type = static_cast<uint8_t>(header[0]);
    uint32_t length = (uint32_t{static_cast<uint8_t>(header[1])} << 24) |
                      (uint32_t{static_cast<uint8_t>(header[2])} << 16) |
                      (uint32_t{static_cast<uint8_t>(header[3])} << 8) | uint32_t{static_cast<uint8_t>(header[4])};
    if (type < 1 || type > 9) {
      return Error(Status::Corruption(Where() + " has an unknown type " + std::to_string(type)));
    }
    type_ = static_cast<BundleRecord>(type);
    if (length > kBundleRecordSizeMax) {
      return Error(Status::Corruption(Where() + " claims " + std::to_string(length) + " bytes"));
    }
    payload_.resize(length);
    if (!file_->read(payload_.data(), length)) return Error(Status::Corruption(Where() + " is truncated"));
    offset_ += 5 + length;
    return std::optional<BundleRecord>(*type_);
  }

  const std::string& payload() const { return payload_; }
  // "record 12 (entry, at byte 4096)".
  std::string Where() const {
    return "bundle record " + std::to_string(index_) + " (" + (type_ ? std::string(RecordName(*type_)) + ", " : "") +
           "at byte " + std::to_string(record_offset_) + ")";
  }

 private:
  BundleReader() = default;
  std::unique_ptr<std::ifstream> file_;
  uint64_t offset_ = 0;
  uint64_t record_offset_ = 0;
  uint64_t index_ = 0;
  std::optional<BundleRecord> type_;
  std::string payload_;
};

// The header and head records are JSON inside a file that is checked byte by byte; anything the
// strict parser refuses (a duplicate key, a number beyond a double) is a damaged record.
Result<nlohmann::json> ParseRecordJson(const std::string& payload, const std::string& where) {
  auto json = ParseJson(payload, where);
  if (!json) return Error(Status::Corruption(json.error().message()));
  return json;
}

Result<BundleHeader> ParseHeader(const std::string& payload, const std::string& where) {
  auto json = ParseRecordJson(payload, where);
  if (!json) return Error(json.error());
  auto is_string = [&](const char* name) { return json->contains(name) && (*json)[name].is_string(); };
  if (!json->is_object() || !is_string("format") || (*json)["format"] != kBundleFormat) {
    return Error(Status::Corruption(where + ": field \"format\" must be \"" + kBundleFormat + "\""));
  }
  BundleHeader header;
  for (const char* name : {"from_sequence", "to_sequence", "tree_size"}) {
    if (!json->contains(name) || !(*json)[name].is_number_unsigned()) {
      return Error(Status::Corruption(where + ": field \"" + std::string(name) + "\" must be a whole number"));
    }
  }
  if (!json->contains("exported_at") || !(*json)["exported_at"].is_number_integer() ||
      ((*json)["exported_at"].is_number_unsigned() && (*json)["exported_at"].get<uint64_t>() > INT64_MAX)) {
    return Error(Status::Corruption(where + ": field \"exported_at\" must be a whole number"));
  }
  auto ledger_id = is_string("ledger_id") ? HexDecode((*json)["ledger_id"].get<std::string>())
                                          : Result<std::string>(std::string());
  if (!ledger_id || ledger_id->size() != 16) {
    return Error(Status::Corruption(where + ": field \"ledger_id\" must be 32 hex digits"));
  }
  header.ledger_id = *ledger_id;
  header.from_sequence = (*json)["from_sequence"].get<uint64_t>();
  header.to_sequence = (*json)["to_sequence"].get<uint64_t>();
  header.tree_size = (*json)["tree_size"].get<uint64_t>();
  header.exported_at_micros = (*json)["exported_at"].get<int64_t>();
  if (header.from_sequence == 0 || header.from_sequence > header.to_sequence ||
      header.to_sequence > header.tree_size) {
    return Error(Status::Corruption(where + ": the range " + std::to_string(header.from_sequence) + ".." +
                                    std::to_string(header.to_sequence) + " does not fit a tree of " +
                                    std::to_string(header.tree_size) + " entries"));
  }
  return header;
}

Result<ProvenEntry> ParseProven(const std::string& payload, const std::string& where,
                                const std::map<uint64_t, std::string>& submissions) {
  PayloadReader reader(payload, where);
  ProvenEntry entry;
  auto sequence = reader.Be64();
  if (!sequence) return Error(sequence.error());
  entry.sequence = *sequence;
  auto previous = reader.Hash();
  if (!previous) return Error(previous.error());
  entry.previous_chain_hash = *previous;
  auto proof = reader.Hashes();
  if (!proof) return Error(proof.error());
  entry.inclusion = std::move(*proof);
  entry.record = std::string(reader.Rest());
  auto view = DecodeEntry(entry.record);
  if (!view) return Error(view.error().WithPrefix(where));
  auto submission = submissions.find(view->submission_sequence);
  if (submission == submissions.end()) {
    return Error(Status::Corruption(where + ": event " + std::to_string(entry.sequence) + " names submission " +
                                    std::to_string(view->submission_sequence) +
                                    ", which no earlier submission record gives"));
  }
  entry.submission = submission->second;
  return entry;
}

// Serves the validator's reads of earlier events (reversal targets) from the lookup entries.
class BundleLookup : public EventLookup {
 public:
  void Add(uint64_t sequence, std::string canonical_event, std::string key_id_hex) {
    events_[sequence] = {std::move(canonical_event), std::move(key_id_hex)};
  }
  Result<EarlierEvent> Find(uint64_t sequence) override {
    auto found = events_.find(sequence);
    if (found == events_.end()) {
      return Error(Status::Corruption("event " + std::to_string(sequence) +
                                      " is referred to but the bundle has no lookup entry for it"));
    }
    auto event = DecodedEvent::Open(found->second.first, "event " + std::to_string(sequence));
    if (!event) return Error(event.error());
    return EarlierEvent{std::move(*event), found->second.second};
  }

 private:
  std::map<uint64_t, std::pair<std::string, std::string>> events_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Writer.

Result<BundleWriter> BundleWriter::Create(const std::string& path) {
  BundleWriter writer;
  writer.path_ = path;
  writer.file_ = std::make_unique<std::ofstream>(path, std::ios::binary | std::ios::trunc);
  if (!*writer.file_) return Error(Status::IoError("cannot create " + path));
  writer.file_->write(kBundleMagic, 8);
  return writer;
}

Status BundleWriter::Write(BundleRecord type, std::string_view payload) {
  FT_ASSERT(payload.size() <= kBundleRecordSizeMax);
  char header[5] = {static_cast<char>(type), static_cast<char>(payload.size() >> 24),
                    static_cast<char>(payload.size() >> 16), static_cast<char>(payload.size() >> 8),
                    static_cast<char>(payload.size())};
  file_->write(header, 5);
  file_->write(payload.data(), static_cast<std::streamsize>(payload.size()));
  if (!*file_) return Status::IoError("cannot write " + path_);
  return Status::Ok();
}

namespace {

// The bytes of the header and head records. A reader requires exactly these bytes, so that no
// byte of a bundle can change unnoticed (hex case, spacing, the informative times).
std::string HeaderRecord(const BundleHeader& header) {
  nlohmann::ordered_json json = {{"format", kBundleFormat},
                                 {"ledger_id", HexEncode(AsBytes(header.ledger_id))},
                                 {"from_sequence", header.from_sequence},
                                 {"to_sequence", header.to_sequence},
                                 {"tree_size", header.tree_size},
                                 {"exported_at", header.exported_at_micros},
                                 {"exported_at_time", FormatTimestamp(header.exported_at_micros)}};
  return json.dump();
}

std::string HeadRecord(const TreeHead& head, const std::vector<Cosignature>& cosignatures) {
  return CosignedHeadToJson({head, cosignatures}).dump();
}

}  // namespace

Status BundleWriter::Header(const BundleHeader& header) { return Write(BundleRecord::kHeader, HeaderRecord(header)); }

Status BundleWriter::Head(const TreeHead& head, const std::vector<Cosignature>& cosignatures) {
  return Write(BundleRecord::kHead, HeadRecord(head, cosignatures));
}

Status BundleWriter::Submission(std::string_view canonical_submission) {
  return Write(BundleRecord::kSubmission, canonical_submission);
}

Status BundleWriter::Proven(BundleRecord type, const ProvenEntry& entry) {
  FT_ASSERT(type == BundleRecord::kContext || type == BundleRecord::kLookup);
  FT_ASSERT(entry.inclusion.size() <= 0xffff);
  std::string payload;
  PutBe64(&payload, entry.sequence);
  PutDigest(&payload, entry.previous_chain_hash);
  PutBe16(&payload, static_cast<uint16_t>(entry.inclusion.size()));
  for (const Digest& hash : entry.inclusion) PutDigest(&payload, hash);
  payload += entry.record;
  return Write(type, payload);
}

Status BundleWriter::Prefix(uint64_t size, const Digest& chain_hash,
                            const std::vector<std::pair<uint32_t, Digest>>& range) {
  std::string payload;
  PutBe64(&payload, size);
  PutDigest(&payload, chain_hash);
  PutBe16(&payload, static_cast<uint16_t>(range.size()));
  for (const auto& [level, hash] : range) {
    payload.push_back(static_cast<char>(level));
    PutDigest(&payload, hash);
  }
  return Write(BundleRecord::kPrefix, payload);
}

Status BundleWriter::Entry(uint64_t sequence, std::string_view record) {
  std::string payload;
  payload.reserve(8 + record.size());
  PutBe64(&payload, sequence);
  payload += record;
  return Write(BundleRecord::kEntry, payload);
}

Status BundleWriter::Consistency(uint64_t old_size, uint64_t new_size, const std::vector<Digest>& proof) {
  std::string payload;
  PutBe64(&payload, old_size);
  PutBe64(&payload, new_size);
  PutBe16(&payload, static_cast<uint16_t>(proof.size()));
  for (const Digest& hash : proof) PutDigest(&payload, hash);
  return Write(BundleRecord::kConsistency, payload);
}

Status BundleWriter::Finish(uint64_t entries, uint64_t submissions) {
  std::string payload;
  PutBe64(&payload, entries);
  PutBe64(&payload, submissions);
  FT_RETURN_IF_ERROR(Write(BundleRecord::kEnd, payload));
  file_->flush();
  if (!*file_) return Status::IoError("cannot write " + path_);
  file_.reset();
  int fd = ::open(path_.c_str(), O_RDONLY);
  if (fd < 0 || ::fsync(fd) != 0) {
    if (fd >= 0) ::close(fd);
    return Status::IoError("cannot sync " + path_);
  }
  ::close(fd);
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Verifier.

Result<BundleReport> VerifyBundle(const std::string& path, const BundleVerifyOptions& options) {
  auto opened = BundleReader::Open(path);
  if (!opened) return Error(opened.error());
  BundleReader& reader = *opened;
  BundleReport report;

  auto expect = [&](BundleRecord want) -> Status {
    auto next = reader.Next();
    if (!next) return next.error();
    if (!next->has_value()) {
      return Status::Corruption("the bundle ends before its " + std::string(RecordName(want)) + " record");
    }
    if (**next != want) {
      return Status::Corruption(reader.Where() + ": expected the " + RecordName(want) + " record here");
    }
    return Status::Ok();
  };

  FT_RETURN_IF_ERROR(expect(BundleRecord::kHeader));
  auto header = ParseHeader(reader.payload(), reader.Where());
  if (!header) return Error(header.error());
  if (reader.payload() != HeaderRecord(*header)) {
    return Error(Status::Corruption(reader.Where() + " is not in the form `fundtrail export` writes (was it edited?)"));
  }
  report.header = *header;
  FT_RETURN_IF_ERROR(expect(BundleRecord::kHead));
  auto head_json = ParseRecordJson(reader.payload(), reader.Where());
  if (!head_json) return Error(head_json.error());
  auto cosigned = CosignedHeadFromJson(*head_json);
  if (!cosigned) return Error(Status::Corruption(reader.Where() + ": " + cosigned.error().message()));
  report.cosignatures = cosigned->cosignatures;
  const TreeHead* head = &cosigned->head;
  report.head = *head;
  if (reader.payload() != HeadRecord(cosigned->head, cosigned->cosignatures)) {
    return Error(Status::Corruption(reader.Where() + " is not in the form `fundtrail export` writes (was it edited?)"));
  }
  if (head->ledger_id != header->ledger_id || head->tree_size != header->tree_size) {
    return Error(Status::Corruption(reader.Where() + ": the head (ledger " + HexEncode(AsBytes(head->ledger_id)) +
                                    ", " + std::to_string(head->tree_size) + " entries) is not the one the header "
                                    "names (ledger " + HexEncode(AsBytes(header->ledger_id)) + ", " +
                                    std::to_string(header->tree_size) + " entries)"));
  }
  const uint64_t from = header->from_sequence;
  const uint64_t to = header->to_sequence;

  // Context and lookup events, proven against the head.
  BundleLookup lookup;
  Replayer replayer(&lookup);
  replayer.set_fold(options.views);
  std::map<uint64_t, std::string> proven_submissions;
  bool context_started = false;
  // What the bundle shows at the trusted head's size, once it shows it.
  const std::optional<TreeHead> trusted =
      options.anchors.trusted_head ? std::optional<TreeHead>(options.anchors.trusted_head->head) : std::nullopt;
  std::optional<TreePoint> trusted_point;
  while (true) {
    auto next = reader.Next();
    if (!next) return Error(next.error());
    if (!next->has_value()) return Error(Status::Corruption("the bundle ends before its prefix record"));
    BundleRecord type = **next;
    if (type == BundleRecord::kSubmission) {
      auto decoded = DecodedSubmission::Open(reader.payload(), reader.Where());
      if (!decoded) return Error(decoded.error());
      proven_submissions[decoded->root().getFirstSequence()] = reader.payload();
      continue;
    }
    if (type == BundleRecord::kLookup || type == BundleRecord::kContext) {
      auto entry = ParseProven(reader.payload(), reader.Where(), proven_submissions);
      if (!entry) return Error(entry.error());
      if (type == BundleRecord::kLookup) {
        if (context_started) return Error(Status::Corruption(reader.Where() + ": lookup entries must precede context entries"));
        auto checked = CheckProvenEntry(*entry, head->tree_size, head->root_hash);
        if (!checked) return Error(checked.error().WithPrefix(reader.Where()));
        auto view = DecodeEntry(entry->record);
        lookup.Add(entry->sequence, std::string(view->canonical_event), checked->key_id_hex);
        ++report.lookup_entries;
      } else {
        context_started = true;
        if (entry->sequence >= from) {
          return Error(Status::Corruption(reader.Where() + ": context event " + std::to_string(entry->sequence) +
                                          " is not before the range, which starts at " + std::to_string(from)));
        }
        auto leaf = replayer.ApplyContext(entry->sequence, entry->submission, entry->previous_chain_hash, entry->record);
        if (!leaf) return Error(leaf.error());
        Status included = VerifyInclusion(*leaf, entry->sequence - 1, head->tree_size, entry->inclusion, head->root_hash);
        if (!included.ok()) {
          return Error(Status::Corruption("context event " + std::to_string(entry->sequence) +
                                          ": inclusion proof in the head's tree: " + included.message()));
        }
        ++report.context_entries;
      }
      continue;
    }
    if (type != BundleRecord::kPrefix) {
      return Error(Status::Corruption(reader.Where() + ": expected a submission, lookup, context or prefix record"));
    }
    PayloadReader payload(reader.payload(), reader.Where());
    auto size = payload.Be64();
    if (!size) return Error(size.error());
    auto chain = payload.Hash();
    if (!chain) return Error(chain.error());
    auto count = payload.Be16();
    if (!count) return Error(count.error());
    std::vector<std::pair<uint32_t, Digest>> range;
    for (uint16_t i = 0; i < *count; ++i) {
      auto level = payload.Byte();
      if (!level) return Error(level.error());
      auto hash = payload.Hash();
      if (!hash) return Error(hash.error());
      range.emplace_back(*level, *hash);
    }
    FT_RETURN_IF_ERROR(payload.End());
    if (*size != from - 1) {
      return Error(Status::Corruption(reader.Where() + ": the prefix covers " + std::to_string(*size) +
                                      " entries, the range starts at " + std::to_string(from)));
    }
    if (from > 1 && report.context_entries == 0) {
      return Error(Status::Corruption("the range starts at " + std::to_string(from) +
                                      " but the bundle has no context events (at least the genesis is needed)"));
    }
    if (from == 1 && *chain != Digest{}) {
      return Error(Status::Corruption(reader.Where() + ": the chain hash before sequence 1 must be zero"));
    }
    if (trusted && trusted->tree_size == from - 1) {
      trusted_point = TreePoint{from - 1, CompactRangeRoot(range), *chain};
    }
    FT_RETURN_IF_ERROR(replayer.StartAt(from, *chain, std::move(range)).WithPrefix(reader.Where()));
    break;
  }

  // The range, replayed in full: whole submissions, each entry checked as `fundtrail verify` does.
  uint64_t next_sequence = from;
  std::optional<BundleRecord> type;
  while (true) {
    auto next = reader.Next();
    if (!next) return Error(next.error());
    if (!next->has_value()) return Error(Status::Corruption("the bundle ends before its consistency proof record"));
    type = **next;
    if (type == BundleRecord::kSubmission) {
      if (replayer.submission_open()) {
        return Error(Status::Corruption(reader.Where() + ": a new submission begins while the previous one still "
                                        "lacks " + std::to_string(replayer.events_remaining()) +
                                        " of its events (after sequence " +
                                        std::to_string(replayer.last_sequence()) + ")"));
      }
      FT_RETURN_IF_ERROR(replayer.BeginSubmission(reader.payload()));
      ++report.submissions;
      continue;
    }
    if (type != BundleRecord::kEntry) break;
    PayloadReader payload(reader.payload(), reader.Where());
    auto sequence = payload.Be64();
    if (!sequence) return Error(sequence.error());
    if (!replayer.submission_open()) {
      return Error(Status::Corruption(reader.Where() + ": event " + std::to_string(*sequence) +
                                      " is not preceded by its submission record"));
    }
    if (*sequence > to) {
      return Error(Status::Corruption(reader.Where() + ": event " + std::to_string(*sequence) +
                                      " is beyond the range the header names (" + std::to_string(from) + ".." +
                                      std::to_string(to) + ")"));
    }
    FT_RETURN_IF_ERROR(replayer.AddEntry(*sequence, payload.Rest()));
    if (replayer.events_remaining() == 0) FT_RETURN_IF_ERROR(replayer.EndSubmission());
    ++report.entries;
    next_sequence = *sequence + 1;
    if (trusted && trusted->tree_size == *sequence) {
      trusted_point = TreePoint{*sequence, replayer.MerkleRoot(), replayer.head()};
    }
    if (options.progress && report.entries % 65536 == 0) options.progress(report.entries, to - from + 1);
  }
  if (*type != BundleRecord::kConsistency) {
    return Error(Status::Corruption(reader.Where() + ": expected an entry, submission or consistency proof record"));
  }
  if (replayer.submission_open()) {
    return Error(Status::Corruption("the range ends inside a submission: " + std::to_string(replayer.events_remaining()) +
                                    " of its events after sequence " + std::to_string(replayer.last_sequence()) +
                                    " are missing"));
  }
  if (next_sequence != to + 1) {
    return Error(Status::Corruption("the bundle's entries end at sequence " + std::to_string(next_sequence - 1) +
                                    ", the header names " + std::to_string(from) + ".." + std::to_string(to) +
                                    ": entries are missing"));
  }
  if (options.progress) options.progress(report.entries, to - from + 1);

  // The range's tree is a prefix of the head's tree.
  {
    PayloadReader payload(reader.payload(), reader.Where());
    auto old_size = payload.Be64();
    if (!old_size) return Error(old_size.error());
    auto new_size = payload.Be64();
    if (!new_size) return Error(new_size.error());
    auto proof = payload.Hashes();
    if (!proof) return Error(proof.error());
    FT_RETURN_IF_ERROR(payload.End());
    if (*old_size != to || *new_size != head->tree_size) {
      return Error(Status::Corruption(reader.Where() + ": the proof is between sizes " + std::to_string(*old_size) +
                                      " and " + std::to_string(*new_size) + ", expected " + std::to_string(to) +
                                      " and " + std::to_string(head->tree_size)));
    }
    Status consistent = VerifyConsistency(to, head->tree_size, replayer.MerkleRoot(), head->root_hash, *proof);
    if (!consistent.ok()) {
      return Error(Status::Corruption("the entries " + std::to_string(from) + ".." + std::to_string(to) +
                                      " do not belong to the signed head's tree of " +
                                      std::to_string(head->tree_size) + " entries: " + consistent.message()));
    }
    if (to == head->tree_size && replayer.head() != head->chain_hash) {
      return Error(Status::Corruption("the chain head after sequence " + std::to_string(to) + " is " +
                                      HexEncode(replayer.head()) + ", the signed head says " +
                                      HexEncode(head->chain_hash)));
    }
  }
  FT_RETURN_IF_ERROR(expect(BundleRecord::kEnd));
  {
    PayloadReader payload(reader.payload(), reader.Where());
    auto entries = payload.Be64();
    if (!entries) return Error(entries.error());
    auto submissions = payload.Be64();
    if (!submissions) return Error(submissions.error());
    FT_RETURN_IF_ERROR(payload.End());
    if (*entries != report.entries || *submissions != report.submissions) {
      return Error(Status::Corruption(reader.Where() + ": it counts " + std::to_string(*entries) + " entries in " +
                                      std::to_string(*submissions) + " submissions, the bundle holds " +
                                      std::to_string(report.entries) + " in " + std::to_string(report.submissions)));
    }
  }
  auto after = reader.Next();
  if (!after) return Error(after.error());
  if (after->has_value()) return Error(Status::Corruption(reader.Where() + ": data after the end record"));

  // The head is signed by the operator key the genesis names.
  const LedgerMeta* ledger = replayer.state().ledger();
  FT_ASSERT(ledger != nullptr);
  if (HexEncode(AsBytes(head->ledger_id)) != ledger->ledger_id_hex) {
    return Error(Status::Corruption("the signed head is for ledger " + HexEncode(AsBytes(head->ledger_id)) +
                                    ", the bundle's genesis for ledger " + ledger->ledger_id_hex));
  }
  auto operator_raw = HexDecode(ledger->operator_public_key_hex);
  auto operator_key = PublicKey::FromRaw(*operator_raw);
  FT_ASSERT(operator_key.has_value());
  FT_RETURN_IF_ERROR(VerifyTreeHeadSignature(*head, *operator_key).WithPrefix("the bundle's head"));
  report.operator_public_key_hex = ledger->operator_public_key_hex;
  report.alliance_id = ledger->alliance_id;

  // Only now, with the whole file verified, is it compared with what the user trusts: a forged
  // bundle is "altered" (exit 3) before it is "not ours" (exit 6).
  auto anchored = CheckAnchors(options.anchors, head->ledger_id, *operator_key);
  if (!anchored) return Error(anchored.error());
  report.anchors = std::move(*anchored);
  FT_RETURN_IF_ERROR(CheckWitnessAnchor(options.anchors, *cosigned, &report.anchors));
  if (trusted) {
    if (trusted->tree_size == head->tree_size) {
      trusted_point = TreePoint{head->tree_size, head->root_hash, head->chain_hash};
    }
    Status unreachable = Status::InvalidArgument(
        "the trusted head has " + std::to_string(trusted->tree_size) + " entries; this bundle can only be "
        "compared with a head of " + std::to_string(from - 1) + ".." + std::to_string(to) + " or " +
        std::to_string(head->tree_size) + " entries: export a bundle that covers it (--from-seq " +
        std::to_string(std::min(trusted->tree_size + 1, to)) + ") or check it with a consistency proof");
    FT_RETURN_IF_ERROR(CompareWithTrustedHead(*trusted, trusted_point, head->tree_size, unreachable));
    report.trusted_head_checked = true;
  }
  report.views_checked = replayer.views_checked();
  report.views_unchecked = replayer.views_unchecked();
  return report;
}

}  // namespace fundtrail
