#include "report/pdf.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>

#include "ledger/test_util.h"

namespace fundtrail::report {
namespace {

std::string WriteScript(const std::string& directory, const std::string& name, const std::string& body) {
  const std::string path = directory + "/" + name;
  std::ofstream(path) << "#!/bin/sh\n" << body;
  ::chmod(path.c_str(), 0755);
  return path;
}

TEST(ChromiumPrintArguments, RunHeadlessWithAFreshProfileAndNothingReachingOut) {
  auto arguments = ChromiumPrintArguments("/usr/bin/chromium", "/r/report.html", "/r/report.pdf", "/t/profile");
  for (const char* expected : {"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                               "--disable-background-networking", "--disable-component-update", "--disable-sync",
                               "--user-data-dir=/t/profile", "--print-to-pdf=/r/report.pdf", "--no-pdf-header-footer"}) {
    EXPECT_NE(std::find(arguments.begin(), arguments.end(), expected), arguments.end()) << expected;
  }
  EXPECT_EQ(arguments.front(), "/usr/bin/chromium");
  EXPECT_EQ(arguments.back(), "file:///r/report.html");
}

TEST(FindChromium, SaysHowToInstallItWhenItIsMissing) {
  auto missing = FindChromium("/nonexistent/chromium");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.error().message(), "--chromium /nonexistent/chromium: no such executable");
  test::TempDir temp;
  const std::string fake = WriteScript(temp.path(), "chromium", "exit 0\n");
  auto found = FindChromium(fake);
  ASSERT_TRUE(found.has_value()) << found.error().message();
  EXPECT_EQ(*found, fake);
}

TEST(PrintHtmlToPdf, QuotesWhatAFailingChromiumSaid) {
  test::TempDir temp;
  const std::string html = temp.path() + "/r.html";
  std::ofstream(html) << "<p>x</p>";
  const std::string broken = WriteScript(temp.path(), "broken", "echo 'cannot open display' >&2\nexit 3\n");
  Status status = PrintHtmlToPdf(broken, html, temp.path() + "/r.pdf");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kIoError);
  EXPECT_NE(status.message().find("(exit 3): cannot open display"), std::string::npos) << status.message();
  struct stat info {};
  EXPECT_NE(::stat((temp.path() + "/r.pdf").c_str(), &info), 0) << "no PDF written";
}

TEST(PrintHtmlToPdf, CopiesThePdfChromiumWrote) {
  test::TempDir temp;
  const std::string html = temp.path() + "/r.html";
  std::ofstream(html) << "<p>x</p>";
  // A stand-in that writes its --print-to-pdf argument, as Chromium does.
  const std::string fake = WriteScript(temp.path(), "fake",
                                       "for a in \"$@\"; do case \"$a\" in --print-to-pdf=*) "
                                       "printf '%%PDF-1.4 %s' \"$*\" > \"${a#--print-to-pdf=}\";; esac; done\n");
  Status status = PrintHtmlToPdf(fake, html, temp.path() + "/r.pdf");
  ASSERT_TRUE(status.ok()) << status.message();
  std::ifstream pdf(temp.path() + "/r.pdf");
  std::string text((std::istreambuf_iterator<char>(pdf)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(text.starts_with("%PDF-1.4")) << text;
  EXPECT_NE(text.find("file://" + html), std::string::npos) << "the HTML by its absolute path";
}

}  // namespace
}  // namespace fundtrail::report
