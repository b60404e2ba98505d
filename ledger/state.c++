#include "ledger/state.h"

namespace fundtrail {

LedgerState::LedgerState()
    : tables_{&organisations, &keys,   &grants,   &projects, &tasks,    &vendors, &agreements,
              &bodies,        &outcomes, &licences, &findings, &reversed, &meta} {}

void LedgerState::Begin() {
  FT_ASSERT(!in_transaction_, "nested state transaction");
  FT_ASSERT(undo_.empty() && dirty_.empty());
  in_transaction_ = true;
}

void LedgerState::RecordChange(StateTableBase* table, const std::string& id,
                               std::function<void()> undo) {
  // Outside a transaction (the verifier, or loading) changes are simply kept.
  if (!in_transaction_) return;
  undo_.push_back(std::move(undo));
  dirty_.emplace_back(table, id);
}

void LedgerState::Rollback() {
  FT_ASSERT(in_transaction_);
  // Undo in reverse order so that a row changed twice returns to its first value.
  for (auto undo = undo_.rbegin(); undo != undo_.rend(); ++undo) (*undo)();
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
  size_t slash = key.find('/');
  if (slash == std::string::npos) return Status::Corruption("state key \"" + key + "\" has no table");
  std::string table_name = key.substr(0, slash);
  for (auto* table : tables_) {
    if (table->name() == table_name) return table->Load(key.substr(slash + 1), value);
  }
  return Status::Corruption("state key \"" + key + "\" names an unknown table");
}

}  // namespace fundtrail
