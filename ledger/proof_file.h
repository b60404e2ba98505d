// A consistency proof as a file: what a witness or a regulator needs to check that the tree head
// of one size of a ledger is a prefix of the tree head of a larger size, without the ledger.
// `fundtrail witness cosign --proof FILE` reads it. Pure (nlohmann-json and ledger/merkle), for
// the standalone verifier too. docs/FORMAT.md section 11 is the normative description.
//
//   {"format": "fundtrail-consistency-proof-1",
//    "ledger_id": hex16, "old_size": M, "new_size": N,
//    "old_root": hex32, "new_root": hex32,
//    "hashes": [hex32, ...]}                       PROOF(M, D[0:N]) of FORMAT.md section 7
//
// Every field is required and no other field is allowed. The roots and sizes in the file are the
// sender's claim: a verifier takes them from signed tree heads it trusts and uses the file's
// values only to say clearly which heads the proof was made for.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ledger/bytes.h"
#include "ledger/status.h"

namespace fundtrail {

inline constexpr char kConsistencyProofFormat[] = "fundtrail-consistency-proof-1";

struct ConsistencyProofFile {
  std::string ledger_id;  // 16 raw bytes
  uint64_t old_size = 0;
  uint64_t new_size = 0;
  Digest old_root{};
  Digest new_root{};
  std::vector<Digest> hashes;
};

nlohmann::ordered_json ConsistencyProofToJson(const ConsistencyProofFile& proof);
// Strict: errors name the field ("consistency proof: field "hashes": [3] must be 64 hex digits").
// Checks old_size <= new_size, not the number of hashes (VerifyConsistencyProofFile names it).
Result<ConsistencyProofFile> ConsistencyProofFromJson(const nlohmann::json& json);
// Errors are prefixed with the path.
Result<ConsistencyProofFile> ReadConsistencyProofFile(const std::string& path);

// VerifyConsistency (ledger/merkle.h) of the file's own sizes, roots and hashes.
Status VerifyConsistencyProofFile(const ConsistencyProofFile& proof);

}  // namespace fundtrail
