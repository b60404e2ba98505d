#include "projections/projection_store.h"

#include "ledger/dates.h"

namespace fundtrail::projections {

namespace {
constexpr char kSnapshotKey[] = "snapshot";
}  // namespace

Status Fold(const Ledger& ledger, uint64_t to, Projection* projection) {
  auto lookup = ledger.NewLookup();
  Status failure;
  uint64_t from = projection->checkpoint().sequence + 1;
  if (from > to) return Status::Ok();
  Status scanned = ledger.ScanEntries(from, to, [&](const StoredEntry& entry) {
    auto view = DecodeEntry(entry.record);
    if (!view) {
      failure = view.error().WithPrefix("sequence " + std::to_string(entry.sequence));
      return false;
    }
    auto event = DecodedEvent::Open(view->canonical_event, "sequence " + std::to_string(entry.sequence));
    if (!event) {
      failure = event.error();
      return false;
    }
    failure = projection->Apply(entry.sequence, view->chain_hash, event->root(), lookup.get());
    return failure.ok();
  });
  FT_RETURN_IF_ERROR(scanned);
  FT_RETURN_IF_ERROR(failure);
  if (projection->checkpoint().sequence != to) {
    return Status::Corruption("the log ends at sequence " + std::to_string(projection->checkpoint().sequence) +
                              ", expected " + std::to_string(to));
  }
  return Status::Ok();
}

Result<Projection> Rebuild(const Ledger& ledger, uint64_t to) {
  Projection projection;
  FT_RETURN_IF_ERROR(Fold(ledger, to, &projection));
  return projection;
}

namespace {

// The stored snapshot, if present and consistent with the log.
Result<std::optional<Projection>> ReadSnapshot(const Ledger& ledger) {
  auto stored = ledger.GetDerived(kSnapshotKey);
  if (!stored) return Error(stored.error());
  if (!stored->has_value()) return std::optional<Projection>();
  auto json = nlohmann::json::parse(**stored, nullptr, false);
  if (json.is_discarded()) return std::optional<Projection>();
  auto projection = Projection::FromJson(json);
  if (!projection) return std::optional<Projection>();
  const Checkpoint& checkpoint = projection->checkpoint();
  if (checkpoint.sequence > ledger.head().sequence) return std::optional<Projection>();
  if (checkpoint.sequence > 0) {
    auto entry = ledger.ReadEntry(checkpoint.sequence);
    if (!entry) return std::optional<Projection>();
    auto view = DecodeEntry(entry->record);
    // A snapshot of another history (the log was replaced) is not caught up but rebuilt.
    if (!view || view->chain_hash != checkpoint.chain_hash) return std::optional<Projection>();
  }
  return std::optional<Projection>(std::move(*projection));
}

}  // namespace

Result<Projection> Load(const Ledger& ledger, uint64_t to) {
  FT_ASSERT(to <= ledger.head().sequence);
  auto snapshot = ReadSnapshot(ledger);
  if (!snapshot) return Error(snapshot.error());
  if (snapshot->has_value() && (*snapshot)->checkpoint().sequence <= to) {
    Projection projection = std::move(**snapshot);
    FT_RETURN_IF_ERROR(Fold(ledger, to, &projection));
    return projection;
  }
  return Rebuild(ledger, to);
}

Status CatchUp(Ledger& ledger) {
  auto projection = Load(ledger, ledger.head().sequence);
  if (!projection) return projection.error();
  return ledger.PutDerived(kSnapshotKey, projection->ToJson().dump());
}

Result<Projection> RebuildAndStore(Ledger& ledger) {
  auto projection = Rebuild(ledger, ledger.head().sequence);
  if (!projection) return projection;
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
