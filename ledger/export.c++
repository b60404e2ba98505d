#include "ledger/export.h"

#include <set>

#include "ledger/crypto.h"
#include "ledger/json_codec.h"
#include "ledger/validator.h"

namespace fundtrail {

namespace {

std::string Str(capnp::Data::Reader data) {
  return std::string(reinterpret_cast<const char*>(data.begin()), data.size());
}

Result<Digest> ChainHashAt(const Ledger& ledger, uint64_t sequence) {
  if (sequence == 0) return Digest{};
  auto stored = ledger.ReadEntry(sequence);
  if (!stored) return Error(stored.error());
  auto entry = DecodeEntry(stored->record);
  if (!entry) return Error(entry.error().WithPrefix("sequence " + std::to_string(sequence)));
  return entry->chain_hash;
}

// The submission's key id (hex) and event count.
struct SubmissionFacts {
  std::string key_id_hex;
  uint64_t event_count = 0;
};

Result<SubmissionFacts> ReadSubmissionFacts(const Ledger& ledger, uint64_t first_sequence) {
  auto bytes = ledger.ReadSubmission(first_sequence);
  if (!bytes) return Error(bytes.error());
  auto decoded = DecodedSubmission::Open(*bytes, "submission at sequence " + std::to_string(first_sequence));
  if (!decoded) return Error(decoded.error());
  auto body = decoded->root().getBody();
  return SubmissionFacts{HexEncode(AsBytes(Str(body.getKeyId()))), body.getEventCount()};
}

Result<uint64_t> SubmissionStart(const Ledger& ledger, uint64_t sequence) {
  auto stored = ledger.ReadEntry(sequence);
  if (!stored) return Error(stored.error());
  auto entry = DecodeEntry(stored->record);
  if (!entry) return Error(entry.error().WithPrefix("sequence " + std::to_string(sequence)));
  return entry->submission_sequence;
}

}  // namespace

Result<TreeHead> CurrentTreeHead(const Ledger& ledger, int64_t now_micros) {
  TreeHead head;
  head.ledger_id = ledger.ledger_id();
  head.tree_size = ledger.head().sequence;
  auto root = ledger.TreeRoot(head.tree_size);
  if (!root) return Error(root.error());
  head.root_hash = *root;
  head.chain_hash = ledger.head().chain_hash;
  head.timestamp_micros = now_micros;
  return head;
}

Status CheckHeadOfLedger(const Ledger& ledger, const TreeHead& head) {
  if (head.ledger_id != ledger.ledger_id()) {
    return Status::InvalidArgument("the head is for ledger " + HexEncode(AsBytes(head.ledger_id)) +
                                   ", this is ledger " + HexEncode(AsBytes(ledger.ledger_id())));
  }
  auto operator_raw = HexDecode(ledger.state().ledger()->operator_public_key_hex);
  auto operator_key = PublicKey::FromRaw(*operator_raw);
  FT_ASSERT(operator_key.has_value());
  FT_RETURN_IF_ERROR(VerifyTreeHeadSignature(head, *operator_key).WithPrefix("head"));
  if (head.tree_size > ledger.head().sequence) {
    return Status::InvalidArgument("the head has " + std::to_string(head.tree_size) + " entries, the log only " +
                                   std::to_string(ledger.head().sequence));
  }
  auto root = ledger.TreeRoot(head.tree_size);
  if (!root) return root.error();
  auto chain = ChainHashAt(ledger, head.tree_size);
  if (!chain) return chain.error();
  if (*root != head.root_hash || *chain != head.chain_hash) {
    return Status::Corruption("the head of " + std::to_string(head.tree_size) +
                              " entries does not match this log (root " + HexEncode(*root) + ", head says " +
                              HexEncode(head.root_hash) + "): run `fundtrail verify --trusted-head` on it");
  }
  return Status::Ok();
}

namespace {

Result<SubmissionSigner> ReadSubmissionSigner(const Ledger& ledger, uint64_t submission_sequence,
                                              const std::string& where) {
  auto bytes = ledger.ReadSubmission(submission_sequence);
  if (!bytes) return Error(bytes.error().WithPrefix(where));
  auto submission = DecodedSubmission::Open(*bytes, where + ": submission");
  if (!submission) return Error(submission.error());
  capnp::Data::Reader key_id = submission->root().getBody().getKeyId();
  return SubmissionSigner{HexEncode(ByteSpan(key_id.begin(), key_id.size())),
                          FormatTimestamp(submission->root().getAppendedAt())};
}

}  // namespace

Result<nlohmann::ordered_json> ReadEvidenceEvent(const Ledger& ledger, uint64_t sequence, const Digest& chain_hash,
                                                 SubmissionSigners* signers) {
  const std::string where = "evidence event " + std::to_string(sequence);
  auto entry = ledger.ReadEntry(sequence);
  if (!entry) return Error(entry.error().WithPrefix(where));
  auto view = DecodeEntry(entry->record);
  if (!view) return Error(view.error().WithPrefix(where));
  if (view->chain_hash != chain_hash) {
    return Error(Status::Corruption(where + ": the flag cites chain hash " + HexEncode(chain_hash) +
                                    ", the log holds " + HexEncode(view->chain_hash) +
                                    "; run `fundtrail verify`, then `fundtrail rebuild`"));
  }
  auto event = DecodedEvent::Open(view->canonical_event, where);
  if (!event) return Error(event.error());
  SubmissionSigners local;
  if (signers == nullptr) signers = &local;
  auto found = signers->find(view->submission_sequence);
  if (found == signers->end()) {
    auto signer = ReadSubmissionSigner(ledger, view->submission_sequence, where);
    if (!signer) return Error(signer.error());
    found = signers->emplace(view->submission_sequence, std::move(*signer)).first;
  }
  const SubmissionSigner& signer = found->second;
  const KeyRecord* key = ledger.state().keys.Find(signer.key_id_hex);
  return nlohmann::ordered_json{{"sequence", sequence},
                                {"time", signer.time},
                                {"type", EventTypeName(event->root())},
                                {"author_org", key ? key->org_id : "operator"},
                                {"key_id", signer.key_id_hex},
                                {"hash", HexEncode(view->chain_hash)},
                                {"event", EncodeEventJson(event->root())}};
}

Result<ProvenEntry> ProveEntry(const Ledger& ledger, uint64_t sequence, uint64_t tree_size) {
  ProvenEntry proven;
  proven.sequence = sequence;
  auto stored = ledger.ReadEntry(sequence);
  if (!stored) return Error(stored.error());
  proven.record = std::move(stored->record);
  auto entry = DecodeEntry(proven.record);
  if (!entry) return Error(entry.error().WithPrefix("sequence " + std::to_string(sequence)));
  auto submission = ledger.ReadSubmission(entry->submission_sequence);
  if (!submission) return Error(submission.error());
  proven.submission = std::move(*submission);
  auto previous = ChainHashAt(ledger, sequence - 1);
  if (!previous) return Error(previous.error());
  proven.previous_chain_hash = *previous;
  auto inclusion = ledger.InclusionProof(sequence, tree_size);
  if (!inclusion) return Error(inclusion.error());
  proven.inclusion = std::move(*inclusion);
  return proven;
}

Result<InclusionEvidence> BuildInclusionEvidence(const Ledger& ledger, uint64_t sequence, const TreeHead& head,
                                                 const std::vector<Cosignature>& cosignatures) {
  if (sequence == 0 || sequence > head.tree_size) {
    return Error(Status::InvalidArgument("event " + std::to_string(sequence) + " is not in the head's tree of " +
                                         std::to_string(head.tree_size) + " entries"));
  }
  InclusionEvidence evidence;
  evidence.head = head;
  evidence.cosignatures = cosignatures;
  auto subject = ProveEntry(ledger, sequence, head.tree_size);
  if (!subject) return Error(subject.error());
  evidence.subject = std::move(*subject);
  // Follow the signing keys back: the key that signed the submission was registered by an
  // event, whose submission was signed by a key registered earlier, ... down to the genesis.
  std::set<uint64_t> included = {sequence};
  uint64_t link = sequence;
  while (true) {
    auto first = SubmissionStart(ledger, link);
    if (!first) return Error(first.error());
    if (*first == 1) break;
    auto facts = ReadSubmissionFacts(ledger, *first);
    if (!facts) return Error(facts.error());
    const KeyRecord* key = ledger.state().keys.Find(facts->key_id_hex);
    if (key == nullptr) {
      return Error(Status::Corruption("key " + facts->key_id_hex + " that signed sequence " + std::to_string(link) +
                                      " is not in the key table"));
    }
    link = key->registered_sequence;
    if (!included.insert(link).second) break;
    auto registration = ProveEntry(ledger, link, head.tree_size);
    if (!registration) return Error(registration.error());
    evidence.signers.push_back(std::move(*registration));
  }
  if (!included.contains(1)) {
    auto genesis = ProveEntry(ledger, 1, head.tree_size);
    if (!genesis) return Error(genesis.error());
    evidence.signers.push_back(std::move(*genesis));
  }
  return evidence;
}

Result<ExportSummary> ExportBundle(const Ledger& ledger, uint64_t from, uint64_t to, const TreeHead& head,
                                   int64_t now_micros, const std::string& path,
                                   const std::vector<Cosignature>& cosignatures) {
  FT_ASSERT(from >= 1 && from <= to);
  if (to > head.tree_size) {
    return Error(Status::InvalidArgument("--to-seq " + std::to_string(to) + " is beyond the head's " +
                                         std::to_string(head.tree_size) + " entries"));
  }
  ExportSummary summary;
  // Whole submissions only: each one's signature covers all of its events.
  auto first = SubmissionStart(ledger, from);
  if (!first) return Error(first.error());
  auto last_first = SubmissionStart(ledger, to);
  if (!last_first) return Error(last_first.error());
  auto last_facts = ReadSubmissionFacts(ledger, *last_first);
  if (!last_facts) return Error(last_facts.error());
  summary.from_sequence = *first;
  summary.to_sequence = *last_first + last_facts->event_count - 1;
  if (summary.to_sequence > head.tree_size) {
    return Error(Status::InvalidArgument("the submission holding event " + std::to_string(to) + " ends at " +
                                         std::to_string(summary.to_sequence) + ", beyond the head's " +
                                         std::to_string(head.tree_size) + " entries: use a newer head"));
  }

  // The context: the events before the range that changed the validation state, found by
  // replaying them; and the targets of reversals, which the verifier must read.
  std::vector<uint64_t> context;
  std::set<uint64_t> lookups;
  LedgerState state;
  auto lookup = ledger.NewLookup();
  Validator validator(&state, lookup.get());
  std::string key_id_hex;
  Status failed = Status::Ok();
  auto note_reversal = [&](schema::Event::Reader event) {
    if (event.which() == schema::Event::REVERSAL) lookups.insert(event.getReversal().getTargetSequence());
  };
  if (summary.from_sequence > 1) {
    FT_RETURN_IF_ERROR(ledger.ScanEntries(1, summary.from_sequence - 1, [&](const StoredEntry& stored) {
      auto entry = DecodeEntry(stored.record);
      auto event = entry ? DecodedEvent::Open(entry->canonical_event, "sequence " + std::to_string(stored.sequence))
                         : Result<DecodedEvent>(Error(entry.error()));
      if (!event) {
        failed = event.error();
        return false;
      }
      if (entry->submission_sequence == stored.sequence) {
        auto facts = ReadSubmissionFacts(ledger, stored.sequence);
        if (!facts) {
          failed = facts.error();
          return false;
        }
        key_id_hex = facts->key_id_hex;
      }
      state.Begin();
      Status applied = validator.Apply(stored.sequence, key_id_hex, entry->submission_sequence == 1, event->root());
      if (!applied.ok()) {
        state.Rollback();
        failed = applied.WithPrefix("sequence " + std::to_string(stored.sequence) + " does not replay (run "
                                    "`fundtrail verify`)");
        return false;
      }
      if (!state.DirtyRows().empty()) {
        context.push_back(stored.sequence);
        note_reversal(event->root());
      }
      state.Commit();
      return true;
    }));
    FT_RETURN_IF_ERROR(failed);
  }
  FT_RETURN_IF_ERROR(ledger.ScanEntries(summary.from_sequence, summary.to_sequence, [&](const StoredEntry& stored) {
    auto entry = DecodeEntry(stored.record);
    if (!entry) {
      failed = entry.error().WithPrefix("sequence " + std::to_string(stored.sequence));
      return false;
    }
    auto event = DecodedEvent::Open(entry->canonical_event, "sequence " + std::to_string(stored.sequence));
    if (!event) {
      failed = event.error();
      return false;
    }
    note_reversal(event->root());
    return true;
  }));
  FT_RETURN_IF_ERROR(failed);

  std::vector<ProvenEntry> lookup_entries, context_entries;
  std::map<uint64_t, std::string> submissions;
  for (uint64_t sequence : lookups) {
    auto proven = ProveEntry(ledger, sequence, head.tree_size);
    if (!proven) return Error(proven.error());
    lookup_entries.push_back(std::move(*proven));
  }
  for (uint64_t sequence : context) {
    auto proven = ProveEntry(ledger, sequence, head.tree_size);
    if (!proven) return Error(proven.error());
    context_entries.push_back(std::move(*proven));
  }
  for (auto* entries : {&lookup_entries, &context_entries}) {
    for (const ProvenEntry& entry : *entries) {
      auto view = DecodeEntry(entry.record);
      submissions.emplace(view->submission_sequence, entry.submission);
    }
  }

  auto writer = BundleWriter::Create(path);
  if (!writer) return Error(writer.error());
  BundleHeader header{ledger.ledger_id(), summary.from_sequence, summary.to_sequence, head.tree_size, now_micros};
  FT_RETURN_IF_ERROR(writer->Header(header));
  FT_RETURN_IF_ERROR(writer->Head(head, cosignatures));
  for (const auto& [unused, bytes] : submissions) FT_RETURN_IF_ERROR(writer->Submission(bytes));
  for (const ProvenEntry& entry : lookup_entries) FT_RETURN_IF_ERROR(writer->Proven(BundleRecord::kLookup, entry));
  for (const ProvenEntry& entry : context_entries) FT_RETURN_IF_ERROR(writer->Proven(BundleRecord::kContext, entry));
  summary.context_entries = context_entries.size();
  summary.lookup_entries = lookup_entries.size();

  auto prefix = ledger.CompactRange(summary.from_sequence - 1);
  if (!prefix) return Error(prefix.error());
  auto previous = ChainHashAt(ledger, summary.from_sequence - 1);
  if (!previous) return Error(previous.error());
  FT_RETURN_IF_ERROR(writer->Prefix(summary.from_sequence - 1, *previous, *prefix));

  FT_RETURN_IF_ERROR(ledger.ScanEntries(summary.from_sequence, summary.to_sequence, [&](const StoredEntry& stored) {
    auto entry = DecodeEntry(stored.record);
    if (entry && entry->submission_sequence == stored.sequence) {
      auto bytes = ledger.ReadSubmission(stored.sequence);
      if (!bytes) {
        failed = bytes.error();
        return false;
      }
      failed = writer->Submission(*bytes);
      ++summary.submissions;
    }
    if (failed.ok()) failed = writer->Entry(stored.sequence, stored.record);
    ++summary.entries;
    return failed.ok();
  }));
  FT_RETURN_IF_ERROR(failed);
  auto consistency = ledger.ConsistencyProof(summary.to_sequence, head.tree_size);
  if (!consistency) return Error(consistency.error());
  FT_RETURN_IF_ERROR(writer->Consistency(summary.to_sequence, head.tree_size, *consistency));
  FT_RETURN_IF_ERROR(writer->Finish(summary.entries, summary.submissions));
  return summary;
}

}  // namespace fundtrail
