// Power-loss tests: a bounded, seeded loop of simulated crashes that really lose what was not
// synced (ledger/fault_file_system.h), unlike crash-test.c++, whose kill -9 leaves unsynced
// writes in the page cache.
//
// Each round opens the ledger through the fault-injecting file system, picks a crash point at
// random among the round's file operations, and runs either appends (each followed by the
// projections' catch-up, as `fundtrail append` does) or `fundtrail rebuild`'s work, until the
// crash point stops the machine. Whatever was not synced is then discarded, and the ledger must:
// open as a writer (its validation state proven against the chain), verify, still hold every
// submission it acknowledged (a retry returns the original receipt), and accept the retry of the
// submission the crash interrupted.
//
// Seeded: the seed is printed, and FUNDTRAIL_TEST_SEED=<seed> replays the same crash points.
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <optional>
#include <random>

#include "projections/projection_store.h"
#include "tests/fault/disk_fixture.h"

namespace fundtrail::testing {
namespace {

constexpr int kRounds = 120;  // FUNDTRAIL_POWER_LOSS_ROUNDS=<n> runs n instead (a longer hunt)
constexpr int kAppendsPerRound = 3;
constexpr int kRebuildEveryRounds = 4;  // every 4th round rebuilds instead of appending

struct Acknowledged {
  uint64_t index = 0;  // in the fixture's stream
  Receipt receipt;
};

struct Counts {
  int crashes = 0;
  int crashes_opening = 0;
  int crashes_appending = 0;
  int crashes_rebuilding = 0;
  int crashes_at_rest = 0;   // the round finished before its crash point
  int interrupted_kept = 0;  // an unacknowledged submission that the disk kept anyway
  int interrupted_lost = 0;
  uint64_t acknowledged = 0;
  uint64_t acknowledged_lost = 0;
};

class PowerLossTest : public ::testing::Test {
 protected:
  // A round of appends; returns the interrupted submission's index, if one was.
  std::optional<uint64_t> AppendRound(Ledger& ledger, Counts* counts) {
    for (int i = 0; i < kAppendsPerRound; ++i) {
      const uint64_t index = next_index_++;
      size_t failed = 0;
      auto receipt = ledger.Append(fixture_.Next(index), &failed);
      if (!receipt) {
        EXPECT_TRUE(fixture_.file_system().crashed())
            << "append failed without a crash: " << receipt.error().message();
        ++counts->crashes_appending;
        return index;
      }
      EXPECT_FALSE(receipt->already_appended);
      acknowledged_.push_back({index, *receipt});
      ++counts->acknowledged;
      Status projected = projections::CatchUp(ledger, projections::RulesSnapshot::kWhenLagging);
      if (!projected.ok()) {
        EXPECT_TRUE(fixture_.file_system().crashed()) << projected.message();
        ++counts->crashes_appending;
        return std::nullopt;
      }
    }
    return std::nullopt;
  }

  // `fundtrail rebuild`'s work: the validation state, the submission id index, the projections
  // and the history store, each from the log.
  void RebuildRound(Ledger& ledger, Counts* counts) {
    auto state = ledger.RebuildState();
    Status status = state ? Status::Ok() : state.error();
    if (status.ok()) {
      EXPECT_TRUE(state->empty() || fixture_.file_system().crashed());
      auto ids = ledger.RebuildSubmissionIds();
      if (!ids) status = ids.error();
    }
    if (status.ok()) {
      auto projection = projections::RebuildAndStore(ledger);
      if (!projection) status = projection.error();
    }
    if (!status.ok()) {
      EXPECT_TRUE(fixture_.file_system().crashed())
          << "rebuild failed without a crash: " << status.message();
      ++counts->crashes_rebuilding;
    }
  }

  // After the power loss: the ledger opens, verifies and holds what it acknowledged; the
  // interrupted submission, retried, is appended or found.
  void CheckRecovered(std::optional<uint64_t> interrupted, uint64_t acknowledged_before,
                      Counts* counts) {
    auto opened = fixture_.Open();
    ASSERT_TRUE(opened.has_value()) << opened.error().message();
    Ledger& ledger = **opened;
    Status verified = ledger.Verify(nullptr);
    ASSERT_TRUE(verified.ok()) << verified.message();
    // Every acknowledgement of this round, the last one before it, and a few earlier at random.
    std::vector<size_t> checks;
    for (size_t i = acknowledged_before; i < acknowledged_.size(); ++i) checks.push_back(i);
    if (acknowledged_before > 0) checks.push_back(acknowledged_before - 1);
    for (int i = 0; i < 3 && !acknowledged_.empty(); ++i)
      checks.push_back(random_() % acknowledged_.size());
    for (size_t i : checks) {
      if (!Holds(ledger, acknowledged_[i])) ++counts->acknowledged_lost;
    }
    if (!acknowledged_.empty()) {
      EXPECT_GE(ledger.head().sequence, acknowledged_.back().receipt.last_sequence);
    }
    if (interrupted) {
      size_t failed = 0;
      auto retried = ledger.Append(fixture_.Next(*interrupted), &failed);
      ASSERT_TRUE(retried.has_value()) << retried.error().message();
      ++(retried->already_appended ? counts->interrupted_kept : counts->interrupted_lost);
      acknowledged_.push_back({*interrupted, *retried});
      ++counts->acknowledged;
    }
  }

  // Whether the ledger holds an acknowledged submission: a retry finds it, with the same
  // sequence numbers and chain hashes.
  bool Holds(Ledger& ledger, const Acknowledged& acknowledged) {
    size_t failed = 0;
    auto retried = ledger.Append(fixture_.Next(acknowledged.index), &failed);
    EXPECT_TRUE(retried.has_value()) << retried.error().message();
    if (!retried) return false;
    EXPECT_TRUE(retried->already_appended)
        << "acknowledged submission " << acknowledged.receipt.submission_id
        << " was lost and appended again";
    EXPECT_EQ(retried->first_sequence, acknowledged.receipt.first_sequence);
    EXPECT_EQ(retried->entry_hashes, acknowledged.receipt.entry_hashes);
    return retried->already_appended && retried->entry_hashes == acknowledged.receipt.entry_hashes;
  }

  // The file operations of a round of each kind, measured once without a crash: crash points
  // are drawn from 1 to a little more than these (a round that ends first crashes at rest).
  uint64_t MeasureRound(bool rebuild) {
    FaultFileSystem& file_system = fixture_.file_system();
    const uint64_t before = file_system.operation_count();
    {
      auto opened = fixture_.Open();
      EXPECT_TRUE(opened.has_value()) << opened.error().message();
      if (!opened) return 1;
      Counts ignored;
      if (rebuild) {
        RebuildRound(**opened, &ignored);
      } else {
        EXPECT_FALSE(AppendRound(**opened, &ignored).has_value());
      }
    }
    return file_system.operation_count() - before;
  }

  DiskFixture fixture_;
  std::mt19937_64 random_;
  uint64_t next_index_ = 0;
  std::vector<Acknowledged> acknowledged_;
};

TEST_F(PowerLossTest, NoAcknowledgedSubmissionIsLostAndTheLedgerVerifies) {
  const uint64_t seed = SeedFromEnvironment(std::random_device()());
  std::cout << "power loss: seed " << seed << " (FUNDTRAIL_TEST_SEED=" << seed << " replays it)"
            << std::endl;
  SCOPED_TRACE("FUNDTRAIL_TEST_SEED=" + std::to_string(seed));
  random_.seed(seed);
  ASSERT_NO_FATAL_FAILURE(fixture_.Create());
  // The first round also builds the projections and the history store: measure the second.
  (void)MeasureRound(/*rebuild=*/false);
  const uint64_t append_operations = MeasureRound(/*rebuild=*/false);
  const uint64_t rebuild_operations = MeasureRound(/*rebuild=*/true);
  ASSERT_FALSE(::testing::Test::HasFailure());

  int rounds = kRounds;
  if (const char* text = std::getenv("FUNDTRAIL_POWER_LOSS_ROUNDS"); text != nullptr && *text != '\0') {
    rounds = std::atoi(text);
  }
  Counts counts;
  FaultFileSystem& file_system = fixture_.file_system();
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const bool rebuild = round % kRebuildEveryRounds == kRebuildEveryRounds - 1;
    const uint64_t operations = rebuild ? rebuild_operations : append_operations;
    const uint64_t crash_point = 1 + random_() % (operations + operations / 8 + 1);
    const size_t acknowledged_before = acknowledged_.size();
    std::optional<uint64_t> interrupted;
    file_system.CrashAfter(crash_point);
    {
      auto opened = fixture_.Open();
      if (!opened) {
        ASSERT_TRUE(file_system.crashed())
            << "open failed without a crash: " << opened.error().message();
        ++counts.crashes_opening;
      } else if (rebuild) {
        RebuildRound(**opened, &counts);
      } else {
        interrupted = AppendRound(**opened, &counts);
      }
      if (!file_system.crashed()) {
        ++counts.crashes_at_rest;
        file_system.CrashAfter(0);  // the power fails now, with the ledger still open
      }
    }  // the ledger closes on a stopped machine: nothing more reaches the disk
    ++counts.crashes;
    Status dropped = file_system.DropUnsyncedData();
    ASSERT_TRUE(dropped.ok()) << dropped.message();
    ASSERT_NO_FATAL_FAILURE(CheckRecovered(interrupted, acknowledged_before, &counts));
    ASSERT_EQ(counts.acknowledged_lost, 0u);
  }

  // At the end, every acknowledged submission, one by one.
  auto opened = fixture_.Open();
  ASSERT_TRUE(opened.has_value()) << opened.error().message();
  for (const Acknowledged& acknowledged : acknowledged_) {
    if (!Holds(**opened, acknowledged)) ++counts.acknowledged_lost;
  }
  EXPECT_EQ(counts.acknowledged_lost, 0u);
  const FaultFileSystem::DropCounts dropped = file_system.drop_counts();
  std::cout << "power loss: " << counts.crashes << " crashes simulated (" << counts.crashes_opening
            << " opening, " << counts.crashes_appending << " appending, "
            << counts.crashes_rebuilding << " rebuilding, " << counts.crashes_at_rest
            << " at rest); " << counts.acknowledged << " submissions acknowledged, "
            << counts.acknowledged_lost << " lost; interrupted submissions kept "
            << counts.interrupted_kept << ", lost and retried " << counts.interrupted_lost
            << "; discarded " << dropped.bytes_discarded << " unsynced bytes in "
            << dropped.files_truncated << " files, " << dropped.files_deleted
            << " files never made durable, " << dropped.renames_undone
            << " renames undone; ledger of " << (*opened)->head().sequence
            << " events verified after every crash" << std::endl;
  RecordProperty("crashes_simulated", counts.crashes);
  RecordProperty("acknowledged_submissions", static_cast<int>(counts.acknowledged));
  RecordProperty("acknowledged_submissions_lost", static_cast<int>(counts.acknowledged_lost));
}

}  // namespace
}  // namespace fundtrail::testing
