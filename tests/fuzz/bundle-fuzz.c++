// Bundle files (ledger/bundle): what `fundtrail-verify BUNDLE` reads, a regulator's offline
// check of a range of the log. The input is written to a file, as VerifyBundle reads a path.
#include "ledger/bundle.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = fundtrail::fuzz::TheInputFile().Write(data, size);
  auto report = fundtrail::VerifyBundle(path, fundtrail::BundleVerifyOptions());
  (void)report;
  return 0;
}
