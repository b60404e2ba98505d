#include "projections/lexicon.h"

#include <algorithm>
#include <map>
#include <set>

namespace fundtrail::projections {

namespace {

using json = nlohmann::json;

// Bounds on what a policy may ask Find to carry: far above the default lexicon's 700 entries.
constexpr size_t kEntriesMax = 100000;
constexpr size_t kEntrySizeBytesMax = 256;
constexpr const char* kRoot = "PU-1.lexicon";

bool IsAsciiAlphanumeric(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// The code point of the well-formed UTF-8 sequence at text[at], with *size its length; *size is 0
// if the bytes there are not one.
char32_t DecodeAt(std::string_view text, size_t at, size_t* size) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(at);
  size_t length = lead < 0x80 ? 1 : lead >= 0xF8 ? 0 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3
                : lead >= 0xC0 ? 2 : 0;
  *size = 0;
  if (length == 0 || at + length > text.size()) return 0;
  char32_t code = length == 1 ? lead : lead & (0x7F >> length);
  for (size_t i = 1; i < length; ++i) {
    if ((byte(at + i) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(at + i) & 0x3F);
  }
  *size = length;
  return code;
}

Status KeyError(const std::string& key, const std::string& message) {
  return Status::InvalidArgument("policy key \"" + key + "\": " + message);
}

std::string_view TrimSpaces(std::string_view text) {
  size_t first = text.find_first_not_of(' ');
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(' ') - first + 1);
}

// The string members of the object at `key` (text -> note), in key order.
Result<std::vector<std::pair<std::string, std::string>>> NotedStrings(const json& object,
                                                                      const std::string& key) {
  if (!object.is_object())
    return Error(KeyError(key, "must be an object of entries, {\"text\": \"what it is\", ...}"));
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [text, note] : object.items()) {
    if (!note.is_string() || note.get<std::string>().empty())
      return Error(KeyError(key + "." + text, "must be a non-empty string saying what it is"));
    out.emplace_back(text, note.get<std::string>());
  }
  return out;
}

}  // namespace

Result<std::shared_ptr<const Lexicon>> Lexicon::FromJson(const json& lexicon,
                                                         const TextNormaliser& normaliser) {
  const std::string root = kRoot;
  if (!lexicon.is_object())
    return Error(KeyError(root, "must be an object {\"version\", \"labels\", \"exceptions\", "
                                "\"not_equipment\"}"));
  for (const auto& [key, value] : lexicon.items()) {
    if (key != "version" && key != "labels" && key != "exceptions" && key != "not_equipment")
      return Error(KeyError(root + "." + key, "is not a known key of " + root));
  }
  std::shared_ptr<Lexicon> out(new Lexicon());
  auto version = lexicon.find("version");
  if (version == lexicon.end() || !version->is_string() || version->get<std::string>().empty())
    return Error(KeyError(root + ".version", "must be a non-empty string, e.g. \"2026.12\""));
  out->version_ = version->get<std::string>();

  auto labels = lexicon.find("labels");
  if (labels == lexicon.end() || !labels->is_object() || labels->empty())
    return Error(KeyError(root + ".labels", "must be an object of labels, {\"tourism\": "
                                            "{\"purpose\": text, \"terms\": {...}}, ...}"));
  std::vector<std::pair<std::string, std::string>> seen;  // normalised -> the key that gave it
  for (const auto& [label, body] : labels->items()) {
    const std::string key = root + ".labels." + label;
    if (label.empty() || !body.is_object() || body.size() != 2 || !body.contains("purpose") ||
        !body.contains("terms") || !body["purpose"].is_string())
      return Error(KeyError(key, "must be {\"purpose\": text, \"terms\": {\"term\": kind, ...}}"));
    out->purposes_.emplace_back(label, body["purpose"].get<std::string>());
    auto terms = NotedStrings(body["terms"], key + ".terms");
    if (!terms) return Error(terms.error());
    for (auto& [text, kind] : *terms) {
      int32_t index = static_cast<int32_t>(out->terms_.size());
      std::string normalised(TrimSpaces(normaliser.Normalise(text)));
      out->terms_.push_back({text, normalised, label, kind});
      FT_RETURN_IF_ERROR(
          out->Add(text, normalised, Role::kTerm, index, key + ".terms." + text, &seen));
    }
  }
  for (auto [name, role] : {std::pair{"exceptions", Role::kException},
                            std::pair{"not_equipment", Role::kNotEquipment}}) {
    auto found = lexicon.find(name);
    if (found == lexicon.end()) continue;
    const std::string key = root + "." + name;
    auto entries = NotedStrings(*found, key);
    if (!entries) return Error(entries.error());
    for (auto& [text, note] : *entries) {
      std::string normalised(TrimSpaces(normaliser.Normalise(text)));
      FT_RETURN_IF_ERROR(out->Add(text, normalised, role, -1, key + "." + text, &seen));
    }
  }
  out->Build();
  return std::shared_ptr<const Lexicon>(std::move(out));
}

Status Lexicon::Add(std::string text, std::string normalised, Role role, int32_t term,
                    const std::string& key,
                    std::vector<std::pair<std::string, std::string>>* seen) {
  if (normalised.empty()) return KeyError(key, "is empty; remove it");
  if (normalised.size() > kEntrySizeBytesMax)
    return KeyError(key, "is longer than " + std::to_string(kEntrySizeBytesMax) + " bytes");
  if (entries_.size() >= kEntriesMax)
    return KeyError(key, "is one entry too many: a lexicon holds at most " +
                             std::to_string(kEntriesMax));
  // Two entries that read the same would compete for one place in the segmentation.
  for (const auto& [other, other_key] : *seen) {
    if (other == normalised) {
      return KeyError(key, "reads as \"" + normalised + "\", as \"" + other_key +
                               "\" does; keep one of them");
    }
  }
  seen->emplace_back(normalised, key);
  (void)text;
  Entry entry;
  entry.normalised = std::move(normalised);
  entry.role = role;
  entry.term = term;
  entry.word_start = IsAsciiAlphanumeric(entry.normalised.front());
  entry.word_end = IsAsciiAlphanumeric(entry.normalised.back());
  entries_.push_back(std::move(entry));
  return Status::Ok();
}

void Lexicon::Build() {
  // A trie of the entries' bytes, built with maps and flattened into sorted edge lists.
  std::vector<std::map<uint8_t, uint32_t>> children(1);
  std::vector<int32_t> ending(1, -1);
  for (size_t id = 0; id < entries_.size(); ++id) {
    Entry& entry = entries_[id];
    entry.equipment = entry.role == Role::kTerm && terms_[entry.term].label == kEquipmentLabel;
    uint32_t node = 0;
    for (char c : entries_[id].normalised) {
      auto [found, added] =
          children[node].try_emplace(static_cast<uint8_t>(c), static_cast<uint32_t>(ending.size()));
      if (added) {
        children.emplace_back();
        ending.push_back(-1);
      }
      node = found->second;
    }
    FT_ASSERT(ending[node] < 0, "two entries with one normal form passed Add");
    ending[node] = static_cast<int32_t>(id);
  }
  nodes_.resize(children.size());
  for (size_t node = 0; node < children.size(); ++node) {
    nodes_[node].edges_begin = static_cast<uint32_t>(edges_.size());
    nodes_[node].edge_count = static_cast<uint32_t>(children[node].size());
    nodes_[node].entry = ending[node];
    for (const auto& [byte, child] : children[node]) edges_.push_back({byte, child});
  }
  root_children_.fill(kNoNode);
  for (const auto& [byte, child] : children[0]) root_children_[byte] = child;
  starts_entry_.assign(kCodePointsCovered / 64, 0);
  for (const Entry& entry : entries_) {
    size_t size = 0;
    char32_t first = DecodeAt(entry.normalised, 0, &size);
    if (size > 1 && first < kCodePointsCovered) starts_entry_[first / 64] |= uint64_t{1} << (first % 64);
  }
}

size_t Lexicon::SkippableAt(std::string_view text, size_t at) const {
  size_t size = 0;
  char32_t code = DecodeAt(text, at, &size);
  if (size < 2 || code >= kCodePointsCovered) return 0;  // ASCII, malformed or rare: walk
  return (starts_entry_[code / 64] >> (code % 64)) & 1 ? 0 : size;
}

uint32_t Lexicon::Child(uint32_t node, uint8_t byte) const {
  const Node& from = nodes_[node];
  const Edge* first = edges_.data() + from.edges_begin;
  const Edge* last = first + from.edge_count;
  const Edge* found =
      std::lower_bound(first, last, byte, [](const Edge& edge, uint8_t b) { return edge.byte < b; });
  return found != last && found->byte == byte ? found->node : kNoNode;
}

int32_t Lexicon::LongestAt(std::string_view text, size_t at, size_t* end) const {
  // Inside an ASCII word no entry starts: one starting with a letter or digit needs a boundary.
  if (at > 0 && IsAsciiAlphanumeric(text[at]) && IsAsciiAlphanumeric(text[at - 1])) return -1;
  int32_t best = -1;
  uint32_t node = root_children_[static_cast<uint8_t>(text[at])];
  for (size_t i = at; node != kNoNode;) {
    int32_t entry = nodes_[node].entry;
    if (entry >= 0 && (!entries_[entry].word_end || i + 1 == text.size() ||
                       !IsAsciiAlphanumeric(text[i + 1]))) {
      best = entry;
      *end = i + 1;
    }
    if (++i == text.size()) break;
    node = Child(node, static_cast<uint8_t>(text[i]));
  }
  return best;
}

int32_t Lexicon::LongestAtLiteral(std::string_view text, size_t at, size_t* end) const {
  int32_t best = -1;
  size_t best_size = 0;
  for (size_t id = 0; id < entries_.size(); ++id) {
    const Entry& entry = entries_[id];
    const std::string& word = entry.normalised;
    if (text.substr(at, word.size()) != word || word.size() <= best_size) continue;
    if (entry.word_start && at > 0 && IsAsciiAlphanumeric(text[at - 1])) continue;
    size_t after = at + word.size();
    if (entry.word_end && after < text.size() && IsAsciiAlphanumeric(text[after])) continue;
    best = static_cast<int32_t>(id);
    best_size = word.size();
  }
  if (best >= 0) *end = at + best_size;
  return best;
}

template <typename Longest>
Lexicon::Finding Lexicon::Segment(std::string_view text, bool quick, Longest longest) const {
  Finding finding;
  int equipment = -1;
  bool not_equipment = false;
  for (size_t at = 0; at < text.size();) {
    // No entry starts inside a character that begins none: its bytes after the first are
    // continuation bytes, which begin no (well-formed) entry.
    size_t skip = quick ? SkippableAt(text, at) : 0;
    if (skip > 0) {
      at += skip;
      continue;
    }
    size_t end = at;
    int32_t id = longest(text, at, &end);
    if (id < 0) {
      ++at;
      continue;
    }
    FT_ASSERT(end > at);
    const Entry& entry = entries_[id];
    if (entry.role == Role::kNotEquipment) not_equipment = true;
    if (entry.role == Role::kTerm) {
      int& first = entry.equipment ? equipment : finding.purpose_term;
      if (first < 0) first = entry.term;
    }
    at = end;
  }
  finding.equipment_term = not_equipment ? -1 : equipment;
  return finding;
}

Lexicon::Finding Lexicon::Find(std::string_view normalised) const {
  return Segment(normalised, true, [this](std::string_view text, size_t at, size_t* end) {
    return LongestAt(text, at, end);
  });
}

Lexicon::Finding Lexicon::FindLiteral(std::string_view normalised) const {
  return Segment(normalised, false, [this](std::string_view text, size_t at, size_t* end) {
    return LongestAtLiteral(text, at, end);
  });
}

const std::string& Lexicon::purpose(std::string_view label) const {
  static const std::string kNone;
  for (const auto& [name, text] : purposes_) {
    if (name == label) return text;
  }
  return kNone;
}

}  // namespace fundtrail::projections
