// fundtrail-verify: the regulator's offline verifier. Checks bundles (`fundtrail export`) and
// inclusion proofs (`fundtrail prove --seq`) without RocksDB or the ledger directory: it links
// only the verifier core (OpenSSL and the schema code).
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>

#include "ledger/bundle.h"
#include "ledger/dates.h"
#include "ledger/evidence.h"
#include "ledger/validator.h"
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

int VerifyBundleFile(const std::string& path, const std::optional<TreeHead>& trusted, bool quiet) {
  BundleVerifyOptions options;
  options.trusted_head = trusted;
  if (!quiet) {
    options.progress = [](uint64_t done, uint64_t total) {
      if (done != total) std::cerr << "verify: " << done << " of " << total << " events" << std::endl;
    };
  }
  auto report = VerifyBundle(path, options);
  if (!report) return Fail(report.error());
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
  std::cout << std::flush;
  return kExitOk;
}

int VerifyInclusionFile(const nlohmann::json& json, const std::optional<TreeHead>& trusted) {
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
            << std::flush;
  return kExitOk;
}

}  // namespace
}  // namespace fundtrail

int main(int argc, char** argv) {
  using namespace fundtrail;
  CLI::App app{"fundtrail-verify: check a fundtrail bundle or proof offline, without the ledger"};
  app.set_version_flag("--version", "fundtrail-verify 0.1.0");
  std::string path, trusted_head_path;
  bool quiet = false;
  app.add_option("file", path, "a bundle (fundtrail export) or an inclusion proof (fundtrail prove --seq)")->required();
  app.add_option("--trusted-head", trusted_head_path, "a signed head saved earlier: the log must extend it");
  app.add_flag("--quiet,-q", quiet, "no progress on stderr");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) return app.exit(error);
    std::cerr << "fundtrail-verify: usage error: " << error.what() << " (see fundtrail-verify --help)" << std::endl;
    return kExitUsage;
  }
  std::optional<TreeHead> trusted;
  if (!trusted_head_path.empty()) {
    auto head = ReadTreeHeadFile(trusted_head_path);
    if (!head) return Fail(head.error());
    trusted = *head;
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) return Fail(Status::IoError("cannot open " + path));
  char magic[8] = {};
  file.read(magic, 8);
  if (file.gcount() == 8 && std::string_view(magic, 8) == std::string_view(kBundleMagic, 8)) {
    return VerifyBundleFile(path, trusted, quiet);
  }
  file.seekg(0);
  auto json = nlohmann::json::parse(file, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return Fail(Status::InvalidArgument(path + " is neither a bundle nor a JSON proof"));
  }
  std::string format = json.value("format", "");
  if (format == kInclusionEvidenceFormat) return VerifyInclusionFile(json, trusted);
  return Fail(Status::InvalidArgument(path + ": unknown proof format \"" + format + "\""));
}
