#include "report/pdf.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

extern char** environ;

namespace fundtrail::report {

namespace fs = std::filesystem;

namespace {

constexpr size_t kLogTailBytesMax = 600;

bool IsExecutable(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// `name` as the shell finds it: itself when it holds a '/', else the first match in $PATH.
std::string LookUp(const std::string& name) {
  if (name.find('/') != std::string::npos) return IsExecutable(name) ? name : "";
  const char* path = std::getenv("PATH");
  std::stringstream directories(path ? path : "");
  std::string directory;
  while (std::getline(directories, directory, ':')) {
    if (directory.empty()) continue;
    const std::string candidate = directory + "/" + name;
    if (IsExecutable(candidate)) return candidate;
  }
  return "";
}

std::string Tail(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (text.size() > kLogTailBytesMax) text = "…" + text.substr(text.size() - kLogTailBytesMax);
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

// A fresh directory for Chromium's profile, caches and log.
Result<std::string> MakeTemporaryDirectory() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/fundtrail-chromium-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    return Error(Status::IoError("cannot create a temporary directory for Chromium (" + pattern +
                                 "): " + std::strerror(errno)));
  }
  return pattern;
}

// Starts `arguments` with stdout and stderr into `log_path` and the XDG directories under
// `directory`; returns its pid.
Result<pid_t> Spawn(const std::vector<std::string>& arguments, const std::string& directory,
                    const std::string& log_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::vector<std::string> environment;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string variable(*entry);
    if (variable.starts_with("XDG_CONFIG_HOME=") || variable.starts_with("XDG_CACHE_HOME=")) continue;
    environment.push_back(std::move(variable));
  }
  environment.push_back("XDG_CONFIG_HOME=" + directory + "/config");
  environment.push_back("XDG_CACHE_HOME=" + directory + "/cache");
  std::vector<char*> argv, envp;
  for (const auto& argument : arguments) argv.push_back(const_cast<char*>(argument.c_str()));
  argv.push_back(nullptr);
  for (const auto& variable : environment) envp.push_back(const_cast<char*>(variable.c_str()));
  envp.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    return Error(Status::IoError("cannot start " + arguments[0] + ": " + std::strerror(spawned)));
  }
  return pid;
}

// Waits for `pid` at most `timeout_seconds`; kills it after that. Returns its wait status, or
// nullopt when it was killed for taking too long.
std::optional<int> WaitBounded(pid_t pid, int timeout_seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  int status = 0;
  while (true) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) return status;
    if (done < 0 && errno != EINTR) return status;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace

Result<std::string> FindChromium(const std::string& requested) {
  if (!requested.empty()) {
    std::string found = LookUp(requested);
    if (found.empty()) {
      return Error(Status::NotFound("--chromium " + requested + ": no such executable"));
    }
    return found;
  }
  for (const char* name : {"chromium", "chromium-browser"}) {
    std::string found = LookUp(name);
    if (!found.empty()) return found;
  }
  return Error(Status::NotFound(
      "--pdf needs Chromium, and there is no `chromium` in PATH: install Debian's (apt-get install chromium "
      "fonts-noto-cjk, or tools/install-deps.sh) or give --chromium PATH; the HTML report (--out) needs neither"));
}

std::vector<std::string> ChromiumPrintArguments(const std::string& chromium, const std::string& html_path,
                                                const std::string& pdf_path, const std::string& profile) {
  return {chromium,
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--no-default-browser-check",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--disable-extensions",
          "--mute-audio",
          "--user-data-dir=" + profile,
          // No header (date, title) or footer (file URL) of Chromium's own: the report has its own.
          "--no-pdf-header-footer",
          "--print-to-pdf=" + pdf_path,
          "file://" + html_path};
}

Status PrintHtmlToPdf(const std::string& chromium, const std::string& html_path, const std::string& pdf_path,
                      int timeout_seconds) {
  auto directory = MakeTemporaryDirectory();
  if (!directory) return directory.error();
  const std::string log_path = *directory + "/chromium.log";
  const std::string pdf_temporary = *directory + "/report.pdf";
  std::error_code ignored;
  const std::string html_absolute = fs::absolute(html_path, ignored).string();
  Status result = Status::Ok();
  auto pid = Spawn(ChromiumPrintArguments(chromium, html_absolute, pdf_temporary, *directory + "/profile"),
                   *directory, log_path);
  if (!pid) {
    result = pid.error();
  } else {
    std::optional<int> status = WaitBounded(*pid, timeout_seconds);
    std::error_code error;
    const bool written = fs::exists(pdf_temporary, error) && fs::file_size(pdf_temporary, error) > 0;
    if (!status) {
      result = Status::IoError(chromium + " did not finish printing " + html_path + " within " +
                               std::to_string(timeout_seconds) + " s and was stopped: " + Tail(log_path));
    } else if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0 || !written) {
      result = Status::IoError(chromium + " did not print " + html_path + " (exit " +
                               (WIFEXITED(*status) ? std::to_string(WEXITSTATUS(*status)) : "by a signal") +
                               "): " + Tail(log_path));
    } else {
      fs::copy_file(pdf_temporary, pdf_path, fs::copy_options::overwrite_existing, error);
      if (error) result = Status::IoError("cannot write " + pdf_path + ": " + error.message());
    }
  }
  fs::remove_all(*directory, ignored);
  return result;
}

}  // namespace fundtrail::report
