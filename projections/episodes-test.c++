// Tests of the business-date episodes (episodes.h): shortfalls (BR-3) and idle money (TP-3), on
// hand-built movements, against a slow day-by-day reference on seeded random ones.
#include "projections/episodes.h"

#include <gtest/gtest.h>

#include <random>

namespace fundtrail::projections {
namespace {

using Ids = std::vector<uint64_t>;

TEST(ShortfallEpisodes, OverdraftCoveredByALaterTranche) {
  // 100 in on day 10; 60 and 70 out on days 20 and 25 (short 30); 50 in on day 40 (covered);
  // then short again on day 50 (20) until the end: two episodes.
  auto episodes = ShortfallEpisodes({{10, 1, 100}, {20, 2, -60}, {25, 3, -70}, {40, 4, 50}, {50, 5, -40},
                                     {30, 6, -5}});
  ASSERT_EQ(episodes.size(), 2u);
  EXPECT_EQ(episodes[0].start_day, 25);
  EXPECT_EQ(episodes[0].end_day, 40);
  EXPECT_EQ(episodes[0].peak_shortfall, 35);
  EXPECT_EQ(episodes[0].peak_day, 30);
  EXPECT_EQ(episodes[0].first_sequence, 3u);
  EXPECT_EQ(episodes[0].outflows, (Ids{3, 6}));
  EXPECT_EQ(episodes[0].inflows, (Ids{4}));
  EXPECT_EQ(episodes[1].start_day, 50);
  EXPECT_EQ(episodes[1].end_day, ShortfallEpisode::kOngoing);
  EXPECT_EQ(episodes[1].peak_shortfall, 25);
  EXPECT_EQ(episodes[1].first_sequence, 5u);
}

TEST(ShortfallEpisodes, SameDayInflowBeforeOutflowAndExactCover) {
  // Paid on the day the money arrived: no shortfall. Covered to exactly zero: ended.
  EXPECT_TRUE(ShortfallEpisodes({{10, 2, -100}, {10, 1, 100}}).empty());
  auto episodes = ShortfallEpisodes({{10, 1, -100}, {11, 2, 100}});
  ASSERT_EQ(episodes.size(), 1u);
  EXPECT_EQ(episodes[0].end_day, 11);
  // Covered and short again on one day: one episode, not two.
  episodes = ShortfallEpisodes({{10, 1, -100}, {11, 2, 100}, {11, 3, -1}, {12, 4, 1}});
  ASSERT_EQ(episodes.size(), 1u);
  EXPECT_EQ(episodes[0].start_day, 10);
  EXPECT_EQ(episodes[0].end_day, 12);
  EXPECT_TRUE(ShortfallEpisodes({}).empty());
}

TEST(IdleEpisodes, IdleMoneyLaterSpent) {
  // 100 disbursed on day 0, limit 10 days: idle from day 11; 30 spent on day 15, the rest on day
  // 30 (ended); a second lot on day 40 idle from day 51 and still idle on day 60.
  auto episodes = IdleEpisodes({{0, 1, 100}, {40, 5, 20}}, {{15, 2, 30}, {30, 3, 70}}, 10, 60);
  ASSERT_EQ(episodes.size(), 2u);
  EXPECT_EQ(episodes[0].start_day, 11);
  EXPECT_EQ(episodes[0].end_day, 30);
  EXPECT_EQ(episodes[0].peak_idle, 100);
  EXPECT_EQ(episodes[0].peak_day, 11);
  EXPECT_EQ(episodes[0].idle_at_end, 70);
  EXPECT_EQ(episodes[0].oldest_lot_day, 0);
  EXPECT_EQ(episodes[0].lots, (Ids{1}));
  EXPECT_EQ(episodes[0].ended_by, (Ids{3}));
  EXPECT_EQ(episodes[1].start_day, 51);
  EXPECT_EQ(episodes[1].end_day, IdleEpisode::kOngoing);
  EXPECT_EQ(episodes[1].idle_at_end, 20);
  EXPECT_EQ(episodes[1].lots, (Ids{5}));
  EXPECT_TRUE(episodes[1].ended_by.empty());
}

TEST(IdleEpisodes, SpentWithinTheLimitIsNoEpisode) {
  EXPECT_TRUE(IdleEpisodes({{0, 1, 100}}, {{10, 2, 100}}, 10, 400).empty());
  // Spent on the first day over the limit: the idle amount never stood at the end of a day.
  EXPECT_TRUE(IdleEpisodes({{0, 1, 100}}, {{11, 2, 100}}, 10, 400).empty());
  // Not yet over the limit on the last day considered; uses after it are ignored.
  EXPECT_TRUE(IdleEpisodes({{0, 1, 100}}, {}, 10, 10).empty());
  EXPECT_EQ(IdleEpisodes({{0, 1, 100}}, {{12, 2, 100}}, 10, 11).size(), 1u);
  // A vendor refund gives money back: the lot is unspent again.
  auto episodes = IdleEpisodes({{0, 1, 100}}, {{5, 2, 100}, {20, 3, -40}}, 10, 30);
  ASSERT_EQ(episodes.size(), 1u);
  EXPECT_EQ(episodes[0].start_day, 20);
  EXPECT_EQ(episodes[0].idle_at_end, 40);
}

// Slow references: the balance, and the idle amount, recomputed from scratch on every day.
std::vector<std::pair<int32_t, int32_t>> ReferenceShortfallDays(const std::vector<Movement>& movements, int32_t last) {
  std::vector<std::pair<int32_t, int32_t>> out;  // [start, end) runs of days ending short
  bool open = false;
  for (int32_t day = 0; day <= last; ++day) {
    int64_t balance = 0;
    for (const auto& movement : movements) {
      if (movement.day <= day) balance += movement.amount;
    }
    if (balance < 0 && !open) out.push_back({day, ShortfallEpisode::kOngoing});
    if (balance >= 0 && open) out.back().second = day;
    open = balance < 0;
  }
  return out;
}

std::vector<std::pair<int32_t, int32_t>> ReferenceIdleDays(const std::vector<Lot>& lots,
                                                          const std::vector<Movement>& uses, int32_t idle_days,
                                                          int32_t last) {
  std::vector<std::pair<int32_t, int32_t>> out;
  bool open = false;
  for (int32_t day = 0; day <= last; ++day) {
    int64_t old = 0, used = 0;
    for (const auto& lot : lots) {
      if (lot.day + idle_days < day) old += lot.amount;
    }
    for (const auto& use : uses) {
      if (use.day <= day) used += use.amount;
    }
    const bool idle = old - std::max<int64_t>(used, 0) > 0;
    if (idle && !open) out.push_back({day, IdleEpisode::kOngoing});
    if (!idle && open) out.back().second = day;
    open = idle;
  }
  return out;
}

TEST(Episodes, AgreeWithTheDayByDayReferenceOnRandomMovements) {
  const char* text = std::getenv("FUNDTRAIL_TEST_SEED");
  const uint64_t seed = text && *text ? std::strtoull(text, nullptr, 10) : 20261207;
  SCOPED_TRACE("seed " + std::to_string(seed) + " (FUNDTRAIL_TEST_SEED replays it)");
  std::mt19937_64 random(seed);
  constexpr int32_t kLast = 120;
  for (int round = 0; round < 300; ++round) {
    std::vector<Movement> movements;
    std::vector<Lot> lots;
    std::vector<Movement> uses;
    const int count = 1 + static_cast<int>(random() % 12);
    for (int i = 0; i < count; ++i) {
      const int32_t day = static_cast<int32_t>(random() % (kLast + 1));
      const int64_t amount = 1 + static_cast<int64_t>(random() % 50);
      const uint64_t sequence = static_cast<uint64_t>(i + 1);
      const bool in = random() % 2 == 0;
      movements.push_back({day, sequence, in ? amount : -amount});
      if (in) {
        lots.push_back({day, sequence, amount});
      } else {
        uses.push_back({day, sequence, random() % 5 == 0 ? -amount : amount});
      }
    }
    std::vector<std::pair<int32_t, int32_t>> shortfalls;
    for (const auto& episode : ShortfallEpisodes(movements)) shortfalls.push_back({episode.start_day, episode.end_day});
    ASSERT_EQ(shortfalls, ReferenceShortfallDays(movements, kLast)) << "round " << round;
    const int32_t idle_days = static_cast<int32_t>(random() % 30);
    std::vector<std::pair<int32_t, int32_t>> idle;
    for (const auto& episode : IdleEpisodes(lots, uses, idle_days, kLast)) idle.push_back({episode.start_day, episode.end_day});
    ASSERT_EQ(idle, ReferenceIdleDays(lots, uses, idle_days, kLast)) << "round " << round;
  }
}

}  // namespace
}  // namespace fundtrail::projections
