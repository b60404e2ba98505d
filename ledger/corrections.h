// Corrections as a finance clerk makes them: nothing is edited or deleted, an event is undone by a
// `reversal` event naming its sequence number. `fundtrail reverse --submission ID` undoes a whole
// submission; `fundtrail correct --seq N` (or --voucher REF) appends the reversal of one event and
// its replacement in one signed submission. The validator decides what may be reversed and by
// whom (docs/FORMAT.md, "Validation"); these only build the batches.
#pragma once

#include <string>
#include <vector>

#include "ledger/client.h"
#include "ledger/status.h"
#include "ledger/store.h"

namespace fundtrail {

// The reversal of every event of the submission `submission_id` that is not reversed yet, in
// one batch. Errors: no such submission; nothing left to reverse.
Result<EventBatch> ReverseSubmissionBatch(const Ledger& ledger, const std::string& submission_id,
                                          const std::string& reason);

// A batch of the reversal of event `sequence` followed by `replacement` (the corrected events,
// read from JSON Lines). The replacement's lines keep their line numbers for error messages.
Result<EventBatch> CorrectionBatch(const Ledger& ledger, uint64_t sequence, const std::string& reason,
                                   EventBatch replacement);

}  // namespace fundtrail
