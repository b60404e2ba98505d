// The subcommands of `fundtrail`. Each returns the process exit code (docs: README.md, "Exit
// codes") and prints errors as one line on stderr.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ledger/anchors.h"
#include "ledger/crypto.h"
#include "ledger/dates.h"
#include "ledger/status.h"
#include "schemas/fundtrail.capnp.h"
#include "projections/flag_text.h"
#include "server/http_server.h"

namespace fundtrail {

enum ExitCode : int {
  kExitOk = 0,
  kExitUsage = 1,       // bad command line
  kExitRejected = 2,    // bad input, permission denied, conflicting submission id: nothing appended
  kExitCorrupt = 3,     // verification failed: the ledger was altered or damaged
  kExitBusy = 4,        // the ledger is in use by another writer
  kExitIo = 5,          // missing file or ledger, I/O error
  kExitNotAnchored = 6, // valid data not tied to the trust anchor given (another operator key or
                        // ledger id, an unsigned or wrongly signed trusted head, no witness quorum)
};

// Prints "fundtrail: error: MESSAGE" and returns the exit code for the status.
int ReportError(const Status& status);

enum class OutputFormat { kTable, kJson, kCsv };

struct LogOptions {
  std::string ledger;
  uint64_t from = 1;
  uint64_t to = UINT64_MAX;
  std::vector<std::string> types;
  std::string subject;
  uint64_t limit = UINT64_MAX;
  OutputFormat format = OutputFormat::kTable;
  // From the paper trail: events whose reference is `voucher` or whose source key (fundtrail
  // import) holds it as one or more whole "|"-separated parts; events charging invoice `invoice`.
  std::string voucher;
  std::string invoice;
};

// Whether `event` matches `options.voucher` and `options.invoice` (true when both are empty).
bool MatchesPaperTrail(schema::Event::Reader event, const LogOptions& options);

struct InitCommandOptions {
  std::string ledger;
  std::string operator_key;
  std::string alliance_id;
  std::string alliance_name;
  std::string alliance_name_en;
  std::string date;
  std::string genesis;
  std::vector<std::string> admin_keys;
  std::string admin_org;
  // Without --genesis, the organisation_registered event of --admin-org is written from these
  // (the name defaults to the alliance name + 秘书处, the representative to 未登记).
  std::string admin_org_name;
  std::string admin_org_kind = "other";
  std::string admin_org_representative;
};

struct Receipt;
// Prints a receipt: a table of sequence numbers and hashes, or one JSON object.
void PrintReceipt(const Receipt& receipt, bool json);

int RunKeygen(const std::string& out_path);

// `fundtrail serve` (server/http_server.h); prints "listening on http://HOST:PORT" once bound.
int RunServe(const server::ServeOptions& options, Clock* clock);
// `fundtrail append --server URL`: reads and signs locally (the private key never leaves this
// machine; the ledger id comes from the server's head), posts, prints the receipt.
int RunRemoteAppend(const std::string& server_url, const std::string& key_path, const std::string& input,
                    const std::string& submission_id, bool json, Clock* clock);
struct SignCommandOptions {
  std::string key;
  std::string input;
  std::string out;
  std::string submission_id;
  std::string ledger_id_hex;  // offline: the ledger to sign for
  std::string server;         // or: ask this server for its ledger id
};
// `fundtrail sign`: writes the signed submission (ledger/wire.h) to a file, for an offline
// signing machine; `fundtrail submit FILE --server URL` sends it.
int RunSign(const SignCommandOptions& options, Clock* clock);
int RunSubmit(const std::string& server_url, const std::string& file, bool json);
// `fundtrail login --server URL --key KEY`: signs in for the read API (server/http_client.h,
// SignIn) and prints the bearer token on the first line (--json: the server's whole answer).
int RunLogin(const std::string& server_url, const std::string& key_path, bool json);
int RunInit(const InitCommandOptions& options, Clock* clock);
int RunAppend(const std::string& ledger, const std::string& key_path, const std::string& input,
              const std::string& submission_id, bool json, Clock* clock);
int RunLog(const LogOptions& options, Clock* clock);
// Replays the whole log and checks it against the trust anchors given (ledger/anchors.h): an
// operator key and a ledger id that the genesis must name; a trusted head (signed by the operator
// key) that the log must extend: same ledger, and the replayed Merkle root and chain hash at its
// size equal the head's, so truncation and rewritten history (even with recomputed hashes) fail;
// a witness policy, whose quorum must have co-signed the trusted head (a usage error without
// one). Prints the ledger id and operator key id trusted and where the trust came from. A log
// that verifies but does not match an anchor exits kExitNotAnchored.
struct VerifyCommandOptions {
  std::string ledger;
  bool quiet = false;
  // Every check in order on one thread (Ledger::VerifyMode::kSequential) instead of the
  // state-independent checks read ahead on the other cores: the same verdict and message, slower.
  bool sequential = false;
  TrustAnchorArguments anchors;
};
int RunVerify(const VerifyCommandOptions& options, Clock* clock);
// Prints the current tree head; with `sign_key` (the operator key) signs it. `out` also writes
// the JSON head to a file for safekeeping.
int RunHead(const std::string& ledger, const std::string& sign_key, bool json, const std::string& out,
            Clock* clock);
// The demo's examples folder: `examples_flag` if given, else $FUNDTRAIL_EXAMPLES, else the copy
// installed beside the binary (PREFIX/share/fundtrail/examples/power-battery), else
// `source_examples` (the source tree the binary was built from): the first holding demo.json.
Result<std::string> LocateDemoExamples(const std::string& examples_flag, const std::string& source_examples);
int RunDemo(const std::string& ledger, const std::string& examples_flag, const std::string& source_examples,
            Clock* clock);

// `fundtrail import` (tools/import_commands.c++): a CSV export through a mapping.
struct ImportCommandOptions {
  std::string ledger;
  std::string key;       // signs the submissions; not needed with --check
  std::string mapping;   // TOML mapping file
  std::string input;     // the CSV file
  std::string encoding;  // "" or auto: from the mapping, else detected
  bool check = false;    // report every error, append nothing
  bool json = false;     // receipts and the summary as JSON
  size_t rows_per_submission = 100000;  // 1..kSubmissionEventCountMax
};
int RunImport(const ImportCommandOptions& options, Clock* clock);

// `fundtrail reverse --submission ID` and `fundtrail correct --seq N | --voucher REF FILE`
// (ledger/corrections.h).
struct CorrectionOptions {
  std::string ledger;
  std::string key;
  std::string reason;
  std::string submission;  // reverse: the submission to undo
  uint64_t sequence = 0;   // correct: the event to replace
  std::string voucher;     // correct: or the one live event of this voucher (as log --voucher finds it)
  std::string input;       // correct: JSON Lines with the corrected event(s)
  bool json = false;
};
int RunReverse(const CorrectionOptions& options, Clock* clock);
int RunCorrect(const CorrectionOptions& options, Clock* clock);

// Proofs and bundles (tools/proof_commands.c++).
struct ProveOptions {
  std::string ledger;
  uint64_t sequence = 0;   // an inclusion proof of this event, or
  std::string from_head;   // a consistency proof from this head (to head_file, or the current head)
  std::string head_file;  // a signed head saved earlier, or
  std::string sign_key;   // the operator key, to sign the current head
  std::string out;        // "" prints the proof
};
int RunProveInclusion(const ProveOptions& options, Clock* clock);
int RunProveConsistency(const ProveOptions& options, Clock* clock);

struct ExportOptions {
  std::string ledger;
  uint64_t from_sequence = 1;
  uint64_t to_sequence = 0;  // 0: the head's size
  std::string head_file;
  std::string sign_key;
  std::string out;
};
int RunExport(const ExportOptions& options, Clock* clock);

struct WitnessCosignOptions {
  std::string key;           // the witness's private key (PEM)
  std::string state;         // the witness's state directory
  std::string head;          // the operator-signed head file to co-sign
  std::string proof;         // a consistency proof file; optional
  std::string ledger;        // a ledger copy (proof and operator key); optional, never from the environment
  std::string operator_key;  // the operator's public key (ReadPublicKeyArgument); optional
  std::string name;          // the witness's display name; optional
  std::string out;           // where to write the co-signed head; empty: `head` in place
};
// Checks the head against the witness's state (ledger/witness.h, Witness::Cosign) and co-signs it.
// Split views and inconsistent heads exit kExitCorrupt and change nothing.
int RunWitnessCosign(const WitnessCosignOptions& options, Clock* clock);
// Prints the key id, the raw public key and a policy entry for a PEM key (private or public).
int RunWitnessShowKey(const std::string& key_path, const std::string& name);

}  // namespace fundtrail

namespace fundtrail {

struct ViewOptions {
  std::string ledger;
  std::string name;               // grants, members, alliance, outcomes ("" with --digest)
  std::string subject_kind;       // history: grant or member
  std::string subject_id;
  // Which ledger position is read: --as-of-seq, or --as-of-time (append time, ISO 8601 UTC), or
  // the head; and which business: --as-of-date, a business date (docs/RULES.md, "Which date
  // counts"). The two combine: "as of ledger position N, for the business up to D".
  uint64_t as_of_sequence = 0;    // 0: the head
  std::string as_of_time;         // YYYY-MM-DDTHH:MM:SSZ, or YYYY-MM-DD for the end of that day
  std::string as_of_date;         // YYYY-MM-DD, a business date
  bool digest = false;
  // `view spending`: filters (empty: any) and the business period, by payment date.
  std::string grant;
  std::string member;
  std::string category;
  std::string from_date;          // YYYY-MM-DD, inclusive
  std::string to_date;            // YYYY-MM-DD, inclusive
  std::string by;                 // "", month, category or member
  OutputFormat format = OutputFormat::kTable;
};

int RunView(const ViewOptions& options, Clock* clock);
// The sequence number the options ask for: --as-of-seq, --as-of-time (the last event appended
// by then), or the head. Errors name the option: both given, beyond the head, a time before the
// first append (nothing is silently read of an empty ledger).
class Ledger;
Result<uint64_t> AsOfSequence(const Ledger& ledger, const ViewOptions& options);
// --as-of-date as days since 1970-01-01, or nullopt when not given; an error names the option.
Result<std::optional<int32_t>> AsOfBusinessDay(const ViewOptions& options);

struct FlagOptions {
  ViewOptions view;               // ledger, as-of, format
  std::string rule;               // filters; empty: all
  std::string severity;
  std::string subject;
  std::string status;
  std::string lang;               // of the explanations: zh or en; empty: from LC_ALL/LC_MESSAGES/LANG
};
// The language of flag explanations (projections/flag_text.h): `lang` (zh, en) if given, else the
// locale's (LC_ALL, LC_MESSAGES, LANG: Chinese for zh_*), else English.
Result<projections::FlagLanguage> ChooseFlagLanguage(const std::string& lang);
// Filter values are checked case-insensitively (projections/flag_query.h); an unknown one is a
// usage error that lists the valid values.
int RunFlags(const FlagOptions& options, Clock* clock);
// Prints one flag with its evidence events in full (`log --json`'s form), each checked against
// the log's chain hash. `flag_id` as FindFlag accepts it.
int RunFlagShow(const ViewOptions& options, const std::string& flag_id, const std::string& lang, Clock* clock);
int RunFlagReview(const std::string& ledger, const std::string& key_path, const std::string& flag_id,
                  const std::string& disposition, const std::string& note, Clock* clock);
int RunPolicyShow(const std::string& ledger, bool json, Clock* clock);
int RunPolicySet(const std::string& ledger, const std::string& key_path, const std::string& file, Clock* clock);
int RunHistory(const ViewOptions& options, Clock* clock);
int RunRebuild(const std::string& ledger, Clock* clock);

}  // namespace fundtrail

namespace fundtrail {

// `fundtrail report` (tools/report_commands.c++, report/audit_report.h): the audit report as of
// a signed head, as HTML (`out`) and/or PDF (`pdf`, through Chromium).
struct ReportCommandOptions {
  std::string ledger;
  std::string head;            // a signed head file (fundtrail head --sign-key ... --out)
  std::string witness_policy;  // optional: the quorum the verification statement reports
  std::string grant;
  std::string member;
  std::string from_date;       // business dates (payment dates), inclusive
  std::string to_date;
  std::string lang = "zh";
  std::string out;             // the HTML file
  std::string pdf;             // the PDF file
  std::string chromium;        // optional: the Chromium binary
};
int RunReport(const ReportCommandOptions& options, Clock* clock);

}  // namespace fundtrail
