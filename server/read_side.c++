#include "server/read_side.h"

namespace fundtrail::server {

ReadSide::ReadSide(std::string directory, std::function<TreeHead()> published, Clock* clock, size_t queue_size_max)
    : directory_(std::move(directory)), published_(std::move(published)), clock_(clock),
      queue_size_max_(queue_size_max) {
  FT_ASSERT(clock_ != nullptr);
  FT_ASSERT(queue_size_max_ >= 1);
  thread_ = std::thread([this] { Run(); });
}

ReadSide::~ReadSide() { Stop(); }

bool ReadSide::Submit(Job job) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= queue_size_max_) return false;
    queue_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

void ReadSide::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

Status ReadSide::Refresh(const TreeHead& published) {
  if (ledger_ != nullptr && ledger_->head().sequence >= published.tree_size) return Status::Ok();
  ledger_.reset();
  auto opened = Ledger::Open(directory_, Ledger::Access::kReadOnly, clock_);
  if (!opened) return opened.error();
  ledger_ = std::move(*opened);
  // The writer published this head only after the submissions it covers were durable, and this
  // open came after, so it sees at least them.
  FT_ASSERT(ledger_->head().sequence >= published.tree_size);
  return Status::Ok();
}

void ReadSide::Run() {
  while (true) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and drained
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    const TreeHead published = published_();
    Status opened = Refresh(published);
    job(opened.ok() ? ledger_.get() : nullptr, published, opened);
  }
}

}  // namespace fundtrail::server
