// Foreign-currency payments: an amount paid in one currency, converted to a grant's currency at a
// decimal exchange rate, exactly and reproducibly (docs/FORMAT.md, section 5, "Foreign-currency
// payments"). Integer arithmetic only: the rate is kept as an integer of digits and a scale, and
// the product is rounded half to even at the target currency's minor unit.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ledger/status.h"

namespace fundtrail {

// A positive decimal: digits / 10^scale ("7.1234" is {71234, 4}).
struct ExchangeRate {
  uint64_t digits = 0;
  int scale = 0;
};

// At most 18 digits in all, so that `digits` < 10^18.
inline constexpr int kExchangeRateDigitsMax = 18;

// Parses a rate written as digits with an optional fraction: "7.1234", "0.0652", "151". No
// sign, exponent, separator or space; at least one digit on each side of the point; not zero.
// The message of an error describes the rate only; callers prefix the field.
Result<ExchangeRate> ParseExchangeRate(std::string_view text);

// original_minor (minor units of a currency with `from_decimals` decimals) times `rate`, in minor
// units of a currency with `to_decimals` decimals, rounded half to even. An error if
// original_minor is not positive or the result does not fit in int64.
// REQUIRES: 0 <= from_decimals, to_decimals <= 4; rate parsed by ParseExchangeRate.
Result<int64_t> ConvertMinorUnits(int64_t original_minor, int from_decimals,
                                  const ExchangeRate& rate, int to_decimals);

}  // namespace fundtrail
