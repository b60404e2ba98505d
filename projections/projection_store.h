// Keeping the projections beside the log, in the ledger's `projections` column family: the views'
// state ("views") and the misuse rules' state ("rules") as JSON snapshots, each with the sequence
// number and chain hash it reflects in the same atomic put, so that each is exactly-once across
// crashes. A snapshot behind the log is caught up (in memory by readers, stored by the writer); a
// snapshot whose chain hash disagrees with the log is not trusted but rebuilt from zero. The
// views' state grows with the alliance's entities and is rewritten after every append; the rules'
// state grows with the money events (each live expenditure is kept), so a writer may let it lag
// (RulesSnapshot::kWhenLagging) and rewrites it only when the lag is worth it. The history store
// (history_store.h) is caught up and rebuilt with them.
#pragma once

#include <functional>
#include <string>

#include "ledger/store.h"
#include "projections/history_store.h"
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
  // SHA-256 over the state of both folds: equal for equal states.
  Digest StateDigest() const;
};

// Folds events (checkpoint, to] of `ledger` into `projections`, streaming. On failure (a damaged
// log) what was being folded is left unusable and must be dropped.
Status Fold(const Ledger& ledger, uint64_t to, Projections* projections);
// The same for each of `views` and `rules` that is not null, each from its own checkpoint, in
// one pass over the log.
Status Fold(const Ledger& ledger, uint64_t to, Projection* views, RulesEngine* rules);

// What a caller does with the rules' fold: evaluate it (RulesEngine::Flags(), for which every live
// expenditure is read from the log into memory), or only its state (a digest, a snapshot), which
// leaves the expenditures in the log (rules.h).
enum class RulesUse { kFlags, kStateOnly };

// Recomputes the projections from genesis up to sequence `to`.
Result<Projections> Rebuild(const Ledger& ledger, uint64_t to, RulesUse use = RulesUse::kFlags);

// The projections as of sequence `to` (<= head): each snapshot that is at or before `to` and
// matches the log, caught up in memory; otherwise folded from zero.
Result<Projections> Load(const Ledger& ledger, uint64_t to, RulesUse use = RulesUse::kFlags);

// Calls `visit` for each expenditure_recorded event of `ledger` at sequences [1, through], in order
// (the scan RulesEngine::ReadExpenditures reads with).
Status ScanExpenditures(const Ledger& ledger, uint64_t through,
                        const std::function<Status(const LoggedExpenditure&)>& visit);
// Reads the expenditures `rules` leaves in the log, so that rules->Flags() can run.
Status ReadExpenditures(const Ledger& ledger, RulesEngine* rules);
// What the stored views are worth (column family `projections`, key "views"): they are shown
// only when kProven, by the digest that the submission ending at their checkpoint commits
// (docs/FORMAT.md, section 5, "The views commitment").
enum class ViewsCheck {
  kMissing,       // none stored
  kUnreadable,    // not the JSON of a projection
  kOffTheLog,     // beyond the sequence asked for, or of another history (chain hash)
  kNotCommitted,  // no commitment of this fold version covers them (written before format 3)
  kDiffered,      // they differ from the commitment: changed outside fundtrail
  kProven,
};
struct StoredViews {
  ViewsCheck check = ViewsCheck::kMissing;
  uint64_t committed_at = 0;  // the submission whose commitment was compared (kDiffered, kProven)
  Projection views;           // kProven only
};
Result<StoredViews> ReadStoredViews(const Ledger& ledger, uint64_t to);

// The views alone, the same way, without reading the rules' state. Stored views that differ
// from their commitment are Corruption naming the store and `fundtrail rebuild`.
Result<Projection> LoadViews(const Ledger& ledger, uint64_t to);

// Whether CatchUp rewrites the rules' snapshot every time (tests, tools that want it current) or
// only once the events since it reach max(10,000, an eighth of the events it covers), or when
// there is none (or the record of where it is, "rules-at", is not on the log): the CLI after an
// append, so that an append costs what its events cost and not a rewrite of the rules' whole
// state; readers fold the lag in memory.
enum class RulesSnapshot { kAlways, kWhenLagging };

// Writer side: catches the persisted snapshots and the history store (history_store.h) up with
// the head and stores them.
// REQUIRES: `ledger` is open for writing.
Status CatchUp(Ledger& ledger, RulesSnapshot rules = RulesSnapshot::kAlways);

// Writer side: rebuilds the snapshot and the history store from zero and stores them. With
// `digests`, also the history store's digests (RebuildHistoryWithDigests): of the whole store,
// and with `replaced`, what the store held before (ReadReplacedHistory, read on the indexing
// thread while the fold runs) and the digest of the new one up to the old one's checkpoint.
Result<Projections> RebuildAndStore(Ledger& ledger, RebuiltHistoryDigests* digests = nullptr,
                                    ReplacedHistory* replaced = nullptr);

// `fundtrail verify`: the sequence number of the stored rules' snapshot if it differs from the
// rules' fold of the log up to it; nullopt when it agrees or is not used (missing, unreadable,
// of another history). The rules' snapshot is not committed in the chain (yet): readers use it
// unchecked, so verify compares it.
Result<std::optional<uint64_t>> FindDifferingRulesSnapshot(const Ledger& ledger);

// Writer side: gives `ledger` the views' fold (projections/views_fold.h) as of its head, so that
// every submission it appends commits the views' digest (docs/FORMAT.md, section 5). Every
// command that appends calls it, through OpenWriter.
Status AttachViewsFold(Ledger& ledger);
// Opens `directory` for writing (Ledger::Open, kReadWrite) with the views' fold attached.
Result<std::unique_ptr<Ledger>> OpenWriter(const std::string& directory, Clock* clock);

// The sequence number the ledger had at the end of `date` (YYYY-MM-DD, UTC), by append time.
Result<uint64_t> SequenceAtEndOfDate(const Ledger& ledger, const std::string& date);

}  // namespace fundtrail::projections
