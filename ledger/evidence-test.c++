// Inclusion evidence (ledger/evidence.h) built from a ledger (ledger/export.h): JSON round trips for
// events at every kind of place in the log, the signing-key chain each report names back to the
// genesis, and damaged evidence, each copy rejected with a message naming what failed.
//
// This file also defines CreateLedger and SignedHeadAt, which ledger/bundle-test.c++ uses too
// (declared there; test_util.h holds what every ledger test shares).
#include "ledger/evidence.h"

#include <gtest/gtest.h>

#include "ledger/export.h"
#include "ledger/json_codec.h"
#include "ledger/log_format.h"
#include "ledger/merkle_reference.h"
#include "ledger/store.h"
#include "ledger/submission.h"
#include "ledger/test_util.h"

namespace fundtrail {
namespace test {

// Creates a ledger in `directory` from the genesis `genesis` (ledger_genesis first, signed by
// `operator_key`), then appends each of `submissions`, signed by its key.
Result<std::unique_ptr<Ledger>> CreateLedger(
    const std::string& directory, const PrivateKey& operator_key, const std::vector<json>& genesis,
    const std::vector<std::pair<const PrivateKey*, std::vector<json>>>& submissions, Clock* clock) {
  auto encode = [](const std::vector<json>& events) {
    std::vector<std::string> canonical;
    for (const json& event : events) canonical.push_back(MustEncode(event));
    return canonical;
  };
  const std::string ledger_id = Unhex(genesis.at(0).at("ledger_id").get<std::string>());
  auto created = Ledger::Create(
      directory, SignSubmission(operator_key, ledger_id, "genesis", clock->NowMicros(), encode(genesis)), clock);
  if (!created) return created;
  for (size_t i = 0; i < submissions.size(); ++i) {
    const auto& [key, events] = submissions[i];
    size_t failed_event_index = 0;
    auto receipt = (*created)->Append(
        SignSubmission(*key, ledger_id, "s-" + std::to_string(i), clock->NowMicros(), encode(events)),
        &failed_event_index);
    if (!receipt) return Error(receipt.error().WithPrefix("submission " + std::to_string(i)));
  }
  return created;
}

// The head of the ledger's first `size` entries, signed by `key` (any key, for damaged heads).
TreeHead SignedHeadAt(const Ledger& ledger, uint64_t size, const PrivateKey& key, int64_t timestamp_micros) {
  TreeHead head;
  head.ledger_id = ledger.ledger_id();
  head.tree_size = size;
  auto root = ledger.TreeRoot(size);
  EXPECT_TRUE(root.has_value()) << root.error().message();
  if (root) head.root_hash = *root;
  if (size > 0) {
    auto entry = ledger.ReadEntry(size);
    EXPECT_TRUE(entry.has_value()) << entry.error().message();
    if (entry) head.chain_hash = DecodeEntry(entry->record)->chain_hash;
  }
  head.timestamp_micros = timestamp_micros;
  SignTreeHead(key, &head);
  return head;
}

}  // namespace test

namespace {

using nlohmann::json;
using test::kFunder;
using test::kSecretariat;
using test::kUniversity;

// The layout of the ledger of these tests (sequence: event, signed by):
//    1..19  the genesis submission (operator): TestAlliance::GenesisEvents(), whose keys are
//           registered at 11 (admin), 12 (funder), 14 (fund_manager), 15 (finance_uni), ...
//   20..22  admin: project P-1, vendor V-1, task T-1
//   23      funder: grant G-1
//   24..26  finance_uni: three expenditures
//   27      finance_uni: the reversal of 25
//   28      admin: registers admin2 (kSecretariat, admin)
//   29      admin2: registers finance_new (kUniversity, member_finance)
//   30..31  finance_new: two expenditures
constexpr uint64_t kGenesisEventCount = 19;
constexpr uint64_t kAdminRegistered = 11;
constexpr uint64_t kFunderRegistered = 12;
constexpr uint64_t kFinanceUniRegistered = 15;
constexpr uint64_t kGrant = 23;
constexpr uint64_t kReversalTarget = 25;
constexpr uint64_t kReversal = 27;
constexpr uint64_t kAdmin2Registered = 28;
constexpr uint64_t kFinanceNewRegistered = 29;
constexpr uint64_t kLast = 31;
constexpr int64_t kHeadTimestampMicros = 1767225600000000;  // 2026-01-01

json Expenditure(const std::string& org_id, const std::string& invoice, const std::string& amount) {
  json event = test::ExpenditureJson("G-1", org_id, "V-1", amount);
  event["invoice_number"] = invoice;
  return event;
}

struct Shared {
  Shared() : alliance(directory.path()) {}
  test::TempDir directory;
  test::TestAlliance alliance;
  PrivateKey admin2 = test::KeyFromSeed(test::SeedFromLabel("admin2"), directory.File("admin2.pem"));
  PrivateKey finance_new = test::KeyFromSeed(test::SeedFromLabel("finance_new"), directory.File("finance_new.pem"));
  test::FixedClock clock;
  std::unique_ptr<Ledger> ledger;
  std::unique_ptr<Ledger> other_ledger;  // the same history under another ledger id
  TreeHead head;                         // of all kLast entries, signed by the operator
};

// Builds the ledger above (in `directory`/`name`) with the genesis naming `ledger_id`.
std::unique_ptr<Ledger> BuildLedger(Shared& shared, const std::string& name, const std::string& ledger_id) {
  const test::TestAlliance& a = shared.alliance;
  std::vector<json> genesis = a.GenesisEvents();
  genesis[0]["ledger_id"] = test::Hex(ledger_id);
  auto ledger = test::CreateLedger(
      shared.directory.File(name), a.operator_key, genesis,
      {{&a.admin, {test::ProjectJson("P-1"), test::VendorJson("V-1"), test::TaskJson("T-1", "P-1", kUniversity)}},
       {&a.funder, {test::GrantJson("G-1", kFunder, "P-1")}},
       {&a.finance_uni,
        {Expenditure(kUniversity, "INV-U1", "1000.00 CNY"), Expenditure(kUniversity, "INV-U2", "2000.00 CNY"),
         Expenditure(kUniversity, "INV-U3", "3000.00 CNY")}},
       {&a.finance_uni, {test::ReversalJson(kReversalTarget)}},
       {&a.admin, {test::KeyRegisteredJson(shared.admin2, kSecretariat, {"admin"})}},
       {&shared.admin2, {test::KeyRegisteredJson(shared.finance_new, kUniversity, {"member_finance"})}},
       {&shared.finance_new,
        {Expenditure(kUniversity, "INV-N1", "500.00 CNY"), Expenditure(kUniversity, "INV-N2", "600.00 CNY")}}},
      &shared.clock);
  EXPECT_TRUE(ledger.has_value()) << ledger.error().message();
  if (!ledger) return nullptr;
  EXPECT_EQ((*ledger)->head().sequence, kLast);
  return std::move(*ledger);
}

// One ledger for the whole suite: the tests only read it.
class EvidenceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    shared_ = std::make_unique<Shared>();
    shared_->ledger = BuildLedger(*shared_, "ledger", shared_->alliance.ledger_id);
    ASSERT_NE(shared_->ledger, nullptr);
    shared_->head = test::SignedHeadAt(*shared_->ledger, kLast, shared_->alliance.operator_key, kHeadTimestampMicros);
  }
  static void TearDownTestSuite() { shared_.reset(); }

  void SetUp() override { ASSERT_NE(shared_->ledger, nullptr) << "the suite's ledger was not built"; }

  const Ledger& ledger() const { return *shared_->ledger; }
  const test::TestAlliance& alliance() const { return shared_->alliance; }
  const TreeHead& head() const { return shared_->head; }
  // The same history under another ledger id, built on first use (ctest runs each test alone).
  static const Ledger& other_ledger() {
    if (shared_->other_ledger == nullptr) {
      shared_->other_ledger = BuildLedger(*shared_, "other", test::Unhex("ffeeddccbbaa99887766554433221100"));
    }
    return *shared_->other_ledger;
  }

  InclusionEvidence Build(uint64_t sequence, const TreeHead& against) const {
    auto evidence = BuildInclusionEvidence(ledger(), sequence, against);
    EXPECT_TRUE(evidence.has_value()) << evidence.error().message();
    return evidence.value_or(InclusionEvidence{});
  }
  InclusionEvidence Build(uint64_t sequence) const { return Build(sequence, head()); }

  // The evidence's signer entry of `sequence`.
  static ProvenEntry& Signer(InclusionEvidence& evidence, uint64_t sequence) {
    for (ProvenEntry& entry : evidence.signers) {
      if (entry.sequence == sequence) return entry;
    }
    ADD_FAILURE() << "no signer entry " << sequence;
    return evidence.signers.at(0);
  }

  static inline std::unique_ptr<Shared> shared_;
};

// Expects `result` to fail with Corruption and exactly `message`.
void ExpectCorruption(const Result<InclusionReport>& result, const std::string& message) {
  ASSERT_FALSE(result.has_value()) << "accepted; expected: " << message;
  EXPECT_EQ(result.error().code(), StatusCode::kCorruption) << result.error().message();
  EXPECT_EQ(result.error().message(), message);
}

// Expects `result` to fail with Corruption and a message starting with `start`.
void ExpectCorruptionStartingWith(const Result<InclusionReport>& result, const std::string& start) {
  ASSERT_FALSE(result.has_value()) << "accepted; expected: " << start << "...";
  EXPECT_EQ(result.error().code(), StatusCode::kCorruption) << result.error().message();
  EXPECT_TRUE(result.error().message().starts_with(start)) << result.error().message() << "\nwant: " << start;
}

Digest FlipBit(Digest digest, size_t bit) {
  digest[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
  return digest;
}

void FlipBit(std::string* bytes, size_t bit) {
  (*bytes)[bit / 8] = static_cast<char>((*bytes)[bit / 8] ^ (1 << (bit % 8)));
}

// "event 30: inclusion proof in the tree of 31 entries: calculated root "; the calculated root of a
// damaged proof is whatever it hashes to.
std::string InclusionFailure(uint64_t sequence, uint64_t tree_size) {
  return "event " + std::to_string(sequence) + ": inclusion proof in the tree of " + std::to_string(tree_size) +
         " entries: ";
}

// ---------------------------------------------------------------------------------------------
// Round trips.

struct ExpectedSigner {
  std::string key_id_hex;  // empty: the operator key
  std::string org_id;
  schema::Role role = schema::Role::ADMIN;
  uint64_t registered_sequence = 0;
};

TEST_F(EvidenceTest, RoundTripsThroughJsonAndNamesTheSigningChain) {
  const ExpectedSigner op{};
  const ExpectedSigner admin{test::KeyIdHex(alliance().admin), kSecretariat, schema::Role::ADMIN, kAdminRegistered};
  const ExpectedSigner funder{test::KeyIdHex(alliance().funder), kFunder, schema::Role::FUNDER, kFunderRegistered};
  const ExpectedSigner finance_uni{test::KeyIdHex(alliance().finance_uni), kUniversity, schema::Role::MEMBER_FINANCE,
                                   kFinanceUniRegistered};
  const ExpectedSigner admin2{test::KeyIdHex(shared_->admin2), kSecretariat, schema::Role::ADMIN, kAdmin2Registered};
  const ExpectedSigner finance_new{test::KeyIdHex(shared_->finance_new), kUniversity, schema::Role::MEMBER_FINANCE,
                                   kFinanceNewRegistered};
  struct Case {
    uint64_t sequence;
    std::string event_type;
    std::vector<ExpectedSigner> chain;  // the subject's signer first
    std::vector<uint64_t> signer_entries;
  };
  const std::vector<Case> cases = {
      {1, "ledger_genesis", {op}, {}},
      {5, "organisation_registered", {op}, {1}},
      {kAdminRegistered, "key_registered", {op}, {1}},
      {kGenesisEventCount, "key_registered", {op}, {1}},
      {20, "project_registered", {admin, op}, {kAdminRegistered, 1}},
      {kGrant, "grant_awarded", {funder, op}, {kFunderRegistered, 1}},
      {kReversal, "reversal", {finance_uni, op}, {kFinanceUniRegistered, 1}},
      {kAdmin2Registered, "key_registered", {admin, op}, {kAdminRegistered, 1}},
      {kFinanceNewRegistered, "key_registered", {admin2, admin, op}, {kAdmin2Registered, kAdminRegistered, 1}},
      {kLast,
       "expenditure_recorded",
       {finance_new, admin2, admin, op},
       {kFinanceNewRegistered, kAdmin2Registered, kAdminRegistered, 1}},
  };
  const std::string operator_key_id = test::KeyIdHex(alliance().operator_key);
  for (const Case& c : cases) {
    SCOPED_TRACE("event " + std::to_string(c.sequence));
    InclusionEvidence evidence = Build(c.sequence);
    std::vector<uint64_t> signer_entries;
    for (const ProvenEntry& entry : evidence.signers) signer_entries.push_back(entry.sequence);
    EXPECT_EQ(signer_entries, c.signer_entries);

    // Through text, as `fundtrail prove` writes it and `fundtrail-verify` reads it.
    const std::string text = InclusionEvidenceToJson(evidence).dump(2);
    auto parsed = InclusionEvidenceFromJson(json::parse(text));
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
    EXPECT_EQ(InclusionEvidenceToJson(*parsed).dump(2), text);
    auto report = VerifyInclusionEvidence(*parsed);
    ASSERT_TRUE(report.has_value()) << report.error().message();

    auto stored = ledger().ReadEntry(c.sequence);
    ASSERT_TRUE(stored.has_value());
    auto entry = DecodeEntry(stored->record);
    ASSERT_TRUE(entry.has_value());
    auto event = DecodedEvent::Open(entry->canonical_event, "event");
    ASSERT_TRUE(event.has_value());
    EXPECT_EQ(report->sequence, c.sequence);
    EXPECT_EQ(report->chain_hash, entry->chain_hash);
    EXPECT_EQ(report->event_type, c.event_type);
    EXPECT_EQ(report->event, EncodeEventJson(event->root()));
    EXPECT_EQ(report->operator_public_key_hex, test::Hex(alliance().operator_key.public_key().raw()));

    ASSERT_EQ(report->signers.size(), c.chain.size());
    for (size_t i = 0; i < c.chain.size(); ++i) {
      SCOPED_TRACE("link " + std::to_string(i));
      const SignerFacts& got = report->signers[i];
      const ExpectedSigner& want = c.chain[i];
      EXPECT_EQ(got.operator_key, want.key_id_hex.empty());
      EXPECT_EQ(got.key_id_hex, want.key_id_hex.empty() ? operator_key_id : want.key_id_hex);
      if (want.key_id_hex.empty()) continue;
      EXPECT_EQ(got.org_id, want.org_id);
      EXPECT_EQ(got.roles, RoleBit(want.role)) << RoleNames(got.roles);
      EXPECT_EQ(got.registered_sequence, want.registered_sequence);
    }
  }
}

TEST_F(EvidenceTest, AgainstAnEarlierHead) {
  const TreeHead earlier = test::SignedHeadAt(ledger(), kReversal, alliance().operator_key, kHeadTimestampMicros);
  for (uint64_t sequence : {uint64_t{1}, kGrant, kReversal}) {
    SCOPED_TRACE("event " + std::to_string(sequence));
    InclusionEvidence evidence = Build(sequence, earlier);
    EXPECT_EQ(evidence.head.tree_size, kReversal);
    auto report = VerifyInclusionEvidence(evidence);
    ASSERT_TRUE(report.has_value()) << report.error().message();
    EXPECT_EQ(report->sequence, sequence);
    // The same evidence does not fit the later head: its proofs are of the earlier tree.
    InclusionEvidence mixed = evidence;
    mixed.head = head();
    ExpectCorruptionStartingWith(VerifyInclusionEvidence(mixed), InclusionFailure(sequence, kLast));
  }
  auto beyond = BuildInclusionEvidence(ledger(), kReversal + 1, earlier);
  ASSERT_FALSE(beyond.has_value());
  EXPECT_EQ(beyond.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(beyond.error().message(), "event 28 is not in the head's tree of 27 entries");
}

TEST_F(EvidenceTest, MalformedJsonIsRejectedNamingTheField) {
  const json good = json::parse(InclusionEvidenceToJson(Build(kLast)).dump());
  auto expect_invalid = [&](const json& document, const std::string& message) {
    auto parsed = InclusionEvidenceFromJson(document);
    ASSERT_FALSE(parsed.has_value()) << "accepted; expected: " << message;
    EXPECT_EQ(parsed.error().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(parsed.error().message(), message);
  };
  json damaged = good;
  damaged["format"] = "fundtrail-inclusion-proof-2";
  expect_invalid(damaged, "not an inclusion proof: field \"format\" must be \"fundtrail-inclusion-proof-1\"");
  expect_invalid(json::array(), "not an inclusion proof: field \"format\" must be \"fundtrail-inclusion-proof-1\"");
  damaged = good;
  damaged.erase("subject");
  expect_invalid(damaged, "inclusion proof: field \"subject\" is missing");
  damaged = good;
  damaged["signers"] = json::object();
  expect_invalid(damaged, "inclusion proof: field \"signers\" must be an array");
  damaged = good;
  damaged["subject"]["sequence"] = -34;
  expect_invalid(damaged, "inclusion proof: subject: field \"sequence\" must be a whole number");
  damaged = good;
  damaged["subject"]["previous_chain_hash"] = std::string(62, 'a');
  expect_invalid(damaged, "inclusion proof: subject: field \"previous_chain_hash\" must be 64 hex digits");
  damaged = good;
  damaged["signers"][2]["record"] = "xyz";
  expect_invalid(damaged, "inclusion proof: signers[2]: field \"record\" must be hex");
  damaged = good;
  damaged["subject"]["inclusion"][1] = std::string(64, 'g');
  expect_invalid(damaged, "inclusion proof: subject: inclusion[1] must be 64 hex digits");
  damaged = good;
  damaged["head"].erase("root_hash");
  auto parsed = InclusionEvidenceFromJson(damaged);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().message(), "inclusion proof: head: field \"root_hash\" is missing");
}

// ---------------------------------------------------------------------------------------------
// Damaged evidence: every copy fails, and the message names the entry and what did not match.

TEST_F(EvidenceTest, EveryBitOfOneProofHashAndOneBitOfEachIsCaught) {
  const InclusionEvidence good = Build(kLast);
  const size_t proof_size = good.subject.inclusion.size();
  ASSERT_GE(proof_size, 2u);
  const std::string expected = " differs from expected " + test::Hex(head().root_hash);
  auto expect_root_differs = [&](const InclusionEvidence& damaged, uint64_t sequence) {
    auto report = VerifyInclusionEvidence(damaged);
    ExpectCorruptionStartingWith(report, InclusionFailure(sequence, kLast) + "calculated root ");
    if (!report) {
      EXPECT_TRUE(report.error().message().ends_with(expected)) << report.error().message();
    }
  };
  for (size_t bit = 0; bit < 256; ++bit) {
    SCOPED_TRACE("bit " + std::to_string(bit) + " of hash 0");
    InclusionEvidence damaged = good;
    damaged.subject.inclusion[0] = FlipBit(damaged.subject.inclusion[0], bit);
    expect_root_differs(damaged, kLast);
  }
  for (size_t j = 0; j < proof_size; ++j) {
    SCOPED_TRACE("hash " + std::to_string(j));
    InclusionEvidence damaged = good;
    damaged.subject.inclusion[j] = FlipBit(damaged.subject.inclusion[j], (j * 37 + 11) % 256);
    expect_root_differs(damaged, kLast);
  }
  // The proofs of the signer entries are checked as strictly.
  for (const ProvenEntry& signer : good.signers) {
    SCOPED_TRACE("signer entry " + std::to_string(signer.sequence));
    InclusionEvidence damaged = good;
    ProvenEntry& entry = Signer(damaged, signer.sequence);
    entry.inclusion.back() = FlipBit(entry.inclusion.back(), 255);
    expect_root_differs(damaged, signer.sequence);
  }
}

TEST_F(EvidenceTest, ADroppedOrExtraProofHashIsCaught) {
  const InclusionEvidence good = Build(kFinanceNewRegistered);
  const size_t n = good.subject.inclusion.size();
  const std::string where = InclusionFailure(kFinanceNewRegistered, kLast);
  auto wrong_size = [&](size_t got) {
    return where + "wrong proof size " + std::to_string(got) + ", want " + std::to_string(n);
  };
  InclusionEvidence damaged = good;
  damaged.subject.inclusion.pop_back();
  ExpectCorruption(VerifyInclusionEvidence(damaged), wrong_size(n - 1));
  damaged = good;
  damaged.subject.inclusion.erase(damaged.subject.inclusion.begin());
  ExpectCorruption(VerifyInclusionEvidence(damaged), wrong_size(n - 1));
  damaged = good;
  damaged.subject.inclusion.push_back(head().root_hash);
  ExpectCorruption(VerifyInclusionEvidence(damaged), wrong_size(n + 1));
  damaged = good;
  damaged.subject.inclusion.insert(damaged.subject.inclusion.begin() + 1, Digest{});
  ExpectCorruption(VerifyInclusionEvidence(damaged), wrong_size(n + 1));
  damaged = good;
  damaged.subject.inclusion.clear();
  ExpectCorruption(VerifyInclusionEvidence(damaged), wrong_size(0));
  // A signer entry's proof too.
  damaged = good;
  Signer(damaged, 1).inclusion.pop_back();
  ExpectCorruptionStartingWith(VerifyInclusionEvidence(damaged), InclusionFailure(1, kLast) + "wrong proof size ");
}

TEST_F(EvidenceTest, AWrongSequenceIsCaught) {
  const InclusionEvidence good = Build(30);
  InclusionEvidence damaged = good;
  damaged.subject.sequence = kLast;  // the next event of the same submission
  ExpectCorruption(VerifyInclusionEvidence(damaged),
                   "event 31: the event differs from the digest its submission signed");
  damaged.subject.sequence = kFinanceNewRegistered;  // before the submission
  ExpectCorruption(VerifyInclusionEvidence(damaged),
                   "event 29: the submission given (first sequence 30, 2 events) does not hold it");
  damaged.subject.sequence = 32;
  ExpectCorruption(VerifyInclusionEvidence(damaged), "event 32 is not in the head's tree of 31 entries");
  damaged.subject.sequence = 0;
  ExpectCorruption(VerifyInclusionEvidence(damaged), "event 0 is not in the head's tree of 31 entries");
  // A signer entry's sequence.
  damaged = good;
  Signer(damaged, kAdminRegistered).sequence = kAdminRegistered + 1;
  ExpectCorruption(VerifyInclusionEvidence(damaged),
                   "event 12: the event differs from the digest its submission signed");
}

TEST_F(EvidenceTest, EveryChangedByteOfTheRecordIsCaught) {
  const InclusionEvidence good = Build(30);
  const std::string& record = good.subject.record;
  ASSERT_GT(record.size(), kEntryHeaderSizeBytes);
  const std::string stored_chain = test::Hex(DecodeEntry(record)->chain_hash);
  for (size_t offset = 0; offset < record.size(); ++offset) {
    SCOPED_TRACE("record byte " + std::to_string(offset));
    InclusionEvidence damaged = good;
    FlipBit(&damaged.subject.record, offset * 8 + offset % 8);
    auto report = VerifyInclusionEvidence(damaged);
    if (offset == 0) {
      ExpectCorruptionStartingWith(report, "event 30: entry record has format version ");
    } else if (offset < 33) {
      ExpectCorruptionStartingWith(report, "event 30: its chain hash ");
      if (!report) {
        EXPECT_TRUE(report.error().message().ends_with(" differs from the recomputed " + stored_chain));
      }
    } else if (offset < kEntryHeaderSizeBytes) {
      ExpectCorruptionStartingWith(report, "event 30: the entry names submission ");
    } else {
      ExpectCorruption(report, "event 30: the event differs from the digest its submission signed");
    }
  }
}

TEST_F(EvidenceTest, EveryChangedByteOfTheSubmissionIsCaught) {
  const InclusionEvidence good = Build(30);
  auto submission = DecodedSubmission::Open(good.subject.submission, "submission");
  ASSERT_TRUE(submission.has_value());
  auto find = [&](capnp::Data::Reader data) {
    size_t at =
        good.subject.submission.find(std::string_view(reinterpret_cast<const char*>(data.begin()), data.size()));
    EXPECT_NE(at, std::string::npos);
    return at;
  };
  const size_t signature_at = find(submission->root().getSignature());
  const size_t own_digest_at = find(submission->root().getBody().getEventDigests()[0]);
  const size_t other_digest_at = find(submission->root().getBody().getEventDigests()[1]);
  // Any byte: the entry no longer matches its submission, whatever the byte was.
  for (size_t offset = 0; offset < good.subject.submission.size(); ++offset) {
    SCOPED_TRACE("submission byte " + std::to_string(offset));
    InclusionEvidence damaged = good;
    FlipBit(&damaged.subject.submission, offset * 8 + offset % 8);
    ExpectCorruptionStartingWith(VerifyInclusionEvidence(damaged), "event 30");
  }
  // The signature and the other event's digest are bound by the chain hash (h_n hashes the whole
  // submission); the subject's own digest no longer matches its event.
  for (size_t offset : {signature_at, signature_at + 63, other_digest_at + 5}) {
    SCOPED_TRACE("submission byte " + std::to_string(offset));
    InclusionEvidence damaged = good;
    FlipBit(&damaged.subject.submission, offset * 8);
    ExpectCorruptionStartingWith(VerifyInclusionEvidence(damaged), "event 30: its chain hash ");
  }
  InclusionEvidence damaged = good;
  FlipBit(&damaged.subject.submission, own_digest_at * 8 + 3);
  ExpectCorruption(VerifyInclusionEvidence(damaged),
                   "event 30: the event differs from the digest its submission signed");
  // A signer entry given another submission.
  damaged = good;
  Signer(damaged, kAdmin2Registered).submission = good.subject.submission;
  ExpectCorruption(VerifyInclusionEvidence(damaged),
                   "event 28: the submission given (first sequence 30, 2 events) does not hold it");
}

TEST_F(EvidenceTest, AWrongPreviousChainHashIsCaught) {
  InclusionEvidence damaged = Build(kLast);
  damaged.subject.previous_chain_hash = FlipBit(damaged.subject.previous_chain_hash, 77);
  ExpectCorruptionStartingWith(VerifyInclusionEvidence(damaged), "event 31: its chain hash ");
  damaged = Build(kLast);
  Signer(damaged, kAdminRegistered).previous_chain_hash = Digest{};
  ExpectCorruptionStartingWith(VerifyInclusionEvidence(damaged), "event 11: its chain hash ");
  // Before the first event it must be zero.
  damaged = Build(kLast);
  Signer(damaged, 1).previous_chain_hash = FlipBit(Digest{}, 0);
  ExpectCorruption(VerifyInclusionEvidence(damaged), "event 1: the chain hash before the first event must be zero");
}

TEST_F(EvidenceTest, AMissingSignerRegistrationOrGenesisIsCaught) {
  const InclusionEvidence good = Build(kLast);
  auto without = [&](uint64_t sequence) {
    InclusionEvidence damaged = good;
    std::erase_if(damaged.signers, [&](const ProvenEntry& entry) { return entry.sequence == sequence; });
    EXPECT_EQ(damaged.signers.size(), good.signers.size() - 1);
    return damaged;
  };
  const std::string missing = ", whose registration before it the evidence does not include";
  ExpectCorruption(VerifyInclusionEvidence(without(kFinanceNewRegistered)),
                   "the submission at sequence 30 (holding event 31) is signed by key " +
                       test::KeyIdHex(shared_->finance_new) + missing);
  ExpectCorruption(
      VerifyInclusionEvidence(without(kAdmin2Registered)),
      "the submission at sequence 29 (holding event 29) is signed by key " + test::KeyIdHex(shared_->admin2) + missing);
  ExpectCorruption(VerifyInclusionEvidence(without(kAdminRegistered)),
                   "the submission at sequence 28 (holding event 28) is signed by key " +
                       test::KeyIdHex(alliance().admin) + missing);
  ExpectCorruption(
      VerifyInclusionEvidence(without(1)),
      "the evidence lacks the genesis event (sequence 1), which names the operator key that signs the head");
  // Another key's registration in its place does not do.
  InclusionEvidence substituted = good;
  Signer(substituted, kFinanceNewRegistered) = Build(kFinanceUniRegistered).subject;
  ExpectCorruption(VerifyInclusionEvidence(substituted),
                   "the submission at sequence 30 (holding event 31) is signed by key " +
                       test::KeyIdHex(shared_->finance_new) + missing);
  // Nor does the genesis of another ledger (the same alliance under another ledger id): it is not
  // in this head's tree.
  InclusionEvidence foreign = good;
  auto other =
      BuildInclusionEvidence(other_ledger(), 1, test::SignedHeadAt(other_ledger(), kLast, alliance().operator_key, 0));
  ASSERT_TRUE(other.has_value()) << other.error().message();
  Signer(foreign, 1) = other->subject;
  ExpectCorruptionStartingWith(VerifyInclusionEvidence(foreign), InclusionFailure(1, kLast));
}

// A log the operator forged whole: the genesis submission re-signed for `ledger_id`, with every
// entry, the tree and a head (of the genesis's ledger id) recomputed and signed by the operator.
// Evidence of event `subject` in it, with the genesis entry as its signer.
InclusionEvidence ForgedGenesisEvidence(const Ledger& ledger, const PrivateKey& operator_key,
                                        const std::string& ledger_id, uint64_t subject) {
  auto stored = DecodedSubmission::Open(*ledger.ReadSubmission(1), "genesis submission");
  EXPECT_TRUE(stored.has_value());
  capnp::MallocMessageBuilder message;
  message.setRoot(stored->root());
  auto builder = message.getRoot<schema::Submission>();
  builder.getBody().setLedgerId(capnp::Data::Reader(reinterpret_cast<const capnp::byte*>(ledger_id.data()),
                                                    ledger_id.size()));
  const std::string signature =
      operator_key.Sign(AsBytes(SignedMessage(CanonicalBytes(builder.getBody().asReader()))));
  builder.setSignature(capnp::Data::Reader(reinterpret_cast<const capnp::byte*>(signature.data()), signature.size()));
  const std::string submission = CanonicalBytes(builder.asReader());
  const Digest submission_digest = SubmissionDigest(submission);

  const uint64_t count = builder.getBody().getEventCount();
  std::vector<std::string> records, leaves;
  std::vector<Digest> chain = {Digest{}};
  for (uint64_t n = 1; n <= count; ++n) {
    const std::string canonical(DecodeEntry(ledger.ReadEntry(n)->record)->canonical_event);
    chain.push_back(ChainHash(chain.back(), n, submission_digest, EventDigest(canonical)));
    records.push_back(EncodeEntry(chain.back(), 1, canonical));
    leaves.push_back("FTLEAF01" + std::string(reinterpret_cast<const char*>(chain.back().data()), chain.back().size()));
  }
  TreeHead head;
  head.ledger_id = ledger.ledger_id();  // what the genesis event names
  head.tree_size = count;
  head.root_hash = merkle_reference::Mth(leaves);
  head.chain_hash = chain.back();
  head.timestamp_micros = kHeadTimestampMicros;
  SignTreeHead(operator_key, &head);
  auto proven = [&](uint64_t n) {
    return ProvenEntry{n, chain[n - 1], submission, records[n - 1], merkle_reference::Path(n - 1, leaves)};
  };
  InclusionEvidence evidence;
  evidence.head = head;
  evidence.subject = proven(subject);
  evidence.signers = {proven(1)};
  return evidence;
}

// The writer (Ledger::Create, Append) and a replay refuse a submission signed for another ledger;
// so does inclusion evidence, whose tree the operator may have forged (FORMAT.md section 9).
TEST_F(EvidenceTest, ASubmissionSignedForAnotherLedgerIsRefused) {
  // The forgery's arithmetic is right: with the ledger's own id it verifies.
  auto honest = VerifyInclusionEvidence(
      ForgedGenesisEvidence(ledger(), alliance().operator_key, ledger().ledger_id(), kAdminRegistered));
  ASSERT_TRUE(honest.has_value()) << honest.error().message();
  const std::string other = test::Unhex("ffeeddccbbaa99887766554433221100");
  ExpectCorruption(
      VerifyInclusionEvidence(ForgedGenesisEvidence(ledger(), alliance().operator_key, other, kAdminRegistered)),
      "the submission at sequence 1 (holding event 11) was signed for ledger ffeeddccbbaa99887766554433221100, "
      "the head is of ledger " + test::Hex(ledger().ledger_id()));
}

TEST_F(EvidenceTest, AWrongHeadIsCaught) {
  const InclusionEvidence good = Build(kLast);
  const PrivateKey& operator_key = alliance().operator_key;
  const std::string root = test::Hex(head().root_hash);
  auto with_head = [&](const TreeHead& other) {
    InclusionEvidence damaged = good;
    damaged.head = other;
    return VerifyInclusionEvidence(damaged);
  };
  // Another root, signed by the operator: the proofs lead to the true root.
  TreeHead other_root = head();
  other_root.root_hash = FlipBit(other_root.root_hash, 100);
  SignTreeHead(operator_key, &other_root);
  ExpectCorruption(with_head(other_root), InclusionFailure(kLast, kLast) + "calculated root " + root +
                                              " differs from expected " + test::Hex(other_root.root_hash));
  // Another size: a true head of the ledger, but the proofs are of the tree of 31 entries.
  ExpectCorruption(with_head(test::SignedHeadAt(ledger(), kLast - 1, operator_key, kHeadTimestampMicros)),
                   "event 31 is not in the head's tree of 30 entries");
  InclusionEvidence earlier_subject = Build(20);
  earlier_subject.head = test::SignedHeadAt(ledger(), kLast - 1, operator_key, kHeadTimestampMicros);
  ExpectCorruptionStartingWith(VerifyInclusionEvidence(earlier_subject), InclusionFailure(20, kLast - 1));
  // Unsigned, signed by another key, or altered after signing.
  TreeHead unsigned_head = head();
  unsigned_head.signature.clear();
  unsigned_head.key_id.clear();
  ExpectCorruption(with_head(unsigned_head), "head: the head is not signed");
  TreeHead admin_signed = head();
  SignTreeHead(alliance().admin, &admin_signed);
  ExpectCorruption(with_head(admin_signed), "head: the head is signed by key " + test::KeyIdHex(alliance().admin) +
                                                ", not by the ledger's operator key " + test::KeyIdHex(operator_key));
  TreeHead altered = head();
  altered.timestamp_micros += 1;
  ExpectCorruption(with_head(altered), "head: the head's signature does not verify with the operator key");
  // The head of another ledger (same keys, same events, another ledger id): another root.
  const TreeHead other_ledger_head = test::SignedHeadAt(other_ledger(), kLast, operator_key, kHeadTimestampMicros);
  ExpectCorruption(with_head(other_ledger_head), InclusionFailure(kLast, kLast) + "calculated root " + root +
                                                     " differs from expected " +
                                                     test::Hex(other_ledger_head.root_hash));
  // ... and this ledger's tree under the other ledger's id.
  TreeHead renamed = head();
  renamed.ledger_id = other_ledger().ledger_id();
  SignTreeHead(operator_key, &renamed);
  ExpectCorruption(with_head(renamed),
                   "the head is for ledger ffeeddccbbaa99887766554433221100, the genesis for ledger " +
                       test::Hex(alliance().ledger_id));
}

}  // namespace
}  // namespace fundtrail
