#include "ledger/wire.h"

#include <gtest/gtest.h>

#include "ledger/test_util.h"

namespace fundtrail {
namespace {

SignedSubmission Sample() {
  test::TempDir directory;
  PrivateKey key = test::KeyFromSeed(test::SeedFromLabel("wire"), directory.File("wire.pem"));
  std::vector<std::string> events = {test::MustEncode(test::VendorJson("V-1")),
                                     test::MustEncode(test::ProjectJson("P-1"))};
  return SignSubmission(key, std::string(16, '\x07'), "wire-1", 1, std::move(events));
}

TEST(WireTest, AnEnvelopeRoundTripsByteForByte) {
  SignedSubmission submission = Sample();
  std::string text = EncodeSignedSubmission(submission);
  EXPECT_EQ(text.find('\n'), std::string::npos);
  EXPECT_EQ(text.rfind("{\"format\":\"fundtrail-signed-submission-1\",\"body\":\"", 0), 0u) << text;
  auto decoded = DecodeSignedSubmission(text, "request");
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
  EXPECT_EQ(decoded->canonical_body, submission.canonical_body);
  EXPECT_EQ(decoded->signature, submission.signature);
  EXPECT_EQ(decoded->canonical_events, submission.canonical_events);
}

// Each damaged envelope is refused with a message that names the field.
TEST(WireTest, DamagedEnvelopesAreRefusedNamingTheField) {
  const nlohmann::json good = nlohmann::json::parse(EncodeSignedSubmission(Sample()));
  struct Case {
    std::string text;
    std::string message;
  };
  auto with = [&](const char* field, nlohmann::json value) {
    nlohmann::json changed = good;
    changed[field] = std::move(value);
    return changed.dump();
  };
  nlohmann::json without_events = good;
  without_events.erase("events");
  std::string whole = good.dump();
  std::vector<Case> cases = {
      {"", "request is not JSON: "},
      {whole.substr(0, whole.size() / 2), "request is not JSON: "},
      {"[1, 2]", "request must be a JSON object"},
      {with("format", "fundtrail-signed-submission-9"),
       "request: field \"format\" is \"fundtrail-signed-submission-9\", expected "
       "\"fundtrail-signed-submission-1\""},
      {with("body", "abc"), "request: field \"body\" is not hex digits: hex string has odd length 3"},
      {with("body", 7), "request: field \"body\" must be a non-empty string"},
      {with("signature", "00"), "request: field \"signature\""},
      {with("events", nlohmann::json::array()), "request: field \"events\" is empty: give at least one event"},
      {with("events", nlohmann::json::array({"zz"})), "request: events[0] is not hex digits: not a hex digit at position 0"},
      {with("events", nlohmann::json::array({good["events"][0], 5})), "request: events[1] must be a string of hex digits"},
      {with("extra", 1), "request: unknown field \"extra\""},
      {without_events.dump(), "request: field \"events\" is missing"},
      {"{\"format\": \"a\", \"format\": \"b\"}", "request: "},
  };
  for (const Case& c : cases) {
    auto decoded = DecodeSignedSubmission(c.text, "request");
    ASSERT_FALSE(decoded.has_value()) << c.text;
    EXPECT_EQ(decoded.error().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(decoded.error().message().rfind(c.message, 0), 0u) << decoded.error().message();
  }
}

}  // namespace
}  // namespace fundtrail
