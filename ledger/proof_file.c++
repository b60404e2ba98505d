#include "ledger/proof_file.h"

#include <cstring>

#include "ledger/json_file.h"
#include "ledger/merkle.h"

namespace fundtrail {

nlohmann::ordered_json ConsistencyProofToJson(const ConsistencyProofFile& proof) {
  nlohmann::ordered_json hashes = nlohmann::ordered_json::array();
  for (const auto& hash : proof.hashes) hashes.push_back(HexEncode(hash));
  return {{"format", kConsistencyProofFormat},
          {"ledger_id", HexEncode(AsBytes(proof.ledger_id))},
          {"old_size", proof.old_size},
          {"new_size", proof.new_size},
          {"old_root", HexEncode(proof.old_root)},
          {"new_root", HexEncode(proof.new_root)},
          {"hashes", hashes}};
}

Result<ConsistencyProofFile> ConsistencyProofFromJson(const nlohmann::json& json) {
  auto fields = JsonFieldReader::Open(json, "consistency proof");
  if (!fields) return Error(fields.error());
  auto format = fields->String("format");
  if (!format) return Error(format.error());
  if (*format != kConsistencyProofFormat) {
    return Error(fields->FieldError("format", "is \"" + *format + "\", want \"" + kConsistencyProofFormat + "\""));
  }
  ConsistencyProofFile proof;
  auto ledger_id = fields->Hex("ledger_id", 16);
  if (!ledger_id) return Error(ledger_id.error());
  proof.ledger_id = *ledger_id;
  auto old_size = fields->Unsigned("old_size");
  if (!old_size) return Error(old_size.error());
  auto new_size = fields->Unsigned("new_size");
  if (!new_size) return Error(new_size.error());
  if (*old_size > *new_size) {
    return Error(fields->FieldError(
        "old_size", std::to_string(*old_size) + " is greater than new_size " + std::to_string(*new_size)));
  }
  if (*new_size > kMerkleTreeSizeMax) return Error(fields->FieldError("new_size", "is too large"));
  proof.old_size = *old_size;
  proof.new_size = *new_size;
  auto old_root = fields->HexDigest("old_root");
  if (!old_root) return Error(old_root.error());
  auto new_root = fields->HexDigest("new_root");
  if (!new_root) return Error(new_root.error());
  proof.old_root = *old_root;
  proof.new_root = *new_root;
  auto hashes = fields->Array("hashes");
  if (!hashes) return Error(hashes.error());
  // A proof has at most 2 * 63 hashes (ledger/merkle.h); anything longer is not a proof, and the
  // bound keeps a hostile file from making us allocate much.
  constexpr size_t kHashCountMax = 2 * kMerkleLevelCount;
  if ((*hashes)->size() > kHashCountMax) {
    return Error(fields->FieldError("hashes", "has " + std::to_string((*hashes)->size()) +
                                                  " entries, a proof has at most " + std::to_string(kHashCountMax)));
  }
  for (size_t i = 0; i < (*hashes)->size(); ++i) {
    const auto& hash = (**hashes)[i];
    auto raw = hash.is_string() ? HexDecode(hash.get<std::string>()) : Result<std::string>(std::string());
    if (!raw || raw->size() != 32) {
      return Error(fields->FieldError("hashes", "[" + std::to_string(i) + "] must be 64 hex digits"));
    }
    Digest digest;
    std::memcpy(digest.data(), raw->data(), digest.size());
    proof.hashes.push_back(digest);
  }
  FT_RETURN_IF_ERROR(fields->CheckNoOtherFields());
  return proof;
}

Result<ConsistencyProofFile> ReadConsistencyProofFile(const std::string& path) {
  auto json = ReadJsonFile(path, "consistency proof file");
  if (!json) return Error(json.error());
  auto proof = ConsistencyProofFromJson(*json);
  if (!proof) return Error(proof.error().WithPrefix(path));
  return proof;
}

Status VerifyConsistencyProofFile(const ConsistencyProofFile& proof) {
  return VerifyConsistency(proof.old_size, proof.new_size, proof.old_root, proof.new_root, proof.hashes);
}

}  // namespace fundtrail
