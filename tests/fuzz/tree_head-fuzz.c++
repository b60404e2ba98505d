// Head files (ledger/tree_head, ledger/witness): what `--trusted-head`, `--head` and `fundtrail
// witness cosign` read. The input is written to a file and read both as a bare trusted head and
// as a head with co-signatures. A head that reads must print as JSON that reads back the same.
#include "ledger/tree_head.h"
#include "ledger/witness.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fundtrail;
  const std::string& path = fuzz::TheInputFile().Write(data, size);
  if (auto head = ReadTreeHeadFile(path)) {
    std::string printed = TreeHeadToJson(*head).dump();
    auto again = TreeHeadFromJson(nlohmann::json::parse(printed));
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(TreeHeadToJson(*again).dump() == printed);
    std::string message = TreeHeadMessage(*head);
    FUZZ_CHECK(!message.empty());
  }
  if (auto cosigned = ReadCosignedHeadFile(path)) {
    std::string printed = CosignedHeadToJson(*cosigned).dump();
    auto again = CosignedHeadFromJson(nlohmann::json::parse(printed));
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(CosignedHeadToJson(*again).dump() == printed);
  }
  return 0;
}
