// Witnesses: independent parties (an audit office, a finance bureau, a regulator) that co-sign the
// operator's tree heads after checking that each new head extends the last one they co-signed. A
// verifier that requires a quorum of witnesses on a head is safe from an operator who shows
// different histories to different people (a *split view*): the witnesses would have had to co-sign
// two different heads of the same size, and each refuses to. docs/FORMAT.md section 11 is the
// normative description of every byte here. Pure (OpenSSL, the schema, nlohmann-json, POSIX files),
// for the standalone verifier too.
//
// Co-signature: Ed25519 by the witness key over these 8 + len(canonical head) + 8 bytes:
//
//   "FTCOSG01" || canonical(schema::TreeHead) || be64(cosigned_at)
//
// where canonical(TreeHead) is CanonicalTreeHead (the same bytes the operator signs after
// "FTHEAD01") and cosigned_at is the witness clock in microseconds since the epoch, UTC, as
// two's-complement big-endian. It is stored in the head file, beside the operator's signature:
//
//   "cosignatures": [{"witness": "审计署 audit office",   (optional, informative, not signed)
//                     "key_id": hex16,                   (DeriveKeyId(witness public key))
//                     "timestamp": micros, "time": ISO,  (cosigned_at; "time" is informative)
//                     "signature": hex64}, ...]
//
// Witness policy file: {"quorum": Q, "witnesses": [{"name": "...", "public_key": hex32}, ...]}.
//
// Witness state directory: DIR/<ledger id hex>.json for each ledger, the last head the witness
// co-signed (format "fundtrail-witness-state-1", see WitnessState), DIR/LOCK (one process at a
// time), and DIR/<ledger id hex>.split-view-<size>-<root prefix>.json, the evidence of a split
// view.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ledger/crypto.h"
#include "ledger/dates.h"
#include "ledger/proof_file.h"
#include "ledger/status.h"
#include "ledger/tree_head.h"

namespace fundtrail {

// ---------------------------------------------------------------------------------------------
// Co-signatures and co-signed head files.

inline constexpr char kCosignatureTag[] = "FTCOSG01";
// A head file holds at most this many co-signatures; more is not a head file.
inline constexpr size_t kCosignatureCountMax = 256;

struct Cosignature {
  std::string witness_name;      // informative only (not signed); may be empty
  std::string key_id;            // 16 raw bytes: DeriveKeyId(witness public key)
  int64_t timestamp_micros = 0;  // when the witness co-signed, witness clock, UTC
  std::string signature;         // 64 bytes
};

// "FTCOSG01" || CanonicalTreeHead(head) || be64(cosigned_at_micros).
std::string CosignatureMessage(const TreeHead& head, int64_t cosigned_at_micros);
Cosignature SignCosignature(const PrivateKey& witness_key, const TreeHead& head,
                            int64_t cosigned_at_micros, std::string witness_name);
// Corruption naming what did not match (the key id, or the signature).
Status VerifyCosignature(const TreeHead& head, const Cosignature& cosignature,
                         const PublicKey& witness_key);

// A head file: the operator-signed head and the co-signatures collected on it.
struct CosignedHead {
  TreeHead head;
  std::vector<Cosignature> cosignatures;
};

// TreeHeadToJson plus "cosignatures" when there are any.
nlohmann::ordered_json CosignedHeadToJson(const CosignedHead& head);
// TreeHeadFromJson, then the optional "cosignatures" array, strictly ("head: cosignatures[1]:
// field "signature" must be 128 hex digits"). A head without the array has no co-signatures.
Result<CosignedHead> CosignedHeadFromJson(const nlohmann::json& json);
Result<CosignedHead> ReadCosignedHeadFile(const std::string& path);

// ---------------------------------------------------------------------------------------------
// Witness policies and quorums.

struct WitnessPolicyEntry {
  std::string name;
  PublicKey public_key;
};

struct WitnessPolicy {
  size_t quorum = 0;  // 1 <= quorum <= witnesses.size()
  std::vector<WitnessPolicyEntry> witnesses;
};

inline constexpr size_t kPolicyWitnessCountMax = 256;

// Strict: the fields "quorum" and "witnesses" and nothing else; each witness {"name", "public_key"}
// and nothing else; names and keys distinct. Errors name the field and index:
//   witnesses[1]: field "public_key" must be 64 hex digits (the raw Ed25519 public key ...)
Result<WitnessPolicy> WitnessPolicyFromJson(const nlohmann::json& json);
Result<WitnessPolicy> ReadWitnessPolicyFile(const std::string& path);

// What the co-signatures of a head amount to under a policy.
struct QuorumReport {
  size_t quorum = 0;
  size_t witness_count = 0;            // in the policy
  std::vector<std::string> signed_by;  // policy names with a valid co-signature, policy order
  std::vector<std::string> missing;    // policy names without one, policy order
  std::vector<std::string> invalid;    // "cosignatures[1] (NAME): <why it does not verify>"
  std::vector<std::string>
      unknown_key_ids;         // hex key ids of co-signatures by keys not in the policy
  size_t duplicate_count = 0;  // further valid co-signatures by a witness already counted

  bool met() const { return signed_by.size() >= quorum; }
  // One line, for example
  //   1 valid co-signature of the 2 needed (2 of 3 witnesses): signed by A; missing B, C;
  //   invalid: cosignatures[1] (B): the signature does not verify; ignored 1 co-signature by a key
  //   not in the policy (key id ...)
  std::string Describe() const;
};

// Checks every co-signature against the policy: a witness counts once however many valid
// co-signatures it has; co-signatures by keys not in the policy count nothing (and are reported).
// Does not check the operator's signature (VerifyTreeHeadSignature does).
QuorumReport EvaluateWitnessQuorum(const CosignedHead& head, const WitnessPolicy& policy);
// Ok when the quorum is met; otherwise Corruption "witness quorum not met: <Describe()>".
// `report`, when given, receives the report either way.
Status CheckWitnessQuorum(const CosignedHead& head, const WitnessPolicy& policy,
                          QuorumReport* report = nullptr);

// ---------------------------------------------------------------------------------------------
// A witness and its state.

inline constexpr char kWitnessStateFormat[] = "fundtrail-witness-state-1";
inline constexpr char kSplitViewFormat[] = "fundtrail-split-view-1";

// The last head a witness co-signed for one ledger (DIR/<ledger id hex>.json):
//   {"format": "fundtrail-witness-state-1", "ledger_id": hex16, "operator_public_key": hex32,
//    "witness_key_id": hex16, "head": <head JSON, operator-signed, no co-signatures>,
//    "cosigned_at": micros, "cosigned_time": ISO}
// The operator key is pinned at the first co-signature (trust on first use).
struct WitnessState {
  std::string operator_public_key;  // 32 raw bytes
  std::string witness_key_id;       // 16 raw bytes
  TreeHead head;                    // its ledger_id names the ledger
  int64_t cosigned_at_micros = 0;
};

nlohmann::ordered_json WitnessStateToJson(const WitnessState& state);
Result<WitnessState> WitnessStateFromJson(const nlohmann::json& json);

// How a co-signed head was found to extend what the witness saw before.
enum class CosignBasis {
  kFirstUse,          // no earlier head: accepted on its operator signature alone
  kSameTree,          // the same size and root as the last co-signed head
  kConsistencyProof,  // a larger tree, and the proof from the last co-signed head verified
};

struct CosignOutcome {
  CosignBasis basis = CosignBasis::kFirstUse;
  std::optional<WitnessState> previous;  // the state before (absent on first use)
  Cosignature cosignature;               // the one now in the head (new or already there)
  bool already_cosigned = false;         // the head already held a valid co-signature by this key
};

// A witness key and its state directory. Open() takes an exclusive flock on DIR/LOCK, so one
// process at a time uses a state directory; the lock is released when the object is destroyed.
// Not thread-safe. REQUIRES: `clock` outlives the witness.
class Witness {
 public:
  // Creates `state_directory` (mode 0700) if it does not exist; its parent must. Busy if another
  // process holds the lock.
  static Result<std::unique_ptr<Witness>> Open(const std::string& state_directory, PrivateKey key,
                                               Clock* clock);
  ~Witness();
  Witness(const Witness&) = delete;
  Witness& operator=(const Witness&) = delete;

  const PrivateKey& key() const { return key_; }
  std::string StatePath(const std::string& ledger_id) const;
  // The last head co-signed for `ledger_id` (16 raw bytes), or nullopt if none.
  Result<std::optional<WitnessState>> LastCosigned(const std::string& ledger_id) const;

  // Checks `head` and, if it extends what this witness saw, co-signs it: adds the co-signature to
  // head->cosignatures and durably records head->head as the last co-signed head of its ledger
  // (before returning, so that the co-signature is never published without the state that
  // forbids co-signing a conflicting head). In order:
  //   - the operator key: `operator_key` if given, else the key pinned in the state; they must be
  //     the same key, and must not be the witness key;
  //   - the head's operator signature (Corruption if it does not verify);
  //   - the last co-signed head of the same ledger, if any: a smaller head is refused
  //     (InvalidArgument); a head of the same size must have the same root and chain hash, else
  //     Corruption "split view: ..." and the two signed heads are saved as evidence; a larger head
  //     needs `proof` (InvalidArgument without one) from the last co-signed size to this one, which
  //     must verify against the two heads' roots (Corruption naming the mismatch otherwise).
  // On any error nothing is changed, except the split-view evidence file.
  Result<CosignOutcome> Cosign(CosignedHead* head, const PublicKey* operator_key,
                               const ConsistencyProofFile* proof, const std::string& witness_name);

 private:
  Witness(std::string directory, PrivateKey key, Clock* clock, int lock_fd)
      : directory_(std::move(directory)), key_(std::move(key)), clock_(clock), lock_fd_(lock_fd) {}
  Status CheckExtends(const WitnessState& last, const TreeHead& head,
                      const ConsistencyProofFile* proof) const;
  // Writes the split-view evidence and returns the Corruption status that reports it.
  Status ReportSplitView(const WitnessState& last, const TreeHead& head) const;

  std::string directory_;
  PrivateKey key_;
  Clock* clock_;
  int lock_fd_;
};

}  // namespace fundtrail
