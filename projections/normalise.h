// The one normal form in which PU-1's and BR-4's lexicon (projections/lexicon.h) and the
// descriptions it searches are compared: traditional Chinese converted to simplified (OpenCC's
// t2s configuration, Debian's libopencc-data), full-width forms to their ASCII twins (U+FF01 to
// U+FF5E, and U+3000 to a space), then ASCII letters to lowercase. So "茅臺", "ＭＯＵＴＡＩ" and
// "Moutai" read as "茅台" and "moutai".
//
// OpenCC costs microseconds per call, far more than the rest of a rule's look at an expenditure;
// most descriptions are simplified already. Normalise therefore calls OpenCC only for a text that
// holds a marked code point: for every key of t2s's dictionaries that its value changes, the
// key's first code point that the value changes (臺 of 茅臺, 錶 of 手錶, not 手). A key can only
// change a text that holds its marked code point, so skipping OpenCC otherwise changes nothing.
//
// Thread safety: immutable after Load; Normalise may run concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/status.h"

namespace opencc {
class Converter;
}

namespace fundtrail::projections {

class TextNormaliser {
 public:
  // Loads OpenCC's t2s.json from its data directory (/usr/share/opencc); an error names the file
  // and the package to install.
  static Result<std::shared_ptr<const TextNormaliser>> Load();
  // The normaliser loaded once for the process: its tables are immutable data, like a constant,
  // and loading them costs milliseconds. Aborts with a message if OpenCC's data is missing.
  static std::shared_ptr<const TextNormaliser> Shared();

  ~TextNormaliser();

  // `text` in the normal form above. Invalid UTF-8 is kept byte for byte (only ASCII is folded).
  std::string Normalise(std::string_view text) const;
  // Whether Normalise calls OpenCC for `text` (it holds a marked code point).
  bool NeedsConversion(std::string_view text) const;

 private:
  TextNormaliser() = default;

  std::shared_ptr<opencc::Converter> converter_;
  // Bit c: code point c is marked (above) (Unicode's planes 0-2; a code point beyond them always
  // counts as marked).
  std::vector<uint64_t> starts_key_;
};

}  // namespace fundtrail::projections
