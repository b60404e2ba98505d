// The command line's configuration file, so that the ledger, the server and the key need not be
// typed on every command:
//
//   # ~/.config/fundtrail/config.toml, or fundtrail.toml beside the ledger
//   ledger = "alliance-ledger"       # --ledger
//   server = "http://127.0.0.1:8750" # --server (append, sign, submit, login)
//   key = "keys/finance.pem"         # --key
//
// Files read, later ones winning key by key: $XDG_CONFIG_HOME/fundtrail/config.toml (default
// ~/.config/fundtrail/config.toml), then fundtrail.toml in the directory that holds the ledger
// (the parent of --ledger or of $FUNDTRAIL_LEDGER, else the current directory). $FUNDTRAIL_CONFIG
// names one file to read instead of both. Relative paths are relative to the file's directory.
// Options on the command line win over every file, and $FUNDTRAIL_LEDGER over a file's ledger.
//
// Thread safety: reads the environment and files; call before starting threads.
#pragma once

#include <string>
#include <vector>

#include "ledger/status.h"

namespace fundtrail {

struct CliConfig {
  std::string ledger;
  std::string server;
  std::string key;
  std::vector<std::string> files;  // the files read, in order
};

// Reads the file `path` into `config`, over what it holds. A missing file is NotFound; a file
// that is not TOML, or holds a key other than ledger, server and key, or a value that is not a
// string, is InvalidArgument naming the file, the line and the fix.
Status ReadCliConfigFile(const std::string& path, CliConfig* config);

// The configuration for a command line whose --ledger value is `ledger_flag` ("" when not
// given), from the files above (those that exist).
Result<CliConfig> LoadCliConfig(const std::string& ledger_flag);

// The value of `--ledger` in `args` (argv without argv[0]): "--ledger DIR" or "--ledger=DIR"; ""
// when not given.
std::string LedgerFlagOf(const std::vector<std::string>& args);

}  // namespace fundtrail
