#include "tools/config.h"

#include <toml++/toml.h>

#include <cstdlib>
#include <filesystem>

namespace fundtrail {

namespace {

namespace fs = std::filesystem;

// A path from the file, relative to the file's directory; a URL or an absolute path as it is.
std::string Resolve(const std::string& value, const std::string& file) {
  if (value.empty() || fs::path(value).is_absolute()) return value;
  return (fs::path(file).parent_path() / value).lexically_normal().string();
}

// The user's file: $XDG_CONFIG_HOME/fundtrail/config.toml, else ~/.config/fundtrail/config.toml.
std::string UserConfigPath() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg != '\0') {
    return (fs::path(xdg) / "fundtrail" / "config.toml").string();
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return (fs::path(home) / ".config" / "fundtrail" / "config.toml").string();
  }
  return "";
}

// fundtrail.toml in the directory holding the ledger.
std::string LedgerConfigPath(const std::string& ledger_flag) {
  std::string ledger = ledger_flag;
  if (ledger.empty()) {
    if (const char* environment = std::getenv("FUNDTRAIL_LEDGER"); environment != nullptr)
      ledger = environment;
  }
  fs::path directory =
      ledger.empty() ? fs::path(".") : fs::path(ledger).lexically_normal().parent_path();
  if (directory.empty()) directory = ".";
  return (directory / "fundtrail.toml").string();
}

}  // namespace

Status ReadCliConfigFile(const std::string& path, CliConfig* config) {
  std::error_code error;
  if (!fs::exists(path, error))
    return Status::NotFound("cannot open the configuration file " + path);
  if (fs::is_directory(path, error))
    return Status::InvalidArgument(path + " is a directory, not a configuration file");
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& parse) {
    return Status::InvalidArgument(path + ": line " + std::to_string(parse.source().begin.line) +
                                   ": not valid TOML: " + std::string(parse.description()));
  }
  for (const auto& [key, value] : root) {
    std::string name(key.str());
    std::string* field = name == "ledger"   ? &config->ledger
                         : name == "server" ? &config->server
                         : name == "key"    ? &config->key
                                            : nullptr;
    std::string line = std::to_string(value.source().begin.line);
    if (field == nullptr) {
      return Status::InvalidArgument(path + ": line " + line + ": unknown key \"" + name +
                                     "\"; a configuration file holds ledger, server and key");
    }
    std::optional<std::string> text = value.value<std::string>();
    if (!value.is_string() || !text || text->empty()) {
      return Status::InvalidArgument(path + ": line " + line + ": " + name +
                                     " must be a non-empty string, e.g. " + name + " = \"...\"");
    }
    *field = name == "server" ? *text : Resolve(*text, path);
  }
  config->files.push_back(path);
  return Status::Ok();
}

Result<CliConfig> LoadCliConfig(const std::string& ledger_flag) {
  CliConfig config;
  if (const char* named = std::getenv("FUNDTRAIL_CONFIG"); named != nullptr && *named != '\0') {
    FT_RETURN_IF_ERROR(ReadCliConfigFile(named, &config));  // named: it must exist
    return config;
  }
  for (const std::string& path : {UserConfigPath(), LedgerConfigPath(ledger_flag)}) {
    std::error_code error;
    if (path.empty() || !fs::exists(path, error)) continue;
    // The same file twice (the ledger beside the user's configuration) is read once.
    if (!config.files.empty() && fs::equivalent(config.files.back(), path, error)) continue;
    FT_RETURN_IF_ERROR(ReadCliConfigFile(path, &config));
  }
  return config;
}

std::string LedgerFlagOf(const std::vector<std::string>& args) {
  std::string ledger;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--") break;
    if (args[i] == "--ledger" && i + 1 < args.size()) ledger = args[++i];
    if (args[i].starts_with("--ledger=")) ledger = args[i].substr(9);
  }
  return ledger;
}

}  // namespace fundtrail
