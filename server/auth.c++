#include "server/auth.h"

#include <openssl/rand.h>

#include <iterator>

#include "ledger/bytes.h"
#include "schemas/fundtrail.capnp.h"

namespace fundtrail::server {
namespace {

constexpr size_t kSecretSizeBytes = 32;

// 32 bytes from OpenSSL's generator, as 64 hex digits: nonces and tokens are unguessable.
std::string RandomHex() {
  std::string bytes(kSecretSizeBytes, '\0');
  FT_ASSERT(RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(bytes.size())) == 1);
  return HexEncode(AsBytes(bytes));
}

constexpr uint32_t RoleBit(schema::Role role) { return uint32_t{1} << static_cast<uint32_t>(role); }

}  // namespace

std::string AuthMessage(const std::string& ledger_id_hex, const std::string& key_id_hex,
                        const std::string& nonce_hex) {
  return "fundtrail-auth-v1\nledger " + ledger_id_hex + "\nkey " + key_id_hex + "\nnonce " + nonce_hex + "\n";
}

ReadScope ScopeOfRoles(uint32_t roles) {
  const uint32_t everything = RoleBit(schema::Role::ADMIN) | RoleBit(schema::Role::FUND_MANAGER) |
                              RoleBit(schema::Role::AUDITOR) | RoleBit(schema::Role::REGULATOR);
  return (roles & everything) != 0 ? ReadScope::kEverything : ReadScope::kOwnOrganisation;
}

std::vector<std::string> RoleNames(uint32_t roles) {
  static const char* const kNames[] = {"admin",         "signatory", "funder", "fund_manager",
                                       "member_finance", "auditor",  "regulator"};
  std::vector<std::string> names;
  for (uint32_t role = 0; role < std::size(kNames); ++role) {
    if ((roles & (uint32_t{1} << role)) != 0) names.push_back(kNames[role]);
  }
  return names;
}

Result<Caller> CallerOfKey(const LedgerState& state, const std::string& key_id_hex) {
  const KeyRecord* key = state.keys.Find(key_id_hex);
  if (key == nullptr) {
    return Error(Status::NotFound("key " + key_id_hex +
                                  " is not registered in this ledger; an admin registers it with a "
                                          "key_registered event"));
  }
  if (key->revoked_sequence != 0) {
    return Error(Status::PermissionDenied("key " + key_id_hex + " was revoked at sequence " +
                                          std::to_string(key->revoked_sequence) + "; sign in with a valid key"));
  }
  return Caller{key_id_hex, key->org_id, key->roles, ScopeOfRoles(key->roles)};
}

AuthTables::AuthTables(const Options& options, Clock* clock) : options_(options), clock_(clock) {
  FT_ASSERT(clock_ != nullptr);
  FT_ASSERT(options_.nonces_max >= 1 && options_.tokens_max >= 1);
  FT_ASSERT(options_.nonce_lifetime_micros > 0 && options_.token_lifetime_micros > 0);
}

void AuthTables::DropExpired(std::unordered_map<std::string, Entry>& table, int64_t now) {
  std::erase_if(table, [now](const auto& item) { return item.second.expires_micros <= now; });
}

Result<AuthTables::Issued> AuthTables::NewNonce(const std::string& key_id_hex) {
  const int64_t now = clock_->NowMicros();
  std::lock_guard lock(mutex_);
  if (nonces_.size() >= options_.nonces_max) DropExpired(nonces_, now);
  if (nonces_.size() >= options_.nonces_max) {
    return Error(Status::Busy("too many sign-ins under way (" + std::to_string(options_.nonces_max) +
                              " nonces outstanding); retry in a minute"));
  }
  Issued issued{RandomHex(), now + options_.nonce_lifetime_micros};
  nonces_[issued.value] = Entry{key_id_hex, issued.expires_micros};
  FT_ASSERT(nonces_.size() <= options_.nonces_max);
  return issued;
}

Status AuthTables::TakeNonce(const std::string& nonce_hex, const std::string& key_id_hex) {
  const int64_t now = clock_->NowMicros();
  std::lock_guard lock(mutex_);
  auto found = nonces_.find(nonce_hex);
  if (found == nonces_.end()) {
    return Status::InvalidArgument("nonce " + nonce_hex.substr(0, 16) +
                                   "... is unknown or already used; ask POST /v1/auth/challenge for a new one");
  }
  Entry entry = found->second;
  nonces_.erase(found);  // single use, whatever follows
  if (entry.expires_micros <= now) {
    return Status::InvalidArgument("nonce " + nonce_hex.substr(0, 16) +
                                   "... expired; ask POST /v1/auth/challenge for a new one and sign it at once");
  }
  if (entry.key_id != key_id_hex) {
    return Status::InvalidArgument("nonce " + nonce_hex.substr(0, 16) + "... was issued for key " + entry.key_id +
                                   ", not " + key_id_hex);
  }
  return Status::Ok();
}

Result<AuthTables::Issued> AuthTables::NewToken(const std::string& key_id_hex) {
  const int64_t now = clock_->NowMicros();
  std::lock_guard lock(mutex_);
  if (tokens_.size() >= options_.tokens_max) DropExpired(tokens_, now);
  if (tokens_.size() >= options_.tokens_max) {
    return Error(Status::Busy("too many signed-in sessions (" + std::to_string(options_.tokens_max) +
                              " live tokens); retry later"));
  }
  Issued issued{RandomHex(), now + options_.token_lifetime_micros};
  tokens_[issued.value] = Entry{key_id_hex, issued.expires_micros};
  FT_ASSERT(tokens_.size() <= options_.tokens_max);
  return issued;
}

Result<std::string> AuthTables::KeyOfToken(const std::string& token) {
  const int64_t now = clock_->NowMicros();
  std::lock_guard lock(mutex_);
  auto found = tokens_.find(token);
  if (found == tokens_.end()) {
    return Error(Status::NotFound("the bearer token is unknown (never issued, or the server restarted); sign in "
                                  "again with POST /v1/auth/challenge and /v1/auth/token"));
  }
  if (found->second.expires_micros <= now) {
    tokens_.erase(found);
    return Error(Status::InvalidArgument("the bearer token expired; sign in again with POST /v1/auth/challenge "
                                         "and /v1/auth/token"));
  }
  return found->second.key_id;
}

size_t AuthTables::nonce_count() const {
  std::lock_guard lock(mutex_);
  return nonces_.size();
}

size_t AuthTables::token_count() const {
  std::lock_guard lock(mutex_);
  return tokens_.size();
}

}  // namespace fundtrail::server
