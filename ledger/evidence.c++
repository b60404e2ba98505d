#include "ledger/evidence.h"

#include <cstring>

#include "ledger/crypto.h"
#include "ledger/json_codec.h"
#include "ledger/merkle.h"
#include "ledger/validator.h"

namespace fundtrail {

namespace {

std::string Str(capnp::Data::Reader data) {
  return std::string(reinterpret_cast<const char*>(data.begin()), data.size());
}

Status Bad(const std::string& where, const std::string& what) {
  return Status::InvalidArgument(where + ": " + what);
}

Result<std::string> HexBytes(const nlohmann::json& json, const char* name, const std::string& where,
                             size_t size = 0) {
  if (!json.contains(name) || !json[name].is_string()) {
    return Error(Bad(where, "field \"" + std::string(name) + "\" is missing or not a string"));
  }
  auto raw = HexDecode(json[name].get<std::string>());
  if (!raw || (size != 0 && raw->size() != size)) {
    return Error(Bad(where, "field \"" + std::string(name) + "\" must be " +
                                (size != 0 ? std::to_string(size * 2) + " hex digits" : "hex")));
  }
  return *raw;
}

Digest ToDigest(std::string_view raw) {
  Digest digest;
  std::memcpy(digest.data(), raw.data(), digest.size());
  return digest;
}

}  // namespace

Result<CheckedProvenEntry> CheckProvenEntry(const ProvenEntry& proven, uint64_t tree_size, const Digest& root) {
  const std::string where = "event " + std::to_string(proven.sequence);
  if (proven.sequence == 0 || proven.sequence > tree_size) {
    return Error(Status::Corruption(where + " is not in the head's tree of " + std::to_string(tree_size) +
                                    " entries"));
  }
  CheckedProvenEntry checked;
  checked.sequence = proven.sequence;
  auto submission = DecodedSubmission::Open(proven.submission, where + ", its submission");
  if (!submission) return Error(submission.error());
  auto body = submission->root().getBody();
  uint64_t first = submission->root().getFirstSequence();
  if (first == 0 || first > proven.sequence || proven.sequence - first >= body.getEventCount() ||
      body.getEventDigests().size() != body.getEventCount()) {
    return Error(Status::Corruption(where + ": the submission given (first sequence " + std::to_string(first) +
                                    ", " + std::to_string(body.getEventCount()) + " events) does not hold it"));
  }
  auto entry = DecodeEntry(proven.record);
  if (!entry) return Error(entry.error().WithPrefix(where));
  if (entry->submission_sequence != first) {
    return Error(Status::Corruption(where + ": the entry names submission " +
                                    std::to_string(entry->submission_sequence) + ", the submission given starts at " +
                                    std::to_string(first)));
  }
  if (proven.sequence == 1 && proven.previous_chain_hash != Digest{}) {
    return Error(Status::Corruption(where + ": the chain hash before the first event must be zero"));
  }
  Digest event_digest = EventDigest(entry->canonical_event);
  auto signed_digest = body.getEventDigests()[static_cast<uint32_t>(proven.sequence - first)];
  if (signed_digest.size() != 32 || std::memcmp(signed_digest.begin(), event_digest.data(), 32) != 0) {
    return Error(Status::Corruption(where + ": the event differs from the digest its submission signed"));
  }
  Digest chain = ChainHash(proven.previous_chain_hash, proven.sequence, SubmissionDigest(proven.submission),
                           event_digest);
  if (chain != entry->chain_hash) {
    return Error(Status::Corruption(where + ": its chain hash " + HexEncode(entry->chain_hash) +
                                    " differs from the recomputed " + HexEncode(chain)));
  }
  Status included = VerifyInclusion(LogLeafHash(chain), proven.sequence - 1, tree_size, proven.inclusion, root);
  if (!included.ok()) {
    return Error(Status::Corruption(where + ": inclusion proof in the tree of " + std::to_string(tree_size) +
                                    " entries: " + included.message()));
  }
  auto event = DecodedEvent::Open(entry->canonical_event, where);
  if (!event) return Error(event.error());
  checked.chain_hash = chain;
  checked.key_id_hex = HexEncode(AsBytes(Str(body.getKeyId())));
  checked.submission_first = first;
  checked.event = std::move(*event);
  checked.submission = std::move(*submission);
  return checked;
}

nlohmann::ordered_json ProvenEntryToJson(const ProvenEntry& entry) {
  nlohmann::ordered_json inclusion = nlohmann::ordered_json::array();
  for (const Digest& hash : entry.inclusion) inclusion.push_back(HexEncode(hash));
  return {{"sequence", entry.sequence},
          {"previous_chain_hash", HexEncode(entry.previous_chain_hash)},
          {"submission", HexEncode(AsBytes(entry.submission))},
          {"record", HexEncode(AsBytes(entry.record))},
          {"inclusion", inclusion}};
}

Result<ProvenEntry> ProvenEntryFromJson(const nlohmann::json& json, const std::string& where) {
  if (!json.is_object()) return Error(Bad(where, "must be a JSON object"));
  ProvenEntry entry;
  if (!json.contains("sequence") || !json["sequence"].is_number_unsigned()) {
    return Error(Bad(where, "field \"sequence\" must be a whole number"));
  }
  entry.sequence = json["sequence"].get<uint64_t>();
  auto previous = HexBytes(json, "previous_chain_hash", where, 32);
  if (!previous) return Error(previous.error());
  entry.previous_chain_hash = ToDigest(*previous);
  auto submission = HexBytes(json, "submission", where);
  if (!submission) return Error(submission.error());
  entry.submission = std::move(*submission);
  auto record = HexBytes(json, "record", where);
  if (!record) return Error(record.error());
  entry.record = std::move(*record);
  if (!json.contains("inclusion") || !json["inclusion"].is_array()) {
    return Error(Bad(where, "field \"inclusion\" must be an array of hashes"));
  }
  // An inclusion proof has one hash per level of the tree at most.
  if (json["inclusion"].size() > kMerkleLevelCount) {
    return Error(Bad(where, "field \"inclusion\" has " + std::to_string(json["inclusion"].size()) +
                                " hashes, an inclusion proof has at most " + std::to_string(kMerkleLevelCount)));
  }
  for (size_t i = 0; i < json["inclusion"].size(); ++i) {
    const auto& item = json["inclusion"][i];
    std::optional<std::string> raw;
    if (item.is_string()) {
      if (auto decoded = HexDecode(item.get<std::string>())) raw = std::move(*decoded);
    }
    if (!raw || raw->size() != 32) {
      return Error(Bad(where, "inclusion[" + std::to_string(i) + "] must be 64 hex digits"));
    }
    entry.inclusion.push_back(ToDigest(*raw));
  }
  return entry;
}

nlohmann::ordered_json InclusionEvidenceToJson(const InclusionEvidence& evidence) {
  nlohmann::ordered_json signers = nlohmann::ordered_json::array();
  for (const ProvenEntry& entry : evidence.signers) signers.push_back(ProvenEntryToJson(entry));
  return {{"format", kInclusionEvidenceFormat},
          {"head", CosignedHeadToJson({evidence.head, evidence.cosignatures})},
          {"subject", ProvenEntryToJson(evidence.subject)},
          {"signers", signers}};
}

Result<InclusionEvidence> InclusionEvidenceFromJson(const nlohmann::json& json) {
  if (!json.is_object() || !json.contains("format") || json["format"] != kInclusionEvidenceFormat) {
    return Error(Status::InvalidArgument(std::string("not an inclusion proof: field \"format\" must be \"") +
                                         kInclusionEvidenceFormat + "\""));
  }
  InclusionEvidence evidence;
  if (!json.contains("head")) return Error(Status::InvalidArgument("inclusion proof: field \"head\" is missing"));
  auto head = CosignedHeadFromJson(json["head"]);
  if (!head) return Error(head.error().WithPrefix("inclusion proof"));
  evidence.head = std::move(head->head);
  evidence.cosignatures = std::move(head->cosignatures);
  if (!json.contains("subject")) {
    return Error(Status::InvalidArgument("inclusion proof: field \"subject\" is missing"));
  }
  auto subject = ProvenEntryFromJson(json["subject"], "inclusion proof: subject");
  if (!subject) return Error(subject.error());
  evidence.subject = std::move(*subject);
  if (!json.contains("signers") || !json["signers"].is_array()) {
    return Error(Status::InvalidArgument("inclusion proof: field \"signers\" must be an array"));
  }
  if (json["signers"].size() > kInclusionSignerCountMax) {
    return Error(Status::InvalidArgument("inclusion proof: field \"signers\" has " +
                                         std::to_string(json["signers"].size()) + " entries, at most " +
                                         std::to_string(kInclusionSignerCountMax) + " are allowed"));
  }
  for (size_t i = 0; i < json["signers"].size(); ++i) {
    auto entry = ProvenEntryFromJson(json["signers"][i], "inclusion proof: signers[" + std::to_string(i) + "]");
    if (!entry) return Error(entry.error());
    evidence.signers.push_back(std::move(*entry));
  }
  return evidence;
}

Result<InclusionReport> VerifyInclusionEvidence(const InclusionEvidence& evidence) {
  const TreeHead& head = evidence.head;
  auto subject = CheckProvenEntry(evidence.subject, head.tree_size, head.root_hash);
  if (!subject) return Error(subject.error());
  std::vector<CheckedProvenEntry> signers;
  for (const ProvenEntry& entry : evidence.signers) {
    auto checked = CheckProvenEntry(entry, head.tree_size, head.root_hash);
    if (!checked) return Error(checked.error());
    signers.push_back(std::move(*checked));
  }

  // The genesis names the ledger and the operator key; the operator key signs the head.
  const CheckedProvenEntry* genesis = nullptr;
  if (subject->sequence == 1) genesis = &*subject;
  for (const auto& signer : signers) {
    if (signer.sequence == 1) genesis = &signer;
  }
  if (genesis == nullptr || genesis->event->root().which() != schema::Event::LEDGER_GENESIS) {
    return Error(Status::Corruption("the evidence lacks the genesis event (sequence 1), which names the "
                                    "operator key that signs the head"));
  }
  auto genesis_event = genesis->event->root().getLedgerGenesis();
  if (Str(genesis_event.getLedgerId()) != head.ledger_id) {
    return Error(Status::Corruption("the head is for ledger " + HexEncode(AsBytes(head.ledger_id)) +
                                    ", the genesis for ledger " + HexEncode(AsBytes(Str(genesis_event.getLedgerId())))));
  }
  auto operator_key = PublicKey::FromRaw(Str(genesis_event.getOperatorPublicKey()));
  if (!operator_key) return Error(Status::Corruption("the genesis names an invalid operator key"));
  Status head_signed = VerifyTreeHeadSignature(head, *operator_key);
  if (!head_signed.ok()) return Error(head_signed.WithPrefix("head"));

  InclusionReport report;
  report.sequence = subject->sequence;
  report.chain_hash = subject->chain_hash;
  report.event_type = EventTypeName(subject->event->root());
  report.event = EncodeEventJson(subject->event->root());
  report.operator_public_key_hex = HexEncode(AsBytes(operator_key->raw()));

  // Walk the signing chain back to the genesis submission.
  const CheckedProvenEntry* link = &*subject;
  while (true) {
    auto submission = link->submission->root();
    std::string message = SignedMessage(CanonicalBytes(submission.getBody()));
    const std::string what = "the submission at sequence " + std::to_string(link->submission_first) +
                             " (holding event " + std::to_string(link->sequence) + ")";
    // As a replay (FORMAT.md section 5, step 1): every submission of the log is for its ledger.
    if (Str(submission.getBody().getLedgerId()) != head.ledger_id) {
      return Error(Status::Corruption(what + " was signed for ledger " +
                                      HexEncode(AsBytes(Str(submission.getBody().getLedgerId()))) +
                                      ", the head is of ledger " + HexEncode(AsBytes(head.ledger_id))));
    }
    if (link->submission_first == 1) {
      if (link->key_id_hex != HexEncode(AsBytes(operator_key->key_id())) ||
          !operator_key->Verify(AsBytes(message), Str(submission.getSignature()))) {
        return Error(Status::Corruption(what + " is not signed by the operator key of the genesis"));
      }
      SignerFacts operator_facts;
      operator_facts.key_id_hex = link->key_id_hex;
      operator_facts.operator_key = true;
      report.signers.push_back(std::move(operator_facts));
      break;
    }
    const CheckedProvenEntry* registration = nullptr;
    for (const auto& signer : signers) {
      auto event = signer.event->root();
      if (event.which() != schema::Event::KEY_REGISTERED || signer.sequence >= link->submission_first) continue;
      std::string key_id = DeriveKeyId(Str(event.getKeyRegistered().getPublicKey()));
      if (HexEncode(AsBytes(key_id)) == link->key_id_hex) registration = &signer;
    }
    if (registration == nullptr) {
      return Error(Status::Corruption(what + " is signed by key " + link->key_id_hex +
                                      ", whose registration before it the evidence does not include"));
    }
    auto registered = registration->event->root().getKeyRegistered();
    auto public_key = PublicKey::FromRaw(Str(registered.getPublicKey()));
    if (!public_key || !public_key->Verify(AsBytes(message), Str(submission.getSignature()))) {
      return Error(Status::Corruption(what + ": the signature by key " + link->key_id_hex + " does not verify"));
    }
    SignerFacts facts{.key_id_hex = link->key_id_hex,
                      .org_id = registered.getOrgId().cStr(),
                      .label = registered.hasLabel() ? registered.getLabel().cStr() : "",
                      .registered_sequence = registration->sequence};
    for (auto role : registered.getRoles()) facts.roles |= RoleBit(role);
    uint32_t allowed = AllowedRoles(link->event->root().which());
    if ((allowed & facts.roles) == 0) {
      return Error(Status::Corruption("event " + std::to_string(link->sequence) + " (" +
                                      EventTypeName(link->event->root()) + ") is signed by key " + link->key_id_hex +
                                      " whose roles (" + RoleNames(facts.roles) + ") do not allow it"));
    }
    report.signers.push_back(std::move(facts));
    link = registration;
  }
  return report;
}

}  // namespace fundtrail
