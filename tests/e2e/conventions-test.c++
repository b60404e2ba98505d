// End-to-end tests of the command line's conventions (issue 18, item 5), through the binary:
// what the README shows works as shown (init without --genesis, the demo of an installed binary),
// flag explanations in Chinese, "did you mean", shell completion and man pages, and the
// configuration file.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <set>

#include "tests/testing/cli_harness.h"

namespace fundtrail::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// The commands `fundtrail --help` lists, read from its "Subcommands:" section.
std::vector<std::string> ListedCommands() {
  CommandResult help = Fundtrail({"--help"});
  EXPECT_EQ(help.exit_code, 0) << help.Describe();
  std::vector<std::string> commands;
  bool in_list = false;
  for (const auto& line : SplitLines(help.out)) {
    if (line.starts_with("Subcommands:")) {
      in_list = true;
      continue;
    }
    std::smatch match;
    if (in_list && std::regex_search(line, match, std::regex(R"(^  ([a-z][a-z-]*)\s)")))
      commands.push_back(match[1]);
  }
  EXPECT_GT(commands.size(), 20u) << help.out;
  return commands;
}

// ---------------------------------------------------------------------------------------------
// What the README shows

TEST(ReadmeTest, InitWithAdminKeyAndOrgButNoGenesis) {
  TempDir dir;
  SampleAlliance alliance(dir.path());
  std::string ledger = dir / "L";
  CommandResult init =
      Fundtrail({"init", "--ledger", ledger, "--operator-key", alliance.operator_key.path,
                 "--alliance-id", "PBA", "--alliance-name", "动力电池产业技术创新战略联盟",
                 "--admin-key", alliance.admin.path + ".pub", "--admin-org", "SEC"});
  ASSERT_EQ(init.exit_code, 0) << init.Describe();
  CommandResult log = Fundtrail({"log", "--ledger", ledger, "--json"});
  ASSERT_EQ(log.exit_code, 0) << log.Describe();
  auto lines = ParseJsonLines(log.out);
  ASSERT_EQ(lines.size(), 3u) << log.out;
  const json& organisation = lines[1]["event"];
  EXPECT_EQ(organisation["type"], "organisation_registered");
  EXPECT_EQ(organisation["org_id"], "SEC");
  EXPECT_EQ(organisation["name"], "动力电池产业技术创新战略联盟秘书处");
  EXPECT_EQ(organisation["kind"], "other");
  EXPECT_EQ(lines[2]["event"]["roles"], json::array({"admin"}));
  // The admin appends at once, and the ledger verifies.
  WriteFile(dir / "project.jsonl", JsonLines({ProjectRegistered("P-1", "固态电池")}));
  CommandResult append = Fundtrail(
      {"append", "--ledger", ledger, "--key", alliance.admin.path, dir / "project.jsonl"});
  EXPECT_EQ(append.exit_code, 0) << append.Describe();
  EXPECT_EQ(Fundtrail({"verify", "--ledger", ledger, "--quiet"}).exit_code, 0);
}

TEST(ReadmeTest, InitNamesTheAdminOrganisationAsAsked) {
  TempDir dir;
  SampleAlliance alliance(dir.path());
  CommandResult init = Fundtrail(
      {"init", "--ledger", dir / "L", "--operator-key", alliance.operator_key.path, "--alliance-id",
       "PBA", "--alliance-name", "联盟", "--admin-key", alliance.admin.path + ".pub", "--admin-org",
       "SEC", "--admin-org-name", "常州促进会", "--admin-org-kind", "enterprise",
       "--admin-org-representative", "吴建平"});
  ASSERT_EQ(init.exit_code, 0) << init.Describe();
  auto lines = ParseJsonLines(Fundtrail({"log", "--ledger", dir / "L", "--json"}).out);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1]["event"]["name"], "常州促进会");
  EXPECT_EQ(lines[1]["event"]["kind"], "enterprise");
  EXPECT_EQ(lines[1]["event"]["legal_representative"], "吴建平");
  // A bad kind is the codec's one-line error, and no ledger is left behind.
  CommandResult bad =
      Fundtrail({"init", "--ledger", dir / "M", "--operator-key", alliance.operator_key.path,
                 "--alliance-id", "PBA", "--alliance-name", "联盟", "--admin-key",
                 alliance.admin.path + ".pub", "--admin-org", "SEC", "--admin-org-kind", "bank"});
  EXPECT_EQ(bad.exit_code, 2) << bad.Describe();
  EXPECT_NE(bad.err.find("kind"), std::string::npos) << bad.Describe();
}

// `cmake --install` into a fresh prefix: the binaries, the demo's examples, the man pages and
// the completions. The installed demo runs from another directory and takes the installed
// examples, not the source tree's.
TEST(ReadmeTest, InstalledBinaryRunsTheDemoAndHasManPagesAndCompletion) {
  TempDir prefix;
  CommandResult install = RunCommand(
      {FUNDTRAIL_CMAKE_COMMAND, "--install", FUNDTRAIL_BUILD_DIR, "--prefix", prefix.path()});
  ASSERT_EQ(install.exit_code, 0) << install.Describe();
  const std::string installed = prefix / "bin/fundtrail";
  TempDir elsewhere;
  CommandResult demo = RunCommand(
      {installed, "demo"},
      {.input = {}, .environment = {{"FUNDTRAIL_EXAMPLES", ""}}, .directory = elsewhere.path()});
  ASSERT_EQ(demo.exit_code, 0) << demo.Describe();
  EXPECT_NE(demo.out.find("examples from " + fs::canonical(prefix.path()).string() +
                          "/share/fundtrail/examples/power-battery"),
            std::string::npos)
      << demo.out.substr(0, 400);
  EXPECT_TRUE(fs::exists(elsewhere / "demo-ledger"));
  EXPECT_EQ(
      RunCommand({installed, "verify", "--ledger", elsewhere / "demo-ledger", "--quiet"}).exit_code,
      0);
  for (const auto& command : ListedCommands()) {
    EXPECT_TRUE(fs::exists(prefix / ("share/man/man1/fundtrail-" + command + ".1"))) << command;
  }
  EXPECT_TRUE(fs::exists(prefix / "share/man/man1/fundtrail.1"));
  EXPECT_TRUE(fs::exists(prefix / "share/bash-completion/completions/fundtrail"));
  EXPECT_TRUE(fs::exists(prefix / "share/zsh/vendor-completions/_fundtrail"));
  EXPECT_TRUE(fs::exists(prefix / "bin/fundtrail-verify"));
}

TEST(ReadmeTest, DemoSaysWhereItLooked) {
  TempDir dir;
  CommandResult demo = Fundtrail({"demo", "--ledger", dir / "d", "--examples", dir / "nowhere"});
  EXPECT_EQ(demo.exit_code, 5) << demo.Describe();
  EXPECT_NE(demo.err.find("nowhere/demo.json"), std::string::npos) << demo.Describe();
}

// ---------------------------------------------------------------------------------------------
// Flag explanations in Chinese

class DemoLedgerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    CommandResult demo = Fundtrail({"demo", "--ledger", *dir_ / "demo"});
    ASSERT_EQ(demo.exit_code, 0) << demo.Describe();
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string Ledger() { return *dir_ / "demo"; }
  static std::vector<json> FlagsJson(const std::vector<std::string>& extra,
                                     const RunOptions& options = {}) {
    std::vector<std::string> args = {"flags", "--ledger", Ledger(), "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    CommandResult flags = Fundtrail(args, options);
    EXPECT_EQ(flags.exit_code, 0) << flags.Describe();
    return ParseJsonLines(flags.out);
  }
  static TempDir* dir_;
};
TempDir* DemoLedgerTest::dir_ = nullptr;

bool HasHan(const std::string& text) {
  // Every CJK unified ideograph in UTF-8 starts with a byte 0xE4..0xE9.
  return std::any_of(text.begin(), text.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte >= 0xE4 && byte <= 0xE9;
  });
}

TEST_F(DemoLedgerTest, EveryFlagOfTheDemoHasAChineseExplanation) {
  auto english = FlagsJson({"--lang", "en"},
                           {.input = {},
                            .environment = {{"LANG", ""}, {"LC_ALL", ""}, {"LC_MESSAGES", ""}},
                            .directory = {}});
  auto chinese = FlagsJson({"--lang", "zh"});
  ASSERT_EQ(english.size(), chinese.size());
  ASSERT_GT(chinese.size(), 10u);
  std::set<std::string> rules;
  for (size_t i = 0; i < chinese.size(); ++i) {
    ASSERT_EQ(chinese[i]["id"], english[i]["id"]);
    const std::string text = chinese[i]["explanation"];
    EXPECT_TRUE(HasHan(text)) << chinese[i].dump();
    EXPECT_NE(text, english[i]["explanation"].get<std::string>());
    // A field the sentence lacked would read "?"; a sentence that failed would be the English.
    EXPECT_EQ(text.find("?"), std::string::npos) << "a missing field: " << text;
    rules.insert(chinese[i]["rule"]);
  }
  std::cout << "  the demo raises " << chinese.size() << " flags of " << rules.size() << " rules\n";
}

TEST_F(DemoLedgerTest, TheLanguageComesFromLangUnlessGiven) {
  auto by_flag = FlagsJson({"--lang", "zh"});
  auto by_locale =
      FlagsJson({}, {.input = {},
                     .environment = {{"LANG", "zh_CN.UTF-8"}, {"LC_ALL", ""}, {"LC_MESSAGES", ""}},
                     .directory = {}});
  auto c_locale =
      FlagsJson({}, {.input = {},
                     .environment = {{"LANG", "C.UTF-8"}, {"LC_ALL", ""}, {"LC_MESSAGES", ""}},
                     .directory = {}});
  auto english = FlagsJson(
      {"--lang", "en"}, {.input = {}, .environment = {{"LANG", "zh_CN.UTF-8"}}, .directory = {}});
  ASSERT_FALSE(by_flag.empty());
  EXPECT_EQ(by_locale, by_flag);
  EXPECT_EQ(c_locale, english);
  CommandResult bad = Fundtrail({"flags", "--ledger", Ledger(), "--lang", "fr"});
  EXPECT_EQ(bad.exit_code, 1) << bad.Describe();
  EXPECT_EQ(
      bad.err,
      "fundtrail: error: --lang \"fr\" is not a language; use zh (Chinese) or en (English)\n");
  // flags show too, and the table.
  const std::string id = by_flag.front()["id"];
  CommandResult show = Fundtrail({"flags", "show", id, "--ledger", Ledger(), "--lang", "zh"});
  ASSERT_EQ(show.exit_code, 0) << show.Describe();
  EXPECT_NE(show.out.find(by_flag.front()["explanation"].get<std::string>()), std::string::npos)
      << show.out;
  CommandResult table = Fundtrail({"flags", "--ledger", Ledger(), "--lang", "zh"});
  ASSERT_EQ(table.exit_code, 0) << table.Describe();
  EXPECT_NE(table.out.find(by_flag.back()["explanation"].get<std::string>()), std::string::npos);
}

TEST_F(DemoLedgerTest, TheReportIsChineseByDefault) {
  TempDir dir;
  CommandResult head = Fundtrail({"head", "--ledger", Ledger(), "--sign-key",
                                  FUNDTRAIL_SOURCE_DIR "/examples/power-battery/keys/operator.pem",
                                  "--out", dir / "head.json"});
  ASSERT_EQ(head.exit_code, 0) << head.Describe();
  CommandResult report = Fundtrail(
      {"report", "--ledger", Ledger(), "--head", dir / "head.json", "--out", dir / "r.html"});
  ASSERT_EQ(report.exit_code, 0) << report.Describe();
  std::string html = ReadFile(dir / "r.html");
  // Expenditure rules do not depend on the evaluation date: their sentences are the same today.
  size_t found = 0, english = 0;
  for (const auto& flag : FlagsJson({"--lang", "zh"})) {
    if (flag["explanation"].get<std::string>().starts_with("支出 #")) {
      found += html.find(flag["explanation"].get<std::string>()) != std::string::npos;
    }
  }
  for (const auto& flag : FlagsJson({"--lang", "en"})) {
    english += html.find(flag["explanation"].get<std::string>()) != std::string::npos;
  }
  EXPECT_GT(found, 0u);
  EXPECT_EQ(english, 0u);
}

// ---------------------------------------------------------------------------------------------
// Did you mean, completion, man pages

TEST(DidYouMeanTest, AMistypedCommandOrOption) {
  CommandResult command = Fundtrail({"apend", "x.jsonl"});
  EXPECT_EQ(command.exit_code, 1) << command.Describe();
  EXPECT_EQ(command.err,
            "fundtrail: usage error: unknown command \"apend\"; did you mean \"append\"? (see "
            "fundtrail --help)\n");
  CommandResult option = Fundtrail({"view", "grants", "--legder", "L"});
  EXPECT_EQ(option.exit_code, 1) << option.Describe();
  EXPECT_EQ(option.err,
            "fundtrail: usage error: unknown option \"--legder\" for fundtrail view; did you mean "
            "\"--ledger\"? "
            "(see fundtrail --help)\n");
  CommandResult sub = Fundtrail({"flags", "sohw", "TP-1/1"});
  EXPECT_EQ(sub.exit_code, 1) << sub.Describe();
  EXPECT_NE(sub.err.find("did you mean \"show\"?"), std::string::npos) << sub.Describe();
  // Nothing close: CLI11's own message.
  CommandResult far = Fundtrail({"frobnicate"});
  EXPECT_EQ(far.exit_code, 1);
  EXPECT_EQ(far.err.find("did you mean"), std::string::npos) << far.Describe();
}

TEST(CompletionTest, BashCompletesEveryCommand) {
  TempDir dir;
  CommandResult script = Fundtrail({"completion", "bash"});
  ASSERT_EQ(script.exit_code, 0) << script.Describe();
  WriteFile(dir / "fundtrail.bash", script.out);
  EXPECT_EQ(RunCommand({"/bin/bash", "-n", dir / "fundtrail.bash"}).exit_code, 0);
  // What bash offers after "fundtrail ", "fundtrail fl", "fundtrail flags show --l".
  auto complete = [&](const std::string& words, int current) {
    CommandResult run = RunCommand({"/bin/bash", "-c",
                                    "source " + dir / "fundtrail.bash" + "; COMP_WORDS=(" + words +
                                        "); COMP_CWORD=" + std::to_string(current) +
                                        "; _fundtrail; printf '%s\\n' \"${COMPREPLY[@]}\""});
    EXPECT_EQ(run.exit_code, 0) << run.Describe();
    return SplitLines(run.out);
  };
  auto all = complete("fundtrail ''", 1);
  for (const auto& command : ListedCommands()) {
    EXPECT_NE(std::find(all.begin(), all.end(), command), all.end()) << command;
  }
  EXPECT_EQ(complete("fundtrail fl", 1), std::vector<std::string>{"flags"});
  EXPECT_EQ(complete("fundtrail flags show --l", 3),
            (std::vector<std::string>{"--ledger", "--lang"}));
  EXPECT_EQ(complete("fundtrail view --ledger L --as-of-s", 4),
            std::vector<std::string>{"--as-of-seq"});
  CommandResult zsh = Fundtrail({"completion", "zsh"});
  ASSERT_EQ(zsh.exit_code, 0);
  for (const auto& command : ListedCommands()) {
    EXPECT_TRUE(std::regex_search(zsh.out, std::regex("[\" ]" + command + "[\" ]"))) << command;
  }
  EXPECT_EQ(Fundtrail({"completion", "fish"}).exit_code, 1);
}

TEST(ManTest, APagePerCommand) {
  TempDir dir;
  CommandResult written =
      Fundtrail({"man", "--out", dir / "man1"},
                {.input = {}, .environment = {{"SOURCE_DATE_EPOCH", "0"}}, .directory = {}});
  ASSERT_EQ(written.exit_code, 0) << written.Describe();
  std::string top = ReadFile(dir / "man1/fundtrail.1");
  EXPECT_EQ(top.rfind(".TH FUNDTRAIL 1 \"1970-01-01\"", 0), 0u) << top.substr(0, 200);
  for (const auto& command : ListedCommands()) {
    std::string page = ReadFile(dir / ("man1/fundtrail-" + command + ".1"));
    EXPECT_NE(page.find(".SH NAME\nfundtrail\\-" + command + " \\- "), std::string::npos)
        << command;
    EXPECT_NE(top.find(".B " + command + "\n"), std::string::npos) << command;
  }
  CommandResult show = Fundtrail({"man", "flags", "show"});
  ASSERT_EQ(show.exit_code, 0) << show.Describe();
  EXPECT_NE(show.out.find(".B \\-\\-lang TEXT"), std::string::npos) << show.out;
  EXPECT_EQ(Fundtrail({"man", "nothing"}).exit_code, 1);
}

// ---------------------------------------------------------------------------------------------
// Output

TEST(OutputTest, CsvWithAByteOrderMark) {
  TempDir dir;
  SampleAlliance alliance(dir.path());
  alliance.Init();
  alliance.AppendHistory();
  for (std::vector<std::string> args : {std::vector<std::string>{"log"},
                                        {"view", "grants"},
                                        {"view", "members"},
                                        {"history", "grant", SampleAlliance::kGrantBattery},
                                        {"flags"}}) {
    args.insert(args.end(), {"--ledger", alliance.ledger(), "--csv"});
    CommandResult plain = Fundtrail(args);
    ASSERT_EQ(plain.exit_code, 0) << plain.Describe();
    args.push_back("--bom");
    CommandResult marked = Fundtrail(args);
    ASSERT_EQ(marked.exit_code, 0) << marked.Describe();
    EXPECT_EQ(marked.out, "\xEF\xBB\xBF" + plain.out) << args[0];
    EXPECT_EQ(plain.out.rfind("\xEF\xBB\xBF", 0), std::string::npos) << args[0];
  }
  CommandResult alone = Fundtrail({"log", "--ledger", alliance.ledger(), "--bom"});
  EXPECT_EQ(alone.exit_code, 1) << alone.Describe();
  EXPECT_NE(alone.err.find("--csv"), std::string::npos) << alone.Describe();
}

// ---------------------------------------------------------------------------------------------
// The configuration file

class ConfigFileTest : public ::testing::Test {
 protected:
  ConfigFileTest() { alliance_.Init(); }
  // Runs in the alliance's directory, with HOME in a fresh directory and no ledger named.
  CommandResult Run(const std::vector<std::string>& args,
                    std::map<std::string, std::string> environment = {}) {
    environment.emplace("HOME", home_.path());
    environment.emplace("XDG_CONFIG_HOME", "");
    environment.emplace("FUNDTRAIL_LEDGER", "");
    environment.emplace("FUNDTRAIL_CONFIG", "");
    return Fundtrail(args, {.input = {}, .environment = environment, .directory = dir_.path()});
  }
  std::string ProjectFile(const std::string& id) {
    return alliance_.NewFile(JsonLines({ProjectRegistered(id, "固态电池")}));
  }
  TempDir dir_, home_;
  SampleAlliance alliance_{dir_.path()};  // its ledger is dir_/ledger
};

TEST_F(ConfigFileTest, LedgerAndKeyFromTheFileBesideTheLedger) {
  // Relative paths are relative to the file.
  WriteFile(dir_ / "fundtrail.toml", "ledger = \"ledger\"\nkey = \"" +
                                         fs::relative(alliance_.admin.path, dir_.path()).string() +
                                         "\"\n");
  CommandResult append = Run({"append", "--json", ProjectFile("P-1")});
  ASSERT_EQ(append.exit_code, 0) << append.Describe();
  CommandResult log = Run({"log", "--json", "--type", "project_registered"});
  ASSERT_EQ(log.exit_code, 0) << log.Describe();
  EXPECT_EQ(ParseJsonLines(log.out).size(), 1u);
  // The command line wins: another key (not registered) is refused.
  CommandResult other = Run({"append", "--key", alliance_.outsider.path, ProjectFile("P-2")});
  EXPECT_EQ(other.exit_code, 2) << other.Describe();
  // $FUNDTRAIL_LEDGER wins over the file's ledger.
  CommandResult elsewhere = Run({"log"}, {{"FUNDTRAIL_LEDGER", dir_ / "missing"}});
  EXPECT_EQ(elsewhere.exit_code, 5) << elsewhere.Describe();
  EXPECT_NE(elsewhere.err.find("missing"), std::string::npos) << elsewhere.Describe();
}

TEST_F(ConfigFileTest, TheUsersFileAndItsErrors) {
  fs::create_directories(home_ / ".config/fundtrail");
  WriteFile(home_ / ".config/fundtrail/config.toml", "ledger = \"" + alliance_.ledger() + "\"\n");
  CommandResult verify = Run({"verify", "--quiet"});
  EXPECT_EQ(verify.exit_code, 0) << verify.Describe();
  WriteFile(home_ / ".config/fundtrail/config.toml", "ledger = \"L\"\nkye = \"k.pem\"\n");
  CommandResult typo = Run({"verify"});
  EXPECT_EQ(typo.exit_code, 1) << typo.Describe();
  EXPECT_EQ(
      typo.err,
      "fundtrail: error: " + home_ / ".config/fundtrail/config.toml" +
          ": line 2: unknown key \"kye\"; a configuration file holds ledger, server and key\n");
}

}  // namespace
}  // namespace fundtrail::testing
