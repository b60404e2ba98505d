#include "tests/testing/cli_harness.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <stdexcept>

#include "ledger/bytes.h"
#include "ledger/crypto.h"
#include "ledger/store.h"
#include "ledger/submission.h"

#ifndef FUNDTRAIL_BINARY
#error "FUNDTRAIL_BINARY must name the fundtrail executable"
#endif

namespace fundtrail::testing {

namespace {

[[noreturn]] void Fail(const std::string& message) { throw std::runtime_error(message); }

void SetNonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

}  // namespace

std::string CommandResult::Describe() const {
  return "exit " + std::to_string(exit_code) + "\n--- stdout:\n" + out + "--- stderr:\n" + err +
         "---";
}

CommandResult RunCommand(const std::vector<std::string>& argv, const RunOptions& options) {
  if (argv.empty()) Fail("RunCommand: empty argv");
  int input_pipe[2], output_pipe[2], error_pipe[2];
  if (::pipe2(input_pipe, O_CLOEXEC) != 0 || ::pipe2(output_pipe, O_CLOEXEC) != 0 ||
      ::pipe2(error_pipe, O_CLOEXEC) != 0) {
    Fail(std::string("pipe: ") + std::strerror(errno));
  }
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid < 0) Fail(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    // The child: only async-signal-safe calls until exec, apart from setenv, which is fine in
    // a process that forked from a single-threaded test.
    ::dup2(input_pipe[0], 0);
    ::dup2(output_pipe[1], 1);
    ::dup2(error_pipe[1], 2);
    for (const auto& [name, value] : options.environment) {
      if (value.empty()) {
        ::unsetenv(name.c_str());
      } else {
        ::setenv(name.c_str(), value.c_str(), 1);
      }
    }
    if (!options.directory.empty() && ::chdir(options.directory.c_str()) != 0) ::_exit(126);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(input_pipe[0]);
  ::close(output_pipe[1]);
  ::close(error_pipe[1]);
  SetNonBlocking(input_pipe[1]);

  // Feed stdin and drain stdout and stderr together, so that neither side blocks on a full pipe.
  CommandResult result;
  size_t input_written = 0;
  int input_fd = input_pipe[1];
  if (options.input.empty()) {
    ::close(input_fd);
    input_fd = -1;
  }
  int output_fd = output_pipe[0], error_fd = error_pipe[0];
  ::signal(SIGPIPE, SIG_IGN);  // a child that exits without reading stdin must not kill us
  while (output_fd >= 0 || error_fd >= 0 || input_fd >= 0) {
    pollfd fds[3] = {{input_fd, POLLOUT, 0}, {output_fd, POLLIN, 0}, {error_fd, POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      Fail(std::string("poll: ") + std::strerror(errno));
    }
    if (input_fd >= 0 && fds[0].revents != 0) {
      ssize_t written = ::write(input_fd, options.input.data() + input_written,
                                options.input.size() - input_written);
      if (written > 0) input_written += static_cast<size_t>(written);
      if (written < 0 && errno != EAGAIN && errno != EINTR) input_written = options.input.size();
      if (input_written == options.input.size()) {
        ::close(input_fd);
        input_fd = -1;
      }
    }
    for (int i : {1, 2}) {
      int& fd = i == 1 ? output_fd : error_fd;
      if (fd < 0 || fds[i].revents == 0) continue;
      char buffer[65536];
      ssize_t size = ::read(fd, buffer, sizeof buffer);
      if (size > 0) {
        (i == 1 ? result.out : result.err).append(buffer, static_cast<size_t>(size));
      } else if (size == 0 || (errno != EAGAIN && errno != EINTR)) {
        ::close(fd);
        fd = -1;
      }
    }
  }
  int status = 0;
  struct rusage usage {};
  while (::wait4(pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) Fail(std::string("wait4: ") + std::strerror(errno));
  }
  result.max_rss_kib = usage.ru_maxrss;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string FundtrailBinary() { return FUNDTRAIL_BINARY; }

CommandResult FundtrailVerify(const std::vector<std::string>& args, const RunOptions& options) {
  std::vector<std::string> argv = {FUNDTRAIL_VERIFY_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, options);
}

CommandResult Fundtrail(const std::vector<std::string>& args, const RunOptions& options) {
  std::vector<std::string> argv = {FundtrailBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, options);
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << content;
  if (!file) Fail("cannot write " + path);
}

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) Fail("cannot read " + path);
  std::stringstream content;
  content << file.rdbuf();
  return content.str();
}

std::string JsonLines(const std::vector<nlohmann::json>& events) {
  std::string text;
  for (const auto& event : events) text += event.dump() + "\n";
  return text;
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::vector<nlohmann::json> ParseJsonLines(const std::string& text) {
  std::vector<nlohmann::json> objects;
  for (const auto& line : SplitLines(text)) {
    if (line.empty()) continue;
    auto parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) Fail("not a JSON line: " + line);
    objects.push_back(std::move(parsed));
  }
  return objects;
}

std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false, field_started = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
      continue;
    }
    if (c == '"' && !field_started) {
      quoted = true;
      field_started = true;
    } else if (c == ',') {
      record.push_back(std::move(field));
      field.clear();
      field_started = false;
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      continue;  // CRLF: the '\n' ends the record
    } else if (c == '\n') {
      record.push_back(std::move(field));
      records.push_back(std::move(record));
      record.clear();
      field.clear();
      field_started = false;
    } else {
      if (c == '"') Fail("CSV: quote inside an unquoted field at byte " + std::to_string(i));
      field += c;
      field_started = true;
    }
  }
  if (quoted) Fail("CSV: unterminated quoted field");
  if (field_started || !record.empty()) {
    record.push_back(std::move(field));
    records.push_back(std::move(record));
  }
  return records;
}

size_t ReferenceDisplayWidth(std::string_view text) {
  // Ranges of East Asian Wide (W) and Fullwidth (F) characters that a ledger of Chinese
  // organisations may hold.
  static constexpr std::pair<uint32_t, uint32_t> kWide[] = {
      {0x1100, 0x115F},   {0x2E80, 0x303E},   {0x3041, 0x33FF}, {0x3400, 0x4DBF},
      {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},   {0xAC00, 0xD7A3}, {0xF900, 0xFAFF},
      {0xFE30, 0xFE4F},   {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6}, {0x20000, 0x2FFFD},
      {0x30000, 0x3FFFD},
  };
  size_t width = 0;
  for (size_t i = 0; i < text.size();) {
    auto byte = static_cast<unsigned char>(text[i]);
    size_t size = byte < 0x80 ? 1 : byte < 0xE0 ? 2 : byte < 0xF0 ? 3 : 4;
    uint32_t codepoint = size == 1 ? byte : size == 2 ? byte & 0x1F : size == 3 ? byte & 0x0F : byte & 0x07;
    for (size_t k = 1; k < size && i + k < text.size(); ++k) {
      codepoint = (codepoint << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    }
    bool wide = false;
    for (const auto& [low, high] : kWide) wide |= codepoint >= low && codepoint <= high;
    width += wide ? 2 : 1;
    i += size;
  }
  return width;
}

uint64_t TestSeed() {
  uint64_t seed = 0;
  if (const char* text = std::getenv("FUNDTRAIL_TEST_SEED"); text != nullptr && *text) {
    seed = std::strtoull(text, nullptr, 10);
  } else {
    seed = 20240115;  // fixed by default, so CI is deterministic; explore others with the variable
  }
  std::cout << "seed: FUNDTRAIL_TEST_SEED=" << seed << std::endl;
  return seed;
}

TestKey MakeKey(const std::string& directory, const std::string& name) {
  auto key = PrivateKey::Generate();
  if (!key) Fail("generating a key: " + key.error().message());
  TestKey made;
  made.path = directory + "/" + name + ".pem";
  Status written = key->WritePemFiles(made.path);
  if (!written.ok()) Fail(written.message());
  made.public_key_hex = HexEncode(AsBytes(key->public_key().raw()));
  made.key_id_hex = HexEncode(AsBytes(key->public_key().key_id()));
  return made;
}

nlohmann::json OrganisationRegistered(const std::string& org_id, const std::string& name,
                                      const std::string& kind) {
  return {{"type", "organisation_registered"}, {"org_id", org_id}, {"name", name},
          {"kind", kind},                      {"legal_representative", "王建国"}};
}

nlohmann::json MemberAdmitted(const std::string& org_id, const std::string& date) {
  return {{"type", "member_admitted"}, {"org_id", org_id}, {"date", date}};
}

nlohmann::json KeyRegistered(const TestKey& key, const std::string& org_id,
                             const std::vector<std::string>& roles) {
  return {{"type", "key_registered"},
          {"public_key", key.public_key_hex},
          {"org_id", org_id},
          {"roles", roles},
          {"label", std::filesystem::path(key.path).stem().string()}};
}

nlohmann::json KeyRevoked(const TestKey& key, const std::string& reason) {
  return {{"type", "key_revoked"}, {"key_id", key.key_id_hex}, {"reason", reason}};
}

nlohmann::json ProjectRegistered(const std::string& project_id, const std::string& name) {
  return {{"type", "project_registered"}, {"project_id", project_id}, {"name", name}};
}

nlohmann::json VendorRegistered(const std::string& vendor_id, const std::string& name,
                                const std::string& tax_id) {
  return {{"type", "vendor_registered"}, {"vendor_id", vendor_id}, {"name", name}, {"tax_id", tax_id}};
}

nlohmann::json TaskAssigned(const std::string& task_id, const std::string& project_id,
                            const std::string& org_id, const std::string& description) {
  return {{"type", "task_assigned"}, {"task_id", task_id}, {"project_id", project_id},
          {"org_id", org_id},        {"description", description}};
}

nlohmann::json GrantAwarded(const std::string& grant_id, const std::string& title,
                            const std::string& funder_org_id, const std::string& project_id,
                            int64_t amount_yuan) {
  if (amount_yuan % 10 != 0) Fail("GrantAwarded: amount must be a multiple of 10");
  auto yuan = [](int64_t value) { return std::to_string(value) + ".00 CNY"; };
  return {{"type", "grant_awarded"},
          {"grant_id", grant_id},
          {"title", title},
          {"funder_org_id", funder_org_id},
          {"source_kind", "central_government"},
          {"amount", yuan(amount_yuan)},
          {"period_start", "2024-01-01"},
          {"period_end", "2026-12-31"},
          {"budget",
           {{{"category", "equipment"}, {"amount", yuan(amount_yuan / 10 * 6)}},
            {{"category", "materials"}, {"amount", yuan(amount_yuan / 10 * 3)}},
            {{"category", "labour"}, {"amount", yuan(amount_yuan / 10)}}}},
          {"project_id", project_id},
          {"date", "2024-01-15"}};
}

nlohmann::json FundsReceived(const std::string& grant_id, const std::string& amount,
                             const std::string& date) {
  return {{"type", "funds_received"}, {"grant_id", grant_id}, {"amount", amount}, {"date", date}};
}

nlohmann::json FundsDisbursed(const std::string& grant_id, const std::string& member_org_id,
                              const std::string& amount, const std::string& date) {
  return {{"type", "funds_disbursed"}, {"grant_id", grant_id}, {"member_org_id", member_org_id},
          {"amount", amount},          {"date", date}};
}

nlohmann::json ExpenditureRecorded(const std::string& grant_id, const std::string& org_id,
                                   const std::string& category, const std::string& vendor_id,
                                   const std::string& invoice_number, const std::string& amount) {
  return {{"type", "expenditure_recorded"},
          {"grant_id", grant_id},
          {"org_id", org_id},
          {"category", category},
          {"vendor_id", vendor_id},
          {"invoice_number", invoice_number},
          {"invoice_date", "2024-03-02"},
          {"payment_date", "2024-03-20"},
          {"amount", amount},
          {"requester", "李娜"},
          {"approver", "陈伟"},
          {"description", "电芯测试设备"}};
}

void CopySubmissions(const std::string& from, const std::string& directory, uint64_t count) {
  SystemClock clock;
  auto source = Ledger::Open(from, Ledger::Access::kReadOnly, &clock);
  if (!source) Fail("CopySubmissions: " + source.error().message());
  std::unique_ptr<Ledger> copy;
  uint64_t sequence = 1;
  for (uint64_t i = 0; i < count; ++i) {
    auto bytes = (*source)->ReadSubmission(sequence);
    if (!bytes) Fail("CopySubmissions: " + bytes.error().message());
    auto stored = DecodedSubmission::Open(*bytes, "submission");
    if (!stored) Fail("CopySubmissions: " + stored.error().message());
    SignedSubmission submission;
    submission.canonical_body = CanonicalBytes(stored->root().getBody());
    auto signature = stored->root().getSignature();
    submission.signature.assign(reinterpret_cast<const char*>(signature.begin()), signature.size());
    for (uint32_t k = 0; k < stored->root().getBody().getEventCount(); ++k) {
      auto entry = (*source)->ReadEntry(sequence + k);
      if (!entry) Fail("CopySubmissions: " + entry.error().message());
      submission.canonical_events.push_back(std::string(DecodeEntry(entry->record)->canonical_event));
    }
    sequence += submission.canonical_events.size();
    if (!copy) {
      auto created = Ledger::Create(directory, submission, &clock);
      if (!created) Fail("CopySubmissions: " + created.error().message());
      copy = std::move(*created);
    } else {
      size_t failed = 0;
      auto appended = copy->Append(submission, &failed);
      if (!appended) Fail("CopySubmissions: " + appended.error().message());
    }
  }
}

SampleAlliance::SampleAlliance(const std::string& root) : root_(root), ledger_(root + "/ledger") {
  operator_key = MakeKey(root, "operator");
  admin = MakeKey(root, "admin");
  funder = MakeKey(root, "funder");
  fund_manager = MakeKey(root, "fund_manager");
  finance_catl = MakeKey(root, "finance_catl");
  finance_tsinghua = MakeKey(root, "finance_tsinghua");
  finance_retired = MakeKey(root, "finance_retired");
  outsider = MakeKey(root, "outsider");
}

std::string SampleAlliance::OrgOf(const TestKey& key) const {
  if (key.path == admin.path || key.path == fund_manager.path) return kSecretariat;
  if (key.path == funder.path) return kMinistry;
  if (key.path == finance_catl.path || key.path == finance_retired.path) return kCatl;
  if (key.path == finance_tsinghua.path) return kTsinghua;
  return "?";
}

std::string SampleAlliance::NewFile(const std::string& content) {
  std::string path = root_ + "/input-" + std::to_string(++file_count_) + ".jsonl";
  WriteFile(path, content);
  return path;
}

void SampleAlliance::Init() {
  std::vector<nlohmann::json> genesis = {
      OrganisationRegistered(kSecretariat, "动力电池产业技术创新战略联盟秘书处", "other"),
      OrganisationRegistered(kMinistry, "科学技术部高技术研究发展中心", "other"),
      OrganisationRegistered(kCatl, "宁德时代新能源科技股份有限公司", "enterprise"),
      OrganisationRegistered(kTsinghua, "清华大学", "university"),
      MemberAdmitted(kSecretariat, "2024-01-01"),
      MemberAdmitted(kCatl, "2024-01-01"),
      MemberAdmitted(kTsinghua, "2024-01-01"),
      KeyRegistered(funder, kMinistry, {"funder"}),
      KeyRegistered(fund_manager, kSecretariat, {"fund_manager"}),
      KeyRegistered(finance_catl, kCatl, {"member_finance"}),
      KeyRegistered(finance_tsinghua, kTsinghua, {"member_finance"}),
      KeyRegistered(finance_retired, kCatl, {"member_finance"}),
  };
  std::string genesis_path = NewFile(JsonLines(genesis));
  CommandResult result = Fundtrail({"init", "--ledger", ledger_, "--operator-key", operator_key.path,
                                    "--alliance-id", "PBA", "--alliance-name", "动力电池产业技术创新战略联盟",
                                    "--alliance-name-en", "Power Battery Alliance", "--date",
                                    "2024-01-01", "--genesis", genesis_path, "--admin-key",
                                    admin.path + ".pub", "--admin-org", kSecretariat});
  if (result.exit_code != 0) Fail("fundtrail init failed: " + result.Describe());
  // Sequence 1 is ledger_genesis, then the genesis file, then the admin key.
  for (size_t i = 0; i < genesis.size(); ++i) {
    events_[2 + i] = genesis[i];
    authors_[2 + i] = "operator";
  }
  genesis_event_count_ = 1 + genesis.size() + 1;
}

CommandResult SampleAlliance::TryAppend(const TestKey& key, const std::vector<nlohmann::json>& events,
                                        const std::string& submission_id) {
  std::string path = NewFile(JsonLines(events));
  std::vector<std::string> args = {"append", "--ledger", ledger_, "--key", key.path, "--json", path};
  if (!submission_id.empty()) {
    args.push_back("--submission-id");
    args.push_back(submission_id);
  }
  return Fundtrail(args);
}

nlohmann::json SampleAlliance::Append(const TestKey& key, const std::vector<nlohmann::json>& events,
                                      const std::string& submission_id) {
  CommandResult result = TryAppend(key, events, submission_id);
  if (result.exit_code != 0) Fail("fundtrail append failed: " + result.Describe());
  auto receipt = nlohmann::json::parse(result.out, nullptr, false);
  if (receipt.is_discarded()) Fail("the receipt is not JSON: " + result.out);
  uint64_t first = receipt.at("first_sequence").get<uint64_t>();
  if (!receipt.at("already_appended").get<bool>()) {
    for (size_t i = 0; i < events.size(); ++i) {
      events_[first + i] = events[i];
      authors_[first + i] = OrgOf(key);
    }
  }
  return receipt;
}

void SampleAlliance::AppendHistory() {
  receipts_.push_back(Append(admin, {
      ProjectRegistered(kProjectBattery, "高比能动力电池关键技术"),
      ProjectRegistered(kProjectRecycling, "退役电池梯次利用"),
      VendorRegistered("V-EQUIP", "无锡先导智能装备股份有限公司", "913202007331021869"),
      VendorRegistered("V-LAB", "国家动力电池检测中心", "12100000400000000X"),
      TaskAssigned("T-1", kProjectBattery, kCatl, "电芯设计与中试"),
      TaskAssigned("T-2", kProjectBattery, kTsinghua, "电解质材料研究"),
  }, "setup"));
  receipts_.push_back(Append(funder, {
      GrantAwarded(kGrantBattery, "高比能动力电池国拨经费", kMinistry, kProjectBattery, 10000000),
      GrantAwarded(kGrantRecycling, "梯次利用专项", kMinistry, kProjectRecycling, 2000000),
  }, "grants"));
  receipts_.push_back(Append(funder, {
      FundsReceived(kGrantBattery, "10000000.00 CNY", "2024-02-01"),
      FundsReceived(kGrantRecycling, "2000000.00 CNY", "2024-02-01"),
  }, "received"));
  receipts_.push_back(Append(fund_manager, {
      FundsDisbursed(kGrantBattery, kCatl, "6000000.00 CNY", "2024-02-10"),
      FundsDisbursed(kGrantBattery, kTsinghua, "4000000.00 CNY", "2024-02-10"),
      FundsDisbursed(kGrantRecycling, kCatl, "2000000.00 CNY", "2024-02-12"),
  }, "disbursed"));
  receipts_.push_back(Append(finance_catl, {
      ExpenditureRecorded(kGrantBattery, kCatl, "equipment", "V-EQUIP", "INV-001", "1250000.00 CNY"),
  }, "catl-2024-03"));
  receipts_.push_back(Append(finance_tsinghua, {
      ExpenditureRecorded(kGrantBattery, kTsinghua, "materials", "V-LAB", "INV-101", "48000.00 CNY"),
      ExpenditureRecorded(kGrantBattery, kTsinghua, "testing", "V-LAB", "INV-102", "12345.67 CNY"),
  }, "thu-2024-03"));
  receipts_.push_back(Append(finance_catl, {
      ExpenditureRecorded(kGrantRecycling, kCatl, "materials", "V-LAB", "INV-002", "300000.00 CNY"),
  }, "catl-2024-04"));
}

std::vector<nlohmann::json> SampleAlliance::Log(const std::vector<std::string>& extra) const {
  std::vector<std::string> args = {"log", "--ledger", ledger_, "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  CommandResult result = Fundtrail(args);
  if (result.exit_code != 0) Fail("fundtrail log failed: " + result.Describe());
  return ParseJsonLines(result.out);
}

std::string SampleAlliance::VerifiedHead() const {
  CommandResult result = Fundtrail({"verify", "--ledger", ledger_, "--quiet"});
  if (result.exit_code != 0) Fail("fundtrail verify failed: " + result.Describe());
  for (const auto& line : SplitLines(result.out)) {
    if (line.rfind("head: ", 0) == 0) return line;
  }
  Fail("fundtrail verify printed no head: " + result.Describe());
}

SampleAlliance::Snapshot SampleAlliance::TakeSnapshot() const {
  CommandResult log = Fundtrail({"log", "--ledger", ledger_, "--json"});
  if (log.exit_code != 0) Fail("fundtrail log failed: " + log.Describe());
  return Snapshot{log.out, VerifiedHead()};
}

}  // namespace fundtrail::testing
