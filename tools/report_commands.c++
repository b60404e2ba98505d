// `fundtrail report`: the audit report (report/audit_report.h) written as HTML and printed to PDF.
#include <chrono>
#include <filesystem>
#include <iostream>

#include "ledger/export.h"
#include "ledger/json_file.h"
#include "ledger/store.h"
#include "ledger/witness.h"
#include "report/audit_report.h"
#include "report/pdf.h"
#include "tools/commands.h"

namespace fundtrail {

namespace {

int ReportUsage(const std::string& message) {
  std::cerr << "fundtrail: error: " << message << std::endl;
  return kExitUsage;
}

// The HTML of the report the options ask for.
Result<std::string> BuildHtml(const ReportCommandOptions& options, report::Language language, Clock* clock,
                              uint64_t* flag_count) {
  auto opened = Ledger::Open(ResolveLedgerDirectory(options.ledger), Ledger::Access::kReadOnly, clock);
  if (!opened) return Error(opened.error());
  auto head = ReadCosignedHeadFile(options.head);
  if (!head) return Error(head.error());
  Status matches = CheckHeadOfLedger(**opened, head->head);
  if (!matches.ok()) return Error(matches.WithPrefix(options.head));
  std::optional<WitnessPolicy> policy;
  if (!options.witness_policy.empty()) {
    auto read = ReadWitnessPolicyFile(options.witness_policy);
    if (!read) return Error(read.error());
    policy = std::move(*read);
  }
  report::ReportScope scope{options.grant, options.member, options.from_date, options.to_date, language,
                            options.ledger.empty() ? ResolveLedgerDirectory("") : options.ledger, options.head};
  auto model = report::BuildReportModel(**opened, *head, policy, scope);
  if (!model) return Error(model.error());
  *flag_count = (*model)["flags"].size();
  return report::RenderReportHtml(*model);
}

}  // namespace

int RunReport(const ReportCommandOptions& options, Clock* clock) {
  if (options.out.empty() && options.pdf.empty()) {
    return ReportUsage("say where to write the report: --out FILE.html, --pdf FILE.pdf, or both");
  }
  auto language = report::ParseLanguage(options.lang);
  if (!language) return ReportUsage(language.error().message());
  // Before any work: a PDF that cannot be printed is known at once.
  std::string chromium;
  if (!options.pdf.empty()) {
    auto found = report::FindChromium(options.chromium);
    if (!found) return ReportError(found.error());
    chromium = *found;
  }
  const auto start = std::chrono::steady_clock::now();
  uint64_t flag_count = 0;
  auto html = BuildHtml(options, *language, clock, &flag_count);
  if (!html) return ReportError(html.error());
  // Without --out the HTML lives beside the PDF until Chromium has printed it.
  const std::string html_path = options.out.empty() ? options.pdf + ".html" : options.out;
  Status written = WriteFileAtomically(html_path, *html);
  if (!written.ok()) return ReportError(written);
  const auto built = std::chrono::steady_clock::now();
  if (!options.out.empty()) {
    std::cout << "wrote " << options.out << " (" << html->size() << " bytes, " << flag_count << " flags) in "
              << std::chrono::duration_cast<std::chrono::milliseconds>(built - start).count() << " ms\n";
  }
  if (!options.pdf.empty()) {
    Status printed = report::PrintHtmlToPdf(chromium, html_path, options.pdf);
    if (options.out.empty()) {
      std::error_code ignored;
      std::filesystem::remove(html_path, ignored);
    }
    if (!printed.ok()) return ReportError(printed);
    std::cout << "wrote " << options.pdf << " with " << chromium << " in "
              << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - built).count()
              << " ms\n";
  }
  std::cout.flush();
  return kExitOk;
}

}  // namespace fundtrail
