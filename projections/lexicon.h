// PU-1's and BR-4's lexicon: categorised terms that name a prohibited purpose (by kind or by
// brand) or a piece of equipment, with phrase exceptions for innocent compounds, searched in an
// expenditure's description by dictionary segmentation.
//
// The policy document carries it as data (PU-1.lexicon, docs/RULES.md):
//   {"version": "2026.12",
//    "labels": {"liquor_tobacco": {"purpose": "alcohol and tobacco",
//                                  "terms": {"茅台": "brand", "白酒": "kind", ...}}, ...,
//               "equipment": {"purpose": "...", "terms": {"色谱仪": "instrument", ...}}},
//    "exceptions": {"酒店": "a hotel", "信息娱乐": "in-vehicle infotainment", ...},
//    "not_equipment": {"配件": "a part", "测试费": "a testing service", ...}}
// Terms, exceptions and not_equipment entries are objects (text -> kind or note) so that a
// `policy set` merge patch adds entries to them ({"茅台镇酒": "brand"}) or removes one (null).
// Every entry is compared in its normal form (projections/normalise.h), so "茅臺" is "茅台".
//
// The segmentation (Find): the normalised description is read from its first byte. At each
// position the longest entry that starts there is taken (leftmost-longest), and reading goes on
// after it; where none starts, reading moves one byte on. An entry whose first (last) byte is an
// ASCII letter or digit must not follow (be followed by) one, so "fine" is not in "refined".
// An exception is taken like a term and means nothing, so a term inside it is never seen
// ("信息娱乐系统" hides "娱乐", "酒店" hides "酒"). Then:
//   PU-1: the first term taken of a label other than "equipment";
//   BR-4: the first "equipment" term taken, unless a not_equipment entry was taken too (a part, a
//         consumable, a repair, a service or a rental is not the purchase of an instrument).
//
// Thread safety: immutable after FromJson; Find may run concurrently.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ledger/status.h"
#include "projections/normalise.h"

namespace fundtrail::projections {

struct LexiconTerm {
  std::string text;        // as the policy writes it
  std::string normalised;  // as Find compares it
  std::string label;       // "liquor_tobacco", ..., or "equipment"
  std::string kind;        // the policy's note: "brand", "kind", "instrument", ...
};

// The lexicon of the default policy (docs/RULES.md): the value of "PU-1".lexicon.
nlohmann::json DefaultLexiconDocument();

class Lexicon {
 public:
  static constexpr std::string_view kEquipmentLabel = "equipment";

  // Validates and builds `lexicon` (the value of PU-1.lexicon). An error names the policy key,
  // e.g. policy key "PU-1.lexicon.labels.tourism.terms.度假": must be a string (its kind)
  static Result<std::shared_ptr<const Lexicon>> FromJson(const nlohmann::json& lexicon,
                                                         const TextNormaliser& normaliser);

  struct Finding {
    int purpose_term = -1;    // PU-1: index into terms(), or -1
    int equipment_term = -1;  // BR-4: index into terms(), or -1
    bool operator==(const Finding&) const = default;
  };
  // The segmentation above of `normalised`, a TextNormaliser::Normalise result.
  Finding Find(std::string_view normalised) const;
  // The same from the definition, one string comparison per entry and position: the reference
  // the tests check Find against.
  Finding FindLiteral(std::string_view normalised) const;

  const std::string& version() const { return version_; }
  const std::vector<LexiconTerm>& terms() const { return terms_; }
  // The purpose text of `label` ("" if the label has none).
  const std::string& purpose(std::string_view label) const;
  // The number of entries (terms, exceptions and not_equipment entries).
  size_t entry_count() const { return entries_.size(); }

 private:
  enum class Role : uint8_t { kTerm, kException, kNotEquipment };
  struct Entry {
    std::string normalised;
    Role role = Role::kTerm;
    int32_t term = -1;  // index into terms_ for kTerm
    bool equipment = false;  // a term of kEquipmentLabel
    bool word_start = false;
    bool word_end = false;
  };
  // A trie node: its edges are edges_[edges_begin, edges_begin + edge_count), sorted by byte.
  struct Node {
    uint32_t edges_begin = 0;
    uint32_t edge_count = 0;
    int32_t entry = -1;  // the entry ending here, or -1
  };
  struct Edge {
    uint8_t byte = 0;
    uint32_t node = 0;
  };
  static constexpr uint32_t kNoNode = UINT32_MAX;

  Lexicon() = default;
  Status Add(std::string text, std::string normalised, Role role, int32_t term,
             const std::string& key, std::vector<std::pair<std::string, std::string>>* seen);
  void Build();
  // The longest entry taken at `at` (its index, with *end past it), or -1.
  int32_t LongestAt(std::string_view text, size_t at, size_t* end) const;
  int32_t LongestAtLiteral(std::string_view text, size_t at, size_t* end) const;
  // `quick` skips a character that begins no entry without walking the trie (Find); FindLiteral
  // looks at every byte.
  template <typename Longest>
  Finding Segment(std::string_view text, bool quick, Longest longest) const;
  // The size of the UTF-8 character at text[at] if it is well formed and begins no entry, else 0.
  size_t SkippableAt(std::string_view text, size_t at) const;
  uint32_t Child(uint32_t node, uint8_t byte) const;

  std::string version_;
  std::vector<LexiconTerm> terms_;
  std::vector<std::pair<std::string, std::string>> purposes_;  // label -> purpose
  std::vector<Entry> entries_;
  std::vector<Node> nodes_;  // nodes_[0] is the root
  std::vector<Edge> edges_;
  std::array<uint32_t, 256> root_children_{};  // the root's edges, dense: most positions stop here
  // Bit c: some entry begins with code point c (below kCodePointsCovered); most characters of a
  // description begin none, and Find steps over them whole.
  static constexpr char32_t kCodePointsCovered = 0x30000;
  std::vector<uint64_t> starts_entry_;
};

}  // namespace fundtrail::projections
