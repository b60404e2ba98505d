// A fold of the log whose state every submission commits (docs/FORMAT.md, section 5, "The views
// commitment"): the views' figures (projections/views_fold.h). The writer applies a submission's
// events to it once they are validated and records its digest in the submission, so that the
// chain covers it; a replay applies every event and compares. A reader then never shows a figure
// that it has not checked against the chain. The ledger's core knows only this interface: the
// fold itself is the projections' code.
#pragma once

#include <cstdint>

#include "ledger/crypto.h"
#include "ledger/status.h"
#include "ledger/validator.h"
#include "schemas/fundtrail.capnp.h"

namespace fundtrail {

class CommittedFold {
 public:
  virtual ~CommittedFold() = default;
  // The version of the fold's code, recorded beside each digest: a replay compares only digests
  // of the version it computes, so that later changes to the views never make a ledger fail.
  virtual uint16_t version() const = 0;
  // Starts a submission: what Rollback returns to.
  virtual void Begin() = 0;
  // Folds in event `sequence`; `lookup` reads earlier events (a reversal's target), including
  // those of the submission being appended. A failure (a sum that would overflow) refuses the
  // submission.
  virtual Status Apply(uint64_t sequence, schema::Event::Reader event, EventLookup* lookup) = 0;
  // The digest of the state after the events applied so far. It must not depend on chain hashes:
  // the digest is part of the submission that the chain hashes cover.
  virtual Digest StateDigest() = 0;
  // The submission is in the log; its last event is `sequence`, with `chain_hash`.
  virtual void Commit(uint64_t sequence, const Digest& chain_hash) = 0;
  // Undoes the events applied since Begin.
  virtual void Rollback() = 0;
};

}  // namespace fundtrail
