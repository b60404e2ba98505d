// The server's one writer: a thread that owns the Ledger and appends what request handlers
// queue, a group at a time (group commit). Each group is appended with Ledger::AppendGroup: the
// submissions are validated in the order they were queued, one that fails fails alone, and the
// whole group costs one fsync. Each submission's callback runs on the writer thread after its
// group is durable.
//
// The queue is bounded (Submit refuses when full, for a 503) and only ever holds submissions
// whose bytes have arrived whole, so a slow client never holds the writer.
//
// Thread safety: Submit, Published and Stop may be called from any thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "ledger/store.h"
#include "ledger/tree_head.h"
#include "server/metrics.h"

namespace fundtrail::server {

class GroupWriter {
 public:
  struct Outcome {
    Result<Receipt> receipt;
    size_t failed_event_index = SIZE_MAX;  // as Ledger::Append's
  };
  // Runs on the writer thread; must not block.
  using Callback = std::move_only_function<void(Outcome)>;

  struct Options {
    size_t queue_size_max = 1024;   // submissions waiting; Submit refuses beyond
    size_t group_size_max = 256;    // submissions per group, at most Ledger::kGroupSizeMax
    size_t group_events_max = 100000;  // events per group (a single larger submission still goes alone)
    const PrivateKey* head_key = nullptr;  // signs the published heads; null: unsigned
  };

  // Starts the writer thread. REQUIRES: `ledger` is a writer and outlives this; so do `metrics`,
  // `clock` and `options.head_key`; no other thread uses `ledger` until Stop() returns.
  GroupWriter(Ledger* ledger, const Options& options, Metrics* metrics, Clock* clock);
  ~GroupWriter();  // Stop()
  GroupWriter(const GroupWriter&) = delete;
  GroupWriter& operator=(const GroupWriter&) = delete;

  // Queues `submission`. False, and `done` is dropped uncalled, when the queue is full or the
  // writer has stopped or failed.
  bool Submit(SignedSubmission submission, Callback done);

  // The tree head after the last durable group (signed when Options.head_key is set): what the
  // server may show as the ledger's state. Readers never see a submission not yet durable.
  TreeHead Published() const;

  // True once a write-ahead log sync failed: the writer then refuses everything (RocksDB refuses
  // further writes), and the server should be restarted.
  bool failed() const;

  // Stops taking submissions, appends the ones queued (draining), and joins the thread.
  void Stop();

 private:
  struct Pending {
    SignedSubmission submission;
    Callback done;
  };
  void Run();
  // Takes the next group off the queue. REQUIRES: lock held, queue not empty.
  std::vector<Pending> TakeGroup();
  void AppendAndAnswer(std::vector<Pending> group);
  void Publish();

  Ledger* ledger_;
  const Options options_;
  Metrics* metrics_;
  Clock* clock_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;  // guarded by mutex_
  bool stopping_ = false;      // guarded by mutex_
  bool failed_ = false;        // guarded by mutex_
  TreeHead published_;         // guarded by mutex_
  std::thread thread_;
};

}  // namespace fundtrail::server
