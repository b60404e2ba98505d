// Tests of the configuration file (config.h): which files are read, which wins, relative paths,
// and the errors a user can act on.
#include "tools/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "ledger/test_util.h"

namespace fundtrail {
namespace {

void Write(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

// Points HOME at a fresh directory and clears the variables that choose files, for one test.
class ConfigTest : public ::testing::Test {
 protected:
  ConfigTest() {
    for (const char* name : {"HOME", "XDG_CONFIG_HOME", "FUNDTRAIL_CONFIG", "FUNDTRAIL_LEDGER"}) {
      const char* value = std::getenv(name);
      saved_.push_back({name, value ? std::optional<std::string>(value) : std::nullopt});
      ::unsetenv(name);
    }
    ::setenv("HOME", (dir_ / "home").c_str(), 1);
  }
  ~ConfigTest() override {
    for (const auto& [name, value] : saved_) {
      if (value)
        ::setenv(name, value->c_str(), 1);
      else
        ::unsetenv(name);
    }
  }
  std::string UserFile() { return dir_ / "home/.config/fundtrail/config.toml"; }

  test::TempDir dir_;
  std::vector<std::pair<const char*, std::optional<std::string>>> saved_;
};

TEST_F(ConfigTest, NoFileIsAnEmptyConfiguration) {
  auto config = LoadCliConfig(dir_ / "ledgers/L");
  ASSERT_TRUE(config.has_value()) << config.error().message();
  EXPECT_TRUE(config->files.empty());
  EXPECT_EQ(config->ledger, "");
}

TEST_F(ConfigTest, TheFileBesideTheLedgerWinsOverTheUsersKeyByKey) {
  Write(UserFile(),
        "ledger = \"/srv/alliance\"\nserver = \"http://10.0.0.1:8750\"\nkey = \"me.pem\"\n");
  Write(dir_ / "ledgers/fundtrail.toml", "key = \"keys/finance.pem\"\n");
  auto config = LoadCliConfig(dir_ / "ledgers/L");
  ASSERT_TRUE(config.has_value()) << config.error().message();
  EXPECT_EQ(config->ledger, "/srv/alliance");
  EXPECT_EQ(config->server, "http://10.0.0.1:8750");
  // Relative to each file's directory.
  EXPECT_EQ(config->key, dir_ / "ledgers/keys/finance.pem");
  EXPECT_EQ(config->files, (std::vector<std::string>{UserFile(), dir_ / "ledgers/fundtrail.toml"}));
}

TEST_F(ConfigTest, TheLedgerOfTheEnvironmentChoosesTheFileBesideIt) {
  Write(dir_ / "a/fundtrail.toml", "key = \"a.pem\"\n");
  ::setenv("FUNDTRAIL_LEDGER", (dir_ / "a/L").c_str(), 1);
  auto config = LoadCliConfig("");
  ASSERT_TRUE(config.has_value()) << config.error().message();
  EXPECT_EQ(config->key, dir_ / "a/a.pem");
}

TEST_F(ConfigTest, FundtrailConfigNamesTheOnlyFile) {
  Write(UserFile(), "key = \"user.pem\"\n");
  Write(dir_ / "team.toml", "key = \"team.pem\"\n");
  ::setenv("FUNDTRAIL_CONFIG", (dir_ / "team.toml").c_str(), 1);
  auto config = LoadCliConfig("");
  ASSERT_TRUE(config.has_value()) << config.error().message();
  EXPECT_EQ(config->key, dir_ / "team.pem");
  ::setenv("FUNDTRAIL_CONFIG", (dir_ / "missing.toml").c_str(), 1);
  auto missing = LoadCliConfig("");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().message(),
            "cannot open the configuration file " + dir_ / "missing.toml");
}

TEST_F(ConfigTest, ErrorsNameTheFileTheLineAndTheFix) {
  CliConfig config;
  Write(dir_ / "typo.toml", "ledger = \"L\"\nkye = \"k.pem\"\n");
  EXPECT_EQ(ReadCliConfigFile(dir_ / "typo.toml", &config).message(),
            dir_ / "typo.toml" +
                ": line 2: unknown key \"kye\"; a configuration file holds ledger, server and key");
  Write(dir_ / "number.toml", "server = 8750\n");
  EXPECT_EQ(
      ReadCliConfigFile(dir_ / "number.toml", &config).message(),
      dir_ / "number.toml" + ": line 1: server must be a non-empty string, e.g. server = \"...\"");
  Write(dir_ / "broken.toml", "ledger = \n");
  Status broken = ReadCliConfigFile(dir_ / "broken.toml", &config);
  EXPECT_EQ(broken.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(broken.message().rfind(dir_ / "broken.toml" + ": line 1: not valid TOML: ", 0), 0u)
      << broken.message();
}

TEST(LedgerFlagTest, FindsTheLedgerOption) {
  EXPECT_EQ(LedgerFlagOf({"view", "grants", "--ledger", "L"}), "L");
  EXPECT_EQ(LedgerFlagOf({"view", "--ledger=M", "grants"}), "M");
  EXPECT_EQ(LedgerFlagOf({"view", "grants"}), "");
  EXPECT_EQ(LedgerFlagOf({"append", "--", "--ledger", "x"}), "");
}

}  // namespace
}  // namespace fundtrail
