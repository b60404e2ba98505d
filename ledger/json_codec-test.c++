#include "ledger/json_codec.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "ledger/log_format.h"
#include "ledger/submission.h"

namespace fundtrail {
namespace {

using nlohmann::json;

const std::string kKeyHex = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const std::string kHashHex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

// One valid event of every type, with every optional field present and non-default, in schema
// field order, written the way EncodeEventJson writes it (so each must round-trip exactly).
std::map<std::string, json> FullEvents() {
  std::map<std::string, json> events;
  auto add = [&](json event) {
    // The name first: json's operator= takes its argument by value, and C++17 evaluates the
    // right side of an assignment first, which would move `event` away before it is read.
    std::string type = event["type"].get<std::string>();
    events[type] = std::move(event);
  };
  add({{"type", "ledger_genesis"}, {"ledger_id", "00112233445566778899aabbccddeeff"},
       {"alliance_id", "ALLIANCE-PB"}, {"alliance_name", "动力电池产业技术创新战略联盟"},
       {"alliance_name_en", "Power Battery Alliance"}, {"operator_public_key", kKeyHex},
       {"date", "2024-01-10"}});
  add({{"type", "organisation_registered"}, {"org_id", "91350100M000100Y43"}, {"name", "华东理工大学"},
       {"name_en", "East China University"}, {"kind", "research_institute"},
       {"legal_representative", "张伟"}, {"tax_id", "91350100M000100Y43"},
       {"bank_account", "6222 0000 1111"}});
  add({{"type", "member_admitted"}, {"org_id", "UNI-1"}, {"date", "2024-01-15"}});
  add({{"type", "member_withdrawn"}, {"org_id", "UNI-1"}, {"date", "2025-01-15"}, {"expelled", true},
       {"reason", "违反联盟协议"}});
  add({{"type", "key_registered"}, {"public_key", kKeyHex}, {"org_id", "UNI-1"},
       {"roles", {"member_finance", "signatory", "fund_manager", "regulator"}}, {"label", "财务处"}});
  add({{"type", "key_revoked"}, {"key_id", "256e6537467434da55264ef7e96f7ed6"}, {"reason", "lost"}});
  add({{"type", "agreement_registered"}, {"agreement_id", "AGR-1"}, {"title", "联盟协议"},
       {"document_hash", kHashHex}, {"goals", {"固态电池", "回收"}},
       {"tasks", json::array({{{"org_id", "UNI-1"}, {"description", "材料"}},
                              {{"org_id", "ENT-1"}, {"description", "电芯"}}})},
       {"ownership_shares", json::array({{{"org_id", "UNI-1"}, {"basis_points", 4000}},
                                         {{"org_id", "ENT-1"}, {"basis_points", 6000}}})},
       {"revenue_shares", json::array({{{"org_id", "UNI-1"}, {"basis_points", 10000}}})},
       {"licensing_terms", "non-exclusive within the alliance"}, {"date", "2024-01-20"}});
  add({{"type", "agreement_signed"}, {"agreement_id", "AGR-1"}, {"org_id", "UNI-1"},
       {"signatory_name", "张伟"}, {"date", "2024-01-21"}});
  add({{"type", "governance_body_registered"}, {"body_id", "BODY-1"}, {"kind", "decision_making"},
       {"name", "理事会"}, {"member_org_ids", {"UNI-1", "ENT-1"}}, {"full_time_staff", 3},
       {"date", "2024-01-22"}});
  add({{"type", "project_registered"}, {"project_id", "P-1"}, {"name", "固态电解质"},
       {"name_en", "Solid electrolyte"}, {"agreement_id", "AGR-1"}});
  add({{"type", "task_assigned"}, {"task_id", "T-1"}, {"project_id", "P-1"}, {"org_id", "UNI-1"},
       {"description", "电解质合成"}});
  add({{"type", "vendor_registered"}, {"vendor_id", "V-1"}, {"name", "材料供应商"}, {"tax_id", "TAX-1"},
       {"legal_representative", "刘洋"}, {"bank_account", "6222"}, {"registered_date", "2023-12-01"}});
  add({{"type", "grant_awarded"}, {"grant_id", "G-1"}, {"title", "重点研发计划"},
       {"funder_org_id", "MOST"}, {"source_kind", "central_government"},
       {"amount", "1250000.00 CNY"}, {"period_start", "2024-03-01"}, {"period_end", "2026-02-28"},
       {"budget", json::array({{{"category", "equipment"}, {"amount", "1250000.00 CNY"}},
                               {{"category", "travel_conference_international"}, {"amount", "0.00 CNY"}}})},
       {"supervising_authority", "科技部"}, {"project_id", "P-1"}, {"date", "2024-02-20"}});
  add({{"type", "budget_adjusted"}, {"grant_id", "G-1"},
       {"lines", json::array({{{"category", "fuel_power"}, {"amount", "10.50 CNY"}}})},
       {"approved_by", "科技部"}, {"approval_reference", "APPROVAL-7"}, {"date", "2024-06-01"},
       {"funder_approval_reference", "国科发资〔2024〕12号"}});
  add({{"type", "funds_received"}, {"grant_id", "G-1"}, {"amount", "500000.00 CNY"},
       {"date", "2024-03-05"}, {"reference", "BANK-1"}});
  add({{"type", "funds_disbursed"}, {"grant_id", "G-1"}, {"member_org_id", "UNI-1"},
       {"amount", "0.01 CNY"}, {"date", "2024-03-10"}, {"task_id", "T-1"}, {"reference", "PAY-1"}});
  add({{"type", "expenditure_recorded"}, {"grant_id", "G-1"}, {"org_id", "UNI-1"},
       {"category", "expert_consultation"}, {"vendor_id", "V-1"}, {"invoice_number", "INV-1"},
       {"invoice_date", "2024-04-01"}, {"payment_date", "2024-04-03"}, {"amount", "48000.00 CNY"},
       {"requester", "李娜"}, {"approver", "王强"}, {"description", "专家咨询"},
       {"voucher_date", "2024-04-05"}, {"payee", "陈教授"}, {"expert_name", "陈明"},
       {"expert_days", 2}, {"expert_is_academician", true}, {"reference", "VOUCHER-9"},
       {"invoice_total", "6600.00 USD"}, {"original_amount", "6600.00 USD"}, {"exchange_rate", "7.2727"}});
  add({{"type", "refund_recorded"}, {"grant_id", "G-1"}, {"org_id", "UNI-1"}, {"kind", "vendor_refund"},
       {"amount", "100.00 CNY"}, {"date", "2024-05-01"}, {"vendor_id", "V-1"}, {"reference", "R-1"}});
  add({{"type", "reversal"}, {"target_sequence", 12}, {"reason", "entered twice"}});
  add({{"type", "outcome_registered"}, {"outcome_id", "O-1"}, {"kind", "patent"}, {"title", "一种电解质"},
       {"grant_id", "G-1"}, {"owners", json::array({{{"org_id", "UNI-1"}, {"basis_points", 10000}}})},
       {"date", "2025-01-01"}, {"identifier", "CN123456789A"}});
  add({{"type", "licence_granted"}, {"licence_id", "L-1"}, {"outcome_id", "O-1"},
       {"licensee_name", "外部公司"}, {"licensee_org_id", "ENT-1"}, {"exclusive", true},
       {"date", "2025-02-01"}, {"terms", "5 years"}});
  add({{"type", "outcome_shared"}, {"outcome_id", "O-1"}, {"recipient", "行业协会"},
       {"date", "2025-03-01"}, {"recipient_org_id", "ENT-1"}, {"description", "公开"}});
  add({{"type", "revenue_distributed"}, {"outcome_id", "O-1"}, {"total", "300.00 USD"},
       {"payments", json::array({{{"org_id", "UNI-1"}, {"amount", "100.00 USD"}},
                                 {{"org_id", "ENT-1"}, {"amount", "200.00 USD"}}})},
       {"date", "2025-04-01"}});
  add({{"type", "policy_set"}, {"version", 2}, {"document", "{\"max_expert_days\": 10}"}});
  add({{"type", "flag_disposition"}, {"flag_id", "F-1"}, {"disposition", "false_positive"},
       {"note", "checked the contract"}});
  add({{"type", "finding_recorded"}, {"finding_id", "FIND-1"}, {"subject", "grant:G-1"},
       {"severity", "critical"}, {"text", "split invoices"}, {"flag_ids", {"F-1", "F-2"}}});
  add({{"type", "grant_terminated"}, {"grant_id", "G-1"}, {"date", "2025-06-30"}, {"reason", "中期评估不合格"}});
  return events;
}

// Decodes `object`, returning the status; on success `canonical` holds the canonical bytes.
Status Decode(const json& object, std::string* canonical = nullptr) {
  capnp::MallocMessageBuilder message;
  auto event = message.initRoot<schema::Event>();
  Status status = DecodeEventJson(object, event);
  if (status.ok() && canonical != nullptr) *canonical = CanonicalBytes(event.asReader());
  return status;
}

json RoundTrip(const json& object) {
  std::string canonical;
  Status status = Decode(object, &canonical);
  EXPECT_TRUE(status.ok()) << status.message() << "\n" << object.dump();
  if (!status.ok()) return nullptr;
  auto decoded = DecodedEvent::Open(canonical, "event");
  EXPECT_TRUE(decoded.has_value());
  if (!decoded) return nullptr;
  return json::parse(EncodeEventJson(decoded->root()).dump());
}

// The error message of decoding `object`; the test fails if it decodes.
std::string ErrorOf(const json& object) {
  Status status = Decode(object);
  EXPECT_FALSE(status.ok()) << "accepted: " << object.dump();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  return status.message();
}

json With(json object, const std::string& key, json value) {
  object[key] = std::move(value);
  return object;
}

json Without(json object, const std::string& key) {
  object.erase(key);
  return object;
}

TEST(JsonCodecTest, SamplesCoverEveryEventType) {
  auto events = FullEvents();
  const std::vector<std::string> all_names = EventTypeNames();
  std::set<std::string> names(all_names.begin(), all_names.end());
  EXPECT_EQ(names.size(), 27u) << "a new event type: add a sample to FullEvents()";
  for (const auto& name : names) EXPECT_TRUE(events.contains(name)) << name << " has no sample";
  EXPECT_EQ(events.size(), names.size());
}

TEST(JsonCodecTest, EveryEventTypeRoundTripsWithAllFields) {
  for (const auto& [type, object] : FullEvents()) {
    SCOPED_TRACE(type);
    EXPECT_EQ(RoundTrip(object), object);
  }
}

TEST(JsonCodecTest, EncoderWritesTypeFirstThenSchemaOrder) {
  auto object = FullEvents()["funds_disbursed"];
  std::string canonical;
  ASSERT_TRUE(Decode(object, &canonical).ok());
  auto decoded = DecodedEvent::Open(canonical, "event");
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(EncodeEventJson(decoded->root()).dump(),
            R"({"type":"funds_disbursed","grant_id":"G-1","member_org_id":"UNI-1","amount":"0.01 CNY",)"
            R"("date":"2024-03-10","task_id":"T-1","reference":"PAY-1"})");
  EXPECT_EQ(EventTypeName(decoded->root()), "funds_disbursed");
}

TEST(JsonCodecTest, OptionalFieldsMayBeOmittedOrNull) {
  for (auto [type, object] : FullEvents()) {
    SCOPED_TRACE(type);
    // Drop every optional field: the event must still decode and encode without them.
    json minimal = object;
    json with_nulls = object;
    for (const auto& [key, value] : object.items()) {
      if (key == "type") continue;
      if (Decode(Without(object, key)).ok()) {
        minimal.erase(key);
        with_nulls[key] = nullptr;
      }
    }
    EXPECT_EQ(RoundTrip(minimal), minimal);
    EXPECT_EQ(RoundTrip(with_nulls), minimal);
  }
  // Spot checks that the schema's $optional marks are the ones honoured.
  auto full = FullEvents();
  EXPECT_TRUE(Decode(Without(full["expenditure_recorded"], "expert_days")).ok());
  EXPECT_TRUE(Decode(Without(full["vendor_registered"], "registered_date")).ok());
  EXPECT_FALSE(Decode(Without(full["vendor_registered"], "tax_id")).ok());
  EXPECT_FALSE(Decode(Without(full["reversal"], "target_sequence")).ok());
}

TEST(JsonCodecTest, DefaultValuedOptionalFieldsAreNotEncoded) {
  auto object = FullEvents()["member_withdrawn"];
  object["expelled"] = false;
  json expected = Without(object, "expelled");
  EXPECT_EQ(RoundTrip(object), expected);
}

TEST(JsonCodecTest, EncodedEventsAreCanonicalAndDeterministic) {
  for (const auto& [type, object] : FullEvents()) {
    auto first = EncodeEvent(object);
    ASSERT_TRUE(first.has_value()) << type;
    // Key order in the input does not matter.
    json reversed = json::object();
    std::vector<std::string> keys;
    for (const auto& [key, value] : object.items()) keys.push_back(key);
    for (auto key = keys.rbegin(); key != keys.rend(); ++key) reversed[*key] = object[*key];
    auto second = EncodeEvent(json::parse(reversed.dump()));
    ASSERT_TRUE(second.has_value()) << type;
    EXPECT_EQ(*first, *second) << type;
    EXPECT_TRUE(DecodedEvent::Open(*first, "event").has_value()) << type;
  }
}

TEST(JsonCodecTest, MissingOrBadType) {
  auto object = FullEvents()["funds_received"];
  EXPECT_EQ(ErrorOf(Without(object, "type")),
            "missing field \"type\" (the event type, e.g. \"expenditure_recorded\")");
  std::string unknown = ErrorOf(With(object, "type", "funds_stolen"));
  EXPECT_EQ(unknown.rfind("unknown event type \"funds_stolen\" (known: ledger_genesis, ", 0), 0u) << unknown;
  EXPECT_NE(unknown.find("finding_recorded, grant_terminated)"), std::string::npos) << unknown;
  EXPECT_NE(ErrorOf(With(object, "type", "fundsReceived")).find("unknown event type"), std::string::npos);
  EXPECT_EQ(ErrorOf(With(object, "type", 14)), "field \"type\": is a number, expected a string");
  EXPECT_EQ(ErrorOf(json::array()), "expected a JSON object, got a list");
  EXPECT_EQ(ErrorOf("funds_received"), "expected a JSON object, got a string");
}

TEST(JsonCodecTest, UnknownFields) {
  auto object = FullEvents()["funds_received"];
  EXPECT_EQ(ErrorOf(With(object, "colour", "red")),
            "unknown field \"colour\" (allowed: grant_id, amount, date, reference)");
  // The schema's own camelCase spelling is not accepted: JSON names are snake_case.
  json camel = Without(object, "grant_id");
  camel["grantId"] = "G-1";
  EXPECT_NE(ErrorOf(camel).find("unknown field \"grantId\""), std::string::npos);
  for (const char* near_miss : {"grant__id", "grant_Id", "Grant_id", "grant_id_", "_grant_id"}) {
    json typo = Without(object, "grant_id");
    typo[near_miss] = "G-1";
    EXPECT_NE(ErrorOf(typo).find("unknown field \"" + std::string(near_miss) + "\""), std::string::npos)
        << near_miss;
  }
  auto grant = FullEvents()["grant_awarded"];
  grant["budget"][1]["colour"] = "red";
  EXPECT_EQ(ErrorOf(grant), "unknown field \"budget[1].colour\" (allowed: category, amount)");
}

TEST(JsonCodecTest, MissingRequiredFields) {
  for (const auto& [type, object] : FullEvents()) {
    for (const auto& [key, value] : object.items()) {
      if (key == "type") continue;
      Status status = Decode(Without(object, key));
      if (status.ok()) continue;  // optional
      EXPECT_EQ(status.message(), "missing field \"" + key + "\"") << type;
      // null is the same as missing.
      EXPECT_EQ(Decode(With(object, key, nullptr)).message(), "missing field \"" + key + "\"") << type;
    }
  }
  auto grant = FullEvents()["grant_awarded"];
  grant["budget"][0].erase("category");
  EXPECT_EQ(ErrorOf(grant), "missing field \"budget[0].category\"");
}

TEST(JsonCodecTest, WrongJsonKinds) {
  auto spent = FullEvents()["expenditure_recorded"];
  EXPECT_EQ(ErrorOf(With(spent, "grant_id", 7)), "field \"grant_id\": is a number, expected a string");
  EXPECT_EQ(ErrorOf(With(spent, "grant_id", json::array())), "field \"grant_id\": is a list, expected a string");
  EXPECT_EQ(ErrorOf(With(spent, "amount", 48000)),
            "field \"amount\": is a number, expected an amount like \"1250.00 CNY\"");
  EXPECT_EQ(ErrorOf(With(spent, "amount", json::object())),
            "field \"amount\": is an object, expected an amount like \"1250.00 CNY\"");
  EXPECT_EQ(ErrorOf(With(spent, "expert_days", "2")), "field \"expert_days\": is a string, expected a whole number");
  EXPECT_EQ(ErrorOf(With(spent, "expert_days", 2.5)), "field \"expert_days\": is a number, expected a whole number");
  EXPECT_EQ(ErrorOf(With(spent, "expert_days", -1)), "field \"expert_days\": -1 is negative");
  EXPECT_EQ(ErrorOf(With(spent, "expert_days", 4294967296ull)), "field \"expert_days\": 4294967296 is too large");
  EXPECT_TRUE(Decode(With(spent, "expert_days", 4294967295ull)).ok());
  EXPECT_EQ(ErrorOf(With(spent, "expert_is_academician", "yes")),
            "field \"expert_is_academician\": is a string, expected true or false");
  EXPECT_EQ(ErrorOf(With(spent, "expert_is_academician", 1)),
            "field \"expert_is_academician\": is a number, expected true or false");
  EXPECT_EQ(ErrorOf(With(spent, "category", 2)),
            "field \"category\": is a number, expected one of: equipment, materials, testing, fuel_power, "
            "travel_conference_international, publication_ip, labour, expert_consultation, other_direct, "
            "indirect");

  auto key = FullEvents()["key_registered"];
  EXPECT_EQ(ErrorOf(With(key, "roles", "admin")), "field \"roles\": is a string, expected a list");
  EXPECT_EQ(ErrorOf(With(key, "public_key", true)), "field \"public_key\": is a boolean, expected a hex string");
  auto finding = FullEvents()["finding_recorded"];
  EXPECT_EQ(ErrorOf(With(finding, "flag_ids", {"F-1", 2})), "field \"flag_ids[1]\": is a number, expected a string");
  auto grant = FullEvents()["grant_awarded"];
  EXPECT_EQ(ErrorOf(With(grant, "budget", {"equipment"})),
            "expected a JSON object in \"budget[0]\", got a string");
  auto reversal = FullEvents()["reversal"];
  EXPECT_EQ(ErrorOf(With(reversal, "target_sequence", -3)), "field \"target_sequence\": -3 is negative");
  EXPECT_TRUE(Decode(With(reversal, "target_sequence", UINT64_MAX)).ok());
}

TEST(JsonCodecTest, BadEnumValuesListTheAllowedOnes) {
  auto spent = FullEvents()["expenditure_recorded"];
  EXPECT_EQ(ErrorOf(With(spent, "category", "food")),
            "field \"category\": \"food\" is not one of: equipment, materials, testing, fuel_power, "
            "travel_conference_international, publication_ip, labour, expert_consultation, other_direct, "
            "indirect");
  // The schema's camelCase enumerant names are not JSON names.
  EXPECT_NE(ErrorOf(With(spent, "category", "expertConsultation")).find("is not one of"), std::string::npos);
  EXPECT_NE(ErrorOf(With(spent, "category", "EQUIPMENT")).find("is not one of"), std::string::npos);
  auto key = FullEvents()["key_registered"];
  EXPECT_EQ(ErrorOf(With(key, "roles", {"admin", "superuser"})),
            "field \"roles[1]\": \"superuser\" is not one of: admin, signatory, funder, fund_manager, "
            "member_finance, auditor, regulator");
}

TEST(JsonCodecTest, BadDates) {
  auto received = FullEvents()["funds_received"];
  EXPECT_EQ(ErrorOf(With(received, "date", "2024-02-30")), "field \"date\": \"2024-02-30\" is not a calendar date");
  EXPECT_EQ(ErrorOf(With(received, "date", "30/01/2024")),
            "field \"date\": \"30/01/2024\" is not a date; write YYYY-MM-DD, e.g. 2024-11-30");
  auto vendor = FullEvents()["vendor_registered"];
  EXPECT_EQ(ErrorOf(With(vendor, "registered_date", "1899-01-01")),
            "field \"registered_date\": \"1899-01-01\": year out of range 1900..2999");
}

TEST(JsonCodecTest, BadHex) {
  auto key = FullEvents()["key_registered"];
  EXPECT_EQ(ErrorOf(With(key, "public_key", "abc")), "field \"public_key\": hex string has odd length 3");
  EXPECT_EQ(ErrorOf(With(key, "public_key", "zz")), "field \"public_key\": not a hex digit at position 0");
  EXPECT_EQ(ErrorOf(With(key, "public_key", "")), "field \"public_key\": is empty");
}

TEST(JsonCodecTest, AmountsMustBePositiveUnlessAllowZero) {
  auto received = FullEvents()["funds_received"];
  EXPECT_EQ(ErrorOf(With(received, "amount", "0.00 CNY")),
            "field \"amount\": \"0.00 CNY\" is zero; amounts must be positive");
  EXPECT_EQ(ErrorOf(With(received, "amount", "0 JPY")), "field \"amount\": \"0 JPY\" is zero; amounts must be positive");
  EXPECT_EQ(ErrorOf(With(received, "amount", "12.345 CNY")), "field \"amount\": \"12.345 CNY\" has 3 decimals, CNY allows 2");
  EXPECT_EQ(ErrorOf(With(received, "amount", "-1.00 CNY")), "field \"amount\": \"-1.00 CNY\" is negative");
  // Budget lines are $allowZero.
  auto grant = FullEvents()["grant_awarded"];
  ASSERT_EQ(grant["budget"][1]["amount"], "0.00 CNY");
  EXPECT_TRUE(Decode(grant).ok());
  // Payments are not.
  auto revenue = FullEvents()["revenue_distributed"];
  revenue["payments"][1]["amount"] = "0.00 USD";
  EXPECT_EQ(ErrorOf(revenue), "field \"payments[1].amount\": \"0.00 USD\" is zero; amounts must be positive");
}

TEST(JsonCodecTest, ListElementErrorsNameTheirPath) {
  auto grant = FullEvents()["grant_awarded"];
  grant["budget"][1]["amount"] = "12.345 CNY";
  EXPECT_EQ(ErrorOf(grant), "field \"budget[1].amount\": \"12.345 CNY\" has 3 decimals, CNY allows 2");
  grant = FullEvents()["grant_awarded"];
  grant["budget"][1]["category"] = "snacks";
  EXPECT_NE(ErrorOf(grant).find("field \"budget[1].category\": \"snacks\" is not one of"), std::string::npos);
  auto agreement = FullEvents()["agreement_registered"];
  agreement["ownership_shares"][1]["basis_points"] = "6000";
  EXPECT_EQ(ErrorOf(agreement),
            "field \"ownership_shares[1].basis_points\": is a string, expected a whole number");
  agreement = FullEvents()["agreement_registered"];
  agreement["goals"][1] = "";
  EXPECT_EQ(ErrorOf(agreement), "field \"goals[1]\": is empty");
}

TEST(JsonCodecTest, TextChecks) {
  auto vendor = FullEvents()["vendor_registered"];
  EXPECT_EQ(ErrorOf(With(vendor, "name", "")), "field \"name\": is empty");
  EXPECT_EQ(ErrorOf(With(vendor, "name", std::string("a\x01" "b"))), "field \"name\": contains a control character");
  EXPECT_EQ(ErrorOf(With(vendor, "name", std::string("a\0b", 3))), "field \"name\": contains a control character");
  EXPECT_TRUE(Decode(With(vendor, "name", "line one\nline two\twith tab")).ok());
  EXPECT_TRUE(Decode(With(vendor, "name", std::string(kTextSizeBytesMax, 'x'))).ok());
  EXPECT_EQ(ErrorOf(With(vendor, "name", std::string(kTextSizeBytesMax + 1, 'x'))),
            "field \"name\": is 4097 bytes long, the limit is 4096");
  // An optional text may be empty.
  EXPECT_TRUE(Decode(With(vendor, "bank_account", "")).ok());
}

TEST(JsonCodecTest, EventTypeNamesAndLookup) {
  auto names = EventTypeNames();
  ASSERT_EQ(names.size(), 27u);
  EXPECT_EQ(names.front(), "ledger_genesis");
  EXPECT_EQ(names[15], "funds_disbursed");
  EXPECT_EQ(names.back(), "grant_terminated");
  for (size_t i = 0; i < names.size(); ++i) {
    auto which = EventTypeFromName(names[i]);
    ASSERT_TRUE(which.has_value()) << names[i];
    EXPECT_EQ(static_cast<size_t>(*which), i);
    EXPECT_EQ(EventTypeName(*which), names[i]);
  }
  EXPECT_EQ(EventTypeFromName("fundsDisbursed"), std::nullopt);
  EXPECT_EQ(EventTypeFromName(""), std::nullopt);
  EXPECT_EQ(EventTypeName(static_cast<schema::Event::Which>(99)), "unknown_99");
}

TEST(JsonCodecTest, SnakeCaseAndCamelCase) {
  EXPECT_EQ(SnakeCase("fundsDisbursed"), "funds_disbursed");
  EXPECT_EQ(SnakeCase("memberOrgId"), "member_org_id");
  EXPECT_EQ(SnakeCase("travelConferenceInternational"), "travel_conference_international");
  EXPECT_EQ(SnakeCase("date"), "date");
  EXPECT_EQ(SnakeCase(""), "");
  EXPECT_EQ(CamelCase("funds_disbursed"), "fundsDisbursed");
  EXPECT_EQ(CamelCase("member_org_id"), "memberOrgId");
  EXPECT_EQ(CamelCase("date"), "date");
  EXPECT_EQ(CamelCase(""), "");
  // Every schema name survives the round trip, so the codec's exact-match check accepts it.
  for (const auto& name : EventTypeNames()) EXPECT_EQ(SnakeCase(CamelCase(name)), name);
  for (const auto& [type, object] : FullEvents()) {
    for (const auto& [key, value] : object.items()) EXPECT_EQ(SnakeCase(CamelCase(key)), key);
  }
  // Spellings that are not snake_case do not survive, which is how the codec rejects them.
  EXPECT_NE(SnakeCase(CamelCase("grant__id")), "grant__id");
  EXPECT_NE(SnakeCase(CamelCase("grantId")), "grantId");
}

}  // namespace
}  // namespace fundtrail
