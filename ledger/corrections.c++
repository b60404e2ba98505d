#include "ledger/corrections.h"

#include "ledger/json_codec.h"
#include "ledger/log_format.h"

namespace fundtrail {

namespace {

Result<std::string> ReversalEvent(uint64_t sequence, const std::string& reason) {
  return EncodeEvent({{"type", "reversal"}, {"target_sequence", sequence}, {"reason", reason}});
}

}  // namespace

Result<EventBatch> ReverseSubmissionBatch(const Ledger& ledger, const std::string& submission_id,
                                          const std::string& reason) {
  auto found = ledger.FindSubmission(submission_id);
  if (!found) return Error(found.error());
  if (!*found) {
    return Error(Status::NotFound("no submission \"" + submission_id +
                                  "\" in the ledger; receipts and `fundtrail log --json` (via its sequence "
                                  "numbers) name submissions"));
  }
  const uint64_t first = **found;
  auto bytes = ledger.ReadSubmission(first);
  if (!bytes) return Error(bytes.error());
  auto submission = DecodedSubmission::Open(*bytes, "submission " + std::to_string(first));
  if (!submission) return Error(submission.error());
  const uint64_t count = submission->root().getBody().getEventCount();
  EventBatch batch;
  batch.source = "reversal of submission \"" + submission_id + "\"";
  for (uint64_t sequence = first; sequence < first + count; ++sequence) {
    if (ledger.state().reversed.Contains(std::to_string(sequence))) continue;
    auto event = ReversalEvent(sequence, reason);
    if (!event) return Error(event.error().WithPrefix("--reason"));
    batch.canonical_events.push_back(std::move(*event));
    batch.line_numbers.push_back(sequence - first + 1);
    batch.types.push_back("reversal of sequence " + std::to_string(sequence));
  }
  if (batch.canonical_events.empty()) {
    return Error(Status::InvalidArgument("every event of submission \"" + submission_id + "\" (sequence " +
                                         std::to_string(first) + ".." + std::to_string(first + count - 1) +
                                         ") is already reversed; nothing to do"));
  }
  return batch;
}

Result<EventBatch> CorrectionBatch(const Ledger& ledger, uint64_t sequence, const std::string& reason,
                                   EventBatch replacement) {
  if (sequence == 0 || sequence > ledger.head().sequence) {
    return Error(Status::InvalidArgument("--seq " + std::to_string(sequence) + ": the ledger's events are 1.." +
                                         std::to_string(ledger.head().sequence)));
  }
  if (ledger.state().reversed.Contains(std::to_string(sequence))) {
    return Error(Status::InvalidArgument("event " + std::to_string(sequence) +
                                         " is already reversed; append the corrected event with fundtrail append"));
  }
  auto event = ReversalEvent(sequence, reason);
  if (!event) return Error(event.error().WithPrefix("--reason"));
  replacement.canonical_events.insert(replacement.canonical_events.begin(), std::move(*event));
  replacement.line_numbers.insert(replacement.line_numbers.begin(), 0);
  replacement.types.insert(replacement.types.begin(), "reversal of sequence " + std::to_string(sequence));
  return replacement;
}

}  // namespace fundtrail
