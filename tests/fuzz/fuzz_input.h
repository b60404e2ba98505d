// Helpers shared by the libFuzzer targets (tests/fuzz/*-fuzz.c++), test code only.
//
// Each target is a thin LLVMFuzzerTestOneInput over one parser the product runs on input a user
// (or an attacker) hands it. A target returns 0 whatever the parser says: an error Status is the
// expected answer to bad input. What libFuzzer reports is a crash, a sanitizer finding, an
// assertion (FT_ASSERT) or a broken round trip (FUZZ_CHECK): each is a bug.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace fundtrail::fuzz {

// A property the parser promises on input it accepted (a round trip, a re-decode). Aborts, so
// that libFuzzer keeps the input as a crash.
#define FUZZ_CHECK(condition)                                                              \
  do {                                                                                     \
    if (!(condition)) {                                                                    \
      std::fprintf(stderr, "fuzz check failed: %s:%d: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                        \
    }                                                                                      \
  } while (false)

inline std::string_view AsView(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// One file per fuzzing process, rewritten with each input, for the parsers that read a path
// (heads, policies, proofs, bundles): the input reaches them exactly as a file would.
// The file is removed when the process exits normally.
class InputFile {
 public:
  InputFile() {
    const char* directory = std::getenv("TMPDIR");
    path_ = std::string(directory != nullptr && directory[0] != '\0' ? directory : "/tmp") +
            "/fundtrail-fuzz-XXXXXX";
    descriptor_ = mkstemp(path_.data());
    if (descriptor_ < 0) {
      std::perror("fundtrail fuzz: cannot create a temporary input file");
      std::abort();
    }
  }
  ~InputFile() {
    close(descriptor_);
    unlink(path_.c_str());
  }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  // Replaces the file's content with `data` and returns its path.
  const std::string& Write(const uint8_t* data, size_t size) {
    if (ftruncate(descriptor_, 0) != 0) std::abort();
    size_t written = 0;
    while (written < size) {
      ssize_t count = pwrite(descriptor_, data + written, size - written, static_cast<off_t>(written));
      if (count <= 0) std::abort();
      written += static_cast<size_t>(count);
    }
    return path_;
  }

 private:
  std::string path_;
  int descriptor_ = -1;
};

// The process's input file (a function-local static: created on first use).
inline InputFile& TheInputFile() {
  static InputFile file;
  return file;
}

}  // namespace fundtrail::fuzz
