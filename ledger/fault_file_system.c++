#include "ledger/fault_file_system.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

namespace fundtrail {

namespace {

// Paths as RocksDB spells them may carry "//" or "./"; the records use one spelling per file.
std::string Normalise(const std::string& path) {
  std::string normal = std::filesystem::path(path).lexically_normal().string();
  while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
  return normal;
}

std::string ParentOf(const std::string& normal_path) {
  return std::filesystem::path(normal_path).parent_path().string();
}

uint64_t RealSize(const std::string& path) {
  std::error_code error;
  uint64_t size = std::filesystem::file_size(path, error);
  return error ? 0 : size;
}

// The earlier bytes of a rename's target, kept to undo the rename. RocksDB renames small files
// only (CURRENT, OPTIONS, IDENTITY); a large one is not kept, and its rename then counts as
// durable (see DropUnsyncedData).
constexpr uint64_t kOverwrittenSizeBytesMax = 1 << 20;

std::optional<std::string> ReadWhole(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) return std::nullopt;
  if (RealSize(path) > kOverwrittenSizeBytesMax) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

}  // namespace

#define FT_RETURN_IF_IO_ERROR(expression)        \
  do {                                           \
    rocksdb::IOStatus io_status_ = (expression); \
    if (!io_status_.ok()) return io_status_;     \
  } while (false)

// A file opened for writing: every change is counted and recorded with the file system.
class FaultFileSystem::File : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  File(FaultFileSystem* file_system, std::string path,
       std::unique_ptr<rocksdb::FSWritableFile> target)
      : FSWritableFileOwnerWrapper(std::move(target)),
        file_system_(file_system),
        path_(std::move(path)) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* debug) override {
    FT_RETURN_IF_IO_ERROR(file_system_->BeforeWrite(data.size()));
    const uint64_t offset = file_system_->SizeOf(path_);
    rocksdb::IOStatus status = target()->Append(data, options, debug);
    if (status.ok()) file_system_->Wrote(path_, offset + data.size());
    return status;
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& /*verification*/,
                           rocksdb::IODebugContext* debug) override {
    return Append(data, options, debug);
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     rocksdb::IODebugContext* debug) override {
    FT_RETURN_IF_IO_ERROR(file_system_->BeforeWrite(data.size()));
    rocksdb::IOStatus status = target()->PositionedAppend(data, offset, options, debug);
    if (status.ok()) file_system_->Wrote(path_, offset + data.size());
    return status;
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     const rocksdb::DataVerificationInfo& /*verification*/,
                                     rocksdb::IODebugContext* debug) override {
    return PositionedAppend(data, offset, options, debug);
  }
  rocksdb::IOStatus Truncate(uint64_t size, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* debug) override {
    if (!file_system_->Operate()) return file_system_->Crashed();
    rocksdb::IOStatus status = target()->Truncate(size, options, debug);
    if (status.ok()) file_system_->Truncated(path_, size);
    return status;
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options,
                         rocksdb::IODebugContext* debug) override {
    return SyncWith([&] { return target()->Sync(options, debug); });
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* debug) override {
    return SyncWith([&] { return target()->Fsync(options, debug); });
  }
  // sync_file_range(2) starts writeback but promises nothing after a power loss: counted, and
  // the data stays unsynced.
  rocksdb::IOStatus RangeSync(uint64_t offset, uint64_t size, const rocksdb::IOOptions& options,
                              rocksdb::IODebugContext* debug) override {
    if (!file_system_->Operate()) return file_system_->Crashed();
    return target()->RangeSync(offset, size, options, debug);
  }

 private:
  template <typename Sync>
  rocksdb::IOStatus SyncWith(Sync sync) {
    if (!file_system_->Operate()) return file_system_->Crashed();
    // What was written before the call is what the call makes durable.
    const uint64_t size = file_system_->SizeOf(path_);
    rocksdb::IOStatus status = sync();
    if (status.ok()) file_system_->Synced(path_, size);
    return status;
  }

  FaultFileSystem* file_system_;
  std::string path_;
};

// A directory: its fsync makes the names in it durable.
class FaultFileSystem::Directory : public rocksdb::FSDirectoryWrapper {
 public:
  Directory(FaultFileSystem* file_system, std::string path,
            std::unique_ptr<rocksdb::FSDirectory> target)
      : FSDirectoryWrapper(std::move(target)), file_system_(file_system), path_(std::move(path)) {}

  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* debug) override {
    if (!file_system_->Operate()) return file_system_->Crashed();
    rocksdb::IOStatus status = FSDirectoryWrapper::Fsync(options, debug);
    if (status.ok()) file_system_->DirectorySynced(path_);
    return status;
  }
  rocksdb::IOStatus FsyncWithDirOptions(const rocksdb::IOOptions& options,
                                        rocksdb::IODebugContext* debug,
                                        const rocksdb::DirFsyncOptions& dir_options) override {
    if (!file_system_->Operate()) return file_system_->Crashed();
    rocksdb::IOStatus status = FSDirectoryWrapper::FsyncWithDirOptions(options, debug, dir_options);
    if (status.ok()) file_system_->DirectorySynced(path_);
    return status;
  }

 private:
  FaultFileSystem* file_system_;
  std::string path_;
};

FaultFileSystem::FaultFileSystem(std::shared_ptr<rocksdb::FileSystem> base)
    : rocksdb::FileSystemWrapper(std::move(base)) {}

std::unique_ptr<rocksdb::Env> FaultFileSystem::NewEnv(
    const std::shared_ptr<FaultFileSystem>& file_system) {
  return rocksdb::NewCompositeEnv(file_system);
}

void FaultFileSystem::CrashAfter(uint64_t operations) {
  std::lock_guard lock(mutex_);
  if (operations == 0) {
    crashed_ = true;
    return;
  }
  crash_at_operation_ = operations_ + operations;
}

bool FaultFileSystem::crashed() const {
  std::lock_guard lock(mutex_);
  return crashed_;
}

uint64_t FaultFileSystem::operation_count() const {
  std::lock_guard lock(mutex_);
  return operations_;
}

FaultFileSystem::DropCounts FaultFileSystem::drop_counts() const {
  std::lock_guard lock(mutex_);
  return drop_counts_;
}

void FaultFileSystem::FailWritesWithNoSpaceAfter(uint64_t writes) {
  std::lock_guard lock(mutex_);
  writes_until_full_ = writes;
}

void FaultFileSystem::SpaceReturns() {
  std::lock_guard lock(mutex_);
  writes_until_full_.reset();
}

uint64_t FaultFileSystem::no_space_failures() const {
  std::lock_guard lock(mutex_);
  return no_space_failures_;
}

bool FaultFileSystem::Operate() {
  std::lock_guard lock(mutex_);
  if (crashed_) return false;
  ++operations_;
  if (crash_at_operation_ && operations_ >= *crash_at_operation_) {
    crashed_ = true;
    return false;
  }
  return true;
}

rocksdb::IOStatus FaultFileSystem::Crashed() const {
  return rocksdb::IOStatus::IOError("simulated power loss: the machine has stopped");
}

rocksdb::IOStatus FaultFileSystem::BeforeWrite(uint64_t size_bytes) {
  if (!Operate()) return Crashed();
  std::lock_guard lock(mutex_);
  if (!writes_until_full_ || size_bytes == 0) return rocksdb::IOStatus::OK();
  if (*writes_until_full_ == 0) {
    ++no_space_failures_;
    return rocksdb::IOStatus::NoSpace("simulated full disk");
  }
  --*writes_until_full_;
  return rocksdb::IOStatus::OK();
}

uint64_t FaultFileSystem::SizeOf(const std::string& path) {
  std::lock_guard lock(mutex_);
  auto found = files_.find(path);
  return found == files_.end() ? RealSize(path) : found->second.size_bytes;
}

FaultFileSystem::FileState& FaultFileSystem::TrackLocked(const std::string& path, bool created) {
  auto found = files_.find(path);
  if (found != files_.end()) return found->second;
  FileState& state = files_[path];
  if (!created) {
    // A file this file system did not see being written: all of it is durable.
    state.size_bytes = state.synced_size_bytes = RealSize(path);
    state.name_durable = true;
  }
  return state;
}

void FaultFileSystem::Wrote(const std::string& path, uint64_t end_offset) {
  std::lock_guard lock(mutex_);
  FileState& state = TrackLocked(path, /*created=*/false);
  state.size_bytes = std::max(state.size_bytes, end_offset);
}

void FaultFileSystem::Synced(const std::string& path, uint64_t size_bytes) {
  std::lock_guard lock(mutex_);
  FileState& state = TrackLocked(path, /*created=*/false);
  state.synced_size_bytes =
      std::max(state.synced_size_bytes, std::min(size_bytes, state.size_bytes));
}

void FaultFileSystem::Truncated(const std::string& path, uint64_t size_bytes) {
  std::lock_guard lock(mutex_);
  FileState& state = TrackLocked(path, /*created=*/false);
  state.size_bytes = size_bytes;
  state.synced_size_bytes = std::min(state.synced_size_bytes, size_bytes);
}

void FaultFileSystem::DirectorySynced(const std::string& directory) {
  std::lock_guard lock(mutex_);
  for (auto& [path, state] : files_) {
    if (ParentOf(path) == directory) state.name_durable = true;
  }
  std::erase_if(renames_,
                [&](const PendingRename& rename) { return ParentOf(rename.target) == directory; });
}

rocksdb::IOStatus FaultFileSystem::NewWritableFile(const std::string& path,
                                                   const rocksdb::FileOptions& options,
                                                   std::unique_ptr<rocksdb::FSWritableFile>* result,
                                                   rocksdb::IODebugContext* debug) {
  if (!Operate()) return Crashed();
  const std::string normal = Normalise(path);
  std::error_code error;
  const bool existed = std::filesystem::exists(normal, error);
  std::unique_ptr<rocksdb::FSWritableFile> file;
  rocksdb::IOStatus status = target()->NewWritableFile(path, options, &file, debug);
  if (!status.ok()) return status;
  {
    std::lock_guard lock(mutex_);
    FileState& state = TrackLocked(normal, /*created=*/!existed);
    state.size_bytes = state.synced_size_bytes = 0;  // opened truncated
  }
  *result = std::make_unique<File>(this, normal, std::move(file));
  return status;
}

rocksdb::IOStatus FaultFileSystem::ReopenWritableFile(
    const std::string& path, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result, rocksdb::IODebugContext* debug) {
  if (!Operate()) return Crashed();
  const std::string normal = Normalise(path);
  std::error_code error;
  const bool existed = std::filesystem::exists(normal, error);
  std::unique_ptr<rocksdb::FSWritableFile> file;
  rocksdb::IOStatus status = target()->ReopenWritableFile(path, options, &file, debug);
  if (!status.ok()) return status;
  {
    std::lock_guard lock(mutex_);
    (void)TrackLocked(normal, /*created=*/!existed);
  }
  *result = std::make_unique<File>(this, normal, std::move(file));
  return status;
}

rocksdb::IOStatus FaultFileSystem::ReuseWritableFile(
    const std::string& path, const std::string& old_path, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result, rocksdb::IODebugContext* debug) {
  // A rename, then the file opened truncated. Only WAL recycling uses it (off in fundtrail): the
  // new name is recorded as not durable, the old one as gone.
  if (!Operate()) return Crashed();
  std::unique_ptr<rocksdb::FSWritableFile> file;
  rocksdb::IOStatus status = target()->ReuseWritableFile(path, old_path, options, &file, debug);
  if (!status.ok()) return status;
  const std::string normal = Normalise(path);
  {
    std::lock_guard lock(mutex_);
    files_.erase(Normalise(old_path));
    files_[normal] = FileState{};
  }
  *result = std::make_unique<File>(this, normal, std::move(file));
  return status;
}

rocksdb::IOStatus FaultFileSystem::NewRandomRWFile(const std::string& path,
                                                   const rocksdb::FileOptions& options,
                                                   std::unique_ptr<rocksdb::FSRandomRWFile>* result,
                                                   rocksdb::IODebugContext* debug) {
  // Writes in place (RocksDB uses it only to stamp an ingested table's sequence number, which
  // fundtrail turns off): counted, not recorded.
  if (!Operate()) return Crashed();
  return target()->NewRandomRWFile(path, options, result, debug);
}

rocksdb::IOStatus FaultFileSystem::NewDirectory(const std::string& path,
                                                const rocksdb::IOOptions& options,
                                                std::unique_ptr<rocksdb::FSDirectory>* result,
                                                rocksdb::IODebugContext* debug) {
  std::unique_ptr<rocksdb::FSDirectory> directory;
  rocksdb::IOStatus status = target()->NewDirectory(path, options, &directory, debug);
  if (!status.ok()) return status;
  *result = std::make_unique<Directory>(this, Normalise(path), std::move(directory));
  return status;
}

rocksdb::IOStatus FaultFileSystem::DeleteFile(const std::string& path,
                                              const rocksdb::IOOptions& options,
                                              rocksdb::IODebugContext* debug) {
  if (!Operate()) return Crashed();
  rocksdb::IOStatus status = target()->DeleteFile(path, options, debug);
  if (!status.ok()) return status;
  const std::string normal = Normalise(path);
  std::lock_guard lock(mutex_);
  files_.erase(normal);
  // A rename into a name since deleted can no longer be undone; the deletion counts as durable.
  std::erase_if(renames_, [&](const PendingRename& rename) { return rename.target == normal; });
  return status;
}

rocksdb::IOStatus FaultFileSystem::Truncate(const std::string& path, size_t size,
                                            const rocksdb::IOOptions& options,
                                            rocksdb::IODebugContext* debug) {
  if (!Operate()) return Crashed();
  rocksdb::IOStatus status = target()->Truncate(path, size, options, debug);
  if (status.ok()) Truncated(Normalise(path), size);
  return status;
}

rocksdb::IOStatus FaultFileSystem::RenameFile(const std::string& source,
                                              const std::string& target_path,
                                              const rocksdb::IOOptions& options,
                                              rocksdb::IODebugContext* debug) {
  if (!Operate()) return Crashed();
  const std::string from = Normalise(source);
  const std::string to = Normalise(target_path);
  PendingRename rename{from, to, true, ReadWhole(to)};
  std::error_code error;
  const bool overwrites = std::filesystem::exists(to, error);
  rocksdb::IOStatus status = target()->RenameFile(source, target_path, options, debug);
  if (!status.ok()) return status;
  std::lock_guard lock(mutex_);
  FileState state = TrackLocked(from, /*created=*/false);
  rename.source_name_durable = state.name_durable;
  files_.erase(from);
  state.name_durable = false;
  files_[to] = state;
  // A large target cannot be given back; such a rename is taken as durable at once.
  if (overwrites && !rename.overwritten) {
    files_[to].name_durable = true;
    return status;
  }
  renames_.push_back(std::move(rename));
  return status;
}

rocksdb::IOStatus FaultFileSystem::LinkFile(const std::string& source,
                                            const std::string& target_path,
                                            const rocksdb::IOOptions& options,
                                            rocksdb::IODebugContext* debug) {
  if (!Operate()) return Crashed();
  rocksdb::IOStatus status = target()->LinkFile(source, target_path, options, debug);
  if (!status.ok()) return status;
  std::lock_guard lock(mutex_);
  FileState state = TrackLocked(Normalise(source), /*created=*/false);
  state.name_durable = false;
  files_[Normalise(target_path)] = state;
  return status;
}

Status FaultFileSystem::DropUnsyncedData() {
  std::lock_guard lock(mutex_);
  namespace fs = std::filesystem;
  std::error_code error;
  auto failed = [&](const std::string& what) {
    return Status::IoError("simulating the power loss: " + what + ": " + error.message());
  };
  // Renames not made durable, newest first: the file goes back to its old name, and an
  // overwritten target gets its earlier bytes back.
  for (auto rename = renames_.rbegin(); rename != renames_.rend(); ++rename) {
    fs::rename(rename->target, rename->source, error);
    if (error) return failed("undoing the rename of " + rename->source);
    auto moved = files_.extract(rename->target);
    if (!moved.empty()) {
      moved.key() = rename->source;
      moved.mapped().name_durable = rename->source_name_durable;
      files_.insert(std::move(moved));
    }
    if (rename->overwritten) {
      std::ofstream out(rename->target, std::ios::binary | std::ios::trunc);
      out << *rename->overwritten;
      if (!out) return Status::IoError("simulating the power loss: restoring " + rename->target);
      files_.erase(rename->target);  // durable as it was
    }
    ++drop_counts_.renames_undone;
  }
  renames_.clear();
  for (const auto& [path, state] : files_) {
    if (!state.name_durable) {
      fs::remove(path, error);
      if (error) return failed("removing " + path);
      ++drop_counts_.files_deleted;
      continue;
    }
    const uint64_t size = RealSize(path);
    if (size > state.synced_size_bytes) {
      fs::resize_file(path, state.synced_size_bytes, error);
      if (error) return failed("truncating " + path);
      ++drop_counts_.files_truncated;
      drop_counts_.bytes_discarded += size - state.synced_size_bytes;
    }
  }
  files_.clear();
  crashed_ = false;
  crash_at_operation_.reset();
  return Status::Ok();
}

}  // namespace fundtrail
