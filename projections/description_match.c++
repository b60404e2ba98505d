#include "projections/description_match.h"

#include <algorithm>
#include <deque>
#include <map>

#include "ledger/status.h"

namespace fundtrail::projections {

namespace {

// The automaton's table holds states * classes entries of 16 bits; beyond this bound (8 MiB, far
// above the default policy's 1,100 states and 110 classes) Find searches literally instead.
constexpr size_t kTableEntriesMax = size_t{1} << 22;
constexpr uint32_t kNoState = UINT32_MAX;

char LowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string LowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = LowerAscii(c);
  return out;
}

bool IsAsciiAlphanumeric(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// True if `word` occurs in `text` at a word boundary (see the header).
bool ContainsKeyword(std::string_view text, std::string_view word) {
  for (size_t at = text.find(word); at != std::string_view::npos; at = text.find(word, at + 1)) {
    bool starts_word =
        !IsAsciiAlphanumeric(word.front()) || at == 0 || !IsAsciiAlphanumeric(text[at - 1]);
    size_t after = at + word.size();
    bool ends_word = !IsAsciiAlphanumeric(word.back()) || after == text.size() ||
                     !IsAsciiAlphanumeric(text[after]);
    if (starts_word && ends_word) return true;
  }
  return false;
}

// "<description> <category name>" without building it: byte i of the joined text.
struct JoinedText {
  std::string_view first;
  std::string_view second;
  size_t size() const { return first.size() + 1 + second.size(); }
  char operator[](size_t index) const {
    if (index < first.size()) return first[index];
    if (index == first.size()) return ' ';
    return second[index - first.size() - 1];
  }
};

}  // namespace

DescriptionMatcher::DescriptionMatcher(std::vector<std::vector<std::string>> prohibited,
                                       std::vector<std::string> exclusions,
                                       std::vector<std::string> equipment,
                                       std::vector<std::string> category_names)
    : prohibited_(std::move(prohibited)),
      exclusions_(std::move(exclusions)),
      equipment_(std::move(equipment)),
      category_names_(std::move(category_names)) {
  for (size_t purpose = 0; purpose < prohibited_.size(); ++purpose) {
    for (size_t keyword = 0; keyword < prohibited_[purpose].size(); ++keyword)
      prohibited_order_.emplace_back(static_cast<int>(purpose), static_cast<int>(keyword));
  }
  Build();
  if (!has_automaton()) return;
  for (const auto& name : category_names_) {
    Scan scan;
    uint32_t state = 0;
    ScanPiece(JoinedText{std::string_view(), name}, name, 1, 0, &state, &scan);
    category_scans_.push_back(scan);
  }
}

void DescriptionMatcher::Build() {
  // Each distinct string is one pattern, whatever roles it plays; a role's rank is its first
  // position in policy order, so that the lowest rank found is the definition's first match.
  std::map<std::string, size_t> index;
  std::vector<std::string> texts;
  auto pattern = [&](const std::string& text) -> Pattern& {
    FT_ASSERT(!text.empty(), "an empty keyword");
    FT_ASSERT(LowerAscii(text) == text, "a keyword with uppercase ASCII letters");
    auto [found, added] = index.try_emplace(text, patterns_.size());
    if (added) {
      texts.push_back(text);
      patterns_.push_back({static_cast<uint32_t>(text.size()), kNoRank, kNoRank, false,
                           IsAsciiAlphanumeric(text.front()), IsAsciiAlphanumeric(text.back())});
    }
    return patterns_[found->second];
  };
  for (size_t rank = 0; rank < prohibited_order_.size(); ++rank) {
    const auto& [purpose, keyword] = prohibited_order_[rank];
    Pattern& found = pattern(prohibited_[purpose][keyword]);
    found.prohibited_rank = std::min(found.prohibited_rank, static_cast<int32_t>(rank));
  }
  for (const auto& exclusion : exclusions_) pattern(exclusion).exclusion = true;
  for (size_t rank = 0; rank < equipment_.size(); ++rank) {
    Pattern& found = pattern(equipment_[rank]);
    found.equipment_rank = std::min(found.equipment_rank, static_cast<int32_t>(rank));
  }

  // Byte classes: class 0 for the bytes no pattern contains; an uppercase ASCII letter takes the
  // class of its lowercase form, so the text is lowercased as it is read.
  size_t state_count_max = 1;
  std::array<bool, 256> used{};
  for (const auto& text : texts) {
    state_count_max += text.size();
    for (char c : text) used[static_cast<uint8_t>(c)] = true;
  }
  class_count_ = 1;
  for (int byte = 0; byte < 256; ++byte) {
    if (used[byte]) byte_class_[byte] = static_cast<uint8_t>(class_count_++);
  }
  for (int byte = 'A'; byte <= 'Z'; ++byte) byte_class_[byte] = byte_class_[byte - 'A' + 'a'];
  if (state_count_max * class_count_ > kTableEntriesMax || state_count_max > kStateMask) {
    patterns_.clear();  // Find searches literally
    return;
  }

  // The trie, built with 32-bit entries, then packed into 16.
  std::vector<uint32_t> next(class_count_, kNoState);
  output_.assign(1, -1);
  for (size_t id = 0; id < texts.size(); ++id) {
    uint32_t state = 0;
    for (char c : texts[id]) {
      size_t slot = size_t{state} * class_count_ + byte_class_[static_cast<uint8_t>(c)];
      if (next[slot] == kNoState) {
        next[slot] = static_cast<uint32_t>(output_.size());
        output_.push_back(-1);
        next.resize(next.size() + class_count_, kNoState);
      }
      state = next[slot];
    }
    output_[state] = static_cast<int32_t>(id);
  }
  // Failure links breadth first, completing the table into a DFA: a missing edge of a state is
  // the same edge of its failure state, which is shallower and so already complete.
  const size_t state_count = output_.size();
  FT_ASSERT(state_count <= state_count_max);
  std::vector<uint32_t> failure(state_count, 0);
  output_link_.assign(state_count, -1);
  std::deque<uint32_t> queue;
  for (uint32_t c = 0; c < class_count_; ++c) {
    uint32_t& child = next[c];
    if (child == kNoState) {
      child = 0;
    } else {
      queue.push_back(child);  // failure 0, no output link
    }
  }
  while (!queue.empty()) {
    uint32_t state = queue.front();
    queue.pop_front();
    for (uint32_t c = 0; c < class_count_; ++c) {
      uint32_t& child = next[size_t{state} * class_count_ + c];
      uint32_t fallback = next[size_t{failure[state]} * class_count_ + c];
      if (child == kNoState) {
        child = fallback;
        continue;
      }
      failure[child] = fallback;
      output_link_[child] =
          output_[fallback] >= 0 ? static_cast<int32_t>(fallback) : output_link_[fallback];
      queue.push_back(child);
    }
  }
  // Mark the edges into states where some pattern ends, so that the scan tests one bit per byte.
  next_.reserve(next.size());
  for (uint32_t target : next) {
    FT_ASSERT(target <= kStateMask);
    bool output = output_[target] >= 0 || output_link_[target] >= 0;
    next_.push_back(static_cast<uint16_t>(target | (output ? kHasOutput : 0)));
  }
}

template <typename Text>
void DescriptionMatcher::ScanPiece(const Text& text, std::string_view piece, size_t offset,
                                   size_t equipment_end, uint32_t* state, Scan* scan) const {
  const uint16_t* next = next_.data();
  const uint8_t* byte_class = byte_class_.data();
  const size_t class_count = class_count_;
  uint32_t at = *state;
  for (size_t i = 0; i < piece.size(); ++i) {
    at = next[(at & kStateMask) * class_count + byte_class[static_cast<uint8_t>(piece[i])]];
    if (at & kHasOutput) Report(text, offset + i, equipment_end, at & kStateMask, scan);
  }
  *state = at;
}

template <typename Text>
void DescriptionMatcher::Report(const Text& text, size_t i, size_t equipment_end, uint32_t state,
                                Scan* scan) const {
  // Every pattern ending at byte i: this state's own, then along the output links.
  const size_t size = text.size();
  int32_t found = output_[state] >= 0 ? static_cast<int32_t>(state) : output_link_[state];
  for (; found >= 0; found = output_link_[found]) {
    const Pattern& pattern = patterns_[output_[found]];
    scan->exclusion |= pattern.exclusion;
    bool better_prohibited = pattern.prohibited_rank < scan->prohibited_rank;
    bool better_equipment = i < equipment_end && pattern.equipment_rank < scan->equipment_rank;
    if (!better_prohibited && !better_equipment) continue;
    size_t start = i + 1 - pattern.size_bytes;
    if (pattern.word_start && start > 0 && IsAsciiAlphanumeric(text[start - 1])) continue;
    if (pattern.word_end && i + 1 < size && IsAsciiAlphanumeric(text[i + 1])) continue;
    if (better_prohibited) scan->prohibited_rank = pattern.prohibited_rank;
    if (better_equipment) scan->equipment_rank = pattern.equipment_rank;
  }
}

DescriptionMatcher::Match DescriptionMatcher::MatchOf(int32_t prohibited_rank,
                                                      int32_t equipment_rank) const {
  Match match;
  if (prohibited_rank != kNoRank) {
    match.purpose_index = prohibited_order_[prohibited_rank].first;
    match.keyword_index = prohibited_order_[prohibited_rank].second;
  }
  if (equipment_rank != kNoRank) match.equipment_index = equipment_rank;
  return match;
}

DescriptionMatcher::Match DescriptionMatcher::Find(std::string_view description,
                                                   std::string_view category_name) const {
  return FindIn(description, category_name, -1);
}

DescriptionMatcher::Match DescriptionMatcher::Find(std::string_view description,
                                                   size_t category) const {
  FT_ASSERT(category < category_names_.size());
  return FindIn(description, category_names_[category], static_cast<int>(category));
}

DescriptionMatcher::Match DescriptionMatcher::FindIn(std::string_view description,
                                                     std::string_view category_name,
                                                     int category) const {
  if (!has_automaton()) return FindLiteral(description, category_name);
  // An occurrence inside the description reads the same in the joined text: the byte after the
  // description is a space, as the end of the description alone is a word boundary. The pieces
  // are read one after the other; the joined text is only consulted at a match.
  const JoinedText joined{description, category_name};
  Scan scan;
  uint32_t state = 0;
  ScanPiece(description, description, 0, description.size(), &state, &scan);
  ScanPiece(joined, " ", description.size(), description.size(), &state, &scan);
  if (category >= 0 && (state & kStateMask) == 0) {
    const Scan& known = category_scans_[category];
    scan.prohibited_rank = std::min(scan.prohibited_rank, known.prohibited_rank);
    scan.exclusion |= known.exclusion;
  } else {
    ScanPiece(joined, category_name, description.size() + 1, description.size(), &state, &scan);
  }
  if (!scan.exclusion) return MatchOf(scan.prohibited_rank, scan.equipment_rank);
  // Blanking can join or split words, so PU-1 searches the blanked text again.
  std::string text = LowerAscii(description) + " " + LowerAscii(category_name);
  BlankExclusions(&text);
  Scan blanked;
  state = 0;
  ScanPiece(std::string_view(text), text, 0, 0, &state, &blanked);
  return MatchOf(blanked.prohibited_rank, scan.equipment_rank);
}

void DescriptionMatcher::BlankExclusions(std::string* text) const {
  for (const auto& exclusion : exclusions_) {
    // Blanking an exclusion of spaces alone changes nothing (and would never end).
    if (exclusion.find_first_not_of(' ') == std::string::npos) continue;
    for (size_t at = text->find(exclusion); at != std::string::npos;
         at = text->find(exclusion, at)) {
      std::fill(text->begin() + at, text->begin() + at + exclusion.size(), ' ');
    }
  }
}

DescriptionMatcher::Match DescriptionMatcher::FindLiteral(std::string_view description,
                                                          std::string_view category_name) const {
  Match match;
  std::string lowered = LowerAscii(description);
  for (size_t i = 0; i < equipment_.size() && match.equipment_index < 0; ++i) {
    if (ContainsKeyword(lowered, equipment_[i])) match.equipment_index = static_cast<int>(i);
  }
  std::string text = lowered + " " + LowerAscii(category_name);
  BlankExclusions(&text);
  for (size_t purpose = 0; purpose < prohibited_.size(); ++purpose) {
    for (size_t keyword = 0; keyword < prohibited_[purpose].size(); ++keyword) {
      if (ContainsKeyword(text, prohibited_[purpose][keyword])) {
        match.purpose_index = static_cast<int>(purpose);
        match.keyword_index = static_cast<int>(keyword);
        return match;
      }
    }
  }
  return match;
}

}  // namespace fundtrail::projections
