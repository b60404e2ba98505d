// End-to-end tests of `fundtrail report` on the demo ledger: its figures against what `view`,
// `view spending` and `flags` print for the same ledger and scope, byte-identical HTML for the same
// head, escaping of hostile text, the English switch, errors, and the PDF printed by Chromium with
// its pages turned into PNG under build/report-pages/ for a person to look at.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <regex>
#include <set>

#include "ledger/money.h"
#include "tests/testing/cli_harness.h"

namespace fundtrail::testing {
namespace {

namespace fs = std::filesystem;

// "1234.56 CNY" (or "-1234.56 CNY"), as --json prints amounts, grouped as tables and reports show them.
std::string Grouped(const std::string& plain) {
  const bool negative = plain.starts_with("-");
  auto money = ParseMoney(negative ? plain.substr(1) : plain);
  EXPECT_TRUE(money.has_value()) << plain;
  if (!money) return "";
  if (negative) money->minor_units = -money->minor_units;
  return FormatMoneyGrouped(*money);
}

std::string Cell(const std::string& text) { return "<td class=\"num\">" + text + "</td>"; }

// The HTML between the grant's heading and the next section.
std::string GrantSection(const std::string& html, const std::string& grant_id) {
  const size_t start = html.find("<h2>项目经费 " + grant_id + " ·");
  EXPECT_NE(start, std::string::npos) << grant_id;
  if (start == std::string::npos) return "";
  return html.substr(start, html.find("</section>", start) - start);
}

std::set<std::string> FlagIdsIn(const std::string& html) {
  std::set<std::string> ids;
  std::regex head(R"(<div class="head">([A-Z]{2}-\d+/[^ <]+) ·)");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), head); it != std::sregex_iterator(); ++it) {
    ids.insert((*it)[1]);
  }
  return ids;
}

class Report : public ::testing::Test {
 protected:
  // A demo ledger for the suite (ctest runs each test in a process of its own, so each has its own).
  static void SetUpTestSuite() {
    temp_ = new TempDir();
    ledger_ = temp_->File("demo-ledger");
    CommandResult demo = Fundtrail({"demo", "--ledger", ledger_, "--examples", kExamples});
    ASSERT_EQ(demo.exit_code, 0) << demo.Describe();
    head_ = ledger_ + "/head.json";
    ASSERT_TRUE(fs::exists(head_));
    auto head = nlohmann::json::parse(ReadFile(head_));
    head_date_ = head["time"].get<std::string>().substr(0, 10);
  }
  static void TearDownTestSuite() {
    delete temp_;
    temp_ = nullptr;
  }

  CommandResult Run(std::vector<std::string> args, const RunOptions& options = {}) {
    args.insert(args.end(), {"--ledger", ledger_});
    return Fundtrail(args, options);
  }
  std::vector<nlohmann::json> Json(std::vector<std::string> args) {
    args.push_back("--json");
    CommandResult result = Run(args);
    EXPECT_EQ(result.exit_code, 0) << result.Describe();
    return ParseJsonLines(result.out);
  }
  // The report's HTML for `scope`.
  std::string Html(const std::vector<std::string>& scope, const std::string& name = "report.html") {
    std::vector<std::string> args = {"report", "--head", head_, "--out", temp_->File(name)};
    args.insert(args.end(), scope.begin(), scope.end());
    CommandResult result = Run(args);
    EXPECT_EQ(result.exit_code, 0) << result.Describe();
    return ReadFile(temp_->File(name));
  }
  // The ids of the flags `flags` lists for `subject`, as of the head's date.
  std::set<std::string> CliFlagIds(const std::string& subject) {
    std::set<std::string> ids;
    for (const auto& flag : Json({"flags", "--subject", subject, "--as-of-time", head_date_})) ids.insert(flag["id"]);
    return ids;
  }

  static constexpr char kExamples[] = FUNDTRAIL_SOURCE_DIR "/examples/power-battery";
  static constexpr char kNational[] = "NKRD-2024YFB9990100";
  static constexpr char kLiqing[] = "91320400MA1MX8K676";
  static TempDir* temp_;
  static std::string ledger_, head_, head_date_;
};

TempDir* Report::temp_ = nullptr;
std::string Report::ledger_, Report::head_, Report::head_date_;

TEST_F(Report, FiguresOfEveryGrantEqualTheCli) {
  const std::string html = Html({});
  auto grants = Json({"view", "grants"});
  ASSERT_EQ(grants.size(), 2u);
  for (const auto& grant : grants) {
    const std::string id = grant["grant_id"];
    const std::string section = GrantSection(html, id);
    for (const char* figure : {"awarded", "received", "disbursed", "spent", "refunded", "available"}) {
      EXPECT_NE(section.find("<div class=\"value\">" + Grouped(grant[figure]) + "</div>"), std::string::npos)
          << id << " " << figure;
    }
    // Budget against actual: each line's budget (`view grants`) beside its spending (`view spending
    // --by category`, which equals the line's spent in `view grants` for the whole grant).
    std::map<std::string, std::string> actual;
    for (const auto& row : Json({"view", "spending", "--grant", id, "--by", "category"})) {
      if (!row.contains("total")) actual[row["category"]] = row["expenditures"];
    }
    for (const auto& line : grant["budget"]) {
      const std::string category = line["category"];
      ASSERT_TRUE(actual.contains(category) || Grouped(line["spent"]) == "0.00 CNY") << category;
      if (!actual.contains(category)) continue;
      EXPECT_EQ(actual[category], line["spent"]) << id << " " << category;
      const std::regex row(Cell(Grouped(line["budget"])) + "<td class=\"num( over)?\">" + Grouped(actual[category]) +
                           "</td>");
      EXPECT_TRUE(std::regex_search(section, row)) << id << " " << category;
    }
    // Spending by month: every row and the total, exactly.
    for (const auto& row : Json({"view", "spending", "--grant", id, "--by", "month"})) {
      const std::string cells = Cell(std::to_string(row["payments"].get<uint64_t>())) + Cell(Grouped(row["expenditures"])) +
                                Cell(Grouped(row["vendor_refunds"])) + Cell(Grouped(row["spent"]));
      const std::string expected = row.contains("total") ? "<tr class=\"total\"><td>合计</td>" + cells + "</tr>"
                                                         : "<tr><td>" + row["month"].get<std::string>() + "</td>" + cells + "</tr>";
      EXPECT_NE(section.find(expected), std::string::npos) << id << ": " << expected;
    }
    // Disbursed, spent, refunded and unspent per member, as `view members` has them.
    for (const auto& member : Json({"view", "members"})) {
      for (const auto& figures : member["grants"]) {
        if (figures["grant_id"] != id) continue;
        const std::string expected = "<span class=\"note mono\">" + member["org_id"].get<std::string>() + "</span></td>" +
                                     Cell(Grouped(figures["received"])) + Cell(Grouped(figures["spent"])) +
                                     Cell(Grouped(figures["refunded"]));
        EXPECT_NE(section.find(expected), std::string::npos) << id << " " << member["org_id"];
        EXPECT_NE(section.find(">" + Grouped(figures["unspent"]) + "</td>"), std::string::npos);
      }
    }
  }
  // Every flag, with its evidence hashes, as `flags` lists them at the head's date.
  auto flags = Json({"flags", "--as-of-time", head_date_});
  ASSERT_FALSE(flags.empty());
  std::set<std::string> ids;
  for (const auto& flag : flags) {
    ids.insert(flag["id"]);
    for (const auto& evidence : flag["evidence"]) {
      EXPECT_NE(html.find(evidence["chain_hash"].get<std::string>()), std::string::npos) << flag["id"];
    }
  }
  EXPECT_EQ(FlagIdsIn(html), ids);
}

TEST_F(Report, MemberAndPeriodScopeEqualViewSpendingAndFlagsSubject) {
  const std::string html = Html({"--grant", kNational, "--member", kLiqing, "--from", "2025-01-01", "--to", "2025-06-30"});
  const std::string section = GrantSection(html, kNational);
  auto months = Json({"view", "spending", "--grant", kNational, "--member", kLiqing, "--from-date", "2025-01-01",
                      "--to-date", "2025-06-30", "--by", "month"});
  ASSERT_GT(months.size(), 1u);
  for (const auto& row : months) {
    if (row.contains("total")) {
      EXPECT_NE(section.find("<tr class=\"total\"><td>合计</td>" + Cell(std::to_string(row["payments"].get<uint64_t>())) +
                             Cell(Grouped(row["expenditures"]))),
                std::string::npos);
    } else {
      EXPECT_NE(section.find("<tr><td>" + row["month"].get<std::string>() + "</td>"), std::string::npos);
    }
  }
  EXPECT_EQ(section.find("<tr><td>2024-12</td>"), std::string::npos) << "outside the period";
  EXPECT_EQ(section.find("<tr><td>2025-07</td>"), std::string::npos);
  // The member's spending in the period, as `view spending --by member` has it.
  auto members = Json({"view", "spending", "--grant", kNational, "--member", kLiqing, "--from-date", "2025-01-01",
                       "--to-date", "2025-06-30", "--by", "member"});
  ASSERT_EQ(members.size(), 2u);
  EXPECT_NE(section.find(">" + Grouped(members[0]["spent"]) + "</td></tr>"), std::string::npos);
  EXPECT_EQ(section.find("91340100MA2T4N9GXB"), std::string::npos) << "another member's row";
  // Flags: those touching both the grant and the member.
  std::set<std::string> expected;
  const auto on_grant = CliFlagIds(std::string("grant:") + kNational);
  for (const auto& id : CliFlagIds(std::string("org:") + kLiqing)) {
    if (on_grant.contains(id)) expected.insert(id);
  }
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(FlagIdsIn(html), expected);
  EXPECT_NE(html.find("2025-01-01 – 2025-06-30"), std::string::npos) << "the period on the cover";
}

TEST_F(Report, VerificationStatementIsTheSignedHead) {
  const std::string html = Html({"--grant", kNational});
  auto head = nlohmann::json::parse(ReadFile(head_));
  for (const char* field : {"ledger_id", "root_hash", "chain_hash", "key_id"}) {
    EXPECT_NE(html.find(head[field].get<std::string>()), std::string::npos) << field;
  }
  EXPECT_NE(html.find("<td>" + std::to_string(head["tree_size"].get<uint64_t>()) + "</td>"), std::string::npos);
  EXPECT_NE(html.find(head["time"].get<std::string>()), std::string::npos) << "the head's time, not the clock";
  EXPECT_NE(html.find("fundtrail verify --ledger " + ledger_ + " --trusted-head " + head_), std::string::npos);
  EXPECT_NE(html.find("fundtrail prove --ledger " + ledger_ + " --seq "), std::string::npos) << "the appendix";
}

TEST_F(Report, EnglishWithLangEn) {
  const std::string html = Html({"--grant", kNational, "--lang", "en"}, "english.html");
  EXPECT_NE(html.find("<html lang=\"en\">"), std::string::npos);
  EXPECT_NE(html.find("<h1>Alliance funds audit report</h1>"), std::string::npos);
  EXPECT_NE(html.find("Budget against actual, by category"), std::string::npos);
  EXPECT_EQ(html.find("联盟经费审计报告"), std::string::npos);
  EXPECT_NE(html.find("Changzhou Liqing Power Battery Co., Ltd."), std::string::npos) << "English names of members";
}

TEST_F(Report, ErrorsSayWhatToFix) {
  CommandResult unknown = Run({"report", "--head", head_, "--out", temp_->File("x.html"), "--grant", "G-NONE"});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.Describe();
  EXPECT_NE(unknown.err.find("--grant \"G-NONE\": no such grant"), std::string::npos) << unknown.err;
  CommandResult language = Run({"report", "--head", head_, "--out", temp_->File("x.html"), "--lang", "fr"});
  EXPECT_EQ(language.exit_code, 1) << language.Describe();
  EXPECT_NE(language.err.find("use one of: zh, en"), std::string::npos);
  CommandResult nowhere = Run({"report", "--head", head_});
  EXPECT_EQ(nowhere.exit_code, 1) << nowhere.Describe();
  EXPECT_NE(nowhere.err.find("--out FILE.html, --pdf FILE.pdf"), std::string::npos);
  CommandResult dates = Run({"report", "--head", head_, "--out", temp_->File("x.html"), "--from", "2025-07-01", "--to",
                             "2025-06-30"});
  EXPECT_EQ(dates.exit_code, 2) << dates.Describe();
  EXPECT_NE(dates.err.find("--from-date 2025-07-01 is after --to-date 2025-06-30"), std::string::npos);
  // A head whose root was changed is not the operator's.
  auto head = nlohmann::json::parse(ReadFile(head_));
  std::string root = head["root_hash"];
  root[0] = root[0] == '0' ? '1' : '0';
  head["root_hash"] = root;
  WriteFile(temp_->File("forged-head.json"), head.dump());
  CommandResult forged = Run({"report", "--head", temp_->File("forged-head.json"), "--out", temp_->File("x.html")});
  EXPECT_EQ(forged.exit_code, 3) << forged.Describe();
  EXPECT_FALSE(fs::exists(temp_->File("x.html"))) << "nothing written";
}

TEST_F(Report, PdfWithoutChromiumSaysHowToInstallIt) {
  TempDir empty;
  RunOptions no_chromium;
  no_chromium.environment["PATH"] = empty.path();
  CommandResult result =
      Run({"report", "--head", head_, "--pdf", temp_->File("x.pdf"), "--out", temp_->File("y.html")}, no_chromium);
  EXPECT_EQ(result.exit_code, 5) << result.Describe();
  EXPECT_NE(result.err.find("--pdf needs Chromium, and there is no `chromium` in PATH: install Debian's"),
            std::string::npos)
      << result.err;
  EXPECT_FALSE(fs::exists(temp_->File("y.html"))) << "it says so before any work";
}

// The PDF, printed by Debian's Chromium, and its pages as PNG in build/report-pages/ (README.md
// shows one). Chromium takes seconds to start.
TEST_F(Report, PdfPagesBecomePngForAPersonToLookAt) {
  const std::string pages = FUNDTRAIL_REPORT_PAGES_DIR;
  fs::create_directories(pages);
  for (const std::string language : {"zh", "en"}) {
    const std::string pdf = pages + "/report-" + language + ".pdf";
    fs::remove(pdf);
    CommandResult result = Run({"report", "--head", head_, "--grant", kNational, "--lang", language, "--pdf", pdf});
    ASSERT_EQ(result.exit_code, 0) << result.Describe();
    EXPECT_TRUE(ReadFile(pdf).starts_with("%PDF-")) << pdf;
    EXPECT_FALSE(fs::exists(pdf + ".html")) << "the HTML made for the PDF alone is removed";
    CommandResult info = RunCommand({"/usr/bin/pdfinfo", pdf});
    ASSERT_EQ(info.exit_code, 0) << info.Describe();
    std::smatch match;
    ASSERT_TRUE(std::regex_search(info.out, match, std::regex(R"(Pages:\s+(\d+))"))) << info.out;
    EXPECT_GE(std::stoi(match[1]), 5) << "cover, verification, the grant, flags, appendix";
    // A4 is 595.28 x 841.89 pt; Chromium rounds it to whole device pixels (594.96 x 841.92).
    EXPECT_TRUE(std::regex_search(info.out, std::regex(R"(Page size:\s+59[45]\.\d+ x 84[12]\.\d+ pts \(A4\))")))
        << "A4: " << info.out;
    CommandResult text = RunCommand({"/usr/bin/pdftotext", "-l", "3", pdf, "-"});
    ASSERT_EQ(text.exit_code, 0) << text.Describe();
    EXPECT_NE(text.out.find(language == "zh" ? "联盟经费审计报告" : "Alliance funds audit report"), std::string::npos);
    CommandResult png = RunCommand({"/usr/bin/pdftoppm", "-png", "-r", "60", pdf, pages + "/" + language + "-page"});
    ASSERT_EQ(png.exit_code, 0) << png.Describe();
    EXPECT_TRUE(fs::exists(pages + "/" + language + "-page-1.png") || fs::exists(pages + "/" + language + "-page-01.png"));
  }
}

TEST_F(Report, ReportOfAHeadIgnoresWhatWasAppendedAfterItAndEscapesHostileText) {
  const std::string first = Html({}, "first.html");
  EXPECT_EQ(Html({}, "second.html"), first) << "byte-identical for the same ledger, head and scope";
  // An auditor's disposition with hostile text, appended after the head.
  auto flags = Json({"flags", "--as-of-time", head_date_});
  ASSERT_FALSE(flags.empty());
  const std::string flag_id = flags.front()["id"];
  const std::string note = "<script>alert('x')</script> & \"{{t.footer}}\"";
  CommandResult review = Run({"flags", "review", flag_id, "--key", std::string(kExamples) + "/keys/auditor.pem",
                              "--disposition", "confirmed", "--note", note});
  ASSERT_EQ(review.exit_code, 0) << review.Describe();
  EXPECT_EQ(Html({}, "third.html"), first) << "the same head: nothing appended later shows";
  // A head after it shows the disposition, escaped.
  CommandResult signed_head = Run({"head", "--sign-key", std::string(kExamples) + "/keys/operator.pem", "--out",
                                   temp_->File("head-2.json")});
  ASSERT_EQ(signed_head.exit_code, 0) << signed_head.Describe();
  CommandResult later = Run({"report", "--head", temp_->File("head-2.json"), "--out", temp_->File("later.html")});
  ASSERT_EQ(later.exit_code, 0) << later.Describe();
  const std::string html = ReadFile(temp_->File("later.html"));
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt; &amp; &quot;{{t.footer}}&quot;"),
            std::string::npos);
  EXPECT_NE(html.find("<tr><td class=\"mono\">" + flag_id + "</td><td>已确认</td><td>&lt;script&gt;"), std::string::npos)
      << "the disposition in its table";
}

}  // namespace
}  // namespace fundtrail::testing
