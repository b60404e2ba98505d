// Exact money: integer minor units with an ISO 4217 currency. Never floating point.
//
// Users type and read decimals: "1250000.00 CNY". More decimals than the currency allows, a sign,
// thousands separators and amounts beyond int64 minor units are errors.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/status.h"

namespace fundtrail {

struct Money {
  int64_t minor_units = 0;
  std::string currency;
  bool operator==(const Money&) const = default;
};

// Number of decimals of a supported currency (CNY 2, JPY 0, ...), or nullopt if unsupported.
std::optional<int> CurrencyExponent(std::string_view currency);

// Parses "48000.00 CNY" (one space between amount and currency). The message of an error
// describes the amount only; callers prefix the location.
Result<Money> ParseMoney(std::string_view text);

// "1250000.00 CNY": the form ParseMoney accepts; used in JSON.
std::string FormatMoneyPlain(const Money& money);
// "1,250,000.00 CNY": for tables.
std::string FormatMoneyGrouped(const Money& money);
// "1,250,000.00" without the currency.
std::string FormatAmountGrouped(int64_t minor_units, std::string_view currency);

// Checked arithmetic: false on overflow.
inline bool AddMinorUnits(int64_t a, int64_t b, int64_t* sum) {
  return !__builtin_add_overflow(a, b, sum);
}

}  // namespace fundtrail
