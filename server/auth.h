// Sign-in for the read API (docs/FORMAT.md, "Sign-in"): the server hands out a single-use nonce
// for a key id, the caller signs the challenge message with that key, and the server answers a
// short-lived random bearer token bound to the key id. No password exists anywhere; the tables
// below live in memory only, so a restart signs everyone out.
//
// Whether the key is registered and not revoked is not this module's business: the caller checks
// it against the ledger's key registry when it issues a token and again at every request (a
// revoked key's token stops working at once).
//
// Thread safety: every method of AuthTables may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ledger/dates.h"
#include "ledger/state.h"
#include "ledger/status.h"

namespace fundtrail::server {

// The bytes a caller signs with Ed25519 to redeem `nonce_hex`, as ASCII text:
//   "fundtrail-auth-v1\nledger " LEDGER_ID_HEX "\nkey " KEY_ID_HEX "\nnonce " NONCE_HEX "\n"
// (all hex lowercase). Binding the ledger id keeps a signature made for one ledger from signing in
// to another; the key id, from redeeming another key's nonce.
std::string AuthMessage(const std::string& ledger_id_hex, const std::string& key_id_hex,
                        const std::string& nonce_hex);

// What a key may read (docs/API.md, "Who may read what").
enum class ReadScope {
  kEverything,        // admin, fund manager, auditor, regulator
  kOwnOrganisation,   // member finance, signatory, funder: its own organisation's rows and
                      // alliance-level totals
};
ReadScope ScopeOfRoles(uint32_t roles);
// Role names (schema::Role in snake_case), in enum order.
std::vector<std::string> RoleNames(uint32_t roles);

// A signed-in caller: who it is, and what it may read.
struct Caller {
  std::string key_id;  // lowercase hex
  std::string org_id;
  uint32_t roles = 0;
  ReadScope scope = ReadScope::kOwnOrganisation;
  bool may_read(const std::string& org_id_asked) const {
    return scope == ReadScope::kEverything || org_id_asked == org_id;
  }
};

// The caller whose key `key_id_hex` is in `state`'s registry and not revoked; NotFound for a
// key not registered, PermissionDenied for a revoked one, each naming the key.
Result<Caller> CallerOfKey(const LedgerState& state, const std::string& key_id_hex);

class AuthTables {
 public:
  struct Options {
    int64_t nonce_lifetime_micros = int64_t{60} * 1000000;        // to sign and redeem
    int64_t token_lifetime_micros = int64_t{15} * 60 * 1000000;   // a token's life
    size_t nonces_max = 10000;   // outstanding nonces; beyond, a challenge is refused (503)
    size_t tokens_max = 10000;   // live tokens; beyond, a sign-in is refused (503)
  };
  struct Issued {
    std::string value;      // the nonce or the token, 64 lowercase hex digits
    int64_t expires_micros;
  };

  // REQUIRES: clock outlives this.
  AuthTables(const Options& options, Clock* clock);

  // A fresh nonce for `key_id_hex`. Busy when nonces_max are outstanding (expired ones are
  // dropped first).
  Result<Issued> NewNonce(const std::string& key_id_hex);
  // Takes the nonce (single use: it is gone afterwards, whatever follows): InvalidArgument when
  // unknown, expired, already used, or issued for another key.
  Status TakeNonce(const std::string& nonce_hex, const std::string& key_id_hex);
  // A fresh token for `key_id_hex`. Busy when tokens_max are live.
  Result<Issued> NewToken(const std::string& key_id_hex);
  // The key id of a live token: NotFound when unknown (never issued, or dropped at a restart) and
  // InvalidArgument when expired; both mean "sign in again".
  Result<std::string> KeyOfToken(const std::string& token);

  size_t nonce_count() const;
  size_t token_count() const;

 private:
  struct Entry {
    std::string key_id;
    int64_t expires_micros;
  };
  // Drops the expired entries of `table`. REQUIRES: mutex_ held.
  void DropExpired(std::unordered_map<std::string, Entry>& table, int64_t now);

  const Options options_;
  Clock* clock_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> nonces_;  // guarded by mutex_
  std::unordered_map<std::string, Entry> tokens_;  // guarded by mutex_
};

}  // namespace fundtrail::server
