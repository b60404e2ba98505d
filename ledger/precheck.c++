#include "ledger/precheck.h"

#include <optional>

#include "ledger/bytes.h"
#include "ledger/input_rules.h"
#include "ledger/merkle.h"

namespace fundtrail {

namespace {

std::optional<uint64_t> SequenceOf(const std::string& key) {
  if (key.size() != 8) return std::nullopt;
  return GetBigEndian64(reinterpret_cast<const uint8_t*>(key.data()));
}

std::string Str(capnp::Data::Reader data) {
  return std::string(reinterpret_cast<const char*>(data.begin()), data.size());
}

// A submission record decoded for the prechecks of its entries.
struct LoadedSubmission {
  std::optional<DecodedSubmission> decoded;
  Digest digest{};
  uint64_t first_sequence = 0;
  uint32_t event_count = 0;
  uint16_t validation_version = 1;

  // False when the record does not decode: its entries are then left to the replay.
  bool Load(std::string_view record) {
    decoded.reset();
    auto opened = DecodedSubmission::Open(record, "submission");
    if (!opened) return false;
    decoded = std::move(*opened);
    digest = SubmissionDigest(record);
    first_sequence = decoded->root().getFirstSequence();
    event_count = decoded->root().getBody().getEventCount();
    validation_version = ValidationVersionOf(decoded->root());
    return true;
  }
};

}  // namespace

void Prechecker::Prepare(LogWindow* window) {
  window->entry_prechecks.clear();
  window->entry_prechecks.resize(window->entries.size());
  window->submission_prechecks.clear();
  window->submission_prechecks.resize(window->submissions.size());
}

void Prechecker::Run(LogWindow* window, const PrecheckCarry& carry, size_t entry_begin,
                     size_t entry_end, size_t submission_part, size_t submission_parts) {
  FT_ASSERT(window->entry_prechecks.size() == window->entries.size(), "Prechecker::Prepare first");
  FT_ASSERT(window->submission_prechecks.size() == window->submissions.size(),
            "Prechecker::Prepare first");
  FT_ASSERT(entry_begin <= entry_end && entry_end <= window->entries.size());
  FT_ASSERT(submission_part < submission_parts);
  ChainHasher hasher;
  // The stored chain hash before the part's first entry: the chain check of entry n starts from
  // what entry n-1 stores; the replay uses the precheck only if that is also what it computed.
  bool has_previous = carry.has_previous_entry;
  Digest previous = carry.previous_chain_hash;
  if (entry_begin > 0) {
    auto view = DecodeEntry(window->entries[entry_begin - 1].value);
    has_previous = view.has_value();
    if (view) previous = view->chain_hash;
  }
  // The submission covering each entry: the last record at or before its sequence number, in
  // this window or, before its first, the one the earlier windows ended with.
  LoadedSubmission current;
  bool loaded = false;
  std::optional<size_t> wanted;  // index into window->submissions; none: carry.open_submission
  std::optional<size_t> loaded_index;
  size_t next_submission = 0;
  bool carry_tried = false;
  for (size_t i = entry_begin; i < entry_end; ++i) {
    const LogWindow::Record& entry = window->entries[i];
    std::optional<uint64_t> sequence = SequenceOf(entry.key);
    if (sequence) {
      while (next_submission < window->submissions.size()) {
        std::optional<uint64_t> first = SequenceOf(window->submissions[next_submission].key);
        if (first && *first > *sequence) break;
        wanted = next_submission++;
      }
      if (wanted && loaded_index != wanted) {
        loaded = current.Load(window->submissions[*wanted].value);
        loaded_index = wanted;
      } else if (!wanted && !carry_tried) {
        loaded = !carry.open_submission.empty() && current.Load(carry.open_submission);
        carry_tried = true;
      }
      if (loaded && has_previous && *sequence >= current.first_sequence &&
          *sequence - current.first_sequence < current.event_count) {
        const uint32_t index = static_cast<uint32_t>(*sequence - current.first_sequence);
        auto checked = Replayer::CheckEntry(&hasher, *sequence, current.decoded->root(),
                                            current.digest, index, previous, entry.value);
        if (checked) {
          EntryPrecheck& precheck = window->entry_prechecks[i];
          precheck.record = entry.value;
          precheck.submission_digest = current.digest;
          precheck.index = index;
          precheck.previous_chain_hash = previous;
          precheck.input_checked =
              current.validation_version >= 2 && CheckEventInput(checked->event.root()).ok();
          precheck.leaf_hash = LogLeafHash(checked->chain_hash);
          precheck.checked = std::move(*checked);
        }
      }
    }
    auto view = DecodeEntry(entry.value);
    has_previous = view.has_value();
    if (view) previous = view->chain_hash;
  }
  // The signatures, each with the key its key id names, if an earlier window registered it.
  for (size_t j = submission_part; j < window->submissions.size(); j += submission_parts) {
    const std::string& record = window->submissions[j].value;
    LoadedSubmission submission;
    if (!submission.Load(record)) continue;
    SubmissionPrecheck& precheck = window->submission_prechecks[j];
    precheck.record = record;
    precheck.digest = submission.digest;
    if (submission.first_sequence == 1)
      continue;  // the genesis: the operator key, checked in order
    auto submission_root = submission.decoded->root();
    const std::string key_id_hex = HexEncode(AsBytes(Str(submission_root.getBody().getKeyId())));
    auto key = carry.public_keys.find(key_id_hex);
    if (key == carry.public_keys.end() || PublicKey::FromRaw(key->second).has_value() == false)
      continue;
    if (Replayer::VerifySubmissionSignature(submission_root, key_id_hex, key->second).ok()) {
      precheck.verified_public_key = key->second;
    }
  }
}

void Prechecker::Carry(const LogWindow& window, PrecheckCarry* carry) {
  if (!window.entries.empty()) {
    auto view = DecodeEntry(window.entries.back().value);
    carry->has_previous_entry = view.has_value();
    if (view) carry->previous_chain_hash = view->chain_hash;
  }
  if (!window.submissions.empty()) carry->open_submission = window.submissions.back().value;
  // Keys registered in this window sign submissions of later ones. A key taken from an event
  // that the replay then rejects is harmless: the replay uses a signature precheck only when it
  // was made with the key the replay's own state names.
  for (const EntryPrecheck& precheck : window.entry_prechecks) {
    if (!precheck.checked) continue;
    auto event = precheck.checked->event.root();
    if (event.which() != schema::Event::KEY_REGISTERED) continue;
    std::string raw = Str(event.getKeyRegistered().getPublicKey());
    auto key = PublicKey::FromRaw(raw);
    if (!key) continue;
    carry->public_keys.emplace(HexEncode(AsBytes(key->key_id())), std::move(raw));
  }
}

}  // namespace fundtrail
