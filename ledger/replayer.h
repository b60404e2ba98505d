// The verifier core: replays submissions and entries in log order and checks everything a
// regulator relies on: canonical encoding, each event against the digest its submission signed,
// the chain hashes, each submission's signature (once per submission), key validity and
// permissions at each point, and the validation rules. Depends on OpenSSL and the schema only,
// so the standalone verifier can reuse it.
//
// Memory: the validation state (entities) and one submission body; nothing grows with the
// number of events.
//
// Usage, for each submission in order:
//   BeginSubmission(bytes); AddEntry(seq, record) for each of its events; EndSubmission().
// Every error is a Corruption status naming the sequence number.
//
// A partial replay (a bundle of the range A..B, ledger/bundle.h) first calls ApplyContext for
// each earlier event the validation state depends on, in order, then StartAt(A, h_{A-1}, the
// compact range of the first A-1 leaves), then replays submissions from A on as above.
#pragma once

#include <optional>
#include <string>

#include "ledger/committed_fold.h"
#include "ledger/crypto.h"
#include "ledger/log_format.h"
#include "ledger/state.h"
#include "ledger/validator.h"

namespace fundtrail {

// An entry that passed Replayer::CheckEntry: its chain hash and its event, decoded.
struct CheckedEntry {
  Digest chain_hash;
  DecodedEvent event;
};

// Checks made ahead of the replay, on other threads (ledger/precheck.h). Each records a success
// with the inputs it assumed; the replay uses it only when its own inputs are the same, and
// otherwise checks for itself, so the outcome and every message stay those of a replay without.
struct EntryPrecheck {
  std::string_view record;        // the entry record checked
  Digest submission_digest{};     // of the submission it was checked against
  uint32_t index = 0;             // its index in that submission
  Digest previous_chain_hash{};   // the chain hash it was chained from
  std::optional<CheckedEntry> checked;  // set when CheckEntry passed
  Digest leaf_hash{};             // LogLeafHash of the chain hash
  bool input_checked = false;     // CheckEventInput passed on the event
};
struct SubmissionPrecheck {
  std::string_view record;          // the submission record checked
  Digest digest{};                  // SubmissionDigest(record)
  std::string verified_public_key;  // raw key the signature verified with; empty: not checked
};

class Replayer {
 public:
  // REQUIRES: lookup outlives the replayer.
  explicit Replayer(EventLookup* lookup);

  // `precheck` (may be null): what was checked ahead of the replay, for this record or another.
  Status BeginSubmission(std::string_view canonical_submission, const SubmissionPrecheck* precheck = nullptr);
  Status AddEntry(uint64_t sequence, std::string_view record, const EntryPrecheck* precheck = nullptr);
  Status EndSubmission();

  // The checks of an entry that need no state (shared by AddEntry, ApplyContext and the
  // prechecks): the entry decodes, names `submission`, its event is the `index`-th digest the
  // submission signed, and its chain hash follows `previous`.
  static Result<CheckedEntry> CheckEntry(ChainHasher* hasher, uint64_t sequence,
                                         schema::Submission::Reader submission, const Digest& submission_digest,
                                         uint32_t index, const Digest& previous, std::string_view record);
  // Whether `submission`'s signature verifies with `public_key_raw`; Corruption naming it if not.
  static Status VerifySubmissionSignature(schema::Submission::Reader submission, const std::string& key_id_hex,
                                          const std::string& public_key_raw);

  // Checks one earlier event against its submission (the digest it signed, the chain hash from
  // `previous_chain_hash`, the submission's signature by a key valid at that point, checked once
  // per submission) and applies it to the validation state. Returns the entry's Merkle leaf hash,
  // which the caller must prove to be in the tree. Sequences must increase and stay below the
  // StartAt sequence.
  Result<Digest> ApplyContext(uint64_t sequence, std::string_view canonical_submission,
                              const Digest& previous_chain_hash, std::string_view record);
  // Continues the replay at `first_sequence` (a submission's first event), as if the first
  // first_sequence - 1 entries had been replayed with chain head `previous_chain_hash` and Merkle
  // compact range `prefix_range` (MerkleTree::CompactRange). Before any BeginSubmission.
  Status StartAt(uint64_t first_sequence, const Digest& previous_chain_hash,
                 std::vector<std::pair<uint32_t, Digest>> prefix_range);

  // True between BeginSubmission and the AddEntry of the submission's last event.
  bool submission_open() const { return submission_.has_value(); }
  uint32_t events_remaining() const;
  uint64_t last_sequence() const { return last_sequence_; }
  const Digest& head() const { return head_; }
  // The RFC 9162 root of the entries replayed so far, from a compact range of O(log n) hashes.
  Digest MerkleRoot() const;
  // The Merkle leaf hash of the last entry replayed.
  const Digest& last_leaf() const { return last_leaf_; }
  uint64_t submission_count() const { return submission_count_; }
  const LedgerState& state() const { return state_; }

  // Folds every event into `fold` too and compares its digest with each submission's views
  // commitment of the same fold version (docs/FORMAT.md, section 5). Not in a partial replay,
  // whose state holds only the context. Before the first BeginSubmission; `fold` starts empty
  // and outlives the replayer.
  void set_fold(CommittedFold* fold) { fold_ = fold; }
  // Submissions whose views digest was compared, and those whose digest another fold version
  // computed (not compared).
  uint64_t views_checked() const { return views_checked_; }
  uint64_t views_unchecked() const { return views_unchecked_; }

 private:
  Status VerifySignature(const std::string& public_key_raw);
  // The checks of a submission record that need no state: event count, validation version
  // (never decreasing; sets the validator's), submission id, state digest size.
  Status CheckEnvelope(schema::Submission::Reader submission, const std::string& where);
  bool folding() const { return fold_ != nullptr && !partial_; }
  Status CompareViews(schema::Submission::Reader submission);

  LedgerState state_;
  Validator validator_;
  EventLookup* lookup_;
  CommittedFold* fold_ = nullptr;
  uint64_t views_checked_ = 0;
  uint64_t views_unchecked_ = 0;
  ChainHasher hasher_;
  uint64_t last_sequence_ = 0;
  Digest head_{};
  uint64_t submission_count_ = 0;
  // Roots of the perfect subtrees covering the leaves so far, largest first, with their heights.
  std::vector<std::pair<uint32_t, Digest>> merkle_range_;
  Digest last_leaf_{};

  // The submission being replayed.
  std::optional<DecodedSubmission> submission_;
  std::string key_id_hex_;
  Digest submission_digest_{};
  uint32_t events_seen_ = 0;
  bool signature_checked_ = false;

  // Partial replays: the last context event, and the digest of the last context submission
  // whose signature was checked.
  uint64_t context_sequence_ = 0;
  bool partial_ = false;  // StartAt beyond sequence 1: the state holds only the context
  std::optional<Digest> context_submission_checked_;
};

}  // namespace fundtrail
