#include "server/assets.h"

#include "ledger/status.h"

namespace fundtrail::server {
namespace {

// 'self' only: the page's scripts, styles, images and API calls all come from this server, and
// nothing runs inline, so an injected string in a name or a note can never become script.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

bool IsAssetPath(std::string_view url_path) {
  return url_path == "/" || url_path.starts_with("/assets/");
}

std::optional<std::string_view> AssetContentType(std::string_view url_path) {
  if (EndsWith(url_path, ".html")) return "text/html; charset=utf-8";
  if (EndsWith(url_path, ".js")) return "text/javascript; charset=utf-8";
  if (EndsWith(url_path, ".css")) return "text/css; charset=utf-8";
  if (EndsWith(url_path, ".svg")) return "image/svg+xml";
  if (EndsWith(url_path, ".png")) return "image/png";
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> DashboardSecurityHeaders() {
  return {{"Content-Security-Policy", std::string(kContentSecurityPolicy)},
          {"X-Content-Type-Options", "nosniff"},
          {"Referrer-Policy", "no-referrer"},
          {"X-Frame-Options", "DENY"},
          {"Cross-Origin-Opener-Policy", "same-origin"}};
}

AssetAnswer AnswerAsset(std::string_view url_path, std::optional<std::string_view> if_none_match) {
  FT_ASSERT(IsAssetPath(url_path));
  AssetAnswer answer;
  answer.headers = DashboardSecurityHeaders();
  // "/" is the page; /index.html is no URL of its own (IsAssetPath refuses it), so the page has
  // one address.
  std::string_view wanted = url_path == "/" ? "/index.html" : url_path;
  for (const EmbeddedAsset& asset : EmbeddedAssets()) {
    if (asset.url_path != wanted) continue;
    auto type = AssetContentType(asset.url_path);
    FT_ASSERT(type.has_value());  // embed.cmake embeds only the types served
    answer.content_type = std::string(*type);
    answer.headers.emplace_back("ETag", std::string(asset.etag));
    answer.headers.emplace_back("Cache-Control", "no-cache");
    if (if_none_match.has_value() && *if_none_match == asset.etag) {
      answer.status = 304;
      return answer;
    }
    answer.body = asset.bytes;
    return answer;
  }
  answer.status = 404;
  answer.message = "no such dashboard asset: " + std::string(url_path) + " (the dashboard is at /)";
  return answer;
}

}  // namespace fundtrail::server
