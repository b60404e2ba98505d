// ISO 8601 calendar dates (YYYY-MM-DD, UTC days) and UTC time stamps.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ledger/status.h"

namespace fundtrail {

// Days since 1970-01-01 of a valid YYYY-MM-DD date (years 1900..2999).
Result<int32_t> ParseDate(std::string_view text);
std::string FormatDate(int32_t days_since_epoch);

// "2026-11-28T13:25:52.123456Z" from microseconds since the Unix epoch.
std::string FormatTimestamp(int64_t micros_since_epoch);

// A clock is passed in, never read globally, so tests can fix time.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMicros() = 0;  // microseconds since the epoch, UTC
};

class SystemClock : public Clock {
 public:
  int64_t NowMicros() override;
};

}  // namespace fundtrail
