// Misuse detection: the rules of docs/RULES.md (sections A to F) evaluated as a
// deterministic fold of the event stream, so that an incremental run, a rebuild from zero and a
// crash plus catch-up give identical flags. A flag is an indicator for an auditor, not a verdict.
//
// Rules that measure elapsed time without a new event (TP-3, TP-4, FL-1's 90 days, AL-2) are
// evaluated at a date: Flags(as_of_days). The same log and the same date give the same flags.
//
// How it works: Apply() only records facts (entities, and the live money, outcome and review
// events keyed by sequence number); a reversal erases its target's record. Flags() evaluates every
// rule over those facts, so a reversed event can neither raise a flag nor serve as evidence, and a
// reversal that changes a total (a disbursement undone) is seen by every rule.
//
// Expenditures, by far the most frequent event, are read when the rules run, from their canonical
// bytes. The engine either holds those bytes (ExpenditureBytes::kHeld: events fed without a log,
// as the tests do) or leaves them in the log (kInLog: every fold of projection_store, which reads
// the log's events unchecked, see LogEventReader), keeping only how far the log is folded, how
// many expenditures it holds and which events were reversed. The snapshot (ToJson) never holds
// them: the log does, under the chain hash the snapshot is checked against. ReadExpenditures()
// reads them back, and checks them and any held ones, before Flags() runs.
//
// Policy: each flag is evaluated under the policy in force when its latest evidence event was
// appended (policy changes are prospective, so a confirmed flag keeps its meaning), except the
// time-based rules above, which use the policy in force at the end of the folded log. Aggregate
// rules (AN-3 per quarter, AN-4 per vendor, AN-5 per member, TP-2 and BR-1 per grant) use the
// policy in force at the latest event of the population they examine. Every flag records the
// version and the parameters it used.
//
// Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ledger/bytes.h"
#include "ledger/status.h"
#include "ledger/validator.h"
#include "schemas/fundtrail.capnp.h"

namespace fundtrail::projections {

// The thresholds, keyword lists (Chinese and English), holiday calendar, approval thresholds and
// indirect-cost tiers in force. Version 0 is the built-in default of docs/RULES.md; a policy_set
// event (admin) replaces it with its JSON document, merged over the defaults (RFC 7386 merge patch:
// objects merge key by key, arrays and scalars replace, null removes a key and so is an error).
struct Policy {
  uint32_t version = 0;
  nlohmann::json document;  // the full policy, defaults filled in
};

// The default policy document (docs/RULES.md defaults). The holiday calendar ("AN-6".holidays and
// .working_weekends) lists mainland China's public holidays and make-up working days for
// 2023-2026 as published by the State Council General Office; later years are added by a
// policy_set event.
nlohmann::json DefaultPolicyDocument();
// Validates a policy document and fills in defaults; errors name the key, e.g.
//   policy key "AN-4.z_critical": 1.96 is a JSON number; write decimals as strings, e.g. "1.96"
// Decimal parameters are strings so that no threshold passes through floating point.
Result<Policy> MakePolicy(uint32_t version, const nlohmann::json& document);

struct Evidence {
  uint64_t sequence = 0;
  Digest chain_hash{};
};

// An auditor's flag_disposition event naming a flag.
struct Review {
  uint64_t sequence = 0;
  Digest chain_hash{};
  std::string disposition;  // confirmed | false_positive | remediated
  std::string note;
};

struct Flag {
  std::string id;        // stable: rule id and the first evidence sequence, e.g. "TP-1/8812",
                         // plus a discriminator where one event can raise the rule twice
                         // ("TP-1/8812/liquidation"); at most 64 bytes, no spaces
  std::string rule;      // "TP-1"
  std::string severity;  // low | medium | high | critical
  std::string subject;   // "grant:G-1", "org:...", "vendor:V-17", "outcome:O-1", "alliance:A"
  // Every subject the flag involves, sorted, the subject included: the grants, members and
  // vendors of its evidence events, an outcome's grant and owners, and the members named in its
  // figures (docs/RULES.md, "A flag"). `flags --subject` matches these.
  std::vector<std::string> touches;
  uint32_t policy_version = 0;
  nlohmann::ordered_json parameters;  // the policy values the rule used
  nlohmann::ordered_json figures;     // what it computed
  std::vector<Evidence> evidence;     // the events that raised it, in sequence order
  std::string explanation;  // one plain sentence, e.g. "expenditure #8812 of 48,000.00 CNY to
                            // vendor V-17 was dated 2025-01-09, 40 days after grant G-2024-01
                            // ended on 2024-11-30"
  // The latest live disposition of this flag id, or "open": open | confirmed | false_positive |
  // remediated. A reversed flag_disposition no longer counts.
  std::string review_status = "open";
  std::vector<Review> reviews;  // live flag_disposition events naming this id, in order
};

// The 27 rule ids of docs/RULES.md, in catalogue order ("PU-1" ... "AL-3").
const std::vector<std::string>& RuleIds();

// The flag as JSON, fields in declaration order, hashes in hex.
nlohmann::ordered_json FlagToJson(const Flag& flag);

// An expenditure_recorded event as the log holds it.
struct LoggedExpenditure {
  uint64_t sequence = 0;
  Digest chain_hash{};
  int64_t appended_at_micros = 0;
  std::string_view canonical_event;  // valid during the call it is passed to
};

// Calls `visit` for every expenditure_recorded event of the log at sequences [1, through], in
// sequence order, reversed ones included, and returns the first error `visit` returns.
using ExpenditureScan =
    std::function<Status(uint64_t through, const std::function<Status(const LoggedExpenditure&)>& visit)>;

// Whether an engine keeps the canonical bytes of the expenditures it folds (see the top).
enum class ExpenditureBytes { kHeld, kInLog };

class RulesEngine {
 public:
  explicit RulesEngine(ExpenditureBytes bytes = ExpenditureBytes::kHeld);
  ~RulesEngine();
  RulesEngine(const RulesEngine& other);
  RulesEngine& operator=(const RulesEngine& other);
  RulesEngine(RulesEngine&& other) noexcept;
  RulesEngine& operator=(RulesEngine&& other) noexcept;

  // Folds event `sequence` in. `appended_at_micros` is the ledger's append time (shown beside
  // AN-7 but not used by it); `author_org_id` is the signing key's organisation ("" for the
  // operator). `canonical_event` is the event's canonical encoding, which a kHeld engine keeps
  // for the expenditures (their fields are read when Flags() runs, not here). `lookup` reads earlier
  // events (reversals); it may be null: every record the rules use is kept by sequence number,
  // so a reversal erases its target directly.
  // Never fails on a log the validator accepted. A policy_set document that MakePolicy rejects
  // leaves the previous policy in force and is reported by policy_problems().
  // REQUIRES: sequences increase from call to call; `event` is the root of `canonical_event`.
  Status Apply(uint64_t sequence, const Digest& chain_hash, int64_t appended_at_micros,
               const std::string& author_org_id, schema::Event::Reader event,
               std::string_view canonical_event, EventLookup* lookup);

  // Every flag as of the end of day `as_of_days` (days since 1970-01-01), sorted by id.
  // REQUIRES: the engine holds every live expenditure (holds_every_expenditure()).
  std::vector<Flag> Flags(int32_t as_of_days) const;

  // Reads the expenditures left in the log (those up to the last snapshot, or every one under
  // kInLog) into memory through `scan`, skipping the reversed ones, so that Flags() can run; the
  // engine holds its expenditures from then on. The log must hold what the state says: as many
  // expenditures as were folded, each decoding and with dates that parse (held ones are checked
  // the same way); else Corruption, and the engine is left as it was.
  Status ReadExpenditures(const ExpenditureScan& scan);
  bool holds_every_expenditure() const;

  // The policy in force at the end of the folded log.
  const Policy& policy() const { return policy_; }
  // Every policy version seen (0 is the default), for reproducing a flag.
  const std::map<uint32_t, Policy>& policies() const;
  // "event 12 (policy_set version 3): policy key ...: ..." for each rejected policy document.
  const std::vector<std::string>& policy_problems() const;
  // The last sequence folded in (0 before any).
  uint64_t sequence() const;
  // Every subject a flag can name, "kind:id", sorted: grants, organisations, vendors, outcomes
  // and the alliance.
  std::vector<std::string> KnownSubjects() const;

  // Deterministic serialisation of the engine state, for the projection snapshot: equal for
  // equal folds, whether the engine holds its expenditures or not. The expenditures themselves
  // are not in it but in the log (their count and the reversed sequences are).
  nlohmann::json ToJson() const;
  // An engine in the state `json` describes; its expenditures are in the log until
  // ReadExpenditures() reads them, and those folded after it are kept as `bytes` says.
  static Result<RulesEngine> FromJson(const nlohmann::json& json,
                                      ExpenditureBytes bytes = ExpenditureBytes::kHeld);

  struct State;  // defined in rules.c++

 private:
  ExpenditureBytes bytes_;
  Policy policy_;
  std::unique_ptr<State> state_;
};

}  // namespace fundtrail::projections
