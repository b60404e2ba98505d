#include "server/assets.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>

namespace fundtrail::server {
namespace {

std::string Header(const AssetAnswer& answer, const std::string& name) {
  for (const auto& [key, value] : answer.headers) {
    if (key == name) return value;
  }
  return "";
}

TEST(AssetsTest, RootIsTheDashboardPageWithAStrictPolicy) {
  AssetAnswer answer = AnswerAsset("/", std::nullopt);
  ASSERT_EQ(answer.status, 200u) << answer.message;
  EXPECT_EQ(answer.content_type, "text/html; charset=utf-8");
  EXPECT_NE(answer.body.find("<html"), std::string_view::npos);
  std::string policy = Header(answer, "Content-Security-Policy");
  EXPECT_NE(policy.find("script-src 'self'"), std::string::npos) << policy;
  EXPECT_NE(policy.find("default-src 'none'"), std::string::npos) << policy;
  EXPECT_EQ(policy.find("unsafe-inline"), std::string::npos) << policy;
  EXPECT_EQ(Header(answer, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(Header(answer, "Cache-Control"), "no-cache");
  EXPECT_FALSE(Header(answer, "ETag").empty());
}

TEST(AssetsTest, ChartJsFromDebianIsEmbedded) {
  AssetAnswer answer = AnswerAsset("/assets/vendor/chart.min.js", std::nullopt);
  ASSERT_EQ(answer.status, 200u) << answer.message;
  EXPECT_EQ(answer.content_type, "text/javascript; charset=utf-8");
  EXPECT_NE(answer.body.substr(0, 200).find("Chart.js v3.9.1"), std::string_view::npos);
}

TEST(AssetsTest, AMatchingETagAnswersNotModifiedWithoutBody) {
  AssetAnswer first = AnswerAsset("/assets/app.js", std::nullopt);
  ASSERT_EQ(first.status, 200u) << first.message;
  std::string etag = Header(first, "ETag");
  ASSERT_EQ(etag.size(), 34u) << etag;  // 32 hex digits, quoted
  AssetAnswer again = AnswerAsset("/assets/app.js", etag);
  EXPECT_EQ(again.status, 304u);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(Header(again, "ETag"), etag);
  EXPECT_EQ(AnswerAsset("/assets/app.js", std::string_view("\"other\"")).status, 200u);
}

TEST(AssetsTest, UnknownAndTraversingPathsAreNotFound) {
  for (std::string_view path : {"/assets/nope.js", "/assets/../CMakeLists.txt", "/assets/%2e%2e/CMakeLists.txt",
                                "/assets//etc/passwd", "/assets/vendor/../app.js", "/assets/", "/assets/APP.JS",
                                "/assets/app.js/"}) {
    AssetAnswer answer = AnswerAsset(path, std::nullopt);
    EXPECT_EQ(answer.status, 404u) << path;
    EXPECT_TRUE(answer.body.empty()) << path;
    EXPECT_NE(answer.message.find(path), std::string::npos) << answer.message;
    EXPECT_FALSE(Header(answer, "Content-Security-Policy").empty()) << path;
  }
  // The page has one address: "/index.html" is not a dashboard path at all.
  EXPECT_FALSE(IsAssetPath("/index.html"));
  EXPECT_FALSE(IsAssetPath("/v1/head"));
  EXPECT_TRUE(IsAssetPath("/assets/app.js"));
}

// Air-gapped and CSP-clean: no asset of ours refers to another origin, and the page has no
// inline script, no inline style and no event-handler attribute (the policy would block them).
TEST(AssetsTest, OurAssetsFetchNothingFromElsewhereAndRunNothingInline) {
  size_t ours = 0;
  for (const EmbeddedAsset& asset : EmbeddedAssets()) {
    EXPECT_TRUE(AssetContentType(asset.url_path).has_value()) << asset.url_path;
    if (asset.url_path.starts_with("/assets/vendor/")) continue;
    ++ours;
    std::string text(asset.bytes);
    // What a browser would load from elsewhere: an address in src= or href=, url(...), an import
    // or a fetch. (XML namespace names, as in xlsx.js, are identifiers that nothing fetches.)
    std::regex elsewhere(R"(((src|href)\s*=\s*["']?|url\(\s*["']?|from\s+["']|import\(\s*["']|fetch\(\s*["'`])(https?:)?//)");
    EXPECT_FALSE(std::regex_search(text, elsewhere)) << asset.url_path;
    EXPECT_EQ(text.find("@import"), std::string::npos) << asset.url_path;
    if (asset.url_path.ends_with(".html")) {
      std::regex inline_script(R"(<script(?![^>]*\bsrc=)[^>]*>)");
      EXPECT_FALSE(std::regex_search(text, inline_script)) << asset.url_path;
      EXPECT_EQ(text.find(" style="), std::string::npos) << asset.url_path;
      EXPECT_FALSE(std::regex_search(text, std::regex(R"(\son[a-z]+=)"))) << asset.url_path;
    }
  }
  EXPECT_GE(ours, 3u);  // index.html, the style sheet, the scripts
}

}  // namespace
}  // namespace fundtrail::server
