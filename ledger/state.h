// The validation state: what the validator must know about earlier events to check the next one
// (organisations, membership, keys and roles, grants, projects, vendors, ...). Its size grows
// with the number of entities, never with the number of events, so replaying a log keeps memory
// flat. Money totals are not here: overspending is a flag (projections), not a validation error.
//
// The writer persists dirty rows in the same RocksDB write batch as the events; the verifier keeps
// the state in memory and rebuilds it from genesis.
//
// Not thread-safe.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "ledger/bytes.h"
#include "ledger/crypto.h"
#include "ledger/status.h"

namespace fundtrail {

struct OrganisationRecord {
  std::string name;
  int kind = 0;                 // schema::OrganisationKind
  uint64_t sequence = 0;        // where it was registered
  bool member = false;          // a member now
  int32_t admitted_days = 0;    // valid when admitted (or withdrawn)
  int32_t withdrawn_days = 0;   // valid when withdrawn
  bool ever_admitted = false;
};

struct KeyRecord {
  std::string org_id;
  uint32_t roles = 0;           // bit (1 << schema::Role)
  std::string public_key_hex;
  uint64_t registered_sequence = 0;
  uint64_t revoked_sequence = 0;  // 0 while the key is valid
};

struct GrantRecord {
  std::string currency;
  std::string funder_org_id;
  std::string project_id;
  int source_kind = 0;          // schema::SourceKind
  int32_t period_start_days = 0;
  int32_t period_end_days = 0;
  uint64_t sequence = 0;
};

struct TaskRecord {
  std::string project_id;
  std::string org_id;
};

struct AgreementRecord {
  std::set<std::string> signed_org_ids;
};

struct OutcomeRecord {
  std::string grant_id;
};

struct LedgerMeta {
  std::string ledger_id_hex;
  std::string alliance_id;
  std::string operator_public_key_hex;
  uint32_t policy_version = 0;
};

// Entities that need only their existence (and where they were registered) recorded.
struct Presence {
  uint64_t sequence = 0;
};

class StateTableBase {
 public:
  virtual ~StateTableBase() = default;
  virtual const std::string& name() const = 0;
  // The stored value of row `id`, or nullopt if it does not exist.
  virtual std::optional<std::string> Serialise(const std::string& id) const = 0;
  virtual Status Load(const std::string& id, const std::string& value) = 0;
  // Hashes the table as the state digest covers it (docs/FORMAT.md, section 5, "The validation
  // state and its digest"): str(name) || be64(row count) || each row in byte order of its id.
  virtual void HashInto(Sha256& hash) const = 0;
  virtual std::vector<std::string> Ids() const = 0;
  virtual void Clear() = 0;
};

// The digest encoding of one row's fields (docs/FORMAT.md, section 5): each appends to `out`.
void AppendStateFields(const OrganisationRecord& record, std::string* out);
void AppendStateFields(const KeyRecord& record, std::string* out);
void AppendStateFields(const GrantRecord& record, std::string* out);
void AppendStateFields(const TaskRecord& record, std::string* out);
void AppendStateFields(const AgreementRecord& record, std::string* out);
void AppendStateFields(const OutcomeRecord& record, std::string* out);
void AppendStateFields(const LedgerMeta& record, std::string* out);
void AppendStateFields(const Presence& record, std::string* out);
// str(x) of the digest encoding: be32 length || bytes.
void AppendStateString(std::string_view text, std::string* out);

class LedgerState;

template <typename Record>
class StateTable : public StateTableBase {
 public:
  StateTable(LedgerState* owner, std::string name) : owner_(owner), name_(std::move(name)) {}

  const std::string& name() const override { return name_; }
  const Record* Find(const std::string& id) const {
    auto found = rows_.find(id);
    return found == rows_.end() ? nullptr : &found->second;
  }
  bool Contains(const std::string& id) const { return rows_.contains(id); }
  size_t size() const { return rows_.size(); }
  const std::unordered_map<std::string, Record>& rows() const { return rows_; }

  // Inserts or replaces row `id`, recording how to undo it.
  void Put(const std::string& id, Record record);

  std::optional<std::string> Serialise(const std::string& id) const override;
  Status Load(const std::string& id, const std::string& value) override;
  void HashInto(Sha256& hash) const override;
  void Clear() override { rows_.clear(); }
  std::vector<std::string> Ids() const override {
    std::vector<std::string> ids;
    ids.reserve(rows_.size());
    for (const auto& [id, record] : rows_) ids.push_back(id);
    return ids;
  }

 private:
  LedgerState* owner_;
  std::string name_;
  std::unordered_map<std::string, Record> rows_;
};

class LedgerState {
 public:
  LedgerState();
  LedgerState(const LedgerState&) = delete;
  LedgerState& operator=(const LedgerState&) = delete;

  StateTable<OrganisationRecord> organisations{this, "org"};
  StateTable<KeyRecord> keys{this, "key"};  // by lowercase hex key id
  StateTable<GrantRecord> grants{this, "grant"};
  StateTable<Presence> projects{this, "project"};
  StateTable<TaskRecord> tasks{this, "task"};
  StateTable<Presence> vendors{this, "vendor"};
  StateTable<AgreementRecord> agreements{this, "agreement"};
  StateTable<Presence> bodies{this, "body"};
  StateTable<OutcomeRecord> outcomes{this, "outcome"};
  StateTable<Presence> licences{this, "licence"};
  StateTable<Presence> findings{this, "finding"};
  StateTable<Presence> reversed{this, "reversed"};  // by decimal target sequence number
  // Grants ended by a grant_terminated (validation version 4), by grant id. The digest covers
  // this table only once it has a row, so that the digests of earlier ledgers do not change.
  StateTable<Presence> terminated{this, "terminated"};
  StateTable<LedgerMeta> meta{this, "meta"};        // one row, "ledger"

  const LedgerMeta* ledger() const { return meta.Find("ledger"); }

  // Transactions: changes after Begin() are undone by Rollback() or kept by Commit().
  // DirtyRows() lists the rows changed so far as (storage key "table/id", value, or nullopt
  // for a deleted row), for the writer to persist before it commits.
  void Begin();
  void Rollback();
  void Commit();
  std::vector<std::pair<std::string, std::optional<std::string>>> DirtyRows() const;

  // Loads one persisted row ("table/id" -> value).
  Status LoadRow(const std::string& key, const std::string& value);

  // The state digest (docs/FORMAT.md, section 5): SHA-256("FTSTATE1" || each table in byte
  // order of its name, hashed by StateTableBase::HashInto). Committed by the writer in every
  // submission of format 2 (Submission.stateDigest) and checked by every replay and every open,
  // so that the writer never validates against a state that a replay of the log would not
  // build. Computed again only after the state changed (most submissions change nothing: an
  // expenditure is not an entity).
  Digest ComputeDigest() const;
  // True if every table holds the same rows as `other`'s.
  bool SameAs(const LedgerState& other) const { return ComputeDigest() == other.ComputeDigest(); }
  // The names of the tables whose rows differ from `other`'s.
  std::vector<std::string> DifferingTables(const LedgerState& other) const;
  // Removes every row. REQUIRES: no transaction.
  void Clear();
  // Every row as the writer stores it: ("table/id", value).
  std::vector<std::pair<std::string, std::string>> StoredRows() const;

  // Used by StateTable::Put.
  void RecordChange(StateTableBase* table, const std::string& id, std::function<void()> undo);

 private:
  std::vector<StateTableBase*> tables_;
  bool in_transaction_ = false;
  std::vector<std::function<void()>> undo_;
  std::vector<std::pair<StateTableBase*, std::string>> dirty_;
  mutable std::optional<Digest> digest_;  // ComputeDigest's cache, cleared by every change
};

// Serialisation of state rows (JSON; the rows are derived data, not part of the verified format).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(OrganisationRecord, name, kind, sequence, member, admitted_days,
                                   withdrawn_days, ever_admitted)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(KeyRecord, org_id, roles, public_key_hex, registered_sequence,
                                   revoked_sequence)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(GrantRecord, currency, funder_org_id, project_id, source_kind,
                                   period_start_days, period_end_days, sequence)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(TaskRecord, project_id, org_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(AgreementRecord, signed_org_ids)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(OutcomeRecord, grant_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(LedgerMeta, ledger_id_hex, alliance_id, operator_public_key_hex,
                                   policy_version)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Presence, sequence)

template <typename Record>
void StateTable<Record>::Put(const std::string& id, Record record) {
  auto found = rows_.find(id);
  std::optional<Record> old;
  if (found != rows_.end()) old = found->second;
  owner_->RecordChange(this, id, [this, id, old = std::move(old)]() {
    if (old) {
      rows_[id] = *old;
    } else {
      rows_.erase(id);
    }
  });
  rows_[id] = std::move(record);
}

template <typename Record>
std::optional<std::string> StateTable<Record>::Serialise(const std::string& id) const {
  const Record* record = Find(id);
  if (record == nullptr) return std::nullopt;
  return nlohmann::json(*record).dump();
}

template <typename Record>
void StateTable<Record>::HashInto(Sha256& hash) const {
  std::vector<const std::pair<const std::string, Record>*> sorted;
  sorted.reserve(rows_.size());
  for (const auto& row : rows_) sorted.push_back(&row);
  std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
  std::string bytes;
  AppendStateString(name_, &bytes);
  bytes.resize(bytes.size() + 8);
  PutBigEndian64(sorted.size(), reinterpret_cast<uint8_t*>(bytes.data() + bytes.size() - 8));
  hash.Update(bytes);
  for (const auto* row : sorted) {
    bytes.clear();
    AppendStateString(row->first, &bytes);
    AppendStateFields(row->second, &bytes);
    hash.Update(bytes);
  }
}

template <typename Record>
Status StateTable<Record>::Load(const std::string& id, const std::string& value) {
  auto parsed = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return Status::Corruption("state row " + name_ + "/" + id + " is not valid JSON");
  }
  try {
    rows_[id] = parsed.get<Record>();
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption("state row " + name_ + "/" + id + ": " + e.what());
  }
  return Status::Ok();
}

}  // namespace fundtrail
