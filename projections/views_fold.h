// The views' fold as the ledger commits it (ledger/committed_fold.h, docs/FORMAT.md section 5,
// "The views commitment"): a Projection that a writer's Ledger::Append and a replay (verify,
// fundtrail-verify on a bundle from sequence 1) fold every submission into, and whose
// CommittedDigest each submission of validation version 3 records. Pure: no RocksDB, so that
// the standalone verifier links it.
#pragma once

#include <memory>
#include <optional>

#include "ledger/committed_fold.h"
#include "projections/projection.h"

namespace fundtrail::projections {

class ViewsFold final : public CommittedFold {
 public:
  // Starts from `views` (as of the ledger's head for a writer, empty for a replay from genesis).
  explicit ViewsFold(Projection views = Projection()) : views_(std::move(views)) {}

  uint16_t version() const override { return kViewsFoldVersion; }
  void Begin() override;
  Status Apply(uint64_t sequence, schema::Event::Reader event, EventLookup* lookup) override;
  Digest StateDigest() override;
  void Commit(uint64_t sequence, const Digest& chain_hash) override;
  void Rollback() override;

  // The views after the last committed submission (and, between Begin and Commit, the events
  // applied since).
  const Projection& views() const { return views_; }

 private:
  Projection views_;
  std::optional<Projection> before_;  // as at Begin, until Commit or Rollback
};

}  // namespace fundtrail::projections
