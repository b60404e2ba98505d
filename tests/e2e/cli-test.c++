// End-to-end tests: the `fundtrail` binary as a user runs it (keygen, init, append, log, verify,
// demo, --help, exit codes), bad input that must append nothing and say why in one line, and a
// second writer.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <regex>
#include <set>
#include <thread>

#include "ledger/client.h"
#include "ledger/store.h"
#include "ledger/submission.h"
#include "projections/projection_store.h"
#include "tests/testing/cli_harness.h"

namespace fundtrail::testing {
namespace {

using nlohmann::json;

// Checks the shape every error must have: exactly one line on stderr, "fundtrail: error: ...".
void ExpectOneErrorLine(const CommandResult& result) {
  ASSERT_FALSE(result.err.empty()) << result.Describe();
  EXPECT_EQ(result.err.rfind("fundtrail: error: ", 0), 0u) << result.Describe();
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.Describe();
  EXPECT_EQ(result.err.back(), '\n') << result.Describe();
}

// A rejected input: exit 2 and one error line holding each of `needles`.
void ExpectRejected(const CommandResult& result, const std::vector<std::string>& needles) {
  std::cout << "  " << result.err;  // what the user reads
  EXPECT_EQ(result.exit_code, 2) << result.Describe();
  ExpectOneErrorLine(result);
  for (const auto& needle : needles) {
    EXPECT_NE(result.err.find(needle), std::string::npos)
        << "stderr lacks \"" << needle << "\"\n" << result.Describe();
  }
  EXPECT_TRUE(result.out.empty()) << result.Describe();
}

// "line 3" as a whole word, so that "line 30" does not count.
void ExpectNamesLine(const CommandResult& result, int line) {
  std::regex pattern("line " + std::to_string(line) + "\\b");
  EXPECT_TRUE(std::regex_search(result.err, pattern))
      << "stderr does not name line " << line << "\n" << result.Describe();
}

uint64_t LastSequence(const SampleAlliance& alliance) {
  return alliance.receipts().back().at("last_sequence").get<uint64_t>();
}

// ---------------------------------------------------------------------------------------------
// keygen

class KeygenTest : public ::testing::Test {
 protected:
  TempDir dir_;
};

TEST_F(KeygenTest, WritesPrivateKeyWithMode0600AndPublicKey) {
  std::string path = dir_ / "member.pem";
  CommandResult result = Fundtrail({"keygen", "--out", path});
  ASSERT_EQ(result.exit_code, 0) << result.Describe();
  struct stat private_stat {}, public_stat {};
  ASSERT_EQ(::stat(path.c_str(), &private_stat), 0);
  ASSERT_EQ(::stat((path + ".pub").c_str(), &public_stat), 0);
  EXPECT_EQ(private_stat.st_mode & 0777, 0600u);
  EXPECT_EQ(public_stat.st_mode & 0077 & ~0044, 0u) << "the public key is writable by others";
  EXPECT_NE(ReadFile(path).find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
  EXPECT_NE(ReadFile(path + ".pub").find("-----BEGIN PUBLIC KEY-----"), std::string::npos);

  // The printed key id and public key are those of the written files.
  auto key = PrivateKey::FromPemFile(path);
  ASSERT_TRUE(key.has_value()) << key.error().message();
  auto public_key = PublicKey::FromPemFile(path + ".pub");
  ASSERT_TRUE(public_key.has_value()) << public_key.error().message();
  EXPECT_EQ(public_key->raw(), key->public_key().raw());
  EXPECT_NE(result.out.find(HexEncode(AsBytes(key->public_key().key_id()))), std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find(HexEncode(AsBytes(key->public_key().raw()))), std::string::npos)
      << result.out;
}

TEST_F(KeygenTest, RefusesToOverwrite) {
  std::string path = dir_ / "member.pem";
  ASSERT_EQ(Fundtrail({"keygen", path}).exit_code, 0);
  std::string private_before = ReadFile(path), public_before = ReadFile(path + ".pub");
  CommandResult again = Fundtrail({"keygen", "--out", path});
  EXPECT_EQ(again.exit_code, 5) << again.Describe();
  ExpectOneErrorLine(again);
  EXPECT_NE(again.err.find("refusing to overwrite"), std::string::npos) << again.Describe();
  EXPECT_EQ(ReadFile(path), private_before);
  EXPECT_EQ(ReadFile(path + ".pub"), public_before);
}

// Regression: keygen used to write the private key and then fail on an existing OUT.pub,
// leaving a private key beside a public key file of some other key.
TEST_F(KeygenTest, RefusesWhenOnlyThePublicKeyFileExists) {
  std::string path = dir_ / "member.pem";
  WriteFile(path + ".pub", "someone else's public key\n");
  CommandResult result = Fundtrail({"keygen", "--out", path});
  EXPECT_EQ(result.exit_code, 5) << result.Describe();
  ExpectOneErrorLine(result);
  EXPECT_FALSE(std::filesystem::exists(path)) << "a private key without its public key was left";
  EXPECT_EQ(ReadFile(path + ".pub"), "someone else's public key\n");
}

// ---------------------------------------------------------------------------------------------
// init

class InitTest : public ::testing::Test {
 protected:
  TempDir dir_;
  SampleAlliance alliance_{dir_.path()};

  std::vector<std::string> InitArgs(const std::string& ledger) {
    return {"init",          "--ledger",     ledger, "--operator-key", alliance_.operator_key.path,
            "--alliance-id", "PBA",          "--alliance-name", "动力电池产业技术创新战略联盟",
            "--date",        "2024-01-01"};
  }
  // A genesis file that registers the secretariat, and nothing else.
  std::string SecretariatGenesis() {
    return alliance_.NewFile(JsonLines({OrganisationRegistered("SEC", "联盟秘书处", "other")}));
  }
};

TEST_F(InitTest, WithGenesisAndAdminKey) {
  alliance_.Init();
  auto log = alliance_.Log();
  ASSERT_EQ(log.size(), alliance_.genesis_event_count());
  EXPECT_EQ(log[0]["event"]["type"], "ledger_genesis");
  EXPECT_EQ(log[0]["event"]["alliance_name"], "动力电池产业技术创新战略联盟");
  EXPECT_EQ(log[0]["event"]["alliance_name_en"], "Power Battery Alliance");
  EXPECT_EQ(log[0]["event"]["date"], "2024-01-01");
  // The admin key comes last, registered with role admin for --admin-org.
  const json& admin = log.back()["event"];
  EXPECT_EQ(admin["type"], "key_registered");
  EXPECT_EQ(admin["public_key"], alliance_.admin.public_key_hex);
  EXPECT_EQ(admin["org_id"], SampleAlliance::kSecretariat);
  EXPECT_EQ(admin["roles"], json::array({"admin"}));
  for (const auto& line : log) EXPECT_EQ(line["author_org"], "operator") << line.dump();
  EXPECT_EQ(alliance_.VerifiedHead(), "head: " + std::to_string(log.size()) + " " +
                                          log.back()["hash"].get<std::string>());
  // The admin can append at once.
  alliance_.Append(alliance_.admin, {ProjectRegistered("P-1", "固态电池")});
}

TEST_F(InitTest, WithGenesisHoldingTheAdminKey) {
  std::string genesis = alliance_.NewFile(JsonLines({
      OrganisationRegistered("SEC", "联盟秘书处", "other"),
      KeyRegistered(alliance_.admin, "SEC", {"admin", "auditor"}),
  }));
  auto args = InitArgs(dir_ / "ledger");
  args.insert(args.end(), {"--genesis", genesis});
  CommandResult result = Fundtrail(args);
  ASSERT_EQ(result.exit_code, 0) << result.Describe();
  EXPECT_NE(result.out.find("genesis: 3 events"), std::string::npos) << result.out;
  auto receipt = alliance_.Append(alliance_.admin, {ProjectRegistered("P-1", "固态电池")});
  EXPECT_EQ(receipt["first_sequence"], 4);
}

TEST_F(InitTest, RefusesNonEmptyDirectory) {
  std::string ledger = dir_ / "ledger";
  std::filesystem::create_directories(ledger);
  WriteFile(ledger + "/notes.txt", "keep me");
  auto args = InitArgs(ledger);
  args.insert(args.end(), {"--genesis", SecretariatGenesis(), "--admin-key", alliance_.admin.path + ".pub",
                           "--admin-org", "SEC"});
  CommandResult result = Fundtrail(args);
  ExpectRejected(result, {"not empty"});
  EXPECT_EQ(ReadFile(ledger + "/notes.txt"), "keep me");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(ledger), {}), 1);
}

TEST_F(InitTest, RefusesAnExistingLedger) {
  alliance_.Init();
  auto before = alliance_.TakeSnapshot();
  auto args = InitArgs(alliance_.ledger());
  args.insert(args.end(), {"--genesis", SecretariatGenesis(), "--admin-key", alliance_.admin.path + ".pub",
                           "--admin-org", "SEC"});
  ExpectRejected(Fundtrail(args), {"not empty"});
  EXPECT_EQ(alliance_.TakeSnapshot(), before);
}

TEST_F(InitTest, RefusesGenesisWithoutAdminKey) {
  std::string genesis = alliance_.NewFile(JsonLines({
      OrganisationRegistered("SEC", "联盟秘书处", "other"),
      KeyRegistered(alliance_.funder, "SEC", {"funder"}),
  }));
  std::string ledger = dir_ / "ledger";
  auto args = InitArgs(ledger);
  args.insert(args.end(), {"--genesis", genesis});
  ExpectRejected(Fundtrail(args), {"no admin key"});
  EXPECT_FALSE(std::filesystem::exists(ledger + "/db/CURRENT"));
}

TEST_F(InitTest, RefusesAdminKeyWithoutAdminOrg) {
  std::string genesis = alliance_.NewFile(JsonLines({OrganisationRegistered("SEC", "联盟秘书处", "other")}));
  auto args = InitArgs(dir_ / "ledger");
  args.insert(args.end(), {"--genesis", genesis, "--admin-key", alliance_.admin.path + ".pub"});
  ExpectRejected(Fundtrail(args), {"--admin-org"});
}

// Regression: with a genesis not registering the --admin-org organisation, init failed with
// "genesis event 2: field "org_id": organisation "SEC" is not registered", naming an event the
// user never wrote. The message now says which option to fix and how. (Without --genesis, init
// registers the organisation itself: e2e_conventions_test, ReadmeTest.)
TEST_F(InitTest, AdminOrgMustBeRegisteredByTheGenesis) {
  std::string ledger = dir_ / "ledger";
  auto args = InitArgs(ledger);
  std::string genesis = alliance_.NewFile(JsonLines({OrganisationRegistered("OTHER", "其他单位", "other")}));
  args.insert(args.end(),
              {"--genesis", genesis, "--admin-key", alliance_.admin.path + ".pub", "--admin-org", "SEC"});
  CommandResult result = Fundtrail(args);
  ExpectRejected(result, {"--admin-org", "\"SEC\"", "organisation_registered", "--genesis"});
  EXPECT_FALSE(std::filesystem::exists(ledger + "/db/CURRENT"));
}

TEST_F(InitTest, MissingOperatorKeyFileExits5) {
  auto args = InitArgs(dir_ / "ledger");
  args[4] = dir_ / "no-such-key.pem";
  CommandResult result = Fundtrail(args);
  EXPECT_EQ(result.exit_code, 5) << result.Describe();
  ExpectOneErrorLine(result);
}

// ---------------------------------------------------------------------------------------------
// append, log, verify on the sample alliance

class AllianceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    alliance_.Init();
    alliance_.AppendHistory();
  }

  TempDir dir_;
  SampleAlliance alliance_{dir_.path()};
};

TEST_F(AllianceTest, AppendPrintsReceipt) {
  uint64_t first = LastSequence(alliance_) + 1;
  std::string path = alliance_.NewFile(JsonLines({
      FundsReceived(SampleAlliance::kGrantBattery, "500000.00 CNY", "2024-05-01"),
      FundsReceived(SampleAlliance::kGrantRecycling, "250000.00 CNY", "2024-05-01"),
  }));
  CommandResult result = Fundtrail({"append", "--ledger", alliance_.ledger(), "--key",
                                    alliance_.funder.path, "--submission-id", "most-2024-05", path});
  ASSERT_EQ(result.exit_code, 0) << result.Describe();
  EXPECT_TRUE(result.err.empty()) << result.Describe();
  auto lines = SplitLines(result.out);
  ASSERT_EQ(lines.size(), 4u) << result.out;
  EXPECT_EQ(lines[0].rfind("appended: submission \"most-2024-05\", 2 events, sequence " +
                               std::to_string(first) + ".." + std::to_string(first + 1) + ", at ",
                           0),
            0u)
      << lines[0];
  auto log = alliance_.Log({"--from", std::to_string(first)});
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(lines[1], "  " + std::to_string(first) + "  " + log[0]["hash"].get<std::string>());
  EXPECT_EQ(lines[2], "  " + std::to_string(first + 1) + "  " + log[1]["hash"].get<std::string>());
  EXPECT_EQ(lines[3], "head: " + std::to_string(first + 1) + " " + log[1]["hash"].get<std::string>());
  EXPECT_EQ(lines[3], alliance_.VerifiedHead());
}

TEST_F(AllianceTest, AppendPrintsJsonReceipt) {
  uint64_t first = LastSequence(alliance_) + 1;
  CommandResult result = alliance_.TryAppend(
      alliance_.fund_manager,
      {FundsDisbursed(SampleAlliance::kGrantBattery, SampleAlliance::kCatl, "100000.00 CNY", "2024-06-01"),
       FundsDisbursed(SampleAlliance::kGrantBattery, SampleAlliance::kTsinghua, "50000.00 CNY", "2024-06-01"),
       FundsDisbursed(SampleAlliance::kGrantRecycling, SampleAlliance::kCatl, "25000.00 CNY", "2024-06-02")},
      "fm-2024-06");
  ASSERT_EQ(result.exit_code, 0) << result.Describe();
  ASSERT_EQ(SplitLines(result.out).size(), 1u) << "one JSON line expected\n" << result.out;
  json receipt = json::parse(result.out);
  EXPECT_EQ(receipt["submission_id"], "fm-2024-06");
  EXPECT_EQ(receipt["first_sequence"], first);
  EXPECT_EQ(receipt["last_sequence"], first + 2);
  EXPECT_EQ(receipt["already_appended"], false);
  EXPECT_TRUE(std::regex_match(receipt["appended_at"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)")))
      << receipt["appended_at"];
  auto log = alliance_.Log({"--from", std::to_string(first)});
  ASSERT_EQ(log.size(), 3u);
  ASSERT_EQ(receipt["entry_hashes"].size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(receipt["entry_hashes"][i], log[i]["hash"]);
  EXPECT_EQ(receipt["head"], log[2]["hash"]);
  EXPECT_EQ("head: " + std::to_string(first + 2) + " " + receipt["head"].get<std::string>(),
            alliance_.VerifiedHead());
}

TEST_F(AllianceTest, AppendReadsStdin) {
  uint64_t first = LastSequence(alliance_) + 1;
  json event = ExpenditureRecorded(SampleAlliance::kGrantBattery, SampleAlliance::kTsinghua,
                                   "travel_conference_international", "V-LAB", "INV-STDIN", "8800.00 CNY");
  RunOptions options;
  options.input = "\n" + event.dump() + "\n";  // line 2, after a blank line
  CommandResult result = Fundtrail({"append", "--ledger", alliance_.ledger(), "--key",
                                    alliance_.finance_tsinghua.path, "--json", "-"},
                                   options);
  ASSERT_EQ(result.exit_code, 0) << result.Describe();
  json receipt = json::parse(result.out);
  EXPECT_EQ(receipt["first_sequence"], first);
  EXPECT_EQ(receipt["last_sequence"], first);
  auto log = alliance_.Log({"--from", std::to_string(first)});
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["event"], event);
  EXPECT_EQ(log[0]["author_org"], SampleAlliance::kTsinghua);

  // Errors in stdin name "stdin" and the line.
  options.input = "\n\n{\"type\": \"expenditure_recorded\"\n";
  CommandResult bad = Fundtrail({"append", "--ledger", alliance_.ledger(), "--key",
                                 alliance_.finance_tsinghua.path, "-"},
                                options);
  ExpectRejected(bad, {"stdin", "malformed JSON"});
  ExpectNamesLine(bad, 3);
}

TEST_F(AllianceTest, RetryWithTheSameSubmissionIdAppendsNothing) {
  std::vector<json> events = {
      ExpenditureRecorded(SampleAlliance::kGrantBattery, SampleAlliance::kCatl, "materials", "V-LAB",
                          "INV-RETRY", "77000.00 CNY")};
  json original = alliance_.Append(alliance_.finance_catl, events, "catl-retry");
  auto before = alliance_.TakeSnapshot();

  json retried = alliance_.Append(alliance_.finance_catl, events, "catl-retry");
  EXPECT_EQ(retried["already_appended"], true);
  EXPECT_EQ(retried["first_sequence"], original["first_sequence"]);
  EXPECT_EQ(retried["last_sequence"], original["last_sequence"]);
  EXPECT_EQ(retried["entry_hashes"], original["entry_hashes"]);
  EXPECT_EQ(retried["appended_at"], original["appended_at"]);

  // The text receipt says so too.
  std::string path = alliance_.NewFile(JsonLines(events));
  CommandResult text = Fundtrail({"append", "--ledger", alliance_.ledger(), "--key",
                                  alliance_.finance_catl.path, "--submission-id", "catl-retry", path});
  ASSERT_EQ(text.exit_code, 0) << text.Describe();
  EXPECT_EQ(text.out.rfind("already appended (nothing new written): submission \"catl-retry\", 1 event, "
                           "sequence " + original["first_sequence"].dump() + ", at ",
                           0),
            0u)
      << text.out;
  EXPECT_EQ(alliance_.TakeSnapshot(), before);
}

TEST_F(AllianceTest, RetryWithoutSubmissionIdUsesTheContent) {
  std::vector<json> events = {FundsReceived(SampleAlliance::kGrantBattery, "1.00 CNY", "2024-07-01")};
  json original = alliance_.Append(alliance_.funder, events);
  EXPECT_EQ(original["submission_id"].get<std::string>().rfind("content-", 0), 0u) << original;
  auto before = alliance_.TakeSnapshot();
  json retried = alliance_.Append(alliance_.funder, events);
  EXPECT_EQ(retried["already_appended"], true);
  EXPECT_EQ(retried["submission_id"], original["submission_id"]);
  EXPECT_EQ(retried["first_sequence"], original["first_sequence"]);
  EXPECT_EQ(alliance_.TakeSnapshot(), before);
  // Other content gets another id.
  json other = alliance_.Append(alliance_.funder, {FundsReceived(SampleAlliance::kGrantBattery, "2.00 CNY", "2024-07-01")});
  EXPECT_EQ(other["already_appended"], false);
  EXPECT_NE(other["submission_id"], original["submission_id"]);
}

TEST_F(AllianceTest, LogJsonRoundTripsEveryEvent) {
  auto log = alliance_.Log();
  ASSERT_EQ(log.size(), LastSequence(alliance_));
  std::map<uint64_t, std::string> hashes;
  for (const auto& receipt : alliance_.receipts()) {
    for (size_t i = 0; i < receipt["entry_hashes"].size(); ++i) {
      hashes[receipt["first_sequence"].get<uint64_t>() + i] = receipt["entry_hashes"][i];
    }
  }
  for (size_t i = 0; i < log.size(); ++i) {
    const json& line = log[i];
    uint64_t sequence = i + 1;
    SCOPED_TRACE(line.dump());
    for (const char* field : {"sequence", "time", "type", "author_org", "key_id", "subject", "amount", "hash", "event"}) {
      EXPECT_TRUE(line.contains(field)) << field;
    }
    EXPECT_EQ(line["sequence"], sequence);
    EXPECT_EQ(line["type"], line["event"]["type"]);
    EXPECT_EQ(line["hash"].get<std::string>().size(), 64u);
    if (hashes.contains(sequence)) {
      EXPECT_EQ(line["hash"], hashes[sequence]);
    }
    if (alliance_.events().contains(sequence)) {
      EXPECT_EQ(line["event"], alliance_.events().at(sequence));  // every field, as written
      EXPECT_EQ(line["author_org"], alliance_.authors().at(sequence));
      const json& event = alliance_.events().at(sequence);
      if (event.contains("amount")) {
        EXPECT_EQ(line["amount"], event["amount"]);
      } else {
        EXPECT_TRUE(line["amount"].is_null());
      }
    }
  }
  // Every appended event was checked, not just a few.
  EXPECT_EQ(alliance_.events().size(), LastSequence(alliance_) - 2);
}

TEST_F(AllianceTest, LogTableAlignsChineseNames) {
  CommandResult result = Fundtrail({"log", "--ledger", alliance_.ledger()});
  ASSERT_EQ(result.exit_code, 0) << result.Describe();
  auto json_lines = alliance_.Log();
  auto lines = SplitLines(result.out);
  ASSERT_EQ(lines.size(), json_lines.size() + 3) << result.out;  // header, rule, rows, count
  EXPECT_EQ(lines.back(), std::to_string(json_lines.size()) + " events");

  const std::string& header = lines[0];
  size_t subject_column = ReferenceDisplayWidth(header.substr(0, header.find("subject")));
  size_t hash_column = ReferenceDisplayWidth(header.substr(0, header.find("hash")));
  ASSERT_NE(header.find("subject"), std::string::npos) << header;
  size_t rows_with_wide_author = 0, rows_with_wide_subject = 0;
  for (size_t i = 0; i < json_lines.size(); ++i) {
    const std::string& row = lines[i + 2];
    SCOPED_TRACE("row: " + row);
    std::string author = json_lines[i]["author_org"], subject = json_lines[i]["subject"];
    if (ReferenceDisplayWidth(author) != author.size()) ++rows_with_wide_author;
    if (ReferenceDisplayWidth(subject) != subject.size()) ++rows_with_wide_subject;
    // The column after the author (subject) starts at the same display column in every row.
    size_t subject_at = row.find("  " + subject);
    ASSERT_NE(subject_at, std::string::npos);
    EXPECT_EQ(ReferenceDisplayWidth(row.substr(0, subject_at + 2)), subject_column);
    // So does the last column (16 hex digits of the hash), after the amount.
    ASSERT_GE(row.size(), 16u);
    EXPECT_EQ(row.substr(row.size() - 16), json_lines[i]["hash"].get<std::string>().substr(0, 16));
    EXPECT_EQ(ReferenceDisplayWidth(row.substr(0, row.size() - 16)), hash_column);
    // And the author column starts where the header says.
    size_t author_at = row.find("  " + author + "  ");
    ASSERT_NE(author_at, std::string::npos);
    EXPECT_EQ(ReferenceDisplayWidth(row.substr(0, author_at + 2)),
              ReferenceDisplayWidth(header.substr(0, header.find("author"))));
  }
  // The sample must exercise wide characters in both columns, or this test proves nothing.
  EXPECT_GT(rows_with_wide_author, 0u);
  EXPECT_GT(rows_with_wide_subject, 0u);
}

TEST_F(AllianceTest, LogCsvParses) {
  CommandResult result = Fundtrail({"log", "--ledger", alliance_.ledger(), "--csv"});
  ASSERT_EQ(result.exit_code, 0) << result.Describe();
  auto records = ParseCsv(result.out);
  auto json_lines = alliance_.Log();
  ASSERT_EQ(records.size(), json_lines.size() + 1);
  EXPECT_EQ(records[0], (std::vector<std::string>{"sequence", "time", "type", "author_org", "key_id",
                                                  "subject", "amount", "currency", "hash"}));
  size_t with_amount = 0;
  for (size_t i = 0; i < json_lines.size(); ++i) {
    const auto& record = records[i + 1];
    const json& line = json_lines[i];
    SCOPED_TRACE(line.dump());
    ASSERT_EQ(record.size(), 9u);
    EXPECT_EQ(record[0], line["sequence"].dump());
    EXPECT_EQ(record[1], line["time"]);
    EXPECT_EQ(record[2], line["type"]);
    EXPECT_EQ(record[3], line["author_org"]);
    EXPECT_EQ(record[4], line["key_id"]);
    EXPECT_EQ(record[5], line["subject"]);
    EXPECT_EQ(record[8], line["hash"]);
    if (line["amount"].is_null()) {
      EXPECT_EQ(record[6], "");
      EXPECT_EQ(record[7], "");
      continue;
    }
    ++with_amount;
    // "1250000.00 CNY" in JSON is "1,250,000.00" and "CNY" in CSV.
    std::string plain = line["amount"];
    std::string amount = record[6];
    std::erase(amount, ',');
    EXPECT_EQ(amount + " " + record[7], plain);
  }
  EXPECT_GT(with_amount, 0u);
  // A field with a comma is quoted, so it survives: the grouped amounts have commas.
  EXPECT_NE(result.out.find("\"1,250,000.00\""), std::string::npos);
}

TEST_F(AllianceTest, LogFromTo) {
  auto all = alliance_.Log();
  auto range = alliance_.Log({"--from", "16", "--to", "24"});
  ASSERT_EQ(range.size(), 9u);
  for (size_t i = 0; i < range.size(); ++i) EXPECT_EQ(range[i], all[15 + i]);
  EXPECT_EQ(alliance_.Log({"--from", "30"}).size(), all.size() - 29);
  EXPECT_EQ(alliance_.Log({"--to", "3"}).size(), 3u);
  EXPECT_TRUE(alliance_.Log({"--from", "1000"}).empty());
  EXPECT_EQ(alliance_.Log({"--from", "5", "--limit", "2"}).size(), 2u);
}

TEST_F(AllianceTest, LogType) {
  auto all = alliance_.Log();
  auto expect_types = [&](const std::vector<std::string>& types) {
    std::vector<std::string> args;
    for (const auto& type : types) args.insert(args.end(), {"--type", type});
    std::vector<uint64_t> expected, got;
    for (const auto& line : all) {
      if (std::find(types.begin(), types.end(), line["type"]) != types.end()) expected.push_back(line["sequence"]);
    }
    for (const auto& line : alliance_.Log(args)) got.push_back(line["sequence"]);
    EXPECT_FALSE(expected.empty());
    EXPECT_EQ(got, expected);
  };
  expect_types({"funds_disbursed"});
  expect_types({"expenditure_recorded", "grant_awarded"});
  CommandResult unknown = Fundtrail({"log", "--ledger", alliance_.ledger(), "--type", "funds_stolen"});
  ExpectRejected(unknown, {"funds_stolen"});
}

// Whether `line` of `log --json` touches `subject`, from the event's fields alone: a slow,
// obviously correct reference for the subject index.
bool Touches(const json& line, const std::string& subject, const std::map<std::string, std::string>& grant_projects) {
  const json& event = line["event"];
  auto field_is = [&](const char* name, const std::string& value) {
    return event.contains(name) && event[name] == value;
  };
  size_t colon = subject.find(':');
  std::string kind = subject.substr(0, colon), id = subject.substr(colon + 1);
  if (kind == "grant") return field_is("grant_id", id);
  if (kind == "project") {
    if (field_is("project_id", id)) return true;
    return event.contains("grant_id") && grant_projects.contains(event["grant_id"]) &&
           grant_projects.at(event["grant_id"]) == id;
  }
  if (kind == "org") {
    return line["author_org"] == id || field_is("org_id", id) || field_is("member_org_id", id) ||
           field_is("funder_org_id", id);
  }
  ADD_FAILURE() << "unknown subject kind " << kind;
  return false;
}

TEST_F(AllianceTest, LogSubjectReturnsExactlyTheEventsTouchingIt) {
  auto all = alliance_.Log();
  std::map<std::string, std::string> grant_projects;
  for (const auto& line : all) {
    if (line["type"] == "grant_awarded") grant_projects[line["event"]["grant_id"]] = line["event"]["project_id"];
  }
  for (std::string subject : {std::string("grant:") + SampleAlliance::kGrantBattery,
                              std::string("grant:") + SampleAlliance::kGrantRecycling,
                              std::string("org:") + SampleAlliance::kTsinghua,
                              std::string("org:") + SampleAlliance::kCatl,
                              std::string("org:") + SampleAlliance::kMinistry,
                              std::string("project:") + SampleAlliance::kProjectBattery,
                              std::string("project:") + SampleAlliance::kProjectRecycling}) {
    SCOPED_TRACE(subject);
    std::vector<uint64_t> expected, got;
    for (const auto& line : all) {
      if (Touches(line, subject, grant_projects)) expected.push_back(line["sequence"]);
    }
    for (const auto& line : alliance_.Log({"--subject", subject})) got.push_back(line["sequence"]);
    EXPECT_GE(expected.size(), 2u);
    EXPECT_LT(expected.size(), all.size());
    EXPECT_EQ(got, expected);
  }
  // With a range too.
  auto ranged = alliance_.Log({"--subject", std::string("org:") + SampleAlliance::kTsinghua, "--from", "20"});
  for (const auto& line : ranged) EXPECT_GE(line["sequence"], 20);
  EXPECT_FALSE(ranged.empty());
  // A subject nothing touches, and a malformed one.
  EXPECT_TRUE(alliance_.Log({"--subject", "grant:G-NONE"}).empty());
  ExpectRejected(Fundtrail({"log", "--ledger", alliance_.ledger(), "--subject", "G-2024-01"}), {"KIND:ID"});
}

TEST_F(AllianceTest, VerifyPrintsTheHead) {
  CommandResult result = Fundtrail({"verify", "--ledger", alliance_.ledger()});
  ASSERT_EQ(result.exit_code, 0) << result.Describe();
  const json& last = alliance_.receipts().back();
  EXPECT_NE(result.out.find("ok: verified " + last["last_sequence"].dump() + " events in " +
                            std::to_string(alliance_.receipts().size() + 1) + " submissions"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("head: " + last["last_sequence"].dump() + " " + last["head"].get<std::string>() + "\n"),
            std::string::npos)
      << result.out;
}

TEST_F(AllianceTest, LedgerFromTheEnvironment) {
  RunOptions options;
  options.environment["FUNDTRAIL_LEDGER"] = alliance_.ledger();
  CommandResult result = Fundtrail({"verify", "--quiet"}, options);
  ASSERT_EQ(result.exit_code, 0) << result.Describe();
  EXPECT_NE(result.out.find(alliance_.VerifiedHead()), std::string::npos);
  // --ledger wins over the environment.
  options.environment["FUNDTRAIL_LEDGER"] = dir_ / "elsewhere";
  EXPECT_EQ(Fundtrail({"verify", "--quiet", "--ledger", alliance_.ledger()}, options).exit_code, 0);
  EXPECT_EQ(Fundtrail({"verify", "--quiet"}, options).exit_code, 5);
}

TEST(CliTest, MissingLedgerExits5) {
  TempDir dir;
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"log", "--ledger", dir / "none"},
           {"verify", "--ledger", dir / "none"}}) {
    CommandResult result = Fundtrail(args);
    EXPECT_EQ(result.exit_code, 5) << result.Describe();
    ExpectOneErrorLine(result);
    EXPECT_NE(result.err.find("no ledger at"), std::string::npos) << result.Describe();
  }
  TestKey key = MakeKey(dir.path(), "k");
  WriteFile(dir / "one.jsonl", JsonLines({ProjectRegistered("P", "x")}));
  CommandResult append = Fundtrail({"append", "--ledger", dir / "none", "--key", key.path, dir / "one.jsonl"});
  EXPECT_EQ(append.exit_code, 5) << append.Describe();
  ExpectOneErrorLine(append);
  EXPECT_FALSE(std::filesystem::exists(dir / "none")) << "append created a directory";
}

// ---------------------------------------------------------------------------------------------
// --help and usage errors

// The subcommands a --help text lists under "Subcommands:".
std::vector<std::string> ListedSubcommands(const std::string& help) {
  std::vector<std::string> names;
  bool in_section = false;
  for (const auto& line : SplitLines(help)) {
    if (line.rfind("Subcommands:", 0) == 0) {
      in_section = true;
    } else if (in_section && line.rfind("  ", 0) == 0 && line.size() > 2 && line[2] != ' ') {
      names.push_back(line.substr(2, line.find(' ', 2) - 2));
    } else if (in_section && !line.empty()) {
      in_section = false;
    }
  }
  return names;
}

TEST(CliTest, HelpOnEverySubcommandExits0) {
  // Every subcommand the top-level help lists, and theirs in turn (e.g. `flags review`).
  std::vector<std::vector<std::string>> pending = {{}};
  std::set<std::string> seen;
  for (size_t i = 0; i < pending.size() && i < 100; ++i) {
    std::vector<std::string> args = pending[i];
    std::string joined;
    for (const auto& arg : args) joined += arg + " ";
    SCOPED_TRACE("fundtrail " + joined + "--help");
    args.push_back("--help");
    CommandResult result = Fundtrail(args);
    EXPECT_EQ(result.exit_code, 0) << result.Describe();
    EXPECT_NE(result.out.find("Usage:"), std::string::npos) << result.Describe();
    EXPECT_NE(result.out.find("--help"), std::string::npos) << result.Describe();
    EXPECT_TRUE(result.err.empty()) << result.Describe();
    if (!pending[i].empty()) {
      EXPECT_NE(result.out.find(pending[i].back()), std::string::npos) << result.Describe();
      seen.insert(joined);
    }
    if (pending[i].size() >= 3) continue;
    for (const auto& name : ListedSubcommands(result.out)) {
      std::vector<std::string> next = pending[i];
      next.push_back(name);
      pending.push_back(next);
    }
  }
  for (const char* command : {"keygen ", "init ", "append ", "log ", "verify ", "demo "}) {
    EXPECT_TRUE(seen.contains(command)) << command << "is not listed by fundtrail --help";
  }
  CommandResult version = Fundtrail({"--version"});
  EXPECT_EQ(version.exit_code, 0) << version.Describe();
  EXPECT_NE(version.out.find("fundtrail"), std::string::npos);
}

TEST(CliTest, UsageErrorsExit1) {
  TempDir dir;
  for (const auto& args : std::vector<std::vector<std::string>>{
           {},
           {"frobnicate"},
           {"keygen"},
           {"init", "--ledger", dir / "l"},
           {"append", "--ledger", dir / "l", "input.jsonl"},
           {"append", "--ledger", dir / "l", "--key", "k.pem"},
           {"log", "--ledger", dir / "l", "--from", "abc"},
           {"log", "--ledger", dir / "l", "--no-such-option"},
           {"verify", "--ledger"},
           {"verify", "extra"}}) {
    std::string joined;
    for (const auto& arg : args) joined += arg + " ";
    SCOPED_TRACE(joined);
    CommandResult result = Fundtrail(args);
    EXPECT_EQ(result.exit_code, 1) << result.Describe();
    EXPECT_EQ(result.err.rfind("fundtrail: usage error: ", 0), 0u) << result.Describe();
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.Describe();
    EXPECT_TRUE(result.out.empty()) << result.Describe();
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "l"));
}

// ---------------------------------------------------------------------------------------------
// Bad input: exit 2, one line naming the line, the field and the reason; nothing appended.

class BadInputTest : public AllianceTest {
 protected:
  void SetUp() override {
    AllianceTest::SetUp();
    before_ = alliance_.TakeSnapshot();
  }
  void TearDown() override {
    if (checked_unchanged_) {
      EXPECT_EQ(alliance_.TakeSnapshot(), before_) << "the log changed";
    }
  }

  // Two good disbursements, then `bad` as line 3, appended by the fund manager.
  CommandResult AppendWithBadThirdLine(const std::string& bad_line) {
    std::string text = JsonLines({
        FundsDisbursed(SampleAlliance::kGrantBattery, SampleAlliance::kCatl, "1000.00 CNY", "2024-04-01"),
        FundsDisbursed(SampleAlliance::kGrantBattery, SampleAlliance::kTsinghua, "2000.00 CNY", "2024-04-01"),
    });
    text += bad_line + "\n";
    std::string path = alliance_.NewFile(text);
    return Fundtrail({"append", "--ledger", alliance_.ledger(), "--key", alliance_.fund_manager.path, path});
  }
  CommandResult AppendWithBadThirdEvent(const json& bad) { return AppendWithBadThirdLine(bad.dump()); }

  static json Disbursement() {
    return FundsDisbursed(SampleAlliance::kGrantBattery, SampleAlliance::kCatl, "3000.00 CNY", "2024-04-02");
  }

  SampleAlliance::Snapshot before_;
  bool checked_unchanged_ = true;
};

TEST_F(BadInputTest, MalformedJson) {
  CommandResult result = AppendWithBadThirdLine(R"({"type": "funds_disbursed", "grant_id": )");
  ExpectRejected(result, {"malformed JSON", "column"});
  ExpectNamesLine(result, 3);
}

TEST_F(BadInputTest, NotAnObject) {
  CommandResult result = AppendWithBadThirdLine(R"(["funds_disbursed"])");
  ExpectRejected(result, {"expected a JSON object"});
  ExpectNamesLine(result, 3);
}

TEST_F(BadInputTest, UnknownEventType) {
  json bad = Disbursement();
  bad["type"] = "funds_stolen";
  CommandResult result = AppendWithBadThirdEvent(bad);
  ExpectRejected(result, {"unknown event type \"funds_stolen\""});
  ExpectNamesLine(result, 3);
}

TEST_F(BadInputTest, UnknownField) {
  json bad = Disbursement();
  bad["colour"] = "red";
  CommandResult result = AppendWithBadThirdEvent(bad);
  ExpectRejected(result, {"unknown field \"colour\"", "funds_disbursed"});
  ExpectNamesLine(result, 3);
}

TEST_F(BadInputTest, MissingField) {
  json bad = Disbursement();
  bad.erase("date");
  CommandResult result = AppendWithBadThirdEvent(bad);
  ExpectRejected(result, {"missing field \"date\""});
  ExpectNamesLine(result, 3);
}

TEST_F(BadInputTest, NegativeAmount) {
  json bad = Disbursement();
  bad["amount"] = "-3000.00 CNY";
  CommandResult result = AppendWithBadThirdEvent(bad);
  ExpectRejected(result, {"field \"amount\"", "negative"});
  ExpectNamesLine(result, 3);
}

TEST_F(BadInputTest, ZeroAmount) {
  json bad = Disbursement();
  bad["amount"] = "0.00 CNY";
  CommandResult result = AppendWithBadThirdEvent(bad);
  ExpectRejected(result, {"field \"amount\"", "zero"});
  ExpectNamesLine(result, 3);
}

TEST_F(BadInputTest, TooManyDecimals) {
  json bad = Disbursement();
  bad["amount"] = "3000.005 CNY";
  CommandResult result = AppendWithBadThirdEvent(bad);
  ExpectRejected(result, {"field \"amount\"", "3 decimals", "CNY allows 2"});
  ExpectNamesLine(result, 3);
}

TEST_F(BadInputTest, AmountOverflow) {
  json bad = Disbursement();
  // One fen above the largest int64 number of fen.
  bad["amount"] = "92233720368547758.08 CNY";
  CommandResult result = AppendWithBadThirdEvent(bad);
  ExpectRejected(result, {"field \"amount\"", "too large"});
  ExpectNamesLine(result, 3);
}

TEST_F(BadInputTest, UnknownGrant) {
  json bad = Disbursement();
  bad["grant_id"] = "G-9999";
  CommandResult result = AppendWithBadThirdEvent(bad);
  ExpectRejected(result, {"field \"grant_id\"", "\"G-9999\"", "not registered"});
  ExpectNamesLine(result, 3);
}

TEST_F(BadInputTest, UnknownMember) {
  json bad = Disbursement();
  bad["member_org_id"] = "比亚迪";
  CommandResult result = AppendWithBadThirdEvent(bad);
  ExpectRejected(result, {"field \"member_org_id\"", "\"比亚迪\"", "not registered"});
  ExpectNamesLine(result, 3);
}

TEST_F(BadInputTest, WrongCurrency) {
  json bad = Disbursement();
  bad["amount"] = "3000.00 USD";
  CommandResult result = AppendWithBadThirdEvent(bad);
  ExpectRejected(result, {"field \"amount\"", "\"USD\"", "CNY"});
  ExpectNamesLine(result, 3);
}

TEST_F(BadInputTest, UnsupportedCurrency) {
  json bad = Disbursement();
  bad["amount"] = "3000.00 XYZ";
  CommandResult result = AppendWithBadThirdEvent(bad);
  ExpectRejected(result, {"field \"amount\"", "unsupported currency"});
  ExpectNamesLine(result, 3);
}

TEST_F(BadInputTest, BadSignature) {
  checked_unchanged_ = false;  // checked below, after the library has closed the ledger
  SystemClock clock;
  auto key = PrivateKey::FromPemFile(alliance_.admin.path);
  ASSERT_TRUE(key.has_value()) << key.error().message();
  auto event = EncodeEvent(ProjectRegistered("P-FORGED", "伪造项目"));
  ASSERT_TRUE(event.has_value()) << event.error().message();
  {
    auto ledger = Ledger::Open(alliance_.ledger(), Ledger::Access::kReadWrite, &clock);
    ASSERT_TRUE(ledger.has_value()) << ledger.error().message();
    SignedSubmission submission =
        SignSubmission(*key, (*ledger)->ledger_id(), "forged", clock.NowMicros(), {*event});
    for (size_t bit : {0, 100, 511}) {
      SignedSubmission flipped = submission;
      flipped.signature[bit / 8] = static_cast<char>(flipped.signature[bit / 8] ^ (1 << (bit % 8)));
      size_t failed_event_index = 0;
      auto receipt = (*ledger)->Append(flipped, &failed_event_index);
      ASSERT_FALSE(receipt.has_value()) << "signature bit " << bit;
      EXPECT_EQ(receipt.error().code(), StatusCode::kPermissionDenied) << receipt.error().message();
      EXPECT_NE(receipt.error().message().find("signature"), std::string::npos) << receipt.error().message();
      EXPECT_NE(receipt.error().message().find(alliance_.admin.key_id_hex), std::string::npos);
      EXPECT_EQ(failed_event_index, SIZE_MAX);
    }
    // A batch changed after signing fails the same way as a changed signature.
    SignedSubmission changed = submission;
    auto other = EncodeEvent(ProjectRegistered("P-OTHER", "另一个项目"));
    ASSERT_TRUE(other.has_value());
    changed.canonical_events = {*other};
    size_t failed_event_index = 0;
    EXPECT_FALSE((*ledger)->Append(changed, &failed_event_index).has_value());
  }
  EXPECT_EQ(alliance_.TakeSnapshot(), before_);
  // The control: the same submission with its real signature is appended (by a writer with the
  // views' fold, as every fundtrail command that appends).
  {
    auto ledger = projections::OpenWriter(alliance_.ledger(), &clock);
    ASSERT_TRUE(ledger.has_value()) << ledger.error().message();
    SignedSubmission submission =
        SignSubmission(*key, (*ledger)->ledger_id(), "genuine", clock.NowMicros(), {*event});
    size_t failed_event_index = 0;
    auto receipt = (*ledger)->Append(submission, &failed_event_index);
    ASSERT_TRUE(receipt.has_value()) << receipt.error().message();
  }
  EXPECT_EQ(alliance_.Log({"--type", "project_registered"}).back()["event"]["project_id"], "P-FORGED");
}

TEST_F(BadInputTest, UnregisteredKey) {
  std::string path = alliance_.NewFile(JsonLines({Disbursement()}));
  CommandResult result =
      Fundtrail({"append", "--ledger", alliance_.ledger(), "--key", alliance_.outsider.path, path});
  ExpectRejected(result, {"key " + alliance_.outsider.key_id_hex, "not registered"});
}

TEST_F(BadInputTest, RevokedKey) {
  alliance_.Append(alliance_.admin, {KeyRevoked(alliance_.finance_retired, "财务人员离职")}, "revoke");
  uint64_t revoked_at = alliance_.Log().back()["sequence"];
  before_ = alliance_.TakeSnapshot();
  std::string path = alliance_.NewFile(JsonLines({ExpenditureRecorded(
      SampleAlliance::kGrantBattery, SampleAlliance::kCatl, "materials", "V-LAB", "INV-LATE", "100.00 CNY")}));
  CommandResult result =
      Fundtrail({"append", "--ledger", alliance_.ledger(), "--key", alliance_.finance_retired.path, path});
  ExpectRejected(result, {"key " + alliance_.finance_retired.key_id_hex,
                          "revoked at sequence " + std::to_string(revoked_at)});
}

TEST_F(BadInputTest, RoleNotAllowed) {
  // A member's finance department may record expenditure, not disburse the alliance's funds.
  std::string path = alliance_.NewFile(JsonLines({
      ExpenditureRecorded(SampleAlliance::kGrantBattery, SampleAlliance::kCatl, "materials", "V-LAB", "INV-A", "100.00 CNY"),
      ExpenditureRecorded(SampleAlliance::kGrantBattery, SampleAlliance::kCatl, "materials", "V-LAB", "INV-B", "200.00 CNY"),
      Disbursement(),
  }));
  CommandResult result =
      Fundtrail({"append", "--ledger", alliance_.ledger(), "--key", alliance_.finance_catl.path, path});
  ExpectRejected(result, {"may not append funds_disbursed", "fund_manager", "member_finance"});
  ExpectNamesLine(result, 3);
}

TEST_F(BadInputTest, MemberFinanceActingForAnotherOrganisation) {
  std::string path = alliance_.NewFile(JsonLines({
      ExpenditureRecorded(SampleAlliance::kGrantBattery, SampleAlliance::kCatl, "materials", "V-LAB", "INV-A", "100.00 CNY"),
      ExpenditureRecorded(SampleAlliance::kGrantBattery, SampleAlliance::kCatl, "materials", "V-LAB", "INV-B", "200.00 CNY"),
      ExpenditureRecorded(SampleAlliance::kGrantBattery, SampleAlliance::kTsinghua, "materials", "V-LAB", "INV-C", "300.00 CNY"),
  }));
  CommandResult result =
      Fundtrail({"append", "--ledger", alliance_.ledger(), "--key", alliance_.finance_catl.path, path});
  ExpectRejected(result, {"field \"org_id\"", "\"清华大学\"", "own organisation \"CATL\""});
  ExpectNamesLine(result, 3);
}

TEST_F(BadInputTest, DuplicateSubmissionIdWithOtherContent) {
  const json& earlier = alliance_.receipts()[3];  // "disbursed"
  ASSERT_EQ(earlier["submission_id"], "disbursed");
  CommandResult result = alliance_.TryAppend(alliance_.fund_manager, {Disbursement()}, "disbursed");
  ExpectRejected(result, {"submission id \"disbursed\"", "already used at sequence " + earlier["first_sequence"].dump(),
                          "other content"});
}

TEST_F(BadInputTest, EmptyFile) {
  std::string path = alliance_.NewFile("");
  CommandResult result =
      Fundtrail({"append", "--ledger", alliance_.ledger(), "--key", alliance_.fund_manager.path, path});
  ExpectRejected(result, {path, "no events"});
}

TEST_F(BadInputTest, FileOfBlankLines) {
  std::string path = alliance_.NewFile("\n   \n\t\n\r\n\n");
  CommandResult result =
      Fundtrail({"append", "--ledger", alliance_.ledger(), "--key", alliance_.fund_manager.path, path});
  ExpectRejected(result, {path, "no events"});
  RunOptions options;
  options.input = "\n\n";
  CommandResult from_stdin =
      Fundtrail({"append", "--ledger", alliance_.ledger(), "--key", alliance_.fund_manager.path, "-"}, options);
  ExpectRejected(from_stdin, {"stdin", "no events"});
}

TEST_F(BadInputTest, MissingInputFileExits5) {
  CommandResult result = Fundtrail({"append", "--ledger", alliance_.ledger(), "--key",
                                    alliance_.fund_manager.path, dir_ / "no-such.jsonl"});
  EXPECT_EQ(result.exit_code, 5) << result.Describe();
  ExpectOneErrorLine(result);
  EXPECT_NE(result.err.find("no-such.jsonl"), std::string::npos);
}

TEST_F(BadInputTest, NotAPrivateKey) {
  std::string path = alliance_.NewFile(JsonLines({Disbursement()}));
  CommandResult result = Fundtrail({"append", "--ledger", alliance_.ledger(), "--key",
                                    alliance_.fund_manager.path + ".pub", path});
  ExpectRejected(result, {"not an Ed25519 private key"});
}

// ---------------------------------------------------------------------------------------------
// One writer at a time; readers go on.

TEST_F(AllianceTest, SecondWriterIsBusyAndReadersStillWork) {
  auto before = alliance_.TakeSnapshot();
  std::string path = alliance_.NewFile(JsonLines({FundsReceived(SampleAlliance::kGrantBattery, "10.00 CNY", "2024-08-01")}));
  std::vector<std::string> append = {"append", "--ledger", alliance_.ledger(), "--key", alliance_.funder.path,
                                     "--submission-id", "while-busy", path};
  {
    SystemClock clock;
    auto writer = Ledger::Open(alliance_.ledger(), Ledger::Access::kReadWrite, &clock);
    ASSERT_TRUE(writer.has_value()) << writer.error().message();

    CommandResult busy = Fundtrail(append);
    EXPECT_EQ(busy.exit_code, 4) << busy.Describe();
    ExpectOneErrorLine(busy);
    EXPECT_NE(busy.err.find("is in use"), std::string::npos) << busy.Describe();

    // Readers are not blocked by the writer.
    EXPECT_EQ(alliance_.TakeSnapshot(), before);
    CommandResult table = Fundtrail({"log", "--ledger", alliance_.ledger(), "--subject", "org:CATL"});
    EXPECT_EQ(table.exit_code, 0) << table.Describe();

    // A second writer in the same process is refused too.
    auto second = Ledger::Open(alliance_.ledger(), Ledger::Access::kReadWrite, &clock);
    ASSERT_FALSE(second.has_value());
    EXPECT_EQ(second.error().code(), StatusCode::kBusy);
  }
  // Released: the append goes through.
  CommandResult appended = Fundtrail(append);
  EXPECT_EQ(appended.exit_code, 0) << appended.Describe();
  EXPECT_EQ(alliance_.Log().size(), LastSequence(alliance_) + 1);
}

// Regression: a reader opening the ledger while a writer was flushing or compacting (every
// `fundtrail append` flushes the recovered log when it opens the store) could find the table files
// of its MANIFEST already deleted, and `fundtrail log` or `verify` then failed with "Corruption"
// (exit 3, as if the ledger had been tampered with).
TEST_F(AllianceTest, ReadersWorkWhileAWriterAppends) {
  constexpr int kAppendCount = 24;
  constexpr int kReaderRunsMax = 400;
  std::vector<std::string> batch_paths;
  for (int i = 0; i < 3; ++i) {
    std::vector<json> events;
    for (int k = 0; k < 40; ++k) {
      events.push_back(ExpenditureRecorded(SampleAlliance::kGrantBattery, SampleAlliance::kCatl, "materials", "V-LAB",
                                           "INV-W" + std::to_string(i) + "-" + std::to_string(k), "10.00 CNY"));
    }
    batch_paths.push_back(alliance_.NewFile(JsonLines(events)));
  }
  std::atomic<bool> writing{true};
  std::vector<CommandResult> failed_appends;
  std::thread writer([&] {
    for (int i = 0; i < kAppendCount; ++i) {
      CommandResult result = Fundtrail({"append", "--ledger", alliance_.ledger(), "--key", alliance_.finance_catl.path,
                                        "--submission-id", "w-" + std::to_string(i), batch_paths[i % 3]});
      if (result.exit_code != 0) failed_appends.push_back(result);
    }
    writing = false;
  });
  int reader_runs = 0;
  uint64_t seen_events = 0;
  while (writing && reader_runs < kReaderRunsMax) {
    ++reader_runs;
    bool verify = reader_runs % 2 == 0;
    CommandResult result = verify ? Fundtrail({"verify", "--ledger", alliance_.ledger(), "--quiet"})
                                  : Fundtrail({"log", "--ledger", alliance_.ledger(), "--json", "--type", "funds_disbursed"});
    ASSERT_EQ(result.exit_code, 0) << "reader run " << reader_runs << "\n" << result.Describe();
    if (verify) {
      // A reader sees a consistent ledger as of its opening, never one that shrinks.
      std::smatch match;
      ASSERT_TRUE(std::regex_search(result.out, match, std::regex(R"(head: (\d+) )"))) << result.out;
      uint64_t events = std::stoull(match[1].str());
      EXPECT_GE(events, seen_events);
      seen_events = events;
    }
  }
  writer.join();
  for (const auto& failed : failed_appends) ADD_FAILURE() << "an append failed\n" << failed.Describe();
  EXPECT_GT(reader_runs, 1);
  EXPECT_EQ(alliance_.Log().size(), LastSequence(alliance_) + kAppendCount * 40);
}

// ---------------------------------------------------------------------------------------------
// The demo (its data lives in examples/power-battery).

TEST(DemoTest, DemoBuildsALedgerThatVerifies) {
  TempDir dir;
  std::string ledger = dir / "demo-ledger";
  CommandResult demo = Fundtrail({"demo", "--ledger", ledger});
  ASSERT_EQ(demo.exit_code, 0) << demo.Describe();
  std::smatch match;
  ASSERT_TRUE(std::regex_search(demo.out, match, std::regex(R"(ok: (\d+) events verified, head ([0-9a-f]{64}))")))
      << demo.out;
  CommandResult verify = Fundtrail({"verify", "--ledger", ledger});
  ASSERT_EQ(verify.exit_code, 0) << verify.Describe();
  EXPECT_NE(verify.out.find("head: " + match[1].str() + " " + match[2].str()), std::string::npos) << verify.out;
  CommandResult log = Fundtrail({"log", "--ledger", ledger, "--json"});
  ASSERT_EQ(log.exit_code, 0) << log.Describe();
  EXPECT_EQ(ParseJsonLines(log.out).size(), std::stoull(match[1].str()));
  // Running the demo again replaces its own ledger.
  CommandResult again = Fundtrail({"demo", "--ledger", ledger});
  EXPECT_EQ(again.exit_code, 0) << again.Describe();
  EXPECT_EQ(Fundtrail({"verify", "--ledger", ledger, "--quiet"}).exit_code, 0);
}

TEST(DemoTest, DemoRefusesADirectoryThatIsNotADemoLedger) {
  TempDir dir;
  WriteFile(dir / "precious.txt", "do not delete");
  CommandResult demo = Fundtrail({"demo", "--ledger", dir.path()});
  EXPECT_NE(demo.exit_code, 0) << demo.Describe();
  EXPECT_EQ(ReadFile(dir / "precious.txt"), "do not delete");
}

}  // namespace
}  // namespace fundtrail::testing
