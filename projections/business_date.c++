// Evaluation by business date (business_date.h).
#include "projections/business_date.h"

#include <unordered_set>

#include "ledger/dates.h"
#include "ledger/json_codec.h"
#include "ledger/log_format.h"
#include "projections/history_store.h"

namespace fundtrail::projections {

namespace {

using Which = schema::Event::Which;

Result<std::optional<int32_t>> Day(capnp::Text::Reader text) {
  auto days = ParseDate(std::string(text.cStr(), text.size()));
  if (!days) return Error(Status::Corruption("business date \"" + std::string(text.cStr()) + "\" does not parse"));
  return std::optional<int32_t>(*days);
}

}  // namespace

Result<std::optional<int32_t>> BusinessDay(schema::Event::Reader event) {
  // No default: a new event type must say which of its dates is its business date.
  switch (event.which()) {
    case Which::LEDGER_GENESIS:
    case Which::ORGANISATION_REGISTERED:
    case Which::KEY_REGISTERED:
    case Which::KEY_REVOKED:
    case Which::PROJECT_REGISTERED:
    case Which::TASK_ASSIGNED:
    case Which::VENDOR_REGISTERED:
    case Which::REVERSAL:
    case Which::POLICY_SET:
    case Which::FLAG_DISPOSITION:
    case Which::FINDING_RECORDED:
      return std::optional<int32_t>();
    case Which::MEMBER_ADMITTED: return Day(event.getMemberAdmitted().getDate());
    case Which::MEMBER_WITHDRAWN: return Day(event.getMemberWithdrawn().getDate());
    case Which::AGREEMENT_REGISTERED: return Day(event.getAgreementRegistered().getDate());
    case Which::AGREEMENT_SIGNED: return Day(event.getAgreementSigned().getDate());
    case Which::GOVERNANCE_BODY_REGISTERED: return Day(event.getGovernanceBodyRegistered().getDate());
    case Which::GRANT_AWARDED: return Day(event.getGrantAwarded().getDate());
    case Which::BUDGET_ADJUSTED: return Day(event.getBudgetAdjusted().getDate());
    case Which::FUNDS_RECEIVED: return Day(event.getFundsReceived().getDate());
    case Which::FUNDS_DISBURSED: return Day(event.getFundsDisbursed().getDate());
    case Which::EXPENDITURE_RECORDED: return Day(event.getExpenditureRecorded().getPaymentDate());
    case Which::REFUND_RECORDED: return Day(event.getRefundRecorded().getDate());
    case Which::OUTCOME_REGISTERED: return Day(event.getOutcomeRegistered().getDate());
    case Which::LICENCE_GRANTED: return Day(event.getLicenceGranted().getDate());
    case Which::OUTCOME_SHARED: return Day(event.getOutcomeShared().getDate());
    case Which::REVENUE_DISTRIBUTED: return Day(event.getRevenueDistributed().getDate());
  }
  return Error(Status::Corruption("an event of unknown type " + std::to_string(static_cast<int>(event.which()))));
}

std::string DescribeBusinessCut(const BusinessCut& cut) {
  return "business dates up to " + FormatDate(cut.last_day) + " (" + std::to_string(cut.events_left_out) +
         (cut.events_left_out == 1 ? " event" : " events") + " dated later left out)";
}

Result<Projections> FoldToBusinessDate(const Ledger& ledger, uint64_t to, int32_t last_day, BusinessCut* cut) {
  FT_ASSERT(to <= ledger.head().sequence);
  FT_ASSERT(cut != nullptr);
  *cut = BusinessCut{};
  cut->sequence = to;
  cut->last_day = last_day;
  Projections projections;
  projections.rules = RulesEngine(ExpenditureBytes::kHeld);  // its expenditures, for Flags()
  std::string first_type;
  // The events left out, so that their reversals are left out too (a reversal of an event never
  // folded would undo what is not there).
  std::unordered_set<uint64_t> left_out;
  auto lookup = ledger.NewLookup();
  SubmissionReader submissions(ledger);
  LogEventReader reader;
  Status failure;
  auto fold = [&](uint64_t sequence, const EntryView& view, schema::Event::Reader event) -> Status {
    if (event.which() == Which::REVERSAL) {
      if (left_out.contains(event.getReversal().getTargetSequence())) {
        left_out.insert(sequence);
        return Status::Ok();
      }
    } else {
      auto day = BusinessDay(event);
      if (!day) return day.error().WithPrefix("event " + std::to_string(sequence));
      if (day->has_value() && **day < cut->first_day) {
        cut->first_day = **day;
        cut->first_sequence = sequence;
        first_type = EventTypeName(event);
      }
      if (day->has_value() && **day > last_day) {
        left_out.insert(sequence);
        return Status::Ok();
      }
    }
    FT_RETURN_IF_ERROR(projections.rules.Apply(sequence, view.chain_hash, submissions.appended_at(),
                                               submissions.AuthorOrgId(view.submission_sequence), event,
                                               view.canonical_event, lookup.get()));
    return projections.views.Apply(sequence, view.chain_hash, event, lookup.get());
  };
  FT_RETURN_IF_ERROR(ledger.ScanEntries(1, to, [&](const StoredEntry& entry) {
    auto view = DecodeEntry(entry.record);
    if (!view) {
      failure = view.error().WithPrefix("sequence " + std::to_string(entry.sequence));
      return false;
    }
    failure = submissions.Enter(view->submission_sequence);
    if (failure.ok()) {
      failure = reader.Read(view->canonical_event, entry.sequence,
                            [&](schema::Event::Reader event) { return fold(entry.sequence, *view, event); });
    }
    return failure.ok();
  }));
  FT_RETURN_IF_ERROR(failure);
  cut->events_left_out = left_out.size();
  const std::string asked = "--as-of-date " + FormatDate(last_day);
  if (cut->first_sequence == 0) {
    return Error(Status::InvalidArgument(asked + ": the ledger up to sequence " + std::to_string(to) +
                                         " records no business date yet: there is nothing to evaluate"));
  }
  if (last_day < cut->first_day) {
    return Error(Status::InvalidArgument(asked + " is before the first business date the ledger records, " +
                                         FormatDate(cut->first_day) + " (event #" +
                                         std::to_string(cut->first_sequence) + ", " + first_type +
                                         "): there is nothing to evaluate; give a later date"));
  }
  return projections;
}

}  // namespace fundtrail::projections
