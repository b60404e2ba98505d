// Small byte helpers: hex, big-endian integers, digests.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "ledger/status.h"

namespace fundtrail {

using Digest = std::array<uint8_t, 32>;  // a SHA-256 output
inline constexpr size_t kDigestSizeBytes = 32;
using ByteSpan = std::span<const uint8_t>;

inline ByteSpan AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Lowercase hex, two characters per byte.
std::string HexEncode(ByteSpan bytes);
// Accepts upper- and lowercase hex; rejects odd lengths and other characters.
Result<std::string> HexDecode(std::string_view hex);

inline void PutBigEndian64(uint64_t value, uint8_t* out) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<uint8_t>(value & 0xff);
    value >>= 8;
  }
}

inline uint64_t GetBigEndian64(const uint8_t* in) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | in[i];
  return value;
}

// An 8-byte big-endian key, so that RocksDB's bytewise order is sequence order.
inline std::string SequenceKey(uint64_t sequence) {
  std::string key(8, '\0');
  PutBigEndian64(sequence, reinterpret_cast<uint8_t*>(key.data()));
  return key;
}

}  // namespace fundtrail
