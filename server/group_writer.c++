#include "server/group_writer.h"

#include <span>

namespace fundtrail::server {

GroupWriter::GroupWriter(Ledger* ledger, const Options& options, Metrics* metrics, Clock* clock)
    : ledger_(ledger), options_(options), metrics_(metrics), clock_(clock) {
  FT_ASSERT(ledger_ != nullptr && metrics_ != nullptr && clock_ != nullptr);
  FT_ASSERT(options_.queue_size_max >= 1);
  FT_ASSERT(options_.group_size_max >= 1 && options_.group_size_max <= Ledger::kGroupSizeMax);
  Publish();
  thread_ = std::thread([this] { Run(); });
}

GroupWriter::~GroupWriter() { Stop(); }

bool GroupWriter::Submit(SignedSubmission submission, Callback done) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || failed_ || queue_.size() >= options_.queue_size_max) return false;
    queue_.push_back(Pending{std::move(submission), std::move(done)});
    metrics_->queue_depth.store(queue_.size());
  }
  wake_.notify_one();
  return true;
}

TreeHead GroupWriter::Published() const {
  std::lock_guard lock(mutex_);
  return published_;
}

bool GroupWriter::failed() const {
  std::lock_guard lock(mutex_);
  return failed_;
}

void GroupWriter::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

std::vector<GroupWriter::Pending> GroupWriter::TakeGroup() {
  FT_ASSERT(!queue_.empty());
  std::vector<Pending> group;
  size_t events = 0;
  // Always at least one submission, however large; then as many as fit the bounds.
  while (!queue_.empty() && group.size() < options_.group_size_max) {
    size_t next = queue_.front().submission.canonical_events.size();
    if (!group.empty() && events + next > options_.group_events_max) break;
    events += next;
    group.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  metrics_->queue_depth.store(queue_.size());
  FT_ASSERT(!group.empty());
  return group;
}

void GroupWriter::Run() {
  while (true) {
    std::vector<Pending> group;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and drained
      group = TakeGroup();
    }
    AppendAndAnswer(std::move(group));
  }
}

void GroupWriter::AppendAndAnswer(std::vector<Pending> group) {
  std::vector<SignedSubmission> submissions;
  submissions.reserve(group.size());
  for (Pending& pending : group) submissions.push_back(std::move(pending.submission));
  std::vector<Ledger::GroupResult> results = ledger_->AppendGroup(std::span<const SignedSubmission>(submissions));
  FT_ASSERT(results.size() == group.size());
  metrics_->groups.fetch_add(1);
  bool wrote = false;
  bool sync_failed = false;
  for (const auto& result : results) {
    if (result.receipt.has_value() && !result.receipt->already_appended) {
      wrote = true;
      metrics_->events_appended.fetch_add(result.receipt->last_sequence - result.receipt->first_sequence + 1);
    }
    // AppendGroup turns every receipt into the sync's I/O error when the sync fails.
    if (!result.receipt.has_value() && result.receipt.error().code() == StatusCode::kIoError) sync_failed = true;
  }
  if (wrote) metrics_->fsyncs.fetch_add(1);
  if (sync_failed) {
    std::lock_guard lock(mutex_);
    failed_ = true;
  }
  // Publish before answering: a client that has its receipt then finds it in the head.
  Publish();
  for (size_t i = 0; i < group.size(); ++i) {
    group[i].done(Outcome{std::move(results[i].receipt), results[i].failed_event_index});
  }
}

void GroupWriter::Publish() {
  TreeHead head;
  head.ledger_id = ledger_->ledger_id();
  head.tree_size = ledger_->head().sequence;
  head.chain_hash = ledger_->head().chain_hash;
  auto root = ledger_->TreeRoot(head.tree_size);
  if (!root) return;  // an I/O error: the last head published stays (the next group tries again)
  head.root_hash = *root;
  head.timestamp_micros = clock_->NowMicros();
  if (options_.head_key != nullptr) SignTreeHead(*options_.head_key, &head);
  std::lock_guard lock(mutex_);
  published_ = std::move(head);
}

}  // namespace fundtrail::server
