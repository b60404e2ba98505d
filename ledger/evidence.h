// Evidence about single entries, checkable offline against a signed tree head: what
// `fundtrail prove --seq N` writes and `fundtrail-verify` checks. Pure (OpenSSL and the schema),
// no RocksDB. docs/FORMAT.md, section 9, is the normative description.
//
// A proven entry is an entry record, its whole submission record and the chain hash before it,
// with an RFC 9162 inclusion proof of its leaf in the head's tree. Checking it recomputes
//   d_n = SHA-256("FTEVENT1" || event), which must be the (n - first)-th digest the submission
//         signed,
//   h_n = SHA-256("FTCHAIN1" || h_{n-1} || be64(n) || SHA-256("FTSUBMT1" || submission) || d_n),
//         which must equal the record's h_n,
//   l_n = SHA-256(0x00 || "FTLEAF01" || h_n), which the inclusion proof must lead to the root.
//
// An inclusion evidence file proves one event (the subject) and who signed it: the subject, the
// key registration of its signing key, the registration of the key that registered that key, and
// so on back to the genesis submission, which names the operator key that signs the head. Every
// link's submission signature and role are checked. What it cannot show (no Merkle proof can
// prove an absence) is that no revocation of a key happened between its registration and its
// use; a full bundle (ledger/bundle.h) or `fundtrail verify` shows that.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ledger/bytes.h"
#include "ledger/log_format.h"
#include "ledger/status.h"
#include "ledger/tree_head.h"
#include "ledger/witness.h"

namespace fundtrail {

struct ProvenEntry {
  uint64_t sequence = 0;
  Digest previous_chain_hash{};   // h_{n-1}; zero for n = 1
  std::string submission;         // canonical(Submission) of the entry's submission
  std::string record;             // the entry record (ledger/log_format.h)
  std::vector<Digest> inclusion;  // RFC 9162 inclusion proof of leaf n - 1 in the head's tree
};

// What checking a proven entry establishes, decoded.
struct CheckedProvenEntry {
  uint64_t sequence = 0;
  Digest chain_hash{};
  std::string key_id_hex;         // the key that signed the entry's submission
  uint64_t submission_first = 0;  // the submission's first sequence
  std::optional<DecodedEvent> event;
  std::optional<DecodedSubmission> submission;
};

// Checks the entry against its submission and its inclusion in the tree (tree_size, root).
// Errors are Corruption naming the sequence number and what failed.
Result<CheckedProvenEntry> CheckProvenEntry(const ProvenEntry& entry, uint64_t tree_size,
                                            const Digest& root);

nlohmann::ordered_json ProvenEntryToJson(const ProvenEntry& entry);
// `where` names the entry in errors ("entries[2]").
Result<ProvenEntry> ProvenEntryFromJson(const nlohmann::json& json, const std::string& where);

inline constexpr const char* kInclusionEvidenceFormat = "fundtrail-inclusion-proof-1";
// The signing chain of an inclusion proof (key registrations back to the genesis) holds at most
// this many entries; a longer "signers" array is refused before it is decoded.
inline constexpr size_t kInclusionSignerCountMax = 1024;

struct InclusionEvidence {
  TreeHead head;
  std::vector<Cosignature> cosignatures;  // witnesses' co-signatures of the head, if any
  ProvenEntry subject;
  // The registrations of the signing keys back to the genesis, and the genesis entry itself.
  std::vector<ProvenEntry> signers;
};

nlohmann::ordered_json InclusionEvidenceToJson(const InclusionEvidence& evidence);
Result<InclusionEvidence> InclusionEvidenceFromJson(const nlohmann::json& json);

// One link of the signing chain: a key, whose organisation and roles, registered where.
struct SignerFacts {
  std::string key_id_hex;
  bool operator_key = false;  // the operator key named by the genesis (signs the genesis only)
  std::string org_id;
  uint32_t roles = 0;
  std::string label;
  uint64_t registered_sequence = 0;
};

struct InclusionReport {
  uint64_t sequence = 0;
  Digest chain_hash{};
  std::string event_type;
  nlohmann::ordered_json event;
  // The subject's signer first, then the key that registered it, ... ending with the operator.
  std::vector<SignerFacts> signers;
  std::string operator_public_key_hex;
};

// Checks everything the evidence claims: the head's signature by the operator key of the
// genesis, every entry's inclusion in the head, each submission's signature by the key the
// previous link registered, and that each key's roles allow what it signed.
Result<InclusionReport> VerifyInclusionEvidence(const InclusionEvidence& evidence);

}  // namespace fundtrail
