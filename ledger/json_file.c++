#include "ledger/json_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

namespace fundtrail {

Result<uint64_t> CheckRegularFile(const std::string& path, const std::string& what, uint64_t size_bytes_max) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    return Error(Status::NotFound("cannot open " + what + " " + path + ": " + std::strerror(errno)));
  }
  if (S_ISDIR(info.st_mode)) {
    return Error(Status::InvalidArgument(what + " " + path + " is a directory, not a file: give the file's path"));
  }
  if (!S_ISREG(info.st_mode)) {
    return Error(Status::InvalidArgument(what + " " + path + " is not a regular file"));
  }
  uint64_t size_bytes = static_cast<uint64_t>(info.st_size);
  if (size_bytes > size_bytes_max) {
    return Error(Status::InvalidArgument(what + " " + path + " is " + std::to_string(size_bytes) +
                                         " bytes, more than the " + std::to_string(size_bytes_max) +
                                         " a " + what + " may have"));
  }
  return size_bytes;
}

namespace {

// nlohmann's messages start with "[json.exception.parse_error.101] "; the rest is for people.
std::string ParserMessage(const nlohmann::json::exception& error) {
  std::string message = error.what();
  if (auto end = message.find("] "); message.starts_with("[json.exception.") && end != std::string::npos) {
    message = message.substr(end + 2);
  }
  // "number overflow parsing '1000…(400 digits)…'": the number itself is not worth printing whole.
  constexpr size_t kQuotedSizeMax = 24;
  if (auto quote = message.find('\''); quote != std::string::npos && message.size() > quote + kQuotedSizeMax + 2) {
    message = message.substr(0, quote + 1 + kQuotedSizeMax) + "...' (" + std::to_string(message.size() - quote - 2) +
              " characters)";
  }
  return message;
}

}  // namespace

// A SAX pass that builds nothing and checks what nlohmann's DOM parser lets through: a key twice
// in one object (nlohmann keeps the last, so `{"amount": "1.00 CNY", "amount": "9.00 CNY"}`
// would silently mean 9.00) and the depth. Linear in the input (nlohmann's callback parser is
// quadratic in the length of an array of objects, so it is not used).
class StrictnessCheck {
 public:
  using json = nlohmann::json;
  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(json::number_integer_t) { return true; }
  bool number_unsigned(json::number_unsigned_t) { return true; }
  bool number_float(json::number_float_t, const json::string_t&) { return true; }
  bool string(json::string_t&) { return true; }
  bool binary(json::binary_t&) { return true; }
  bool start_object(std::size_t) { return Open(true); }
  bool end_object() { return Close(); }
  bool start_array(std::size_t) { return Open(false); }
  bool end_array() { return Close(); }
  bool key(json::string_t& name) {
    if (!keys_.back().insert(name).second) {
      problem_ = "key \"" + name + "\" appears twice in one object; give each key once";
      return false;
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }
  const std::string& problem() const { return problem_; }

 private:
  bool Open(bool object) {
    if (keys_.size() >= static_cast<size_t>(kJsonDepthMax)) {
      problem_ = "arrays and objects nest more than " + std::to_string(kJsonDepthMax) + " deep";
      return false;
    }
    keys_.emplace_back();  // arrays get an unused set, so that the stack matches the nesting
    (void)object;
    return true;
  }
  bool Close() {
    FT_ASSERT(!keys_.empty());
    keys_.pop_back();
    return true;
  }
  std::vector<std::set<std::string>> keys_;
  std::string problem_;
};

Result<nlohmann::json> ParseJson(std::string_view text, const std::string& where) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& error) {
    // Besides syntax errors: out_of_range 406 for a number beyond a double (1e400).
    return Error(Status::InvalidArgument(where + " is not JSON: " + ParserMessage(error)));
  }
  StrictnessCheck check;
  if (!nlohmann::json::sax_parse(text, &check)) {
    FT_ASSERT(!check.problem().empty());
    return Error(Status::InvalidArgument(where + ": " + check.problem()));
  }
  return json;
}

Result<nlohmann::json> ReadJsonFile(const std::string& path, const std::string& what) {
  auto size = CheckRegularFile(path, what, kJsonFileSizeBytesMax);
  if (!size) return Error(size.error());
  std::ifstream file(path, std::ios::binary);
  if (!file) return Error(Status::NotFound("cannot open " + what + " " + path));
  std::string text(*size, '\0');
  if (!file.read(text.data(), static_cast<std::streamsize>(text.size()))) {
    return Error(Status::IoError("cannot read " + what + " " + path));
  }
  return ParseJson(text, path);
}

namespace {

Status IoErrorFor(const std::string& what, const std::string& path) {
  return Status::IoError("cannot " + what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

Status WriteFileAtomically(const std::string& path, std::string_view content) {
  auto slash = path.rfind('/');
  std::string directory = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  std::string temporary = path + ".tmp-" + std::to_string(::getpid());
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoErrorFor("create", temporary);
  size_t written = 0;
  while (written < content.size()) {
    ssize_t count = ::write(fd, content.data() + written, content.size() - written);
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) {
      Status status = IoErrorFor("write", temporary);
      ::close(fd);
      ::unlink(temporary.c_str());
      return status;
    }
    written += static_cast<size_t>(count);
  }
  FT_ASSERT(written == content.size());
  // The data must be on disk before the rename makes it the file, or a crash could leave an
  // empty file under the old name.
  if (::fsync(fd) != 0) {
    Status status = IoErrorFor("sync", temporary);
    ::close(fd);
    ::unlink(temporary.c_str());
    return status;
  }
  ::close(fd);
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    Status status = IoErrorFor("rename " + temporary + " to", path);
    ::unlink(temporary.c_str());
    return status;
  }
  // The rename itself is durable only once the directory is synced.
  int directory_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (directory_fd < 0) return IoErrorFor("open directory", directory);
  int synced = ::fsync(directory_fd);
  ::close(directory_fd);
  if (synced != 0) return IoErrorFor("sync directory", directory);
  return Status::Ok();
}

Result<JsonFieldReader> JsonFieldReader::Open(const nlohmann::json& object, std::string where) {
  if (!object.is_object()) return Error(Status::InvalidArgument(where + " must be a JSON object"));
  return JsonFieldReader(&object, std::move(where));
}

Status JsonFieldReader::FieldError(const char* name, const std::string& problem) const {
  return Status::InvalidArgument(where_ + ": field \"" + name + "\" " + problem);
}

Result<const nlohmann::json*> JsonFieldReader::Field(const char* name) {
  known_.insert(name);
  auto found = object_->find(name);
  if (found == object_->end()) return Error(FieldError(name, "is missing"));
  return &*found;
}

Result<std::string> JsonFieldReader::Hex(const char* name, size_t size_bytes) {
  auto field = Field(name);
  if (!field) return Error(field.error());
  std::string want = "must be " + std::to_string(size_bytes * 2) + " hex digits";
  if (!(*field)->is_string()) return Error(FieldError(name, want));
  auto raw = HexDecode((*field)->get<std::string>());
  if (!raw || raw->size() != size_bytes) return Error(FieldError(name, want));
  return *raw;
}

Result<Digest> JsonFieldReader::HexDigest(const char* name) {
  auto raw = Hex(name, 32);
  if (!raw) return Error(raw.error());
  Digest digest;
  std::memcpy(digest.data(), raw->data(), digest.size());
  return digest;
}

Result<uint64_t> JsonFieldReader::Unsigned(const char* name) {
  auto field = Field(name);
  if (!field) return Error(field.error());
  // A parsed "5" is unsigned, but a number set from a C++ int is signed: accept both when >= 0.
  bool fits = (*field)->is_number_unsigned() || ((*field)->is_number_integer() && (*field)->get<int64_t>() >= 0);
  if (!fits) return Error(FieldError(name, "must be a whole number >= 0"));
  return (*field)->get<uint64_t>();
}

Result<int64_t> JsonFieldReader::Integer(const char* name) {
  auto field = Field(name);
  if (!field) return Error(field.error());
  // nlohmann stores numbers above INT64_MAX as unsigned; they do not fit.
  bool fits =
      (*field)->is_number_integer() && ((*field)->is_number_unsigned() ? (*field)->get<uint64_t>() <= INT64_MAX : true);
  if (!fits) return Error(FieldError(name, "must be a whole number"));
  return (*field)->get<int64_t>();
}

Result<std::string> JsonFieldReader::String(const char* name) {
  auto field = Field(name);
  if (!field) return Error(field.error());
  if (!(*field)->is_string() || (*field)->get<std::string>().empty()) {
    return Error(FieldError(name, "must be a non-empty string"));
  }
  return (*field)->get<std::string>();
}

Result<const nlohmann::json*> JsonFieldReader::Array(const char* name) {
  auto field = Field(name);
  if (!field) return Error(field.error());
  if (!(*field)->is_array()) return Error(FieldError(name, "must be a JSON array"));
  return *field;
}

Status JsonFieldReader::CheckNoOtherFields() const {
  for (const auto& [name, value] : object_->items()) {
    if (known_.contains(name)) continue;
    std::string known;
    for (const auto& field : known_) known += (known.empty() ? "" : ", ") + field;
    return Status::InvalidArgument(where_ + ": unknown field \"" + name + "\" (known: " + known + ")");
  }
  return Status::Ok();
}

}  // namespace fundtrail
