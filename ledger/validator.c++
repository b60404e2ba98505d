#include "ledger/validator.h"

#include <capnp/schema.h>

#include <nlohmann/json.hpp>

#include "ledger/crypto.h"
#include "ledger/dates.h"
#include "ledger/exchange.h"
#include "ledger/input_rules.h"
#include "ledger/json_codec.h"
#include "ledger/money.h"

namespace fundtrail {

namespace {

using Which = schema::Event::Which;

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

Status FieldError(std::string_view field, const std::string& message) {
  return Status::InvalidArgument("field " + Quote(field) + ": " + message);
}

std::string Str(capnp::Text::Reader text) { return std::string(text.cStr(), text.size()); }
std::string Str(capnp::Data::Reader data) {
  return std::string(reinterpret_cast<const char*>(data.begin()), data.size());
}

int32_t Days(capnp::Text::Reader date) {
  auto days = ParseDate(date.cStr());
  // The JSON codec validated every $date field; a stored event with a bad date is rejected by
  // the checks below that compare dates, through this sentinel.
  return days ? *days : INT32_MIN;
}

Status CheckDate(std::string_view field, capnp::Text::Reader date) {
  auto days = ParseDate(date.cStr());
  if (!days) return FieldError(field, days.error().message());
  return Status::Ok();
}

// Identifiers are printable UTF-8, without spaces, at most 64 bytes.
Status CheckId(std::string_view field, capnp::Text::Reader id) {
  if (id.size() == 0) return FieldError(field, "is empty");
  if (id.size() > 64) return FieldError(field, "is longer than 64 bytes");
  for (unsigned char c : std::string_view(id.cStr(), id.size())) {
    if (c <= 0x20 || c == 0x7f) {
      return FieldError(field, Quote(id.cStr()) + " contains a space or control character");
    }
  }
  if (!IsUtf8(std::string_view(id.cStr(), id.size()))) return FieldError(field, "is not valid UTF-8");
  return Status::Ok();
}

// GB 32100-2015 unified social credit code: 18 characters, the last a check character.
bool LooksLikeCreditCode(std::string_view id) {
  if (id.size() != 18) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'))) return false;
  }
  return true;
}

std::optional<char> CreditCodeCheckCharacter(std::string_view id) {
  static constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  static constexpr int kWeights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
  int sum = 0;
  for (int i = 0; i < 17; ++i) {
    size_t value = kAlphabet.find(id[i]);
    if (value == std::string_view::npos) return std::nullopt;
    sum += static_cast<int>(value) * kWeights[i];
  }
  int check = (31 - sum % 31) % 31;
  return kAlphabet[check];
}

Status CheckMoney(std::string_view field, schema::Money::Reader money, bool allow_zero) {
  auto exponent = CurrencyExponent(money.getCurrency().cStr());
  if (!exponent) return FieldError(field, "unsupported currency " + Quote(money.getCurrency().cStr()));
  if (money.getMinorUnits() < 0 || (money.getMinorUnits() == 0 && !allow_zero)) {
    return FieldError(field, "amount must be positive");
  }
  return Status::Ok();
}

Status CheckCurrency(std::string_view field, schema::Money::Reader money, const GrantRecord& grant,
                     const std::string& grant_id) {
  FT_RETURN_IF_ERROR(CheckMoney(field, money, false));
  if (money.getCurrency() != grant.currency.c_str()) {
    return FieldError(field, "currency " + Quote(money.getCurrency().cStr()) + " differs from grant " +
                                 Quote(grant_id) + "'s currency " + grant.currency);
  }
  return Status::Ok();
}

Status CheckShares(std::string_view field, capnp::List<schema::Share>::Reader shares,
                   const LedgerState& state) {
  if (shares.size() == 0) return Status::Ok();
  uint64_t total = 0;
  std::set<std::string> seen;
  for (size_t i = 0; i < shares.size(); ++i) {
    std::string path = std::string(field) + "[" + std::to_string(i) + "].org_id";
    std::string org = Str(shares[i].getOrgId());
    if (!state.organisations.Contains(org)) {
      return FieldError(path, "organisation " + Quote(org) + " is not registered");
    }
    if (!seen.insert(org).second) return FieldError(path, "organisation " + Quote(org) + " appears twice");
    total += shares[i].getBasisPoints();
  }
  if (total != 10000) {
    return FieldError(field, "shares sum to " + std::to_string(total) +
                                 " basis points, they must sum to 10000 (100%)");
  }
  return Status::Ok();
}

Status CheckBudgetLines(std::string_view field, capnp::List<schema::BudgetLine>::Reader lines,
                        const std::string& currency, int64_t* total) {
  uint32_t seen = 0;
  *total = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string path = std::string(field) + "[" + std::to_string(i) + "]";
    auto line = lines[i];
    // A canonical event may carry any 16-bit enumerant; only the schema's are categories (and
    // the bit below is defined only for them). Found by the `event` fuzz target.
    const uint32_t category = static_cast<uint32_t>(line.getCategory());
    if (category >= capnp::Schema::from<schema::BudgetCategory>().getEnumerants().size()) {
      return FieldError(path + ".category", "unknown budget category " + std::to_string(category));
    }
    uint32_t bit = 1u << category;
    if (seen & bit) return FieldError(path + ".category", "category appears twice");
    seen |= bit;
    FT_RETURN_IF_ERROR(CheckMoney(path + ".amount", line.getAmount(), true));
    if (line.getAmount().getCurrency() != currency.c_str()) {
      return FieldError(path + ".amount", "currency " + Quote(line.getAmount().getCurrency().cStr()) +
                                              " differs from the grant's " + currency);
    }
    if (!AddMinorUnits(*total, line.getAmount().getMinorUnits(), total)) {
      return FieldError(field, "budget total overflows");
    }
  }
  return Status::Ok();
}

bool Reversible(Which which) {
  switch (which) {
    case Which::BUDGET_ADJUSTED:
    case Which::FUNDS_RECEIVED:
    case Which::FUNDS_DISBURSED:
    case Which::EXPENDITURE_RECORDED:
    case Which::REFUND_RECORDED:
    case Which::REVENUE_DISTRIBUTED:
    case Which::LICENCE_GRANTED:
    case Which::OUTCOME_SHARED:
    case Which::FLAG_DISPOSITION:
    case Which::FINDING_RECORDED:
      return true;
    default:
      return false;
  }
}

// The field that names the organisation an event acts for (see ActingOrganisation).
std::string_view ActingField(Which which) {
  switch (which) {
    case Which::GRANT_AWARDED: return "funder_org_id";
    case Which::BUDGET_ADJUSTED:
    case Which::FUNDS_RECEIVED:
    case Which::GRANT_TERMINATED: return "grant_id";  // the grant's funder
    default: return "org_id";
  }
}

// The organisation an event acts for, where a role is restricted to its own organisation.
std::optional<std::string> ActingOrganisation(schema::Event::Reader event, schema::Role role,
                                              const LedgerState& state) {
  switch (event.which()) {
    case Which::EXPENDITURE_RECORDED: return Str(event.getExpenditureRecorded().getOrgId());
    case Which::REFUND_RECORDED:
      if (role == schema::Role::MEMBER_FINANCE) return Str(event.getRefundRecorded().getOrgId());
      return std::nullopt;
    case Which::AGREEMENT_SIGNED: return Str(event.getAgreementSigned().getOrgId());
    case Which::GRANT_AWARDED: return Str(event.getGrantAwarded().getFunderOrgId());
    case Which::BUDGET_ADJUSTED:
    case Which::FUNDS_RECEIVED:
    case Which::GRANT_TERMINATED: {
      if (role != schema::Role::FUNDER) return std::nullopt;
      std::string grant_id = event.which() == Which::BUDGET_ADJUSTED
                                 ? Str(event.getBudgetAdjusted().getGrantId())
                             : event.which() == Which::FUNDS_RECEIVED
                                 ? Str(event.getFundsReceived().getGrantId())
                                 : Str(event.getGrantTerminated().getGrantId());
      const GrantRecord* grant = state.grants.Find(grant_id);
      // An unknown grant is the semantic check's to report ("grant ... is not registered"),
      // not a permission error naming an empty organisation.
      if (grant == nullptr) return std::nullopt;
      return grant->funder_org_id;
    }
    default: return std::nullopt;
  }
}

// Validation version 4 brought an event and fields (input_rules.h, kValidationVersionEvents);
// an earlier version refuses them, as a verifier of that version would.
Status CheckVersionedFields(schema::Event::Reader event, uint16_t version) {
  if (version >= kValidationVersionEvents) return Status::Ok();
  auto refuse = [&](std::string_view what) {
    return Status::InvalidArgument(std::string(what) + " needs validation version " +
                                   std::to_string(kValidationVersionEvents) +
                                   "; this submission is of version " + std::to_string(version));
  };
  switch (event.which()) {
    case Which::GRANT_TERMINATED: return refuse("grant_terminated");
    case Which::BUDGET_ADJUSTED:
      if (event.getBudgetAdjusted().hasFunderApprovalReference()) {
        return refuse("field \"funder_approval_reference\"");
      }
      return Status::Ok();
    case Which::EXPENDITURE_RECORDED: {
      auto spent = event.getExpenditureRecorded();
      if (spent.hasInvoiceTotal()) return refuse("field \"invoice_total\"");
      if (spent.hasOriginalAmount()) return refuse("field \"original_amount\"");
      if (spent.hasExchangeRate()) return refuse("field \"exchange_rate\"");
      return Status::Ok();
    }
    default:
      return Status::Ok();
  }
}

// A foreign-currency payment (validation version 4): original_amount in another currency than
// the grant's, converted at exchange_rate, must give `amount` exactly (ledger/exchange.h).
Status CheckForeignPayment(schema::ExpenditureRecorded::Reader spent, const GrantRecord& grant) {
  if (spent.hasOriginalAmount() != spent.hasExchangeRate()) {
    return FieldError(spent.hasOriginalAmount() ? "exchange_rate" : "original_amount",
                      "is missing: original_amount and exchange_rate go together");
  }
  if (!spent.hasOriginalAmount()) return Status::Ok();
  auto original = spent.getOriginalAmount();
  FT_RETURN_IF_ERROR(CheckMoney("original_amount", original, false));
  if (original.getCurrency() == grant.currency.c_str()) {
    return FieldError("original_amount", "is in the grant's own currency " + grant.currency +
                                             "; leave original_amount and exchange_rate out");
  }
  auto rate = ParseExchangeRate(std::string_view(spent.getExchangeRate().cStr(),
                                                 spent.getExchangeRate().size()));
  if (!rate) return FieldError("exchange_rate", rate.error().message());
  const int from = *CurrencyExponent(original.getCurrency().cStr());
  const int to = *CurrencyExponent(grant.currency);
  auto converted = ConvertMinorUnits(original.getMinorUnits(), from, *rate, to);
  const std::string product = FormatMoneyPlain({original.getMinorUnits(), Str(original.getCurrency())}) +
                              " x " + Str(spent.getExchangeRate());
  if (!converted) return FieldError("amount", product + ": " + converted.error().message());
  if (*converted != spent.getAmount().getMinorUnits()) {
    return FieldError("amount", FormatMoneyPlain({spent.getAmount().getMinorUnits(), grant.currency}) +
                                    " is not original_amount x exchange_rate (" + product + " = " +
                                    FormatMoneyPlain({*converted, grant.currency}) +
                                    ", rounded half to even); correct the amount or the rate");
  }
  return Status::Ok();
}

// An invoice's total (validation version 4): in the currency of the charge (original_amount's
// for a foreign payment), and not less than the charge.
Status CheckInvoiceTotal(schema::ExpenditureRecorded::Reader spent) {
  if (!spent.hasInvoiceTotal()) return Status::Ok();
  auto total = spent.getInvoiceTotal();
  FT_RETURN_IF_ERROR(CheckMoney("invoice_total", total, false));
  auto charge = spent.hasOriginalAmount() ? spent.getOriginalAmount() : spent.getAmount();
  const char* charged_field = spent.hasOriginalAmount() ? "original_amount" : "amount";
  if (total.getCurrency() != charge.getCurrency()) {
    return FieldError("invoice_total", "currency " + Quote(total.getCurrency().cStr()) +
                                           " differs from the " + charged_field + "'s " +
                                           Str(charge.getCurrency()));
  }
  if (total.getMinorUnits() < charge.getMinorUnits()) {
    return FieldError("invoice_total",
                      FormatMoneyPlain({total.getMinorUnits(), Str(total.getCurrency())}) +
                          " is less than the " + charged_field + " " +
                          FormatMoneyPlain({charge.getMinorUnits(), Str(charge.getCurrency())}) +
                          " charged on it");
  }
  return Status::Ok();
}

}  // namespace

// Which roles may append each event type. Who may act for which organisation is checked
// separately in CheckPermission.
uint32_t AllowedRoles(Which which) {
  auto bit = [](schema::Role role) { return RoleBit(role); };
  const uint32_t admin = bit(schema::Role::ADMIN);
  switch (which) {
    case Which::LEDGER_GENESIS: return 0;  // only in the genesis submission
    case Which::ORGANISATION_REGISTERED:
    case Which::MEMBER_ADMITTED:
    case Which::MEMBER_WITHDRAWN:
    case Which::KEY_REGISTERED:
    case Which::KEY_REVOKED:
    case Which::AGREEMENT_REGISTERED:
    case Which::GOVERNANCE_BODY_REGISTERED:
    case Which::PROJECT_REGISTERED:
    case Which::TASK_ASSIGNED:
    case Which::VENDOR_REGISTERED:
    case Which::OUTCOME_REGISTERED:
    case Which::LICENCE_GRANTED:
    case Which::OUTCOME_SHARED:
    case Which::POLICY_SET:
      return admin;
    case Which::AGREEMENT_SIGNED: return bit(schema::Role::SIGNATORY);
    case Which::GRANT_AWARDED: return bit(schema::Role::FUNDER);
    // The undertaking unit (the fund manager) adjusts the budget itself since the 2021 reform
    // (validation version 4; CheckPermission narrows earlier versions to the funder).
    case Which::BUDGET_ADJUSTED: return bit(schema::Role::FUNDER) | bit(schema::Role::FUND_MANAGER);
    case Which::GRANT_TERMINATED: return admin | bit(schema::Role::FUNDER);
    case Which::FUNDS_RECEIVED: return bit(schema::Role::FUNDER) | bit(schema::Role::FUND_MANAGER);
    case Which::FUNDS_DISBURSED: return bit(schema::Role::FUND_MANAGER);
    case Which::EXPENDITURE_RECORDED: return bit(schema::Role::MEMBER_FINANCE);
    case Which::REFUND_RECORDED: return bit(schema::Role::MEMBER_FINANCE) | bit(schema::Role::FUND_MANAGER);
    case Which::REVENUE_DISTRIBUTED: return admin | bit(schema::Role::FUND_MANAGER);
    case Which::REVERSAL: return ~0u;  // decided by the target event, see CheckPermission
    case Which::FLAG_DISPOSITION:
    case Which::FINDING_RECORDED: return bit(schema::Role::AUDITOR);
  }
  return 0;
}


uint32_t RoleBit(schema::Role role) { return 1u << static_cast<uint32_t>(role); }

std::string RoleNames(uint32_t roles) {
  std::string names;
  auto enumerants = capnp::Schema::from<schema::Role>().getEnumerants();
  for (auto enumerant : enumerants) {
    if (roles & (1u << enumerant.getOrdinal())) {
      names += (names.empty() ? "" : ", ") + SnakeCase(enumerant.getProto().getName().cStr());
    }
  }
  return names.empty() ? "none" : names;
}

Result<std::string> Validator::SigningKey(const std::string& key_id_hex) const {
  const KeyRecord* key = state_->keys.Find(key_id_hex);
  if (key == nullptr) {
    return Error(Status::PermissionDenied("key " + key_id_hex +
                                          " is not registered in this ledger (an admin registers "
                                          "keys with a key_registered event)"));
  }
  if (key->revoked_sequence != 0) {
    return Error(Status::PermissionDenied("key " + key_id_hex + " was revoked at sequence " +
                                          std::to_string(key->revoked_sequence)));
  }
  auto raw = HexDecode(key->public_key_hex);
  FT_ASSERT(raw.has_value());
  return *raw;
}

Status Validator::CheckPermission(const KeyRecord& key, const std::string& key_id_hex,
                                  schema::Event::Reader event) const {
  uint32_t allowed = AllowedRoles(event.which());
  if (event.which() == Which::BUDGET_ADJUSTED && validation_version_ < kValidationVersionEvents) {
    allowed &= ~RoleBit(schema::Role::FUND_MANAGER);
  }
  uint32_t held = key.roles & allowed;
  auto denied = [&](const std::string& why) {
    return Status::PermissionDenied("key " + key_id_hex + " (organisation " + Quote(key.org_id) +
                                    ", roles " + RoleNames(key.roles) + ") may not append " +
                                    EventTypeName(event) + ": " + why);
  };
  if (event.which() == Which::REVERSAL) return Status::Ok();  // checked against the target
  if (held == 0) return denied("it needs one of the roles " + RoleNames(allowed));
  // Any held role that is not restricted to its own organisation is enough; otherwise the event
  // must act for the key's organisation.
  std::string acting_for;
  for (uint32_t role = 0; role < 32; ++role) {
    if (!(held & (1u << role))) continue;
    auto acting = ActingOrganisation(event, static_cast<schema::Role>(role), *state_);
    if (!acting || *acting == key.org_id) return Status::Ok();
    acting_for = *acting;
  }
  return denied("field " + Quote(ActingField(event.which())) + ": role acts only for its own organisation " +
                Quote(key.org_id) + ", this event is for " + Quote(acting_for));
}

Result<std::optional<EarlierEvent>> FindReversed(EventLookup& lookup, uint64_t sequence,
                                                 schema::Event::Reader event) {
  if (!event.isReversal()) return std::optional<EarlierEvent>();
  auto target = lookup.Find(event.getReversal().getTargetSequence());
  if (!target) return Error(target.error().WithPrefix("reversal at sequence " + std::to_string(sequence)));
  return std::optional<EarlierEvent>(std::move(*target));
}

Status Validator::Apply(uint64_t sequence, const std::string& key_id_hex, bool genesis_submission,
                        schema::Event::Reader event, bool input_checked) {
  if (genesis_submission) {
    // The genesis submission founds the ledger: the operator key signs it and it may only
    // register the alliance, organisations, their membership and the first keys.
    if (sequence == 1 && event.which() != Which::LEDGER_GENESIS) {
      return Status::InvalidArgument("the first event of a ledger must be ledger_genesis");
    }
    switch (event.which()) {
      case Which::LEDGER_GENESIS:
      case Which::ORGANISATION_REGISTERED:
      case Which::MEMBER_ADMITTED:
      case Which::KEY_REGISTERED:
        break;
      default:
        return Status::PermissionDenied("the genesis submission may not contain " + EventTypeName(event));
    }
  } else {
    if (event.which() == Which::LEDGER_GENESIS) {
      return Status::InvalidArgument("ledger_genesis may only be the first event of a ledger");
    }
    const KeyRecord* key = state_->keys.Find(key_id_hex);
    if (key == nullptr) {
      return Status::PermissionDenied("key " + key_id_hex + " is not registered in this ledger");
    }
    if (key->revoked_sequence != 0) {
      return Status::PermissionDenied("key " + key_id_hex + " was revoked at sequence " +
                                      std::to_string(key->revoked_sequence));
    }
    FT_RETURN_IF_ERROR(CheckPermission(*key, key_id_hex, event));
  }
  if (validation_version_ >= 2 && !input_checked) FT_RETURN_IF_ERROR(CheckEventInput(event));
  FT_RETURN_IF_ERROR(CheckVersionedFields(event, validation_version_));
  return ApplySemantics(sequence, key_id_hex, event);
}

Status Validator::ApplySemantics(uint64_t sequence, const std::string& key_id_hex,
                                 schema::Event::Reader event) {
  LedgerState& state = *state_;
  auto need_org = [&](std::string_view field, capnp::Text::Reader id) -> Status {
    FT_RETURN_IF_ERROR(CheckId(field, id));
    if (!state.organisations.Contains(Str(id))) {
      return FieldError(field, "organisation " + Quote(id.cStr()) + " is not registered");
    }
    return Status::Ok();
  };
  auto need_grant = [&](std::string_view field, capnp::Text::Reader id,
                        const GrantRecord** grant) -> Status {
    *grant = state.grants.Find(Str(id));
    if (*grant == nullptr) return FieldError(field, "grant " + Quote(id.cStr()) + " is not registered");
    return Status::Ok();
  };
  auto unique = [&](auto& table, std::string_view field, capnp::Text::Reader id,
                    std::string_view what) -> Status {
    FT_RETURN_IF_ERROR(CheckId(field, id));
    if (table.Contains(Str(id))) {
      return FieldError(field, std::string(what) + " " + Quote(id.cStr()) + " already exists");
    }
    return Status::Ok();
  };

  switch (event.which()) {
    case Which::LEDGER_GENESIS: {
      auto genesis = event.getLedgerGenesis();
      if (sequence != 1) return Status::InvalidArgument("ledger_genesis may only be the first event");
      if (genesis.getLedgerId().size() != kLedgerIdSizeBytes) {
        return FieldError("ledger_id", "must be 16 bytes");
      }
      auto operator_key = PublicKey::FromRaw(Str(genesis.getOperatorPublicKey()));
      if (!operator_key) return FieldError("operator_public_key", operator_key.error().message());
      if (HexEncode(AsBytes(operator_key->key_id())) != key_id_hex) {
        return Status::PermissionDenied("the genesis submission must be signed by the operator key " +
                                        HexEncode(AsBytes(operator_key->key_id())));
      }
      FT_RETURN_IF_ERROR(CheckId("alliance_id", genesis.getAllianceId()));
      FT_RETURN_IF_ERROR(CheckDate("date", genesis.getDate()));
      LedgerMeta meta;
      meta.ledger_id_hex = HexEncode(AsBytes(Str(genesis.getLedgerId())));
      meta.alliance_id = Str(genesis.getAllianceId());
      meta.operator_public_key_hex = HexEncode(AsBytes(operator_key->raw()));
      state.meta.Put("ledger", meta);
      return Status::Ok();
    }
    case Which::ORGANISATION_REGISTERED: {
      auto org = event.getOrganisationRegistered();
      FT_RETURN_IF_ERROR(unique(state.organisations, "org_id", org.getOrgId(), "organisation"));
      if (!IsUtf8(std::string_view(org.getName().cStr(), org.getName().size()))) {
        return FieldError("name", "is not valid UTF-8");  // kept in the state
      }
      std::string id = Str(org.getOrgId());
      if (LooksLikeCreditCode(id)) {
        auto check = CreditCodeCheckCharacter(id);
        if (!check || *check != id[17]) {
          return FieldError("org_id", Quote(id) +
                                          " looks like a unified social credit code but its check "
                                          "character is wrong" +
                                          (check ? std::string(" (expected ") + *check + ")" : ""));
        }
      }
      OrganisationRecord record;
      record.name = Str(org.getName());
      record.kind = static_cast<int>(org.getKind());
      record.sequence = sequence;
      state.organisations.Put(id, record);
      return Status::Ok();
    }
    case Which::MEMBER_ADMITTED: {
      auto admitted = event.getMemberAdmitted();
      FT_RETURN_IF_ERROR(need_org("org_id", admitted.getOrgId()));
      OrganisationRecord record = *state.organisations.Find(Str(admitted.getOrgId()));
      if (record.member) {
        return FieldError("org_id", Quote(admitted.getOrgId().cStr()) + " is already a member");
      }
      int32_t days = Days(admitted.getDate());
      if (record.ever_admitted && days < record.withdrawn_days) {
        return FieldError("date", "readmission on " + Str(admitted.getDate()) +
                                      " precedes the withdrawal on " + FormatDate(record.withdrawn_days));
      }
      record.member = true;
      record.ever_admitted = true;
      record.admitted_days = days;
      state.organisations.Put(Str(admitted.getOrgId()), record);
      return Status::Ok();
    }
    case Which::MEMBER_WITHDRAWN: {
      auto withdrawn = event.getMemberWithdrawn();
      FT_RETURN_IF_ERROR(need_org("org_id", withdrawn.getOrgId()));
      OrganisationRecord record = *state.organisations.Find(Str(withdrawn.getOrgId()));
      if (!record.member) {
        return FieldError("org_id", Quote(withdrawn.getOrgId().cStr()) + " is not a member");
      }
      int32_t days = Days(withdrawn.getDate());
      if (days < record.admitted_days) {
        return FieldError("date", Str(withdrawn.getDate()) + " precedes the admission on " +
                                      FormatDate(record.admitted_days));
      }
      record.member = false;
      record.withdrawn_days = days;
      state.organisations.Put(Str(withdrawn.getOrgId()), record);
      return Status::Ok();
    }
    case Which::KEY_REGISTERED: {
      auto registered = event.getKeyRegistered();
      auto key = PublicKey::FromRaw(Str(registered.getPublicKey()));
      if (!key) return FieldError("public_key", key.error().message());
      std::string id_hex = HexEncode(AsBytes(key->key_id()));
      if (state.keys.Contains(id_hex)) return FieldError("public_key", "key " + id_hex + " is already registered");
      FT_RETURN_IF_ERROR(need_org("org_id", registered.getOrgId()));
      if (registered.getRoles().size() == 0) return FieldError("roles", "a key needs at least one role");
      KeyRecord record;
      for (auto role : registered.getRoles()) {
        if (static_cast<uint32_t>(role) > static_cast<uint32_t>(schema::Role::REGULATOR)) {
          return FieldError("roles", "unknown role " + std::to_string(static_cast<int>(role)));
        }
        if (record.roles & RoleBit(role)) return FieldError("roles", "a role appears twice");
        record.roles |= RoleBit(role);
      }
      record.org_id = Str(registered.getOrgId());
      record.public_key_hex = HexEncode(AsBytes(key->raw()));
      record.registered_sequence = sequence;
      state.keys.Put(id_hex, record);
      return Status::Ok();
    }
    case Which::KEY_REVOKED: {
      std::string id_hex = HexEncode(AsBytes(Str(event.getKeyRevoked().getKeyId())));
      const KeyRecord* key = state.keys.Find(id_hex);
      if (key == nullptr) return FieldError("key_id", "key " + id_hex + " is not registered");
      if (key->revoked_sequence != 0) {
        return FieldError("key_id", "key " + id_hex + " was already revoked at sequence " +
                                        std::to_string(key->revoked_sequence));
      }
      KeyRecord record = *key;
      record.revoked_sequence = sequence;
      state.keys.Put(id_hex, record);
      return Status::Ok();
    }
    case Which::AGREEMENT_REGISTERED: {
      auto agreement = event.getAgreementRegistered();
      FT_RETURN_IF_ERROR(unique(state.agreements, "agreement_id", agreement.getAgreementId(), "agreement"));
      if (agreement.getDocumentHash().size() != 32) {
        return FieldError("document_hash", "must be a 32-byte SHA-256 digest (64 hex digits)");
      }
      FT_RETURN_IF_ERROR(CheckDate("date", agreement.getDate()));
      auto tasks = agreement.getTasks();
      for (size_t i = 0; i < tasks.size(); ++i) {
        FT_RETURN_IF_ERROR(need_org("tasks[" + std::to_string(i) + "].org_id", tasks[i].getOrgId()));
      }
      FT_RETURN_IF_ERROR(CheckShares("ownership_shares", agreement.getOwnershipShares(), state));
      FT_RETURN_IF_ERROR(CheckShares("revenue_shares", agreement.getRevenueShares(), state));
      state.agreements.Put(Str(agreement.getAgreementId()), AgreementRecord{});
      return Status::Ok();
    }
    case Which::AGREEMENT_SIGNED: {
      auto signed_event = event.getAgreementSigned();
      const AgreementRecord* agreement = state.agreements.Find(Str(signed_event.getAgreementId()));
      if (agreement == nullptr) {
        return FieldError("agreement_id", "agreement " + Quote(signed_event.getAgreementId().cStr()) +
                                              " is not registered");
      }
      FT_RETURN_IF_ERROR(need_org("org_id", signed_event.getOrgId()));
      if (agreement->signed_org_ids.contains(Str(signed_event.getOrgId()))) {
        return FieldError("org_id", Quote(signed_event.getOrgId().cStr()) + " has already signed");
      }
      AgreementRecord record = *agreement;
      record.signed_org_ids.insert(Str(signed_event.getOrgId()));
      state.agreements.Put(Str(signed_event.getAgreementId()), record);
      return Status::Ok();
    }
    case Which::GOVERNANCE_BODY_REGISTERED: {
      auto body = event.getGovernanceBodyRegistered();
      FT_RETURN_IF_ERROR(unique(state.bodies, "body_id", body.getBodyId(), "governance body"));
      auto orgs = body.getMemberOrgIds();
      for (size_t i = 0; i < orgs.size(); ++i) {
        FT_RETURN_IF_ERROR(need_org("member_org_ids[" + std::to_string(i) + "]", orgs[i]));
      }
      state.bodies.Put(Str(body.getBodyId()), Presence{sequence});
      return Status::Ok();
    }
    case Which::PROJECT_REGISTERED: {
      auto project = event.getProjectRegistered();
      FT_RETURN_IF_ERROR(unique(state.projects, "project_id", project.getProjectId(), "project"));
      if (project.hasAgreementId() && !state.agreements.Contains(Str(project.getAgreementId()))) {
        return FieldError("agreement_id", "agreement " + Quote(project.getAgreementId().cStr()) +
                                              " is not registered");
      }
      state.projects.Put(Str(project.getProjectId()), Presence{sequence});
      return Status::Ok();
    }
    case Which::TASK_ASSIGNED: {
      auto task = event.getTaskAssigned();
      FT_RETURN_IF_ERROR(unique(state.tasks, "task_id", task.getTaskId(), "task"));
      if (!state.projects.Contains(Str(task.getProjectId()))) {
        return FieldError("project_id", "project " + Quote(task.getProjectId().cStr()) + " is not registered");
      }
      FT_RETURN_IF_ERROR(need_org("org_id", task.getOrgId()));
      state.tasks.Put(Str(task.getTaskId()), TaskRecord{Str(task.getProjectId()), Str(task.getOrgId())});
      return Status::Ok();
    }
    case Which::VENDOR_REGISTERED: {
      auto vendor = event.getVendorRegistered();
      FT_RETURN_IF_ERROR(unique(state.vendors, "vendor_id", vendor.getVendorId(), "vendor"));
      state.vendors.Put(Str(vendor.getVendorId()), Presence{sequence});
      return Status::Ok();
    }
    case Which::GRANT_AWARDED: {
      auto grant = event.getGrantAwarded();
      FT_RETURN_IF_ERROR(unique(state.grants, "grant_id", grant.getGrantId(), "grant"));
      FT_RETURN_IF_ERROR(need_org("funder_org_id", grant.getFunderOrgId()));
      if (!state.projects.Contains(Str(grant.getProjectId()))) {
        return FieldError("project_id", "project " + Quote(grant.getProjectId().cStr()) + " is not registered");
      }
      FT_RETURN_IF_ERROR(CheckMoney("amount", grant.getAmount(), false));
      FT_RETURN_IF_ERROR(CheckDate("period_start", grant.getPeriodStart()));
      FT_RETURN_IF_ERROR(CheckDate("period_end", grant.getPeriodEnd()));
      if (Days(grant.getPeriodEnd()) < Days(grant.getPeriodStart())) {
        return FieldError("period_end", Str(grant.getPeriodEnd()) + " precedes period_start " +
                                            Str(grant.getPeriodStart()));
      }
      std::string currency = Str(grant.getAmount().getCurrency());
      int64_t total = 0;
      FT_RETURN_IF_ERROR(CheckBudgetLines("budget", grant.getBudget(), currency, &total));
      if (total != grant.getAmount().getMinorUnits()) {
        return FieldError("budget", "lines sum to " + FormatMoneyPlain({total, currency}) +
                                        ", the award is " +
                                        FormatMoneyPlain({grant.getAmount().getMinorUnits(), currency}));
      }
      GrantRecord record;
      record.currency = currency;
      record.funder_org_id = Str(grant.getFunderOrgId());
      record.project_id = Str(grant.getProjectId());
      record.source_kind = static_cast<int>(grant.getSourceKind());
      record.period_start_days = Days(grant.getPeriodStart());
      record.period_end_days = Days(grant.getPeriodEnd());
      record.sequence = sequence;
      state.grants.Put(Str(grant.getGrantId()), record);
      return Status::Ok();
    }
    case Which::BUDGET_ADJUSTED: {
      auto adjusted = event.getBudgetAdjusted();
      const GrantRecord* grant = nullptr;
      FT_RETURN_IF_ERROR(need_grant("grant_id", adjusted.getGrantId(), &grant));
      if (adjusted.getLines().size() == 0) return FieldError("lines", "is empty");
      int64_t total = 0;
      FT_RETURN_IF_ERROR(CheckBudgetLines("lines", adjusted.getLines(), grant->currency, &total));
      return CheckDate("date", adjusted.getDate());
    }
    case Which::FUNDS_RECEIVED: {
      auto received = event.getFundsReceived();
      const GrantRecord* grant = nullptr;
      FT_RETURN_IF_ERROR(need_grant("grant_id", received.getGrantId(), &grant));
      FT_RETURN_IF_ERROR(CheckCurrency("amount", received.getAmount(), *grant, Str(received.getGrantId())));
      return CheckDate("date", received.getDate());
    }
    case Which::FUNDS_DISBURSED: {
      auto disbursed = event.getFundsDisbursed();
      const GrantRecord* grant = nullptr;
      FT_RETURN_IF_ERROR(need_grant("grant_id", disbursed.getGrantId(), &grant));
      FT_RETURN_IF_ERROR(need_org("member_org_id", disbursed.getMemberOrgId()));
      FT_RETURN_IF_ERROR(CheckCurrency("amount", disbursed.getAmount(), *grant, Str(disbursed.getGrantId())));
      if (disbursed.hasTaskId()) {
        const TaskRecord* task = state.tasks.Find(Str(disbursed.getTaskId()));
        if (task == nullptr) {
          return FieldError("task_id", "task " + Quote(disbursed.getTaskId().cStr()) + " is not registered");
        }
        if (task->org_id != Str(disbursed.getMemberOrgId())) {
          return FieldError("task_id", "task " + Quote(disbursed.getTaskId().cStr()) + " belongs to " +
                                           Quote(task->org_id) + ", not to the recipient");
        }
      }
      return CheckDate("date", disbursed.getDate());
    }
    case Which::EXPENDITURE_RECORDED: {
      auto spent = event.getExpenditureRecorded();
      const GrantRecord* grant = nullptr;
      FT_RETURN_IF_ERROR(need_grant("grant_id", spent.getGrantId(), &grant));
      FT_RETURN_IF_ERROR(need_org("org_id", spent.getOrgId()));
      if (!state.vendors.Contains(Str(spent.getVendorId()))) {
        return FieldError("vendor_id", "vendor " + Quote(spent.getVendorId().cStr()) + " is not registered");
      }
      FT_RETURN_IF_ERROR(CheckCurrency("amount", spent.getAmount(), *grant, Str(spent.getGrantId())));
      FT_RETURN_IF_ERROR(CheckDate("invoice_date", spent.getInvoiceDate()));
      FT_RETURN_IF_ERROR(CheckDate("payment_date", spent.getPaymentDate()));
      if (spent.hasVoucherDate()) FT_RETURN_IF_ERROR(CheckDate("voucher_date", spent.getVoucherDate()));
      FT_RETURN_IF_ERROR(CheckForeignPayment(spent, *grant));
      return CheckInvoiceTotal(spent);
    }
    case Which::REFUND_RECORDED: {
      auto refund = event.getRefundRecorded();
      const GrantRecord* grant = nullptr;
      FT_RETURN_IF_ERROR(need_grant("grant_id", refund.getGrantId(), &grant));
      FT_RETURN_IF_ERROR(need_org("org_id", refund.getOrgId()));
      FT_RETURN_IF_ERROR(CheckCurrency("amount", refund.getAmount(), *grant, Str(refund.getGrantId())));
      if (refund.getKind() == schema::RefundKind::VENDOR_REFUND) {
        if (!refund.hasVendorId()) return FieldError("vendor_id", "a vendor refund needs the vendor");
      }
      if (refund.hasVendorId() && !state.vendors.Contains(Str(refund.getVendorId()))) {
        return FieldError("vendor_id", "vendor " + Quote(refund.getVendorId().cStr()) + " is not registered");
      }
      return CheckDate("date", refund.getDate());
    }
    case Which::REVERSAL: {
      auto reversal = event.getReversal();
      uint64_t target = reversal.getTargetSequence();
      if (target == 0 || target >= sequence) {
        return FieldError("target_sequence", std::to_string(target) +
                                                 " is not an earlier sequence number");
      }
      if (state.reversed.Contains(std::to_string(target))) {
        return FieldError("target_sequence", "event " + std::to_string(target) + " is already reversed");
      }
      auto earlier = lookup_->Find(target);
      if (!earlier) return FieldError("target_sequence", earlier.error().message());
      auto target_event = earlier->event.root();
      if (!Reversible(target_event.which())) {
        return FieldError("target_sequence", "event " + std::to_string(target) + " (" +
                                                 EventTypeName(target_event) +
                                                 ") cannot be reversed; registrations are corrected "
                                                 "by withdrawal or revocation events");
      }
      // The reversing key must be allowed to append the target event itself, or be an admin.
      const KeyRecord* key = state.keys.Find(key_id_hex);
      FT_ASSERT(key != nullptr);
      if (!(key->roles & RoleBit(schema::Role::ADMIN))) {
        Status allowed = CheckPermission(*key, key_id_hex, target_event);
        if (!allowed.ok()) {
          return Status::PermissionDenied("reversal of event " + std::to_string(target) + ": " +
                                          allowed.message());
        }
      }
      if (reversal.getReason().size() == 0) return FieldError("reason", "is empty");
      state.reversed.Put(std::to_string(target), Presence{sequence});
      return Status::Ok();
    }
    case Which::OUTCOME_REGISTERED: {
      auto outcome = event.getOutcomeRegistered();
      FT_RETURN_IF_ERROR(unique(state.outcomes, "outcome_id", outcome.getOutcomeId(), "outcome"));
      if (outcome.hasGrantId() && !state.grants.Contains(Str(outcome.getGrantId()))) {
        return FieldError("grant_id", "grant " + Quote(outcome.getGrantId().cStr()) + " is not registered");
      }
      FT_RETURN_IF_ERROR(CheckShares("owners", outcome.getOwners(), state));
      if (outcome.getOwners().size() == 0) return FieldError("owners", "an outcome needs an owner");
      state.outcomes.Put(Str(outcome.getOutcomeId()), OutcomeRecord{Str(outcome.getGrantId())});
      return Status::Ok();
    }
    case Which::LICENCE_GRANTED: {
      auto licence = event.getLicenceGranted();
      FT_RETURN_IF_ERROR(unique(state.licences, "licence_id", licence.getLicenceId(), "licence"));
      if (!state.outcomes.Contains(Str(licence.getOutcomeId()))) {
        return FieldError("outcome_id", "outcome " + Quote(licence.getOutcomeId().cStr()) + " is not registered");
      }
      if (licence.hasLicenseeOrgId()) FT_RETURN_IF_ERROR(need_org("licensee_org_id", licence.getLicenseeOrgId()));
      state.licences.Put(Str(licence.getLicenceId()), Presence{sequence});
      return Status::Ok();
    }
    case Which::OUTCOME_SHARED: {
      auto shared = event.getOutcomeShared();
      if (!state.outcomes.Contains(Str(shared.getOutcomeId()))) {
        return FieldError("outcome_id", "outcome " + Quote(shared.getOutcomeId().cStr()) + " is not registered");
      }
      if (shared.hasRecipientOrgId()) FT_RETURN_IF_ERROR(need_org("recipient_org_id", shared.getRecipientOrgId()));
      return Status::Ok();
    }
    case Which::REVENUE_DISTRIBUTED: {
      auto revenue = event.getRevenueDistributed();
      if (!state.outcomes.Contains(Str(revenue.getOutcomeId()))) {
        return FieldError("outcome_id", "outcome " + Quote(revenue.getOutcomeId().cStr()) + " is not registered");
      }
      FT_RETURN_IF_ERROR(CheckMoney("total", revenue.getTotal(), false));
      std::string currency = Str(revenue.getTotal().getCurrency());
      int64_t sum = 0;
      auto payments = revenue.getPayments();
      for (size_t i = 0; i < payments.size(); ++i) {
        std::string path = "payments[" + std::to_string(i) + "]";
        FT_RETURN_IF_ERROR(need_org(path + ".org_id", payments[i].getOrgId()));
        FT_RETURN_IF_ERROR(CheckMoney(path + ".amount", payments[i].getAmount(), false));
        if (payments[i].getAmount().getCurrency() != currency.c_str()) {
          return FieldError(path + ".amount", "currency differs from the total's " + currency);
        }
        if (!AddMinorUnits(sum, payments[i].getAmount().getMinorUnits(), &sum)) {
          return FieldError("payments", "sum overflows");
        }
      }
      if (sum != revenue.getTotal().getMinorUnits()) {
        return FieldError("payments", "sum to " + FormatMoneyPlain({sum, currency}) + ", the total is " +
                                          FormatMoneyPlain({revenue.getTotal().getMinorUnits(), currency}));
      }
      return Status::Ok();
    }
    case Which::POLICY_SET: {
      auto policy = event.getPolicySet();
      LedgerMeta meta = *state.ledger();
      if (policy.getVersion() <= meta.policy_version) {
        return FieldError("version", std::to_string(policy.getVersion()) +
                                         " is not above the current policy version " +
                                         std::to_string(meta.policy_version));
      }
      auto document = nlohmann::json::parse(policy.getDocument().cStr(), nullptr, false);
      if (document.is_discarded() || !document.is_object()) {
        return FieldError("document", "is not a JSON object");
      }
      meta.policy_version = policy.getVersion();
      state.meta.Put("ledger", meta);
      return Status::Ok();
    }
    case Which::FLAG_DISPOSITION: {
      auto disposition = event.getFlagDisposition();
      FT_RETURN_IF_ERROR(CheckId("flag_id", disposition.getFlagId()));
      if (disposition.getNote().size() == 0) return FieldError("note", "is empty");
      return Status::Ok();
    }
    case Which::FINDING_RECORDED: {
      auto finding = event.getFindingRecorded();
      FT_RETURN_IF_ERROR(unique(state.findings, "finding_id", finding.getFindingId(), "finding"));
      state.findings.Put(Str(finding.getFindingId()), Presence{sequence});
      return Status::Ok();
    }
    case Which::GRANT_TERMINATED: {
      auto terminated = event.getGrantTerminated();
      const GrantRecord* grant = nullptr;
      FT_RETURN_IF_ERROR(need_grant("grant_id", terminated.getGrantId(), &grant));
      const std::string grant_id = Str(terminated.getGrantId());
      if (const Presence* earlier = state.terminated.Find(grant_id)) {
        return FieldError("grant_id", "grant " + Quote(grant_id) + " was already terminated at sequence " +
                                          std::to_string(earlier->sequence));
      }
      FT_RETURN_IF_ERROR(CheckDate("date", terminated.getDate()));
      if (Days(terminated.getDate()) > grant->period_end_days) {
        return FieldError("date", Str(terminated.getDate()) + " is after the grant's end " +
                                      FormatDate(grant->period_end_days) +
                                      "; a termination ends a grant early");
      }
      if (terminated.getReason().size() == 0) return FieldError("reason", "is empty");
      state.terminated.Put(grant_id, Presence{sequence});
      return Status::Ok();
    }
  }
  return Status::InvalidArgument("unknown event type " + std::to_string(static_cast<int>(event.which())));
}

}  // namespace fundtrail
