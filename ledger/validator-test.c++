#include "ledger/validator.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "ledger/input_rules.h"
#include "ledger/test_util.h"

namespace fundtrail {
namespace {

using nlohmann::json;
using test::kEnterprise;
using test::kFunder;
using test::kFunderOther;
using test::kFundManager;
using test::kSecretariat;
using test::kUniversity;

const std::string kDocumentHash = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

json AgreementJson(const std::string& agreement_id) {
  return {{"type", "agreement_registered"},
          {"agreement_id", agreement_id},
          {"title", "联盟协议"},
          {"document_hash", kDocumentHash},
          {"goals", {"固态电池"}},
          {"tasks", json::array({{{"org_id", kUniversity}, {"description", "材料"}}})},
          {"ownership_shares", json::array({{{"org_id", kUniversity}, {"basis_points", 4000}},
                                            {{"org_id", kEnterprise}, {"basis_points", 6000}}})},
          {"revenue_shares", json::array()},
          {"date", "2024-01-20"}};
}

json OutcomeJson(const std::string& outcome_id, json owners) {
  return {{"type", "outcome_registered"}, {"outcome_id", outcome_id}, {"kind", "patent"},
          {"title", "一种电解质"},        {"grant_id", "G-1"},         {"owners", std::move(owners)},
          {"date", "2025-01-01"}};
}

json Owners(std::vector<std::pair<std::string, int>> shares) {
  json owners = json::array();
  for (const auto& [org, points] : shares) owners.push_back({{"org_id", org}, {"basis_points", points}});
  return owners;
}

json SignedJson(const std::string& org_id) {
  return {{"type", "agreement_signed"}, {"agreement_id", "A-1"}, {"org_id", org_id},
          {"signatory_name", "张伟"}, {"date", "2024-01-21"}};
}

json PolicyJson(uint32_t version, const std::string& document = R"({"max_expert_days": 10})") {
  return {{"type", "policy_set"}, {"version", version}, {"document", document}};
}

json RevenueJson(const std::string& total, json payments) {
  return {{"type", "revenue_distributed"}, {"outcome_id", "O-1"}, {"total", total},
          {"payments", std::move(payments)}, {"date", "2025-04-01"}};
}

json BudgetAdjustedJson(const std::string& grant_id) {
  return {{"type", "budget_adjusted"}, {"grant_id", grant_id},
          {"lines", json::array({{{"category", "testing"}, {"amount", "10.00 CNY"}}})},
          {"approved_by", "科技部"}, {"date", "2024-06-01"}};
}

json FindingJson(const std::string& finding_id) {
  return {{"type", "finding_recorded"}, {"finding_id", finding_id}, {"subject", "grant:G-1"},
          {"severity", "high"}, {"text", "split invoices"}};
}

json FlagJson() {
  return {{"type", "flag_disposition"}, {"flag_id", "F-1"}, {"disposition", "confirmed"}, {"note", "seen"}};
}

json WithdrawnJson(const std::string& org_id, const std::string& date) {
  return {{"type", "member_withdrawn"}, {"org_id", org_id}, {"date", date}};
}

// A validator over an in-memory state, set up with the test alliance's genesis and, after it, a
// project P-1, vendor V-1, agreement A-1, task T-1 (P-1, university), grant G-1 of 1,000,000.00 CNY
// from kFunder, and outcome O-1 of G-1 owned by the university.
class ValidatorTest : public ::testing::Test {
 protected:
  ValidatorTest() : alliance_(keys_.path()) {
    for (const auto& event : alliance_.GenesisEvents()) {
      Status status = ApplyAs(alliance_.operator_key, event, /*genesis=*/true);
      EXPECT_TRUE(status.ok()) << status.message() << "\n" << event.dump();
    }
    std::vector<std::pair<const PrivateKey*, json>> setup = {
        {&alliance_.admin, test::ProjectJson("P-1")},
        {&alliance_.admin, test::VendorJson("V-1")},
        {&alliance_.admin, AgreementJson("A-1")},
        {&alliance_.admin, test::TaskJson("T-1", "P-1", kUniversity)},
        {&alliance_.funder, test::GrantJson("G-1", kFunder, "P-1", 100000000)},
        {&alliance_.admin, OutcomeJson("O-1", Owners({{kUniversity, 10000}}))},
    };
    for (const auto& [key, event] : setup) {
      Status status = ApplyAs(*key, event);
      EXPECT_TRUE(status.ok()) << status.message() << "\n" << event.dump();
    }
  }

  // Validates and applies `event` signed by `key` at the next sequence number.
  Status ApplyAs(const PrivateKey& key, const json& event, bool genesis = false) {
    return ApplyWithKeyId(test::KeyIdHex(key), event, genesis);
  }

  Status ApplyWithKeyId(const std::string& key_id_hex, const json& event, bool genesis = false) {
    std::string canonical = test::MustEncode(event);
    auto decoded = DecodedEvent::Open(canonical, "event");
    EXPECT_TRUE(decoded.has_value());
    if (!decoded) return decoded.error();
    Status status = validator_.Apply(next_sequence_, key_id_hex, genesis, decoded->root());
    if (status.ok()) lookup_.Add(next_sequence_++, canonical, key_id_hex);
    return status;
  }

  // Validates `event` as ApplyAs would, then undoes its effects.
  Status TryAs(const PrivateKey& key, const json& event) { return TryCanonical(key, test::MustEncode(event)); }

  Status TryCanonical(const PrivateKey& key, const std::string& canonical) {
    auto decoded = DecodedEvent::Open(canonical, "event");
    EXPECT_TRUE(decoded.has_value());
    if (!decoded) return decoded.error();
    state_.Begin();
    Status status = validator_.Apply(next_sequence_, test::KeyIdHex(key), false, decoded->root());
    state_.Rollback();
    return status;
  }

  void ExpectDenied(const Status& status, const std::string& message_part) {
    EXPECT_EQ(status.code(), StatusCode::kPermissionDenied) << status.message();
    EXPECT_NE(status.message().find(message_part), std::string::npos) << status.message();
  }

  void ExpectInvalid(const Status& status, const std::string& message_part) {
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.message();
    EXPECT_NE(status.message().find(message_part), std::string::npos) << status.message();
  }

  test::TempDir keys_;
  test::TestAlliance alliance_;
  LedgerState state_;
  test::MemoryEventLookup lookup_;
  Validator validator_{&state_, &lookup_};
  uint64_t next_sequence_ = 1;
};

TEST_F(ValidatorTest, SetupBuiltTheExpectedState) {
  EXPECT_EQ(next_sequence_, alliance_.GenesisEvents().size() + 7);
  ASSERT_NE(state_.ledger(), nullptr);
  EXPECT_EQ(state_.ledger()->alliance_id, "ALLIANCE-PB");
  EXPECT_EQ(state_.keys.size(), 9u);
  EXPECT_TRUE(state_.organisations.Find(kUniversity)->member);
  EXPECT_FALSE(state_.organisations.Find(kSecretariat)->member);
  EXPECT_EQ(state_.grants.Find("G-1")->funder_org_id, kFunder);
  EXPECT_EQ(state_.keys.Find(test::KeyIdHex(alliance_.finance_uni))->roles,
            RoleBit(schema::Role::MEMBER_FINANCE));
}

TEST_F(ValidatorTest, PermissionTable) {
  const std::map<std::string, const PrivateKey*> keys = {
      {"admin", &alliance_.admin},           {"signatory", &alliance_.signatory_uni},
      {"funder", &alliance_.funder},         {"fund_manager", &alliance_.fund_manager},
      {"member_finance", &alliance_.finance_uni}, {"auditor", &alliance_.auditor},
      {"regulator", &alliance_.regulator},
  };
  // Who may append what (docs: DOMAIN.md, "Who is involved"). Each event is valid for every key
  // of an allowed role; member_finance, signatory and funder events act for their own
  // organisation.
  const std::vector<std::pair<json, std::set<std::string>>> table = {
      {test::OrganisationJson("ORG-NEW", "新成员", "enterprise"), {"admin"}},
      {test::MemberAdmittedJson(kSecretariat), {"admin"}},
      {test::KeyRegisteredJson(alliance_.operator_key, kSecretariat, {"auditor"}), {"admin"}},
      {test::VendorJson("V-NEW"), {"admin"}},
      {test::ProjectJson("P-NEW"), {"admin"}},
      {test::TaskJson("T-NEW", "P-1", kEnterprise), {"admin"}},
      {AgreementJson("A-NEW"), {"admin"}},
      {OutcomeJson("O-NEW", Owners({{kEnterprise, 10000}})), {"admin"}},
      {PolicyJson(1), {"admin"}},
      {SignedJson(kUniversity), {"signatory"}},
      {test::GrantJson("G-NEW", kFunder, "P-1"), {"funder"}},
      {BudgetAdjustedJson("G-1"), {"funder"}},
      {test::FundsReceivedJson("G-1", "100.00 CNY"), {"funder", "fund_manager"}},
      {test::FundsDisbursedJson("G-1", kUniversity, "100.00 CNY"), {"fund_manager"}},
      {test::ExpenditureJson("G-1", kUniversity, "V-1", "100.00 CNY"), {"member_finance"}},
      {test::RefundJson("G-1", kUniversity, "100.00 CNY"), {"member_finance", "fund_manager"}},
      {RevenueJson("100.00 CNY", json::array({{{"org_id", kUniversity}, {"amount", "100.00 CNY"}}})),
       {"admin", "fund_manager"}},
      {FindingJson("FIND-NEW"), {"auditor"}},
      {FlagJson(), {"auditor"}},
  };
  for (const auto& [event, allowed] : table) {
    for (const auto& [role, key] : keys) {
      std::string type = event["type"];
      SCOPED_TRACE(type + " by " + role);
      Status status = TryAs(*key, event);
      if (allowed.contains(role)) {
        EXPECT_TRUE(status.ok()) << status.message();
      } else {
        ExpectDenied(status, "may not append " + type + ": it needs one of the roles ");
      }
    }
  }
  // Every TryAs was rolled back: the state is as set up.
  EXPECT_FALSE(state_.vendors.Contains("V-NEW"));
  EXPECT_FALSE(state_.grants.Contains("G-NEW"));
  EXPECT_EQ(state_.ledger()->policy_version, 0u);
}

TEST_F(ValidatorTest, MemberFinanceActsOnlyForItsOwnOrganisation) {
  Status other = TryAs(alliance_.finance_uni, test::ExpenditureJson("G-1", kEnterprise, "V-1", "10.00 CNY"));
  ExpectDenied(other, std::string("organisation \"") + kUniversity + "\", roles member_finance");
  ExpectDenied(other, std::string("role acts only for its own organisation \"") + kUniversity +
                          "\", this event is for \"" + kEnterprise + "\"");
  ExpectDenied(TryAs(alliance_.finance_uni, test::RefundJson("G-1", kEnterprise, "10.00 CNY")), kEnterprise);
  EXPECT_TRUE(TryAs(alliance_.finance_ent, test::ExpenditureJson("G-1", kEnterprise, "V-1", "10.00 CNY")).ok());
  EXPECT_TRUE(TryAs(alliance_.finance_uni, test::RefundJson("G-1", kUniversity, "10.00 CNY")).ok());
  // The fund manager refunds for anyone.
  EXPECT_TRUE(TryAs(alliance_.fund_manager, test::RefundJson("G-1", kEnterprise, "10.00 CNY")).ok());
}

TEST_F(ValidatorTest, FunderActsOnlyForItsOwnGrants) {
  ExpectDenied(TryAs(alliance_.funder_other, BudgetAdjustedJson("G-1")),
               std::string("this event is for \"") + kFunder + "\"");
  ExpectDenied(TryAs(alliance_.funder_other, test::FundsReceivedJson("G-1", "1.00 CNY")), kFunderOther);
  ExpectDenied(TryAs(alliance_.funder_other, test::GrantJson("G-2", kFunder, "P-1")),
               std::string("role acts only for its own organisation \"") + kFunderOther + "\"");
  EXPECT_TRUE(TryAs(alliance_.funder_other, test::GrantJson("G-2", kFunderOther, "P-1")).ok());
  EXPECT_TRUE(TryAs(alliance_.funder, BudgetAdjustedJson("G-1")).ok());
  // The fund manager records receipts for every grant.
  EXPECT_TRUE(TryAs(alliance_.fund_manager, test::FundsReceivedJson("G-1", "1.00 CNY")).ok());
  // A mistyped grant id is reported as such, not as acting for organisation "".
  Status mistyped = TryAs(alliance_.funder, test::FundsReceivedJson("G-TYPO", "1.00 CNY"));
  EXPECT_EQ(mistyped.code(), StatusCode::kInvalidArgument) << mistyped.message();
  EXPECT_NE(mistyped.message().find("grant \"G-TYPO\" is not registered"), std::string::npos) << mistyped.message();
}

TEST_F(ValidatorTest, SignatoryActsOnlyForItsOwnOrganisation) {
  ExpectDenied(TryAs(alliance_.signatory_uni, SignedJson(kEnterprise)),
               std::string("this event is for \"") + kEnterprise + "\"");
  ASSERT_TRUE(ApplyAs(alliance_.signatory_uni, SignedJson(kUniversity)).ok());
  EXPECT_EQ(state_.agreements.Find("A-1")->signed_org_ids, std::set<std::string>{kUniversity});
  ExpectInvalid(TryAs(alliance_.signatory_uni, SignedJson(kUniversity)), "has already signed");
}

TEST_F(ValidatorTest, UnregisteredKey) {
  const std::string stranger(32, 'a');
  Status status = ApplyWithKeyId(stranger, test::VendorJson("V-9"));
  EXPECT_EQ(status.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(status.message(), "key " + stranger + " is not registered in this ledger");
  auto signing = validator_.SigningKey(stranger);
  ASSERT_FALSE(signing.has_value());
  EXPECT_EQ(signing.error().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(signing.error().message().find("is not registered in this ledger"), std::string::npos);
  // The operator key signs the genesis only; it is not an appending key.
  ExpectDenied(ApplyAs(alliance_.operator_key, test::VendorJson("V-9")), "is not registered");
}

TEST_F(ValidatorTest, RevokedKey) {
  const std::string key_id = test::KeyIdHex(alliance_.finance_uni);
  auto before = validator_.SigningKey(key_id);
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(*before, alliance_.finance_uni.public_key().raw());
  ASSERT_TRUE(ApplyAs(alliance_.finance_uni, test::ExpenditureJson("G-1", kUniversity, "V-1", "1.00 CNY")).ok());

  const uint64_t revoked_at = next_sequence_;
  json revoke = {{"type", "key_revoked"}, {"key_id", key_id}, {"reason", "laptop stolen"}};
  ExpectDenied(TryAs(alliance_.finance_uni, revoke), "may not append key_revoked");
  ASSERT_TRUE(ApplyAs(alliance_.admin, revoke).ok());
  EXPECT_EQ(state_.keys.Find(key_id)->revoked_sequence, revoked_at);

  Status after = TryAs(alliance_.finance_uni, test::ExpenditureJson("G-1", kUniversity, "V-1", "1.00 CNY"));
  EXPECT_EQ(after.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(after.message(), "key " + key_id + " was revoked at sequence " + std::to_string(revoked_at));
  auto signing = validator_.SigningKey(key_id);
  ASSERT_FALSE(signing.has_value());
  EXPECT_NE(signing.error().message().find("was revoked at sequence"), std::string::npos);

  ExpectInvalid(TryAs(alliance_.admin, revoke), "was already revoked at sequence " + std::to_string(revoked_at));
  json unknown = {{"type", "key_revoked"}, {"key_id", std::string(32, 'b')}};
  ExpectInvalid(TryAs(alliance_.admin, unknown), "key " + std::string(32, 'b') + " is not registered");
  // Other keys are unaffected.
  EXPECT_TRUE(TryAs(alliance_.finance_ent, test::ExpenditureJson("G-1", kEnterprise, "V-1", "1.00 CNY")).ok());
}

TEST_F(ValidatorTest, UnknownReferences) {
  ExpectInvalid(TryAs(alliance_.finance_uni, test::ExpenditureJson("G-404", kUniversity, "V-1", "1.00 CNY")),
                "field \"grant_id\": grant \"G-404\" is not registered");
  ExpectInvalid(TryAs(alliance_.finance_uni, test::ExpenditureJson("G-1", kUniversity, "V-404", "1.00 CNY")),
                "field \"vendor_id\": vendor \"V-404\" is not registered");
  ExpectInvalid(TryAs(alliance_.fund_manager, test::FundsDisbursedJson("G-1", "NOBODY", "1.00 CNY")),
                "field \"member_org_id\": organisation \"NOBODY\" is not registered");
  ExpectInvalid(TryAs(alliance_.fund_manager, test::FundsDisbursedJson("G-404", kUniversity, "1.00 CNY")),
                "grant \"G-404\" is not registered");
  ExpectInvalid(TryAs(alliance_.funder, test::GrantJson("G-2", kFunder, "P-404")),
                "field \"project_id\": project \"P-404\" is not registered");
  ExpectInvalid(TryAs(alliance_.admin, test::TaskJson("T-2", "P-404", kUniversity)),
                "field \"project_id\": project \"P-404\" is not registered");
  ExpectInvalid(TryAs(alliance_.admin, test::TaskJson("T-2", "P-1", "NOBODY")),
                "field \"org_id\": organisation \"NOBODY\" is not registered");
  json disbursed = test::FundsDisbursedJson("G-1", kUniversity, "1.00 CNY");
  disbursed["task_id"] = "T-404";
  ExpectInvalid(TryAs(alliance_.fund_manager, disbursed), "field \"task_id\": task \"T-404\" is not registered");
  disbursed = test::FundsDisbursedJson("G-1", kEnterprise, "1.00 CNY");
  disbursed["task_id"] = "T-1";
  ExpectInvalid(TryAs(alliance_.fund_manager, disbursed), "belongs to \"" + std::string(kUniversity) + "\"");
  disbursed["member_org_id"] = kUniversity;
  EXPECT_TRUE(TryAs(alliance_.fund_manager, disbursed).ok());
  json signed_unknown = SignedJson(kUniversity);
  signed_unknown["agreement_id"] = "A-404";
  ExpectInvalid(TryAs(alliance_.signatory_uni, signed_unknown), "agreement \"A-404\" is not registered");
  json project = test::ProjectJson("P-2");
  project["agreement_id"] = "A-404";
  ExpectInvalid(TryAs(alliance_.admin, project), "agreement \"A-404\" is not registered");
  json licence = {{"type", "licence_granted"}, {"licence_id", "L-1"}, {"outcome_id", "O-404"},
                  {"licensee_name", "外部公司"}, {"date", "2025-02-01"}};
  ExpectInvalid(TryAs(alliance_.admin, licence), "outcome \"O-404\" is not registered");
  json refund = test::RefundJson("G-1", kUniversity, "1.00 CNY");
  refund["kind"] = "vendor_refund";
  ExpectInvalid(TryAs(alliance_.finance_uni, refund), "a vendor refund needs the vendor");
  refund["vendor_id"] = "V-404";
  ExpectInvalid(TryAs(alliance_.finance_uni, refund), "vendor \"V-404\" is not registered");
  refund["vendor_id"] = "V-1";
  EXPECT_TRUE(TryAs(alliance_.finance_uni, refund).ok());
  json body = {{"type", "governance_body_registered"}, {"body_id", "B-1"}, {"kind", "executive"},
               {"name", "秘书处"}, {"member_org_ids", {kUniversity, "NOBODY"}}, {"date", "2024-01-22"}};
  ExpectInvalid(TryAs(alliance_.admin, body), "field \"member_org_ids[1]\": organisation \"NOBODY\"");
}

TEST_F(ValidatorTest, WrongCurrency) {
  ExpectInvalid(TryAs(alliance_.finance_uni, test::ExpenditureJson("G-1", kUniversity, "V-1", "100.00 USD")),
                "field \"amount\": currency \"USD\" differs from grant \"G-1\"'s currency CNY");
  ExpectInvalid(TryAs(alliance_.fund_manager, test::FundsReceivedJson("G-1", "100 JPY")),
                "currency \"JPY\" differs");
  ExpectInvalid(TryAs(alliance_.fund_manager, test::FundsDisbursedJson("G-1", kUniversity, "1.00 EUR")),
                "currency \"EUR\" differs");
  json adjusted = BudgetAdjustedJson("G-1");
  adjusted["lines"][0]["amount"] = "10.00 USD";
  ExpectInvalid(TryAs(alliance_.funder, adjusted), "field \"lines[0].amount\": currency \"USD\" differs");
  ExpectInvalid(TryAs(alliance_.admin, RevenueJson("100.00 CNY", json::array({{{"org_id", kUniversity},
                                                                                {"amount", "100.00 USD"}}}))),
                "field \"payments[0].amount\": currency differs from the total's CNY");
}

TEST_F(ValidatorTest, GrantBudgetMustSumToTheAward) {
  json grant = test::GrantJson("G-2", kFunder, "P-1", 100000);
  grant["budget"][1]["amount"] = "499.00 CNY";
  ExpectInvalid(TryAs(alliance_.funder, grant),
                "field \"budget\": lines sum to 999.00 CNY, the award is 1000.00 CNY");
  grant["budget"][1]["amount"] = "500.01 CNY";
  ExpectInvalid(TryAs(alliance_.funder, grant), "lines sum to 1000.01 CNY");
  grant["budget"][1]["amount"] = "500.00 CNY";
  EXPECT_TRUE(TryAs(alliance_.funder, grant).ok());
  // One line of zero is allowed beside the lines that carry the award.
  json with_zero = grant;
  with_zero["budget"].push_back({{"category", "indirect"}, {"amount", "0.00 CNY"}});
  EXPECT_TRUE(TryAs(alliance_.funder, with_zero).ok());
  json duplicate = grant;
  duplicate["budget"][1]["category"] = "equipment";
  ExpectInvalid(TryAs(alliance_.funder, duplicate), "field \"budget[1].category\": category appears twice");
  json foreign = grant;
  foreign["budget"][1]["amount"] = "500.00 USD";
  ExpectInvalid(TryAs(alliance_.funder, foreign), "field \"budget[1].amount\": currency \"USD\" differs");
  json backwards = grant;
  backwards["period_end"] = "2024-02-29";
  ExpectInvalid(TryAs(alliance_.funder, backwards), "field \"period_end\": 2024-02-29 precedes period_start 2024-03-01");
  json revenue = RevenueJson("100.00 CNY", json::array({{{"org_id", kUniversity}, {"amount", "60.00 CNY"}},
                                                        {{"org_id", kEnterprise}, {"amount", "30.00 CNY"}}}));
  ExpectInvalid(TryAs(alliance_.admin, revenue), "field \"payments\": sum to 90.00 CNY, the total is 100.00 CNY");
}

TEST_F(ValidatorTest, DuplicateIds) {
  ExpectInvalid(TryAs(alliance_.admin, test::VendorJson("V-1")), "field \"vendor_id\": vendor \"V-1\" already exists");
  ExpectInvalid(TryAs(alliance_.admin, test::ProjectJson("P-1")), "project \"P-1\" already exists");
  ExpectInvalid(TryAs(alliance_.admin, test::TaskJson("T-1", "P-1", kUniversity)), "task \"T-1\" already exists");
  ExpectInvalid(TryAs(alliance_.funder, test::GrantJson("G-1", kFunder, "P-1")), "grant \"G-1\" already exists");
  ExpectInvalid(TryAs(alliance_.admin, AgreementJson("A-1")), "agreement \"A-1\" already exists");
  ExpectInvalid(TryAs(alliance_.admin, OutcomeJson("O-1", Owners({{kUniversity, 10000}}))),
                "outcome \"O-1\" already exists");
  ExpectInvalid(TryAs(alliance_.admin, test::OrganisationJson(kUniversity, "again", "university")),
                "organisation \"" + std::string(kUniversity) + "\" already exists");
  ExpectInvalid(TryAs(alliance_.admin, test::KeyRegisteredJson(alliance_.funder, kFunder, {"funder"})),
                "field \"public_key\": key " + test::KeyIdHex(alliance_.funder) + " is already registered");
  ASSERT_TRUE(ApplyAs(alliance_.auditor, FindingJson("FIND-1")).ok());
  ExpectInvalid(TryAs(alliance_.auditor, FindingJson("FIND-1")), "finding \"FIND-1\" already exists");
  // Duplicates within one batch: the second sees the first's effect.
  state_.Begin();
  ASSERT_TRUE(ApplyAs(alliance_.admin, test::VendorJson("V-2")).ok());
  ExpectInvalid(ApplyAs(alliance_.admin, test::VendorJson("V-2")), "vendor \"V-2\" already exists");
  state_.Rollback();
  EXPECT_FALSE(state_.vendors.Contains("V-2"));
}

TEST_F(ValidatorTest, IdentifiersArePrintableAndShort) {
  ExpectInvalid(TryAs(alliance_.admin, test::VendorJson("V 1")), "field \"vendor_id\": \"V 1\" contains a space");
  ExpectInvalid(TryAs(alliance_.admin, test::VendorJson(std::string(65, 'v'))), "is longer than 64 bytes");
  EXPECT_TRUE(TryAs(alliance_.admin, test::VendorJson(std::string(64, 'v'))).ok());
  EXPECT_TRUE(TryAs(alliance_.admin, test::VendorJson("供应商-7")).ok());
}

// Events built directly, as a client of the raw append API could send them (JSON is always UTF-8).
std::string VendorWithRawId(const std::string& vendor_id) {
  capnp::MallocMessageBuilder message;
  auto vendor = message.initRoot<schema::Event>().initVendorRegistered();
  vendor.setVendorId(capnp::Text::Reader(vendor_id.data(), vendor_id.size()));
  vendor.setName("供应商");
  vendor.setTaxId("TAX-1");
  return CanonicalBytes(message.getRoot<schema::Event>().asReader());
}

TEST_F(ValidatorTest, IdsAndNamesKeptInTheStateMustBeUtf8) {
  // Regression: state rows are JSON, which cannot hold other bytes (Append threw).
  for (const std::string bad : {"V-\xff", "V-\x80", "V-\xe4\xb8", "V-\xc0\xaf", "V-\xed\xa0\x80", "V-\xf4\x90\x80\x80",
                                "V-\xf8\x88\x80\x80\x80"}) {
    ExpectInvalid(TryCanonical(alliance_.admin, VendorWithRawId(bad)), "field \"vendor_id\": is not valid UTF-8");
  }
  for (const std::string good : {"V-\xe4\xb8\xad", "V-\xc3\xa9", "V-\xf0\x9f\x94\x8b", "V-\xef\xbf\xbd", "V-\xf4\x8f\xbf\xbf"}) {
    EXPECT_TRUE(TryCanonical(alliance_.admin, VendorWithRawId(good)).ok()) << test::Hex(good);
  }
  capnp::MallocMessageBuilder message;
  auto org = message.initRoot<schema::Event>().initOrganisationRegistered();
  org.setOrgId("ORG-RAW");
  org.setName(capnp::Text::Reader("bad \xfe name", 10));
  org.setLegalRepresentative("张伟");
  ExpectInvalid(TryCanonical(alliance_.admin, CanonicalBytes(message.getRoot<schema::Event>().asReader())),
                "field \"name\": is not valid UTF-8");
}

TEST_F(ValidatorTest, SharesMustSumTo10000) {
  ExpectInvalid(TryAs(alliance_.admin, OutcomeJson("O-2", Owners({{kUniversity, 5000}, {kEnterprise, 4000}}))),
                "field \"owners\": shares sum to 9000 basis points, they must sum to 10000 (100%)");
  ExpectInvalid(TryAs(alliance_.admin, OutcomeJson("O-2", Owners({{kUniversity, 5000}, {kEnterprise, 5001}}))),
                "shares sum to 10001 basis points");
  ExpectInvalid(TryAs(alliance_.admin, OutcomeJson("O-2", Owners({{kUniversity, 5000}, {kUniversity, 5000}}))),
                "field \"owners[1].org_id\": organisation \"" + std::string(kUniversity) + "\" appears twice");
  ExpectInvalid(TryAs(alliance_.admin, OutcomeJson("O-2", Owners({{"NOBODY", 10000}}))),
                "field \"owners[0].org_id\": organisation \"NOBODY\" is not registered");
  ExpectInvalid(TryAs(alliance_.admin, OutcomeJson("O-2", json::array())), "an outcome needs an owner");
  EXPECT_TRUE(TryAs(alliance_.admin, OutcomeJson("O-2", Owners({{kUniversity, 5000}, {kEnterprise, 5000}}))).ok());
  json agreement = AgreementJson("A-2");
  agreement["revenue_shares"] = Owners({{kUniversity, 9999}});
  ExpectInvalid(TryAs(alliance_.admin, agreement), "field \"revenue_shares\": shares sum to 9999");
  agreement["revenue_shares"] = Owners({{kUniversity, 10000}});
  EXPECT_TRUE(TryAs(alliance_.admin, agreement).ok());
  json bad_hash = AgreementJson("A-2");
  bad_hash["document_hash"] = "abcd";
  ExpectInvalid(TryAs(alliance_.admin, bad_hash), "must be a 32-byte SHA-256 digest");
}

TEST_F(ValidatorTest, UnifiedSocialCreditCodeCheckCharacter) {
  const std::string valid = "91440300708461136T";
  EXPECT_TRUE(TryAs(alliance_.admin, test::OrganisationJson(valid, "深圳企业", "enterprise")).ok());
  // Every single-character change of a valid code is caught by its check character (GB 32100).
  const std::string alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  int changes = 0;
  for (size_t position = 0; position < valid.size(); ++position) {
    for (char replacement : alphabet) {
      if (replacement == valid[position]) continue;
      std::string changed = valid;
      changed[position] = replacement;
      Status status = TryAs(alliance_.admin, test::OrganisationJson(changed, "深圳企业", "enterprise"));
      ASSERT_EQ(status.code(), StatusCode::kInvalidArgument) << changed;
      ASSERT_NE(status.message().find("looks like a unified social credit code but its check character is wrong"),
                std::string::npos)
          << status.message();
      ++changes;
    }
  }
  EXPECT_EQ(changes, 18 * 30);
  Status last = TryAs(alliance_.admin, test::OrganisationJson("91440300708461136U", "x", "enterprise"));
  EXPECT_NE(last.message().find("(expected T)"), std::string::npos) << last.message();
  // Letters outside the code's alphabet (I, O, S, V, Z) cannot form a valid code.
  ExpectInvalid(TryAs(alliance_.admin, test::OrganisationJson("9144030070846113OT", "x", "enterprise")),
                "check character is wrong");
  // Ids that do not look like a code are accepted as they are.
  for (const char* id : {"ENT-1", "91440300708461136", "91440300708461136t", "914403007084611360X"}) {
    EXPECT_TRUE(TryAs(alliance_.admin, test::OrganisationJson(id, "x", "enterprise")).ok()) << id;
  }
}

TEST_F(ValidatorTest, ReversalRules) {
  const uint64_t spent = next_sequence_;
  ASSERT_TRUE(ApplyAs(alliance_.finance_uni, test::ExpenditureJson("G-1", kUniversity, "V-1", "9.00 CNY")).ok());
  const uint64_t disbursed = next_sequence_;
  ASSERT_TRUE(ApplyAs(alliance_.fund_manager, test::FundsDisbursedJson("G-1", kUniversity, "9.00 CNY")).ok());

  // Not an earlier event.
  for (uint64_t target : {uint64_t{0}, next_sequence_, next_sequence_ + 1, uint64_t{UINT64_MAX}}) {
    ExpectInvalid(TryAs(alliance_.admin, test::ReversalJson(target)),
                  "field \"target_sequence\": " + std::to_string(target) + " is not an earlier sequence number");
  }
  // Registrations are not reversible (V-1 was registered by the setup; find its sequence).
  uint64_t vendor_sequence = state_.vendors.Find("V-1")->sequence;
  ExpectInvalid(TryAs(alliance_.admin, test::ReversalJson(vendor_sequence)),
                "event " + std::to_string(vendor_sequence) + " (vendor_registered) cannot be reversed");
  ExpectInvalid(TryAs(alliance_.admin, test::ReversalJson(1)), "(ledger_genesis) cannot be reversed");

  // Permission follows the target: another member's finance key, the auditor and the fund
  // manager may not reverse the university's expenditure.
  ExpectDenied(TryAs(alliance_.finance_ent, test::ReversalJson(spent)),
               "reversal of event " + std::to_string(spent) + ": key " + test::KeyIdHex(alliance_.finance_ent));
  ExpectDenied(TryAs(alliance_.finance_ent, test::ReversalJson(spent)), "this event is for \"" + std::string(kUniversity));
  ExpectDenied(TryAs(alliance_.auditor, test::ReversalJson(spent)), "may not append expenditure_recorded");
  ExpectDenied(TryAs(alliance_.fund_manager, test::ReversalJson(spent)), "reversal of event");
  ExpectDenied(TryAs(alliance_.finance_uni, test::ReversalJson(disbursed)), "may not append funds_disbursed");
  EXPECT_TRUE(TryAs(alliance_.admin, test::ReversalJson(spent)).ok()) << "an admin reverses anything reversible";
  EXPECT_TRUE(TryAs(alliance_.fund_manager, test::ReversalJson(disbursed)).ok());

  const uint64_t reversal = next_sequence_;
  ASSERT_TRUE(ApplyAs(alliance_.finance_uni, test::ReversalJson(spent)).ok());
  EXPECT_EQ(state_.reversed.Find(std::to_string(spent))->sequence, reversal);
  ExpectInvalid(TryAs(alliance_.admin, test::ReversalJson(spent)),
                "event " + std::to_string(spent) + " is already reversed");
  ExpectInvalid(TryAs(alliance_.admin, test::ReversalJson(reversal)), "(reversal) cannot be reversed");
}

TEST_F(ValidatorTest, ReversalOfAnEventTheLookupCannotFind) {
  // The verifier's lookup reads the store; a missing target is an error, not a crash.
  test::MemoryEventLookup empty;
  Validator validator(&state_, &empty);
  auto event = DecodedEvent::Open(test::MustEncode(test::ReversalJson(3)), "event");
  ASSERT_TRUE(event.has_value());
  Status status = validator.Apply(next_sequence_, test::KeyIdHex(alliance_.admin), false, event->root());
  ExpectInvalid(status, "field \"target_sequence\": there is no event 3");
}

TEST_F(ValidatorTest, MemberAdmissionAndWithdrawal) {
  ExpectInvalid(TryAs(alliance_.admin, test::MemberAdmittedJson(kUniversity)),
                "field \"org_id\": \"" + std::string(kUniversity) + "\" is already a member");
  ExpectInvalid(TryAs(alliance_.admin, WithdrawnJson(kSecretariat, "2024-06-01")),
                "\"" + std::string(kSecretariat) + "\" is not a member");
  ExpectInvalid(TryAs(alliance_.admin, test::MemberAdmittedJson("NOBODY")), "organisation \"NOBODY\" is not registered");
  ExpectInvalid(TryAs(alliance_.admin, WithdrawnJson(kUniversity, "2024-01-14")),
                "field \"date\": 2024-01-14 precedes the admission on 2024-01-15");

  ASSERT_TRUE(ApplyAs(alliance_.admin, WithdrawnJson(kUniversity, "2025-01-01")).ok());
  const OrganisationRecord* org = state_.organisations.Find(kUniversity);
  EXPECT_FALSE(org->member);
  EXPECT_TRUE(org->ever_admitted);
  EXPECT_EQ(FormatDate(org->withdrawn_days), "2025-01-01");
  ExpectInvalid(TryAs(alliance_.admin, WithdrawnJson(kUniversity, "2025-02-01")), "is not a member");

  ExpectInvalid(TryAs(alliance_.admin, test::MemberAdmittedJson(kUniversity, "2024-12-31")),
                "field \"date\": readmission on 2024-12-31 precedes the withdrawal on 2025-01-01");
  ASSERT_TRUE(ApplyAs(alliance_.admin, test::MemberAdmittedJson(kUniversity, "2025-01-01")).ok());
  EXPECT_TRUE(state_.organisations.Find(kUniversity)->member);
  EXPECT_EQ(FormatDate(state_.organisations.Find(kUniversity)->admitted_days), "2025-01-01");
  // A member never admitted may be admitted at any date.
  EXPECT_TRUE(TryAs(alliance_.admin, test::MemberAdmittedJson(kSecretariat, "1999-01-01")).ok());
}

TEST_F(ValidatorTest, PolicyVersionMustIncrease) {
  ExpectInvalid(TryAs(alliance_.admin, PolicyJson(0)), "field \"version\": 0 is not above the current policy version 0");
  ASSERT_TRUE(ApplyAs(alliance_.admin, PolicyJson(1)).ok());
  EXPECT_EQ(state_.ledger()->policy_version, 1u);
  ExpectInvalid(TryAs(alliance_.admin, PolicyJson(1)), "1 is not above the current policy version 1");
  ASSERT_TRUE(ApplyAs(alliance_.admin, PolicyJson(3)).ok());
  ExpectInvalid(TryAs(alliance_.admin, PolicyJson(2)), "2 is not above the current policy version 3");
  for (const char* document : {"not json", "[1, 2]", "\"text\"", "7", "{\"unclosed\": "}) {
    ExpectInvalid(TryAs(alliance_.admin, PolicyJson(4, document)), "field \"document\": is not a JSON object");
  }
  EXPECT_TRUE(TryAs(alliance_.admin, PolicyJson(4, "{}")).ok());
  EXPECT_EQ(state_.ledger()->policy_version, 3u);
}

TEST_F(ValidatorTest, KeyRegistrationChecks) {
  json key = test::KeyRegisteredJson(alliance_.operator_key, kUniversity, {"member_finance", "signatory"});
  EXPECT_TRUE(TryAs(alliance_.admin, key).ok());
  json short_key = key;
  short_key["public_key"] = "abcd";
  ExpectInvalid(TryAs(alliance_.admin, short_key), "field \"public_key\": an Ed25519 public key has 32 bytes, this one has 2");
  json no_roles = key;
  no_roles["roles"] = json::array();
  ExpectInvalid(TryAs(alliance_.admin, no_roles), "field \"roles\": a key needs at least one role");
  json twice = key;
  twice["roles"] = {"auditor", "auditor"};
  ExpectInvalid(TryAs(alliance_.admin, twice), "field \"roles\": a role appears twice");
  json nobody = key;
  nobody["org_id"] = "NOBODY";
  ExpectInvalid(TryAs(alliance_.admin, nobody), "organisation \"NOBODY\" is not registered");
  // A key with two roles may act in both.
  ASSERT_TRUE(ApplyAs(alliance_.admin, key).ok());
  EXPECT_TRUE(TryAs(alliance_.operator_key, SignedJson(kUniversity)).ok());
  EXPECT_TRUE(TryAs(alliance_.operator_key, test::ExpenditureJson("G-1", kUniversity, "V-1", "1.00 CNY")).ok());
  ExpectDenied(TryAs(alliance_.operator_key, test::VendorJson("V-7")), "roles signatory, member_finance");
}

TEST(ValidatorGenesisTest, LedgerGenesisOnlyAtSequenceOne) {
  test::TempDir keys;
  test::TestAlliance alliance(keys.path());
  auto events = alliance.GenesisEvents();
  const std::string operator_id = test::KeyIdHex(alliance.operator_key);
  auto apply = [](Validator& validator, uint64_t sequence, const std::string& key_id, bool genesis,
                  const json& event) {
    auto decoded = DecodedEvent::Open(test::MustEncode(event), "event");
    EXPECT_TRUE(decoded.has_value());
    return validator.Apply(sequence, key_id, genesis, decoded->root());
  };
  {
    LedgerState state;
    Validator validator(&state, nullptr);
    Status first = apply(validator, 1, operator_id, true, events[1]);
    EXPECT_EQ(first.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(first.message(), "the first event of a ledger must be ledger_genesis");
  }
  {
    LedgerState state;
    Validator validator(&state, nullptr);
    ASSERT_TRUE(apply(validator, 1, operator_id, true, events[0]).ok());
    Status again = apply(validator, 2, operator_id, true, events[0]);
    EXPECT_EQ(again.message(), "ledger_genesis may only be the first event");
    Status later = apply(validator, 2, operator_id, false, events[0]);
    EXPECT_EQ(later.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(later.message(), "ledger_genesis may only be the first event of a ledger");
    // The genesis submission founds the alliance and nothing else.
    Status vendor = apply(validator, 2, operator_id, true, test::VendorJson("V-1"));
    EXPECT_EQ(vendor.code(), StatusCode::kPermissionDenied);
    EXPECT_EQ(vendor.message(), "the genesis submission may not contain vendor_registered");
    EXPECT_TRUE(apply(validator, 2, operator_id, true, events[1]).ok());
  }
  {
    // Signed by a key other than the operator key it declares.
    LedgerState state;
    Validator validator(&state, nullptr);
    Status other = apply(validator, 1, test::KeyIdHex(alliance.admin), true, events[0]);
    EXPECT_EQ(other.code(), StatusCode::kPermissionDenied);
    EXPECT_EQ(other.message(), "the genesis submission must be signed by the operator key " + operator_id);
    EXPECT_EQ(state.ledger(), nullptr);
  }
  {
    LedgerState state;
    Validator validator(&state, nullptr);
    json short_id = events[0];
    short_id["ledger_id"] = "0011";
    EXPECT_EQ(apply(validator, 1, operator_id, true, short_id).message(), "field \"ledger_id\": must be 16 bytes");
    json bad_alliance = events[0];
    bad_alliance["alliance_id"] = "A B";
    EXPECT_NE(apply(validator, 1, operator_id, true, bad_alliance).message().find("field \"alliance_id\""),
              std::string::npos);
  }
}

TEST(ValidatorRolesTest, RoleNames) {
  EXPECT_EQ(RoleNames(0), "none");
  EXPECT_EQ(RoleNames(RoleBit(schema::Role::ADMIN)), "admin");
  EXPECT_EQ(RoleNames(RoleBit(schema::Role::MEMBER_FINANCE) | RoleBit(schema::Role::FUND_MANAGER)),
            "fund_manager, member_finance");
  EXPECT_EQ(RoleBit(schema::Role::REGULATOR), 1u << 6);
}

}  // namespace
}  // namespace fundtrail

namespace fundtrail {
namespace {

// Validation version 2 (ledger/input_rules.h): every Text of any event, at any depth, and every
// amount. Version 1, that of ledgers written before it, keeps accepting what it accepted.
TEST_F(ValidatorTest, Version2RefusesBidiOverridesControlCharactersAndAmountsBeyondTheLimit) {
  json bidi = test::ExpenditureJson("G-1", kUniversity, "V-1", "100.00 CNY");
  bidi["description"] = "设备\u202e款";  // RIGHT-TO-LEFT OVERRIDE, after 6 bytes
  json control = test::ExpenditureJson("G-1", kUniversity, "V-1", "100.00 CNY");
  control["requester"] = "李\u0085娜";  // NEXT LINE, a C1 control
  json huge = test::ExpenditureJson("G-1", kUniversity, "V-1", "1000000000000.01 CNY");
  json largest = test::ExpenditureJson("G-1", kUniversity, "V-1", "1000000000000.00 CNY");
  json nested = BudgetAdjustedJson("G-1");
  nested["lines"][0]["amount"] = "2000000000000.00 CNY";
  json line_breaks = test::ExpenditureJson("G-1", kUniversity, "V-1", "100.00 CNY");
  line_breaks["description"] = "正极材料\t样品\n第二批";

  for (const json* event : {&bidi, &control, &huge, &largest, &line_breaks}) {
    Status status = TryAs(alliance_.finance_uni, *event);
    EXPECT_TRUE(status.ok()) << "version 1 accepts " << event->dump() << ": " << status.message();
  }
  validator_.set_validation_version(2);
  ExpectInvalid(TryAs(alliance_.finance_uni, bidi),
                "field \"description\": contains the bidirectional formatting character U+202E at byte 6");
  ExpectInvalid(TryAs(alliance_.finance_uni, control), "field \"requester\": contains the control character U+0085");
  ExpectInvalid(TryAs(alliance_.finance_uni, huge),
                "field \"amount\": 1,000,000,000,000.01 CNY exceeds the limit of 1,000,000,000,000.00 CNY");
  ExpectInvalid(TryAs(alliance_.funder, nested), "field \"lines[0].amount\": 2,000,000,000,000.00 CNY exceeds");
  EXPECT_TRUE(TryAs(alliance_.finance_uni, largest).ok());
  EXPECT_TRUE(TryAs(alliance_.finance_uni, line_breaks).ok());
}

}  // namespace
}  // namespace fundtrail

namespace fundtrail {
namespace {

// Regression (the `event` fuzz target, UndefinedBehaviorSanitizer): a canonical event may carry a
// budget category that is no enumerant of the schema; it used to shift a bit by 107.
TEST_F(ValidatorTest, AnUnknownBudgetCategoryIsRefused) {
  std::string canonical = test::MustEncode(BudgetAdjustedJson("G-1"));
  auto decoded = DecodedEvent::Open(canonical, "event");
  ASSERT_TRUE(decoded.has_value());
  capnp::MallocMessageBuilder message;
  message.setRoot(decoded->root());
  auto adjusted = message.getRoot<schema::Event>().getBudgetAdjusted();
  adjusted.getLines()[0].setCategory(static_cast<schema::BudgetCategory>(107));
  ExpectInvalid(TryCanonical(alliance_.funder, CanonicalBytes(message.getRoot<schema::Event>().asReader())),
                "field \"lines[0].category\": unknown budget category 107");
}


// ---------------------------------------------------------------------------------------------
// What docs/FORMAT.md section 5 says a second verifier must do to agree byte for byte.

// "Space" is the byte 0x20 only and "control character" the bytes 0x00-0x1F and 0x7F: Unicode
// spaces pass the identifier rule; C1 controls pass it under version 1 and fail version 2's Text rule.
TEST_F(ValidatorTest, IdentifierByteClassesAreThoseOfFormatSection5) {
  for (const std::string refused : {"V\x01" "1", "V\t1", "V\n1", "V\x1f" "1", "V 1", "V\x7f" "1"}) {
    ExpectInvalid(TryCanonical(alliance_.admin, VendorWithRawId(refused)), "contains a space or control character");
  }
  const std::string nbsp = "V\xc2\xa0" "1";          // U+00A0 NO-BREAK SPACE
  const std::string ideographic = "V\xe3\x80\x80" "1";  // U+3000 IDEOGRAPHIC SPACE
  const std::string next_line = "V\xc2\x85" "1";      // U+0085 NEXT LINE, a C1 control
  const std::string bidi = "V\xe2\x80\xae" "1";       // U+202E RIGHT-TO-LEFT OVERRIDE
  for (const std::string& id : {nbsp, ideographic, next_line, bidi}) {
    EXPECT_TRUE(TryCanonical(alliance_.admin, VendorWithRawId(id)).ok()) << "version 1 accepts " << test::Hex(id);
  }
  validator_.set_validation_version(2);
  EXPECT_TRUE(TryCanonical(alliance_.admin, VendorWithRawId(nbsp)).ok());
  EXPECT_TRUE(TryCanonical(alliance_.admin, VendorWithRawId(ideographic)).ok());
  ExpectInvalid(TryCanonical(alliance_.admin, VendorWithRawId(next_line)),
                "field \"vendor_id\": contains the control character U+0085");
  ExpectInvalid(TryCanonical(alliance_.admin, VendorWithRawId(bidi)),
                "field \"vendor_id\": contains the bidirectional formatting character U+202E");
}

// Under version 1 a replay does not check Text beyond the rules of section 5: an empty required
// name and a carriage return pass (the writer's JSON input refuses both); version 2 refuses the
// carriage return.
TEST_F(ValidatorTest, Version1ChecksNoOtherTextThanFormatSection5Lists) {
  capnp::MallocMessageBuilder message;
  auto vendor = message.initRoot<schema::Event>().initVendorRegistered();
  vendor.setVendorId("V-CR");
  vendor.setName("");
  vendor.setTaxId("TAX\r1");
  const std::string canonical = CanonicalBytes(message.getRoot<schema::Event>().asReader());
  EXPECT_TRUE(TryCanonical(alliance_.admin, canonical).ok());
  validator_.set_validation_version(2);
  ExpectInvalid(TryCanonical(alliance_.admin, canonical), "field \"tax_id\": contains the control character U+000D");
}

// References ask that an organisation is registered, not that it is a member now.
TEST_F(ValidatorTest, AWithdrawnMemberMayStillBeDisbursedToAndSpend) {
  ASSERT_TRUE(ApplyAs(alliance_.admin, WithdrawnJson(kUniversity, "2025-01-01")).ok());
  ASSERT_FALSE(state_.organisations.Find(kUniversity)->member);
  EXPECT_TRUE(TryAs(alliance_.fund_manager, test::FundsDisbursedJson("G-1", kUniversity, "9.00 CNY")).ok());
  EXPECT_TRUE(TryAs(alliance_.finance_uni, test::ExpenditureJson("G-1", kUniversity, "V-1", "9.00 CNY")).ok());
  // kSecretariat was registered by the genesis and never admitted: a disbursement to it is valid too.
  ASSERT_FALSE(state_.organisations.Find(kSecretariat)->ever_admitted);
  EXPECT_TRUE(TryAs(alliance_.fund_manager, test::FundsDisbursedJson("G-1", kSecretariat, "9.00 CNY")).ok());
}

// An adjustment's lines are the new amounts of the lines it lists: they need not sum to the award.
TEST_F(ValidatorTest, AdjustedBudgetLinesNeedNotSumToTheAward) {
  json adjusted = BudgetAdjustedJson("G-1");  // one line of 10.00 CNY; the award is 1,000,000.00 CNY
  EXPECT_TRUE(TryAs(alliance_.funder, adjusted).ok());
  adjusted["lines"][0]["amount"] = "0.00 CNY";
  EXPECT_TRUE(TryAs(alliance_.funder, adjusted).ok()) << "a line may be set to zero";
  adjusted["lines"] = json::array();
  ExpectInvalid(TryAs(alliance_.funder, adjusted), "field \"lines\": is empty");
  adjusted["lines"] = json::array({{{"category", "testing"}, {"amount", "1.00 CNY"}},
                                   {{"category", "testing"}, {"amount", "2.00 CNY"}}});
  ExpectInvalid(TryAs(alliance_.funder, adjusted), "field \"lines[1].category\": category appears twice");
}



// ----- Validation version 4: the events and fields that reality needs.

json TerminatedJson(const std::string& grant_id, const std::string& date = "2025-06-30") {
  return {{"type", "grant_terminated"}, {"grant_id", grant_id}, {"date", date},
          {"reason", "中期评估不合格"}};
}

json ForeignExpenditureJson(const std::string& amount, const std::string& original,
                            const std::string& rate) {
  json event = test::ExpenditureJson("G-1", kUniversity, "V-1", amount);
  event["original_amount"] = original;
  event["exchange_rate"] = rate;
  return event;
}

class ValidatorVersion4Test : public ValidatorTest {
 protected:
  ValidatorVersion4Test() { validator_.set_validation_version(kValidationVersionEvents); }
};

TEST_F(ValidatorVersion4Test, TheFundManagerAdjustsTheBudget) {
  json adjusted = BudgetAdjustedJson("G-1");
  EXPECT_TRUE(TryAs(alliance_.fund_manager, adjusted).ok());
  EXPECT_TRUE(TryAs(alliance_.funder, adjusted).ok());
  ExpectDenied(TryAs(alliance_.funder_other, adjusted), "acts only for its own organisation");
  // Budget lines belong to the grant, not to a member's task: a member's finance office does not
  // adjust them.
  ExpectDenied(TryAs(alliance_.finance_uni, adjusted), "it needs one of the roles funder, fund_manager");
  adjusted["funder_approval_reference"] = "国科发资〔2024〕12号";
  EXPECT_TRUE(TryAs(alliance_.fund_manager, adjusted).ok());
}

TEST_F(ValidatorVersion4Test, EarlierVersionsRefuseWhatVersion4Added) {
  validator_.set_validation_version(kValidationVersionViews);
  ExpectDenied(TryAs(alliance_.fund_manager, BudgetAdjustedJson("G-1")), "it needs one of the roles funder");
  json adjusted = BudgetAdjustedJson("G-1");
  adjusted["funder_approval_reference"] = "国科发资〔2024〕12号";
  ExpectInvalid(TryAs(alliance_.funder, adjusted),
                "field \"funder_approval_reference\" needs validation version 4; this submission is of version 3");
  ExpectInvalid(TryAs(alliance_.funder, TerminatedJson("G-1")), "grant_terminated needs validation version 4");
  json spent = test::ExpenditureJson("G-1", kUniversity, "V-1", "100.00 CNY");
  spent["invoice_total"] = "300.00 CNY";
  ExpectInvalid(TryAs(alliance_.finance_uni, spent), "field \"invoice_total\" needs validation version 4");
  ExpectInvalid(TryAs(alliance_.finance_uni, ForeignExpenditureJson("726.22 CNY", "100.00 USD", "7.2622")),
                "field \"original_amount\" needs validation version 4");
}

TEST_F(ValidatorVersion4Test, GrantTerminated) {
  ExpectDenied(TryAs(alliance_.funder_other, TerminatedJson("G-1")), "acts only for its own organisation");
  ExpectDenied(TryAs(alliance_.fund_manager, TerminatedJson("G-1")), "it needs one of the roles admin, funder");
  EXPECT_TRUE(TryAs(alliance_.admin, TerminatedJson("G-1")).ok());
  ExpectInvalid(TryAs(alliance_.funder, TerminatedJson("G-9")), "grant \"G-9\" is not registered");
  ExpectInvalid(TryAs(alliance_.funder, TerminatedJson("G-1", "2026-03-01")),
                "2026-03-01 is after the grant's end 2026-02-28");
  const Digest before = state_.ComputeDigest();
  const uint64_t sequence = next_sequence_;
  ASSERT_TRUE(ApplyAs(alliance_.funder, TerminatedJson("G-1")).ok());
  EXPECT_EQ(state_.terminated.Find("G-1")->sequence, sequence);
  EXPECT_NE(state_.ComputeDigest(), before);
  ExpectInvalid(TryAs(alliance_.funder, TerminatedJson("G-1", "2025-07-01")),
                "grant \"G-1\" was already terminated at sequence " + std::to_string(sequence));
  // A termination is a formal act, corrected by no reversal (like a registration).
  ExpectInvalid(TryAs(alliance_.admin, test::ReversalJson(sequence, "typo")), "cannot be reversed");
}

TEST_F(ValidatorVersion4Test, AnEmptyTerminatedTableLeavesTheStateDigestAsBefore) {
  // The digest covers the table only once it has a row (docs/FORMAT.md, section 5): the same
  // state with the table hashed while empty would differ.
  Sha256 without;
  without.Update(std::string_view("FTSTATE1"));
  std::vector<const StateTableBase*> tables = {&state_.agreements, &state_.bodies, &state_.findings,
                                               &state_.grants,     &state_.keys,   &state_.licences,
                                               &state_.meta,       &state_.organisations,
                                               &state_.outcomes,   &state_.projects, &state_.reversed,
                                               &state_.tasks,      &state_.vendors};
  for (const auto* table : tables) table->HashInto(without);
  EXPECT_EQ(state_.ComputeDigest(), without.Finish());
}

TEST_F(ValidatorVersion4Test, ForeignPaymentConvertsExactly) {
  // 100.00 USD x 7.2622 = 726.22 CNY.
  EXPECT_TRUE(TryAs(alliance_.finance_uni, ForeignExpenditureJson("726.22 CNY", "100.00 USD", "7.2622")).ok());
  // 0.03 USD x 0.5 = 0.015 CNY: a tie, rounded half to even to 0.02 (0.01 and 0.03 refused).
  EXPECT_TRUE(TryAs(alliance_.finance_uni, ForeignExpenditureJson("0.02 CNY", "0.03 USD", "0.5")).ok());
  ExpectInvalid(TryAs(alliance_.finance_uni, ForeignExpenditureJson("0.01 CNY", "0.03 USD", "0.5")),
                "field \"amount\": 0.01 CNY is not original_amount x exchange_rate (0.03 USD x 0.5 = 0.02 CNY, "
                "rounded half to even)");
  // 10000 JPY x 0.0482 = 482.00 CNY.
  EXPECT_TRUE(TryAs(alliance_.finance_uni, ForeignExpenditureJson("482.00 CNY", "10000 JPY", "0.0482")).ok());
  ExpectInvalid(TryAs(alliance_.finance_uni, ForeignExpenditureJson("726.23 CNY", "100.00 USD", "7.2622")),
                "correct the amount or the rate");
  ExpectInvalid(TryAs(alliance_.finance_uni, ForeignExpenditureJson("726.22 CNY", "100.00 USD", "7,2622")),
                "field \"exchange_rate\": exchange rate \"7,2622\" contains ,");
  ExpectInvalid(TryAs(alliance_.finance_uni, ForeignExpenditureJson("100.00 CNY", "100.00 CNY", "1")),
                "is in the grant's own currency CNY");
  ExpectInvalid(TryAs(alliance_.finance_uni, ForeignExpenditureJson("100.00 CNY", "1000000000000.00 USD", "999999999999.999999")),
                "overflows");
  json missing_rate = test::ExpenditureJson("G-1", kUniversity, "V-1", "726.22 CNY");
  missing_rate["original_amount"] = "100.00 USD";
  ExpectInvalid(TryAs(alliance_.finance_uni, missing_rate),
                "field \"exchange_rate\": is missing: original_amount and exchange_rate go together");
}

TEST_F(ValidatorVersion4Test, InvoiceTotal) {
  json spent = test::ExpenditureJson("G-1", kUniversity, "V-1", "100.00 CNY");
  spent["invoice_total"] = "300.00 CNY";
  EXPECT_TRUE(TryAs(alliance_.finance_uni, spent).ok());
  spent["invoice_total"] = "100.00 CNY";  // the whole invoice on this grant
  EXPECT_TRUE(TryAs(alliance_.finance_uni, spent).ok());
  spent["invoice_total"] = "99.99 CNY";
  ExpectInvalid(TryAs(alliance_.finance_uni, spent), "99.99 CNY is less than the amount 100.00 CNY charged on it");
  spent["invoice_total"] = "300.00 USD";
  ExpectInvalid(TryAs(alliance_.finance_uni, spent), "currency \"USD\" differs from the amount's CNY");
  // A foreign payment's invoice is in the original currency.
  json foreign = ForeignExpenditureJson("726.22 CNY", "100.00 USD", "7.2622");
  foreign["invoice_total"] = "250.00 USD";
  EXPECT_TRUE(TryAs(alliance_.finance_uni, foreign).ok());
  foreign["invoice_total"] = "1000.00 CNY";
  ExpectInvalid(TryAs(alliance_.finance_uni, foreign), "differs from the original_amount's USD");
}

}  // namespace
}  // namespace fundtrail
