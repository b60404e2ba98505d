// fundtrail import: wiring of ledger/importer to the command line.
#include <iostream>

#include "ledger/client.h"
#include "ledger/corrections.h"
#include "ledger/importer.h"
#include "ledger/log_lines.h"
#include "ledger/store.h"
#include "ledger/submission.h"
#include "projections/projection_store.h"
#include "tools/commands.h"

namespace fundtrail {

namespace {

void PrintSummary(const ImportCommandOptions& options, const ImportReport& report) {
  if (options.json) {
    nlohmann::ordered_json out = {
        {"file", options.input},      {"encoding", TextEncodingName(report.encoding)},
        {"rows", report.rows},        {"skipped", report.skipped},
        {"new", report.new_rows},     {"already_in_ledger", report.already},
        {"changed", report.changed},  {"invoice_warnings", report.invoice_warnings},
        {"appended", !options.check && !report.receipts.empty()},
    };
    nlohmann::ordered_json submissions = nlohmann::ordered_json::array();
    for (const auto& receipt : report.receipts) {
      submissions.push_back({{"submission_id", receipt.submission_id},
                             {"first_sequence", receipt.first_sequence},
                             {"last_sequence", receipt.last_sequence},
                             {"already_appended", receipt.already_appended}});
    }
    out["submissions"] = submissions;
    std::cout << out.dump() << std::endl;
    return;
  }
  for (const auto& receipt : report.receipts) PrintReceipt(receipt, false);
  std::cout << (options.check ? "check: " : "import: ") << options.input << " ("
            << TextEncodingName(report.encoding) << "): " << report.rows << (report.rows == 1 ? " row" : " rows");
  if (report.skipped > 0) std::cout << " (" << report.skipped << " blank or skipped)";
  std::cout << ", " << report.new_rows << (options.check ? " new" : " appended") << ", " << report.already
            << " already in the ledger, " << report.changed << " changed";
  if (options.check) {
    std::cout << "; no errors, nothing appended (--check)";
  } else if (report.new_rows == 0) {
    std::cout << "; nothing appended";
  }
  std::cout << std::endl;
}

}  // namespace

int RunImport(const ImportCommandOptions& options, Clock* clock) {
  ImportOptions import;
  import.input_path = options.input;
  import.mapping_path = options.mapping;
  import.check_only = options.check;
  if (options.rows_per_submission < 1 || options.rows_per_submission > kSubmissionEventCountMax) {
    std::cerr << "fundtrail: usage error: --rows-per-submission takes 1 to " << kSubmissionEventCountMax << std::endl;
    return kExitUsage;
  }
  import.submission_event_count_max = options.rows_per_submission;
  if (!options.encoding.empty() && options.encoding != "auto") {
    auto encoding = ParseTextEncoding(options.encoding);
    if (!encoding) return ReportError(encoding.error().WithPrefix("--encoding"));
    import.encoding = *encoding;
  }
  std::optional<PrivateKey> key;
  if (!options.check) {
    if (options.key.empty()) {
      std::cerr << "fundtrail: usage error: import needs --key KEY.pem to sign (or --check to append nothing)"
                << std::endl;
      return kExitUsage;
    }
    auto read = PrivateKey::FromPemFile(options.key);
    if (!read) return ReportError(read.error());
    key = std::move(*read);
  }
  auto ledger = options.check ? Ledger::Open(ResolveLedgerDirectory(options.ledger), Ledger::Access::kReadOnly, clock)
                               : projections::OpenWriter(ResolveLedgerDirectory(options.ledger), clock);
  if (!ledger) return ReportError(ledger.error());
  ImportMessages messages;
  messages.error = [](const std::string& line) { std::cerr << "fundtrail: error: " << line << "\n"; };
  messages.warning = [](const std::string& line) { std::cerr << "fundtrail: warning: " << line << "\n"; };
  messages.progress = [](const std::string& line) { std::cerr << line << std::endl; };
  auto report = ImportCsv(import, **ledger, key ? &*key : nullptr, clock, messages);
  if (!report) return ReportError(report.error());
  PrintSummary(options, *report);
  if (!report->receipts.empty()) {
    // The append is durable already; projections are derived and catch up on the next open if
    // this fails.
    Status projected = projections::CatchUp(**ledger, projections::RulesSnapshot::kWhenLagging);
    if (!projected.ok()) std::cerr << "fundtrail: warning: projections not updated: " << projected.message() << std::endl;
  }
  return kExitOk;
}

namespace {

// Signs and appends a correction batch, prints the receipt and catches the projections up.
int AppendCorrection(Ledger& ledger, const PrivateKey& key, const EventBatch& batch, const std::string& id,
                     bool json, Clock* clock) {
  auto receipt = AppendBatch(ledger, key, batch, id, clock);
  if (!receipt) return ReportError(receipt.error());
  PrintReceipt(*receipt, json);
  Status projected = projections::CatchUp(ledger, projections::RulesSnapshot::kWhenLagging);
  if (!projected.ok()) std::cerr << "fundtrail: warning: projections not updated: " << projected.message() << std::endl;
  return kExitOk;
}

// The sequence of the one event `voucher` names that is not reversed (log --voucher finds the
// same events), or an error that lists the candidates.
Result<uint64_t> SequenceOfVoucher(const Ledger& ledger, const std::string& voucher) {
  LogOptions paper_trail;
  paper_trail.voucher = voucher;
  LogQuery query;
  query.matches = [&paper_trail](schema::Event::Reader event) { return MatchesPaperTrail(event, paper_trail); };
  std::vector<uint64_t> live, reversed;
  FT_RETURN_IF_ERROR(ScanLog(ledger, query, [&](const LogLine& line) {
    (line.reversed ? reversed : live).push_back(line.sequence);
    return true;
  }));
  auto list = [](const std::vector<uint64_t>& sequences) {
    std::string text;
    for (uint64_t sequence : sequences) text += (text.empty() ? "" : ", ") + std::to_string(sequence);
    return text;
  };
  if (live.size() == 1) return live.front();
  if (live.empty() && reversed.empty()) {
    return Error(Status::NotFound("--voucher " + voucher + ": no event of the ledger has this voucher reference or "
                                  "import source key; list candidates with fundtrail log --voucher PART"));
  }
  if (live.empty()) {
    return Error(Status::InvalidArgument("--voucher " + voucher + ": its events (sequence " + list(reversed) +
                                         ") are all reversed already; append the corrected event with fundtrail append"));
  }
  return Error(Status::InvalidArgument("--voucher " + voucher + " names " + std::to_string(live.size()) +
                                       " live events (sequence " + list(live) +
                                       "); give its whole import source key (ORG|PERIOD|VOUCHER|LINE, as fundtrail log --voucher " +
                                       voucher + " --json shows it) or --seq N"));
}

}  // namespace

int RunReverse(const CorrectionOptions& options, Clock* clock) {
  auto key = PrivateKey::FromPemFile(options.key);
  if (!key) return ReportError(key.error());
  auto ledger = projections::OpenWriter(ResolveLedgerDirectory(options.ledger), clock);
  if (!ledger) return ReportError(ledger.error());
  auto batch = ReverseSubmissionBatch(**ledger, options.submission, options.reason);
  if (!batch) return ReportError(batch.error());
  // Derived from what is reversed, so that running the command again appends nothing twice.
  return AppendCorrection(**ledger, *key, *batch, "", options.json, clock);
}

int RunCorrect(const CorrectionOptions& options, Clock* clock) {
  if (options.sequence == 0 && options.voucher.empty()) {
    return ReportError(Status::InvalidArgument("correct: give the event to replace, --seq N or --voucher REF"));
  }
  auto key = PrivateKey::FromPemFile(options.key);
  if (!key) return ReportError(key.error());
  auto replacement = ReadJsonLinesFile(options.input);
  if (!replacement) return ReportError(replacement.error());
  auto ledger = projections::OpenWriter(ResolveLedgerDirectory(options.ledger), clock);
  if (!ledger) return ReportError(ledger.error());
  uint64_t sequence = options.sequence;
  if (!options.voucher.empty()) {
    auto found = SequenceOfVoucher(**ledger, options.voucher);
    if (!found) return ReportError(found.error());
    sequence = *found;
  }
  auto batch = CorrectionBatch(**ledger, sequence, options.reason, std::move(*replacement));
  if (!batch) return ReportError(batch.error());
  return AppendCorrection(**ledger, *key, *batch, "", options.json, clock);
}

}  // namespace fundtrail
