// The checks of the log that need no validation state, made ahead of the replay on other
// threads: a verifier's share of the work that both cores can do (issue 14).
//
// A window is a run of consecutive log records and the submission records among them, copied out
// of the store. Prechecking it decodes each entry, recomputes its event digest against the one
// its submission signed, its chain hash from the stored chain hash of the entry before it, and
// its Merkle leaf; decodes its event and checks its input rules (CheckEventInput); and verifies
// each submission's signature with the key that registered its key id, if an earlier window
// registered one. These are the very functions the Replayer calls (Replayer::CheckEntry and
// friends); a precheck only ever records a success, with the inputs it assumed. The Replayer,
// in order, uses a precheck only when its own inputs are the same (the same record, submission
// digest, index and previous chain hash, the same signing key), and otherwise makes the check
// itself: so a replay with prechecks accepts and rejects exactly what one without does, with the
// same message naming the same first failing sequence number.
//
// Memory: a window holds its records and decoded events; the caller bounds how many windows
// exist at once (ledger/read_ahead.h keeps at most a few).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ledger/replayer.h"

namespace fundtrail {

struct LogWindow {
  struct Record {
    std::string key;
    std::string value;
  };
  std::vector<Record> entries;  // log records, in key order
  // Submission records in key order: those whose first sequence lies after the previous
  // window's last entry and at or before this window's last entry.
  std::vector<Record> submissions;
  std::vector<EntryPrecheck> entry_prechecks;            // one per entry, after Precheck
  std::vector<SubmissionPrecheck> submission_prechecks;  // one per submission, after Precheck
};

// What a window's prechecks carry over to the next window. Filled in by Prechecker::Carry.
struct PrecheckCarry {
  // The stored chain hash of the last entry of the windows before; before the first entry, the
  // zero hash that sequence 1 chains from.
  bool has_previous_entry = true;
  Digest previous_chain_hash{};
  std::string open_submission;   // the last submission record seen, which may continue
  std::map<std::string, std::string> public_keys;  // key id (hex) -> raw public key
};

class Prechecker {
 public:
  // Prechecks window entries [entry_begin, entry_end) and the submissions whose index is
  // congruent to `submission_part` modulo `submission_parts`, given what the earlier windows
  // carried. Several parts of one window may run at once on different threads (each touches
  // only its own entries' and submissions' prechecks; `carry` is read-only meanwhile).
  // REQUIRES: window.entry_prechecks and window.submission_prechecks sized.
  static void Run(LogWindow* window, const PrecheckCarry& carry, size_t entry_begin,
                  size_t entry_end, size_t submission_part, size_t submission_parts);
  // Sizes the window's precheck vectors. Call before the parts run.
  static void Prepare(LogWindow* window);
  // Updates `carry` with what `window` (prechecked) leaves to the next one: its last entry's
  // chain hash, its last submission record, and the keys its events registered.
  static void Carry(const LogWindow& window, PrecheckCarry* carry);
};

}  // namespace fundtrail
