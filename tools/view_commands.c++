// `fundtrail view`, `history` and `rebuild`: projections of the log.
#include <chrono>
#include <iostream>

#include "ledger/store.h"
#include "projections/history_store.h"
#include "projections/projection_store.h"
#include "projections/views.h"
#include "tools/commands.h"
#include "tools/output.h"

namespace fundtrail {

namespace {

void PrintView(const projections::ViewData& view, OutputFormat format, std::ostream& out) {
  switch (format) {
    case OutputFormat::kJson:
      for (const auto& item : view.json) out << item.dump() << '\n';
      break;
    case OutputFormat::kCsv:
      PrintCsvRow(out, view.headers);
      for (const auto& row : view.csv_rows) PrintCsvRow(out, row);
      break;
    case OutputFormat::kTable: {
      out << view.title << "\n";
      Table table(view.headers, view.right_aligned);
      for (const auto& row : view.rows) table.AddRow(row);
      table.Print(out);
      for (const auto& section : view.sections) {
        out << "\n";
        PrintView(section, format, out);
      }
      break;
    }
  }
  out.flush();
}


}  // namespace

// The sequence number the options ask for: --as-of-seq, --as-of-date, or the head.
Result<uint64_t> AsOfSequence(const Ledger& ledger, const ViewOptions& options) {
  if (options.as_of_sequence != 0 && !options.as_of_date.empty()) {
    return Error(Status::InvalidArgument("give --as-of-seq or --as-of-date, not both"));
  }
  if (options.as_of_sequence != 0) {
    if (options.as_of_sequence > ledger.head().sequence) {
      return Error(Status::InvalidArgument("--as-of-seq " + std::to_string(options.as_of_sequence) +
                                           " is beyond the head at " + std::to_string(ledger.head().sequence)));
    }
    return options.as_of_sequence;
  }
  if (!options.as_of_date.empty()) return projections::SequenceAtEndOfDate(ledger, options.as_of_date);
  return ledger.head().sequence;
}

int RunView(const ViewOptions& options, Clock* clock) {
  auto opened = Ledger::Open(ResolveLedgerDirectory(options.ledger), Ledger::Access::kReadOnly, clock);
  if (!opened) return ReportError(opened.error());
  auto to = AsOfSequence(**opened, options);
  if (!to) return ReportError(to.error());
  if (options.digest) {
    auto projection = projections::Load(**opened, *to, projections::RulesUse::kStateOnly);
    if (!projection) return ReportError(projection.error());
    std::cout << "projection digest " << HexEncode(projection->StateDigest()) << " at sequence "
              << projection->checkpoint().sequence << std::endl;
    return kExitOk;
  }
  // The views need not the rules' state.
  auto views = projections::LoadViews(**opened, *to);
  if (!views) return ReportError(views.error());
  projections::ViewData view;
  if (options.name == "grants") {
    view = projections::GrantsView(*views);
  } else if (options.name == "members") {
    view = projections::MembersView(*views);
  } else if (options.name == "alliance") {
    view = projections::AllianceView(*views);
  } else if (options.name == "outcomes") {
    view = projections::OutcomesView(*views);
  } else {
    return ReportError(Status::InvalidArgument("unknown view \"" + options.name +
                                               "\" (views: grants, members, alliance, outcomes; or --digest)"));
  }
  if (options.format == OutputFormat::kTable) {
    std::cout << "as of sequence " << *to << " of " << (*opened)->head().sequence << "\n\n";
  }
  PrintView(view, options.format, std::cout);
  return kExitOk;
}

int RunHistory(const ViewOptions& options, Clock* clock) {
  auto opened = Ledger::Open(ResolveLedgerDirectory(options.ledger), Ledger::Access::kReadOnly, clock);
  if (!opened) return ReportError(opened.error());
  auto to = AsOfSequence(**opened, options);
  if (!to) return ReportError(to.error());
  Result<projections::ViewData> view = Error(Status::InvalidArgument(
      "history of \"" + options.subject_kind + "\": give `history grant ID` or `history member ID`"));
  // Only the rows that are printed are built.
  const projections::HistoryForm form = options.format == OutputFormat::kJson  ? projections::HistoryForm::kJson
                                        : options.format == OutputFormat::kCsv ? projections::HistoryForm::kCsv
                                                                               : projections::HistoryForm::kTable;
  if (options.subject_kind == "grant") view = projections::GrantHistory(**opened, options.subject_id, *to, form);
  if (options.subject_kind == "member") view = projections::MemberHistory(**opened, options.subject_id, *to, form);
  if (!view) return ReportError(view.error());
  PrintView(*view, options.format, std::cout);
  return kExitOk;
}

// Prints whether a rebuilt store of the writer's own (the validation state, the submission id
// index) differed from the one it replaced.
void ReportRebuiltStore(const std::string& what, const std::vector<std::string>& differing) {
  if (differing.empty()) {
    std::cout << what << ": the stored one was the same\n";
    return;
  }
  std::string parts;
  for (const auto& part : differing) parts += (parts.empty() ? "" : ", ") + part;
  std::cout << what << ": the stored one DIFFERED from the log (" << parts
            << ") and was replaced: the writer would have validated against what the log does not say\n";
}

int RunRebuild(const std::string& ledger_flag, Clock* clock) {
  // Unchecked: a damaged validation state is what a rebuild mends, first of all.
  auto opened = Ledger::Open(ResolveLedgerDirectory(ledger_flag), Ledger::Access::kReadWrite, clock,
                             Ledger::StateCheck::kUnchecked);
  if (!opened) return ReportError(opened.error());
  Ledger& ledger = **opened;
  auto state = ledger.RebuildState();
  if (!state) return ReportError(state.error());
  ReportRebuiltStore("validation state", *state);
  auto ids = ledger.RebuildSubmissionIds();
  if (!ids) return ReportError(ids.error());
  ReportRebuiltStore("submission id index", *ids);
  // The time printed includes reading the store it replaces (on a thread of its own).
  auto start = std::chrono::steady_clock::now();
  // What the history store held up to its checkpoint, to say whether it agreed with the log; the
  // rebuilt store's digests come from the rebuild itself, which hashes what it writes.
  projections::ReplacedHistory replaced;
  projections::RebuiltHistoryDigests rebuilt;
  auto projection = projections::RebuildAndStore(ledger, &rebuilt, &replaced);
  if (!projection) return ReportError(projection.error());
  const std::string& unreadable = replaced.unreadable;
  const std::optional<projections::HistoryCheckpoint>& stored_checkpoint = replaced.checkpoint;
  const std::optional<Digest>& stored_digest = replaced.digest;
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "rebuilt projections and the history store from " << projection->checkpoint().sequence
            << " events in " << static_cast<int64_t>(seconds * 1000) << " ms\nprojection digest "
            << HexEncode(projection->StateDigest()) << " at sequence " << projection->checkpoint().sequence << "\n";
  std::cout << "history store: " << rebuilt.whole.records << " records, digest " << HexEncode(rebuilt.whole.digest)
            << "; ";
  if (!unreadable.empty()) {
    std::cout << "the stored one could not be read (" << unreadable << ") and was replaced\n";
  } else if (!stored_digest) {
    std::cout << "the stored one was missing, of another layout or of another history, and was replaced\n";
  } else if (!rebuilt.part || rebuilt.part->digest != *stored_digest) {
    // Derived data that disagrees with the log it claims to reflect: damaged or tampered with.
    std::cout << "the stored one DIFFERED from the log up to sequence " << stored_checkpoint->sequence
              << " and was replaced: histories read before showed what the log does not say\n";
  } else if (stored_checkpoint->sequence < ledger.head().sequence) {
    std::cout << "the stored one agreed with the log up to sequence " << stored_checkpoint->sequence
              << " and is now complete\n";
  } else {
    std::cout << "the stored one was the same\n";
  }
  std::cout.flush();
  return kExitOk;
}

}  // namespace fundtrail
