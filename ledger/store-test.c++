#include "ledger/store.h"

#include <gtest/gtest.h>
#include <rocksdb/write_batch.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "ledger/client.h"
#include "ledger/input_rules.h"
#include "ledger/json_codec.h"
#include "ledger/test_util.h"

namespace fundtrail {
namespace {

using nlohmann::json;
using test::kEnterprise;
using test::kFunder;
using test::kSecretariat;
using test::kUniversity;

// Fails the test (and returns) unless the append succeeded.
#define ASSERT_APPENDED(expression)                                     \
  do {                                                                  \
    auto appended_ = (expression);                                      \
    ASSERT_TRUE(appended_.has_value()) << appended_.error().message(); \
  } while (false)

std::string JsonLines(const std::vector<json>& events) {
  std::string lines;
  for (const auto& event : events) lines += event.dump() + "\n";
  return lines;
}

// All stored entries, decoded.
struct Entry {
  uint64_t sequence;
  Digest chain_hash;
  uint64_t submission_sequence;
  std::string canonical_event;
};

std::vector<Entry> AllEntries(const Ledger& ledger) {
  std::vector<Entry> entries;
  Status status = ledger.ScanEntries(1, UINT64_MAX, [&](const StoredEntry& stored) {
    auto view = DecodeEntry(stored.record);
    EXPECT_TRUE(view.has_value());
    if (!view) return false;
    entries.push_back({stored.sequence, view->chain_hash, view->submission_sequence,
                       std::string(view->canonical_event)});
    return true;
  });
  EXPECT_TRUE(status.ok()) << status.message();
  return entries;
}

json EventJsonOf(const std::string& canonical) {
  auto decoded = DecodedEvent::Open(canonical, "event");
  EXPECT_TRUE(decoded.has_value());
  if (!decoded) return nullptr;
  return json::parse(EncodeEventJson(decoded->root()).dump());
}

// A ledger made with InitLedger in a temporary directory: the test alliance's genesis (with the
// admin key passed as --admin-key), then project P-1, vendor V-1, task T-1 and grant G-1.
class StoreTest : public ::testing::Test {
 protected:
  StoreTest() : alliance_(directory_.path()) {}

  void SetUp() override {
    auto ledger = InitLedger(InitOptionsForTest(), &clock_);
    ASSERT_TRUE(ledger.has_value()) << ledger.error().message();
    ledger_ = std::move(*ledger);
    ASSERT_EQ(ledger_->head().sequence, alliance_.GenesisEvents().size());
    ASSERT_APPENDED(Append(alliance_.admin, {test::ProjectJson("P-1"), test::VendorJson("V-1"),
                                               test::TaskJson("T-1", "P-1", kUniversity)}));
    ASSERT_APPENDED(Append(alliance_.funder, {test::GrantJson("G-1", kFunder, "P-1")}));
  }

  InitOptions InitOptionsForTest() {
    // The genesis file holds everything but ledger_genesis (InitLedger makes it) and the admin
    // key (passed as a public key file, the way `fundtrail init --admin-key` does).
    std::vector<json> genesis;
    for (const auto& event : alliance_.GenesisEvents()) {
      if (event["type"] == "ledger_genesis") continue;
      if (event["type"] == "key_registered" && event["public_key"] == test::Hex(alliance_.admin.public_key().raw())) {
        continue;
      }
      genesis.push_back(event);
    }
    std::ofstream(directory_.File("genesis.jsonl")) << JsonLines(genesis);
    if (!std::filesystem::exists(directory_.File("admin-export.pem"))) {
      EXPECT_TRUE(alliance_.admin.WritePemFiles(directory_.File("admin-export.pem")).ok());
    }
    InitOptions options;
    options.directory = LedgerPath();
    options.operator_key_path = directory_.File("operator.pem");
    options.alliance_id = "ALLIANCE-PB";
    options.alliance_name = "动力电池产业技术创新战略联盟";
    options.date = "2024-01-10";
    options.genesis_path = directory_.File("genesis.jsonl");
    options.admin_public_key_paths = {directory_.File("admin-export.pem.pub")};
    options.admin_org_id = kSecretariat;
    return options;
  }

  std::string LedgerPath() const { return directory_.File("ledger"); }

  Result<Receipt> Append(const PrivateKey& key, const std::vector<json>& events,
                         const std::string& submission_id = "", Ledger* ledger = nullptr) {
    std::istringstream input(JsonLines(events));
    auto batch = ReadJsonLines(input, "batch.jsonl");
    if (!batch) return Error(batch.error());
    return AppendBatch(ledger ? *ledger : *ledger_, key, *batch, submission_id, &clock_);
  }

  void ExpectVerifies(const Ledger& ledger) {
    Status verified = ledger.Verify(nullptr);
    EXPECT_TRUE(verified.ok()) << verified.message();
  }

  std::set<std::string> UsedSubmissionIds() {
    std::set<std::string> ids;
    std::unique_ptr<rocksdb::Iterator> iterator(ledger_->database()->NewIterator(
        rocksdb::ReadOptions(), ledger_->column_family("submission_ids")));
    for (iterator->SeekToFirst(); iterator->Valid(); iterator->Next()) ids.insert(iterator->key().ToString());
    return ids;
  }

  test::TempDir directory_;
  test::TestAlliance alliance_;
  test::FixedClock clock_;
  std::unique_ptr<Ledger> ledger_;
};

TEST_F(StoreTest, InitLedgerWritesTheGenesis) {
  EXPECT_EQ(ledger_->head().submission_count, 3u);
  EXPECT_EQ(ledger_->ledger_id().size(), kLedgerIdSizeBytes);
  ASSERT_NE(ledger_->state().ledger(), nullptr);
  EXPECT_EQ(ledger_->state().ledger()->alliance_id, "ALLIANCE-PB");
  EXPECT_EQ(ledger_->state().ledger()->operator_public_key_hex, test::Hex(alliance_.operator_key.public_key().raw()));
  EXPECT_TRUE(ledger_->state().keys.Contains(test::KeyIdHex(alliance_.admin)));
  auto entries = AllEntries(*ledger_);
  ASSERT_EQ(entries.size(), ledger_->head().sequence);
  EXPECT_EQ(EventJsonOf(entries[0].canonical_event)["type"], "ledger_genesis");
  EXPECT_EQ(EventJsonOf(entries[0].canonical_event)["ledger_id"], test::Hex(ledger_->ledger_id()));
  // The admin key from --admin-key comes last in the genesis submission.
  size_t genesis_size = alliance_.GenesisEvents().size();
  json admin = EventJsonOf(entries[genesis_size - 1].canonical_event);
  EXPECT_EQ(admin["type"], "key_registered");
  EXPECT_EQ(admin["roles"], json({"admin"}));
  EXPECT_EQ(entries[genesis_size - 1].submission_sequence, 1u);
  ExpectVerifies(*ledger_);
}

TEST_F(StoreTest, InitLedgerRefusesAUsedDirectoryAndAGenesisWithoutAdmin) {
  auto again = InitLedger(InitOptionsForTest(), &clock_);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), StatusCode::kAlreadyExists);

  InitOptions no_admin = InitOptionsForTest();
  no_admin.directory = directory_.File("other-ledger");
  no_admin.admin_public_key_paths.clear();
  auto refused = InitLedger(no_admin, &clock_);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.error().message().find("registers no admin key"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(no_admin.directory));
}

TEST_F(StoreTest, ReceiptsNameTheSequencesAndHashes) {
  const Head before = ledger_->head();
  auto receipt = Append(alliance_.fund_manager,
                        {test::FundsReceivedJson("G-1", "500000.00 CNY"),
                         test::FundsDisbursedJson("G-1", kUniversity, "200000.00 CNY"),
                         test::FundsDisbursedJson("G-1", kEnterprise, "100000.00 CNY")},
                        "payments-2024-03");
  ASSERT_TRUE(receipt.has_value()) << receipt.error().message();
  EXPECT_EQ(receipt->submission_id, "payments-2024-03");
  EXPECT_FALSE(receipt->already_appended);
  EXPECT_EQ(receipt->first_sequence, before.sequence + 1);
  EXPECT_EQ(receipt->last_sequence, before.sequence + 3);
  ASSERT_EQ(receipt->entry_hashes.size(), 3u);
  EXPECT_EQ(receipt->head, receipt->entry_hashes.back());
  EXPECT_EQ(ledger_->head().sequence, receipt->last_sequence);
  EXPECT_EQ(ledger_->head().chain_hash, receipt->head);
  EXPECT_EQ(ledger_->head().submission_count, before.submission_count + 1);

  // The receipt's hashes are the stored chain, and the chain continues from the previous head.
  auto stored = ledger_->ReadSubmission(receipt->first_sequence);
  ASSERT_TRUE(stored.has_value());
  auto submission = DecodedSubmission::Open(*stored, "submission");
  ASSERT_TRUE(submission.has_value());
  EXPECT_EQ(submission->root().getAppendedAt(), receipt->appended_at_micros);
  EXPECT_EQ(submission->root().getFirstSequence(), receipt->first_sequence);
  Digest previous = before.chain_hash;
  for (uint64_t i = 0; i < 3; ++i) {
    auto entry = ledger_->ReadEntry(receipt->first_sequence + i);
    ASSERT_TRUE(entry.has_value());
    auto view = DecodeEntry(entry->record);
    ASSERT_TRUE(view.has_value());
    EXPECT_EQ(view->chain_hash, receipt->entry_hashes[i]);
    EXPECT_EQ(view->submission_sequence, receipt->first_sequence);
    Digest expected = ChainHash(previous, receipt->first_sequence + i, SubmissionDigest(*stored),
                                EventDigest(view->canonical_event));
    EXPECT_EQ(view->chain_hash, expected);
    previous = expected;
  }

  // Without a submission id, one is derived from the content.
  auto derived = Append(alliance_.finance_uni, {test::ExpenditureJson("G-1", kUniversity, "V-1", "1.00 CNY")});
  ASSERT_TRUE(derived.has_value()) << derived.error().message();
  EXPECT_EQ(derived->submission_id.rfind("content-", 0), 0u) << derived->submission_id;
  EXPECT_EQ(derived->first_sequence, receipt->last_sequence + 1);
  ExpectVerifies(*ledger_);
}

TEST_F(StoreTest, RetryWithTheSameIdReturnsTheOriginalReceipt) {
  std::vector<json> events = {test::FundsReceivedJson("G-1", "1.00 CNY"), test::FundsReceivedJson("G-1", "2.00 CNY")};
  auto first = Append(alliance_.fund_manager, events, "bank-statement-7");
  ASSERT_TRUE(first.has_value()) << first.error().message();
  const Head head = ledger_->head();
  auto retry = Append(alliance_.fund_manager, events, "bank-statement-7");
  ASSERT_TRUE(retry.has_value()) << retry.error().message();
  EXPECT_TRUE(retry->already_appended);
  EXPECT_EQ(retry->submission_id, first->submission_id);
  EXPECT_EQ(retry->first_sequence, first->first_sequence);
  EXPECT_EQ(retry->last_sequence, first->last_sequence);
  EXPECT_EQ(retry->entry_hashes, first->entry_hashes);
  EXPECT_EQ(retry->head, first->head);
  EXPECT_EQ(retry->appended_at_micros, first->appended_at_micros);
  EXPECT_EQ(ledger_->head().sequence, head.sequence);
  EXPECT_EQ(ledger_->head().chain_hash, head.chain_hash);
  EXPECT_EQ(ledger_->head().submission_count, head.submission_count);

  // A retry after other appends still returns the original receipt, whose head is the head
  // right after the original submission.
  ASSERT_APPENDED(Append(alliance_.fund_manager, {test::FundsReceivedJson("G-1", "3.00 CNY")}));
  auto late = Append(alliance_.fund_manager, events, "bank-statement-7");
  ASSERT_TRUE(late.has_value());
  EXPECT_TRUE(late->already_appended);
  EXPECT_EQ(late->head, first->head);

  // Content-derived ids make a blind re-run of the same input idempotent too.
  auto derived = Append(alliance_.fund_manager, {test::FundsReceivedJson("G-1", "4.00 CNY")});
  auto derived_again = Append(alliance_.fund_manager, {test::FundsReceivedJson("G-1", "4.00 CNY")});
  ASSERT_TRUE(derived.has_value() && derived_again.has_value());
  EXPECT_FALSE(derived->already_appended);
  EXPECT_TRUE(derived_again->already_appended);
  EXPECT_EQ(derived_again->first_sequence, derived->first_sequence);
}

TEST_F(StoreTest, TheSameIdWithOtherContentIsRefused) {
  auto first = Append(alliance_.fund_manager, {test::FundsReceivedJson("G-1", "1.00 CNY")}, "statement-1");
  ASSERT_TRUE(first.has_value());
  const Head head = ledger_->head();
  auto other = Append(alliance_.fund_manager, {test::FundsReceivedJson("G-1", "1.01 CNY")}, "statement-1");
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.error().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(other.error().message(), "submission id \"statement-1\" was already used at sequence " +
                                         std::to_string(first->first_sequence) +
                                         " for other content; choose a new id");
  // The same events signed by another key are other content as well.
  auto other_key = Append(alliance_.funder, {test::FundsReceivedJson("G-1", "1.00 CNY")}, "statement-1");
  ASSERT_FALSE(other_key.has_value());
  EXPECT_EQ(other_key.error().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(ledger_->head().sequence, head.sequence);
}

TEST_F(StoreTest, FindSubmissionChecksTheIndexAgainstTheSubmission) {
  auto first = Append(alliance_.admin, {test::VendorJson("V-7")}, "find-me");
  ASSERT_TRUE(first.has_value()) << first.error().message();
  auto second = Append(alliance_.admin, {test::VendorJson("V-8")}, "and-me");
  ASSERT_TRUE(second.has_value()) << second.error().message();

  auto found = ledger_->FindSubmission("find-me");
  ASSERT_TRUE(found.has_value()) << found.error().message();
  EXPECT_EQ(*found, std::optional<uint64_t>(first->first_sequence));
  auto missing = ledger_->FindSubmission("never-used");
  ASSERT_TRUE(missing.has_value()) << missing.error().message();
  EXPECT_FALSE(missing->has_value());

  // An index entry pointing at another submission, or at no submission, is reported as damage,
  // never answered with the submission it points at.
  auto* ids = ledger_->column_family("submission_ids");
  ASSERT_TRUE(ledger_->database()->Put(rocksdb::WriteOptions(), ids, "find-me", SequenceKey(second->first_sequence)).ok());
  auto other = ledger_->FindSubmission("find-me");
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.error().code(), StatusCode::kCorruption);
  EXPECT_NE(other.error().message().find("whose submission has another id"), std::string::npos) << other.error().message();
  EXPECT_NE(other.error().message().find("fundtrail rebuild"), std::string::npos);
  ASSERT_TRUE(ledger_->database()->Put(rocksdb::WriteOptions(), ids, "find-me", SequenceKey(first->first_sequence + 1000)).ok());
  auto beyond = ledger_->FindSubmission("find-me");
  ASSERT_FALSE(beyond.has_value());
  EXPECT_NE(beyond.error().message().find("points beyond the log"), std::string::npos) << beyond.error().message();
  ASSERT_TRUE(ledger_->database()->Put(rocksdb::WriteOptions(), ids, "find-me", "short").ok());
  EXPECT_FALSE(ledger_->FindSubmission("find-me").has_value());
}

TEST_F(StoreTest, AFailingBatchAppendsNothing) {
  const Head head = ledger_->head();
  const size_t entry_count = AllEntries(*ledger_).size();
  const std::set<std::string> ids = UsedSubmissionIds();
  // Two valid events, then one naming an organisation that does not exist.
  std::vector<json> batch = {test::VendorJson("V-9"), test::ProjectJson("P-9"),
                             test::TaskJson("T-9", "P-9", "NOBODY")};
  auto failed = Append(alliance_.admin, batch, "setup-9");
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(failed.error().message(),
            "batch.jsonl: line 3 (task_assigned): field \"org_id\": organisation \"NOBODY\" is not registered");
  EXPECT_EQ(ledger_->head().sequence, head.sequence);
  EXPECT_EQ(ledger_->head().chain_hash, head.chain_hash);
  EXPECT_EQ(ledger_->head().submission_count, head.submission_count);
  EXPECT_EQ(AllEntries(*ledger_).size(), entry_count);
  EXPECT_EQ(UsedSubmissionIds(), ids);
  EXPECT_FALSE(ledger_->state().vendors.Contains("V-9"));
  EXPECT_FALSE(ledger_->state().projects.Contains("P-9"));
  ExpectVerifies(*ledger_);

  // The state was rolled back: the same vendor and project, and the same submission id, work.
  batch[2] = test::TaskJson("T-9", "P-9", kUniversity);
  auto fixed = Append(alliance_.admin, batch, "setup-9");
  ASSERT_TRUE(fixed.has_value()) << fixed.error().message();
  EXPECT_FALSE(fixed->already_appended);
  EXPECT_EQ(fixed->first_sequence, head.sequence + 1);
  ExpectVerifies(*ledger_);

  // Malformed input fails before anything is signed, naming the line.
  std::istringstream input(JsonLines({test::VendorJson("V-10")}) + "{\"type\": \"vendor_registered\",\n");
  auto read = ReadJsonLines(input, "batch.jsonl");
  ASSERT_FALSE(read.has_value());
  EXPECT_NE(read.error().message().find("batch.jsonl: line 2: malformed JSON"), std::string::npos)
      << read.error().message();
  std::istringstream bad_field(JsonLines({test::VendorJson("V-10"), test::FundsReceivedJson("G-1", "1.234 CNY")}));
  auto field = ReadJsonLines(bad_field, "batch.jsonl");
  ASSERT_FALSE(field.has_value());
  EXPECT_EQ(field.error().message(),
            "batch.jsonl: line 2 (funds_received): field \"amount\": \"1.234 CNY\" has 3 decimals, CNY allows 2");
}

// Signs `events` as one submission for the test ledger, as a remote client would.
SignedSubmission SignForTest(const Ledger& ledger, const PrivateKey& key, const std::vector<json>& events,
                             const std::string& submission_id) {
  std::vector<std::string> canonical;
  for (const auto& event : events) canonical.push_back(test::MustEncode(event));
  return SignSubmission(key, ledger.ledger_id(), submission_id, 1, std::move(canonical));
}

TEST_F(StoreTest, AppendGroupFailsABadSubmissionAloneAndKeepsTheRest) {
  const Head head = ledger_->head();
  std::vector<SignedSubmission> group = {
      SignForTest(*ledger_, alliance_.admin, {test::VendorJson("V-20")}, "group-1"),
      // Valid events, then one naming an organisation that does not exist.
      SignForTest(*ledger_, alliance_.admin, {test::VendorJson("V-21"), test::TaskJson("T-21", "P-1", "NOBODY")},
                  "group-2"),
      // Uses what the first submission of the group registered, not yet synced.
      SignForTest(*ledger_, alliance_.finance_uni, {test::ExpenditureJson("G-1", kUniversity, "V-20", "1.00 CNY")},
                  "group-3"),
      // A retry, within the group, of the first submission.
      SignForTest(*ledger_, alliance_.admin, {test::VendorJson("V-20")}, "group-1"),
  };
  // A signature that does not verify fails alone too.
  SignedSubmission forged = SignForTest(*ledger_, alliance_.admin, {test::VendorJson("V-22")}, "group-5");
  forged.signature[0] ^= 1;
  group.push_back(forged);

  std::vector<Ledger::GroupResult> results = ledger_->AppendGroup(group);
  ASSERT_EQ(results.size(), group.size());
  ASSERT_TRUE(results[0].receipt.has_value()) << results[0].receipt.error().message();
  EXPECT_EQ(results[0].receipt->first_sequence, head.sequence + 1);
  ASSERT_FALSE(results[1].receipt.has_value());
  EXPECT_EQ(results[1].receipt.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(results[1].receipt.error().message(), "field \"org_id\": organisation \"NOBODY\" is not registered");
  EXPECT_EQ(results[1].failed_event_index, 1u);
  ASSERT_TRUE(results[2].receipt.has_value()) << results[2].receipt.error().message();
  EXPECT_EQ(results[2].receipt->first_sequence, head.sequence + 2);
  ASSERT_TRUE(results[3].receipt.has_value()) << results[3].receipt.error().message();
  EXPECT_TRUE(results[3].receipt->already_appended);
  EXPECT_EQ(results[3].receipt->entry_hashes, results[0].receipt->entry_hashes);
  ASSERT_FALSE(results[4].receipt.has_value());
  EXPECT_EQ(results[4].receipt.error().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(results[4].failed_event_index, SIZE_MAX);

  EXPECT_EQ(ledger_->head().sequence, head.sequence + 2);
  EXPECT_EQ(ledger_->head().submission_count, head.submission_count + 2);
  EXPECT_EQ(ledger_->head().chain_hash, results[2].receipt->head);
  EXPECT_FALSE(ledger_->state().vendors.Contains("V-21"));
  EXPECT_FALSE(ledger_->state().vendors.Contains("V-22"));
  EXPECT_EQ(UsedSubmissionIds().count("group-2"), 0u);
  ExpectVerifies(*ledger_);

  // What the group wrote is what a reopened ledger holds, and the failed id is free again.
  ledger_.reset();
  auto reopened = Ledger::Open(LedgerPath(), Ledger::Access::kReadWrite, &clock_);
  ASSERT_TRUE(reopened.has_value()) << reopened.error().message();
  ledger_ = std::move(*reopened);
  EXPECT_EQ(ledger_->head().sequence, head.sequence + 2);
  ExpectVerifies(*ledger_);
  std::vector<SignedSubmission> fixed = {SignForTest(
      *ledger_, alliance_.admin, {test::VendorJson("V-21"), test::TaskJson("T-21", "P-1", kUniversity)}, "group-2")};
  auto again = ledger_->AppendGroup(fixed);
  ASSERT_EQ(again.size(), 1u);
  ASSERT_TRUE(again[0].receipt.has_value()) << again[0].receipt.error().message();
  EXPECT_FALSE(again[0].receipt->already_appended);
  EXPECT_EQ(again[0].receipt->first_sequence, head.sequence + 3);
}

TEST_F(StoreTest, AnEmptyGroupAndAGroupOfRetriesWriteNothing) {
  auto first = Append(alliance_.admin, {test::VendorJson("V-30")}, "single");
  ASSERT_TRUE(first.has_value()) << first.error().message();
  const Head head = ledger_->head();
  EXPECT_TRUE(ledger_->AppendGroup({}).empty());
  std::vector<SignedSubmission> retries = {SignForTest(*ledger_, alliance_.admin, {test::VendorJson("V-30")}, "single")};
  auto results = ledger_->AppendGroup(retries);
  ASSERT_TRUE(results[0].receipt.has_value()) << results[0].receipt.error().message();
  EXPECT_TRUE(results[0].receipt->already_appended);
  EXPECT_EQ(results[0].receipt->head, first->head);
  EXPECT_EQ(ledger_->head().sequence, head.sequence);
  EXPECT_EQ(ledger_->head().submission_count, head.submission_count);
}

TEST_F(StoreTest, ASecondWriterIsBusy) {
  auto second = Ledger::Open(LedgerPath(), Ledger::Access::kReadWrite, &clock_);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code(), StatusCode::kBusy);
  EXPECT_NE(second.error().message().find("is in use"), std::string::npos) << second.error().message();
  // The first writer is unaffected.
  ASSERT_APPENDED(Append(alliance_.admin, {test::VendorJson("V-2")}));
  // Once it closes, another writer may open.
  ledger_.reset();
  auto third = Ledger::Open(LedgerPath(), Ledger::Access::kReadWrite, &clock_);
  ASSERT_TRUE(third.has_value()) << third.error().message();
}

TEST_F(StoreTest, AReaderOpensWhileTheWriterIsOpen) {
  auto reader = Ledger::Open(LedgerPath(), Ledger::Access::kReadOnly, &clock_);
  ASSERT_TRUE(reader.has_value()) << reader.error().message();
  EXPECT_EQ((*reader)->head().sequence, ledger_->head().sequence);
  EXPECT_EQ((*reader)->head().chain_hash, ledger_->head().chain_hash);
  EXPECT_EQ((*reader)->ledger_id(), ledger_->ledger_id());
  EXPECT_EQ(AllEntries(**reader).size(), ledger_->head().sequence);
  ExpectVerifies(**reader);
  // Two readers at once are fine too.
  auto second_reader = Ledger::Open(LedgerPath(), Ledger::Access::kReadOnly, &clock_);
  ASSERT_TRUE(second_reader.has_value()) << second_reader.error().message();
}

TEST_F(StoreTest, HistoryTablesLoadTheStoreWholeFromSeveralThreads) {
  const std::filesystem::path load = std::filesystem::path(LedgerPath()) / "history-load";
  // What a crashed load left is removed.
  std::filesystem::create_directories(load);
  std::ofstream(load / "7.sst") << "left by a crash";
  ASSERT_TRUE(ledger_->RecreateHistory().ok());
  EXPECT_TRUE(std::filesystem::is_empty(load));
  // Two threads, six tables each, whose key ranges overlap (as a rebuild's batches do): RocksDB
  // places the first ones in the levels below, the rest in level 0, enough to be compacted.
  auto key = [](int table, int thread, int index) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "r%04d-%d-%d", index, table, thread);
    return std::string(buffer);
  };
  std::vector<Status> statuses(2);
  {
    std::vector<std::jthread> threads;
    for (int thread = 0; thread < 2; ++thread) {
      threads.emplace_back([&, thread] {
        for (int table_index = 0; table_index < 6; ++table_index) {
          auto table = ledger_->NewHistoryTable();
          if (!table) {
            statuses[thread] = table.error();
            return;
          }
          for (int index = 0; index < 200; ++index) {
            Status put = table->Put(key(table_index, thread, index), std::to_string(index * 7 + thread));
            if (!put.ok()) {
              statuses[thread] = put;
              return;
            }
          }
          Status added = ledger_->AddHistoryTable(std::move(*table));
          if (!added.ok()) {
            statuses[thread] = added;
            return;
          }
        }
      });
    }
  }
  for (const Status& status : statuses) ASSERT_TRUE(status.ok()) << status.message();
  // An empty table adds nothing; one whose keys go back is refused; neither leaves a file.
  auto empty = ledger_->NewHistoryTable();
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(ledger_->AddHistoryTable(std::move(*empty)).ok());
  {
    auto backwards = ledger_->NewHistoryTable();
    ASSERT_TRUE(backwards.has_value());
    ASSERT_TRUE(backwards->Put("r9", "x").ok());
    EXPECT_FALSE(backwards->Put("r1", "y").ok());
  }
  EXPECT_TRUE(std::filesystem::is_empty(load));
  // Added tables are read at once, and after the store settles, and after a reopen.
  auto expect_all = [&](const Ledger& ledger) {
    std::vector<std::pair<std::string, std::string>> seen;
    ASSERT_TRUE(ledger
                    .ScanHistory("r", "s",
                                 [&](std::string_view k, std::string_view v) {
                                   seen.emplace_back(k, v);
                                   return true;
                                 })
                    .ok());
    ASSERT_EQ(seen.size(), 2u * 6u * 200u);
    for (size_t i = 1; i < seen.size(); ++i) EXPECT_LT(seen[i - 1].first, seen[i].first);
    EXPECT_EQ(seen.front(), std::make_pair(key(0, 0, 0), std::string("0")));
    EXPECT_EQ(seen.back(), std::make_pair(key(5, 1, 199), std::to_string(199 * 7 + 1)));
  };
  expect_all(*ledger_);
  rocksdb::ColumnFamilyHandle* history = ledger_->column_family("history");
  // At most six tables found a level below 0 (one each), so at least six went to level 0, over
  // RocksDB's trigger of four: settled, the store has had them compacted.
  ASSERT_TRUE(ledger_->SettleHistory().ok());
  std::string level_0_files;
  ASSERT_TRUE(ledger_->database()->GetProperty(history, "rocksdb.num-files-at-level0", &level_0_files));
  EXPECT_LT(std::stoul(level_0_files), 4u);
  expect_all(*ledger_);
  ASSERT_TRUE(ledger_->EndHistoryLoad().ok());
  EXPECT_FALSE(std::filesystem::exists(load));
  ledger_.reset();
  auto reopened = Ledger::Open(LedgerPath(), Ledger::Access::kReadOnly, &clock_);
  ASSERT_TRUE(reopened.has_value()) << reopened.error().message();
  expect_all(**reopened);
}

TEST_F(StoreTest, HistoryTablesThatOverlapNoneGoToTheLastLevelUncompacted) {
  ASSERT_TRUE(ledger_->RecreateHistory().ok());
  for (const char* first : {"ra", "rb"}) {
    auto table = ledger_->NewHistoryTable();
    ASSERT_TRUE(table.has_value());
    for (int index = 0; index < 100; ++index) {
      ASSERT_TRUE(table->Put(first + std::to_string(1000 + index), "v").ok());
    }
    ASSERT_TRUE(ledger_->AddHistoryTable(std::move(*table)).ok());
  }
  rocksdb::ColumnFamilyHandle* history = ledger_->column_family("history");
  std::string files;
  ASSERT_TRUE(ledger_->database()->GetProperty(history, "rocksdb.num-files-at-level6", &files));
  EXPECT_EQ(files, "2");
  ASSERT_TRUE(ledger_->SettleHistory().ok());
  ASSERT_TRUE(ledger_->database()->GetProperty(history, "rocksdb.num-files-at-level6", &files));
  EXPECT_EQ(files, "2");  // as added: nothing to compact
  size_t count = 0;
  ASSERT_TRUE(ledger_->ScanHistory("r", "s", [&](std::string_view, std::string_view) { return ++count > 0; }).ok());
  EXPECT_EQ(count, 200u);
}

TEST_F(StoreTest, OpenErrors) {
  auto missing = Ledger::Open(directory_.File("nowhere"), Ledger::Access::kReadOnly, &clock_);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.error().message().find("no ledger at"), std::string::npos);
  auto entry = ledger_->ReadEntry(ledger_->head().sequence + 1);
  ASSERT_FALSE(entry.has_value());
  EXPECT_EQ(entry.error().code(), StatusCode::kNotFound);
}

TEST_F(StoreTest, ScanSubjectReturnsExactlyTheEventsTouchingAGrant) {
  ASSERT_APPENDED(Append(alliance_.admin, {test::ProjectJson("P-2"), test::VendorJson("V-2")}));
  ASSERT_APPENDED(Append(alliance_.funder_other, {test::GrantJson("G-2", test::kFunderOther, "P-2")}));
  ASSERT_APPENDED(Append(alliance_.fund_manager,
                           {test::FundsReceivedJson("G-1", "10.00 CNY"), test::FundsReceivedJson("G-2", "20.00 CNY"),
                            test::FundsDisbursedJson("G-1", kUniversity, "5.00 CNY")}));
  auto spent = Append(alliance_.finance_uni, {test::ExpenditureJson("G-1", kUniversity, "V-1", "1.00 CNY"),
                                              test::ExpenditureJson("G-2", kUniversity, "V-2", "2.00 CNY")});
  ASSERT_TRUE(spent.has_value());
  ASSERT_APPENDED(Append(alliance_.finance_ent, {test::ExpenditureJson("G-1", kEnterprise, "V-2", "3.00 CNY"),
                                                   test::RefundJson("G-1", kEnterprise, "1.00 CNY")}));
  // Reversing the G-1 expenditure and the G-2 one: a reversal belongs to its target's history.
  ASSERT_APPENDED(Append(alliance_.finance_uni, {test::ReversalJson(spent->first_sequence),
                                                   test::ReversalJson(spent->first_sequence + 1)}));

  // The oracle: events whose grant_id is the grant, and reversals of those.
  auto entries = AllEntries(*ledger_);
  auto touching = [&](const std::string& grant) {
    std::vector<uint64_t> sequences;
    std::set<uint64_t> grant_events;
    for (const auto& entry : entries) {
      json event = EventJsonOf(entry.canonical_event);
      bool touches = event.value("grant_id", "") == grant;
      if (event["type"] == "reversal") touches = grant_events.contains(event["target_sequence"].get<uint64_t>());
      if (touches) {
        grant_events.insert(entry.sequence);
        sequences.push_back(entry.sequence);
      }
    }
    return sequences;
  };
  for (const std::string grant : {"G-1", "G-2"}) {
    SCOPED_TRACE(grant);
    std::vector<uint64_t> scanned;
    Status status = ledger_->ScanSubject(Subject{SubjectKind::kGrant, grant}, 1, UINT64_MAX, [&](uint64_t sequence) {
      scanned.push_back(sequence);
      return true;
    });
    ASSERT_TRUE(status.ok()) << status.message();
    std::vector<uint64_t> expected = touching(grant);
    EXPECT_EQ(scanned, expected);
    ASSERT_GE(expected.size(), 3u);

    // A window [from, to] and stopping early.
    std::vector<uint64_t> window;
    ASSERT_TRUE(ledger_->ScanSubject(Subject{SubjectKind::kGrant, grant}, expected[1], expected[2],
                                     [&](uint64_t sequence) {
                                       window.push_back(sequence);
                                       return true;
                                     })
                    .ok());
    EXPECT_EQ(window, std::vector<uint64_t>(expected.begin() + 1, expected.begin() + 3));
    std::vector<uint64_t> first_only;
    ASSERT_TRUE(ledger_->ScanSubject(Subject{SubjectKind::kGrant, grant}, 1, UINT64_MAX, [&](uint64_t sequence) {
                  first_only.push_back(sequence);
                  return false;
                }).ok());
    EXPECT_EQ(first_only, std::vector<uint64_t>{expected[0]});
  }
  // A grant id that is a prefix of another does not pick up the other's events.
  std::vector<uint64_t> prefix;
  ASSERT_TRUE(ledger_->ScanSubject(Subject{SubjectKind::kGrant, "G-"}, 1, UINT64_MAX, [&](uint64_t sequence) {
                prefix.push_back(sequence);
                return true;
              }).ok());
  EXPECT_TRUE(prefix.empty());
  ExpectVerifies(*ledger_);
}

TEST_F(StoreTest, ReadEntriesGivesTheStoredRecordsInOrder) {
  // More entries than one of ReadEntries' batches of 256 keys, so that batches are crossed.
  constexpr int kEventCount = 1200;
  std::vector<std::string> events;
  for (int i = 0; i < kEventCount; ++i) {
    events.push_back(test::MustEncode({{"type", "flag_disposition"}, {"flag_id", "F-" + std::to_string(i)},
                                       {"disposition", "false_positive"}, {"note", "checked"}}));
  }
  size_t failed = 0;
  ASSERT_APPENDED(ledger_->Append(SignSubmission(alliance_.auditor, ledger_->ledger_id(), "reviews", 1, events), &failed));
  const uint64_t head = ledger_->head().sequence;
  std::vector<uint64_t> wanted;  // every second sequence, then a run of consecutive ones
  for (uint64_t sequence = 1; sequence < head - 100; sequence += 2) wanted.push_back(sequence);
  for (uint64_t sequence = head - 100; sequence <= head; ++sequence) wanted.push_back(sequence);
  ASSERT_GT(wanted.size(), 2u * 256);
  std::vector<std::pair<uint64_t, std::string>> read;
  ASSERT_TRUE(ledger_->ReadEntries(wanted, [&](uint64_t sequence, std::string_view record) {
                read.emplace_back(sequence, std::string(record));
                return true;
              }).ok());
  ASSERT_EQ(read.size(), wanted.size());
  for (size_t i = 0; i < wanted.size(); ++i) {
    EXPECT_EQ(read[i].first, wanted[i]);
    auto entry = ledger_->ReadEntry(wanted[i]);
    ASSERT_TRUE(entry.has_value()) << entry.error().message();
    EXPECT_EQ(read[i].second, entry->record) << "sequence " << wanted[i];
  }
  // It stops when the visitor says so, in the middle of a batch.
  size_t visits = 0;
  ASSERT_TRUE(ledger_->ReadEntries(wanted, [&](uint64_t, std::string_view) { return ++visits < 300; }).ok());
  EXPECT_EQ(visits, 300u);
  // A sequence beyond the head is missing, named.
  std::vector<uint64_t> beyond = {1, head + 1};
  Status missing = ledger_->ReadEntries(beyond, [](uint64_t, std::string_view) { return true; });
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.message(), "there is no event " + std::to_string(head + 1));
}

TEST_F(StoreTest, VerifyReportsATamperedEntry) {
  ASSERT_APPENDED(Append(alliance_.fund_manager, {test::FundsReceivedJson("G-1", "10.00 CNY")}));
  ExpectVerifies(*ledger_);
  const uint64_t target = ledger_->head().sequence;
  auto entry = ledger_->ReadEntry(target);
  ASSERT_TRUE(entry.has_value());
  // Change the amount (a byte inside the event), leaving the stored chain hash as it was.
  std::string damaged = entry->record;
  std::string canonical = damaged.substr(kEntryHeaderSizeBytes);
  std::string altered = test::MustEncode(test::FundsReceivedJson("G-1", "99.00 CNY"));
  ASSERT_EQ(altered.size(), canonical.size());
  damaged.replace(kEntryHeaderSizeBytes, altered.size(), altered);
  ASSERT_TRUE(ledger_->database()->Put(rocksdb::WriteOptions(), ledger_->column_family("log"), SequenceKey(target), damaged).ok());
  Status verified = ledger_->Verify(nullptr);
  EXPECT_EQ(verified.code(), StatusCode::kCorruption);
  EXPECT_EQ(verified.message().rfind("sequence " + std::to_string(target) + ": ", 0), 0u) << verified.message();
  EXPECT_NE(verified.message().find("differs from the digest its submission signed"), std::string::npos);
}

TEST_F(StoreTest, ReopeningKeepsTheState) {
  ASSERT_APPENDED(Append(alliance_.admin, {test::VendorJson("V-2")}));
  const Head head = ledger_->head();
  const std::string ledger_id = ledger_->ledger_id();
  ledger_.reset();

  auto reopened = Ledger::Open(LedgerPath(), Ledger::Access::kReadWrite, &clock_);
  ASSERT_TRUE(reopened.has_value()) << reopened.error().message();
  ledger_ = std::move(*reopened);
  EXPECT_EQ(ledger_->head().sequence, head.sequence);
  EXPECT_EQ(ledger_->head().chain_hash, head.chain_hash);
  EXPECT_EQ(ledger_->head().submission_count, head.submission_count);
  EXPECT_EQ(ledger_->ledger_id(), ledger_id);
  EXPECT_EQ(ledger_->state().keys.size(), 9u);
  EXPECT_TRUE(ledger_->state().grants.Contains("G-1"));
  EXPECT_EQ(ledger_->state().grants.Find("G-1")->funder_org_id, kFunder);
  EXPECT_TRUE(ledger_->state().vendors.Contains("V-2"));
  EXPECT_TRUE(ledger_->state().organisations.Find(kUniversity)->member);

  // Later appends validate against the reloaded state, both ways.
  auto spent = Append(alliance_.finance_uni, {test::ExpenditureJson("G-1", kUniversity, "V-2", "8.00 CNY")});
  ASSERT_TRUE(spent.has_value()) << spent.error().message();
  EXPECT_EQ(spent->first_sequence, head.sequence + 1);
  // (A new submission id: the content-derived one would make this a retry of the first V-2.)
  auto duplicate = Append(alliance_.admin, {test::VendorJson("V-2")}, "vendor-again");
  ASSERT_FALSE(duplicate.has_value());
  EXPECT_NE(duplicate.error().message().find("vendor \"V-2\" already exists"), std::string::npos);
  auto wrong_org = Append(alliance_.finance_uni, {test::ExpenditureJson("G-1", kEnterprise, "V-2", "8.00 CNY")});
  ASSERT_FALSE(wrong_org.has_value());
  EXPECT_EQ(wrong_org.error().code(), StatusCode::kPermissionDenied);
  ExpectVerifies(*ledger_);
}

TEST_F(StoreTest, SubmissionsMustBeSignedForThisLedgerByARegisteredKey) {
  const Head head = ledger_->head();
  std::vector<std::string> events = {test::MustEncode(test::VendorJson("V-3"))};
  size_t failed = 0;

  SignedSubmission good = SignSubmission(alliance_.admin, ledger_->ledger_id(), "s-1", 1, events);
  SignedSubmission bad_signature = good;
  bad_signature.signature[5] ^= 0x10;
  auto refused = ledger_->Append(bad_signature, &failed);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(refused.error().message().find("does not verify"), std::string::npos);
  EXPECT_EQ(failed, SIZE_MAX);

  SignedSubmission swapped = good;
  swapped.canonical_events[0] = test::MustEncode(test::VendorJson("V-4"));
  auto changed = ledger_->Append(swapped, &failed);
  ASSERT_FALSE(changed.has_value());
  EXPECT_EQ(changed.error().message(), "the event differs from the digest in the signed body");
  EXPECT_EQ(failed, 0u);

  SignedSubmission foreign = SignSubmission(alliance_.admin, std::string(16, '\x42'), "s-2", 1, events);
  auto other_ledger = ledger_->Append(foreign, &failed);
  ASSERT_FALSE(other_ledger.has_value());
  EXPECT_EQ(other_ledger.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(other_ledger.error().message().find("was signed for ledger 42424242"), std::string::npos);

  SignedSubmission stranger = SignSubmission(alliance_.operator_key, ledger_->ledger_id(), "s-3", 1, events);
  auto unregistered = ledger_->Append(stranger, &failed);
  ASSERT_FALSE(unregistered.has_value());
  EXPECT_EQ(unregistered.error().code(), StatusCode::kPermissionDenied);

  EXPECT_EQ(ledger_->head().sequence, head.sequence);
  ASSERT_TRUE(ledger_->Append(good, &failed).has_value());
  ExpectVerifies(*ledger_);
}

// An event built directly (not from JSON), as a client of the raw append API could send it.
std::string OrganisationWithRawName(const std::string& org_id, const std::string& name) {
  capnp::MallocMessageBuilder message;
  auto org = message.initRoot<schema::Event>().initOrganisationRegistered();
  org.setOrgId(capnp::Text::Reader(org_id.data(), org_id.size()));
  org.setName(capnp::Text::Reader(name.data(), name.size()));
  org.setLegalRepresentative("张伟");
  return CanonicalBytes(message.getRoot<schema::Event>().asReader());
}

TEST_F(StoreTest, TextThatIsNotUtf8IsRejectedNotACrash) {
  // Regression: JSON input is always UTF-8, but a signed submission built by another client may
  // carry any bytes. Text kept in the validation state (an organisation's name, ids) used to make
  // Append throw nlohmann::json::type_error while persisting the state rows.
  const Head head = ledger_->head();
  size_t failed = 0;
  for (const auto& [org_id, name] : std::vector<std::pair<std::string, std::string>>{
           {"ORG-BADNAME", "bad \xff name"}, {"ORG-\xc3", "name"}, {"ORG-\xed\xa0\x80", "surrogate"},
           {"ORG-OVERLONG", "\xc0\xaf"}}) {
    SignedSubmission submission = SignSubmission(alliance_.admin, ledger_->ledger_id(), "raw-" + test::Hex(org_id), 1,
                                                 {OrganisationWithRawName(org_id, name)});
    auto receipt = ledger_->Append(submission, &failed);
    ASSERT_FALSE(receipt.has_value()) << test::Hex(org_id) << " " << test::Hex(name);
    EXPECT_EQ(receipt.error().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(receipt.error().message().find("is not valid UTF-8"), std::string::npos) << receipt.error().message();
    EXPECT_EQ(failed, 0u);
  }
  EXPECT_EQ(ledger_->head().sequence, head.sequence);
  // Valid UTF-8, including four-byte characters, is fine.
  SignedSubmission good = SignSubmission(alliance_.admin, ledger_->ledger_id(), "raw-good", 1,
                                         {OrganisationWithRawName("ORG-\xe5\xa4\xa7", "\xf0\x9f\x94\x8b 电池")});
  auto receipt = ledger_->Append(good, &failed);
  ASSERT_TRUE(receipt.has_value()) << receipt.error().message();
  ExpectVerifies(*ledger_);
}

// Format 2: every stored submission records validation version 2 and the digest of the state it
// leaves, which every open checks against the stored rows.
TEST_F(StoreTest, SubmissionsCommitTheValidationStateAndOpenChecksIt) {
  ASSERT_APPENDED(Append(alliance_.admin, {test::VendorJson("V-2")}));
  auto last = ledger_->ReadSubmission(ledger_->head().sequence);
  ASSERT_TRUE(last.has_value()) << last.error().message();
  auto stored = DecodedSubmission::Open(*last, "submission");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->root().getValidationVersion(), 2);
  ASSERT_EQ(stored->root().getStateDigest().size(), 32u);
  Digest committed;
  std::memcpy(committed.data(), stored->root().getStateDigest().begin(), 32);
  EXPECT_EQ(committed, ledger_->state().ComputeDigest());
  LedgerState replayed;
  ASSERT_TRUE(ledger_->ReplayStateInto(&replayed).ok());
  EXPECT_EQ(replayed.ComputeDigest(), committed);

  // A state row changed under the writer: the finance key of the university moved to the
  // enterprise. The open refuses, naming the store; an unchecked open (verify, rebuild) works.
  const std::string row_key = "key/" + test::KeyIdHex(alliance_.finance_uni);
  std::string row;
  ASSERT_TRUE(ledger_->database()->Get(rocksdb::ReadOptions(), ledger_->column_family("state"), row_key, &row).ok());
  json moved = json::parse(row);
  moved["org_id"] = kEnterprise;
  ASSERT_TRUE(ledger_->database()->Put(rocksdb::WriteOptions(), ledger_->column_family("state"), row_key, moved.dump()).ok());
  ledger_.reset();
  auto refused = Ledger::Open(LedgerPath(), Ledger::Access::kReadWrite, &clock_);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), StatusCode::kCorruption);
  EXPECT_NE(refused.error().message().find("differs from the digest that the submission at sequence"),
            std::string::npos)
      << refused.error().message();
  auto read_only = Ledger::Open(LedgerPath(), Ledger::Access::kReadOnly, &clock_);
  ASSERT_FALSE(read_only.has_value());

  auto unchecked = Ledger::Open(LedgerPath(), Ledger::Access::kReadWrite, &clock_, Ledger::StateCheck::kUnchecked);
  ASSERT_TRUE(unchecked.has_value()) << unchecked.error().message();
  Status verified = (*unchecked)->Verify(nullptr);
  EXPECT_EQ(verified.code(), StatusCode::kCorruption);
  EXPECT_NE(verified.message().find("tables key"), std::string::npos) << verified.message();
  auto differing = (*unchecked)->RebuildState();
  ASSERT_TRUE(differing.has_value()) << differing.error().message();
  EXPECT_EQ(*differing, std::vector<std::string>{"key"});
  ExpectVerifies(**unchecked);
  unchecked->reset();
  auto reopened = Ledger::Open(LedgerPath(), Ledger::Access::kReadWrite, &clock_);
  ASSERT_TRUE(reopened.has_value()) << reopened.error().message();
  ledger_ = std::move(*reopened);
  // The rule holds again: the university's key cannot record the enterprise's expenditure.
  auto wrong_org = Append(alliance_.finance_uni, {test::ExpenditureJson("G-1", kEnterprise, "V-1", "8.00 CNY")});
  ASSERT_FALSE(wrong_org.has_value());
  EXPECT_EQ(wrong_org.error().code(), StatusCode::kPermissionDenied);
  auto nothing_to_mend = ledger_->RebuildState();
  ASSERT_TRUE(nothing_to_mend.has_value());
  EXPECT_TRUE(nothing_to_mend->empty());
}

// A ledger whose last submission commits no state (written before format 2) has its state rows
// checked against a replay of the log instead.
TEST_F(StoreTest, WithoutACommitmentTheStateIsCheckedByReplay) {
  // The last submission record as format 1 wrote it: without validation version and digest.
  // (Only CheckState reads it here; its digest no longer matches the chain, which verify would
  // report, but the open does not replay the chain.)
  const uint64_t first = ledger_->head().sequence;  // G-1's submission holds one event
  auto bytes = ledger_->ReadSubmission(first);
  ASSERT_TRUE(bytes.has_value()) << bytes.error().message();
  auto stored = DecodedSubmission::Open(*bytes, "submission");
  ASSERT_TRUE(stored.has_value());
  capnp::MallocMessageBuilder message;
  message.setRoot(stored->root());
  auto format1 = message.getRoot<schema::Submission>();
  format1.setValidationVersion(0);
  format1.disownStateDigest();
  ASSERT_TRUE(ledger_->database()->Put(rocksdb::WriteOptions(), ledger_->column_family("submissions"),
                                       SequenceKey(first), CanonicalBytes(format1.asReader())).ok());
  ledger_.reset();
  auto reopened = Ledger::Open(LedgerPath(), Ledger::Access::kReadOnly, &clock_);
  ASSERT_TRUE(reopened.has_value()) << reopened.error().message();
  reopened->reset();

  {
    auto writer = Ledger::Open(LedgerPath(), Ledger::Access::kReadWrite, &clock_, Ledger::StateCheck::kUnchecked);
    ASSERT_TRUE(writer.has_value());
    ASSERT_TRUE((*writer)->database()->Delete(rocksdb::WriteOptions(), (*writer)->column_family("state"),
                                              "vendor/V-1").ok());
  }
  auto refused = Ledger::Open(LedgerPath(), Ledger::Access::kReadOnly, &clock_);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message().find("differs from the state the log builds (tables vendor)"),
            std::string::npos)
      << refused.error().message();
}

// Validation version 2 applies to submission ids: valid UTF-8 without control characters.
TEST_F(StoreTest, ASubmissionIdThatIsNotUtf8IsRefused) {
  size_t failed = 0;
  std::vector<std::string> events = {test::MustEncode(test::VendorJson("V-9"))};
  for (const std::string& id : {std::string("batch-\xff"), std::string("a\nb"), std::string("x\xe2\x80\xae")}) {
    auto refused = ledger_->Append(SignSubmission(alliance_.admin, ledger_->ledger_id(), id, 1, events), &failed);
    ASSERT_FALSE(refused.has_value()) << test::Hex(id);
    EXPECT_EQ(refused.error().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(refused.error().message().rfind("the submission id ", 0), 0u) << refused.error().message();
  }
  ExpectVerifies(*ledger_);
}

TEST_F(StoreTest, LargeSubmissionsAppendAndVerify) {
  // Regression: a submission of more than ~3,000 events threw "Exceeded message traversal limit"
  // from inside Append (and Verify), because the signed body's digest list was read once per
  // event. kSubmissionEventCountMax promises 100,000.
  constexpr int kEventCount = 5000;
  std::vector<std::string> events;
  events.reserve(kEventCount);
  for (int i = 0; i < kEventCount; ++i) {
    events.push_back(test::MustEncode({{"type", "flag_disposition"}, {"flag_id", "F-" + std::to_string(i)},
                                       {"disposition", "false_positive"}, {"note", "checked"}}));
  }
  SignedSubmission submission = SignSubmission(alliance_.auditor, ledger_->ledger_id(), "review-1", 1, events);
  size_t failed = 0;
  auto receipt = ledger_->Append(submission, &failed);
  ASSERT_TRUE(receipt.has_value()) << receipt.error().message();
  EXPECT_EQ(receipt->last_sequence - receipt->first_sequence + 1, static_cast<uint64_t>(kEventCount));
  ExpectVerifies(*ledger_);
  // The retry path reads the stored body's digests too.
  auto retry = ledger_->Append(submission, &failed);
  ASSERT_TRUE(retry.has_value()) << retry.error().message();
  EXPECT_TRUE(retry->already_appended);
}

TEST(LedgerCreateTest, CreateRejectsABadGenesisAndLeavesNoDirectory) {
  test::TempDir directory;
  test::TestAlliance alliance(directory.path());
  test::FixedClock clock;
  auto events = alliance.GenesisCanonicalEvents();
  // Signed by a key other than the operator key the genesis names.
  SignedSubmission wrong_key = SignSubmission(alliance.admin, alliance.ledger_id, "genesis", 1, events);
  auto refused = Ledger::Create(directory.File("ledger"), wrong_key, &clock);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(refused.error().message().find("genesis event 1: the genesis submission must be signed by the operator key"),
            std::string::npos)
      << refused.error().message();
  EXPECT_FALSE(std::filesystem::exists(directory.File("ledger")));

  // A genesis whose body names another ledger id than its ledger_genesis event.
  SignedSubmission other_id = SignSubmission(alliance.operator_key, std::string(16, '\x01'), "genesis", 1, events);
  auto mismatch = Ledger::Create(directory.File("ledger"), other_id, &clock);
  ASSERT_FALSE(mismatch.has_value());
  EXPECT_NE(mismatch.error().message().find("ledger id differs from ledger_genesis"), std::string::npos);

  SignedSubmission good = SignSubmission(alliance.operator_key, alliance.ledger_id, "genesis", 1, events);
  auto created = Ledger::Create(directory.File("ledger"), good, &clock);
  ASSERT_TRUE(created.has_value()) << created.error().message();
  EXPECT_EQ((*created)->ledger_id(), alliance.ledger_id);
  EXPECT_EQ((*created)->head().sequence, events.size());
  Status verified = (*created)->Verify(nullptr);
  EXPECT_TRUE(verified.ok()) << verified.message();
}

}  // namespace
}  // namespace fundtrail
