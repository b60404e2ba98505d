#include "ledger/fault_file_system.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "ledger/test_util.h"

namespace fundtrail {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

class FaultFileSystemTest : public ::testing::Test {
 protected:
  // Writes `bytes` to `path` through the file system, and syncs them if asked.
  void Write(const std::string& path, const std::string& bytes, bool sync, bool create = true) {
    std::unique_ptr<rocksdb::FSWritableFile> file;
    rocksdb::IOStatus opened = create ? file_system_->NewWritableFile(path, {}, &file, nullptr)
                                      : file_system_->ReopenWritableFile(path, {}, &file, nullptr);
    ASSERT_TRUE(opened.ok()) << opened.ToString();
    ASSERT_TRUE(file->Append(bytes, {}, nullptr).ok());
    if (sync) {
      ASSERT_TRUE(file->Sync({}, nullptr).ok());
    }
    ASSERT_TRUE(file->Close({}, nullptr).ok());
  }
  void SyncDirectory() {
    std::unique_ptr<rocksdb::FSDirectory> directory;
    ASSERT_TRUE(file_system_->NewDirectory(directory_.path(), {}, &directory, nullptr).ok());
    ASSERT_TRUE(directory->Fsync({}, nullptr).ok());
  }
  void PowerLoss() {
    Status dropped = file_system_->DropUnsyncedData();
    ASSERT_TRUE(dropped.ok()) << dropped.message();
  }

  test::TempDir directory_;
  std::shared_ptr<FaultFileSystem> file_system_ = std::make_shared<FaultFileSystem>();
};

TEST_F(FaultFileSystemTest, KeepsWhatWasSyncedAndDropsTheRest) {
  const std::string path = directory_ / "file";
  Write(path, "synced", /*sync=*/true);
  SyncDirectory();
  Write(path, " and lost", /*sync=*/false, /*create=*/false);
  EXPECT_EQ(ReadFile(path), "synced and lost");  // the process still sees everything
  PowerLoss();
  EXPECT_EQ(ReadFile(path), "synced");
  EXPECT_EQ(file_system_->drop_counts().files_truncated, 1u);
  EXPECT_EQ(file_system_->drop_counts().bytes_discarded, 9u);
}

TEST_F(FaultFileSystemTest, AFileIsLostUntilItsDirectoryIsSynced) {
  Write(directory_ / "unnamed", "synced data, but no directory fsync", /*sync=*/true);
  PowerLoss();
  EXPECT_FALSE(std::filesystem::exists(directory_ / "unnamed"));
  Write(directory_ / "named", "synced data and name", /*sync=*/true);
  SyncDirectory();
  PowerLoss();
  EXPECT_EQ(ReadFile(directory_ / "named"), "synced data and name");
}

TEST_F(FaultFileSystemTest, ARenameIsUndoneUntilItsDirectoryIsSynced) {
  // RocksDB's CURRENT: a new file written and synced, renamed over the old one.
  Write(directory_ / "CURRENT", "MANIFEST-1", /*sync=*/true);
  SyncDirectory();
  Write(directory_ / "CURRENT.tmp", "MANIFEST-2", /*sync=*/true);
  ASSERT_TRUE(
      file_system_->RenameFile(directory_ / "CURRENT.tmp", directory_ / "CURRENT", {}, nullptr)
          .ok());
  EXPECT_EQ(ReadFile(directory_ / "CURRENT"), "MANIFEST-2");
  PowerLoss();
  EXPECT_EQ(ReadFile(directory_ / "CURRENT"), "MANIFEST-1");
  EXPECT_FALSE(std::filesystem::exists(directory_ / "CURRENT.tmp"));  // its name was never durable
  EXPECT_EQ(file_system_->drop_counts().renames_undone, 1u);

  Write(directory_ / "CURRENT.tmp", "MANIFEST-3", /*sync=*/true);
  ASSERT_TRUE(
      file_system_->RenameFile(directory_ / "CURRENT.tmp", directory_ / "CURRENT", {}, nullptr)
          .ok());
  SyncDirectory();
  PowerLoss();
  EXPECT_EQ(ReadFile(directory_ / "CURRENT"), "MANIFEST-3");
}

TEST_F(FaultFileSystemTest, AfterTheCrashPointNothingChanges) {
  const std::string path = directory_ / "file";
  Write(path, "before", /*sync=*/true);
  SyncDirectory();
  std::unique_ptr<rocksdb::FSWritableFile> file;
  ASSERT_TRUE(file_system_->ReopenWritableFile(path, {}, &file, nullptr).ok());
  const uint64_t before = file_system_->operation_count();
  file_system_->CrashAfter(2);
  EXPECT_TRUE(file->Append(" one", {}, nullptr).ok());  // operation 1 still runs
  EXPECT_FALSE(file_system_->crashed());
  rocksdb::IOStatus synced = file->Sync({}, nullptr);  // operation 2 is the crash
  EXPECT_TRUE(synced.IsIOError()) << synced.ToString();
  EXPECT_TRUE(file_system_->crashed());
  EXPECT_FALSE(file->Append(" two", {}, nullptr).ok());
  EXPECT_FALSE(file_system_->DeleteFile(path, {}, nullptr).ok());
  EXPECT_EQ(file_system_->operation_count(), before + 2);  // the crash counts, nothing after it
  (void)file->Close({}, nullptr);
  EXPECT_EQ(ReadFile(path), "before one");
  PowerLoss();
  EXPECT_FALSE(file_system_->crashed());
  EXPECT_EQ(ReadFile(path), "before");
}

TEST_F(FaultFileSystemTest, AFullDiskRefusesWritesUntilSpaceReturns) {
  std::unique_ptr<rocksdb::FSWritableFile> file;
  ASSERT_TRUE(file_system_->NewWritableFile(directory_ / "file", {}, &file, nullptr).ok());
  file_system_->FailWritesWithNoSpaceAfter(1);
  EXPECT_TRUE(file->Append("fits", {}, nullptr).ok());
  rocksdb::IOStatus full = file->Append("does not fit", {}, nullptr);
  EXPECT_TRUE(full.IsNoSpace()) << full.ToString();
  EXPECT_TRUE(file->Sync({}, nullptr).ok());  // a sync needs no space
  EXPECT_EQ(file_system_->no_space_failures(), 1u);
  file_system_->SpaceReturns();
  EXPECT_TRUE(file->Append(", then more", {}, nullptr).ok());
  ASSERT_TRUE(file->Close({}, nullptr).ok());
  EXPECT_EQ(ReadFile(directory_ / "file"), "fits, then more");
}

// RocksDB through the file system: a write with a synced WAL survives the power loss, a later
// unsynced one does not (a killed process would have kept it in the page cache).
TEST_F(FaultFileSystemTest, RocksDbKeepsSyncedWritesAndLosesUnsyncedOnes) {
  std::unique_ptr<rocksdb::Env> env = FaultFileSystem::NewEnv(file_system_);
  rocksdb::Options options;
  options.env = env.get();
  options.create_if_missing = true;
  const std::string path = directory_ / "db";
  {
    rocksdb::DB* opened = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, path, &opened).ok());
    std::unique_ptr<rocksdb::DB> database(opened);
    rocksdb::WriteOptions synced;
    synced.sync = true;
    ASSERT_TRUE(database->Put(synced, "durable", "1").ok());
    ASSERT_TRUE(database->Put(rocksdb::WriteOptions(), "volatile", "2").ok());
    file_system_->CrashAfter(0);
    (void)database->Close();  // fails to write anything more
  }
  PowerLoss();
  rocksdb::DB* opened = nullptr;
  rocksdb::Status reopened = rocksdb::DB::Open(options, path, &opened);
  ASSERT_TRUE(reopened.ok()) << reopened.ToString();
  std::unique_ptr<rocksdb::DB> database(opened);
  std::string value;
  EXPECT_TRUE(database->Get(rocksdb::ReadOptions(), "durable", &value).ok());
  EXPECT_EQ(value, "1");
  EXPECT_TRUE(database->Get(rocksdb::ReadOptions(), "volatile", &value).IsNotFound());
  EXPECT_GT(file_system_->drop_counts().bytes_discarded, 0u);
}

}  // namespace
}  // namespace fundtrail
