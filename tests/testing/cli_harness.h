// Helpers for tests that drive the `fundtrail` binary as a user would (tests/e2e, tests/fault):
// run a command and capture what it printed, temporary directories, keys, JSON Lines and CSV, a
// reference display width, and a sample alliance built through the CLI.
//
// Helpers that set things up throw std::runtime_error when a step fails; GoogleTest reports the
// exception as a failure of the test that called them, with the message.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/test_util.h"

namespace fundtrail::testing {

struct CommandResult {
  int exit_code = -1;  // the exit status, or 128 + the signal number if a signal ended it
  std::string out;     // stdout
  std::string err;     // stderr
  int64_t max_rss_kib = 0;  // the command's peak resident memory (wait4's ru_maxrss), KiB

  // "exit 2, stdout: ..., stderr: ..." for failure messages.
  std::string Describe() const;
};

struct RunOptions {
  std::string input;                              // written to stdin, then stdin is closed
  std::map<std::string, std::string> environment;  // set (or, when the value is empty, unset)
  std::string directory;                           // working directory; empty: the current one
};

// Runs `argv` (argv[0] is a path; no shell) and waits for it.
CommandResult RunCommand(const std::vector<std::string>& argv, const RunOptions& options = {});

// The path of the fundtrail binary under test.
std::string FundtrailBinary();

// Runs `fundtrail args...`.
CommandResult Fundtrail(const std::vector<std::string>& args, const RunOptions& options = {});
// Runs `fundtrail-verify args...`, the offline verifier.
CommandResult FundtrailVerify(const std::vector<std::string>& args, const RunOptions& options = {});

using TempDir = test::TempDir;  // ledger/test_util.h

void WriteFile(const std::string& path, const std::string& content);
std::string ReadFile(const std::string& path);

// One JSON object per line, each line ending in '\n'.
std::string JsonLines(const std::vector<nlohmann::json>& events);
// The lines of `text`, without their '\n'. A last line without '\n' is included.
std::vector<std::string> SplitLines(const std::string& text);
// Parses each non-empty line of `text` as JSON; throws on a line that does not parse.
std::vector<nlohmann::json> ParseJsonLines(const std::string& text);

// RFC 4180 CSV (quoted fields with "" escapes, CRLF or LF records).
std::vector<std::vector<std::string>> ParseCsv(const std::string& text);

// Terminal columns of UTF-8 `text`, written independently of the product: East Asian wide and
// fullwidth characters (CJK ideographs, Hangul, kana, fullwidth forms) count 2, others 1.
size_t ReferenceDisplayWidth(std::string_view text);

// The seed of a seeded test: $FUNDTRAIL_TEST_SEED if set, else a fixed default. Printed to stdout so that
// a failure can be reproduced with FUNDTRAIL_TEST_SEED=<seed>.
uint64_t TestSeed();

// An Ed25519 key pair written as PEM: `path` and `path`.pub.
struct TestKey {
  std::string path;
  std::string public_key_hex;  // raw 32 bytes, as key_registered wants them
  std::string key_id_hex;
};
TestKey MakeKey(const std::string& directory, const std::string& name);

// Event builders, as a member's finance export would write them.
nlohmann::json OrganisationRegistered(const std::string& org_id, const std::string& name,
                                      const std::string& kind);
nlohmann::json MemberAdmitted(const std::string& org_id, const std::string& date);
nlohmann::json KeyRegistered(const TestKey& key, const std::string& org_id,
                             const std::vector<std::string>& roles);
nlohmann::json KeyRevoked(const TestKey& key, const std::string& reason);
nlohmann::json ProjectRegistered(const std::string& project_id, const std::string& name);
nlohmann::json VendorRegistered(const std::string& vendor_id, const std::string& name,
                                const std::string& tax_id);
nlohmann::json TaskAssigned(const std::string& task_id, const std::string& project_id,
                            const std::string& org_id, const std::string& description);
// A grant whose whole amount is budgeted as equipment 60%, materials 30%, labour 10%.
// REQUIRES: amount_yuan is a multiple of 10.
nlohmann::json GrantAwarded(const std::string& grant_id, const std::string& title,
                            const std::string& funder_org_id, const std::string& project_id,
                            int64_t amount_yuan);
nlohmann::json FundsReceived(const std::string& grant_id, const std::string& amount,
                             const std::string& date);
nlohmann::json FundsDisbursed(const std::string& grant_id, const std::string& member_org_id,
                              const std::string& amount, const std::string& date);
nlohmann::json ExpenditureRecorded(const std::string& grant_id, const std::string& org_id,
                                   const std::string& category, const std::string& vendor_id,
                                   const std::string& invoice_number, const std::string& amount);

// Copies the first `count` submissions of the ledger `from` into a new ledger at `directory`, byte
// for byte (the same ledger id, genesis, events and signatures), through the library. Appending
// other events to the copy then makes a rewritten history that verifies on its own. Throws on
// failure.
void CopySubmissions(const std::string& from, const std::string& directory, uint64_t count);

// A sample alliance for a power-battery programme, built through the CLI:
//   organisations SEC (secretariat), MOST (the funder), CATL (an enterprise) and 清华大学 (a
//   university, with a Chinese id so that tables must align wide characters);
//   keys: operator, admin (SEC), funder (MOST), fund_manager (SEC), finance_catl (CATL),
//   finance_tsinghua (清华大学), finance_retired (CATL, to be revoked), outsider (unregistered).
// Init() writes the genesis; AppendHistory() appends projects, vendors, tasks, two grants,
// receipts of funds, disbursements and expenditures.
class SampleAlliance {
 public:
  static constexpr char kSecretariat[] = "SEC";
  static constexpr char kMinistry[] = "MOST";
  static constexpr char kCatl[] = "CATL";
  static constexpr char kTsinghua[] = "清华大学";
  static constexpr char kGrantBattery[] = "G-2024-01";
  static constexpr char kGrantRecycling[] = "G-2024-02";
  static constexpr char kProjectBattery[] = "P-BATTERY";
  static constexpr char kProjectRecycling[] = "P-RECYCLE";

  // Keys and files go under `root`; the ledger is root/ledger.
  explicit SampleAlliance(const std::string& root);

  const std::string& root() const { return root_; }
  const std::string& ledger() const { return ledger_; }

  // `fundtrail init` with the genesis file and the admin key. Throws on failure.
  void Init();
  // The standard history after Init(). Throws on failure.
  void AppendHistory();

  // Writes `events` to a new file and runs `fundtrail append --json`. Does not throw.
  CommandResult TryAppend(const TestKey& key, const std::vector<nlohmann::json>& events,
                          const std::string& submission_id = "");
  // Appends and returns the parsed JSON receipt; throws unless the append succeeded.
  nlohmann::json Append(const TestKey& key, const std::vector<nlohmann::json>& events,
                        const std::string& submission_id = "");

  // `fundtrail log --json` with `extra` arguments, parsed. Throws on failure.
  std::vector<nlohmann::json> Log(const std::vector<std::string>& extra = {}) const;
  // The "head: N HASH" line that `fundtrail verify` prints. Throws unless verify exits 0.
  std::string VerifiedHead() const;

  // What a reader can see: the whole `log --json` output and the verified head.
  struct Snapshot {
    std::string log;
    std::string head;
    bool operator==(const Snapshot&) const = default;
  };
  Snapshot TakeSnapshot() const;

  // A new file under root() holding `content`; returns its path.
  std::string NewFile(const std::string& content);

  // Every event the alliance appended, by sequence number, as written (the genesis included,
  // except the init-generated ledger_genesis and admin key_registered events).
  const std::map<uint64_t, nlohmann::json>& events() const { return events_; }
  // The author organisation of each sequence number, for the same events.
  const std::map<uint64_t, std::string>& authors() const { return authors_; }
  // Every receipt of AppendHistory(), in order.
  const std::vector<nlohmann::json>& receipts() const { return receipts_; }
  uint64_t genesis_event_count() const { return genesis_event_count_; }

  TestKey operator_key, admin, funder, fund_manager, finance_catl, finance_tsinghua,
      finance_retired, outsider;

 private:
  std::string OrgOf(const TestKey& key) const;

  std::string root_;
  std::string ledger_;
  int file_count_ = 0;
  uint64_t genesis_event_count_ = 0;
  std::map<uint64_t, nlohmann::json> events_;
  std::map<uint64_t, std::string> authors_;
  std::vector<nlohmann::json> receipts_;
};

}  // namespace fundtrail::testing
