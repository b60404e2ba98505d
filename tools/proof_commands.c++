// `fundtrail prove` and `fundtrail export`: evidence a regulator checks offline with
// `fundtrail-verify` (ledger/evidence.h, ledger/bundle.h).
#include <fstream>
#include <iostream>

#include "ledger/export.h"
#include "ledger/json_codec.h"
#include "ledger/proof_file.h"
#include "ledger/store.h"
#include "ledger/tree_head.h"
#include "ledger/validator.h"
#include "tools/commands.h"

namespace fundtrail {

namespace {

// The head a proof is made against: a head file saved earlier (with its witnesses'
// co-signatures, which travel with the proof), or the current head signed now.
Result<CosignedHead> SignedHeadFor(const Ledger& ledger, const std::string& head_file, const std::string& sign_key,
                                   Clock* clock) {
  if (!head_file.empty()) {
    auto head = ReadCosignedHeadFile(head_file);
    if (!head) return Error(head.error());
    Status matches = CheckHeadOfLedger(ledger, head->head);
    if (!matches.ok()) return Error(matches.WithPrefix(head_file));
    return *head;
  }
  if (sign_key.empty()) {
    return Error(Status::InvalidArgument(
        "this needs a signed tree head: give --head FILE (saved with `fundtrail head --sign-key OPERATOR.pem "
        "--out FILE`) or --sign-key OPERATOR.pem to sign the current head"));
  }
  auto head = CurrentTreeHead(ledger, clock->NowMicros());
  if (!head) return Error(head.error());
  auto key = PrivateKey::FromPemFile(sign_key);
  if (!key) return Error(key.error());
  if (HexEncode(AsBytes(key->public_key().raw())) != ledger.state().ledger()->operator_public_key_hex) {
    return Error(Status::PermissionDenied(sign_key + " is not this ledger's operator key; only the operator key "
                                          "signs tree heads"));
  }
  SignTreeHead(*key, &*head);
  return CosignedHead{*head, {}};
}

Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream file(path, std::ios::trunc);
  file << text << "\n";
  if (!file.flush()) return Status::IoError("cannot write " + path);
  return Status::Ok();
}

}  // namespace

int RunProveInclusion(const ProveOptions& options, Clock* clock) {
  auto opened = Ledger::Open(ResolveLedgerDirectory(options.ledger), Ledger::Access::kReadOnly, clock);
  if (!opened) return ReportError(opened.error());
  const Ledger& ledger = **opened;
  if (options.sequence == 0 || options.sequence > ledger.head().sequence) {
    return ReportError(Status::NotFound("--seq " + std::to_string(options.sequence) + ": the log has events 1.." +
                                        std::to_string(ledger.head().sequence)));
  }
  auto cosigned = SignedHeadFor(ledger, options.head_file, options.sign_key, clock);
  if (!cosigned) return ReportError(cosigned.error());
  const TreeHead* head = &cosigned->head;
  auto evidence = BuildInclusionEvidence(ledger, options.sequence, *head, cosigned->cosignatures);
  if (!evidence) return ReportError(evidence.error());
  // Check what we hand out with the same code the regulator's verifier runs.
  auto report = VerifyInclusionEvidence(*evidence);
  if (!report) return ReportError(report.error().WithPrefix("the proof does not verify (run `fundtrail verify`)"));
  std::string text = InclusionEvidenceToJson(*evidence).dump(2);
  if (options.out.empty()) {
    std::cout << text << std::endl;
    return kExitOk;
  }
  Status written = WriteText(options.out, text);
  if (!written.ok()) return ReportError(written);
  const SignerFacts& signer = report->signers.front();
  std::cout << "proof of event " << report->sequence << " (" << report->event_type << ") in the tree of "
            << head->tree_size << " entries, root " << HexEncode(head->root_hash) << "\n"
            << "signed by key " << signer.key_id_hex
            << (signer.operator_key ? " (the operator key)" : " of " + signer.org_id + " (" + RoleNames(signer.roles) + ")")
            << "; " << report->signers.size() << " links back to the genesis\n"
            << "saved to " << options.out << ": check it with `fundtrail-verify " << options.out << "`" << std::endl;
  return kExitOk;
}

int RunProveConsistency(const ProveOptions& options, Clock* clock) {
  auto opened = Ledger::Open(ResolveLedgerDirectory(options.ledger), Ledger::Access::kReadOnly, clock);
  if (!opened) return ReportError(opened.error());
  const Ledger& ledger = **opened;
  auto old_head = ReadTreeHeadFile(options.from_head);
  if (!old_head) return ReportError(old_head.error());
  // The old head must be a head of this log: if the log was rewritten since, there is no proof
  // to give, and `verify --trusted-head` says where it differs.
  Status old_matches = CheckHeadOfLedger(ledger, *old_head);
  if (!old_matches.ok()) return ReportError(old_matches.WithPrefix(options.from_head));
  TreeHead new_head;
  if (!options.head_file.empty()) {
    auto head = ReadTreeHeadFile(options.head_file);
    if (!head) return ReportError(head.error());
    Status matches = CheckHeadOfLedger(ledger, *head);
    if (!matches.ok()) return ReportError(matches.WithPrefix(options.head_file));
    new_head = *head;
  } else {
    auto head = CurrentTreeHead(ledger, clock->NowMicros());
    if (!head) return ReportError(head.error());
    new_head = *head;
  }
  if (old_head->tree_size > new_head.tree_size) {
    return ReportError(Status::InvalidArgument(options.from_head + " has " + std::to_string(old_head->tree_size) +
                                               " entries, more than the new head's " +
                                               std::to_string(new_head.tree_size) + ": swap them"));
  }
  auto hashes = ledger.ConsistencyProof(old_head->tree_size, new_head.tree_size);
  if (!hashes) return ReportError(hashes.error());
  ConsistencyProofFile proof{ledger.ledger_id(), old_head->tree_size, new_head.tree_size, old_head->root_hash,
                             new_head.root_hash, std::move(*hashes)};
  Status checked = VerifyConsistencyProofFile(proof);
  if (!checked.ok()) return ReportError(checked.WithPrefix("the proof does not verify (run `fundtrail verify`)"));
  std::string text = ConsistencyProofToJson(proof).dump(2);
  if (options.out.empty()) {
    std::cout << text << std::endl;
    return kExitOk;
  }
  Status written = WriteText(options.out, text);
  if (!written.ok()) return ReportError(written);
  std::cout << "consistency proof from " << old_head->tree_size << " to " << new_head.tree_size << " entries ("
            << proof.hashes.size() << " hashes): the tree with root " << HexEncode(new_head.root_hash)
            << " extends the one with root " << HexEncode(old_head->root_hash) << "\n"
            << "saved to " << options.out << ": check it with `fundtrail-verify " << options.out << " --trusted-head "
            << options.from_head << " --head NEW.json --operator-key OPERATOR.pub`"
            << (options.head_file.empty() ? " (NEW.json: the current head, `fundtrail head --sign-key ... --out`)" : "")
            << std::endl;
  return kExitOk;
}

int RunExport(const ExportOptions& options, Clock* clock) {
  auto opened = Ledger::Open(ResolveLedgerDirectory(options.ledger), Ledger::Access::kReadOnly, clock);
  if (!opened) return ReportError(opened.error());
  const Ledger& ledger = **opened;
  uint64_t last = ledger.head().sequence;
  auto cosigned = SignedHeadFor(ledger, options.head_file, options.sign_key, clock);
  if (!cosigned) return ReportError(cosigned.error());
  const TreeHead* head = &cosigned->head;
  uint64_t to = options.to_sequence == 0 ? head->tree_size : options.to_sequence;
  if (options.from_sequence == 0 || options.from_sequence > to || to > last) {
    return ReportError(Status::InvalidArgument("--from-seq " + std::to_string(options.from_sequence) + " --to-seq " +
                                               std::to_string(to) + " is not a range of the log's events 1.." +
                                               std::to_string(last)));
  }
  auto summary = ExportBundle(ledger, options.from_sequence, to, *head, clock->NowMicros(), options.out,
                              cosigned->cosignatures);
  if (!summary) return ReportError(summary.error());
  std::cout << "exported events " << summary->from_sequence << ".." << summary->to_sequence << " ("
            << summary->entries << " events in " << summary->submissions << " submissions";
  if (summary->from_sequence != options.from_sequence || summary->to_sequence != to) {
    std::cout << ", widened to whole submissions";
  }
  std::cout << ") to " << options.out << "\n";
  if (summary->from_sequence > 1) {
    std::cout << "with " << summary->context_entries << " earlier events the validation state depends on";
    if (summary->lookup_entries > 0) std::cout << " and " << summary->lookup_entries << " reversed events";
    std::cout << ", each with an inclusion proof\n";
  } else if (summary->lookup_entries > 0) {
    std::cout << "with " << summary->lookup_entries << " reversed events, each with an inclusion proof\n";
  }
  std::cout << "against the head of " << head->tree_size << " entries signed at "
            << FormatTimestamp(head->timestamp_micros) << "\n"
            << "check it offline with `fundtrail-verify " << options.out << "`" << std::endl;
  return kExitOk;
}

}  // namespace fundtrail
