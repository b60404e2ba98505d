// Tamper tests: build a ledger with the CLI, close it, edit the RocksDB store underneath it the
// way someone with database access would, and check that `fundtrail verify` exits 3 with a
// message naming the sequence number. Each test first checks that the untouched ledger verifies
// and, where it can, that undoing the edit makes it verify again, so a failure is caused by the
// edit and nothing else.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <cstring>
#include <iostream>
#include <memory>
#include <regex>

#include "ledger/json_codec.h"
#include "ledger/log_format.h"
#include "ledger/merkle.h"
#include "ledger/submission.h"
#include "tests/testing/cli_harness.h"

namespace fundtrail::testing {
namespace {

using nlohmann::json;

// The ledger's RocksDB database opened directly, every column family included (ledger/store.h).
// Closes on destruction, so the CLI can open the ledger again.
class RawStore {
 public:
  explicit RawStore(const std::string& ledger_directory) {
    std::string path = ledger_directory + "/db";
    rocksdb::DBOptions options;
    std::vector<std::string> names;
    Check(rocksdb::DB::ListColumnFamilies(options, path, &names), "listing column families");
    for (const char* expected : {"default", "log", "submissions", "submission_ids", "subjects", "state"}) {
      if (std::find(names.begin(), names.end(), expected) == names.end()) {
        throw std::runtime_error(std::string("the store has no column family ") + expected);
      }
    }
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const auto& name : names) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
    rocksdb::DB* database = nullptr;
    Check(rocksdb::DB::Open(options, path, descriptors, &handles_, &database), "opening " + path);
    database_.reset(database);
    names_ = names;
  }

  ~RawStore() {
    for (auto* handle : handles_) database_->DestroyColumnFamilyHandle(handle);
    database_.reset();
  }

  std::string Get(const std::string& family, const std::string& key) {
    std::string value;
    Check(database_->Get(rocksdb::ReadOptions(), Handle(family), key, &value), "reading " + family);
    return value;
  }
  void Put(const std::string& family, const std::string& key, const std::string& value) {
    Check(database_->Put(Synced(), Handle(family), key, value), "writing " + family);
  }
  void Delete(const std::string& family, const std::string& key) {
    Check(database_->Delete(Synced(), Handle(family), key), "deleting from " + family);
  }

  std::string Entry(uint64_t sequence) { return Get("log", SequenceKey(sequence)); }
  void PutEntry(uint64_t sequence, const std::string& record) { Put("log", SequenceKey(sequence), record); }
  std::string SubmissionRecord(uint64_t first) { return Get("submissions", SequenceKey(first)); }

 private:
  static void Check(const rocksdb::Status& status, const std::string& what) {
    if (!status.ok()) throw std::runtime_error(what + ": " + status.ToString());
  }
  static rocksdb::WriteOptions Synced() {
    rocksdb::WriteOptions options;
    options.sync = true;
    return options;
  }
  rocksdb::ColumnFamilyHandle* Handle(const std::string& family) {
    for (size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == family) return handles_[i];
    }
    throw std::runtime_error("no column family " + family);
  }

  std::unique_ptr<rocksdb::DB> database_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::vector<std::string> names_;
};

// The stored head: be64 last sequence || 32-byte chain head || be64 submission count.
struct StoredHead {
  uint64_t sequence = 0;
  Digest chain_hash{};
  uint64_t submission_count = 0;

  static StoredHead Decode(const std::string& value) {
    if (value.size() != 48) throw std::runtime_error("the head has " + std::to_string(value.size()) + " bytes");
    StoredHead head;
    const auto* bytes = reinterpret_cast<const uint8_t*>(value.data());
    head.sequence = GetBigEndian64(bytes);
    std::memcpy(head.chain_hash.data(), bytes + 8, 32);
    head.submission_count = GetBigEndian64(bytes + 40);
    return head;
  }
  std::string Encode() const {
    std::string value(48, '\0');
    auto* bytes = reinterpret_cast<uint8_t*>(value.data());
    PutBigEndian64(sequence, bytes);
    std::memcpy(bytes + 8, chain_hash.data(), 32);
    PutBigEndian64(submission_count, bytes + 40);
    return value;
  }
};

std::string FlipByte(std::string bytes, size_t offset, uint8_t mask = 0x01) {
  if (offset >= bytes.size()) throw std::runtime_error("offset beyond the record");
  bytes[offset] = static_cast<char>(bytes[offset] ^ mask);
  return bytes;
}

class TamperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    alliance_.Init();
    alliance_.AppendHistory();
    head_line_ = alliance_.VerifiedHead();  // the untouched ledger verifies
    last_ = alliance_.receipts().back()["last_sequence"];
  }

  // The first sequence number of the k-th submission of AppendHistory().
  uint64_t First(size_t k) const { return alliance_.receipts().at(k)["first_sequence"]; }
  uint64_t Last(size_t k) const { return alliance_.receipts().at(k)["last_sequence"]; }

  // `fundtrail verify` must exit 3 with one line on stderr naming `sequence` (as "sequence N",
  // a whole number) and holding each of `needles`.
  void ExpectVerifyFails(uint64_t sequence, const std::vector<std::string>& needles = {}) {
    CommandResult result = Fundtrail({"verify", "--ledger", alliance_.ledger(), "--quiet"});
    std::cout << "  " << result.err;  // what a regulator would read
    EXPECT_EQ(result.exit_code, 3) << result.Describe();
    EXPECT_EQ(result.err.rfind("fundtrail: verification FAILED: ", 0), 0u) << result.Describe();
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.Describe();
    EXPECT_TRUE(std::regex_search(result.err, std::regex("sequence " + std::to_string(sequence) + "\\b")))
        << "the message does not name sequence " << sequence << "\n" << result.Describe();
    for (const auto& needle : needles) {
      EXPECT_NE(result.err.find(needle), std::string::npos) << "no \"" << needle << "\"\n" << result.Describe();
    }
    EXPECT_EQ(result.out.find("ok:"), std::string::npos) << result.Describe();
  }

  void ExpectVerifies() { EXPECT_EQ(alliance_.VerifiedHead(), head_line_); }

  TempDir dir_;
  SampleAlliance alliance_{dir_.path()};
  std::string head_line_;
  uint64_t last_ = 0;
};

TEST_F(TamperTest, ChangedByteInTheEvent) {
  // An expenditure (its own submission), an event in the middle of a batch, a genesis event.
  for (uint64_t sequence : {First(4), First(3) + 1, uint64_t{5}}) {
    std::string original = RawStore(alliance_.ledger()).Entry(sequence);
    size_t event_size = original.size() - kEntryHeaderSizeBytes;
    for (size_t offset : {size_t{0}, size_t{9}, event_size / 2, event_size - 1}) {
      SCOPED_TRACE("sequence " + std::to_string(sequence) + ", event byte " + std::to_string(offset));
      RawStore(alliance_.ledger()).PutEntry(sequence, FlipByte(original, kEntryHeaderSizeBytes + offset));
      ExpectVerifyFails(sequence, {"differs from the digest"});
      RawStore(alliance_.ledger()).PutEntry(sequence, original);
      ExpectVerifies();
    }
  }
}

TEST_F(TamperTest, ChangedByteInTheChainHash) {
  uint64_t sequence = First(3) + 1;
  std::string original = RawStore(alliance_.ledger()).Entry(sequence);
  for (size_t offset : {size_t{1}, size_t{17}, size_t{32}}) {
    SCOPED_TRACE("record byte " + std::to_string(offset));
    RawStore(alliance_.ledger()).PutEntry(sequence, FlipByte(original, offset, 0x80));
    ExpectVerifyFails(sequence, {"chain hash"});
  }
  // The last entry too: its chain hash is also the head.
  RawStore(alliance_.ledger()).PutEntry(sequence, original);
  std::string last_record = RawStore(alliance_.ledger()).Entry(last_);
  RawStore(alliance_.ledger()).PutEntry(last_, FlipByte(last_record, 5));
  ExpectVerifyFails(last_, {"chain hash"});
}

TEST_F(TamperTest, ChangedByteInTheEntryHeader) {
  uint64_t sequence = First(3) + 2;
  std::string original = RawStore(alliance_.ledger()).Entry(sequence);
  RawStore(alliance_.ledger()).PutEntry(sequence, FlipByte(original, 0));  // format version
  ExpectVerifyFails(sequence, {"format version"});
  RawStore(alliance_.ledger()).PutEntry(sequence, FlipByte(original, 40));  // submission sequence
  ExpectVerifyFails(sequence, {"submission"});
  RawStore(alliance_.ledger()).PutEntry(sequence, original);
  ExpectVerifies();
}

TEST_F(TamperTest, ZeroedAndTruncatedEntries) {
  uint64_t sequence = First(3) + 1;
  std::string original = RawStore(alliance_.ledger()).Entry(sequence);
  RawStore(alliance_.ledger()).PutEntry(sequence, std::string(original.size(), '\0'));
  ExpectVerifyFails(sequence);
  for (size_t size : {size_t{0}, size_t{1}, kEntryHeaderSizeBytes, kEntryHeaderSizeBytes + 8, original.size() - 8}) {
    SCOPED_TRACE("truncated to " + std::to_string(size) + " bytes");
    RawStore(alliance_.ledger()).PutEntry(sequence, original.substr(0, size));
    ExpectVerifyFails(sequence);
  }
  // Bytes added at the end.
  RawStore(alliance_.ledger()).PutEntry(sequence, original + std::string(8, '\0'));
  ExpectVerifyFails(sequence);
}

TEST_F(TamperTest, DeletedEntryInTheMiddle) {
  // In the middle of a submission.
  uint64_t sequence = First(3) + 1;
  std::string original = RawStore(alliance_.ledger()).Entry(sequence);
  RawStore(alliance_.ledger()).Delete("log", SequenceKey(sequence));
  ExpectVerifyFails(sequence, {"missing"});
  RawStore(alliance_.ledger()).PutEntry(sequence, original);
  ExpectVerifies();
  // The first entry of a submission.
  RawStore(alliance_.ledger()).Delete("log", SequenceKey(First(3)));
  ExpectVerifyFails(First(3), {"missing"});
}

TEST_F(TamperTest, DeletedWholeSubmissionInTheMiddle) {
  // A single-event submission: its entry, its record and its id, as if it had never been.
  uint64_t sequence = First(4);
  ASSERT_EQ(Last(4), sequence);
  {
    RawStore store(alliance_.ledger());
    store.Delete("log", SequenceKey(sequence));
    store.Delete("submissions", SequenceKey(sequence));
    store.Delete("submission_ids", alliance_.receipts()[4]["submission_id"].get<std::string>());
  }
  ExpectVerifyFails(sequence);
}

TEST_F(TamperTest, DeletedLastEntry) {
  std::string original = RawStore(alliance_.ledger()).Entry(last_);
  RawStore(alliance_.ledger()).Delete("log", SequenceKey(last_));
  ExpectVerifyFails(last_);
  RawStore(alliance_.ledger()).PutEntry(last_, original);
  ExpectVerifies();
  // With its submission record gone too, only the head disagrees.
  {
    RawStore store(alliance_.ledger());
    store.Delete("log", SequenceKey(last_));
    store.Delete("submissions", SequenceKey(last_));
  }
  ExpectVerifyFails(last_, {"head"});
}

TEST_F(TamperTest, DeletedLastEntryOfAMultiEventSubmission) {
  // Drop the last submission, then cut the one before it (two events) short by one.
  uint64_t last_of_batch = Last(5);
  ASSERT_EQ(last_of_batch, First(5) + 1);
  {
    RawStore store(alliance_.ledger());
    store.Delete("log", SequenceKey(last_));
    store.Delete("submissions", SequenceKey(last_));
    store.Delete("log", SequenceKey(last_of_batch));
  }
  ExpectVerifyFails(last_of_batch, {"missing"});
}

TEST_F(TamperTest, SwappedEntriesOfTheSameSubmission) {
  uint64_t a = First(5), b = First(5) + 1;
  {
    RawStore store(alliance_.ledger());
    std::string first = store.Entry(a), second = store.Entry(b);
    store.PutEntry(a, second);
    store.PutEntry(b, first);
  }
  ExpectVerifyFails(a);
}

TEST_F(TamperTest, SwappedEntriesOfDifferentSubmissions) {
  uint64_t a = First(3) + 1, b = First(4);
  {
    RawStore store(alliance_.ledger());
    std::string first = store.Entry(a), second = store.Entry(b);
    store.PutEntry(a, second);
    store.PutEntry(b, first);
  }
  ExpectVerifyFails(a);
}

// Rewrites the event at `sequence` with `amount`, then recomputes the chain hash of it and of every
// later entry (ledger/log_format.h: h_n = SHA-256("FTCHAIN1" || h_{n-1} || be64(n) || s || d_n)
// with s the digest of the entry's stored submission record) and rewrites the head, as an
// operator covering their tracks would. With `also_signed_digest` the submission record's
// signed event digest is replaced too (which changes s for the whole submission).
// Returns the first sequence of the changed submission.
uint64_t RewriteWithRecomputedChain(const std::string& ledger, uint64_t sequence, const std::string& amount,
                                    bool also_signed_digest) {
  RawStore store(ledger);
  StoredHead head = StoredHead::Decode(store.Get("default", "head"));
  std::string record = store.Entry(sequence);
  auto view = DecodeEntry(record);
  if (!view) throw std::runtime_error(view.error().message());
  auto event = DecodedEvent::Open(view->canonical_event, "event");
  if (!event) throw std::runtime_error(event.error().message());
  json object = json::parse(EncodeEventJson(event->root()).dump());
  if (!amount.empty()) object["amount"] = amount;
  auto rewritten = EncodeEvent(object);
  if (!rewritten) throw std::runtime_error(rewritten.error().message());
  const uint64_t submission_first = view->submission_sequence;

  if (also_signed_digest) {
    auto submission = DecodedSubmission::Open(store.SubmissionRecord(submission_first), "submission");
    if (!submission) throw std::runtime_error(submission.error().message());
    capnp::MallocMessageBuilder message;
    message.setRoot(submission->root());
    auto built = message.getRoot<schema::Submission>();
    Digest digest = EventDigest(*rewritten);
    built.getBody().getEventDigests().set(static_cast<uint32_t>(sequence - submission_first),
                                          capnp::Data::Reader(digest.data(), digest.size()));
    store.Put("submissions", SequenceKey(submission_first), CanonicalBytes(built.asReader()));
  }

  // Recompute the chain from the changed submission on; the signed submissions are left as
  // they are (apart from the digest above).
  ChainHasher hasher;
  Digest previous{};
  if (submission_first > 1) {
    auto before = DecodeEntry(store.Entry(submission_first - 1));
    if (!before) throw std::runtime_error(before.error().message());
    previous = before->chain_hash;
  }
  for (uint64_t n = submission_first; n <= head.sequence; ++n) {
    std::string current = store.Entry(n);
    auto entry = DecodeEntry(current);
    if (!entry) throw std::runtime_error(entry.error().message());
    std::string canonical_event = n == sequence ? *rewritten : std::string(entry->canonical_event);
    Digest submission_digest = SubmissionDigest(store.SubmissionRecord(entry->submission_sequence));
    previous = hasher.Chain(previous, n, submission_digest, hasher.Event(canonical_event));
    store.PutEntry(n, EncodeEntry(previous, entry->submission_sequence, canonical_event));
  }
  head.chain_hash = previous;
  store.Put("default", "head", head.Encode());
  return submission_first;
}

TEST_F(TamperTest, RewrittenEventWithRecomputedChain) {
  uint64_t sequence = First(5) + 1;  // the second expenditure of 清华大学's batch
  ASSERT_EQ(alliance_.events().at(sequence)["type"], "expenditure_recorded");
  // The control: recomputing the chain without changing anything leaves a ledger that verifies,
  // so the recomputation below is right and only the changed amount can make verify fail.
  RewriteWithRecomputedChain(alliance_.ledger(), sequence, "", false);
  ExpectVerifies();

  RewriteWithRecomputedChain(alliance_.ledger(), sequence, "1.00 CNY", false);
  // The log now shows the forged amount, and the chain and the head agree with it...
  auto log = alliance_.Log({"--from", std::to_string(sequence), "--to", std::to_string(sequence)});
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["event"]["amount"], "1.00 CNY");
  // ...but the submission's signed digest does not.
  ExpectVerifyFails(sequence, {"differs from the digest its submission signed"});
}

TEST_F(TamperTest, RewrittenEventAndSignedDigestWithRecomputedChain) {
  uint64_t sequence = First(5) + 1;
  uint64_t submission_first = RewriteWithRecomputedChain(alliance_.ledger(), sequence, "1.00 CNY", true);
  ASSERT_EQ(submission_first, First(5));
  // Every digest and hash agrees now; only the signature over the body can tell.
  ExpectVerifyFails(submission_first, {"signature", alliance_.finance_tsinghua.key_id_hex});
}

TEST_F(TamperTest, AlteredSubmissionSignature) {
  uint64_t first = First(4);
  std::string original = RawStore(alliance_.ledger()).SubmissionRecord(first);
  auto decoded = DecodedSubmission::Open(original, "submission");
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
  auto signature = decoded->root().getSignature();
  std::string signature_bytes(reinterpret_cast<const char*>(signature.begin()), signature.size());
  ASSERT_EQ(signature_bytes.size(), 64u);
  size_t at = original.find(signature_bytes);
  ASSERT_NE(at, std::string::npos);
  for (size_t offset : {size_t{0}, size_t{31}, size_t{63}}) {
    SCOPED_TRACE("signature byte " + std::to_string(offset));
    RawStore(alliance_.ledger()).Put("submissions", SequenceKey(first), FlipByte(original, at + offset));
    ExpectVerifyFails(first, {"signature"});
  }
  RawStore(alliance_.ledger()).Put("submissions", SequenceKey(first), original);
  ExpectVerifies();
}

TEST_F(TamperTest, AlteredSubmissionRecordFields) {
  uint64_t first = First(3);
  std::string original = RawStore(alliance_.ledger()).SubmissionRecord(first);
  auto decoded = DecodedSubmission::Open(original, "submission");
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
  auto rewrite = [&](auto change) {
    capnp::MallocMessageBuilder message;
    message.setRoot(decoded->root());
    auto built = message.getRoot<schema::Submission>();
    change(built);
    RawStore(alliance_.ledger()).Put("submissions", SequenceKey(first), CanonicalBytes(built.asReader()));
  };
  // The ledger's time stamp is not signed by the client, but the chain covers it.
  rewrite([](schema::Submission::Builder built) { built.setAppendedAt(built.getAppendedAt() - 86400000000LL); });
  ExpectVerifyFails(first, {"chain hash"});
  // The first sequence it claims.
  rewrite([](schema::Submission::Builder built) { built.setFirstSequence(built.getFirstSequence() + 1); });
  ExpectVerifyFails(first);
  // The signed body: the submission id.
  rewrite([](schema::Submission::Builder built) { built.getBody().setSubmissionId("renamed"); });
  ExpectVerifyFails(first, {"signature"});
  // A byte in the middle of the record, wherever it lands.
  RawStore(alliance_.ledger()).Put("submissions", SequenceKey(first), FlipByte(original, original.size() / 2));
  ExpectVerifyFails(first);
  RawStore(alliance_.ledger()).Put("submissions", SequenceKey(first), original);
  ExpectVerifies();
}

TEST_F(TamperTest, ExtraEntryBeyondTheHead) {
  std::string copy = RawStore(alliance_.ledger()).Entry(last_);
  RawStore(alliance_.ledger()).PutEntry(last_ + 1, copy);
  ExpectVerifyFails(last_ + 1);
  // Far beyond the head too.
  RawStore(alliance_.ledger()).Delete("log", SequenceKey(last_ + 1));
  ExpectVerifies();
  RawStore(alliance_.ledger()).PutEntry(last_ + 1000, copy);
  ExpectVerifyFails(last_ + 1000);
}

// Regression: a changed chain hash in the stored head was reported without a sequence number,
// and a head moved back by one was reported as "sequence N is missing" when N was present.
TEST_F(TamperTest, TamperedHead) {
  std::string original = RawStore(alliance_.ledger()).Get("default", "head");
  StoredHead head = StoredHead::Decode(original);
  ASSERT_EQ(head.sequence, last_);

  StoredHead changed = head;
  changed.chain_hash[7] ^= 0x10;
  RawStore(alliance_.ledger()).Put("default", "head", changed.Encode());
  ExpectVerifyFails(last_, {"head"});

  changed = head;
  changed.sequence = last_ - 1;
  RawStore(alliance_.ledger()).Put("default", "head", changed.Encode());
  CommandResult behind = Fundtrail({"verify", "--ledger", alliance_.ledger(), "--quiet"});
  EXPECT_EQ(behind.exit_code, 3) << behind.Describe();
  EXPECT_EQ(behind.err.find("is missing"), std::string::npos) << "nothing is missing\n" << behind.Describe();
  EXPECT_NE(behind.err.find("sequence " + std::to_string(last_)), std::string::npos) << behind.Describe();

  changed = head;
  changed.sequence = last_ + 1;
  RawStore(alliance_.ledger()).Put("default", "head", changed.Encode());
  ExpectVerifyFails(last_ + 1, {"missing"});

  RawStore(alliance_.ledger()).Put("default", "head", original);
  ExpectVerifies();
}

// Regression: the submission count in the stored head was never checked, so changing it went
// unnoticed.
TEST_F(TamperTest, TamperedHeadSubmissionCount) {
  std::string original = RawStore(alliance_.ledger()).Get("default", "head");
  StoredHead head = StoredHead::Decode(original);
  ASSERT_EQ(head.submission_count, alliance_.receipts().size() + 1);
  for (uint64_t count : {head.submission_count - 1, head.submission_count + 1, uint64_t{0}}) {
    SCOPED_TRACE("count " + std::to_string(count));
    StoredHead changed = head;
    changed.submission_count = count;
    RawStore(alliance_.ledger()).Put("default", "head", changed.Encode());
    ExpectVerifyFails(last_, {"submissions"});
  }
  RawStore(alliance_.ledger()).Put("default", "head", original);
  ExpectVerifies();
}

TEST_F(TamperTest, ExtraSubmissionRecord) {
  // A submission record with no events, after the last one.
  std::string copy = RawStore(alliance_.ledger()).SubmissionRecord(last_);
  RawStore(alliance_.ledger()).Put("submissions", SequenceKey(last_ + 1), copy);
  ExpectVerifyFails(last_ + 1);
}

TEST_F(TamperTest, ChangedMerkleLeafAndInnerNode) {
  // A leaf (level 0) names the sequence it belongs to; an inner node names the sequences it
  // covers. Both are restored afterwards and the ledger verifies again.
  uint64_t sequence = First(3) + 1;
  std::string leaf_key = MerkleNodeKey(0, sequence - 1);
  std::string leaf = RawStore(alliance_.ledger()).Get("merkle", leaf_key);
  ASSERT_EQ(leaf.size(), 32u);
  RawStore(alliance_.ledger()).Put("merkle", leaf_key, FlipByte(leaf, 7));
  ExpectVerifyFails(sequence, {"Merkle leaf", "altered"});
  RawStore(alliance_.ledger()).Put("merkle", leaf_key, leaf);
  ExpectVerifies();

  std::string node_key = MerkleNodeKey(2, 1);  // sequences 5..8
  std::string node = RawStore(alliance_.ledger()).Get("merkle", node_key);
  ASSERT_EQ(node.size(), 32u);
  RawStore(alliance_.ledger()).Put("merkle", node_key, FlipByte(node, 0));
  ExpectVerifyFails(5, {"Merkle node (level 2, index 1)", "sequence 5 to 8", "altered"});
  RawStore(alliance_.ledger()).Delete("merkle", node_key);
  ExpectVerifyFails(5, {"Merkle node (level 2, index 1)", "missing"});
  RawStore(alliance_.ledger()).Put("merkle", node_key, node);
  ExpectVerifies();
}

// The history store is derived data: `verify` covers the log, not it. A changed record changes
// what `history` shows; `fundtrail rebuild` says that the store differed from the log and mends
// it. A record that does not decode is reported with its sequence number and the remedy.
// The writer's validation state (column family `state`) is derived, but the writer validates
// against it: a finance key moved to another member would let it record that member's
// expenditures. Every open checks the rows against the digest the last submission commits, so
// the append fails loudly before it validates anything; verify names the store; rebuild mends it.
TEST_F(TamperTest, ChangedStateRowIsRefusedOnOpenReportedByVerifyAndMendedByRebuild) {
  const std::string key = "key/" + alliance_.finance_catl.key_id_hex;
  const std::string row = RawStore(alliance_.ledger()).Get("state", key);
  json moved = json::parse(row);
  ASSERT_EQ(moved["org_id"], SampleAlliance::kCatl);
  moved["org_id"] = SampleAlliance::kTsinghua;
  auto foreign_expenditure = [&] {
    return alliance_.TryAppend(alliance_.finance_catl,
                               {ExpenditureRecorded(SampleAlliance::kGrantBattery, SampleAlliance::kTsinghua,
                                                    "materials", "V-LAB", "044001900111-77777", "1200.00 CNY")});
  };
  const SampleAlliance::Snapshot before = alliance_.TakeSnapshot();
  RawStore(alliance_.ledger()).Put("state", key, moved.dump());

  CommandResult refused = foreign_expenditure();
  EXPECT_EQ(refused.exit_code, 3) << refused.Describe();
  EXPECT_NE(refused.err.find("validation state (column family \"state\")"), std::string::npos) << refused.Describe();
  EXPECT_NE(refused.err.find("fundtrail rebuild"), std::string::npos) << refused.Describe();
  EXPECT_EQ(refused.out.find("appended"), std::string::npos) << refused.Describe();

  CommandResult verified = Fundtrail({"verify", "--ledger", alliance_.ledger(), "--quiet"});
  EXPECT_EQ(verified.exit_code, 3) << verified.Describe();
  EXPECT_NE(verified.err.find("column family \"state\", tables key"), std::string::npos) << verified.Describe();

  CommandResult rebuilt = Fundtrail({"rebuild", "--ledger", alliance_.ledger()});
  ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.Describe();
  EXPECT_NE(rebuilt.out.find("validation state: the stored one DIFFERED from the log (key)"), std::string::npos)
      << rebuilt.Describe();
  EXPECT_EQ(RawStore(alliance_.ledger()).Get("state", key), row);
  EXPECT_TRUE(alliance_.TakeSnapshot() == before);
  CommandResult rejected = foreign_expenditure();
  EXPECT_EQ(rejected.exit_code, 2) << rejected.Describe();  // the rule, as before the change
  ExpectVerifies();
}

// An added state row (a key that was never registered) is caught the same way.
TEST_F(TamperTest, AddedStateRowIsRefusedOnOpen) {
  json row = json::parse(RawStore(alliance_.ledger()).Get("state", "key/" + alliance_.admin.key_id_hex));
  RawStore(alliance_.ledger()).Put("state", "key/" + alliance_.outsider.key_id_hex, row.dump());
  CommandResult refused = Fundtrail({"view", "grants", "--ledger", alliance_.ledger()});
  EXPECT_EQ(refused.exit_code, 3) << refused.Describe();
  EXPECT_NE(refused.err.find("fundtrail rebuild"), std::string::npos) << refused.Describe();
  CommandResult rebuilt = Fundtrail({"rebuild", "--ledger", alliance_.ledger()});
  ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.Describe();
  EXPECT_NE(rebuilt.out.find("validation state: the stored one DIFFERED"), std::string::npos) << rebuilt.Describe();
  ExpectVerifies();
}

// A deleted submission id would let a retry append the same submission twice: verify names the
// index, and rebuild writes it again.
TEST_F(TamperTest, DeletedSubmissionIdIsReportedByVerifyAndMendedByRebuild) {
  const std::string id = alliance_.receipts().at(1)["submission_id"];
  const std::string value = RawStore(alliance_.ledger()).Get("submission_ids", id);
  RawStore(alliance_.ledger()).Delete("submission_ids", id);
  CommandResult verified = Fundtrail({"verify", "--ledger", alliance_.ledger(), "--quiet"});
  EXPECT_EQ(verified.exit_code, 3) << verified.Describe();
  EXPECT_NE(verified.err.find("submission id index (column family \"submission_ids\") lacks the id of the "
                              "submission at sequence " + std::to_string(First(1))),
            std::string::npos)
      << verified.Describe();
  CommandResult rebuilt = Fundtrail({"rebuild", "--ledger", alliance_.ledger()});
  ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.Describe();
  EXPECT_NE(rebuilt.out.find("submission id index: the stored one DIFFERED from the log (missing)"),
            std::string::npos)
      << rebuilt.Describe();
  EXPECT_EQ(RawStore(alliance_.ledger()).Get("submission_ids", id), value);
  ExpectVerifies();

  // An id added for nothing is extra.
  RawStore(alliance_.ledger()).Put("submission_ids", "never-used", SequenceKey(1));
  CommandResult extra = Fundtrail({"verify", "--ledger", alliance_.ledger(), "--quiet"});
  EXPECT_EQ(extra.exit_code, 3) << extra.Describe();
  EXPECT_NE(extra.err.find("ids for"), std::string::npos) << extra.Describe();
  ASSERT_EQ(Fundtrail({"rebuild", "--ledger", alliance_.ledger()}).exit_code, 0);
  ExpectVerifies();
}

TEST_F(TamperTest, ChangedHistoryRecordIsReportedByVerifyAndMendedByRebuild) {
  const std::string grant = SampleAlliance::kGrantBattery;
  auto history = [&] { return Fundtrail({"history", "grant", grant, "--csv", "--ledger", alliance_.ledger()}); };
  CommandResult before = history();
  ASSERT_EQ(before.exit_code, 0) << before.Describe();
  // The group of records that begins with the first event of the grant's history (the CSV's
  // second line starts with its sequence number).
  const size_t line = before.out.find('\n') + 1;
  const uint64_t sequence = std::stoull(before.out.substr(line, before.out.find(',', line) - line));
  const std::string key = std::string("r") + 'g' + grant + '\0' + SequenceKey(sequence);
  const std::string record = RawStore(alliance_.ledger()).Get("history", key);

  // A byte of the first record's chain hash: after the group entry's be64 sequence number, the
  // record's length (one or two LEB128 bytes) and its version byte.
  const size_t hash_at = 8 + ((static_cast<uint8_t>(record.at(8)) & 0x80) != 0 ? 2 : 1) + 1;
  RawStore(alliance_.ledger()).Put("history", key, FlipByte(record, hash_at));
  CommandResult changed = history();
  ASSERT_EQ(changed.exit_code, 0) << changed.Describe();
  EXPECT_NE(changed.out, before.out);
  // The log is untouched; verify compares the store with the records the log gives.
  auto expect_verify_names_the_store = [&] {
    CommandResult verified = Fundtrail({"verify", "--ledger", alliance_.ledger(), "--quiet"});
    EXPECT_EQ(verified.exit_code, 3) << verified.Describe();
    EXPECT_NE(verified.err.find("the history store (column family \"history\")"), std::string::npos)
        << verified.Describe();
    EXPECT_NE(verified.err.find("fundtrail rebuild"), std::string::npos) << verified.Describe();
  };
  expect_verify_names_the_store();
  CommandResult rebuilt = Fundtrail({"rebuild", "--ledger", alliance_.ledger()});
  ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.Describe();
  EXPECT_NE(rebuilt.out.find("the stored one DIFFERED from the log"), std::string::npos) << rebuilt.Describe();
  EXPECT_EQ(history().out, before.out);
  ExpectVerifies();

  RawStore(alliance_.ledger()).Put("history", key, record.substr(0, 10));
  CommandResult damaged = history();
  EXPECT_NE(damaged.exit_code, 0) << damaged.Describe();
  EXPECT_NE(damaged.err.find("sequence " + std::to_string(sequence)), std::string::npos) << damaged.Describe();
  EXPECT_NE(damaged.err.find("fundtrail rebuild"), std::string::npos) << damaged.Describe();
  expect_verify_names_the_store();
  ASSERT_EQ(Fundtrail({"rebuild", "--ledger", alliance_.ledger()}).exit_code, 0);
  EXPECT_EQ(history().out, before.out);
  ExpectVerifies();
}

// The views' figures (column family `projections`, key "views") are committed in every
// submission (docs/FORMAT.md, section 5, "The views commitment"): a figure changed in the store
// stops every command that would show it, verify names the store, and rebuild mends it.
TEST_F(TamperTest, ChangedViewFigureIsRefusedByReadersReportedByVerifyAndMendedByRebuild) {
  auto grants = [&] { return Fundtrail({"view", "grants", "--csv", "--ledger", alliance_.ledger()}); };
  CommandResult before = grants();
  ASSERT_EQ(before.exit_code, 0) << before.Describe();
  const std::string honest = RawStore(alliance_.ledger()).Get("projections", "views");
  json forged = json::parse(honest);
  json& received = forged["grants"][SampleAlliance::kGrantBattery]["received"];
  received = received.get<int64_t>() + 1000000;  // 10,000.00 CNY more received than the log says
  RawStore(alliance_.ledger()).Put("projections", "views", forged.dump());

  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"view", "grants"}, {"view", "members"}, {"flags"}}) {
    std::vector<std::string> args = command;
    args.insert(args.end(), {"--ledger", alliance_.ledger()});
    CommandResult refused = Fundtrail(args);
    EXPECT_EQ(refused.exit_code, 3) << refused.Describe();
    EXPECT_NE(refused.err.find("column family \"projections\", key \"views\""), std::string::npos)
        << refused.Describe();
    EXPECT_NE(refused.err.find("fundtrail rebuild"), std::string::npos) << refused.Describe();
  }
  CommandResult verified = Fundtrail({"verify", "--ledger", alliance_.ledger(), "--quiet"});
  EXPECT_EQ(verified.exit_code, 3) << verified.Describe();
  EXPECT_NE(verified.err.find("column family \"projections\""), std::string::npos) << verified.Describe();

  CommandResult rebuilt = Fundtrail({"rebuild", "--ledger", alliance_.ledger()});
  ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.Describe();
  EXPECT_NE(rebuilt.out.find("views: the stored ones DIFFERED from the commitment"), std::string::npos)
      << rebuilt.Describe();
  EXPECT_EQ(grants().out, before.out);
  ExpectVerifies();
  CommandResult again = Fundtrail({"rebuild", "--ledger", alliance_.ledger()});
  EXPECT_NE(again.out.find("views: the stored ones were the same"), std::string::npos) << again.Describe();
}

// The subject index (column family `subjects`) serves `log --subject` and histories: a key
// removed hid an event, and a key added showed one that does not touch the subject. verify
// replays the log's index keys and names the store; rebuild mends it.
TEST_F(TamperTest, SubjectIndexKeyRemovedOrAddedIsReportedByVerifyAndMendedByRebuild) {
  const std::string grant = SampleAlliance::kGrantBattery;
  auto subject_log = [&] {
    return Fundtrail({"log", "--subject", "grant:" + grant, "--csv", "--ledger", alliance_.ledger()});
  };
  CommandResult before = subject_log();
  ASSERT_EQ(before.exit_code, 0) << before.Describe();
  // The last event of the grant (the CSV's last line starts with its sequence number).
  const size_t last_line = before.out.rfind('\n', before.out.size() - 2) + 1;
  const uint64_t sequence = std::stoull(before.out.substr(last_line, before.out.find(',', last_line) - last_line));
  const std::string key = std::string("g") + grant + '\0' + SequenceKey(sequence);
  ASSERT_EQ(RawStore(alliance_.ledger()).Get("subjects", key), "");
  RawStore(alliance_.ledger()).Delete("subjects", key);
  EXPECT_NE(subject_log().out, before.out);  // the event is hidden

  CommandResult verified = Fundtrail({"verify", "--ledger", alliance_.ledger(), "--quiet"});
  EXPECT_EQ(verified.exit_code, 3) << verified.Describe();
  EXPECT_NE(verified.err.find("the subject index (column family \"subjects\") lacks 1 of the"), std::string::npos)
      << verified.Describe();
  EXPECT_NE(verified.err.find("the first of event " + std::to_string(sequence)), std::string::npos)
      << verified.Describe();
  CommandResult rebuilt = Fundtrail({"rebuild", "--ledger", alliance_.ledger()});
  ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.Describe();
  EXPECT_NE(rebuilt.out.find("subject index: the stored one DIFFERED from the log (1 missing)"), std::string::npos)
      << rebuilt.Describe();
  EXPECT_EQ(subject_log().out, before.out);
  ExpectVerifies();

  // The genesis shown as an event of the grant.
  RawStore(alliance_.ledger()).Put("subjects", std::string("g") + grant + '\0' + SequenceKey(1), "");
  EXPECT_NE(subject_log().out, before.out);
  CommandResult extra = Fundtrail({"verify", "--ledger", alliance_.ledger(), "--quiet"});
  EXPECT_EQ(extra.exit_code, 3) << extra.Describe();
  EXPECT_NE(extra.err.find("holds 1 keys the log does not imply"), std::string::npos) << extra.Describe();
  CommandResult mended = Fundtrail({"rebuild", "--ledger", alliance_.ledger()});
  ASSERT_EQ(mended.exit_code, 0) << mended.Describe();
  EXPECT_NE(mended.out.find("subject index: the stored one DIFFERED from the log (1 extra)"), std::string::npos)
      << mended.Describe();
  EXPECT_EQ(subject_log().out, before.out);
  ExpectVerifies();
  CommandResult again = Fundtrail({"rebuild", "--ledger", alliance_.ledger()});
  EXPECT_NE(again.out.find("subject index: the stored one was the same"), std::string::npos) << again.Describe();
}

// The misuse rules' state (column family `projections`, key "rules") is not committed in the chain:
// verify folds the rules up to the snapshot and names it when it differs; rebuild says so and
// mends it. (A snapshot that does not parse as a rules' state is not used at all.)
TEST_F(TamperTest, ChangedRulesStateIsReportedByVerifyAndMendedByRebuild) {
  auto flags = [&] { return Fundtrail({"flags", "--csv", "--ledger", alliance_.ledger()}); };
  CommandResult before = flags();
  ASSERT_EQ(before.exit_code, 0) << before.Describe();
  json rules = json::parse(RawStore(alliance_.ledger()).Get("projections", "rules"));
  ASSERT_TRUE(rules["state"]["alliance_id"].is_string());
  rules["state"]["alliance_id"] = "FORGED-ALLIANCE";
  RawStore(alliance_.ledger()).Put("projections", "rules", rules.dump());

  CommandResult verified = Fundtrail({"verify", "--ledger", alliance_.ledger(), "--quiet"});
  EXPECT_EQ(verified.exit_code, 3) << verified.Describe();
  EXPECT_NE(verified.err.find("misuse rules' state (column family \"projections\", key \"rules\") differs"),
            std::string::npos)
      << verified.Describe();
  CommandResult rebuilt = Fundtrail({"rebuild", "--ledger", alliance_.ledger()});
  ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.Describe();
  EXPECT_NE(rebuilt.out.find("rules' state: the stored one DIFFERED from the log up to sequence " +
                             std::to_string(rules["sequence"].get<uint64_t>())),
            std::string::npos)
      << rebuilt.Describe();
  EXPECT_EQ(flags().out, before.out);
  ExpectVerifies();
}

// `fundtrail verify` checks a large log on both cores, in windows of 2,048 entries read ahead of
// the replay (ledger/read_ahead.h). Damage several windows deep must be reported exactly as the
// sequential verifier (`--sequential`, every check in order on one thread) reports it.
TEST_F(TamperTest, DamageSeveralWindowsDeepGetsTheSequentialMessage) {
  constexpr int kSubmissionCount = 3;
  constexpr int kEventsPerSubmission = 2000;
  for (int k = 0; k < kSubmissionCount; ++k) {
    std::vector<json> events;
    for (int i = 0; i < kEventsPerSubmission; ++i) {
      events.push_back(FundsReceived(SampleAlliance::kGrantBattery, std::to_string(1 + i) + ".00 CNY", "2024-06-01"));
    }
    alliance_.Append(alliance_.funder, events, "large-" + std::to_string(k));
  }
  const std::string head = alliance_.VerifiedHead();
  const uint64_t last = std::stoull(head.substr(std::string("head: ").size()));
  ASSERT_GT(last - 700, uint64_t{2 * 2048});  // the damage below lies in the third window or later
  auto verify_both_ways = [&](uint64_t sequence, const std::string& needle) {
    CommandResult parallel = Fundtrail({"verify", "--ledger", alliance_.ledger(), "--quiet"});
    CommandResult sequential = Fundtrail({"verify", "--ledger", alliance_.ledger(), "--quiet", "--sequential"});
    std::cout << "  " << parallel.err;
    EXPECT_EQ(parallel.exit_code, 3) << parallel.Describe();
    EXPECT_EQ(sequential.exit_code, 3) << sequential.Describe();
    EXPECT_EQ(parallel.err, sequential.err);
    EXPECT_TRUE(std::regex_search(parallel.err, std::regex("sequence " + std::to_string(sequence) + "\\b")))
        << parallel.Describe();
    EXPECT_NE(parallel.err.find(needle), std::string::npos) << parallel.Describe();
  };
  const uint64_t deep = last - 700;  // in the last window but one or the last
  const std::string original = RawStore(alliance_.ledger()).Entry(deep);
  RawStore(alliance_.ledger()).PutEntry(deep, FlipByte(original, kEntryHeaderSizeBytes + 20));
  verify_both_ways(deep, "differs from the digest");
  RawStore(alliance_.ledger()).PutEntry(deep, FlipByte(original, 9, 0x80));
  verify_both_ways(deep, "chain hash");
  RawStore(alliance_.ledger()).PutEntry(deep, original);
  EXPECT_EQ(alliance_.VerifiedHead(), head);
  EXPECT_EQ(Fundtrail({"verify", "--ledger", alliance_.ledger(), "--quiet", "--sequential"}).exit_code, 0);
}

}  // namespace
}  // namespace fundtrail::testing
