#include "tools/commands.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <iostream>

#include "ledger/anchors.h"
#include "ledger/client.h"
#include "ledger/json_codec.h"
#include "ledger/log_lines.h"
#include "ledger/store.h"
#include "ledger/tree_head.h"
#include "ledger/witness.h"
#include "projections/history_store.h"
#include "projections/projection_store.h"
#include "projections/views_fold.h"
#include "tools/output.h"

namespace fundtrail {

namespace {

Result<std::unique_ptr<Ledger>> OpenLedger(const std::string& flag, Ledger::Access access, Clock* clock) {
  return Ledger::Open(ResolveLedgerDirectory(flag), access, clock);
}

}  // namespace

void PrintReceipt(const Receipt& receipt, bool json) {
  if (json) {
    nlohmann::ordered_json out = {
        {"submission_id", receipt.submission_id},
        {"first_sequence", receipt.first_sequence},
        {"last_sequence", receipt.last_sequence},
        {"appended_at", FormatTimestamp(receipt.appended_at_micros)},
        {"already_appended", receipt.already_appended},
        {"head", HexEncode(receipt.head)},
    };
    nlohmann::ordered_json hashes = nlohmann::ordered_json::array();
    for (const auto& hash : receipt.entry_hashes) hashes.push_back(HexEncode(hash));
    out["entry_hashes"] = hashes;
    std::cout << out.dump() << std::endl;
    return;
  }
  uint64_t count = receipt.last_sequence - receipt.first_sequence + 1;
  std::cout << (receipt.already_appended ? "already appended (nothing new written): " : "appended: ")
            << "submission \"" << receipt.submission_id << "\", " << count
            << (count == 1 ? " event" : " events") << ", sequence " << receipt.first_sequence;
  if (count > 1) std::cout << ".." << receipt.last_sequence;
  std::cout << ", at " << FormatTimestamp(receipt.appended_at_micros) << "\n";
  constexpr size_t kListedMax = 10;
  for (size_t i = 0; i < receipt.entry_hashes.size(); ++i) {
    if (i == kListedMax && receipt.entry_hashes.size() > kListedMax + 1) {
      std::cout << "  ... " << receipt.entry_hashes.size() - kListedMax - 1 << " more (use --json for all)\n";
      i = receipt.entry_hashes.size() - 1;
    }
    std::cout << "  " << receipt.first_sequence + i << "  " << HexEncode(receipt.entry_hashes[i]) << "\n";
  }
  std::cout << "head: " << receipt.last_sequence << " " << HexEncode(receipt.head) << std::endl;
}

int ReportError(const Status& status) {
  std::cerr << "fundtrail: error: " << status.message() << std::endl;
  switch (status.code()) {
    case StatusCode::kOk: return kExitOk;
    case StatusCode::kInvalidArgument:
    case StatusCode::kPermissionDenied:
    case StatusCode::kAlreadyExists: return kExitRejected;
    case StatusCode::kCorruption: return kExitCorrupt;
    case StatusCode::kBusy: return kExitBusy;
    case StatusCode::kNotFound:
    case StatusCode::kIoError: return kExitIo;
    case StatusCode::kNotAnchored: return kExitNotAnchored;
  }
  return kExitIo;
}

int RunKeygen(const std::string& out_path) {
  auto key = PrivateKey::Generate();
  if (!key) return ReportError(key.error());
  Status written = key->WritePemFiles(out_path);
  if (!written.ok()) return ReportError(written);
  std::cout << "private key: " << out_path << " (keep it secret)\n"
            << "public key:  " << out_path << ".pub\n"
            << "key id:      " << HexEncode(AsBytes(key->public_key().key_id())) << "\n"
            << "public key (hex, for key_registered events): " << HexEncode(AsBytes(key->public_key().raw()))
            << std::endl;
  return kExitOk;
}

namespace {

// A genesis file for `init --admin-key K --admin-org ORG` without --genesis: the one
// organisation_registered event the admin key's organisation needs. Written to a private
// temporary file because InitLedger reads the genesis from a file; removed when this goes.
class GeneratedGenesis {
 public:
  ~GeneratedGenesis() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  Status Write(const InitCommandOptions& options) {
    nlohmann::json event = {
        {"type", "organisation_registered"},
        {"org_id", options.admin_org},
        {"name", options.admin_org_name.empty() ? options.alliance_name + "秘书处" : options.admin_org_name},
        {"kind", options.admin_org_kind},
        {"legal_representative",
         options.admin_org_representative.empty() ? "未登记" : options.admin_org_representative}};
    std::string pattern = (std::filesystem::temp_directory_path() / "fundtrail-genesis-XXXXXX").string();
    int fd = ::mkstemp(pattern.data());
    if (fd < 0) return Status::IoError("cannot create a temporary genesis file in " + pattern);
    path_ = pattern;
    std::string line = event.dump() + "\n";
    bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
    ::close(fd);
    if (!written) return Status::IoError("cannot write the temporary genesis file " + path_);
    return Status::Ok();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

int RunInit(const InitCommandOptions& options, Clock* clock) {
  GeneratedGenesis generated;
  if (options.genesis.empty() && !options.admin_org.empty()) {
    if (Status written = generated.Write(options); !written.ok()) return ReportError(written);
  }
  InitOptions init;
  init.directory = ResolveLedgerDirectory(options.ledger);
  init.operator_key_path = options.operator_key;
  init.alliance_id = options.alliance_id;
  init.alliance_name = options.alliance_name;
  init.alliance_name_en = options.alliance_name_en;
  init.date = options.date;
  init.genesis_path = options.genesis.empty() ? generated.path() : options.genesis;
  init.admin_public_key_paths = options.admin_keys;
  init.admin_org_id = options.admin_org;
  auto ledger = InitLedger(init, clock);
  if (!ledger) return ReportError(ledger.error());
  const Head& head = (*ledger)->head();
  std::cout << "created ledger " << HexEncode(AsBytes((*ledger)->ledger_id())) << " in " << init.directory
            << "\ngenesis: " << head.sequence << " events, head " << HexEncode(head.chain_hash) << std::endl;
  return kExitOk;
}

int RunAppend(const std::string& ledger_flag, const std::string& key_path, const std::string& input,
              const std::string& submission_id, bool json, Clock* clock) {
  auto key = PrivateKey::FromPemFile(key_path);
  if (!key) return ReportError(key.error());
  // Parse and check the whole input before taking the writer lock.
  auto batch = ReadJsonLinesFile(input);
  if (!batch) return ReportError(batch.error());
  auto ledger = projections::OpenWriter(ResolveLedgerDirectory(ledger_flag), clock);
  if (!ledger) return ReportError(ledger.error());
  auto receipt = AppendBatch(**ledger, *key, *batch, submission_id, clock);
  if (!receipt) return ReportError(receipt.error());
  PrintReceipt(*receipt, json);
  // The append is durable already; projections are derived and catch up on the next open if
  // this fails.
  Status projected = projections::CatchUp(**ledger, projections::RulesSnapshot::kWhenLagging);
  if (!projected.ok()) std::cerr << "fundtrail: warning: projections not updated: " << projected.message() << std::endl;
  return kExitOk;
}

bool MatchesPaperTrail(schema::Event::Reader event, const LogOptions& options) {
  if (options.voucher.empty() && options.invoice.empty()) return true;
  std::string reference, source_key, invoice;
  switch (event.which()) {
    case schema::Event::EXPENDITURE_RECORDED: {
      auto spent = event.getExpenditureRecorded();
      reference = spent.getReference().cStr();
      source_key = spent.getSourceKey().cStr();
      invoice = spent.getInvoiceNumber().cStr();
      break;
    }
    case schema::Event::REFUND_RECORDED: reference = event.getRefundRecorded().getReference().cStr(); break;
    case schema::Event::FUNDS_DISBURSED: reference = event.getFundsDisbursed().getReference().cStr(); break;
    case schema::Event::FUNDS_RECEIVED: reference = event.getFundsReceived().getReference().cStr(); break;
    default: return false;
  }
  if (!options.invoice.empty() && invoice != options.invoice) return false;
  if (options.voucher.empty()) return true;
  if (reference == options.voucher) return true;
  // "记-12" matches the key "ORG|2026.1|记-12|1", and so does "2026.1|记-12".
  return !source_key.empty() && ("|" + source_key + "|").find("|" + options.voucher + "|") != std::string::npos;
}

int RunLog(const LogOptions& options, Clock* clock) {
  auto opened = OpenLedger(options.ledger, Ledger::Access::kReadOnly, clock);
  if (!opened) return ReportError(opened.error());
  Ledger& ledger = **opened;
  auto types = EventTypesFromNames(options.types, "--type");
  if (!types) return ReportError(types.error());
  LogQuery query{options.from, options.to, std::move(*types), options.subject, nullptr};
  if (!options.voucher.empty() || !options.invoice.empty()) {
    query.matches = [&options](schema::Event::Reader event) { return MatchesPaperTrail(event, options); };
  }
  Table table({"seq", "time (UTC)", "type", "author", "subject", "amount", "hash"},
              {true, false, false, false, false, true, false});
  if (options.format == OutputFormat::kCsv) PrintCsvRow(std::cout, LogCsvHeaders());
  uint64_t printed = 0;
  Status scanned = ScanLog(ledger, query, [&](const LogLine& line) {
    switch (options.format) {
      case OutputFormat::kTable:
        table.AddRow({std::to_string(line.sequence), FormatTimestamp(line.appended_at_micros).substr(0, 19) + "Z",
                      EventTypeName(line.event) + (line.reversed ? " (reversed)" : ""), line.author_org,
                      line.summary.subject, line.summary.amount ? FormatMoneyGrouped(*line.summary.amount) : "",
                      HexEncode(line.hash).substr(0, 16)});
        break;
      case OutputFormat::kCsv: PrintCsvRow(std::cout, LogCsvRow(line)); break;
      case OutputFormat::kJson: std::cout << LogLineJson(line).dump() << '\n'; break;
    }
    return ++printed < options.limit;
  });
  if (!scanned.ok()) return ReportError(scanned);
  if (options.format == OutputFormat::kTable) {
    table.Print(std::cout);
    std::cout << printed << (printed == 1 ? " event" : " events") << std::endl;
  }
  std::cout.flush();
  return kExitOk;
}

namespace {

// The log's own identity, from its genesis entry (which Ledger::Verify has just replayed).
Result<GenesisIdentity> LedgerGenesis(const Ledger& ledger) {
  auto genesis = ledger.ReadEntry(1);
  if (!genesis) return Error(genesis.error());
  return ReadGenesisIdentity(genesis->record);
}

}  // namespace

namespace {

// `verify`'s check of the subject index, as a Corruption naming the store and the remedy.
Status CheckSubjectIndex(const Ledger& ledger) {
  auto difference = ledger.VerifySubjectIndex();
  if (!difference) return difference.error();
  if (difference->missing + difference->extra == 0) return Status::Ok();
  std::string what;
  if (difference->missing > 0) {
    what = "lacks " + std::to_string(difference->missing) + " of the " + std::to_string(difference->expected) +
           " keys the log implies (the first of event " + std::to_string(difference->first_missing_sequence) +
           ", which `log --subject` and histories would not show)";
  }
  if (difference->extra > 0) {
    what += std::string(what.empty() ? "" : ", and ") + "holds " + std::to_string(difference->extra) +
            " keys the log does not imply";
  }
  return Status::Corruption("the subject index (column family \"subjects\") " + what +
                            "; the log itself verifies: run `fundtrail rebuild` to rebuild the index from it");
}

}  // namespace

int RunVerify(const VerifyCommandOptions& options, Clock* clock) {
  if (!options.anchors.witness_policy.empty() && options.anchors.trusted_head.empty()) {
    std::cerr << "fundtrail: usage error: --witness-policy checks the co-signatures of a saved head: pass "
                 "--trusted-head HEAD.json too (see fundtrail verify --help)"
              << std::endl;
    return kExitUsage;
  }
  auto anchors = ReadTrustAnchors(options.anchors);
  if (!anchors) return ReportError(anchors.error());
  // Unchecked: the replay below checks the stored validation state and names it when it differs.
  auto opened = Ledger::Open(ResolveLedgerDirectory(options.ledger), Ledger::Access::kReadOnly, clock,
                             Ledger::StateCheck::kUnchecked);
  if (!opened) return ReportError(opened.error());
  Ledger& ledger = **opened;
  const std::optional<TreeHead> trusted =
      anchors->trusted_head ? std::optional<TreeHead>(anchors->trusted_head->head) : std::nullopt;
  Ledger::Checkpoint checkpoint;
  if (trusted) checkpoint.size = trusted->tree_size;
  auto start = std::chrono::steady_clock::now();
  projections::ViewsFold views;
  uint64_t views_checked = 0;
  Status verified = ledger.Verify(
      [&](uint64_t done, uint64_t total) {
        if (options.quiet || done == total) return;
        std::cerr << "verify: " << done << " of " << total << " events (" << (total ? done * 100 / total : 100)
                  << "%)" << std::endl;
      },
      trusted ? &checkpoint : nullptr, &views, &views_checked,
      options.sequential ? Ledger::VerifyMode::kSequential : Ledger::VerifyMode::kParallel);
  // The derived stores that readers rely on: the stored views must be the ones the log's
  // commitments prove (LoadViews checks them), and the subject index the one the log implies.
  if (verified.ok()) {
    auto stored = projections::LoadViews(ledger, ledger.head().sequence);
    if (!stored) verified = stored.error();
  }
  if (verified.ok()) verified = CheckSubjectIndex(ledger);
  if (verified.ok()) {
    auto rules = projections::FindDifferingRulesSnapshot(ledger);
    if (!rules) {
      verified = rules.error();
    } else if (rules->has_value()) {
      verified = Status::Corruption(
          "the stored misuse rules' state (column family \"projections\", key \"rules\") differs from the rules' fold "
          "of the log up to sequence " + std::to_string(**rules) +
          ": `flags` would show what the log does not say; the log itself verifies: run `fundtrail rebuild`");
    }
  }
  std::optional<projections::HistoryCheckpoint> history_checked;
  if (verified.ok()) {
    auto checkpoint = projections::UsableHistoryCheckpoint(ledger);
    if (checkpoint && checkpoint->has_value()) history_checked = **checkpoint;
    auto history = projections::FindDifferingHistoryStore(ledger);
    if (!history) {
      verified = history.error().WithPrefix("the history store (column family \"history\")");
    } else if (history->has_value()) {
      verified = Status::Corruption(
          "the history store (column family \"history\") differs from the log up to its checkpoint at sequence " +
          std::to_string(**history) +
          ": `history` would show what the log does not say; the log itself verifies: run `fundtrail rebuild`");
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto fail = [](const Status& status) {
    if (status.code() == StatusCode::kNotAnchored) {
      std::cerr << "fundtrail: NOT TRUSTED: the log is valid but not tied to the anchor you gave: "
                << status.message() << std::endl;
      return static_cast<int>(kExitNotAnchored);
    }
    if (status.code() != StatusCode::kCorruption) return ReportError(status);
    std::cerr << "fundtrail: verification FAILED: " << status.message() << std::endl;
    return static_cast<int>(kExitCorrupt);
  };
  if (!verified.ok()) return fail(verified);
  const Head& head = ledger.head();
  auto genesis = LedgerGenesis(ledger);
  if (!genesis) return fail(genesis.error());
  auto report = CheckAnchors(*anchors, genesis->ledger_id, genesis->operator_key);
  if (!report) return fail(report.error());
  if (trusted) {
    Status witnessed = CheckWitnessAnchor(*anchors, *anchors->trusted_head, &*report);
    if (!witnessed.ok()) return fail(witnessed.WithPrefix("the trusted head"));
    std::optional<TreePoint> shown;
    if (checkpoint.reached) shown = TreePoint{trusted->tree_size, checkpoint.root, checkpoint.chain_hash};
    Status truncated = Status::Corruption("the trusted head has " + std::to_string(trusted->tree_size) +
                                          " entries, the log only " + std::to_string(head.sequence) +
                                          ": the log was truncated");
    Status compared = CompareWithTrustedHead(*trusted, shown, head.sequence, truncated);
    if (!compared.ok()) return fail(compared);
  }
  std::cout << "ok: verified " << head.sequence << " events in " << head.submission_count
            << " submissions (chain, Merkle tree, canonical encoding, signatures, keys, permissions, validation) in "
            << static_cast<int64_t>(seconds * 1000) << " ms\n";
  if (views_checked > 0) {
    std::cout << "ok: the views' figures fold from the events into the digest each of " << views_checked
              << " submissions commits\n";
  }
  if (history_checked && history_checked->sequence > 0) {
    std::cout << "ok: the history store's records agree with the log up to its checkpoint at sequence "
              << history_checked->sequence << "\n";
  }
  if (trusted) {
    std::cout << "ok: the log extends the trusted head of " << trusted->tree_size << " entries signed at "
              << FormatTimestamp(trusted->timestamp_micros) << "\n";
  }
  if (anchors->witness_policy) {
    std::cout << "ok: witness quorum met on the trusted head: " << report->witnesses << "\n";
  }
  std::cout << report->Describe("ledger");
  std::cout << "head: " << head.sequence << " " << HexEncode(head.chain_hash) << std::endl;
  return kExitOk;
}

int RunHead(const std::string& ledger_flag, const std::string& sign_key, bool json, const std::string& out,
            Clock* clock) {
  auto opened = OpenLedger(ledger_flag, Ledger::Access::kReadOnly, clock);
  if (!opened) return ReportError(opened.error());
  Ledger& ledger = **opened;
  TreeHead head;
  head.ledger_id = ledger.ledger_id();
  head.tree_size = ledger.head().sequence;
  auto root = ledger.TreeRoot(head.tree_size);
  if (!root) return ReportError(root.error());
  head.root_hash = *root;
  head.chain_hash = ledger.head().chain_hash;
  head.timestamp_micros = clock->NowMicros();
  if (!sign_key.empty()) {
    auto key = PrivateKey::FromPemFile(sign_key);
    if (!key) return ReportError(key.error());
    if (HexEncode(AsBytes(key->public_key().raw())) != ledger.state().ledger()->operator_public_key_hex) {
      return ReportError(Status::PermissionDenied(sign_key + " is not this ledger's operator key; only the operator "
                                                  "key signs tree heads"));
    }
    SignTreeHead(*key, &head);
  }
  std::string text = TreeHeadToJson(head).dump(2);
  if (!out.empty()) {
    std::ofstream file(out, std::ios::trunc);
    file << text << "\n";
    if (!file.flush()) return ReportError(Status::IoError("cannot write " + out));
  }
  if (json) {
    std::cout << TreeHeadToJson(head).dump() << std::endl;
  } else {
    std::cout << "ledger:     " << HexEncode(AsBytes(head.ledger_id)) << "\n"
              << "tree size:  " << head.tree_size << "\n"
              << "root hash:  " << HexEncode(head.root_hash) << "\n"
              << "chain hash: " << HexEncode(head.chain_hash) << "\n"
              << "time:       " << FormatTimestamp(head.timestamp_micros) << "\n"
              << "signed:     " << (head.signature.empty() ? "no (pass --sign-key OPERATOR.pem)" : "by the operator key " + HexEncode(AsBytes(head.key_id)))
              << (out.empty() ? "" : "\nsaved to:   " + out) << std::endl;
  }
  return kExitOk;
}

}  // namespace fundtrail
