#include "projections/projection.h"

#include "ledger/crypto.h"
#include "ledger/money.h"

namespace fundtrail::projections {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(GrantFigures, title, funder_org_id, project_id, currency, source_kind,
                                   period_start, period_end, sequence, awarded, received, disbursed, spent,
                                   refunded, budget, spent_by_category)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(MemberGrantFigures, received, spent, refunded, spent_by_category)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(OrganisationInfo, name, name_en, kind, member, admitted_date,
                                   withdrawn_date, expelled)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(AgreementInfo, title, date, signed_org_ids, revenue_shares, has_goals,
                                   has_task_division, has_ownership_shares, has_licensing_terms)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(KeyInfo, org_id, roles, revoked)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(BodyInfo, name, kind, member_org_ids, full_time_staff)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(TerminationInfo, date, reason, sequence)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(OutcomeInfo, title, kind, grant_id, date, owners, licences, sharing,
                                   revenue, revenue_total, revenue_currency)

namespace {

using Which = schema::Event::Which;

std::string Str(capnp::Text::Reader text) { return std::string(text.cStr(), text.size()); }

// Account names. Debits are positive balances, credits negative.
std::string Commitment(const std::string& grant) { return "funder_commitment/" + grant; }
std::string Receivable(const std::string& grant) { return "grant_receivable/" + grant; }
std::string Pool(const std::string& grant) { return "alliance_pool/" + grant; }
std::string MemberAccount(const std::string& grant, const std::string& org) { return "member/" + grant + "/" + org; }
std::string Expense(const std::string& grant, const std::string& org, int category) {
  return "expense/" + grant + "/" + org + "/" + std::to_string(category);
}
std::string VendorRefunds(const std::string& grant, const std::string& org) {
  return "vendor_refunds/" + grant + "/" + org;
}
std::string Refunded(const std::string& grant) { return "refunded_to_funder/" + grant; }
std::string RevenuePaid(const std::string& outcome, const std::string& org) {
  return "revenue_paid/" + outcome + "/" + org;
}
std::string RevenueSource(const std::string& outcome) { return "revenue_source/" + outcome; }

std::string_view View(capnp::Text::Reader text) { return std::string_view(text.cStr(), text.size()); }

}  // namespace

std::optional<GrantChange> GrantChangeOf(schema::Event::Reader event) {
  GrantChange change;
  switch (event.which()) {
    case Which::GRANT_AWARDED: {
      auto awarded = event.getGrantAwarded();
      change.grant_id = View(awarded.getGrantId());
      change.currency = View(awarded.getAmount().getCurrency());
      change.awarded = awarded.getAmount().getMinorUnits();
      return change;
    }
    case Which::BUDGET_ADJUSTED:
      change.grant_id = View(event.getBudgetAdjusted().getGrantId());
      return change;
    case Which::FUNDS_RECEIVED: {
      auto received = event.getFundsReceived();
      change.grant_id = View(received.getGrantId());
      change.currency = View(received.getAmount().getCurrency());
      change.received = received.getAmount().getMinorUnits();
      return change;
    }
    case Which::FUNDS_DISBURSED: {
      auto disbursed = event.getFundsDisbursed();
      change.grant_id = View(disbursed.getGrantId());
      change.currency = View(disbursed.getAmount().getCurrency());
      change.disbursed = disbursed.getAmount().getMinorUnits();
      return change;
    }
    case Which::EXPENDITURE_RECORDED: {
      auto spent = event.getExpenditureRecorded();
      change.grant_id = View(spent.getGrantId());
      change.currency = View(spent.getAmount().getCurrency());
      change.spent = spent.getAmount().getMinorUnits();
      return change;
    }
    case Which::REFUND_RECORDED: {
      auto refund = event.getRefundRecorded();
      change.grant_id = View(refund.getGrantId());
      change.currency = View(refund.getAmount().getCurrency());
      // A vendor's refund lowers what was spent; a refund to the funder is money returned.
      if (refund.getKind() == schema::RefundKind::VENDOR_REFUND) {
        change.spent = -refund.getAmount().getMinorUnits();
      } else {
        change.refunded = refund.getAmount().getMinorUnits();
      }
      return change;
    }
    default:
      return std::nullopt;
  }
}

namespace {
bool Fits(__int128 value) { return value >= INT64_MIN && value <= INT64_MAX; }
}  // namespace

bool GrantChangeFits(const GrantFigures& grant, const GrantChange& change, int sign) {
  const __int128 received = static_cast<__int128>(grant.received) + static_cast<__int128>(sign) * change.received;
  const __int128 spent = static_cast<__int128>(grant.spent) + static_cast<__int128>(sign) * change.spent;
  const __int128 refunded = static_cast<__int128>(grant.refunded) + static_cast<__int128>(sign) * change.refunded;
  return Fits(static_cast<__int128>(grant.awarded) + static_cast<__int128>(sign) * change.awarded) &&
         Fits(static_cast<__int128>(grant.disbursed) + static_cast<__int128>(sign) * change.disbursed) &&
         Fits(received) && Fits(spent) && Fits(refunded) && Fits(received - spent - refunded);
}

bool MemberChangeFits(const MemberGrantMap& figures, const MemberGrantChange& change, int sign) {
  auto found = figures.find({std::string(change.org_id), std::string(change.grant_id)});
  const MemberGrantFigures member = found == figures.end() ? MemberGrantFigures{} : found->second;
  const __int128 delta = static_cast<__int128>(sign) * change.amount;
  __int128 received = member.received, spent = member.spent, refunded = member.refunded, category = 0;
  if (change.kind == MemberGrantChange::Kind::kDisbursed) received += delta;
  if (change.kind == MemberGrantChange::Kind::kSpent || change.kind == MemberGrantChange::Kind::kVendorRefund) {
    spent += change.kind == MemberGrantChange::Kind::kSpent ? delta : -delta;
  }
  if (change.kind == MemberGrantChange::Kind::kSpent) {
    auto by_category = member.spent_by_category.find(change.category);
    category = (by_category == member.spent_by_category.end() ? 0 : by_category->second) + delta;
  }
  if (change.kind == MemberGrantChange::Kind::kFunderRefund) refunded += delta;
  return Fits(received) && Fits(spent) && Fits(refunded) && Fits(category) && Fits(received - spent - refunded);
}

void ApplyGrantChange(const GrantChange& change, int sign, GrantFigures& grant) {
  FT_ASSERT(sign == 1 || sign == -1);
  grant.awarded += sign * change.awarded;
  grant.received += sign * change.received;
  grant.disbursed += sign * change.disbursed;
  grant.spent += sign * change.spent;
  grant.refunded += sign * change.refunded;
}

std::optional<MemberGrantChange> MemberGrantChangeOf(schema::Event::Reader event) {
  MemberGrantChange change;
  switch (event.which()) {
    case Which::FUNDS_DISBURSED: {
      auto disbursed = event.getFundsDisbursed();
      change.org_id = View(disbursed.getMemberOrgId());
      change.grant_id = View(disbursed.getGrantId());
      change.kind = MemberGrantChange::Kind::kDisbursed;
      change.amount = disbursed.getAmount().getMinorUnits();
      return change;
    }
    case Which::EXPENDITURE_RECORDED: {
      auto spent = event.getExpenditureRecorded();
      change.org_id = View(spent.getOrgId());
      change.grant_id = View(spent.getGrantId());
      change.kind = MemberGrantChange::Kind::kSpent;
      change.amount = spent.getAmount().getMinorUnits();
      change.category = static_cast<int>(spent.getCategory());
      return change;
    }
    case Which::REFUND_RECORDED: {
      auto refund = event.getRefundRecorded();
      change.org_id = View(refund.getOrgId());
      change.grant_id = View(refund.getGrantId());
      change.kind = refund.getKind() == schema::RefundKind::VENDOR_REFUND ? MemberGrantChange::Kind::kVendorRefund
                                                                          : MemberGrantChange::Kind::kFunderRefund;
      change.amount = refund.getAmount().getMinorUnits();
      return change;
    }
    default:
      return std::nullopt;
  }
}

bool ApplyMemberGrantChange(const MemberGrantChange& change, int sign, MemberGrantMap& figures) {
  FT_ASSERT(sign == 1 || sign == -1);
  const int64_t amount = sign * change.amount;
  std::pair<std::string, std::string> key(change.org_id, change.grant_id);
  switch (change.kind) {
    case MemberGrantChange::Kind::kDisbursed:
      figures[key].received += amount;
      return true;
    case MemberGrantChange::Kind::kSpent: {
      MemberGrantFigures& member = figures[key];
      member.spent += amount;
      member.spent_by_category[change.category] += amount;
      return true;
    }
    case MemberGrantChange::Kind::kVendorRefund:
    case MemberGrantChange::Kind::kFunderRefund: {
      auto member = figures.find(key);
      if (member == figures.end() || member->second.received == 0) return false;
      if (change.kind == MemberGrantChange::Kind::kVendorRefund) {
        member->second.spent -= amount;
      } else {
        member->second.refunded += amount;
      }
      return true;
    }
  }
  return false;
}

Status Projection::Post(const std::string& debit, const std::string& credit, int64_t amount,
                        const std::string& currency) {
  // Both sides move by the same amount, so every currency's balances keep summing to zero.
  int64_t& debited = accounts_[debit][currency];
  int64_t& credited = accounts_[credit][currency];
  int64_t debit_after = 0, credit_after = 0;
  if (__builtin_add_overflow(debited, amount, &debit_after) || __builtin_sub_overflow(credited, amount, &credit_after)) {
    return FiguresOverflow("the account " + debit + " or " + credit, currency);
  }
  debited = debit_after;
  credited = credit_after;
  return Status::Ok();
}

Status Projection::AddChecked(int64_t& into, int64_t delta, const std::string& what, const std::string& currency) {
  if (__builtin_add_overflow(into, delta, &into)) return FiguresOverflow(what, currency);
  return Status::Ok();
}

Status Projection::FiguresOverflow(const std::string& what, const std::string& currency) {
  return Status::InvalidArgument(what + " would leave the range of 64-bit minor units (" +
                                 FormatMoneyGrouped({INT64_MAX, currency.empty() ? "CNY" : currency}) +
                                 "): the figures cannot be shown; the log itself is intact");
}

std::map<std::string, int64_t> Projection::TrialBalance() const {
  std::map<std::string, int64_t> sums;
  for (const auto& [account, balances] : accounts_) {
    for (const auto& [currency, balance] : balances) sums[currency] += balance;
  }
  return sums;
}

GrantFigures& Projection::Grant(const std::string& id, const std::string& currency) {
  auto [it, inserted] = grants_.try_emplace(id);
  if (inserted) it->second.currency = currency;  // seen before its award: a history's subset
  return it->second;
}

Status Projection::ApplyMoney(uint64_t sequence, schema::Event::Reader event, int sign) {
  // The grant's own figures first (GrantChangeOf, shared with histories); the cases below add
  // the budget, the members' figures and the double entries.
  GrantFigures* grant = nullptr;
  if (std::optional<GrantChange> change = GrantChangeOf(event)) {
    grant = &Grant(std::string(change->grant_id), std::string(change->currency));
    if (!GrantChangeFits(*grant, *change, sign)) {
      return FiguresOverflow("the figures of grant " + std::string(change->grant_id), std::string(change->currency));
    }
    ApplyGrantChange(*change, sign, *grant);
  }
  // The members' figures (MemberGrantChangeOf, shared with histories).
  bool member_changed = false;
  if (std::optional<MemberGrantChange> change = MemberGrantChangeOf(event)) {
    if (!MemberChangeFits(member_grants_, *change, sign)) {
      return FiguresOverflow("the figures of member " + std::string(change->org_id) + " on grant " +
                                 std::string(change->grant_id),
                             grant != nullptr ? grant->currency : std::string());
    }
    member_changed = ApplyMemberGrantChange(*change, sign, member_grants_);
  }
  switch (event.which()) {
    case Which::GRANT_AWARDED: {
      auto awarded = event.getGrantAwarded();
      std::string id = Str(awarded.getGrantId());
      FT_ASSERT(grant != nullptr);
      for (auto line : awarded.getBudget()) {
        FT_RETURN_IF_ERROR(AddChecked(grant->budget[static_cast<int>(line.getCategory())],
                                      sign * line.getAmount().getMinorUnits(), "the budget of grant " + id,
                                      grant->currency));
      }
      FT_RETURN_IF_ERROR(Post(Receivable(id), Commitment(id), sign * awarded.getAmount().getMinorUnits(),
           Str(awarded.getAmount().getCurrency())));
      break;
    }
    case Which::BUDGET_ADJUSTED: {
      auto adjusted = event.getBudgetAdjusted();
      FT_ASSERT(grant != nullptr);
      if (sign > 0) {
        auto& changes = adjustments_[sequence];
        for (auto line : adjusted.getLines()) {
          int category = static_cast<int>(line.getCategory());
          changes[category] = {grant->budget[category], line.getAmount().getMinorUnits()};
          grant->budget[category] = line.getAmount().getMinorUnits();
        }
      } else {
        auto found = adjustments_.find(sequence);
        if (found == adjustments_.end()) break;
        for (const auto& [category, change] : found->second) grant->budget[category] = change.first;
        adjustments_.erase(found);
      }
      break;
    }
    case Which::FUNDS_RECEIVED: {
      auto received = event.getFundsReceived();
      std::string id = Str(received.getGrantId());
      FT_RETURN_IF_ERROR(Post(Pool(id), Receivable(id), sign * received.getAmount().getMinorUnits(),
           Str(received.getAmount().getCurrency())));
      break;
    }
    case Which::FUNDS_DISBURSED: {
      auto disbursed = event.getFundsDisbursed();
      std::string id = Str(disbursed.getGrantId());
      std::string org = Str(disbursed.getMemberOrgId());
      FT_RETURN_IF_ERROR(Post(MemberAccount(id, org), Pool(id), sign * disbursed.getAmount().getMinorUnits(),
           Str(disbursed.getAmount().getCurrency())));
      break;
    }
    case Which::EXPENDITURE_RECORDED: {
      auto spent = event.getExpenditureRecorded();
      std::string id = Str(spent.getGrantId());
      std::string org = Str(spent.getOrgId());
      int category = static_cast<int>(spent.getCategory());
      int64_t amount = sign * spent.getAmount().getMinorUnits();
      FT_ASSERT(grant != nullptr);
      FT_RETURN_IF_ERROR(AddChecked(grant->spent_by_category[category], amount, "the spending of grant " + id,
                                    grant->currency));
      FT_RETURN_IF_ERROR(Post(Expense(id, org, category), MemberAccount(id, org), amount, Str(spent.getAmount().getCurrency())));
      break;
    }
    case Which::REFUND_RECORDED: {
      auto refund = event.getRefundRecorded();
      std::string id = Str(refund.getGrantId());
      std::string org = Str(refund.getOrgId());
      std::string currency = Str(refund.getAmount().getCurrency());
      int64_t amount = sign * refund.getAmount().getMinorUnits();
      // Money comes back from the member's account when the member received funds of this
      // grant (ApplyMemberGrantChange, above, said so); otherwise (the fund manager returning
      // pool money) from the alliance pool.
      bool from_member = member_changed;
      if (refund.getKind() == schema::RefundKind::VENDOR_REFUND) {
        FT_RETURN_IF_ERROR(Post(from_member ? MemberAccount(id, org) : Pool(id), VendorRefunds(id, org), amount, currency));
      } else {
        FT_RETURN_IF_ERROR(Post(Refunded(id), from_member ? MemberAccount(id, org) : Pool(id), amount, currency));
      }
      break;
    }
    case Which::REVENUE_DISTRIBUTED: {
      auto revenue = event.getRevenueDistributed();
      std::string outcome_id = Str(revenue.getOutcomeId());
      std::string currency = Str(revenue.getTotal().getCurrency());
      OutcomeInfo& outcome = outcomes_[outcome_id];
      outcome.revenue_currency = currency;
      FT_RETURN_IF_ERROR(AddChecked(outcome.revenue_total, sign * revenue.getTotal().getMinorUnits(),
                                    "the revenue of outcome " + outcome_id, Str(revenue.getTotal().getCurrency())));
      if (sign > 0) {
        nlohmann::json payments = nlohmann::json::array();
        for (auto payment : revenue.getPayments()) {
          payments.push_back({{"org_id", Str(payment.getOrgId())}, {"amount", payment.getAmount().getMinorUnits()}});
        }
        outcome.revenue[sequence] = {{"date", Str(revenue.getDate())},
                                     {"total", revenue.getTotal().getMinorUnits()},
                                     {"currency", currency},
                                     {"payments", payments}};
      } else {
        outcome.revenue.erase(sequence);
      }
      for (auto payment : revenue.getPayments()) {
        FT_RETURN_IF_ERROR(Post(RevenuePaid(outcome_id, Str(payment.getOrgId())), RevenueSource(outcome_id),
             sign * payment.getAmount().getMinorUnits(), currency));
      }
      break;
    }
    case Which::LICENCE_GRANTED:
      if (sign < 0) outcomes_[Str(event.getLicenceGranted().getOutcomeId())].licences.erase(sequence);
      break;
    case Which::OUTCOME_SHARED:
      if (sign < 0) outcomes_[Str(event.getOutcomeShared().getOutcomeId())].sharing.erase(sequence);
      break;
    default:
      break;
  }
  return Status::Ok();
}

Status Projection::Apply(uint64_t sequence, const Digest& chain_hash, schema::Event::Reader event,
                         EventLookup* lookup) {
  switch (event.which()) {
    case Which::LEDGER_GENESIS:
      alliance_id_ = Str(event.getLedgerGenesis().getAllianceId());
      alliance_name_ = Str(event.getLedgerGenesis().getAllianceName());
      break;
    case Which::ORGANISATION_REGISTERED: {
      auto org = event.getOrganisationRegistered();
      OrganisationInfo& info = organisations_[Str(org.getOrgId())];
      info.name = Str(org.getName());
      info.name_en = Str(org.getNameEn());
      info.kind = static_cast<int>(org.getKind());
      break;
    }
    case Which::MEMBER_ADMITTED: {
      OrganisationInfo& info = organisations_[Str(event.getMemberAdmitted().getOrgId())];
      info.member = true;
      info.admitted_date = Str(event.getMemberAdmitted().getDate());
      info.withdrawn_date.clear();
      info.expelled = false;
      break;
    }
    case Which::MEMBER_WITHDRAWN: {
      OrganisationInfo& info = organisations_[Str(event.getMemberWithdrawn().getOrgId())];
      info.member = false;
      info.withdrawn_date = Str(event.getMemberWithdrawn().getDate());
      info.expelled = event.getMemberWithdrawn().getExpelled();
      break;
    }
    case Which::AGREEMENT_REGISTERED: {
      auto agreement = event.getAgreementRegistered();
      AgreementInfo& info = agreements_[Str(agreement.getAgreementId())];
      info.title = Str(agreement.getTitle());
      info.date = Str(agreement.getDate());
      for (auto share : agreement.getRevenueShares()) info.revenue_shares[Str(share.getOrgId())] = share.getBasisPoints();
      info.has_goals = agreement.getGoals().size() > 0;
      info.has_task_division = agreement.getTasks().size() > 0;
      info.has_ownership_shares = agreement.getOwnershipShares().size() > 0;
      info.has_licensing_terms = agreement.hasLicensingTerms();
      break;
    }
    case Which::AGREEMENT_SIGNED:
      agreements_[Str(event.getAgreementSigned().getAgreementId())].signed_org_ids.insert(
          Str(event.getAgreementSigned().getOrgId()));
      break;
    case Which::GOVERNANCE_BODY_REGISTERED: {
      auto body = event.getGovernanceBodyRegistered();
      BodyInfo& info = bodies_[Str(body.getBodyId())];
      info.name = Str(body.getName());
      info.kind = static_cast<int>(body.getKind());
      info.full_time_staff = body.getFullTimeStaff();
      for (auto org : body.getMemberOrgIds()) info.member_org_ids.push_back(Str(org));
      break;
    }
    case Which::KEY_REGISTERED: {
      auto key = event.getKeyRegistered();
      auto raw = key.getPublicKey();
      KeyInfo info;
      info.org_id = Str(key.getOrgId());
      for (auto role : key.getRoles()) info.roles |= 1u << static_cast<uint32_t>(role);
      keys_[HexEncode(AsBytes(DeriveKeyId(std::string(reinterpret_cast<const char*>(raw.begin()), raw.size()))))] = info;
      break;
    }
    case Which::KEY_REVOKED: {
      auto id = event.getKeyRevoked().getKeyId();
      auto found = keys_.find(HexEncode(ByteSpan(id.begin(), id.size())));
      if (found != keys_.end()) found->second.revoked = true;
      break;
    }
    case Which::GRANT_AWARDED: {
      auto awarded = event.getGrantAwarded();
      GrantFigures& grant = Grant(Str(awarded.getGrantId()), Str(awarded.getAmount().getCurrency()));
      grant.title = Str(awarded.getTitle());
      grant.funder_org_id = Str(awarded.getFunderOrgId());
      grant.project_id = Str(awarded.getProjectId());
      grant.source_kind = static_cast<int>(awarded.getSourceKind());
      grant.period_start = Str(awarded.getPeriodStart());
      grant.period_end = Str(awarded.getPeriodEnd());
      grant.sequence = sequence;
      if (Status money = ApplyMoney(sequence, event, +1); !money.ok()) return money.WithPrefix("sequence " + std::to_string(sequence));
      break;
    }
    case Which::OUTCOME_REGISTERED: {
      auto outcome = event.getOutcomeRegistered();
      OutcomeInfo& info = outcomes_[Str(outcome.getOutcomeId())];
      info.title = Str(outcome.getTitle());
      info.kind = static_cast<int>(outcome.getKind());
      info.grant_id = Str(outcome.getGrantId());
      info.date = Str(outcome.getDate());
      for (auto owner : outcome.getOwners()) info.owners[Str(owner.getOrgId())] = owner.getBasisPoints();
      break;
    }
    case Which::LICENCE_GRANTED: {
      auto licence = event.getLicenceGranted();
      outcomes_[Str(licence.getOutcomeId())].licences[sequence] = {
          {"licence_id", Str(licence.getLicenceId())}, {"licensee", Str(licence.getLicenseeName())},
          {"licensee_org_id", Str(licence.getLicenseeOrgId())}, {"exclusive", licence.getExclusive()},
          {"date", Str(licence.getDate())}};
      break;
    }
    case Which::OUTCOME_SHARED: {
      auto shared = event.getOutcomeShared();
      outcomes_[Str(shared.getOutcomeId())].sharing[sequence] = {
          {"recipient", Str(shared.getRecipient())}, {"recipient_org_id", Str(shared.getRecipientOrgId())},
          {"date", Str(shared.getDate())}};
      break;
    }
    case Which::GRANT_TERMINATED: {
      // Moves no money: what is unspent stays where it is until it is refunded.
      auto terminated = event.getGrantTerminated();
      terminations_[Str(terminated.getGrantId())] =
          TerminationInfo{Str(terminated.getDate()), Str(terminated.getReason()), sequence};
      break;
    }
    case Which::REVERSAL: {
      if (lookup == nullptr) return Status::InvalidArgument("a reversal needs the event lookup");
      uint64_t target = event.getReversal().getTargetSequence();
      auto earlier = lookup->Find(target);
      if (!earlier) return earlier.error().WithPrefix("reversal at sequence " + std::to_string(sequence));
      if (Status money = ApplyMoney(target, earlier->event.root(), -1); !money.ok()) return money.WithPrefix("sequence " + std::to_string(sequence));
      break;
    }
    default:
      if (Status money = ApplyMoney(sequence, event, +1); !money.ok()) return money.WithPrefix("sequence " + std::to_string(sequence));
      break;
  }
  checkpoint_.sequence = sequence;
  checkpoint_.chain_hash = chain_hash;
  return Status::Ok();
}

nlohmann::json Projection::ToJson() const {
  nlohmann::json json;
  json["checkpoint"] = {{"sequence", checkpoint_.sequence}, {"chain_hash", HexEncode(checkpoint_.chain_hash)}};
  json["alliance_id"] = alliance_id_;
  json["alliance_name"] = alliance_name_;
  json["accounts"] = accounts_;
  json["grants"] = grants_;
  json["member_grants"] = member_grants_;
  json["organisations"] = organisations_;
  json["agreements"] = agreements_;
  json["bodies"] = bodies_;
  json["outcomes"] = outcomes_;
  json["adjustments"] = adjustments_;
  json["keys"] = keys_;
  if (!terminations_.empty()) json["terminations"] = terminations_;
  return json;
}

Result<Projection> Projection::FromJson(const nlohmann::json& json) {
  Projection projection;
  try {
    projection.checkpoint_.sequence = json.at("checkpoint").at("sequence").get<uint64_t>();
    auto hash = HexDecode(json.at("checkpoint").at("chain_hash").get<std::string>());
    if (!hash || hash->size() != 32) return Error(Status::Corruption("projection checkpoint hash is malformed"));
    std::memcpy(projection.checkpoint_.chain_hash.data(), hash->data(), 32);
    json.at("alliance_id").get_to(projection.alliance_id_);
    json.at("alliance_name").get_to(projection.alliance_name_);
    json.at("accounts").get_to(projection.accounts_);
    json.at("grants").get_to(projection.grants_);
    json.at("member_grants").get_to(projection.member_grants_);
    json.at("organisations").get_to(projection.organisations_);
    json.at("agreements").get_to(projection.agreements_);
    json.at("bodies").get_to(projection.bodies_);
    json.at("outcomes").get_to(projection.outcomes_);
    json.at("adjustments").get_to(projection.adjustments_);
    json.at("keys").get_to(projection.keys_);
    if (json.contains("terminations")) json.at("terminations").get_to(projection.terminations_);
  } catch (const nlohmann::json::exception& error) {
    return Error(Status::Corruption(std::string("projection state is malformed: ") + error.what()));
  }
  return projection;
}

std::string Projection::CommittedJson() const {
  nlohmann::json json = ToJson();
  json.erase("checkpoint");
  // Text replaced, not thrown on, if it is not UTF-8 (a ledger of validation version 1 may hold
  // such text): U+FFFD, as FORMAT.md says.
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Digest Projection::CommittedDigest() const {
  const uint8_t version[2] = {static_cast<uint8_t>(kViewsFoldVersion >> 8), static_cast<uint8_t>(kViewsFoldVersion)};
  Sha256 hash;
  hash.Update(std::string_view("FTVIEWS1"));
  hash.Update(std::string_view(reinterpret_cast<const char*>(version), 2));
  hash.Update(CommittedJson());
  return hash.Finish();
}

Digest Projection::StateDigest() const {
  Sha256 hash;
  hash.Update(std::string_view("FTPROJ01"));
  hash.Update(ToJson().dump());
  return hash.Finish();
}

}  // namespace fundtrail::projections
