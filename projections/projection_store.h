// Keeping the projections beside the log: a snapshot (the views' state and the rules engine's
// state as JSON, with the sequence number and chain hash they reflect, written in one atomic put)
// in the ledger's `projections` column family. After every append the writer folds the new
// events in and rewrites the snapshot, so projections are exactly-once across crashes: a
// snapshot behind the log is caught up on the next open, a snapshot whose chain hash disagrees
// with the log is rebuilt from zero.
#pragma once

#include <functional>
#include <string>

#include "ledger/store.h"
#include "projections/projection.h"
#include "projections/rules.h"

namespace fundtrail::projections {

// Everything derived from the log: the views' fold and the misuse rules' fold, always at the
// same sequence number.
struct Projections {
  Projection views;
  RulesEngine rules;

  const Checkpoint& checkpoint() const { return views.checkpoint(); }
  nlohmann::json ToJson() const;
  static Result<Projections> FromJson(const nlohmann::json& json);
  // SHA-256 over the state of both folds: equal for equal states.
  Digest StateDigest() const;
};

// Folds events (checkpoint, to] of `ledger` into `projections`, streaming.
Status Fold(const Ledger& ledger, uint64_t to, Projections* projections);

// Recomputes the projections from genesis up to sequence `to`.
Result<Projections> Rebuild(const Ledger& ledger, uint64_t to);

// The projections as of sequence `to` (<= head): the snapshot if it is at or before `to` and
// matches the log, caught up in memory; otherwise a rebuild.
Result<Projections> Load(const Ledger& ledger, uint64_t to);

// Writer side: catches the persisted snapshot and the history store (history_store.h) up with
// the head and stores them.
// REQUIRES: `ledger` is open for writing.
Status CatchUp(Ledger& ledger);

// Writer side: rebuilds the snapshot and the history store from zero and stores them.
Result<Projections> RebuildAndStore(Ledger& ledger);

// The sequence number the ledger had at the end of `date` (YYYY-MM-DD, UTC), by append time.
Result<uint64_t> SequenceAtEndOfDate(const Ledger& ledger, const std::string& date);

}  // namespace fundtrail::projections
