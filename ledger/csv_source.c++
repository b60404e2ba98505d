#include "ledger/csv_source.h"

#include <errno.h>
#include <iconv.h>

#include <algorithm>
#include <cctype>

namespace fundtrail {

namespace {

std::string HexByte(unsigned char byte) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  return std::string("0x") + kDigits[byte >> 4] + kDigits[byte & 15];
}

// Checks `bytes` as UTF-8. Returns the offset of the first invalid sequence, or npos if none;
// `*complete` is the length of the prefix made of whole sequences (a sequence cut at the end of
// a chunk is not invalid, it continues in the next chunk).
size_t FindInvalidUtf8(std::string_view bytes, size_t* complete) {
  size_t i = 0;
  while (i < bytes.size()) {
    auto c = static_cast<unsigned char>(bytes[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t length = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (length == 0) return i;
    if (i + length > bytes.size()) {
      // Check what is there, so that an invalid byte is not mistaken for a cut sequence.
      for (size_t k = i + 1; k < bytes.size(); ++k) {
        if ((static_cast<unsigned char>(bytes[k]) & 0xC0) != 0x80) return i;
      }
      *complete = i;
      return std::string_view::npos;
    }
    for (size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(bytes[i + k]) & 0xC0) != 0x80) return i;
    }
    auto c1 = static_cast<unsigned char>(bytes[i + 1]);
    // Overlong forms, surrogates and code points above U+10FFFF.
    if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F) || (c == 0xF0 && c1 < 0x90) ||
        (c == 0xF4 && c1 > 0x8F)) {
      return i;
    }
    i += length;
  }
  *complete = i;
  return std::string_view::npos;
}

// Decodes GB18030 `input` into UTF-8 appended to `output` with `converter`. Returns the number
// of input bytes consumed (a sequence cut at the end stays for the next chunk), or the offset of
// an invalid sequence as an error.
Result<size_t> DecodeGb18030(iconv_t converter, std::string_view input, std::string* output) {
  char* in = const_cast<char*>(input.data());
  size_t in_left = input.size();
  while (in_left > 0) {
    char buffer[16384];
    char* out = buffer;
    size_t out_left = sizeof(buffer);
    size_t converted = iconv(converter, &in, &in_left, &out, &out_left);
    output->append(buffer, out - buffer);
    if (converted != static_cast<size_t>(-1)) break;
    if (errno == E2BIG) continue;
    if (errno == EINVAL) break;  // an incomplete sequence at the end
    return Error(Status::InvalidArgument(std::to_string(in - input.data())));
  }
  return static_cast<size_t>(in - input.data());
}

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

}  // namespace

std::string TextEncodingName(TextEncoding encoding) {
  switch (encoding) {
    case TextEncoding::kUtf8: return "utf-8";
    case TextEncoding::kUtf8Bom: return "utf-8-bom";
    case TextEncoding::kGb18030: return "gb18030";
  }
  return "?";
}

Result<TextEncoding> ParseTextEncoding(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "utf-8" || lower == "utf8") return TextEncoding::kUtf8;
  if (lower == "utf-8-bom" || lower == "utf8-bom" || lower == "utf-8-sig") return TextEncoding::kUtf8Bom;
  if (lower == "gb18030" || lower == "gbk" || lower == "gb2312" || lower == "cp936") return TextEncoding::kGb18030;
  return Error(Status::InvalidArgument("unknown encoding \"" + std::string(name) +
                                       "\"; use utf-8, utf-8-bom, gb18030 or gbk"));
}

Result<TextEncoding> DetectTextEncoding(const std::string& path) {
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) return Error(Status::NotFound("cannot open " + path));
  std::string chunk(CsvSource::kChunkSizeBytes, '\0');
  std::string carry;
  uint64_t offset = 0;  // of carry's first byte in the file
  bool first = true;
  size_t invalid_at = std::string_view::npos;
  unsigned char invalid_byte = 0;
  for (;;) {
    size_t read = std::fread(chunk.data(), 1, chunk.size(), file.get());
    if (read == 0) break;
    std::string bytes = carry + chunk.substr(0, read);
    if (first) {
      first = false;
      if (bytes.starts_with("\xEF\xBB\xBF")) return TextEncoding::kUtf8Bom;
      if (bytes.starts_with("\xFF\xFE") || bytes.starts_with("\xFE\xFF")) {
        return Error(Status::InvalidArgument(path + ": the file is UTF-16, which import does not read; "
                                             "save it as UTF-8 (or GBK) CSV"));
      }
    }
    if (bytes.find('\0') != std::string::npos) {
      return Error(Status::InvalidArgument(
          path + ": byte 0x00 at offset " + std::to_string(offset + bytes.find('\0')) +
          ": this is no text file in UTF-8 or GB18030/GBK (UTF-16 or binary?); save it as UTF-8 CSV"));
    }
    size_t complete = 0;
    invalid_at = FindInvalidUtf8(bytes, &complete);
    if (invalid_at != std::string_view::npos) {
      invalid_byte = static_cast<unsigned char>(bytes[invalid_at]);
      invalid_at += offset;
      break;
    }
    carry = bytes.substr(complete);
    offset += complete;
  }
  if (std::ferror(file.get())) return Error(Status::IoError("cannot read " + path));
  if (invalid_at == std::string_view::npos) {
    if (!carry.empty()) {
      invalid_at = offset;  // a sequence cut by the end of the file
      invalid_byte = static_cast<unsigned char>(carry[0]);
    } else {
      return TextEncoding::kUtf8;
    }
  }
  // Not UTF-8: the whole file must decode as GB18030.
  std::rewind(file.get());
  iconv_t converter = iconv_open("UTF-8", "GB18030");
  FT_ASSERT(converter != reinterpret_cast<iconv_t>(-1), "glibc iconv has GB18030");
  std::string decoded;
  carry.clear();
  offset = 0;
  Status failure;
  for (;;) {
    size_t read = std::fread(chunk.data(), 1, chunk.size(), file.get());
    if (read == 0) break;
    std::string bytes = carry + chunk.substr(0, read);
    decoded.clear();
    auto consumed = DecodeGb18030(converter, bytes, &decoded);
    if (!consumed) {
      uint64_t at = offset + std::stoull(consumed.error().message());
      failure = Status::InvalidArgument(
          path + ": cannot detect the encoding: byte " + HexByte(invalid_byte) + " at offset " +
          std::to_string(invalid_at) + " is not UTF-8, and byte " + HexByte(static_cast<unsigned char>(bytes[at - offset])) +
          " at offset " + std::to_string(at) + " is not GB18030/GBK either; save the file as UTF-8 CSV, or pass "
          "--encoding if you know it");
      break;
    }
    carry = bytes.substr(*consumed);
    offset += *consumed;
  }
  iconv_close(converter);
  if (!failure.ok()) return Error(failure);
  if (!carry.empty()) {
    return Error(Status::InvalidArgument(path + ": cannot detect the encoding: the file ends inside a "
                                         "multi-byte character; save it as UTF-8 CSV"));
  }
  return TextEncoding::kGb18030;
}

Result<std::unique_ptr<CsvSource>> CsvSource::Open(const std::string& path, TextEncoding encoding,
                                                   char delimiter) {
  std::unique_ptr<CsvSource> source(new CsvSource());
  source->path_ = path;
  source->encoding_ = encoding;
  source->delimiter_ = delimiter;
  source->file_ = std::fopen(path.c_str(), "rb");
  if (source->file_ == nullptr) return Error(Status::NotFound("cannot open " + path));
  if (encoding == TextEncoding::kGb18030) {
    iconv_t converter = iconv_open("UTF-8", "GB18030");
    FT_ASSERT(converter != reinterpret_cast<iconv_t>(-1), "glibc iconv has GB18030");
    source->iconv_ = converter;
  }
  return source;
}

CsvSource::~CsvSource() {
  if (iconv_ != nullptr) iconv_close(static_cast<iconv_t>(iconv_));
  if (file_ != nullptr) std::fclose(file_);
}

Result<bool> CsvSource::Refill() {
  text_.clear();
  position_ = 0;
  while (text_.empty()) {
    std::string chunk(kChunkSizeBytes, '\0');
    size_t read = std::fread(chunk.data(), 1, chunk.size(), file_);
    if (read == 0) {
      if (std::ferror(file_)) return Error(Status::IoError("cannot read " + path_));
      if (!raw_.empty()) {
        return Error(Status::InvalidArgument(path_ + ": the file ends inside a multi-byte " +
                                             TextEncodingName(encoding_) + " character"));
      }
      at_end_ = true;
      return false;
    }
    uint64_t offset = bytes_read_ - raw_.size();  // of raw_'s first byte
    bytes_read_ += read;
    std::string bytes = raw_ + chunk.substr(0, read);
    if (offset == 0 && encoding_ == TextEncoding::kUtf8Bom) {
      if (!bytes.starts_with("\xEF\xBB\xBF")) {
        return Error(Status::InvalidArgument(path_ + ": --encoding utf-8-bom, but the file has no byte-order mark"));
      }
      bytes.erase(0, 3);
      offset = 3;
    } else if (offset == 0 && bytes.starts_with("\xEF\xBB\xBF")) {
      bytes.erase(0, 3);  // a BOM is no part of the first header
      offset = 3;
    }
    if (encoding_ == TextEncoding::kGb18030) {
      auto consumed = DecodeGb18030(static_cast<iconv_t>(iconv_), bytes, &text_);
      if (!consumed) {
        uint64_t at = offset + std::stoull(consumed.error().message());
        return Error(Status::InvalidArgument(path_ + ": line " + std::to_string(line_) + ": byte offset " +
                                             std::to_string(at) + " is not valid GB18030/GBK; is the file in "
                                             "another encoding? (try --encoding utf-8)"));
      }
      raw_ = bytes.substr(*consumed);
    } else {
      size_t complete = 0;
      size_t invalid = FindInvalidUtf8(bytes, &complete);
      if (invalid != std::string_view::npos) {
        return Error(Status::InvalidArgument(
            path_ + ": byte " + HexByte(static_cast<unsigned char>(bytes[invalid])) + " at offset " +
            std::to_string(offset + invalid) + " is not valid UTF-8; if the file is GBK, pass --encoding gbk"));
      }
      text_.append(bytes, 0, complete);
      raw_ = bytes.substr(complete);
    }
    if (text_.find('\0') != std::string::npos) {
      return Error(Status::InvalidArgument(path_ + ": the file holds a NUL character; it is no CSV text"));
    }
  }
  return true;
}

Result<bool> CsvSource::Next(CsvRecord* record) {
  record->line = line_;
  // The record's strings are reused from the last record, so that reading allocates little.
  std::vector<std::string>& fields = record->fields;
  size_t count = 0;
  enum class State { kFieldStart, kUnquoted, kQuoted, kQuoteInQuoted };
  State state = State::kFieldStart;
  std::string field;
  auto finish_field = [&] {
    if (count < fields.size()) {
      fields[count].swap(field);
    } else {
      fields.push_back(std::move(field));
    }
    ++count;
    field.clear();
  };
  size_t record_size = 0;
  bool any = false;
  for (;;) {
    if (position_ == text_.size()) {
      if (at_end_) break;
      auto more = Refill();
      if (!more) return Error(more.error());
      if (!*more) break;
    }
    if (state == State::kUnquoted || state == State::kQuoted) {
      // A run of ordinary characters is copied at once.
      const char* data = text_.data();
      size_t end = position_;
      char special = state == State::kUnquoted ? delimiter_ : '"';
      while (end < text_.size() && data[end] != special && data[end] != '\n' && data[end] != '\r') ++end;
      if (end > position_) {
        field.append(data + position_, end - position_);
        record_size += end - position_;
        position_ = end;
        any = true;
        if (record_size > kRecordSizeBytesMax) {
          return Error(Status::InvalidArgument(path_ + ": line " + std::to_string(record->line) +
                                               ": a record longer than 1 MiB; is a quote not closed?"));
        }
        continue;
      }
    }
    char c = text_[position_++];
    any = true;
    if (++record_size > kRecordSizeBytesMax) {
      return Error(Status::InvalidArgument(path_ + ": line " + std::to_string(record->line) +
                                           ": a record longer than 1 MiB; is a quote not closed?"));
    }
    switch (state) {
      case State::kFieldStart:
      case State::kUnquoted:
        if (c == '"' && state == State::kFieldStart) {
          state = State::kQuoted;
        } else if (c == delimiter_) {
          finish_field();
          state = State::kFieldStart;
        } else if (c == '\n' || c == '\r') {
          ++line_;
          // A CR ends the record too (old Mac files); the LF of a CRLF is skipped here.
          if (c == '\r') {
            finish_field();
            fields.resize(count);
            if (position_ < text_.size()) {
              if (text_[position_] == '\n') ++position_;
            } else if (!at_end_) {
              auto more = Refill();
              if (!more) return Error(more.error());
              if (*more && text_[0] == '\n') ++position_;
            }
            return true;
          }
          finish_field();
          fields.resize(count);
          return true;
        } else {
          field.push_back(c);
          state = State::kUnquoted;
        }
        break;
      case State::kQuoted:
        if (c == '"') {
          state = State::kQuoteInQuoted;
        } else if (c == '\r') {
          // A CRLF inside a quoted field is one line break: keep the LF only.
          if (position_ == text_.size() && !at_end_) {
            auto more = Refill();
            if (!more) return Error(more.error());
          }
          if (position_ < text_.size() && text_[position_] == '\n') continue;
          field.push_back('\n');
          ++line_;
        } else {
          if (c == '\n') ++line_;
          field.push_back(c);
        }
        break;
      case State::kQuoteInQuoted:
        if (c == '"') {
          field.push_back('"');
          state = State::kQuoted;
        } else if (c == delimiter_) {
          finish_field();
          state = State::kFieldStart;
        } else if (c == '\n' || c == '\r') {
          --position_;  // ends the record like an unquoted line break
          state = State::kUnquoted;
        } else {
          return Error(Status::InvalidArgument(
              path_ + ": line " + std::to_string(line_) + ": text after the closing quote of field " +
              std::to_string(count + 1) + "; a quote inside a quoted field is written twice (\"\")"));
        }
        break;
    }
  }
  if (state == State::kQuoted) {
    return Error(Status::InvalidArgument(path_ + ": line " + std::to_string(record->line) +
                                         ": a quoted field is not closed before the end of the file"));
  }
  if (!any) return false;
  finish_field();
  fields.resize(count);
  return true;
}

}  // namespace fundtrail
