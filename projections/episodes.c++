// Episodes over business dates (episodes.h).
#include "projections/episodes.h"

#include <algorithm>
#include <tuple>

#include "ledger/status.h"

namespace fundtrail::projections {

namespace {

// Saturating, as rules.c++ sums money: only a hostile log reaches the bounds.
int64_t Add(int64_t sum, int64_t amount) {
  int64_t out = 0;
  if (!__builtin_add_overflow(sum, amount, &out)) return out;
  return amount > 0 ? INT64_MAX : INT64_MIN;
}

}  // namespace

std::vector<ShortfallEpisode> ShortfallEpisodes(std::vector<Movement> movements) {
  // Inflows of a day before its outflows, then by sequence.
  std::sort(movements.begin(), movements.end(), [](const Movement& a, const Movement& b) {
    return std::tuple(a.day, a.amount < 0, a.sequence) < std::tuple(b.day, b.amount < 0, b.sequence);
  });
  std::vector<ShortfallEpisode> episodes;
  // The episode under way, if `in_episode` (not a std::optional: GCC 12 warns, wrongly, that its
  // members may be used uninitialised).
  ShortfallEpisode open;
  bool in_episode = false;
  int64_t balance = 0;
  for (size_t i = 0; i < movements.size();) {
    const int32_t day = movements[i].day;
    for (; i < movements.size() && movements[i].day == day; ++i) {
      const Movement& movement = movements[i];
      balance = Add(balance, movement.amount);
      if (movement.amount >= 0) {
        if (in_episode) open.inflows.push_back(movement.sequence);
        continue;
      }
      if (!in_episode && balance < 0) {
        open = ShortfallEpisode{};
        open.start_day = day;
        open.first_sequence = movement.sequence;
        in_episode = true;
      }
      if (in_episode) open.outflows.push_back(movement.sequence);
    }
    if (!in_episode) continue;
    if (balance >= 0) {
      open.end_day = day;
      FT_ASSERT(open.peak_shortfall > 0, "an episode ended without a shortfall");
      episodes.push_back(std::move(open));
      in_episode = false;
    } else if (-balance > open.peak_shortfall) {
      // A balance saturated at INT64_MIN (a hostile log) has no negation in int64.
      open.peak_shortfall = balance == INT64_MIN ? INT64_MAX : -balance;
      open.peak_day = day;
    }
  }
  if (in_episode) episodes.push_back(std::move(open));
  return episodes;
}

std::vector<IdleEpisode> IdleEpisodes(std::vector<Lot> lots, std::vector<Movement> uses,
                                      int32_t idle_days, int32_t last_day) {
  FT_ASSERT(idle_days >= 0);
  std::erase_if(lots, [&](const Lot& lot) { return lot.day > last_day; });
  std::erase_if(uses, [&](const Movement& use) { return use.day > last_day; });
  std::sort(lots.begin(), lots.end(),
            [](const Lot& a, const Lot& b) { return std::tie(a.day, a.sequence) < std::tie(b.day, b.sequence); });
  std::sort(uses.begin(), uses.end(), [](const Movement& a, const Movement& b) {
    return std::tie(a.day, a.sequence) < std::tie(b.day, b.sequence);
  });
  // ends[j]: where lot j ends in the first-in-first-out order (the sum of lots 0..j).
  std::vector<int64_t> ends;
  for (const Lot& lot : lots) ends.push_back(Add(ends.empty() ? 0 : ends.back(), lot.amount));
  // The days on which the idle amount can change: a lot passes the limit, or money is used.
  std::vector<int32_t> days;
  for (const Lot& lot : lots) {
    const int64_t over = static_cast<int64_t>(lot.day) + idle_days + 1;
    if (over <= last_day) days.push_back(static_cast<int32_t>(over));
  }
  for (const Movement& use : uses) days.push_back(use.day);
  std::sort(days.begin(), days.end());
  days.erase(std::unique(days.begin(), days.end()), days.end());

  std::vector<IdleEpisode> episodes;
  IdleEpisode open;  // under way if `in_episode` (see ShortfallEpisodes)
  bool in_episode = false;
  std::vector<bool> in_open(lots.size(), false);
  size_t over_limit = 0;  // lots 0..over_limit-1 are past the limit
  size_t used_count = 0;  // uses counted so far
  int64_t used = 0;       // money used by the end of the current day
  for (int32_t day : days) {
    const size_t first_use_today = used_count;
    for (; used_count < uses.size() && uses[used_count].day <= day; ++used_count) {
      used = Add(used, uses[used_count].amount);
    }
    while (over_limit < lots.size() && static_cast<int64_t>(lots[over_limit].day) + idle_days + 1 <= day) {
      ++over_limit;
    }
    const int64_t consumed = std::max<int64_t>(used, 0);
    const int64_t eligible = over_limit == 0 ? 0 : ends[over_limit - 1];
    const int64_t idle = std::max<int64_t>(eligible - consumed, 0);
    if (idle == 0) {
      if (!in_episode) continue;
      open.end_day = day;
      for (size_t i = first_use_today; i < used_count; ++i) open.ended_by.push_back(uses[i].sequence);
      episodes.push_back(std::move(open));
      in_episode = false;
      std::fill(in_open.begin(), in_open.end(), false);
      continue;
    }
    if (!in_episode) {
      open = IdleEpisode{};
      open.start_day = day;
      in_episode = true;
    }
    // The lots idle today: those past the limit that first in first out has not used up.
    const size_t first_unspent = std::upper_bound(ends.begin(), ends.begin() + over_limit, consumed) - ends.begin();
    for (size_t j = first_unspent; j < over_limit; ++j) {
      if (in_open[j]) continue;
      in_open[j] = true;
      open.lots.push_back(lots[j].sequence);
      if (open.lots.size() == 1 || lots[j].day < open.oldest_lot_day) open.oldest_lot_day = lots[j].day;
    }
    if (idle > open.peak_idle) {
      open.peak_idle = idle;
      open.peak_day = day;
    }
    open.idle_at_end = idle;
  }
  if (in_episode) episodes.push_back(std::move(open));
  return episodes;
}

}  // namespace fundtrail::projections
