// Trust anchors (ledger/anchors.h): a ledger is tied to the operator key, ledger id, trusted head
// and witness policy a user gives, or the error is NotAnchored (exit 6), distinct from Corruption
// (exit 3); an unsigned, wrongly signed, zero-signed or re-timed trusted head is no anchor; the
// one comparison with a trusted head tells a split view from a rewritten history; and the output
// names what was trusted, or says in one line that nothing was.
#include "ledger/anchors.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "ledger/test_util.h"

namespace fundtrail {
namespace {

using test::Hex;

void ExpectError(const Status& status, StatusCode code, const std::vector<std::string>& needles) {
  EXPECT_EQ(status.code(), code) << status.message();
  for (const auto& needle : needles) {
    EXPECT_NE(status.message().find(needle), std::string::npos) << status.message() << "\nlacks: " << needle;
  }
}

Digest DigestOf(const std::string& label) { return Sha256::Of(AsBytes(label)); }

class AnchorsTest : public ::testing::Test {
 protected:
  AnchorsTest() : alliance_(dir_.path()) {}

  const PublicKey& operator_key() const { return alliance_.operator_key.public_key(); }
  const std::string& ledger_id() const { return alliance_.ledger_id; }

  // A head of `size` entries of the alliance's ledger, signed by `key` (the operator's by default).
  TreeHead SignedHead(uint64_t size, const PrivateKey* key = nullptr) const {
    TreeHead head;
    head.ledger_id = ledger_id();
    head.tree_size = size;
    head.root_hash = DigestOf("root " + std::to_string(size));
    head.chain_hash = DigestOf("chain " + std::to_string(size));
    head.timestamp_micros = 1764331200000000;
    SignTreeHead(key != nullptr ? *key : alliance_.operator_key, &head);
    return head;
  }
  TrustAnchors WithTrustedHead(const TreeHead& head) const {
    TrustAnchors anchors;
    anchors.trusted_head = CosignedHead{head, {}};
    anchors.trusted_head_source = "--trusted-head head.json";
    return anchors;
  }

  test::TempDir dir_;
  test::TestAlliance alliance_;
};

TEST_F(AnchorsTest, WithoutAnchorsTheReportSaysItProvesOnlyInternalConsistency) {
  auto report = CheckAnchors(TrustAnchors{}, ledger_id(), operator_key());
  ASSERT_TRUE(report.has_value()) << report.error().message();
  EXPECT_FALSE(report->anchored());
  std::string text = report->Describe();
  EXPECT_NE(text.find("  trusted: ledger " + Hex(ledger_id()) + ", operator key id " +
                      Hex(operator_key().key_id()) + " (named by the file's own genesis, not by an anchor)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  NOT ANCHORED: this proves only internal consistency; anyone could have made it"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("--operator-key OPERATOR.pub"), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << text;
}

TEST_F(AnchorsTest, TheOperatorKeyAnchorMustBeTheGenesisKey) {
  TrustAnchors anchors;
  anchors.operator_key = operator_key();
  anchors.operator_key_source = "--operator-key op.pub";
  auto report = CheckAnchors(anchors, ledger_id(), operator_key());
  ASSERT_TRUE(report.has_value()) << report.error().message();
  EXPECT_TRUE(report->anchored());
  EXPECT_TRUE(report->key_anchored);
  EXPECT_EQ(report->Describe(), "  trusted: ledger " + Hex(ledger_id()) + ", operator key id " +
                                    Hex(operator_key().key_id()) + " (from --operator-key op.pub)\n");

  // A forger's genesis names a fresh key of its own.
  auto forged = CheckAnchors(anchors, ledger_id(), alliance_.admin.public_key());
  ASSERT_FALSE(forged.has_value());
  ExpectError(forged.error(), StatusCode::kNotAnchored,
              {"the genesis names operator key id " + Hex(alliance_.admin.public_key().key_id()),
               "not the operator key id " + Hex(operator_key().key_id()) + " given by --operator-key op.pub",
               "another operator made this ledger"});
}

TEST_F(AnchorsTest, TheLedgerIdAnchorMustMatchAndAloneIsNoKey) {
  TrustAnchors anchors;
  anchors.ledger_id = ledger_id();
  anchors.ledger_id_source = "--ledger-id " + Hex(ledger_id());
  auto report = CheckAnchors(anchors, ledger_id(), operator_key());
  ASSERT_TRUE(report.has_value()) << report.error().message();
  EXPECT_TRUE(report->anchored());
  EXPECT_FALSE(report->key_anchored);
  EXPECT_NE(report->Describe("ledger").find("NOT ANCHORED TO A KEY: a ledger id alone does not show who made this "
                                            "ledger"),
            std::string::npos);

  std::string other(16, '\x42');
  auto mismatch = CheckAnchors(anchors, other, operator_key());
  ASSERT_FALSE(mismatch.has_value());
  ExpectError(mismatch.error(), StatusCode::kNotAnchored,
              {"this is ledger " + Hex(other) + ", not ledger " + Hex(ledger_id()) + " given by --ledger-id"});
}

TEST_F(AnchorsTest, ATrustedHeadMustVerifyWithTheOperatorKey) {
  const TreeHead good = SignedHead(7);
  auto report = CheckAnchors(WithTrustedHead(good), ledger_id(), operator_key());
  ASSERT_TRUE(report.has_value()) << report.error().message();
  EXPECT_TRUE(report->key_anchored);
  EXPECT_NE(report->Describe().find("(from --trusted-head head.json (a head of 7 entries signed at "),
            std::string::npos)
      << report->Describe();

  TreeHead unsigned_head = good;
  unsigned_head.signature.clear();
  unsigned_head.key_id.clear();
  TreeHead zeroed = good;
  zeroed.signature = std::string(kSignatureSizeBytes, '\0');
  TreeHead retimed = good;  // signed, then its timestamp changed
  retimed.timestamp_micros += 1;
  TreeHead regrown = good;  // signed, then its size changed
  regrown.tree_size += 1;
  const TreeHead by_admin = SignedHead(7, &alliance_.admin);
  TreeHead other_ledger = SignedHead(7);
  other_ledger.ledger_id = std::string(16, '\x42');
  SignTreeHead(alliance_.operator_key, &other_ledger);
  const std::vector<std::pair<TreeHead, std::string>> cases = {
      {unsigned_head, "the trusted head --trusted-head head.json is not signed"},
      {zeroed, "the head's signature does not verify with the operator key"},
      {retimed, "the head's signature does not verify with the operator key"},
      {regrown, "the head's signature does not verify with the operator key"},
      {by_admin, "is signed by key id " + Hex(alliance_.admin.public_key().key_id()) + ", not by the operator key id " +
                     Hex(operator_key().key_id())},
      {other_ledger, "is for ledger " + Hex(other_ledger.ledger_id) + ", this is ledger " + Hex(ledger_id())},
  };
  for (const auto& [head, needle] : cases) {
    SCOPED_TRACE(needle);
    auto refused = CheckAnchors(WithTrustedHead(head), ledger_id(), operator_key());
    ASSERT_FALSE(refused.has_value());
    ExpectError(refused.error(), StatusCode::kNotAnchored, {needle});
  }
  // With an operator key anchor too, the trusted head must verify with that key, so a head the
  // forger signed with its own key is refused even against its own genesis.
  TrustAnchors both = WithTrustedHead(by_admin);
  both.operator_key = operator_key();
  both.operator_key_source = "--operator-key op.pub";
  auto forged = CheckAnchors(both, ledger_id(), alliance_.admin.public_key());
  ASSERT_FALSE(forged.has_value());
  ExpectError(forged.error(), StatusCode::kNotAnchored, {"given by --operator-key op.pub"});
}

TEST_F(AnchorsTest, AHeadSignatureIsNotAnchoredWhenUnsignedOrByAnotherKeyAndCorruptWhenAltered) {
  TreeHead head = SignedHead(3);
  EXPECT_TRUE(CheckHeadSignedBy(head, operator_key(), "the new head").ok());
  TreeHead altered = head;
  altered.root_hash[0] ^= 1;
  ExpectError(CheckHeadSignedBy(altered, operator_key(), "the new head"), StatusCode::kCorruption,
              {"the new head: the head's signature does not verify"});
  ExpectError(CheckHeadSignedBy(SignedHead(3, &alliance_.admin), operator_key(), "the new head"),
              StatusCode::kNotAnchored, {"the new head is signed by key id"});
  TreeHead unsigned_head = head;
  unsigned_head.signature.clear();
  ExpectError(CheckHeadSignedBy(unsigned_head, operator_key(), "the new head"), StatusCode::kNotAnchored,
              {"the new head is not signed"});
}

TEST_F(AnchorsTest, AWitnessPolicyNeedsItsQuorumOnTheHead) {
  const PrivateKey witness = test::KeyFromSeed(test::SeedFromLabel("anchors witness"), dir_ / "witness.pem");
  TrustAnchors anchors;
  anchors.witness_policy = WitnessPolicy{1, {{"audit office", witness.public_key()}}};
  anchors.witness_policy_source = "--witness-policy policy.json";
  CosignedHead head{SignedHead(5), {}};
  AnchorReport report;
  ExpectError(CheckWitnessAnchor(anchors, head, &report), StatusCode::kNotAnchored,
              {"the head of 5 entries: witness quorum not met: 0 valid co-signatures of the 1 needed"});
  head.cosignatures.push_back(SignCosignature(witness, head.head, 1764331300000000, "audit office"));
  Status met = CheckWitnessAnchor(anchors, head, &report);
  ASSERT_TRUE(met.ok()) << met.message();
  EXPECT_TRUE(report.key_anchored);
  EXPECT_EQ(report.sources.back(), "--witness-policy policy.json (a quorum of its witnesses co-signed the head)");
  EXPECT_NE(report.witnesses.find("signed by audit office"), std::string::npos) << report.witnesses;
  // Without a policy there is nothing to check.
  AnchorReport untouched;
  EXPECT_TRUE(CheckWitnessAnchor(TrustAnchors{}, CosignedHead{SignedHead(5), {}}, &untouched).ok());
  EXPECT_FALSE(untouched.anchored());
}

TEST_F(AnchorsTest, TheComparisonWithATrustedHeadTellsASplitViewFromARewrittenHistory) {
  const TreeHead trusted = SignedHead(10);
  const Status unreachable = Status::InvalidArgument("cannot reach size 10");
  TreePoint same{10, trusted.root_hash, trusted.chain_hash};
  EXPECT_TRUE(CompareWithTrustedHead(trusted, same, 10, unreachable).ok());
  EXPECT_TRUE(CompareWithTrustedHead(trusted, same, 25, unreachable).ok());
  ExpectError(CompareWithTrustedHead(trusted, std::nullopt, 25, unreachable), StatusCode::kInvalidArgument,
              {"cannot reach size 10"});

  TreePoint other_root = same;
  other_root.root[5] ^= 0x10;
  ExpectError(CompareWithTrustedHead(trusted, other_root, 10, unreachable), StatusCode::kCorruption,
              {"split view: two different heads of size 10: at size 10 the log gives root " + Hex(other_root.root) +
               " and chain hash " + Hex(trusted.chain_hash) + ", the trusted head says root " +
               Hex(trusted.root_hash)});
  TreePoint other_chain = same;
  other_chain.chain_hash[0] ^= 1;
  ExpectError(CompareWithTrustedHead(trusted, other_chain, 25, unreachable), StatusCode::kCorruption,
              {"the log is not an extension of the trusted head: at size 10",
               "chain hash " + Hex(other_chain.chain_hash), "history was rewritten"});
}

TEST_F(AnchorsTest, ALedgerIdArgumentIs32HexDigits) {
  auto id = ParseLedgerIdArgument(Hex(ledger_id()), "--ledger-id");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(*id, ledger_id());
  for (const std::string& bad : {std::string(), std::string("00"), "zz" + std::string(30, '0'), std::string(34, '0')}) {
    SCOPED_TRACE(bad);
    auto refused = ParseLedgerIdArgument(bad, "--ledger-id");
    ASSERT_FALSE(refused.has_value());
    ExpectError(refused.error(), StatusCode::kInvalidArgument, {"--ledger-id: \"" + bad + "\" is not a ledger id"});
  }
}

TEST_F(AnchorsTest, TheGenesisEntryNamesTheLedgerAndTheOperatorKey) {
  const std::vector<std::string> events = alliance_.GenesisCanonicalEvents();
  auto identity = ReadGenesisIdentity(EncodeEntry(DigestOf("h1"), 1, events[0]));
  ASSERT_TRUE(identity.has_value()) << identity.error().message();
  EXPECT_EQ(identity->ledger_id, ledger_id());
  EXPECT_EQ(identity->operator_key.raw(), operator_key().raw());
  auto not_genesis = ReadGenesisIdentity(EncodeEntry(DigestOf("h2"), 1, events[1]));
  ASSERT_FALSE(not_genesis.has_value());
  ExpectError(not_genesis.error(), StatusCode::kCorruption, {"event 1 is not the ledger's genesis"});
}

TEST_F(AnchorsTest, ReadTrustAnchorsNamesTheFlagOfABadAnchor) {
  auto none = ReadTrustAnchors({});
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
  TrustAnchorArguments arguments;
  arguments.ledger_id = "xyz";
  auto bad_id = ReadTrustAnchors(arguments);
  ASSERT_FALSE(bad_id.has_value());
  ExpectError(bad_id.error(), StatusCode::kInvalidArgument, {"--ledger-id"});
  arguments = TrustAnchorArguments();
  arguments.operator_key = dir_ / "missing.pub";
  auto missing_key = ReadTrustAnchors(arguments);
  ASSERT_FALSE(missing_key.has_value());
  ExpectError(missing_key.error(), StatusCode::kNotFound, {"--operator-key"});
  arguments.operator_key = dir_.path();
  auto directory = ReadTrustAnchors(arguments);
  ASSERT_FALSE(directory.has_value());
  ExpectError(directory.error(), StatusCode::kInvalidArgument, {"--operator-key: " + dir_.path() + " is a directory"});
  arguments.operator_key = Hex(operator_key().raw());
  auto key = ReadTrustAnchors(arguments);
  ASSERT_TRUE(key.has_value()) << key.error().message();
  EXPECT_EQ(key->operator_key->raw(), operator_key().raw());
  EXPECT_EQ(key->operator_key_source, "--operator-key " + Hex(operator_key().raw()));
}

}  // namespace
}  // namespace fundtrail
