// Consistency-proof files (ledger/proof_file): what `fundtrail-verify`, `fundtrail prove
// --check` and `fundtrail witness cosign --proof` read. The input is written to a file; a proof
// that reads is verified against its own sizes and roots, and must print as JSON that reads back
// the same.
#include "ledger/proof_file.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fundtrail;
  const std::string& path = fuzz::TheInputFile().Write(data, size);
  auto proof = ReadConsistencyProofFile(path);
  if (!proof) return 0;
  Status verified = VerifyConsistencyProofFile(*proof);
  (void)verified;
  std::string printed = ConsistencyProofToJson(*proof).dump();
  auto again = ConsistencyProofFromJson(nlohmann::json::parse(printed));
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(ConsistencyProofToJson(*again).dump() == printed);
  return 0;
}
