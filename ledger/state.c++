#include "ledger/state.h"

namespace fundtrail {

LedgerState::LedgerState()
    : tables_{&organisations, &keys,   &grants,   &projects, &tasks,    &vendors, &agreements,
              &bodies,        &outcomes, &licences, &findings, &reversed, &meta,
              &terminated} {}

void LedgerState::Begin() {
  FT_ASSERT(!in_transaction_, "nested state transaction");
  FT_ASSERT(undo_.empty() && dirty_.empty());
  in_transaction_ = true;
}

void LedgerState::RecordChange(StateTableBase* table, const std::string& id,
                               std::function<void()> undo) {
  digest_.reset();
  // Outside a transaction (the verifier, or loading) changes are simply kept.
  if (!in_transaction_) return;
  undo_.push_back(std::move(undo));
  dirty_.emplace_back(table, id);
}

void LedgerState::Rollback() {
  FT_ASSERT(in_transaction_);
  // Undo in reverse order so that a row changed twice returns to its first value.
  for (auto undo = undo_.rbegin(); undo != undo_.rend(); ++undo) (*undo)();
  digest_.reset();
  undo_.clear();
  dirty_.clear();
  in_transaction_ = false;
}

std::vector<std::pair<std::string, std::optional<std::string>>> LedgerState::DirtyRows() const {
  FT_ASSERT(in_transaction_);
  std::vector<std::pair<std::string, std::optional<std::string>>> rows;
  std::set<std::string> seen;
  for (const auto& [table, id] : dirty_) {
    std::string key = table->name() + "/" + id;
    if (!seen.insert(key).second) continue;
    rows.emplace_back(key, table->Serialise(id));
  }
  return rows;
}

void LedgerState::Commit() {
  FT_ASSERT(in_transaction_);
  undo_.clear();
  dirty_.clear();
  in_transaction_ = false;
}

Status LedgerState::LoadRow(const std::string& key, const std::string& value) {
  digest_.reset();
  size_t slash = key.find('/');
  if (slash == std::string::npos) return Status::Corruption("state key \"" + key + "\" has no table");
  std::string table_name = key.substr(0, slash);
  for (auto* table : tables_) {
    if (table->name() == table_name) return table->Load(key.substr(slash + 1), value);
  }
  return Status::Corruption("state key \"" + key + "\" names an unknown table");
}

namespace {

void AppendBigEndian(uint64_t value, int bytes, std::string* out) {
  for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) out->push_back(static_cast<char>(value >> shift));
}
void AppendU64(uint64_t value, std::string* out) { AppendBigEndian(value, 8, out); }
void AppendU32(uint32_t value, std::string* out) { AppendBigEndian(value, 4, out); }
// A signed 32-bit integer as its two's-complement bit pattern.
void AppendI32(int32_t value, std::string* out) { AppendBigEndian(static_cast<uint32_t>(value), 4, out); }
void AppendBool(bool value, std::string* out) { out->push_back(value ? '\x01' : '\x00'); }

}  // namespace

void AppendStateString(std::string_view text, std::string* out) {
  FT_ASSERT(text.size() <= UINT32_MAX);
  AppendU32(static_cast<uint32_t>(text.size()), out);
  out->append(text);
}

void AppendStateFields(const OrganisationRecord& record, std::string* out) {
  AppendStateString(record.name, out);
  AppendU32(static_cast<uint32_t>(record.kind), out);
  AppendU64(record.sequence, out);
  AppendBool(record.member, out);
  AppendI32(record.admitted_days, out);
  AppendI32(record.withdrawn_days, out);
  AppendBool(record.ever_admitted, out);
}

void AppendStateFields(const KeyRecord& record, std::string* out) {
  AppendStateString(record.org_id, out);
  AppendU32(record.roles, out);
  AppendStateString(record.public_key_hex, out);
  AppendU64(record.registered_sequence, out);
  AppendU64(record.revoked_sequence, out);
}

void AppendStateFields(const GrantRecord& record, std::string* out) {
  AppendStateString(record.currency, out);
  AppendStateString(record.funder_org_id, out);
  AppendStateString(record.project_id, out);
  AppendU32(static_cast<uint32_t>(record.source_kind), out);
  AppendI32(record.period_start_days, out);
  AppendI32(record.period_end_days, out);
  AppendU64(record.sequence, out);
}

void AppendStateFields(const TaskRecord& record, std::string* out) {
  AppendStateString(record.project_id, out);
  AppendStateString(record.org_id, out);
}

void AppendStateFields(const AgreementRecord& record, std::string* out) {
  // A std::set: already in byte order.
  AppendU32(static_cast<uint32_t>(record.signed_org_ids.size()), out);
  for (const auto& org_id : record.signed_org_ids) AppendStateString(org_id, out);
}

void AppendStateFields(const OutcomeRecord& record, std::string* out) { AppendStateString(record.grant_id, out); }

void AppendStateFields(const LedgerMeta& record, std::string* out) {
  AppendStateString(record.ledger_id_hex, out);
  AppendStateString(record.alliance_id, out);
  AppendStateString(record.operator_public_key_hex, out);
  AppendU32(record.policy_version, out);
}

void AppendStateFields(const Presence& record, std::string* out) { AppendU64(record.sequence, out); }

std::vector<std::string> LedgerState::DifferingTables(const LedgerState& other) const {
  FT_ASSERT(tables_.size() == other.tables_.size());
  std::vector<std::string> differing;
  for (size_t i = 0; i < tables_.size(); ++i) {
    FT_ASSERT(tables_[i]->name() == other.tables_[i]->name());
    Sha256 mine, theirs;
    tables_[i]->HashInto(mine);
    other.tables_[i]->HashInto(theirs);
    if (mine.Finish() != theirs.Finish()) differing.push_back(tables_[i]->name());
  }
  return differing;
}

void LedgerState::Clear() {
  FT_ASSERT(!in_transaction_);
  for (auto* table : tables_) table->Clear();
  digest_.reset();
}

std::vector<std::pair<std::string, std::string>> LedgerState::StoredRows() const {
  std::vector<std::pair<std::string, std::string>> rows;
  for (const auto* table : tables_) {
    for (const auto& id : table->Ids()) {
      auto value = table->Serialise(id);
      FT_ASSERT(value.has_value());
      rows.emplace_back(table->name() + "/" + id, std::move(*value));
    }
  }
  return rows;
}

Digest LedgerState::ComputeDigest() const {
  if (digest_) return *digest_;
  std::vector<const StateTableBase*> sorted(tables_.begin(), tables_.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) { return a->name() < b->name(); });
  Sha256 hash;
  hash.Update(std::string_view("FTSTATE1"));
  for (const auto* table : sorted) {
    if (table == &terminated && terminated.size() == 0) continue;  // FORMAT.md, section 5
    table->HashInto(hash);
  }
  digest_ = hash.Finish();
  return *digest_;
}

}  // namespace fundtrail
