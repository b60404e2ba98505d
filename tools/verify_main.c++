// fundtrail-verify: the regulator's offline verifier. Checks bundles (`fundtrail export`),
// inclusion proofs (`fundtrail prove --seq`) and consistency proofs (`fundtrail prove
// --from-head`) without RocksDB or the ledger directory: it links only the verifier core (OpenSSL
// and the schema code) and the views' fold (projections/views_fold.h, pure). With a witness policy, the head must carry a quorum of co-signatures.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>

#include "ledger/anchors.h"
#include "ledger/bundle.h"
#include "ledger/dates.h"
#include "ledger/evidence.h"
#include "ledger/json_file.h"
#include "ledger/merkle.h"
#include "ledger/proof_file.h"
#include "ledger/validator.h"
#include "ledger/witness.h"
#include "projections/views_fold.h"
#include "tools/commands.h"

namespace fundtrail {
namespace {

int Fail(const Status& status) {
  if (status.code() == StatusCode::kCorruption) {
    std::cerr << "fundtrail-verify: verification FAILED: " << status.message() << std::endl;
    return kExitCorrupt;
  }
  if (status.code() == StatusCode::kNotAnchored) {
    std::cerr << "fundtrail-verify: NOT TRUSTED: the data is valid but not tied to the anchor you gave: "
              << status.message() << std::endl;
    return kExitNotAnchored;
  }
  std::cerr << "fundtrail-verify: error: " << status.message() << std::endl;
  return status.code() == StatusCode::kIoError || status.code() == StatusCode::kNotFound ? kExitIo : kExitUsage;
}

std::string Describe(const SignerFacts& signer) {
  if (signer.operator_key) return "the operator key " + signer.key_id_hex + " (genesis)";
  return "key " + signer.key_id_hex + (signer.label.empty() ? "" : " \"" + signer.label + "\"") + " of " +
         signer.org_id + " (" + RoleNames(signer.roles) + "), registered at sequence " +
         std::to_string(signer.registered_sequence);
}

struct Options {
  std::string path;
  TrustAnchors anchors;                  // --operator-key, --ledger-id, --trusted-head, --witness-policy
  std::optional<CosignedHead> new_head;  // --head (consistency proofs)
  bool quiet = false;
};

int VerifyBundleFile(const Options& cli) {
  const std::string& path = cli.path;
  const bool quiet = cli.quiet;
  BundleVerifyOptions options;
  options.anchors = cli.anchors;
  if (!quiet) {
    options.progress = [](uint64_t done, uint64_t total) {
      if (done != total) std::cerr << "verify: " << done << " of " << total << " events" << std::endl;
    };
  }
  // The views' figures are recomputed and compared with what each submission commits.
  projections::ViewsFold views;
  options.views = &views;
  auto report = VerifyBundle(path, options);
  if (!report) return Fail(report.error());
  const std::optional<TreeHead> trusted =
      cli.anchors.trusted_head ? std::optional<TreeHead>(cli.anchors.trusted_head->head) : std::nullopt;
  const BundleHeader& header = report->header;
  std::cout << "ok: bundle of events " << header.from_sequence << ".." << header.to_sequence << " ("
            << report->entries << " events in " << report->submissions << " submissions) of ledger "
            << HexEncode(AsBytes(header.ledger_id)) << ", alliance " << report->alliance_id << "\n"
            << "  every event replays: digest signed by its submission, chain hash, " << report->submissions
            << " submission signatures, keys valid and permitted, validation rules\n";
  if (header.from_sequence > 1) {
    std::cout << "  " << report->context_entries << " earlier events the validation state depends on and "
              << report->lookup_entries << " referenced (reversed) events are proven in the head's tree\n";
  } else if (report->lookup_entries > 0) {
    std::cout << "  " << report->lookup_entries << " referenced (reversed) events are proven in the head's tree\n";
  }
  std::cout << "  the entries form a tree that the head of " << report->head.tree_size
            << " entries extends; the head is signed by the operator key at "
            << FormatTimestamp(report->head.timestamp_micros) << "\n";
  if (report->views_checked > 0) {
    std::cout << "  the views' figures (grants, members, alliance) fold from the events into the digest each of "
              << report->views_checked << " submissions commits\n";
  }
  if (report->views_unchecked > 0) {
    std::cout << "  note: " << report->views_unchecked << " submissions commit views of another fold version than "
              << "this fundtrail-verify computes (" << projections::kViewsFoldVersion << "); not compared\n";
  }
  if (report->trusted_head_checked) {
    std::cout << "  the log extends the trusted head of " << trusted->tree_size << " entries signed at "
              << FormatTimestamp(trusted->timestamp_micros) << "\n";
  }
  if (header.from_sequence > 1) {
    std::cout << "  note: a partial bundle cannot show that no key was revoked before sequence "
              << header.from_sequence << " outside its context; a bundle from sequence 1 can\n";
  }
  std::cout << report->anchors.Describe() << std::flush;
  return kExitOk;
}

int VerifyInclusionFile(const nlohmann::json& json, const Options& cli) {
  auto evidence = InclusionEvidenceFromJson(json);
  if (!evidence) return Fail(evidence.error());
  auto report = VerifyInclusionEvidence(*evidence);
  if (!report) return Fail(report.error());
  const TreeHead& head = evidence->head;
  auto operator_key = PublicKey::FromRaw(*HexDecode(report->operator_public_key_hex));
  FT_ASSERT(operator_key.has_value());
  auto anchors = CheckAnchors(cli.anchors, head.ledger_id, *operator_key);
  if (!anchors) return Fail(anchors.error());
  Status witnessed = CheckWitnessAnchor(cli.anchors, CosignedHead{head, evidence->cosignatures}, &*anchors);
  if (!witnessed.ok()) return Fail(witnessed);
  if (cli.anchors.trusted_head) {
    const TreeHead& trusted = cli.anchors.trusted_head->head;
    // An inclusion proof shows its head's tree only at the head's own size.
    std::optional<TreePoint> shown;
    if (trusted.tree_size == head.tree_size) shown = TreePoint{head.tree_size, head.root_hash, head.chain_hash};
    Status unreachable = Status::InvalidArgument(
        "the proof is against a head of " + std::to_string(head.tree_size) + " entries, the trusted head has " +
        std::to_string(trusted.tree_size) + ": prove their consistency (fundtrail prove --from-head) or prove "
        "the event against the trusted head (fundtrail prove --head)");
    Status compared = CompareWithTrustedHead(trusted, shown, head.tree_size, unreachable);
    if (!compared.ok()) return Fail(compared);
  }
  std::cout << "ok: event " << report->sequence << " (" << report->event_type << ") is entry "
            << report->sequence << " of the tree of " << head.tree_size
            << " entries whose head the operator key signed at " << FormatTimestamp(head.timestamp_micros) << "\n"
            << "  chain hash " << HexEncode(report->chain_hash) << "\n";
  for (size_t i = 0; i < report->signers.size(); ++i) {
    std::cout << "  " << (i == 0 ? "signed by " : "registered by ") << Describe(report->signers[i]) << "\n";
  }
  // A hostile (validly signed) event may hold Text that is not UTF-8: dump() would throw on it.
  std::cout << "  event: " << report->event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n"
            << "  note: a revocation of these keys between their registration and this event is not covered by "
               "an inclusion proof; a bundle from sequence 1 covers it\n"
            << anchors->Describe() << std::flush;
  return kExitOk;
}

// A consistency proof file says the tree of one head is a prefix of the tree of another. The roots
// come from the two signed heads, never from the file.
int VerifyConsistencyFile(const nlohmann::json& json, const Options& cli) {
  auto proof = ConsistencyProofFromJson(json);
  if (!proof) return Fail(proof.error());
  if (!cli.anchors.trusted_head || !cli.new_head || !cli.anchors.operator_key) {
    return Fail(Status::InvalidArgument(
        "a consistency proof is checked between two signed heads: give --trusted-head OLD.json (the head you "
        "kept), --head NEW.json (the head it extends to) and --operator-key OPERATOR.pub (their signer)"));
  }
  const TreeHead& old_head = cli.anchors.trusted_head->head;
  const TreeHead& new_head = cli.new_head->head;
  const PublicKey& operator_key = *cli.anchors.operator_key;
  // The anchors: the trusted head is signed by the operator key and of the same ledger as the new
  // head, which is of the ledger --ledger-id names.
  auto anchors = CheckAnchors(cli.anchors, new_head.ledger_id, operator_key);
  if (!anchors) return Fail(anchors.error());
  Status new_signed = CheckHeadSignedBy(new_head, operator_key, "the new head");
  if (!new_signed.ok()) return Fail(new_signed);
  if (new_head.ledger_id != proof->ledger_id) {
    return Fail(Status::Corruption("the new head is for ledger " + HexEncode(AsBytes(new_head.ledger_id)) +
                                   ", the proof for ledger " + HexEncode(AsBytes(proof->ledger_id))));
  }
  if (old_head.tree_size == new_head.tree_size) {
    TreePoint shown{new_head.tree_size, new_head.root_hash, new_head.chain_hash};
    Status compared = CompareWithTrustedHead(old_head, shown, new_head.tree_size,
                                             Status::InvalidArgument("unreachable: the sizes are equal"));
    if (!compared.ok()) return Fail(compared);
  }
  if (proof->old_size != old_head.tree_size || proof->new_size != new_head.tree_size) {
    return Fail(Status::InvalidArgument("the proof is from " + std::to_string(proof->old_size) + " to " +
                                        std::to_string(proof->new_size) + " entries, the heads have " +
                                        std::to_string(old_head.tree_size) + " and " +
                                        std::to_string(new_head.tree_size)));
  }
  Status consistent = VerifyConsistency(old_head.tree_size, new_head.tree_size, old_head.root_hash,
                                        new_head.root_hash, proof->hashes);
  if (!consistent.ok()) {
    return Fail(Status::Corruption("the new head does not extend the trusted head: " + consistent.message()));
  }
  Status witnessed = CheckWitnessAnchor(cli.anchors, *cli.new_head, &*anchors);
  if (!witnessed.ok()) return Fail(witnessed);
  std::cout << "ok: the head of " << new_head.tree_size << " entries signed at "
            << FormatTimestamp(new_head.timestamp_micros) << " extends the trusted head of " << old_head.tree_size
            << " entries signed at " << FormatTimestamp(old_head.timestamp_micros) << " (" << proof->hashes.size()
            << " hashes)\n"
            << anchors->Describe() << std::flush;
  return kExitOk;
}

}  // namespace
}  // namespace fundtrail

int main(int argc, char** argv) {
  using namespace fundtrail;
  CLI::App app{"fundtrail-verify: check a fundtrail bundle or proof offline, without the ledger"};
  app.set_version_flag("--version", "fundtrail-verify 0.1.0");
  app.footer(
      "Trust anchors: without --operator-key, --ledger-id, --trusted-head or --witness-policy a file shows only\n"
      "that it is internally consistent (anyone could have made it with a key of their own); give at least one.\n"
      "Exit codes: 0 verified; 1 bad command line or malformed file; 3 altered or forged data (a hash, signature\n"
      "or proof inside the file fails); 5 missing or unreadable file; 6 valid data not tied to the anchor given\n"
      "(another operator key or ledger id, an unsigned or wrongly signed trusted head, no witness quorum).");
  Options options;
  TrustAnchorArguments anchor_arguments;
  std::string head_path;
  app.add_option("file", options.path,
                 "a bundle (fundtrail export), an inclusion proof (fundtrail prove --seq) or a consistency proof "
                 "(fundtrail prove --from-head)")
      ->required();
  app.add_option("--operator-key", anchor_arguments.operator_key,
                 "anchor: the operator's public key (the .pub file of fundtrail keygen, a PEM file, or 64 hex "
                 "digits); the file's genesis must name it and it must sign the heads (required for consistency "
                 "proofs)");
  app.add_option("--ledger-id", anchor_arguments.ledger_id,
                 "anchor: the ledger id (32 hex digits); the file must be of this ledger");
  app.add_option("--trusted-head", anchor_arguments.trusted_head,
                 "anchor: a head signed by the operator key, saved earlier: the log must extend it");
  app.add_option("--witness-policy", anchor_arguments.witness_policy,
                 "anchor: a witness policy (JSON): the head must carry a quorum of valid co-signatures");
  app.add_option("--head", head_path, "consistency proofs: the newer signed head");
  app.add_flag("--quiet,-q", options.quiet, "no progress on stderr");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) return app.exit(error);
    std::cerr << "fundtrail-verify: usage error: " << error.what() << " (see fundtrail-verify --help)" << std::endl;
    return kExitUsage;
  }
  auto anchors = ReadTrustAnchors(anchor_arguments);
  if (!anchors) return Fail(anchors.error());
  options.anchors = std::move(*anchors);
  if (!head_path.empty()) {
    auto head = ReadCosignedHeadFile(head_path);
    if (!head) return Fail(head.error());
    options.new_head = *head;
  }
  const std::string& path = options.path;
  // A bundle streams and may be of any size; a JSON proof is read whole, within kJsonFileSizeBytesMax.
  auto regular = CheckRegularFile(path, "file", UINT64_MAX);
  if (!regular) return Fail(regular.error());
  std::ifstream file(path, std::ios::binary);
  if (!file) return Fail(Status::IoError("cannot open " + path));
  char magic[8] = {};
  file.read(magic, 8);
  if (file.gcount() == 8 && std::string_view(magic, 8) == std::string_view(kBundleMagic, 8)) {
    return VerifyBundleFile(options);
  }
  file.close();
  auto json = ReadJsonFile(path, "proof file");
  if (!json && json.error().code() == StatusCode::kInvalidArgument) {
    return Fail(Status::InvalidArgument(path + " is neither a bundle nor a JSON proof (" + json.error().message() +
                                        ")"));
  }
  if (!json) return Fail(json.error());
  auto format = json->is_object() && json->contains("format") && (*json)["format"].is_string()
                    ? (*json)["format"].get<std::string>()
                    : std::string();
  if (format == kInclusionEvidenceFormat) return VerifyInclusionFile(*json, options);
  if (format == kConsistencyProofFormat) return VerifyConsistencyFile(*json, options);
  return Fail(Status::InvalidArgument(path + ": unknown proof format \"" + format + "\" (want \"" +
                                      kInclusionEvidenceFormat + "\" or \"" + kConsistencyProofFormat + "\")"));
}
