// Inclusion-proof files (ledger/evidence): what `fundtrail-verify PROOF.json` and `fundtrail
// prove --check` read. The JSON is parsed as fundtrail-verify parses it; evidence that parses is
// verified (the head's signature, every entry's inclusion, the chain of signing keys). Evidence
// that parses must print as JSON that parses to the same evidence.
#include <nlohmann/json.hpp>

#include "ledger/evidence.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fundtrail;
  auto json = nlohmann::json::parse(fuzz::AsView(data, size), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return 0;
  auto evidence = InclusionEvidenceFromJson(json);
  if (!evidence) return 0;
  auto report = VerifyInclusionEvidence(*evidence);
  (void)report;
  std::string printed = InclusionEvidenceToJson(*evidence).dump();
  auto again = InclusionEvidenceFromJson(nlohmann::json::parse(printed));
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(InclusionEvidenceToJson(*again).dump() == printed);
  return 0;
}
