// fundtrail: the command-line interface. Wiring only; the work is in ledger/ and server/.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "tools/cli_help.h"
#include "tools/commands.h"
#include "tools/config.h"

#ifndef FUNDTRAIL_EXAMPLES_DIR
#define FUNDTRAIL_EXAMPLES_DIR "examples/power-battery"
#endif

namespace {

// `--bom`: Excel takes a CSV file for UTF-8 only when it starts with the byte-order mark; without
// it, Chinese names are mojibake.
constexpr char kUtf8Bom[] = "\xEF\xBB\xBF";
constexpr char kBomHelp[] = "with --csv: start with a UTF-8 byte-order mark, so that Excel shows Chinese";

// `fundtrail man`: the pages of tools/cli_help.h. Dated by SOURCE_DATE_EPOCH when set (so that a
// build's pages are reproducible), else by today.
int RunMan(const CLI::App& app, const std::vector<std::string>& command, const std::string& out,
           fundtrail::Clock* clock) {
  using namespace fundtrail;
  int64_t seconds = clock->NowMicros() / 1000000;
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH"); epoch != nullptr && *epoch != '\0') {
    seconds = std::strtoll(epoch, nullptr, 10);
  }
  auto pages = ManPages(app, FormatDate(static_cast<int32_t>(seconds / 86400)));
  if (!out.empty()) {
    std::error_code error;
    std::filesystem::create_directories(out, error);
    for (const auto& [name, text] : pages) {
      std::ofstream file(std::filesystem::path(out) / name, std::ios::binary);
      if (!(file << text)) return ReportError(Status::IoError("cannot write " + out + "/" + name));
    }
    std::cout << pages.size() << " man pages in " << out << std::endl;
    return kExitOk;
  }
  std::string wanted = "fundtrail";
  for (const auto& word : command) wanted += "-" + word;
  for (const auto& [name, text] : pages) {
    if (name == wanted + ".1") {
      std::cout << text;
      return kExitOk;
    }
  }
  std::cerr << "fundtrail: usage error: no command \"" << wanted.substr(10) << "\"; see fundtrail --help"
            << std::endl;
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace fundtrail;
  // Named here, not from argv[0], so that help, completion and man pages say "fundtrail".
  CLI::App app{"fundtrail: a tamper-evident ledger for the funds of industry-university-research alliances",
               "fundtrail"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "fundtrail 0.1.0");
  app.footer(
      "Configuration: ledger, server and key may be set in ~/.config/fundtrail/config.toml or in fundtrail.toml\n"
      "beside the ledger (ledger = \"L\", server = \"http://HOST:PORT\", key = \"finance.pem\"; $FUNDTRAIL_CONFIG\n"
      "names another file). Options on the command line win, and $FUNDTRAIL_LEDGER wins over a file's ledger.\n"
      "Man pages: fundtrail man COMMAND; completion: fundtrail completion bash|zsh.");
  auto config = LoadCliConfig(LedgerFlagOf(std::vector<std::string>(argv + 1, argv + argc)));
  if (!config) {
    std::cerr << "fundtrail: error: " << config.error().message() << std::endl;
    return kExitUsage;
  }
  const char* ledger_environment = std::getenv("FUNDTRAIL_LEDGER");
  const bool ledger_in_environment = ledger_environment != nullptr && *ledger_environment != '\0';
  // The ledger of a configuration file, unless $FUNDTRAIL_LEDGER names one (ResolveLedgerDirectory
  // reads it when this stays empty); --ledger overrides both.
  std::string ledger = ledger_in_environment ? "" : config->ledger;
  const std::string from_config = config->files.empty() ? "" : " (default: from " + config->files.back() + ")";
  // --key: required unless a configuration file names one.
  auto add_key = [&](CLI::App* command, std::string& value, const std::string& description) {
    value = config->key;
    CLI::Option* option = command->add_option("--key", value, description + (config->key.empty() ? "" : from_config));
    if (config->key.empty()) option->required();
    return option;
  };
  auto add_ledger = [&](CLI::App* command) {
    command->add_option("--ledger", ledger, "ledger directory (default: $FUNDTRAIL_LEDGER, else ./ledger)");
  };
  SystemClock clock;
  int exit_code = kExitOk;

  std::string key_out;
  auto* keygen = app.add_subcommand("keygen", "write a new Ed25519 key pair (PEM): OUT and OUT.pub");
  keygen->add_option("--out,out", key_out, "private key file to create")->required();
  keygen->callback([&] { exit_code = RunKeygen(key_out); });

  InitCommandOptions init;
  auto* init_command = app.add_subcommand("init", "create a ledger: the alliance, the operator key, the first admin keys");
  add_ledger(init_command);
  init_command->add_option("--operator-key", init.operator_key, "operator private key (PEM); signs the genesis")->required();
  init_command->add_option("--alliance-id", init.alliance_id, "alliance identifier")->required();
  init_command->add_option("--alliance-name", init.alliance_name, "alliance name (UTF-8, e.g. Chinese)")->required();
  init_command->add_option("--alliance-name-en", init.alliance_name_en, "alliance name in English");
  init_command->add_option("--date", init.date, "founding date YYYY-MM-DD (default: today, UTC)");
  init_command->add_option("--genesis", init.genesis, "JSON Lines of organisation_registered, member_admitted, key_registered events");
  init_command->add_option("--admin-key", init.admin_keys, "public key (PEM) to register with role admin (repeatable)");
  init_command->add_option("--admin-org", init.admin_org,
                           "organisation id of the --admin-key keys; without --genesis it is registered here");
  init_command->add_option("--admin-org-name", init.admin_org_name,
                           "without --genesis: the --admin-org's name (default: the alliance name + 秘书处)");
  init_command->add_option("--admin-org-kind", init.admin_org_kind,
                           "without --genesis: enterprise, university, research_institute or other")
      ->capture_default_str();
  init_command->add_option("--admin-org-representative", init.admin_org_representative,
                           "without --genesis: the --admin-org's legal representative (default: 未登记)");
  init_command->callback([&] {
    init.ledger = ledger;
    exit_code = RunInit(init, &clock);
  });

  std::string key_path, input, submission_id;
  bool json = false;
  auto* append = app.add_subcommand("append", "sign and append events from JSON Lines (one event per line), all or nothing");
  add_ledger(append);
  add_key(append, key_path, "private key (PEM) that signs the batch");
  append->add_option("--submission-id", submission_id, "id that makes retries safe (default: derived from key and content)");
  append->add_flag("--json", json, "print the receipt as JSON");
  std::string server_url;
  append->add_option("--server", server_url,
                     "append through fundtrail serve at this URL (http://HOST:PORT): signed here, the key never "
                     "leaves this machine")
      ->excludes("--ledger");
  append->add_option("input", input, "JSON Lines file, or - for stdin")->required();
  append->callback([&] {
    // A configured server is used when no ledger is named anywhere.
    if (server_url.empty() && ledger.empty() && !ledger_in_environment) server_url = config->server;
    exit_code = server_url.empty() ? RunAppend(ledger, key_path, input, submission_id, json, &clock)
                                   : RunRemoteAppend(server_url, key_path, input, submission_id, json, &clock);
  });

  SignCommandOptions sign_options;
  auto* sign = app.add_subcommand(
      "sign", "sign events from JSON Lines into a submission file (for an offline signing machine); "
              "send it with fundtrail submit");
  add_key(sign, sign_options.key, "private key (PEM) that signs the batch");
  sign->add_option("--out", sign_options.out, "the signed submission file to write (JSON, docs/FORMAT.md)")->required();
  sign->add_option("--ledger-id", sign_options.ledger_id_hex, "the ledger to sign for: 32 hex digits (fundtrail head)");
  sign->add_option("--server", sign_options.server, "or: ask this server (http://HOST:PORT) for its ledger id");
  sign->add_option("--submission-id", sign_options.submission_id,
                   "id that makes retries safe (default: derived from key and content)");
  sign->add_option("input", sign_options.input, "JSON Lines file, or - for stdin")->required();
  sign->callback([&] {
    if (sign_options.ledger_id_hex.empty() && sign_options.server.empty()) sign_options.server = config->server;
    exit_code = RunSign(sign_options, &clock);
  });

  std::string submit_server, submit_file;
  bool submit_json = false;
  auto* submit = app.add_subcommand("submit", "send a signed submission file (fundtrail sign) to a server");
  submit_server = config->server;
  auto* submit_server_option = submit->add_option("--server", submit_server, "the server: http://HOST:PORT" + from_config);
  if (config->server.empty()) submit_server_option->required();
  submit->add_flag("--json", submit_json, "print the receipt as JSON");
  submit->add_option("file", submit_file, "the signed submission file")->required();
  submit->callback([&] { exit_code = RunSubmit(submit_server, submit_file, submit_json); });

  std::string login_server, login_key;
  bool login_json = false;
  auto* login = app.add_subcommand(
      "login", "sign in to a server's read API with a registered key; prints a bearer token (docs/API.md)");
  login_server = config->server;
  auto* login_server_option = login->add_option("--server", login_server, "the server: http://HOST:PORT" + from_config);
  if (config->server.empty()) login_server_option->required();
  add_key(login, login_key, "your private key (PEM); it signs the server's nonce here");
  login->add_flag("--json", login_json, "print the server's answer as JSON (token, expires, roles, org)");
  login->callback([&] { exit_code = RunLogin(login_server, login_key, login_json); });

  server::ServeOptions serve_options;
  auto* serve = app.add_subcommand(
      "serve", "serve one ledger over HTTP: signed submissions with group commit, heads, health and metrics, "
               "and the auditors' dashboard at / (open it in a browser; docs/OPERATIONS.md)");
  add_ledger(serve);
  serve->add_option("--listen", serve_options.listen,
                    "HOST:PORT to listen on; a loopback address (TLS is not offered yet); port 0 picks a free one")
      ->capture_default_str();
  serve->add_option("--tls-cert", serve_options.tls_certificate, "TLS certificate (PEM): not offered yet, refused");
  serve->add_option("--tls-key", serve_options.tls_key, "TLS private key (PEM): not offered yet, refused");
  serve->add_option("--operator-key", serve_options.operator_key,
                    "the ledger's operator key (PEM): signs the heads served at /v1/head");
  serve->add_option("--queue-size-max", serve_options.queue_size_max,
                    "submissions waiting for the writer; beyond, 503 with Retry-After")
      ->capture_default_str();
  serve->add_option("--body-size-max", serve_options.body_size_max_bytes, "largest request body in bytes; beyond, 413")
      ->capture_default_str();
  serve->add_option("--request-timeout", serve_options.request_timeout_seconds,
                    "seconds to receive a request's headers, and its body; then 408 or the connection closes")
      ->capture_default_str();
  serve->add_option("--log-format", serve_options.log_format, "the log on stderr: text or json")->capture_default_str();
  serve->add_option("--token-lifetime", serve_options.token_lifetime_seconds,
                    "seconds a read API token lives after sign-in (fundtrail login; docs/API.md)")
      ->capture_default_str();
  serve->callback([&] {
    serve_options.ledger = ledger;
    exit_code = RunServe(serve_options, &clock);
  });

  ImportCommandOptions import_options;
  auto* import = app.add_subcommand(
      "import", "import a finance system's CSV export (Kingdee, Yonyou, Excel) as expenditure_recorded events");
  import->footer(
      "The whole file is checked first: every error is listed (row, column, value, fix) and one error\n"
      "appends nothing. Then all rows are appended in one signed submission (several, with ids derived\n"
      "from the file, past 100,000 rows). Rows already in the ledger (same source key, same content) are\n"
      "not appended again; a row whose key is in with other content is reported as changed.\n\n"
      "The mapping (TOML; it reads like hledger's CSV rules) says which column is which field:\n"
      "  [import]     encoding = \"gbk\"  skip_lines = 0  date_formats = [\"%Y/%m/%d\"]  currency = \"CNY\"\n"
      "               skip_when_blank = [\"凭证字号\"]  source_key = [\"会计期间\", \"凭证字号\", \"分录号\"]\n"
      "  [constants]  grant_id = \"G-1\"  org_id = \"9132...\"\n"
      "  [columns]    amount = \"借方金额\"  invoice_date = \"发票日期\"  period = \"会计期间\"\n"
      "               voucher = \"凭证字号\"  line = 3   (header name, or 1-based index)\n"
      "  [map.category]   \"设备费\" = \"equipment\"      [map.vendor_id]  \"某某公司\" = \"V-07\"\n"
      "Dates: 2025-06-09, 2025/6/9, 2025年6月9日, 20250609 (others by date_formats). Amounts: 36018.26,\n"
      "36,018.26, ¥36,018.26; negative amounts ((1,200.00), -1200) are rejected: record a refund or a\n"
      "reversal instead. See README.md, \"Importing from a finance system\", and examples/import/.");
  add_ledger(import);
  import_options.key = config->key;
  import->add_option("--key", import_options.key,
                     "private key (PEM) of the member's finance department; signs the batch" + from_config);
  import->add_option("--mapping", import_options.mapping, "mapping file (TOML)")->required();
  import->add_option("--encoding", import_options.encoding,
                     "utf-8, utf-8-bom, gbk or gb18030 (default: the mapping's, else detected)");
  import->add_flag("--check", import_options.check, "check the whole file and list every error; append nothing");
  import->add_flag("--json", import_options.json, "print the summary as JSON");
  import->add_option("--rows-per-submission", import_options.rows_per_submission,
                     "rows of the file per signed submission (default and most: 100000)");
  import->add_option("input", import_options.input, "CSV file")->required();
  import->callback([&] {
    import_options.ledger = ledger;
    exit_code = RunImport(import_options, &clock);
  });

  CorrectionOptions correction;
  auto* reverse = app.add_subcommand(
      "reverse", "undo a whole submission: one signed submission of a reversal for each of its events");
  add_ledger(reverse);
  add_key(reverse, correction.key, "private key (PEM) allowed to reverse the events (their author's role, or admin)");
  reverse->add_option("--submission", correction.submission, "the submission id, as its receipt names it")->required();
  reverse->add_option("--reason", correction.reason, "why (kept in each reversal)")->required();
  reverse->add_flag("--json", correction.json, "print the receipt as JSON");
  reverse->callback([&] {
    correction.ledger = ledger;
    exit_code = RunReverse(correction, &clock);
  });
  auto* correct = app.add_subcommand(
      "correct", "replace an event: its reversal and the corrected event(s), in one signed submission");
  correct->footer("Give --seq N or --voucher REF. Find the sequence number with fundtrail log --voucher REF or "
                  "--invoice NUMBER. FILE holds the corrected event as JSON Lines, as fundtrail append reads it.");
  add_ledger(correct);
  add_key(correct, correction.key, "private key (PEM) that signs (the event's author's role, or admin)");
  auto* correct_seq = correct->add_option("--seq", correction.sequence, "sequence number of the event to replace");
  auto* correct_voucher = correct->add_option(
      "--voucher", correction.voucher,
      "or the voucher of the event to replace: its reference, or its import source key (ORG|PERIOD|VOUCHER|LINE); it "
      "must name exactly one event that is not reversed");
  correct_seq->excludes(correct_voucher);
  correct->add_option("--reason", correction.reason, "why (kept in the reversal)")->required();
  correct->add_flag("--json", correction.json, "print the receipt as JSON");
  correct->add_option("input", correction.input, "JSON Lines file with the corrected event(s), or - for stdin")->required();
  correct->callback([&] {
    correction.ledger = ledger;
    exit_code = RunCorrect(correction, &clock);
  });

  LogOptions log;
  bool log_json = false, log_csv = false;
  auto* log_command = app.add_subcommand("log", "list events: sequence, time, type, author, subject, amount, hash");
  add_ledger(log_command);
  log_command->add_option("--from-seq,--from", log.from, "first sequence number (--from is an alias)");
  log_command->add_option("--to-seq,--to", log.to, "last sequence number (--to is an alias)");
  log_command->add_option("--type", log.types, "only this event type (repeatable)");
  log_command->add_option("--subject", log.subject, "only events touching org:ID, grant:ID, project:ID or vendor:ID");
  log_command->add_option("--limit", log.limit, "at most this many events");
  log_command->add_option("--voucher", log.voucher,
                          "only events of this voucher: its reference, or part of its import source key "
                          "(记-12, or 2026.1|记-12 for one period)");
  log_command->add_option("--invoice", log.invoice, "only expenditures charging this invoice number");
  log_command->add_flag("--json", log_json, "JSON Lines, with the full event");
  log_command->add_flag("--csv", log_csv, "CSV");
  bool log_bom = false;
  log_command->add_flag("--bom", log_bom, kBomHelp)->needs("--csv");
  log_command->callback([&] {
    log.ledger = ledger;
    log.format = log_json ? OutputFormat::kJson : log_csv ? OutputFormat::kCsv : OutputFormat::kTable;
    if (log_bom) std::cout << kUtf8Bom;
    exit_code = RunLog(log, &clock);
  });

  VerifyCommandOptions verify_options;
  auto* verify = app.add_subcommand("verify", "replay the whole log from genesis and check everything");
  add_ledger(verify);
  verify->add_flag("--quiet,-q", verify_options.quiet, "no progress on stderr");
  verify->add_flag("--sequential", verify_options.sequential,
                   "make every check in order on one thread (the same verdict, slower); by default the checks "
                   "that need no state (digests, chain and leaf hashes, signatures) run ahead on the other cores");
  verify->add_option("--operator-key", verify_options.anchors.operator_key,
                     "anchor: the operator's public key (.pub file, PEM or 64 hex digits); the genesis must name it");
  verify->add_option("--ledger-id", verify_options.anchors.ledger_id,
                     "anchor: the ledger id (32 hex digits); the genesis must name it");
  verify->add_option("--trusted-head", verify_options.anchors.trusted_head,
                     "anchor: a head signed by the operator key, saved earlier: also prove the log extends it");
  verify->add_option("--witness-policy", verify_options.anchors.witness_policy,
                     "witness policy file (JSON): the trusted head must carry a quorum of its witnesses' co-signatures");
  verify->footer("Exit codes: 0 verified; 3 the log was altered (or history rewritten); 6 the log is valid but not "
                 "tied to the anchor given (another operator key or ledger id, an unsigned or wrongly signed trusted "
                 "head, no witness quorum); 1, 2, 5 as for every command.");
  verify->callback([&] {
    verify_options.ledger = ledger;
    exit_code = RunVerify(verify_options, &clock);
  });

  std::string sign_key, head_out;
  bool head_json = false;
  auto* head = app.add_subcommand("head", "print the tree head (size, Merkle root, chain head); sign it with the operator key");
  add_ledger(head);
  head->add_option("--sign-key", sign_key, "the operator's private key (PEM)");
  head->add_option("--out", head_out, "also save the head as JSON to this file");
  head->add_flag("--json", head_json, "print as JSON");
  head->callback([&] { exit_code = RunHead(ledger, sign_key, head_json, head_out, &clock); });

  ProveOptions prove_options;
  auto* prove = app.add_subcommand("prove", "write evidence a regulator checks offline: that event N is in the log, "
                                            "who signed it, and that the signed head covers it");
  add_ledger(prove);
  prove->add_option("--seq", prove_options.sequence, "inclusion: the event's sequence number");
  prove->add_option("--from-head", prove_options.from_head, "consistency: a head saved earlier (OLD.json)");
  prove->add_option("--head,--to-head", prove_options.head_file,
                    "a signed head saved earlier (fundtrail head --out); for --from-head, the newer head "
                    "(default: the current head)");
  prove->add_option("--sign-key", prove_options.sign_key, "or the operator key, to sign the current head");
  prove->add_option("--out", prove_options.out, "write the proof (JSON) to this file instead of stdout");
  prove->callback([&] {
    prove_options.ledger = ledger;
    if ((prove_options.sequence == 0) == prove_options.from_head.empty()) {
      exit_code = ReportError(Status::InvalidArgument(
          "say what to prove: --seq N (an event's inclusion) or --from-head OLD.json (that the log extends OLD)"));
      return;
    }
    exit_code = prove_options.from_head.empty() ? RunProveInclusion(prove_options, &clock)
                                                : RunProveConsistency(prove_options, &clock);
  });

  ExportOptions export_options;
  auto* export_command = app.add_subcommand("export", "write a self-contained bundle of events for `fundtrail-verify`");
  add_ledger(export_command);
  export_command->add_option("--out", export_options.out, "bundle file to create")->required();
  export_command->add_option("--from-seq", export_options.from_sequence, "first event (default 1; widened to its submission)");
  export_command->add_option("--to-seq", export_options.to_sequence, "last event (default: the head; widened to its submission)");
  export_command->add_option("--head", export_options.head_file, "a signed head saved earlier (fundtrail head --out)");
  export_command->add_option("--sign-key", export_options.sign_key, "or the operator key, to sign the current head");
  export_command->callback([&] {
    export_options.ledger = ledger;
    exit_code = RunExport(export_options, &clock);
  });

  auto* witness = app.add_subcommand("witness", "witnesses: co-sign tree heads that extend the last one co-signed");
  witness->require_subcommand(1);
  WitnessCosignOptions cosign;
  auto* cosign_command = witness->add_subcommand(
      "cosign", "check that a signed head extends the last head this witness co-signed, then co-sign it");
  cosign_command->add_option("--key", cosign.key, "the witness's private key (PEM)")->required();
  cosign_command->add_option("--state", cosign.state, "the witness's state directory (created if missing)")->required();
  cosign_command->add_option("--proof", cosign.proof, "consistency proof file from the last co-signed head to this one");
  cosign_command->add_option("--ledger", cosign.ledger,
                             "a copy of the ledger: the consistency proof and the operator key come from it");
  cosign_command->add_option("--operator-key", cosign.operator_key,
                             "the operator's public key: PEM file or 64 hex digits (needed the first time without --ledger)");
  cosign_command->add_option("--name", cosign.name, "the witness's name, written beside the co-signature (informative)");
  cosign_command->add_option("--out", cosign.out, "write the co-signed head to this file (default: HEAD in place)");
  cosign_command->add_option("head", cosign.head, "the head file signed by the operator (fundtrail head --sign-key ... --out)")
      ->required();
  cosign_command->callback([&] { exit_code = RunWitnessCosign(cosign, &clock); });
  std::string show_key, show_name;
  auto* show_key_command = witness->add_subcommand("show-key", "print a witness's public key and its witness policy entry");
  show_key_command->add_option("key", show_key, "the witness's key: PEM file (public or private)")->required();
  show_key_command->add_option("--name", show_name, "the witness's name for the policy entry");
  show_key_command->callback([&] { exit_code = RunWitnessShowKey(show_key, show_name); });

  ViewOptions view;
  bool view_json = false, view_csv = false, view_bom = false;
  auto add_view_options = [&](CLI::App* command) {
    add_ledger(command);
    command->add_option("--as-of-seq", view.as_of_sequence,
                        "ledger position: as the ledger stood after this sequence number");
    command->add_option("--as-of-time", view.as_of_time,
                        "ledger position: as the ledger stood at this append time (ISO 8601 UTC, "
                        "2025-12-31T23:59:59Z, or a date for the end of that day)");
    command->add_option("--as-of-date", view.as_of_date,
                        "business date: what the ledger records about business up to this day (payment, "
                        "disbursement, award ... dates; history imported later included); combines with "
                        "--as-of-seq/--as-of-time");
    command->add_flag("--json", view_json, "JSON Lines");
    command->add_flag("--csv", view_csv, "CSV");
    command->add_flag("--bom", view_bom, kBomHelp)->needs("--csv");
  };
  auto view_format = [&] {
    view.ledger = ledger;
    view.format = view_json ? OutputFormat::kJson : view_csv ? OutputFormat::kCsv : OutputFormat::kTable;
    if (view_bom) std::cout << kUtf8Bom;
  };
  auto* view_command = app.add_subcommand("view", "oversight views: grants, members, alliance, outcomes, spending");
  add_view_options(view_command);
  view_command->add_option("name", view.name, "grants | members | alliance | outcomes | spending");
  view_command->add_option("--grant", view.grant, "spending: only this grant");
  view_command->add_option("--member", view.member, "spending: only this member (organisation id)");
  view_command->add_option("--category", view.category, "spending: only this budget category, e.g. equipment");
  view_command->add_option("--from-date", view.from_date, "spending: paid on or after this day (YYYY-MM-DD, payment date)");
  view_command->add_option("--to-date", view.to_date, "spending: paid on or before this day (YYYY-MM-DD, payment date)");
  view_command->add_option("--by", view.by, "spending: one row per month, category or member, then the total");
  view_command->footer(
      "view spending: expenditures less vendor refunds, by payment date (a vendor refund by its date), reversed "
      "events left out; with no period and no category its totals equal the spent of `view grants` and `view "
      "members`. --from-date/--to-date choose the business period (--as-of-date ends it); --as-of-seq or\n"
      "--as-of-time the ledger position. Which date of each event is its business date: docs/RULES.md.");
  view_command->add_flag("--digest", view.digest, "print the digest of the projection state instead");
  view_command->callback([&] {
    view_format();
    if (view.name.empty() && !view.digest) {
      exit_code = ReportError(Status::InvalidArgument("name a view: grants, members, alliance, outcomes or spending (or --digest)"));
      return;
    }
    exit_code = RunView(view, &clock);
  });

  auto* history = app.add_subcommand("history", "every event touching a grant or member, with running balances");
  add_view_options(history);
  history->add_option("kind", view.subject_kind, "grant | member")->required();
  history->add_option("id", view.subject_id, "grant id or organisation id")->required();
  history->callback([&] {
    view_format();
    exit_code = RunHistory(view, &clock);
  });

  FlagOptions flag_options;
  auto* flags = app.add_subcommand("flags", "misuse flags with their evidence (rules of docs/RULES.md), as of a date");
  add_view_options(flags);
  flags->add_option("--rule", flag_options.rule, "only this rule, e.g. TP-1 (one of the 27 ids of docs/RULES.md)");
  flags->add_option("--severity", flag_options.severity, "only this severity: low, medium, high, critical");
  flags->add_option("--subject", flag_options.subject,
                    "only flags touching KIND:ID, KIND grant, org, vendor, outcome or alliance: for org:X also "
                    "the flags on X's expenditures, vendors, disbursements and outcomes");
  flags->add_option("--status", flag_options.status, "only this review status: open, confirmed, false_positive, remediated");
  flags->add_option("--lang", flag_options.lang,
                    "explanations in zh (Chinese) or en (English); default: from LANG (zh_CN: Chinese), else English");
  flags->footer("Filter values are case-insensitive; an unknown one is an error listing the valid ones (exit 1).\n"
                "Flag ids are RULE/SEQUENCE[/CHECK], e.g. TP-1/8812/after: the rule, the first evidence event, and "
                "which check fired when one event can raise the rule twice.\n"
                "--as-of-date D evaluates the business recorded up to D (events dated on or before D, whenever\n"
                "appended) at D; --as-of-seq N or --as-of-time T choose the ledger position (default: the head),\n"
                "evaluated at T's day or today. Given together: as of position N, for the business up to D.\n"
                "A date before the ledger's first business date is an error, never an empty evaluation.");
  flags->callback([&] {
    if (flags->get_subcommands().empty()) {
      view_format();
      flag_options.view = view;
      exit_code = RunFlags(flag_options, &clock);
    }
  });
  std::string shown_flag;
  ViewOptions show_options;
  show_options.ledger = ledger;
  bool show_json = false;
  auto* show = flags->add_subcommand("show", "print one flag with its evidence events in full");
  show->add_option("flag", shown_flag, "flag id as `fundtrail flags` prints it (RULE/SEQUENCE when that names one flag)")
      ->required();
  show->add_option("--ledger", show_options.ledger, "ledger directory");
  show->add_option("--as-of-seq", show_options.as_of_sequence,
                   "ledger position: as the ledger stood after this sequence number");
  show->add_option("--as-of-time", show_options.as_of_time,
                   "ledger position: as the ledger stood at this append time (ISO 8601 UTC)");
  show->add_option("--as-of-date", show_options.as_of_date,
                   "business date: the business recorded up to this day, evaluated at it");
  std::string show_lang;
  show->add_option("--lang", show_lang, "the explanation in zh or en (default: from LANG)");
  show->add_flag("--json", show_json, "one JSON object: the flag and its evidence events (as `log --json` prints them)");
  show->callback([&] {
    show_options.format = show_json ? OutputFormat::kJson : OutputFormat::kTable;
    exit_code = RunFlagShow(show_options, shown_flag, show_lang, &clock);
  });
  std::string review_key, review_flag, disposition, note;
  auto* review = flags->add_subcommand("review", "record an auditor's disposition of a flag (appends an event)");
  review->add_option("--ledger", ledger, "ledger directory");
  review->add_option("flag", review_flag, "flag id as `fundtrail flags` prints it (RULE/SEQUENCE when that names one flag)")
      ->required();
  add_key(review, review_key, "the auditor's private key (PEM)");
  review->add_option("--disposition", disposition, "confirmed | false_positive | remediated")
      ->required()->check(CLI::IsMember({"confirmed", "false_positive", "remediated"}));
  review->add_option("--note", note, "why")->required();
  review->callback([&] { exit_code = RunFlagReview(ledger, review_key, review_flag, disposition, note, &clock); });

  auto* policy = app.add_subcommand("policy", "the misuse-rule policy: thresholds, keywords, calendar");
  policy->require_subcommand(1);
  bool policy_json = false;
  auto* policy_show = policy->add_subcommand("show", "print the policy in force");
  policy_show->add_option("--ledger", ledger, "ledger directory");
  policy_show->add_flag("--json", policy_json, "as JSON");
  policy_show->callback([&] { exit_code = RunPolicyShow(ledger, policy_json, &clock); });
  std::string policy_key, policy_file;
  auto* policy_set = policy->add_subcommand("set", "append a policy_set event (admin): FILE holds the changed keys");
  policy_set->add_option("--ledger", ledger, "ledger directory");
  add_key(policy_set, policy_key, "an admin's private key (PEM)");
  policy_set->add_option("file", policy_file, "JSON object of policy keys to change")->required();
  policy_set->callback([&] { exit_code = RunPolicySet(ledger, policy_key, policy_file, &clock); });

  auto* rebuild = app.add_subcommand("rebuild", "recompute all projections from zero and print their digest");
  add_ledger(rebuild);
  rebuild->callback([&] { exit_code = RunRebuild(ledger, &clock); });

  ReportCommandOptions report_options;
  auto* report = app.add_subcommand(
      "report", "an audit report for a committee: one self-contained HTML file (Chinese or English), and PDF");
  add_ledger(report);
  report->add_option("--head", report_options.head,
                     "a signed tree head saved earlier (fundtrail head --sign-key OPERATOR.pem --out FILE): the "
                     "report is as of its size and its time")
      ->required();
  report->add_option("--grant", report_options.grant, "only this grant (default: every grant)");
  report->add_option("--member", report_options.member,
                     "only this member (organisation id): its figures, its grants, the flags touching it");
  report->add_option("--from-date,--from", report_options.from_date,
                     "business period: paid on or after this day (YYYY-MM-DD, payment date)");
  report->add_option("--to-date,--to", report_options.to_date,
                     "business period: paid on or before this day (YYYY-MM-DD, payment date)");
  report->add_option("--lang", report_options.lang, "zh (Chinese, the default) or en")->capture_default_str();
  report->add_option("--out", report_options.out, "the HTML file to write");
  report->add_option("--pdf", report_options.pdf, "the PDF file to write (prints the HTML with headless Chromium)");
  report->add_option("--witness-policy", report_options.witness_policy,
                     "a witness policy: the verification statement says whether the head's co-signatures meet its "
                     "quorum");
  report->add_option("--chromium", report_options.chromium, "the Chromium to print with (default: chromium in PATH)");
  report->footer(
      "The report holds a cover, a verification statement (the head's size, root, operator key, witnesses and\n"
      "signing time), per grant the budget against actual by category and the spending by month (charts), the\n"
      "disbursed, spent and unspent per member, then the flags touching the scope with their evidence, the\n"
      "auditors' dispositions and an appendix of evidence events with the command that proves each offline.\n"
      "Figures are those of `view grants`, `view members`, `view spending` and `flags`, as of the head's size;\n"
      "flags are evaluated at the head's date. Nothing reads the clock: the same ledger, head and scope give\n"
      "byte-identical HTML. The HTML fetches nothing when viewed. --pdf needs Debian's chromium (and\n"
      "fonts-noto-cjk for Chinese); without it, --pdf fails (exit 5) and --out alone still works.\n"
      "Exit codes: 0 written; 1 bad command line; 2 unknown grant or member, bad dates, a head of another\n"
      "ledger; 3 the head does not match the log; 5 a missing file, no Chromium, or Chromium failed.");
  report->callback([&] {
    report_options.ledger = ledger;
    exit_code = RunReport(report_options, &clock);
  });

  std::string examples, demo_ledger;  // the demo never takes a configured ledger: it replaces it
  auto* demo = app.add_subcommand("demo", "build the sample power-battery alliance and verify it");
  demo->add_option("--ledger", demo_ledger, "ledger directory for the demo (default: ./demo-ledger)");
  demo->add_option("--examples", examples,
                   "folder holding demo.json (default: $FUNDTRAIL_EXAMPLES, else the copy installed with the "
                   "binary, PREFIX/share/fundtrail/examples/power-battery, else " FUNDTRAIL_EXAMPLES_DIR ")");
  demo->callback([&] { exit_code = RunDemo(demo_ledger, examples, FUNDTRAIL_EXAMPLES_DIR, &clock); });

  std::string shell;
  auto* completion = app.add_subcommand(
      "completion", "print a shell completion script: fundtrail completion bash > /etc/bash_completion.d/fundtrail");
  completion->add_option("shell", shell, "bash or zsh")->required()->check(CLI::IsMember({"bash", "zsh"}));
  completion->callback([&] { std::cout << CompletionScript(app, shell); });

  std::string man_out;
  std::vector<std::string> man_command;
  auto* man = app.add_subcommand("man", "print a command's man page (roff), or write every page with --out DIR");
  man->add_option("command", man_command, "the command, e.g. flags show (default: fundtrail itself)");
  man->add_option("--out", man_out, "write fundtrail.1 and a page per command (fundtrail-view.1, ...) to DIR");
  man->callback([&] { exit_code = RunMan(app, man_command, man_out, &clock); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForAllHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForVersion& version) {
    return app.exit(version);
  } catch (const CLI::ParseError& error) {
    std::string suggestion = SuggestCorrection(app, std::vector<std::string>(argv + 1, argv + argc));
    std::cerr << "fundtrail: usage error: " << (suggestion.empty() ? error.what() : suggestion)
              << " (see fundtrail --help)" << std::endl;
    return kExitUsage;
  }
  return exit_code;
}
