#include "ledger/event_info.h"

#include <algorithm>

namespace fundtrail {

namespace {

using Which = schema::Event::Which;

std::string Str(capnp::Text::Reader text) { return std::string(text.cStr(), text.size()); }

Money ToMoney(schema::Money::Reader money) {
  return Money{money.getMinorUnits(), Str(money.getCurrency())};
}

}  // namespace

std::string SubjectKindName(SubjectKind kind) {
  switch (kind) {
    case SubjectKind::kOrganisation: return "org";
    case SubjectKind::kGrant: return "grant";
    case SubjectKind::kProject: return "project";
    case SubjectKind::kVendor: return "vendor";
  }
  return "?";
}

Result<Subject> ParseSubject(std::string_view text) {
  size_t colon = text.find(':');
  if (colon != std::string_view::npos && colon + 1 < text.size()) {
    std::string_view kind = text.substr(0, colon);
    std::string id(text.substr(colon + 1));
    for (auto candidate : {SubjectKind::kOrganisation, SubjectKind::kGrant, SubjectKind::kProject,
                           SubjectKind::kVendor}) {
      if (kind == SubjectKindName(candidate)) return Subject{candidate, id};
    }
  }
  return Error(Status::InvalidArgument("subject \"" + std::string(text) +
                                       "\" is not KIND:ID with KIND one of org, grant, project, "
                                       "vendor (e.g. grant:G-2024-01)"));
}

std::string_view GrantIdOf(schema::Event::Reader event) {
  auto view = [](capnp::Text::Reader text) { return std::string_view(text.cStr(), text.size()); };
  switch (event.which()) {
    case Which::GRANT_AWARDED: return view(event.getGrantAwarded().getGrantId());
    case Which::BUDGET_ADJUSTED: return view(event.getBudgetAdjusted().getGrantId());
    case Which::FUNDS_RECEIVED: return view(event.getFundsReceived().getGrantId());
    case Which::FUNDS_DISBURSED: return view(event.getFundsDisbursed().getGrantId());
    case Which::EXPENDITURE_RECORDED: return view(event.getExpenditureRecorded().getGrantId());
    case Which::REFUND_RECORDED: return view(event.getRefundRecorded().getGrantId());
    case Which::GRANT_TERMINATED: return view(event.getGrantTerminated().getGrantId());
    case Which::OUTCOME_REGISTERED:
      return event.getOutcomeRegistered().hasGrantId() ? view(event.getOutcomeRegistered().getGrantId())
                                                        : std::string_view();
    default: return std::string_view();
  }
}

std::vector<Subject> EventSubjects(schema::Event::Reader event, const std::string& author_org_id,
                                   const LedgerState& state, SubjectKinds kinds) {
  std::vector<Subject> subjects;
  auto add = [&](SubjectKind kind, capnp::Text::Reader id) {
    if (id.size() == 0 || !kinds.Has(kind)) return;
    Subject subject{kind, Str(id)};
    for (const auto& existing : subjects) {
      if (existing == subject) return;
    }
    subjects.push_back(std::move(subject));
  };
  auto org = [&](capnp::Text::Reader id) { add(SubjectKind::kOrganisation, id); };
  auto grant = [&](std::string_view id) {  // a view into the event: NUL-terminated
    if (id.empty()) return;
    capnp::Text::Reader text(id.data(), id.size());
    add(SubjectKind::kGrant, text);
    if (event.which() == Which::GRANT_AWARDED || !kinds.Has(SubjectKind::kProject)) return;  // its project is the event's own
    if (const GrantRecord* record = state.grants.Find(std::string(id))) {
      add(SubjectKind::kProject, capnp::Text::Reader(record->project_id.c_str()));
    }
  };
  if (!author_org_id.empty()) org(capnp::Text::Reader(author_org_id.c_str()));
  // The grant first: GrantIdOf is the one grant subject, as histories show it.
  grant(GrantIdOf(event));
  switch (event.which()) {
    case Which::ORGANISATION_REGISTERED: org(event.getOrganisationRegistered().getOrgId()); break;
    case Which::MEMBER_ADMITTED: org(event.getMemberAdmitted().getOrgId()); break;
    case Which::MEMBER_WITHDRAWN: org(event.getMemberWithdrawn().getOrgId()); break;
    case Which::KEY_REGISTERED: org(event.getKeyRegistered().getOrgId()); break;
    case Which::AGREEMENT_SIGNED: org(event.getAgreementSigned().getOrgId()); break;
    case Which::PROJECT_REGISTERED: add(SubjectKind::kProject, event.getProjectRegistered().getProjectId()); break;
    case Which::TASK_ASSIGNED:
      add(SubjectKind::kProject, event.getTaskAssigned().getProjectId());
      org(event.getTaskAssigned().getOrgId());
      break;
    case Which::VENDOR_REGISTERED: add(SubjectKind::kVendor, event.getVendorRegistered().getVendorId()); break;
    case Which::GRANT_AWARDED: {
      auto awarded = event.getGrantAwarded();
      add(SubjectKind::kProject, awarded.getProjectId());
      org(awarded.getFunderOrgId());
      break;
    }
    case Which::FUNDS_DISBURSED:
      org(event.getFundsDisbursed().getMemberOrgId());
      break;
    case Which::EXPENDITURE_RECORDED:
      org(event.getExpenditureRecorded().getOrgId());
      add(SubjectKind::kVendor, event.getExpenditureRecorded().getVendorId());
      break;
    case Which::REFUND_RECORDED:
      org(event.getRefundRecorded().getOrgId());
      if (event.getRefundRecorded().hasVendorId()) add(SubjectKind::kVendor, event.getRefundRecorded().getVendorId());
      break;
    case Which::OUTCOME_REGISTERED:
      for (auto owner : event.getOutcomeRegistered().getOwners()) org(owner.getOrgId());
      break;
    case Which::REVENUE_DISTRIBUTED:
      for (auto payment : event.getRevenueDistributed().getPayments()) org(payment.getOrgId());
      break;
    default:
      break;
  }
  return subjects;
}

std::vector<Subject> IndexedSubjects(schema::Event::Reader event, const std::string& author_org_id,
                                     const schema::Event::Reader* reversed, const LedgerState& state,
                                     SubjectKinds kinds) {
  std::vector<Subject> subjects = EventSubjects(event, author_org_id, state, kinds);
  if (reversed != nullptr) {
    // A reversal touches whatever its target touched, so histories show it.
    for (auto& subject : EventSubjects(*reversed, std::string(), state, kinds)) {
      if (std::find(subjects.begin(), subjects.end(), subject) == subjects.end()) subjects.push_back(std::move(subject));
    }
  }
  return subjects;
}

EventSummary SummariseEvent(schema::Event::Reader event) {
  EventSummary summary;
  // Built in place: histories summarise every event they show, and the history store every event.
  auto id = [](std::string_view kind, capnp::Text::Reader text) {
    std::string out;
    out.reserve(kind.size() + 1 + text.size() + 24);  // room for " / " and an organisation
    out.append(kind);
    out += ':';
    out.append(text.cStr(), text.size());
    return out;
  };
  auto and_then = [](std::string head, std::string_view separator, capnp::Text::Reader text) {
    head.append(separator);
    head.append(text.cStr(), text.size());
    return head;
  };
  switch (event.which()) {
    case Which::LEDGER_GENESIS: summary.subject = "alliance:" + Str(event.getLedgerGenesis().getAllianceId()); break;
    case Which::ORGANISATION_REGISTERED: summary.subject = id("org", event.getOrganisationRegistered().getOrgId()); break;
    case Which::MEMBER_ADMITTED: summary.subject = id("org", event.getMemberAdmitted().getOrgId()); break;
    case Which::MEMBER_WITHDRAWN: summary.subject = id("org", event.getMemberWithdrawn().getOrgId()); break;
    case Which::KEY_REGISTERED: summary.subject = id("org", event.getKeyRegistered().getOrgId()); break;
    case Which::KEY_REVOKED: summary.subject = "key"; break;
    case Which::AGREEMENT_REGISTERED: summary.subject = id("agreement", event.getAgreementRegistered().getAgreementId()); break;
    case Which::AGREEMENT_SIGNED: summary.subject = id("org", event.getAgreementSigned().getOrgId()); break;
    case Which::GOVERNANCE_BODY_REGISTERED: summary.subject = id("body", event.getGovernanceBodyRegistered().getBodyId()); break;
    case Which::PROJECT_REGISTERED: summary.subject = id("project", event.getProjectRegistered().getProjectId()); break;
    case Which::TASK_ASSIGNED: summary.subject = id("task", event.getTaskAssigned().getTaskId()); break;
    case Which::VENDOR_REGISTERED: summary.subject = id("vendor", event.getVendorRegistered().getVendorId()); break;
    case Which::GRANT_AWARDED:
      summary.subject = id("grant", event.getGrantAwarded().getGrantId());
      summary.amount = ToMoney(event.getGrantAwarded().getAmount());
      break;
    case Which::BUDGET_ADJUSTED: summary.subject = id("grant", event.getBudgetAdjusted().getGrantId()); break;
    case Which::FUNDS_RECEIVED:
      summary.subject = id("grant", event.getFundsReceived().getGrantId());
      summary.amount = ToMoney(event.getFundsReceived().getAmount());
      break;
    case Which::FUNDS_DISBURSED:
      summary.subject =
          and_then(id("grant", event.getFundsDisbursed().getGrantId()), " -> ", event.getFundsDisbursed().getMemberOrgId());
      summary.amount = ToMoney(event.getFundsDisbursed().getAmount());
      break;
    case Which::EXPENDITURE_RECORDED:
      summary.subject =
          and_then(id("grant", event.getExpenditureRecorded().getGrantId()), " / ", event.getExpenditureRecorded().getOrgId());
      summary.amount = ToMoney(event.getExpenditureRecorded().getAmount());
      break;
    case Which::REFUND_RECORDED:
      summary.subject =
          and_then(id("grant", event.getRefundRecorded().getGrantId()), " / ", event.getRefundRecorded().getOrgId());
      summary.amount = ToMoney(event.getRefundRecorded().getAmount());
      break;
    case Which::REVERSAL: summary.subject = "seq:" + std::to_string(event.getReversal().getTargetSequence()); break;
    case Which::OUTCOME_REGISTERED: summary.subject = id("outcome", event.getOutcomeRegistered().getOutcomeId()); break;
    case Which::LICENCE_GRANTED: summary.subject = id("outcome", event.getLicenceGranted().getOutcomeId()); break;
    case Which::OUTCOME_SHARED: summary.subject = id("outcome", event.getOutcomeShared().getOutcomeId()); break;
    case Which::REVENUE_DISTRIBUTED:
      summary.subject = id("outcome", event.getRevenueDistributed().getOutcomeId());
      summary.amount = ToMoney(event.getRevenueDistributed().getTotal());
      break;
    case Which::POLICY_SET: summary.subject = "policy:v" + std::to_string(event.getPolicySet().getVersion()); break;
    case Which::FLAG_DISPOSITION: summary.subject = id("flag", event.getFlagDisposition().getFlagId()); break;
    case Which::FINDING_RECORDED: summary.subject = id("finding", event.getFindingRecorded().getFindingId()); break;
    case Which::GRANT_TERMINATED: summary.subject = id("grant", event.getGrantTerminated().getGrantId()); break;
  }
  return summary;
}

}  // namespace fundtrail
