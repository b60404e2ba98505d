// End-to-end tests of `fundtrail import`: the example voucher exports of examples/import/ (GBK
// and UTF-8 with a byte-order mark) imported into the demo ledger, compared with the same events
// appended as JSON; --check listing every error; re-imports; and each kind of bad input, which
// must say what is wrong in one line and append nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>

#include "tests/testing/cli_harness.h"

namespace fundtrail::testing {
namespace {

const std::string kExamples = std::string(FUNDTRAIL_SOURCE_DIR) + "/examples/import/";
const std::string kKeys = std::string(FUNDTRAIL_SOURCE_DIR) + "/examples/power-battery/keys/";

// The demo ledger, built once; each test works on a copy.
class Import : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    template_ = new TempDir();
    CommandResult demo = Fundtrail({"demo", "--ledger", *template_ / "demo-ledger"});
    ASSERT_EQ(demo.exit_code, 0) << demo.Describe();
  }
  static void TearDownTestSuite() {
    delete template_;
    template_ = nullptr;
  }

  // A copy of the demo ledger named `name`.
  std::string DemoLedger(const std::string& name = "ledger") {
    std::string path = temp_ / name;
    std::filesystem::copy(*template_ / "demo-ledger", path, std::filesystem::copy_options::recursive);
    return path;
  }

  static CommandResult ImportFile(const std::string& ledger, const std::string& key, const std::string& mapping,
                                  const std::string& file, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"import", "--ledger", ledger, "--mapping", mapping};
    if (!key.empty()) {
      args.push_back("--key");
      args.push_back(kKeys + key);
    }
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(file);
    return Fundtrail(args);
  }

  static std::string Log(const std::string& ledger) {
    CommandResult log = Fundtrail({"log", "--ledger", ledger, "--json"});
    EXPECT_EQ(log.exit_code, 0) << log.Describe();
    return log.out;
  }

  // The events after sequence `after`, without the append time.
  static std::vector<nlohmann::json> EventsAfter(const std::string& ledger, uint64_t after) {
    CommandResult log = Fundtrail({"log", "--ledger", ledger, "--json", "--from", std::to_string(after + 1)});
    EXPECT_EQ(log.exit_code, 0) << log.Describe();
    std::vector<nlohmann::json> events;
    for (const auto& line : ParseJsonLines(log.out)) events.push_back(line["event"]);
    return events;
  }

  static uint64_t Size(const std::string& ledger) {
    CommandResult head = Fundtrail({"head", "--ledger", ledger, "--json"});
    EXPECT_EQ(head.exit_code, 0) << head.Describe();
    return nlohmann::json::parse(head.out)["tree_size"].get<uint64_t>();
  }

  // stderr lines that start with `prefix`.
  static std::vector<std::string> LinesStarting(const std::string& text, const std::string& prefix) {
    std::vector<std::string> lines;
    for (const auto& line : SplitLines(text)) {
      if (line.starts_with(prefix)) lines.push_back(line);
    }
    return lines;
  }

  static TempDir* template_;
  TempDir temp_;
};

TempDir* Import::template_ = nullptr;

struct Example {
  std::string key, mapping, file, encoding;
  size_t rows;
};
const Example kExamplesList[] = {
    {"finance-liqing.pem", "kingdee.toml", "kingdee-liqing-2026q1.csv", "gb18030", 36},
    {"finance-junchi.pem", "yonyou.toml", "yonyou-junchi-2026.csv", "gb18030", 30},
    {"finance-jhut.pem", "excel.toml", "excel-jhut-2026-04.csv", "utf-8-bom", 24},
};

std::string ExpectedJsonl(const Example& example) {
  return kExamples + example.file.substr(0, example.file.size() - 4) + ".expected.jsonl";
}

TEST_F(Import, ExamplesImportAsTheSameEventsAsAppendedJson) {
  std::string imported = DemoLedger("imported");
  std::string appended = DemoLedger("appended");
  uint64_t before = Size(imported);
  for (const auto& example : kExamplesList) {
    CommandResult result = ImportFile(imported, example.key, kExamples + example.mapping, kExamples + example.file);
    ASSERT_EQ(result.exit_code, 0) << result.Describe();
    std::string rows = std::to_string(example.rows);
    EXPECT_NE(result.out.find("(" + example.encoding + "): " + rows + " rows"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find(rows + " appended, 0 already in the ledger, 0 changed"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("appended: submission \"import-"), std::string::npos) << result.out;
    CommandResult json = Fundtrail({"append", "--ledger", appended, "--key", kKeys + example.key, ExpectedJsonl(example)});
    ASSERT_EQ(json.exit_code, 0) << json.Describe();
  }
  EXPECT_EQ(Size(imported), before + 36 + 30 + 24);
  EXPECT_EQ(EventsAfter(imported, before), EventsAfter(appended, before));
  CommandResult view_imported = Fundtrail({"view", "grants", "--json", "--ledger", imported});
  CommandResult view_appended = Fundtrail({"view", "grants", "--json", "--ledger", appended});
  ASSERT_EQ(view_imported.exit_code, 0) << view_imported.Describe();
  EXPECT_EQ(view_imported.out, view_appended.out);
  // The figures moved: the import is in the views.
  CommandResult view_demo = Fundtrail({"view", "grants", "--json", "--ledger", DemoLedger("demo")});
  EXPECT_NE(view_imported.out, view_demo.out);
  EXPECT_EQ(Fundtrail({"verify", "--ledger", imported, "--quiet"}).exit_code, 0);
}

TEST_F(Import, ForcedEncodingMatchesDetection) {
  std::string ledger = DemoLedger();
  CommandResult result = ImportFile(ledger, "finance-junchi.pem", kExamples + "yonyou.toml",
                                    kExamples + "yonyou-junchi-2026.csv", {"--encoding", "gbk", "--check"});
  ASSERT_EQ(result.exit_code, 0) << result.Describe();
  EXPECT_NE(result.out.find("30 new, 0 already in the ledger, 0 changed; no errors, nothing appended (--check)"),
            std::string::npos) << result.out;
  // Forcing the wrong one says how to fix it and appends nothing.
  std::string log = Log(ledger);
  CommandResult wrong = ImportFile(ledger, "finance-junchi.pem", kExamples + "yonyou.toml",
                                   kExamples + "yonyou-junchi-2026.csv", {"--encoding", "utf-8"});
  EXPECT_EQ(wrong.exit_code, 2) << wrong.Describe();
  EXPECT_NE(wrong.err.find("is not valid UTF-8; if the file is GBK, pass --encoding gbk"), std::string::npos) << wrong.err;
  EXPECT_EQ(Log(ledger), log);
}

TEST_F(Import, ReimportAppendsNothing) {
  std::string ledger = DemoLedger();
  const Example& example = kExamplesList[0];
  ASSERT_EQ(ImportFile(ledger, example.key, kExamples + example.mapping, kExamples + example.file).exit_code, 0);
  std::string log = Log(ledger);
  CommandResult again = ImportFile(ledger, example.key, kExamples + example.mapping, kExamples + example.file);
  ASSERT_EQ(again.exit_code, 0) << again.Describe();
  EXPECT_NE(again.out.find("0 appended, 36 already in the ledger, 0 changed; nothing appended"), std::string::npos)
      << again.out;
  EXPECT_EQ(Log(ledger), log);
}

TEST_F(Import, ReimportAfterOneEditedRowReportsOneChangedRow) {
  std::string ledger = DemoLedger();
  const Example& example = kExamplesList[2];
  ASSERT_EQ(ImportFile(ledger, example.key, kExamples + example.mapping, kExamples + example.file).exit_code, 0);
  std::string log = Log(ledger);
  // A one-character edit of one amount; and one new row at the end.
  std::string text = ReadFile(kExamples + example.file);
  size_t amount = text.find("\"41,586.10\"");
  ASSERT_NE(amount, std::string::npos);
  text.replace(amount, 11, "\"41,586.16\"");
  std::string edited = temp_ / "edited.csv";
  WriteFile(edited, text);
  CommandResult result = ImportFile(ledger, example.key, kExamples + example.mapping, edited);
  ASSERT_EQ(result.exit_code, 0) << result.Describe();
  EXPECT_NE(result.out.find("0 appended, 23 already in the ledger, 1 changed"), std::string::npos) << result.out;
  auto warnings = LinesStarting(result.err, "fundtrail: warning: ");
  ASSERT_EQ(warnings.size(), 1u) << result.err;
  EXPECT_NE(warnings[0].find("row 2: changed: source key \"123400004850032765|2026-04|记-012|1\" is in the ledger at "
                             "sequence"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("reverse sequence"), std::string::npos) << warnings[0];
  EXPECT_EQ(Log(ledger), log);

  // The correction the warning describes: reverse the event, import again.
  std::smatch match;
  ASSERT_TRUE(std::regex_search(warnings[0], match, std::regex(R"(at sequence (\d+))")));
  uint64_t target = std::stoull(match[1].str());
  std::string reversal = temp_ / "reversal.jsonl";
  WriteFile(reversal, JsonLines({{{"type", "reversal"}, {"target_sequence", target}, {"reason", "金额录入错误"}}}));
  CommandResult reversed = Fundtrail({"append", "--ledger", ledger, "--key", kKeys + example.key, reversal});
  ASSERT_EQ(reversed.exit_code, 0) << reversed.Describe();
  CommandResult corrected = ImportFile(ledger, example.key, kExamples + example.mapping, edited);
  ASSERT_EQ(corrected.exit_code, 0) << corrected.Describe();
  EXPECT_NE(corrected.out.find("1 appended, 23 already in the ledger, 0 changed"), std::string::npos) << corrected.out;
  auto lines = ParseJsonLines(Log(ledger));
  EXPECT_EQ(lines.back()["event"]["amount"], "41586.16 CNY");
  EXPECT_EQ(lines.back()["reversed"], false);
  EXPECT_EQ(lines[target - 1]["sequence"], target);
  EXPECT_EQ(lines[target - 1]["reversed"], true);
  CommandResult table = Fundtrail({"log", "--ledger", ledger, "--from", std::to_string(target), "--to",
                                   std::to_string(target)});
  EXPECT_NE(table.out.find("expenditure_recorded (reversed)"), std::string::npos) << table.out;
}

TEST_F(Import, AnInvoiceChargedBeforeIsWarnedAbout) {
  std::string ledger = DemoLedger();
  // An invoice of the demo's expenditures, in a row of a new voucher.
  std::string text = ReadFile(kExamples + "excel-jhut-2026-04.csv");
  size_t invoice = text.find("26341608022615919517");
  ASSERT_NE(invoice, std::string::npos);
  std::string demo_invoice = "25321808783793870413";  // steps/27-expenditures-2025h1-liqing.jsonl
  text.replace(invoice, demo_invoice.size(), demo_invoice);
  std::string file = temp_ / "twice.csv";
  WriteFile(file, text);
  CommandResult result = ImportFile(ledger, "finance-jhut.pem", kExamples + "excel.toml", file);
  ASSERT_EQ(result.exit_code, 0) << result.Describe();
  auto warnings = LinesStarting(result.err, "fundtrail: warning: ");
  ASSERT_EQ(warnings.size(), 1u) << result.err;
  EXPECT_NE(warnings[0].find("row 2: invoice 25321808783793870413 is already charged at sequence"), std::string::npos)
      << warnings[0];
}

TEST_F(Import, SeveralSubmissionsWithIdsFromTheFile) {
  std::string ledger = DemoLedger();
  const Example& example = kExamplesList[0];
  CommandResult result = ImportFile(ledger, example.key, kExamples + example.mapping, kExamples + example.file,
                                    {"--rows-per-submission", "10", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.Describe();
  auto summary = nlohmann::json::parse(result.out);
  ASSERT_EQ(summary["submissions"].size(), 4u) << result.out;
  std::regex id(R"(import-[0-9a-f]{16}-([1-4])of4)");
  for (size_t i = 0; i < 4; ++i) {
    std::smatch match;
    std::string submission = summary["submissions"][i]["submission_id"];
    ASSERT_TRUE(std::regex_match(submission, match, id)) << submission;
    EXPECT_EQ(match[1].str(), std::to_string(i + 1));
  }
  EXPECT_EQ(summary["new"], 36);
}

TEST_F(Import, LogFindsEventsByVoucherAndInvoice) {
  std::string ledger = DemoLedger();
  const Example& example = kExamplesList[0];
  ASSERT_EQ(ImportFile(ledger, example.key, kExamples + example.mapping, kExamples + example.file).exit_code, 0);
  auto expected = ParseJsonLines(ReadFile(ExpectedJsonl(example)));
  const nlohmann::json& first = expected.front();
  std::string voucher = first["reference"];
  std::string period = SplitLines(std::regex_replace(first["source_key"].get<std::string>(), std::regex("\\|"), "\n"))[1];
  size_t lines = 0;
  for (const auto& event : expected) lines += event["reference"] == voucher;
  for (const std::string& query : {voucher, period + "|" + voucher}) {
    CommandResult log = Fundtrail({"log", "--ledger", ledger, "--json", "--voucher", query});
    ASSERT_EQ(log.exit_code, 0) << log.Describe();
    auto found = ParseJsonLines(log.out);
    ASSERT_EQ(found.size(), lines) << query;
    EXPECT_EQ(found[0]["event"], first);
  }
  CommandResult by_invoice = Fundtrail({"log", "--ledger", ledger, "--json", "--invoice", first["invoice_number"]});
  ASSERT_EQ(by_invoice.exit_code, 0) << by_invoice.Describe();
  auto found = ParseJsonLines(by_invoice.out);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]["event"], first);
  // The demo's own references are found too (it appended them as JSON).
  CommandResult demo = Fundtrail({"log", "--ledger", ledger, "--voucher", "记-2025-07-0029"});
  ASSERT_EQ(demo.exit_code, 0) << demo.Describe();
  EXPECT_NE(demo.out.find("1 event"), std::string::npos) << demo.out;
  CommandResult none = Fundtrail({"log", "--ledger", ledger, "--voucher", "记-99999"});
  EXPECT_NE(none.out.find("0 events"), std::string::npos) << none.out;
}

TEST_F(Import, ReverseASubmissionLeavesTheViewsAsBefore) {
  std::string ledger = DemoLedger();
  std::string pristine = DemoLedger("pristine");
  const Example& example = kExamplesList[1];
  CommandResult imported = ImportFile(ledger, example.key, kExamples + example.mapping, kExamples + example.file,
                                      {"--json"});
  ASSERT_EQ(imported.exit_code, 0) << imported.Describe();
  std::string submission = nlohmann::json::parse(imported.out)["submissions"][0]["submission_id"];
  uint64_t size = Size(ledger);
  CommandResult reverse = Fundtrail({"reverse", "--ledger", ledger, "--key", kKeys + example.key, "--submission",
                                     submission, "--reason", "重复导入", "--json"});
  ASSERT_EQ(reverse.exit_code, 0) << reverse.Describe();
  auto receipt = nlohmann::json::parse(reverse.out);
  EXPECT_EQ(receipt["first_sequence"], size + 1);
  EXPECT_EQ(receipt["last_sequence"], size + 30);
  for (const char* view : {"grants", "members"}) {
    CommandResult after = Fundtrail({"view", view, "--json", "--ledger", ledger});
    CommandResult before = Fundtrail({"view", view, "--json", "--ledger", pristine});
    ASSERT_EQ(after.exit_code, 0) << after.Describe();
    EXPECT_EQ(after.out, before.out) << view;
  }
  size_t reversed = 0;
  for (const auto& line : ParseJsonLines(Log(ledger))) reversed += line["reversed"].get<bool>();
  EXPECT_EQ(reversed, 30u + 1u);  // and the demo's own reversed entry
  // Again: nothing left to reverse. The file can then be imported again, as new rows.
  CommandResult again = Fundtrail({"reverse", "--ledger", ledger, "--key", kKeys + example.key, "--submission",
                                   submission, "--reason", "重复导入"});
  EXPECT_EQ(again.exit_code, 2) << again.Describe();
  EXPECT_NE(again.err.find("is already reversed; nothing to do"), std::string::npos) << again.err;
  CommandResult unknown = Fundtrail({"reverse", "--ledger", ledger, "--key", kKeys + example.key, "--submission",
                                     "no-such-id", "--reason", "x"});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.err.find("no submission \"no-such-id\""), std::string::npos) << unknown.err;
  CommandResult reimport = ImportFile(ledger, example.key, kExamples + example.mapping, kExamples + example.file);
  EXPECT_EQ(reimport.exit_code, 0) << reimport.Describe();
  EXPECT_NE(reimport.out.find("30 appended, 0 already"), std::string::npos) << reimport.out;
}

TEST_F(Import, CorrectReplacesAnEventAndTheViewsFollow) {
  std::string corrected = DemoLedger("corrected");
  std::string direct = DemoLedger("direct");
  const Example& example = kExamplesList[2];
  uint64_t before = Size(corrected);
  ASSERT_EQ(ImportFile(corrected, example.key, kExamples + example.mapping, kExamples + example.file).exit_code, 0);
  auto expected = ParseJsonLines(ReadFile(ExpectedJsonl(example)));
  nlohmann::json replacement = expected[0];
  replacement["amount"] = "41686.10 CNY";
  std::string file = temp_ / "corrected.jsonl";
  WriteFile(file, JsonLines({replacement}));
  CommandResult correct = Fundtrail({"correct", "--ledger", corrected, "--key", kKeys + example.key, "--seq",
                                     std::to_string(before + 1), "--reason", "金额录入错误", file});
  ASSERT_EQ(correct.exit_code, 0) << correct.Describe();
  EXPECT_NE(correct.out.find("2 events"), std::string::npos) << correct.out;
  // The same figures as a ledger that had the right amount from the start.
  expected[0] = replacement;
  WriteFile(temp_ / "direct.jsonl", JsonLines(expected));
  ASSERT_EQ(Fundtrail({"append", "--ledger", direct, "--key", kKeys + example.key, temp_ / "direct.jsonl"}).exit_code, 0);
  for (const char* view : {"grants", "members"}) {
    CommandResult left = Fundtrail({"view", view, "--json", "--ledger", corrected});
    CommandResult right = Fundtrail({"view", view, "--json", "--ledger", direct});
    ASSERT_EQ(left.exit_code, 0) << left.Describe();
    EXPECT_EQ(left.out, right.out) << view;
  }
  // The member's history ends at the same balance: the reversal undoes the wrong amount.
  CommandResult history = Fundtrail({"history", "member", "123400004850032765", "--json", "--ledger", corrected});
  CommandResult history_direct = Fundtrail({"history", "member", "123400004850032765", "--json", "--ledger", direct});
  ASSERT_EQ(history.exit_code, 0) << history.Describe();
  auto rows = ParseJsonLines(history.out);
  auto rows_direct = ParseJsonLines(history_direct.out);
  ASSERT_EQ(rows.size(), rows_direct.size() + 2);
  for (const char* figure : {"grant_id", "received", "spent", "unspent"}) {
    EXPECT_EQ(rows.back()[figure], rows_direct.back()[figure]) << figure;
  }
  auto log = ParseJsonLines(Log(corrected));
  EXPECT_TRUE(log[before]["reversed"].get<bool>());
  // Correcting it twice is refused: it is reversed already.
  CommandResult twice = Fundtrail({"correct", "--ledger", corrected, "--key", kKeys + example.key, "--seq",
                                   std::to_string(before + 1), "--reason", "x", file});
  EXPECT_EQ(twice.exit_code, 2) << twice.Describe();
  EXPECT_NE(twice.err.find("is already reversed"), std::string::npos) << twice.err;
}

TEST_F(Import, CorrectByVoucherReplacesTheOneLiveEventAndHistoryMarksItReversed) {
  std::string ledger = DemoLedger();
  const Example& example = kExamplesList[2];
  uint64_t before = Size(ledger);
  ASSERT_EQ(ImportFile(ledger, example.key, kExamples + example.mapping, kExamples + example.file).exit_code, 0);
  const uint64_t imported = Size(ledger);
  auto expected = ParseJsonLines(ReadFile(ExpectedJsonl(example)));
  nlohmann::json replacement = expected[0];
  replacement["amount"] = "41686.10 CNY";
  std::string file = temp_ / "corrected.jsonl";
  WriteFile(file, JsonLines({replacement}));
  // 记-014 has two lines: the voucher alone is ambiguous, and the error lists both events.
  CommandResult ambiguous = Fundtrail({"correct", "--ledger", ledger, "--key", kKeys + example.key, "--voucher",
                                       "2026-04|记-014", "--reason", "x", file});
  EXPECT_EQ(ambiguous.exit_code, 2) << ambiguous.Describe();
  EXPECT_NE(ambiguous.err.find("names 2 live events (sequence "), std::string::npos) << ambiguous.err;
  EXPECT_NE(ambiguous.err.find("--seq N"), std::string::npos) << ambiguous.err;
  CommandResult unknown = Fundtrail({"correct", "--ledger", ledger, "--key", kKeys + example.key, "--voucher",
                                     "记-999", "--reason", "x", file});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.err.find("--voucher 记-999: no event"), std::string::npos) << unknown.err;
  CommandResult neither = Fundtrail({"correct", "--ledger", ledger, "--key", kKeys + example.key, "--reason", "x", file});
  EXPECT_NE(neither.exit_code, 0);
  EXPECT_NE(neither.err.find("--seq N or --voucher REF"), std::string::npos) << neither.err;
  EXPECT_EQ(Size(ledger), imported) << "no failed correction appends anything";

  // The whole source key names one line: it is reversed and replaced in one submission.
  const std::string key = expected[0]["source_key"];
  CommandResult correct = Fundtrail({"correct", "--ledger", ledger, "--key", kKeys + example.key, "--voucher", key,
                                     "--reason", "金额录入错误", "--json", file});
  ASSERT_EQ(correct.exit_code, 0) << correct.Describe();
  auto receipt = nlohmann::json::parse(correct.out);
  EXPECT_EQ(receipt["first_sequence"], imported + 1);
  EXPECT_EQ(receipt["last_sequence"], imported + 2);
  auto reversal = EventsAfter(ledger, imported);
  ASSERT_EQ(reversal.size(), 2u);
  EXPECT_EQ(reversal[0]["type"], "reversal");
  EXPECT_EQ(reversal[0]["target_sequence"], before + 1);

  // history marks the replaced event, in JSON, CSV and the table, for the member and the grant.
  for (const std::vector<std::string> subject : {std::vector<std::string>{"member", "123400004850032765"},
                                                 std::vector<std::string>{"grant", "NKRD-2024YFB9990100"}}) {
    CommandResult json = Fundtrail({"history", subject[0], subject[1], "--json", "--ledger", ledger});
    ASSERT_EQ(json.exit_code, 0) << json.Describe();
    size_t reversed = 0;
    for (const auto& row : ParseJsonLines(json.out)) {
      if (row["sequence"] == before + 1) {
        EXPECT_TRUE(row["reversed"].get<bool>());
        EXPECT_EQ(row["reversed_by"], imported + 1);
      }
      reversed += row["reversed"].get<bool>();
    }
    EXPECT_EQ(reversed, subject[0] == "member" ? 1u : 2u) << "the grant's history also holds the demo's reversal";
    CommandResult csv = Fundtrail({"history", subject[0], subject[1], "--csv", "--ledger", ledger});
    ASSERT_EQ(csv.exit_code, 0) << csv.Describe();
    EXPECT_NE(csv.out.find(",reversed_by\r\n"), std::string::npos) << csv.out.substr(0, 200);  // RFC 4180 lines
    EXPECT_NE(csv.out.find("," + std::to_string(imported + 1) + "\r\n"), std::string::npos);
    // As of the sequence before the correction, nothing of the import is reversed yet.
    CommandResult earlier = Fundtrail({"history", subject[0], subject[1], "--json", "--ledger", ledger, "--as-of-seq",
                                       std::to_string(imported)});
    ASSERT_EQ(earlier.exit_code, 0) << earlier.Describe();
    for (const auto& row : ParseJsonLines(earlier.out)) {
      if (row["sequence"] > before) EXPECT_FALSE(row["reversed"].get<bool>()) << row["sequence"];
    }
  }
}

// A mapping for the error tests, over a small UTF-8 file of the same shape as the Excel example
// (no date_formats, so ambiguous dates are errors).
constexpr char kTestMapping[] = R"([constants]
org_id = "123400004850032765"
[columns]
period = "期间"
voucher = "凭证号"
line = "行"
grant_id = "Grant"
category = "科目"
vendor_id = "供应商"
invoice_number = "发票号"
invoice_date = "开票日期"
payment_date = "支付日期"
amount = "金额"
requester = "经办人"
approver = "审批人"
description = "用途"
[map.vendor_id]
"苏州华测新能源检测技术有限公司" = "V-HUACE"
)";
constexpr char kTestHeader[] = "期间,凭证号,行,Grant,科目,供应商,发票号,开票日期,支付日期,金额,经办人,审批人,用途\n";

std::string TestRow(int voucher, const std::string& category = "测试化验加工费",
                    const std::string& date = "2026/4/3", const std::string& amount = "\"12,000.00\"",
                    const std::string& vendor = "苏州华测新能源检测技术有限公司",
                    const std::string& grant = "NKRD-2024YFB9990100", const std::string& requester = "王敏") {
  return "2026-04,记-" + std::to_string(voucher) + ",1," + grant + "," + category + "," + vendor + ",2634100000000000" +
         std::to_string(1000 + voucher) + ",2026/4/1," + date + "," + amount + "," + requester + ",郑凯,电芯安全测试\n";
}

TEST_F(Import, CheckListsAllTenErrorsAndAppendsNothing) {
  std::string ledger = DemoLedger();
  std::string mapping = temp_ / "map.toml";
  WriteFile(mapping, kTestMapping);
  std::string csv = std::string(kTestHeader) + TestRow(1) +
                    TestRow(2, "设备购置X") +                                      // row 3: unknown category
                    TestRow(3, "测试化验加工费", "2026/2/30") +                    // row 4: no such date
                    TestRow(4, "测试化验加工费", "03/04/2026") +                   // row 5: ambiguous date
                    TestRow(5, "测试化验加工费", "2026/4/3", "\"1,200.345\"") +    // row 6: 3 decimals
                    TestRow(6, "测试化验加工费", "2026/4/3", "\"(1,200.00)\"") +       // row 7: negative
                    TestRow(7, "测试化验加工费", "2026/4/3", "\"12,000.00\"", "无名公司") +  // row 8: vendor
                    TestRow(8, "测试化验加工费", "2026/4/3", "\"12,000.00\"", "苏州华测新能源检测技术有限公司",
                            "NKRD-0000") +                                         // row 9: unknown grant
                    TestRow(9, "测试化验加工费", "2026/4/3", "\"12,000.00\"", "苏州华测新能源检测技术有限公司",
                            "NKRD-2024YFB9990100", "") +                           // row 10: requester blank
                    "2026-04,记-10,1,NKRD-2024YFB9990100\n" +                      // row 11: too few columns
                    TestRow(1);                                                    // row 12: same key as row 2
  std::string file = temp_ / "ten.csv";
  WriteFile(file, csv);
  std::string log = Log(ledger);
  for (bool check : {true, false}) {
    CommandResult result = ImportFile(ledger, check ? "" : "finance-jhut.pem", mapping, file,
                                      check ? std::vector<std::string>{"--check"} : std::vector<std::string>{});
    EXPECT_EQ(result.exit_code, 2) << result.Describe();
    auto errors = LinesStarting(result.err, "fundtrail: error: " + file + ": row ");
    ASSERT_EQ(errors.size(), 10u) << result.err;
    const char* expected[] = {
        "row 3, column 科目 (category): unknown budget category \"设备购置X\"",
        "row 4, column 支付日期 (payment_date): \"2026/2/30\" is not a calendar date",
        "row 5, column 支付日期 (payment_date): \"03/04/2026\" is ambiguous",
        "row 6, column 金额 (amount): \"1,200.345\" has 3 decimals, CNY allows 2",
        "row 7, column 金额 (amount): \"(1,200.00)\" is negative",
        "row 8, column 供应商 (vendor_id): vendor \"无名公司\" is not registered",
        "row 9, column Grant (grant_id): grant \"NKRD-0000\" is not registered",
        "row 10, column 经办人 (requester): blank, but requester is required; fill it in",
        "row 11: the row has only 4 columns, the header 13",
        "row 12: the same source key as row 2",
    };
    for (size_t i = 0; i < 10; ++i) EXPECT_NE(errors[i].find(expected[i]), std::string::npos) << errors[i];
    EXPECT_NE(result.err.find("fundtrail: error: 10 errors in " + file + "; nothing appended"), std::string::npos)
        << result.err;
    EXPECT_EQ(Log(ledger), log);
  }
}

struct BadInput {
  std::string name;
  std::string csv;            // the file's bytes
  std::string mapping_extra;  // appended to kTestMapping
  std::string expected;       // in the one error line
};

// A file of about 100 MB is checked streaming: the command's peak memory stays well below the
// file's size. (101,000 rows: more than one submission's 100,000, so an append would stream it
// too, one submission at a time.)
TEST_F(Import, AHundredMegabyteFileIsCheckedInBoundedMemory) {
  std::string ledger = DemoLedger();
  std::string mapping = temp_ / "map.toml";
  WriteFile(mapping, kTestMapping);
  constexpr int kRows = 101'000;
  std::string padding;
  for (int i = 0; i < 300; ++i) padding += "检";  // 900 bytes of description
  std::string file = temp_ / "big.csv";
  uint64_t bytes = 0;
  {
    std::ofstream out(file, std::ios::binary);
    out << kTestHeader;
    for (int i = 1; i <= kRows; ++i) {
      std::string row = "2026-04,记-" + std::to_string(i) + ",1,NKRD-2024YFB9990100,测试化验加工费,"
                        "苏州华测新能源检测技术有限公司," + "2634100" + std::to_string(1000000000000ULL + i) +
                        ",2026/4/1,2026/4/3,\"12,000.00\",王敏,郑凯,电芯安全测试 第" + std::to_string(i) + "批 " +
                        padding + "\n";
      bytes += row.size();
      out << row;
    }
  }
  ASSERT_GT(bytes, 100'000'000u);
  std::string log = Log(ledger);
  CommandResult result = ImportFile(ledger, "", mapping, file, {"--check", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.Describe().substr(0, 2000);
  auto report = nlohmann::json::parse(result.out);
  EXPECT_EQ(report["rows"], kRows) << result.out;
  EXPECT_EQ(report["new"], kRows) << result.out;
  EXPECT_GT(result.max_rss_kib, 0);
  EXPECT_LT(result.max_rss_kib, 96 * 1024) << "peak memory of --check over a " << bytes << "-byte file";
  std::cout << "import --check of " << bytes << " bytes (" << kRows << " rows): peak memory "
            << result.max_rss_kib / 1024 << " MiB" << std::endl;
  EXPECT_EQ(Log(ledger), log);
}

TEST_F(Import, EachBadInputIsOneClearLineAndAppendsNothing) {
  std::string ledger = DemoLedger();
  std::string log = Log(ledger);
  const BadInput cases[] = {
      {"missing column", std::string(kTestHeader) + TestRow(1), "[import]\nskip_when_blank = [\"备注\"]\n",
       "[import] skip_when_blank: the file has no column \"备注\" (its columns: 期间, 凭证号"},
      {"unknown category", std::string(kTestHeader) + TestRow(1, "购置费"), "",
       "row 2, column 科目 (category): unknown budget category \"购置费\"; add it to the mapping as [map.category]"},
      {"invalid date", std::string(kTestHeader) + TestRow(1, "材料费", "2026/13/01"), "",
       "row 2, column 支付日期 (payment_date): \"2026/13/01\" is not a calendar date"},
      {"ambiguous date", std::string(kTestHeader) + TestRow(1, "材料费", "03/04/2025"), "",
       "\"03/04/2025\" is ambiguous (day/month/year or month/day/year); say which in the mapping"},
      {"three decimals", std::string(kTestHeader) + TestRow(1, "材料费", "2026/4/3", "36018.261"), "",
       "row 2, column 金额 (amount): \"36018.261\" has 3 decimals, CNY allows 2"},
      {"undetected encoding", std::string(kTestHeader) + "2026-04,\xFF\xFE\xFF,1\n", "",
       "cannot detect the encoding: byte 0xFF at offset"},
      {"empty file", "", "", "the file is empty: there is no header line"},
      {"header only", kTestHeader, "", "the file has a header but no rows; nothing to import"},
  };
  for (const auto& bad : cases) {
    SCOPED_TRACE(bad.name);
    std::string mapping = temp_ / "bad.toml";
    WriteFile(mapping, std::string(kTestMapping) + bad.mapping_extra);
    std::string file = temp_ / "bad.csv";
    WriteFile(file, bad.csv);
    CommandResult result = ImportFile(ledger, "finance-jhut.pem", mapping, file);
    EXPECT_EQ(result.exit_code, 2) << result.Describe();
    auto errors = LinesStarting(result.err, "fundtrail: error: ");
    ASSERT_GE(errors.size(), 1u) << result.err;
    EXPECT_NE(errors[0].find(bad.expected), std::string::npos) << errors[0];
    EXPECT_EQ(SplitLines(result.err).size(), errors.size() == 1 ? 1u : 2u) << result.err;
    EXPECT_EQ(result.out, "");
    EXPECT_EQ(Log(ledger), log);
  }
}

TEST_F(Import, HelpDescribesTheMapping) {
  CommandResult help = Fundtrail({"import", "--help"});
  EXPECT_EQ(help.exit_code, 0) << help.Describe();
  for (const char* text : {"--mapping", "--check", "--encoding", "hledger", "[map.category]", "date_formats"}) {
    EXPECT_NE(help.out.find(text), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace fundtrail::testing
