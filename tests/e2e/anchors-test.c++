// End-to-end tests of trust anchors and hostile input, as a regulator runs the verifiers:
//   - a forged ledger (the same history, built from scratch with a fresh operator key) verifies
//     on its own, saying it proves only internal consistency, and is refused (exit 6) against the
//     real operator key, the real ledger id and a real trusted head;
//   - --operator-key is honoured for bundles, inclusion proofs and consistency proofs, and by
//     `fundtrail verify`; the output names the ledger id and operator key id trusted;
//   - an inclusion proof checked against a trusted head whose signature was zeroed or whose
//     timestamp was changed fails;
//   - exit codes: 0 verified, 3 altered data, 6 valid but not tied to the anchor, 1 malformed;
//   - hostile files (10^400 sizes and quorums, directories, duplicate keys) give one line and an
//     exit code, never an abort.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "tests/testing/cli_harness.h"

namespace fundtrail::testing {
namespace {

using nlohmann::json;

const std::string kHuge = "1" + std::string(400, '0');

// Exactly one line on stderr holding each of `needles`, and the exit code.
void ExpectFailure(const CommandResult& result, int exit_code, const std::vector<std::string>& needles) {
  std::cout << "  " << result.err;  // what the user reads
  EXPECT_EQ(result.exit_code, exit_code) << result.Describe();
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.Describe();
  for (const auto& needle : needles) {
    EXPECT_NE(result.err.find(needle), std::string::npos) << "stderr lacks \"" << needle << "\"\n" << result.Describe();
  }
  EXPECT_TRUE(result.out.empty()) << result.Describe();
}

// Not tied to the anchor: exit 6, one line.
void ExpectNotAnchored(const CommandResult& result, const std::vector<std::string>& needles) {
  ExpectFailure(result, 6, needles);
  EXPECT_NE(result.err.find("NOT TRUSTED: the data is valid but not tied to the anchor you gave"), std::string::npos)
      << result.Describe();
}

void ExpectOk(const CommandResult& result, const std::vector<std::string>& needles) {
  ASSERT_EQ(result.exit_code, 0) << result.Describe();
  for (const auto& needle : needles) {
    EXPECT_NE(result.out.find(needle), std::string::npos) << "stdout lacks \"" << needle << "\"\n" << result.Describe();
  }
}

const char kInternalOnly[] = "NOT ANCHORED: this proves only internal consistency; anyone could have made it";

// The real alliance and a forgery of it: the same history appended through the CLI to a ledger
// that a forger initialised with a fresh operator key (so a fresh ledger id too). Both are valid.
class AnchorsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    temp_ = std::make_unique<TempDir>();
    std::filesystem::create_directory(*temp_ / "real");
    std::filesystem::create_directory(*temp_ / "forged");
    real_ = std::make_unique<SampleAlliance>(*temp_ / "real");
    forged_ = std::make_unique<SampleAlliance>(*temp_ / "forged");
    for (SampleAlliance* alliance : {real_.get(), forged_.get()}) {
      alliance->Init();
      alliance->AppendHistory();
    }
    real_head_ = SignedHead(*real_, "real-head.json");
    forged_head_ = SignedHead(*forged_, "forged-head.json");
  }
  static void TearDownTestSuite() {
    real_.reset();
    forged_.reset();
    temp_.reset();
  }
  static std::string SignedHead(const SampleAlliance& alliance, const std::string& name) {
    std::string path = *temp_ / name;
    CommandResult head =
        Fundtrail({"head", "--ledger", alliance.ledger(), "--sign-key", alliance.operator_key.path, "--out", path});
    if (head.exit_code != 0) ADD_FAILURE() << head.Describe();
    return path;
  }
  static std::string LedgerIdHex(const std::string& head) { return json::parse(ReadFile(head))["ledger_id"]; }
  static std::string Bundle(const SampleAlliance& alliance, const std::string& head, const std::string& name) {
    std::string path = *temp_ / name;
    CommandResult exported = Fundtrail({"export", "--ledger", alliance.ledger(), "--head", head, "--out", path});
    if (exported.exit_code != 0) ADD_FAILURE() << exported.Describe();
    return path;
  }
  static std::string Proof(const SampleAlliance& alliance, const std::string& head, const std::string& name) {
    std::string path = *temp_ / name;
    CommandResult proved =
        Fundtrail({"prove", "--ledger", alliance.ledger(), "--seq", "20", "--head", head, "--out", path});
    if (proved.exit_code != 0) ADD_FAILURE() << proved.Describe();
    return path;
  }
  static std::string Pub(const SampleAlliance& alliance) { return alliance.operator_key.path + ".pub"; }
  static std::string Trusted(const SampleAlliance& alliance) {
    return "trusted: ledger " + LedgerIdHex(&alliance == real_.get() ? real_head_ : forged_head_) +
           ", operator key id " + alliance.operator_key.key_id_hex;
  }
  std::string Write(const std::string& name, const std::string& content) {
    std::string path = dir_ / name;
    WriteFile(path, content);
    return path;
  }

  TempDir dir_;
  static inline std::unique_ptr<TempDir> temp_;
  static inline std::unique_ptr<SampleAlliance> real_, forged_;
  static inline std::string real_head_, forged_head_;
};

TEST_F(AnchorsTest, AForgedLedgersBundleIsRefusedAgainstTheRealAnchors) {
  const std::string forged = Bundle(*forged_, forged_head_, "forged.bundle");
  // On its own it verifies, and says that this proves only internal consistency.
  CommandResult alone = FundtrailVerify({"-q", forged});
  ExpectOk(alone, {"ok: bundle of events 1..", Trusted(*forged_) + " (named by the file's own genesis, not by an "
                                                                   "anchor)",
                   kInternalOnly, "Anchor it with --operator-key OPERATOR.pub"});

  ExpectNotAnchored(FundtrailVerify({"-q", forged, "--operator-key", Pub(*real_)}),
                    {"the genesis names operator key id " + forged_->operator_key.key_id_hex,
                     "not the operator key id " + real_->operator_key.key_id_hex + " given by --operator-key " +
                         Pub(*real_)});
  ExpectNotAnchored(FundtrailVerify({"-q", forged, "--operator-key", real_->operator_key.public_key_hex}),
                    {"not the operator key id " + real_->operator_key.key_id_hex});
  ExpectNotAnchored(FundtrailVerify({"-q", forged, "--ledger-id", LedgerIdHex(real_head_)}),
                    {"this is ledger " + LedgerIdHex(forged_head_) + ", not ledger " + LedgerIdHex(real_head_)});
  ExpectNotAnchored(FundtrailVerify({"-q", forged, "--trusted-head", real_head_}),
                    {"the trusted head --trusted-head " + real_head_ + " is for ledger " + LedgerIdHex(real_head_)});

  // The real bundle against the real anchors verifies and names them.
  const std::string real = Bundle(*real_, real_head_, "real.bundle");
  CommandResult anchored = FundtrailVerify({"-q", real, "--operator-key", Pub(*real_), "--ledger-id",
                                            LedgerIdHex(real_head_), "--trusted-head", real_head_});
  ExpectOk(anchored, {Trusted(*real_) + " (from --ledger-id " + LedgerIdHex(real_head_) + "; --operator-key " +
                      Pub(*real_) + "; --trusted-head " + real_head_ + " (a head of "});
  EXPECT_EQ(anchored.out.find("NOT ANCHORED"), std::string::npos) << anchored.out;
  // A ledger id alone is a name a forger can copy: the output says it shows nobody's key.
  CommandResult by_id = FundtrailVerify({"-q", real, "--ledger-id", LedgerIdHex(real_head_)});
  ExpectOk(by_id, {"NOT ANCHORED TO A KEY: a ledger id alone does not show who made this file"});
  // The real bundle against the forger's key: exit 6 too.
  ExpectNotAnchored(FundtrailVerify({"-q", real, "--operator-key", Pub(*forged_)}),
                    {"another operator made this ledger"});
}

TEST_F(AnchorsTest, TheOperatorKeyIsHonouredForInclusionAndConsistencyProofs) {
  const std::string proof = Proof(*real_, real_head_, "event.json");
  ExpectOk(FundtrailVerify({proof}), {"ok: event 20", kInternalOnly});
  ExpectOk(FundtrailVerify({proof, "--operator-key", Pub(*real_)}),
           {Trusted(*real_) + " (from --operator-key " + Pub(*real_) + ")"});
  ExpectNotAnchored(FundtrailVerify({proof, "--operator-key", Pub(*forged_)}),
                    {"not the operator key id " + forged_->operator_key.key_id_hex});
  ExpectNotAnchored(FundtrailVerify({proof, "--ledger-id", LedgerIdHex(forged_head_)}), {"this is ledger "});
  const std::string forged_proof = Proof(*forged_, forged_head_, "forged-event.json");
  ExpectNotAnchored(FundtrailVerify({forged_proof, "--operator-key", Pub(*real_)}),
                    {"the genesis names operator key id " + forged_->operator_key.key_id_hex});

  // A consistency proof between a head saved earlier and a newer one, on a copy of the ledger.
  const std::string ledger = dir_ / "grown";
  std::filesystem::copy(real_->ledger(), ledger, std::filesystem::copy_options::recursive);
  WriteFile(dir_ / "vendor.jsonl", JsonLines({VendorRegistered("V-NEW", "新供应商", "TAX-NEW")}));
  ASSERT_EQ(Fundtrail({"append", "--ledger", ledger, "--key", real_->admin.path, dir_ / "vendor.jsonl"}).exit_code, 0);
  const std::string new_head = dir_ / "new-head.json";
  CommandResult signed_head =
      Fundtrail({"head", "--ledger", ledger, "--sign-key", real_->operator_key.path, "--out", new_head});
  ASSERT_EQ(signed_head.exit_code, 0) << signed_head.Describe();
  const std::string consistency = dir_ / "grew.json";
  ASSERT_EQ(Fundtrail({"prove", "--ledger", ledger, "--from-head", real_head_, "--to-head", new_head, "--out",
                       consistency})
                .exit_code,
            0);
  ExpectOk(FundtrailVerify({consistency, "--trusted-head", real_head_, "--head", new_head, "--operator-key",
                            Pub(*real_)}),
           {"extends the trusted head", Trusted(*real_) + " (from --operator-key " + Pub(*real_)});
  // Another operator's key: the trusted head does not verify with it.
  ExpectNotAnchored(FundtrailVerify({consistency, "--trusted-head", real_head_, "--head", new_head, "--operator-key",
                                     Pub(*forged_)}),
                    {"the trusted head --trusted-head " + real_head_ + " is signed by key id " +
                     real_->operator_key.key_id_hex + ", not by the operator key id " +
                     forged_->operator_key.key_id_hex});
  ExpectNotAnchored(FundtrailVerify({consistency, "--trusted-head", real_head_, "--head", new_head, "--operator-key",
                                     Pub(*real_), "--ledger-id", LedgerIdHex(forged_head_)}),
                    {"not ledger " + LedgerIdHex(forged_head_)});
  // The new head altered after signing: altered data, exit 3.
  json altered = json::parse(ReadFile(new_head));
  altered["timestamp"] = altered["timestamp"].get<int64_t>() + 1;
  const std::string altered_head = Write("altered-new-head.json", altered.dump());
  ExpectFailure(FundtrailVerify({consistency, "--trusted-head", real_head_, "--head", altered_head, "--operator-key",
                                 Pub(*real_)}),
                3, {"verification FAILED: the new head: the head's signature does not verify"});
}

// An inclusion proof's trusted head is checked like a bundle's: its signature and every field it
// covers. Zeroing the signature or changing the timestamp made `fundtrail-verify` exit 0 before.
TEST_F(AnchorsTest, AnInclusionProofsTrustedHeadMustVerify) {
  const std::string proof = Proof(*real_, real_head_, "event.json");
  ExpectOk(FundtrailVerify({proof, "--trusted-head", real_head_}),
           {Trusted(*real_) + " (from --trusted-head " + real_head_});
  json head = json::parse(ReadFile(real_head_));
  json zeroed = head;
  zeroed["signature"] = std::string(128, '0');
  ExpectNotAnchored(FundtrailVerify({proof, "--trusted-head", Write("zeroed.json", zeroed.dump())}),
                    {"the head's signature does not verify with the operator key"});
  json retimed = head;
  retimed["timestamp"] = head["timestamp"].get<int64_t>() + 1000000;
  ExpectNotAnchored(FundtrailVerify({proof, "--trusted-head", Write("retimed.json", retimed.dump())}),
                    {"the head's signature does not verify with the operator key"});
  json unsigned_head = head;
  unsigned_head.erase("signature");
  unsigned_head.erase("key_id");
  ExpectNotAnchored(FundtrailVerify({proof, "--trusted-head", Write("unsigned.json", unsigned_head.dump())}),
                    {"is not signed"});
  // The same for a bundle and for `fundtrail verify`.
  const std::string bundle = Bundle(*real_, real_head_, "real.bundle");
  ExpectNotAnchored(FundtrailVerify({"-q", bundle, "--trusted-head", dir_ / "retimed.json"}),
                    {"the head's signature does not verify"});
  CommandResult local =
      Fundtrail({"verify", "--ledger", real_->ledger(), "-q", "--trusted-head", dir_ / "zeroed.json"});
  EXPECT_EQ(local.exit_code, 6) << local.Describe();
  EXPECT_NE(local.err.find("fundtrail: NOT TRUSTED: the log is valid but not tied to the anchor you gave"),
            std::string::npos)
      << local.Describe();
}

TEST_F(AnchorsTest, FundtrailVerifyChecksTheLedgerAgainstItsAnchors) {
  CommandResult plain = Fundtrail({"verify", "--ledger", real_->ledger(), "-q"});
  ExpectOk(plain, {"ok: verified", Trusted(*real_) + " (named by the ledger's own genesis, not by an anchor)",
                   kInternalOnly});
  CommandResult anchored = Fundtrail({"verify", "--ledger", real_->ledger(), "-q", "--operator-key", Pub(*real_),
                                      "--ledger-id", LedgerIdHex(real_head_), "--trusted-head", real_head_});
  ExpectOk(anchored, {"ok: the log extends the trusted head", Trusted(*real_) + " (from --ledger-id "});
  for (const auto& [flag, value] : std::vector<std::pair<std::string, std::string>>{
           {"--operator-key", Pub(*real_)}, {"--ledger-id", LedgerIdHex(real_head_)}, {"--trusted-head", real_head_}}) {
    SCOPED_TRACE(flag);
    CommandResult refused = Fundtrail({"verify", "--ledger", forged_->ledger(), "-q", flag, value});
    EXPECT_EQ(refused.exit_code, 6) << refused.Describe();
    EXPECT_EQ(std::count(refused.err.begin(), refused.err.end(), '\n'), 1) << refused.Describe();
    EXPECT_NE(refused.err.find("NOT TRUSTED"), std::string::npos) << refused.Describe();
  }
  CommandResult help = Fundtrail({"verify", "--help"});
  ExpectOk(help, {"--operator-key", "--ledger-id", "6 the log is valid but not tied to the anchor"});
  CommandResult verifier_help = FundtrailVerify({"--help"});
  ExpectOk(verifier_help, {"--operator-key", "--ledger-id", "6 valid data not tied to the anchor given",
                           "3 altered or forged data"});
}

// Each exit code of the verifier, on one real bundle and one real proof.
TEST_F(AnchorsTest, EachExitCodeOfTheVerifier) {
  const std::string bundle = Bundle(*real_, real_head_, "real.bundle");
  ExpectOk(FundtrailVerify({"-q", bundle, "--operator-key", Pub(*real_)}), {"ok: bundle"});  // 0
  std::string bytes = ReadFile(bundle);
  bytes[bytes.size() - 200] = static_cast<char>(bytes[bytes.size() - 200] ^ 0x04);
  ExpectFailure(FundtrailVerify({"-q", Write("altered.bundle", bytes), "--operator-key", Pub(*real_)}), 3,
                {"fundtrail-verify: verification FAILED: "});  // altered beats "not ours"
  ExpectNotAnchored(FundtrailVerify({"-q", bundle, "--operator-key", Pub(*forged_)}), {});  // 6
  ExpectFailure(FundtrailVerify({"-q", bundle, "--ledger-id", "xyz"}), 1,
                {"fundtrail-verify: error: --ledger-id: \"xyz\" is not a ledger id"});  // malformed anchor
  ExpectFailure(FundtrailVerify({"-q", bundle, "--operator-key", dir_ / "none.pub"}), 5, {"--operator-key"});
}

// Hostile files: each is one line on stderr and an exit code, never an abort (exit 134).
TEST_F(AnchorsTest, HostileFilesAreRefusedNeverAborted) {
  const std::string proof = Proof(*real_, real_head_, "event.json");
  std::filesystem::create_directory(dir_ / "a-directory");
  ExpectFailure(FundtrailVerify({dir_ / "a-directory"}), 1, {"is a directory, not a file"});
  ExpectFailure(FundtrailVerify({proof, "--trusted-head", dir_ / "a-directory"}), 1, {"is a directory"});
  ExpectFailure(FundtrailVerify({proof, "--witness-policy", dir_ / "a-directory"}), 1, {"is a directory"});
  ExpectFailure(FundtrailVerify({proof, "--operator-key", dir_ / "a-directory"}), 1,
                {"--operator-key: " + dir_ / "a-directory" + " is a directory"});

  const std::string head = ReadFile(real_head_);
  // The head with its "tree_size" replaced by the raw JSON text `value`.
  auto with_size = [&](const std::string& value) {
    json damaged = json::parse(head);
    damaged["tree_size"] = "@@";
    std::string text = damaged.dump();
    return text.replace(text.find("\"@@\""), 4, value);
  };
  ExpectFailure(FundtrailVerify({proof, "--trusted-head", Write("huge.json", with_size(kHuge))}), 1,
                {"number overflow"});
  for (const std::string& bad : {std::string("-1"), std::string("3.5")}) {
    ExpectFailure(FundtrailVerify({proof, "--trusted-head", Write("bad.json", with_size(bad))}), 1,
                  {"field \"tree_size\" must be a whole number"});
  }
  std::string twice = head;
  twice.insert(1, "\"timestamp\":0,");
  ExpectFailure(FundtrailVerify({proof, "--trusted-head", Write("twice.json", twice)}), 1,
                {"key \"timestamp\" appears twice"});
  const std::string policy = Write("policy.json", "{\"quorum\": " + kHuge + ", \"witnesses\": []}");
  ExpectFailure(FundtrailVerify({proof, "--witness-policy", policy}), 1, {"number overflow"});
  CommandResult local = Fundtrail({"verify", "--ledger", real_->ledger(), "--trusted-head", real_head_,
                                   "--witness-policy", policy});
  EXPECT_EQ(local.exit_code, 2) << local.Describe();
  EXPECT_NE(local.err.find("number overflow"), std::string::npos) << local.Describe();

  // The proof itself with a duplicate key or a huge number.
  std::string proof_text = ReadFile(proof);
  std::string twice_format = proof_text;
  twice_format.insert(proof_text.find('{') + 1, "\"format\": \"fundtrail-inclusion-proof-1\",");
  ExpectFailure(FundtrailVerify({Write("twice-format.json", twice_format)}), 1, {"key \"format\" appears twice"});
  ExpectFailure(FundtrailVerify({Write("huge-proof.json", "{\"format\": " + kHuge + "}")}), 1,
                {"neither a bundle nor a JSON proof", "number overflow"});
  ExpectFailure(FundtrailVerify({Write("format-number.json", "{\"format\": 5}")}), 1, {"unknown proof format"});
}

// `fundtrail append` refuses a key given twice, naming it and the line, and appends nothing.
TEST_F(AnchorsTest, AppendRefusesDuplicateKeys) {
  const std::string ledger = dir_ / "copy";
  std::filesystem::copy(real_->ledger(), ledger, std::filesystem::copy_options::recursive);
  // The "head: N HASH" line of `fundtrail verify`.
  auto head_line = [&] {
    std::string out = Fundtrail({"verify", "--ledger", ledger, "-q"}).out;
    return out.substr(out.rfind("head: "));
  };
  const std::string before = head_line();
  json expenditure = ExpenditureRecorded(SampleAlliance::kGrantBattery, SampleAlliance::kCatl, "materials", "V-LAB",
                                         "INV-DUP", "100.00 CNY");
  std::string line = expenditure.dump();
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"amount", "\"1.00 CNY\""}, {"type", "\"funds_received\""}}) {
    SCOPED_TRACE(key);
    std::string twice = line;
    twice.insert(1, "\"" + key + "\": " + value + ", ");
    CommandResult refused = Fundtrail({"append", "--ledger", ledger, "--key", real_->finance_catl.path,
                                       Write("dup.jsonl", twice + "\n")});
    ExpectFailure(refused, 2, {"dup.jsonl: line 1: key \"" + key + "\" appears twice in one object"});
    EXPECT_EQ(head_line(), before) << "nothing appended";
  }
  CommandResult huge = Fundtrail({"append", "--ledger", ledger, "--key", real_->finance_catl.path,
                                  Write("huge.jsonl", "{\"type\": \"funds_received\", \"amount\": " + kHuge + "}\n")});
  ExpectFailure(huge, 2, {"line 1: malformed JSON (a number too large to read"});
  EXPECT_EQ(head_line(), before) << "nothing appended";
}

}  // namespace
}  // namespace fundtrail::testing
