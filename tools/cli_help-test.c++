// Tests of cli_help.h on a small command line shaped like fundtrail's: commands with options,
// a command with subcommands, positional arguments.
#include "tools/cli_help.h"

#include <gtest/gtest.h>

namespace fundtrail {
namespace {

class CliHelpTest : public ::testing::Test {
 protected:
  CliHelpTest() {
    auto* append = app_.add_subcommand("append", "append events");
    append->add_option("--ledger", text_, "ledger directory");
    append->add_option("--key", text_, "private key");
    append->add_option("input", text_, "JSON Lines file");
    auto* view = app_.add_subcommand("view", "oversight views");
    view->add_option("--ledger", text_, "ledger directory");
    view->add_option("--as-of-seq", number_, "a sequence number");
    view->add_flag("--json", flag_, "JSON Lines");
    view->add_option("name", text_, "grants | members");
    auto* flags = app_.add_subcommand("flags", "misuse flags");
    flags->add_option("--rule", text_, "a rule");
    auto* show = flags->add_subcommand("show", "one flag");
    show->add_option("--lang", text_, "zh or en");
    show->add_option("flag", text_, "flag id");
    app_.add_subcommand("verify", "verify everything");
  }

  std::string Suggest(const std::vector<std::string>& args) {
    return SuggestCorrection(app_, args);
  }

  CLI::App app_{"a ledger", "fundtrail"};
  std::string text_;
  uint64_t number_ = 0;
  bool flag_ = false;
};

TEST(EditDistanceTest, CountsEditsAndSwaps) {
  EXPECT_EQ(EditDistance("append", "append"), 0u);
  EXPECT_EQ(EditDistance("apend", "append"), 1u);
  EXPECT_EQ(EditDistance("verfiy", "verify"), 1u);  // a swap
  EXPECT_EQ(EditDistance("--legder", "--ledger"), 1u);
  EXPECT_EQ(EditDistance("", "log"), 3u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
}

TEST(EditDistanceTest, ClosestNameOnlyForTypos) {
  EXPECT_EQ(ClosestName("apend", {"append", "view", "verify"}), "append");
  EXPECT_EQ(ClosestName("verfy", {"append", "view", "verify"}), "verify");
  EXPECT_EQ(ClosestName("export", {"append", "view", "verify"}), "");
  EXPECT_EQ(ClosestName("ls", {"log"}), "");         // two edits of two letters: not a typo
  EXPECT_EQ(ClosestName("append", {"append"}), "");  // nothing to correct
}

TEST_F(CliHelpTest, MistypedCommand) {
  EXPECT_EQ(Suggest({"apend", "--key", "k.pem", "x.jsonl"}),
            "unknown command \"apend\"; did you mean \"append\"?");
  EXPECT_EQ(Suggest({"flags", "shwo", "TP-1/3"}),
            "unknown command \"shwo\" for fundtrail flags; did you mean \"show\"?");
  EXPECT_EQ(Suggest({"frobnicate"}), "");
}

TEST_F(CliHelpTest, MistypedOptionOfItsCommand) {
  EXPECT_EQ(Suggest({"view", "grants", "--legder", "L"}),
            "unknown option \"--legder\" for fundtrail view; did you mean \"--ledger\"?");
  EXPECT_EQ(Suggest({"view", "--as-of-sq=3", "grants"}),
            "unknown option \"--as-of-sq\" for fundtrail view; did you mean \"--as-of-seq\"?");
  EXPECT_EQ(Suggest({"flags", "show", "--lnag", "zh", "X"}),
            "unknown option \"--lnag\" for fundtrail flags show; did you mean \"--lang\"?");
  // --key belongs to append, not to view: nothing close among view's options.
  EXPECT_EQ(Suggest({"view", "--key", "k.pem"}), "");
}

TEST_F(CliHelpTest, OptionValuesAndPositionalsAreNotCommands) {
  // "veiw" is the value of --ledger, "vew" a positional of a command without subcommands.
  EXPECT_EQ(Suggest({"append", "--ledger", "veiw", "--kye", "k"}),
            "unknown option \"--kye\" for fundtrail append; did you mean \"--key\"?");
  EXPECT_EQ(Suggest({"view", "--json", "vew"}), "");
}

TEST_F(CliHelpTest, CompletionOffersEveryCommandAndOption) {
  for (const char* shell : {"bash", "zsh"}) {
    std::string script = CompletionScript(app_, shell);
    ASSERT_FALSE(script.empty()) << shell;
    EXPECT_NE(script.find("\"\") echo \"append view flags verify --help -h\""), std::string::npos)
        << script;
    EXPECT_NE(script.find("\"flags\") echo \"show --help -h --rule\""), std::string::npos)
        << script;
    EXPECT_NE(script.find("\"flags show\") echo \"--help -h --lang\""), std::string::npos)
        << script;
    EXPECT_NE(script.find("\"view\") echo \"--help -h --ledger --as-of-seq --json\""),
              std::string::npos)
        << script;
  }
  EXPECT_NE(CompletionScript(app_, "bash").find("complete -F _fundtrail fundtrail"),
            std::string::npos);
  EXPECT_EQ(CompletionScript(app_, "zsh").rfind("#compdef fundtrail\n", 0), 0u);
  EXPECT_EQ(CompletionScript(app_, "fish"), "");
}

TEST_F(CliHelpTest, AManPagePerCommand) {
  auto pages = ManPages(app_, "2026-12-07");
  std::vector<std::string> names;
  for (const auto& [name, text] : pages) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"fundtrail.1", "fundtrail-append.1",
                                             "fundtrail-view.1", "fundtrail-flags.1",
                                             "fundtrail-flags-show.1", "fundtrail-verify.1"}));
  const std::string& view = pages[2].second;
  EXPECT_EQ(view.rfind(".TH FUNDTRAIL-VIEW 1 \"2026-12-07\" \"fundtrail\" \"User Commands\"\n", 0),
            0u)
      << view;
  EXPECT_NE(view.find("fundtrail\\-view \\- oversight views"), std::string::npos) << view;
  EXPECT_NE(view.find(".B \\-\\-as\\-of\\-seq UINT\n"), std::string::npos) << view;
  const std::string& top = pages[0].second;
  for (const char* command : {"append", "view", "flags", "verify"}) {
    EXPECT_NE(top.find(std::string(".B ") + command + "\n"), std::string::npos) << command << "\n"
                                                                                << top;
  }
}

}  // namespace
}  // namespace fundtrail
