// Evaluation by business date: what the ledger records about business up to a day, whenever it
// was recorded. A ledger has two times. Its position (sequence number, and the append time of
// each submission) says what was known when; an event's business date (a payment date, an award
// date, docs/RULES.md "Which date counts") says when it happened. A history of last year imported
// this year is at the end of the log and at last year's dates: `--as-of-date` reads it by the
// second, `--as-of-seq` and `--as-of-time` by the first, and the two combine ("as of ledger
// position N, for the business up to D").
//
// Reversals correct the record, not the business: a reversal counts whenever its target counts,
// whatever day it was appended, so as of a date the ledger shows the corrected record (read an
// earlier position to see what was known before the correction).
//
// Thread safety: pure functions over a ledger opened for reading.
#pragma once

#include <climits>
#include <cstdint>
#include <optional>
#include <string>

#include "ledger/status.h"
#include "ledger/store.h"
#include "projections/projection_store.h"
#include "schemas/fundtrail.capnp.h"

namespace fundtrail::projections {

// The business date of `event` in days since 1970-01-01, or nullopt for an event that has none
// and so always counts: registrations of organisations, keys, projects, tasks and vendors (a
// vendor's registered_date is its own, not the alliance's), the genesis (the day the ledger was
// set up, which may follow the history it holds), policies, reviews, findings, and reversals
// (which follow their target). Corruption for a date that does not parse (the ledger validated
// every date, so only a damaged log gets there).
Result<std::optional<int32_t>> BusinessDay(schema::Event::Reader event);

// What a fold by business date read.
struct BusinessCut {
  uint64_t sequence = 0;            // events 1..sequence were read
  int32_t last_day = 0;             // business dates on or before it counted
  uint64_t events_left_out = 0;     // dated after last_day, and the reversals of those
  int32_t first_day = INT32_MAX;    // the earliest business date read
  uint64_t first_sequence = 0;      // the event that has it
};

// "business dates up to 2025-12-31 (12 events dated later left out)": what a command prints
// beside the ledger sequence it read.
std::string DescribeBusinessCut(const BusinessCut& cut);

// Folds events 1..`to` of `ledger` whose business date is on or before `last_day`, and those
// that have none, into new projections whose rules' engine holds its expenditures (so
// rules.Flags() can run). InvalidArgument when `last_day` is before the earliest business date
// of events 1..to, or none has one: nothing would be evaluated, and the message says so, e.g.
//   --as-of-date 2023-12-31 is before the first business date the ledger records, 2024-01-15
//   (event #8, member_admitted): there is nothing to evaluate; give a later date
// REQUIRES: to <= ledger.head().sequence.
Result<Projections> FoldToBusinessDate(const Ledger& ledger, uint64_t to, int32_t last_day, BusinessCut* cut);

}  // namespace fundtrail::projections
