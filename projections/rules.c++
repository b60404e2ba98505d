// The misuse rules engine. See rules.h for the model (facts folded in, rules evaluated on
// demand) and docs/RULES.md for the catalogue.
//
// Memory: per entity (grant, organisation, vendor, project, task, agreement, body, outcome) a
// small record, plus one record per live money, outcome and review event. The per-event records
// are O(events) and are what the rules inherently need: duplicate and double-charging detection
// need every invoice, the windows of AN-2/AN-3 every payment date, TP-3's first-in-first-out
// ageing every disbursement, and every flag names its evidence by sequence number and chain hash.
// An expenditure, by far the most frequent event, is read from its canonical bytes (about 300 in
// the benchmark): a kHeld engine keeps them and an 80-byte record (StoredExpenditure); a kInLog
// engine (a rebuild, a catch-up) keeps nothing of it but a count, and neither does the snapshot:
// the log holds the bytes, and ReadExpenditures() reads them back before the rules run. Flags()
// reads them into ExpenditureFacts (288 bytes each, repeated ids shared) for as long as it runs.
//
// Speed: the fold runs for every event of a rebuild, beside the views' fold, and is held to 70% of
// the views' speed (docs/BENCHMARKS.md, figure 5). Apply therefore records facts only, into
// chunked arrays (LiveEvents) without a heap block per event, and copies an expenditure's bytes
// rather than reading its fields; Flags() reads them (each description in one pass, with
// DescriptionMatcher) and evaluates the rules.
//
// Exact arithmetic: money is int64 minor units; sums saturate instead of overflowing (AddMoney;
// an int64 holds about 9.2e16 CNY in fen, so only a hostile log gets there). Products of money and
// basis points, the z-test of AN-4 and Benford's MAD of AN-5 use __int128 with the bounds stated
// where they are computed. No floating point is used anywhere in this file.
#include "projections/rules.h"

#include <capnp/schema.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <climits>
#include <cstring>
#include <deque>
#include <set>
#include <tuple>
#include <unordered_map>

#include "ledger/dates.h"
#include "ledger/json_codec.h"
#include "ledger/money.h"
#include "projections/description_match.h"
#include "projections/episodes.h"
#include "projections/lexicon.h"

namespace fundtrail::projections {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;
using Which = schema::Event::Which;
using int128 = __int128;

// Evidence serialises as [sequence, "hex chain hash"]. Declared in this namespace (not the
// anonymous one) so that argument-dependent lookup finds it.
static void to_json(json& out, const Evidence& evidence) {
  out = json::array({evidence.sequence, HexEncode(evidence.chain_hash)});
}

static void from_json(const json& in, Evidence& evidence) {
  evidence.sequence = in.at(0).get<uint64_t>();
  auto hash = HexDecode(in.at(1).get<std::string>());
  if (!hash || hash->size() != evidence.chain_hash.size()) {
    throw std::invalid_argument("malformed chain hash " + in.at(1).dump());
  }
  std::copy(hash->begin(), hash->end(), evidence.chain_hash.begin());
}

namespace {

constexpr int32_t kNoDate = INT32_MIN;
constexpr int64_t kBasisPoints = 10000;  // 100%

std::string Str(capnp::Text::Reader text) { return std::string(text.cStr(), text.size()); }
std::string_view View(capnp::Text::Reader text) { return {text.cStr(), text.size()}; }

std::string_view TrimView(std::string_view text) {
  size_t begin = 0, end = text.size();
  while (begin < end && (text[begin] == ' ' || text[begin] == '\t')) ++begin;
  while (end > begin && (text[end - 1] == ' ' || text[end - 1] == '\t')) --end;
  return text.substr(begin, end - begin);
}

std::string Trim(std::string_view text) { return std::string(TrimView(text)); }

// Bank accounts are compared without spaces and hyphens ("6222 0200-1234" == "622202001234").
std::string NormaliseAccount(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c != ' ' && c != '-' && c != '\t') out.push_back(c);
  }
  return out;
}

std::string LowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

int32_t Days(capnp::Text::Reader text) {
  auto days = ParseDate(View(text));
  // The validator checked every date field before the event was appended.
  FT_ASSERT(days.has_value(), "a date field the validator accepted does not parse");
  return *days;
}

int32_t OptionalDays(capnp::Text::Reader text) { return text.size() == 0 ? kNoDate : Days(text); }

// Days() of texts seen before. Payments span a few thousand distinct days, and parsing a date
// cost the fold more than reading all the other fixed fields of an expenditure, so each
// YYYY-MM-DD text parsed is remembered in a direct-mapped table keyed by its ten bytes; a miss
// parses (and checks) the text. Values only: copies are independent.
class DateCache {
 public:
  int32_t Days(capnp::Text::Reader text) {
    if (text.size() != 10) return projections::Days(text);
    uint64_t head = 0;
    uint16_t tail = 0;
    std::memcpy(&head, text.cStr(), 8);
    std::memcpy(&tail, text.cStr() + 8, 2);
    // Entries start zeroed; no date text begins with eight NUL bytes.
    Entry& entry =
        entries_[((head ^ (uint64_t{tail} << 48)) * 0x9e3779b97f4a7c15) >> (64 - kIndexBits)];
    if (entry.head != head || entry.tail != tail) entry = {head, tail, projections::Days(text)};
    return entry.days;
  }
  int32_t OptionalDays(capnp::Text::Reader text) { return text.size() == 0 ? kNoDate : Days(text); }

 private:
  static constexpr int kIndexBits = 11;
  struct Entry {
    uint64_t head = 0;  // the first eight bytes of the text
    uint16_t tail = 0;  // the last two
    int32_t days = 0;
  };
  std::array<Entry, size_t{1} << kIndexBits> entries_{};
};

std::string Date(int32_t days) { return FormatDate(days); }

// "1 day", "40 days".
std::string DaysText(int64_t days) {
  return std::to_string(days) + (days == 1 || days == -1 ? " day" : " days");
}

std::string Amount(int64_t minor_units, const std::string& currency) {
  return FormatMoneyGrouped({minor_units, currency});
}

std::string PlainAmount(int64_t minor_units, const std::string& currency) {
  return FormatMoneyPlain({minor_units, currency});
}

// Basis points as a percentage with two decimals: 1234 -> "12.34%".
std::string Percent(int64_t basis_points) {
  bool negative = basis_points < 0;
  uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(basis_points) : basis_points;
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%s%llu.%02llu%%", negative ? "-" : "",
                static_cast<unsigned long long>(magnitude / 100),
                static_cast<unsigned long long>(magnitude % 100));
  return buffer;
}

// Money sums saturate instead of overflowing: the ledger bounds every amount (and the budget and
// revenue lines of one event) but not the sum of a long or hostile log. A saturated sum still
// compares and serialises deterministically, and no undefined behaviour is reached.
int64_t AddMoney(int64_t sum, int64_t amount) {
  int64_t out = 0;
  if (!__builtin_add_overflow(sum, amount, &out)) return out;
  return amount > 0 ? INT64_MAX : INT64_MIN;
}

int64_t SubtractMoney(int64_t sum, int64_t amount) {
  int64_t out = 0;
  if (!__builtin_sub_overflow(sum, amount, &out)) return out;
  return amount < 0 ? INT64_MAX : INT64_MIN;
}

// Basis points as percentage points: 50 -> "0.50 percentage points".
std::string Points(int64_t basis_points) {
  std::string percent = Percent(basis_points);
  return percent.substr(0, percent.size() - 1) + " percentage points";
}

// floor(numerator * 10000 / denominator) in basis points; REQUIRES denominator > 0.
int64_t ShareBasisPoints(int64_t numerator, int64_t denominator) {
  FT_ASSERT(denominator > 0);
  int128 scaled = static_cast<int128>(numerator) * kBasisPoints;
  int128 quotient = scaled / denominator;
  if (scaled % denominator != 0 && scaled < 0) quotient -= 1;  // floor, not truncation
  return static_cast<int64_t>(quotient);
}

// The snake_case names of schema::BudgetCategory, by ordinal, built once: the fold searches the
// name of every expenditure's category (PU-1).
const std::vector<std::string>& CategoryNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (auto enumerant : capnp::Schema::from<schema::BudgetCategory>().getEnumerants())
      out.push_back(SnakeCase(enumerant.getProto().getName().cStr()));
    return out;
  }();
  return names;
}

std::string CategoryName(int category) {
  const auto& names = CategoryNames();
  if (category < 0 || static_cast<size_t>(category) >= names.size()) {
    return "category " + std::to_string(category);
  }
  return names[category];
}

std::optional<int> CategoryFromName(const std::string& name) {
  auto enumerants = capnp::Schema::from<schema::BudgetCategory>().getEnumerants();
  for (auto enumerant : enumerants) {
    if (SnakeCase(enumerant.getProto().getName().cStr()) == name) return enumerant.getOrdinal();
  }
  return std::nullopt;
}

std::string DispositionName(schema::Disposition disposition) {
  switch (disposition) {
    case schema::Disposition::CONFIRMED:
      return "confirmed";
    case schema::Disposition::FALSE_POSITIVE:
      return "false_positive";
    case schema::Disposition::REMEDIATED:
      return "remediated";
  }
  return "unknown";
}

bool GovernmentFunded(int source_kind) {
  return source_kind == static_cast<int>(schema::SourceKind::CENTRAL_GOVERNMENT) ||
         source_kind == static_cast<int>(schema::SourceKind::LOCAL_GOVERNMENT);
}

// Calendar helpers on days since 1970-01-01.
std::chrono::year_month_day Civil(int32_t days) {
  return std::chrono::year_month_day{std::chrono::sys_days(std::chrono::days(days))};
}

// 0 = Sunday .. 6 = Saturday.
unsigned Weekday(int32_t days) {
  return std::chrono::weekday(std::chrono::sys_days(std::chrono::days(days))).c_encoding();
}

// "2025-Q1" and a sortable index for the calendar quarter of a date.
int32_t QuarterIndex(int32_t days) {
  auto date = Civil(days);
  return static_cast<int>(date.year()) * 4 + (static_cast<unsigned>(date.month()) - 1) / 3;
}

std::string QuarterName(int32_t quarter_index) {
  return std::to_string(quarter_index / 4) + "-Q" + std::to_string(quarter_index % 4 + 1);
}

// Integer square root of a non-negative 128-bit value: the largest r with r * r <= value.
int128 IntegerSquareRoot(int128 value) {
  FT_ASSERT(value >= 0);
  if (value < 2) return value;
  // Bisection on [0, 2^64): r * r fits in 128 bits unsigned; values here stay below 2^126.
  unsigned __int128 low = 0, high = static_cast<unsigned __int128>(1) << 64;
  while (high - low > 1) {
    unsigned __int128 middle = low + (high - low) / 2;
    if (middle * middle <= static_cast<unsigned __int128>(value)) {
      low = middle;
    } else {
      high = middle;
    }
  }
  return static_cast<int128>(low);
}

// ---------------------------------------------------------------------------------------------
// Policy.

// An exact decimal: value = units / scale, scale a power of ten.
struct Decimal {
  int64_t units = 0;
  int64_t scale = 1;
};

std::string FormatDecimal(const Decimal& value) {
  std::string digits = std::to_string(value.units);
  int decimals = 0;
  for (int64_t s = value.scale; s > 1; s /= 10) ++decimals;
  if (decimals == 0) return digits;
  if (static_cast<int>(digits.size()) <= decimals)
    digits.insert(0, decimals + 1 - digits.size(), '0');
  digits.insert(digits.size() - decimals, ".");
  return digits;
}

Status KeyError(const std::string& key, const std::string& message) {
  return Status::InvalidArgument("policy key \"" + key + "\": " + message);
}

// "12.5" with at most `decimals_max` decimals and 15 digits in all. JSON integers are accepted
// too; JSON floating-point numbers are not, so no threshold is ever rounded by a parser.
Result<Decimal> ParseDecimalValue(const json& value, const std::string& key, int decimals_max) {
  std::string text;
  if (value.is_number_unsigned() || (value.is_number_integer() && value.get<int64_t>() >= 0)) {
    text = std::to_string(value.get<uint64_t>());
  } else if (value.is_number_float()) {
    return Error(KeyError(
        key, value.dump() + " is a JSON number; write decimals as strings, e.g. \"1.96\""));
  } else if (value.is_string()) {
    text = value.get<std::string>();
  } else {
    return Error(KeyError(key, "must be a decimal string such as \"1.96\", not " + value.dump()));
  }
  auto bad = [&](const std::string& why) {
    return Error(KeyError(key, "\"" + text + "\" " + why));
  };
  Decimal out;
  int digits = 0;
  int decimals = -1;  // -1 until the point is seen
  for (char c : text) {
    if (c == '.') {
      if (decimals >= 0) return bad("has two decimal points");
      decimals = 0;
      continue;
    }
    if (c < '0' || c > '9') return bad("is not a non-negative decimal number");
    if (++digits > 15) return bad("has more than 15 digits");
    out.units = out.units * 10 + (c - '0');
    if (decimals >= 0) {
      ++decimals;
      out.scale *= 10;
    }
  }
  if (digits == 0 || decimals == 0) return bad("is not a decimal number");
  if (decimals > decimals_max) {
    return bad("has " + std::to_string(decimals) + " decimals, at most " +
               std::to_string(decimals_max) + " are allowed");
  }
  return out;
}

// The parsed, typed form of a policy document.
struct Tier {
  int64_t up_to = -1;  // minor units; -1 for the open top tier
  int64_t basis_points = 0;
};

struct Purpose {
  std::string name;
  std::vector<std::string> keywords;  // ASCII letters lowercased
};

struct Params {
  uint32_t version = 0;
  std::set<std::string> government_only;
  Money approval_threshold;
  // PU-1 (and BR-4): the lexicon, or null when the policy uses the older keyword lists below
  // (purposes, exclusions, equipment_keywords).
  std::shared_ptr<const Lexicon> lexicon;
  bool lexicon_has_equipment = false;  // the lexicon has terms of label "equipment"
  std::vector<Purpose> purposes;
  std::vector<std::string> exclusions;  // ASCII letters lowercased
  // PU-3
  int64_t charged_percent_max_bp = 0;
  // PU-4
  Money expert_cap;
  Money academician_cap;
  // BR-1
  std::string regime;
  std::vector<Tier> tiers;
  std::string tier_currency;
  // BR-4
  Money equipment_threshold;
  std::set<int> misfiling_categories;
  std::vector<std::string> equipment_keywords;  // ASCII letters lowercased; empty: any item
  // PU-1's and BR-4's keyword search over descriptions, built from the lists above by
  // State::AddPolicy (not by every ParseParams, which also only validates documents). Shared by
  // copies: it is immutable.
  std::shared_ptr<const DescriptionMatcher> descriptions;
  // Windows in days.
  int32_t liquidation_days = 0;
  int32_t spike_days = 0;
  int32_t idle_days = 0;
  int32_t unreturned_days = 0;
  int32_t withdrawn_days = 0;
  int32_t duplicate_days = 0;
  int32_t split_days = 0;
  int32_t voucher_days = 0;
  int32_t new_vendor_days = 0;
  int32_t share_days = 0;
  // Shares in basis points.
  int64_t spike_share_bp = 0;
  int64_t near_lower_bp = 0;
  int64_t tolerance_bp = 0;
  // AN-3, AN-4, AN-5
  int32_t near_count_min = 0;
  Money round_multiple;
  Decimal round_expected;
  Decimal z_critical;
  int32_t round_items_min = 0;
  Decimal mad_max;
  int32_t benford_items_min = 0;
  Money benford_amount_min;
  // AN-6
  std::set<int32_t> holidays;
  std::set<int32_t> working_weekends;
};

}  // namespace

const std::vector<std::string>& RuleIds() {
  static const std::vector<std::string> ids = {
      "PU-1", "PU-2", "PU-3", "PU-4", "BR-1", "BR-2", "BR-3", "BR-4", "TP-1",
      "TP-2", "TP-3", "TP-4", "FL-1", "FL-2", "FL-3", "AN-1", "AN-2", "AN-3",
      "AN-4", "AN-5", "AN-6", "AN-7", "AN-8", "AN-9", "AL-1", "AL-2", "AL-3"};
  return ids;
}

namespace {

// Reads one section of a policy document, naming keys as "SECTION.key" in errors and rejecting
// keys it was not asked for (so that a misspelt key is an error, not a silently kept default).
class SectionReader {
 public:
  SectionReader(const json& document, std::string section) : section_(std::move(section)) {
    auto found = document.find(section_);
    if (found == document.end()) {
      status_ = KeyError(section_, "is missing");
    } else if (!found->is_object()) {
      status_ = KeyError(section_, "must be an object");
    } else {
      object_ = &*found;
    }
  }

  // Whether the section has `key` (a key that is optional, read with Get only if present).
  bool Has(const std::string& key) const {
    return status_.ok() && object_ != nullptr && object_->contains(key);
  }

  const json* Get(const std::string& key) {
    if (!status_.ok()) return nullptr;
    seen_.insert(key);
    auto found = object_->find(key);
    if (found == object_->end()) {
      Fail(key, "is missing");
      return nullptr;
    }
    return &*found;
  }

  int32_t Int(const std::string& key, int64_t min, int64_t max) {
    const json* value = Get(key);
    if (value == nullptr) return 0;
    if (!value->is_number_integer()) {
      Fail(key, "must be a whole number, not " + value->dump());
      return 0;
    }
    int64_t number = value->get<int64_t>();
    if (number < min || number > max) {
      Fail(key, std::to_string(number) + " is outside " + std::to_string(min) + ".." +
                    std::to_string(max));
      return 0;
    }
    return static_cast<int32_t>(number);
  }

  Money PositiveMoney(const std::string& key) {
    const json* value = Get(key);
    if (value == nullptr) return {};
    return ParseMoneyValue(*value, Name(key));
  }

  Money ParseMoneyValue(const json& value, const std::string& name) {
    if (!value.is_string()) {
      SetError(KeyError(name,
                        "must be an amount string such as \"100000.00 CNY\", not " + value.dump()));
      return {};
    }
    auto money = ParseMoney(value.get<std::string>());
    if (!money) {
      SetError(KeyError(name, money.error().message()));
      return {};
    }
    if (money->minor_units <= 0) {
      SetError(KeyError(name, "must be positive"));
      return {};
    }
    return *money;
  }

  // A decimal in [min, max] (given as units at scale `decimals_max`), exclusive bounds optional.
  Decimal DecimalIn(const std::string& key, int decimals_max, const Decimal& min,
                    bool min_exclusive, const Decimal& max, bool max_exclusive) {
    const json* value = Get(key);
    if (value == nullptr) return {};
    auto parsed = ParseDecimalValue(*value, Name(key), decimals_max);
    if (!parsed) {
      SetError(parsed.error());
      return {};
    }
    auto compare = [](const Decimal& a, const Decimal& b) {
      int128 left = static_cast<int128>(a.units) * b.scale;
      int128 right = static_cast<int128>(b.units) * a.scale;
      return left < right ? -1 : left > right ? 1 : 0;
    };
    int low = compare(*parsed, min), high = compare(*parsed, max);
    if (low < 0 || (min_exclusive && low == 0) || high > 0 || (max_exclusive && high == 0)) {
      Fail(key, FormatDecimal(*parsed) + " is outside " + (min_exclusive ? "(" : "[") +
                    FormatDecimal(min) + ", " + FormatDecimal(max) + (max_exclusive ? ")" : "]"));
      return {};
    }
    return *parsed;
  }

  // A percentage "25" or "0.5" (at most two decimals) in [0, 100], as basis points.
  int64_t PercentBasisPoints(const std::string& key) {
    Decimal value = DecimalIn(key, 2, {0, 1}, false, {100, 1}, false);
    return value.units * kBasisPoints / 100 / value.scale;  // scale is 1, 10 or 100: exact
  }

  std::vector<std::string> Strings(const std::string& key) {
    std::vector<std::string> out;
    const json* value = Get(key);
    if (value == nullptr) return out;
    if (!value->is_array()) {
      Fail(key, "must be an array of strings");
      return out;
    }
    for (size_t i = 0; i < value->size(); ++i) {
      const json& item = (*value)[i];
      if (!item.is_string() || item.get<std::string>().empty()) {
        Fail(key + "[" + std::to_string(i) + "]", "must be a non-empty string");
        return out;
      }
      out.push_back(item.get<std::string>());
    }
    return out;
  }

  std::set<int32_t> Dates(const std::string& key) {
    std::set<int32_t> out;
    auto texts = Strings(key);
    for (size_t i = 0; i < texts.size() && status_.ok(); ++i) {
      auto days = ParseDate(texts[i]);
      if (!days) {
        Fail(key + "[" + std::to_string(i) + "]", days.error().message());
        break;
      }
      out.insert(*days);
    }
    return out;
  }

  void Fail(const std::string& key, const std::string& message) {
    SetError(KeyError(Name(key), message));
  }
  void SetError(Status status) {
    if (status_.ok()) status_ = std::move(status);
  }
  std::string Name(const std::string& key) const { return section_ + "." + key; }

  // Call after the last Get: unknown keys are errors.
  Status Finish() {
    if (!status_.ok()) return status_;
    for (const auto& [key, value] : object_->items()) {
      if (!seen_.contains(key)) return KeyError(Name(key), "is not a known key of " + section_);
    }
    return Status::Ok();
  }

  const json* object() const { return object_; }

 private:
  std::string section_;
  const json* object_ = nullptr;
  std::set<std::string> seen_;
  Status status_;
};

// PU-1.lexicon into params->lexicon. The keyword lists of the older form cannot stand beside it:
// two matchers would each claim to say why a description was flagged.
Status ParseLexicon(SectionReader* section, Params* params) {
  for (const char* key : {"prohibited_uses", "exclusions"}) {
    if (section->Has(key)) {
      return KeyError(std::string("PU-1.") + key,
                      "cannot stand beside PU-1.lexicon: add the words to "
                      "PU-1.lexicon.labels.<label>.terms (or .exceptions), or set "
                      "\"lexicon\": null to use keyword lists");
    }
  }
  auto lexicon = Lexicon::FromJson(*section->Get("lexicon"), *TextNormaliser::Shared());
  if (!lexicon) return lexicon.error();
  params->lexicon = *lexicon;
  for (const auto& term : (*lexicon)->terms())
    params->lexicon_has_equipment |= term.label == Lexicon::kEquipmentLabel;
  return Status::Ok();
}

Result<Params> ParseParams(uint32_t version, const json& document) {
  Params params;
  params.version = version;
  if (!document.is_object())
    return Error(Status::InvalidArgument("a policy document must be a JSON object"));
  static const std::set<std::string> kTopKeys = {"government_only_rules",
                                                 "approval_threshold",
                                                 "PU-1",
                                                 "PU-3",
                                                 "PU-4",
                                                 "BR-1",
                                                 "BR-4",
                                                 "TP-1",
                                                 "TP-2",
                                                 "TP-3",
                                                 "TP-4",
                                                 "FL-1",
                                                 "AN-1",
                                                 "AN-2",
                                                 "AN-3",
                                                 "AN-4",
                                                 "AN-5",
                                                 "AN-6",
                                                 "AN-7",
                                                 "AN-8",
                                                 "AL-1",
                                                 "AL-2"};
  for (const auto& [key, value] : document.items()) {
    if (!kTopKeys.contains(key)) return Error(KeyError(key, "is not a known policy key"));
  }
  // Top level.
  {
    auto found = document.find("government_only_rules");
    if (found == document.end()) return Error(KeyError("government_only_rules", "is missing"));
    if (!found->is_array())
      return Error(KeyError("government_only_rules", "must be an array of rule ids"));
    for (size_t i = 0; i < found->size(); ++i) {
      const json& id = (*found)[i];
      std::string name = "government_only_rules[" + std::to_string(i) + "]";
      if (!id.is_string()) return Error(KeyError(name, "must be a rule id such as \"PU-1\""));
      const auto& ids = RuleIds();
      if (std::find(ids.begin(), ids.end(), id.get<std::string>()) == ids.end()) {
        return Error(KeyError(name, "\"" + id.get<std::string>() + "\" is not a rule id"));
      }
      params.government_only.insert(id.get<std::string>());
    }
    auto threshold = document.find("approval_threshold");
    if (threshold == document.end()) return Error(KeyError("approval_threshold", "is missing"));
    if (!threshold->is_string())
      return Error(
          KeyError("approval_threshold", "must be an amount string such as \"100000.00 CNY\""));
    auto money = ParseMoney(threshold->get<std::string>());
    if (!money) return Error(KeyError("approval_threshold", money.error().message()));
    if (money->minor_units <= 0) return Error(KeyError("approval_threshold", "must be positive"));
    params.approval_threshold = *money;
  }
  {
    SectionReader section(document, "PU-1");
    if (section.Has("lexicon")) {
      FT_RETURN_IF_ERROR(ParseLexicon(&section, &params));
    }
    const json* uses = params.lexicon ? nullptr : section.Get("prohibited_uses");
    if (uses != nullptr) {
      if (!uses->is_array()) {
        section.Fail("prohibited_uses", "must be an array of {\"purpose\", \"keywords\"} objects");
      } else {
        for (size_t i = 0; i < uses->size(); ++i) {
          std::string name = "prohibited_uses[" + std::to_string(i) + "]";
          const json& use = (*uses)[i];
          if (!use.is_object() || !use.contains("purpose") || !use.contains("keywords") ||
              use.size() != 2 || !use["purpose"].is_string() || !use["keywords"].is_array() ||
              use["keywords"].empty()) {
            section.Fail(
                name,
                "must be {\"purpose\": text, \"keywords\": [text, ...]} with at least one keyword");
            break;
          }
          Purpose purpose;
          purpose.name = use["purpose"].get<std::string>();
          for (size_t k = 0; k < use["keywords"].size(); ++k) {
            const json& keyword = use["keywords"][k];
            if (!keyword.is_string() || Trim(keyword.get<std::string>()).empty()) {
              section.Fail(name + ".keywords[" + std::to_string(k) + "]",
                           "must be a non-empty string");
              break;
            }
            purpose.keywords.push_back(LowerAscii(Trim(keyword.get<std::string>())));
          }
          params.purposes.push_back(std::move(purpose));
        }
      }
    }
    if (!params.lexicon) {
      for (const auto& exclusion : section.Strings("exclusions"))
        params.exclusions.push_back(LowerAscii(exclusion));
    }
    FT_RETURN_IF_ERROR(section.Finish());
  }
  {
    SectionReader section(document, "PU-3");
    Decimal percent =
        section.DecimalIn("charged_percent_max", 2, {100, 1}, false, {1000, 1}, false);
    FT_RETURN_IF_ERROR(section.Finish());
    params.charged_percent_max_bp = percent.units * kBasisPoints / 100 / percent.scale;  // exact
  }
  {
    SectionReader section(document, "PU-4");
    params.expert_cap = section.PositiveMoney("fee_cap_per_day");
    params.academician_cap = section.PositiveMoney("academician_fee_cap_per_day");
    FT_RETURN_IF_ERROR(section.Finish());
  }
  {
    SectionReader section(document, "BR-1");
    const json* regime = section.Get("regime");
    const json* regimes = section.Get("regimes");
    FT_RETURN_IF_ERROR(section.Finish());
    if (!regime->is_string())
      return Error(KeyError("BR-1.regime", "must be the name of one of BR-1.regimes"));
    if (!regimes->is_object() || regimes->empty())
      return Error(KeyError("BR-1.regimes", "must be an object of named tier lists"));
    params.regime = regime->get<std::string>();
    if (!regimes->contains(params.regime)) {
      return Error(KeyError("BR-1.regime", "\"" + params.regime + "\" is not one of BR-1.regimes"));
    }
    for (const auto& [name, tiers] : regimes->items()) {
      std::string path = "BR-1.regimes." + name;
      if (!tiers.is_array() || tiers.empty())
        return Error(KeyError(path, "must be a non-empty array of tiers"));
      std::vector<Tier> parsed;
      std::string currency;
      for (size_t i = 0; i < tiers.size(); ++i) {
        std::string tier_path = path + "[" + std::to_string(i) + "]";
        const json& tier = tiers[i];
        bool last = i + 1 == tiers.size();
        if (!tier.is_object() || !tier.contains("percent") || tier.size() != (last ? 1u : 2u) ||
            (!last && !tier.contains("up_to"))) {
          return Error(KeyError(
              tier_path, last ? "the last tier must be {\"percent\": \"20\"} (no upper bound)"
                              : "must be {\"up_to\": \"5000000.00 CNY\", \"percent\": \"30\"}"));
        }
        Tier out;
        auto percent = ParseDecimalValue(tier["percent"], tier_path + ".percent", 2);
        if (!percent) return Error(percent.error());
        out.basis_points = percent->units * kBasisPoints / 100 / percent->scale;
        if (out.basis_points > kBasisPoints)
          return Error(KeyError(tier_path + ".percent", "is above 100"));
        if (!last) {
          if (!tier["up_to"].is_string())
            return Error(KeyError(tier_path + ".up_to", "must be an amount string"));
          auto up_to = ParseMoney(tier["up_to"].get<std::string>());
          if (!up_to) return Error(KeyError(tier_path + ".up_to", up_to.error().message()));
          if (!currency.empty() && up_to->currency != currency) {
            return Error(KeyError(tier_path + ".up_to", "currency differs from the tier above"));
          }
          currency = up_to->currency;
          if (!parsed.empty() && up_to->minor_units <= parsed.back().up_to) {
            return Error(KeyError(tier_path + ".up_to", "must be above the previous tier's bound"));
          }
          if (up_to->minor_units <= 0)
            return Error(KeyError(tier_path + ".up_to", "must be positive"));
          out.up_to = up_to->minor_units;
        }
        parsed.push_back(out);
      }
      if (name == params.regime) {
        params.tiers = parsed;
        params.tier_currency = currency;
      }
    }
  }
  {
    SectionReader section(document, "BR-4");
    params.equipment_threshold = section.PositiveMoney("equipment_threshold");
    auto names = section.Strings("categories");
    if (params.lexicon && section.Has("equipment_keywords")) {
      return Error(KeyError("BR-4.equipment_keywords",
                            "cannot stand beside PU-1.lexicon, which names equipment for BR-4: "
                            "add the words to PU-1.lexicon.labels.equipment.terms, or set "
                            "\"PU-1\": {\"lexicon\": null} to use keyword lists"));
    }
    if (!params.lexicon) {
      for (const auto& keyword : section.Strings("equipment_keywords")) {
        if (!Trim(keyword).empty())
          params.equipment_keywords.push_back(LowerAscii(Trim(keyword)));
      }
    }
    FT_RETURN_IF_ERROR(section.Finish());
    for (size_t i = 0; i < names.size(); ++i) {
      auto category = CategoryFromName(names[i]);
      if (!category || *category == static_cast<int>(schema::BudgetCategory::EQUIPMENT)) {
        return Error(KeyError("BR-4.categories[" + std::to_string(i) + "]",
                              "\"" + names[i] + "\" is not a non-equipment budget category"));
      }
      params.misfiling_categories.insert(*category);
    }
  }
  constexpr int64_t kDaysMax = 3660;  // ten years: a bound on every window
  {
    SectionReader section(document, "TP-1");
    params.liquidation_days = section.Int("liquidation_days", 0, kDaysMax);
    FT_RETURN_IF_ERROR(section.Finish());
  }
  {
    SectionReader section(document, "TP-2");
    params.spike_share_bp = section.PercentBasisPoints("share_percent");
    params.spike_days = section.Int("final_days", 1, kDaysMax);
    FT_RETURN_IF_ERROR(section.Finish());
  }
  {
    SectionReader section(document, "TP-3");
    params.idle_days = section.Int("idle_days", 1, kDaysMax);
    FT_RETURN_IF_ERROR(section.Finish());
  }
  {
    SectionReader section(document, "TP-4");
    params.unreturned_days = section.Int("days_after_end", 0, kDaysMax);
    FT_RETURN_IF_ERROR(section.Finish());
  }
  {
    SectionReader section(document, "FL-1");
    params.withdrawn_days = section.Int("withdrawn_member_days", 0, kDaysMax);
    FT_RETURN_IF_ERROR(section.Finish());
  }
  {
    SectionReader section(document, "AN-1");
    params.duplicate_days = section.Int("window_days", 0, kDaysMax);
    FT_RETURN_IF_ERROR(section.Finish());
  }
  {
    SectionReader section(document, "AN-2");
    params.split_days = section.Int("window_days", 1, kDaysMax);
    FT_RETURN_IF_ERROR(section.Finish());
  }
  {
    SectionReader section(document, "AN-3");
    params.near_lower_bp = section.PercentBasisPoints("lower_percent");
    params.near_count_min = section.Int("count_min", 2, 1000);
    FT_RETURN_IF_ERROR(section.Finish());
  }
  {
    SectionReader section(document, "AN-4");
    params.round_multiple = section.PositiveMoney("multiple");
    // Bounds keep the z-test's integers within __int128 (see RoundAmounts).
    params.round_expected = section.DecimalIn("expected_share", 6, {0, 1}, true, {1, 1}, true);
    params.z_critical = section.DecimalIn("z_critical", 3, {0, 1}, true, {100, 1}, false);
    params.round_items_min = section.Int("items_min", 2, 1000000);
    FT_RETURN_IF_ERROR(section.Finish());
  }
  {
    SectionReader section(document, "AN-5");
    params.mad_max = section.DecimalIn("mad_max", 6, {0, 1}, true, {1, 1}, false);
    params.benford_items_min = section.Int("items_min", 9, 1000000);
    params.benford_amount_min = section.PositiveMoney("amount_min");
    FT_RETURN_IF_ERROR(section.Finish());
  }
  {
    SectionReader section(document, "AN-6");
    params.holidays = section.Dates("holidays");
    params.working_weekends = section.Dates("working_weekends");
    FT_RETURN_IF_ERROR(section.Finish());
  }
  {
    SectionReader section(document, "AN-7");
    params.voucher_days = section.Int("voucher_days", 0, kDaysMax);
    FT_RETURN_IF_ERROR(section.Finish());
  }
  {
    SectionReader section(document, "AN-8");
    params.new_vendor_days = section.Int("new_vendor_days", 0, kDaysMax);
    FT_RETURN_IF_ERROR(section.Finish());
  }
  {
    SectionReader section(document, "AL-1");
    params.tolerance_bp = section.PercentBasisPoints("tolerance_percentage_points");
    FT_RETURN_IF_ERROR(section.Finish());
  }
  {
    SectionReader section(document, "AL-2");
    params.share_days = section.Int("share_days", 0, kDaysMax);
    FT_RETURN_IF_ERROR(section.Finish());
  }
  return params;
}

// Mainland China public holidays (放假) and make-up working days (调休上班), from the State
// Council General Office notices for 2023, 2024, 2025 and 2026. Each range is inclusive.
const std::vector<std::pair<const char*, const char*>>& HolidayRanges() {
  static const std::vector<std::pair<const char*, const char*>> ranges = {
      // 2023
      {"2023-01-01", "2023-01-02"},
      {"2023-01-21", "2023-01-27"},
      {"2023-04-05", "2023-04-05"},
      {"2023-04-29", "2023-05-03"},
      {"2023-06-22", "2023-06-24"},
      {"2023-09-29", "2023-10-06"},
      {"2023-12-30", "2023-12-31"},
      // 2024
      {"2024-01-01", "2024-01-01"},
      {"2024-02-10", "2024-02-17"},
      {"2024-04-04", "2024-04-06"},
      {"2024-05-01", "2024-05-05"},
      {"2024-06-08", "2024-06-10"},
      {"2024-09-15", "2024-09-17"},
      {"2024-10-01", "2024-10-07"},
      // 2025
      {"2025-01-01", "2025-01-01"},
      {"2025-01-28", "2025-02-04"},
      {"2025-04-04", "2025-04-06"},
      {"2025-05-01", "2025-05-05"},
      {"2025-05-31", "2025-06-02"},
      {"2025-10-01", "2025-10-08"},
      // 2026
      {"2026-01-01", "2026-01-03"},
      {"2026-02-15", "2026-02-23"},
      {"2026-04-04", "2026-04-06"},
      {"2026-05-01", "2026-05-05"},
      {"2026-06-19", "2026-06-21"},
      {"2026-09-25", "2026-09-27"},
      {"2026-10-01", "2026-10-07"},
  };
  return ranges;
}

const std::vector<const char*>& WorkingWeekends() {
  static const std::vector<const char*> days = {
      "2023-01-28", "2023-01-29", "2023-04-23", "2023-05-06", "2023-06-25", "2023-10-07",
      "2023-10-08", "2024-02-04", "2024-02-18", "2024-04-07", "2024-04-28", "2024-05-11",
      "2024-09-14", "2024-09-29", "2024-10-12", "2025-01-26", "2025-02-08", "2025-04-27",
      "2025-09-28", "2025-10-11", "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09",
      "2026-09-20", "2026-10-10",
  };
  return days;
}

// The keyword lists of PU-1 and BR-4 that were the defaults before PU-1.lexicon, kept so that a
// policy written in that form (a document that sets PU-1.prohibited_uses, PU-1.exclusions or
// BR-4.equipment_keywords, or sets PU-1.lexicon to null) means what it meant when appended.
json KeywordListDefaults() {
  auto use = [](const char* purpose, std::vector<std::string> keywords) {
    return json{{"purpose", purpose}, {"keywords", keywords}};
  };
  return {
      {"PU-1",
       {{"prohibited_uses",
         json::array({
             use("fines and penalties",
                 {"罚款", "罚金", "罚没", "违约金", "fine", "fines", "penalty", "penalties"}),
             use("late fees", {"滞纳金", "late fee", "late fees", "late payment charge"}),
             use("compensation", {"赔偿", "赔款", "compensation", "damages"}),
             use("donations", {"捐赠", "捐款", "donation", "donations"}),
             use("sponsorship", {"赞助", "sponsorship", "sponsoring"}),
             use("investment", {"投资", "理财", "investment", "investments"}),
             use("debt repayment", {"还债", "偿还债务", "偿还借款", "debt repayment",
                                    "loan repayment", "repay debt"}),
             use("personal costs",
                 {"个人消费", "个人用品", "个人", "私人", "personal", "private use"}),
             use("shopping or fuel cards", {"购物卡", "加油卡", "储值卡", "shopping card",
                                            "fuel card", "gas card", "prepaid card"}),
             use("vouchers and gift cards", {"礼品卡", "礼券", "代金券", "购物券", "消费券",
                                             "gift card", "gift voucher", "gift certificate"}),
             use("alcohol", {"酒", "alcohol", "liquor", "wine", "beer"}),
             use("entertainment", {"招待", "娱乐", "宴请", "KTV", "entertainment", "banquet"}),
         })},
        // Text blanked out before matching, so that hotels (酒店), laboratory ethanol (酒精),
        // guesthouses (招待所), income tax withheld (个人所得税) and protective equipment do not
        // match.
        {"exclusions",
         {"酒店",
          "酒精",
          "酒石酸",
          "招待所",
          "个人所得税",
          "个人防护",
          "个人电脑",
          "alcohol lamp",
          "isopropyl alcohol",
          "ethyl alcohol",
          "polyvinyl alcohol",
          "benzyl alcohol",
          "alcohol wipe",
          "personal computer",
          "personal protective",
          "employee compensation",
          "fine chemical",
          "fine powder",
          "fine tuning",
          "fine-tuning"}}}},
      {"BR-4",
       {{"equipment_keywords",
         {"设备", "仪器", "检测仪", "分析仪", "测试仪", "装置", "试验台", "测试台", "工作站", "服务器",
          "equipment", "instrument", "apparatus", "analyzer", "analyser", "tester", "machine",
          "workstation", "server"}}}}};
}

// Whether the policy document `patch` is written in the keyword-list form (see above).
bool UsesKeywordLists(const json& patch) {
  auto pu1 = patch.find("PU-1");
  if (pu1 != patch.end() && pu1->is_object()) {
    auto lexicon = pu1->find("lexicon");
    if (lexicon != pu1->end()) return lexicon->is_null();
    if (pu1->contains("prohibited_uses") || pu1->contains("exclusions")) return true;
  }
  auto br4 = patch.find("BR-4");
  return br4 != patch.end() && br4->is_object() && br4->contains("equipment_keywords");
}

}  // namespace

json DefaultPolicyDocument() {
  json holidays = json::array();
  for (const auto& [first, last] : HolidayRanges()) {
    for (int32_t day = *ParseDate(first); day <= *ParseDate(last); ++day)
      holidays.push_back(FormatDate(day));
  }
  json working = json::array();
  for (const char* day : WorkingWeekends()) working.push_back(day);
  return {
      {"government_only_rules", {"PU-1", "FL-3", "AL-2"}},
      {"approval_threshold", "100000.00 CNY"},
      {"PU-1", {{"lexicon", DefaultLexiconDocument()}}},
      {"PU-3", {{"charged_percent_max", "100"}}},
      {"PU-4",
       {{"fee_cap_per_day", "2400.00 CNY"}, {"academician_fee_cap_per_day", "3600.00 CNY"}}},
      {"BR-1",
       {{"regime", "2021"},
        {"regimes",
         {{"2021",
           {{{"up_to", "5000000.00 CNY"}, {"percent", "30"}},
            {{"up_to", "10000000.00 CNY"}, {"percent", "25"}},
            {{"percent", "20"}}}},
          {"legacy",
           {{{"up_to", "5000000.00 CNY"}, {"percent", "20"}},
            {{"up_to", "10000000.00 CNY"}, {"percent", "15"}},
            {{"percent", "13"}}}}}}}},
      {"BR-4",
       {{"equipment_threshold", "50000.00 CNY"},
        {"categories", {"materials", "testing", "other_direct"}},
        // Bulk materials above the threshold are ordinary; what is misfiled is an item that is
        // equipment by its description: PU-1.lexicon's label "equipment" names instruments.
       }},
      {"TP-1", {{"liquidation_days", 120}}},
      {"TP-2", {{"share_percent", "25"}, {"final_days", 60}}},
      {"TP-3", {{"idle_days", 180}}},
      {"TP-4", {{"days_after_end", 30}}},
      {"FL-1", {{"withdrawn_member_days", 90}}},
      {"AN-1", {{"window_days", 30}}},
      {"AN-2", {{"window_days", 7}}},
      {"AN-3", {{"lower_percent", "95"}, {"count_min", 3}}},
      {"AN-4",
       {{"multiple", "1000.00 CNY"},
        {"expected_share", "0.001"},
        {"z_critical", "1.96"},
        {"items_min", 5}}},
      {"AN-5", {{"mad_max", "0.015"}, {"items_min", 300}, {"amount_min", "10.00 CNY"}}},
      {"AN-6", {{"holidays", holidays}, {"working_weekends", working}}},
      {"AN-7", {{"voucher_days", 30}}},
      {"AN-8", {{"new_vendor_days", 90}}},
      {"AL-1", {{"tolerance_percentage_points", "0.5"}}},
      {"AL-2", {{"share_days", 365}}},
  };
}

Result<Policy> MakePolicy(uint32_t version, const json& document) {
  if (!document.is_object())
    return Error(Status::InvalidArgument("a policy document must be a JSON object"));
  json merged = DefaultPolicyDocument();
  if (UsesKeywordLists(document)) {
    json lists = KeywordListDefaults();
    merged["PU-1"] = lists["PU-1"];
    merged["BR-4"]["equipment_keywords"] = lists["BR-4"]["equipment_keywords"];
  }
  merged.merge_patch(document);
  auto params = ParseParams(version, merged);
  if (!params) return Error(params.error());
  return Policy{version, std::move(merged)};
}

// ---------------------------------------------------------------------------------------------
// Facts. Entities are keyed by id, live events by sequence number (a reversal erases its target).

namespace {

struct GrantFact {
  Evidence awarded;
  std::string title;
  std::string funder_org_id;
  std::string project_id;
  std::string currency;
  int source_kind = 0;
  int64_t amount = 0;
  int32_t start_days = 0;
  int32_t end_days = 0;
  std::map<int, int64_t> budget;  // as awarded, by schema::BudgetCategory
};

struct MembershipFact {
  Evidence admitted;
  int32_t admitted_days = 0;
  Evidence withdrawn;  // sequence 0 while a member
  int32_t withdrawn_days = kNoDate;
  bool expelled = false;
};

struct OrganisationFact {
  Evidence registered;  // sequence 0 if admitted without a registration in the folded range
  std::string name;
  std::string name_en;
  int kind = static_cast<int>(schema::OrganisationKind::OTHER);
  std::string legal_representative;
  std::string tax_id;
  std::string bank_account;
  std::vector<MembershipFact> memberships;  // in order; bounded by admissions
};

struct VendorFact {
  Evidence registered;
  std::string name;
  std::string tax_id;
  std::string legal_representative;
  std::string bank_account;
  int32_t registered_days = kNoDate;
};

struct ProjectFact {
  Evidence registered;
  std::string agreement_id;
};

struct SignatureFact {
  Evidence event;
  std::string signatory_name;
  int32_t days = 0;
};

struct AgreementFact {
  Evidence registered;
  std::string title;
  int32_t days = 0;
  std::map<std::string, uint32_t> revenue_shares;   // org -> basis points
  std::map<std::string, SignatureFact> signatures;  // org -> its signature
};

struct BodyFact {
  Evidence registered;
  int kind = 0;
  uint32_t full_time_staff = 0;
};

struct OutcomeFact {
  Evidence registered;
  std::string title;
  std::string grant_id;
  int32_t days = 0;
  std::map<std::string, uint32_t> owners;  // org -> basis points
};

// A text an expenditure fact shares with others: ids, names and codes repeat from event to event
// (a grant's id on each of its expenditures), so each distinct text is kept once, in the table of
// the Expenditures that holds the fact (below), and facts point at it. Within one table, equal
// texts are the same pointer. Reads as a const std::string&.
const std::string kEmptyText;

class Symbol {
 public:
  Symbol() : text_(&kEmptyText) {}
  explicit Symbol(const std::string* text) : text_(text) {}

  const std::string& str() const { return *text_; }
  operator const std::string&() const { return *text_; }
  bool empty() const { return text_->empty(); }

  friend bool operator==(const Symbol& a, const Symbol& b) {
    return a.text_ == b.text_ || *a.text_ == *b.text_;
  }
  friend bool operator==(const Symbol& a, const std::string& b) { return *a.text_ == b; }
  friend std::string operator+(const std::string& a, const Symbol& b) { return a + *b.text_; }
  friend std::string operator+(const char* a, const Symbol& b) { return a + *b.text_; }
  friend std::string operator+(const Symbol& a, const char* b) { return *a.text_ + b; }
  friend std::string operator+(const Symbol& a, const std::string& b) { return *a.text_ + b; }
  template <typename Json>
  friend void to_json(Json& out, const Symbol& symbol) {
    out = *symbol.text_;
  }

 private:
  const std::string* text_;
};

// What the rules read of an expenditure; Flags() reads one per live expenditure from its stored
// bytes (ExpenditureReader), so it is kept small: 288 bytes and, for an invoice number longer
// than 15 bytes, one heap block. Ids that repeat from event to event are Symbols; short, varied
// texts stay inline.
struct ExpenditureFact {
  Evidence event;
  int64_t appended_at_micros = 0;
  Symbol grant_id;
  Symbol org_id;
  int category = 0;
  std::string vendor_id;       // short: kept inline (SSO) costs less than a look-up
  std::string invoice_number;  // nearly unique, so not shared
  int32_t invoice_days = 0;
  int32_t payment_days = 0;
  int32_t voucher_days = kNoDate;
  int64_t amount = 0;
  Symbol currency;
  std::string requester;  // see vendor_id
  std::string approver;
  Symbol payee;
  Symbol expert_name;
  uint32_t expert_days = 0;
  bool academician = false;
  // PU-1, matched under the policy in force when the event was appended (descriptions are not
  // kept otherwise).
  Symbol prohibited_purpose;
  Symbol prohibited_keyword;
  Symbol prohibited_text;
  // BR-4: the equipment keyword the description matched under the policy of its append.
  Symbol equipment_keyword;
};
static_assert(sizeof(ExpenditureFact) <= 288, "Flags() holds one per live expenditure");

// What an expenditure says of its invoice beyond its charge (validation version 4): rare, so kept
// beside the facts (ExpenditureReader::InvoiceOf) rather than in each of them.
struct InvoiceFact {
  int64_t total = 0;            // the invoice's stated total, in the charge's currency; 0 if none
  int64_t original_amount = 0;  // a foreign payment's original amount; 0 if none
  std::string original_currency;
};

struct AdjustmentFact {
  Evidence event;
  std::string grant_id;
  std::map<int, int64_t> lines;  // category -> new amount
  std::string approved_by;
  std::string approval_reference;
  std::string author_org_id;
  int32_t days = 0;
  std::string funder_approval_reference;  // validation version 4
};

// A grant_terminated (validation version 4): the business day the grant ended early.
struct TerminationFact {
  Evidence event;
  int32_t days = 0;
  std::string reason;
};

struct ReceiptFact {
  Evidence event;
  std::string grant_id;
  int64_t amount = 0;
  int32_t days = 0;
};

struct DisbursementFact {
  Evidence event;
  std::string grant_id;
  std::string org_id;
  int64_t amount = 0;
  int32_t days = 0;
};

struct RefundFact {
  Evidence event;
  std::string grant_id;
  std::string org_id;
  bool vendor_refund = false;
  int64_t amount = 0;
  int32_t days = 0;
};

struct RevenueFact {
  Evidence event;
  std::string outcome_id;
  int64_t total = 0;
  std::string currency;
  std::map<std::string, int64_t> payments;  // org -> amount (summed if listed twice)
  int32_t days = 0;
};

struct LicenceFact {
  Evidence event;
  std::string outcome_id;
  std::string licensee_name;
  std::string licensee_org_id;
  bool exclusive = false;
  int32_t days = 0;
};

struct SharingFact {
  Evidence event;
  std::string outcome_id;
  std::string recipient;
  std::string recipient_org_id;
  int32_t days = 0;
};

struct DispositionFact {
  Evidence event;
  std::string flag_id;
  std::string disposition;
  std::string note;
};

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(GrantFact, awarded, title, funder_org_id, project_id, currency,
                                   source_kind, amount, start_days, end_days, budget)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(MembershipFact, admitted, admitted_days, withdrawn,
                                   withdrawn_days, expelled)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(OrganisationFact, registered, name, name_en, kind,
                                   legal_representative, tax_id, bank_account, memberships)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(VendorFact, registered, name, tax_id, legal_representative,
                                   bank_account, registered_days)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ProjectFact, registered, agreement_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(SignatureFact, event, signatory_name, days)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(AgreementFact, registered, title, days, revenue_shares,
                                   signatures)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(BodyFact, registered, kind, full_time_staff)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(OutcomeFact, registered, title, grant_id, days, owners)
// With defaults: a snapshot written before funder_approval_reference existed reads it as "".
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AdjustmentFact, event, grant_id, lines, approved_by,
                                                approval_reference, author_org_id, days,
                                                funder_approval_reference)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(TerminationFact, event, days, reason)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ReceiptFact, event, grant_id, amount, days)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(DisbursementFact, event, grant_id, org_id, amount, days)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(RefundFact, event, grant_id, org_id, vendor_refund, amount, days)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(RevenueFact, event, outcome_id, total, currency, payments, days)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(LicenceFact, event, outcome_id, licensee_name, licensee_org_id,
                                   exclusive, days)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(SharingFact, event, outcome_id, recipient, recipient_org_id,
                                   days)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(DispositionFact, event, flag_id, disposition, note)

// The live events of one kind, by sequence number, in sequence order. The fold adds events in
// increasing sequence order and a reversal erases one, so an array with tombstones serves: adding
// is O(1), erasing O(log n), iteration skips the dead, and the dead are compacted away once they
// are half the slots. The array is kept in chunks of fixed capacity, so that adding never moves
// the facts already there (a std::map node per expenditure, and then one growing vector, each
// cost more than all the rules' other work in the fold). Iteration yields (sequence, fact) pairs
// like a map's, and the JSON form is a map's too: [[sequence, fact], ...].
template <typename Fact>
class LiveEvents {
  struct Slot {
    uint64_t sequence = 0;
    bool live = true;
    Fact fact;
  };
  static constexpr size_t kChunkSlots = 1024;

 public:
  // REQUIRES: `sequence` is above every sequence added before.
  Fact& Add(uint64_t sequence) {
    FT_ASSERT(slot_count_ == 0 || At(slot_count_ - 1).sequence < sequence, "events out of order");
    if (slot_count_ % kChunkSlots == 0) {
      chunks_.emplace_back();
      chunks_.back().reserve(kChunkSlots);
    }
    chunks_.back().emplace_back();
    chunks_.back().back().sequence = sequence;
    ++slot_count_;
    return chunks_.back().back().fact;
  }
  void Add(uint64_t sequence, Fact fact) { Add(sequence) = std::move(fact); }

  // The live event `sequence`, or null. O(log n).
  const Fact* Find(uint64_t sequence) const {
    size_t slot = SlotOf(sequence);
    return slot == slot_count_ ? nullptr : &At(slot).fact;
  }

  // Erases the live event `sequence`, if there is one.
  void Erase(uint64_t sequence) {
    size_t low = SlotOf(sequence);
    if (low == slot_count_) return;
    At(low).live = false;
    At(low).fact = Fact{};
    ++dead_count_;
    if (dead_count_ * 2 > slot_count_) {
      LiveEvents compacted;
      for (auto& chunk : chunks_) {
        for (auto& slot : chunk) {
          if (slot.live) compacted.Add(slot.sequence) = std::move(slot.fact);
        }
      }
      *this = std::move(compacted);  // facts moved, so Symbols still point at the same texts
    }
  }

  size_t size() const { return slot_count_ - dead_count_; }

 private:
  // The slot of the live event `sequence`, or slot_count_: bisection over the slots.
  size_t SlotOf(uint64_t sequence) const {
    size_t low = 0, high = slot_count_;  // the first slot at or after `sequence`
    while (low < high) {
      size_t middle = low + (high - low) / 2;
      if (At(middle).sequence < sequence) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    if (low == slot_count_ || At(low).sequence != sequence || !At(low).live) return slot_count_;
    return low;
  }

 public:
  class Iterator {
   public:
    Iterator(const LiveEvents* events, size_t index) : events_(events), index_(index) {
      SkipDead();
    }
    std::pair<uint64_t, const Fact&> operator*() const {
      const Slot& slot = events_->At(index_);
      return {slot.sequence, slot.fact};
    }
    Iterator& operator++() {
      ++index_;
      SkipDead();
      return *this;
    }
    bool operator!=(const Iterator& other) const { return index_ != other.index_; }

   private:
    void SkipDead() {
      while (index_ < events_->slot_count_ && !events_->At(index_).live) ++index_;
    }
    const LiveEvents* events_;
    size_t index_;
  };
  Iterator begin() const { return {this, 0}; }
  Iterator end() const { return {this, slot_count_}; }

  friend void to_json(json& out, const LiveEvents& events) {
    out = json::array();
    for (const auto& [sequence, fact] : events) out.push_back(json::array({sequence, fact}));
  }
  friend void from_json(const json& in, LiveEvents& events) {
    events.ReadJson(in, 2, [](const json& item, Fact* fact) { item.at(1).get_to(*fact); });
  }
  // Replaces the events by those of `in`: arrays of `size` items, the sequence number first, each
  // fact read by read(array, &fact).
  template <typename Read>
  void ReadJson(const json& in, size_t size, Read read) {
    *this = LiveEvents();
    for (const json& item : in) {
      if (!item.is_array() || item.size() != size)
        throw std::invalid_argument("malformed event record " + item.dump().substr(0, 80));
      uint64_t sequence = item.at(0).get<uint64_t>();
      if (slot_count_ > 0 && At(slot_count_ - 1).sequence >= sequence)
        throw std::invalid_argument("event records out of sequence order at " + item.at(0).dump());
      read(item, &Add(sequence));
    }
  }

 private:
  Slot& At(size_t index) { return chunks_[index / kChunkSlots][index % kChunkSlots]; }
  const Slot& At(size_t index) const { return chunks_[index / kChunkSlots][index % kChunkSlots]; }

  std::vector<std::vector<Slot>> chunks_;  // every chunk but the last holds kChunkSlots slots
  size_t slot_count_ = 0;
  size_t dead_count_ = 0;
};

// Each distinct text once, at an address that never changes: an open-addressing hash table
// (linear probing, at most half full) over a deque of the texts. (std::unordered_set cost a third
// of the fold's rules work on the benchmark: a node per text, a modulo and a chain per look-up.)
// Not copyable: a copy's texts would be at other addresses. Moving keeps every address.
class TextTable {
 public:
  TextTable() = default;
  TextTable(const TextTable&) = delete;
  TextTable& operator=(const TextTable&) = delete;
  TextTable(TextTable&&) noexcept = default;
  TextTable& operator=(TextTable&&) noexcept = default;

  const std::string* Intern(std::string_view text) {
    if (2 * (texts_.size() + 1) > slots_.size()) Grow();
    const uint64_t hash = Hash(text);
    const size_t mask = slots_.size() - 1;
    for (size_t at = hash & mask;; at = (at + 1) & mask) {
      Slot& slot = slots_[at];
      if (slot.text == nullptr) {
        slot = {hash, &texts_.emplace_back(text)};
        return slot.text;
      }
      if (slot.hash == hash && *slot.text == text) return slot.text;
    }
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    const std::string* text = nullptr;
  };

  // Eight bytes at a time, multiply and fold: enough for ids and names.
  static uint64_t Hash(std::string_view text) {
    constexpr uint64_t kMultiplier = 0x9e3779b97f4a7c15;
    uint64_t hash = text.size() * kMultiplier;
    for (size_t at = 0; at < text.size(); at += 8) {
      uint64_t word = 0;
      std::memcpy(&word, text.data() + at, std::min<size_t>(8, text.size() - at));
      hash = (hash ^ word) * kMultiplier;
      hash ^= hash >> 32;
    }
    return hash;
  }

  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 64 : 2 * old.size(), Slot{});
    const size_t mask = slots_.size() - 1;
    for (const Slot& slot : old) {
      if (slot.text == nullptr) continue;
      size_t at = slot.hash & mask;
      while (slots_[at].text != nullptr) at = (at + 1) & mask;
      slots_[at] = slot;
    }
  }

  std::deque<std::string> texts_;
  std::vector<Slot> slots_;  // a power of two in size
};

// The canonical bytes of events, appended to blocks of 1 MiB and named by (block, offset, size),
// so that a copy of the arena (its blocks copied) serves the same names. Bytes are never removed:
// a reversed expenditure's stay until the state is next read from a snapshot, which keeps only the
// live ones (reversals are rare).
class EventArena {
 public:
  struct Span {
    uint32_t block = 0;
    uint32_t offset = 0;
    uint32_t size = 0;
  };

  Span Append(std::string_view bytes) {
    FT_ASSERT(bytes.size() <= UINT32_MAX);
    if (blocks_.empty() || blocks_.back().size() + bytes.size() > kBlockSizeBytes) {
      FT_ASSERT(blocks_.size() < UINT32_MAX);
      blocks_.emplace_back();
      blocks_.back().reserve(std::max(kBlockSizeBytes, bytes.size()));
    }
    std::vector<char>& block = blocks_.back();
    Span span{static_cast<uint32_t>(blocks_.size() - 1), static_cast<uint32_t>(block.size()),
              static_cast<uint32_t>(bytes.size())};
    block.insert(block.end(), bytes.begin(), bytes.end());
    return span;
  }

  std::string_view Bytes(const Span& span) const {
    return {blocks_[span.block].data() + span.offset, span.size};
  }

 private:
  static constexpr size_t kBlockSizeBytes = size_t{1} << 20;
  std::vector<std::vector<char>> blocks_;
};

// A live expenditure as the fold keeps it: the event's canonical bytes (in the state's arena),
// read into an ExpenditureFact only when the rules are evaluated. Reading the fact in the fold
// cost about as much as the views' whole fold of the same event (17 fields, three dates, the
// description search); copying the bytes costs a tenth of that, for the same memory.
struct StoredExpenditure {
  Evidence event;
  int64_t appended_at_micros = 0;
  EventArena::Span canonical;
};

// Reads expenditure events into ExpenditureFacts, sharing their repeated texts in its table (the
// facts point into it, so it outlives them). Not copyable, through its table.
class ExpenditureReader {
 public:
  // The fact of `spent`, folded at `stored`; PU-1 and BR-4 read the description under `params`,
  // the policy in force when the event was appended.
  void Read(const StoredExpenditure& stored, schema::ExpenditureRecorded::Reader spent,
            const Params& params, ExpenditureFact* fact) {
    fact->event = stored.event;
    fact->appended_at_micros = stored.appended_at_micros;
    fact->grant_id = Intern(kGrant, View(spent.getGrantId()));
    fact->org_id = Intern(kOrg, View(spent.getOrgId()));
    fact->category = static_cast<int>(spent.getCategory());
    fact->vendor_id = View(spent.getVendorId());
    fact->invoice_number = TrimView(View(spent.getInvoiceNumber()));
    fact->invoice_days = dates_.Days(spent.getInvoiceDate());
    fact->payment_days = dates_.Days(spent.getPaymentDate());
    fact->voucher_days = dates_.OptionalDays(spent.getVoucherDate());
    auto amount = spent.getAmount();
    fact->amount = amount.getMinorUnits();
    fact->currency = Intern(kCurrency, View(amount.getCurrency()));
    if (spent.hasInvoiceTotal() || spent.hasOriginalAmount()) {
      InvoiceFact& invoice = invoices_[stored.event.sequence];
      if (spent.hasInvoiceTotal()) invoice.total = spent.getInvoiceTotal().getMinorUnits();
      if (spent.hasOriginalAmount()) {
        invoice.original_amount = spent.getOriginalAmount().getMinorUnits();
        invoice.original_currency = View(spent.getOriginalAmount().getCurrency());
      }
    }
    fact->requester = TrimView(View(spent.getRequester()));
    fact->approver = TrimView(View(spent.getApprover()));
    fact->payee = Intern(TrimView(View(spent.getPayee())));
    // The expert fields serve PU-4 only, which reads them for expert consultation only.
    if (fact->category == static_cast<int>(schema::BudgetCategory::EXPERT_CONSULTATION)) {
      fact->expert_name = Intern(TrimView(View(spent.getExpertName())));
      fact->expert_days = spent.getExpertDays();
      fact->academician = spent.getExpertIsAcademician();
    }
    std::string_view description = View(spent.getDescription());
    if (params.lexicon) {
      ReadWithLexicon(description, *params.lexicon, fact);
      return;
    }
    const bool known =
        fact->category >= 0 && static_cast<size_t>(fact->category) < CategoryNames().size();
    auto match = known ? params.descriptions->Find(description, static_cast<size_t>(fact->category))
                       : params.descriptions->Find(description, CategoryName(fact->category));
    if (match.equipment_index >= 0)
      fact->equipment_keyword = Intern(params.equipment_keywords[match.equipment_index]);
    if (match.purpose_index >= 0) {
      const Purpose& use = params.purposes[match.purpose_index];
      fact->prohibited_purpose = Intern(use.name);
      fact->prohibited_keyword = Intern(use.keywords[match.keyword_index]);
      fact->prohibited_text = Intern(Excerpt(description));
    }
  }

  // What expenditure `sequence` said of its invoice, if anything beyond its charge.
  const InvoiceFact* InvoiceOf(uint64_t sequence) const {
    auto found = invoices_.find(sequence);
    return found == invoices_.end() ? nullptr : &found->second;
  }

 private:
  // PU-1 and BR-4 under a lexicon: the description is normalised once, and one segmentation
  // answers both rules. The fact keeps the label and the term as the policy writes it.
  void ReadWithLexicon(std::string_view description, const Lexicon& lexicon,
                       ExpenditureFact* fact) {
    // The process's normaliser outlives every reader (TextNormaliser::Shared).
    if (normaliser_ == nullptr) normaliser_ = TextNormaliser::Shared().get();
    auto finding = lexicon.Find(normaliser_->Normalise(description));
    if (finding.equipment_term >= 0)
      fact->equipment_keyword = Intern(lexicon.terms()[finding.equipment_term].text);
    if (finding.purpose_term >= 0) {
      const LexiconTerm& term = lexicon.terms()[finding.purpose_term];
      fact->prohibited_purpose = Intern(term.label);
      fact->prohibited_keyword = Intern(term.text);
      fact->prohibited_text = Intern(Excerpt(description));
    }
  }

  // A bounded excerpt for an explanation, cut at a UTF-8 character boundary.
  static std::string Excerpt(std::string_view description) {
    constexpr size_t kExcerptSizeBytesMax = 120;
    size_t size = std::min(description.size(), kExcerptSizeBytesMax);
    while (size < description.size() && size > 0 &&
           (static_cast<unsigned char>(description[size]) & 0xc0) == 0x80)
      --size;
    return std::string(description.substr(0, size)) + (size < description.size() ? "..." : "");
  }

  // The shared copy of `text`. The empty text is never stored: Symbol() stands for it.
  Symbol Intern(std::string_view text) {
    if (text.empty()) return Symbol();
    return Symbol(texts_.Intern(text));
  }

  // Intern(text) for one of the fields below, remembering its last text: an export lists many
  // expenditures of one grant, member and currency in a row, and a comparison costs less than a
  // look-up.
  enum Field { kGrant, kOrg, kCurrency, kFieldCount };
  Symbol Intern(Field field, std::string_view text) {
    Symbol& recent = recent_[field];
    if (recent.str() != text) recent = Intern(text);
    return recent;
  }

  TextTable texts_;
  std::array<Symbol, kFieldCount> recent_;  // in texts_
  const TextNormaliser* normaliser_ = nullptr;
  DateCache dates_;
  std::unordered_map<uint64_t, InvoiceFact> invoices_;  // by sequence; see InvoiceFact
};

}  // namespace

struct RulesEngine::State {
  uint64_t last_sequence = 0;
  Evidence genesis;  // sequence 0 until seen
  std::string alliance_id;
  // Policy: the version in force after each policy_set sequence; version 0 before any.
  std::map<uint64_t, uint32_t> policy_timeline;
  std::map<uint32_t, Policy> policies;
  std::vector<std::string> policy_problems;

  std::map<std::string, GrantFact> grants;
  std::map<std::string, TerminationFact> terminations;  // by grant id
  std::map<std::string, OrganisationFact> organisations;
  std::map<std::string, VendorFact> vendors;
  std::map<std::string, ProjectFact> projects;
  std::map<std::string, std::map<std::string, Evidence>> tasks;  // project -> org -> first task
  std::map<std::string, AgreementFact> agreements;
  std::map<std::string, BodyFact> bodies;
  std::map<std::string, OutcomeFact> outcomes;

  // Live events by sequence number: O(events), see the top of this file.
  // The expenditures held (kHeld): those after `in_log_through`. The ones up to it are in the log
  // and not held (after FromJson, or always under kInLog) until ReadExpenditures() reads them.
  LiveEvents<StoredExpenditure> expenditures;
  EventArena expenditure_bytes;  // the canonical bytes of `expenditures`
  uint64_t in_log_through = 0;
  uint64_t expenditure_events = 0;         // expenditure_recorded events folded, reversed included
  uint64_t expenditure_events_in_log = 0;  // of them, those up to `in_log_through`
  // Every reversal's target (reversals are rare), so that the expenditures read back from the log
  // skip the reversed ones.
  std::set<uint64_t> reversal_targets;
  LiveEvents<AdjustmentFact> adjustments;
  LiveEvents<ReceiptFact> receipts;
  LiveEvents<DisbursementFact> disbursements;
  LiveEvents<RefundFact> refunds;
  LiveEvents<RevenueFact> revenues;
  LiveEvents<LicenceFact> licences;
  LiveEvents<SharingFact> sharings;
  LiveEvents<DispositionFact> dispositions;

  // Derived from `policies`, never serialised.
  std::map<uint32_t, Params> params;

  uint32_t VersionAt(uint64_t sequence) const {
    // A policy_set at sequence p governs the events after p.
    auto found = policy_timeline.lower_bound(sequence);
    if (found == policy_timeline.begin()) return 0;
    return std::prev(found)->second;
  }
  const Params& ParamsAt(uint64_t sequence) const { return ParamsOf(VersionAt(sequence)); }
  const Params& ParamsOf(uint32_t version) const {
    auto found = params.find(version);
    FT_ASSERT(found != params.end(), "a policy version in the timeline was never parsed");
    return found->second;
  }
  const Params& Latest() const { return ParamsAt(UINT64_MAX); }

  Status AddPolicy(const Policy& policy) {
    auto parsed = ParseParams(policy.version, policy.document);
    if (!parsed) return parsed.error();
    if (!parsed->lexicon) {
      std::vector<std::vector<std::string>> prohibited;
      for (const auto& use : parsed->purposes) prohibited.push_back(use.keywords);
      parsed->descriptions = std::make_shared<const DescriptionMatcher>(
          std::move(prohibited), parsed->exclusions, parsed->equipment_keywords, CategoryNames());
    }
    policies[policy.version] = policy;
    params[policy.version] = std::move(*parsed);
    return Status::Ok();
  }
};

RulesEngine::RulesEngine(ExpenditureBytes bytes) : bytes_(bytes), state_(std::make_unique<State>()) {
  auto policy = MakePolicy(0, json::object());
  FT_ASSERT(policy.has_value(), "the default policy document does not validate");
  policy_ = *policy;
  FT_ASSERT(state_->AddPolicy(policy_).ok());
}

RulesEngine::~RulesEngine() = default;
RulesEngine::RulesEngine(const RulesEngine& other)
    : bytes_(other.bytes_), policy_(other.policy_), state_(std::make_unique<State>(*other.state_)) {}
RulesEngine& RulesEngine::operator=(const RulesEngine& other) {
  if (this != &other) {
    bytes_ = other.bytes_;
    policy_ = other.policy_;
    state_ = std::make_unique<State>(*other.state_);
  }
  return *this;
}
RulesEngine::RulesEngine(RulesEngine&& other) noexcept = default;
RulesEngine& RulesEngine::operator=(RulesEngine&& other) noexcept = default;

const std::map<uint32_t, Policy>& RulesEngine::policies() const { return state_->policies; }
const std::vector<std::string>& RulesEngine::policy_problems() const {
  return state_->policy_problems;
}
uint64_t RulesEngine::sequence() const { return state_->last_sequence; }

Status RulesEngine::Apply(uint64_t sequence, const Digest& chain_hash, int64_t appended_at_micros,
                          const std::string& author_org_id, schema::Event::Reader event,
                          std::string_view canonical_event, EventLookup* lookup) {
  FT_ASSERT(state_ != nullptr, "use of a moved-from RulesEngine");
  if (sequence <= state_->last_sequence) {
    return Status::InvalidArgument("rules: event " + std::to_string(sequence) +
                                   " is not after the last event folded in, " +
                                   std::to_string(state_->last_sequence));
  }
  State& state = *state_;
  const Evidence self{sequence, chain_hash};
  switch (event.which()) {
    case Which::LEDGER_GENESIS:
      state.genesis = self;
      state.alliance_id = Str(event.getLedgerGenesis().getAllianceId());
      break;
    case Which::ORGANISATION_REGISTERED: {
      auto org = event.getOrganisationRegistered();
      OrganisationFact& fact = state.organisations[Str(org.getOrgId())];
      fact.registered = self;
      fact.name = Str(org.getName());
      fact.name_en = Str(org.getNameEn());
      fact.kind = static_cast<int>(org.getKind());
      fact.legal_representative = Trim(View(org.getLegalRepresentative()));
      fact.tax_id = Trim(View(org.getTaxId()));
      fact.bank_account = NormaliseAccount(View(org.getBankAccount()));
      break;
    }
    case Which::MEMBER_ADMITTED: {
      OrganisationFact& fact = state.organisations[Str(event.getMemberAdmitted().getOrgId())];
      fact.memberships.push_back(
          {self, Days(event.getMemberAdmitted().getDate()), {}, kNoDate, false});
      break;
    }
    case Which::MEMBER_WITHDRAWN: {
      OrganisationFact& fact = state.organisations[Str(event.getMemberWithdrawn().getOrgId())];
      if (!fact.memberships.empty() && fact.memberships.back().withdrawn.sequence == 0) {
        fact.memberships.back().withdrawn = self;
        fact.memberships.back().withdrawn_days = Days(event.getMemberWithdrawn().getDate());
        fact.memberships.back().expelled = event.getMemberWithdrawn().getExpelled();
      }
      break;
    }
    case Which::AGREEMENT_REGISTERED: {
      auto agreement = event.getAgreementRegistered();
      AgreementFact& fact = state.agreements[Str(agreement.getAgreementId())];
      fact.registered = self;
      fact.title = Str(agreement.getTitle());
      fact.days = Days(agreement.getDate());
      for (auto share : agreement.getRevenueShares())
        fact.revenue_shares[Str(share.getOrgId())] += share.getBasisPoints();
      break;
    }
    case Which::AGREEMENT_SIGNED: {
      auto signature = event.getAgreementSigned();
      state.agreements[Str(signature.getAgreementId())].signatures[Str(signature.getOrgId())] = {
          self, Str(signature.getSignatoryName()), Days(signature.getDate())};
      break;
    }
    case Which::GOVERNANCE_BODY_REGISTERED: {
      auto body = event.getGovernanceBodyRegistered();
      state.bodies[Str(body.getBodyId())] = {self, static_cast<int>(body.getKind()),
                                             body.getFullTimeStaff()};
      break;
    }
    case Which::PROJECT_REGISTERED: {
      auto project = event.getProjectRegistered();
      state.projects[Str(project.getProjectId())] = {self, Str(project.getAgreementId())};
      break;
    }
    case Which::TASK_ASSIGNED: {
      auto task = event.getTaskAssigned();
      state.tasks[Str(task.getProjectId())].try_emplace(Str(task.getOrgId()), self);
      break;
    }
    case Which::VENDOR_REGISTERED: {
      auto vendor = event.getVendorRegistered();
      state.vendors[Str(vendor.getVendorId())] = {self,
                                                  Str(vendor.getName()),
                                                  Trim(View(vendor.getTaxId())),
                                                  Trim(View(vendor.getLegalRepresentative())),
                                                  NormaliseAccount(View(vendor.getBankAccount())),
                                                  OptionalDays(vendor.getRegisteredDate())};
      break;
    }
    case Which::GRANT_AWARDED: {
      auto grant = event.getGrantAwarded();
      GrantFact fact;
      fact.awarded = self;
      fact.title = Str(grant.getTitle());
      fact.funder_org_id = Str(grant.getFunderOrgId());
      fact.project_id = Str(grant.getProjectId());
      fact.currency = Str(grant.getAmount().getCurrency());
      fact.source_kind = static_cast<int>(grant.getSourceKind());
      fact.amount = grant.getAmount().getMinorUnits();
      fact.start_days = Days(grant.getPeriodStart());
      fact.end_days = Days(grant.getPeriodEnd());
      for (auto line : grant.getBudget())
        fact.budget[static_cast<int>(line.getCategory())] += line.getAmount().getMinorUnits();
      state.grants[Str(grant.getGrantId())] = std::move(fact);
      break;
    }
    case Which::BUDGET_ADJUSTED: {
      auto adjusted = event.getBudgetAdjusted();
      AdjustmentFact fact{self,
                          Str(adjusted.getGrantId()),
                          {},
                          Trim(View(adjusted.getApprovedBy())),
                          Str(adjusted.getApprovalReference()),
                          author_org_id,
                          Days(adjusted.getDate()),
                          Str(adjusted.getFunderApprovalReference())};
      for (auto line : adjusted.getLines())
        fact.lines[static_cast<int>(line.getCategory())] = line.getAmount().getMinorUnits();
      state.adjustments.Add(sequence, std::move(fact));
      break;
    }
    case Which::FUNDS_RECEIVED: {
      auto received = event.getFundsReceived();
      state.receipts.Add(
          sequence, ReceiptFact{self, Str(received.getGrantId()),
                                received.getAmount().getMinorUnits(), Days(received.getDate())});
      break;
    }
    case Which::FUNDS_DISBURSED: {
      auto disbursed = event.getFundsDisbursed();
      state.disbursements.Add(
          sequence,
          DisbursementFact{self, Str(disbursed.getGrantId()), Str(disbursed.getMemberOrgId()),
                           disbursed.getAmount().getMinorUnits(), Days(disbursed.getDate())});
      break;
    }
    case Which::EXPENDITURE_RECORDED: {
      ++state.expenditure_events;
      if (bytes_ == ExpenditureBytes::kInLog) {
        ++state.expenditure_events_in_log;  // read back from the log by ReadExpenditures()
        break;
      }
      // Kept whole; the rules read it when they are evaluated (see StoredExpenditure).
      StoredExpenditure& stored = state.expenditures.Add(sequence);
      stored.event = self;
      stored.appended_at_micros = appended_at_micros;
      stored.canonical = state.expenditure_bytes.Append(canonical_event);
      break;
    }
    case Which::REFUND_RECORDED: {
      auto refund = event.getRefundRecorded();
      state.refunds.Add(sequence,
                        RefundFact{self, Str(refund.getGrantId()), Str(refund.getOrgId()),
                                   refund.getKind() == schema::RefundKind::VENDOR_REFUND,
                                   refund.getAmount().getMinorUnits(), Days(refund.getDate())});
      break;
    }
    case Which::REVERSAL: {
      // Every reversible event the rules use is kept by its sequence number; erasing the record
      // is the whole undo, so the lookup is not needed. (Registrations cannot be reversed.)
      uint64_t target = event.getReversal().getTargetSequence();
      state.reversal_targets.insert(target);
      state.expenditures.Erase(target);
      state.adjustments.Erase(target);
      state.receipts.Erase(target);
      state.disbursements.Erase(target);
      state.refunds.Erase(target);
      state.revenues.Erase(target);
      state.licences.Erase(target);
      state.sharings.Erase(target);
      state.dispositions.Erase(target);
      break;
    }
    case Which::OUTCOME_REGISTERED: {
      auto outcome = event.getOutcomeRegistered();
      OutcomeFact fact{
          self, Str(outcome.getTitle()), Str(outcome.getGrantId()), Days(outcome.getDate()), {}};
      for (auto owner : outcome.getOwners())
        fact.owners[Str(owner.getOrgId())] += owner.getBasisPoints();
      state.outcomes[Str(outcome.getOutcomeId())] = std::move(fact);
      break;
    }
    case Which::LICENCE_GRANTED: {
      auto licence = event.getLicenceGranted();
      state.licences.Add(
          sequence, LicenceFact{self, Str(licence.getOutcomeId()), Str(licence.getLicenseeName()),
                                Str(licence.getLicenseeOrgId()), licence.getExclusive(),
                                Days(licence.getDate())});
      break;
    }
    case Which::OUTCOME_SHARED: {
      auto shared = event.getOutcomeShared();
      state.sharings.Add(sequence,
                         SharingFact{self, Str(shared.getOutcomeId()), Str(shared.getRecipient()),
                                     Str(shared.getRecipientOrgId()), Days(shared.getDate())});
      break;
    }
    case Which::REVENUE_DISTRIBUTED: {
      auto revenue = event.getRevenueDistributed();
      RevenueFact fact{self,
                       Str(revenue.getOutcomeId()),
                       revenue.getTotal().getMinorUnits(),
                       Str(revenue.getTotal().getCurrency()),
                       {},
                       Days(revenue.getDate())};
      for (auto payment : revenue.getPayments())
        fact.payments[Str(payment.getOrgId())] += payment.getAmount().getMinorUnits();
      state.revenues.Add(sequence, std::move(fact));
      break;
    }
    case Which::POLICY_SET: {
      auto set = event.getPolicySet();
      std::string where = "event " + std::to_string(sequence) + " (policy_set version " +
                          std::to_string(set.getVersion()) + ")";
      json document = json::parse(Str(set.getDocument()), nullptr, false);
      auto policy = document.is_discarded()
                        ? Result<Policy>(Error(Status::InvalidArgument("the document is not JSON")))
                        : MakePolicy(set.getVersion(), document);
      if (!policy) {
        state.policy_problems.push_back(where + ": " + policy.error().message() +
                                        "; the previous policy stays in force");
        break;
      }
      if (set.getVersion() <= policy_.version || state.policies.contains(set.getVersion())) {
        state.policy_problems.push_back(where + ": version is not above " +
                                        std::to_string(policy_.version) +
                                        "; the previous policy stays in force");
        break;
      }
      FT_RETURN_IF_ERROR(state.AddPolicy(*policy));
      state.policy_timeline[sequence] = policy->version;
      policy_ = *policy;
      break;
    }
    case Which::FLAG_DISPOSITION: {
      auto disposition = event.getFlagDisposition();
      state.dispositions.Add(sequence,
                             DispositionFact{self, Str(disposition.getFlagId()),
                                             DispositionName(disposition.getDisposition()),
                                             Str(disposition.getNote())});
      break;
    }
    case Which::GRANT_TERMINATED: {
      auto terminated = event.getGrantTerminated();
      state.terminations[Str(terminated.getGrantId())] =
          TerminationFact{self, Days(terminated.getDate()), Str(terminated.getReason())};
      break;
    }
    case Which::KEY_REGISTERED:
    case Which::KEY_REVOKED:
    case Which::FINDING_RECORDED:
      break;
  }
  state.last_sequence = sequence;
  if (bytes_ == ExpenditureBytes::kInLog) state.in_log_through = sequence;
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Evaluation.

namespace {

using State = RulesEngine::State;

// One flag before its id is derived from its evidence.
struct Draft {
  const char* rule = "";
  const char* severity = "";
  std::string subject;
  uint32_t policy_version = 0;
  ordered_json parameters = ordered_json::object();
  ordered_json figures = ordered_json::object();
  std::vector<Evidence> evidence;
  std::string discriminator;  // "" when the rule can fire once per first evidence event
  std::string explanation;
  // Subjects the flag touches that neither its subject nor its evidence events name (Touches).
  std::vector<std::string> also_touches = {};
};

ordered_json EvidenceJson(const Evidence& evidence) {
  return {{"sequence", evidence.sequence}, {"chain_hash", HexEncode(evidence.chain_hash)}};
}

// Among payments added so far (by their index in `items`), the smallest index paid within a
// range of days: a segment tree of minimum indices over the distinct payment days of `items`.
// Add and Earliest are O(log n).
class EarliestByDay {
 public:
  static constexpr size_t kNone = SIZE_MAX;

  explicit EarliestByDay(const std::vector<const ExpenditureFact*>& items) : items_(items) {
    for (const auto* item : items) days_.push_back(item->payment_days);
    std::sort(days_.begin(), days_.end());
    days_.erase(std::unique(days_.begin(), days_.end()), days_.end());
    tree_.assign(2 * days_.size(), kNone);
  }

  // REQUIRES: indices are added in increasing order.
  void Add(size_t index) {
    size_t at = Leaf(items_[index]->payment_days);
    if (tree_[at] != kNone) return;  // an earlier payment that day
    for (tree_[at] = index; at > 1; at /= 2) tree_[at / 2] = std::min(tree_[at / 2], index);
  }

  // The smallest index added with a payment day in [first_day, last_day], or kNone.
  size_t Earliest(int64_t first_day, int64_t last_day) const {
    size_t low = std::lower_bound(days_.begin(), days_.end(), first_day) - days_.begin();
    size_t high = std::upper_bound(days_.begin(), days_.end(), last_day) - days_.begin();
    size_t earliest = kNone;
    for (low += days_.size(), high += days_.size(); low < high; low /= 2, high /= 2) {
      if (low & 1) earliest = std::min(earliest, tree_[low++]);
      if (high & 1) earliest = std::min(earliest, tree_[--high]);
    }
    return earliest;
  }

 private:
  size_t Leaf(int32_t day) const {
    return days_.size() + (std::lower_bound(days_.begin(), days_.end(), day) - days_.begin());
  }

  const std::vector<const ExpenditureFact*>& items_;
  std::vector<int32_t> days_;  // distinct, ascending
  std::vector<size_t> tree_;   // node i covers its children 2i and 2i + 1; leaves from days_.size()
};

class Evaluator {
 public:
  Evaluator(const State& state, int32_t as_of) : state_(state), as_of_(as_of) {
    ReadExpenditures();
    Index();
  }

  std::vector<Flag> Run() {
    ExpenditureRules();
    DisbursementRules();
    GrantRules();
    MemberGrantRules();
    DoubleCharging();
    Duplicates();
    SplitPurchases();
    NearThreshold();
    RoundAmounts();
    Benford();
    RelatedParties();
    RevenueSplits();
    OutcomeSharing();
    ArticleEight();
    return std::move(flags_);
  }

 private:
  using Expenditures = std::vector<const ExpenditureFact*>;

  // Expenditures by (organisation, person), the texts in the facts.
  struct PairHash {
    size_t operator()(const std::pair<std::string_view, std::string_view>& key) const {
      std::hash<std::string_view> hash;
      return hash(key.first) * 31 + hash(key.second);
    }
  };
  using PeopleLists =
      std::unordered_map<std::pair<std::string_view, std::string_view>, Expenditures, PairHash>;

  // The facts of the live expenditures, in sequence order. The bytes were checked when they were
  // read back from the log (RulesEngine::ReadExpenditures), or given to Apply as an event that
  // DecodedEvent::Open accepts, so decoding them again cannot fail.
  void ReadExpenditures() {
    expenditures_.reserve(state_.expenditures.size());
    for (const auto& [sequence, stored] : state_.expenditures) {
      auto decoded =
          DecodedEvent::Open(state_.expenditure_bytes.Bytes(stored.canonical), "expenditure");
      FT_ASSERT(decoded.has_value(), "stored expenditure bytes do not decode");
      FT_ASSERT(decoded->root().which() == Which::EXPENDITURE_RECORDED);
      reader_.Read(stored, decoded->root().getExpenditureRecorded(), state_.ParamsAt(sequence),
                   &expenditures_.emplace_back());
    }
  }

  void Index() {
    // Each expenditure joins four lists; the lists of a grant, a member and a vendor are looked up
    // once per distinct text (the grant's and member's texts are shared, so their addresses name
    // them), not once per expenditure.
    struct Lists {
      Expenditures* grant = nullptr;
      Expenditures* org = nullptr;
      Expenditures* member_grant = nullptr;
      const GrantFact* grant_fact = nullptr;
      std::unordered_map<std::string, Evidence>* team = nullptr;
    };
    std::map<std::pair<const std::string*, const std::string*>, Lists> lists_of;
    std::unordered_map<std::string_view, Expenditures*> vendor_lists;
    for (const ExpenditureFact& spent : expenditures_) {
      auto [found, added] = lists_of.try_emplace({&spent.grant_id.str(), &spent.org_id.str()});
      Lists& lists = found->second;
      if (added) {
        lists.grant = &by_grant_[spent.grant_id];
        lists.org = &by_org_[spent.org_id];
        lists.member_grant = &by_member_grant_[{spent.org_id, spent.grant_id}];
        lists.grant_fact = Grant(spent.grant_id);
        if (lists.grant_fact != nullptr) lists.team = &team_[lists.grant_fact->project_id];
      }
      lists.grant->push_back(&spent);
      lists.member_grant->push_back(&spent);
      lists.org->push_back(&spent);
      Expenditures*& vendor = vendor_lists[spent.vendor_id];
      if (vendor == nullptr) vendor = &by_vendor_key_[VendorKey(spent.vendor_id)];
      vendor->push_back(&spent);
      if (lists.team != nullptr) {
        // The project team (PU-4): whoever requests or approves spending on the project's grants,
        // and the payees of its labour costs. First appearance kept as evidence.
        auto& team = *lists.team;
        team.try_emplace(spent.requester, spent.event);
        team.try_emplace(spent.approver, spent.event);
        if (spent.category == static_cast<int>(schema::BudgetCategory::LABOUR) &&
            !spent.payee.empty()) {
          team.try_emplace(spent.payee, spent.event);
        }
      }
    }
    for (const auto& [sequence, disbursed] : state_.disbursements) {
      disbursements_by_grant_[disbursed.grant_id].push_back(&disbursed);
      disbursements_by_member_grant_[{disbursed.org_id, disbursed.grant_id}].push_back(&disbursed);
    }
    for (const auto& [sequence, received] : state_.receipts)
      receipts_by_grant_[received.grant_id].push_back(&received);
    for (const auto& [sequence, refund] : state_.refunds) {
      refunds_by_grant_[refund.grant_id].push_back(&refund);
      refunds_by_member_grant_[{refund.org_id, refund.grant_id}].push_back(&refund);
    }
    for (const auto& [sequence, adjustment] : state_.adjustments) {
      adjustments_by_grant_[adjustment.grant_id].push_back(&adjustment);
    }
    for (const auto& [id, grant] : state_.grants) budgets_[id] = EffectiveBudget(id, grant);
  }

  // ----- lookups

  const GrantFact* Grant(const std::string& id) const {
    auto found = state_.grants.find(id);
    return found == state_.grants.end() ? nullptr : &found->second;
  }

  // Whether `rule` applies to money of `grant_id` under `params`: rules listed in
  // government_only_rules cover government-funded grants only.
  bool Covers(const Params& params, const std::string& rule, const std::string& grant_id) const {
    if (!params.government_only.contains(rule)) return true;
    const GrantFact* grant = Grant(grant_id);
    return grant != nullptr && GovernmentFunded(grant->source_kind);
  }

  // Active on `day`: admitted on or before it and not withdrawn on or before it.
  bool ActiveMember(const std::string& org_id, int32_t day) const {
    auto found = state_.organisations.find(org_id);
    if (found == state_.organisations.end()) return false;
    for (const auto& membership : found->second.memberships) {
      if (membership.admitted_days <= day &&
          (membership.withdrawn.sequence == 0 || day < membership.withdrawn_days)) {
        return true;
      }
    }
    return false;
  }

  // Invoices are numbered by their issuer, so a vendor is identified by its tax id (two vendor
  // ids with one tax id are one issuer).
  std::string VendorKey(const std::string& vendor_id) const {
    auto found = state_.vendors.find(vendor_id);
    if (found != state_.vendors.end() && !found->second.tax_id.empty())
      return "tax:" + found->second.tax_id;
    return "id:" + vendor_id;
  }

  // The agreement governing a project's money: the project's own, else the alliance agreement
  // registered first.
  const AgreementFact* AgreementFor(const std::string& project_id,
                                    std::string* agreement_id) const {
    auto project = state_.projects.find(project_id);
    if (project != state_.projects.end() && !project->second.agreement_id.empty()) {
      auto found = state_.agreements.find(project->second.agreement_id);
      if (found != state_.agreements.end() && found->second.registered.sequence != 0) {
        *agreement_id = found->first;
        return &found->second;
      }
    }
    return FirstAgreement(agreement_id);
  }

  const AgreementFact* FirstAgreement(std::string* agreement_id) const {
    const AgreementFact* first = nullptr;
    for (const auto& [id, agreement] : state_.agreements) {
      if (agreement.registered.sequence == 0) continue;  // signatures of an unseen agreement
      if (first == nullptr || agreement.registered.sequence < first->registered.sequence) {
        first = &agreement;
        *agreement_id = id;
      }
    }
    return first;
  }

  // Where a grant ends: its period's end or, if earlier, the day it was terminated.
  struct GrantEnd {
    int32_t days = 0;
    const TerminationFact* termination = nullptr;  // set when terminated before its period's end
    std::string Said() const {
      if (termination == nullptr) return " ended on " + Date(days);
      return " was terminated on " + Date(days) + " (" + termination->reason + ")";
    }
  };
  GrantEnd EndOf(const std::string& id, const GrantFact& grant) const {
    auto found = state_.terminations.find(id);
    if (found == state_.terminations.end() || found->second.days >= grant.end_days) {
      return GrantEnd{grant.end_days, nullptr};
    }
    return GrantEnd{found->second.days, &found->second};
  }

  bool FunderApproved(const AdjustmentFact& adjustment, const GrantFact& grant) const {
    // The funder's approval reference is its approval, whoever recorded the adjustment. The
    // undertaking unit (validation version 4) cannot approve for the funder by naming it.
    if (!adjustment.funder_approval_reference.empty()) return true;
    // (An unknown author, "", is judged by the approver's name alone, as before.)
    if (!adjustment.author_org_id.empty() && adjustment.author_org_id != grant.funder_org_id) {
      return false;
    }
    if (adjustment.approved_by.empty()) return false;
    if (adjustment.approved_by == grant.funder_org_id) return true;
    auto funder = state_.organisations.find(grant.funder_org_id);
    return funder != state_.organisations.end() &&
           (adjustment.approved_by == funder->second.name ||
            (!funder->second.name_en.empty() && adjustment.approved_by == funder->second.name_en));
  }

  struct Budget {
    std::map<int, int64_t> lines;  // as awarded plus approved adjustments
    std::map<int, std::vector<uint64_t>> adjusted_by;
    // Equipment increases without the funder's approval (BR-2): not counted in `lines`.
    std::vector<std::tuple<const AdjustmentFact*, int64_t, int64_t>> unapproved_equipment;
  };

  Budget EffectiveBudget(const std::string& id, const GrantFact& grant) const {
    Budget budget;
    budget.lines = grant.budget;
    auto adjustments = adjustments_by_grant_.find(id);
    if (adjustments == adjustments_by_grant_.end()) return budget;
    constexpr int kEquipment = static_cast<int>(schema::BudgetCategory::EQUIPMENT);
    for (const AdjustmentFact* adjustment : adjustments->second) {  // in sequence order
      for (const auto& [category, amount] : adjustment->lines) {
        int64_t& line = budget.lines[category];
        if (category == kEquipment && amount > line && !FunderApproved(*adjustment, grant)) {
          budget.unapproved_equipment.emplace_back(adjustment, line, amount);
          continue;
        }
        line = amount;
        budget.adjusted_by[category].push_back(adjustment->event.sequence);
      }
    }
    return budget;
  }

  ordered_json Section(const Params& params, const char* rule) const {
    auto policy = state_.policies.find(params.version);
    FT_ASSERT(policy != state_.policies.end());
    auto section = policy->second.document.find(rule);
    return section == policy->second.document.end() ? ordered_json::object()
                                                    : ordered_json(*section);
  }

  std::string ExpenditureLabel(const ExpenditureFact& spent) const {
    return "expenditure #" + std::to_string(spent.event.sequence) + " of " +
           Amount(spent.amount, spent.currency);
  }

  ordered_json ExpenditureFigures(const ExpenditureFact& spent) const {
    return {{"expenditure", spent.event.sequence},
            {"grant", spent.grant_id},
            {"org", spent.org_id},
            {"vendor", spent.vendor_id},
            {"invoice_number", spent.invoice_number},
            {"amount", PlainAmount(spent.amount, spent.currency)},
            {"category", CategoryName(spent.category)},
            {"invoice_date", Date(spent.invoice_days)},
            {"payment_date", Date(spent.payment_days)}};
  }

  static std::vector<Evidence> EvidenceOf(const Expenditures& items) {
    std::vector<Evidence> out;
    for (const auto* item : items) out.push_back(item->event);
    return out;
  }

  static uint64_t MaxSequence(const Expenditures& items) {
    uint64_t max = 0;
    for (const auto* item : items) max = std::max(max, item->event.sequence);
    return max;
  }

  void Emit(Draft draft) {
    std::sort(draft.evidence.begin(), draft.evidence.end(),
              [](const Evidence& a, const Evidence& b) { return a.sequence < b.sequence; });
    draft.evidence.erase(
        std::unique(draft.evidence.begin(), draft.evidence.end(),
                    [](const Evidence& a, const Evidence& b) { return a.sequence == b.sequence; }),
        draft.evidence.end());
    FT_ASSERT(!draft.evidence.empty(), "a flag without evidence");
    Flag flag;
    flag.id = std::string(draft.rule) + "/" + std::to_string(draft.evidence.front().sequence);
    if (!draft.discriminator.empty()) flag.id += "/" + draft.discriminator;
    flag.rule = draft.rule;
    flag.severity = draft.severity;
    flag.subject = std::move(draft.subject);
    flag.policy_version = draft.policy_version;
    flag.parameters = std::move(draft.parameters);
    flag.figures = std::move(draft.figures);
    flag.evidence = std::move(draft.evidence);
    flag.explanation = std::move(draft.explanation);
    flag.touches = Touches(flag, draft.also_touches);
    flags_.push_back(std::move(flag));
  }

  // Every subject `flag` touches, sorted: its subject, what its evidence events name (an
  // expenditure's grant, member and vendor; a disbursement's or refund's grant and member; a
  // receipt's or budget adjustment's grant; a licence's outcome and licensee; a revenue
  // distribution's outcome and payees; a sharing's outcome and recipient), an outcome's grant and
  // owners, and `also`. So `flags --subject org:X` finds the flags on X's expenditures that are
  // raised against a grant or a vendor, and those on the outcomes X owns.
  std::vector<std::string> Touches(const Flag& flag, const std::vector<std::string>& also) const {
    std::set<std::string> out(also.begin(), also.end());
    out.insert(flag.subject);
    auto org = [&](const std::string& id) {
      if (!id.empty()) out.insert("org:" + id);
    };
    auto outcome = [&](const std::string& id) {
      out.insert("outcome:" + id);
      auto found = state_.outcomes.find(id);
      if (found == state_.outcomes.end()) return;
      if (!found->second.grant_id.empty()) out.insert("grant:" + found->second.grant_id);
      for (const auto& [owner, share] : found->second.owners) org(owner);
    };
    if (flag.subject.starts_with("outcome:")) outcome(flag.subject.substr(8));
    for (const Evidence& evidence : flag.evidence) {
      const uint64_t sequence = evidence.sequence;
      if (const ExpenditureFact* spent = Expenditure(sequence)) {
        out.insert("grant:" + spent->grant_id.str());
        org(spent->org_id);
        out.insert("vendor:" + spent->vendor_id);
      } else if (const auto* disbursed = state_.disbursements.Find(sequence)) {
        out.insert("grant:" + disbursed->grant_id);
        org(disbursed->org_id);
      } else if (const auto* refund = state_.refunds.Find(sequence)) {
        out.insert("grant:" + refund->grant_id);
        org(refund->org_id);
      } else if (const auto* received = state_.receipts.Find(sequence)) {
        out.insert("grant:" + received->grant_id);
      } else if (const auto* adjustment = state_.adjustments.Find(sequence)) {
        out.insert("grant:" + adjustment->grant_id);
      } else if (const auto* licence = state_.licences.Find(sequence)) {
        outcome(licence->outcome_id);
        org(licence->licensee_org_id);
      } else if (const auto* revenue = state_.revenues.Find(sequence)) {
        outcome(revenue->outcome_id);
        for (const auto& [payee, amount] : revenue->payments) org(payee);
      } else if (const auto* sharing = state_.sharings.Find(sequence)) {
        outcome(sharing->outcome_id);
        org(sharing->recipient_org_id);
      }
    }
    return {out.begin(), out.end()};
  }

  static std::vector<std::string> OrgSubjects(const std::vector<std::string>& org_ids) {
    std::vector<std::string> out;
    for (const auto& id : org_ids) out.push_back("org:" + id);
    return out;
  }

  // The live expenditure `sequence`, or null: bisection over expenditures_ (in sequence order).
  const ExpenditureFact* Expenditure(uint64_t sequence) const {
    auto found = std::lower_bound(
        expenditures_.begin(), expenditures_.end(), sequence,
        [](const ExpenditureFact& spent, uint64_t wanted) { return spent.event.sequence < wanted; });
    return found != expenditures_.end() && found->event.sequence == sequence ? &*found : nullptr;
  }

  // PU-1 under the keyword lists of the older policy form.
  void ProhibitedByKeywords(const ExpenditureFact& spent, const Params& params,
                            const GrantFact* grant) {
    ordered_json keywords = ordered_json::array();
    for (const auto& use : params.purposes) {
      if (use.name == spent.prohibited_purpose) keywords = use.keywords;
    }
    ordered_json figures = ExpenditureFigures(spent);
    figures["purpose"] = spent.prohibited_purpose;
    figures["keyword"] = spent.prohibited_keyword;
    figures["description"] = spent.prohibited_text;
    bool government = grant != nullptr && GovernmentFunded(grant->source_kind);
    Emit({"PU-1",
          "critical",
          "grant:" + spent.grant_id,
          params.version,
          {{"purpose", spent.prohibited_purpose},
           {"keywords", keywords},
           {"exclusions", params.exclusions},
           {"government_only", params.government_only.contains("PU-1")}},
          figures,
          {spent.event},
          "",
          ExpenditureLabel(spent) + " to vendor " + spent.vendor_id + " on " +
              (government ? "government-funded " : "") + "grant " + spent.grant_id +
              " matches the prohibited purpose \"" + spent.prohibited_purpose +
              "\" (keyword \"" + spent.prohibited_keyword + "\" in \"" + spent.prohibited_text +
              "\")"});
  }

  // PU-1 under the lexicon: the flag names the label, the term as the policy writes it, the
  // term's kind and the lexicon's version, so that an auditor sees exactly why.
  void ProhibitedByLexicon(const ExpenditureFact& spent, const Params& params,
                           const GrantFact* grant) {
    const Lexicon& lexicon = *params.lexicon;
    std::string kind;
    for (const auto& term : lexicon.terms()) {
      if (term.label == spent.prohibited_purpose && term.text == spent.prohibited_keyword)
        kind = term.kind;
    }
    const std::string& purpose = lexicon.purpose(spent.prohibited_purpose.str());
    ordered_json figures = ExpenditureFigures(spent);
    figures["purpose"] = spent.prohibited_purpose;
    figures["keyword"] = spent.prohibited_keyword;
    figures["description"] = spent.prohibited_text;
    figures["label"] = spent.prohibited_purpose;
    figures["term"] = spent.prohibited_keyword;
    figures["term_kind"] = kind;
    figures["lexicon_version"] = lexicon.version();
    bool government = grant != nullptr && GovernmentFunded(grant->source_kind);
    Emit({"PU-1",
          "critical",
          "grant:" + spent.grant_id,
          params.version,
          {{"label", spent.prohibited_purpose},
           {"purpose", purpose},
           {"lexicon_version", lexicon.version()},
           {"government_only", params.government_only.contains("PU-1")}},
          figures,
          {spent.event},
          "",
          ExpenditureLabel(spent) + " to vendor " + spent.vendor_id + " on " +
              (government ? "government-funded " : "") + "grant " + spent.grant_id +
              " matches the prohibited purpose \"" + spent.prohibited_purpose + "\" (" + purpose +
              "): " + kind + " term \"" + spent.prohibited_keyword + "\" of lexicon " +
              lexicon.version() + " (policy version " + std::to_string(params.version) +
              ") in \"" + spent.prohibited_text + "\""});
  }

  // BR-4: the flag names the equipment term found and, under a lexicon, its kind and the
  // lexicon's version.
  void EquipmentMisfiled(const ExpenditureFact& spent, const Params& params) {
    ordered_json parameters = Section(params, "BR-4");
    ordered_json figures = ExpenditureFigures(spent);
    std::string named;
    if (!spent.equipment_keyword.empty()) {
      named = ", though its description names \"" + spent.equipment_keyword + "\"";
      if (params.lexicon) {
        std::string kind;
        for (const auto& term : params.lexicon->terms()) {
          if (term.label == Lexicon::kEquipmentLabel && term.text == spent.equipment_keyword)
            kind = term.kind;
        }
        figures["label"] = std::string(Lexicon::kEquipmentLabel);
        figures["term"] = spent.equipment_keyword;
        figures["term_kind"] = kind;
        figures["lexicon_version"] = params.lexicon->version();
        parameters["lexicon_version"] = params.lexicon->version();
        named += " (" + kind + " term of lexicon " + params.lexicon->version() +
                 ", policy version " + std::to_string(params.version) + ")";
      }
    }
    Emit({"BR-4",
          "medium",
          "grant:" + spent.grant_id,
          params.version,
          parameters,
          figures,
          {spent.event},
          "",
          ExpenditureLabel(spent) + " on grant " + spent.grant_id +
              " is at or above the equipment threshold of " +
              Amount(params.equipment_threshold.minor_units,
                     params.equipment_threshold.currency) +
              " but is booked under " + CategoryName(spent.category) + named});
  }

  // ----- A, B, C, D, E: rules of one expenditure

  void ExpenditureRules() {
    constexpr int kExpert = static_cast<int>(schema::BudgetCategory::EXPERT_CONSULTATION);
    for (const ExpenditureFact& spent : expenditures_) {
      const Params& params = state_.ParamsAt(spent.event.sequence);
      const GrantFact* grant = Grant(spent.grant_id);
      // Texts of a flag, built only when one is raised: most expenditures raise none.
      auto label = [&] { return ExpenditureLabel(spent); };
      auto grant_subject = [&] { return "grant:" + spent.grant_id; };
      auto org_subject = [&] { return "org:" + spent.org_id; };

      // PU-1 prohibited use.
      if (!spent.prohibited_purpose.empty() && Covers(params, "PU-1", spent.grant_id)) {
        if (params.lexicon) {
          ProhibitedByLexicon(spent, params, grant);
        } else {
          ProhibitedByKeywords(spent, params, grant);
        }
      }

      if (grant != nullptr) {
        // PU-2 unrelated to project: no budget line for the category.
        const Budget& budget = budgets_.at(spent.grant_id);
        auto line = budget.lines.find(spent.category);
        if ((line == budget.lines.end() || line->second <= 0) &&
            Covers(params, "PU-2", spent.grant_id)) {
          ordered_json figures = ExpenditureFigures(spent);
          figures["budget"] =
              PlainAmount(line == budget.lines.end() ? 0 : line->second, grant->currency);
          Emit({"PU-2",
                "high",
                grant_subject(),
                params.version,
                {{"rule", "category must have a budget line"}},
                figures,
                {spent.event},
                "category",
                label() + " by " + spent.org_id + " is booked under " +
                    CategoryName(spent.category) + ", a category grant " + spent.grant_id +
                    " has no budget for"});
        }
        // PU-2: spent by a member with no task on the grant's project.
        auto tasks = state_.tasks.find(grant->project_id);
        if ((tasks == state_.tasks.end() || !tasks->second.contains(spent.org_id)) &&
            Covers(params, "PU-2", spent.grant_id)) {
          ordered_json figures = ExpenditureFigures(spent);
          figures["project"] = grant->project_id;
          Emit({"PU-2",
                "high",
                grant_subject(),
                params.version,
                {{"rule", "spender must have a task on the project"}},
                figures,
                {spent.event},
                "task",
                label() + " on grant " + spent.grant_id + " was made by " + spent.org_id +
                    ", which has no task on project " + grant->project_id});
        }
      }

      // PU-4 expert fee above the cap, or paid to the project team.
      if (spent.category == kExpert && Covers(params, "PU-4", spent.grant_id)) {
        const Money& cap = spent.academician ? params.academician_cap : params.expert_cap;
        int64_t days = spent.expert_days == 0 ? 1 : spent.expert_days;
        if (cap.currency == spent.currency &&
            static_cast<int128>(spent.amount) > static_cast<int128>(cap.minor_units) * days) {
          ordered_json figures = ExpenditureFigures(spent);
          figures["expert"] = spent.expert_name;
          figures["person_days"] = days;
          figures["person_days_recorded"] = spent.expert_days != 0;
          figures["per_day"] = PlainAmount(spent.amount / days, spent.currency);
          figures["cap_per_day"] = PlainAmount(cap.minor_units, cap.currency);
          figures["academician"] = spent.academician;
          Emit({"PU-4",
                "high",
                grant_subject(),
                params.version,
                Section(params, "PU-4"),
                figures,
                {spent.event},
                "cap",
                "expert fee " + label() + " to " +
                    (spent.expert_name.empty() ? "an unnamed expert" : spent.expert_name.str()) +
                    " for " + std::to_string(days) + " person-day" + (days == 1 ? "" : "s") +
                    (spent.expert_days == 0 ? " (none recorded, taken as 1)" : "") + " is " +
                    Amount(spent.amount / days, spent.currency) + " per day, above the cap of " +
                    Amount(cap.minor_units, cap.currency) + " per day" +
                    (spent.academician ? " for academicians" : "")});
        }
        std::string expert = !spent.expert_name.empty() ? spent.expert_name : spent.payee;
        auto team =
            grant != nullptr && !expert.empty() ? team_.find(grant->project_id) : team_.end();
        if (team != team_.end() && team->second.contains(expert)) {
          const Evidence& seen = team->second.at(expert);
          ordered_json figures = ExpenditureFigures(spent);
          figures["expert"] = expert;
          figures["project"] = grant->project_id;
          figures["team_evidence"] = EvidenceJson(seen);
          Emit({"PU-4",
                "high",
                grant_subject(),
                params.version,
                {{"rule", "expert fees may not be paid to the project team"}},
                figures,
                {spent.event},
                "team",
                "expert fee " + label() + " was paid to " + expert +
                    ", who is on the project team of " + grant->project_id + " (see expenditure #" +
                    std::to_string(seen.sequence) + ")"});
        }
      }

      // BR-4 equipment booked under another category.
      const bool any_item =
          params.lexicon ? !params.lexicon_has_equipment : params.equipment_keywords.empty();
      if (params.misfiling_categories.contains(spent.category) &&
          (any_item || !spent.equipment_keyword.empty()) &&
          params.equipment_threshold.currency == spent.currency &&
          spent.amount >= params.equipment_threshold.minor_units &&
          Covers(params, "BR-4", spent.grant_id)) {
        EquipmentMisfiled(spent, params);
      }

      // TP-1 out of period.
      if (grant != nullptr && Covers(params, "TP-1", spent.grant_id)) {
        auto parameters = [&] { return Section(params, "TP-1"); };
        int32_t earliest = std::min(spent.invoice_days, spent.payment_days);
        if (earliest < grant->start_days) {
          ordered_json figures = ExpenditureFigures(spent);
          figures["period_start"] = Date(grant->start_days);
          figures["days_before_start"] = grant->start_days - earliest;
          Emit({"TP-1",
                "critical",
                grant_subject(),
                params.version,
                parameters(),
                figures,
                {spent.event},
                "before",
                label() + " to vendor " + spent.vendor_id + " was dated " + Date(earliest) + ", " +
                    DaysText(grant->start_days - earliest) + " before grant " + spent.grant_id +
                    " started on " + Date(grant->start_days)});
        }
        // A grant terminated early (validation version 4) ends on its termination date.
        const GrantEnd end = EndOf(spent.grant_id, *grant);
        auto end_figures = [&](int32_t day) {
          ordered_json figures = ExpenditureFigures(spent);
          figures["period_end"] = Date(grant->end_days);
          if (end.termination != nullptr) {
            // Named in the figures, not the evidence: the flag's id is its first evidence's, the
            // expenditure's, and one termination may date many.
            figures["terminated_on"] = Date(end.days);
            figures["termination"] = end.termination->event.sequence;
          }
          figures[end.termination != nullptr ? "days_after_termination" : "days_after_end"] =
              day - end.days;
          return figures;
        };
        if (spent.invoice_days > end.days) {
          Emit({"TP-1",
                "critical",
                grant_subject(),
                params.version,
                parameters(),
                end_figures(spent.invoice_days),
                {spent.event},
                "after",
                label() + " to vendor " + spent.vendor_id + " was dated " +
                    Date(spent.invoice_days) + ", " + DaysText(spent.invoice_days - end.days) +
                    " after grant " + spent.grant_id + end.Said()});
        }
        if (spent.payment_days > end.days + params.liquidation_days) {
          Emit({"TP-1",
                "critical",
                grant_subject(),
                params.version,
                parameters(),
                end_figures(spent.payment_days),
                {spent.event},
                "liquidation",
                label() + " to vendor " + spent.vendor_id + " was paid on " +
                    Date(spent.payment_days) + ", " + DaysText(spent.payment_days - end.days) +
                    " after grant " + spent.grant_id + end.Said() + ", beyond the " +
                    std::to_string(params.liquidation_days) + "-day liquidation window"});
        }
      }

      // FL-1: spent by an organisation that was not an active member when the cost was incurred.
      if (!ActiveMember(spent.org_id, spent.invoice_days) &&
          Covers(params, "FL-1", spent.grant_id)) {
        Emit({"FL-1",
              "critical",
              org_subject(),
              params.version,
              {{"rule", "spender must be an active member"}},
              ExpenditureFigures(spent),
              {spent.event},
              "spender",
              label() + " on grant " + spent.grant_id + " dated " + Date(spent.invoice_days) +
                  " was made by " + spent.org_id +
                  ", which was not an active member of the alliance on that date"});
      }

      // AN-6 weekend or public holiday.
      if (Covers(params, "AN-6", spent.grant_id)) {
        unsigned weekday = Weekday(spent.payment_days);
        bool holiday = params.holidays.contains(spent.payment_days);
        bool weekend =
            (weekday == 0 || weekday == 6) && !params.working_weekends.contains(spent.payment_days);
        if (holiday || weekend) {
          ordered_json figures = ExpenditureFigures(spent);
          figures["weekday"] = weekday == 0 ? "Sunday" : weekday == 6 ? "Saturday" : "weekday";
          figures["public_holiday"] = holiday;
          Emit({"AN-6",
                "low",
                org_subject(),
                params.version,
                {{"calendar", "AN-6 of policy version " + std::to_string(params.version)},
                 {"holidays_listed", params.holidays.size()},
                 {"working_weekends_listed", params.working_weekends.size()}},
                figures,
                {spent.event},
                "",
                label() + " to vendor " + spent.vendor_id + " was paid on " +
                    Date(spent.payment_days) + ", " +
                    (holiday ? std::string("a public holiday")
                             : std::string("a ") + (weekday == 0 ? "Sunday" : "Saturday"))});
        }
      }

      // AN-7 backdated: booked long after payment, or paid before the invoice.
      if (Covers(params, "AN-7", spent.grant_id)) {
        auto parameters = [&] { return Section(params, "AN-7"); };
        auto appended = [&] { return FormatTimestamp(spent.appended_at_micros); };
        if (spent.voucher_days != kNoDate &&
            spent.voucher_days - spent.payment_days > params.voucher_days) {
          ordered_json figures = ExpenditureFigures(spent);
          figures["voucher_date"] = Date(spent.voucher_days);
          figures["days_after_payment"] = spent.voucher_days - spent.payment_days;
          figures["appended_at"] = appended();
          Emit({"AN-7",
                "high",
                org_subject(),
                params.version,
                parameters(),
                figures,
                {spent.event},
                "voucher",
                label() + " was booked on " + Date(spent.voucher_days) + ", " +
                    DaysText(spent.voucher_days - spent.payment_days) + " after its payment on " +
                    Date(spent.payment_days) + " (limit " + DaysText(params.voucher_days) +
                    "; appended to the ledger at " + appended() + ")"});
        }
        if (spent.payment_days < spent.invoice_days) {
          ordered_json figures = ExpenditureFigures(spent);
          figures["days_before_invoice"] = spent.invoice_days - spent.payment_days;
          figures["appended_at"] = appended();
          Emit({"AN-7",
                "high",
                org_subject(),
                params.version,
                parameters(),
                figures,
                {spent.event},
                "prepaid",
                label() + " to vendor " + spent.vendor_id + " was paid on " +
                    Date(spent.payment_days) + ", " +
                    DaysText(spent.invoice_days - spent.payment_days) +
                    " before its invoice date " + Date(spent.invoice_days) +
                    " (appended to the ledger at " + appended() + ")"});
        }
      }

      // AN-9 segregation of duties.
      if (Covers(params, "AN-9", spent.grant_id)) {
        if (!spent.requester.empty() && spent.requester == spent.approver) {
          ordered_json figures = ExpenditureFigures(spent);
          figures["person"] = spent.requester;
          Emit({"AN-9",
                "high",
                org_subject(),
                params.version,
                {{"rule", "requester and approver must differ"}},
                figures,
                {spent.event},
                "requester",
                label() + " to vendor " + spent.vendor_id +
                    " was requested and approved by the same person, " + spent.requester});
        }
        if (!spent.payee.empty() && spent.payee == spent.approver) {
          ordered_json figures = ExpenditureFigures(spent);
          figures["person"] = spent.payee;
          Emit({"AN-9",
                "high",
                org_subject(),
                params.version,
                {{"rule", "approver and payee must differ"}},
                figures,
                {spent.event},
                "payee",
                label() + " was approved by " + spent.approver + ", who is also its payee"});
        }
      }
    }
  }

  // ----- D: rules of one disbursement

  void DisbursementRules() {
    for (const auto& [sequence, disbursed] : state_.disbursements) {
      const Params& params = state_.ParamsAt(sequence);
      const GrantFact* grant = Grant(disbursed.grant_id);
      std::string currency = grant != nullptr ? grant->currency : std::string("CNY");
      std::string label = "disbursement #" + std::to_string(sequence) + " of " +
                          Amount(disbursed.amount, currency) + " under grant " + disbursed.grant_id;
      ordered_json figures = {{"disbursement", sequence},
                              {"grant", disbursed.grant_id},
                              {"member", disbursed.org_id},
                              {"amount", PlainAmount(disbursed.amount, currency)},
                              {"date", Date(disbursed.days)}};
      if (!ActiveMember(disbursed.org_id, disbursed.days) &&
          Covers(params, "FL-1", disbursed.grant_id)) {
        Emit({"FL-1",
              "critical",
              "org:" + disbursed.org_id,
              params.version,
              {{"rule", "recipient must be an active member"}},
              figures,
              {disbursed.event},
              "recipient",
              label + " on " + Date(disbursed.days) + " went to " + disbursed.org_id +
                  ", which was not an active member of the alliance on that date"});
      }
      if (grant == nullptr) continue;
      auto tasks = state_.tasks.find(grant->project_id);
      if ((tasks == state_.tasks.end() || !tasks->second.contains(disbursed.org_id)) &&
          Covers(params, "FL-2", disbursed.grant_id)) {
        ordered_json task_figures = figures;
        task_figures["project"] = grant->project_id;
        Emit({"FL-2",
              "high",
              "org:" + disbursed.org_id,
              params.version,
              {{"rule", "recipient must have a task on the grant's project"}},
              task_figures,
              {disbursed.event},
              "",
              label + " went to " + disbursed.org_id + ", which has no task on project " +
                  grant->project_id});
      }
      if (Covers(params, "FL-3", disbursed.grant_id)) {
        std::string agreement_id;
        const AgreementFact* agreement = AgreementFor(grant->project_id, &agreement_id);
        std::vector<std::string> unsigned_members;
        if (agreement != nullptr) {
          for (const auto& [org_id, organisation] : state_.organisations) {
            if (!ActiveMember(org_id, disbursed.days)) continue;
            auto signature = agreement->signatures.find(org_id);
            if (signature == agreement->signatures.end() ||
                signature->second.days > disbursed.days) {
              unsigned_members.push_back(org_id);
            }
          }
        }
        if (agreement == nullptr || !unsigned_members.empty()) {
          ordered_json agreement_figures = figures;
          agreement_figures["agreement"] = agreement_id;
          agreement_figures["unsigned_members"] = unsigned_members;
          std::string names;
          for (const auto& org_id : unsigned_members) names += (names.empty() ? "" : ", ") + org_id;
          bool government = GovernmentFunded(grant->source_kind);
          Emit({"FL-3",
                "high",
                "grant:" + disbursed.grant_id,
                params.version,
                {{"rule", "every member's legal representative signs before funds are disbursed"},
                 {"government_only", params.government_only.contains("FL-3")}},
                agreement_figures,
                {disbursed.event},
                "",
                std::string(government ? "government-funded " : "") + label + " on " +
                    Date(disbursed.days) +
                    (agreement == nullptr ? " was made before any alliance agreement was registered"
                                          : " was made before agreement " + agreement_id +
                                                " was signed by " + names),
                OrgSubjects(unsigned_members)});
        }
      }
    }
  }

  // ----- B, C: rules of one grant

  // Indirect-cost cap on `base` (direct costs less equipment): each tier's rate applies to the
  // part of the base inside the tier, as in Guo Ban Fa [2021] No. 32. Exact: floor per tier.
  static int64_t IndirectCap(const std::vector<Tier>& tiers, int64_t base) {
    int128 cap = 0;
    int64_t lower = 0;
    for (const Tier& tier : tiers) {
      if (base <= lower) break;
      int64_t upper = tier.up_to < 0 ? base : std::min(base, tier.up_to);
      cap += static_cast<int128>(upper - lower) * tier.basis_points / kBasisPoints;
      if (tier.up_to < 0) break;
      lower = tier.up_to;
    }
    return static_cast<int64_t>(cap);  // <= base, so it fits
  }

  static ordered_json TiersJson(const Params& params) {
    ordered_json out = ordered_json::array();
    for (const Tier& tier : params.tiers) {
      ordered_json item;
      if (tier.up_to >= 0) item["up_to"] = PlainAmount(tier.up_to, params.tier_currency);
      item["percent"] = Percent(tier.basis_points);
      out.push_back(item);
    }
    return out;
  }

  template <typename Fact>
  static std::vector<const Fact*> Crossing(const std::vector<const Fact*>& items, int64_t limit) {
    // The items from the one whose running total (in sequence order) first exceeds `limit`.
    int64_t running = 0;
    for (size_t i = 0; i < items.size(); ++i) {
      running = AddMoney(running, items[i]->amount);
      if (running > limit) return std::vector<const Fact*>(items.begin() + i, items.end());
    }
    return {};
  }

  void GrantRules() {
    constexpr int kEquipment = static_cast<int>(schema::BudgetCategory::EQUIPMENT);
    constexpr int kIndirect = static_cast<int>(schema::BudgetCategory::INDIRECT);
    static const Expenditures kNone;
    for (const auto& [id, grant] : state_.grants) {
      const Budget& budget = budgets_.at(id);
      auto spent_found = by_grant_.find(id);
      const Expenditures& spent = spent_found == by_grant_.end() ? kNone : spent_found->second;
      const std::string subject = "grant:" + id;

      // BR-1 indirect costs: the budget line, and the spending so far.
      {
        uint64_t latest = grant.awarded.sequence;
        auto adjustments = adjustments_by_grant_.find(id);
        std::vector<Evidence> budget_evidence = {grant.awarded};
        if (adjustments != adjustments_by_grant_.end()) {
          for (const auto* adjustment : adjustments->second) {
            budget_evidence.push_back(adjustment->event);
            latest = std::max(latest, adjustment->event.sequence);
          }
        }
        const Params& params = state_.ParamsAt(std::max(latest, MaxSequence(spent)));
        if (params.tier_currency == grant.currency && Covers(params, "BR-1", id)) {
          ordered_json parameters = {{"regime", params.regime}, {"tiers", TiersJson(params)}};
          int64_t direct = 0;
          for (const auto& [category, amount] : budget.lines) {
            if (category != kIndirect) direct = AddMoney(direct, amount);
          }
          int64_t base =
              direct - (budget.lines.contains(kEquipment) ? budget.lines.at(kEquipment) : 0);
          int64_t indirect = budget.lines.contains(kIndirect) ? budget.lines.at(kIndirect) : 0;
          int64_t cap = IndirectCap(params.tiers, base);
          if (indirect > cap) {
            Emit({"BR-1",
                  "high",
                  subject,
                  params.version,
                  parameters,
                  {{"indirect_budget", PlainAmount(indirect, grant.currency)},
                   {"direct_less_equipment", PlainAmount(base, grant.currency)},
                   {"cap", PlainAmount(cap, grant.currency)},
                   {"excess", PlainAmount(indirect - cap, grant.currency)}},
                  budget_evidence,
                  "budget",
                  "grant " + id + " budgets " + Amount(indirect, grant.currency) +
                      " of indirect costs, above the cap of " + Amount(cap, grant.currency) +
                      " on direct costs less equipment of " + Amount(base, grant.currency) + " (" +
                      params.regime + " tiers)"});
          }
          int64_t spent_direct = 0, spent_equipment = 0, spent_indirect = 0;
          Expenditures indirect_items;
          for (const auto* item : spent) {
            if (item->category == kIndirect) {
              spent_indirect = AddMoney(spent_indirect, item->amount);
              indirect_items.push_back(item);
            } else {
              spent_direct = AddMoney(spent_direct, item->amount);
              if (item->category == kEquipment)
                spent_equipment = AddMoney(spent_equipment, item->amount);
            }
          }
          int64_t spent_base = spent_direct - spent_equipment;
          int64_t spent_cap = IndirectCap(params.tiers, spent_base);
          if (spent_indirect > spent_cap) {
            Emit({"BR-1",
                  "high",
                  subject,
                  params.version,
                  parameters,
                  {{"indirect_spent", PlainAmount(spent_indirect, grant.currency)},
                   {"direct_less_equipment_spent", PlainAmount(spent_base, grant.currency)},
                   {"cap", PlainAmount(spent_cap, grant.currency)},
                   {"excess", PlainAmount(spent_indirect - spent_cap, grant.currency)}},
                  EvidenceOf(indirect_items),
                  "spent",
                  "grant " + id + " has spent " + Amount(spent_indirect, grant.currency) +
                      " on indirect costs, above the cap of " + Amount(spent_cap, grant.currency) +
                      " on the " + Amount(spent_base, grant.currency) +
                      " of direct costs less equipment spent (" + params.regime + " tiers)"});
          }
        }
      }

      // BR-2 overrun of a line beyond its budget plus approved adjustments.
      {
        std::map<int, Expenditures> by_category;
        for (const auto* item : spent) by_category[item->category].push_back(item);
        for (const auto& [category, items] : by_category) {
          auto line = budget.lines.find(category);
          if (line == budget.lines.end() || line->second <= 0) continue;  // PU-2's case
          Expenditures crossing = Crossing(items, line->second);
          if (crossing.empty()) continue;
          const Params& params = state_.ParamsAt(MaxSequence(crossing));
          if (!Covers(params, "BR-2", id)) continue;
          int64_t total = 0;
          for (const auto* item : items) total = AddMoney(total, item->amount);
          ordered_json adjusted = ordered_json::array();
          if (budget.adjusted_by.contains(category)) adjusted = budget.adjusted_by.at(category);
          int64_t awarded = grant.budget.contains(category) ? grant.budget.at(category) : 0;
          Emit({"BR-2",
                "high",
                subject,
                params.version,
                {{"rule", "spending within budget plus approved adjustments"}},
                {{"category", CategoryName(category)},
                 {"budget_awarded", PlainAmount(awarded, grant.currency)},
                 {"budget", PlainAmount(line->second, grant.currency)},
                 {"adjustments", adjusted},
                 {"spent", PlainAmount(total, grant.currency)},
                 {"overrun", PlainAmount(total - line->second, grant.currency)}},
                EvidenceOf(crossing),
                "overrun",
                "spending on the " + CategoryName(category) + " line of grant " + id + " reached " +
                    Amount(total, grant.currency) + ", " +
                    Amount(total - line->second, grant.currency) + " over its budget of " +
                    Amount(line->second, grant.currency) +
                    " (as awarded plus approved adjustments), first exceeded by expenditure #" +
                    std::to_string(crossing.front()->event.sequence)});
        }
        for (const auto& [adjustment, before, after] : budget.unapproved_equipment) {
          const Params& params = state_.ParamsAt(adjustment->event.sequence);
          if (!Covers(params, "BR-2", id)) continue;
          ordered_json figures = {{"adjustment", adjustment->event.sequence},
                                  {"equipment_before", PlainAmount(before, grant.currency)},
                                  {"equipment_requested", PlainAmount(after, grant.currency)},
                                  {"approved_by", adjustment->approved_by},
                                  {"funder", grant.funder_org_id}};
          // Recorded by the undertaking unit (validation version 4), which needs the funder's
          // approval reference; the funder's own adjustments keep their earlier wording.
          const bool by_unit = !adjustment->author_org_id.empty() &&
                               adjustment->author_org_id != grant.funder_org_id;
          if (by_unit) figures["recorded_by"] = adjustment->author_org_id;
          Emit({"BR-2",
                "high",
                subject,
                params.version,
                {{"rule", "equipment increases need the funder's approval"}},
                figures,
                {adjustment->event},
                "equipment_increase",
                "budget adjustment #" + std::to_string(adjustment->event.sequence) +
                    " raised the equipment line of grant " + id + " from " +
                    Amount(before, grant.currency) + " to " + Amount(after, grant.currency) +
                    (by_unit ? ", recorded by " + adjustment->author_org_id +
                                   " without the funder's approval reference (funder " +
                                   grant.funder_org_id + "), so the increase is not counted"
                             : " on the approval of \"" + adjustment->approved_by +
                                   "\", not of the funder " + grant.funder_org_id +
                                   ", so the increase is not counted")});
        }
      }

      // BR-3 overspend at the grant level: disbursed beyond received, received beyond award.
      {
        int64_t received = 0, disbursed = 0;
        std::vector<const ReceiptFact*> receipts;
        std::vector<const DisbursementFact*> disbursements;
        if (receipts_by_grant_.contains(id)) receipts = receipts_by_grant_.at(id);
        if (disbursements_by_grant_.contains(id)) disbursements = disbursements_by_grant_.at(id);
        for (const auto* item : receipts) received = AddMoney(received, item->amount);
        for (const auto* item : disbursements) disbursed = AddMoney(disbursed, item->amount);
        // Disbursed ahead of receipts, by business dates: every episode (episodes.h), so money
        // advanced before the funder's receipt is flagged even once the receipt covers it.
        std::vector<Movement> movements;
        for (const auto* item : receipts) movements.push_back({item->days, item->event.sequence, item->amount});
        for (const auto* item : disbursements) movements.push_back({item->days, item->event.sequence, -item->amount});
        for (const ShortfallEpisode& episode : ShortfallEpisodes(std::move(movements))) {
          std::vector<Evidence> evidence;
          for (uint64_t sequence : episode.outflows) evidence.push_back(state_.disbursements.Find(sequence)->event);
          for (uint64_t sequence : episode.inflows) evidence.push_back(state_.receipts.Find(sequence)->event);
          uint64_t latest = 0;
          for (const Evidence& item : evidence) latest = std::max(latest, item.sequence);
          const Params& params = state_.ParamsAt(latest);
          if (!Covers(params, "BR-3", id)) continue;
          const bool ongoing = episode.end_day == ShortfallEpisode::kOngoing;
          Emit({"BR-3",
                "critical",
                subject,
                params.version,
                {{"rule", "disbursements within funds received, at every business date"}},
                {{"received", PlainAmount(received, grant.currency)},
                 {"disbursed", PlainAmount(disbursed, grant.currency)},
                 {"start", Date(episode.start_day)},
                 {"end", ongoing ? std::string("ongoing") : Date(episode.end_day)},
                 {"days", ongoing ? ordered_json(nullptr) : ordered_json(episode.end_day - episode.start_day)},
                 {"peak_shortfall", PlainAmount(episode.peak_shortfall, grant.currency)},
                 {"peak_date", Date(episode.peak_day)},
                 {"first_exceeded_by", episode.first_sequence}},
                evidence,
                "disbursed",
                "grant " + id + " had disbursed more than it had received from its funder from " +
                    Date(episode.start_day) + " (disbursement #" + std::to_string(episode.first_sequence) + ") " +
                    (ongoing ? "and still has (received " + Amount(received, grant.currency) + ", disbursed " +
                                   Amount(disbursed, grant.currency) + ")"
                             : "to " + Date(episode.end_day) + ", when receipt #" +
                                   std::to_string(episode.inflows.back()) + " covered it") +
                    "; the shortfall peaked at " + Amount(episode.peak_shortfall, grant.currency) + " on " +
                    Date(episode.peak_day)});
        }
        auto crossing_receipts = Crossing(receipts, grant.amount);
        if (!crossing_receipts.empty()) {
          std::vector<Evidence> evidence;
          for (const auto* item : crossing_receipts) evidence.push_back(item->event);
          const Params& params = state_.ParamsAt(evidence.back().sequence);
          if (Covers(params, "BR-3", id)) {
            Emit({"BR-3",
                  "critical",
                  subject,
                  params.version,
                  {{"rule", "funds received within the award"}},
                  {{"awarded", PlainAmount(grant.amount, grant.currency)},
                   {"received", PlainAmount(received, grant.currency)},
                   {"excess", PlainAmount(SubtractMoney(received, grant.amount), grant.currency)}},
                  evidence,
                  "received",
                  "grant " + id + " has received " + Amount(received, grant.currency) +
                      ", more than its award of " + Amount(grant.amount, grant.currency)});
          }
        }
      }

      // TP-2 year-end spike: share of spending paid in the final days of the period.
      if (!spent.empty()) {
        const Params& params = state_.ParamsAt(MaxSequence(spent));
        if (Covers(params, "TP-2", id)) {
          int32_t window_start = grant.end_days - params.spike_days + 1;
          int64_t total = 0, late = 0;
          Expenditures window;
          for (const auto* item : spent) {
            total = AddMoney(total, item->amount);
            if (item->payment_days >= window_start && item->payment_days <= grant.end_days) {
              late = AddMoney(late, item->amount);
              window.push_back(item);
            }
          }
          if (total > 0 && static_cast<int128>(late) * kBasisPoints >
                               static_cast<int128>(total) * params.spike_share_bp) {
            Emit({"TP-2",
                  "medium",
                  subject,
                  params.version,
                  Section(params, "TP-2"),
                  {{"window_start", Date(window_start)},
                   {"period_end", Date(grant.end_days)},
                   {"spent_in_window", PlainAmount(late, grant.currency)},
                   {"spent_total", PlainAmount(total, grant.currency)},
                   {"share", Percent(ShareBasisPoints(late, total))}},
                  EvidenceOf(window),
                  "",
                  "grant " + id + " paid " + Amount(late, grant.currency) + ", " +
                      Percent(ShareBasisPoints(late, total)) + " of its " +
                      Amount(total, grant.currency) + " spending, in its final " +
                      DaysText(params.spike_days) + " from " + Date(window_start) + " to " +
                      Date(grant.end_days) + ", above the limit of " +
                      Percent(params.spike_share_bp)});
          }
        }
      }

      // TP-4 unreturned balance after the end of the grant, or after its termination (time-
      // based: the latest policy).
      {
        const Params& params = state_.Latest();
        const GrantEnd end = EndOf(id, grant);
        int32_t deadline = end.days + params.unreturned_days;
        if (as_of_ > deadline && Covers(params, "TP-4", id)) {
          int64_t balance = 0;
          std::vector<Evidence> evidence = {grant.awarded};
          if (end.termination != nullptr) evidence.push_back(end.termination->event);
          if (receipts_by_grant_.contains(id)) {
            for (const auto* item : receipts_by_grant_.at(id)) {
              if (item->days > as_of_) continue;
              balance = AddMoney(balance, item->amount);
              evidence.push_back(item->event);
            }
          }
          for (const auto* item : spent) {
            if (item->payment_days <= as_of_) balance = AddMoney(balance, -item->amount);
          }
          if (refunds_by_grant_.contains(id)) {
            for (const auto* item : refunds_by_grant_.at(id)) {
              if (item->days <= as_of_)
                balance = AddMoney(balance, (item->vendor_refund ? item->amount : -item->amount));
            }
          }
          if (balance > 0) {
            ordered_json figures = {{"period_end", Date(grant.end_days)},
                                    {"deadline", Date(deadline)},
                                    {"as_of", Date(as_of_)},
                                    {"balance", PlainAmount(balance, grant.currency)}};
            if (end.termination != nullptr) {
              figures["terminated_on"] = Date(end.days);
              figures["termination_reason"] = end.termination->reason;
            }
            Emit({"TP-4",
                  "high",
                  subject,
                  params.version,
                  Section(params, "TP-4"),
                  figures,
                  evidence,
                  end.termination != nullptr ? "terminated" : "",
                  "grant " + id + end.Said() + " and still held " +
                      Amount(balance, grant.currency) + " on " + Date(as_of_) + ", " +
                      DaysText(as_of_ - end.days) +
                      " later, not refunded to the funder (limit " +
                      DaysText(params.unreturned_days) + ")"});
          }
        }
      }
    }
  }

  // ----- B, C, D: rules of one member's money under one grant

  // What a member has used of a grant's money by `day`: payments, less vendor refunds, plus
  // refunds to the funder. `day` = INT32_MAX counts everything.
  int64_t Consumed(const std::pair<std::string, std::string>& key, int32_t day) const {
    int64_t consumed = 0;
    if (by_member_grant_.contains(key)) {
      for (const auto* item : by_member_grant_.at(key)) {
        if (item->payment_days <= day) consumed = AddMoney(consumed, item->amount);
      }
    }
    if (refunds_by_member_grant_.contains(key)) {
      for (const auto* item : refunds_by_member_grant_.at(key)) {
        if (item->days <= day)
          consumed = AddMoney(consumed, (item->vendor_refund ? -item->amount : item->amount));
      }
    }
    return consumed;
  }

  // The event of a money fact by its sequence number, as evidence.
  Evidence MoneyEvidence(uint64_t sequence) const {
    if (const ExpenditureFact* spent = Expenditure(sequence)) return spent->event;
    if (const auto* disbursed = state_.disbursements.Find(sequence)) return disbursed->event;
    const auto* refund = state_.refunds.Find(sequence);
    FT_ASSERT(refund != nullptr, "an episode names an event that is no money fact");
    return refund->event;
  }

  // A member's money under a grant as movements on their business dates: disbursements and
  // vendor refunds in, payments and refunds to the funder out (episodes.h).
  std::vector<Movement> MemberMovements(const std::pair<std::string, std::string>& key,
                                        const Expenditures& items) const {
    std::vector<Movement> movements;
    if (disbursements_by_member_grant_.contains(key)) {
      for (const auto* item : disbursements_by_member_grant_.at(key))
        movements.push_back({item->days, item->event.sequence, item->amount});
    }
    if (refunds_by_member_grant_.contains(key)) {
      for (const auto* item : refunds_by_member_grant_.at(key))
        movements.push_back({item->days, item->event.sequence, item->vendor_refund ? item->amount : -item->amount});
    }
    for (const auto* item : items) movements.push_back({item->payment_days, item->event.sequence, -item->amount});
    return movements;
  }

  // BR-3 /member: one flag per episode of ShortfallEpisodes, its id from its first evidence event,
  // so an overdraft a later tranche covered stays flagged once, with its dates.
  void MemberShortfalls(const std::pair<std::string, std::string>& key, const Expenditures& items) {
    const auto& [org_id, grant_id] = key;
    const GrantFact* grant = Grant(grant_id);
    const std::string currency = grant != nullptr ? grant->currency : items.front()->currency.str();
    std::vector<Movement> movements = MemberMovements(key, items);
    int64_t balance = 0;
    for (const Movement& movement : movements) balance = AddMoney(balance, movement.amount);
    for (const ShortfallEpisode& episode : ShortfallEpisodes(std::move(movements))) {
      std::vector<Evidence> evidence;
      for (uint64_t sequence : episode.outflows) evidence.push_back(MoneyEvidence(sequence));
      for (uint64_t sequence : episode.inflows) evidence.push_back(MoneyEvidence(sequence));
      uint64_t latest = 0;
      for (const Evidence& item : evidence) latest = std::max(latest, item.sequence);
      const Params& params = state_.ParamsAt(latest);
      if (!Covers(params, "BR-3", grant_id)) continue;
      const bool ongoing = episode.end_day == ShortfallEpisode::kOngoing;
      const std::string covered =
          ongoing ? "and is not covered: short " + Amount(-balance, currency) + " after the last event"
                  : "to " + Date(episode.end_day) + ", when " +
                        (episode.inflows.empty() ? std::string("it was covered")
                                                 : "event #" + std::to_string(episode.inflows.back()) + " covered it");
      Emit({"BR-3",
            "critical",
            "org:" + org_id,
            params.version,
            {{"rule", "member spending within its disbursements, at every business date"}},
            {{"grant", grant_id},
             {"member", org_id},
             {"start", Date(episode.start_day)},
             {"end", ongoing ? std::string("ongoing") : Date(episode.end_day)},
             // Only an ended episode has a length: an event rule does not depend on the day asked.
             {"days", ongoing ? ordered_json(nullptr) : ordered_json(episode.end_day - episode.start_day)},
             {"peak_shortfall", PlainAmount(episode.peak_shortfall, currency)},
             {"peak_date", Date(episode.peak_day)},
             {"first_exceeded_by", episode.first_sequence}},
            evidence,
            "member",
            org_id + "'s spending of grant " + grant_id + " ran ahead of its disbursements from " +
                Date(episode.start_day) + " (event #" + std::to_string(episode.first_sequence) + ") " + covered +
                "; the shortfall peaked at " + Amount(episode.peak_shortfall, currency) + " on " +
                Date(episode.peak_day)});
    }
  }

  // What a member used of a grant's money, as movements on their business dates: payments and
  // refunds to the funder use it, vendor refunds give it back (episodes.h).
  std::vector<Movement> MemberUses(const std::pair<std::string, std::string>& key) const {
    std::vector<Movement> uses;
    if (by_member_grant_.contains(key)) {
      for (const auto* item : by_member_grant_.at(key))
        uses.push_back({item->payment_days, item->event.sequence, item->amount});
    }
    if (refunds_by_member_grant_.contains(key)) {
      for (const auto* item : refunds_by_member_grant_.at(key))
        uses.push_back({item->days, item->event.sequence, item->vendor_refund ? -item->amount : item->amount});
    }
    return uses;
  }

  // TP-3: one flag per episode of IdleEpisodes up to `day`, ended ones included, so money idle
  // for months and then spent is flagged. The id is that of its first evidence event (the
  // oldest idle disbursement, as before episodes were counted).
  void IdleFunds(const std::pair<std::string, std::string>& key,
                 const std::vector<const DisbursementFact*>& disbursed, const Params& params,
                 const std::string& currency, int32_t day) {
    const auto& [org_id, grant_id] = key;
    std::vector<Lot> lots;
    for (const auto* lot : disbursed) lots.push_back({lot->days, lot->event.sequence, lot->amount});
    std::set<uint64_t> first_events;
    for (const IdleEpisode& episode : IdleEpisodes(std::move(lots), MemberUses(key), params.idle_days, day)) {
      std::vector<Evidence> evidence;
      for (uint64_t sequence : episode.lots) evidence.push_back(MoneyEvidence(sequence));
      for (uint64_t sequence : episode.ended_by) evidence.push_back(MoneyEvidence(sequence));
      uint64_t first = UINT64_MAX;
      for (const Evidence& item : evidence) first = std::min(first, item.sequence);
      // A lot idle again after a vendor refund gave money back starts a second episode with the
      // same first event: its start date tells the two apart.
      const std::string discriminator = first_events.insert(first).second ? "" : "from-" + Date(episode.start_day);
      const bool ongoing = episode.end_day == IdleEpisode::kOngoing;
      const int32_t last = ongoing ? day : episode.end_day;
      const std::string how =
          ongoing ? "was still unspent on " + Date(day)
                  : "lay unspent until it was spent on " + Date(episode.end_day);
      Emit({"TP-3",
            "medium",
            "org:" + org_id,
            params.version,
            Section(params, "TP-3"),
            {{"grant", grant_id},
             {"member", org_id},
             {"evaluated_on", Date(day)},
             {"start", Date(episode.start_day)},
             {"end", ongoing ? std::string("ongoing") : Date(episode.end_day)},
             {"idle", PlainAmount(episode.idle_at_end, currency)},
             {"peak_idle", PlainAmount(episode.peak_idle, currency)},
             {"peak_date", Date(episode.peak_day)},
             {"oldest_disbursement", Date(episode.oldest_lot_day)},
             {"days_idle", last - episode.oldest_lot_day}},
            evidence,
            discriminator,
            Amount(episode.idle_at_end, currency) + " disbursed to " + org_id + " under grant " + grant_id + " " + how +
                ", " + DaysText(last - episode.oldest_lot_day) + " after the oldest such disbursement on " +
                Date(episode.oldest_lot_day) + " (limit " + DaysText(params.idle_days) + "; over the limit from " +
                Date(episode.start_day) + ", at most " + Amount(episode.peak_idle, currency) + " on " +
                Date(episode.peak_day) + ")"});
    }
  }

  void MemberGrantRules() {
    // BR-3: every episode in which a member's spending ran ahead of its disbursements, by
    // business dates (every pair that spent).
    for (const auto& [key, items] : by_member_grant_) MemberShortfalls(key, items);

    for (const auto& [key, lots_in_sequence] : disbursements_by_member_grant_) {
      const auto& [org_id, grant_id] = key;
      const GrantFact* grant = Grant(grant_id);
      std::string currency = grant != nullptr ? grant->currency : std::string("CNY");
      const Params& params = state_.Latest();

      // TP-3 idle funds: every episode of money disbursed more than idle_days earlier and unspent
      // (first in first out), up to the as-of date or the end of the grant, whichever is earlier
      // (after the end, an unspent balance is TP-4's and FL-1's business).
      if (Covers(params, "TP-3", grant_id)) {
        const int32_t day = grant != nullptr ? std::min(as_of_, grant->end_days) : as_of_;
        IdleFunds(key, lots_in_sequence, params, currency, day);
      }

      // FL-1: a withdrawn member keeps unspent funds beyond the grace period.
      auto organisation = state_.organisations.find(org_id);
      if (organisation != state_.organisations.end() && !organisation->second.memberships.empty() &&
          Covers(params, "FL-1", grant_id)) {
        const MembershipFact& last = organisation->second.memberships.back();
        if (last.withdrawn.sequence != 0 && as_of_ > last.withdrawn_days + params.withdrawn_days) {
          int64_t disbursed = 0;
          std::vector<Evidence> evidence;
          for (const auto* lot : lots_in_sequence) {
            if (lot->days > as_of_) continue;
            disbursed = AddMoney(disbursed, lot->amount);
            evidence.push_back(lot->event);
          }
          int64_t unspent = SubtractMoney(disbursed, Consumed(key, as_of_));
          if (unspent > 0) {
            Emit({"FL-1",
                  "critical",
                  "org:" + org_id,
                  params.version,
                  Section(params, "FL-1"),
                  {{"grant", grant_id},
                   {"member", org_id},
                   {"withdrawn_on", Date(last.withdrawn_days)},
                   {"withdrawal", EvidenceJson(last.withdrawn)},
                   {"expelled", last.expelled},
                   {"as_of", Date(as_of_)},
                   {"unspent", PlainAmount(unspent, currency)}},
                  evidence,
                  "kept",
                  org_id + (last.expelled ? " was expelled from" : " withdrew from") +
                      " the alliance on " + Date(last.withdrawn_days) + " and still held " +
                      Amount(unspent, currency) + " of grant " + grant_id + " unspent on " +
                      Date(as_of_) + ", " + DaysText(as_of_ - last.withdrawn_days) +
                      " later (limit " + DaysText(params.withdrawn_days) + ")"});
          }
        }
      }
    }
  }

  // ----- A, E: rules across expenditures

  // PU-3: one invoice charged across grants (or by several members) for more than its amount.
  // The invoice's face value is the total its charges state (invoice_total, validation version
  // 4), so that an invoice split across grants within its total is not raised; charges that
  // state different totals are. Where no charge states it, the largest single charge stands for
  // it, and a split is raised for the auditor to dispose of. A foreign payment is compared in the
  // invoice's currency (its original amount).
  void DoubleCharging() {
    for (const auto& [key, items] : by_vendor_key_) {
      // The vendor's payments of each invoice number, in sequence order: runs of a stable sort.
      ForEachRun(
          items,
          [](const ExpenditureFact* a, const ExpenditureFact* b) {
            return a->invoice_number < b->invoice_number;
          },
          [&](const Expenditures& charges) { ChargedTwice(charges); });
    }
  }

  // Calls visit(run) for each run of two or more `items` that `less` finds equal, each run in
  // the order of `items`. Flags are sorted by id at the end, so the order of the runs is free.
  template <typename Less, typename Visit>
  static void ForEachRun(const Expenditures& items, Less less, Visit visit) {
    Expenditures sorted = items;
    std::stable_sort(sorted.begin(), sorted.end(), less);
    Expenditures run;
    for (size_t begin = 0, end = 0; begin < sorted.size(); begin = end) {
      for (end = begin + 1; end < sorted.size() && !less(sorted[begin], sorted[end]);) ++end;
      if (end - begin < 2) continue;
      run.assign(sorted.begin() + begin, sorted.begin() + end);
      visit(run);
    }
  }

  // What an expenditure charged of its invoice, in the invoice's currency: a foreign payment's
  // original amount, else its amount; and the invoice's total it states (0 if none).
  int64_t Charged(const ExpenditureFact* item) const {
    const InvoiceFact* invoice = reader_.InvoiceOf(item->event.sequence);
    return invoice != nullptr && invoice->original_amount > 0 ? invoice->original_amount : item->amount;
  }
  const std::string& ChargedCurrency(const ExpenditureFact* item) const {
    const InvoiceFact* invoice = reader_.InvoiceOf(item->event.sequence);
    return invoice != nullptr && invoice->original_amount > 0 ? invoice->original_currency
                                                              : item->currency.str();
  }
  int64_t InvoiceTotal(const ExpenditureFact* item) const {
    const InvoiceFact* invoice = reader_.InvoiceOf(item->event.sequence);
    return invoice != nullptr ? invoice->total : 0;
  }

  // PU-3 for the payments of one invoice (of one issuer), two or more.
  void ChargedTwice(const Expenditures& all_items) {
    const std::string& invoice_number = all_items.front()->invoice_number;
    const Params& params = state_.ParamsAt(MaxSequence(all_items));
    const std::string& currency = ChargedCurrency(all_items.front());
    Expenditures items;
    for (const auto* item : all_items) {
      if (ChargedCurrency(item) == currency && Covers(params, "PU-3", item->grant_id))
        items.push_back(item);
    }
    std::set<std::pair<std::string, std::string>> charged_to;
    std::set<int64_t> stated_totals;
    int64_t total = 0, largest = 0;
    for (const auto* item : items) {
      charged_to.insert({item->grant_id, item->org_id});
      total = AddMoney(total, Charged(item));
      largest = std::max(largest, Charged(item));
      if (InvoiceTotal(item) > 0) stated_totals.insert(InvoiceTotal(item));
    }
    if (charged_to.size() < 2) return;
    const bool conflicting = stated_totals.size() > 1;
    const int64_t face = stated_totals.size() == 1 ? *stated_totals.begin() : largest;
    if (!conflicting && static_cast<int128>(total) * kBasisPoints <=
                            static_cast<int128>(face) * params.charged_percent_max_bp)
      return;
    ordered_json charges = ordered_json::array();
    std::string grants;
    std::set<std::string> grant_ids;
    for (const auto* item : items) {
      ordered_json charge = {{"expenditure", item->event.sequence},
                             {"grant", item->grant_id},
                             {"org", item->org_id},
                             {"amount", PlainAmount(Charged(item), currency)}};
      if (InvoiceTotal(item) > 0) charge["invoice_total"] = PlainAmount(InvoiceTotal(item), currency);
      charges.push_back(std::move(charge));
      if (grant_ids.insert(item->grant_id).second)
        grants += (grants.empty() ? "" : ", ") + item->grant_id;
    }
    const std::string& vendor_id = items.front()->vendor_id;
    ordered_json figures = {{"invoice_number", invoice_number},
                            {"vendor", vendor_id},
                            {"charges", charges},
                            {"total", PlainAmount(total, currency)},
                            {"largest_charge", PlainAmount(largest, currency)}};
    std::string why = "more than its largest single charge of " + Amount(largest, currency);
    if (conflicting) {
      ordered_json totals = ordered_json::array();
      std::string listed;
      for (int64_t stated : stated_totals) {
        totals.push_back(PlainAmount(stated, currency));
        listed += (listed.empty() ? "" : ", ") + Amount(stated, currency);
      }
      figures["invoice_totals"] = totals;
      why = "and its charges state different invoice totals (" + listed + ")";
    } else if (!stated_totals.empty()) {
      figures["invoice_total"] = PlainAmount(face, currency);
      why = "more than the invoice's total of " + Amount(face, currency);
    }
    Emit({"PU-3",
          "critical",
          "vendor:" + vendor_id,
          params.version,
          Section(params, "PU-3"),
          figures,
          EvidenceOf(items),
          "",
          "invoice " + invoice_number + " of vendor " + vendor_id + " was charged " +
              std::to_string(items.size()) + " times, to grant" +
              (grant_ids.size() == 1 ? " " : "s ") + grants + ", for " + Amount(total, currency) +
              " in total, " + why});
  }

  // AN-1: a repeat of an earlier expenditure to the same vendor: same invoice number and amount,
  // or the same amount under another invoice number paid within the window.
  void Duplicates() {
    for (const auto& [key, items] : by_vendor_key_) {
      // The vendor's payments of each amount, in sequence order.
      auto less = [](const ExpenditureFact* a, const ExpenditureFact* b) {
        return std::tie(a->currency.str(), a->amount) < std::tie(b->currency.str(), b->amount);
      };
      ForEachRun(items, less, [&](const Expenditures& bucket) {
        // The earliest match of each repeat, in O(log n) rather than by a scan of every earlier
        // payment of the amount (quadratic for a vendor paid one fixed fee thousands of times):
        // the earliest payment with the same invoice number, and the earliest paid within the
        // window, whichever comes first.
        std::unordered_map<std::string_view, size_t> first_with_invoice;
        EarliestByDay first_on_day(bucket);
        for (size_t later = 0; later < bucket.size(); ++later) {
          const ExpenditureFact& repeat = *bucket[later];
          if (later > 0) DuplicateOf(bucket, later, first_with_invoice, first_on_day);
          first_with_invoice.try_emplace(repeat.invoice_number, later);
          first_on_day.Add(later);
        }
      });
    }
  }

  // AN-1 for bucket[later] against the payments before it, indexed in `first_with_invoice` and
  // `first_on_day`.
  void DuplicateOf(const Expenditures& bucket, size_t later,
                   const std::unordered_map<std::string_view, size_t>& first_with_invoice,
                   const EarliestByDay& first_on_day) {
    const ExpenditureFact& repeat = *bucket[later];
    const Params& params = state_.ParamsAt(repeat.event.sequence);
    if (!Covers(params, "AN-1", repeat.grant_id)) return;
    size_t earliest = first_on_day.Earliest(repeat.payment_days - params.duplicate_days,
                                            repeat.payment_days + params.duplicate_days);
    auto same = first_with_invoice.find(repeat.invoice_number);
    if (same != first_with_invoice.end()) earliest = std::min(earliest, same->second);
    if (earliest == EarliestByDay::kNone) return;
    // One flag per repeat, against the earliest live match.
    const ExpenditureFact& first = *bucket[earliest];
    bool same_invoice = first.invoice_number == repeat.invoice_number;
    int32_t apart = std::abs(repeat.payment_days - first.payment_days);
    ordered_json figures = ExpenditureFigures(repeat);
    figures["earlier_expenditure"] = first.event.sequence;
    figures["earlier_invoice_number"] = first.invoice_number;
    figures["earlier_payment_date"] = Date(first.payment_days);
    figures["days_apart"] = apart;
    std::string explanation =
        same_invoice
            ? ExpenditureLabel(repeat) + " to vendor " + repeat.vendor_id + " repeats invoice " +
                  repeat.invoice_number + " and the amount of expenditure #" +
                  std::to_string(first.event.sequence)
            : ExpenditureLabel(repeat) + " to vendor " + repeat.vendor_id + " paid on " +
                  Date(repeat.payment_days) + " has the amount of expenditure #" +
                  std::to_string(first.event.sequence) + " paid on " + Date(first.payment_days) +
                  ", " + DaysText(apart) + " apart, under another invoice number (" +
                  repeat.invoice_number + " after " + first.invoice_number + ")";
    Emit({"AN-1",
          "high",
          "vendor:" + repeat.vendor_id,
          params.version,
          Section(params, "AN-1"),
          figures,
          {first.event, repeat.event},
          std::to_string(repeat.event.sequence),
          explanation});
  }

  // AN-2: payments below the approval threshold that together reach it within the window, to
  // one vendor or by one requester. Payments are taken in date order; a group that reaches the
  // threshold is flagged and its payments are not reused, so groups do not overlap.
  void SplitPurchases() {
    PeopleLists requesters;  // (org, person); groups are independent, so their order is free
    for (const ExpenditureFact& spent : expenditures_) {
      if (!spent.requester.empty())
        requesters[{spent.org_id.str(), spent.requester}].push_back(&spent);
    }
    for (const auto& [key, items] : by_vendor_key_) SplitWithin(items, "vendor");
    for (const auto& [key, items] : requesters) SplitWithin(items, "requester");
  }

  // The definition: for each payment in date order (`last`) that is below the threshold, the
  // group is every payment not yet in a group, below the threshold, dated within the window
  // ending on its date and not after it in that order; a group of two or more reaching the
  // threshold is flagged. Evaluated as a sliding window: O(n) for a run of payments under one
  // policy version, rebuilt by the definition's scan when the version changes.
  void SplitWithin(Expenditures items, const char* kind) {
    std::stable_sort(items.begin(), items.end(),
                     [](const ExpenditureFact* a, const ExpenditureFact* b) {
                       return a->payment_days < b->payment_days;
                     });
    std::vector<bool> used(items.size(), false);
    // The group as of `scanned_to`, for policy `window_version`, in date order.
    std::deque<size_t> window;
    int128 window_total = 0, window_magnitude = 0;
    const Params* window_params = nullptr;
    size_t scanned_to = 0;
    auto push = [&](size_t index) {
      window.push_back(index);
      window_total += items[index]->amount;
      window_magnitude +=
          items[index]->amount < 0 ? -int128{items[index]->amount} : int128{items[index]->amount};
    };
    for (size_t last = 0; last < items.size(); ++last) {
      const Params& params = state_.ParamsAt(items[last]->event.sequence);
      const Money& threshold = params.approval_threshold;
      auto below = [&](const ExpenditureFact* item) {
        return item->currency == threshold.currency && item->amount < threshold.minor_units &&
               Covers(params, "AN-2", item->grant_id);
      };
      if (!below(items[last])) continue;
      const int32_t window_start = items[last]->payment_days - (params.split_days - 1);
      if (window_params != &params) {
        window.clear();
        window_total = window_magnitude = 0;
        size_t first = last + 1;
        while (first > 0 && items[first - 1]->payment_days >= window_start) --first;
        for (size_t i = first; i <= last; ++i) {
          if (!used[i] && below(items[i])) push(i);
        }
        window_params = &params;
      } else {
        for (size_t i = scanned_to + 1; i <= last; ++i) {
          if (!used[i] && below(items[i])) push(i);
        }
        while (!window.empty() && items[window.front()]->payment_days < window_start) {
          const int64_t amount = items[window.front()]->amount;
          window_total -= amount;
          window_magnitude -= amount < 0 ? -int128{amount} : int128{amount};
          window.pop_front();
        }
      }
      scanned_to = last;
      if (window.size() < 2) continue;
      // The definition sums newest first with AddMoney, which saturates; the exact sum is the
      // same unless the magnitudes could reach the int64 bound.
      int64_t total = 0;
      if (window_magnitude < static_cast<int128>(INT64_MAX)) {
        total = static_cast<int64_t>(window_total);
      } else {
        for (auto index = window.rbegin(); index != window.rend(); ++index)
          total = AddMoney(total, items[*index]->amount);
      }
      if (total < threshold.minor_units) continue;
      Expenditures group;
      for (size_t index : window) {
        used[index] = true;
        group.push_back(items[index]);
      }
      window.clear();
      window_total = window_magnitude = 0;
      const ExpenditureFact& any = *group.front();
      bool by_vendor = std::string(kind) == "vendor";
      ordered_json parameters = Section(params, "AN-2");
      parameters["approval_threshold"] = PlainAmount(threshold.minor_units, threshold.currency);
      Emit({"AN-2",
            "high",
            by_vendor ? "vendor:" + any.vendor_id : "org:" + any.org_id,
            params.version,
            parameters,
            {{by_vendor ? "vendor" : "requester", by_vendor ? any.vendor_id : any.requester},
             {"payments", group.size()},
             {"total", PlainAmount(total, threshold.currency)},
             {"first_payment_date", Date(group.front()->payment_days)},
             {"last_payment_date", Date(group.back()->payment_days)}},
            EvidenceOf(group),
            kind,
            std::to_string(group.size()) + " payments " +
                (by_vendor ? "to vendor " + any.vendor_id
                           : "requested by " + any.requester + " of " + any.org_id) +
                " between " + Date(group.front()->payment_days) + " and " +
                Date(group.back()->payment_days) + ", each below the approval threshold of " +
                Amount(threshold.minor_units, threshold.currency) + ", total " +
                Amount(total, threshold.currency)});
    }
  }

  // AN-3: amounts just below the approval threshold, repeated by one vendor or one approver
  // within a calendar quarter (by payment date).
  void NearThreshold() {
    PeopleLists approvers;  // (org, person); groups are independent, so their order is free
    for (const ExpenditureFact& spent : expenditures_) {
      if (!spent.approver.empty())
        approvers[{spent.org_id.str(), spent.approver}].push_back(&spent);
    }
    for (const auto& [key, items] : by_vendor_key_) NearWithin(items, "vendor");
    for (const auto& [key, items] : approvers) NearWithin(items, "approver");
  }

  void NearWithin(const Expenditures& items, const char* kind) {
    std::map<int32_t, Expenditures> quarters;
    for (const auto* item : items) quarters[QuarterIndex(item->payment_days)].push_back(item);
    for (const auto& [quarter, population] : quarters) {
      const Params& params = state_.ParamsAt(MaxSequence(population));
      const Money& threshold = params.approval_threshold;
      Expenditures near;
      for (const auto* item : population) {
        if (item->currency == threshold.currency && item->amount < threshold.minor_units &&
            static_cast<int128>(item->amount) * kBasisPoints >=
                static_cast<int128>(threshold.minor_units) * params.near_lower_bp &&
            Covers(params, "AN-3", item->grant_id)) {
          near.push_back(item);
        }
      }
      if (static_cast<int64_t>(near.size()) < params.near_count_min) continue;
      int64_t lower = static_cast<int64_t>(static_cast<int128>(threshold.minor_units) *
                                           params.near_lower_bp / kBasisPoints);
      bool by_vendor = std::string(kind) == "vendor";
      const ExpenditureFact& any = *near.front();
      ordered_json parameters = Section(params, "AN-3");
      parameters["approval_threshold"] = PlainAmount(threshold.minor_units, threshold.currency);
      Emit({"AN-3",
            "medium",
            by_vendor ? "vendor:" + any.vendor_id : "org:" + any.org_id,
            params.version,
            parameters,
            {{by_vendor ? "vendor" : "approver", by_vendor ? any.vendor_id : any.approver},
             {"quarter", QuarterName(quarter)},
             {"count", near.size()},
             {"band_low", PlainAmount(lower, threshold.currency)},
             {"band_high", PlainAmount(threshold.minor_units, threshold.currency)}},
            EvidenceOf(near),
            kind,
            (by_vendor ? "vendor " + any.vendor_id + " received "
                       : "approver " + any.approver + " of " + any.org_id + " approved ") +
                std::to_string(near.size()) + " payments between " +
                Amount(lower, threshold.currency) + " and " +
                Amount(threshold.minor_units - 1, threshold.currency) + " in " +
                QuarterName(quarter) + ", just below the approval threshold of " +
                Amount(threshold.minor_units, threshold.currency)});
    }
  }

  // AN-4: the share of a vendor's payments that are multiples of 1,000 against the share expected
  // by chance, with a one-sided one-proportion z-test: flag when
  //   z = (k/n - p) / sqrt(p (1 - p) / n) > z_c,   p = a/b, z_c = c/d,
  // decided exactly as  k b - a n > 0  and  (k b - a n)^2 d^2 > c^2 n a (b - a).
  // Bounds: n, k < 2^31; b <= 10^6 (six decimals); d <= 10^3; c <= 10^5 (z_c <= 100). Then
  // (k b - a n)^2 d^2 < (2^31 10^6)^2 10^6 < 4.7e36 and c^2 n a (b - a) < 10^10 2^31 2.5e11 < 6e30,
  // both below 2^127 (1.7e38).
  void RoundAmounts() {
    for (const auto& [key, all_items] : by_vendor_key_) {
      const Params& params = state_.ParamsAt(MaxSequence(all_items));
      const Money& multiple = params.round_multiple;
      Expenditures items, round;
      for (const auto* item : all_items) {
        if (item->currency != multiple.currency || !Covers(params, "AN-4", item->grant_id))
          continue;
        items.push_back(item);
        if (item->amount % multiple.minor_units == 0) round.push_back(item);
      }
      int64_t n = items.size(), k = round.size();
      if (n < params.round_items_min || k == 0) continue;
      FT_ASSERT(n < (int64_t{1} << 31));
      int128 a = params.round_expected.units, b = params.round_expected.scale;
      int128 c = params.z_critical.units, d = params.z_critical.scale;
      int128 excess = k * b - a * n;
      if (excess <= 0) continue;
      int128 spread = static_cast<int128>(n) * a * (b - a);
      if (excess * excess * d * d <= c * c * spread) continue;
      // z to two decimals, truncated, for the figures only: floor(sqrt(excess^2 10^4 / spread)).
      int64_t z_hundredths =
          static_cast<int64_t>(IntegerSquareRoot(excess * excess * 10000 / spread));
      char z_text[32];
      std::snprintf(z_text, sizeof z_text, "%lld.%02lld",
                    static_cast<long long>(z_hundredths / 100),
                    static_cast<long long>(z_hundredths % 100));
      const std::string& vendor_id = round.front()->vendor_id;
      Emit({"AN-4",
            "low",
            "vendor:" + vendor_id,
            params.version,
            Section(params, "AN-4"),
            {{"vendor", vendor_id},
             {"items", n},
             {"round_items", k},
             {"share", Percent(ShareBasisPoints(k, n))},
             {"z", z_text}},
            EvidenceOf(round),
            "",
            std::to_string(k) + " of " + std::to_string(n) + " payments to vendor " + vendor_id +
                " are multiples of " + Amount(multiple.minor_units, multiple.currency) + " (" +
                Percent(ShareBasisPoints(k, n)) + "), far above the share of " +
                FormatDecimal(params.round_expected) + " expected by chance (z = " + z_text +
                " > " + FormatDecimal(params.z_critical) + ")"});
    }
  }

  // AN-5: Benford's law on the first digits of a member's expenditures, by Nigrini's mean
  // absolute deviation MAD = (1/9) sum_d |c_d / n - E_d|, E_d = log10(1 + 1/d).
  // E_d is irrational; it is used rounded to 12 decimals (kBenford, error < 5e-13 each), so
  //   MAD > m  <=>  sum_d |c_d S - n E_d S| * den > 9 n S m_units,  S = 10^12,
  // in integers, where the rounding can change the decision only when the true MAD lies within
  // 5e-13 of the threshold (and then the same inputs still always give the same answer).
  // Bounds: n < 2^31, so each term < 2^31 10^12 and the sum < 9 2^31 10^12 < 2e22; times
  // den <= 10^6 gives < 2e28 < 2^127.
  void Benford() {
    static constexpr int64_t kScale = 1000000000000;  // 10^12
    static constexpr std::array<int64_t, 10> kBenford = {
        0,           301029995664, 176091259056, 124938736608, 96910013008,
        79181246048, 66946789631,  57991946978,  51152522447,  45757490561};
    for (const auto& [org_id, all_items] : by_org_) {
      const Params& params = state_.ParamsAt(MaxSequence(all_items));
      const Money& minimum = params.benford_amount_min;
      Expenditures items;
      std::array<int64_t, 10> counts{};
      for (const auto* item : all_items) {
        if (item->currency != minimum.currency || item->amount < minimum.minor_units ||
            !Covers(params, "AN-5", item->grant_id)) {
          continue;
        }
        int64_t digit = item->amount;
        while (digit >= 10) digit /= 10;
        ++counts[digit];
        items.push_back(item);
      }
      int64_t n = items.size();
      if (n < params.benford_items_min) continue;
      FT_ASSERT(n < (int64_t{1} << 31));
      int128 deviation = 0;
      for (int digit = 1; digit <= 9; ++digit) {
        int128 term =
            static_cast<int128>(counts[digit]) * kScale - static_cast<int128>(n) * kBenford[digit];
        deviation += term < 0 ? -term : term;
      }
      int128 limit = static_cast<int128>(9) * n * kScale * params.mad_max.units;
      if (deviation * params.mad_max.scale <= limit) continue;
      // MAD to six decimals, truncated, for the figures only.
      int64_t mad_millionths =
          static_cast<int64_t>(deviation * 1000000 / (static_cast<int128>(9) * n * kScale));
      char mad_text[32];
      std::snprintf(mad_text, sizeof mad_text, "0.%06lld", static_cast<long long>(mad_millionths));
      ordered_json observed = ordered_json::object();
      for (int digit = 1; digit <= 9; ++digit) observed[std::to_string(digit)] = counts[digit];
      Emit({"AN-5",
            "medium",
            "org:" + org_id,
            params.version,
            Section(params, "AN-5"),
            {{"member", org_id}, {"items", n}, {"first_digit_counts", observed}, {"mad", mad_text}},
            EvidenceOf(items),
            "",
            "the first digits of the " + std::to_string(n) + " expenditures of " + org_id +
                " deviate from Benford's law with a mean absolute deviation of " + mad_text +
                ", above " + FormatDecimal(params.mad_max)});
    }
  }

  // AN-8: vendors sharing an identity with a member or with the approver of their payments, and
  // vendors registered shortly before their first payment. Only vendors that were paid.
  void RelatedParties() {
    // Vendors are independent, so their order is free.
    std::unordered_map<std::string_view, Expenditures> by_vendor;
    for (const ExpenditureFact& spent : expenditures_) by_vendor[spent.vendor_id].push_back(&spent);
    for (const auto& [vendor_text, all_payments] : by_vendor) {
      const std::string& vendor_id = all_payments.front()->vendor_id;
      auto vendor_found = state_.vendors.find(vendor_id);
      if (vendor_found == state_.vendors.end()) continue;
      const VendorFact& vendor = vendor_found->second;
      const Params& params =
          state_.ParamsAt(std::max(vendor.registered.sequence, MaxSequence(all_payments)));
      Expenditures payments;
      for (const auto* item : all_payments) {
        if (Covers(params, "AN-8", item->grant_id)) payments.push_back(item);
      }
      if (payments.empty()) continue;
      std::vector<Evidence> evidence = EvidenceOf(payments);
      if (vendor.registered.sequence != 0) evidence.push_back(vendor.registered);
      const std::string subject = "vendor:" + vendor_id;

      ordered_json matches = ordered_json::array();
      std::string described;
      std::vector<std::string> resembled;
      for (const auto& [org_id, organisation] : state_.organisations) {
        if (organisation.memberships.empty()) continue;  // never a member
        std::vector<std::string> fields;
        if (!vendor.tax_id.empty() &&
            (vendor.tax_id == organisation.tax_id || vendor.tax_id == org_id)) {
          fields.push_back("tax id");
        }
        if (!vendor.legal_representative.empty() &&
            vendor.legal_representative == organisation.legal_representative) {
          fields.push_back("legal representative");
        }
        if (!vendor.bank_account.empty() && vendor.bank_account == organisation.bank_account) {
          fields.push_back("bank account");
        }
        if (fields.empty()) continue;
        std::string joined;
        for (const auto& field : fields) joined += (joined.empty() ? "" : " and ") + field;
        matches.push_back({{"member", org_id},
                           {"shared", fields},
                           {"registration", EvidenceJson(organisation.registered)}});
        described += (described.empty() ? "" : "; ") + joined + " with member " + org_id;
        resembled.push_back("org:" + org_id);
      }
      if (!matches.empty()) {
        Emit({"AN-8",
              "high",
              subject,
              params.version,
              {{"rule", "vendor must not share an identity with a member"}},
              {{"vendor", vendor_id}, {"matches", matches}, {"payments", payments.size()}},
              evidence,
              "member",
              "vendor " + vendor_id + ", paid " + std::to_string(payments.size()) + " time" +
                  (payments.size() == 1 ? "" : "s") + ", shares its " + described,
              resembled});
      }

      if (!vendor.legal_representative.empty()) {
        Expenditures approved;
        for (const auto* item : payments) {
          if (item->approver == vendor.legal_representative) approved.push_back(item);
        }
        if (!approved.empty()) {
          std::vector<Evidence> approved_evidence = EvidenceOf(approved);
          if (vendor.registered.sequence != 0) approved_evidence.push_back(vendor.registered);
          Emit({"AN-8",
                "high",
                subject,
                params.version,
                {{"rule", "approver must not be the vendor's legal representative"}},
                {{"vendor", vendor_id},
                 {"person", vendor.legal_representative},
                 {"payments_approved", approved.size()}},
                approved_evidence,
                "approver",
                "vendor " + vendor_id + "'s legal representative " + vendor.legal_representative +
                    " approved " + std::to_string(approved.size()) +
                    " of its payments, the first expenditure #" +
                    std::to_string(approved.front()->event.sequence)});
        }
      }

      if (vendor.registered_days != kNoDate) {
        const ExpenditureFact* first = payments.front();
        for (const auto* item : payments) {
          if (item->payment_days < first->payment_days) first = item;
        }
        const Params& new_params =
            state_.ParamsAt(std::max(vendor.registered.sequence, first->event.sequence));
        int32_t gap = first->payment_days - vendor.registered_days;
        if (gap < new_params.new_vendor_days) {
          std::vector<Evidence> new_evidence = {first->event};
          if (vendor.registered.sequence != 0) new_evidence.push_back(vendor.registered);
          Emit({"AN-8",
                "high",
                subject,
                new_params.version,
                Section(new_params, "AN-8"),
                {{"vendor", vendor_id},
                 {"registered_date", Date(vendor.registered_days)},
                 {"first_payment", first->event.sequence},
                 {"first_payment_date", Date(first->payment_days)},
                 {"days", gap}},
                new_evidence,
                "new",
                "vendor " + vendor_id + " was registered on " + Date(vendor.registered_days) +
                    ", " +
                    (gap >= 0 ? "only " + DaysText(gap) + " before" : DaysText(-gap) + " after") +
                    " its first payment, expenditure #" + std::to_string(first->event.sequence) +
                    " on " + Date(first->payment_days) + " (limit " +
                    DaysText(new_params.new_vendor_days) + ")"});
        }
      }
    }
  }

  // ----- F: the alliance

  // AL-1: revenue distributed differently from the agreed shares, or before an agreement.
  void RevenueSplits() {
    for (const auto& [sequence, revenue] : state_.revenues) {
      const Params& params = state_.ParamsAt(sequence);
      auto outcome = state_.outcomes.find(revenue.outcome_id);
      std::string grant_id =
          outcome != state_.outcomes.end() ? outcome->second.grant_id : std::string();
      if (!Covers(params, "AL-1", grant_id)) continue;
      const GrantFact* grant = Grant(grant_id);
      std::string agreement_id;
      const AgreementFact* agreement = grant != nullptr
                                           ? AgreementFor(grant->project_id, &agreement_id)
                                           : FirstAgreement(&agreement_id);
      std::string label = "revenue distribution #" + std::to_string(sequence) + " of " +
                          Amount(revenue.total, revenue.currency) + " from outcome " +
                          revenue.outcome_id;
      const std::string subject = "outcome:" + revenue.outcome_id;
      ordered_json parameters = Section(params, "AL-1");
      if (agreement == nullptr || agreement->days > revenue.days) {
        Emit({"AL-1",
              "high",
              subject,
              params.version,
              parameters,
              {{"distribution", sequence},
               {"date", Date(revenue.days)},
               {"agreement", agreement_id},
               {"agreement_date", agreement == nullptr ? std::string() : Date(agreement->days)}},
              {revenue.event},
              "no_agreement",
              label + " on " + Date(revenue.days) + " was made before " +
                  (agreement == nullptr
                       ? std::string("any alliance agreement existed")
                       : "agreement " + agreement_id + " of " + Date(agreement->days))});
        continue;
      }
      std::map<std::string, uint32_t> agreed = agreement->revenue_shares;
      std::string basis = "the revenue shares of agreement " + agreement_id;
      if (agreed.empty() && outcome != state_.outcomes.end()) {
        agreed = outcome->second.owners;
        basis = "the ownership shares of outcome " + revenue.outcome_id;
      }
      if (agreed.empty() || revenue.total <= 0) continue;
      std::set<std::string> orgs;
      for (const auto& [org_id, share] : agreed) orgs.insert(org_id);
      for (const auto& [org_id, amount] : revenue.payments) orgs.insert(org_id);
      ordered_json deviations = ordered_json::array();
      std::string worst;
      int128 worst_gap = -1;
      for (const auto& org_id : orgs) {
        int64_t paid = revenue.payments.contains(org_id) ? revenue.payments.at(org_id) : 0;
        int64_t share = agreed.contains(org_id) ? agreed.at(org_id) : 0;
        // |paid / total - share / 10^4| > tolerance / 10^4, times total * 10^4.
        int128 gap =
            static_cast<int128>(paid) * kBasisPoints - static_cast<int128>(share) * revenue.total;
        if (gap < 0) gap = -gap;
        if (gap <= static_cast<int128>(params.tolerance_bp) * revenue.total) continue;
        int64_t actual = ShareBasisPoints(paid, revenue.total);
        deviations.push_back({{"org", org_id},
                              {"paid", PlainAmount(paid, revenue.currency)},
                              {"actual_share", Percent(actual)},
                              {"agreed_share", Percent(share)}});
        if (gap > worst_gap) {
          worst_gap = gap;
          worst = org_id + " " + Percent(actual) + " against its agreed " + Percent(share);
        }
      }
      if (deviations.empty()) continue;
      Emit({"AL-1",
            "high",
            subject,
            params.version,
            parameters,
            {{"distribution", sequence},
             {"agreement", agreement_id},
             {"basis", basis},
             {"deviations", deviations}},
            {revenue.event},
            "shares",
            label + " departs from " + basis + " by more than " + Points(params.tolerance_bp) +
                " for " + std::to_string(deviations.size()) + " member" +
                (deviations.size() == 1 ? "" : "s") + ", most for " + worst});
    }
  }

  // AL-2: outcomes of government-funded grants must be shared or licensed outside the alliance
  // in time, and not licensed exclusively to a member.
  void OutcomeSharing() {
    for (const auto& [sequence, licence] : state_.licences) {
      const Params& params = state_.ParamsAt(sequence);
      auto outcome = state_.outcomes.find(licence.outcome_id);
      if (outcome == state_.outcomes.end() || !Covers(params, "AL-2", outcome->second.grant_id))
        continue;
      if (!licence.exclusive || licence.licensee_org_id.empty() ||
          !ActiveMember(licence.licensee_org_id, licence.days)) {
        continue;
      }
      Emit({"AL-2",
            "medium",
            "outcome:" + licence.outcome_id,
            params.version,
            Section(params, "AL-2"),
            {{"licence", sequence},
             {"licensee", licence.licensee_org_id},
             {"date", Date(licence.days)},
             {"grant", outcome->second.grant_id}},
            {licence.event},
            "exclusive",
            "licence #" + std::to_string(sequence) + " of " + Date(licence.days) +
                " grants outcome " + licence.outcome_id + " of grant " + outcome->second.grant_id +
                " exclusively to member " + licence.licensee_org_id});
    }
    const Params& params = state_.Latest();
    // Each outcome's licences and sharings, in sequence order (one pass, not one per outcome).
    std::map<std::string, std::vector<const LicenceFact*>> licences_of;
    std::map<std::string, std::vector<const SharingFact*>> sharings_of;
    for (const auto& [sequence, licence] : state_.licences)
      licences_of[licence.outcome_id].push_back(&licence);
    for (const auto& [sequence, sharing] : state_.sharings)
      sharings_of[sharing.outcome_id].push_back(&sharing);
    static const std::vector<const LicenceFact*> kNoLicences;
    static const std::vector<const SharingFact*> kNoSharings;
    for (const auto& [outcome_id, outcome] : state_.outcomes) {
      if (!Covers(params, "AL-2", outcome.grant_id)) continue;
      int32_t deadline = outcome.days + params.share_days;
      if (as_of_ <= deadline) continue;
      bool shared = false;
      int32_t late = kNoDate;
      auto outside = [&](const std::string& org_id, int32_t day) {
        return org_id.empty() || !ActiveMember(org_id, day);
      };
      auto licences = licences_of.find(outcome_id);
      for (const LicenceFact* licence :
           licences == licences_of.end() ? kNoLicences : licences->second) {
        if (!outside(licence->licensee_org_id, licence->days)) continue;
        if (licence->days <= deadline)
          shared = true;
        else if (late == kNoDate || licence->days < late)
          late = licence->days;
      }
      auto sharings = sharings_of.find(outcome_id);
      for (const SharingFact* sharing_fact :
           sharings == sharings_of.end() ? kNoSharings : sharings->second) {
        const SharingFact& sharing = *sharing_fact;
        if (!outside(sharing.recipient_org_id, sharing.days)) continue;
        if (sharing.days <= deadline)
          shared = true;
        else if (late == kNoDate || sharing.days < late)
          late = sharing.days;
      }
      if (shared) continue;
      Emit({"AL-2",
            "medium",
            "outcome:" + outcome_id,
            params.version,
            Section(params, "AL-2"),
            {{"grant", outcome.grant_id},
             {"registered", Date(outcome.days)},
             {"deadline", Date(deadline)},
             {"as_of", Date(as_of_)},
             {"first_shared_late", late == kNoDate ? std::string() : Date(late)}},
            {outcome.registered},
            "unshared",
            "outcome " + outcome_id + " of grant " + outcome.grant_id + ", registered on " +
                Date(outcome.days) + ", was not shared or licensed outside the alliance within " +
                DaysText(params.share_days) + " (by " + Date(deadline) + ")" +
                (late == kNoDate ? std::string()
                                 : "; it was first shared outside on " + Date(late))});
    }
  }

  // AL-3: Article 8 pilot conditions, as a checklist at the as-of date.
  void ArticleEight() {
    if (state_.genesis.sequence == 0) return;
    const Params& params = state_.Latest();
    bool enterprise = false, academic = false;
    std::set<std::string> legal_identities;
    std::vector<std::string> members;
    for (const auto& [org_id, organisation] : state_.organisations) {
      if (!ActiveMember(org_id, as_of_)) continue;
      members.push_back(org_id);
      enterprise |= organisation.kind == static_cast<int>(schema::OrganisationKind::ENTERPRISE);
      academic |=
          organisation.kind == static_cast<int>(schema::OrganisationKind::UNIVERSITY) ||
          organisation.kind == static_cast<int>(schema::OrganisationKind::RESEARCH_INSTITUTE);
      legal_identities.insert(organisation.tax_id.empty() ? org_id : organisation.tax_id);
    }
    bool executive = false;
    for (const auto& [id, body] : state_.bodies) {
      executive |= body.kind == static_cast<int>(schema::GovernanceKind::EXECUTIVE) &&
                   body.full_time_staff > 0;
    }
    std::string agreement_id;
    const AgreementFact* agreement = FirstAgreement(&agreement_id);
    std::vector<std::string> unsigned_members;
    std::vector<Evidence> evidence = {state_.genesis};
    if (agreement != nullptr) {
      evidence.push_back(agreement->registered);
      for (const auto& org_id : members) {
        auto signature = agreement->signatures.find(org_id);
        if (signature == agreement->signatures.end() || signature->second.days > as_of_) {
          unsigned_members.push_back(org_id);
          // The admission that brought the unsigned member in.
          evidence.push_back(state_.organisations.at(org_id).memberships.back().admitted);
        }
      }
    }
    bool signed_by_all = agreement != nullptr && !members.empty() && unsigned_members.empty();
    std::vector<std::string> failures;
    if (!enterprise) failures.push_back("no enterprise member");
    if (!academic) failures.push_back("no university or research institute member");
    if (legal_identities.size() < 2) failures.push_back("fewer than 2 independent members");
    if (!executive) failures.push_back("no executive body with full-time staff");
    if (!signed_by_all) {
      failures.push_back(agreement == nullptr
                             ? "no alliance agreement"
                             : "agreement " + agreement_id + " not signed by every member");
    }
    if (failures.empty()) return;
    std::string joined;
    for (const auto& failure : failures) joined += (joined.empty() ? "" : ", ") + failure;
    Emit({"AL-3",
          "medium",
          "alliance:" + state_.alliance_id,
          params.version,
          {{"rule", "Guo Ke Fa Zheng [2008] No. 770, Article 8"}},
          {{"as_of", Date(as_of_)},
           {"checklist",
            {{"enterprise_member", enterprise},
             {"university_or_institute_member", academic},
             {"independent_members", legal_identities.size()},
             {"executive_body_with_staff", executive},
             {"agreement", agreement_id},
             {"agreement_signed_by_all", signed_by_all},
             {"unsigned_members", unsigned_members}}}},
          evidence,
          "",
          "on " + Date(as_of_) + " the alliance " + state_.alliance_id +
              " does not meet the Article 8 pilot conditions: " + joined,
          OrgSubjects(unsigned_members)});
  }

  const State& state_;
  const int32_t as_of_;
  std::vector<Flag> flags_;

  ExpenditureReader reader_;                   // holds the texts the facts point at
  std::vector<ExpenditureFact> expenditures_;  // the live ones, in sequence order

  std::map<std::string, Expenditures> by_grant_;
  std::map<std::pair<std::string, std::string>, Expenditures> by_member_grant_;  // (org, grant)
  std::map<std::string, Expenditures> by_vendor_key_;
  std::map<std::string, Expenditures> by_org_;
  std::map<std::string, std::vector<const DisbursementFact*>> disbursements_by_grant_;
  std::map<std::pair<std::string, std::string>, std::vector<const DisbursementFact*>>
      disbursements_by_member_grant_;
  std::map<std::string, std::vector<const ReceiptFact*>> receipts_by_grant_;
  std::map<std::string, std::vector<const RefundFact*>> refunds_by_grant_;
  std::map<std::pair<std::string, std::string>, std::vector<const RefundFact*>>
      refunds_by_member_grant_;
  std::map<std::string, std::vector<const AdjustmentFact*>> adjustments_by_grant_;
  std::map<std::string, Budget> budgets_;
  // project -> person -> first seen
  std::map<std::string, std::unordered_map<std::string, Evidence>> team_;
};

}  // namespace

std::vector<std::string> RulesEngine::KnownSubjects() const {
  const State& state = *state_;
  std::vector<std::string> out;
  for (const auto& [id, grant] : state.grants) out.push_back("grant:" + id);
  for (const auto& [id, organisation] : state.organisations) out.push_back("org:" + id);
  for (const auto& [id, vendor] : state.vendors) out.push_back("vendor:" + id);
  for (const auto& [id, outcome] : state.outcomes) out.push_back("outcome:" + id);
  if (!state.alliance_id.empty()) out.push_back("alliance:" + state.alliance_id);
  std::sort(out.begin(), out.end());
  return out;
}

bool RulesEngine::holds_every_expenditure() const { return state_->expenditure_events_in_log == 0; }

namespace {

// Whether `canonical` is an expenditure as far as evaluating the rules relies on it (it decodes,
// is an expenditure_recorded event, its dates parse), so that a log that is not the one folded,
// or damaged, is an error when the expenditures are read rather than an assertion in Flags().
Status CheckExpenditure(uint64_t sequence, std::string_view canonical) {
  std::string where = "expenditure " + std::to_string(sequence);
  auto decoded = DecodedEvent::Open(canonical, where);
  if (!decoded) return Status::Corruption(decoded.error().message() + "; run `fundtrail verify`");
  if (decoded->root().which() != Which::EXPENDITURE_RECORDED)
    return Status::Corruption(where + " is not an expenditure_recorded event; run `fundtrail rebuild`");
  auto spent = decoded->root().getExpenditureRecorded();
  auto parses = [](capnp::Text::Reader date) { return ParseDate(View(date)).has_value(); };
  if (!parses(spent.getInvoiceDate()) || !parses(spent.getPaymentDate()) ||
      (spent.getVoucherDate().size() > 0 && !parses(spent.getVoucherDate()))) {
    return Status::Corruption(where + ": a date does not parse; run `fundtrail verify`");
  }
  return Status::Ok();
}

}  // namespace

Status RulesEngine::ReadExpenditures(const ExpenditureScan& scan) {
  State& state = *state_;
  // The expenditures already held (folded by a kHeld engine) are checked the same way.
  for (const auto& [sequence, held] : state.expenditures) {
    FT_RETURN_IF_ERROR(CheckExpenditure(sequence, state.expenditure_bytes.Bytes(held.canonical)));
  }
  if (state.expenditure_events_in_log > 0) {
    // Read into new containers, which replace the old only when the whole log agrees.
    LiveEvents<StoredExpenditure> read;
    EventArena bytes;
    const uint64_t through = state.in_log_through;
    uint64_t count = 0, previous = 0;
    FT_RETURN_IF_ERROR(scan(through, [&](const LoggedExpenditure& logged) -> Status {
      if (logged.sequence <= previous || logged.sequence > through) {
        return Status::Corruption("expenditure " + std::to_string(logged.sequence) +
                                  " is out of order or after sequence " + std::to_string(through));
      }
      previous = logged.sequence;
      ++count;
      if (state.reversal_targets.contains(logged.sequence)) return Status::Ok();
      FT_RETURN_IF_ERROR(CheckExpenditure(logged.sequence, logged.canonical_event));
      StoredExpenditure& stored = read.Add(logged.sequence);
      stored.event = {logged.sequence, logged.chain_hash};
      stored.appended_at_micros = logged.appended_at_micros;
      stored.canonical = bytes.Append(logged.canonical_event);
      return Status::Ok();
    }));
    if (count != state.expenditure_events_in_log) {
      return Status::Corruption("the rules' state counts " + std::to_string(state.expenditure_events_in_log) +
                                " expenditures up to sequence " + std::to_string(through) + ", the log holds " +
                                std::to_string(count) + "; run `fundtrail rebuild`");
    }
    for (const auto& [sequence, held] : state.expenditures) {
      StoredExpenditure& stored = read.Add(sequence);
      stored = held;
      stored.canonical = bytes.Append(state.expenditure_bytes.Bytes(held.canonical));
    }
    state.expenditures = std::move(read);
    state.expenditure_bytes = std::move(bytes);
  }
  state.expenditure_events_in_log = 0;
  state.in_log_through = 0;
  bytes_ = ExpenditureBytes::kHeld;
  return Status::Ok();
}

std::vector<Flag> RulesEngine::Flags(int32_t as_of_days) const {
  FT_ASSERT(holds_every_expenditure(), "RulesEngine::Flags before ReadExpenditures");
  std::vector<Flag> flags = Evaluator(*state_, as_of_days).Run();
  std::sort(flags.begin(), flags.end(), [](const Flag& a, const Flag& b) { return a.id < b.id; });
  for (size_t i = 1; i < flags.size(); ++i)
    FT_ASSERT(flags[i - 1].id != flags[i].id, "two flags share an id");
  std::map<std::string, std::vector<const DispositionFact*>> reviews;
  for (const auto& [sequence, disposition] : state_->dispositions)
    reviews[disposition.flag_id].push_back(&disposition);
  for (Flag& flag : flags) {
    FT_ASSERT(flag.id.size() <= 64);
    auto found = reviews.find(flag.id);
    if (found == reviews.end()) continue;
    for (const auto* review : found->second) {
      flag.reviews.push_back(
          {review->event.sequence, review->event.chain_hash, review->disposition, review->note});
    }
    flag.review_status = flag.reviews.back().disposition;
  }
  return flags;
}

ordered_json FlagToJson(const Flag& flag) {
  ordered_json evidence = ordered_json::array();
  for (const auto& item : flag.evidence) evidence.push_back(EvidenceJson(item));
  ordered_json reviews = ordered_json::array();
  for (const auto& review : flag.reviews) {
    reviews.push_back({{"sequence", review.sequence},
                       {"chain_hash", HexEncode(review.chain_hash)},
                       {"disposition", review.disposition},
                       {"note", review.note}});
  }
  return {{"id", flag.id},
          {"rule", flag.rule},
          {"severity", flag.severity},
          {"subject", flag.subject},
          {"touches", flag.touches},
          {"policy_version", flag.policy_version},
          {"parameters", flag.parameters},
          {"figures", flag.figures},
          {"evidence", evidence},
          {"explanation", flag.explanation},
          {"review_status", flag.review_status},
          {"reviews", reviews}};
}

// ---------------------------------------------------------------------------------------------
// Serialisation.

namespace {

// Version 3 keeps no expenditure but their count (the log holds them); version 2 kept each
// live one's canonical bytes, version 1 its fields. A snapshot of another version is not read
// (projection_store rebuilds).
constexpr char kStateFormat[] = "fundtrail-rules-3";

}  // namespace

json RulesEngine::ToJson() const {
  const State& state = *state_;
  json policies = json::array();
  for (const auto& [version, policy] : state.policies)
    policies.push_back({{"version", version}, {"document", policy.document}});
  return {{"format", kStateFormat},
          {"last_sequence", state.last_sequence},
          {"genesis", state.genesis},
          {"alliance_id", state.alliance_id},
          {"policy_version", policy_.version},
          {"policy_timeline", state.policy_timeline},
          {"policies", policies},
          {"policy_problems", state.policy_problems},
          {"grants", state.grants},
          {"terminations", state.terminations},
          {"organisations", state.organisations},
          {"vendors", state.vendors},
          {"projects", state.projects},
          {"tasks", state.tasks},
          {"agreements", state.agreements},
          {"bodies", state.bodies},
          {"outcomes", state.outcomes},
          {"expenditure_count", state.expenditure_events},
          {"reversal_targets", state.reversal_targets},
          {"adjustments", state.adjustments},
          {"receipts", state.receipts},
          {"disbursements", state.disbursements},
          {"refunds", state.refunds},
          {"revenues", state.revenues},
          {"licences", state.licences},
          {"sharings", state.sharings},
          {"dispositions", state.dispositions}};
}

Result<RulesEngine> RulesEngine::FromJson(const json& in, ExpenditureBytes bytes) {
  RulesEngine engine(bytes);
  State& state = *engine.state_;
  try {
    if (in.at("format").get<std::string>() != kStateFormat) {
      return Error(Status::Corruption("rules state has format " + in.at("format").dump() +
                                      ", expected \"" + kStateFormat + "\""));
    }
    in.at("last_sequence").get_to(state.last_sequence);
    in.at("genesis").get_to(state.genesis);
    in.at("alliance_id").get_to(state.alliance_id);
    in.at("policy_timeline").get_to(state.policy_timeline);
    in.at("policy_problems").get_to(state.policy_problems);
    state.policies.clear();
    state.params.clear();
    for (const auto& item : in.at("policies")) {
      Policy policy{item.at("version").get<uint32_t>(), item.at("document")};
      Status added = state.AddPolicy(policy);
      if (!added.ok())
        return Error(
            added.WithPrefix("rules state: policy version " + std::to_string(policy.version)));
    }
    uint32_t version = in.at("policy_version").get<uint32_t>();
    if (!state.policies.contains(0) || !state.policies.contains(version)) {
      return Error(
          Status::Corruption("rules state lacks policy version 0 or " + std::to_string(version)));
    }
    for (const auto& [sequence, timeline_version] : state.policy_timeline) {
      if (!state.policies.contains(timeline_version)) {
        return Error(Status::Corruption("rules state: policy version " +
                                        std::to_string(timeline_version) +
                                        " in the timeline has no document"));
      }
    }
    engine.policy_ = state.policies.at(version);
    in.at("grants").get_to(state.grants);
    // Absent from snapshots written before grant_terminated existed.
    if (in.contains("terminations")) in.at("terminations").get_to(state.terminations);
    in.at("organisations").get_to(state.organisations);
    in.at("vendors").get_to(state.vendors);
    in.at("projects").get_to(state.projects);
    in.at("tasks").get_to(state.tasks);
    in.at("agreements").get_to(state.agreements);
    in.at("bodies").get_to(state.bodies);
    in.at("outcomes").get_to(state.outcomes);
    // Every expenditure folded is in the log, up to the state's last sequence.
    in.at("expenditure_count").get_to(state.expenditure_events);
    state.expenditure_events_in_log = state.expenditure_events;
    state.in_log_through = state.last_sequence;
    in.at("reversal_targets").get_to(state.reversal_targets);
    if (!state.reversal_targets.empty() &&
        (*state.reversal_targets.begin() == 0 || *state.reversal_targets.rbegin() >= state.last_sequence)) {
      return Error(Status::Corruption("rules state: a reversal target is not an earlier sequence number"));
    }
    in.at("adjustments").get_to(state.adjustments);
    in.at("receipts").get_to(state.receipts);
    in.at("disbursements").get_to(state.disbursements);
    in.at("refunds").get_to(state.refunds);
    in.at("revenues").get_to(state.revenues);
    in.at("licences").get_to(state.licences);
    in.at("sharings").get_to(state.sharings);
    in.at("dispositions").get_to(state.dispositions);
  } catch (const json::exception& error) {
    return Error(Status::Corruption(std::string("rules state is malformed: ") + error.what()));
  } catch (const std::invalid_argument& error) {
    return Error(Status::Corruption(std::string("rules state is malformed: ") + error.what()));
  }
  return engine;
}

}  // namespace fundtrail::projections
