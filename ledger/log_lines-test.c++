#include "ledger/log_lines.h"

#include <gtest/gtest.h>

#include "ledger/submission.h"
#include "ledger/test_util.h"

namespace fundtrail {
namespace {

using test::kFunder;
using test::kUniversity;

class LogLinesTest : public ::testing::Test {
 protected:
  LogLinesTest() : alliance_(directory_.path()) {}

  void SetUp() override {
    auto ledger = Ledger::Create(directory_.File("ledger"), alliance_.GenesisSubmission(clock_.NowMicros()), &clock_);
    ASSERT_TRUE(ledger.has_value()) << ledger.error().message();
    ledger_ = std::move(*ledger);
    genesis_size_ = ledger_->head().sequence;
    Append(alliance_.admin, "setup", {test::ProjectJson("P-1"), test::VendorJson("V-1")});
    Append(alliance_.funder, "grant", {test::GrantJson("G-1", kFunder, "P-1")});
    Append(alliance_.funder, "received", {test::FundsReceivedJson("G-1", "1000.00 CNY")});
    Append(alliance_.fund_manager, "disbursed", {test::FundsDisbursedJson("G-1", kUniversity, "800.00 CNY")});
    Append(alliance_.finance_uni, "spent", {test::ExpenditureJson("G-1", kUniversity, "V-1", "12.50 CNY")});
  }

  void Append(const PrivateKey& key, const std::string& id, const std::vector<test::json>& events) {
    std::vector<std::string> canonical;
    for (const auto& event : events) canonical.push_back(test::MustEncode(event));
    size_t failed = 0;
    auto receipt = ledger_->Append(SignSubmission(key, alliance_.ledger_id, id, clock_.NowMicros(), canonical), &failed);
    ASSERT_TRUE(receipt.has_value()) << receipt.error().message();
  }

  std::vector<nlohmann::ordered_json> Scan(const LogQuery& query) {
    std::vector<nlohmann::ordered_json> lines;
    Status scanned = ScanLog(*ledger_, query, [&](const LogLine& line) {
      lines.push_back(LogLineJson(line));
      return true;
    });
    EXPECT_TRUE(scanned.ok()) << scanned.message();
    return lines;
  }

  test::TempDir directory_;
  test::TestAlliance alliance_;
  test::FixedClock clock_;
  std::unique_ptr<Ledger> ledger_;
  uint64_t genesis_size_ = 0;
};

TEST_F(LogLinesTest, EveryEventInOrderWithItsAuthorAndHash) {
  auto lines = Scan({});
  ASSERT_EQ(lines.size(), ledger_->head().sequence);
  for (size_t i = 0; i < lines.size(); ++i) EXPECT_EQ(lines[i]["sequence"], i + 1);
  EXPECT_EQ(lines.front()["author_org"], "operator");  // the genesis
  const auto& spent = lines.back();
  EXPECT_EQ(spent["type"], "expenditure_recorded");
  EXPECT_EQ(spent["author_org"], kUniversity);
  EXPECT_EQ(spent["key_id"], test::KeyIdHex(alliance_.finance_uni));
  EXPECT_EQ(spent["amount"], "12.50 CNY");
  EXPECT_EQ(spent["hash"], test::Hex(ledger_->head().chain_hash));
  EXPECT_EQ(spent["reversed"], false);
  EXPECT_EQ(spent["event"]["vendor_id"], "V-1");
}

TEST_F(LogLinesTest, FiltersByRangeTypeSubjectAndPredicate) {
  const uint64_t head = ledger_->head().sequence;
  auto range = Scan({genesis_size_ + 2, genesis_size_ + 3, {}, "", nullptr});
  ASSERT_EQ(range.size(), 2u);
  EXPECT_EQ(range[0]["sequence"], genesis_size_ + 2);
  auto types = EventTypesFromNames({"funds_received", "expenditure_recorded"}, "--type");
  ASSERT_TRUE(types.has_value());
  auto money = Scan({1, head, *types, "", nullptr});
  ASSERT_EQ(money.size(), 2u);
  EXPECT_EQ(money[0]["type"], "funds_received");
  auto grant = Scan({1, head, {}, "grant:G-1", nullptr});
  EXPECT_EQ(grant.size(), 4u);  // awarded, received, disbursed, spent
  auto none = Scan({1, head, {}, "", [](schema::Event::Reader) { return false; }});
  EXPECT_TRUE(none.empty());
  auto unknown = EventTypesFromNames({"expenditure"}, "--type");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().message().find("--type: unknown event type \"expenditure\""), std::string::npos);
  Status bad_subject = ScanLog(*ledger_, {1, head, {}, "nothing", nullptr}, [](const LogLine&) { return true; });
  EXPECT_FALSE(bad_subject.ok());
}

TEST_F(LogLinesTest, CsvRowMatchesItsHeaders) {
  std::vector<std::vector<std::string>> rows;
  ASSERT_TRUE(ScanLog(*ledger_, {}, [&](const LogLine& line) {
                rows.push_back(LogCsvRow(line));
                return true;
              }).ok());
  for (const auto& row : rows) EXPECT_EQ(row.size(), LogCsvHeaders().size());
  EXPECT_EQ(rows.back()[6], "12.50");
  EXPECT_EQ(rows.back()[7], "CNY");
  EXPECT_EQ(rows.back()[3], kUniversity);
}

}  // namespace
}  // namespace fundtrail
