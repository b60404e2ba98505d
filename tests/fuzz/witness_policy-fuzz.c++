// Witness policies (ledger/witness): what `--witness-policy` reads. The input is written to a
// file; a policy that reads is evaluated on a head co-signed by a key of this process.
#include "ledger/witness.h"
#include "tests/fuzz/fuzz_input.h"

namespace fundtrail::fuzz {
namespace {

// A head with one co-signature.
const CosignedHead& SampleHead(const PrivateKey& witness) {
  static const CosignedHead head = [&] {
    CosignedHead made;
    made.head.ledger_id = std::string(16, '\x11');
    made.head.tree_size = 3;
    made.cosignatures.push_back(SignCosignature(witness, made.head, 1767225600000000, "sample"));
    return made;
  }();
  return head;
}

}  // namespace
}  // namespace fundtrail::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fundtrail;
  const std::string& path = fuzz::TheInputFile().Write(data, size);
  auto policy = ReadWitnessPolicyFile(path);
  if (!policy) return 0;
  FUZZ_CHECK(policy->quorum >= 1 && policy->quorum <= policy->witnesses.size());
  static const PrivateKey witness = PrivateKey::Generate().value();
  QuorumReport report = EvaluateWitnessQuorum(fuzz::SampleHead(witness), *policy);
  std::string described = report.Describe();
  FUZZ_CHECK(!described.empty());
  FUZZ_CHECK(report.witness_count == policy->witnesses.size());
  return 0;
}
