// `fundtrail demo`: builds the sample alliance of examples/power-battery/ step by step through
// the same library calls as `init` and `append`, then verifies the result.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "ledger/export.h"
#include "ledger/client.h"
#include "ledger/json_codec.h"
#include "ledger/validator.h"
#include "tools/commands.h"
#include "projections/projection_store.h"
#include "projections/views.h"
#include "tools/output.h"

namespace fundtrail {

namespace {

constexpr char kDemoMarker[] = "FUNDTRAIL_DEMO";

Status PrepareDirectory(const std::string& directory) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (!fs::exists(directory, error) || fs::is_empty(directory, error)) return Status::Ok();
  if (!fs::exists(fs::path(directory) / kDemoMarker, error)) {
    return Status::AlreadyExists(directory + " exists and is not a demo ledger; pass --ledger NEW_DIR");
  }
  fs::remove_all(directory, error);  // a previous demo run: start afresh
  if (error) return Status::IoError("cannot remove the previous demo ledger " + directory + ": " + error.message());
  return Status::Ok();
}

// The folder of the installed binary's examples: PREFIX/share/fundtrail/examples/power-battery
// for PREFIX/bin/fundtrail (CMake's install rules put them there).
std::filesystem::path InstalledExamples() {
  std::error_code error;
  std::filesystem::path binary = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return {};
  return binary.parent_path().parent_path() / "share" / "fundtrail" / "examples" / "power-battery";
}

}  // namespace

Result<std::string> LocateDemoExamples(const std::string& examples_flag, const std::string& source_examples) {
  namespace fs = std::filesystem;
  if (!examples_flag.empty()) return examples_flag;  // asked for: used as given, or an error
  std::vector<std::string> candidates;
  if (const char* environment = std::getenv("FUNDTRAIL_EXAMPLES"); environment && *environment) {
    candidates.push_back(environment);
  }
  // The installed copy before the source tree: an installed binary must not depend on a checkout
  // that may have moved on or gone.
  if (fs::path installed = InstalledExamples(); !installed.empty()) candidates.push_back(installed.string());
  candidates.push_back(source_examples);
  std::string tried;
  for (const auto& candidate : candidates) {
    std::error_code error;
    if (fs::is_regular_file(fs::path(candidate) / "demo.json", error)) return candidate;
    tried += (tried.empty() ? "" : ", ") + candidate;
  }
  return Error(Status::NotFound("cannot find the demo's examples (demo.json) in " + tried +
                                "; pass --examples DIR or set FUNDTRAIL_EXAMPLES"));
}

int RunDemo(const std::string& ledger_flag, const std::string& examples_flag, const std::string& source_examples,
            Clock* clock) {
  namespace fs = std::filesystem;
  std::string directory = ledger_flag.empty() ? "demo-ledger" : ledger_flag;
  auto located = LocateDemoExamples(examples_flag, source_examples);
  if (!located) return ReportError(located.error());
  fs::path root(*located);
  std::ifstream manifest_file(root / "demo.json");
  if (!manifest_file) {
    return ReportError(Status::NotFound("cannot open " + (root / "demo.json").string() +
                                        " (pass --examples DIR, the folder holding demo.json)"));
  }
  auto manifest = nlohmann::json::parse(manifest_file, nullptr, false);
  if (manifest.is_discarded()) return ReportError(Status::InvalidArgument((root / "demo.json").string() + " is not valid JSON"));
  Status prepared = PrepareDirectory(directory);
  if (!prepared.ok()) return ReportError(prepared);

  auto path = [&](const nlohmann::json& relative) { return (root / relative.get<std::string>()).string(); };
  std::cout << "== fundtrail demo: " << manifest.value("title", "sample alliance") << "\n   examples from "
            << root.string() << "\n\n";
  InitOptions init;
  init.directory = directory;
  init.operator_key_path = path(manifest["operator_key"]);
  init.alliance_id = manifest["alliance"]["id"];
  init.alliance_name = manifest["alliance"]["name"];
  init.alliance_name_en = manifest["alliance"].value("name_en", "");
  init.date = manifest["alliance"].value("date", "");
  init.genesis_path = path(manifest["genesis"]);
  auto created = InitLedger(init, clock);
  if (!created) return ReportError(created.error());
  std::ofstream(fs::path(directory) / kDemoMarker) << "created by `fundtrail demo`; rerunning the demo replaces it\n";
  Ledger& ledger = **created;
  // Every later submission commits the views (docs/FORMAT.md, section 5), as `fundtrail append` does.
  if (Status attached = projections::AttachViewsFold(ledger); !attached.ok()) return ReportError(attached);
  std::cout << "1. init: ledger " << HexEncode(AsBytes(ledger.ledger_id())) << " in " << directory << ", genesis of "
            << ledger.head().sequence << " events signed by the operator key\n";

  int step_number = 1;
  for (const auto& step : manifest["steps"]) {
    ++step_number;
    auto key = PrivateKey::FromPemFile(path(step["key"]));
    if (!key) return ReportError(key.error());
    auto batch = ReadJsonLinesFile(path(step["file"]));
    if (!batch) return ReportError(batch.error());
    std::string submission_id = "demo-" + fs::path(step["file"].get<std::string>()).stem().string();
    auto receipt = AppendBatch(ledger, *key, *batch, submission_id, clock);
    bool expect_rejection = step.value("expect_rejection", false);
    if (expect_rejection) {
      if (receipt) return ReportError(Status::InvalidArgument("demo step " + submission_id + " should have been rejected"));
      std::cout << step_number << ". " << step.value("title", "") << "\n   rejected as expected, nothing appended:\n   "
                << receipt.error().message() << "\n";
      continue;
    }
    if (!receipt) return ReportError(receipt.error());
    size_t count = batch->canonical_events.size();
    std::cout << step_number << ". " << step.value("title", "") << "\n   " << count
              << (count == 1 ? " event" : " events") << " signed by " << fs::path(step["key"].get<std::string>()).stem().string() << ", sequence "
              << receipt->first_sequence << ".." << receipt->last_sequence << ", head "
              << HexEncode(receipt->head).substr(0, 16) << "\n";
  }

  // What the log now holds, by event type.
  std::map<std::string, uint64_t> counts;
  uint64_t first_disbursement = 0;
  Status scanned = ledger.ScanEntries(1, UINT64_MAX, [&](const StoredEntry& entry) {
    auto view = DecodeEntry(entry.record);
    if (!view) return false;
    auto event = DecodedEvent::Open(view->canonical_event, "event");
    if (!event) return false;
    ++counts[EventTypeName(event->root())];
    if (first_disbursement == 0 && event->root().which() == schema::Event::FUNDS_DISBURSED) {
      first_disbursement = entry.sequence;
    }
    return true;
  });
  if (!scanned.ok()) return ReportError(scanned);
  std::cout << "\nThe log holds " << ledger.head().sequence << " events in " << ledger.head().submission_count
            << " signed submissions:\n";
  Table table({"event type", "count"}, {false, true});
  for (const auto& [type, count] : counts) table.AddRow({type, std::to_string(count)});
  table.Print(std::cout);

  std::cout << "\nVerifying from genesis (chain, signatures, keys, permissions, validation):\n";
  Status verified = ledger.Verify(nullptr);
  if (!verified.ok()) return ReportError(verified);
  std::cout << "ok: " << ledger.head().sequence << " events verified, head " << HexEncode(ledger.head().chain_hash) << "\n";

  // What a regulator takes away and checks offline (fundtrail-verify): a signed tree head, the
  // proof of one disbursement with the keys that signed it, and a bundle of the whole log.
  const std::string head_path = (fs::path(directory) / "head.json").string();
  const std::string proof_path = (fs::path(directory) / ("proof-" + std::to_string(first_disbursement) + ".json")).string();
  const std::string bundle_path = (fs::path(directory) / "alliance.bundle").string();
  {
    auto operator_key = PrivateKey::FromPemFile(init.operator_key_path);
    if (!operator_key) return ReportError(operator_key.error());
    auto head = CurrentTreeHead(ledger, clock->NowMicros());
    if (!head) return ReportError(head.error());
    SignTreeHead(*operator_key, &*head);
    std::ofstream(head_path) << TreeHeadToJson(*head).dump(2) << "\n";
    auto evidence = BuildInclusionEvidence(ledger, first_disbursement, *head);
    if (!evidence) return ReportError(evidence.error());
    std::ofstream(proof_path) << InclusionEvidenceToJson(*evidence).dump(2) << "\n";
    auto proven = VerifyInclusionEvidence(*evidence);
    if (!proven) return ReportError(proven.error());
    auto exported = ExportBundle(ledger, 1, head->tree_size, *head, clock->NowMicros(), bundle_path);
    if (!exported) return ReportError(exported.error());
    auto bundle = VerifyBundle(bundle_path, BundleVerifyOptions());
    if (!bundle) return ReportError(bundle.error());
    std::cout << "\nFor the regulator, checked offline by fundtrail-verify (no RocksDB, no ledger directory):\n"
              << "  " << head_path << ": tree head of " << head->tree_size << " entries, root "
              << HexEncode(head->root_hash).substr(0, 16) << "..., signed by the operator key\n"
              << "  " << proof_path << ": event " << first_disbursement << " (" << proven->event_type
              << ") is in that tree; signed by key " << proven->signers.front().key_id_hex << " of "
              << proven->signers.front().org_id << " (" << RoleNames(proven->signers.front().roles) << "), "
              << proven->signers.size() - 1 << " registrations back to the genesis\n"
              << "  " << bundle_path << ": all " << bundle->entries << " events in " << bundle->submissions
              << " submissions replay and form the head's tree\n";
  }

  Status projected = projections::CatchUp(ledger);
  if (!projected.ok()) return ReportError(projected);
  auto projection = projections::Load(ledger, ledger.head().sequence);
  if (!projection) return ReportError(projection.error());
  auto print = [](const projections::ViewData& view) {
    std::cout << "\n" << view.title << "\n";
    Table table(view.headers, view.right_aligned);
    for (const auto& row : view.rows) table.AddRow(row);
    table.Print(std::cout);
  };
  print(projections::GrantsView(projection->views));
  std::string showcase = manifest.value("showcase_grant", "");
  if (!showcase.empty()) {
    auto history = projections::GrantHistory(ledger, showcase, ledger.head().sequence, projections::HistoryForm::kTable);
    if (!history) return ReportError(history.error());
    constexpr size_t kHistoryRowsShown = 25;
    if (history->rows.size() > kHistoryRowsShown) {
      history->title += " (first " + std::to_string(kHistoryRowsShown) + " of " + std::to_string(history->rows.size()) +
                        " events; `fundtrail history grant " + showcase + "` shows all)";
      history->rows.resize(kHistoryRowsShown);
    }
    print(*history);
  }
  // The misuse rules, as of today: one example per rule, then the counts.
  int32_t today = static_cast<int32_t>(clock->NowMicros() / 86400000000LL);
  auto flags = projection->rules.Flags(today);
  std::cout << "\nMisuse flags as of " << FormatDate(today) << " (policy version " << projection->rules.policy().version
            << "): " << flags.size() << " flags; one example per rule:\n";
  std::map<std::string, int> by_rule;
  for (const auto& flag : flags) {
    if (by_rule[flag.rule]++ == 0) {
      std::cout << "  " << flag.rule << " [" << flag.severity << "] " << flag.explanation << " (evidence #"
                << flag.evidence.front().sequence << ")\n";
    }
  }
  Table rules({"rule", "flags"}, {false, true});
  for (const auto& [rule, count] : by_rule) rules.AddRow({rule, std::to_string(count)});
  std::cout << "\n";
  rules.Print(std::cout);
  std::cout << "\nprojection digest " << HexEncode(projection->StateDigest()) << " at sequence "
            << projection->checkpoint().sequence
            << "\n\nTry next:\n"
            << "  fundtrail history grant " << showcase << " --ledger " << directory << "\n"
            << "  fundtrail view members --ledger " << directory << "\n"
            << "  fundtrail view alliance --ledger " << directory << "\n"
            << "  fundtrail flags --ledger " << directory << " --severity critical\n"
            << "  fundtrail log --ledger " << directory << " --subject grant:" << showcase << "\n"
            << "  fundtrail log --ledger " << directory << " --type funds_disbursed --csv\n"
            << "  fundtrail verify --ledger " << directory << "\n"
            << "  fundtrail-verify " << proof_path << "\n"
            << "  fundtrail-verify " << bundle_path << " --trusted-head " << head_path << std::endl;
  return kExitOk;
}

}  // namespace fundtrail
