#include "ledger/log_format.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "ledger/json_codec.h"
#include "ledger/submission.h"
#include "ledger/test_util.h"

namespace fundtrail {
namespace {

using nlohmann::json;
using test::Hex;
using test::Unhex;

// {"type": "reversal", "target_sequence": 7, "reason": "dup"} in canonical form, derived by hand
// from the Cap'n Proto encoding spec, word by word:
//   root struct pointer, offset 0, 1 data word, 1 pointer      00000000 01000100
//   Event data: union discriminant 18 (reversal)               12000000 00000000
//   Event pointer 0: struct pointer to Reversal, 1 data, 1 ptr 00000000 01000100
//   Reversal data: target_sequence 7                           07000000 00000000
//   Reversal pointer 0: list pointer, byte elements, count 4   01000000 22000000
//   "dup\0", padded to a word                                  64757000 00000000
constexpr char kReversalCanonicalHex[] =
    "0000000001000100120000000000000000000000010001000700000000000000010000002200000064757000"
    "00000000";
// SHA-256("FTEVENT1" || the bytes above), computed with an independent SHA-256 implementation.
constexpr char kReversalDigestHex[] = "9a6a9604c4cf10ae79c26dd65efeabc7a321fd9b7fa5a89a2e6b6a5147f703e9";

Digest Filled(uint8_t byte) {
  Digest digest;
  digest.fill(byte);
  return digest;
}

std::string ReversalCanonical() {
  return test::MustEncode({{"type", "reversal"}, {"target_sequence", 7}, {"reason", "dup"}});
}

TEST(LogFormatTest, CanonicalEventBytesMatchTheHandDerivedEncoding) {
  EXPECT_EQ(Hex(ReversalCanonical()), kReversalCanonicalHex);
  EXPECT_EQ(Hex(EventDigest(ReversalCanonical())), kReversalDigestHex);
  ChainHasher hasher;
  EXPECT_EQ(Hex(hasher.Event(ReversalCanonical())), kReversalDigestHex);
  EXPECT_EQ(Hex(hasher.Event(ReversalCanonical())), kReversalDigestHex) << "a reused hasher must reset";
}

TEST(LogFormatTest, DigestGoldenValues) {
  // Expected values computed with an independent SHA-256 implementation.
  EXPECT_EQ(Hex(ChainHash(Digest{}, 1, Filled(0x11), Filled(0x22))),
            "3f9ff34912dc9771dc51f0067d7d93ae6d86036774c7c0417d6f67a0edc55a4f");
  EXPECT_EQ(Hex(ChainHash(Filled(0xab), 0x0102030405060708ull, Filled(0x11), Filled(0x22))),
            "3d2b0bb83bcd562f463a7b9ab69abbc0058a646ae9de3ca1f4cb7a7e79db4039");
  EXPECT_EQ(Hex(SubmissionDigest(Unhex(kReversalCanonicalHex))),
            "ebd4d4992587ef2edd8edd9567689861370a9c3a2b4a9650c9fd4b0ab3ad10de");
  EXPECT_EQ(SignedMessage("body"), "FTSIGN01body");
  // Each input of the chain hash matters.
  Digest base = ChainHash(Digest{}, 1, Filled(0x11), Filled(0x22));
  EXPECT_NE(ChainHash(Filled(1), 1, Filled(0x11), Filled(0x22)), base);
  EXPECT_NE(ChainHash(Digest{}, 2, Filled(0x11), Filled(0x22)), base);
  EXPECT_NE(ChainHash(Digest{}, 1, Filled(0x12), Filled(0x22)), base);
  EXPECT_NE(ChainHash(Digest{}, 1, Filled(0x11), Filled(0x23)), base);
  // The domain tags keep the kinds of hash apart.
  EXPECT_NE(EventDigest("x"), SubmissionDigest("x"));
  ChainHasher hasher;
  EXPECT_EQ(hasher.Chain(Digest{}, 1, Filled(0x11), Filled(0x22)), base);
  EXPECT_EQ(hasher.Chain(Digest{}, 1, Filled(0x11), Filled(0x22)), base);
}

TEST(LogFormatTest, EntryLayoutAndRoundTrip) {
  Digest chain = Filled(0x5a);
  std::string event = ReversalCanonical();
  std::string record = EncodeEntry(chain, 0x0102030405060708ull, event);
  ASSERT_EQ(record.size(), kEntryHeaderSizeBytes + event.size());
  EXPECT_EQ(Hex(record.substr(0, 1)), "01");
  EXPECT_EQ(Hex(record.substr(1, 32)), Hex(chain));
  EXPECT_EQ(Hex(record.substr(33, 8)), "0102030405060708");
  EXPECT_EQ(record.substr(41), event);

  auto view = DecodeEntry(record);
  ASSERT_TRUE(view.has_value()) << view.error().message();
  EXPECT_EQ(view->chain_hash, chain);
  EXPECT_EQ(view->submission_sequence, 0x0102030405060708ull);
  EXPECT_EQ(view->canonical_event, event);
}

TEST(LogFormatTest, DecodeEntryRejectsShortRecordsAndOtherVersions) {
  std::string record = EncodeEntry(Filled(1), 1, ReversalCanonical());
  for (size_t size : {size_t{0}, size_t{1}, size_t{41}, size_t{48}}) {
    auto view = DecodeEntry(record.substr(0, size));
    ASSERT_FALSE(view.has_value()) << size;
    EXPECT_EQ(view.error().code(), StatusCode::kCorruption);
    EXPECT_EQ(view.error().message(),
              "entry record is " + std::to_string(size) + " bytes, shorter than the smallest entry");
  }
  EXPECT_TRUE(DecodeEntry(record.substr(0, 49)).has_value()) << "the event itself is checked later";
  for (uint8_t version : {0, 2, 0xff}) {
    std::string other = record;
    other[0] = static_cast<char>(version);
    auto view = DecodeEntry(other);
    ASSERT_FALSE(view.has_value());
    EXPECT_EQ(view.error().code(), StatusCode::kCorruption);
    EXPECT_EQ(view.error().message(),
              "entry record has format version " + std::to_string(version) + ", expected 1");
  }
}

// Expects Open to fail with a Corruption status naming `what`.
void ExpectCorrupt(std::string_view bytes, const std::string& expected_message_part) {
  auto decoded = DecodedEvent::Open(bytes, "event 9");
  ASSERT_FALSE(decoded.has_value()) << "accepted " << Hex(bytes);
  EXPECT_EQ(decoded.error().code(), StatusCode::kCorruption);
  EXPECT_EQ(decoded.error().message().rfind("event 9 ", 0), 0u) << decoded.error().message();
  EXPECT_NE(decoded.error().message().find(expected_message_part), std::string::npos)
      << decoded.error().message();
}

std::string SegmentBytes(kj::ArrayPtr<const capnp::word> segment) {
  auto bytes = segment.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

TEST(LogFormatTest, OpenAcceptsCanonicalEvents) {
  auto decoded = DecodedEvent::Open(ReversalCanonical(), "event");
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
  ASSERT_TRUE(decoded->root().isReversal());
  EXPECT_EQ(decoded->root().getReversal().getTargetSequence(), 7u);
  // The root stays valid when the Decoded is moved.
  DecodedEvent moved = std::move(*decoded);
  std::vector<DecodedEvent> many;
  many.push_back(std::move(moved));
  for (int i = 0; i < 20; ++i) many.push_back(std::move(*DecodedEvent::Open(ReversalCanonical(), "event")));
  EXPECT_EQ(std::string(many[0].root().getReversal().getReason().cStr()), "dup");
}

// LogEventReader skips Open's checks, but whatever a damaged event makes reading throw comes
// back as Corruption naming the event, never as an exception or a crash.
TEST(LogFormatTest, LogEventReaderReadsEventsAndReportsDamage) {
  LogEventReader reader;
  uint64_t target = 0;
  auto read_target = [&](schema::Event::Reader event) {
    target = event.getReversal().getTargetSequence();
    (void)event.getReversal().getReason();
    return Status::Ok();
  };
  const std::string canonical = ReversalCanonical();
  ASSERT_TRUE(reader.Read(canonical, 3, read_target).ok());
  EXPECT_EQ(target, 7u);
  // Unaligned bytes are read as well.
  std::string shifted = "x" + canonical;
  ASSERT_TRUE(reader.Read(std::string_view(shifted).substr(1), 3, read_target).ok());
  // What `use` returns is returned.
  Status refused = reader.Read(canonical, 3, [](schema::Event::Reader) { return Status::NotFound("no"); });
  EXPECT_EQ(refused.code(), StatusCode::kNotFound);
  Status odd = reader.Read(canonical.substr(0, 13), 4, read_target);
  EXPECT_EQ(odd.code(), StatusCode::kCorruption);
  EXPECT_NE(odd.message().find("sequence 4 is 13 bytes"), std::string::npos) << odd.message();
  // Every truncation, and random damage: Corruption or a value, never a throw.
  for (size_t words = 1; words < canonical.size() / 8; ++words) {
    Status truncated = reader.Read(canonical.substr(0, words * 8), 5, read_target);
    EXPECT_FALSE(truncated.ok()) << words;
    EXPECT_NE(truncated.message().find("sequence 5"), std::string::npos) << truncated.message();
  }
  std::mt19937_64 random(20261128);
  int reported = 0;
  for (int round = 0; round < 2000; ++round) {
    std::string damaged = canonical;
    for (int flips = 0; flips < 3; ++flips) damaged[random() % damaged.size()] ^= static_cast<char>(1 + random() % 255);
    Status status = reader.Read(damaged, 6, [&](schema::Event::Reader event) {
      if (event.isReversal()) {
        (void)event.getReversal().getTargetSequence();
        (void)std::string(event.getReversal().getReason().cStr());
      }
      return Status::Ok();
    });
    if (!status.ok()) {
      ++reported;
      EXPECT_EQ(status.code(), StatusCode::kCorruption);
      EXPECT_NE(status.message().find("run `fundtrail verify`"), std::string::npos) << status.message();
    }
  }
  EXPECT_GT(reported, 0);
  // An event type this version does not know is damage too, as for Open (26, grant_terminated,
  // is the last it knows).
  for (uint8_t discriminant : {27, 200}) {
    std::string unknown = canonical;
    unknown[8] = static_cast<char>(discriminant);
    bool used = false;
    Status status = reader.Read(unknown, 7, [&](schema::Event::Reader) {
      used = true;
      return Status::Ok();
    });
    EXPECT_FALSE(used);
    EXPECT_NE(status.message().find("sequence 7 is of an event type this version does not know"), std::string::npos)
        << status.message();
  }
  // Exceptions other than Cap'n Proto's are not taken for damage.
  EXPECT_THROW((void)reader.Read(canonical, 8, [](schema::Event::Reader) -> Status {
                 throw std::runtime_error("a bug");
               }),
               std::runtime_error);
}

TEST(LogFormatTest, OpenRejectsBadLengths) {
  std::string canonical = ReversalCanonical();
  ExpectCorrupt("", "is 0 bytes, not a whole number of 8-byte words");
  ExpectCorrupt(canonical.substr(0, 13), "is 13 bytes, not a whole number of 8-byte words");
  ExpectCorrupt(canonical + "x", "not a whole number of 8-byte words");
}

TEST(LogFormatTest, OpenRejectsTruncatedAndPaddedMessages) {
  std::string canonical = ReversalCanonical();
  for (size_t words = 1; words < canonical.size() / 8; ++words) {
    SCOPED_TRACE(words);
    ExpectCorrupt(canonical.substr(0, words * 8), "");
  }
  // A trailing word the message does not use.
  ExpectCorrupt(canonical + std::string(8, '\0'), "is not in canonical form");
}

TEST(LogFormatTest, OpenRejectsOrphanedSpace) {
  // Setting a text field twice leaves the first text orphaned in the segment: a valid message,
  // but not canonical, so its bytes must not be accepted for hashing.
  capnp::MallocMessageBuilder message;
  auto reversal = message.initRoot<schema::Event>().initReversal();
  reversal.setTargetSequence(7);
  reversal.setReason("a reason that will be replaced");
  reversal.setReason("dup");
  kj::Array<capnp::word> flat = capnp::messageToFlatArray(message);
  // A one-segment flat array: one word of segment table, then the segment.
  ASSERT_EQ(message.getSegmentsForOutput().size(), 1u);
  std::string segment = SegmentBytes(flat.slice(1, flat.size()));
  ExpectCorrupt(segment, "is not in canonical form");
  // The same content, canonicalised, is accepted and equals what the codec produces.
  EXPECT_EQ(CanonicalBytes(message.getRoot<schema::Event>().asReader()), ReversalCanonical());
  EXPECT_TRUE(DecodedEvent::Open(ReversalCanonical(), "event").has_value());
}

TEST(LogFormatTest, OpenRejectsNonCanonicalLayouts) {
  // A struct data section with a trailing zero word: canonical form truncates it.
  capnp::MallocMessageBuilder message;
  auto reversal = message.initRoot<schema::Event>().initReversal();
  reversal.setTargetSequence(0);
  reversal.setReason("dup");
  std::string raw = SegmentBytes(message.getSegmentsForOutput()[0]);
  std::string canonical = CanonicalBytes(message.getRoot<schema::Event>().asReader());
  ASSERT_NE(raw, canonical);
  ExpectCorrupt(raw, "is not in canonical form");
  EXPECT_TRUE(DecodedEvent::Open(canonical, "event").has_value());
}

TEST(LogFormatTest, OpenRejectsFarPointers) {
  // Tiny fixed-size segments force the root struct into a second segment, reached through a far
  // pointer. Canonical messages have one segment and no far pointers.
  capnp::MallocMessageBuilder message(1, capnp::AllocationStrategy::FIXED_SIZE);
  auto reversal = message.initRoot<schema::Event>().initReversal();
  reversal.setTargetSequence(7);
  reversal.setReason("dup");
  auto segments = message.getSegmentsForOutput();
  ASSERT_GT(segments.size(), 1u);
  // The first segment alone points to a segment that does not exist.
  ExpectCorrupt(SegmentBytes(segments[0]), "");
  // All segments concatenated: the far pointer still names segment 1, which a one-segment reader
  // does not have.
  std::string all;
  for (auto segment : segments) all += SegmentBytes(segment);
  ExpectCorrupt(all, "");
}

TEST(LogFormatTest, OpenRejectsTextWithoutItsNulTerminator) {
  // Regression: isCanonical() does not look inside texts, so "dupx" in place of "dup\0" passed
  // Open, and the first read of the reason threw a kj::Exception in whoever read it (Append
  // crashed on such a submission).
  std::string damaged = Unhex(kReversalCanonicalHex);
  ASSERT_EQ(damaged[43], '\0');
  damaged[43] = 'x';
  ExpectCorrupt(damaged, "is not a valid Cap'n Proto message");
  // The same inside a list of texts, and inside a struct in a list.
  std::string goals = test::MustEncode({{"type", "finding_recorded"}, {"finding_id", "F-1"}, {"subject", "s"},
                                        {"severity", "low"}, {"text", "t"}, {"flag_ids", {"abc", "defg"}}});
  size_t at = goals.find(std::string("defg\0", 5));
  ASSERT_NE(at, std::string::npos);
  goals[at + 4] = 'h';
  ExpectCorrupt(goals, "is not a valid Cap'n Proto message");
  std::string tasks = test::MustEncode({{"type", "agreement_registered"}, {"agreement_id", "A"}, {"title", "t"},
                                        {"document_hash", "00"}, {"goals", json::array()},
                                        {"tasks", json::array({{{"org_id", "ORG"}, {"description", "work"}}})},
                                        {"ownership_shares", json::array()}, {"revenue_shares", json::array()},
                                        {"date", "2024-01-01"}});
  at = tasks.find(std::string("work\0", 5));
  ASSERT_NE(at, std::string::npos);
  tasks[at + 4] = 's';
  ExpectCorrupt(tasks, "is not a valid Cap'n Proto message");
}

// Reads bytes that Open accepted in full, as `fundtrail log --json` would; nothing may throw.
// Under a small traversal limit: Open accepts lists of a few million zero-sized structs (they are
// canonical, and its own limit bounds them), and turning those into JSON would only be slow.
void ExpectReadableInFull(const std::string& bytes) {
  kj::Array<capnp::word> words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), bytes.data(), bytes.size());
  kj::ArrayPtr<const capnp::word> segment = words.asPtr();
  capnp::ReaderOptions options;
  options.traversalLimitInWords = 1 << 16;
  capnp::SegmentArrayMessageReader reader(kj::arrayPtr(&segment, 1), options);
  kj::Maybe<kj::Exception> failure =
      kj::runCatchingExceptions([&]() { EncodeEventJson(reader.getRoot<schema::Event>()); });
  KJ_IF_MAYBE(exception, failure) {
    std::string description = exception->getDescription().cStr();
    EXPECT_NE(description.find("traversal limit"), std::string::npos) << description << "\n" << Hex(bytes);
  }
}

TEST(LogFormatTest, OpenNeverCrashesOnDamagedBytes) {
  // Every single-bit flip of canonical events with texts, data, enum lists and struct lists, and
  // random garbage: Open either rejects with Corruption, or accepts bytes that are their own
  // canonical form and can be read in full without throwing. (A longer run of the same, over
  // millions of random multi-byte changes, found the stray tag bit and unknown union members.)
  test::TempDir directory;
  test::TestAlliance alliance(directory.path());
  std::vector<std::string> samples = {
      test::MustEncode(test::FundsDisbursedJson("G-1", "UNI-1", "12.00 CNY")),
      test::MustEncode(test::GrantJson("G-1", "MOST", "P-1")),
      test::MustEncode(test::KeyRegisteredJson(alliance.admin, "SEC", {"admin", "auditor"})),
      test::MustEncode({{"type", "agreement_registered"}, {"agreement_id", "A"}, {"title", "t"},
                        {"document_hash", "0011"}, {"goals", {"g1", "goal two"}},
                        {"tasks", json::array({{{"org_id", "ORG"}, {"description", "work"}}})},
                        {"ownership_shares", json::array({{{"org_id", "ORG"}, {"basis_points", 10000}}})},
                        {"revenue_shares", json::array()}, {"date", "2024-01-01"}}),
  };
  for (const std::string& canonical : samples) {
    size_t accepted = 0;
    for (size_t bit = 0; bit < canonical.size() * 8; ++bit) {
      std::string damaged = canonical;
      damaged[bit / 8] ^= static_cast<char>(1 << (bit % 8));
      auto decoded = DecodedEvent::Open(damaged, "event");
      if (!decoded) {
        ASSERT_EQ(decoded.error().code(), StatusCode::kCorruption);
        continue;
      }
      ++accepted;
      ASSERT_EQ(CanonicalBytes(decoded->root()), damaged) << "bit " << bit;
      ExpectReadableInFull(damaged);
    }
    EXPECT_GT(accepted, 0u) << "flips inside text and amounts keep the message canonical";
    EXPECT_LT(accepted, canonical.size() * 8) << "flips in pointers must be rejected";
  }

  std::mt19937_64 random(7);
  for (int round = 0; round < 4000; ++round) {
    const std::string& sample = samples[round % samples.size()];
    std::string garbage((1 + random() % 16) * 8, '\0');
    for (char& c : garbage) c = static_cast<char>(random());
    if (round % 2 == 0) {
      // A plausible start: the sample's first words, then garbage.
      size_t kept = std::min(garbage.size(), (random() % 4) * 8 + 8);
      garbage.replace(0, kept, sample.substr(0, kept));
    }
    auto decoded = DecodedEvent::Open(garbage, "event");
    if (decoded) {
      ASSERT_EQ(CanonicalBytes(decoded->root()), garbage);
      ExpectReadableInFull(garbage);
    } else {
      ASSERT_EQ(decoded.error().code(), StatusCode::kCorruption);
    }
  }
}

TEST(LogFormatTest, OpenRejectsPointersOfTheWrongKind) {
  // A canonical message whose key_registered.public_key (Data) is a struct pointer: canonical,
  // but a typed read throws, so Open must reject it.
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<capnp::AnyPointer>();
  auto event = root.initAs<schema::Event>();
  auto key = event.initKeyRegistered();
  key.setOrgId("ORG");
  // Overwrite pointer 0 of KeyRegistered (public_key) with an empty struct.
  capnp::AnyStruct::Builder any = capnp::toAny(key);
  any.getPointerSection()[0].initAs<schema::Share>();
  std::string bytes = CanonicalBytes(event.asReader());
  ExpectCorrupt(bytes, "is not a valid Cap'n Proto message");
}

TEST(LogFormatTest, OpenRejectsStrayBitsInAStructListTag) {
  // Regression: isCanonical() ignores the top bit of a struct list's tag word (the element count
  // has 29 bits in a 30-bit field), so this passed as canonical although canonicalize() writes
  // the tag without it: two byte strings, two digests, one event.
  std::string canonical = test::MustEncode(test::GrantJson("G-1", "MOST", "P-1"));
  ASSERT_TRUE(DecodedEvent::Open(canonical, "event").has_value());
  // The budget's tag word: two elements (2 << 2), one data word and one pointer each.
  size_t tag = canonical.find(Unhex("0800000001000100"));
  ASSERT_NE(tag, std::string::npos);
  ASSERT_EQ(tag % 8, 0u);
  std::string damaged = canonical;
  damaged[tag + 3] = static_cast<char>(0x80);
  ExpectCorrupt(damaged, "is not in canonical form");
}

TEST(LogFormatTest, OpenRejectsUnknownUnionMembers) {
  // The event type after the last one this schema knows (grant_terminated, 26, is the last):
  // its pointers cannot be checked, and no verifier of this version could validate it. So a
  // verifier older than an event type refuses it with this error.
  std::string canonical = ReversalCanonical();
  ASSERT_EQ(canonical[8], 18);
  for (uint8_t discriminant : {27, 200}) {
    std::string unknown = canonical;
    unknown[8] = static_cast<char>(discriminant);
    ExpectCorrupt(unknown, "a union member unknown to this schema");
  }
}

TEST(LogFormatTest, OpenRejectsAmplifiedLists) {
  // A list of zero-sized structs takes no space whatever its length, so a few words can claim a
  // quarter of a billion elements. Open must reject that under the traversal limit instead of
  // walking (and canonicalising) every element.
  capnp::MallocMessageBuilder message;
  auto agreement = message.initRoot<schema::Event>().initAgreementRegistered();
  agreement.setAgreementId("A");
  agreement.initRevenueShares(3);  // three empty shares: zero-sized elements
  std::string canonical = CanonicalBytes(message.getRoot<schema::Event>().asReader());
  ASSERT_TRUE(DecodedEvent::Open(canonical, "event").has_value()) << "canonical, if invalid for the validator";
  size_t tag = canonical.find(Unhex("0c00000000000000"));
  ASSERT_NE(tag, std::string::npos);
  std::string amplified = canonical;
  amplified.replace(tag, 8, Unhex("0000004000000000"));  // 2^28 elements
  ExpectCorrupt(amplified, "is not a valid Cap'n Proto message");
}

TEST(LogFormatTest, LargeSubmissionBodiesCanBeReadEntryByEntry) {
  // Regression: the replayer and Append read body.getEventDigests()[i] once per event. Cap'n
  // Proto charges every list access against the reader's traversal limit (8M words by default),
  // so a 5,000-event body (5,000 words per access) used to throw after ~1,700 events.
  constexpr uint32_t kEventCount = 5000;
  capnp::MallocMessageBuilder message;
  auto body = message.initRoot<schema::SubmissionBody>();
  body.setLedgerId(capnp::Data::Reader(reinterpret_cast<const capnp::byte*>("0123456789abcdef"), 16));
  body.setSubmissionId("large");
  body.setEventCount(kEventCount);
  auto digests = body.initEventDigests(kEventCount);
  for (uint32_t i = 0; i < kEventCount; ++i) {
    Digest digest = Filled(static_cast<uint8_t>(i));
    digests.set(i, capnp::Data::Reader(digest.data(), digest.size()));
  }
  auto decoded = DecodedSubmissionBody::Open(CanonicalBytes(body.asReader()), "body");
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
  uint64_t total = 0;
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&]() {
    for (uint32_t i = 0; i < kEventCount; ++i) total += decoded->root().getEventDigests()[i][0];
  });
  KJ_IF_MAYBE(exception, failure) { FAIL() << exception->getDescription().cStr(); }
  uint64_t expected = 0;
  for (uint32_t i = 0; i < kEventCount; ++i) expected += static_cast<uint8_t>(i);
  EXPECT_EQ(total, expected);
}

}  // namespace
}  // namespace fundtrail
