#include "ledger/read_ahead.h"

namespace fundtrail {

LogReadAhead::LogReadAhead(rocksdb::DB* database, rocksdb::ColumnFamilyHandle* log,
                           rocksdb::ColumnFamilyHandle* submissions,
                           const rocksdb::Snapshot* snapshot, Options options)
    : database_(database),
      log_(log),
      submissions_(submissions),
      snapshot_(snapshot),
      options_(options) {
  FT_ASSERT(options_.window_entries > 0);
  FT_ASSERT(options_.windows_ahead > 0);
  reader_ = std::thread([this] { Read(); });
}

LogReadAhead::~LogReadAhead() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  reader_.join();
}

std::unique_ptr<LogWindow> LogReadAhead::Next() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !ready_.empty() || finished_; });
  if (ready_.empty()) return nullptr;
  std::unique_ptr<LogWindow> window = std::move(ready_.front());
  ready_.pop_front();
  lock.unlock();
  changed_.notify_all();  // room for the reader
  return window;
}

Status LogReadAhead::status() {
  std::lock_guard lock(mutex_);
  return status_;
}

bool LogReadAhead::Hand(std::unique_ptr<LogWindow> window) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return ready_.size() < options_.windows_ahead || stopping_; });
  if (stopping_) return false;
  ready_.push_back(std::move(window));
  lock.unlock();
  changed_.notify_all();
  return true;
}

void LogReadAhead::Read() {
  rocksdb::ReadOptions read;
  read.fill_cache = false;  // one pass over the log should not evict the working set
  read.snapshot = snapshot_;
  std::unique_ptr<rocksdb::Iterator> entries(database_->NewIterator(read, log_));
  std::unique_ptr<rocksdb::Iterator> submissions(database_->NewIterator(read, submissions_));
  entries->SeekToFirst();
  submissions->SeekToFirst();
  PrecheckCarry carry;
  for (;;) {
    auto window = std::make_unique<LogWindow>();
    window->entries.reserve(options_.window_entries);
    for (; entries->Valid() && window->entries.size() < options_.window_entries; entries->Next()) {
      window->entries.push_back({entries->key().ToString(), entries->value().ToString()});
    }
    if (window->entries.empty()) break;
    // The submission records up to the window's last entry (keys compare bytewise, as RocksDB
    // orders them).
    const rocksdb::Slice last_key(window->entries.back().key);
    for (; submissions->Valid() && submissions->key().compare(last_key) <= 0; submissions->Next()) {
      window->submissions.push_back(
          {submissions->key().ToString(), submissions->value().ToString()});
    }
    if (options_.precheck) {
      Prechecker::Prepare(window.get());
      const size_t half = window->entries.size() / 2;
      std::thread helper(
          [&] { Prechecker::Run(window.get(), carry, half, window->entries.size(), 1, 2); });
      Prechecker::Run(window.get(), carry, 0, half, 0, 2);
      helper.join();
      Prechecker::Carry(*window, &carry);
    }
    if (!Hand(std::move(window))) return;
  }
  // As the sequential verifier reports them: a damaged table is Corruption.
  auto failed = [](const rocksdb::Status& read, const std::string& what) {
    if (read.IsCorruption()) return Status::Corruption(what + ": " + read.ToString());
    return Status::IoError(what + ": " + read.ToString());
  };
  Status status = Status::Ok();
  if (!submissions->status().ok()) status = failed(submissions->status(), "reading submissions");
  if (!entries->status().ok()) status = failed(entries->status(), "reading the log");
  {
    std::lock_guard lock(mutex_);
    status_ = status;
    finished_ = true;
  }
  changed_.notify_all();
}

}  // namespace fundtrail
