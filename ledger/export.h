// Proofs and bundles built from a ledger: what `fundtrail prove` and `fundtrail export` write,
// and what `fundtrail-verify` checks (ledger/evidence.h, ledger/bundle.h).
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "ledger/bundle.h"
#include "ledger/evidence.h"
#include "ledger/store.h"
#include "ledger/tree_head.h"

namespace fundtrail {

// The ledger's head now, unsigned.
Result<TreeHead> CurrentTreeHead(const Ledger& ledger, int64_t now_micros);

// Checks that `head` is a head of this ledger: signed by its operator key, not beyond the log,
// and with the root and chain hash the stored log has at its size. Errors say which.
Status CheckHeadOfLedger(const Ledger& ledger, const TreeHead& head);

// Entry `sequence` with its submission, the chain hash before it and its inclusion proof in the
// tree of `tree_size` entries.
Result<ProvenEntry> ProveEntry(const Ledger& ledger, uint64_t sequence, uint64_t tree_size);

// Inclusion evidence for event `sequence` against `head` (signed, size >= sequence): the event,
// the registrations of the keys that signed it back to the genesis, and the genesis.
// The head's co-signatures, if any, travel with it.
Result<InclusionEvidence> BuildInclusionEvidence(const Ledger& ledger, uint64_t sequence, const TreeHead& head,
                                                 const std::vector<Cosignature>& cosignatures = {});

// Event `sequence` in full, as `log --json` prints it (sequence, time, type, author_org, key_id,
// hash, event), after checking that the log holds it under `chain_hash`, the hash that a flag or
// a report cites: Corruption naming both hashes when it does not. `flags show` and `report` read
// their evidence with it. `signers`, when given, keeps what each submission read says (its key
// id and time) for the next call: a submission of 100,000 events lists 3.2 MB of digests, and a
// report may cite hundreds of its events.
struct SubmissionSigner {
  std::string key_id_hex;
  std::string time;
};
using SubmissionSigners = std::map<uint64_t, SubmissionSigner>;  // by submission sequence
Result<nlohmann::ordered_json> ReadEvidenceEvent(const Ledger& ledger, uint64_t sequence, const Digest& chain_hash,
                                                 SubmissionSigners* signers = nullptr);

struct ExportSummary {
  uint64_t from_sequence = 0;  // widened to whole submissions
  uint64_t to_sequence = 0;
  uint64_t entries = 0;
  uint64_t submissions = 0;
  uint64_t context_entries = 0;
  uint64_t lookup_entries = 0;
};

// Writes a bundle of the entries from..to (widened to whole submissions) against `head`
// (signed, size >= to). REQUIRES: 1 <= from <= to.
Result<ExportSummary> ExportBundle(const Ledger& ledger, uint64_t from, uint64_t to, const TreeHead& head,
                                   int64_t now_micros, const std::string& path,
                                   const std::vector<Cosignature>& cosignatures = {});

}  // namespace fundtrail
