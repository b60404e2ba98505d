// The evaluation of the default lexicon on the labelled corpus (tests/corpus/, format in
// docs/RULES.md): precision and recall of "flagged" against "clean", overall and per label, for
// the development part (used to build the lexicon) and the held-out part (written by someone who
// never saw it). The floors are enforced on the held-out part; both parts' figures are printed.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "projections/lexicon.h"
#include "projections/normalise.h"
#include "projections/spending.h"

namespace fundtrail::projections {
namespace {

constexpr size_t kLineCountMinDev = 600;
constexpr size_t kLabelCountMin = 25;
constexpr size_t kCleanCountMin = 200;
constexpr double kRecallMin = 0.90;
constexpr double kPrecisionMin = 0.95;

const std::set<std::string>& Labels() {
  static const std::set<std::string> labels = {
      "gift_cards", "liquor_tobacco", "entertainment", "tourism", "securities",
      "loans",      "fines",          "bonuses_welfare", "sponsorship", "settlements",
      "personal",   "equipment",      "clean"};
  return labels;
}

struct Line {
  size_t number = 0;
  std::string label;
  std::string category;
  std::string description;
};

// The lines of `path`; a malformed line fails the test, naming its number.
std::vector<Line> ReadCorpus(const std::filesystem::path& path) {
  std::ifstream input(path);
  EXPECT_TRUE(input.good()) << "cannot open " << path;
  std::vector<Line> lines;
  std::string text;
  for (size_t number = 1; std::getline(input, text); ++number) {
    if (text.empty() || text[0] == '#') continue;
    size_t first = text.find('\t');
    size_t second = first == std::string::npos ? first : text.find('\t', first + 1);
    if (second == std::string::npos || text.find('\t', second + 1) != std::string::npos) {
      ADD_FAILURE() << path << " line " << number << ": want LABEL<TAB>CATEGORY<TAB>DESCRIPTION";
      continue;
    }
    Line line{number, text.substr(0, first), text.substr(first + 1, second - first - 1),
              text.substr(second + 1)};
    EXPECT_TRUE(Labels().contains(line.label))
        << path << " line " << number << ": unknown label \"" << line.label << "\"";
    EXPECT_TRUE(BudgetCategoryFromName(line.category).has_value())
        << path << " line " << number << ": unknown category \"" << line.category << "\"";
    EXPECT_FALSE(line.description.empty()) << path << " line " << number;
    lines.push_back(std::move(line));
  }
  return lines;
}

struct Counts {
  size_t lines = 0;
  size_t flagged = 0;        // lines of this label flagged
  size_t flagged_as = 0;     // lines flagged with this label (PU-1's label, or BR-4)
  size_t flagged_as_right = 0;  // of them, lines that are not clean
};

struct Figures {
  std::map<std::string, Counts> labels;
  size_t true_positive = 0;
  size_t false_positive = 0;
  size_t false_negative = 0;
  double precision() const {
    size_t flagged = true_positive + false_positive;
    return flagged == 0 ? 1.0 : static_cast<double>(true_positive) / static_cast<double>(flagged);
  }
  double recall() const {
    size_t positive = true_positive + false_negative;
    return positive == 0 ? 1.0 : static_cast<double>(true_positive) / static_cast<double>(positive);
  }
};

// What the default policy raises for `line`: PU-1 when a prohibited label's term is found; BR-4
// when an equipment term is found and the line is booked outside `equipment` (at any amount:
// the threshold is not the lexicon's to judge). Returns the label flagged, or "".
std::string Flagged(const Lexicon& lexicon, const Line& line) {
  auto finding = lexicon.Find(TextNormaliser::Shared()->Normalise(line.description));
  if (finding.purpose_term >= 0) return lexicon.terms()[finding.purpose_term].label;
  if (finding.equipment_term >= 0 && line.category != "equipment") return "equipment";
  return "";
}

Figures Evaluate(const Lexicon& lexicon, const std::vector<Line>& lines, const char* part) {
  Figures figures;
  for (const Line& line : lines) {
    std::string flagged = Flagged(lexicon, line);
    Counts& counts = figures.labels[line.label];
    ++counts.lines;
    bool positive = line.label != "clean";
    if (!flagged.empty()) {
      ++counts.flagged;
      Counts& as = figures.labels[flagged];
      ++as.flagged_as;
      as.flagged_as_right += positive;
    }
    if (positive && !flagged.empty()) ++figures.true_positive;
    if (!positive && !flagged.empty()) {
      ++figures.false_positive;
      std::printf("  %s false positive, line %zu (%s): %s [%s]\n", part, line.number,
                  flagged.c_str(), line.description.c_str(), line.category.c_str());
    }
    if (positive && flagged.empty()) {
      ++figures.false_negative;
      std::printf("  %s missed, line %zu (%s): %s [%s]\n", part, line.number, line.label.c_str(),
                  line.description.c_str(), line.category.c_str());
    }
  }
  std::printf("%s part: %zu lines; flag vs clean: precision %.1f%% (%zu of %zu flags), recall "
              "%.1f%% (%zu of %zu)\n",
              part, lines.size(), 100 * figures.precision(), figures.true_positive,
              figures.true_positive + figures.false_positive, 100 * figures.recall(),
              figures.true_positive, figures.true_positive + figures.false_negative);
  std::printf("  %-16s %6s %8s %10s\n", "label", "lines", "recall", "precision");
  for (const auto& [label, counts] : figures.labels) {
    double recall = counts.lines == 0 ? 0 : 100.0 * counts.flagged / counts.lines;
    if (label == "clean") {
      std::printf("  %-16s %6zu %7.1f%% (flagged: false positives)\n", label.c_str(), counts.lines,
                  recall);
      continue;
    }
    double precision =
        counts.flagged_as == 0 ? 100.0 : 100.0 * counts.flagged_as_right / counts.flagged_as;
    std::printf("  %-16s %6zu %7.1f%% %9.1f%%\n", label.c_str(), counts.lines, recall, precision);
  }
  std::fflush(stdout);
  return figures;
}

std::shared_ptr<const Lexicon> DefaultLexicon() {
  auto lexicon = Lexicon::FromJson(DefaultLexiconDocument(), *TextNormaliser::Shared());
  EXPECT_TRUE(lexicon.has_value()) << lexicon.error().message();
  return *lexicon;
}

const std::filesystem::path kCorpus = std::filesystem::path(FUNDTRAIL_SOURCE_DIR) / "tests/corpus";

TEST(LexiconCorpus, DevelopmentPartIsWellFormedAndCoversEveryLabel) {
  auto lines = ReadCorpus(kCorpus / "descriptions-dev.tsv");
  EXPECT_GE(lines.size(), kLineCountMinDev);
  std::map<std::string, size_t> per_label;
  for (const auto& line : lines) ++per_label[line.label];
  for (const auto& label : Labels()) {
    EXPECT_GE(per_label[label], label == "clean" ? kCleanCountMin : kLabelCountMin) << label;
  }
}

// Both parts; the held-out one when the file is present, and the output says which ran.
TEST(LexiconCorpus, PrecisionAndRecall) {
  auto lexicon = DefaultLexicon();
  auto dev = Evaluate(*lexicon, ReadCorpus(kCorpus / "descriptions-dev.tsv"), "development");
  // The development part guards against regressions in the lexicon; it is no evidence of
  // quality, as the lexicon was written from it.
  EXPECT_GE(dev.recall(), kRecallMin);
  EXPECT_GE(dev.precision(), kPrecisionMin);
  const auto held_out_path = kCorpus / "descriptions-heldout.tsv";
  if (!std::filesystem::exists(held_out_path)) {
    std::printf("held-out part: %s is absent; ONLY THE DEVELOPMENT PART RAN\n",
                held_out_path.c_str());
    return;
  }
  auto held_out = Evaluate(*lexicon, ReadCorpus(held_out_path), "held-out");
  EXPECT_GE(held_out.recall(), kRecallMin) << "held-out recall";
  EXPECT_GE(held_out.precision(), kPrecisionMin) << "held-out precision";
}

}  // namespace
}  // namespace fundtrail::projections
