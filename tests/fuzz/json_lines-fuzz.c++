// The JSON Lines event codec (ledger/json_codec, through EncodeEvent): what `fundtrail append`
// and `import` run on each line a member's finance department hands them. Each line is parsed
// as JSON and encoded as a canonical event, as ReadJsonLines (ledger/client.c++) does. An event
// that encodes must decode again in canonical form, and its JSON (EncodeEventJson, what `log
// --json` prints) must encode to the same bytes.
#include <nlohmann/json.hpp>

#include "ledger/json_codec.h"
#include "ledger/log_format.h"
#include "ledger/submission.h"
#include "tests/fuzz/fuzz_input.h"

namespace fundtrail::fuzz {
namespace {

void EncodeLine(std::string_view line) {
  auto object = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded()) return;
  auto canonical = EncodeEvent(object);
  if (!canonical) return;
  auto decoded = DecodedEvent::Open(*canonical, "the event");
  FUZZ_CHECK(decoded.has_value());
  nlohmann::ordered_json printed = EncodeEventJson(decoded->root());
  auto again = EncodeEvent(nlohmann::json::parse(printed.dump()));
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(*again == *canonical);
}

}  // namespace
}  // namespace fundtrail::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input = fundtrail::fuzz::AsView(data, size);
  while (!input.empty()) {
    size_t end = input.find('\n');
    fundtrail::fuzz::EncodeLine(input.substr(0, end));
    if (end == std::string_view::npos) break;
    input.remove_prefix(end + 1);
  }
  return 0;
}
