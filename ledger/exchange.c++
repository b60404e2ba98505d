#include "ledger/exchange.h"

#include <limits>

namespace fundtrail {

namespace {

unsigned __int128 PowerOfTen(int exponent) {
  FT_ASSERT(exponent >= 0 && exponent <= 38);
  unsigned __int128 power = 1;
  for (int i = 0; i < exponent; ++i) power *= 10;
  return power;
}

}  // namespace

Result<ExchangeRate> ParseExchangeRate(std::string_view text) {
  auto invalid = [&](const std::string& why) {
    return Error(Status::InvalidArgument("exchange rate \"" + std::string(text) + "\" " + why +
                                         "; write it as digits with a decimal point, e.g. "
                                         "\"7.1234\""));
  };
  if (text.empty()) return invalid("is empty");
  ExchangeRate rate;
  size_t point = text.find('.');
  std::string_view whole = text.substr(0, point);
  std::string_view fraction =
      point == std::string_view::npos ? std::string_view() : text.substr(point + 1);
  if (whole.empty() || (point != std::string_view::npos && fraction.empty())) {
    return invalid("needs a digit on each side of the decimal point");
  }
  if (whole.size() + fraction.size() > kExchangeRateDigitsMax) {
    return invalid("has more than " + std::to_string(kExchangeRateDigitsMax) + " digits");
  }
  for (std::string_view part : {whole, fraction}) {
    for (char c : part) {
      if (c < '0' || c > '9') return invalid("contains " + std::string(1, c) + ", not a digit");
      rate.digits = rate.digits * 10 + static_cast<uint64_t>(c - '0');  // < 10^18: no overflow
    }
  }
  if (rate.digits == 0) return invalid("is zero");
  rate.scale = static_cast<int>(fraction.size());
  return rate;
}

Result<int64_t> ConvertMinorUnits(int64_t original_minor, int from_decimals,
                                  const ExchangeRate& rate, int to_decimals) {
  FT_ASSERT(from_decimals >= 0 && from_decimals <= 4);
  FT_ASSERT(to_decimals >= 0 && to_decimals <= 4);
  FT_ASSERT(rate.digits > 0 && rate.scale >= 0 && rate.scale < kExchangeRateDigitsMax);
  if (original_minor <= 0) return Error(Status::InvalidArgument("the original amount is not positive"));
  // value = original_minor / 10^from * digits / 10^scale, in units of 10^-to:
  //   original_minor * digits * 10^to / 10^(from + scale).
  // original_minor < 2^63, digits < 10^18 < 2^60 and 10^to <= 10^4 < 2^14 would reach 2^137,
  // so the product is checked; a result that large overflows int64 anyway.
  unsigned __int128 numerator = 0;
  if (__builtin_mul_overflow(static_cast<unsigned __int128>(original_minor),
                             static_cast<unsigned __int128>(rate.digits), &numerator) ||
      __builtin_mul_overflow(numerator, PowerOfTen(to_decimals), &numerator)) {
    return Error(Status::InvalidArgument("the converted amount overflows"));
  }
  const unsigned __int128 denominator = PowerOfTen(from_decimals + rate.scale);
  unsigned __int128 quotient = numerator / denominator;
  const unsigned __int128 remainder = numerator % denominator;
  // Half to even: more than half rounds up; exactly half rounds to the even neighbour.
  if (remainder * 2 > denominator || (remainder * 2 == denominator && (quotient & 1) == 1)) {
    ++quotient;
  }
  if (quotient > static_cast<unsigned __int128>(std::numeric_limits<int64_t>::max())) {
    return Error(Status::InvalidArgument("the converted amount overflows"));
  }
  return static_cast<int64_t>(quotient);
}

}  // namespace fundtrail
