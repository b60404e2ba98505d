#include "ledger/dates.h"

#include <chrono>
#include <cstdio>

namespace fundtrail {

Result<int32_t> ParseDate(std::string_view text) {
  auto bad = [&] {
    return Error(Status::InvalidArgument("\"" + std::string(text) +
                                         "\" is not a date; write YYYY-MM-DD, e.g. 2024-11-30"));
  };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return bad();
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (text[i] < '0' || text[i] > '9') return bad();
  }
  auto number = [&](size_t at, size_t size) {
    int value = 0;
    for (size_t i = at; i < at + size; ++i) value = value * 10 + (text[i] - '0');
    return value;
  };
  int year = number(0, 4), month = number(5, 2), day = number(8, 2);
  if (year < 1900 || year > 2999) {
    return Error(Status::InvalidArgument("\"" + std::string(text) +
                                         "\": year out of range 1900..2999"));
  }
  using namespace std::chrono;
  year_month_day date{std::chrono::year(year), std::chrono::month(month), std::chrono::day(day)};
  if (!date.ok()) {
    return Error(Status::InvalidArgument("\"" + std::string(text) + "\" is not a calendar date"));
  }
  return static_cast<int32_t>(sys_days(date).time_since_epoch().count());
}

std::string FormatDate(int32_t days_since_epoch) {
  using namespace std::chrono;
  year_month_day date{sys_days(days(days_since_epoch))};
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return buffer;
}

std::string FormatTimestamp(int64_t micros_since_epoch) {
  int64_t seconds = micros_since_epoch / 1000000;
  int64_t micros = micros_since_epoch % 1000000;
  if (micros < 0) {
    micros += 1000000;
    seconds -= 1;
  }
  int64_t days = seconds / 86400;
  int64_t second_of_day = seconds % 86400;
  if (second_of_day < 0) {
    second_of_day += 86400;
    days -= 1;
  }
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%sT%02d:%02d:%02d.%06dZ",
                FormatDate(static_cast<int32_t>(days)).c_str(),
                static_cast<int>(second_of_day / 3600), static_cast<int>(second_of_day / 60 % 60),
                static_cast<int>(second_of_day % 60), static_cast<int>(micros));
  return buffer;
}

int64_t SystemClock::NowMicros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace fundtrail
