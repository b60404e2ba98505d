// Submissions: the signed body a client sends (canonical(SubmissionBody), which `Ledger::Append`
// decodes first) and the stored submission (canonical(Submission), which `verify`, bundles and
// inclusion proofs decode and the Replayer begins a replay with). The input is tried as both.
// A submission that decodes must hand back a body that decodes too.
#include "ledger/log_format.h"
#include "ledger/replayer.h"
#include "tests/fuzz/fuzz_input.h"

namespace fundtrail::fuzz {
namespace {

// Reads every field the writer and the replayer read.
size_t ReadBody(schema::SubmissionBody::Reader body) {
  size_t bytes = body.getLedgerId().size() + body.getKeyId().size() + body.getSubmissionId().size();
  for (capnp::Data::Reader digest : body.getEventDigests()) bytes += digest.size();
  return bytes + body.getEventCount() + static_cast<size_t>(body.getCreatedAt());
}

class NoEarlierEvents : public EventLookup {
 public:
  Result<EarlierEvent> Find(uint64_t sequence) override {
    return Error(Status::NotFound("no event " + std::to_string(sequence)));
  }
};

}  // namespace
}  // namespace fundtrail::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fundtrail;
  std::string_view input = fuzz::AsView(data, size);
  volatile size_t sink = 0;
  if (auto body = DecodedSubmissionBody::Open(input, "submission body")) {
    sink = sink + fuzz::ReadBody(body->root());
  }
  if (auto submission = DecodedSubmission::Open(input, "submission")) {
    auto root = submission->root();
    sink = sink + root.getFirstSequence() + static_cast<size_t>(root.getAppendedAt()) +
           root.getSignature().size() + fuzz::ReadBody(root.getBody());
    Digest digest = SubmissionDigest(input);
    sink = sink + digest[0];
    auto body = DecodedSubmissionBody::Open(CanonicalBytes(root.getBody()), "its body");
    FUZZ_CHECK(body.has_value());
  }
  // A replay's first submission: the genesis, whose checks need no earlier state.
  fuzz::NoEarlierEvents lookup;
  Replayer replayer(&lookup);
  Status begun = replayer.BeginSubmission(input);
  (void)begun;
  return 0;
}
