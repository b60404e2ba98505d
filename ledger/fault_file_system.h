// A RocksDB file system for fault-injection tests: a power loss that really loses what was not
// synced, and a disk that fills up. Test code only (library fundtrail_fault_fs); the product
// never links it.
//
// It wraps the real file system (rocksdb::FileSystemWrapper) and passes every call through, while
// it records, per file written through it:
//   - the file's size, and its size at its last Sync or Fsync (what a power loss keeps);
//   - whether its name is durable: a file created, renamed or linked into a directory is only
//     known to survive once that directory has been fsynced (FSDirectory::Fsync).
// A file it never saw being written (made before, or by another process) counts as durable.
//
// A simulated crash has two steps, so that the process under test can unwind in between:
//   1. CrashAfter(n): the n-th mutating operation from now on (creating, appending, truncating,
//      syncing, renaming, linking or deleting a file, or syncing a directory), and every one
//      after it, fails with an IOError and changes nothing: the machine has stopped. Reads go on
//      (the process still runs; what it reads it can no longer make durable or acknowledge).
//   2. Once nothing has the database open any more, DropUnsyncedData() does to the disk what the
//      power loss would have: renames not made durable are undone (an overwritten target gets
//      its earlier bytes back), files whose names are not durable are deleted, and every other
//      file is cut back to its size at its last sync. The file system then works again, with
//      everything on disk durable.
// Limits of the model, all on the safe side for RocksDB's usage: a deletion counts as durable at
// once (a deleted file does not come back); data written over a synced range in place is not
// restored (RocksDB only appends); RangeSync does not make data durable; directories themselves
// are durable once made.
//
// A full disk: FailWritesWithNoSpaceAfter(n) lets n more writes of data succeed, then fails every
// write of data (Append, PositionedAppend) with IOStatus::NoSpace, as write(2) does with ENOSPC,
// until SpaceReturns().
//
// Thread-safe: RocksDB calls it from its own threads too.
#pragma once

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ledger/status.h"

namespace fundtrail {

class FaultFileSystem : public rocksdb::FileSystemWrapper {
 public:
  // Wraps `base`, the real file system by default.
  explicit FaultFileSystem(
      std::shared_ptr<rocksdb::FileSystem> base = rocksdb::FileSystem::Default());

  // An Env that works through `file_system` (give it to Ledger::Open). REQUIRES: the file system
  // outlives every database opened with the Env.
  static std::unique_ptr<rocksdb::Env> NewEnv(const std::shared_ptr<FaultFileSystem>& file_system);

  static const char* kClassName() { return "FundtrailFaultFileSystem"; }
  const char* Name() const override { return kClassName(); }

  // Step 1 of a crash: the `operations`-th mutating operation from now (1 for the next one) and
  // all after it fail. 0 crashes at once.
  void CrashAfter(uint64_t operations);
  bool crashed() const;
  // Step 2 of a crash: discards on disk what a power loss would have lost, then works again.
  // REQUIRES: no database open through this file system.
  Status DropUnsyncedData();
  // Mutating operations done (and counted towards CrashAfter) since this file system was made.
  uint64_t operation_count() const;
  // What DropUnsyncedData discarded, over the whole life of this file system.
  struct DropCounts {
    uint64_t files_truncated = 0;
    uint64_t bytes_discarded = 0;
    uint64_t files_deleted = 0;  // created since their directory's last fsync
    uint64_t renames_undone = 0;
  };
  DropCounts drop_counts() const;

  // A full disk: after `writes` more successful writes of data, every write fails with
  // IOStatus::NoSpace until SpaceReturns().
  void FailWritesWithNoSpaceAfter(uint64_t writes);
  void SpaceReturns();
  // Writes failed with NoSpace so far.
  uint64_t no_space_failures() const;

  // rocksdb::FileSystem: the operations that change what is on disk are recorded.
  rocksdb::IOStatus NewWritableFile(const std::string& path, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* debug) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& path, const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* debug) override;
  rocksdb::IOStatus ReuseWritableFile(const std::string& path, const std::string& old_path,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* debug) override;
  rocksdb::IOStatus NewRandomRWFile(const std::string& path, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSRandomRWFile>* result,
                                    rocksdb::IODebugContext* debug) override;
  rocksdb::IOStatus NewDirectory(const std::string& path, const rocksdb::IOOptions& options,
                                 std::unique_ptr<rocksdb::FSDirectory>* result,
                                 rocksdb::IODebugContext* debug) override;
  rocksdb::IOStatus DeleteFile(const std::string& path, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* debug) override;
  rocksdb::IOStatus Truncate(const std::string& path, size_t size,
                             const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* debug) override;
  rocksdb::IOStatus RenameFile(const std::string& source, const std::string& target,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* debug) override;
  rocksdb::IOStatus LinkFile(const std::string& source, const std::string& target,
                             const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* debug) override;

 private:
  class File;
  class Directory;
  struct FileState {
    uint64_t size_bytes = 0;
    uint64_t synced_size_bytes = 0;  // what a power loss keeps
    bool name_durable = false;       // its directory was fsynced since it got this name
  };
  struct PendingRename {
    std::string source;
    std::string target;
    bool source_name_durable = true;
    std::optional<std::string> overwritten;  // the target's earlier bytes, if it existed
  };

  // Counts one mutating operation; false once the machine has crashed (the caller then fails).
  bool Operate();
  rocksdb::IOStatus Crashed() const;
  // Called by File and Directory.
  // Counts a write of data and decides whether the disk is full.
  rocksdb::IOStatus BeforeWrite(uint64_t size_bytes);
  uint64_t SizeOf(const std::string& path);
  void Wrote(const std::string& path, uint64_t end_offset);
  // `size_bytes`: the file's size when the sync began.
  void Synced(const std::string& path, uint64_t size_bytes);
  void Truncated(const std::string& path, uint64_t size_bytes);
  void DirectorySynced(const std::string& directory);
  // Starts tracking a file opened for writing (REQUIRES: mutex_ held).
  FileState& TrackLocked(const std::string& path, bool created);

  mutable std::mutex mutex_;
  std::map<std::string, FileState> files_;  // by normalised path
  std::vector<PendingRename> renames_;      // in order, not yet made durable
  uint64_t operations_ = 0;
  std::optional<uint64_t> crash_at_operation_;  // 1-based
  bool crashed_ = false;
  std::optional<uint64_t> writes_until_full_;
  uint64_t no_space_failures_ = 0;
  DropCounts drop_counts_;
};

}  // namespace fundtrail
