#include "ledger/money.h"

#include <array>
#include <utility>

namespace fundtrail {

namespace {

constexpr std::array<std::pair<std::string_view, int>, 14> kCurrencies = {{
    {"CNY", 2}, {"USD", 2}, {"EUR", 2}, {"HKD", 2}, {"MOP", 2}, {"TWD", 2}, {"GBP", 2},
    {"CHF", 2}, {"SGD", 2}, {"AUD", 2}, {"CAD", 2}, {"JPY", 0}, {"KRW", 0}, {"RUB", 2},
}};

// The decimal form of `minor_units` with `exponent` digits after the point, the integer part's
// thousands separated by commas when `grouped`: "-1,234,567.89". Written from the right into a
// buffer, so that the result is the one allocation (none for the short ones); histories format
// five amounts a row.
std::string Decimal(int64_t minor_units, int exponent, bool grouped) {
  // 20 digits at the most, 6 commas, a point and a sign.
  constexpr int kExponentMax = 4;
  FT_ASSERT(exponent >= 0);
  FT_ASSERT(exponent <= kExponentMax);
  char buffer[32];
  char* const end = buffer + sizeof buffer;
  char* first = end;
  const bool negative = minor_units < 0;
  // Work in unsigned so that INT64_MIN formats correctly.
  uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(minor_units) : static_cast<uint64_t>(minor_units);
  for (int i = 0; i < exponent; ++i, magnitude /= 10) *--first = static_cast<char>('0' + magnitude % 10);
  if (exponent > 0) *--first = '.';
  for (int digits = 0; digits == 0 || magnitude > 0; ++digits, magnitude /= 10) {
    if (grouped && digits > 0 && digits % 3 == 0) *--first = ',';
    *--first = static_cast<char>('0' + magnitude % 10);
  }
  if (negative) *--first = '-';
  FT_ASSERT(first >= buffer);
  return std::string(first, end);
}

}  // namespace

std::optional<int> CurrencyExponent(std::string_view currency) {
  for (const auto& [code, exponent] : kCurrencies) {
    if (code == currency) return exponent;
  }
  return std::nullopt;
}

Result<Money> ParseMoney(std::string_view text) {
  auto quoted = "\"" + std::string(text) + "\"";
  size_t space = text.find(' ');
  if (space == std::string_view::npos) {
    return Error(Status::InvalidArgument(quoted + " has no currency; write it as \"" +
                                         std::string(text) + " CNY\""));
  }
  std::string_view number = text.substr(0, space);
  std::string_view currency = text.substr(space + 1);
  auto exponent = CurrencyExponent(currency);
  if (!exponent) {
    return Error(Status::InvalidArgument(quoted + " has an unsupported currency \"" +
                                         std::string(currency) +
                                         "\" (supported: ISO 4217 codes such as CNY, USD, EUR)"));
  }
  if (number.empty()) return Error(Status::InvalidArgument(quoted + " has no amount"));
  if (number[0] == '-') return Error(Status::InvalidArgument(quoted + " is negative"));
  if (number[0] == '+') return Error(Status::InvalidArgument(quoted + " must not carry a sign"));
  size_t point = number.find('.');
  std::string_view whole = number.substr(0, point);
  std::string_view fraction =
      point == std::string_view::npos ? std::string_view() : number.substr(point + 1);
  if (whole.empty() || (point != std::string_view::npos && fraction.empty())) {
    return Error(Status::InvalidArgument(quoted + " is not a decimal amount like 1250.00"));
  }
  for (std::string_view part : {whole, fraction}) {
    for (char c : part) {
      if (c == ',') {
        return Error(Status::InvalidArgument(quoted + " has a thousands separator; write 1250000.00"));
      }
      if (c < '0' || c > '9') {
        return Error(Status::InvalidArgument(quoted + " is not a decimal amount like 1250.00"));
      }
    }
  }
  if (static_cast<int>(fraction.size()) > *exponent) {
    return Error(Status::InvalidArgument(quoted + " has " + std::to_string(fraction.size()) +
                                         " decimals, " + std::string(currency) + " allows " +
                                         std::to_string(*exponent)));
  }
  int64_t value = 0;
  auto overflow = [&] {
    return Error(Status::InvalidArgument(quoted + " is too large (the limit is 92233720368547758.07 " +
                                         "for a currency with 2 decimals)"));
  };
  for (char c : whole) {
    if (__builtin_mul_overflow(value, 10, &value) || __builtin_add_overflow(value, c - '0', &value)) {
      return overflow();
    }
  }
  for (int i = 0; i < *exponent; ++i) {
    int digit = i < static_cast<int>(fraction.size()) ? fraction[i] - '0' : 0;
    if (__builtin_mul_overflow(value, 10, &value) || __builtin_add_overflow(value, digit, &value)) {
      return overflow();
    }
  }
  return Money{value, std::string(currency)};
}

std::string FormatMoneyPlain(const Money& money) {
  return Decimal(money.minor_units, CurrencyExponent(money.currency).value_or(2), /*grouped=*/false) + " " +
         money.currency;
}

std::string FormatAmountGrouped(int64_t minor_units, std::string_view currency) {
  return Decimal(minor_units, CurrencyExponent(currency).value_or(2), /*grouped=*/true);
}

std::string FormatMoneyGrouped(const Money& money) {
  return FormatAmountGrouped(money.minor_units, money.currency) + " " + money.currency;
}

}  // namespace fundtrail
