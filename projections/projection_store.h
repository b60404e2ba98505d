// Keeping the projection beside the log: a snapshot (the state as JSON with the sequence number
// and chain hash it reflects, written in one atomic put) in the ledger's `projections` column
// family. After every append the writer folds the new events in and rewrites the snapshot, so
// the projection is exactly-once across crashes: a snapshot behind the log is caught up on the
// next open, a snapshot whose chain hash disagrees with the log is rebuilt from zero.
#pragma once

#include <functional>
#include <string>

#include "ledger/store.h"
#include "projections/projection.h"

namespace fundtrail::projections {

// Folds events (from, to] of `ledger` into `projection`, streaming.
Status Fold(const Ledger& ledger, uint64_t to, Projection* projection);

// Recomputes the projection from genesis up to sequence `to`.
Result<Projection> Rebuild(const Ledger& ledger, uint64_t to);

// The projection as of sequence `to` (<= head): the snapshot if it is at or before `to` and
// matches the log, caught up in memory; otherwise a rebuild.
Result<Projection> Load(const Ledger& ledger, uint64_t to);

// Writer side: catches the persisted snapshot up with the head and stores it.
// REQUIRES: `ledger` is open for writing.
Status CatchUp(Ledger& ledger);

// Writer side: rebuilds from zero and stores the result.
Result<Projection> RebuildAndStore(Ledger& ledger);

// The sequence number the ledger had at the end of `date` (YYYY-MM-DD, UTC), by append time.
Result<uint64_t> SequenceAtEndOfDate(const Ledger& ledger, const std::string& date);

}  // namespace fundtrail::projections
