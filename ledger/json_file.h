// Small JSON files that people keep and pass around (tree heads, consistency proofs, witness
// policies, witness state): strict reading with errors that name the field, and atomic writing.
// Pure: nlohmann-json and POSIX only, for the standalone verifier too.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>

#include "ledger/bytes.h"
#include "ledger/status.h"

namespace fundtrail {

// Bounds on what a reader accepts from a file someone else may have written. A JSON file here
// (a head, a policy, a proof) is at most a few MiB; an inclusion proof carries whole submissions
// (each under 4 MiB as bytes, 8 MiB as hex) for a handful of signers.
inline constexpr uint64_t kJsonFileSizeBytesMax = uint64_t{64} << 20;
// Arrays and objects nest no deeper than this; the formats here nest at most 4 deep.
inline constexpr int kJsonDepthMax = 32;

// Checks that `path` names a regular file (not a directory, a device or a FIFO) of at most
// `size_bytes_max` bytes and returns its size. NotFound "cannot open <what> PATH: <reason>";
// InvalidArgument "<what> PATH is a directory, not a file" or "... is N bytes, more than the M a
// <what> may have".
Result<uint64_t> CheckRegularFile(const std::string& path, const std::string& what,
                                  uint64_t size_bytes_max);

// Parses `text` as one JSON value, strictly: a key twice in one object, a number that does not fit
// a double (10^400), nesting deeper than kJsonDepthMax or anything the parser rejects is
// InvalidArgument "<where>: <why>", never an exception. Integers keep nlohmann's types: whole
// numbers up to 2^64 - 1 are integers, others are floats (which readers refuse where they want a
// whole number).
Result<nlohmann::json> ParseJson(std::string_view text, const std::string& where);

// Parses the file at `path` as JSON (CheckRegularFile with kJsonFileSizeBytesMax, then ParseJson).
// NotFound "cannot open head file PATH" (with `what` = "head file"), InvalidArgument "PATH is not
// JSON: <parser message>" (or a directory, too large, a duplicate key, ...).
Result<nlohmann::json> ReadJsonFile(const std::string& path, const std::string& what);

// Replaces `path` with `content` so that a crash leaves either the old file or the new one, never
// a mix: writes PATH.tmp-<pid> in the same directory, fsyncs it, renames it over `path` and fsyncs
// the directory. The new file has mode 0644.
Status WriteFileAtomically(const std::string& path, std::string_view content);

// Reads the fields of one JSON object and rejects the fields it was not asked for. Every error is
// InvalidArgument and starts with `where` (for example "witnesses[2]"), then names the field:
//   witnesses[2]: field "public_key" must be 64 hex digits
// Usage: read each field, then call CheckNoOtherFields() once.
// REQUIRES: `object` outlives this reader.
class JsonFieldReader {
 public:
  // InvalidArgument "<where> must be a JSON object" when it is not one.
  static Result<JsonFieldReader> Open(const nlohmann::json& object, std::string where);

  bool Has(const char* name) const { return object_->contains(name); }
  // Exactly `size_bytes` bytes given as 2 * size_bytes hex digits.
  Result<std::string> Hex(const char* name, size_t size_bytes);
  Result<Digest> HexDigest(const char* name);
  Result<uint64_t> Unsigned(const char* name);
  Result<int64_t> Integer(const char* name);
  // A non-empty string.
  Result<std::string> String(const char* name);
  // The field's JSON array. REQUIRES: the array outlives its use.
  Result<const nlohmann::json*> Array(const char* name);
  // Marks an informative field (such as "time") as known without reading it.
  void Skip(const char* name) { known_.insert(name); }

  // InvalidArgument "<where>: unknown field "x" (known: a, b, c)" for the first field not read.
  Status CheckNoOtherFields() const;

  // "<where>: field "<name>" <problem>", as an InvalidArgument status.
  Status FieldError(const char* name, const std::string& problem) const;

 private:
  JsonFieldReader(const nlohmann::json* object, std::string where)
      : object_(object), where_(std::move(where)) {}
  // The field, marked known; a "is missing" error when absent.
  Result<const nlohmann::json*> Field(const char* name);

  const nlohmann::json* object_;
  std::string where_;
  std::set<std::string> known_;
};

}  // namespace fundtrail
