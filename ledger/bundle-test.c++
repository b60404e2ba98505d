// Bundles (ledger/bundle.h) exported from a ledger (ledger/export.h): full and partial exports
// verify and report what they hold, trusted heads are compared where the bundle can show them, and
// damaged bundles (every bit position of a small one, dropped, swapped, forged, truncated and
// extended records) are rejected naming what failed.
//
// The seeded test prints its seed on failure; rerun it with
//   FUNDTRAIL_TEST_SEED=<seed> ledger_tests --gtest_filter='BundleTest.*'
#include "ledger/bundle.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "ledger/export.h"
#include "ledger/store.h"
#include "ledger/submission.h"
#include "ledger/test_util.h"
#include "ledger/witness.h"

namespace fundtrail {
namespace test {

// Defined in ledger/evidence-test.c++.
Result<std::unique_ptr<Ledger>> CreateLedger(
    const std::string& directory, const PrivateKey& operator_key, const std::vector<json>& genesis,
    const std::vector<std::pair<const PrivateKey*, std::vector<json>>>& submissions, Clock* clock);
TreeHead SignedHeadAt(const Ledger& ledger, uint64_t size, const PrivateKey& key, int64_t timestamp_micros);

}  // namespace test

namespace {

using nlohmann::json;
using test::kFunder;
using test::kSecretariat;
using test::kUniversity;

// The ledger of these tests, small so that every byte of a bundle can be damaged in turn
// (sequence: event, signed by):
//    1..8   the genesis (operator): ledger_genesis, organisations kSecretariat, kFunder and
//           kUniversity, kUniversity admitted, keys admin (6), funder (7), finance_uni (8)
//    9..10  admin: project P-1, vendor V-1
//   11..12  funder: grant G-1, funds received
//   13..15  finance_uni: three expenditures
//   16      finance_uni: the reversal of 14
//   17      admin: vendor V-2
//   18..19  finance_uni: two expenditures
constexpr uint64_t kLast = 19;
constexpr uint64_t kReversal = 16;
constexpr uint64_t kReversalTarget = 14;
constexpr int64_t kExportMicros = 1767225600000000;  // 2026-01-01
constexpr uint64_t kDefaultSeed = 20240615;

json Expenditure(const std::string& invoice, const std::string& amount) {
  json event = test::ExpenditureJson("G-1", kUniversity, "V-1", amount);
  event["invoice_number"] = invoice;
  return event;
}

struct Shared {
  Shared() : alliance(directory.path()) {}
  test::TempDir directory;
  test::TestAlliance alliance;
  test::FixedClock clock;
  std::unique_ptr<Ledger> ledger;
  std::unique_ptr<Ledger> other_ledger;          // the same history under another ledger id
  TreeHead head;                                 // of all kLast entries, signed by the operator
  std::map<uint64_t, uint64_t> submission_last;  // first sequence -> last sequence
};

std::unique_ptr<Ledger> BuildLedger(Shared& shared, const std::string& name, const std::string& ledger_id) {
  const test::TestAlliance& a = shared.alliance;
  json genesis = a.GenesisEvents()[0];
  genesis["ledger_id"] = test::Hex(ledger_id);
  auto ledger = test::CreateLedger(
      shared.directory.File(name), a.operator_key,
      {genesis, test::OrganisationJson(kSecretariat, "联盟秘书处", "other"),
       test::OrganisationJson(kFunder, "科技部项目办", "other"),
       test::OrganisationJson(kUniversity, "华东理工大学", "university"), test::MemberAdmittedJson(kUniversity),
       test::KeyRegisteredJson(a.admin, kSecretariat, {"admin"}),
       test::KeyRegisteredJson(a.funder, kFunder, {"funder"}),
       test::KeyRegisteredJson(a.finance_uni, kUniversity, {"member_finance"})},
      {{&a.admin, {test::ProjectJson("P-1"), test::VendorJson("V-1")}},
       {&a.funder, {test::GrantJson("G-1", kFunder, "P-1"), test::FundsReceivedJson("G-1", "1000000.00 CNY")}},
       {&a.finance_uni,
        {Expenditure("INV-1", "100.00 CNY"), Expenditure("INV-2", "200.00 CNY"), Expenditure("INV-3", "300.00 CNY")}},
       {&a.finance_uni, {test::ReversalJson(kReversalTarget)}},
       {&a.admin, {test::VendorJson("V-2")}},
       {&a.finance_uni, {Expenditure("INV-4", "400.00 CNY"), Expenditure("INV-5", "500.00 CNY")}}},
      &shared.clock);
  EXPECT_TRUE(ledger.has_value()) << ledger.error().message();
  if (!ledger) return nullptr;
  EXPECT_EQ((*ledger)->head().sequence, kLast);
  return std::move(*ledger);
}

// A bundle file as records, to damage it record by record.
struct Record {
  BundleRecord type;
  std::string payload;
  size_t offset = 0;  // of its type byte in the file
};

std::string ReadBytes(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream content;
  content << file.rdbuf();
  return content.str();
}

// A new file each time: rewriting one in place (truncate, write) makes ext4 flush it on close.
void WriteBytes(const std::string& path, const std::string& bytes) {
  std::filesystem::remove(path);
  std::ofstream file(path, std::ios::binary);
  file << bytes;
  EXPECT_TRUE(file.flush()) << "cannot write " << path;
}

std::vector<Record> ParseRecords(const std::string& bytes) {
  std::vector<Record> records;
  EXPECT_EQ(bytes.substr(0, 8), "FTBUNDL1");
  size_t at = 8;
  while (at + 5 <= bytes.size()) {
    size_t length = 0;
    for (size_t i = 1; i <= 4; ++i) length = (length << 8) | static_cast<uint8_t>(bytes[at + i]);
    records.push_back({static_cast<BundleRecord>(bytes[at]), bytes.substr(at + 5, length), at});
    at += 5 + length;
  }
  EXPECT_EQ(at, bytes.size()) << "the test's own bundle reader is out of step";
  return records;
}

std::string Serialize(const std::vector<Record>& records) {
  std::string bytes = "FTBUNDL1";
  for (const Record& record : records) {
    const size_t length = record.payload.size();
    bytes.push_back(static_cast<char>(record.type));
    for (int shift : {24, 16, 8, 0}) bytes.push_back(static_cast<char>(length >> shift));
    bytes += record.payload;
  }
  return bytes;
}

// The index of the first record of `type`, from index `start` on, for which `match` holds.
size_t Find(
    const std::vector<Record>& records, BundleRecord type,
    const std::function<bool(const Record&)>& match = [](const Record&) { return true; }, size_t start = 0) {
  for (size_t i = start; i < records.size(); ++i) {
    if (records[i].type == type && match(records[i])) return i;
  }
  ADD_FAILURE() << "no such record of type " << static_cast<int>(type);
  return 0;
}

// The sequence number at the start of an entry, context or lookup payload.
uint64_t SequenceOf(const Record& record) {
  return GetBigEndian64(reinterpret_cast<const uint8_t*>(record.payload.data()));
}

std::function<bool(const Record&)> HasSequence(uint64_t sequence) {
  return [sequence](const Record& record) { return SequenceOf(record) == sequence; };
}

// The first sequence of a submission record.
uint64_t FirstSequenceOf(const Record& record) {
  auto decoded = DecodedSubmission::Open(record.payload, "submission");
  EXPECT_TRUE(decoded.has_value());
  return decoded ? decoded->root().getFirstSequence() : 0;
}

class BundleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    shared_ = std::make_unique<Shared>();
    shared_->ledger = BuildLedger(*shared_, "ledger", shared_->alliance.ledger_id);
    ASSERT_NE(shared_->ledger, nullptr);
    shared_->head = test::SignedHeadAt(*shared_->ledger, kLast, shared_->alliance.operator_key, kExportMicros);
    Status scanned = shared_->ledger->ScanEntries(1, kLast, [](const StoredEntry& stored) {
      shared_->submission_last[DecodeEntry(stored.record)->submission_sequence] = stored.sequence;
      return true;
    });
    ASSERT_TRUE(scanned.ok()) << scanned.message();
  }
  static void TearDownTestSuite() { shared_.reset(); }

  void SetUp() override { ASSERT_NE(shared_->ledger, nullptr) << "the suite's ledger was not built"; }

  const Ledger& ledger() const { return *shared_->ledger; }
  const PrivateKey& operator_key() const { return shared_->alliance.operator_key; }
  const TreeHead& head() const { return shared_->head; }
  // The same history under another ledger id, built on first use (ctest runs each test alone).
  static const Ledger& other_ledger() {
    if (shared_->other_ledger == nullptr) {
      shared_->other_ledger = BuildLedger(*shared_, "other", test::Unhex("ffeeddccbbaa99887766554433221100"));
    }
    return *shared_->other_ledger;
  }
  TreeHead HeadAt(uint64_t size) const { return test::SignedHeadAt(ledger(), size, operator_key(), kExportMicros); }

  // Exports from..to against `against` into a new file of the test's directory.
  std::string Export(uint64_t from, uint64_t to, const TreeHead& against, ExportSummary* summary = nullptr) {
    std::string path = directory_.File("bundle-" + std::to_string(++export_count_));
    auto exported = ExportBundle(ledger(), from, to, against, kExportMicros, path);
    EXPECT_TRUE(exported.has_value()) << exported.error().message();
    if (exported && summary != nullptr) *summary = *exported;
    return path;
  }
  std::string Export(uint64_t from, uint64_t to) { return Export(from, to, head()); }

  // Writes `records` to a new file and verifies it.
  Result<BundleReport> VerifyRecords(const std::vector<Record>& records, const BundleVerifyOptions& options = {}) {
    std::string path = directory_.File("damaged-" + std::to_string(++export_count_));
    WriteBytes(path, Serialize(records));
    return VerifyBundle(path, options);
  }

  // The first and last sequence of the submission holding `sequence`.
  static std::pair<uint64_t, uint64_t> SubmissionOf(uint64_t sequence) {
    auto after = shared_->submission_last.upper_bound(sequence);
    EXPECT_NE(after, shared_->submission_last.begin());
    --after;
    return *after;
  }

  test::TempDir directory_;
  int export_count_ = 0;
  static inline std::unique_ptr<Shared> shared_;
};

// Expects `result` to fail with Corruption and a message holding each of `needles`.
void ExpectRejected(const Result<BundleReport>& result, const std::vector<std::string>& needles,
                    StatusCode code = StatusCode::kCorruption) {
  ASSERT_FALSE(result.has_value()) << "accepted; expected: " << needles.front();
  EXPECT_EQ(result.error().code(), code) << result.error().message();
  for (const std::string& needle : needles) {
    EXPECT_NE(result.error().message().find(needle), std::string::npos)
        << result.error().message() << "\nlacks: " << needle;
  }
}

Digest FlipBit(Digest digest, size_t bit) {
  digest[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
  return digest;
}

// ---------------------------------------------------------------------------------------------
// Exports that verify.

TEST_F(BundleTest, AFullExportVerifiesAndItsReportCountsMatch) {
  ExportSummary summary;
  std::string path = Export(1, kLast, head(), &summary);
  EXPECT_EQ(summary.from_sequence, 1u);
  EXPECT_EQ(summary.to_sequence, kLast);
  EXPECT_EQ(summary.entries, kLast);
  EXPECT_EQ(summary.submissions, shared_->submission_last.size());
  EXPECT_EQ(summary.context_entries, 0u);
  EXPECT_EQ(summary.lookup_entries, 1u) << "the reversal's target";

  std::vector<std::pair<uint64_t, uint64_t>> progress;
  BundleVerifyOptions options;
  options.progress = [&](uint64_t done, uint64_t total) { progress.emplace_back(done, total); };
  auto report = VerifyBundle(path, options);
  ASSERT_TRUE(report.has_value()) << report.error().message();
  EXPECT_EQ(report->header.ledger_id, ledger().ledger_id());
  EXPECT_EQ(report->header.from_sequence, 1u);
  EXPECT_EQ(report->header.to_sequence, kLast);
  EXPECT_EQ(report->header.tree_size, kLast);
  EXPECT_EQ(report->header.exported_at_micros, kExportMicros);
  EXPECT_EQ(report->head.root_hash, head().root_hash);
  EXPECT_EQ(report->head.chain_hash, head().chain_hash);
  EXPECT_EQ(report->head.signature, head().signature);
  EXPECT_EQ(report->entries, kLast);
  EXPECT_EQ(report->submissions, summary.submissions);
  EXPECT_EQ(report->context_entries, 0u);
  EXPECT_EQ(report->lookup_entries, 1u);
  EXPECT_EQ(report->operator_public_key_hex, test::Hex(operator_key().public_key().raw()));
  EXPECT_EQ(report->alliance_id, "ALLIANCE-PB");
  EXPECT_FALSE(report->trusted_head_checked);
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), std::make_pair(kLast, kLast));
}

TEST_F(BundleTest, AnExportEndingBeforeTheHeadCarriesAConsistencyProof) {
  for (uint64_t to : {uint64_t{8}, uint64_t{12}, uint64_t{17}}) {
    SCOPED_TRACE("to " + std::to_string(to));
    ExportSummary summary;
    std::string path = Export(1, to, head(), &summary);
    EXPECT_EQ(summary.to_sequence, SubmissionOf(to).second);
    auto report = VerifyBundle(path, {});
    ASSERT_TRUE(report.has_value()) << report.error().message();
    EXPECT_EQ(report->header.to_sequence, summary.to_sequence);
    EXPECT_EQ(report->header.tree_size, kLast);
    auto records = ParseRecords(ReadBytes(path));
    EXPECT_GT(records[Find(records, BundleRecord::kConsistency)].payload.size(), 8u + 8u + 2u)
        << "an empty consistency proof between different sizes";
  }
  // What the head cannot cover is refused when exporting.
  auto beyond = ExportBundle(ledger(), 1, kLast, HeadAt(15), kExportMicros, directory_.File("beyond"));
  ASSERT_FALSE(beyond.has_value());
  EXPECT_EQ(beyond.error().message(), "--to-seq 19 is beyond the head's 15 entries");
  auto split = ExportBundle(ledger(), 1, 14, HeadAt(14), kExportMicros, directory_.File("split"));
  ASSERT_FALSE(split.has_value());
  EXPECT_EQ(split.error().message(),
            "the submission holding event 14 ends at 15, beyond the head's 14 entries: use a newer head");
}

TEST_F(BundleTest, PartialExportsOfSeededRandomRangesVerify) {
  uint64_t seed = kDefaultSeed;
  if (const char* text = std::getenv("FUNDTRAIL_TEST_SEED"); text != nullptr && *text != '\0') {
    seed = std::strtoull(text, nullptr, 10);
  }
  SCOPED_TRACE("seed " + std::to_string(seed) + " (rerun with FUNDTRAIL_TEST_SEED=" + std::to_string(seed) + ")");
  std::mt19937_64 random(seed);
  // A few chosen ranges first: inside one submission (widened both ways), a reversal whose
  // target is before the range, a range that holds both, the genesis alone, the last event.
  std::vector<std::pair<uint64_t, uint64_t>> ranges = {
      {14, 14}, {kReversal, kReversal}, {13, kReversal}, {kReversal, kLast}, {2, 3}, {kLast, kLast}};
  for (int i = 0; i < 10; ++i) {
    uint64_t a = std::uniform_int_distribution<uint64_t>(1, kLast)(random);
    uint64_t b = std::uniform_int_distribution<uint64_t>(a, kLast)(random);
    ranges.emplace_back(a, b);
  }
  for (const auto& [a, b] : ranges) {
    const uint64_t from = SubmissionOf(a).first;
    const uint64_t to = SubmissionOf(b).second;
    const uint64_t head_size = std::uniform_int_distribution<uint64_t>(to, kLast)(random);
    SCOPED_TRACE("--from-seq " + std::to_string(a) + " --to-seq " + std::to_string(b) + ", head of " +
                 std::to_string(head_size));
    ExportSummary summary;
    std::string path = Export(a, b, HeadAt(head_size), &summary);
    EXPECT_EQ(summary.from_sequence, from);
    EXPECT_EQ(summary.to_sequence, to);
    EXPECT_EQ(summary.entries, to - from + 1);
    uint64_t submissions = 0;
    for (const auto& [first, last] : shared_->submission_last) submissions += first >= from && last <= to;
    EXPECT_EQ(summary.submissions, submissions);
    EXPECT_EQ(summary.context_entries > 0, from > 1);
    // The reversal's target is looked up whenever the reversal is replayed, in the range or in
    // the context before it.
    const bool replays_reversal = kReversal <= to;
    EXPECT_EQ(summary.lookup_entries, replays_reversal ? 1u : 0u);

    auto report = VerifyBundle(path, {});
    ASSERT_TRUE(report.has_value()) << report.error().message();
    EXPECT_EQ(report->header.from_sequence, from);
    EXPECT_EQ(report->header.to_sequence, to);
    EXPECT_EQ(report->header.tree_size, head_size);
    EXPECT_EQ(report->entries, summary.entries);
    EXPECT_EQ(report->submissions, summary.submissions);
    EXPECT_EQ(report->context_entries, summary.context_entries);
    EXPECT_EQ(report->lookup_entries, summary.lookup_entries);
    if (replays_reversal && from > kReversalTarget) {
      // The target is before the range: the bundle proves it with a lookup entry, and without it
      // the reversal cannot be checked.
      auto records = ParseRecords(ReadBytes(path));
      records.erase(records.begin() + Find(records, BundleRecord::kLookup, HasSequence(kReversalTarget)));
      ExpectRejected(VerifyRecords(records),
                     {"16 (reversal)", "event 14 is referred to but the bundle has no lookup entry for it"});
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Trusted heads.

class BundleTrustedHeadTest : public BundleTest {
 protected:
  void SetUp() override {
    BundleTest::SetUp();
    path_ = Export(14, kReversal);  // widened to 13..16, against the head of 19
  }
  Result<BundleReport> VerifyAgainst(const TreeHead& trusted) {
    BundleVerifyOptions options;
    options.anchors.trusted_head = CosignedHead{trusted, {}};
    options.anchors.trusted_head_source = "--trusted-head head.json";
    return VerifyBundle(path_, options);
  }
  // The head of `size` entries with another root, signed by the operator.
  TreeHead OtherRootAt(uint64_t size) const {
    TreeHead other = HeadAt(size);
    other.root_hash = FlipBit(other.root_hash, 3);
    SignTreeHead(operator_key(), &other);
    return other;
  }
  std::string path_;
};

TEST_F(BundleTrustedHeadTest, AHeadTheBundleReachesIsChecked) {
  for (uint64_t size : {uint64_t{12}, uint64_t{13}, uint64_t{15}, kReversal, kLast}) {
    SCOPED_TRACE("trusted head of " + std::to_string(size));
    auto report = VerifyAgainst(HeadAt(size));
    ASSERT_TRUE(report.has_value()) << report.error().message();
    EXPECT_TRUE(report->trusted_head_checked);
  }
}

TEST_F(BundleTrustedHeadTest, ADifferentRootIsASplitViewOrARewrittenHistory) {
  const TreeHead split = OtherRootAt(kLast);
  ExpectRejected(VerifyAgainst(split),
                 {"split view: two different heads of size 19: at size 19 the log gives root " +
                  test::Hex(head().root_hash) + " and chain hash " + test::Hex(head().chain_hash) +
                  ", the trusted head says root " + test::Hex(split.root_hash)});
  for (uint64_t size : {uint64_t{12}, uint64_t{15}, kReversal}) {
    SCOPED_TRACE("trusted head of " + std::to_string(size));
    const TreeHead rewritten = OtherRootAt(size);
    ExpectRejected(VerifyAgainst(rewritten),
                   {"the log is not an extension of the trusted head: at size " + std::to_string(size) +
                    " the log gives root " + test::Hex(HeadAt(size).root_hash) + " and chain hash " +
                    test::Hex(HeadAt(size).chain_hash) + ", the trusted head says root " +
                    test::Hex(rewritten.root_hash) + " and chain hash " + test::Hex(rewritten.chain_hash) +
                    ": history was rewritten"});
  }
}

// A trusted head whose root matches but whose chain hash does not is rejected, and the message
// names the chain hash that differs.
TEST_F(BundleTrustedHeadTest, AnotherChainHashWithTheSameRootIsNamed) {
  TreeHead other_chain = HeadAt(15);
  other_chain.chain_hash = FlipBit(other_chain.chain_hash, 0);
  SignTreeHead(operator_key(), &other_chain);
  ExpectRejected(VerifyAgainst(other_chain), {"the log is not an extension of the trusted head: at size 15",
                                              "chain hash", test::Hex(other_chain.chain_hash)});
}

TEST_F(BundleTrustedHeadTest, AHeadOutsideTheBundlesReachSaysWhatToDo) {
  for (uint64_t size : {uint64_t{8}, uint64_t{11}, uint64_t{17}, kLast - 1}) {
    SCOPED_TRACE("trusted head of " + std::to_string(size));
    ExpectRejected(VerifyAgainst(HeadAt(size)),
                   {"the trusted head has " + std::to_string(size) +
                    " entries; this bundle can only be compared with a head of 12..16 or 19 entries: export a "
                    "bundle that covers it (--from-seq " +
                    std::to_string(std::min<uint64_t>(size + 1, kReversal)) + ") or check it with a consistency proof"},
                   StatusCode::kInvalidArgument);
  }
}

// A trusted head that does not verify with the operator key is no anchor: the bundle is valid but
// not tied to it (NotAnchored, exit 6), which is not the same as an altered bundle (exit 3).
TEST_F(BundleTrustedHeadTest, AHeadNotSignedByTheOperatorOrOfAnotherLedgerIsNotAnAnchor) {
  TreeHead unsigned_head = HeadAt(15);
  unsigned_head.signature.clear();
  unsigned_head.key_id.clear();
  ExpectRejected(VerifyAgainst(unsigned_head), {"the trusted head --trusted-head head.json is not signed"},
                 StatusCode::kNotAnchored);
  TreeHead admin_signed = HeadAt(15);
  SignTreeHead(shared_->alliance.admin, &admin_signed);
  ExpectRejected(VerifyAgainst(admin_signed),
                 {"the trusted head --trusted-head head.json is signed by key id " +
                  test::KeyIdHex(shared_->alliance.admin) + ", not by the operator key id"},
                 StatusCode::kNotAnchored);
  TreeHead zeroed = HeadAt(15);
  zeroed.signature = std::string(kSignatureSizeBytes, '\0');
  ExpectRejected(VerifyAgainst(zeroed), {"the head's signature does not verify"}, StatusCode::kNotAnchored);
  TreeHead retimed = HeadAt(15);
  retimed.timestamp_micros += 1000000;
  ExpectRejected(VerifyAgainst(retimed), {"the head's signature does not verify"}, StatusCode::kNotAnchored);
  ExpectRejected(VerifyAgainst(test::SignedHeadAt(other_ledger(), 15, operator_key(), kExportMicros)),
                 {"the trusted head --trusted-head head.json is for ledger ffeeddccbbaa99887766554433221100, this is "
                  "ledger " +
                  test::Hex(ledger().ledger_id())},
                 StatusCode::kNotAnchored);
}

// The operator key and ledger id anchors: checked once the bundle verifies, NotAnchored when the
// bundle is valid but of another operator or ledger; without anchors the report says so.
TEST_F(BundleTest, TheAnchorsAreCheckedOnceTheBundleVerifies) {
  const std::string path = Export(1, kLast);
  auto plain = VerifyBundle(path, {});
  ASSERT_TRUE(plain.has_value()) << plain.error().message();
  EXPECT_FALSE(plain->anchors.anchored());
  EXPECT_EQ(plain->anchors.ledger_id, ledger().ledger_id());
  EXPECT_EQ(plain->anchors.operator_key_id, operator_key().public_key().key_id());

  BundleVerifyOptions real;
  real.anchors.operator_key = operator_key().public_key();
  real.anchors.operator_key_source = "--operator-key op.pub";
  real.anchors.ledger_id = ledger().ledger_id();
  real.anchors.ledger_id_source = "--ledger-id";
  auto anchored = VerifyBundle(path, real);
  ASSERT_TRUE(anchored.has_value()) << anchored.error().message();
  EXPECT_TRUE(anchored->anchors.key_anchored);
  EXPECT_EQ(anchored->anchors.sources, (std::vector<std::string>{"--ledger-id", "--operator-key op.pub"}));

  BundleVerifyOptions wrong_key;
  wrong_key.anchors.operator_key = shared_->alliance.admin.public_key();
  wrong_key.anchors.operator_key_source = "--operator-key admin.pub";
  ExpectRejected(VerifyBundle(path, wrong_key),
                 {"the genesis names operator key id " + test::KeyIdHex(operator_key()) + ", not the operator key id " +
                  test::KeyIdHex(shared_->alliance.admin) + " given by --operator-key admin.pub"},
                 StatusCode::kNotAnchored);

  // The same history under another ledger id, with a head its operator signed: valid, but not
  // the ledger the anchor names.
  const std::string other_path = directory_.File("other.bundle");
  const TreeHead other_head = test::SignedHeadAt(other_ledger(), kLast, operator_key(), kExportMicros);
  ASSERT_TRUE(ExportBundle(other_ledger(), 1, kLast, other_head, kExportMicros, other_path).has_value());
  ASSERT_TRUE(VerifyBundle(other_path, {}).has_value());
  BundleVerifyOptions real_id;
  real_id.anchors.ledger_id = ledger().ledger_id();
  real_id.anchors.ledger_id_source = "--ledger-id " + test::Hex(ledger().ledger_id());
  ExpectRejected(VerifyBundle(other_path, real_id),
                 {"this is ledger ffeeddccbbaa99887766554433221100, not ledger " + test::Hex(ledger().ledger_id())},
                 StatusCode::kNotAnchored);
  // An altered bundle is "altered" (Corruption) before it is "not ours".
  std::string bytes = ReadBytes(path);
  bytes[bytes.size() / 2] ^= 0x01;
  WriteBytes(directory_.File("altered.bundle"), bytes);
  auto altered = VerifyBundle(directory_.File("altered.bundle"), wrong_key);
  ASSERT_FALSE(altered.has_value());
  EXPECT_NE(altered.error().code(), StatusCode::kNotAnchored) << altered.error().message();
}

// ---------------------------------------------------------------------------------------------
// Damaged bundles.

// Flips one bit of every byte of a bundle in turn (bit offset % 8, so that every bit position is
// exercised along the file) and expects each copy to be rejected. That includes the header's
// informative "exported_at" and the head's "time", which no signature covers, and the case of hex
// letters: the verifier requires the header and head records in exactly the form the exporter
// writes them. Anything accepted is a hole in the verifier.
void ExpectEveryBitFlipRejected(const std::string& path, const std::string& scratch) {
  const std::string original = ReadBytes(path);
  ASSERT_TRUE(VerifyBundle(path, {}).has_value());
  const std::vector<Record> records = ParseRecords(original);

  std::map<std::string, int> failures;  // the first words of each rejection, counted
  std::vector<size_t> accepted;
  // The copy is patched in place: rewriting a whole file each time (truncate, write) makes ext4
  // flush it to disk on close, which costs seconds over thousands of copies.
  WriteBytes(scratch, original);
  std::fstream copy(scratch, std::ios::in | std::ios::out | std::ios::binary);
  auto put = [&](size_t offset, char c) {
    copy.seekp(static_cast<std::streamoff>(offset));
    copy.put(c);
    copy.flush();
  };
  for (size_t offset = 0; offset < original.size(); ++offset) {
    const int bit = static_cast<int>(offset % 8);
    put(offset, static_cast<char>(original[offset] ^ (1 << bit)));
    auto report = VerifyBundle(scratch, {});
    put(offset, original[offset]);
    if (!report) {
      // "bundle record 12 (entry, at byte 4096): ..." counts as "bundle record # (entry".
      std::string start = report.error().message().substr(0, report.error().message().find_first_of(":,"));
      for (char& c : start) c = std::isdigit(static_cast<unsigned char>(c)) ? '#' : c;
      start.erase(std::unique(start.begin(), start.end(), [](char x, char y) { return x == '#' && y == '#'; }),
                  start.end());
      ++failures[start];
      continue;
    }
    accepted.push_back(offset);
  }
  ASSERT_TRUE(copy.good()) << "cannot patch " << scratch;
  for (size_t offset : accepted) {
    size_t record = 0;
    while (record + 1 < records.size() && records[record + 1].offset <= offset) ++record;
    ADD_FAILURE() << "a bundle with bit " << offset % 8 << " of byte " << offset << " flipped verifies: record "
                  << record << " (type " << static_cast<int>(records[record].type) << "), byte "
                  << offset - records[record].offset << " of it";
  }
  // What the rejections said, for the reader of the test log.
  for (const auto& [start, count] : failures) std::cout << "  rejected " << count << " x: " << start << "\n";
}

TEST_F(BundleTest, EveryBitPositionOfAPartialBundleIsCaught) {
  // Every record type: the reversal 16 with its target 14 looked up, the context before it, a
  // prefix, and a consistency proof to the head of 19.
  ExportSummary summary;
  std::string path = Export(kReversal, kReversal, head(), &summary);
  ASSERT_EQ(summary.lookup_entries, 1u);
  ASSERT_GT(summary.context_entries, 0u);
  ExpectEveryBitFlipRejected(path, directory_.File("flipped"));
}

TEST_F(BundleTest, EveryBitPositionOfABundleFromTheGenesisIsCaught) {
  // The genesis submission replayed from an empty prefix, and a consistency proof to the head of 19.
  ExpectEveryBitFlipRejected(Export(1, 1), directory_.File("flipped"));
}

TEST_F(BundleTest, DroppedOrReorderedEntriesAreCaught) {
  const auto good = ParseRecords(ReadBytes(Export(1, kLast)));
  auto entry = [&](uint64_t sequence) { return Find(good, BundleRecord::kEntry, HasSequence(sequence)); };
  auto without = [&](size_t index) {
    auto records = good;
    records.erase(records.begin() + index);
    return records;
  };
  // Inside a submission, at its end, and at the end of the range.
  ExpectRejected(VerifyRecords(without(entry(14))), {"sequence 14 is missing (the next stored entry is 15)"});
  ExpectRejected(VerifyRecords(without(entry(15))),
                 {"(submission, at byte ",
                  "a new submission begins while the previous one still lacks 1 of its "
                  "events (after sequence 14)"});
  ExpectRejected(VerifyRecords(without(entry(kLast))),
                 {"the range ends inside a submission: 1 of its events after sequence 18 are missing"});
  // Two entries swapped, with their sequence numbers, or only their records.
  auto swapped = good;
  std::swap(swapped[entry(13)], swapped[entry(14)]);
  ExpectRejected(VerifyRecords(swapped), {"sequence 13 is missing (the next stored entry is 14)"});
  swapped = good;
  std::swap(swapped[entry(13)].payload, swapped[entry(14)].payload);
  for (uint64_t sequence : {13, 14}) {
    PutBigEndian64(sequence, reinterpret_cast<uint8_t*>(swapped[entry(sequence)].payload.data()));
  }
  ExpectRejected(
      VerifyRecords(swapped),
      {"sequence 13: the event differs from the digest its submission signed (the event was altered or moved)"});
  // Two whole submissions swapped.
  swapped = good;
  const size_t s17 = Find(
      good, BundleRecord::kSubmission, [](const Record& r) { return FirstSequenceOf(r) == 17; },
      Find(good, BundleRecord::kPrefix));
  std::rotate(swapped.begin() + s17, swapped.begin() + s17 + 2, swapped.begin() + s17 + 5);
  ExpectRejected(VerifyRecords(swapped), {"submission at sequence 17: records first sequence 18"});
  // The end record counts.
  auto recounted = good;
  recounted.back().payload[7] = static_cast<char>(recounted.back().payload[7] + 1);
  ExpectRejected(VerifyRecords(recounted), {"(end, at byte ",
                                            "it counts 20 entries in 7 submissions, the bundle holds "
                                            "19 in 7"});
}

TEST_F(BundleTest, ADroppedOrForgedSubmissionIsCaught) {
  const auto good = ParseRecords(ReadBytes(Export(1, kLast)));
  // The range's record of the submission 13..15 (the lookup entry 14 has one before the prefix).
  const size_t s13 = Find(
      good, BundleRecord::kSubmission, [](const Record& r) { return FirstSequenceOf(r) == 13; },
      Find(good, BundleRecord::kPrefix));
  auto dropped = good;
  dropped.erase(dropped.begin() + s13);
  ExpectRejected(VerifyRecords(dropped), {"(entry, at byte ", "event 13 is not preceded by its submission record"});

  // Re-signed by a key that is not the registered one: as the registered key (its id kept), or
  // as itself.
  const PrivateKey intruder = test::KeyFromSeed(test::SeedFromLabel("intruder"), directory_.File("intruder.pem"));
  auto forge = [&](bool rename) {
    auto decoded = DecodedSubmission::Open(good[s13].payload, "submission");
    EXPECT_TRUE(decoded.has_value());
    capnp::MallocMessageBuilder message;
    message.setRoot(decoded->root());
    auto submission = message.getRoot<schema::Submission>();
    const std::string& key_id = intruder.public_key().key_id();
    if (rename)
      submission.getBody().setKeyId(
          capnp::Data::Reader(reinterpret_cast<const capnp::byte*>(key_id.data()), key_id.size()));
    std::string signature = intruder.Sign(AsBytes(SignedMessage(CanonicalBytes(submission.getBody().asReader()))));
    submission.setSignature(
        capnp::Data::Reader(reinterpret_cast<const capnp::byte*>(signature.data()), signature.size()));
    auto forged = good;
    forged[s13].payload = CanonicalBytes(submission.asReader());
    return forged;
  };
  ExpectRejected(VerifyRecords(forge(false)), {"submission at sequence 13: the signature by key " +
                                               test::KeyIdHex(shared_->alliance.finance_uni) + " does not verify"});
  ExpectRejected(VerifyRecords(forge(true)),
                 {"submission at sequence 13: key " + test::KeyIdHex(intruder) + " is not registered in this ledger"});
}

TEST_F(BundleTest, AHeadOfAnotherLedgerIsCaught) {
  // The same history under another ledger id, signed by the same operator key.
  const TreeHead other = test::SignedHeadAt(other_ledger(), kLast, operator_key(), kExportMicros);
  auto with_other_head = [&](const std::string& path) {
    auto records = ParseRecords(ReadBytes(path));
    records[Find(records, BundleRecord::kHead)].payload = TreeHeadToJson(other).dump();
    return records;
  };
  ExpectRejected(VerifyRecords(with_other_head(Export(1, kLast))),
                 {"bundle record 2 (head, at byte ",
                  "): the head (ledger ffeeddccbbaa99887766554433221100, 19 entries) "
                  "is not the one the header names (ledger " +
                      test::Hex(ledger().ledger_id()) + ", 19 entries)"});
  // With the header renamed to match, the first record proven against the head fails: the lookup
  // entry, or without one, the range's tree.
  auto rename = [&](std::vector<Record> records) {
    const size_t header = Find(records, BundleRecord::kHeader);
    // Keeps the exporter's member order: the verifier requires the header in exactly its form.
    nlohmann::ordered_json renamed = nlohmann::ordered_json::parse(records[header].payload);
    renamed["ledger_id"] = test::Hex(other.ledger_id);
    records[header].payload = renamed.dump();
    return records;
  };
  ExpectRejected(VerifyRecords(rename(with_other_head(Export(1, kLast)))),
                 {"(lookup entry, at byte ", "event 14: inclusion proof in the tree of 19 entries: calculated root "});
  ExpectRejected(VerifyRecords(rename(with_other_head(Export(1, 12)))),
                 {"the entries 1..12 do not belong to the signed head's tree of 19 entries: "});
}

TEST_F(BundleTest, ATruncatedOrExtendedFileIsCaught) {
  const std::string path = Export(kReversal, kReversal);
  const std::string bytes = ReadBytes(path);
  const auto records = ParseRecords(bytes);
  const std::string scratch = directory_.File("cut");
  // Cut at each record boundary, inside each record's 5-byte header and inside each payload.
  std::set<size_t> cuts = {0, 3};
  for (const Record& record : records) {
    for (size_t delta : {size_t{0}, size_t{1}, size_t{4}, size_t{5}, 5 + record.payload.size() / 2}) {
      cuts.insert(record.offset + delta);
    }
  }
  for (size_t size : cuts) {
    SCOPED_TRACE("cut to " + std::to_string(size) + " bytes");
    WriteBytes(scratch, bytes.substr(0, size));
    auto report = VerifyBundle(scratch, {});
    ASSERT_FALSE(report.has_value());
    if (size < 8) {
      EXPECT_EQ(report.error().code(), StatusCode::kInvalidArgument);
      EXPECT_EQ(report.error().message(), scratch + " is not a fundtrail bundle (it does not start with \"FTBUNDL1\")");
    } else {
      EXPECT_EQ(report.error().code(), StatusCode::kCorruption) << report.error().message();
      const std::string& message = report.error().message();
      EXPECT_TRUE(message.find("truncated") != std::string::npos || message.starts_with("the bundle ends before its "))
          << message;
    }
  }
  // Data after the end record: a record, a whole second bundle, a stray byte.
  for (const std::string& extra : {Serialize({records.back()}).substr(8), bytes, std::string(1, '\0')}) {
    WriteBytes(scratch, bytes + extra);
    auto report = VerifyBundle(scratch, {});
    ASSERT_FALSE(report.has_value()) << extra.size() << " bytes appended";
    EXPECT_EQ(report.error().code(), StatusCode::kCorruption);
    EXPECT_TRUE(report.error().message().starts_with("bundle record " + std::to_string(records.size() + 1) + " ("))
        << report.error().message();
  }
  // A missing file is not damage: NotFound, which fundtrail-verify reports with exit 5.
  EXPECT_EQ(VerifyBundle(directory_.File("no-such-bundle"), {}).error().code(), StatusCode::kNotFound);
}

// A record that cannot be read (an unknown type, a stray byte after the end record) is named by
// its number and offset, not after the record before it.
TEST_F(BundleTest, ARecordThatCannotBeReadIsNotNamedAfterTheOneBefore) {
  const std::string bytes = ReadBytes(Export(kReversal, kReversal));
  const std::string scratch = directory_.File("unreadable");
  std::string unknown = bytes;
  unknown[8] = static_cast<char>(228);  // the header record's type
  WriteBytes(scratch, unknown);
  auto report = VerifyBundle(scratch, {});
  ExpectRejected(report, {"bundle record 1 (", "unknown type 228"});
  if (!report) {
    EXPECT_EQ(report.error().message().find("(header,"), std::string::npos) << report.error().message();
  }
  WriteBytes(scratch, bytes + std::string(1, '\0'));
  report = VerifyBundle(scratch, {});
  ExpectRejected(report, {"bundle record " + std::to_string(ParseRecords(bytes).size() + 1) + " ("});
  if (!report) {
    EXPECT_EQ(report.error().message().find("(end,"), std::string::npos) << report.error().message();
  }
}

// The context replay starts the chain at zero, as a replay from sequence 1 does: a genesis whose
// given h_0 is not zero is refused before its inclusion proof is looked at.
TEST_F(BundleTest, TheGenesisContextEntryMustStartTheChainAtZero) {
  auto records = ParseRecords(ReadBytes(Export(13, kReversal)));
  const size_t genesis = Find(records, BundleRecord::kContext, HasSequence(1));
  records[genesis].payload[8] ^= 0x01;  // the first byte of h_0, after be64(sequence)
  ExpectRejected(VerifyRecords(records), {"context event 1: the chain hash before sequence 1 must be zero"});
}

TEST_F(BundleTest, AMissingContextEventIsCaught) {
  // The range 13..16: expenditures on grant G-1 with vendor V-1 by finance_uni, and a reversal.
  const auto good = ParseRecords(ReadBytes(Export(13, kReversal)));
  auto without = [&](uint64_t sequence) {
    auto records = good;
    records.erase(records.begin() + Find(records, BundleRecord::kContext, HasSequence(sequence)));
    return records;
  };
  const std::string finance_uni = test::KeyIdHex(shared_->alliance.finance_uni);
  // What needs each context event says so.
  ExpectRejected(VerifyRecords(without(1)),
                 {"context event 2: the first context event must be the genesis (sequence 1)"});
  ExpectRejected(VerifyRecords(without(4)), {"context event 5 (member_admitted)", "\"12100000400000624D\""});
  ExpectRejected(VerifyRecords(without(8)), {"submission at sequence 13: key " + finance_uni + " is not registered"});
  ExpectRejected(VerifyRecords(without(9)), {"context event 11 (grant_awarded)", "\"P-1\"", "not registered"});
  ExpectRejected(VerifyRecords(without(10)), {"sequence 13 (expenditure_recorded)", "\"V-1\"", "not registered"});
  ExpectRejected(VerifyRecords(without(11)), {"sequence 13 (expenditure_recorded)", "\"G-1\"", "not registered"});
  auto none = good;
  std::erase_if(none, [](const Record& record) { return record.type == BundleRecord::kContext; });
  ExpectRejected(VerifyRecords(none), {"the range starts at 13 but the bundle has no context events (at least the "
                                       "genesis is needed)"});
  // Out of order.
  auto reordered = good;
  const size_t nine = Find(reordered, BundleRecord::kContext, HasSequence(9));
  std::swap(reordered[nine], reordered[nine + 1]);
  ExpectRejected(VerifyRecords(reordered),
                 {"context event 9: context events must come in increasing order before the range"});

  // Each context record dropped in turn. One that nothing after it depends on cannot be noticed:
  // no Merkle proof shows an absence (bundle.h, FORMAT.md 10), and nothing counts the context
  // records; the report then counts one context event fewer.
  auto report = VerifyRecords(good);
  ASSERT_TRUE(report.has_value()) << report.error().message();
  std::cout << "  context events whose removal goes unnoticed:";
  for (const Record& record : good) {
    if (record.type != BundleRecord::kContext) continue;
    auto dropped = VerifyRecords(without(SequenceOf(record)));
    if (!dropped) continue;
    std::cout << " " << SequenceOf(record);
    EXPECT_EQ(dropped->context_entries, report->context_entries - 1);
  }
  std::cout << "\n";
}


// ---------------------------------------------------------------------------------------------
// What docs/FORMAT.md section 10 says a second verifier must do to agree byte for byte.

// The header and head records must be the exact compact JSON `fundtrail export` writes: any other
// spelling of the same values (a space, another member order, uppercase hex, a newline) is refused.
TEST_F(BundleTest, TheHeaderAndHeadRecordsMustBeTheExactBytesExportWrites) {
  const auto good = ParseRecords(ReadBytes(Export(1, kLast)));
  const std::string ledger_hex = test::Hex(shared_->alliance.ledger_id);
  const std::string time = "2026-01-01T00:00:00.000000Z";
  ASSERT_EQ(good[0].type, BundleRecord::kHeader);
  EXPECT_EQ(good[0].payload, "{\"format\":\"fundtrail-bundle-1\",\"ledger_id\":\"" + ledger_hex +
                                 "\",\"from_sequence\":1,\"to_sequence\":19,\"tree_size\":19,"
                                 "\"exported_at\":1767225600000000,\"exported_at_time\":\"" + time + "\"}");
  ASSERT_EQ(good[1].type, BundleRecord::kHead);
  EXPECT_EQ(good[1].payload, "{\"ledger_id\":\"" + ledger_hex + "\",\"tree_size\":19,\"root_hash\":\"" +
                                 HexEncode(head().root_hash) + "\",\"chain_hash\":\"" +
                                 HexEncode(head().chain_hash) + "\",\"timestamp\":1767225600000000,\"time\":\"" +
                                 time + "\",\"key_id\":\"" + test::KeyIdHex(operator_key()) +
                                 "\",\"signature\":\"" + HexEncode(AsBytes(head().signature)) + "\"}");
  ASSERT_TRUE(VerifyRecords(good).has_value()) << "the records as exported verify";

  auto replaced = [&](size_t index, const std::string& from, const std::string& to) {
    auto records = good;
    const size_t at = records[index].payload.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) records[index].payload.replace(at, from.size(), to);
    return records;
  };
  const std::string not_in_form = "is not in the form `fundtrail export` writes";
  // The header: a space after a comma or a colon, a trailing newline, two members swapped,
  // uppercase hex, an informative time that is not the time of `exported_at`.
  ExpectRejected(VerifyRecords(replaced(0, ",\"ledger_id\"", ", \"ledger_id\"")), {"(header, at byte 8)", not_in_form});
  ExpectRejected(VerifyRecords(replaced(0, "\"tree_size\":19", "\"tree_size\": 19")), {not_in_form});
  ExpectRejected(VerifyRecords(replaced(0, time + "\"}", time + "\"}\n")), {not_in_form});
  ExpectRejected(VerifyRecords(replaced(0, "\"from_sequence\":1,\"to_sequence\":19",
                                        "\"to_sequence\":19,\"from_sequence\":1")),
                 {not_in_form});
  std::string upper = ledger_hex;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](char c) { return std::toupper(c); });
  ASSERT_NE(upper, ledger_hex);
  ExpectRejected(VerifyRecords(replaced(0, ledger_hex, upper)), {not_in_form});
  ExpectRejected(VerifyRecords(replaced(0, time, "2026-01-01T00:00:00Z")), {not_in_form});
  ExpectRejected(VerifyRecords(replaced(0, "}", ",\"note\":\"x\"}")), {not_in_form});
  // A number written as a fraction is not a whole number, before any comparison of bytes.
  ExpectRejected(VerifyRecords(replaced(0, "\"to_sequence\":19", "\"to_sequence\":19.0")),
                 {"field \"to_sequence\" must be a whole number"});
  // The head: the same, though none of these bytes is covered by the operator's signature.
  ExpectRejected(VerifyRecords(replaced(1, "\"tree_size\":19", "\"tree_size\": 19")), {"(head, at byte", not_in_form});
  ExpectRejected(VerifyRecords(replaced(1, "\"time\":\"" + time, "\"time\":\"2026-01-01T08:00:00+08:00")),
                 {not_in_form});
  const std::string root_hex = HexEncode(head().root_hash);
  std::string root_upper = root_hex;
  std::transform(root_upper.begin(), root_upper.end(), root_upper.begin(), [](char c) { return std::toupper(c); });
  ExpectRejected(VerifyRecords(replaced(1, root_hex, root_upper)), {not_in_form});
}

// The validator reads a reversal's target only from lookup records, so a bundle from sequence 1
// needs one even for a target whose own entry is inside its range.
TEST_F(BundleTest, ABundleFromTheGenesisNeedsALookupForAReversalTargetInsideItsRange) {
  auto records = ParseRecords(ReadBytes(Export(1, kLast)));
  const size_t lookup = Find(records, BundleRecord::kLookup, HasSequence(kReversalTarget));
  ASSERT_LT(lookup, Find(records, BundleRecord::kPrefix)) << "lookup records come before the prefix";
  ASSERT_NE(Find(records, BundleRecord::kEntry, HasSequence(kReversalTarget)), 0u) << "the target is in the range";
  records.erase(records.begin() + static_cast<std::ptrdiff_t>(lookup));
  ExpectRejected(VerifyRecords(records), {"16 (reversal)", "event 14 is referred to but the bundle has no lookup "
                                          "entry for it"});
  // A lookup record after a context record is out of order (a partial bundle has both).
  auto partial = ParseRecords(ReadBytes(Export(kReversal, kLast)));
  const size_t target = Find(partial, BundleRecord::kLookup, HasSequence(kReversalTarget));
  const size_t context = Find(partial, BundleRecord::kContext);
  ASSERT_LT(target, context);
  Record moved = partial[target];
  partial.erase(partial.begin() + static_cast<std::ptrdiff_t>(target));
  partial.insert(partial.begin() + static_cast<std::ptrdiff_t>(context), moved);
  ExpectRejected(VerifyRecords(partial), {"lookup entries must precede context entries"});
}

// The head must carry the operator key's id and signature: a head signed by another key of the
// ledger (its admin) is refused before its signature is checked, one unsigned too.
TEST_F(BundleTest, AHeadNotSignedWithTheOperatorKeyIdIsRejected) {
  const auto good = ParseRecords(ReadBytes(Export(1, kLast)));
  auto with_head = [&](const TreeHead& replacement) {
    auto records = good;
    records[1].payload = CosignedHeadToJson({replacement, {}}).dump();
    return records;
  };
  TreeHead by_admin = test::SignedHeadAt(ledger(), kLast, shared_->alliance.admin, kExportMicros);
  ExpectRejected(VerifyRecords(with_head(by_admin)),
                 {"the bundle's head", "is signed by key " + test::KeyIdHex(shared_->alliance.admin) +
                                           ", not by the ledger's operator key " + test::KeyIdHex(operator_key())});
  TreeHead named_operator = by_admin;  // the operator's key id, the admin's signature
  named_operator.key_id = head().key_id;
  ExpectRejected(VerifyRecords(with_head(named_operator)), {"the head's signature does not verify with the operator key"});
  TreeHead unsigned_head = head();
  unsigned_head.signature.clear();
  ExpectRejected(VerifyRecords(with_head(unsigned_head)), {"the bundle's head: the head is not signed"});
}

// The writer (`fundtrail init`) refuses a genesis without an admin key; a replay does not
// (FORMAT.md section 4), neither `verify` nor a bundle.
TEST(BundleGenesisTest, AGenesisWithoutAnAdminKeyIsAcceptedByAReplay) {
  test::TempDir directory;
  test::TestAlliance alliance(directory.path());
  test::FixedClock clock;
  json genesis = alliance.GenesisEvents()[0];
  auto created = test::CreateLedger(
      directory.File("ledger"), alliance.operator_key,
      {genesis, test::OrganisationJson(kUniversity, "华东理工大学", "university"),
       test::KeyRegisteredJson(alliance.finance_uni, kUniversity, {"member_finance"})},
      {}, &clock);
  ASSERT_TRUE(created.has_value()) << created.error().message();
  const Ledger& ledger = **created;
  Status verified = ledger.Verify(nullptr);
  EXPECT_TRUE(verified.ok()) << verified.message();
  TreeHead head = test::SignedHeadAt(ledger, 3, alliance.operator_key, kExportMicros);
  const std::string path = directory.File("bundle");
  auto exported = ExportBundle(ledger, 1, 3, head, kExportMicros, path);
  ASSERT_TRUE(exported.has_value()) << exported.error().message();
  auto report = VerifyBundle(path, {});
  ASSERT_TRUE(report.has_value()) << report.error().message();
  EXPECT_EQ(report->entries, 3u);
}

}  // namespace
}  // namespace fundtrail
