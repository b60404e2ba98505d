// The validation rules: who may append what, and what makes an event semantically valid.
// The writer runs them before appending; `fundtrail verify` replays them from genesis, so every
// rule here is part of what a regulator checks. See docs/FORMAT.md, "Permissions and validation".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ledger/log_format.h"
#include "ledger/state.h"
#include "ledger/status.h"
#include "schemas/fundtrail.capnp.h"

namespace fundtrail {

// Role bit masks: bit (1 << schema::Role).
uint32_t RoleBit(schema::Role role);
std::string RoleNames(uint32_t roles);  // "fund_manager, member_finance"
// The roles (bit mask) of which a key needs one to append an event of this type; ~0 for
// reversals (decided by the target event), 0 for the genesis (only the operator key). Which
// organisation a key may act for is checked by the validator.
uint32_t AllowedRoles(schema::Event::Which which);

// An earlier event, for reversals: the event and the key id (hex) that signed it.
struct EarlierEvent {
  DecodedEvent event;
  std::string key_id_hex;
};

// Reads an earlier event by sequence number. The writer reads the store (and the batch being
// built); the verifier reads the store it is replaying.
class EventLookup {
 public:
  virtual ~EventLookup() = default;
  virtual Result<EarlierEvent> Find(uint64_t sequence) = 0;
};

// The event a reversal at `sequence` reverses, read through `lookup`; nullopt when `event` is no
// reversal. A missing target is an error naming the reversal.
Result<std::optional<EarlierEvent>> FindReversed(EventLookup& lookup, uint64_t sequence,
                                                 schema::Event::Reader event);

class Validator {
 public:
  // REQUIRES: state and lookup outlive the validator.
  Validator(LedgerState* state, EventLookup* lookup) : state_(state), lookup_(lookup) {}

  // Checks that the key `key_id_hex` may append `event` at `sequence` and that the event is
  // valid there; on success applies its effects to the state. `genesis_submission` is true for
  // every event of the ledger's first submission, which the operator key signs.
  // Errors name the field and the reason, e.g. field "grant_id": grant "G-9" is not registered.
  // `input_checked`: CheckEventInput already passed on this event (a verifier checked it ahead,
  // ledger/precheck.h), so it is not made again.
  Status Apply(uint64_t sequence, const std::string& key_id_hex, bool genesis_submission,
               schema::Event::Reader event, bool input_checked = false);

  // The validation version (ledger/input_rules.h) of the events applied from now on: that of
  // their submission. 1 until set.
  void set_validation_version(uint16_t version) { validation_version_ = version; }
  uint16_t validation_version() const { return validation_version_; }

  // The public key (raw bytes) a submission by `key_id_hex` must be verified with, or an error
  // if the key is unknown or revoked.
  Result<std::string> SigningKey(const std::string& key_id_hex) const;

 private:
  Status CheckPermission(const KeyRecord& key, const std::string& key_id_hex,
                         schema::Event::Reader event) const;
  Status ApplySemantics(uint64_t sequence, const std::string& key_id_hex,
                        schema::Event::Reader event);

  LedgerState* state_;
  EventLookup* lookup_;
  uint16_t validation_version_ = 1;
};

}  // namespace fundtrail
