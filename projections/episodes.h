// Episodes over business dates: the stretches of time in which a member's money under a grant was
// in a state a rule cares about. BR-3 asks when spending ran ahead of what was received (a
// shortfall), TP-3 when disbursed money lay unspent beyond a limit (idle money). Both are folds
// over the money movements of one member and grant, ordered by their business dates (payment
// dates of expenditures, dates of disbursements and refunds), never by sequence number or append
// time: a history imported later is seen where it happened.
//
// Pure functions over plain values; money in minor units, days since 1970-01-01. No floating
// point. Thread safety: pure.
#pragma once

#include <climits>
#include <cstdint>
#include <vector>

namespace fundtrail::projections {

// One movement of a member's money under a grant: positive when money comes in (a disbursement,
// a vendor refund), negative when it goes out (an expenditure, a refund to the funder).
struct Movement {
  int32_t day = 0;
  uint64_t sequence = 0;  // the event, as evidence
  int64_t amount = 0;
};

// An episode in which the balance (in minus out) stood below zero at the end of a day.
struct ShortfallEpisode {
  static constexpr int32_t kOngoing = INT32_MAX;
  int32_t start_day = 0;               // the first day that ended short
  int32_t end_day = kOngoing;          // the first day that ended covered again, or kOngoing
  int64_t peak_shortfall = 0;          // the largest shortfall at the end of a day, > 0
  int32_t peak_day = 0;                // the first day it was reached
  uint64_t first_sequence = 0;         // the outflow that took the balance below zero
  std::vector<uint64_t> outflows;      // outflows from that one until the episode ended, in order
  std::vector<uint64_t> inflows;       // inflows dated within the episode (the covering ones last)
};

// Every shortfall episode of `movements` (any order), in time order. Within a day, inflows count
// before outflows (a transfer and a payment on one day is no shortfall), outflows in sequence
// order; an episode ends on the first day whose closing balance is at or above zero, so a
// shortfall covered and renewed on one day stays one episode. Sums saturate (as rules.c++'s
// AddMoney).
std::vector<ShortfallEpisode> ShortfallEpisodes(std::vector<Movement> movements);

// A disbursement as a lot of money, spent first in first out.
struct Lot {
  int32_t day = 0;
  uint64_t sequence = 0;
  int64_t amount = 0;  // > 0
};

// An episode in which money disbursed more than `idle_days` earlier lay unspent.
struct IdleEpisode {
  static constexpr int32_t kOngoing = INT32_MAX;
  int32_t start_day = 0;        // the first day some lot was over the limit and unspent
  int32_t end_day = kOngoing;   // the first day none was (the money was spent), or kOngoing
  int64_t peak_idle = 0;        // the most money idle beyond the limit on one day, > 0
  int32_t peak_day = 0;
  int64_t idle_at_end = 0;      // idle on the last day of the episode (ongoing: on `last_day`)
  int32_t oldest_lot_day = 0;   // the date of the oldest lot idle in it
  std::vector<uint64_t> lots;   // the lots idle in it, in the order they fell idle
  std::vector<uint64_t> ended_by;  // the uses dated on end_day that ended it (empty if ongoing)
};

// Every idle episode of `lots` used by `uses` (movements: positive = money used, i.e.
// expenditures and refunds to the funder; negative = money given back, i.e. vendor refunds),
// first in first out by lot date then sequence, considering days up to `last_day` only. A lot of
// day d is over the limit from day d + idle_days + 1. Lots and uses after `last_day` are ignored.
std::vector<IdleEpisode> IdleEpisodes(std::vector<Lot> lots, std::vector<Movement> uses,
                                      int32_t idle_days, int32_t last_day);

}  // namespace fundtrail::projections
