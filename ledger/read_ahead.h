// Reads a ledger's log ahead of its replay, in windows, and prechecks each window on the
// machine's cores (ledger/precheck.h) while the caller replays the windows before it.
//
// One reader thread scans the `log` and `submissions` column families in key order, cuts the log
// into windows of `window_entries` records (with the submission records among them), and
// prechecks each window in two halves, one on a helper thread, before handing it over. At most
// `windows_ahead` windows wait for the caller, so memory is bounded by the window size, never by
// the log's length.
//
// Thread safety: one caller thread calls Next() and status(); the reader thread is internal and
// stops (and is joined) when the object is destroyed, even mid-log.
#pragma once

#include <rocksdb/db.h>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "ledger/precheck.h"
#include "ledger/status.h"

namespace fundtrail {

class LogReadAhead {
 public:
  struct Options {
    size_t window_entries = 2048;
    size_t windows_ahead = 2;
    bool precheck = true;  // false: the windows come unchecked, only read ahead
  };
  // REQUIRES: database, the handles and snapshot (may be null) outlive this object.
  LogReadAhead(rocksdb::DB* database, rocksdb::ColumnFamilyHandle* log,
               rocksdb::ColumnFamilyHandle* submissions, const rocksdb::Snapshot* snapshot,
               Options options);
  ~LogReadAhead();
  LogReadAhead(const LogReadAhead&) = delete;
  LogReadAhead& operator=(const LogReadAhead&) = delete;

  // The next window, in log order; nullptr after the last (then see status()). With
  // Options::precheck, its prechecks are made.
  std::unique_ptr<LogWindow> Next();
  // How reading ended: Ok, or the error of a RocksDB iterator.
  Status status();

 private:
  void Read();
  // Hands a window to the caller, waiting while `windows_ahead` wait; false when stopping.
  bool Hand(std::unique_ptr<LogWindow> window);

  rocksdb::DB* database_;
  rocksdb::ColumnFamilyHandle* log_;
  rocksdb::ColumnFamilyHandle* submissions_;
  const rocksdb::Snapshot* snapshot_;
  Options options_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::unique_ptr<LogWindow>> ready_;
  bool finished_ = false;  // the reader handed its last window
  bool stopping_ = false;  // the caller went away
  Status status_;
  std::thread reader_;  // last: starts once the rest is constructed
};

}  // namespace fundtrail
