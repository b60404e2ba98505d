// Tests of DescriptionMatcher (description_match.h): the one-pass automaton against the literal
// definition (FindLiteral) on the default policy's lists and on seeded random lists and texts
// built to collide (overlapping keywords, keywords inside exclusions, exclusions with spaces,
// word boundaries, UTF-8). The seed is printed on failure; FUNDTRAIL_TEST_SEED replays one.
#include "projections/description_match.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "projections/rules.h"

namespace fundtrail::projections {
namespace {

using Match = DescriptionMatcher::Match;

std::string Lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

// A policy in the keyword-list form (PU-1.lexicon set to null): the older default lists.
nlohmann::json KeywordListPolicy() {
  auto policy = MakePolicy(1, {{"PU-1", {{"lexicon", nullptr}}}});
  EXPECT_TRUE(policy.has_value()) << policy.error().message();
  return policy->document;
}

// The keyword-list defaults, lowercased as ParseParams does (none of them needs trimming).
DescriptionMatcher DefaultMatcher(std::vector<std::string> category_names = {}) {
  nlohmann::json policy = KeywordListPolicy();
  std::vector<std::vector<std::string>> prohibited;
  for (const auto& use : policy["PU-1"]["prohibited_uses"]) {
    prohibited.emplace_back();
    for (const auto& keyword : use["keywords"]) prohibited.back().push_back(Lower(keyword));
  }
  std::vector<std::string> exclusions, equipment;
  for (const auto& exclusion : policy["PU-1"]["exclusions"]) exclusions.push_back(Lower(exclusion));
  for (const auto& keyword : policy["BR-4"]["equipment_keywords"])
    equipment.push_back(Lower(keyword));
  return DescriptionMatcher(prohibited, exclusions, equipment, std::move(category_names));
}

uint64_t SeedFromEnvironment(uint64_t fallback) {
  const char* text = std::getenv("FUNDTRAIL_TEST_SEED");
  return text && *text ? std::strtoull(text, nullptr, 10) : fallback;
}

std::string Describe(const Match& match) {
  return "purpose " + std::to_string(match.purpose_index) + " keyword " +
         std::to_string(match.keyword_index) + " equipment " +
         std::to_string(match.equipment_index);
}

TEST(DescriptionMatcher, DefaultPolicyExamples) {
  DescriptionMatcher matcher = DefaultMatcher();
  ASSERT_TRUE(matcher.has_automaton());
  struct Case {
    const char* description;
    const char* category;
    int purpose;  // index in the default prohibited_uses, -1 for none
    int equipment;
  };
  const Case cases[] = {
      {"正极材料样品 第3批", "materials", -1, -1},
      {"年会宴请", "other_direct", 11, -1},       // entertainment: 宴请
      {"酒店住宿", "travel_conference", -1, -1},  // 酒店 is excluded, so 酒 is not alcohol
      {"酒店 白酒", "other_direct", 10, -1},      // the second 酒 is
      {"Refined lithium", "materials", -1, -1},   // "fine" only as a word
      {"Late FEE for invoice", "other_direct", 1, -1},
      {"Isopropyl Alcohol, 5 L", "materials", -1, -1},
      {"alcohol-free wipes", "materials", 10, -1},  // "-" ends a word
      {"个人所得税代扣", "labour", -1, -1},
      {"个人消费", "other_direct", 7, -1},
      {"XRD分析仪 维修", "testing", -1, 3},
      {"GPU server rack", "materials", -1, 18},
      {"servers", "materials", -1, -1},  // not the word "server"
      {"KTV", "other_direct", 11, -1},
      {"fuel card top-up", "fuel_power", 8, -1},
      {"gift card", "other_direct", 9, -1},
      {"投资理财产品", "other_direct", 5, -1},
      {"", "fines", 0, -1},  // the category name is searched too
  };
  for (const auto& c : cases) {
    Match found = matcher.Find(c.description, c.category);
    EXPECT_EQ(found, matcher.FindLiteral(c.description, c.category)) << c.description;
    EXPECT_EQ(found.purpose_index, c.purpose) << c.description << ": " << Describe(found);
    EXPECT_EQ(found.equipment_index, c.equipment) << c.description << ": " << Describe(found);
  }
}

// Random texts of keyword pieces, near misses and noise, searched with the default lists.
TEST(DescriptionMatcher, DefaultPolicyRandomTexts) {
  uint64_t seed = SeedFromEnvironment(20261128);
  SCOPED_TRACE("seed " + std::to_string(seed) + " (replay with FUNDTRAIL_TEST_SEED)");
  std::mt19937_64 random(seed);
  // Category names that contain keywords and exclusions, or begin or end one across the space.
  const std::vector<std::string> categories = {"materials", "other_direct", "fines", "",
                                               "fee",       "wine list",    "Fine",  "machine"};
  DescriptionMatcher matcher = DefaultMatcher(categories);
  nlohmann::json policy = KeywordListPolicy();
  std::vector<std::string> pieces = {" ", "-", "a", "S", "9", "第", "批", "材料", "\xe9", "\x80"};
  for (const auto& use : policy["PU-1"]["prohibited_uses"]) {
    for (const auto& keyword : use["keywords"]) pieces.push_back(keyword);
  }
  for (const auto& exclusion : policy["PU-1"]["exclusions"]) pieces.push_back(exclusion);
  for (const auto& keyword : policy["BR-4"]["equipment_keywords"]) pieces.push_back(keyword);
  int matched = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    for (size_t n = random() % 6; n > 0; --n) {
      std::string piece = pieces[random() % pieces.size()];
      if (random() % 4 == 0) piece = piece.substr(0, random() % (piece.size() + 1));  // cut
      if (random() % 4 == 0 && !piece.empty()) piece[0] = static_cast<char>(std::toupper(piece[0]));
      text += piece;
    }
    size_t index = random() % categories.size();
    const std::string& category = categories[index];
    Match found = matcher.Find(text, category);
    ASSERT_EQ(found, matcher.FindLiteral(text, category)) << "\"" << text << "\" " << category;
    ASSERT_EQ(matcher.Find(text, index), found) << "\"" << text << "\" " << category;
    matched += found.purpose_index >= 0;
  }
  EXPECT_GT(matched, 1000);  // the texts do exercise the matches
}

// Random lists over a tiny alphabet, so that keywords overlap, nest, repeat across purposes, sit
// inside exclusions and exclusions sit across each other.
TEST(DescriptionMatcher, RandomListsAgainstTheDefinition) {
  uint64_t seed = SeedFromEnvironment(20261129);
  SCOPED_TRACE("seed " + std::to_string(seed) + " (replay with FUNDTRAIL_TEST_SEED)");
  std::mt19937_64 random(seed);
  const std::string alphabet = "ab 1-\xe9";
  auto word = [&](size_t size_max) {
    std::string out;
    for (size_t n = 1 + random() % size_max; n > 0; --n)
      out += alphabet[random() % alphabet.size()];
    return out;
  };
  for (int list = 0; list < 300; ++list) {
    std::vector<std::vector<std::string>> prohibited(1 + random() % 4);
    for (auto& keywords : prohibited) {
      for (size_t n = 1 + random() % 4; n > 0; --n) keywords.push_back(word(4));
    }
    std::vector<std::string> exclusions, equipment, categories = {""};
    for (size_t n = random() % 4; n > 0; --n) exclusions.push_back(word(5));
    for (size_t n = random() % 4; n > 0; --n) equipment.push_back(word(3));
    for (size_t n = 1 + random() % 4; n > 0; --n) categories.push_back(word(3));
    DescriptionMatcher matcher(prohibited, exclusions, equipment, categories);
    ASSERT_TRUE(matcher.has_automaton());
    for (int i = 0; i < 200; ++i) {
      std::string text = word(14);
      if (random() % 2) text[random() % text.size()] = 'A';  // folded to "a"
      size_t index = random() % categories.size();
      const std::string& category = categories[index];
      Match literal = matcher.FindLiteral(text, category);
      ASSERT_EQ(matcher.Find(text, category), literal)
          << "list " << list << ", text \"" << text << "\", category \"" << category << "\"";
      ASSERT_EQ(matcher.Find(text, index), literal)
          << "list " << list << ", text \"" << text << "\", category " << index;
    }
  }
}

TEST(DescriptionMatcher, ExclusionOfSpacesAloneEnds) {
  DescriptionMatcher matcher({{"wine"}}, {" ", "  "}, {});
  EXPECT_EQ(matcher.Find("red wine", "other_direct").purpose_index, 0);
  EXPECT_EQ(matcher.FindLiteral("red wine", "other_direct").purpose_index, 0);
}

TEST(DescriptionMatcher, ListsTooLargeForTheTableAreSearchedLiterally) {
  std::mt19937_64 random(7);
  std::vector<std::string> keywords;
  for (int i = 0; i < 8000; ++i) {  // 192,001 states of 27 classes
    std::string keyword;
    for (int n = 0; n < 24; ++n) keyword += static_cast<char>('a' + random() % 26);
    keywords.push_back(keyword);
  }
  keywords.push_back("caviar");
  DescriptionMatcher matcher({keywords}, {}, {});
  EXPECT_FALSE(matcher.has_automaton());
  EXPECT_EQ(matcher.Find("caviar for the board", "other_direct").keyword_index, 8000);
  EXPECT_EQ(matcher.Find("beluga", "other_direct").purpose_index, -1);
}

}  // namespace
}  // namespace fundtrail::projections
