// Reading a CSV export as a finance system writes it: the encoding detected (UTF-8, UTF-8 with a
// byte-order mark, GB18030/GBK) or forced, the bytes decoded to UTF-8 a chunk at a time, and the
// records split by RFC 4180 (quoted fields with "" escapes, commas and line breaks inside quotes,
// CRLF or LF). Memory is one chunk plus the record being read, however large the file.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/status.h"

namespace fundtrail {

enum class TextEncoding { kUtf8, kUtf8Bom, kGb18030 };

// "utf-8", "utf-8-bom", "gb18030".
std::string TextEncodingName(TextEncoding encoding);
// Accepts utf-8, utf8, utf-8-bom, gb18030, gbk, gb2312 (any case); GBK and GB2312 are subsets
// of GB18030, so all three decode as GB18030. Errors list the names accepted.
Result<TextEncoding> ParseTextEncoding(std::string_view name);

// Detects the encoding of `path` by reading it whole (streamed): a UTF-8 byte-order mark, else
// UTF-8 if every byte sequence is valid UTF-8, else GB18030 if the file decodes as GB18030.
// Anything else (UTF-16, binary, a mix) is an error that says how to fix it.
Result<TextEncoding> DetectTextEncoding(const std::string& path);

// One CSV record and the line of the file it starts on (1-based).
struct CsvRecord {
  std::vector<std::string> fields;
  uint64_t line = 0;
};

// Streams the records of a CSV file, decoded to UTF-8.
class CsvSource {
 public:
  // The largest record accepted, in bytes: a longer one is an error (a missing closing quote
  // would otherwise swallow the rest of the file into memory).
  static constexpr size_t kRecordSizeBytesMax = 1 << 20;
  static constexpr size_t kChunkSizeBytes = 1 << 20;

  // Opens `path` for reading in `encoding`.
  static Result<std::unique_ptr<CsvSource>> Open(const std::string& path, TextEncoding encoding,
                                                 char delimiter = ',');
  ~CsvSource();
  CsvSource(const CsvSource&) = delete;
  CsvSource& operator=(const CsvSource&) = delete;

  // Reads the next record into `record`; false at the end of the file. A record of blank
  // fields only (an empty line) is returned too; callers decide what blank means.
  Result<bool> Next(CsvRecord* record);

  TextEncoding encoding() const { return encoding_; }
  // Bytes of the file read so far.
  uint64_t bytes_read() const { return bytes_read_; }

 private:
  CsvSource() = default;
  // Refills `text_` with the next decoded chunk; false at the end of the file.
  Result<bool> Refill();

  std::string path_;
  TextEncoding encoding_ = TextEncoding::kUtf8;
  char delimiter_ = ',';
  std::FILE* file_ = nullptr;
  void* iconv_ = nullptr;  // iconv_t for GB18030
  std::string raw_;        // undecoded bytes carried to the next chunk (a split sequence)
  std::string text_;       // decoded UTF-8
  size_t position_ = 0;    // in text_
  uint64_t bytes_read_ = 0;
  uint64_t line_ = 1;
  bool at_end_ = false;
};

}  // namespace fundtrail
