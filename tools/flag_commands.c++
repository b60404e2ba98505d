// `fundtrail flags`, `flags show`, `flags review`, `policy show` and `policy set`: the misuse
// rules (docs/RULES.md).
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "ledger/client.h"
#include "ledger/export.h"
#include "ledger/json_codec.h"
#include "ledger/log_format.h"
#include "ledger/store.h"
#include "projections/flag_query.h"
#include "projections/projection_store.h"
#include "tools/commands.h"
#include "tools/output.h"

namespace fundtrail {

namespace {

int32_t Today(Clock* clock) { return static_cast<int32_t>(clock->NowMicros() / 86400000000LL); }

// Appends one event signed by `key_path`, prints the receipt and catches projections up.
int AppendOne(const std::string& ledger_flag, const std::string& key_path, const nlohmann::json& event,
              const std::string& what, Clock* clock) {
  auto key = PrivateKey::FromPemFile(key_path);
  if (!key) return ReportError(key.error());
  auto encoded = EncodeEvent(event);
  if (!encoded) return ReportError(encoded.error().WithPrefix(what));
  EventBatch batch;
  batch.source = what;
  batch.canonical_events.push_back(std::move(*encoded));
  batch.line_numbers.push_back(1);
  batch.types.push_back(event["type"].get<std::string>());
  auto ledger = projections::OpenWriter(ResolveLedgerDirectory(ledger_flag), clock);
  if (!ledger) return ReportError(ledger.error());
  auto receipt = AppendBatch(**ledger, *key, batch, "", clock);
  if (!receipt) return ReportError(receipt.error());
  std::cout << (receipt->already_appended ? "already recorded" : "recorded") << " at sequence "
            << receipt->first_sequence << ", hash " << HexEncode(receipt->head) << std::endl;
  Status projected = projections::CatchUp(**ledger, projections::RulesSnapshot::kWhenLagging);
  if (!projected.ok()) std::cerr << "fundtrail: warning: projections not updated: " << projected.message() << std::endl;
  return kExitOk;
}

// A bad filter value is a bad command line: exit 1, like a value CLI11 rejects.
int ReportUsage(const Status& status) {
  std::cerr << "fundtrail: error: " << status.message() << std::endl;
  return kExitUsage;
}

using projections::LoadedFlags;

// The flags of the ledger as the view options ask: as of a ledger position (--as-of-seq,
// --as-of-time, else the head), for the business up to --as-of-date when it is given, evaluated
// at that date, else at the day of --as-of-time, else today. `scope` says what was read.
Result<LoadedFlags> LoadFlags(const Ledger& ledger, const ViewOptions& view, Clock* clock, std::string* scope) {
  auto to = AsOfSequence(ledger, view);
  if (!to) return Error(to.error());
  auto business_day = AsOfBusinessDay(view);
  if (!business_day) return Error(business_day.error());
  Result<LoadedFlags> loaded = Error(Status::InvalidArgument("no flags loaded"));
  std::string cut_text;
  if (business_day->has_value()) {
    projections::BusinessCut cut;
    loaded = projections::LoadFlagsByBusinessDate(ledger, *to, **business_day, &cut);
    if (loaded) cut_text = ", " + projections::DescribeBusinessCut(cut);
  } else {
    int32_t as_of_days = Today(clock);
    if (!view.as_of_time.empty()) as_of_days = *ParseDate(view.as_of_time.substr(0, 10));  // checked above
    loaded = projections::LoadFlagsAt(ledger, *to, as_of_days);
  }
  if (!loaded) return loaded;
  *scope = "as of " + FormatDate(loaded->as_of_days) + ", ledger sequence " + std::to_string(loaded->sequence) +
           " of " + std::to_string(ledger.head().sequence) + cut_text;
  return loaded;
}

void PrintFlagFields(const projections::Flag& flag, std::ostream& out) {
  out << "flag " << flag.id << "  [" << flag.severity << ", " << flag.review_status << "]\n"
      << "  rule         " << flag.rule << " (docs/RULES.md)\n"
      << "  subject      " << flag.subject << "\n  touches     ";
  for (const auto& subject : flag.touches) out << " " << subject;
  out << "\n  policy       version " << flag.policy_version << ": " << flag.parameters.dump() << "\n"
      << "  explanation  " << flag.explanation << "\n  figures\n";
  for (const auto& [key, value] : flag.figures.items()) {
    out << "    " << key << ": " << (value.is_string() ? value.get<std::string>() : value.dump()) << "\n";
  }
  for (const auto& review : flag.reviews) {
    out << "  review       #" << review.sequence << " " << review.disposition << ": " << review.note << "\n";
  }
}

}  // namespace

Result<projections::FlagLanguage> ChooseFlagLanguage(const std::string& lang) {
  if (!lang.empty()) return projections::ParseFlagLanguage(lang);
  // POSIX order: LC_ALL overrides LC_MESSAGES, which overrides LANG.
  for (const char* name : {"LC_ALL", "LC_MESSAGES", "LANG"}) {
    if (const char* value = std::getenv(name); value != nullptr && *value != '\0') {
      return projections::FlagLanguageFromLocale(value);
    }
  }
  return projections::FlagLanguage::kEnglish;
}

int RunFlags(const FlagOptions& options, Clock* clock) {
  auto language = ChooseFlagLanguage(options.lang);
  if (!language) return ReportUsage(language.error());
  auto opened = Ledger::Open(ResolveLedgerDirectory(options.view.ledger), Ledger::Access::kReadOnly, clock);
  if (!opened) return ReportError(opened.error());
  std::string scope;
  auto loaded = LoadFlags(**opened, options.view, clock, &scope);
  if (!loaded) return ReportError(loaded.error());
  auto filter = projections::MakeFlagFilter({options.rule, options.severity, options.subject, options.status},
                                            loaded->known_subjects);
  if (!filter) return ReportUsage(filter.error());
  std::vector<projections::Flag> flags;
  for (auto& flag : loaded->flags) {
    if (filter->Matches(flag)) flags.push_back(std::move(flag));
  }
  for (auto& flag : flags) flag.explanation = projections::FlagExplanation(flag, *language);
  // Beside JSON and CSV, whose stdout stays data, what was read goes to stderr when a business
  // date chose it.
  if (options.view.format != OutputFormat::kTable && !options.view.as_of_date.empty()) {
    std::cerr << "fundtrail: flags " << scope << std::endl;
  }
  switch (options.view.format) {
    case OutputFormat::kJson:
      for (const auto& flag : flags) std::cout << projections::FlagToJson(flag).dump() << '\n';
      break;
    case OutputFormat::kCsv:
      PrintCsvRow(std::cout, projections::FlagCsvHeaders());
      for (const auto& flag : flags) PrintCsvRow(std::cout, projections::FlagCsvRow(flag));
      break;
    case OutputFormat::kTable: {
      std::cout << "flags " << scope << ", policy version " << loaded->policy_version << "\n\n";
      for (const auto& flag : flags) {
        std::cout << flag.id << "  [" << flag.severity << ", " << flag.review_status << "]  " << flag.subject << "\n  "
                  << flag.explanation << "\n  evidence:";
        size_t shown = 0;
        for (const auto& item : flag.evidence) {
          if (++shown > 6) {
            std::cout << " ... " << flag.evidence.size() - 6 << " more";
            break;
          }
          std::cout << " #" << item.sequence << " " << HexEncode(item.chain_hash).substr(0, 12);
        }
        std::cout << "\n\n";
      }
      std::map<std::string, int> by_rule;
      for (const auto& flag : flags) by_rule[flag.rule]++;
      Table table({"rule", "flags"}, {false, true});
      for (const auto& [rule, count] : by_rule) table.AddRow({rule, std::to_string(count)});
      table.Print(std::cout);
      std::cout << flags.size() << (flags.size() == 1 ? " flag" : " flags") << std::endl;
      break;
    }
  }
  std::cout.flush();
  return kExitOk;
}

int RunFlagShow(const ViewOptions& options, const std::string& flag_id, const std::string& lang, Clock* clock) {
  auto language = ChooseFlagLanguage(lang);
  if (!language) return ReportUsage(language.error());
  auto opened = Ledger::Open(ResolveLedgerDirectory(options.ledger), Ledger::Access::kReadOnly, clock);
  if (!opened) return ReportError(opened.error());
  std::string scope;
  auto loaded = LoadFlags(**opened, options, clock, &scope);
  if (!loaded) return ReportError(loaded.error());
  auto found = projections::FindFlag(loaded->flags, flag_id);
  if (!found) {
    return ReportError(found.error().WithPrefix(
        scope + (found.error().code() == StatusCode::kNotFound ? " (list them with `fundtrail flags`)" : "")));
  }
  projections::Flag flag = **found;
  flag.explanation = projections::FlagExplanation(flag, *language);
  std::vector<nlohmann::ordered_json> events;
  for (const auto& evidence : flag.evidence) {
    auto event = ReadEvidenceEvent(**opened, evidence.sequence, evidence.chain_hash);
    if (!event) return ReportError(event.error());
    events.push_back(std::move(*event));
  }
  if (options.format == OutputFormat::kJson) {
    nlohmann::ordered_json out = projections::FlagToJson(flag);
    out["evidence_events"] = events;
    std::cout << out.dump() << std::endl;
    return kExitOk;
  }
  std::cout << scope << "\n\n";
  PrintFlagFields(flag, std::cout);
  std::cout << "  evidence     " << events.size() << (events.size() == 1 ? " event" : " events")
            << " (prove one offline with `fundtrail prove --seq N`)\n";
  for (const auto& event : events) {
    std::cout << "    #" << event["sequence"].get<uint64_t>() << "  " << event["time"].get<std::string>() << "  "
              << event["type"].get<std::string>() << "  by " << event["author_org"].get<std::string>() << "\n"
              << "      chain hash " << event["hash"].get<std::string>() << "\n"
              << "      " << event["event"].dump() << "\n";
  }
  std::cout.flush();
  return kExitOk;
}

int RunFlagReview(const std::string& ledger_flag, const std::string& key_path, const std::string& flag_id,
                  const std::string& disposition, const std::string& note, Clock* clock) {
  std::string id;
  {
    // Only flags the ledger raises today can be reviewed: a typo must not record a disposition. The
    // disposition names the whole id, however the auditor typed it.
    auto opened = Ledger::Open(ResolveLedgerDirectory(ledger_flag), Ledger::Access::kReadOnly, clock);
    if (!opened) return ReportError(opened.error());
    auto loaded = projections::Load(**opened, (*opened)->head().sequence);
    if (!loaded) return ReportError(loaded.error());
    std::vector<projections::Flag> flags = loaded->rules.Flags(Today(clock));
    auto found = projections::FindFlag(flags, flag_id);
    if (!found) {
      return ReportError(found.error().WithPrefix(
          found.error().code() == StatusCode::kNotFound ? "as of today (list them with `fundtrail flags`)" : "flag review"));
    }
    id = (*found)->id;
  }
  return AppendOne(ledger_flag, key_path,
                   {{"type", "flag_disposition"}, {"flag_id", id}, {"disposition", disposition}, {"note", note}},
                   "flag review", clock);
}

int RunPolicyShow(const std::string& ledger_flag, bool json, Clock* clock) {
  auto opened = Ledger::Open(ResolveLedgerDirectory(ledger_flag), Ledger::Access::kReadOnly, clock);
  if (!opened) return ReportError(opened.error());
  auto loaded = projections::Load(**opened, (*opened)->head().sequence);
  if (!loaded) return ReportError(loaded.error());
  const projections::Policy& policy = loaded->rules.policy();
  if (json) {
    std::cout << nlohmann::json{{"version", policy.version}, {"document", policy.document}}.dump() << std::endl;
    return kExitOk;
  }
  std::cout << "policy version " << policy.version << (policy.version == 0 ? " (the defaults of docs/RULES.md)" : "") << "\n"
            << policy.document.dump(2) << "\n";
  for (const auto& problem : loaded->rules.policy_problems()) std::cout << "rejected policy: " << problem << "\n";
  std::cout.flush();
  return kExitOk;
}

int RunPolicySet(const std::string& ledger_flag, const std::string& key_path, const std::string& file, Clock* clock) {
  std::ifstream input(file);
  if (!input) return ReportError(Status::NotFound("cannot open " + file));
  auto document = nlohmann::json::parse(input, nullptr, false);
  if (document.is_discarded() || !document.is_object()) {
    return ReportError(Status::InvalidArgument(file + " is not a JSON object"));
  }
  uint32_t version = 0;
  {
    auto opened = Ledger::Open(ResolveLedgerDirectory(ledger_flag), Ledger::Access::kReadOnly, clock);
    if (!opened) return ReportError(opened.error());
    version = (*opened)->state().ledger()->policy_version + 1;
  }
  auto policy = projections::MakePolicy(version, document);
  if (!policy) return ReportError(policy.error().WithPrefix(file));
  return AppendOne(ledger_flag, key_path, {{"type", "policy_set"}, {"version", version}, {"document", document.dump()}},
                   file, clock);
}

}  // namespace fundtrail
