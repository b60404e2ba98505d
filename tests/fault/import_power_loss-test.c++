// An import interrupted by a power loss finishes when it is run again (ledger/importer.h): the
// submissions of the file that the ledger acknowledged stay, the rest are appended, and no row is
// in the ledger twice. This holds because a file's submission ids derive from the file and the
// mapping (a retry of an interrupted part is recognised) and each row keeps its source key (a row
// already in is not appended again).
//
// Each round writes a new voucher file of kRows rows, imports it in parts of kRowsPerPart rows
// through the fault-injecting file system with a seeded crash point, discards what was not
// synced, reopens the ledger and imports the same file again. The seed is printed;
// FUNDTRAIL_TEST_SEED=<seed> replays the same crash points.
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <map>
#include <random>

#include "ledger/importer.h"
#include "ledger/log_lines.h"
#include "tests/fault/disk_fixture.h"

namespace fundtrail::testing {
namespace {

constexpr int kRounds = 16;
constexpr int kRows = 23;
constexpr size_t kRowsPerPart = 5;  // five submissions per file, the last one of 3 rows
// Crash points are drawn from the file operations of about one import: a part's append is a
// handful of writes and syncs.
constexpr uint64_t kCrashPointMax = 30;

constexpr char kMapping[] = R"([import]
type = "expenditure_recorded"
date_formats = ["%Y-%m-%d"]

[constants]
org_id = "12100000400000624D"
grant_id = "G-1"
vendor_id = "V-1"
category = "materials"

[columns]
period = "期间"
voucher = "凭证号"
line = "行"
invoice_number = "发票号"
invoice_date = "开票日期"
payment_date = "支付日期"
amount = "金额"
requester = "经办人"
approver = "审批人"
description = "用途"
)";

// Round `round`'s voucher export: vouchers 记-<round>-<i>, one line each, distinct invoices.
std::string VoucherFile(int round) {
  std::string csv = "期间,凭证号,行,发票号,开票日期,支付日期,金额,经办人,审批人,用途\n";
  for (int i = 1; i <= kRows; ++i) {
    csv += "2024-04,记-" + std::to_string(round) + "-" + std::to_string(i) + ",1,INV-" + std::to_string(round) +
           "-" + std::to_string(i) + ",2024-04-01,2024-04-03,\"1," + std::to_string(100 + i) + ".50\",李娜,王强,正极材料\n";
  }
  return csv;
}

// How many expenditures of the ledger carry each source key.
std::map<std::string, int> SourceKeys(const Ledger& ledger) {
  std::map<std::string, int> keys;
  LogQuery query;
  query.types = {schema::Event::EXPENDITURE_RECORDED};
  Status scanned = ScanLog(ledger, query, [&](const LogLine& line) {
    auto key = line.event.getExpenditureRecorded().getSourceKey();
    if (key.size() > 0) ++keys[std::string(key.cStr(), key.size())];
    return true;
  });
  EXPECT_TRUE(scanned.ok()) << scanned.message();
  return keys;
}

class ImportPowerLossTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fixture_.Create();
    std::ofstream(temp_.File("mapping.toml")) << kMapping;
  }

  Result<ImportReport> Import(Ledger& ledger, const std::string& file) {
    ImportOptions options;
    options.input_path = file;
    options.mapping_path = temp_.File("mapping.toml");
    options.submission_event_count_max = kRowsPerPart;
    ImportMessages messages;
    messages.error = [](const std::string& line) { ADD_FAILURE() << "row error: " << line; };
    messages.warning = [](const std::string& line) { ADD_FAILURE() << "warning: " << line; };
    messages.progress = [](const std::string&) {};
    return ImportCsv(options, ledger, &fixture_.alliance().finance_uni, fixture_.clock(), messages);
  }

  test::TempDir temp_;
  DiskFixture fixture_;
};

TEST_F(ImportPowerLossTest, AnInterruptedImportFinishesOnARerunWithEveryRowOnce) {
  const uint64_t seed = SeedFromEnvironment(std::random_device{}());
  std::cout << "import power loss: seed " << seed << " (FUNDTRAIL_TEST_SEED=" << seed << " replays it)"
            << std::endl;
  SCOPED_TRACE("FUNDTRAIL_TEST_SEED=" + std::to_string(seed));
  std::mt19937_64 random(seed);
  int interrupted = 0, parts_kept = 0;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const std::string file = temp_.File("vouchers-" + std::to_string(round) + ".csv");
    std::ofstream(file) << VoucherFile(round);
    {
      auto opened = fixture_.Open();
      ASSERT_TRUE(opened.has_value()) << opened.error().message();
      fixture_.file_system().CrashAfter(1 + random() % kCrashPointMax);
      auto report = Import(**opened, file);
      if (!report) {
        EXPECT_TRUE(fixture_.file_system().crashed()) << "failed without a crash: " << report.error().message();
        ++interrupted;
      }
    }
    ASSERT_TRUE(fixture_.file_system().DropUnsyncedData().ok());

    auto opened = fixture_.Open();
    ASSERT_TRUE(opened.has_value()) << opened.error().message();
    Ledger& ledger = **opened;
    Status verified = ledger.Verify(nullptr);
    ASSERT_TRUE(verified.ok()) << verified.message();
    auto rerun = Import(ledger, file);
    ASSERT_TRUE(rerun.has_value()) << rerun.error().message();
    EXPECT_EQ(rerun->rows, static_cast<uint64_t>(kRows));
    EXPECT_EQ(rerun->changed, 0u);
    EXPECT_EQ(rerun->already + rerun->new_rows, static_cast<uint64_t>(kRows));
    parts_kept += static_cast<int>(rerun->already / kRowsPerPart);
    // Parts are cut at the same rows on every run, so what survived is whole parts.
    EXPECT_TRUE(rerun->already % kRowsPerPart == 0 || rerun->already == static_cast<uint64_t>(kRows))
        << rerun->already << " rows were already in";

    const auto keys = SourceKeys(ledger);
    for (int i = 1; i <= kRows; ++i) {
      const std::string key =
          std::string(test::kUniversity) + "|2024-04|记-" + std::to_string(round) + "-" + std::to_string(i) + "|1";
      auto found = keys.find(key);
      EXPECT_TRUE(found != keys.end() && found->second == 1) << key << " is in the ledger "
                                                            << (found == keys.end() ? 0 : found->second) << " times";
    }
    // A third run finds everything in.
    auto again = Import(ledger, file);
    ASSERT_TRUE(again.has_value()) << again.error().message();
    EXPECT_EQ(again->already, static_cast<uint64_t>(kRows));
    EXPECT_TRUE(again->receipts.empty());
  }
  std::cout << "import power loss: " << interrupted << " of " << kRounds << " imports interrupted; " << parts_kept
            << " parts found in on the re-runs" << std::endl;
  EXPECT_GT(interrupted, 0) << "no crash point fell inside an import: the test tested nothing";
}

}  // namespace
}  // namespace fundtrail::testing
