#include "ledger/witness.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ledger/anchors.h"
#include "ledger/json_file.h"
#include "ledger/merkle.h"

namespace fundtrail {

namespace {

std::string Hex(std::string_view raw) { return HexEncode(AsBytes(raw)); }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Co-signatures.

std::string CosignatureMessage(const TreeHead& head, int64_t cosigned_at_micros) {
  std::string timestamp(8, '\0');
  PutBigEndian64(static_cast<uint64_t>(cosigned_at_micros), reinterpret_cast<uint8_t*>(timestamp.data()));
  std::string message = kCosignatureTag + CanonicalTreeHead(head) + timestamp;
  FT_ASSERT(message.size() > 16);
  return message;
}

Cosignature SignCosignature(const PrivateKey& witness_key, const TreeHead& head, int64_t cosigned_at_micros,
                            std::string witness_name) {
  Cosignature cosignature;
  cosignature.witness_name = std::move(witness_name);
  cosignature.key_id = witness_key.public_key().key_id();
  cosignature.timestamp_micros = cosigned_at_micros;
  cosignature.signature = witness_key.Sign(AsBytes(CosignatureMessage(head, cosigned_at_micros)));
  FT_ASSERT(cosignature.signature.size() == kSignatureSizeBytes);
  return cosignature;
}

Status VerifyCosignature(const TreeHead& head, const Cosignature& cosignature, const PublicKey& witness_key) {
  if (cosignature.key_id != witness_key.key_id()) {
    return Status::Corruption("the co-signature names key " + Hex(cosignature.key_id) + ", not the witness key " +
                              Hex(witness_key.key_id()));
  }
  if (!witness_key.Verify(AsBytes(CosignatureMessage(head, cosignature.timestamp_micros)), cosignature.signature)) {
    return Status::Corruption("the co-signature does not verify with the witness key " + Hex(witness_key.key_id()));
  }
  return Status::Ok();
}

nlohmann::ordered_json CosignedHeadToJson(const CosignedHead& head) {
  nlohmann::ordered_json json = TreeHeadToJson(head.head);
  if (head.cosignatures.empty()) return json;
  nlohmann::ordered_json cosignatures = nlohmann::ordered_json::array();
  for (const auto& cosignature : head.cosignatures) {
    nlohmann::ordered_json entry;
    if (!cosignature.witness_name.empty()) entry["witness"] = cosignature.witness_name;
    entry["key_id"] = Hex(cosignature.key_id);
    entry["timestamp"] = cosignature.timestamp_micros;
    entry["time"] = FormatTimestamp(cosignature.timestamp_micros);
    entry["signature"] = Hex(cosignature.signature);
    cosignatures.push_back(std::move(entry));
  }
  json["cosignatures"] = std::move(cosignatures);
  return json;
}

namespace {

Result<Cosignature> CosignatureFromJson(const nlohmann::json& json, size_t index) {
  auto fields = JsonFieldReader::Open(json, "head: cosignatures[" + std::to_string(index) + "]");
  if (!fields) return Error(fields.error());
  Cosignature cosignature;
  if (fields->Has("witness")) {
    auto name = fields->String("witness");
    if (!name) return Error(name.error());
    cosignature.witness_name = *name;
  }
  auto key_id = fields->Hex("key_id", kKeyIdSizeBytes);
  if (!key_id) return Error(key_id.error());
  auto timestamp = fields->Integer("timestamp");
  if (!timestamp) return Error(timestamp.error());
  auto signature = fields->Hex("signature", kSignatureSizeBytes);
  if (!signature) return Error(signature.error());
  fields->Skip("time");
  FT_RETURN_IF_ERROR(fields->CheckNoOtherFields());
  cosignature.key_id = *key_id;
  cosignature.timestamp_micros = *timestamp;
  cosignature.signature = *signature;
  return cosignature;
}

}  // namespace

Result<CosignedHead> CosignedHeadFromJson(const nlohmann::json& json) {
  CosignedHead cosigned;
  auto head = TreeHeadFromJson(json);
  if (!head) return Error(head.error());
  cosigned.head = *head;
  auto found = json.find("cosignatures");
  if (found == json.end()) return cosigned;
  if (!found->is_array()) {
    return Error(Status::InvalidArgument("head: field \"cosignatures\" must be a JSON array"));
  }
  if (found->size() > kCosignatureCountMax) {
    return Error(Status::InvalidArgument("head: field \"cosignatures\" has " + std::to_string(found->size()) +
                                         " entries, at most " + std::to_string(kCosignatureCountMax) + " are allowed"));
  }
  for (size_t i = 0; i < found->size(); ++i) {
    auto cosignature = CosignatureFromJson((*found)[i], i);
    if (!cosignature) return Error(cosignature.error());
    cosigned.cosignatures.push_back(std::move(*cosignature));
  }
  return cosigned;
}

Result<CosignedHead> ReadCosignedHeadFile(const std::string& path) {
  auto json = ReadJsonFile(path, "head file");
  if (!json) return Error(json.error());
  auto head = CosignedHeadFromJson(*json);
  if (!head) return Error(head.error().WithPrefix(path));
  return head;
}

// ---------------------------------------------------------------------------------------------
// Policies and quorums.

Result<WitnessPolicy> WitnessPolicyFromJson(const nlohmann::json& json) {
  auto fields = JsonFieldReader::Open(json, "witness policy");
  if (!fields) return Error(fields.error());
  auto quorum = fields->Unsigned("quorum");
  if (!quorum) return Error(quorum.error());
  auto witnesses = fields->Array("witnesses");
  if (!witnesses) return Error(witnesses.error());
  FT_RETURN_IF_ERROR(fields->CheckNoOtherFields());
  size_t count = (*witnesses)->size();
  if (count == 0)
    return Error(fields->FieldError("witnesses", "is empty: list the witnesses whose co-signatures count"));
  if (count > kPolicyWitnessCountMax) {
    return Error(fields->FieldError("witnesses", "has " + std::to_string(count) + " entries, at most " +
                                                     std::to_string(kPolicyWitnessCountMax) + " are allowed"));
  }
  if (*quorum == 0 || *quorum > count) {
    return Error(fields->FieldError("quorum", "is " + std::to_string(*quorum) + ", it must be from 1 to the " +
                                                  std::to_string(count) + " witnesses listed"));
  }
  WitnessPolicy policy;
  policy.quorum = *quorum;
  for (size_t i = 0; i < count; ++i) {
    auto entry = JsonFieldReader::Open((**witnesses)[i], "witness policy: witnesses[" + std::to_string(i) + "]");
    if (!entry) return Error(entry.error());
    auto name = entry->String("name");
    if (!name) return Error(name.error());
    auto raw = entry->Hex("public_key", kPublicKeySizeBytes);
    if (!raw) {
      return Error(Status::InvalidArgument(raw.error().message() +
                                           " (the raw Ed25519 public key; `fundtrail witness show-key KEY.pub` "
                                           "prints it)"));
    }
    FT_RETURN_IF_ERROR(entry->CheckNoOtherFields());
    auto public_key = PublicKey::FromRaw(*raw);
    if (!public_key) return Error(entry->FieldError("public_key", "is not an Ed25519 public key"));
    for (size_t k = 0; k < policy.witnesses.size(); ++k) {
      const WitnessPolicyEntry& earlier = policy.witnesses[k];
      if (earlier.name == *name || earlier.public_key.raw() == public_key->raw()) {
        return Error(entry->FieldError(
            earlier.name == *name ? "name" : "public_key",
            "repeats witnesses[" + std::to_string(k) + "] (\"" + earlier.name + "\"): each witness is listed once"));
      }
    }
    policy.witnesses.push_back({*name, *public_key});
  }
  FT_ASSERT(policy.quorum >= 1);
  FT_ASSERT(policy.quorum <= policy.witnesses.size());
  return policy;
}

Result<WitnessPolicy> ReadWitnessPolicyFile(const std::string& path) {
  auto json = ReadJsonFile(path, "witness policy file");
  if (!json) return Error(json.error());
  auto policy = WitnessPolicyFromJson(*json);
  if (!policy) return Error(policy.error().WithPrefix(path));
  return policy;
}

namespace {

std::string JoinNames(const std::vector<std::string>& names) {
  std::string joined;
  for (const auto& name : names) joined += (joined.empty() ? "" : ", ") + name;
  return joined;
}

std::string Plural(size_t count, const std::string& singular, const std::string& plural) {
  return std::to_string(count) + " " + (count == 1 ? singular : plural);
}

}  // namespace

std::string QuorumReport::Describe() const {
  std::string text = Plural(signed_by.size(), "valid co-signature", "valid co-signatures") + " of the " +
                     std::to_string(quorum) + " needed (" + std::to_string(quorum) + " of " +
                     std::to_string(witness_count) + " witnesses)";
  if (!signed_by.empty()) text += ": signed by " + JoinNames(signed_by);
  if (!missing.empty()) text += std::string(signed_by.empty() ? ": " : "; ") + "missing " + JoinNames(missing);
  if (!invalid.empty()) text += "; invalid: " + JoinNames(invalid);
  if (duplicate_count > 0) {
    text += "; " + Plural(duplicate_count, "repeated co-signature", "repeated co-signatures") +
            " by a witness already counted";
  }
  if (!unknown_key_ids.empty()) {
    text += "; ignored " + Plural(unknown_key_ids.size(), "co-signature by a key", "co-signatures by keys") +
            " not in the policy (key id " + JoinNames(unknown_key_ids) + ")";
  }
  return text;
}

QuorumReport EvaluateWitnessQuorum(const CosignedHead& head, const WitnessPolicy& policy) {
  QuorumReport report;
  report.quorum = policy.quorum;
  report.witness_count = policy.witnesses.size();
  std::vector<bool> counted(policy.witnesses.size(), false);
  for (size_t i = 0; i < head.cosignatures.size(); ++i) {
    const Cosignature& cosignature = head.cosignatures[i];
    size_t index = 0;
    while (index < policy.witnesses.size() && policy.witnesses[index].public_key.key_id() != cosignature.key_id) {
      ++index;
    }
    if (index == policy.witnesses.size()) {
      report.unknown_key_ids.push_back(Hex(cosignature.key_id));
      continue;
    }
    const WitnessPolicyEntry& witness = policy.witnesses[index];
    Status verified = VerifyCosignature(head.head, cosignature, witness.public_key);
    if (!verified.ok()) {
      report.invalid.push_back("cosignatures[" + std::to_string(i) + "] (" + witness.name + "): " + verified.message());
    } else if (counted[index]) {
      ++report.duplicate_count;
    } else {
      counted[index] = true;
    }
  }
  for (size_t index = 0; index < policy.witnesses.size(); ++index) {
    (counted[index] ? report.signed_by : report.missing).push_back(policy.witnesses[index].name);
  }
  FT_ASSERT(report.signed_by.size() + report.missing.size() == policy.witnesses.size());
  return report;
}

Status CheckWitnessQuorum(const CosignedHead& head, const WitnessPolicy& policy, QuorumReport* report) {
  QuorumReport evaluated = EvaluateWitnessQuorum(head, policy);
  Status status = evaluated.met() ? Status::Ok()
                                  : Status::Corruption("witness quorum not met: " + evaluated.Describe() +
                                                       "; a witness co-signs with `fundtrail witness cosign`");
  if (report != nullptr) *report = std::move(evaluated);
  return status;
}

// ---------------------------------------------------------------------------------------------
// Witness state.

nlohmann::ordered_json WitnessStateToJson(const WitnessState& state) {
  return {{"format", kWitnessStateFormat},
          {"ledger_id", Hex(state.head.ledger_id)},
          {"operator_public_key", Hex(state.operator_public_key)},
          {"witness_key_id", Hex(state.witness_key_id)},
          {"head", TreeHeadToJson(state.head)},
          {"cosigned_at", state.cosigned_at_micros},
          {"cosigned_time", FormatTimestamp(state.cosigned_at_micros)}};
}

Result<WitnessState> WitnessStateFromJson(const nlohmann::json& json) {
  auto fields = JsonFieldReader::Open(json, "witness state");
  if (!fields) return Error(fields.error());
  auto format = fields->String("format");
  if (!format) return Error(format.error());
  if (*format != kWitnessStateFormat) {
    return Error(fields->FieldError("format", "is \"" + *format + "\", want \"" + kWitnessStateFormat + "\""));
  }
  auto ledger_id = fields->Hex("ledger_id", 16);
  if (!ledger_id) return Error(ledger_id.error());
  auto operator_key = fields->Hex("operator_public_key", kPublicKeySizeBytes);
  if (!operator_key) return Error(operator_key.error());
  auto witness_key_id = fields->Hex("witness_key_id", kKeyIdSizeBytes);
  if (!witness_key_id) return Error(witness_key_id.error());
  if (!fields->Has("head")) return Error(fields->FieldError("head", "is missing"));
  fields->Skip("head");
  auto head = TreeHeadFromJson(json["head"]);
  if (!head) return Error(head.error().WithPrefix("witness state: field \"head\""));
  if (head->ledger_id != *ledger_id) return Error(fields->FieldError("head", "is for another ledger"));
  auto cosigned_at = fields->Integer("cosigned_at");
  if (!cosigned_at) return Error(cosigned_at.error());
  fields->Skip("cosigned_time");
  FT_RETURN_IF_ERROR(fields->CheckNoOtherFields());
  WitnessState state;
  state.operator_public_key = *operator_key;
  state.witness_key_id = *witness_key_id;
  state.head = *head;
  state.cosigned_at_micros = *cosigned_at;
  return state;
}

// ---------------------------------------------------------------------------------------------
// The witness.

Result<std::unique_ptr<Witness>> Witness::Open(const std::string& state_directory, PrivateKey key, Clock* clock) {
  FT_ASSERT(clock != nullptr);
  if (::mkdir(state_directory.c_str(), 0700) != 0 && errno != EEXIST) {
    return Error(
        Status::IoError("cannot create the witness state directory " + state_directory + ": " + std::strerror(errno)));
  }
  std::string lock_path = state_directory + "/LOCK";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Error(Status::IoError("cannot open " + lock_path + ": " + std::strerror(errno) +
                                 " (is --state a directory you can write?)"));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Error(Status::Busy("the witness state directory " + state_directory +
                              " is in use by another fundtrail witness process; try again when it is done"));
  }
  return std::unique_ptr<Witness>(new Witness(state_directory, std::move(key), clock, fd));
}

Witness::~Witness() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

std::string Witness::StatePath(const std::string& ledger_id) const {
  return directory_ + "/" + Hex(ledger_id) + ".json";
}

Result<std::optional<WitnessState>> Witness::LastCosigned(const std::string& ledger_id) const {
  std::string path = StatePath(ledger_id);
  if (::access(path.c_str(), F_OK) != 0 && errno == ENOENT) return std::optional<WitnessState>();
  auto json = ReadJsonFile(path, "witness state file");
  // A state file that exists but cannot be read is not "no state": that would reopen trust on
  // first use for a ledger this witness has seen.
  if (!json && json.error().code() == StatusCode::kNotFound) {
    return Error(Status::IoError(json.error().message() + " (it exists: check its permissions)"));
  }
  if (!json) return Error(Status::Corruption(json.error().message()));
  auto state = WitnessStateFromJson(*json);
  if (!state) return Error(Status::Corruption(state.error().WithPrefix(path).message()));
  if (state->head.ledger_id != ledger_id) {
    return Error(Status::Corruption(path + " holds the state of ledger " + Hex(state->head.ledger_id)));
  }
  return std::optional<WitnessState>(*state);
}

namespace {

std::string DescribeHead(const TreeHead& head) {
  return "size " + std::to_string(head.tree_size) + ", root " + HexEncode(head.root_hash);
}

}  // namespace

Status Witness::ReportSplitView(const WitnessState& last, const TreeHead& head) const {
  std::string path = directory_ + "/" + Hex(head.ledger_id) + ".split-view-" + std::to_string(head.tree_size) + "-" +
                     HexEncode(head.root_hash).substr(0, 16) + ".json";
  nlohmann::ordered_json evidence = {
      {"format", kSplitViewFormat},
      {"ledger_id", Hex(head.ledger_id)},
      {"tree_size", head.tree_size},
      {"operator_public_key", Hex(last.operator_public_key)},
      {"heads", {TreeHeadToJson(last.head), TreeHeadToJson(head)}},
  };
  Status saved = WriteFileAtomically(path, evidence.dump(2) + "\n");
  std::string what = head.root_hash != last.head.root_hash
                         ? "root " + HexEncode(last.head.root_hash) + " (co-signed at " +
                               FormatTimestamp(last.cosigned_at_micros) + ") and root " + HexEncode(head.root_hash)
                         : "the same root but chain hash " + HexEncode(last.head.chain_hash) + " (co-signed at " +
                               FormatTimestamp(last.cosigned_at_micros) + ") and chain hash " +
                               HexEncode(head.chain_hash);
  return Status::Corruption(
      "split view: two different heads of size " + std::to_string(head.tree_size) + " of ledger " +
      Hex(head.ledger_id) + ", both signed by the operator: " + what + " (signed at " +
      FormatTimestamp(head.timestamp_micros) + "); " +
      (saved.ok() ? "evidence saved to " + path : "the evidence could not be saved: " + saved.message()) +
      "; not co-signed");
}

Status Witness::CheckExtends(const WitnessState& last, const TreeHead& head, const ConsistencyProofFile* proof) const {
  const TreeHead& old = last.head;
  std::string last_text = "the last head this witness co-signed (" + DescribeHead(old) + ", co-signed at " +
                          FormatTimestamp(last.cosigned_at_micros) + ")";
  if (head.tree_size < old.tree_size) {
    return Status::InvalidArgument("the head has size " + std::to_string(head.tree_size) + ", smaller than " +
                                   last_text + ": a witness co-signs only heads that extend it");
  }
  if (head.tree_size == old.tree_size) {
    // The last co-signed head is this witness's trusted head: the one comparison of every verifier.
    Status same = CompareWithTrustedHead(old, TreePoint{head.tree_size, head.root_hash, head.chain_hash},
                                         head.tree_size, Status::InvalidArgument("unreachable: the sizes are equal"));
    if (!same.ok()) return ReportSplitView(last, head);
    return Status::Ok();
  }
  std::string needed = "from size " + std::to_string(old.tree_size) +
                       " (the last head this witness co-signed) to size " + std::to_string(head.tree_size) +
                       " (this head)";
  if (proof == nullptr) {
    return Status::InvalidArgument("a consistency proof " + needed +
                                   " is needed: pass --proof FILE (a fundtrail-consistency-proof-1 file) or "
                                   "--ledger DIR (a copy of the ledger)");
  }
  if (proof->ledger_id != head.ledger_id) {
    return Status::InvalidArgument("the consistency proof is for ledger " + Hex(proof->ledger_id) +
                                   ", the head for ledger " + Hex(head.ledger_id));
  }
  if (proof->old_size != old.tree_size || proof->new_size != head.tree_size) {
    return Status::InvalidArgument("the consistency proof goes from size " + std::to_string(proof->old_size) +
                                   " to size " + std::to_string(proof->new_size) + "; the witness needs one " + needed);
  }
  std::string inconsistent = "the head (" + DescribeHead(head) + ") is not consistent with " + last_text + ": ";
  if (proof->old_root != old.root_hash) {
    return Status::Corruption(inconsistent + "the proof's old root is " + HexEncode(proof->old_root) +
                              ": the log it was made from has another history up to size " +
                              std::to_string(old.tree_size) + " (history was rewritten)");
  }
  if (proof->new_root != head.root_hash) {
    return Status::Corruption(inconsistent + "the proof's new root is " + HexEncode(proof->new_root) +
                              ", not this head's: the proof was made from another log");
  }
  // The roots come from the two signed heads, never from the proof file.
  Status consistent = VerifyConsistency(old.tree_size, head.tree_size, old.root_hash, head.root_hash, proof->hashes);
  if (!consistent.ok()) return Status::Corruption(inconsistent + consistent.message());
  return Status::Ok();
}

Result<CosignOutcome> Witness::Cosign(CosignedHead* cosigned, const PublicKey* operator_key,
                                      const ConsistencyProofFile* proof, const std::string& witness_name) {
  FT_ASSERT(cosigned != nullptr);
  const TreeHead& head = cosigned->head;
  FT_ASSERT(head.ledger_id.size() == 16);
  auto last = LastCosigned(head.ledger_id);
  if (!last) return Error(last.error());
  if (*last && (*last)->witness_key_id != key_.public_key().key_id()) {
    return Error(Status::InvalidArgument("the state directory " + directory_ + " belongs to witness key " +
                                         Hex((*last)->witness_key_id) + ", not to key " +
                                         Hex(key_.public_key().key_id()) + ": each witness keeps its own --state"));
  }

  std::optional<PublicKey> pinned;
  if (*last) {
    auto key = PublicKey::FromRaw((*last)->operator_public_key);
    if (!key) return Error(Status::Corruption(StatePath(head.ledger_id) + ": " + key.error().message()));
    pinned = *key;
  }
  if (operator_key != nullptr && pinned && operator_key->raw() != pinned->raw()) {
    return Error(Status::InvalidArgument("the operator key given (key id " + Hex(operator_key->key_id()) +
                                         ") is not the operator key of ledger " + Hex(head.ledger_id) +
                                         " that this witness pinned when it first co-signed (key id " +
                                         Hex(pinned->key_id()) + ")"));
  }
  const PublicKey* trusted = operator_key != nullptr ? operator_key : pinned ? &*pinned : nullptr;
  if (trusted == nullptr) {
    return Error(Status::InvalidArgument("this witness has not co-signed ledger " + Hex(head.ledger_id) +
                                         " before: pass --operator-key (the operator's public key) or --ledger "
                                         "DIR so that the head's signature can be checked"));
  }
  if (trusted->raw() == key_.public_key().raw()) {
    return Error(
        Status::InvalidArgument("the witness key is the ledger's operator key: a witness must sign with "
                                "a key of its own (make one with `fundtrail keygen`)"));
  }
  if (head.signature.empty()) {
    return Error(
        Status::InvalidArgument("the head is not signed: the operator signs heads with `fundtrail head "
                                "--sign-key OPERATOR.pem --out FILE`"));
  }
  Status signature = VerifyTreeHeadSignature(head, *trusted);
  if (!signature.ok()) return Error(signature.WithPrefix("head"));

  CosignOutcome outcome;
  outcome.previous = *last;
  if (*last) {
    FT_RETURN_IF_ERROR(CheckExtends(**last, head, proof));
    outcome.basis = head.tree_size == (*last)->head.tree_size ? CosignBasis::kSameTree : CosignBasis::kConsistencyProof;
  }

  // Keep a valid co-signature by this key if the head already has one; drop any that do not
  // verify, so that the file never holds a broken co-signature under this witness's key id.
  std::vector<Cosignature> kept;
  for (const auto& existing : cosigned->cosignatures) {
    if (existing.key_id != key_.public_key().key_id()) {
      kept.push_back(existing);
    } else if (!outcome.already_cosigned && VerifyCosignature(head, existing, key_.public_key()).ok()) {
      outcome.already_cosigned = true;
      outcome.cosignature = existing;
      kept.push_back(existing);
    }
  }
  if (!outcome.already_cosigned && kept.size() >= kCosignatureCountMax) {
    return Error(Status::InvalidArgument("the head already holds " + std::to_string(kept.size()) +
                                         " co-signatures, the most a head file may hold"));
  }
  int64_t now = clock_->NowMicros();
  if (!outcome.already_cosigned) {
    outcome.cosignature = SignCosignature(key_, head, now, witness_name);
    kept.push_back(outcome.cosignature);
  }

  WitnessState state;
  state.operator_public_key = trusted->raw();
  state.witness_key_id = key_.public_key().key_id();
  state.head = head;
  state.cosigned_at_micros = outcome.already_cosigned ? outcome.cosignature.timestamp_micros : now;
  // The state goes to disk before the caller publishes the co-signature (see the header).
  FT_RETURN_IF_ERROR(WriteFileAtomically(StatePath(head.ledger_id), WitnessStateToJson(state).dump(2) + "\n"));
  cosigned->cosignatures = std::move(kept);
  FT_ASSERT(cosigned->cosignatures.size() <= kCosignatureCountMax);
  return outcome;
}

}  // namespace fundtrail
