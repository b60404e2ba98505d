// End-to-end tests of the regulator's evidence, as a user runs it: `fundtrail head`, `fundtrail
// prove --seq`, `fundtrail export`, and the offline verifier `fundtrail-verify` (exit 0 ok, 1 usage,
// 3 verification failed, 5 missing file), on the sample alliance and on the demo ledger; damaged
// copies, a log that grew since a trusted head and one whose history was rewritten.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <regex>

#include "tests/testing/cli_harness.h"

#ifndef FUNDTRAIL_VERIFY_BINARY
#error "FUNDTRAIL_VERIFY_BINARY must name the fundtrail-verify executable"
#endif
#ifndef FUNDTRAIL_SOURCE_DIR
#error "FUNDTRAIL_SOURCE_DIR must name the source tree (for the demo's keys)"
#endif

namespace fundtrail::testing {
namespace {

using nlohmann::json;

CommandResult Verify(const std::vector<std::string>& args) { return FundtrailVerify(args); }

// Exactly one line on stderr, starting with `prefix` and holding each of `needles`.
void ExpectOneLine(const CommandResult& result, const std::string& prefix, const std::vector<std::string>& needles) {
  std::cout << "  " << result.err;  // what the user reads
  EXPECT_TRUE(result.err.starts_with(prefix)) << result.Describe();
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.Describe();
  for (const auto& needle : needles) {
    EXPECT_NE(result.err.find(needle), std::string::npos) << "stderr lacks \"" << needle << "\"\n" << result.Describe();
  }
}

// fundtrail-verify found the file damaged: exit 3, one line naming what failed.
void ExpectVerificationFailed(const CommandResult& result, const std::vector<std::string>& needles) {
  EXPECT_EQ(result.exit_code, 3) << result.Describe();
  ExpectOneLine(result, "fundtrail-verify: verification FAILED: ", needles);
  EXPECT_TRUE(result.out.empty()) << result.Describe();
}

void ExpectContains(const CommandResult& result, const std::vector<std::string>& needles) {
  for (const auto& needle : needles) {
    EXPECT_NE(result.out.find(needle), std::string::npos) << "stdout lacks \"" << needle << "\"\n" << result.Describe();
  }
}

// The sample alliance (31 events) with a signed head of all of it, shared by the tests that only
// read it; tests that append work on a copy of its directory.
class ProofTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    temp_ = std::make_unique<TempDir>();
    alliance_ = std::make_unique<SampleAlliance>(temp_->path());
    alliance_->Init();
    alliance_->AppendHistory();
    head_ = *temp_ / "head.json";
    CommandResult head = Fundtrail(
        {"head", "--ledger", alliance_->ledger(), "--sign-key", alliance_->operator_key.path, "--out", head_});
    ASSERT_EQ(head.exit_code, 0) << head.Describe();
    last_ = alliance_->receipts().back().at("last_sequence").get<uint64_t>();
  }
  static void TearDownTestSuite() {
    alliance_.reset();
    temp_.reset();
  }

  // `fundtrail args... --ledger LEDGER`.
  static CommandResult Run(std::vector<std::string> args, const std::string& ledger = "") {
    args.insert(args.end(), {"--ledger", ledger.empty() ? alliance_->ledger() : ledger});
    return Fundtrail(args);
  }
  // The sequence at which `key` was registered.
  static uint64_t RegisteredAt(const TestKey& key) {
    for (const auto& entry : alliance_->Log({"--type", "key_registered"})) {
      if (entry["event"]["public_key"] == key.public_key_hex) return entry["sequence"].get<uint64_t>();
    }
    ADD_FAILURE() << "key " << key.path << " is not registered";
    return 0;
  }
  // A copy of the alliance's ledger directory, the same log to the byte, that a test may append
  // to. (CopySubmissions would not do: the copy's submission records get its own append times,
  // so its chain differs from the first submission on.)
  std::string CopyOfLedger(const std::string& name) {
    std::string copy = dir_ / name;
    std::filesystem::copy(alliance_->ledger(), copy, std::filesystem::copy_options::recursive);
    return copy;
  }
  // `fundtrail append` of one CATL expenditure to `ledger`.
  CommandResult AppendExpenditure(const std::string& ledger, const std::string& invoice, const std::string& amount) {
    std::string file = dir_ / (invoice + ".jsonl");
    WriteFile(file, JsonLines({ExpenditureRecorded(SampleAlliance::kGrantBattery, SampleAlliance::kCatl, "materials",
                                                   "V-LAB", invoice, amount)}));
    return Fundtrail({"append", "--ledger", ledger, "--key", alliance_->finance_catl.path, file});
  }

  // `prove --seq` to a file and to stdout; fundtrail-verify names the event and the key chain.
  void ProveAndVerify() {
    const uint64_t sequence = alliance_->receipts()[4].at("first_sequence").get<uint64_t>();  // CATL's expenditure
    const std::string proof = dir_ / "p.json";
    CommandResult proved = Run({"prove", "--seq", std::to_string(sequence), "--head", head_, "--out", proof});
    ASSERT_EQ(proved.exit_code, 0) << proved.Describe();
    ExpectContains(proved, {"proof of event " + std::to_string(sequence) + " (expenditure_recorded) in the tree of " +
                                std::to_string(last_) + " entries",
                            "signed by key " + alliance_->finance_catl.key_id_hex + " of CATL (member_finance)",
                            "fundtrail-verify " + proof});

    CommandResult verified = Verify({proof});
    ASSERT_EQ(verified.exit_code, 0) << verified.Describe();
    EXPECT_TRUE(verified.err.empty()) << verified.Describe();
    ExpectContains(verified, {"ok: event " + std::to_string(sequence) + " (expenditure_recorded) is entry " +
                                  std::to_string(sequence) + " of the tree of " + std::to_string(last_) + " entries",
                              "signed by key " + alliance_->finance_catl.key_id_hex +
                                  " \"finance_catl\" of CATL "
                                  "(member_finance), registered at sequence " +
                                  std::to_string(RegisteredAt(alliance_->finance_catl)),
                              "registered by the operator key " + alliance_->operator_key.key_id_hex + " (genesis)",
                              "\"invoice_number\":\"INV-001\""});

    // The admin's key came with `init --admin-key`; its events chain back the same way. Without
    // --out the proof goes to stdout, signed with --sign-key.
    const uint64_t project = alliance_->receipts()[0].at("first_sequence").get<uint64_t>();
    CommandResult printed =
        Run({"prove", "--seq", std::to_string(project), "--sign-key", alliance_->operator_key.path});
    ASSERT_EQ(printed.exit_code, 0) << printed.Describe();
    EXPECT_EQ(json::parse(printed.out)["format"], "fundtrail-inclusion-proof-1");
    WriteFile(dir_ / "project.json", printed.out);
    CommandResult project_verified = Verify({dir_ / "project.json", "--quiet"});
    ASSERT_EQ(project_verified.exit_code, 0) << project_verified.Describe();
    ExpectContains(project_verified, {"(project_registered)", "signed by key " + alliance_->admin.key_id_hex,
                                      "registered by the operator key"});
  }

  // `export`, whole and partial; fundtrail-verify replays it.
  void ExportAndVerify() {
    const std::string bundle = dir_ / "all.bundle";
    CommandResult exported = Run({"export", "--out", bundle, "--head", head_});
    ASSERT_EQ(exported.exit_code, 0) << exported.Describe();
    ExpectContains(exported, {"exported events 1.." + std::to_string(last_) + " (" + std::to_string(last_) +
                                  " events in 8 submissions) to " + bundle,
                              "fundtrail-verify " + bundle});
    CommandResult verified = Verify({bundle});
    ASSERT_EQ(verified.exit_code, 0) << verified.Describe();
    ExpectContains(
        verified,
        {"ok: bundle of events 1.." + std::to_string(last_) + " (" + std::to_string(last_) +
             " events in 8 submissions)",
         "alliance PBA", "the entries form a tree that the head of " + std::to_string(last_) + " entries extends",
         // Every submission after the genesis commits the views (docs/FORMAT.md, section 5).
         "the views' figures (grants, members, alliance) fold from the events into the digest each of 7 "
         "submissions commits"});

    // A partial range, starting and ending inside submissions: widened to whole ones.
    const json& disbursed = alliance_->receipts()[3];     // three events
    const json& expenditures = alliance_->receipts()[5];  // two events
    const uint64_t from = disbursed.at("first_sequence").get<uint64_t>();
    const uint64_t to = expenditures.at("last_sequence").get<uint64_t>();
    const std::string partial = dir_ / "partial.bundle";
    CommandResult cut = Run({"export", "--out", partial, "--from-seq", std::to_string(from + 1), "--to-seq",
                             std::to_string(to - 1), "--head", head_});
    ASSERT_EQ(cut.exit_code, 0) << cut.Describe();
    ExpectContains(cut, {"exported events " + std::to_string(from) + ".." + std::to_string(to),
                         "widened to whole submissions", "earlier events the validation state depends on"});
    CommandResult partial_verified = Verify({partial});
    ASSERT_EQ(partial_verified.exit_code, 0) << partial_verified.Describe();
    ExpectContains(partial_verified,
                   {"ok: bundle of events " + std::to_string(from) + ".." + std::to_string(to),
                    "earlier events the validation state depends on", "note: a partial bundle cannot show"});
    // Checked against the head it was exported with, saved by the regulator.
    CommandResult trusted = Verify({partial, "--trusted-head", head_});
    ASSERT_EQ(trusted.exit_code, 0) << trusted.Describe();
    ExpectContains(trusted, {"the log extends the trusted head of " + std::to_string(last_) + " entries"});
  }

  // A damaged copy of each: exit 3, one line naming what failed.
  void DamagedCopiesFail() {
    const uint64_t sequence = alliance_->receipts()[4].at("first_sequence").get<uint64_t>();
    const std::string proof = dir_ / "p.json";
    ASSERT_EQ(Run({"prove", "--seq", std::to_string(sequence), "--head", head_, "--out", proof}).exit_code, 0);
    // One hex digit of the event's bytes (the end of the record).
    json damaged = json::parse(ReadFile(proof));
    std::string record = damaged["subject"]["record"];
    record[record.size() - 20] = record[record.size() - 20] == '0' ? '1' : '0';
    damaged["subject"]["record"] = record;
    WriteFile(dir_ / "damaged.json", damaged.dump(2));
    ExpectVerificationFailed(
        Verify({dir_ / "damaged.json"}),
        {"event " + std::to_string(sequence) + ": the event differs from the digest its submission signed"});
    // The head's root.
    damaged = json::parse(ReadFile(proof));
    std::string root = damaged["head"]["root_hash"];
    root[0] = root[0] == '0' ? '1' : '0';
    damaged["head"]["root_hash"] = root;
    WriteFile(dir_ / "other-root.json", damaged.dump(2));
    ExpectVerificationFailed(Verify({dir_ / "other-root.json"}),
                             {"inclusion proof in the tree of", "differs from expected"});

    // A bundle, whole and partial: one bit of the last entry's event.
    for (const std::vector<std::string>& range :
         {std::vector<std::string>{}, std::vector<std::string>{"--from-seq", "20"}}) {
      const std::string bundle = dir_ / "b.bundle";
      std::vector<std::string> args = {"export", "--out", bundle, "--head", head_};
      args.insert(args.end(), range.begin(), range.end());
      ASSERT_EQ(Run(args).exit_code, 0);
      std::string bytes = ReadFile(bundle);
      const size_t end_record = bytes.size() - (5 + 16);
      const size_t consistency_record = end_record - (5 + 8 + 8 + 2);  // an empty proof: the head is the log's
      bytes[consistency_record - 3] = static_cast<char>(bytes[consistency_record - 3] ^ 0x10);
      WriteFile(dir_ / "damaged.bundle", bytes);
      ExpectVerificationFailed(Verify({dir_ / "damaged.bundle"}), {"sequence " + std::to_string(last_) +
                                                                   ": the event differs from the digest its "
                                                                   "submission signed"});
    }
  }

  // `prove` and `export` without a head, or beyond the log.
  void ProveMisuseIsRefused() {
    CommandResult no_head = Run({"prove", "--seq", "3"});
    EXPECT_EQ(no_head.exit_code, 2) << no_head.Describe();
    ExpectOneLine(no_head, "fundtrail: error: ", {"give --head FILE", "--sign-key OPERATOR.pem"});
    CommandResult beyond = Run({"prove", "--seq", std::to_string(last_ + 1), "--head", head_});
    EXPECT_EQ(beyond.exit_code, 5) << beyond.Describe();
    ExpectOneLine(beyond, "fundtrail: error: ", {"--seq " + std::to_string(last_ + 1), "1.." + std::to_string(last_)});
    CommandResult no_export_head = Run({"export", "--out", dir_ / "x.bundle"});
    EXPECT_EQ(no_export_head.exit_code, 2) << no_export_head.Describe();
    ExpectOneLine(no_export_head, "fundtrail: error: ", {"--head FILE"});
  }

  // The log grew since the regulator saved head.json: a bundle from 1 extends it.
  void AGrownLogExtendsTheTrustedHead() {
    const std::string ledger = CopyOfLedger("grown");
    ASSERT_EQ(AppendExpenditure(ledger, "INV-LATER-1", "10.00 CNY").exit_code, 0);
    ASSERT_EQ(AppendExpenditure(ledger, "INV-LATER-2", "20.00 CNY").exit_code, 0);
    const std::string bundle = dir_ / "grown.bundle";
    CommandResult exported = Run({"export", "--out", bundle, "--sign-key", alliance_->operator_key.path}, ledger);
    ASSERT_EQ(exported.exit_code, 0) << exported.Describe();
    CommandResult verified = Verify({"--trusted-head", head_, bundle});
    ASSERT_EQ(verified.exit_code, 0) << verified.Describe();
    ExpectContains(verified, {"ok: bundle of events 1.." + std::to_string(last_ + 2),
                              "the log extends the trusted head of " + std::to_string(last_) + " entries"});
    // A bundle that starts after the trusted head cannot show it: the message says what to export.
    const std::string late = dir_ / "late.bundle";
    ASSERT_EQ(Run({"export", "--out", late, "--from-seq", std::to_string(last_ + 2), "--sign-key",
                   alliance_->operator_key.path},
                  ledger)
                  .exit_code,
              0);
    CommandResult unreachable = Verify({"--trusted-head", head_, late});
    EXPECT_EQ(unreachable.exit_code, 1) << unreachable.Describe();
    ExpectOneLine(
        unreachable, "fundtrail-verify: error: ",
        {"the trusted head has " + std::to_string(last_) + " entries", "--from-seq " + std::to_string(last_ + 1)});
  }

  // A proof against a newer head than the trusted one: the advice fundtrail-verify gives names
  // options of `fundtrail prove` (it once advised --from-head before prove had it).
  void AdviceNamesOptionsThatExist() {
    const std::string ledger = CopyOfLedger("newer");
    ASSERT_EQ(AppendExpenditure(ledger, "INV-LATER", "10.00 CNY").exit_code, 0);
    const std::string proof = dir_ / "newer.json";
    ASSERT_EQ(
        Run({"prove", "--seq", "3", "--sign-key", alliance_->operator_key.path, "--out", proof}, ledger).exit_code, 0);
    CommandResult mismatch = Verify({"--trusted-head", head_, proof});
    EXPECT_EQ(mismatch.exit_code, 1) << mismatch.Describe();
    ExpectOneLine(mismatch, "fundtrail-verify: error: ",
                  {"the proof is against a head of " + std::to_string(last_ + 1) + " entries, the trusted head has " +
                   std::to_string(last_)});
    CommandResult help = Fundtrail({"prove", "--help"});
    ASSERT_EQ(help.exit_code, 0) << help.Describe();
    const std::regex advised(R"(fundtrail prove (--[a-z-]+))");
    for (std::sregex_iterator it(mismatch.err.begin(), mismatch.err.end(), advised), end; it != end; ++it) {
      EXPECT_NE(help.out.find((*it)[1].str()), std::string::npos)
          << "fundtrail-verify advises `fundtrail prove " << (*it)[1] << "`, which `fundtrail prove` does not have\n"
          << mismatch.err << help.out;
    }
    // Against the head it was made with, it verifies.
    EXPECT_EQ(Verify({proof}).exit_code, 0);
  }

  // The operator rewrites history after the regulator saved a head: a fork of the ledger (a copy
  // of its directory) gets other validly signed events, every hash recomputed, heads re-signed.
  // Its bundle verifies on its own; only the saved head exposes it. A directory copy shares the
  // log to the byte up to the fork, so the head both share still checks.
  void ARewrittenHistoryFails() {
    const std::string genuine = CopyOfLedger("genuine");
    const std::string rewritten = CopyOfLedger("rewritten");
    ASSERT_EQ(AppendExpenditure(genuine, "INV-REAL", "500.00 CNY").exit_code, 0);
    const std::string saved = dir_ / "saved-head.json";
    ASSERT_EQ(Run({"head", "--sign-key", alliance_->operator_key.path, "--out", saved}, genuine).exit_code, 0);

    ASSERT_EQ(AppendExpenditure(rewritten, "INV-FAKE", "5.00 CNY").exit_code, 0);
    const std::string same_size = dir_ / "same-size.bundle";
    ASSERT_EQ(Run({"export", "--out", same_size, "--sign-key", alliance_->operator_key.path}, rewritten).exit_code, 0);
    ASSERT_EQ(AppendExpenditure(rewritten, "INV-MORE", "6.00 CNY").exit_code, 0);
    const std::string longer = dir_ / "longer.bundle";
    ASSERT_EQ(Run({"export", "--out", longer, "--sign-key", alliance_->operator_key.path}, rewritten).exit_code, 0);
    ASSERT_EQ(Verify({longer}).exit_code, 0) << "the rewrite is self-consistent";
    CommandResult shared_prefix = Verify({"--trusted-head", head_, longer});
    EXPECT_EQ(shared_prefix.exit_code, 0) << "the fork keeps the first " << last_ << " entries\n"
                                          << shared_prefix.Describe();

    const std::string size = std::to_string(last_ + 1);
    ExpectVerificationFailed(
        Verify({"--trusted-head", saved, longer}),
        {"the log is not an extension of the trusted head: at size " + size, "history was rewritten"});
    ExpectVerificationFailed(Verify({"--trusted-head", saved, same_size}),
                             {"split view: two different heads of size " + size});
  }

  TempDir dir_;
  static inline std::unique_ptr<TempDir> temp_;
  static inline std::unique_ptr<SampleAlliance> alliance_;
  static inline std::string head_;
  static inline uint64_t last_ = 0;
};

// One test per fixture setup: ctest runs every test in a process of its own, and building the
// sample alliance through the CLI takes seconds.
TEST_F(ProofTest, ProveExportAndVerifyOffline) {
  ProveAndVerify();
  ExportAndVerify();
  DamagedCopiesFail();
  ProveMisuseIsRefused();
}

TEST_F(ProofTest, TrustedHeads) {
  AGrownLogExtendsTheTrustedHead();
  AdviceNamesOptionsThatExist();
  ARewrittenHistoryFails();
}

TEST(ProofVerifierTest, MisuseIsRefusedSayingWhatToDo) {
  TempDir dir;
  CommandResult missing = Verify({dir / "no-such-file"});
  EXPECT_EQ(missing.exit_code, 5) << missing.Describe();
  ExpectOneLine(missing, "fundtrail-verify: error: ", {"cannot open", "no-such-file"});
  CommandResult no_file = Verify({});
  EXPECT_EQ(no_file.exit_code, 1) << no_file.Describe();

  // Random bytes (a fixed seed): neither a bundle nor a proof. Behind the bundle magic: damaged.
  std::mt19937_64 random(20240615);
  std::string noise(4096, '\0');
  for (char& c : noise) c = static_cast<char>(random());
  WriteFile(dir / "noise.bin", noise);
  CommandResult not_evidence = Verify({dir / "noise.bin"});
  EXPECT_EQ(not_evidence.exit_code, 1) << not_evidence.Describe();
  ExpectOneLine(not_evidence, "fundtrail-verify: error: ", {"noise.bin is neither a bundle nor a JSON proof"});
  WriteFile(dir / "noise.bundle", "FTBUNDL1" + noise);
  ExpectVerificationFailed(Verify({dir / "noise.bundle"}), {"bundle record 1 ("});
  WriteFile(dir / "other.json", R"({"format": "fundtrail-inclusion-proof-9"})");
  CommandResult unknown = Verify({dir / "other.json"});
  EXPECT_EQ(unknown.exit_code, 1) << unknown.Describe();
  ExpectOneLine(unknown, "fundtrail-verify: error: ", {"unknown proof format \"fundtrail-inclusion-proof-9\""});
}

// The demo's realistic ledger: a reversal whose target lies before the exported range.
TEST(ProofDemoTest, TheDemoLedgerProvesAndExportsAReversal) {
  TempDir dir;
  const std::string ledger = dir / "demo";
  CommandResult demo = Fundtrail({"demo", "--ledger", ledger});
  ASSERT_EQ(demo.exit_code, 0) << demo.Describe();
  const std::string head = dir / "head.json";
  const std::string operator_key = std::string(FUNDTRAIL_SOURCE_DIR) + "/examples/power-battery/keys/operator.pem";
  ASSERT_EQ(Fundtrail({"head", "--ledger", ledger, "--sign-key", operator_key, "--out", head}).exit_code, 0);
  const uint64_t size = json::parse(ReadFile(head))["tree_size"].get<uint64_t>();
  CommandResult reversals = Fundtrail({"log", "--ledger", ledger, "--json", "--type", "reversal"});
  ASSERT_EQ(reversals.exit_code, 0) << reversals.Describe();
  auto lines = ParseJsonLines(reversals.out);
  ASSERT_FALSE(lines.empty()) << "the demo has no reversal";
  const std::string reversal = lines[0]["sequence"].dump();

  const std::string proof = dir / "reversal.json";
  ASSERT_EQ(Fundtrail({"prove", "--ledger", ledger, "--seq", reversal, "--head", head, "--out", proof}).exit_code, 0);
  CommandResult proved = Verify({proof});
  ASSERT_EQ(proved.exit_code, 0) << proved.Describe();
  ExpectContains(proved, {"ok: event " + reversal + " (reversal)", "registered by the operator key"});

  const std::string partial = dir / "reversal.bundle";
  CommandResult exported = Fundtrail(
      {"export", "--ledger", ledger, "--out", partial, "--from-seq", reversal, "--to-seq", reversal, "--head", head});
  ASSERT_EQ(exported.exit_code, 0) << exported.Describe();
  ExpectContains(exported, {"and 1 reversed events"});
  CommandResult verified = Verify({"--trusted-head", head, partial});
  ASSERT_EQ(verified.exit_code, 0) << verified.Describe();
  ExpectContains(verified, {"and 1 referenced (reversed) events are proven in the head's tree",
                            "the log extends the trusted head of " + std::to_string(size) + " entries"});

  const std::string whole = dir / "whole.bundle";
  ASSERT_EQ(Fundtrail({"export", "--ledger", ledger, "--out", whole, "--head", head}).exit_code, 0);
  CommandResult all = Verify({"-q", whole});
  ASSERT_EQ(all.exit_code, 0) << all.Describe();
  ExpectContains(all, {"ok: bundle of events 1.." + std::to_string(size)});
}

TEST(ProofVerifierTest, TheVerifierDoesNotLinkRocksDb) {
  CommandResult ldd = RunCommand({"/usr/bin/ldd", FUNDTRAIL_VERIFY_BINARY});
  ASSERT_EQ(ldd.exit_code, 0) << ldd.Describe();
  EXPECT_NE(ldd.out.find("libcrypto"), std::string::npos) << "ldd listed no libraries?\n" << ldd.out;
  EXPECT_EQ(ldd.out.find("librocksdb"), std::string::npos) << ldd.out;
  // The fundtrail binary does: the check above can tell.
  EXPECT_NE(RunCommand({"/usr/bin/ldd", FundtrailBinary()}).out.find("librocksdb"), std::string::npos);
}

}  // namespace
}  // namespace fundtrail::testing
