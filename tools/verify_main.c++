// fundtrail-verify: the regulator's offline verifier. Checks bundles (`fundtrail export`),
// inclusion proofs (`fundtrail prove --seq`) and consistency proofs (`fundtrail prove
// --from-head`) without RocksDB or the ledger directory: it links only the verifier core (OpenSSL
// and the schema code). With a witness policy, the head must carry a quorum of co-signatures.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>

#include "ledger/bundle.h"
#include "ledger/dates.h"
#include "ledger/evidence.h"
#include "ledger/merkle.h"
#include "ledger/proof_file.h"
#include "ledger/validator.h"
#include "ledger/witness.h"
#include "tools/commands.h"

namespace fundtrail {
namespace {

int Fail(const Status& status) {
  if (status.code() == StatusCode::kCorruption) {
    std::cerr << "fundtrail-verify: verification FAILED: " << status.message() << std::endl;
    return kExitCorrupt;
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
  std::optional<TreeHead> trusted;       // --trusted-head
  std::optional<CosignedHead> new_head;  // --head (consistency proofs)
  std::optional<PublicKey> operator_key;
  std::optional<WitnessPolicy> witness_policy;
  bool quiet = false;
};

// With a witness policy, the head the evidence rests on needs a quorum of co-signatures. Returns
// the line to print ("" without a policy).
Result<std::string> CheckQuorum(const Options& options, const TreeHead& head,
                                const std::vector<Cosignature>& cosignatures) {
  if (!options.witness_policy) return std::string();
  QuorumReport quorum;
  Status witnessed = CheckWitnessQuorum(CosignedHead{head, cosignatures}, *options.witness_policy, &quorum);
  if (!witnessed.ok()) return Error(witnessed.WithPrefix("the head of " + std::to_string(head.tree_size) + " entries"));
  return "  witnesses: " + quorum.Describe() + "\n";
}

int VerifyBundleFile(const Options& cli) {
  const std::string& path = cli.path;
  const std::optional<TreeHead>& trusted = cli.trusted;
  const bool quiet = cli.quiet;
  BundleVerifyOptions options;
  options.trusted_head = trusted;
  if (!quiet) {
    options.progress = [](uint64_t done, uint64_t total) {
      if (done != total) std::cerr << "verify: " << done << " of " << total << " events" << std::endl;
    };
  }
  auto report = VerifyBundle(path, options);
  if (!report) return Fail(report.error());
  auto witnesses = CheckQuorum(cli, report->head, report->cosignatures);
  if (!witnesses) return Fail(witnesses.error());
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
  if (report->trusted_head_checked) {
    std::cout << "  the log extends the trusted head of " << trusted->tree_size << " entries signed at "
              << FormatTimestamp(trusted->timestamp_micros) << "\n";
  }
  if (header.from_sequence > 1) {
    std::cout << "  note: a partial bundle cannot show that no key was revoked before sequence "
              << header.from_sequence << " outside its context; a bundle from sequence 1 can\n";
  }
  std::cout << *witnesses << std::flush;
  return kExitOk;
}

int VerifyInclusionFile(const nlohmann::json& json, const Options& cli) {
  const std::optional<TreeHead>& trusted = cli.trusted;
  auto evidence = InclusionEvidenceFromJson(json);
  if (!evidence) return Fail(evidence.error());
  auto report = VerifyInclusionEvidence(*evidence);
  if (!report) return Fail(report.error());
  const TreeHead& head = evidence->head;
  if (trusted) {
    if (trusted->ledger_id != head.ledger_id) {
      return Fail(Status::Corruption("the trusted head is for ledger " + HexEncode(AsBytes(trusted->ledger_id)) +
                                     ", the proof for ledger " + HexEncode(AsBytes(head.ledger_id))));
    }
    if (trusted->tree_size != head.tree_size) {
      return Fail(Status::InvalidArgument(
          "the proof is against a head of " + std::to_string(head.tree_size) + " entries, the trusted head has " +
          std::to_string(trusted->tree_size) + ": prove their consistency (fundtrail prove --from-head) or prove "
          "the event against the trusted head (fundtrail prove --head)"));
    }
    if (trusted->root_hash != head.root_hash) {
      return Fail(Status::Corruption("split view: two different heads of size " + std::to_string(head.tree_size) +
                                     ": the proof's root " + HexEncode(head.root_hash) + ", the trusted root " +
                                     HexEncode(trusted->root_hash)));
    }
  }
  auto witnesses = CheckQuorum(cli, head, evidence->cosignatures);
  if (!witnesses) return Fail(witnesses.error());
  std::cout << "ok: event " << report->sequence << " (" << report->event_type << ") is entry "
            << report->sequence << " of the tree of " << head.tree_size
            << " entries whose head the operator key signed at " << FormatTimestamp(head.timestamp_micros) << "\n"
            << "  chain hash " << HexEncode(report->chain_hash) << "\n";
  for (size_t i = 0; i < report->signers.size(); ++i) {
    std::cout << "  " << (i == 0 ? "signed by " : "registered by ") << Describe(report->signers[i]) << "\n";
  }
  std::cout << "  event: " << report->event.dump() << "\n"
            << "  note: a revocation of these keys between their registration and this event is not covered by "
               "an inclusion proof; a bundle from sequence 1 covers it\n"
            << *witnesses << std::flush;
  return kExitOk;
}

// A consistency proof file says the tree of one head is a prefix of the tree of another. The roots
// come from the two signed heads, never from the file.
int VerifyConsistencyFile(const nlohmann::json& json, const Options& cli) {
  auto proof = ConsistencyProofFromJson(json);
  if (!proof) return Fail(proof.error());
  if (!cli.trusted || !cli.new_head || !cli.operator_key) {
    return Fail(Status::InvalidArgument(
        "a consistency proof is checked between two signed heads: give --trusted-head OLD.json (the head you "
        "kept), --head NEW.json (the head it extends to) and --operator-key OPERATOR.pub (their signer)"));
  }
  const TreeHead& old_head = *cli.trusted;
  const TreeHead& new_head = cli.new_head->head;
  for (const auto& [name, head] : {std::pair<const char*, const TreeHead*>{"trusted head", &old_head},
                                   std::pair<const char*, const TreeHead*>{"new head", &new_head}}) {
    Status signed_by_operator = VerifyTreeHeadSignature(*head, *cli.operator_key);
    if (!signed_by_operator.ok()) return Fail(signed_by_operator.WithPrefix(name));
    if (head->ledger_id != proof->ledger_id) {
      return Fail(Status::Corruption(std::string(name) + " is for ledger " + HexEncode(AsBytes(head->ledger_id)) +
                                     ", the proof for ledger " + HexEncode(AsBytes(proof->ledger_id))));
    }
  }
  if (old_head.tree_size == new_head.tree_size && old_head.root_hash != new_head.root_hash) {
    return Fail(Status::Corruption("split view: two different heads of size " + std::to_string(old_head.tree_size) +
                                   " signed by the operator key: root " + HexEncode(old_head.root_hash) + " and root " +
                                   HexEncode(new_head.root_hash)));
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
  auto witnesses = CheckQuorum(cli, new_head, cli.new_head->cosignatures);
  if (!witnesses) return Fail(witnesses.error());
  std::cout << "ok: the head of " << new_head.tree_size << " entries signed at "
            << FormatTimestamp(new_head.timestamp_micros) << " extends the trusted head of " << old_head.tree_size
            << " entries signed at " << FormatTimestamp(old_head.timestamp_micros) << " (" << proof->hashes.size()
            << " hashes)\n"
            << *witnesses << std::flush;
  return kExitOk;
}

}  // namespace
}  // namespace fundtrail

int main(int argc, char** argv) {
  using namespace fundtrail;
  CLI::App app{"fundtrail-verify: check a fundtrail bundle or proof offline, without the ledger"};
  app.set_version_flag("--version", "fundtrail-verify 0.1.0");
  Options options;
  std::string trusted_head_path, head_path, operator_key, witness_policy_path;
  app.add_option("file", options.path,
                 "a bundle (fundtrail export), an inclusion proof (fundtrail prove --seq) or a consistency proof "
                 "(fundtrail prove --from-head)")
      ->required();
  app.add_option("--trusted-head", trusted_head_path, "a signed head saved earlier: the log must extend it");
  app.add_option("--head", head_path, "consistency proofs: the newer signed head");
  app.add_option("--operator-key", operator_key,
                 "consistency proofs: the operator's public key (PEM file or 64 hex digits)");
  app.add_option("--witness-policy", witness_policy_path,
                 "witness policy (JSON): the head must carry a quorum of valid co-signatures");
  app.add_flag("--quiet,-q", options.quiet, "no progress on stderr");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) return app.exit(error);
    std::cerr << "fundtrail-verify: usage error: " << error.what() << " (see fundtrail-verify --help)" << std::endl;
    return kExitUsage;
  }
  if (!trusted_head_path.empty()) {
    auto head = ReadTreeHeadFile(trusted_head_path);
    if (!head) return Fail(head.error());
    options.trusted = *head;
  }
  if (!head_path.empty()) {
    auto head = ReadCosignedHeadFile(head_path);
    if (!head) return Fail(head.error());
    options.new_head = *head;
  }
  if (!operator_key.empty()) {
    auto key = ReadPublicKeyArgument(operator_key, "--operator-key");
    if (!key) return Fail(key.error());
    options.operator_key = *key;
  }
  if (!witness_policy_path.empty()) {
    auto policy = ReadWitnessPolicyFile(witness_policy_path);
    if (!policy) return Fail(policy.error());
    options.witness_policy = std::move(*policy);
  }
  const std::string& path = options.path;
  std::ifstream file(path, std::ios::binary);
  if (!file) return Fail(Status::IoError("cannot open " + path));
  char magic[8] = {};
  file.read(magic, 8);
  if (file.gcount() == 8 && std::string_view(magic, 8) == std::string_view(kBundleMagic, 8)) {
    return VerifyBundleFile(options);
  }
  file.seekg(0);
  auto json = nlohmann::json::parse(file, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return Fail(Status::InvalidArgument(path + " is neither a bundle nor a JSON proof"));
  }
  std::string format = json.value("format", "");
  if (format == kInclusionEvidenceFormat) return VerifyInclusionFile(json, options);
  if (format == kConsistencyProofFormat) return VerifyConsistencyFile(json, options);
  return Fail(Status::InvalidArgument(path + ": unknown proof format \"" + format + "\""));
}
