#include "projections/views_fold.h"

namespace fundtrail::projections {

void ViewsFold::Begin() { before_ = views_; }

Status ViewsFold::Apply(uint64_t sequence, schema::Event::Reader event, EventLookup* lookup) {
  FT_ASSERT(before_.has_value(), "ViewsFold::Apply outside Begin and Commit");
  // The chain hash is not known yet when a writer folds; Commit sets it.
  return views_.Apply(sequence, Digest{}, event, lookup);
}

Digest ViewsFold::StateDigest() { return views_.CommittedDigest(); }

void ViewsFold::Commit(uint64_t sequence, const Digest& chain_hash) {
  FT_ASSERT(views_.checkpoint().sequence == sequence, "ViewsFold::Commit at another sequence than folded");
  views_.set_checkpoint({sequence, chain_hash});
  before_.reset();
}

void ViewsFold::Rollback() {
  if (!before_) return;
  views_ = std::move(*before_);
  before_.reset();
}

}  // namespace fundtrail::projections
