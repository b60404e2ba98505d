// The server's reads: one reader thread that owns a read-only Ledger of the served directory and
// runs the read requests' jobs in turn, so that neither the writer thread nor the event loop waits
// for a read.
//
// Consistency: a read-only Ledger sees the ledger as of the moment it opened (RocksDB), which
// may be a few submissions past the published head (the writer's current group, written but not
// yet synced). Each job is therefore handed the published head's size, and reads at or below it:
// never a submission that is not yet durable, and never half of a group. Before each job the
// reader reopens its Ledger when the published head has moved past what it sees, so a key
// revoked by an acknowledged submission is seen by the next request.
//
// Thread safety: Submit and Stop may be called from any thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "ledger/store.h"
#include "ledger/tree_head.h"

namespace fundtrail::server {

class ReadSide {
 public:
  // Runs on the reader thread. `ledger` is at or past `published`; read at or below
  // published.tree_size. On an error opening the ledger, `ledger` is null and `opened` says why.
  using Job = std::move_only_function<void(const Ledger* ledger, const TreeHead& published, const Status& opened)>;

  // REQUIRES: `published` may be called from the reader thread; clock outlives this.
  ReadSide(std::string directory, std::function<TreeHead()> published, Clock* clock, size_t queue_size_max);
  ~ReadSide();  // Stop()
  ReadSide(const ReadSide&) = delete;
  ReadSide& operator=(const ReadSide&) = delete;

  // Queues `job`. False (and `job` dropped uncalled) when the queue is full or stopping.
  bool Submit(Job job);
  // Runs the jobs queued, then joins the thread.
  void Stop();

 private:
  void Run();
  // Reopens the ledger when the published head has moved past it.
  Status Refresh(const TreeHead& published);

  const std::string directory_;
  const std::function<TreeHead()> published_;
  Clock* clock_;
  const size_t queue_size_max_;
  std::unique_ptr<Ledger> ledger_;  // reader thread only
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;  // guarded by mutex_
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace fundtrail::server
