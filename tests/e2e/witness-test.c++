// End-to-end tests of witnesses through the binary: `fundtrail witness cosign` (trust on first use,
// consistency from a ledger copy or a proof file, split views, rewritten histories, refusals),
// `fundtrail witness show-key`, and `fundtrail verify --trusted-head --witness-policy`.
#include <gtest/gtest.h>

#include <filesystem>

#include "ledger/proof_file.h"
#include "ledger/store.h"
#include "tests/testing/cli_harness.h"

namespace fundtrail::testing {
namespace {

using nlohmann::json;

// Every error is one line on stderr.
void ExpectOneLine(const CommandResult& result) {
  ASSERT_FALSE(result.err.empty()) << result.Describe();
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.Describe();
}

void ExpectFailure(const CommandResult& result, int exit_code, const std::vector<std::string>& needles) {
  std::cout << "  " << result.err;  // what the user reads
  EXPECT_EQ(result.exit_code, exit_code) << result.Describe();
  ExpectOneLine(result);
  for (const auto& needle : needles) {
    EXPECT_NE(result.err.find(needle), std::string::npos) << "stderr lacks \"" << needle << "\"\n" << result.Describe();
  }
}

class WitnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    alliance_ = std::make_unique<SampleAlliance>(temp_.path());
    alliance_->Init();
    alliance_->AppendHistory();
    audit_ = MakeKey(temp_.path(), "audit");
    finance_ = MakeKey(temp_.path(), "finance");
    regulator_ = MakeKey(temp_.path(), "regulator");
    // The policy is built from what `witness show-key` prints, as a regulator would build it.
    json witnesses = json::array();
    for (const auto& [key, name] :
         {std::pair{&audit_, "审计署 audit office"}, std::pair{&finance_, "财政局 finance bureau"},
          std::pair{&regulator_, "监管机构 regulator"}}) {
      CommandResult shown = Fundtrail({"witness", "show-key", key->path + ".pub", "--name", name});
      ASSERT_EQ(shown.exit_code, 0) << shown.Describe();
      auto lines = SplitLines(shown.out);
      ASSERT_EQ(lines.size(), 3u) << shown.out;
      EXPECT_EQ(lines[0], "key id:       " + key->key_id_hex);
      EXPECT_EQ(lines[1], "public key:   " + key->public_key_hex);
      ASSERT_EQ(lines[2].rfind("policy entry: ", 0), 0u) << lines[2];
      witnesses.push_back(json::parse(lines[2].substr(14)));
    }
    policy_ = temp_ / "policy.json";
    WriteFile(policy_, json{{"quorum", 2}, {"witnesses", witnesses}}.dump(2));
  }

  // `fundtrail head --sign-key OPERATOR --out PATH` on `ledger` (default: the alliance's).
  std::string SaveHead(const std::string& name, std::string ledger = "") {
    std::string path = temp_ / name;
    CommandResult saved = Fundtrail({"head", "--ledger", ledger.empty() ? alliance_->ledger() : ledger, "--sign-key",
                                     alliance_->operator_key.path, "--out", path});
    EXPECT_EQ(saved.exit_code, 0) << saved.Describe();
    return path;
  }
  std::string State(const TestKey& witness) {
    return temp_ / ("state-" + std::filesystem::path(witness.path).stem().string());
  }
  CommandResult Cosign(const TestKey& witness, const std::string& head, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"witness", "cosign", "--key", witness.path, "--state", State(witness), head};
    args.insert(args.end(), extra.begin(), extra.end());
    return Fundtrail(args);
  }
  // The first co-signature by `witness`, trusting the operator key given on the command line.
  void CosignFirst(const TestKey& witness, const std::string& head) {
    CommandResult first = Cosign(witness, head, {"--operator-key", alliance_->operator_key.path + ".pub"});
    ASSERT_EQ(first.exit_code, 0) << first.Describe();
    EXPECT_NE(first.out.find("trust on first use"), std::string::npos) << first.out;
  }
  std::string StateFile(const TestKey& witness, const std::string& head_path) {
    return State(witness) + "/" + json::parse(ReadFile(head_path))["ledger_id"].get<std::string>() + ".json";
  }
  std::vector<std::string> CosignerKeyIds(const std::string& head_path) {
    std::vector<std::string> ids;
    json head = json::parse(ReadFile(head_path));
    for (const auto& cosignature : head.value("cosignatures", json::array())) ids.push_back(cosignature["key_id"]);
    return ids;
  }
  uint64_t TreeSize(const std::string& head_path) {
    return json::parse(ReadFile(head_path))["tree_size"].get<uint64_t>();
  }
  // A consistency-proof file between two sizes of `ledger`, made through the library (the format
  // `fundtrail prove` writes).
  std::string ProofFile(const std::string& ledger, uint64_t old_size, uint64_t new_size, const std::string& name) {
    SystemClock clock;
    auto opened = Ledger::Open(ledger, Ledger::Access::kReadOnly, &clock);
    EXPECT_TRUE(opened.has_value()) << opened.error().message();
    ConsistencyProofFile proof;
    proof.ledger_id = (*opened)->ledger_id();
    proof.old_size = old_size;
    proof.new_size = new_size;
    proof.old_root = *(*opened)->TreeRoot(old_size);
    proof.new_root = *(*opened)->TreeRoot(new_size);
    proof.hashes = *(*opened)->ConsistencyProof(old_size, new_size);
    std::string path = temp_ / name;
    WriteFile(path, ConsistencyProofToJson(proof).dump(2));
    return path;
  }
  // More events, one submission.
  void AppendMore(const std::string& suffix) {
    alliance_->Append(alliance_->admin, {VendorRegistered("V-" + suffix, "供应商" + suffix, "TAX-" + suffix),
                                         ProjectRegistered("P-" + suffix, "项目" + suffix)});
  }
  CommandResult VerifyWithPolicy(const std::string& head) {
    return Fundtrail(
        {"verify", "--ledger", alliance_->ledger(), "--quiet", "--trusted-head", head, "--witness-policy", policy_});
  }

  TempDir temp_;
  std::unique_ptr<SampleAlliance> alliance_;
  TestKey audit_, finance_, regulator_;
  std::string policy_;
};

TEST_F(WitnessTest, CosignFirstUseThenExtensionsAndAQuorum) {
  std::string h1 = SaveHead("h1.json");
  CommandResult first =
      Cosign(audit_, h1, {"--operator-key", alliance_->operator_key.public_key_hex, "--name", "审计署 audit office"});
  ASSERT_EQ(first.exit_code, 0) << first.Describe();
  EXPECT_NE(first.out.find("trust on first use: this witness had not co-signed ledger"), std::string::npos)
      << first.out;
  EXPECT_NE(first.out.find("the operator key " + alliance_->operator_key.key_id_hex + " is now pinned"),
            std::string::npos)
      << first.out;
  EXPECT_EQ(CosignerKeyIds(h1), std::vector<std::string>{audit_.key_id_hex});
  EXPECT_EQ(json::parse(ReadFile(h1))["cosignatures"][0]["witness"], "审计署 audit office");
  json state = json::parse(ReadFile(StateFile(audit_, h1)));
  EXPECT_EQ(state["format"], "fundtrail-witness-state-1");
  EXPECT_EQ(state["head"]["tree_size"], TreeSize(h1));
  EXPECT_EQ(state["operator_public_key"], alliance_->operator_key.public_key_hex);
  // The head file with its co-signature still verifies as a trusted head.
  CommandResult plain = Fundtrail({"verify", "--ledger", alliance_->ledger(), "--quiet", "--trusted-head", h1});
  EXPECT_EQ(plain.exit_code, 0) << plain.Describe();
  CosignFirst(finance_, h1);

  // The log grows; the next head needs a consistency proof from the last co-signed one.
  AppendMore("1");
  std::string h2 = SaveHead("h2.json");
  ExpectFailure(Cosign(audit_, h2), 2,
                {"a consistency proof from size " + std::to_string(TreeSize(h1)) +
                     " (the last head this witness co-signed) to size " + std::to_string(TreeSize(h2)),
                 "--proof FILE", "--ledger DIR"});
  EXPECT_TRUE(CosignerKeyIds(h2).empty());
  // From a ledger copy ...
  CommandResult from_ledger = Cosign(audit_, h2, {"--ledger", alliance_->ledger()});
  ASSERT_EQ(from_ledger.exit_code, 0) << from_ledger.Describe();
  EXPECT_NE(from_ledger.out.find("consistent: the head extends the last head this witness co-signed (size " +
                                 std::to_string(TreeSize(h1))),
            std::string::npos)
      << from_ledger.out;
  EXPECT_NE(from_ledger.out.find("from the ledger in " + alliance_->ledger()), std::string::npos) << from_ledger.out;
  // ... or from a proof file, written beside the input with --out.
  std::string proof = ProofFile(alliance_->ledger(), TreeSize(h1), TreeSize(h2), "proof-h1-h2.json");
  std::string h2_out = temp_ / "h2-cosigned.json";
  CommandResult from_proof = Cosign(finance_, h2, {"--proof", proof, "--out", h2_out});
  ASSERT_EQ(from_proof.exit_code, 0) << from_proof.Describe();
  EXPECT_NE(from_proof.out.find("from " + proof), std::string::npos) << from_proof.out;
  EXPECT_EQ(CosignerKeyIds(h2), std::vector<std::string>{audit_.key_id_hex}) << "--out leaves the input alone";
  EXPECT_EQ(CosignerKeyIds(h2_out), (std::vector<std::string>{audit_.key_id_hex, finance_.key_id_hex}));
  EXPECT_EQ(json::parse(ReadFile(StateFile(finance_, h1)))["head"]["tree_size"], TreeSize(h2));

  // Co-signing the same head again keeps the co-signature.
  CommandResult again = Cosign(audit_, h2_out);
  ASSERT_EQ(again.exit_code, 0) << again.Describe();
  EXPECT_NE(again.out.find("same tree"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("already co-signed by this witness"), std::string::npos) << again.out;
  EXPECT_EQ(CosignerKeyIds(h2_out).size(), 2u);

  // Two of three witnesses: the quorum of the policy is met.
  CommandResult met = VerifyWithPolicy(h2_out);
  ASSERT_EQ(met.exit_code, 0) << met.Describe();
  EXPECT_NE(
      met.out.find("ok: witness quorum met on the trusted head: 2 valid co-signatures of the 2 needed (2 of 3 "
                   "witnesses): signed by 审计署 audit office, 财政局 finance bureau; missing 监管机构 regulator"),
      std::string::npos)
      << met.out;
  // One of three is not.
  CommandResult short_of_quorum = VerifyWithPolicy(h2);
  // The log is valid; the head is just not witnessed enough to be trusted: exit 6, not 3.
  ExpectFailure(
      short_of_quorum, 6,
      {"NOT TRUSTED: the log is valid but not tied to the anchor you gave: the trusted head: the head of " +
           std::to_string(TreeSize(h2)) + " entries: witness quorum not met: 1 valid co-signature of the 2 needed "
           "(2 of 3 witnesses): signed by 审计署 audit office; missing 财政局 finance bureau, 监管机构 regulator"});
  EXPECT_TRUE(short_of_quorum.out.empty()) << short_of_quorum.Describe();
}

TEST_F(WitnessTest, SplitViewIsReportedAndChangesNothing) {
  std::string genuine = SaveHead("genuine.json");
  CommandResult first = Cosign(audit_, genuine, {"--ledger", alliance_->ledger()});
  ASSERT_EQ(first.exit_code, 0) << first.Describe();
  std::string state_before = ReadFile(StateFile(audit_, genuine));

  // The operator keeps a second ledger with the same genesis and another history of the same
  // size, and signs its head too.
  std::string fork = temp_ / "fork";
  CopySubmissions(alliance_->ledger(), fork, 3);
  for (int i = 0; TreeSize(SaveHead("fork-head.json", fork)) < TreeSize(genuine); ++i) {
    ASSERT_LT(i, 40);
    CommandResult appended =
        Fundtrail({"append", "--ledger", fork, "--key", alliance_->admin.path,
                   alliance_->NewFile(JsonLines({VendorRegistered("V-F" + std::to_string(i), "空壳" + std::to_string(i),
                                                                  "TAX-F" + std::to_string(i))}))});
    ASSERT_EQ(appended.exit_code, 0) << appended.Describe();
  }
  std::string forked = temp_ / "fork-head.json";
  ASSERT_EQ(TreeSize(forked), TreeSize(genuine));
  std::string forked_before = ReadFile(forked);
  std::string genuine_root = json::parse(ReadFile(genuine))["root_hash"];
  std::string forked_root = json::parse(forked_before)["root_hash"];
  ASSERT_NE(genuine_root, forked_root);

  CommandResult split = Cosign(audit_, forked, {"--ledger", fork});
  ExpectFailure(split, 3,
                {"fundtrail: error: split view: two different heads of size " + std::to_string(TreeSize(genuine)),
                 "root " + genuine_root + " (co-signed at ", "and root " + forked_root, "both signed by the operator",
                 "evidence saved to ", "not co-signed"});
  EXPECT_TRUE(split.out.empty()) << split.Describe();
  EXPECT_EQ(ReadFile(StateFile(audit_, genuine)), state_before) << "the witness state changed";
  EXPECT_EQ(ReadFile(forked), forked_before) << "the forked head was co-signed";
  // The evidence holds both operator-signed heads.
  std::string evidence_path = split.err.substr(split.err.find("evidence saved to ") + 18);
  evidence_path = evidence_path.substr(0, evidence_path.find(';'));
  json evidence = json::parse(ReadFile(evidence_path));
  EXPECT_EQ(evidence["format"], "fundtrail-split-view-1");
  EXPECT_EQ(evidence["heads"][0]["root_hash"], genuine_root);
  EXPECT_EQ(evidence["heads"][1]["root_hash"], forked_root);

  // The genuine log still grows and is co-signed.
  AppendMore("2");
  CommandResult next = Cosign(audit_, SaveHead("next.json"), {"--ledger", alliance_->ledger()});
  EXPECT_EQ(next.exit_code, 0) << next.Describe();
}

TEST_F(WitnessTest, RewrittenHistoryIsRefused) {
  std::string saved = SaveHead("saved.json");
  CosignFirst(audit_, saved);
  std::string state_before = ReadFile(StateFile(audit_, saved));

  // The operator rewrites history after the third submission and grows the log past the saved
  // head; every hash is recomputed and the new head is validly signed.
  std::string rewritten = temp_ / "rewritten";
  CopySubmissions(alliance_->ledger(), rewritten, 3);
  for (int i = 0; TreeSize(SaveHead("rewritten-head.json", rewritten)) <= TreeSize(saved); ++i) {
    ASSERT_LT(i, 40);
    CommandResult appended =
        Fundtrail({"append", "--ledger", rewritten, "--key", alliance_->admin.path,
                   alliance_->NewFile(JsonLines({VendorRegistered("V-R" + std::to_string(i), "改写" + std::to_string(i),
                                                                  "TAX-R" + std::to_string(i))}))});
    ASSERT_EQ(appended.exit_code, 0) << appended.Describe();
  }
  std::string head = temp_ / "rewritten-head.json";
  std::string head_before = ReadFile(head);
  std::string inconsistent =
      "is not consistent with the last head this witness co-signed (size " + std::to_string(TreeSize(saved));

  // With the rewritten ledger as the copy: its own proof starts from another old root.
  ExpectFailure(Cosign(audit_, head, {"--ledger", rewritten}), 3, {inconsistent, "history was rewritten"});
  // With a proof file from the rewritten ledger.
  std::string proof = ProofFile(rewritten, TreeSize(saved), TreeSize(head), "rewritten-proof.json");
  ExpectFailure(Cosign(audit_, head, {"--proof", proof}), 3, {inconsistent, "history was rewritten"});
  // With that proof file doctored to claim the genuine old root, the hashes do not add up.
  json doctored = json::parse(ReadFile(proof));
  doctored["old_root"] = json::parse(ReadFile(saved))["root_hash"];
  WriteFile(proof, doctored.dump());
  ExpectFailure(Cosign(audit_, head, {"--proof", proof}), 3, {inconsistent, "calculated old root"});
  EXPECT_EQ(ReadFile(StateFile(audit_, saved)), state_before);
  EXPECT_EQ(ReadFile(head), head_before);
}

TEST_F(WitnessTest, RefusalsSayHowToFixThem) {
  std::string h1 = SaveHead("h1.json");
  // The first time, the operator key must come from somewhere.
  ExpectFailure(Cosign(audit_, h1), 2, {"has not co-signed ledger", "--operator-key", "--ledger"});
  // A wrong operator key: the head's signature does not verify with it.
  ExpectFailure(Cosign(audit_, h1, {"--operator-key", alliance_->admin.path + ".pub"}), 3,
                {"head: the head is signed by key " + alliance_->operator_key.key_id_hex});
  ExpectFailure(Cosign(audit_, h1, {"--operator-key", "not-a-key"}), 5, {"--operator-key: cannot open not-a-key"});
  ExpectFailure(
      Cosign(audit_, h1, {"--operator-key", alliance_->operator_key.public_key_hex, "--ledger", temp_ / "none"}), 5,
      {"no ledger at"});
  // An unsigned head.
  std::string unsigned_head = temp_ / "unsigned.json";
  ASSERT_EQ(Fundtrail({"head", "--ledger", alliance_->ledger(), "--out", unsigned_head}).exit_code, 0);
  ExpectFailure(Cosign(audit_, unsigned_head, {"--ledger", alliance_->ledger()}), 2,
                {"the head is not signed", "fundtrail head --sign-key"});
  // A damaged head file names the field.
  json damaged = json::parse(ReadFile(h1));
  damaged["cosignatures"] = json::array({{{"key_id", "00"}}});
  std::string damaged_path = temp_ / "damaged.json";
  WriteFile(damaged_path, damaged.dump());
  ExpectFailure(Cosign(audit_, damaged_path, {"--ledger", alliance_->ledger()}), 2,
                {damaged_path + ": head: cosignatures[0]: field \"key_id\" must be 32 hex digits"});
  // The operator's own key is no witness.
  ExpectFailure(Cosign(alliance_->operator_key, h1, {"--ledger", alliance_->ledger()}), 2,
                {"the witness key is the ledger's operator key"});
  EXPECT_FALSE(std::filesystem::exists(StateFile(audit_, h1))) << "a refusal recorded a head";

  CosignFirst(audit_, h1);
  // Another witness's key with this witness's state.
  CommandResult borrowed = Fundtrail({"witness", "cosign", "--key", finance_.path, "--state", State(audit_), h1});
  ExpectFailure(borrowed, 2, {"belongs to witness key " + audit_.key_id_hex, "each witness keeps its own --state"});
  // A ledger copy whose operator key is not the pinned one cannot be smuggled in with --operator-key.
  ExpectFailure(Cosign(audit_, h1, {"--operator-key", alliance_->admin.public_key_hex}), 2,
                {"is not the operator key of ledger", "pinned"});
  // An older head than the last co-signed one.
  AppendMore("3");
  std::string h2 = SaveHead("h2.json");
  ASSERT_EQ(Cosign(audit_, h2, {"--ledger", alliance_->ledger()}).exit_code, 0);
  ExpectFailure(Cosign(audit_, h1), 2, {"smaller than the last head this witness co-signed", "extend it"});
  // A proof between other sizes.
  std::string proof = ProofFile(alliance_->ledger(), 1, TreeSize(h2), "wrong-sizes.json");
  AppendMore("4");
  std::string h3 = SaveHead("h3.json");
  ExpectFailure(Cosign(audit_, h3, {"--proof", proof}), 2,
                {"the consistency proof goes from size 1 to size " + std::to_string(TreeSize(h2)),
                 "the witness needs one from size " + std::to_string(TreeSize(h2))});
  WriteFile(proof, "{\"format\": \"fundtrail-consistency-proof-1\"}");
  ExpectFailure(Cosign(audit_, h3, {"--proof", proof}), 2,
                {proof + ": consistency proof: field \"ledger_id\" is missing"});
}

TEST_F(WitnessTest, VerifyWithAPolicyCountsEachWitnessOnce) {
  std::string head = SaveHead("head.json");
  CosignFirst(audit_, head);
  TestKey outsider = MakeKey(temp_.path(), "outsider-witness");
  CosignFirst(outsider, head);
  // The audit office's co-signature twice, and one by a key the policy does not list.
  json doubled = json::parse(ReadFile(head));
  doubled["cosignatures"].push_back(doubled["cosignatures"][0]);
  WriteFile(head, doubled.dump(2));
  // A quorum not met means the head is not trusted (exit 6); the log itself is valid.
  ExpectFailure(VerifyWithPolicy(head), 6,
                {"1 valid co-signature of the 2 needed", "1 repeated co-signature by a witness already counted",
                 "ignored 1 co-signature by a key not in the policy (key id " + outsider.key_id_hex + ")"});
  // A co-signature altered after the fact is named as invalid and does not count.
  CosignFirst(regulator_, head);
  json altered = json::parse(ReadFile(head));
  std::string signature = altered["cosignatures"].back()["signature"];
  signature[0] = signature[0] == '0' ? '1' : '0';
  altered["cosignatures"].back()["signature"] = signature;
  WriteFile(head, altered.dump(2));
  ExpectFailure(VerifyWithPolicy(head), 6,
                {"invalid: cosignatures[3] (监管机构 regulator): the co-signature does not verify",
                 "missing 财政局 finance bureau, 监管机构 regulator"});
  // Re-co-signing replaces the broken co-signature; now two of three.
  CommandResult fixed = Cosign(regulator_, head);
  ASSERT_EQ(fixed.exit_code, 0) << fixed.Describe();
  CommandResult met = VerifyWithPolicy(head);
  EXPECT_EQ(met.exit_code, 0) << met.Describe();

  // Usage and policy errors.
  CommandResult no_head = Fundtrail({"verify", "--ledger", alliance_->ledger(), "--witness-policy", policy_});
  EXPECT_EQ(no_head.exit_code, 1) << no_head.Describe();
  EXPECT_NE(no_head.err.find("--witness-policy checks the co-signatures of a saved head: pass --trusted-head"),
            std::string::npos)
      << no_head.err;
  json bad_policy = json::parse(ReadFile(policy_));
  bad_policy["witnesses"][1]["public_key"] = "abc";
  WriteFile(policy_, bad_policy.dump());
  ExpectFailure(VerifyWithPolicy(head), 2,
                {policy_ + ": witness policy: witnesses[1]: field \"public_key\" must be 64 hex digits"});
}

// The regulator's side, offline: `fundtrail prove --from-head` makes the consistency proof that a
// witness and fundtrail-verify accept; a bundle and an inclusion proof made against a co-signed
// head carry its co-signatures, and `fundtrail-verify --witness-policy` counts them.
TEST_F(WitnessTest, OfflineEvidenceCarriesTheCosignatures) {
  const std::string old_head = SaveHead("old.json");
  CosignFirst(audit_, old_head);
  CosignFirst(finance_, old_head);
  AppendMore("X1");
  const std::string new_head = SaveHead("new.json");
  const std::string proof = temp_ / "grew.json";
  CommandResult proved = Fundtrail({"prove", "--ledger", alliance_->ledger(), "--from-head", old_head, "--to-head",
                                    new_head, "--out", proof});
  ASSERT_EQ(proved.exit_code, 0) << proved.Describe();
  EXPECT_NE(proved.out.find("consistency proof from " + std::to_string(TreeSize(old_head)) + " to " +
                            std::to_string(TreeSize(new_head)) + " entries"),
            std::string::npos)
      << proved.out;
  CommandResult audit_cosigned = Cosign(audit_, new_head, {"--proof", proof});
  ASSERT_EQ(audit_cosigned.exit_code, 0) << audit_cosigned.Describe();

  const std::vector<std::string> between = {proof, "--trusted-head", old_head, "--head", new_head, "--operator-key",
                                            alliance_->operator_key.path + ".pub", "--witness-policy", policy_};
  CommandResult one_witness = FundtrailVerify(between);
  EXPECT_EQ(one_witness.exit_code, 6) << one_witness.Describe();
  EXPECT_NE(one_witness.err.find("witness quorum not met: 1 valid co-signature of the 2 needed"), std::string::npos)
      << one_witness.Describe();
  EXPECT_TRUE(one_witness.out.empty()) << one_witness.Describe();
  CommandResult finance_cosigned = Cosign(finance_, new_head, {"--proof", proof});
  ASSERT_EQ(finance_cosigned.exit_code, 0) << finance_cosigned.Describe();
  CommandResult two_witnesses = FundtrailVerify(between);
  ASSERT_EQ(two_witnesses.exit_code, 0) << two_witnesses.Describe();
  EXPECT_NE(two_witnesses.out.find("extends the trusted head of " + std::to_string(TreeSize(old_head)) + " entries"),
            std::string::npos)
      << two_witnesses.out;
  EXPECT_NE(two_witnesses.out.find("witnesses: 2 valid co-signatures of the 2 needed"), std::string::npos)
      << two_witnesses.out;
  // Without the operator key the heads' signatures cannot be checked: say what to give.
  CommandResult no_key = FundtrailVerify({proof, "--trusted-head", old_head, "--head", new_head});
  EXPECT_EQ(no_key.exit_code, 1) << no_key.Describe();
  EXPECT_NE(no_key.err.find("--operator-key OPERATOR.pub"), std::string::npos) << no_key.Describe();
  // Heads swapped: the proof is not between them.
  CommandResult swapped = FundtrailVerify({proof, "--trusted-head", new_head, "--head", old_head, "--operator-key",
                                           alliance_->operator_key.path + ".pub"});
  EXPECT_NE(swapped.exit_code, 0) << swapped.Describe();

  // A bundle and an inclusion proof against the co-signed head: the quorum travels with them.
  const std::string bundle = temp_ / "all.bundle";
  ASSERT_EQ(Fundtrail({"export", "--ledger", alliance_->ledger(), "--head", new_head, "--out", bundle}).exit_code, 0);
  CommandResult bundle_checked = FundtrailVerify({"-q", bundle, "--witness-policy", policy_});
  ASSERT_EQ(bundle_checked.exit_code, 0) << bundle_checked.Describe();
  EXPECT_NE(bundle_checked.out.find("witnesses: 2 valid co-signatures of the 2 needed"), std::string::npos)
      << bundle_checked.out;
  const std::string event = temp_ / "event.json";
  ASSERT_EQ(Fundtrail({"prove", "--ledger", alliance_->ledger(), "--seq", "3", "--head", new_head, "--out", event})
                .exit_code,
            0);
  CommandResult event_checked = FundtrailVerify({event, "--witness-policy", policy_});
  ASSERT_EQ(event_checked.exit_code, 0) << event_checked.Describe();
  // A head signed just now (--sign-key) has no co-signatures: the policy refuses it.
  const std::string unwitnessed = temp_ / "unwitnessed.bundle";
  ASSERT_EQ(Fundtrail({"export", "--ledger", alliance_->ledger(), "--sign-key", alliance_->operator_key.path, "--out",
                       unwitnessed})
                .exit_code,
            0);
  CommandResult refused = FundtrailVerify({"-q", unwitnessed, "--witness-policy", policy_});
  EXPECT_EQ(refused.exit_code, 6) << refused.Describe();
  EXPECT_NE(refused.err.find("0 valid co-signatures of the 2 needed"), std::string::npos) << refused.Describe();
}

}  // namespace
}  // namespace fundtrail::testing
