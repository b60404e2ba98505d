// The keyword searches of PU-1 (prohibited use) and BR-4 (equipment misfiled) over an
// expenditure's free-text description, in one pass.
//
// The definition (FindLiteral, and docs/RULES.md): ASCII letters compare case-insensitively, a
// keyword whose first (last) byte is an ASCII letter or digit must not follow (be followed by)
// one, so "fine" does not match "refined", and other keywords (Chinese) match anywhere.
//   PU-1 searches "<description> <category name>" after blanking out every occurrence of each
//        exclusion in turn ("酒店" so that a hotel is not 酒, alcohol); the answer is the first
//        purpose, in policy order, with a keyword found, and its first keyword found.
//   BR-4 searches the description alone, without exclusions; the answer is the first equipment
//        keyword found, in policy order.
// Searching literally costs one substring search per keyword and exclusion (about 110 with the
// default policy) for every expenditure folded in. Find gives the same answers from one pass of an
// Aho-Corasick automaton over the bytes of the text, built once per policy version; only a text in
// which an exclusion occurs takes a second pass, after the literal blanking.
//
// Thread safety: immutable after construction; Find and FindLiteral may run concurrently.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fundtrail::projections {

class DescriptionMatcher {
 public:
  // `prohibited` holds the keywords of each prohibited purpose, `exclusions` and `equipment` the
  // other two lists, all in policy order. `category_names` are the names Find(description,
  // category) appends; each is scanned once here rather than after every description.
  // REQUIRES: every keyword and exclusion is non-empty and has no uppercase ASCII letter
  // (ParseParams lowercases them).
  DescriptionMatcher(std::vector<std::vector<std::string>> prohibited,
                     std::vector<std::string> exclusions, std::vector<std::string> equipment,
                     std::vector<std::string> category_names = {});

  struct Match {
    int purpose_index = -1;    // PU-1: index into `prohibited`, -1 if nothing matched
    int keyword_index = -1;    // PU-1: index into that purpose's keywords
    int equipment_index = -1;  // BR-4: index into `equipment`, -1 if nothing matched
    bool operator==(const Match&) const = default;
  };

  // The answer of FindLiteral, from one pass over the text (two when an exclusion occurs).
  Match Find(std::string_view description, std::string_view category_name) const;
  // The same for category_names[category].
  // REQUIRES: 0 <= category < category_names.size().
  Match Find(std::string_view description, size_t category) const;

  // The definition above, transcribed: one substring search per keyword and exclusion. Used when
  // a policy's lists are too large for the automaton's table, and by the tests as the reference.
  Match FindLiteral(std::string_view description, std::string_view category_name) const;

  // Whether Find uses the automaton (false: the lists were too large, Find is FindLiteral).
  bool has_automaton() const { return !next_.empty(); }

 private:
  static constexpr int32_t kNoRank = INT32_MAX;
  // A transition's target state, with this bit set when some pattern ends in that state. 16-bit
  // entries keep the table small enough to stay in the cache beside the rest of the fold.
  static constexpr uint32_t kHasOutput = uint32_t{1} << 15;
  static constexpr uint32_t kStateMask = kHasOutput - 1;

  struct Pattern {
    uint32_t size_bytes = 0;
    int32_t prohibited_rank = kNoRank;  // first position in prohibited_order_, or kNoRank
    int32_t equipment_rank = kNoRank;   // first index in equipment_, or kNoRank
    bool exclusion = false;
    bool word_start = false;  // the first byte is ASCII alphanumeric: a word boundary before it
    bool word_end = false;    // the last byte is: a word boundary after it
  };

  // What one pass found: the best ranks of the keywords found at word boundaries, and whether
  // any exclusion occurs at all.
  struct Scan {
    int32_t prohibited_rank = kNoRank;
    int32_t equipment_rank = kNoRank;
    bool exclusion = false;
  };

  // Feeds `piece`, the bytes of `text` from `offset` on, to the automaton from `*state`; byte i
  // of `text` is "inside the description" for BR-4 if i < equipment_end.
  template <typename Text>
  void ScanPiece(const Text& text, std::string_view piece, size_t offset, size_t equipment_end,
                 uint32_t* state, Scan* scan) const;
  // Records the patterns ending at byte i in `state`.
  template <typename Text>
  void Report(const Text& text, size_t i, size_t equipment_end, uint32_t state, Scan* scan) const;
  // Blanks out every occurrence of each exclusion in turn, as the definition does.
  void BlankExclusions(std::string* lowered) const;
  Match MatchOf(int32_t prohibited_rank, int32_t equipment_rank) const;
  // `category` is the index of `category_name` in category_names_, or -1.
  Match FindIn(std::string_view description, std::string_view category_name, int category) const;
  void Build();

  std::vector<std::vector<std::string>> prohibited_;
  std::vector<std::string> exclusions_;
  std::vector<std::string> equipment_;
  std::vector<std::pair<int, int>> prohibited_order_;  // rank -> (purpose, keyword)
  std::vector<std::string> category_names_;
  // What scanning each category name finds when the automaton reaches it in its start state (as
  // it does unless the description ends in the beginning of a keyword): the name is then read
  // after a space and ends the text, so the answer does not depend on the description.
  std::vector<Scan> category_scans_;

  // The automaton: a dense transition table over byte classes (the distinct bytes of the
  // patterns, ASCII letters folded to lowercase, and one class for every other byte).
  std::vector<Pattern> patterns_;
  std::array<uint8_t, 256> byte_class_{};  // at most 231 classes: letters fold
  uint32_t class_count_ = 0;
  std::vector<uint16_t> next_;  // state * class_count_ + class -> state (| kHasOutput); empty: none
  std::vector<int32_t> output_;       // state -> the pattern ending exactly there, or -1
  std::vector<int32_t> output_link_;  // state -> nearest proper suffix state with an output, or -1
};

}  // namespace fundtrail::projections
