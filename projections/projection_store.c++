#include "projections/projection_store.h"

#include <cstring>
#include <thread>

#include "ledger/crypto.h"
#include "ledger/dates.h"
#include "projections/history_store.h"
#include "projections/views_fold.h"

namespace fundtrail::projections {

namespace {

// Keys in the ledger's `projections` column family.
constexpr char kViewsKey[] = "views";     // Projection::ToJson(), its checkpoint inside
constexpr char kRulesKey[] = "rules";     // {"sequence", "chain_hash", "state": RulesEngine::ToJson()}
// be64 sequence || chain hash of the rules snapshot, written with it: whether it lags, without
// parsing it.
constexpr char kRulesAtKey[] = "rules-at";
constexpr char kOldSnapshotKey[] = "snapshot";  // both in one, before they were apart: not read

// Past this lag behind the log, the writer rewrites the rules snapshot (RulesSnapshot::kWhenLagging).
constexpr uint64_t kRulesSnapshotLagMin = 10'000;
constexpr uint64_t kRulesSnapshotLagFraction = 8;

}  // namespace

nlohmann::json Projections::ToJson() const {
  return {{"views", views.ToJson()}, {"rules", rules.ToJson()}};
}

Digest Projections::StateDigest() const {
  Sha256 hash;
  hash.Update(std::string_view("FTPROJ03"));
  hash.Update(ToJson().dump());
  return hash.Finish();
}

namespace {

}  // namespace

Status ScanExpenditures(const Ledger& ledger, uint64_t through,
                        const std::function<Status(const LoggedExpenditure&)>& visit) {
  SubmissionReader submissions(ledger);
  LogEventReader reader;
  Status failure;
  uint64_t expected = 1;
  FT_RETURN_IF_ERROR(ledger.ScanEntries(1, through, [&](const StoredEntry& entry) {
    if (entry.sequence != expected++) {
      failure = Status::Corruption("the log has no event " + std::to_string(expected - 1) + "; run `fundtrail verify`");
      return false;
    }
    auto view = DecodeEntry(entry.record);
    if (!view) {
      failure = view.error().WithPrefix("sequence " + std::to_string(entry.sequence));
      return false;
    }
    // Only its type: RulesEngine::ReadExpenditures checks an expenditure through and through.
    bool spent = false;
    failure = reader.Read(view->canonical_event, entry.sequence, [&](schema::Event::Reader event) {
      spent = event.which() == schema::Event::EXPENDITURE_RECORDED;
      return Status::Ok();
    });
    if (!failure.ok()) return false;
    if (!spent) return true;
    failure = submissions.Enter(view->submission_sequence);
    if (failure.ok()) {
      failure = visit({entry.sequence, view->chain_hash, submissions.appended_at(), view->canonical_event});
    }
    return failure.ok();
  }));
  FT_RETURN_IF_ERROR(failure);
  if (expected != through + 1) return Status::Corruption("the log ends before sequence " + std::to_string(through));
  return Status::Ok();
}

Status ReadExpenditures(const Ledger& ledger, RulesEngine* rules) {
  return rules->ReadExpenditures([&](uint64_t through, const std::function<Status(const LoggedExpenditure&)>& visit) {
    return ScanExpenditures(ledger, through, visit);
  });
}

Status Fold(const Ledger& ledger, uint64_t to, Projection* views, RulesEngine* rules) {
  const uint64_t views_from = views != nullptr ? views->checkpoint().sequence + 1 : UINT64_MAX;
  const uint64_t rules_from = rules != nullptr ? rules->sequence() + 1 : UINT64_MAX;
  const uint64_t from = std::min(views_from, rules_from);
  if (from > to) return Status::Ok();
  auto lookup = ledger.NewLookup();
  Status failure;
  SubmissionReader submissions(ledger);
  LogEventReader reader;
  Status scanned = ledger.ScanEntries(from, to, [&](const StoredEntry& entry) {
    auto view = DecodeEntry(entry.record);
    if (!view) {
      failure = view.error().WithPrefix("sequence " + std::to_string(entry.sequence));
      return false;
    }
    failure = submissions.Enter(view->submission_sequence);
    if (!failure.ok()) return false;
    failure = reader.Read(view->canonical_event, entry.sequence, [&](schema::Event::Reader event) {
      Status applied;
      if (entry.sequence >= rules_from) {
        applied = rules->Apply(entry.sequence, view->chain_hash, submissions.appended_at(),
                               submissions.AuthorOrgId(view->submission_sequence), event, view->canonical_event,
                               lookup.get());
      }
      if (applied.ok() && entry.sequence >= views_from) {
        applied = views->Apply(entry.sequence, view->chain_hash, event, lookup.get());
      }
      return applied;
    });
    return failure.ok();
  });
  FT_RETURN_IF_ERROR(scanned);
  FT_RETURN_IF_ERROR(failure);
  for (uint64_t reached : {views != nullptr ? views->checkpoint().sequence : to, rules != nullptr ? rules->sequence() : to}) {
    if (reached != to) {
      return Status::Corruption("the log ends at sequence " + std::to_string(reached) + ", expected " +
                                std::to_string(to));
    }
  }
  return Status::Ok();
}

Status Fold(const Ledger& ledger, uint64_t to, Projections* projections) {
  return Fold(ledger, to, &projections->views, &projections->rules);
}

Result<Projections> Rebuild(const Ledger& ledger, uint64_t to, RulesUse use) {
  // The expenditures are left in the log while folding (the fold reads events unchecked, see
  // LogEventReader) and, for flags, read back through the checks of RulesEngine::ReadExpenditures.
  Projections projection;
  projection.rules = RulesEngine(ExpenditureBytes::kInLog);
  FT_RETURN_IF_ERROR(Fold(ledger, to, &projection));
  if (use == RulesUse::kFlags) FT_RETURN_IF_ERROR(ReadExpenditures(ledger, &projection.rules));
  return projection;
}

namespace {

// Whether a snapshot at `sequence` with `chain_hash` lies on the log: not beyond its head, and
// event `sequence` has that chain hash. A snapshot of another history is not caught up but
// rebuilt.
bool OnTheLog(const Ledger& ledger, uint64_t sequence, const Digest& chain_hash) {
  if (sequence > ledger.head().sequence) return false;
  auto hash = ledger.ChainHash(sequence);
  return hash && *hash == chain_hash;
}

std::optional<nlohmann::json> ReadJson(const Ledger& ledger, const char* key, Status* failure) {
  auto stored = ledger.GetDerived(key);
  if (!stored) {
    *failure = stored.error();
    return std::nullopt;
  }
  if (!stored->has_value()) return std::nullopt;
  auto json = nlohmann::json::parse(**stored, nullptr, false);
  if (json.is_discarded()) return std::nullopt;
  return json;
}

}  // namespace

Result<StoredViews> ReadStoredViews(const Ledger& ledger, uint64_t to) {
  Status failure;
  auto json = ReadJson(ledger, kViewsKey, &failure);
  FT_RETURN_IF_ERROR(failure);
  StoredViews stored;
  if (!json) {
    auto present = ledger.GetDerived(kViewsKey);
    if (!present) return Error(present.error());
    if (present->has_value()) stored.check = ViewsCheck::kUnreadable;
    return stored;
  }
  auto views = Projection::FromJson(*json);
  if (!views) {
    stored.check = ViewsCheck::kUnreadable;
    return stored;
  }
  if (views->checkpoint().sequence > to ||
      !OnTheLog(ledger, views->checkpoint().sequence, views->checkpoint().chain_hash)) {
    stored.check = ViewsCheck::kOffTheLog;
    return stored;
  }
  // Figures are shown only once proven: by the digest that the submission ending at the
  // snapshot's checkpoint commits (docs/FORMAT.md, section 5), else by a fold from the log.
  auto commitment = ledger.ViewsCommitmentAt(views->checkpoint().sequence);
  if (!commitment) return Error(commitment.error());
  if (!commitment->has_value() || (*commitment)->version != kViewsFoldVersion) {
    stored.check = ViewsCheck::kNotCommitted;
    return stored;
  }
  stored.committed_at = (*commitment)->submission_sequence;
  if (views->CommittedDigest() != (*commitment)->digest) {
    stored.check = ViewsCheck::kDiffered;
    return stored;
  }
  stored.check = ViewsCheck::kProven;
  stored.views = std::move(*views);
  return stored;
}

namespace {

// The stored views if proven; empty views (to fold from the log) when none are stored or no
// commitment covers them; Corruption when they differ from their commitment.
Result<Projection> ProvenViews(const Ledger& ledger, uint64_t to) {
  auto stored = ReadStoredViews(ledger, to);
  if (!stored) return Error(stored.error());
  if (stored->check == ViewsCheck::kDiffered) {
    return Error(Status::Corruption(
        "the stored views (column family \"projections\", key \"views\") differ from the digest that the "
        "submission at sequence " + std::to_string(stored->committed_at) +
        " commits: their figures were changed outside fundtrail; run `fundtrail rebuild` to rebuild them "
        "from the log"));
  }
  return std::move(stored->views);
}

// The writer's views as of `head`: those its views' fold holds (they were just committed), else
// the stored ones.
Result<Projection> WriterViews(const Ledger& ledger, uint64_t head) {
  const auto* fold = dynamic_cast<const ViewsFold*>(ledger.views_fold());
  if (fold != nullptr && fold->views().checkpoint().sequence == head) return fold->views();
  return ProvenViews(ledger, head);
}

// The same for the rules, which leave the expenditures in the log (ExpenditureBytes::kInLog).
Result<RulesEngine> StoredRules(const Ledger& ledger, uint64_t to) {
  const ExpenditureBytes bytes = ExpenditureBytes::kInLog;
  Status failure;
  auto json = ReadJson(ledger, kRulesKey, &failure);
  FT_RETURN_IF_ERROR(failure);
  if (!json || !json->is_object() || !json->contains("state") || !(*json)["chain_hash"].is_string()) {
    return RulesEngine(bytes);
  }
  auto hash = HexDecode((*json)["chain_hash"].get<std::string>());
  auto rules = RulesEngine::FromJson((*json)["state"], bytes);
  if (!hash || hash->size() != 32 || !rules || rules->sequence() > to) return RulesEngine(bytes);
  Digest chain_hash;
  std::memcpy(chain_hash.data(), hash->data(), 32);
  if (!OnTheLog(ledger, rules->sequence(), chain_hash)) return RulesEngine(bytes);
  return std::move(*rules);
}

// The rules' snapshot, and the small record of where it is (be64 sequence || chain hash) that
// lets a writer decide whether to rewrite it without parsing it.
Result<std::pair<std::string, std::string>> EncodeRulesSnapshot(const Ledger& ledger, const RulesEngine& rules) {
  auto chain_hash = ledger.ChainHash(rules.sequence());
  if (!chain_hash) return Error(chain_hash.error());
  std::string at = SequenceKey(rules.sequence());
  at.append(reinterpret_cast<const char*>(chain_hash->data()), chain_hash->size());
  return std::make_pair(
      nlohmann::json{{"sequence", rules.sequence()}, {"chain_hash", HexEncode(*chain_hash)}, {"state", rules.ToJson()}}
          .dump(),
      std::move(at));
}

Status Store(Ledger& ledger, const Projection* views, const RulesEngine* rules) {
  if (views != nullptr) FT_RETURN_IF_ERROR(ledger.PutDerived(kViewsKey, views->ToJson().dump()));
  if (rules != nullptr) {
    auto snapshot = EncodeRulesSnapshot(ledger, *rules);
    if (!snapshot) return snapshot.error();
    FT_RETURN_IF_ERROR(ledger.PutDerived({{kRulesKey, std::move(snapshot->first)}, {kRulesAtKey, std::move(snapshot->second)}}));
  }
  auto old = ledger.GetDerived(kOldSnapshotKey);
  if (!old) return old.error();
  if (old->has_value()) FT_RETURN_IF_ERROR(ledger.DeleteDerived(kOldSnapshotKey));
  return Status::Ok();
}

}  // namespace

Result<Projection> LoadViews(const Ledger& ledger, uint64_t to) {
  FT_ASSERT(to <= ledger.head().sequence);
  auto views = ProvenViews(ledger, to);
  if (!views) return views;
  FT_RETURN_IF_ERROR(Fold(ledger, to, &*views, nullptr));
  return views;
}

Result<Projections> Load(const Ledger& ledger, uint64_t to, RulesUse use) {
  FT_ASSERT(to <= ledger.head().sequence);
  auto views = ProvenViews(ledger, to);
  if (!views) return Error(views.error());
  // As Rebuild: the expenditures read back through the checks, for flags.
  auto rules = StoredRules(ledger, to);
  if (!rules) return Error(rules.error());
  Projections projections{std::move(*views), std::move(*rules)};
  FT_RETURN_IF_ERROR(Fold(ledger, to, &projections));
  if (use == RulesUse::kFlags) FT_RETURN_IF_ERROR(ReadExpenditures(ledger, &projections.rules));
  return projections;
}

Status CatchUp(Ledger& ledger, RulesSnapshot rules_snapshot) {
  const uint64_t head = ledger.head().sequence;
  auto views = WriterViews(ledger, head);
  if (!views) return views.error();
  // The rules' checkpoint is read without the (large) state when it may stay as it is.
  std::optional<RulesEngine> rules;
  if (rules_snapshot == RulesSnapshot::kAlways) {
    auto stored = StoredRules(ledger, head);
    if (!stored) return stored.error();
    rules = std::move(*stored);
  } else {
    auto stored_at = ledger.GetDerived(kRulesAtKey);
    if (!stored_at) return stored_at.error();
    // A record that is missing, malformed or off the log means a snapshot to rewrite now.
    bool usable = false;
    uint64_t rules_at = 0;
    if (stored_at->has_value() && (*stored_at)->size() == 40) {
      rules_at = GetBigEndian64(reinterpret_cast<const uint8_t*>((*stored_at)->data()));
      Digest chain_hash;
      std::memcpy(chain_hash.data(), (*stored_at)->data() + 8, 32);
      usable = OnTheLog(ledger, rules_at, chain_hash);
    }
    if (!usable || head - rules_at >= std::max(kRulesSnapshotLagMin, rules_at / kRulesSnapshotLagFraction)) {
      auto stored = StoredRules(ledger, head);
      if (!stored) return stored.error();
      rules = std::move(*stored);
    }
  }
  FT_RETURN_IF_ERROR(Fold(ledger, head, &*views, rules ? &*rules : nullptr));
  FT_RETURN_IF_ERROR(Store(ledger, &*views, rules ? &*rules : nullptr));
  return CatchUpHistory(ledger);
}

Result<Projections> RebuildAndStore(Ledger& ledger, RebuiltHistoryDigests* digests, ReplacedHistory* replaced) {
  FT_ASSERT(replaced == nullptr || digests != nullptr, "a replaced store is compared by digests");
  // The history store is indexed on a second thread meanwhile: both passes only read the log,
  // and the store's writes go to a column family of its own (RocksDB is thread-safe).
  // The snapshots are written as soon as the fold ends, while the indexing (the longer of the
  // two) goes on.
  Status history;
  std::optional<Result<Projections>> rebuilt;
  Status stored;
  {
    std::jthread indexer([&] {  // joined at the end of the scope
      if (digests == nullptr) {
        history = RebuildHistory(ledger);
        return;
      }
      std::optional<uint64_t> digest_up_to;
      if (replaced != nullptr) {
        *replaced = ReadReplacedHistory(ledger);
        if (replaced->digest) digest_up_to = replaced->checkpoint->sequence;
      }
      auto rebuilt = RebuildHistoryWithDigests(ledger, digest_up_to);
      if (rebuilt) *digests = std::move(*rebuilt);
      history = rebuilt ? Status::Ok() : rebuilt.error();
    });
    rebuilt.emplace(Rebuild(ledger, ledger.head().sequence, RulesUse::kStateOnly));
    if (*rebuilt) stored = Store(ledger, &(*rebuilt)->views, &(*rebuilt)->rules);
  }
  Result<Projections>& projection = *rebuilt;
  if (!projection) return projection;
  FT_RETURN_IF_ERROR(history);
  FT_RETURN_IF_ERROR(stored);
  return projection;
}

Result<std::optional<uint64_t>> FindDifferingRulesSnapshot(const Ledger& ledger) {
  auto stored = StoredRules(ledger, ledger.head().sequence);
  if (!stored) return Error(stored.error());
  // A snapshot that is missing, unreadable or off the log is not used, and so harms nothing.
  const uint64_t at = stored->sequence();
  if (at == 0) return std::optional<uint64_t>();
  auto folded = Rebuild(ledger, at, RulesUse::kStateOnly);
  if (!folded) return Error(folded.error());
  if (folded->rules.ToJson() == stored->ToJson()) return std::optional<uint64_t>();
  return std::optional<uint64_t>(at);
}

Status AttachViewsFold(Ledger& ledger) {
  auto views = LoadViews(ledger, ledger.head().sequence);
  if (!views) return views.error();
  ledger.SetViewsFold(std::make_unique<ViewsFold>(std::move(*views)));
  return Status::Ok();
}

Result<std::unique_ptr<Ledger>> OpenWriter(const std::string& directory, Clock* clock) {
  auto ledger = Ledger::Open(directory, Ledger::Access::kReadWrite, clock);
  if (!ledger) return ledger;
  FT_RETURN_IF_ERROR(AttachViewsFold(**ledger));
  return ledger;
}

Result<uint64_t> SequenceAtEndOfDate(const Ledger& ledger, const std::string& date) {
  auto days = ParseDate(date);
  if (!days) return Error(days.error().WithPrefix("--as-of-date"));
  int64_t end_micros = (static_cast<int64_t>(*days) + 1) * 86400LL * 1000000LL - 1;
  return ledger.LastSequenceAppendedBy(end_micros);
}

}  // namespace fundtrail::projections
