#include "projections/normalise.h"

#include <cstdio>
#include <cstdlib>

#include <opencc/Config.hpp>
#include <opencc/Conversion.hpp>
#include <opencc/ConversionChain.hpp>
#include <opencc/Converter.hpp>
#include <opencc/Dict.hpp>
#include <opencc/DictEntry.hpp>
#include <opencc/Exception.hpp>
#include <opencc/Lexicon.hpp>

namespace fundtrail::projections {

namespace {

constexpr char32_t kCodePointsCovered = 0x30000;  // planes 0 to 2: every CJK ideograph
constexpr char32_t kNoCodePoint = 0xFFFFFFFF;

// The code point starting at text[*at], advancing *at past it; kNoCodePoint (one byte consumed)
// for a byte that does not start a well-formed sequence.
char32_t NextCodePoint(std::string_view text, size_t* at) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(*at);
  size_t size = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0;
  if (size == 0 || *at + size > text.size()) {
    ++*at;
    return size == 1 ? lead : kNoCodePoint;
  }
  char32_t code = size == 1 ? lead : lead & (0x7F >> size);
  for (size_t i = 1; i < size; ++i) {
    if ((byte(*at + i) & 0xC0) != 0x80) {
      ++*at;
      return kNoCodePoint;
    }
    code = (code << 6) | (byte(*at + i) & 0x3F);
  }
  *at += size;
  return code;
}

// Full-width to half-width and ASCII case folding: only ASCII, the full-width forms (EF BC 81 to
// EF BD 9E) and the ideographic space (E3 80 80) change; every other byte is copied as it is.
// Sets *starts_key, if given, to whether some code point of `text` begins a key of
// `starts_key_bits` (TextNormaliser::starts_key_), so that one pass serves both.
std::string FoldWidthAndCase(std::string_view text, const std::vector<uint64_t>* starts_key_bits,
                             bool* starts_key) {
  std::string out;
  out.reserve(text.size());
  bool found = false;
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  for (size_t at = 0; at < text.size(); ++at) {
    unsigned char lead = byte(at);
    if (lead < 0x80) {
      out.push_back(lead >= 'A' && lead <= 'Z' ? static_cast<char>(lead - 'A' + 'a') : text[at]);
      continue;
    }
    if (starts_key_bits != nullptr && !found && lead >= 0xC0) {
      size_t next = at;
      char32_t code = NextCodePoint(text, &next);
      found = code != kNoCodePoint &&
              (code >= kCodePointsCovered || (((*starts_key_bits)[code / 64] >> (code % 64)) & 1));
    }
    if (lead >= 0xE0 && lead < 0xF0 && at + 2 < text.size() && (byte(at + 1) & 0xC0) == 0x80 &&
        (byte(at + 2) & 0xC0) == 0x80) {
      char32_t code = ((lead & 0x0F) << 12) | ((byte(at + 1) & 0x3F) << 6) | (byte(at + 2) & 0x3F);
      if ((code >= 0xFF01 && code <= 0xFF5E) || code == 0x3000) {
        char ascii = code == 0x3000 ? ' ' : static_cast<char>(code - 0xFEE0);  // "Ａ" -> "A"
        out.push_back(ascii >= 'A' && ascii <= 'Z' ? static_cast<char>(ascii - 'A' + 'a') : ascii);
        at += 2;
        continue;
      }
    }
    out.push_back(text[at]);
  }
  if (starts_key != nullptr) *starts_key = found;
  return out;
}

}  // namespace

TextNormaliser::~TextNormaliser() = default;

Result<std::shared_ptr<const TextNormaliser>> TextNormaliser::Load() {
  std::shared_ptr<TextNormaliser> loaded(new TextNormaliser());
  try {
    opencc::Config config;
    loaded->converter_ = config.NewFromFile("t2s.json");
  } catch (const opencc::Exception& error) {
    return Error(Status::NotFound(
        std::string("cannot load OpenCC's t2s.json (install Debian's libopencc-data): ") +
        error.what()));
  }
  loaded->starts_key_.assign(kCodePointsCovered / 64, 0);
  // A key whose default value is itself converts nothing. Any other key can only occur in a text
  // that holds the key's first code point that its value changes: that code point is marked, and
  // a text with no marked code point is left as it is by OpenCC. (Marking the key's first code
  // point instead would send every text with 手 or 专 through OpenCC, for keys such as 手錶.)
  const auto conversions = loaded->converter_->GetConversionChain()->GetConversions();
  for (const auto& conversion : conversions) {
    // A dictionary group builds its lexicon on request: hold it while reading it.
    const auto lexicon = conversion->GetDict()->GetLexicon();
    for (const auto& entry : *lexicon) {
      const std::string key = entry->Key();
      const std::string value = entry->GetDefault();
      if (key == value) continue;
      size_t at = 0, value_at = 0;
      char32_t marked = kNoCodePoint;
      while (at < key.size()) {
        char32_t code = NextCodePoint(key, &at);
        char32_t other = value_at < value.size() ? NextCodePoint(value, &value_at) : kNoCodePoint;
        if (code != other) {
          marked = code;
          break;
        }
      }
      // Values that differ only past the key's end (none in t2s) leave nothing to mark: mark the
      // first code point, which is always safe.
      if (marked == kNoCodePoint && !key.empty()) {
        at = 0;
        marked = NextCodePoint(key, &at);
      }
      if (marked != kNoCodePoint && marked < kCodePointsCovered)
        loaded->starts_key_[marked / 64] |= uint64_t{1} << (marked % 64);
    }
  }
  return std::shared_ptr<const TextNormaliser>(std::move(loaded));
}

std::shared_ptr<const TextNormaliser> TextNormaliser::Shared() {
  static const std::shared_ptr<const TextNormaliser> shared = [] {
    auto loaded = Load();
    if (!loaded) {
      // Not a bug but a broken installation: the package the build depends on lost its data.
      std::fprintf(stderr, "fundtrail: %s\n", loaded.error().message().c_str());
      std::abort();
    }
    return *loaded;
  }();
  return shared;
}

bool TextNormaliser::NeedsConversion(std::string_view text) const {
  bool needs = false;
  FoldWidthAndCase(text, &starts_key_, &needs);
  return needs;
}

std::string TextNormaliser::Normalise(std::string_view text) const {
  // Most descriptions need no conversion: one pass folds them and finds that out.
  bool needs = false;
  std::string folded = FoldWidthAndCase(text, &starts_key_, &needs);
  if (!needs) return folded;
  return FoldWidthAndCase(converter_->Convert(std::string(text)), nullptr, nullptr);
}

}  // namespace fundtrail::projections
