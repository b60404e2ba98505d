// Signed tree heads: the operator key's statement "this ledger had these N entries, with this
// Merkle root and chain head, at this time". Saved by regulators; `verify --trusted-head` proves
// the log still extends one. Pure (OpenSSL and the schema), for the standalone verifier too.
//
// A head file is JSON:
//   {"ledger_id": hex16, "tree_size": N, "root_hash": hex32, "chain_hash": hex32,
//    "timestamp": micros, "time": "ISO 8601", "key_id": hex16, "signature": hex64}
// "time" is informative; the signature covers "FTHEAD01" || canonical(TreeHead) built from the
// other fields.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "ledger/crypto.h"
#include "ledger/status.h"

namespace fundtrail {

struct TreeHead {
  std::string ledger_id;  // 16 raw bytes
  uint64_t tree_size = 0;
  Digest root_hash{};
  Digest chain_hash{};
  int64_t timestamp_micros = 0;
  std::string key_id;     // 16 raw bytes of the signing key; empty if unsigned
  std::string signature;  // 64 bytes; empty if unsigned
};

// canonical(schema::TreeHead) of the head's ledger id, size, roots and timestamp (not the key id
// or signature).
std::string CanonicalTreeHead(const TreeHead& head);
// "FTHEAD01" || CanonicalTreeHead(head): what the operator key signs.
std::string TreeHeadMessage(const TreeHead& head);
void SignTreeHead(const PrivateKey& key, TreeHead* head);
// Checks the signature with `operator_key`; errors name what did not match.
Status VerifyTreeHeadSignature(const TreeHead& head, const PublicKey& operator_key);

nlohmann::ordered_json TreeHeadToJson(const TreeHead& head);
Result<TreeHead> TreeHeadFromJson(const nlohmann::json& json);
Result<TreeHead> ReadTreeHeadFile(const std::string& path);

}  // namespace fundtrail
