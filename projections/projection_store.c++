#include "projections/projection_store.h"

#include <charconv>
#include <thread>

#include "ledger/crypto.h"
#include "ledger/dates.h"
#include "projections/history_store.h"

namespace fundtrail::projections {

namespace {
constexpr char kSnapshotKey[] = "snapshot";
}  // namespace

nlohmann::json Projections::ToJson() const {
  return {{"views", views.ToJson()}, {"rules", rules.ToJson()}};
}

Result<Projections> Projections::FromJson(const nlohmann::json& json) {
  if (!json.is_object() || !json.contains("views") || !json.contains("rules")) {
    return Error(Status::Corruption("projection snapshot lacks views or rules"));
  }
  auto views = Projection::FromJson(json["views"]);
  if (!views) return Error(views.error());
  auto rules = RulesEngine::FromJson(json["rules"]);
  if (!rules) return Error(rules.error());
  if (rules->sequence() != views->checkpoint().sequence) {
    return Error(Status::Corruption("projection snapshot: views at " + std::to_string(views->checkpoint().sequence) +
                                    ", rules at " + std::to_string(rules->sequence())));
  }
  return Projections{std::move(*views), std::move(*rules)};
}

Digest Projections::StateDigest() const {
  Sha256 hash;
  hash.Update(std::string_view("FTPROJ02"));
  hash.Update(ToJson().dump());
  return hash.Finish();
}

Status Fold(const Ledger& ledger, uint64_t to, Projections* projections) {
  auto lookup = ledger.NewLookup();
  Status failure;
  uint64_t from = projections->checkpoint().sequence + 1;
  if (from > to) return Status::Ok();
  // The append time and author of the submission being folded, read once per submission.
  uint64_t submission_sequence = 0;
  int64_t appended_at = 0;
  std::string author_org_id;
  Status scanned = ledger.ScanEntries(from, to, [&](const StoredEntry& entry) {
    auto view = DecodeEntry(entry.record);
    if (!view) {
      failure = view.error().WithPrefix("sequence " + std::to_string(entry.sequence));
      return false;
    }
    if (view->submission_sequence != submission_sequence) {
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
      submission_sequence = view->submission_sequence;
      appended_at = submission->root().getAppendedAt();
      auto key_id = submission->root().getBody().getKeyId();
      auto key = projections->views.keys().find(HexEncode(ByteSpan(key_id.begin(), key_id.size())));
      author_org_id = key == projections->views.keys().end() ? std::string() : key->second.org_id;
    }
    // The name for error messages, formatted without allocating: this runs for every event.
    char what[32] = "sequence ";
    char* what_end = std::to_chars(what + 9, what + sizeof what, entry.sequence).ptr;
    auto event = DecodedEvent::Open(view->canonical_event, std::string_view(what, what_end - what));
    if (!event) {
      failure = event.error();
      return false;
    }
    failure = projections->rules.Apply(entry.sequence, view->chain_hash, appended_at, author_org_id,
                                       event->root(), view->canonical_event, lookup.get());
    if (failure.ok()) failure = projections->views.Apply(entry.sequence, view->chain_hash, event->root(), lookup.get());
    return failure.ok();
  });
  FT_RETURN_IF_ERROR(scanned);
  FT_RETURN_IF_ERROR(failure);
  if (projections->checkpoint().sequence != to) {
    return Status::Corruption("the log ends at sequence " + std::to_string(projections->checkpoint().sequence) +
                              ", expected " + std::to_string(to));
  }
  return Status::Ok();
}

Result<Projections> Rebuild(const Ledger& ledger, uint64_t to) {
  Projections projection;
  FT_RETURN_IF_ERROR(Fold(ledger, to, &projection));
  return projection;
}

namespace {

// The stored snapshot, if present and consistent with the log.
Result<std::optional<Projections>> ReadSnapshot(const Ledger& ledger) {
  auto stored = ledger.GetDerived(kSnapshotKey);
  if (!stored) return Error(stored.error());
  if (!stored->has_value()) return std::optional<Projections>();
  auto json = nlohmann::json::parse(**stored, nullptr, false);
  if (json.is_discarded()) return std::optional<Projections>();
  auto projection = Projections::FromJson(json);
  if (!projection) return std::optional<Projections>();
  const Checkpoint& checkpoint = projection->checkpoint();
  if (checkpoint.sequence > ledger.head().sequence) return std::optional<Projections>();
  if (checkpoint.sequence > 0) {
    auto entry = ledger.ReadEntry(checkpoint.sequence);
    if (!entry) return std::optional<Projections>();
    auto view = DecodeEntry(entry->record);
    // A snapshot of another history (the log was replaced) is not caught up but rebuilt.
    if (!view || view->chain_hash != checkpoint.chain_hash) return std::optional<Projections>();
  }
  return std::optional<Projections>(std::move(*projection));
}

}  // namespace

Result<Projections> Load(const Ledger& ledger, uint64_t to) {
  FT_ASSERT(to <= ledger.head().sequence);
  auto snapshot = ReadSnapshot(ledger);
  if (!snapshot) return Error(snapshot.error());
  if (snapshot->has_value() && (*snapshot)->checkpoint().sequence <= to) {
    Projections projection = std::move(**snapshot);
    FT_RETURN_IF_ERROR(Fold(ledger, to, &projection));
    return projection;
  }
  return Rebuild(ledger, to);
}

Status CatchUp(Ledger& ledger) {
  auto projection = Load(ledger, ledger.head().sequence);
  if (!projection) return projection.error();
  FT_RETURN_IF_ERROR(ledger.PutDerived(kSnapshotKey, projection->ToJson().dump()));
  return CatchUpHistory(ledger);
}

Result<Projections> RebuildAndStore(Ledger& ledger) {
  // The history store is indexed on a second thread meanwhile: both passes only read the log,
  // and the store's writes go to a column family of its own (RocksDB is thread-safe).
  Status history;
  std::thread indexer([&] { history = RebuildHistory(ledger); });
  auto projection = Rebuild(ledger, ledger.head().sequence);
  indexer.join();
  if (!projection) return projection;
  FT_RETURN_IF_ERROR(history);
  FT_RETURN_IF_ERROR(ledger.PutDerived(kSnapshotKey, projection->ToJson().dump()));
  return projection;
}

Result<uint64_t> SequenceAtEndOfDate(const Ledger& ledger, const std::string& date) {
  auto days = ParseDate(date);
  if (!days) return Error(days.error().WithPrefix("--as-of-date"));
  int64_t end_micros = (static_cast<int64_t>(*days) + 1) * 86400LL * 1000000LL - 1;
  return ledger.LastSequenceAppendedBy(end_micros);
}

}  // namespace fundtrail::projections
