#include "ledger/tree_head.h"

#include "ledger/dates.h"
#include "ledger/json_file.h"
#include "ledger/log_format.h"
#include "ledger/merkle.h"

namespace fundtrail {

namespace {

capnp::Data::Reader AsData(std::string_view bytes) {
  return capnp::Data::Reader(reinterpret_cast<const capnp::byte*>(bytes.data()), bytes.size());
}

Result<std::string> HexField(const nlohmann::json& json, const char* name, size_t size) {
  if (!json.contains(name) || !json[name].is_string()) {
    return Error(Status::InvalidArgument("head: field \"" + std::string(name) + "\" is missing"));
  }
  auto raw = HexDecode(json[name].get<std::string>());
  if (!raw || raw->size() != size) {
    return Error(Status::InvalidArgument("head: field \"" + std::string(name) + "\" must be " +
                                         std::to_string(size * 2) + " hex digits"));
  }
  return *raw;
}

}  // namespace

std::string CanonicalTreeHead(const TreeHead& head) {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<schema::TreeHead>();
  root.setLedgerId(AsData(head.ledger_id));
  root.setTreeSize(head.tree_size);
  root.setRootHash(capnp::Data::Reader(head.root_hash.data(), head.root_hash.size()));
  root.setChainHash(capnp::Data::Reader(head.chain_hash.data(), head.chain_hash.size()));
  root.setTimestamp(head.timestamp_micros);
  return CanonicalBytes(root.asReader());
}

std::string TreeHeadMessage(const TreeHead& head) { return "FTHEAD01" + CanonicalTreeHead(head); }

void SignTreeHead(const PrivateKey& key, TreeHead* head) {
  head->key_id = key.public_key().key_id();
  head->signature = key.Sign(AsBytes(TreeHeadMessage(*head)));
}

Status VerifyTreeHeadSignature(const TreeHead& head, const PublicKey& operator_key) {
  if (head.signature.empty()) return Status::Corruption("the head is not signed");
  if (head.key_id != operator_key.key_id()) {
    return Status::Corruption("the head is signed by key " + HexEncode(AsBytes(head.key_id)) +
                              ", not by the ledger's operator key " + HexEncode(AsBytes(operator_key.key_id())));
  }
  if (!operator_key.Verify(AsBytes(TreeHeadMessage(head)), head.signature)) {
    return Status::Corruption("the head's signature does not verify with the operator key");
  }
  return Status::Ok();
}

nlohmann::ordered_json TreeHeadToJson(const TreeHead& head) {
  nlohmann::ordered_json json = {{"ledger_id", HexEncode(AsBytes(head.ledger_id))},
                                 {"tree_size", head.tree_size},
                                 {"root_hash", HexEncode(head.root_hash)},
                                 {"chain_hash", HexEncode(head.chain_hash)},
                                 {"timestamp", head.timestamp_micros},
                                 {"time", FormatTimestamp(head.timestamp_micros)}};
  if (!head.signature.empty()) {
    json["key_id"] = HexEncode(AsBytes(head.key_id));
    json["signature"] = HexEncode(AsBytes(head.signature));
  }
  return json;
}

Result<TreeHead> TreeHeadFromJson(const nlohmann::json& json) {
  if (!json.is_object()) return Error(Status::InvalidArgument("a head is a JSON object"));
  TreeHead head;
  auto ledger_id = HexField(json, "ledger_id", 16);
  if (!ledger_id) return Error(ledger_id.error());
  head.ledger_id = *ledger_id;
  if (!json.contains("tree_size") || !json["tree_size"].is_number_unsigned()) {
    return Error(Status::InvalidArgument("head: field \"tree_size\" must be a whole number"));
  }
  head.tree_size = json["tree_size"].get<uint64_t>();
  if (head.tree_size > kMerkleTreeSizeMax) {
    return Error(Status::InvalidArgument("head: field \"tree_size\" is " + std::to_string(head.tree_size) +
                                         ", more than a tree may have (2^63 - 1)"));
  }
  for (auto [name, digest] : {std::pair{"root_hash", &head.root_hash}, std::pair{"chain_hash", &head.chain_hash}}) {
    auto raw = HexField(json, name, 32);
    if (!raw) return Error(raw.error());
    std::memcpy(digest->data(), raw->data(), 32);
  }
  if (!json.contains("timestamp") || !json["timestamp"].is_number_integer()) {
    return Error(Status::InvalidArgument("head: field \"timestamp\" must be a whole number"));
  }
  head.timestamp_micros = json["timestamp"].get<int64_t>();
  if (json.contains("signature")) {
    auto key_id = HexField(json, "key_id", 16);
    if (!key_id) return Error(key_id.error());
    auto signature = HexField(json, "signature", 64);
    if (!signature) return Error(signature.error());
    head.key_id = *key_id;
    head.signature = *signature;
  }
  return head;
}

Result<TreeHead> ReadTreeHeadFile(const std::string& path) {
  auto json = ReadJsonFile(path, "head file");
  if (!json) return Error(json.error());
  auto head = TreeHeadFromJson(*json);
  if (!head) return Error(head.error().WithPrefix(path));
  return head;
}

}  // namespace fundtrail
