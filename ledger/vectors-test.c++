// Golden vectors for independent verifiers: tests/vectors/format-v2.json and format-v3.json, the
// same ledger written without and with the views commitment (fields explained in
// tests/vectors/README.md, cited by docs/FORMAT.md); format-v1.json, kept unchanged;
// format-v4.json, the ledger of format 3 at validation version 4 with the events and fields that
// version added. The store writes formats 2 and 4; format 3 is what it wrote before version 4.
//
// The test builds a small ledger deterministically (keys from fixed seeds, a fixed ledger id,
// fixed clocks; Ed25519 signatures are deterministic) and checks that every byte string and hash
// in the file is what this code produces, that the store writes exactly those bytes, that the
// hashes recompute from the formulas alone, and that damaged copies fail verification.
//
// The file changes only on purpose. After an intended format change, regenerate it with
//   FUNDTRAIL_REGENERATE_VECTORS=1 ledger_tests --gtest_filter='*FormatVectorsTest.*'
// and review the diff: every existing verifier breaks on such a change.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstdlib>
#include <fstream>
#include <functional>

#include "ledger/input_rules.h"
#include "ledger/json_codec.h"
#include "ledger/replayer.h"
#include "ledger/store.h"
#include "ledger/submission.h"
#include "ledger/test_util.h"
#include "ledger/validator.h"
// The views' fold is the projections' code, but pure (no RocksDB): format 3 commits its digest.
#include "projections/views_fold.h"

#ifndef FUNDTRAIL_SOURCE_DIR
#error "FUNDTRAIL_SOURCE_DIR must name the source tree (set in ledger/CMakeLists.txt)"
#endif

namespace fundtrail {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

const std::string kVectorsPath = std::string(FUNDTRAIL_SOURCE_DIR) + "/tests/vectors/format-v2.json";
// The vectors of format 1, written before submissions recorded their validation version and
// state digest: kept unchanged, they must still verify.
const std::string kVectorsV1Path = std::string(FUNDTRAIL_SOURCE_DIR) + "/tests/vectors/format-v1.json";
// Format 3: every submission after the genesis also commits the views' digest.
const std::string kVectorsV3Path = std::string(FUNDTRAIL_SOURCE_DIR) + "/tests/vectors/format-v3.json";
// Validation version 4: format 3's ledger at version 4, then a budget adjustment by the fund
// manager with the funder's reference, a foreign payment with its invoice total, a termination.
const std::string kVectorsV4Path = std::string(FUNDTRAIL_SOURCE_DIR) + "/tests/vectors/format-v4.json";
const std::string kLedgerIdHex = "00112233445566778899aabbccddeeff";
constexpr int64_t kCreatedAtMicros = 1767225600000000;  // 2026-01-01T00:00:00Z, +1 s per submission
constexpr int64_t kAppendedAtMicros = 1767225600500000;  // half a second later
constexpr int64_t kStepMicros = 1000000;

struct VectorKey {
  std::string name;
  std::string seed_hex;  // RFC 8032 secret key
};

// Seeds are 32 repeated bytes, so that anyone can retype them.
const std::vector<VectorKey> kKeys = {
    {"operator", std::string(64, '1')},      {"admin", std::string(64, '2')},
    {"funder", std::string(64, '3')},        {"fund_manager", std::string(64, '4')},
    {"finance_university", std::string(64, '5')},
};

struct VectorSubmission {
  std::string signer;
  std::string submission_id;
  std::vector<json> events;
};

constexpr char kSecretariat[] = "91350100M000100Y43";
constexpr char kUniversity[] = "12100000400000624D";
constexpr char kFunder[] = "MOST-PROGRAMME";
constexpr char kFundManager[] = "FM-TRUST";

// The submissions of version 4's events (format 4 only), after those of every format.
std::vector<VectorSubmission> Version4Submissions() {
  json adjusted = {{"type", "budget_adjusted"},
                   {"grant_id", "G-2026-01"},
                   {"lines", json::array({{{"category", "equipment"}, {"amount", "600000.00 CNY"}},
                                          {{"category", "materials"}, {"amount", "400000.00 CNY"}}})},
                   {"approved_by", "联盟资金管理办公室"},
                   {"funder_approval_reference", "国科高发计字〔2026〕3号"},
                   {"date", "2026-01-10"}};
  json foreign = test::ExpenditureJson("G-2026-01", kUniversity, "V-1", "726.22 CNY");
  foreign["invoice_number"] = "INV-2026-0003";
  foreign["original_amount"] = "100.00 USD";
  foreign["exchange_rate"] = "7.2622";
  foreign["invoice_total"] = "250.00 USD";
  json terminated = {{"type", "grant_terminated"},
                     {"grant_id", "G-2026-01"},
                     {"date", "2026-01-31"},
                     {"reason", "中期评估不合格"}};
  return {{"fund_manager", "adjust-1", {adjusted}},
          {"finance_university", "finance-3", {foreign}},
          {"funder", "terminate-1", {terminated}}};
}

std::vector<VectorSubmission> Submissions(const std::map<std::string, PrivateKey>& keys) {
  auto raw_hex = [&](const std::string& name) { return test::Hex(keys.at(name).public_key().raw()); };
  json expert = test::ExpenditureJson("G-2026-01", kUniversity, "V-1", "3600.00 CNY");
  expert["category"] = "expert_consultation";
  expert["invoice_number"] = "INV-2026-0002";
  expert["description"] = "专家咨询费";
  expert["expert_name"] = "陈明";
  expert["expert_days"] = 2;
  expert["expert_is_academician"] = true;
  json disbursed = test::FundsDisbursedJson("G-2026-01", kUniversity, "400000.00 CNY");
  disbursed["task_id"] = "T-1";
  disbursed["reference"] = "PAY-0001";
  return {
      {"operator",
       "genesis",
       {{{"type", "ledger_genesis"},
         {"ledger_id", kLedgerIdHex},
         {"alliance_id", "ALLIANCE-PB"},
         {"alliance_name", "动力电池产业技术创新战略联盟"},
         {"alliance_name_en", "Power Battery Alliance"},
         {"operator_public_key", raw_hex("operator")},
         {"date", "2026-01-01"}},
        test::OrganisationJson(kSecretariat, "联盟秘书处", "other"),
        test::OrganisationJson(kUniversity, "华东理工大学", "university"),
        test::OrganisationJson(kFunder, "科技部项目办", "other"),
        test::OrganisationJson(kFundManager, "联盟资金托管单位", "other"),
        test::MemberAdmittedJson(kUniversity, "2026-01-01"),
        test::KeyRegisteredJson(keys.at("admin"), kSecretariat, {"admin"}),
        test::KeyRegisteredJson(keys.at("funder"), kFunder, {"funder"}),
        test::KeyRegisteredJson(keys.at("fund_manager"), kFundManager, {"fund_manager"}),
        test::KeyRegisteredJson(keys.at("finance_university"), kUniversity, {"member_finance"})}},
      {"admin",
       "setup-1",
       {test::ProjectJson("P-1"), test::VendorJson("V-1"), test::TaskJson("T-1", "P-1", kUniversity)}},
      {"funder", "award-G-2026-01", {test::GrantJson("G-2026-01", kFunder, "P-1", 100000000)}},
      {"fund_manager", "payments-1", {test::FundsReceivedJson("G-2026-01", "500000.00 CNY"), disbursed}},
      {"finance_university",
       "finance-1",
       {test::ExpenditureJson("G-2026-01", kUniversity, "V-1", "48000.00 CNY"), expert,
        test::RefundJson("G-2026-01", kUniversity, "100.00 CNY")}},
      {"finance_university", "finance-2", {test::ReversalJson(18, "the consultation was invoiced twice")}},
  };
}

std::string Sha256Of(std::initializer_list<std::string_view> parts) {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  EVP_DigestInit_ex(context, EVP_sha256(), nullptr);
  for (std::string_view part : parts) EVP_DigestUpdate(context, part.data(), part.size());
  unsigned char digest[32];
  unsigned int size = 0;
  EVP_DigestFinal_ex(context, digest, &size);
  EVP_MD_CTX_free(context);
  return std::string(reinterpret_cast<const char*>(digest), size);
}

std::string BigEndian64(uint64_t value) {
  std::string bytes(8, '\0');
  for (int i = 7; i >= 0; --i, value >>= 8) bytes[i] = static_cast<char>(value & 0xff);
  return bytes;
}

// The stored submission record, as Ledger::Append makes it: of `validation_version` when it
// commits the views, else (the genesis, and every submission of format 2) of version 2.
std::string StoredSubmission(const SignedSubmission& signed_submission, uint64_t first_sequence,
                             int64_t appended_at_micros, const Digest& state_digest,
                             const std::optional<Digest>& views_digest, uint16_t validation_version) {
  auto body = DecodedSubmissionBody::Open(signed_submission.canonical_body, "body");
  FT_ASSERT(body.has_value());
  capnp::MallocMessageBuilder message;
  auto stored = message.initRoot<schema::Submission>();
  stored.setBody(body->root());
  stored.setSignature(capnp::Data::Reader(reinterpret_cast<const capnp::byte*>(signed_submission.signature.data()),
                                          signed_submission.signature.size()));
  stored.setFirstSequence(first_sequence);
  stored.setAppendedAt(appended_at_micros);
  stored.setValidationVersion(views_digest ? validation_version : kValidationVersionWithoutViews);
  stored.setStateDigest(capnp::Data::Reader(state_digest.data(), state_digest.size()));
  if (views_digest) {
    stored.setViewsVersion(projections::kViewsFoldVersion);
    stored.setViewsDigest(capnp::Data::Reader(views_digest->data(), views_digest->size()));
  }
  return CanonicalBytes(stored.asReader());
}

// The same tests over format 2 (no views commitment), format 3 (with it) and format 4 (format 3 at
// validation version 4, with its events); GetParam() is the format.
class FormatVectorsTest : public ::testing::TestWithParam<int> {
 protected:
  FormatVectorsTest()
      : views_(GetParam() >= 3),
        path_(GetParam() >= 4 ? kVectorsV4Path : GetParam() >= 3 ? kVectorsV3Path : kVectorsPath),
        validation_version_(GetParam() >= 4   ? kValidationVersionEvents
                            : GetParam() >= 3 ? kValidationVersionViews
                                              : kValidationVersionWithoutViews) {
    for (const auto& key : kKeys) {
      keys_.emplace(key.name, test::KeyFromSeed(test::Unhex(key.seed_hex), directory_.File(key.name + ".pem")));
    }
    submissions_ = Submissions(keys_);
    if (GetParam() >= 4) {
      for (auto& submission : Version4Submissions()) submissions_.push_back(std::move(submission));
    }
    for (size_t i = 0; i < submissions_.size(); ++i) {
      const auto& submission = submissions_[i];
      std::vector<std::string> events;
      for (const auto& event : submission.events) events.push_back(test::MustEncode(event));
      signed_.push_back(SignSubmission(keys_.at(submission.signer), test::Unhex(kLedgerIdHex),
                                       submission.submission_id, kCreatedAtMicros + i * kStepMicros, events));
    }
  }

  // The whole vectors document, computed with the library.
  ordered_json Generate() {
    ordered_json document;
    document["format"] = "fundtrail format vectors, version 1";
    document["about"] =
        "A small ledger built deterministically. Every hex string is the exact bytes; see "
        "tests/vectors/README.md and docs/FORMAT.md.";
    document["regenerate"] =
        "FUNDTRAIL_REGENERATE_VECTORS=1 ledger_tests --gtest_filter='*FormatVectorsTest.*' (ledger/vectors-test.c++)";
    document["domain_tags"] = {{"event_digest", "FTEVENT1"},
                               {"signed_message", "FTSIGN01"},
                               {"submission_digest", "FTSUBMT1"},
                               {"chain_hash", "FTCHAIN1"},
                               {"key_id", "FTKEYID1"}};
    if (views_) document["domain_tags"]["views_digest"] = "FTVIEWS1";
    document["ledger_id"] = kLedgerIdHex;
    document["keys"] = ordered_json::array();
    for (const auto& key : kKeys) {
      const PublicKey& public_key = keys_.at(key.name).public_key();
      document["keys"].push_back({{"name", key.name},
                                  {"seed", key.seed_hex},
                                  {"public_key", test::Hex(public_key.raw())},
                                  {"key_id", test::Hex(public_key.key_id())}});
    }
    document["submissions"] = ordered_json::array();
    Digest head{};
    uint64_t sequence = 0;
    // The validation state after each submission, for its state digest.
    LedgerState state;
    test::MemoryEventLookup lookup;
    Validator validator(&state, &lookup);
    validator.set_validation_version(validation_version_);
    // The views after each submission, for format 3's views digest.
    projections::ViewsFold views;
    for (size_t i = 0; i < signed_.size(); ++i) {
      const SignedSubmission& signed_submission = signed_[i];
      const uint64_t first = sequence + 1;
      const int64_t appended_at = kAppendedAtMicros + static_cast<int64_t>(i) * kStepMicros;
      const std::string key_id_hex = test::Hex(keys_.at(submissions_[i].signer).public_key().key_id());
      views.Begin();
      for (size_t k = 0; k < signed_submission.canonical_events.size(); ++k) {
        const std::string& canonical = signed_submission.canonical_events[k];
        lookup.Add(first + k, canonical, key_id_hex);
        auto decoded = DecodedEvent::Open(canonical, "event");
        FT_ASSERT(decoded.has_value());
        FT_ASSERT(validator.Apply(first + k, key_id_hex, first == 1, decoded->root()).ok());
        FT_ASSERT(views.Apply(first + k, decoded->root(), &lookup).ok());
      }
      const Digest state_digest = state.ComputeDigest();
      // The genesis is appended as a ledger is created, before any views' fold is attached.
      std::optional<Digest> views_digest;
      if (views_ && i > 0) views_digest = views.StateDigest();
      std::string stored =
          StoredSubmission(signed_submission, first, appended_at, state_digest, views_digest, validation_version_);
      Digest submission_digest = SubmissionDigest(stored);
      ordered_json record;
      record["submission_id"] = submissions_[i].submission_id;
      record["signer"] = submissions_[i].signer;
      record["key_id"] = test::Hex(keys_.at(submissions_[i].signer).public_key().key_id());
      record["created_at"] = kCreatedAtMicros + static_cast<int64_t>(i) * kStepMicros;
      record["appended_at"] = appended_at;
      record["first_sequence"] = first;
      record["body_canonical"] = test::Hex(signed_submission.canonical_body);
      record["signature"] = test::Hex(signed_submission.signature);
      record["validation_version"] = views_digest ? validation_version_ : kValidationVersionWithoutViews;
      record["state_digest"] = test::Hex(state_digest);
      if (views_digest) {
        record["views_version"] = projections::kViewsFoldVersion;
        record["views_json"] = views.views().CommittedJson();
        record["views_digest"] = test::Hex(*views_digest);
      }
      record["submission_canonical"] = test::Hex(stored);
      record["submission_digest"] = test::Hex(submission_digest);
      record["events"] = ordered_json::array();
      for (const std::string& canonical : signed_submission.canonical_events) {
        ++sequence;
        auto decoded = DecodedEvent::Open(canonical, "event");
        FT_ASSERT(decoded.has_value());
        Digest event_digest = EventDigest(canonical);
        head = ChainHash(head, sequence, submission_digest, event_digest);
        record["events"].push_back({{"sequence", sequence},
                                    {"json", EncodeEventJson(decoded->root())},
                                    {"canonical", test::Hex(canonical)},
                                    {"event_digest", test::Hex(event_digest)},
                                    {"chain_hash", test::Hex(head)},
                                    {"entry_record", test::Hex(EncodeEntry(head, first, canonical))}});
      }
      views.Commit(sequence, head);
      document["submissions"].push_back(record);
    }
    document["head"] = {{"sequence", sequence}, {"chain_hash", test::Hex(head)}, {"submission_count", signed_.size()}};
    return document;
  }

  json Load() {
    std::ifstream file(path_);
    EXPECT_TRUE(file.good()) << "cannot read " << path_ << "; create it with FUNDTRAIL_REGENERATE_VECTORS=1";
    if (!file) return nullptr;
    json document = json::parse(file, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(document.is_discarded()) << path_ << " is not valid JSON";
    return document;
  }

  // Replays the vectors' stored submissions and entries (possibly damaged) with the verifier core,
  // and, with `views`, folds the views and compares each commitment.
  Status Replay(const json& document, Digest* head = nullptr, CommittedFold* views = nullptr) {
    test::MemoryEventLookup lookup;
    for (const auto& submission : document["submissions"]) {
      for (const auto& event : submission["events"]) {
        lookup.Add(event["sequence"], test::Unhex(event["canonical"].get<std::string>()), submission["key_id"]);
      }
    }
    Replayer replayer(&lookup);
    replayer.set_fold(views);
    for (const auto& submission : document["submissions"]) {
      FT_RETURN_IF_ERROR(replayer.BeginSubmission(test::Unhex(submission["submission_canonical"].get<std::string>())));
      for (const auto& event : submission["events"]) {
        FT_RETURN_IF_ERROR(replayer.AddEntry(event["sequence"], test::Unhex(event["entry_record"].get<std::string>())));
      }
      FT_RETURN_IF_ERROR(replayer.EndSubmission());
    }
    if (head != nullptr) *head = replayer.head();
    return Status::Ok();
  }

  // Changes stored submission `index` of `document` with `edit`, then recomputes every entry's
  // chain hash, so that the edit is the only thing wrong.
  static void EditStored(json& document, size_t index, const std::function<void(schema::Submission::Builder)>& edit) {
    json& submission = document["submissions"][index];
    auto stored = DecodedSubmission::Open(test::Unhex(submission["submission_canonical"].get<std::string>()), "stored");
    FT_ASSERT(stored.has_value());
    capnp::MallocMessageBuilder message;
    message.setRoot(stored->root());
    auto builder = message.getRoot<schema::Submission>();
    edit(builder);
    submission["submission_canonical"] = test::Hex(CanonicalBytes(builder.asReader()));
    Digest head{};
    for (auto& each : document["submissions"]) {
      Digest submission_digest = SubmissionDigest(test::Unhex(each["submission_canonical"].get<std::string>()));
      for (auto& event : each["events"]) {
        std::string canonical = test::Unhex(event["canonical"].get<std::string>());
        head = ChainHash(head, event["sequence"], submission_digest, EventDigest(canonical));
        event["entry_record"] = test::Hex(EncodeEntry(head, each["first_sequence"], canonical));
      }
    }
  }

  const bool views_;          // format 3: submissions after the genesis commit the views
  const std::string path_;    // the vectors file of the format
  const uint16_t validation_version_;  // of the submissions that commit the views
  test::TempDir directory_;
  std::map<std::string, PrivateKey> keys_;
  std::vector<VectorSubmission> submissions_;
  std::vector<SignedSubmission> signed_;
};

TEST_P(FormatVectorsTest, FileMatchesTheImplementation) {
  ordered_json generated = Generate();
  if (const char* regenerate = std::getenv("FUNDTRAIL_REGENERATE_VECTORS"); regenerate && std::string(regenerate) == "1") {
    std::ofstream file(path_);
    ASSERT_TRUE(file.good()) << "cannot write " << path_;
    file << generated.dump(2) << "\n";
    ASSERT_TRUE(file.good());
    std::cout << "[ vectors  ] wrote " << path_ << "\n";
  }
  json expected = Load();
  ASSERT_FALSE(expected.is_null());
  json actual = json::parse(generated.dump());
  // A JSON Patch from the file to what the code produces names every differing field.
  json difference = json::diff(expected, actual);
  EXPECT_TRUE(difference.empty()) << "the format changed; differences (file -> code):\n"
                                  << difference.dump(2).substr(0, 4000);
}

TEST_P(FormatVectorsTest, HashesRecomputeFromTheFormulasAlone) {
  // Only OpenSSL and the documented formulas, from the file's bytes: what an independent verifier
  // does.
  json document = Load();
  ASSERT_FALSE(document.is_null());
  for (const auto& key : document["keys"]) {
    EXPECT_EQ(test::Hex(Sha256Of({"FTKEYID1", test::Unhex(key["public_key"].get<std::string>())})).substr(0, 32),
              key["key_id"]);
  }
  std::string previous(32, '\0');
  uint64_t sequence = 0;
  for (const auto& submission : document["submissions"]) {
    std::string stored = test::Unhex(submission["submission_canonical"].get<std::string>());
    std::string submission_digest = Sha256Of({"FTSUBMT1", stored});
    EXPECT_EQ(test::Hex(submission_digest), submission["submission_digest"]);
    // The stored record holds the signed body verbatim.
    std::string body = test::Unhex(submission["body_canonical"].get<std::string>());
    auto decoded = DecodedSubmission::Open(stored, "submission");
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(CanonicalBytes(decoded->root().getBody()), body);
    EXPECT_EQ(decoded->root().getFirstSequence(), submission["first_sequence"].get<uint64_t>());
    EXPECT_EQ(decoded->root().getAppendedAt(), submission["appended_at"].get<int64_t>());
    EXPECT_EQ(decoded->root().getBody().getCreatedAt(), submission["created_at"].get<int64_t>());
    EXPECT_EQ(std::string(decoded->root().getBody().getSubmissionId().cStr()), submission["submission_id"]);
    // The signature is over "FTSIGN01" || body, by the key the body names.
    std::string public_key;
    for (const auto& key : document["keys"]) {
      if (key["key_id"] == submission["key_id"]) public_key = test::Unhex(key["public_key"].get<std::string>());
    }
    ASSERT_EQ(public_key.size(), 32u);
    EVP_PKEY* key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                                reinterpret_cast<const unsigned char*>(public_key.data()), 32);
    ASSERT_NE(key, nullptr);
    EVP_MD_CTX* context = EVP_MD_CTX_new();
    std::string message = "FTSIGN01" + body;
    std::string signature = test::Unhex(submission["signature"].get<std::string>());
    EXPECT_EQ(EVP_DigestVerifyInit(context, nullptr, nullptr, nullptr, key), 1);
    EXPECT_EQ(EVP_DigestVerify(context, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                               reinterpret_cast<const unsigned char*>(message.data()), message.size()),
              1)
        << submission["submission_id"];
    EVP_MD_CTX_free(context);
    EVP_PKEY_free(key);

    auto digests = decoded->root().getBody().getEventDigests();
    ASSERT_EQ(digests.size(), submission["events"].size());
    ASSERT_EQ(decoded->root().getBody().getEventCount(), submission["events"].size());
    size_t index = 0;
    for (const auto& event : submission["events"]) {
      ++sequence;
      EXPECT_EQ(event["sequence"].get<uint64_t>(), sequence);
      std::string canonical = test::Unhex(event["canonical"].get<std::string>());
      std::string event_digest = Sha256Of({"FTEVENT1", canonical});
      EXPECT_EQ(test::Hex(event_digest), event["event_digest"]);
      EXPECT_EQ(test::Hex(std::string(reinterpret_cast<const char*>(digests[index].begin()), digests[index].size())),
                event["event_digest"]);
      std::string chain = Sha256Of({"FTCHAIN1", previous, BigEndian64(sequence), submission_digest, event_digest});
      EXPECT_EQ(test::Hex(chain), event["chain_hash"]) << "sequence " << sequence;
      // Entry record: version 1, chain hash, be64 first sequence of the submission, event.
      EXPECT_EQ(event["entry_record"], "01" + test::Hex(chain) +
                                           test::Hex(BigEndian64(submission["first_sequence"].get<uint64_t>())) +
                                           event["canonical"].get<std::string>());
      // The JSON form encodes to exactly the canonical bytes.
      auto encoded = EncodeEvent(event["json"]);
      ASSERT_TRUE(encoded.has_value()) << encoded.error().message();
      EXPECT_EQ(test::Hex(*encoded), event["canonical"]);
      previous = chain;
      ++index;
    }
    if (!submission.contains("views_digest")) {
      EXPECT_FALSE(decoded->root().hasViewsDigest());
      continue;
    }
    // Format 3: the views digest is SHA-256("FTVIEWS1" || be16(version) || J), in the record.
    const uint16_t version = submission["views_version"];
    const std::string version_bytes{static_cast<char>(version >> 8), static_cast<char>(version & 0xff)};
    std::string views_digest = Sha256Of({"FTVIEWS1", version_bytes, submission["views_json"].get<std::string>()});
    EXPECT_EQ(test::Hex(views_digest), submission["views_digest"]);
    EXPECT_EQ(decoded->root().getValidationVersion(), submission["validation_version"].get<uint16_t>());
    EXPECT_EQ(decoded->root().getViewsVersion(), version);
    EXPECT_EQ(test::Hex(std::string(reinterpret_cast<const char*>(decoded->root().getViewsDigest().begin()),
                                    decoded->root().getViewsDigest().size())),
              submission["views_digest"]);
  }
  EXPECT_EQ(document["head"]["sequence"].get<uint64_t>(), sequence);
  EXPECT_EQ(document["head"]["chain_hash"], test::Hex(previous));
  EXPECT_EQ(document["head"]["submission_count"].get<size_t>(), document["submissions"].size());
}

// The store writes formats 2 and 4 (validation version 4 since it exists); format 3's vectors are
// what it wrote before, and keep verifying (the other tests).
using StoreVectorsTest = FormatVectorsTest;

TEST_P(StoreVectorsTest, TheStoreWritesExactlyTheseBytes) {
  json document = Load();
  ASSERT_FALSE(document.is_null());
  // One clock reading per append: the appended_at of each submission in turn.
  test::FixedClock clock(kAppendedAtMicros, kStepMicros);
  auto created = Ledger::Create(directory_.File("ledger"), signed_[0], &clock);
  ASSERT_TRUE(created.has_value()) << created.error().message();
  Ledger& ledger = **created;
  if (views_) {
    // As a fundtrail command's writer: the views' fold, as of the genesis, attached.
    auto fold = std::make_unique<projections::ViewsFold>();
    test::MemoryEventLookup lookup;
    fold->Begin();
    for (size_t k = 0; k < signed_[0].canonical_events.size(); ++k) {
      auto decoded = DecodedEvent::Open(signed_[0].canonical_events[k], "genesis event");
      ASSERT_TRUE(decoded.has_value());
      ASSERT_TRUE(fold->Apply(k + 1, decoded->root(), &lookup).ok());
    }
    fold->Commit(ledger.head().sequence, ledger.head().chain_hash);
    ledger.SetViewsFold(std::move(fold));
  }
  for (size_t i = 1; i < signed_.size(); ++i) {
    size_t failed = 0;
    auto receipt = ledger.Append(signed_[i], &failed);
    ASSERT_TRUE(receipt.has_value()) << receipt.error().message();
  }
  for (const auto& submission : document["submissions"]) {
    uint64_t first = submission["first_sequence"];
    auto stored = ledger.ReadSubmission(first);
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(test::Hex(*stored), submission["submission_canonical"]) << "submission at " << first;
    for (const auto& event : submission["events"]) {
      auto entry = ledger.ReadEntry(event["sequence"]);
      ASSERT_TRUE(entry.has_value());
      EXPECT_EQ(test::Hex(entry->record), event["entry_record"]) << "sequence " << event["sequence"];
    }
  }
  EXPECT_EQ(ledger.head().sequence, document["head"]["sequence"].get<uint64_t>());
  EXPECT_EQ(test::Hex(ledger.head().chain_hash), document["head"]["chain_hash"]);
  EXPECT_EQ(ledger.head().submission_count, document["head"]["submission_count"].get<uint64_t>());
  projections::ViewsFold views;
  uint64_t views_checked = 0;
  Status verified = ledger.Verify(nullptr, nullptr, &views, &views_checked);
  EXPECT_TRUE(verified.ok()) << verified.message();
  EXPECT_EQ(views_checked, views_ ? signed_.size() - 1 : 0);
}

TEST_P(FormatVectorsTest, TheVerifierCoreReplaysThem) {
  json document = Load();
  ASSERT_FALSE(document.is_null());
  Digest head{};
  projections::ViewsFold views;
  Status replayed = Replay(document, &head, &views);
  ASSERT_TRUE(replayed.ok()) << replayed.message();
  EXPECT_EQ(test::Hex(head), document["head"]["chain_hash"]);
}

// Format 1's vectors, unchanged since before submissions committed a validation version and a
// state digest: ledgers written then still verify, under validation version 1.
TEST_P(FormatVectorsTest, Format1VectorsStillVerify) {
  std::ifstream file(kVectorsV1Path);
  ASSERT_TRUE(file.good()) << "cannot read " << kVectorsV1Path;
  json document = json::parse(file, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(document.is_discarded());
  Digest head{};
  Status replayed = Replay(document, &head);
  ASSERT_TRUE(replayed.ok()) << replayed.message();
  EXPECT_EQ(test::Hex(head), document["head"]["chain_hash"]);
  for (const auto& submission : document["submissions"]) {
    auto stored = DecodedSubmission::Open(test::Unhex(submission["submission_canonical"].get<std::string>()), "v1");
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(ValidationVersionOf(stored->root()), 1);
    EXPECT_FALSE(stored->root().hasStateDigest());
  }
}

// A state digest that is not the replay's fails, naming the submission.
TEST_P(FormatVectorsTest, AWrongStateDigestFails) {
  json document = Load();
  ASSERT_FALSE(document.is_null());
  // The chain hashes change with the submission digest; EditStored recomputes them so that only
  // the state digest is wrong.
  EditStored(document, 2, [](schema::Submission::Builder builder) {
    Digest wrong{};
    wrong[0] = 1;
    builder.setStateDigest(capnp::Data::Reader(wrong.data(), wrong.size()));
  });
  Status replayed = Replay(document);
  ASSERT_EQ(replayed.code(), StatusCode::kCorruption) << replayed.message();
  EXPECT_NE(replayed.message().find("commits the validation state digest"), std::string::npos) << replayed.message();
}

// Format 3: a views digest that is not the fold's fails a replay that folds, naming the
// submission; a replay without the fold checks only its presence and size. Format 2 vectors have
// none to change, and a version 3 record without one is refused.
TEST_P(FormatVectorsTest, AWrongOrMissingViewsDigestFails) {
  json document = Load();
  ASSERT_FALSE(document.is_null());
  const json& submission = document["submissions"][3];
  std::string expected;
  // Chain hashes recomputed, so that only the views commitment is wrong.
  EditStored(document, 3, [&](schema::Submission::Builder builder) {
    if (views_) {
      Digest wrong{};
      wrong[5] = 7;
      builder.setViewsDigest(capnp::Data::Reader(wrong.data(), wrong.size()));
      expected = "it commits the views digest";
    } else {
      builder.setValidationVersion(kValidationVersionViews);
      expected = "requires the views' digest and its version";
    }
  });
  projections::ViewsFold views;
  Status replayed = Replay(document, nullptr, &views);
  ASSERT_EQ(replayed.code(), StatusCode::kCorruption) << replayed.message();
  EXPECT_NE(replayed.message().find(expected), std::string::npos) << replayed.message();
  EXPECT_NE(replayed.message().find("submission at sequence " + std::to_string(submission["first_sequence"].get<uint64_t>())),
            std::string::npos)
      << replayed.message();
  if (views_) {
    EXPECT_TRUE(Replay(document).ok());  // without the fold: the log alone verifies
  }
}

// Damaged copies of the vectors: each must fail verification with a Corruption status that
// names where.
TEST_P(FormatVectorsTest, DamagedCopiesFail) {
  const json golden = Load();
  ASSERT_FALSE(golden.is_null());
  ASSERT_TRUE(Replay(golden).ok());
  auto expect_corrupt = [&](const json& damaged, const std::string& message_part, const std::string& what) {
    Status status = Replay(damaged);
    EXPECT_EQ(status.code(), StatusCode::kCorruption) << what << ": " << status.message();
    EXPECT_NE(status.message().find(message_part), std::string::npos) << what << ": " << status.message();
  };
  auto flip = [](std::string hex, size_t byte, uint8_t mask) {
    std::string raw = test::Unhex(hex);
    raw[byte] ^= static_cast<char>(mask);
    return test::Hex(raw);
  };

  // Every entry: a bit flipped in the version, the chain hash, the submission sequence, and in
  // the first, a middle and the last byte of the event.
  for (size_t s = 0; s < golden["submissions"].size(); ++s) {
    for (size_t e = 0; e < golden["submissions"][s]["events"].size(); ++e) {
      const json& event = golden["submissions"][s]["events"][e];
      const uint64_t sequence = event["sequence"];
      const std::string record = event["entry_record"];
      const size_t size = record.size() / 2;
      for (size_t byte : {size_t{0}, size_t{1}, size_t{32}, size_t{40}, size_t{41}, size_t{41} + (size - 41) / 2,
                          size - 1}) {
        json damaged = golden;
        damaged["submissions"][s]["events"][e]["entry_record"] = flip(record, byte, 0x04);
        expect_corrupt(damaged, "sequence " + std::to_string(sequence),
                       "entry " + std::to_string(sequence) + " byte " + std::to_string(byte));
      }
      // Truncated to the header, and zeroed.
      json truncated = golden;
      truncated["submissions"][s]["events"][e]["entry_record"] = record.substr(0, 82);
      expect_corrupt(truncated, "sequence " + std::to_string(sequence), "truncated entry");
      json zeroed = golden;
      zeroed["submissions"][s]["events"][e]["entry_record"] = std::string(record.size(), '0');
      expect_corrupt(zeroed, "sequence " + std::to_string(sequence), "zeroed entry");
    }
  }
  // Two events of one submission swapped (their entry records, chain hashes and all).
  {
    json swapped = golden;
    auto& events = swapped["submissions"][4]["events"];
    std::swap(events[0]["entry_record"], events[1]["entry_record"]);
    expect_corrupt(swapped, "sequence " + events[0]["sequence"].dump(), "swapped entries");
  }
  // The last event removed: its submission signed one more.
  {
    json truncated = golden;
    truncated["submissions"].back()["events"].erase(truncated["submissions"].back()["events"].size() - 1);
    expect_corrupt(truncated, "is missing", "truncated tail");
  }
  // A whole submission removed: the next one's first sequence no longer fits.
  {
    json removed = golden;
    removed["submissions"].erase(3);
    expect_corrupt(removed, "submission at sequence", "removed submission");
  }
  // Every submission record: a bit flipped in its signature, its creation time and its
  // appended_at time.
  for (size_t s = 0; s < golden["submissions"].size(); ++s) {
    const json& submission = golden["submissions"][s];
    const std::string first = submission["first_sequence"].dump();
    std::string stored = test::Unhex(submission["submission_canonical"].get<std::string>());
    auto decoded = DecodedSubmission::Open(stored, "submission");
    ASSERT_TRUE(decoded.has_value());
    // Find the signature bytes and the timestamps inside the record.
    std::string signature = test::Unhex(submission["signature"].get<std::string>());
    size_t signature_at = stored.find(signature);
    ASSERT_NE(signature_at, std::string::npos);
    // The genesis submission's signature is checked once its first event has declared the
    // operator key, after that event's chain hash, which the damage breaks first.
    const bool genesis = first == "1";
    json damaged = golden;
    damaged["submissions"][s]["submission_canonical"] = flip(test::Hex(stored), signature_at + 10, 0x01);
    expect_corrupt(damaged, genesis ? "sequence 1: stored chain hash" : "submission at sequence " + first + ": the signature",
                   "signature of " + first);
    for (const char* field : {"created_at", "appended_at"}) {
      std::string needle(8, '\0');
      uint64_t value = submission[field].get<uint64_t>();
      for (int i = 0; i < 8; ++i) needle[i] = static_cast<char>((value >> (8 * i)) & 0xff);  // little-endian
      size_t at = stored.find(needle);
      ASSERT_NE(at, std::string::npos) << field;
      json changed = golden;
      changed["submissions"][s]["submission_canonical"] = flip(test::Hex(stored), at, 0x01);
      // created_at is signed: the signature fails. appended_at is not: the chain hashes fail.
      expect_corrupt(changed,
                     std::string(field) == "created_at" && !genesis ? "does not verify" : "differs from the recomputed",
                     std::string(field) + " of " + first);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, FormatVectorsTest, ::testing::Values(2, 3, 4),
                         [](const ::testing::TestParamInfo<int>& info) { return "Format" + std::to_string(info.param); });
INSTANTIATE_TEST_SUITE_P(Formats, StoreVectorsTest, ::testing::Values(2, 4),
                         [](const ::testing::TestParamInfo<int>& info) { return "Format" + std::to_string(info.param); });

}  // namespace
}  // namespace fundtrail
