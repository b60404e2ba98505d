// `fundtrail witness cosign` and `fundtrail witness show-key`: flags, files and printing. The
// checks are ledger/witness.h's.
#include <cctype>
#include <fstream>
#include <iostream>
#include <sstream>

#include "ledger/json_file.h"
#include "ledger/store.h"
#include "ledger/witness.h"
#include "tools/commands.h"

namespace fundtrail {

namespace {

std::string Hex(std::string_view raw) { return HexEncode(AsBytes(raw)); }

}  // namespace

int RunWitnessShowKey(const std::string& key_path, const std::string& name) {
  auto key = ReadPublicKeyArgument(key_path, "KEY");
  if (!key) return ReportError(key.error());
  nlohmann::ordered_json entry = {{"name", name.empty() ? "NAME" : name}, {"public_key", Hex(key->raw())}};
  std::cout << "key id:       " << Hex(key->key_id()) << "\n"
            << "public key:   " << Hex(key->raw()) << "\n"
            << "policy entry: " << entry.dump() << std::endl;
  return kExitOk;
}

namespace {

// The consistency proof from the last co-signed size to the head's, made from a ledger copy.
Result<ConsistencyProofFile> ProofFromLedger(const Ledger& ledger, const std::string& directory, uint64_t old_size,
                                             uint64_t new_size) {
  if (ledger.head().sequence < new_size) {
    return Error(Status::InvalidArgument("the ledger in " + directory + " has " +
                                         std::to_string(ledger.head().sequence) + " entries, the head " +
                                         std::to_string(new_size) + ": bring the copy up to date"));
  }
  ConsistencyProofFile proof;
  proof.ledger_id = ledger.ledger_id();
  proof.old_size = old_size;
  proof.new_size = new_size;
  auto old_root = ledger.TreeRoot(old_size);
  if (!old_root) return Error(old_root.error());
  auto new_root = ledger.TreeRoot(new_size);
  if (!new_root) return Error(new_root.error());
  auto hashes = ledger.ConsistencyProof(old_size, new_size);
  if (!hashes) return Error(hashes.error());
  proof.old_root = *old_root;
  proof.new_root = *new_root;
  proof.hashes = std::move(*hashes);
  return proof;
}

}  // namespace

int RunWitnessCosign(const WitnessCosignOptions& options, Clock* clock) {
  auto cosigned = ReadCosignedHeadFile(options.head);
  if (!cosigned) return ReportError(cosigned.error());
  const TreeHead& head = cosigned->head;
  auto key = PrivateKey::FromPemFile(options.key);
  if (!key) return ReportError(key.error());

  std::optional<PublicKey> operator_key;
  if (!options.operator_key.empty()) {
    auto read = ReadPublicKeyArgument(options.operator_key, "--operator-key");
    if (!read) return ReportError(read.error());
    operator_key = *read;
  }
  std::unique_ptr<Ledger> ledger;
  if (!options.ledger.empty()) {
    auto opened = Ledger::Open(options.ledger, Ledger::Access::kReadOnly, clock);
    if (!opened) return ReportError(opened.error());
    ledger = std::move(*opened);
    if (ledger->ledger_id() != head.ledger_id) {
      return ReportError(Status::InvalidArgument("the head is for ledger " + Hex(head.ledger_id) + ", " +
                                                 options.ledger + " holds ledger " + Hex(ledger->ledger_id())));
    }
    auto raw = HexDecode(ledger->state().ledger()->operator_public_key_hex);
    FT_ASSERT(raw.has_value());
    auto genesis_key = PublicKey::FromRaw(*raw);
    FT_ASSERT(genesis_key.has_value());
    if (operator_key && operator_key->raw() != genesis_key->raw()) {
      return ReportError(Status::InvalidArgument("--operator-key (key id " + Hex(operator_key->key_id()) +
                                                 ") is not the operator key of the ledger in " + options.ledger +
                                                 " (key id " + Hex(genesis_key->key_id()) + ")"));
    }
    operator_key = *genesis_key;
  }

  auto witness = Witness::Open(options.state, *key, clock);
  if (!witness) return ReportError(witness.error());
  auto last = (*witness)->LastCosigned(head.ledger_id);
  if (!last) return ReportError(last.error());

  std::optional<ConsistencyProofFile> proof;
  std::string proof_source;
  if (!options.proof.empty()) {
    auto read = ReadConsistencyProofFile(options.proof);
    if (!read) return ReportError(read.error());
    proof = std::move(*read);
    proof_source = options.proof;
  } else if (ledger && *last && (*last)->head.tree_size < head.tree_size) {
    auto made = ProofFromLedger(*ledger, options.ledger, (*last)->head.tree_size, head.tree_size);
    if (!made) return ReportError(made.error());
    proof = std::move(*made);
    proof_source = "the ledger in " + options.ledger;
  }

  auto outcome =
      (*witness)->Cosign(&*cosigned, operator_key ? &*operator_key : nullptr, proof ? &*proof : nullptr, options.name);
  if (!outcome) return ReportError(outcome.error());

  std::string out = options.out.empty() ? options.head : options.out;
  Status written = WriteFileAtomically(out, CosignedHeadToJson(*cosigned).dump(2) + "\n");
  if (!written.ok()) {
    return ReportError(Status(written.code(), written.message() + "; the witness state already records this head, "
                                                                  "so running the same command again is safe"));
  }

  std::string ledger_hex = Hex(head.ledger_id);
  switch (outcome->basis) {
    case CosignBasis::kFirstUse:
      std::cout << "trust on first use: this witness had not co-signed ledger " << ledger_hex
                << " before; the head was accepted on the operator's signature alone, and the operator key "
                << Hex(operator_key->key_id()) << " is now pinned for this ledger\n";
      break;
    case CosignBasis::kSameTree:
      std::cout << "same tree: the head has the size and root of the last head this witness co-signed\n";
      break;
    case CosignBasis::kConsistencyProof:
      std::cout << "consistent: the head extends the last head this witness co-signed (size "
                << outcome->previous->head.tree_size << ", root " << HexEncode(outcome->previous->head.root_hash)
                << ", co-signed at " << FormatTimestamp(outcome->previous->cosigned_at_micros)
                << "); consistency proof of " << proof->hashes.size() << " hashes from " << proof_source << "\n";
      break;
  }
  if (outcome->already_cosigned) {
    std::cout << "already co-signed by this witness at " << FormatTimestamp(outcome->cosignature.timestamp_micros)
              << "; the co-signature is kept\n";
  }
  std::cout << "co-signed:  ledger " << ledger_hex << ", tree size " << head.tree_size << ", root "
            << HexEncode(head.root_hash) << "\n"
            << "witness:    key id " << Hex(outcome->cosignature.key_id) << ", at "
            << FormatTimestamp(outcome->cosignature.timestamp_micros) << "\n"
            << "saved to:   " << out << " (" << cosigned->cosignatures.size()
            << (cosigned->cosignatures.size() == 1 ? " co-signature)" : " co-signatures)") << "\n"
            << "state:      " << (*witness)->StatePath(head.ledger_id) << std::endl;
  return kExitOk;
}

}  // namespace fundtrail
