// Crash tests: a shell loop appends a stream of batches with `fundtrail append`, and the test
// kills the whole process group with SIGKILL at a random moment, again and again. After every
// kill the ledger must verify, every receipt that was printed completely must still hold (the
// same sequence range and hashes, and a retry with the same submission id says "already
// appended" with the same numbers), and the ledger must not be left locked.
//
// Seeded: the seed is printed, and FUNDTRAIL_TEST_SEED=<seed> replays the same kill delays.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <iostream>
#include <random>
#include <thread>

#include "tests/testing/cli_harness.h"

namespace fundtrail::testing {
namespace {

using nlohmann::json;

constexpr int kRounds = 16;
constexpr int kAppendsPerRoundMax = 40;  // the shell loop's bound, should no kill come
constexpr int kKillDelayMillisecondsMin = 5;
constexpr int kKillDelayMillisecondsMax = 450;

// Starts `script` under /bin/sh in a new process group whose id is the returned pid.
pid_t StartShell(const std::string& script) {
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::setpgid(0, 0);
    ::execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also here, so that the group exists before we might kill it
  return pid;
}

// Kills the process group and reaps all of it: the shell, and the fundtrail it may have been
// running, which becomes our child when the shell dies (we are a subreaper). Once this returns,
// no process of the group holds the ledger open.
// Returns the shell's wait status.
int KillGroup(pid_t group) {
  ::kill(-group, SIGKILL);
  int shell_status = 0;
  for (;;) {
    int status = 0;
    pid_t reaped = ::waitpid(-group, &status, 0);
    if (reaped < 0 && errno == EINTR) continue;
    if (reaped < 0) break;  // ECHILD: nothing of the group is left
    if (reaped == group) shell_status = status;
  }
  return shell_status;
}

// How many processes of `group` run the fundtrail binary now (for the statistics printed at
// the end; nothing is asserted on them, as they depend on timing).
int CountFundtrailProcesses(pid_t group) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // pid (comm) state ppid pgrp ...; comm may hold spaces, so parse after the last ')'.
    size_t close = line.rfind(')');
    size_t open = line.find('(');
    if (close == std::string::npos || open == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 1));
    std::string state;
    pid_t parent = 0, process_group = 0;
    rest >> state >> parent >> process_group;
    if (process_group == group && state != "Z" && line.substr(open + 1, close - open - 1) == "fundtrail") ++count;
  }
  return count;
}

std::string Quote(const std::string& text) {
  if (text.find('\'') != std::string::npos) throw std::runtime_error("a path with a quote: " + text);
  return "'" + text + "'";
}

struct Batch {
  std::string path;
  size_t event_count = 0;
};

TEST(CrashTest, KillDuringAppendsLosesNoAcknowledgedSubmission) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE("FUNDTRAIL_TEST_SEED=" + std::to_string(seed));
  std::mt19937_64 random(seed);
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);

  TempDir dir;
  SampleAlliance alliance(dir.path());
  alliance.Init();
  alliance.AppendHistory();

  // Batches of 1, 25 and 400 expenditures: the big one keeps an append busy long enough for
  // some kills to land inside it.
  std::vector<Batch> batches;
  for (size_t size : {1, 25, 400}) {
    std::vector<json> events;
    for (size_t i = 0; i < size; ++i) {
      events.push_back(ExpenditureRecorded(SampleAlliance::kGrantBattery, SampleAlliance::kCatl, "materials",
                                           "V-LAB", "INV-" + std::to_string(size) + "-" + std::to_string(i),
                                           std::to_string(100 + i) + ".00 CNY"));
    }
    batches.push_back({alliance.NewFile(JsonLines(events)), size});
  }
  auto batch_of = [&](int index) -> const Batch& { return batches[static_cast<size_t>(index) % batches.size()]; };
  auto append_args = [&](const std::string& submission_id, int index) {
    return std::vector<std::string>{"append", "--ledger", alliance.ledger(), "--key", alliance.finance_catl.path,
                                    "--submission-id", submission_id, "--json", batch_of(index).path};
  };

  std::map<std::string, json> acknowledged;  // submission id -> receipt
  uint64_t head = alliance.receipts().back()["last_sequence"];
  int kills_inside_a_durable_append = 0, kills_during_fundtrail = 0;
  std::uniform_int_distribution<int> delay_milliseconds(kKillDelayMillisecondsMin, kKillDelayMillisecondsMax);

  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const std::string prefix = "r" + std::to_string(round) + "-";
    const std::string receipts_path = dir / ("receipts-" + std::to_string(round) + ".jsonl");
    const std::string errors_path = dir / ("errors-" + std::to_string(round) + ".txt");
    // The loop's n-th append sends batch n % 3 with submission id r<round>-<n>.
    std::string script = "i=0\nwhile [ $i -lt " + std::to_string(kAppendsPerRoundMax) + " ]; do\n";
    script += "  case $((i % 3)) in 0) f=" + Quote(batches[0].path) + ";; 1) f=" + Quote(batches[1].path) +
              ";; *) f=" + Quote(batches[2].path) + ";; esac\n";
    script += "  " + Quote(FundtrailBinary()) + " append --ledger " + Quote(alliance.ledger()) + " --key " +
              Quote(alliance.finance_catl.path) + " --submission-id " + prefix + "$i --json \"$f\" >> " +
              Quote(receipts_path) + " 2>> " + Quote(errors_path) + " || exit 1\n";
    script += "  i=$((i + 1))\ndone\n";

    int delay = delay_milliseconds(random);
    pid_t group = StartShell(script);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    kills_during_fundtrail += CountFundtrailProcesses(group) > 0 ? 1 : 0;
    int shell_status = KillGroup(group);
    // Until the kill, every append of the loop succeeded (the loop stops at the first failure).
    EXPECT_FALSE(WIFEXITED(shell_status) && WEXITSTATUS(shell_status) != 0)
        << "an append failed before the kill: "
        << (std::filesystem::exists(errors_path) ? ReadFile(errors_path) : "");
    EXPECT_EQ(std::filesystem::exists(errors_path) ? ReadFile(errors_path) : "", "");

    // Receipts printed completely: whole lines that parse.
    std::string printed = std::filesystem::exists(receipts_path) ? ReadFile(receipts_path) : "";
    std::vector<std::string> lines = SplitLines(printed);
    if (!printed.empty() && printed.back() != '\n') lines.pop_back();  // cut off by the kill
    std::vector<json> receipts;
    for (const auto& line : lines) {
      auto receipt = json::parse(line, nullptr, false);
      if (receipt.is_discarded()) continue;
      receipts.push_back(receipt);
    }
    // They are the loop's appends in order, each new, each right after the one before.
    for (size_t n = 0; n < receipts.size(); ++n) {
      const json& receipt = receipts[n];
      SCOPED_TRACE(receipt.dump().substr(0, 300));
      ASSERT_EQ(receipt["submission_id"], prefix + std::to_string(n));
      EXPECT_EQ(receipt["already_appended"], false);
      EXPECT_EQ(receipt["first_sequence"], head + 1);
      EXPECT_EQ(receipt["last_sequence"].get<uint64_t>() - receipt["first_sequence"].get<uint64_t>() + 1,
                batch_of(static_cast<int>(n)).event_count);
      head = receipt["last_sequence"];
      acknowledged[receipt["submission_id"]] = receipt;
    }

    // The ledger verifies after the kill.
    CommandResult verified = Fundtrail({"verify", "--ledger", alliance.ledger(), "--quiet"});
    ASSERT_EQ(verified.exit_code, 0) << "kill after " << delay << " ms\n" << verified.Describe();

    // Every acknowledged event of this round is in the log with the hash its receipt promised.
    if (!receipts.empty()) {
      auto log = alliance.Log({"--from", receipts.front()["first_sequence"].dump(), "--to",
                               receipts.back()["last_sequence"].dump()});
      std::map<uint64_t, std::string> hashes;
      for (const auto& line : log) hashes[line["sequence"]] = line["hash"];
      for (const auto& receipt : receipts) {
        for (size_t i = 0; i < receipt["entry_hashes"].size(); ++i) {
          uint64_t sequence = receipt["first_sequence"].get<uint64_t>() + i;
          EXPECT_EQ(hashes[sequence], receipt["entry_hashes"][i]) << "sequence " << sequence;
        }
      }
      // A retry of the last acknowledged submission appends nothing and returns its receipt.
      int last_index = static_cast<int>(receipts.size()) - 1;
      CommandResult retry = Fundtrail(append_args(prefix + std::to_string(last_index), last_index));
      ASSERT_EQ(retry.exit_code, 0) << retry.Describe();
      json again = json::parse(retry.out);
      EXPECT_EQ(again["already_appended"], true);
      for (const char* field : {"first_sequence", "last_sequence", "entry_hashes", "head", "appended_at"}) {
        EXPECT_EQ(again[field], receipts.back()[field]) << field;
      }
    }

    // The append the kill interrupted (if it was running) is retried with its id, as a client
    // without a receipt would: it is either already there, complete, or appended now. Either way
    // the ledger is not left locked.
    int interrupted = static_cast<int>(receipts.size());
    CommandResult retry = Fundtrail(append_args(prefix + std::to_string(interrupted), interrupted));
    ASSERT_EQ(retry.exit_code, 0) << "the ledger is unusable after the kill\n" << retry.Describe();
    json receipt = json::parse(retry.out);
    EXPECT_EQ(receipt["first_sequence"], head + 1);
    EXPECT_EQ(receipt["last_sequence"].get<uint64_t>() - head, batch_of(interrupted).event_count);
    if (receipt["already_appended"] == true) ++kills_inside_a_durable_append;
    head = receipt["last_sequence"];
    acknowledged[receipt["submission_id"]] = receipt;
  }

  // At the end, every receipt of every round still holds, and the whole ledger verifies.
  CommandResult verified = Fundtrail({"verify", "--ledger", alliance.ledger(), "--quiet"});
  ASSERT_EQ(verified.exit_code, 0) << verified.Describe();
  EXPECT_NE(verified.out.find("head: " + std::to_string(head) + " "), std::string::npos) << verified.out;
  auto log = alliance.Log({"--from", alliance.receipts().back()["last_sequence"].dump()});
  std::map<uint64_t, std::string> hashes;
  for (const auto& line : log) hashes[line["sequence"]] = line["hash"];
  for (const auto& [id, receipt] : acknowledged) {
    for (size_t i = 0; i < receipt["entry_hashes"].size(); ++i) {
      uint64_t sequence = receipt["first_sequence"].get<uint64_t>() + i;
      EXPECT_EQ(hashes[sequence], receipt["entry_hashes"][i]) << id << ", sequence " << sequence;
    }
  }
  std::cout << kRounds << " kills, " << kills_during_fundtrail << " while fundtrail ran, "
            << kills_inside_a_durable_append << " after a durable append but before its receipt; "
            << acknowledged.size() << " acknowledged submissions, " << head << " events" << std::endl;
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
}

// `fundtrail rebuild` writes the history store from zero as tables added whole, without RocksDB's
// write-ahead log (Ledger::HistoryTable), and writes its one checkpoint only once all are added: a kill at any
// moment of a rebuild must leave a store that agrees with the log (the old one, or none: a new
// one without its checkpoint is not read), so that histories read after the kill are those of
// the log, and the next rebuild never finds a store that DIFFERED.
TEST(CrashTest, KillDuringRebuildLeavesHistoriesThatAgreeWithTheLog) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE("FUNDTRAIL_TEST_SEED=" + std::to_string(seed));
  std::mt19937_64 random(seed);
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);

  TempDir dir;
  SampleAlliance alliance(dir.path());
  alliance.Init();
  alliance.AppendHistory();
  // Enough events for a rebuild to take a while (about 24,000).
  for (int batch = 0; batch < 24; ++batch) {
    std::vector<json> events;
    for (int i = 0; i < 1000; ++i) {
      events.push_back(ExpenditureRecorded(SampleAlliance::kGrantBattery, SampleAlliance::kCatl, "materials", "V-LAB",
                                           "INV-" + std::to_string(batch) + "-" + std::to_string(i),
                                           std::to_string(100 + i) + ".00 CNY"));
    }
    alliance.Append(alliance.finance_catl, events);
  }
  auto histories = [&] {
    std::string out;
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"history", "grant", SampleAlliance::kGrantBattery, "--json"},
             {"history", "member", SampleAlliance::kCatl, "--json"},
             {"history", "grant", SampleAlliance::kGrantRecycling, "--as-of-seq", "20"}}) {
      std::vector<std::string> full = args;
      full.insert(full.end(), {"--ledger", alliance.ledger()});
      CommandResult result = Fundtrail(full);
      EXPECT_EQ(result.exit_code, 0) << result.Describe();
      out += result.out;
    }
    return out;
  };
  const std::string reference = histories();
  ASSERT_NE(reference.find("\"sequence\""), std::string::npos) << reference.substr(0, 400);

  constexpr int kRebuildRounds = 10;
  std::uniform_int_distribution<int> delay_milliseconds(20, 700);
  int kills_during_fundtrail = 0;
  std::map<std::string, int> found;  // what the rebuild after each kill said of the store
  for (int round = 0; round < kRebuildRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const std::string script = "while true; do " + Quote(FundtrailBinary()) + " rebuild --ledger " +
                               Quote(alliance.ledger()) + " > /dev/null || exit 1; done\n";
    int delay = delay_milliseconds(random);
    pid_t group = StartShell(script);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    kills_during_fundtrail += CountFundtrailProcesses(group) > 0 ? 1 : 0;
    int shell_status = KillGroup(group);
    EXPECT_FALSE(WIFEXITED(shell_status) && WEXITSTATUS(shell_status) != 0) << "a rebuild failed before the kill";
    EXPECT_EQ(histories(), reference) << "kill after " << delay << " ms";
    CommandResult rebuilt = Fundtrail({"rebuild", "--ledger", alliance.ledger()});
    ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.Describe();
    EXPECT_EQ(rebuilt.out.find("DIFFERED"), std::string::npos) << rebuilt.out;
    // The tables a killed rebuild left in its load directory are gone with the next rebuild.
    EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(alliance.ledger()) / "history-load"));
    for (const char* said : {"was the same", "is now complete", "was missing", "could not be read"}) {
      if (rebuilt.out.find(said) != std::string::npos) ++found[said];
    }
  }
  EXPECT_EQ(histories(), reference);
  std::cout << kRebuildRounds << " kills of `fundtrail rebuild`, " << kills_during_fundtrail
            << " while fundtrail ran; the rebuild after each found the store:";
  for (const auto& [said, count] : found) std::cout << " \"" << said << "\" " << count;
  std::cout << std::endl;
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
}

}  // namespace
}  // namespace fundtrail::testing
