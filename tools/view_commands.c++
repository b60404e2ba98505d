// `fundtrail view`, `history` and `rebuild`: projections of the log.
#include <chrono>
#include <iostream>
#include <tuple>

#include "ledger/store.h"
#include "projections/business_date.h"
#include "projections/history_store.h"
#include "projections/projection_store.h"
#include "projections/spending.h"
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


// The view of the projection called `name`; one without headers when there is none.
projections::ViewData NamedView(const projections::Projection& views, const std::string& name) {
  if (name == "grants") return projections::GrantsView(views);
  if (name == "members") return projections::MembersView(views);
  if (name == "alliance") return projections::AllianceView(views);
  if (name == "outcomes") return projections::OutcomesView(views);
  return {};
}

// Which ledger position and business period a view shows: above a table; on stderr beside JSON
// and CSV, whose stdout stays data.
void PrintScope(const std::string& scope, OutputFormat format) {
  if (format == OutputFormat::kTable) {
    std::cout << scope << "\n\n";
  } else {
    std::cerr << "fundtrail: " << scope << std::endl;
  }
}

std::string Lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

// The filter of `view spending`, checked: the grant and member exist, the category and the
// grouping are known (any case), the dates parse and are in order. Returns the filter and a
// description of it for the title.
Result<std::pair<projections::SpendingFilter, std::string>> SpendingFilterOf(const Ledger& ledger,
                                                                             const ViewOptions& options) {
  projections::SpendingFilter filter;
  std::string scope;
  auto add = [&](const std::string& part) { scope += (scope.empty() ? "" : ", ") + part; };
  if (!options.grant.empty()) {
    if (!ledger.state().grants.Contains(options.grant)) {
      return Error(Status::InvalidArgument("--grant \"" + options.grant +
                                           "\": no such grant in the ledger; list them with `fundtrail view grants`"));
    }
    filter.grant_id = options.grant;
    add("grant " + options.grant);
  }
  if (!options.member.empty()) {
    if (!ledger.state().organisations.Contains(options.member)) {
      return Error(Status::InvalidArgument("--member \"" + options.member +
                                           "\": no such organisation in the ledger; list them with `fundtrail view members`"));
    }
    filter.org_id = options.member;
    add("member " + options.member);
  }
  if (!options.category.empty()) {
    auto category = projections::BudgetCategoryFromName(options.category);
    if (!category) {
      std::string names;
      for (const auto& name : projections::BudgetCategoryNames()) names += (names.empty() ? "" : ", ") + name;
      return Error(Status::InvalidArgument("--category \"" + options.category +
                                           "\" is not a budget category; use one of: " + names));
    }
    filter.category = *category;
    add("category " + projections::BudgetCategoryName(*category));
  }
  for (const auto& [option, text, days] : {std::tuple{"--from-date", &options.from_date, &filter.from_days},
                                           std::tuple{"--to-date", &options.to_date, &filter.to_days}}) {
    if (text->empty()) continue;
    auto parsed = ParseDate(*text);
    if (!parsed) return Error(parsed.error().WithPrefix(option));
    *days = *parsed;
  }
  if (filter.from_days > filter.to_days) {
    return Error(Status::InvalidArgument("--from-date " + options.from_date + " is after --to-date " + options.to_date));
  }
  add("paid " + (options.from_date.empty() ? std::string("from the start") : options.from_date) + " to " +
      (options.to_date.empty() ? std::string("the end") : options.to_date));
  const std::string by = Lower(options.by);
  if (by == "month") {
    filter.by = projections::SpendingGroup::kMonth;
  } else if (by == "category") {
    filter.by = projections::SpendingGroup::kCategory;
  } else if (by == "member") {
    filter.by = projections::SpendingGroup::kMember;
  } else if (!by.empty()) {
    return Error(Status::InvalidArgument("--by \"" + options.by + "\" is not a grouping; use one of: month, category, member"));
  }
  return std::pair{filter, scope};
}

// `view spending`: reads the log up to `to` (projections/spending.h).
Result<projections::ViewData> SpendingViewOf(const Ledger& ledger, const ViewOptions& options, uint64_t to,
                                             std::optional<int32_t> business_day) {
  auto filter = SpendingFilterOf(ledger, options);
  if (!filter) return Error(filter.error());
  if (business_day) {
    // What the ledger records about the business up to that day: the period ends there.
    if (filter->first.from_days > *business_day) {
      return Error(Status::InvalidArgument("--from-date " + options.from_date + " is after --as-of-date " +
                                           options.as_of_date));
    }
    if (filter->first.to_days > *business_day) {
      filter->first.to_days = *business_day;
      filter->second += " (ends at --as-of-date)";
    }
  }
  auto fold = projections::FoldSpending(ledger, to);
  if (!fold) return Error(fold.error());
  std::string currency = "CNY";
  if (!options.grant.empty()) {
    if (const auto* grant = ledger.state().grants.Find(options.grant)) currency = grant->currency;
  }
  auto rows = projections::QuerySpending(*fold, filter->first, currency);
  if (!rows) return Error(rows.error());
  return projections::SpendingView(*rows, filter->first, filter->second);
}

}  // namespace

namespace {

// Microseconds since 1970 of `text`: YYYY-MM-DD (the last microsecond of that day, UTC) or
// YYYY-MM-DDTHH:MM[:SS]Z (UTC; "+00:00" for "Z" too), as `log` prints append times.
Result<int64_t> ParseAppendTime(const std::string& text) {
  constexpr int64_t kMicrosPerSecond = 1000000, kSecondsPerDay = 86400;
  auto bad = [&] {
    return Error(Status::InvalidArgument("--as-of-time \"" + text +
                                         "\" is not a UTC time; write 2025-12-31T23:59:59Z, or 2025-12-31 for the "
                                         "end of that day"));
  };
  auto days = ParseDate(text.substr(0, 10));
  if (!days) return bad();
  if (text.size() == 10) return (static_cast<int64_t>(*days) + 1) * kSecondsPerDay * kMicrosPerSecond - 1;
  std::string rest = text.substr(10);
  if (rest.ends_with("+00:00")) rest = rest.substr(0, rest.size() - 6) + "Z";
  int hours = 0, minutes = 0, seconds = 0;
  const bool short_form = rest.size() == 7;  // THH:MMZ
  if ((rest.size() != 10 && !short_form) || rest[0] != 'T' || rest.back() != 'Z' || rest[3] != ':' ||
      (!short_form && rest[6] != ':')) {
    return bad();
  }
  for (size_t i : {1, 2, 4, 5}) {
    if (rest[i] < '0' || rest[i] > '9') return bad();
  }
  if (!short_form && (rest[7] < '0' || rest[7] > '9' || rest[8] < '0' || rest[8] > '9')) return bad();
  hours = (rest[1] - '0') * 10 + (rest[2] - '0');
  minutes = (rest[4] - '0') * 10 + (rest[5] - '0');
  if (!short_form) seconds = (rest[7] - '0') * 10 + (rest[8] - '0');
  if (hours > 23 || minutes > 59 || seconds > 59) return bad();
  const int64_t second = static_cast<int64_t>(*days) * kSecondsPerDay + hours * 3600 + minutes * 60 + seconds;
  return (second + 1) * kMicrosPerSecond - 1;  // the whole second counts
}

}  // namespace

Result<uint64_t> AsOfSequence(const Ledger& ledger, const ViewOptions& options) {
  if (options.as_of_sequence != 0 && !options.as_of_time.empty()) {
    return Error(Status::InvalidArgument("give --as-of-seq or --as-of-time, not both (both name a ledger position)"));
  }
  if (options.as_of_sequence != 0) {
    if (options.as_of_sequence > ledger.head().sequence) {
      return Error(Status::InvalidArgument("--as-of-seq " + std::to_string(options.as_of_sequence) +
                                           " is beyond the head at " + std::to_string(ledger.head().sequence)));
    }
    return options.as_of_sequence;
  }
  if (!options.as_of_time.empty()) {
    auto micros = ParseAppendTime(options.as_of_time);
    if (!micros) return Error(micros.error());
    auto sequence = ledger.LastSequenceAppendedBy(*micros);
    if (!sequence) return Error(sequence.error());
    if (*sequence == 0) {
      return Error(Status::InvalidArgument(
          "--as-of-time " + options.as_of_time + " is before the ledger's first append: there is nothing to read; "
          "for the business up to a date whenever it was recorded, use --as-of-date"));
    }
    return *sequence;
  }
  return ledger.head().sequence;
}

Result<std::optional<int32_t>> AsOfBusinessDay(const ViewOptions& options) {
  if (options.as_of_date.empty()) return std::optional<int32_t>();
  auto days = ParseDate(options.as_of_date);
  if (!days) return Error(days.error().WithPrefix("--as-of-date (a business date, YYYY-MM-DD)"));
  return std::optional<int32_t>(*days);
}

int RunView(const ViewOptions& options, Clock* clock) {
  auto opened = Ledger::Open(ResolveLedgerDirectory(options.ledger), Ledger::Access::kReadOnly, clock);
  if (!opened) return ReportError(opened.error());
  auto to = AsOfSequence(**opened, options);
  if (!to) return ReportError(to.error());
  auto business_day = AsOfBusinessDay(options);
  if (!business_day) return ReportError(business_day.error());
  if (options.digest) {
    if (business_day->has_value()) {
      return ReportError(Status::InvalidArgument(
          "--digest is the digest of the projections at a ledger position: give --as-of-seq or --as-of-time, "
          "not --as-of-date (a business date)"));
    }
    auto projection = projections::Load(**opened, *to, projections::RulesUse::kStateOnly);
    if (!projection) return ReportError(projection.error());
    std::cout << "projection digest " << HexEncode(projection->StateDigest()) << " at sequence "
              << projection->checkpoint().sequence << std::endl;
    return kExitOk;
  }
  const bool spending = options.name == "spending";
  if (!spending && (!options.grant.empty() || !options.member.empty() || !options.category.empty() ||
                    !options.from_date.empty() || !options.to_date.empty() || !options.by.empty())) {
    return ReportError(Status::InvalidArgument(
        "--grant, --member, --category, --from-date, --to-date and --by belong to `view spending`"));
  }
  // As of a business date, the views are folded from the events dated up to it (a fold of the
  // whole log, not a stored snapshot); the spending query's period ends there too.
  std::optional<projections::Projections> by_date;
  std::string scope = "as of sequence " + std::to_string(*to) + " of " + std::to_string((*opened)->head().sequence);
  if (business_day->has_value()) {
    projections::BusinessCut cut;
    auto folded = projections::FoldToBusinessDate(**opened, *to, **business_day, &cut);
    if (!folded) return ReportError(folded.error());
    by_date = std::move(*folded);
    scope += ", " + projections::DescribeBusinessCut(cut);
  }
  projections::ViewData view;
  if (spending) {
    auto built = SpendingViewOf(**opened, options, *to, *business_day);
    if (!built) return ReportError(built.error());
    view = std::move(*built);
  } else {
    std::optional<projections::Projection> loaded;
    if (!by_date) {
      // The views need not the rules' state.
      auto views = projections::LoadViews(**opened, *to);
      if (!views) return ReportError(views.error());
      loaded = std::move(*views);
    }
    view = NamedView(by_date ? by_date->views : *loaded, options.name);
    if (view.headers.empty()) {
      return ReportError(Status::InvalidArgument("unknown view \"" + options.name +
                                                 "\" (views: grants, members, alliance, outcomes, spending; or --digest)"));
    }
  }
  if (options.format == OutputFormat::kTable || by_date) PrintScope(scope, options.format);
  PrintView(view, options.format, std::cout);
  return kExitOk;
}

int RunHistory(const ViewOptions& options, Clock* clock) {
  if (!options.as_of_date.empty()) {
    // A history is the log's own order, with running balances: a business date would cut it
    // into rows whose balances no longer add up.
    return ReportError(Status::InvalidArgument(
        "history lists events in ledger order with running balances: --as-of-date (a business date) does not "
        "apply; give --as-of-seq or --as-of-time for a ledger position, or use `view spending --to-date`"));
  }
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
// `consequence` says what the difference did.
void ReportRebuiltStore(const std::string& what, const std::vector<std::string>& differing,
                        const std::string& consequence =
                            "the writer would have validated against what the log does not say") {
  if (differing.empty()) {
    std::cout << what << ": the stored one was the same\n";
    return;
  }
  std::string parts;
  for (const auto& part : differing) parts += (parts.empty() ? "" : ", ") + part;
  std::cout << what << ": the stored one DIFFERED from the log (" << parts << ") and was replaced: " << consequence
            << "\n";
}

std::string DescribeReplacedViews(const projections::StoredViews& before) {
  using projections::ViewsCheck;
  const std::string at = std::to_string(before.committed_at);
  switch (before.check) {
    case ViewsCheck::kProven: return "the stored ones were the same (proven by the commitment of the submission at " + at + ")";
    case ViewsCheck::kDiffered:
      return "the stored ones DIFFERED from the commitment of the submission at " + at +
             " and were replaced: no command showed them, each refused to";
    case ViewsCheck::kNotCommitted: return "no commitment covered the stored ones (a ledger written before format 3); replaced";
    case ViewsCheck::kOffTheLog: return "the stored ones were of another history or beyond the head; replaced";
    case ViewsCheck::kUnreadable: return "the stored ones could not be read; replaced";
    case ViewsCheck::kMissing: return "none were stored; written";
  }
  return "";
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
  auto subjects = ledger.RebuildSubjectIndex();
  if (!subjects) return ReportError(subjects.error());
  std::vector<std::string> subject_parts;
  if (subjects->missing > 0) subject_parts.push_back(std::to_string(subjects->missing) + " missing");
  if (subjects->extra > 0) subject_parts.push_back(std::to_string(subjects->extra) + " extra");
  ReportRebuiltStore("subject index", subject_parts,
                     "`log --subject` and histories showed events that are not the subject's, or hid some");
  // Whether the stored rules' state was the log's (it is not committed; verify compares it too).
  auto rules_before = projections::FindDifferingRulesSnapshot(ledger);
  if (!rules_before) return ReportError(rules_before.error());
  // Whether the stored views were what the log's commitments prove, said once they are replaced.
  auto views_before = projections::ReadStoredViews(ledger, ledger.head().sequence);
  if (!views_before) return ReportError(views_before.error());
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
  std::cout << "views: " << DescribeReplacedViews(*views_before) << "\n";
  if (rules_before->has_value()) {
    std::cout << "rules' state: the stored one DIFFERED from the log up to sequence " << **rules_before
              << " and was replaced: flags shown before were not the log's\n";
  } else {
    std::cout << "rules' state: the stored one was the same, or not used; replaced\n";
  }
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
