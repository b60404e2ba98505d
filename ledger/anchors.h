// Trust anchors: what a verifier is told, from outside the file or ledger it checks, to trust.
// A bundle or an inclusion proof carries its own genesis, and so its own operator key: without an
// anchor, a valid file proves only that it is internally consistent, since anyone can build a
// whole ledger from scratch with a fresh key. An anchor ties it to the real ledger:
//   - an operator public key (--operator-key): the genesis must name it and it signs the heads;
//   - a ledger id (--ledger-id): the genesis and the heads must name it;
//   - a trusted head (--trusted-head), saved earlier: signed by the operator key, and the log must
//     extend it (same root and chain hash at its size);
//   - a witness policy (--witness-policy): a quorum of its witnesses co-signed the head.
// Every verifier (`fundtrail verify`, `fundtrail-verify` on bundles, inclusion and consistency
// proofs) checks anchors here, and compares with a trusted head here, so that each rule stands
// once. Data that verifies but does not match an anchor is StatusCode::kNotAnchored (exit 6);
// data that does not verify is kCorruption (exit 3). Pure (OpenSSL, the schema, nlohmann-json),
// for the standalone verifier too. docs/FORMAT.md, section 13, is the normative description.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ledger/bytes.h"
#include "ledger/crypto.h"
#include "ledger/log_format.h"
#include "ledger/status.h"
#include "ledger/tree_head.h"
#include "ledger/witness.h"

namespace fundtrail {

// The anchors a user gave. Each `*_source` says where the anchor came from, for the output
// ("--operator-key op.pub").
struct TrustAnchors {
  std::optional<PublicKey> operator_key;
  std::string operator_key_source;
  std::optional<std::string> ledger_id;  // 16 raw bytes
  std::string ledger_id_source;
  std::optional<CosignedHead> trusted_head;
  std::string trusted_head_source;
  std::optional<WitnessPolicy> witness_policy;
  std::string witness_policy_source;

  bool empty() const { return !operator_key && !ledger_id && !trusted_head && !witness_policy; }
};

// 32 hex digits (a ledger id as `fundtrail head` and every head file print it) to 16 raw bytes.
// InvalidArgument naming `flag` otherwise.
Result<std::string> ParseLedgerIdArgument(const std::string& text, const std::string& flag);

// The anchors as the command line gives them; an empty string is "not given".
struct TrustAnchorArguments {
  std::string operator_key;    // --operator-key: ReadPublicKeyArgument (hex, .pub or PEM file)
  std::string ledger_id;       // --ledger-id: 32 hex digits
  std::string trusted_head;    // --trusted-head: a head file (co-signatures, if any, are read too)
  std::string witness_policy;  // --witness-policy: a witness policy file
};
// Reads each anchor given; errors name the flag or file (InvalidArgument, NotFound).
Result<TrustAnchors> ReadTrustAnchors(const TrustAnchorArguments& arguments);

// The ledger id and operator key that a ledger's genesis event names: what a ledger says about
// itself, and what the anchors are compared with.
struct GenesisIdentity {
  std::string ledger_id;  // 16 raw bytes
  PublicKey operator_key;
};
// Decodes the event of the genesis entry (the entry record of sequence 1, ledger/log_format.h).
// Corruption when it is not a genesis event or names an invalid key.
Result<GenesisIdentity> ReadGenesisIdentity(std::string_view genesis_entry_record);

// What the anchors established about a file or ledger that verified.
struct AnchorReport {
  std::string ledger_id;        // 16 raw bytes
  std::string operator_key_id;  // 16 raw bytes
  std::vector<std::string> sources;  // where the trust came from, in the order checked
  std::string witnesses;        // QuorumReport::Describe() when a policy was checked
  // An operator key, a trusted head or a witness quorum was checked: a ledger id alone is a name
  // anyone can copy into a genesis of their own, not proof of who made the ledger.
  bool key_anchored = false;

  bool anchored() const { return !sources.empty(); }
  // The lines a verifier prints, each starting with two spaces and ending in "\n":
  //   trusted: ledger <hex>, operator key id <hex> (from --operator-key op.pub; ...)
  // and, without any anchor, one prominent line that says the check proves only internal
  // consistency and how to anchor it (with a ledger id as the only anchor, a line that says it does
  // not show who made it). `what` names what was checked ("file", "ledger").
  std::string Describe(const std::string& what = "file") const;
};

// A head's signature by `key`. NotAnchored when the head is unsigned or names another key (it is
// another operator's statement, or nobody's); Corruption when it names `key` and the signature
// does not verify (the head was altered). `name` starts every message ("the trusted head").
Status CheckHeadSignedBy(const TreeHead& head, const PublicKey& key, const std::string& name);

// Ties a ledger that verified (its ledger id and operator key, as its own genesis names them) to
// the anchors: the ledger id, the operator key, and the trusted head's ledger id and signature by
// the operator key (a trusted head that does not verify with it, altered or unsigned, is not
// trusted: NotAnchored). Does not compare the trusted head with the log (CompareWithTrustedHead)
// nor check witnesses (CheckWitnessAnchor). Every error is NotAnchored.
Result<AnchorReport> CheckAnchors(const TrustAnchors& anchors, const std::string& ledger_id,
                                  const PublicKey& operator_key);

// With a witness policy, `head` must carry a quorum of valid co-signatures (NotAnchored
// otherwise); adds the policy to `report`. Nothing to do without a policy.
Status CheckWitnessAnchor(const TrustAnchors& anchors, const CosignedHead& head, AnchorReport* report);

// What a log or a piece of evidence shows at one tree size.
struct TreePoint {
  uint64_t size = 0;
  Digest root{};
  Digest chain_hash{};
};

// The one comparison of a log with a trusted head, for every verifier. `shown` is what the
// evidence establishes at the trusted head's size (nullopt when it cannot reach that size, and
// then `unreachable` is returned: each verifier says what would reach it). `log_size` is the size
// of the log or head the evidence ends at. Corruption when the root or the chain hash differs: a
// "split view" when log_size is the trusted head's size, "history was rewritten" otherwise.
// REQUIRES: !shown || shown->size == trusted.tree_size; !unreachable.ok().
Status CompareWithTrustedHead(const TreeHead& trusted, const std::optional<TreePoint>& shown,
                              uint64_t log_size, const Status& unreachable);

}  // namespace fundtrail
