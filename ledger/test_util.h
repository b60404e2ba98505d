// Helpers shared by the ledger unit tests (ledger/*-test.c++). Test code only: not part of
// fundtrail_core or fundtrail_ledger.
//
// Everything here is deterministic unless its name says otherwise: keys come from fixed 32-byte
// seeds, clocks are fixed, and the test alliance always has the same organisations and keys.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ledger/crypto.h"
#include "ledger/dates.h"
#include "ledger/log_format.h"
#include "ledger/status.h"
#include "ledger/submission.h"
#include "ledger/validator.h"

namespace fundtrail::test {

using nlohmann::json;

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction unless
// FUNDTRAIL_KEEP_TEST_DIRS is set.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  std::string operator/(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

// A clock that starts at `start_micros` and advances `step_micros` on every reading.
class FixedClock : public Clock {
 public:
  explicit FixedClock(int64_t start_micros = 1764331200000000, int64_t step_micros = 1000000)
      : now_micros_(start_micros), step_micros_(step_micros) {}
  int64_t NowMicros() override {
    int64_t now = now_micros_;
    now_micros_ += step_micros_;
    return now;
  }

 private:
  int64_t now_micros_;
  int64_t step_micros_;
};

// Hex of raw bytes, and raw bytes of hex (a test failure, returning "", on bad hex).
std::string Hex(std::string_view raw);
std::string Unhex(std::string_view hex);
std::string Hex(const Digest& digest);

// A 32-byte seed derived from a label: SHA-256("fundtrail test seed " || label). Any fixed 32 bytes
// would do; deriving them from names keeps the keys of different roles apart.
std::string SeedFromLabel(const std::string& label);

// The Ed25519 private key with this 32-byte seed (RFC 8032 "secret key"), loaded the way users
// load keys: written as a PKCS#8 PEM file (EVP_PKEY_new_raw_private_key + PEM_write_PrivateKey) to
// `pem_path`, then read back with PrivateKey::FromPemFile.
PrivateKey KeyFromSeed(std::string_view seed, const std::string& pem_path);

// The lowercase hex key id of a key, as the validator and state use it.
std::string KeyIdHex(const PrivateKey& key);

// Canonical bytes of a JSON event; a test failure (and "") if it does not encode.
std::string MustEncode(const json& event);

// Organisation ids of the test alliance. Two are real-shaped unified social credit codes (their
// check characters are right), the rest are plain ids, which the validator also accepts.
inline constexpr char kSecretariat[] = "91350100M000100Y43";
inline constexpr char kUniversity[] = "12100000400000624D";
inline constexpr char kEnterprise[] = "ENT-POWERCELL";
inline constexpr char kFunder[] = "MOST-PROGRAMME";
inline constexpr char kFunderOther[] = "SZ-STBUREAU";
inline constexpr char kFundManager[] = "FM-TRUST";
inline constexpr char kRegulatorOrg[] = "REG-AUDIT";

// The test alliance: fixed keys, a fixed ledger id, and a genesis that registers the
// organisations, admits the members and registers one key per role.
struct TestAlliance {
  // Writes the PEM files of the keys into `key_directory`.
  explicit TestAlliance(const std::string& key_directory);

  PrivateKey operator_key;
  PrivateKey admin;           // kSecretariat, admin
  PrivateKey funder;          // kFunder, funder
  PrivateKey funder_other;    // kFunderOther, funder
  PrivateKey fund_manager;    // kFundManager, fund_manager
  PrivateKey finance_uni;     // kUniversity, member_finance
  PrivateKey finance_ent;     // kEnterprise, member_finance
  PrivateKey signatory_uni;   // kUniversity, signatory
  PrivateKey auditor;         // kSecretariat, auditor
  PrivateKey regulator;       // kRegulatorOrg, regulator
  std::string ledger_id;      // 16 fixed bytes

  // ledger_genesis, organisations, admissions and the keys above, in order.
  std::vector<json> GenesisEvents() const;
  // Canonical bytes of GenesisEvents().
  std::vector<std::string> GenesisCanonicalEvents() const;
  // GenesisEvents() signed by the operator key as submission "genesis", for Ledger::Create.
  SignedSubmission GenesisSubmission(int64_t micros) const;
};

// Event builders with sensible defaults. All amounts are CNY unless given.
json OrganisationJson(const std::string& org_id, const std::string& name, const std::string& kind);
json MemberAdmittedJson(const std::string& org_id, const std::string& date = "2024-01-15");
json KeyRegisteredJson(const PrivateKey& key, const std::string& org_id,
                       const std::vector<std::string>& roles);
json VendorJson(const std::string& vendor_id);
json ProjectJson(const std::string& project_id);
json TaskJson(const std::string& task_id, const std::string& project_id, const std::string& org_id);
// A grant whose budget is split over equipment and materials.
json GrantJson(const std::string& grant_id, const std::string& funder_org_id,
               const std::string& project_id, int64_t amount_fen = 100000000);
json FundsReceivedJson(const std::string& grant_id, const std::string& amount);
json FundsDisbursedJson(const std::string& grant_id, const std::string& org_id,
                        const std::string& amount);
json ExpenditureJson(const std::string& grant_id, const std::string& org_id,
                     const std::string& vendor_id, const std::string& amount);
json RefundJson(const std::string& grant_id, const std::string& org_id, const std::string& amount);
json ReversalJson(uint64_t target_sequence, const std::string& reason = "entered twice");

// "1234.56 CNY" from fen.
std::string Cny(int64_t fen);

// An EventLookup over events kept in memory, for validator and replayer tests.
class MemoryEventLookup : public EventLookup {
 public:
  void Add(uint64_t sequence, std::string canonical_event, std::string key_id_hex);
  Result<EarlierEvent> Find(uint64_t sequence) override;

 private:
  std::map<uint64_t, std::pair<std::string, std::string>> events_;
};

}  // namespace fundtrail::test
