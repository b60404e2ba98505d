#include "ledger/test_util.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "ledger/bytes.h"
#include "ledger/money.h"
#include "ledger/submission.h"

namespace fundtrail::test {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/fundtrail-test-XXXXXX";
  char* made = ::mkdtemp(pattern.data());
  FT_ASSERT(made != nullptr, "mkdtemp failed");
  path_ = made;
}

TempDir::~TempDir() {
  if (std::getenv("FUNDTRAIL_KEEP_TEST_DIRS") != nullptr) {
    std::cerr << "keeping " << path_ << "\n";
    return;
  }
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string Hex(std::string_view raw) { return HexEncode(AsBytes(raw)); }
std::string Hex(const Digest& digest) { return HexEncode(digest); }

std::string Unhex(std::string_view hex) {
  auto raw = HexDecode(hex);
  if (!raw) {
    ADD_FAILURE() << "bad hex in a test: " << raw.error().message();
    return "";
  }
  return *raw;
}

std::string SeedFromLabel(const std::string& label) {
  Digest digest = Sha256::Of(AsBytes("fundtrail test seed " + label));
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

PrivateKey KeyFromSeed(std::string_view seed, const std::string& pem_path) {
  FT_ASSERT(seed.size() == 32, "an Ed25519 seed has 32 bytes");
  EVP_PKEY* key = EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(seed.data()), seed.size());
  FT_ASSERT(key != nullptr);
  FILE* file = std::fopen(pem_path.c_str(), "w");
  FT_ASSERT(file != nullptr, "cannot write the test key file");
  FT_ASSERT(PEM_write_PrivateKey(file, key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  std::fclose(file);
  EVP_PKEY_free(key);
  auto loaded = PrivateKey::FromPemFile(pem_path);
  FT_ASSERT(loaded.has_value(), "cannot read back the test key file");
  return *loaded;
}

std::string KeyIdHex(const PrivateKey& key) { return Hex(key.public_key().key_id()); }

std::string MustEncode(const json& event) {
  auto encoded = EncodeEvent(event);
  if (!encoded) {
    ADD_FAILURE() << "test event does not encode: " << encoded.error().message() << "\n"
                  << event.dump();
    return "";
  }
  return *encoded;
}

namespace {
PrivateKey Load(const std::string& directory, const std::string& label) {
  return KeyFromSeed(SeedFromLabel(label), directory + "/" + label + ".pem");
}
}  // namespace

TestAlliance::TestAlliance(const std::string& key_directory)
    : operator_key(Load(key_directory, "operator")),
      admin(Load(key_directory, "admin")),
      funder(Load(key_directory, "funder")),
      funder_other(Load(key_directory, "funder_other")),
      fund_manager(Load(key_directory, "fund_manager")),
      finance_uni(Load(key_directory, "finance_uni")),
      finance_ent(Load(key_directory, "finance_ent")),
      signatory_uni(Load(key_directory, "signatory_uni")),
      auditor(Load(key_directory, "auditor")),
      regulator(Load(key_directory, "regulator")),
      ledger_id(Unhex("00112233445566778899aabbccddeeff")) {}

std::vector<json> TestAlliance::GenesisEvents() const {
  std::vector<json> events = {
      {{"type", "ledger_genesis"},
       {"ledger_id", Hex(ledger_id)},
       {"alliance_id", "ALLIANCE-PB"},
       {"alliance_name", "动力电池产业技术创新战略联盟"},
       {"alliance_name_en", "Power Battery Alliance"},
       {"operator_public_key", Hex(operator_key.public_key().raw())},
       {"date", "2024-01-10"}},
      OrganisationJson(kSecretariat, "联盟秘书处", "other"),
      OrganisationJson(kUniversity, "华东理工大学", "university"),
      OrganisationJson(kEnterprise, "动力电芯有限公司", "enterprise"),
      OrganisationJson(kFunder, "科技部项目办", "other"),
      OrganisationJson(kFunderOther, "深圳市科技局", "other"),
      OrganisationJson(kFundManager, "联盟资金托管单位", "other"),
      OrganisationJson(kRegulatorOrg, "审计署", "other"),
      MemberAdmittedJson(kUniversity),
      MemberAdmittedJson(kEnterprise),
      KeyRegisteredJson(admin, kSecretariat, {"admin"}),
      KeyRegisteredJson(funder, kFunder, {"funder"}),
      KeyRegisteredJson(funder_other, kFunderOther, {"funder"}),
      KeyRegisteredJson(fund_manager, kFundManager, {"fund_manager"}),
      KeyRegisteredJson(finance_uni, kUniversity, {"member_finance"}),
      KeyRegisteredJson(finance_ent, kEnterprise, {"member_finance"}),
      KeyRegisteredJson(signatory_uni, kUniversity, {"signatory"}),
      KeyRegisteredJson(auditor, kSecretariat, {"auditor"}),
      KeyRegisteredJson(regulator, kRegulatorOrg, {"regulator"}),
  };
  return events;
}

std::vector<std::string> TestAlliance::GenesisCanonicalEvents() const {
  std::vector<std::string> canonical;
  for (const auto& event : GenesisEvents()) canonical.push_back(MustEncode(event));
  return canonical;
}

SignedSubmission TestAlliance::GenesisSubmission(int64_t micros) const {
  return SignSubmission(operator_key, ledger_id, "genesis", micros, GenesisCanonicalEvents());
}

json OrganisationJson(const std::string& org_id, const std::string& name, const std::string& kind) {
  return {{"type", "organisation_registered"},
          {"org_id", org_id},
          {"name", name},
          {"kind", kind},
          {"legal_representative", "张伟"}};
}

json MemberAdmittedJson(const std::string& org_id, const std::string& date) {
  return {{"type", "member_admitted"}, {"org_id", org_id}, {"date", date}};
}

json KeyRegisteredJson(const PrivateKey& key, const std::string& org_id,
                       const std::vector<std::string>& roles) {
  return {{"type", "key_registered"},
          {"public_key", Hex(key.public_key().raw())},
          {"org_id", org_id},
          {"roles", roles}};
}

json VendorJson(const std::string& vendor_id) {
  return {{"type", "vendor_registered"},
          {"vendor_id", vendor_id},
          {"name", "供应商 " + vendor_id},
          {"tax_id", "TAX-" + vendor_id}};
}

json ProjectJson(const std::string& project_id) {
  return {{"type", "project_registered"}, {"project_id", project_id}, {"name", "固态电解质 " + project_id}};
}

json TaskJson(const std::string& task_id, const std::string& project_id, const std::string& org_id) {
  return {{"type", "task_assigned"},
          {"task_id", task_id},
          {"project_id", project_id},
          {"org_id", org_id},
          {"description", "电芯测试"}};
}

std::string Cny(int64_t fen) { return FormatMoneyPlain({fen, "CNY"}); }

json GrantJson(const std::string& grant_id, const std::string& funder_org_id,
               const std::string& project_id, int64_t amount_fen) {
  int64_t equipment = amount_fen / 2;
  return {{"type", "grant_awarded"},
          {"grant_id", grant_id},
          {"title", "重点研发计划 " + grant_id},
          {"funder_org_id", funder_org_id},
          {"source_kind", "central_government"},
          {"amount", Cny(amount_fen)},
          {"period_start", "2024-03-01"},
          {"period_end", "2026-02-28"},
          {"budget", json::array({{{"category", "equipment"}, {"amount", Cny(equipment)}},
                                  {{"category", "materials"}, {"amount", Cny(amount_fen - equipment)}}})},
          {"project_id", project_id},
          {"date", "2024-02-20"}};
}

json FundsReceivedJson(const std::string& grant_id, const std::string& amount) {
  return {{"type", "funds_received"}, {"grant_id", grant_id}, {"amount", amount}, {"date", "2024-03-05"}};
}

json FundsDisbursedJson(const std::string& grant_id, const std::string& org_id,
                        const std::string& amount) {
  return {{"type", "funds_disbursed"},
          {"grant_id", grant_id},
          {"member_org_id", org_id},
          {"amount", amount},
          {"date", "2024-03-10"}};
}

json ExpenditureJson(const std::string& grant_id, const std::string& org_id,
                     const std::string& vendor_id, const std::string& amount) {
  return {{"type", "expenditure_recorded"},
          {"grant_id", grant_id},
          {"org_id", org_id},
          {"category", "materials"},
          {"vendor_id", vendor_id},
          {"invoice_number", "INV-0001"},
          {"invoice_date", "2024-04-01"},
          {"payment_date", "2024-04-03"},
          {"amount", amount},
          {"requester", "李娜"},
          {"approver", "王强"},
          {"description", "正极材料"}};
}

json RefundJson(const std::string& grant_id, const std::string& org_id, const std::string& amount) {
  return {{"type", "refund_recorded"},
          {"grant_id", grant_id},
          {"org_id", org_id},
          {"kind", "unspent_to_funder"},
          {"amount", amount},
          {"date", "2024-12-20"}};
}

json ReversalJson(uint64_t target_sequence, const std::string& reason) {
  return {{"type", "reversal"}, {"target_sequence", target_sequence}, {"reason", reason}};
}

void MemoryEventLookup::Add(uint64_t sequence, std::string canonical_event, std::string key_id_hex) {
  events_[sequence] = {std::move(canonical_event), std::move(key_id_hex)};
}

Result<EarlierEvent> MemoryEventLookup::Find(uint64_t sequence) {
  auto found = events_.find(sequence);
  if (found == events_.end()) {
    return Error(Status::NotFound("there is no event " + std::to_string(sequence)));
  }
  auto event = DecodedEvent::Open(found->second.first, "event " + std::to_string(sequence));
  if (!event) return Error(event.error());
  return EarlierEvent{std::move(*event), found->second.second};
}

}  // namespace fundtrail::test
