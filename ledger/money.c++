#include "ledger/money.h"

#include <array>
#include <utility>

namespace fundtrail {

namespace {

constexpr std::array<std::pair<std::string_view, int>, 14> kCurrencies = {{
    {"CNY", 2}, {"USD", 2}, {"EUR", 2}, {"HKD", 2}, {"MOP", 2}, {"TWD", 2}, {"GBP", 2},
    {"CHF", 2}, {"SGD", 2}, {"AUD", 2}, {"CAD", 2}, {"JPY", 0}, {"KRW", 0}, {"RUB", 2},
}};

std::string GroupThousands(std::string digits) {
  std::string out;
  int count = 0;
  for (size_t i = digits.size(); i > 0; --i) {
    if (count > 0 && count % 3 == 0) out.insert(out.begin(), ',');
    out.insert(out.begin(), digits[i - 1]);
    ++count;
  }
  return out;
}

// Splits minor units into integer and fraction digit strings.
std::pair<std::string, std::string> SplitDigits(int64_t minor_units, int exponent) {
  bool negative = minor_units < 0;
  // Work in unsigned so that INT64_MIN formats correctly.
  uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(minor_units)
                                : static_cast<uint64_t>(minor_units);
  uint64_t scale = 1;
  for (int i = 0; i < exponent; ++i) scale *= 10;
  std::string whole = std::to_string(magnitude / scale);
  std::string fraction = std::to_string(magnitude % scale);
  if (exponent > 0) fraction.insert(0, exponent - fraction.size(), '0');
  if (negative) whole.insert(0, "-");
  return {whole, exponent > 0 ? fraction : ""};
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
  auto exponent = CurrencyExponent(money.currency).value_or(2);
  auto [whole, fraction] = SplitDigits(money.minor_units, exponent);
  return whole + (fraction.empty() ? "" : "." + fraction) + " " + money.currency;
}

std::string FormatAmountGrouped(int64_t minor_units, std::string_view currency) {
  auto exponent = CurrencyExponent(currency).value_or(2);
  auto [whole, fraction] = SplitDigits(minor_units, exponent);
  bool negative = !whole.empty() && whole[0] == '-';
  if (negative) whole.erase(0, 1);
  return (negative ? "-" : "") + GroupThousands(whole) + (fraction.empty() ? "" : "." + fraction);
}

std::string FormatMoneyGrouped(const Money& money) {
  return FormatAmountGrouped(money.minor_units, money.currency) + " " + money.currency;
}

}  // namespace fundtrail
