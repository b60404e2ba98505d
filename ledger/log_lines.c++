#include "ledger/log_lines.h"

#include <algorithm>

#include "ledger/dates.h"
#include "ledger/json_codec.h"
#include "ledger/log_format.h"
#include "ledger/money.h"
#include "ledger/submission.h"

namespace fundtrail {
namespace {

std::string Str(capnp::Data::Reader data) { return std::string(reinterpret_cast<const char*>(data.begin()), data.size()); }

// What the visit of one entry needs of its submission, read once per submission.
struct SubmissionFacts {
  uint64_t first_sequence = 0;
  std::string key_id_hex;
  int64_t appended_at_micros = 0;
};

// Decodes one entry and, if it passes the query's filters, visits it. Sets *failure on a damaged
// entry; returns what the scan should do next.
bool VisitEntry(const Ledger& ledger, const LogQuery& query, const StoredEntry& entry, SubmissionFacts& facts,
                Status& failure, const std::function<bool(const LogLine&)>& visit) {
  auto view = DecodeEntry(entry.record);
  if (!view) {
    failure = view.error().WithPrefix("sequence " + std::to_string(entry.sequence));
    return false;
  }
  auto event = DecodedEvent::Open(view->canonical_event, "sequence " + std::to_string(entry.sequence));
  if (!event) {
    failure = event.error();
    return false;
  }
  auto root = event->root();
  if (!query.types.empty() && std::find(query.types.begin(), query.types.end(), root.which()) == query.types.end()) {
    return true;
  }
  if (query.matches && !query.matches(root)) return true;
  if (view->submission_sequence != facts.first_sequence) {
    auto bytes = ledger.ReadSubmission(view->submission_sequence);
    if (!bytes) {
      failure = bytes.error();
      return false;
    }
    auto submission = DecodedSubmission::Open(*bytes, "submission");
    if (!submission) {
      failure = submission.error();
      return false;
    }
    facts.first_sequence = view->submission_sequence;
    facts.key_id_hex = HexEncode(AsBytes(Str(submission->root().getBody().getKeyId())));
    facts.appended_at_micros = submission->root().getAppendedAt();
  }
  const KeyRecord* key = ledger.state().keys.Find(facts.key_id_hex);
  LogLine line;
  line.sequence = entry.sequence;
  line.appended_at_micros = facts.appended_at_micros;
  line.author_org = key ? key->org_id : "operator";
  line.key_id_hex = facts.key_id_hex;
  line.summary = SummariseEvent(root);
  line.hash = view->chain_hash;
  line.reversed = ledger.state().reversed.Contains(std::to_string(entry.sequence));
  line.event = root;
  return visit(line);
}

}  // namespace

Status ScanLog(const Ledger& ledger, const LogQuery& query, const std::function<bool(const LogLine&)>& visit) {
  SubmissionFacts facts;
  Status failure;
  auto show = [&](const StoredEntry& entry) { return VisitEntry(ledger, query, entry, facts, failure, visit); };
  Status scanned;
  if (!query.subject.empty()) {
    auto subject = ParseSubject(query.subject);
    if (!subject) return subject.error();
    scanned = ledger.ScanSubject(*subject, query.from, query.to, [&](uint64_t sequence) {
      auto entry = ledger.ReadEntry(sequence);
      if (!entry) {
        failure = entry.error();
        return false;
      }
      return show(*entry);
    });
  } else {
    scanned = ledger.ScanEntries(query.from, query.to, show);
  }
  FT_RETURN_IF_ERROR(scanned);
  return failure;
}

Result<std::vector<schema::Event::Which>> EventTypesFromNames(const std::vector<std::string>& names,
                                                              const std::string& option) {
  std::vector<schema::Event::Which> types;
  for (const auto& name : names) {
    auto which = EventTypeFromName(name);
    if (!which) {
      std::string all;
      for (const auto& known : EventTypeNames()) all += (all.empty() ? "" : ", ") + known;
      return Error(Status::InvalidArgument(option + ": unknown event type \"" + name + "\" (known: " + all + ")"));
    }
    types.push_back(*which);
  }
  return types;
}

nlohmann::ordered_json LogLineJson(const LogLine& line) {
  nlohmann::ordered_json json = {{"sequence", line.sequence},
                                 {"time", FormatTimestamp(line.appended_at_micros)},
                                 {"type", EventTypeName(line.event)},
                                 {"author_org", line.author_org},
                                 {"key_id", line.key_id_hex},
                                 {"subject", line.summary.subject}};
  json["amount"] = line.summary.amount ? nlohmann::ordered_json(FormatMoneyPlain(*line.summary.amount)) : nullptr;
  json["hash"] = HexEncode(line.hash);
  json["reversed"] = line.reversed;
  json["event"] = EncodeEventJson(line.event);
  return json;
}

const std::vector<std::string>& LogCsvHeaders() {
  static const std::vector<std::string> kHeaders = {"sequence", "time",    "type",     "author_org", "key_id",
                                                    "subject",  "amount",  "currency", "hash"};
  return kHeaders;
}

std::vector<std::string> LogCsvRow(const LogLine& line) {
  const auto& amount = line.summary.amount;
  return {std::to_string(line.sequence),
          FormatTimestamp(line.appended_at_micros),
          EventTypeName(line.event),
          line.author_org,
          line.key_id_hex,
          line.summary.subject,
          amount ? FormatAmountGrouped(amount->minor_units, amount->currency) : "",
          amount ? amount->currency : "",
          HexEncode(line.hash)};
}

}  // namespace fundtrail
