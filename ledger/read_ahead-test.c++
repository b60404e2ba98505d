#include "ledger/read_ahead.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include "ledger/merkle.h"
#include "ledger/store.h"
#include "ledger/submission.h"
#include "ledger/test_util.h"
#include "projections/views_fold.h"

namespace fundtrail {
namespace {

using test::json;

// Events in the ledger below: several read-ahead windows (2,048 entries each), with a key
// registered half way whose submissions follow, so that signature prechecks find keys that
// earlier windows registered.
constexpr int kSubmissionCount = 24;
constexpr int kEventsPerSubmission = 500;

class ReadAheadTest : public ::testing::Test {
 protected:
  ReadAheadTest() : alliance_(directory_.path()) {}

  void SetUp() override {
    auto encode = [](const std::vector<json>& events) {
      std::vector<std::string> canonical;
      for (const json& event : events) canonical.push_back(test::MustEncode(event));
      return canonical;
    };
    auto created =
        Ledger::Create(original(), alliance_.GenesisSubmission(clock_.NowMicros()), &clock_);
    ASSERT_TRUE(created.has_value()) << created.error().message();
    Ledger& ledger = **created;
    auto append = [&](const PrivateKey& key, const std::vector<json>& events) {
      size_t failed = 0;
      auto receipt =
          ledger.Append(SignSubmission(key, alliance_.ledger_id, "s-" + std::to_string(ids_++),
                                       clock_.NowMicros(), encode(events)),
                        &failed);
      ASSERT_TRUE(receipt.has_value()) << receipt.error().message();
    };
    append(alliance_.admin, {test::ProjectJson("P-1")});
    ASSERT_FALSE(HasFatalFailure());
    append(alliance_.funder, {test::GrantJson("G-1", test::kFunder, "P-1")});
    ASSERT_FALSE(HasFatalFailure());
    for (int i = 0; i < kSubmissionCount; ++i) {
      if (i == kSubmissionCount / 2) {
        append(alliance_.admin, {test::KeyRegisteredJson(late_key_, test::kFunder, {"funder"})});
      }
      std::vector<json> events;
      for (int j = 0; j < kEventsPerSubmission; ++j) {
        events.push_back(
            test::FundsReceivedJson("G-1", test::Cny(100 + i * kEventsPerSubmission + j)));
      }
      append(i > kSubmissionCount / 2 ? late_key_ : alliance_.funder, events);
      ASSERT_FALSE(HasFatalFailure());
    }
    head_ = ledger.head().sequence;
  }

  std::string original() const { return directory_.File("ledger"); }

  // A fresh copy of the ledger, opened for writing (so that a test may damage it).
  std::unique_ptr<Ledger> Copy(const std::string& name) {
    const std::string copy = directory_.File(name);
    std::filesystem::copy(original(), copy, std::filesystem::copy_options::recursive);
    auto opened =
        Ledger::Open(copy, Ledger::Access::kReadWrite, &clock_, Ledger::StateCheck::kUnchecked);
    EXPECT_TRUE(opened.has_value()) << opened.error().message();
    return opened ? std::move(*opened) : nullptr;
  }

  // Verifies both ways, each with the views' fold as `fundtrail verify` runs it; expects the
  // same outcome and message, and returns the message.
  std::string VerifyBothWays(const Ledger& ledger, const std::string& trace = "") {
    projections::ViewsFold parallel_views, sequential_views;
    Status parallel =
        ledger.Verify(nullptr, nullptr, &parallel_views, nullptr, Ledger::VerifyMode::kParallel);
    Status sequential = ledger.Verify(nullptr, nullptr, &sequential_views, nullptr,
                                      Ledger::VerifyMode::kSequential);
    EXPECT_EQ(parallel.code(), sequential.code()) << trace;
    EXPECT_EQ(parallel.message(), sequential.message()) << trace;
    return parallel.message();
  }

  test::TempDir directory_;
  test::TestAlliance alliance_;
  PrivateKey late_key_ =
      test::KeyFromSeed(test::SeedFromLabel("late funder"), directory_.File("late.pem"));
  test::FixedClock clock_;
  int ids_ = 0;
  uint64_t head_ = 0;
};

TEST_F(ReadAheadTest, WindowsCoverTheLogInOrderWithEveryCheckMadeAhead) {
  auto opened = Ledger::Open(original(), Ledger::Access::kReadOnly, &clock_);
  ASSERT_TRUE(opened.has_value()) << opened.error().message();
  Ledger& ledger = **opened;
  LogReadAhead ahead(ledger.database(), ledger.column_family("log"),
                     ledger.column_family("submissions"), nullptr, LogReadAhead::Options{});
  uint64_t next_sequence = 1, submissions = 0, prechecked = 0, signatures = 0, input_checked = 0;
  uint64_t later_submissions = 0;  // those beyond the first window
  size_t windows = 0;
  for (auto window = ahead.Next(); window != nullptr; window = ahead.Next()) {
    ++windows;
    EXPECT_LE(window->entries.size(), LogReadAhead::Options{}.window_entries);
    for (size_t i = 0; i < window->entries.size(); ++i) {
      EXPECT_EQ(window->entries[i].key, SequenceKey(next_sequence++));
      if (window->entry_prechecks[i].checked) ++prechecked;
      if (window->entry_prechecks[i].input_checked) ++input_checked;
    }
    submissions += window->submissions.size();
    if (windows > 1) later_submissions += window->submissions.size();
    for (const SubmissionPrecheck& precheck : window->submission_prechecks) {
      if (!precheck.verified_public_key.empty()) ++signatures;
    }
  }
  EXPECT_TRUE(ahead.status().ok()) << ahead.status().message();
  EXPECT_EQ(next_sequence - 1, head_);
  EXPECT_GT(windows, 4u);
  EXPECT_EQ(submissions, ledger.head().submission_count);
  // Every entry and input rule. The signatures of the submissions beyond the first window, whose
  // keys an earlier window registered, but for the first submission of the late key, which may
  // share the window that registers it.
  EXPECT_EQ(prechecked, head_);
  EXPECT_EQ(input_checked, head_);
  EXPECT_GT(later_submissions, 10u);
  EXPECT_GE(signatures, later_submissions - 1);
}

TEST_F(ReadAheadTest, AnIntactLedgerVerifiesBothWays) {
  auto opened = Ledger::Open(original(), Ledger::Access::kReadOnly, &clock_);
  ASSERT_TRUE(opened.has_value()) << opened.error().message();
  EXPECT_EQ(VerifyBothWays(**opened), "");
}

// Damage deep in the log is reported by the parallel verifier with the sequential verifier's
// message, naming the same first failing sequence number.
TEST_F(ReadAheadTest, DamageDeepInTheLogGetsTheSequentialMessage) {
  const uint64_t deep = head_ - 1234;
  auto damage_entry = [&](const std::string& name,
                          const std::function<void(std::string*)>& change) {
    std::unique_ptr<Ledger> ledger = Copy(name);
    ASSERT_NE(ledger, nullptr);
    auto entry = ledger->ReadEntry(deep);
    ASSERT_TRUE(entry.has_value());
    std::string record = entry->record;
    change(&record);
    ASSERT_TRUE(
        ledger->database()
            ->Put(rocksdb::WriteOptions(), ledger->column_family("log"), SequenceKey(deep), record)
            .ok());
    std::string message = VerifyBothWays(*ledger);
    EXPECT_NE(message.find("sequence " + std::to_string(deep)), std::string::npos)
        << name << ": " << message;
  };
  damage_entry("event-byte",
               [](std::string* record) { (*record)[kEntryHeaderSizeBytes + 60] ^= 0x01; });
  damage_entry("chain-hash", [](std::string* record) { (*record)[5] ^= 0x80; });
  damage_entry("truncated", [](std::string* record) { record->resize(record->size() - 8); });

  {
    std::unique_ptr<Ledger> ledger = Copy("deleted");
    ASSERT_TRUE(
        ledger->database()
            ->Delete(rocksdb::WriteOptions(), ledger->column_family("log"), SequenceKey(deep))
            .ok());
    std::string message = VerifyBothWays(*ledger);
    EXPECT_NE(message.find(std::to_string(deep)), std::string::npos) << message;
  }
  {
    // A signature of a submission deep in the log, by the key registered half way.
    std::unique_ptr<Ledger> ledger = Copy("signature");
    auto receipt_first = head_ - kEventsPerSubmission + 1;  // the last submission
    auto record = ledger->ReadSubmission(receipt_first);
    ASSERT_TRUE(record.has_value());
    auto decoded = DecodedSubmission::Open(*record, "submission");
    ASSERT_TRUE(decoded.has_value());
    auto signature = decoded->root().getSignature();
    std::string signature_bytes(reinterpret_cast<const char*>(signature.begin()), signature.size());
    std::string changed = *record;
    size_t at = changed.find(signature_bytes);
    ASSERT_NE(at, std::string::npos);
    changed[at + 7] ^= 0x10;
    ASSERT_TRUE(ledger->database()
                    ->Put(rocksdb::WriteOptions(), ledger->column_family("submissions"),
                          SequenceKey(receipt_first), changed)
                    .ok());
    std::string message = VerifyBothWays(*ledger);
    EXPECT_NE(message.find("does not verify"), std::string::npos) << message;
    EXPECT_NE(message.find(std::to_string(receipt_first)), std::string::npos) << message;
  }
}

uint64_t TestSeed() {
  if (const char* text = std::getenv("FUNDTRAIL_TEST_SEED"); text != nullptr && *text != '\0') {
    return std::strtoull(text, nullptr, 10);
  }
  return 20261207;  // fixed, so that CI is deterministic; explore others with the variable
}

// One change to a stored record, and how to undo it.
struct Damage {
  std::string description;
  std::string column_family;
  std::string key;
  std::optional<std::string> original;  // none: the key did not exist
};

// Random damage anywhere in the log, its submissions or its Merkle leaves, each verified both
// ways: the parallel verdict (outcome and message) must be the sequential one. The seed is
// printed with every failure; rerun one, or explore others, with
//   FUNDTRAIL_TEST_SEED=<seed> store_fault_tests --gtest_filter='ReadAheadTest.*'
TEST_F(ReadAheadTest, RandomDamageGetsTheSameVerdictBothWays) {
  const uint64_t seed = TestSeed();
  const std::string trace =
      "seed " + std::to_string(seed) + " (rerun with FUNDTRAIL_TEST_SEED=" + std::to_string(seed) + ")";
  std::mt19937_64 random(seed);
  std::unique_ptr<Ledger> ledger = Copy("property");
  ASSERT_NE(ledger, nullptr);
  rocksdb::DB* database = ledger->database();
  auto read = [&](const std::string& family, const std::string& key) -> std::optional<std::string> {
    std::string value;
    rocksdb::Status status =
        database->Get(rocksdb::ReadOptions(), ledger->column_family(family), key, &value);
    if (status.IsNotFound()) return std::nullopt;
    EXPECT_TRUE(status.ok()) << status.ToString();
    return value;
  };
  auto put = [&](const std::string& family, const std::string& key, const std::string& value) {
    ASSERT_TRUE(database->Put(rocksdb::WriteOptions(), ledger->column_family(family), key, value).ok());
  };
  auto erase = [&](const std::string& family, const std::string& key) {
    ASSERT_TRUE(database->Delete(rocksdb::WriteOptions(), ledger->column_family(family), key).ok());
  };
  auto pick = [&](uint64_t low, uint64_t high) {
    return std::uniform_int_distribution<uint64_t>(low, high)(random);
  };
  // The first sequence of each submission, to damage a submission record.
  std::vector<uint64_t> submission_starts;
  for (uint64_t sequence = 1; sequence <= head_; ++sequence) {
    if (read("submissions", SequenceKey(sequence))) submission_starts.push_back(sequence);
  }
  ASSERT_EQ(submission_starts.size(), ledger->head().submission_count);

  constexpr int kRoundCount = 16;
  for (int round = 0; round < kRoundCount; ++round) {
    const uint64_t sequence = pick(1, head_);
    std::vector<Damage> damages;
    auto change = [&](const std::string& family, const std::string& key, std::string value,
                      const std::string& what) {
      damages.push_back({what, family, key, read(family, key)});
      put(family, key, value);
    };
    std::string entry = *read("log", SequenceKey(sequence));
    switch (pick(0, 5)) {
      case 0: {  // a flipped bit anywhere in an entry record
        const size_t at = pick(0, entry.size() - 1);
        entry[at] = static_cast<char>(entry[at] ^ (1 << pick(0, 7)));
        change("log", SequenceKey(sequence), entry,
               "bit flipped in entry " + std::to_string(sequence) + " at byte " + std::to_string(at));
        break;
      }
      case 1:  // an entry deleted
        damages.push_back({"entry " + std::to_string(sequence) + " deleted", "log",
                           SequenceKey(sequence), entry});
        erase("log", SequenceKey(sequence));
        break;
      case 2: {  // an entry cut short
        entry.resize(pick(0, entry.size() - 1));
        change("log", SequenceKey(sequence), entry, "entry " + std::to_string(sequence) + " truncated");
        break;
      }
      case 3: {  // two neighbouring entries swapped
        const uint64_t other = sequence == head_ ? sequence - 1 : sequence + 1;
        const std::string other_entry = *read("log", SequenceKey(other));
        change("log", SequenceKey(sequence), other_entry,
               "entries " + std::to_string(sequence) + " and " + std::to_string(other) + " swapped");
        change("log", SequenceKey(other), entry, "");
        break;
      }
      case 4: {  // a flipped bit in a submission record
        const uint64_t first = submission_starts[pick(0, submission_starts.size() - 1)];
        std::string record = *read("submissions", SequenceKey(first));
        const size_t at = pick(0, record.size() - 1);
        record[at] = static_cast<char>(record[at] ^ (1 << pick(0, 7)));
        change("submissions", SequenceKey(first), record,
               "bit flipped in the submission at " + std::to_string(first) + ", byte " + std::to_string(at));
        break;
      }
      case 5: {  // a flipped bit in a stored Merkle leaf
        const std::string key = MerkleNodeKey(0, sequence - 1);
        std::string leaf = *read("merkle", key);
        const size_t at = pick(0, leaf.size() - 1);
        leaf[at] = static_cast<char>(leaf[at] ^ (1 << pick(0, 7)));
        change("merkle", key, leaf, "bit flipped in the Merkle leaf of " + std::to_string(sequence));
        break;
      }
    }
    const std::string what = trace + ", round " + std::to_string(round) + ": " + damages.front().description;
    const std::string message = VerifyBothWays(*ledger, what);
    EXPECT_NE(message, "") << what << ": not detected";
    // Undo, last change first.
    for (auto undo = damages.rbegin(); undo != damages.rend(); ++undo) {
      if (undo->original) {
        put(undo->column_family, undo->key, *undo->original);
      } else {
        erase(undo->column_family, undo->key);
      }
    }
    if (HasFailure()) break;  // the first failure, with its seed, is the one to rerun
  }
  // Every damage was undone: the verdicts above were those of the damage alone.
  EXPECT_EQ(VerifyBothWays(*ledger, trace + ", all undone"), "");
}

}  // namespace
}  // namespace fundtrail
