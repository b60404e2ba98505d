// Full-disk tests: the file system (ledger/fault_file_system.h) refuses writes with "no space"
// (ENOSPC) from a chosen write on. An append then fails with a clear I/O error (`fundtrail`
// exits 5 on it) and no receipt, never an abort; the ledger stays intact, and once space returns
// it opens, verifies, and takes the submission that failed.
#include <gtest/gtest.h>

#include <iostream>

#include "projections/projection_store.h"
#include "tests/fault/disk_fixture.h"

namespace fundtrail::testing {
namespace {

class FullDiskTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(fixture_.Create()); }

  DiskFixture fixture_;
};

void ExpectNoSpaceError(const Status& status) {
  EXPECT_EQ(status.code(), StatusCode::kIoError) << status.message();
  EXPECT_NE(status.message().find("no space left on device"), std::string::npos)
      << status.message();
  EXPECT_EQ(status.message().find('\n'), std::string::npos) << "not one line: " << status.message();
}

TEST_F(FullDiskTest, AnAppendFailsCleanlyAndSucceedsOnceSpaceReturns) {
  FaultFileSystem& file_system = fixture_.file_system();
  Head before;
  {
    auto opened = fixture_.Open();
    ASSERT_TRUE(opened.has_value()) << opened.error().message();
    Ledger& ledger = **opened;
    before = ledger.head();
    file_system.FailWritesWithNoSpaceAfter(0);
    size_t failed = 0;
    auto refused = ledger.Append(fixture_.Next(0), &failed);
    ASSERT_FALSE(refused.has_value());
    ExpectNoSpaceError(refused.error());
    EXPECT_EQ(failed, SIZE_MAX);  // no event is to blame
    EXPECT_EQ(ledger.head().sequence, before.sequence);
    EXPECT_EQ(ledger.head().chain_hash, before.chain_hash);
    // The disk stays full: the next submission fails the same way, and so does the derived data.
    auto again = ledger.Append(fixture_.Next(1), &failed);
    ASSERT_FALSE(again.has_value());
    ExpectNoSpaceError(again.error());
    (void)projections::CatchUp(ledger, projections::RulesSnapshot::kAlways);
    EXPECT_GT(file_system.no_space_failures(), 0u);
  }  // closing on a full disk cannot flush: the write-ahead log stays, nothing is lost
  file_system.SpaceReturns();
  auto opened = fixture_.Open();
  ASSERT_TRUE(opened.has_value()) << opened.error().message();
  Ledger& ledger = **opened;
  EXPECT_EQ(ledger.head().sequence, before.sequence);
  Status verified = ledger.Verify(nullptr);
  ASSERT_TRUE(verified.ok()) << verified.message();
  size_t failed = 0;
  auto appended = ledger.Append(fixture_.Next(0), &failed);
  ASSERT_TRUE(appended.has_value()) << appended.error().message();
  EXPECT_FALSE(appended->already_appended);
  EXPECT_EQ(appended->first_sequence, before.sequence + 1);
  verified = ledger.Verify(nullptr);
  EXPECT_TRUE(verified.ok()) << verified.message();
}

// The disk fills at every point of a stream of appends, catch-ups and closes in turn: in the
// write-ahead log, in a memtable's flush, in a compaction, in the projections. Each time,
// whatever was acknowledged stays, every failure is the clear error, and after space returns the
// ledger verifies and takes the submission that failed.
TEST_F(FullDiskTest, TheDiskFillsAtEveryPointOfAStream) {
  FaultFileSystem& file_system = fixture_.file_system();
  constexpr uint64_t kWritesBeforeFullMax = 60;
  uint64_t index = 0;
  int refused_appends = 0;
  for (uint64_t writes = 0; writes <= kWritesBeforeFullMax; ++writes) {
    SCOPED_TRACE("disk full after " + std::to_string(writes) + " writes");
    std::vector<std::pair<uint64_t, Receipt>> acknowledged;
    std::optional<uint64_t> refused;
    {
      auto opened = fixture_.Open();
      ASSERT_TRUE(opened.has_value()) << opened.error().message();
      Ledger& ledger = **opened;
      file_system.FailWritesWithNoSpaceAfter(writes);
      for (int i = 0; i < 4 && !refused; ++i) {
        size_t failed = 0;
        auto receipt = ledger.Append(fixture_.Next(index), &failed);
        if (!receipt) {
          ExpectNoSpaceError(receipt.error());
          refused = index++;
          ++refused_appends;
          break;
        }
        acknowledged.emplace_back(index++, *receipt);
        // A derived store's failure is the caller's to report (`fundtrail append` warns); it
        // must not abort.
        (void)projections::CatchUp(ledger, projections::RulesSnapshot::kAlways);
      }
    }
    file_system.SpaceReturns();
    auto opened = fixture_.Open();
    ASSERT_TRUE(opened.has_value()) << opened.error().message();
    Ledger& ledger = **opened;
    Status verified = ledger.Verify(nullptr);
    ASSERT_TRUE(verified.ok()) << verified.message();
    for (const auto& [stream_index, receipt] : acknowledged) {
      size_t failed = 0;
      auto retried = ledger.Append(fixture_.Next(stream_index), &failed);
      ASSERT_TRUE(retried.has_value()) << retried.error().message();
      EXPECT_TRUE(retried->already_appended);
      EXPECT_EQ(retried->entry_hashes, receipt.entry_hashes);
    }
    if (refused) {
      size_t failed = 0;
      auto appended = ledger.Append(fixture_.Next(*refused), &failed);
      ASSERT_TRUE(appended.has_value()) << appended.error().message();
      EXPECT_FALSE(appended->already_appended);
    }
  }
  EXPECT_GT(refused_appends, 0);
  std::cout << "full disk: " << kWritesBeforeFullMax + 1 << " points, " << refused_appends
            << " appends refused with \"no space left on device\", "
            << file_system.no_space_failures() << " writes refused in all" << std::endl;
}

}  // namespace
}  // namespace fundtrail::testing
