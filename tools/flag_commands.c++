// `fundtrail flags`, `flags review`, `policy show` and `policy set`: the misuse rules.
#include <fstream>
#include <iostream>

#include "ledger/client.h"
#include "ledger/store.h"
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
  auto ledger = Ledger::Open(ResolveLedgerDirectory(ledger_flag), Ledger::Access::kReadWrite, clock);
  if (!ledger) return ReportError(ledger.error());
  auto receipt = AppendBatch(**ledger, *key, batch, "", clock);
  if (!receipt) return ReportError(receipt.error());
  std::cout << (receipt->already_appended ? "already recorded" : "recorded") << " at sequence "
            << receipt->first_sequence << ", hash " << HexEncode(receipt->head) << std::endl;
  Status projected = projections::CatchUp(**ledger, projections::RulesSnapshot::kWhenLagging);
  if (!projected.ok()) std::cerr << "fundtrail: warning: projections not updated: " << projected.message() << std::endl;
  return kExitOk;
}

}  // namespace

int RunFlags(const FlagOptions& options, Clock* clock) {
  auto opened = Ledger::Open(ResolveLedgerDirectory(options.view.ledger), Ledger::Access::kReadOnly, clock);
  if (!opened) return ReportError(opened.error());
  auto to = AsOfSequence(**opened, options.view);
  if (!to) return ReportError(to.error());
  int32_t as_of_days = Today(clock);
  if (!options.view.as_of_date.empty()) as_of_days = *ParseDate(options.view.as_of_date);  // checked above
  auto loaded = projections::Load(**opened, *to);
  if (!loaded) return ReportError(loaded.error());
  std::vector<projections::Flag> flags;
  for (auto& flag : loaded->rules.Flags(as_of_days)) {
    if (!options.rule.empty() && flag.rule != options.rule) continue;
    if (!options.severity.empty() && flag.severity != options.severity) continue;
    if (!options.subject.empty() && flag.subject != options.subject) continue;
    if (!options.status.empty() && flag.review_status != options.status) continue;
    flags.push_back(std::move(flag));
  }
  switch (options.view.format) {
    case OutputFormat::kJson:
      for (const auto& flag : flags) std::cout << projections::FlagToJson(flag).dump() << '\n';
      break;
    case OutputFormat::kCsv:
      PrintCsvRow(std::cout, {"id", "rule", "severity", "subject", "status", "policy_version", "evidence", "explanation"});
      for (const auto& flag : flags) {
        std::string evidence;
        for (const auto& item : flag.evidence) evidence += (evidence.empty() ? "" : " ") + std::to_string(item.sequence);
        PrintCsvRow(std::cout, {flag.id, flag.rule, flag.severity, flag.subject, flag.review_status,
                                std::to_string(flag.policy_version), evidence, flag.explanation});
      }
      break;
    case OutputFormat::kTable: {
      std::cout << "flags as of " << FormatDate(as_of_days) << ", ledger sequence " << *to << ", policy version "
                << loaded->rules.policy().version << "\n\n";
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

int RunFlagReview(const std::string& ledger_flag, const std::string& key_path, const std::string& flag_id,
                  const std::string& disposition, const std::string& note, Clock* clock) {
  {
    // Only flags the ledger raises today can be reviewed: a typo must not record a disposition.
    auto opened = Ledger::Open(ResolveLedgerDirectory(ledger_flag), Ledger::Access::kReadOnly, clock);
    if (!opened) return ReportError(opened.error());
    auto loaded = projections::Load(**opened, (*opened)->head().sequence);
    if (!loaded) return ReportError(loaded.error());
    bool found = false;
    for (const auto& flag : loaded->rules.Flags(Today(clock))) found |= flag.id == flag_id;
    if (!found) {
      return ReportError(Status::NotFound("there is no flag \"" + flag_id + "\" as of today; list them with `fundtrail flags`"));
    }
  }
  return AppendOne(ledger_flag, key_path,
                   {{"type", "flag_disposition"}, {"flag_id", flag_id}, {"disposition", disposition}, {"note", note}},
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
