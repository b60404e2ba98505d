// Tests of the misuse rules engine (rules.h). For every rule of docs/RULES.md: a minimal stream that
// must raise it and near misses that must not (just inside the threshold, the exemption that
// applies, an approved adjustment, a reversed event). Then: a seeded scenario of thousands of
// events with planted cases of every rule (each must be flagged, the clean part must raise
// nothing), folding in one go against folding in pieces with JSON round trips, policy changes,
// and auditor dispositions.
//
// Events are built as JSON, encoded with EncodeEvent and fed to RulesEngine::Apply directly with
// fake chain hashes; no ledger is opened. The seed of the scenario is printed on failure;
// FUNDTRAIL_TEST_SEED replays one, and FUNDTRAIL_RULES_DUMP=1 prints every flag it raises.
#include "projections/rules.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <set>

#include "ledger/dates.h"
#include "ledger/log_format.h"
#include "ledger/money.h"
#include "ledger/submission.h"
#include "ledger/test_util.h"
#include "projections/flag_text.h"

namespace fundtrail::projections {
namespace {

using nlohmann::json;
using test::Cny;

// ---------------------------------------------------------------------------------------------
// Building and folding events.

constexpr int64_t kAppendedAtBaseMicros = 1764331200000000;  // 2025-11-28, a fixed ledger clock

int32_t Day(const std::string& date) {
  auto days = ParseDate(date);
  EXPECT_TRUE(days.has_value()) << date;
  return days.value_or(0);
}

uint64_t SeedFromEnvironment(uint64_t fallback) {
  const char* text = std::getenv("FUNDTRAIL_TEST_SEED");
  return text && *text ? std::strtoull(text, nullptr, 10) : fallback;
}

Digest FakeChainHash(uint64_t sequence) {
  Digest hash{};
  for (size_t i = 0; i < hash.size(); ++i)
    hash[i] = static_cast<uint8_t>(sequence * 131 + i * 7 + (sequence >> 8));
  return hash;
}

std::string FlagsJson(const std::vector<Flag>& flags);

// Every flag the scenarios raise has its Chinese sentence (flag_text.h), with every field it needs.
void ExpectChineseExplanations(const std::vector<Flag>& flags) {
  for (const auto& flag : flags) {
    auto chinese = ChineseExplanation(flag);
    EXPECT_TRUE(chinese.has_value()) << chinese.error().message() << "\n" << FlagToJson(flag).dump();
  }
}

// An event log kept in memory and folded into an engine as the projection does: canonical
// bytes, decoded, applied in sequence order.
class Stream {
 public:
  uint64_t Add(const json& event, const std::string& author = "") {
    std::string canonical = test::MustEncode(event);
    if (canonical.empty()) return 0;
    events_.push_back({canonical, author});
    uint64_t sequence = events_.size();
    lookup_.Add(sequence, canonical, "");
    Status status = Feed(&engine_, sequence);
    EXPECT_TRUE(status.ok()) << status.message();
    return sequence;
  }

  // Applies event `sequence` (1-based) of this stream to `engine`.
  Status Feed(RulesEngine* engine, uint64_t sequence) const {
    const auto& [canonical, author] = events_.at(sequence - 1);
    auto decoded = DecodedEvent::Open(canonical, "test event " + std::to_string(sequence));
    if (!decoded) return decoded.error();
    return engine->Apply(sequence, FakeChainHash(sequence), AppendedAt(sequence), author, decoded->root(), canonical,
                         &lookup_);
  }
  static int64_t AppendedAt(uint64_t sequence) {
    return kAppendedAtBaseMicros + static_cast<int64_t>(sequence) * 1000000;
  }

  // The flags of the engine fed event by event, holding its expenditures. Every call also checks
  // that an engine fed the same events with its expenditures left in the log (as a rebuild folds
  // them), then read back, has the same state and raises the same flags.
  std::vector<Flag> Flags(const std::string& as_of) const {
    std::vector<Flag> flags = engine_.Flags(Day(as_of));
    RulesEngine in_log(ExpenditureBytes::kInLog);
    for (uint64_t sequence = 1; sequence <= events_.size(); ++sequence) {
      Status fed = Feed(&in_log, sequence);
      EXPECT_TRUE(fed.ok()) << fed.message();
    }
    EXPECT_EQ(in_log.ToJson().dump(), engine_.ToJson().dump());
    Status read = in_log.ReadExpenditures(Scan());
    EXPECT_TRUE(read.ok()) << read.message();
    EXPECT_EQ(FlagsJson(in_log.Flags(Day(as_of))), FlagsJson(flags)) << "expenditures left in the log";
    ExpectChineseExplanations(flags);
    return flags;
  }
  RulesEngine& engine() { return engine_; }

  // This stream as the log an engine reads its expenditures back from (RulesEngine::ReadExpenditures).
  Status ScanExpenditures(uint64_t through, const std::function<Status(const LoggedExpenditure&)>& visit) const {
    for (uint64_t sequence = 1; sequence <= through && sequence <= events_.size(); ++sequence) {
      const std::string& canonical = events_[sequence - 1].first;
      auto decoded = DecodedEvent::Open(canonical, "test event " + std::to_string(sequence));
      if (!decoded) return decoded.error();
      if (decoded->root().which() != schema::Event::EXPENDITURE_RECORDED) continue;
      FT_RETURN_IF_ERROR(visit({sequence, FakeChainHash(sequence), AppendedAt(sequence), canonical}));
    }
    return Status::Ok();
  }
  ExpenditureScan Scan() const {
    return [this](uint64_t through, const std::function<Status(const LoggedExpenditure&)>& visit) {
      return ScanExpenditures(through, visit);
    };
  }
  uint64_t size() const { return events_.size(); }

 private:
  std::vector<std::pair<std::string, std::string>> events_;
  mutable test::MemoryEventLookup lookup_;
  RulesEngine engine_;
};

// Organisations of the unit-test alliance.
constexpr char kUni[] = "UNI-1";
constexpr char kEnt[] = "ENT-1";
constexpr char kInst[] = "INST-1";
constexpr char kFunder[] = "FUNDER-1";
constexpr char kFunderName[] = "科技部项目办";
constexpr char kManager[] = "FM-1";
constexpr char kOutsider[] = "OUT-1";

json Genesis(const std::string& alliance_id) {
  return {{"type", "ledger_genesis"},
          {"ledger_id", "00112233445566778899aabbccddeeff"},
          {"alliance_id", alliance_id},
          {"alliance_name", "固态电池产业技术创新战略联盟"},
          {"operator_public_key", std::string(64, 'a')},
          {"date", "2023-05-10"}};
}

json Organisation(const std::string& id, const std::string& kind,
                  const std::string& legal_representative, const std::string& tax_id = "",
                  const std::string& bank_account = "", const std::string& name = "") {
  json event = {{"type", "organisation_registered"},
                {"org_id", id},
                {"name", name.empty() ? "机构 " + id : name},
                {"kind", kind},
                {"legal_representative", legal_representative}};
  if (!tax_id.empty()) event["tax_id"] = tax_id;
  if (!bank_account.empty()) event["bank_account"] = bank_account;
  return event;
}

json Admit(const std::string& org, const std::string& date) {
  return {{"type", "member_admitted"}, {"org_id", org}, {"date", date}};
}

json Withdraw(const std::string& org, const std::string& date) {
  return {{"type", "member_withdrawn"}, {"org_id", org}, {"date", date}};
}

json Shares(const std::vector<std::pair<std::string, int>>& shares) {
  json out = json::array();
  for (const auto& [org, basis_points] : shares)
    out.push_back({{"org_id", org}, {"basis_points", basis_points}});
  return out;
}

json Agreement(const std::string& id, const std::string& date,
               const std::vector<std::pair<std::string, int>>& revenue) {
  return {
      {"type", "agreement_registered"},
      {"agreement_id", id},
      {"title", "联盟协议 " + id},
      {"document_hash", std::string(64, 'b')},
      {"goals", {"突破固态电解质量产"}},
      {"tasks", json::array({{{"org_id", revenue.front().first}, {"description", "牵头研发"}}})},
      {"ownership_shares", Shares(revenue)},
      {"revenue_shares", Shares(revenue)},
      {"date", date}};
}

json Sign(const std::string& agreement, const std::string& org, const std::string& date) {
  return {{"type", "agreement_signed"},
          {"agreement_id", agreement},
          {"org_id", org},
          {"signatory_name", "法定代表人"},
          {"date", date}};
}

json Body(const std::string& id, const std::string& kind, int staff,
          const std::vector<std::string>& members) {
  return {{"type", "governance_body_registered"},
          {"body_id", id},
          {"kind", kind},
          {"name", "联盟秘书处"},
          {"member_org_ids", members},
          {"full_time_staff", staff},
          {"date", "2023-06-20"}};
}

json Project(const std::string& id, const std::string& agreement) {
  json event = {{"type", "project_registered"}, {"project_id", id}, {"name", "固态电解质 " + id}};
  if (!agreement.empty()) event["agreement_id"] = agreement;
  return event;
}

json Task(const std::string& id, const std::string& project, const std::string& org) {
  return {{"type", "task_assigned"},
          {"task_id", id},
          {"project_id", project},
          {"org_id", org},
          {"description", "电芯测试"}};
}

json Vendor(const std::string& id, const std::string& tax_id,
            const std::string& registered = "2015-06-01",
            const std::string& legal_representative = "", const std::string& bank_account = "") {
  json event = {{"type", "vendor_registered"},
                {"vendor_id", id},
                {"name", "供应商 " + id},
                {"tax_id", tax_id}};
  if (!registered.empty()) event["registered_date"] = registered;
  if (!legal_representative.empty()) event["legal_representative"] = legal_representative;
  if (!bank_account.empty()) event["bank_account"] = bank_account;
  return event;
}

using Lines = std::vector<std::pair<std::string, int64_t>>;  // category, fen

json BudgetLines(const Lines& lines) {
  json out = json::array();
  for (const auto& [category, fen] : lines)
    out.push_back({{"category", category}, {"amount", Cny(fen)}});
  return out;
}

json Grant(const std::string& id, const std::string& source, const std::string& start,
           const std::string& end, const Lines& lines, const std::string& funder = kFunder,
           const std::string& project = "P-1") {
  int64_t total = 0;
  for (const auto& [category, fen] : lines) total += fen;
  return {{"type", "grant_awarded"}, {"grant_id", id},        {"title", "重点研发计划 " + id},
          {"funder_org_id", funder}, {"source_kind", source}, {"amount", Cny(total)},
          {"period_start", start},   {"period_end", end},     {"budget", BudgetLines(lines)},
          {"project_id", project},   {"date", start}};
}

json Adjust(const std::string& grant, const Lines& lines, const std::string& approved_by,
            const std::string& date = "2024-05-06") {
  return {{"type", "budget_adjusted"},
          {"grant_id", grant},
          {"lines", BudgetLines(lines)},
          {"approved_by", approved_by},
          {"date", date}};
}

json Receive(const std::string& grant, int64_t fen, const std::string& date) {
  return {{"type", "funds_received"}, {"grant_id", grant}, {"amount", Cny(fen)}, {"date", date}};
}

json Disburse(const std::string& grant, const std::string& org, int64_t fen,
              const std::string& date) {
  return {{"type", "funds_disbursed"},
          {"grant_id", grant},
          {"member_org_id", org},
          {"amount", Cny(fen)},
          {"date", date}};
}

json Refund(const std::string& grant, const std::string& org, const std::string& kind, int64_t fen,
            const std::string& date) {
  json event = {{"type", "refund_recorded"}, {"grant_id", grant}, {"org_id", org}, {"kind", kind},
                {"amount", Cny(fen)},        {"date", date}};
  if (kind == "vendor_refund") event["vendor_id"] = "V-1";
  return event;
}

json Reverse(uint64_t target) {
  return {{"type", "reversal"}, {"target_sequence", target}, {"reason", "录入错误"}};
}

json Outcome(const std::string& id, const std::string& grant, const std::string& date,
             const std::vector<std::pair<std::string, int>>& owners) {
  json event = {{"type", "outcome_registered"}, {"outcome_id", id},         {"kind", "patent"},
                {"title", "专利 " + id},        {"owners", Shares(owners)}, {"date", date}};
  if (!grant.empty()) event["grant_id"] = grant;
  return event;
}

json Licence(const std::string& id, const std::string& outcome, const std::string& licensee,
             const std::string& licensee_org, bool exclusive, const std::string& date) {
  json event = {{"type", "licence_granted"}, {"licence_id", id},       {"outcome_id", outcome},
                {"licensee_name", licensee}, {"exclusive", exclusive}, {"date", date}};
  if (!licensee_org.empty()) event["licensee_org_id"] = licensee_org;
  return event;
}

json Shared(const std::string& outcome, const std::string& recipient,
            const std::string& recipient_org, const std::string& date) {
  json event = {{"type", "outcome_shared"},
                {"outcome_id", outcome},
                {"recipient", recipient},
                {"date", date}};
  if (!recipient_org.empty()) event["recipient_org_id"] = recipient_org;
  return event;
}

json Revenue(const std::string& outcome,
             const std::vector<std::pair<std::string, int64_t>>& payments,
             const std::string& date) {
  json list = json::array();
  int64_t total = 0;
  for (const auto& [org, fen] : payments) {
    list.push_back({{"org_id", org}, {"amount", Cny(fen)}});
    total += fen;
  }
  return {{"type", "revenue_distributed"},
          {"outcome_id", outcome},
          {"total", Cny(total)},
          {"payments", list},
          {"date", date}};
}

json PolicySet(uint32_t version, const json& document) {
  return {{"type", "policy_set"}, {"version", version}, {"document", document.dump()}};
}

json Disposition(const std::string& flag_id, const std::string& disposition,
                 const std::string& note) {
  return {{"type", "flag_disposition"},
          {"flag_id", flag_id},
          {"disposition", disposition},
          {"note", note}};
}

// ---------------------------------------------------------------------------------------------
// Looking at flags.

std::string Describe(const std::vector<Flag>& flags) {
  std::string out;
  for (const auto& flag : flags) out += "  " + flag.id + ": " + flag.explanation + "\n";
  return out.empty() ? "  (no flags)\n" : out;
}

std::vector<const Flag*> OfRule(const std::vector<Flag>& flags, const std::string& rule) {
  std::vector<const Flag*> out;
  for (const auto& flag : flags) {
    if (flag.rule == rule) out.push_back(&flag);
  }
  return out;
}

bool HasEvidence(const Flag& flag, uint64_t sequence) {
  return std::any_of(flag.evidence.begin(), flag.evidence.end(),
                     [&](const Evidence& evidence) { return evidence.sequence == sequence; });
}

// The flag of `rule` whose evidence includes `sequence`, or null.
const Flag* Raised(const std::vector<Flag>& flags, const std::string& rule, uint64_t sequence) {
  for (const auto& flag : flags) {
    if (flag.rule == rule && HasEvidence(flag, sequence)) return &flag;
  }
  return nullptr;
}

const Flag* FindId(const std::vector<Flag>& flags, const std::string& id) {
  for (const auto& flag : flags) {
    if (flag.id == id) return &flag;
  }
  return nullptr;
}

std::string FlagsJson(const std::vector<Flag>& flags) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& flag : flags) out.push_back(FlagToJson(flag));
  return out.dump();
}

// ---------------------------------------------------------------------------------------------
// The unit-test alliance: a university, an enterprise and an institute, all members with tasks,
// the agreement signed by all, an executive body with staff, a central-government grant G-1 and
// an enterprise-funded grant G-E, both received and partly disbursed. It raises no flag on
// 2024-06-30 (RuleBaseline checks that).

class RuleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    s_.Add(Genesis("ALLIANCE-T"));
    s_.Add(Organisation(kUni, "university", "陈明", "TAX-UNI", "6222 0001 0001"));
    s_.Add(Organisation(kEnt, "enterprise", "刘洋", "TAX-ENT", "6222 0002 0002"));
    s_.Add(Organisation(kInst, "research_institute", "王芳", "TAX-INST"));
    s_.Add(Organisation(kFunder, "other", "赵局", "TAX-FUNDER", "", kFunderName));
    s_.Add(Organisation(kManager, "other", "钱总"));
    s_.Add(Organisation(kOutsider, "enterprise", "孙总", "TAX-OUT"));
    for (const char* org : {kUni, kEnt, kInst}) s_.Add(Admit(org, "2024-01-15"));
    s_.Add(Agreement("A-1", "2024-01-20", {{kUni, 5000}, {kEnt, 3000}, {kInst, 2000}}));
    for (const char* org : {kUni, kEnt, kInst}) s_.Add(Sign("A-1", org, "2024-01-25"));
    s_.Add(Body("EXEC", "executive", 3, {kUni}));
    s_.Add(Project("P-1", "A-1"));
    s_.Add(Task("T-U", "P-1", kUni));
    s_.Add(Task("T-E", "P-1", kEnt));
    s_.Add(Task("T-I", "P-1", kInst));
    for (const char* vendor : {"V-1", "V-2", "V-3", "V-4", "V-5"})
      s_.Add(Vendor(vendor, std::string("TAX-") + vendor));
    g1_ = s_.Add(Grant("G-1", "central_government", "2024-03-01", "2026-02-28",
                       {{"equipment", 300000000},
                        {"materials", 300000000},
                        {"testing", 100000000},
                        {"expert_consultation", 20000000},
                        {"labour", 100000000},
                        {"travel_conference_international", 30000000},
                        {"indirect", 150000000}}));
    ge_ = s_.Add(Grant("G-E", "enterprise", "2024-03-01", "2026-02-28",
                       {{"materials", 60000000}, {"testing", 40000000}}));
    s_.Add(Receive("G-1", 500000000, "2024-03-05"));
    s_.Add(Receive("G-E", 100000000, "2024-03-05"));
    uni_disbursement_ = s_.Add(Disburse("G-1", kUni, 200000000, "2024-03-10"));
    s_.Add(Disburse("G-1", kEnt, 100000000, "2024-03-10"));
    s_.Add(Disburse("G-E", kEnt, 50000000, "2024-03-10"));
  }

  // A clean expenditure of the university on G-1 (amounts differ from call to call and are
  // never round), with `overrides` applied.
  json Spend(const json& overrides = json::object()) {
    ++spends_;
    json event = {{"type", "expenditure_recorded"},
                  {"grant_id", "G-1"},
                  {"org_id", kUni},
                  {"category", "materials"},
                  {"vendor_id", "V-1"},
                  {"invoice_number", "INV-" + std::to_string(spends_)},
                  {"invoice_date", "2024-04-01"},
                  {"payment_date", "2024-04-03"},
                  {"amount", Cny(123456 + spends_ * 1013)},
                  {"requester", "李娜"},
                  {"approver", "王强"},
                  {"description", "正极材料"}};
    for (const auto& [key, value] : overrides.items()) event[key] = value;
    return event;
  }

  uint64_t AddSpend(const json& overrides = json::object()) {
    return s_.Add(Spend(overrides), kUni);
  }

  // A small central-government grant: materials 100,000, testing 60,000, equipment 40,000.
  uint64_t AddSmallGrant(const std::string& id, const std::string& end = "2025-02-28") {
    return s_.Add(Grant(id, "central_government", "2024-03-01", end,
                        {{"materials", 10000000}, {"testing", 6000000}, {"equipment", 4000000}}));
  }

  Stream s_;
  uint64_t g1_ = 0;
  uint64_t ge_ = 0;
  uint64_t uni_disbursement_ = 0;
  int spends_ = 0;
};

using RuleBaseline = RuleTest;
using RulePU1 = RuleTest;
using RulePU2 = RuleTest;
using RulePU3 = RuleTest;
using RulePU4 = RuleTest;
using RuleBR1 = RuleTest;
using RuleBR2 = RuleTest;
using RuleBR3 = RuleTest;
using RuleBR4 = RuleTest;
using RuleTP1 = RuleTest;
using RuleTP2 = RuleTest;
using RuleTP3 = RuleTest;
using RuleTP4 = RuleTest;
using RuleFL1 = RuleTest;
using RuleFL2 = RuleTest;
using RuleFL3 = RuleTest;
using RuleAN1 = RuleTest;
using RuleAN2 = RuleTest;
using RuleAN3 = RuleTest;
using RuleAN4 = RuleTest;
using RuleAN5 = RuleTest;
using RuleAN6 = RuleTest;
using RuleAN7 = RuleTest;
using RuleAN8 = RuleTest;
using RuleAN9 = RuleTest;
using RuleAL1 = RuleTest;
using RuleAL2 = RuleTest;
using RuleAL3 = RuleTest;
using RuleReview = RuleTest;
using RulePolicy = RuleTest;

TEST_F(RuleBaseline, CleanAllianceRaisesNothing) {
  for (int i = 0; i < 5; ++i) AddSpend({{"vendor_id", i % 2 ? "V-1" : "V-2"}});
  AddSpend({{"category", "travel_conference_international"}, {"description", "差旅费 酒店住宿"}});
  AddSpend({{"description", "试剂 isopropyl alcohol 与 酒精"}});
  AddSpend(
      {{"category", "labour"}, {"description", "劳务费（代扣个人所得税）"}, {"payee", "研究生甲"}});
  auto flags = s_.Flags("2024-06-30");
  EXPECT_TRUE(flags.empty()) << Describe(flags);
}

// ----- PU-1

TEST_F(RulePU1, ProhibitedPurposeOnGovernmentGrant) {
  uint64_t entertainment = AddSpend({{"description", "招待客户晚宴"}});
  uint64_t fine =
      AddSpend({{"description", "Traffic FINE for the project car"}, {"vendor_id", "V-2"}});
  auto flags = s_.Flags("2024-06-30");
  const Flag* flag = FindId(flags, "PU-1/" + std::to_string(entertainment));
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->severity, "critical");
  EXPECT_EQ(flag->subject, "grant:G-1");
  EXPECT_EQ(flag->figures["keyword"], "招待");
  EXPECT_EQ(flag->figures["purpose"], "entertainment");
  EXPECT_EQ(flag->evidence.size(), 1u);
  EXPECT_EQ(flag->evidence[0].chain_hash, FakeChainHash(entertainment));
  EXPECT_NE(flag->explanation.find("prohibited purpose \"entertainment\""), std::string::npos)
      << flag->explanation;
  EXPECT_NE(Raised(flags, "PU-1", fine), nullptr) << Describe(flags);
}

// The lexicon (the default policy) finds brands, traditional characters and full-width forms,
// and every flag says which label, which term of which kind, and which lexicon version.
TEST_F(RulePU1, LexiconTermsByBrandAndKind) {
  uint64_t brand = AddSpend({{"description", "飞天茅台 53度 500ml 两瓶"}});
  uint64_t traditional = AddSpend({{"description", "購物卡一批（年終）"}, {"vendor_id", "V-2"}});
  uint64_t resort = AddSpend({{"description", "团建 三亚亚龙湾度假"}, {"vendor_id", "V-3"}});
  uint64_t innocent =
      AddSpend({{"description", "车载信息娱乐系统 开发板 酒精灯"}, {"vendor_id", "V-4"}});
  auto flags = s_.Flags("2024-06-30");
  const Flag* flag = FindId(flags, "PU-1/" + std::to_string(brand));
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->figures["label"], "liquor_tobacco");
  EXPECT_EQ(flag->figures["purpose"], "liquor_tobacco");
  EXPECT_EQ(flag->figures["term"], "茅台");
  EXPECT_EQ(flag->figures["term_kind"], "brand");
  EXPECT_EQ(flag->figures["lexicon_version"], "fundtrail-2026.12");
  EXPECT_EQ(flag->parameters["lexicon_version"], "fundtrail-2026.12");
  EXPECT_NE(flag->explanation.find("prohibited purpose \"liquor_tobacco\" (alcohol and tobacco): "
                                   "brand term \"茅台\" of lexicon fundtrail-2026.12 (policy "
                                   "version 0)"),
            std::string::npos)
      << flag->explanation;
  flag = FindId(flags, "PU-1/" + std::to_string(traditional));
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->figures["term"], "购物卡");
  EXPECT_EQ(flag->figures["label"], "gift_cards");
  flag = FindId(flags, "PU-1/" + std::to_string(resort));
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->figures["label"], "tourism");
  EXPECT_EQ(Raised(flags, "PU-1", innocent), nullptr) << Describe(flags);
}

// `policy set` extends the lexicon (a merge patch adds a term), and the flags raised under it
// name the new version; what was appended before keeps the policy of its append.
TEST_F(RulePU1, PolicySetExtendsTheLexicon) {
  uint64_t before = AddSpend({{"description", "宝丰 酱酒 礼盒"}});
  json terms = {{"宝丰", "brand"}};
  json labels = {{"liquor_tobacco", {{"terms", terms}}}};
  json lexicon = {{"version", "site-2027.1"}, {"labels", labels}};
  s_.Add(PolicySet(1, {{"PU-1", {{"lexicon", lexicon}}}}));
  uint64_t after = AddSpend({{"description", "宝丰 礼盒"}, {"vendor_id", "V-2"}});
  uint64_t kept = AddSpend({{"description", "剑南春 一箱"}, {"vendor_id", "V-3"}});
  auto flags = s_.Flags("2024-06-30");
  const Flag* flag = FindId(flags, "PU-1/" + std::to_string(before));
  ASSERT_NE(flag, nullptr) << Describe(flags);  // 酒 in 酱酒, under version 0
  EXPECT_EQ(flag->figures["lexicon_version"], "fundtrail-2026.12");
  flag = FindId(flags, "PU-1/" + std::to_string(after));
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->figures["term"], "宝丰");
  EXPECT_EQ(flag->figures["lexicon_version"], "site-2027.1");
  EXPECT_EQ(flag->policy_version, 1u);
  EXPECT_NE(FindId(flags, "PU-1/" + std::to_string(kept)), nullptr) << Describe(flags);
}

// A policy written with the keyword lists (PU-1.prohibited_uses, as ledgers hold from before the
// lexicon) means what it meant: its own keywords, its exclusions, and BR-4's old keyword list.
TEST_F(RulePU1, KeywordListPoliciesKeepTheirMeaning) {
  json use = {{"purpose", "alcohol"}, {"keywords", {"酒", "wine"}}};
  json pu1 = {{"prohibited_uses", json::array({use})}};
  s_.Add(PolicySet(1, {{"PU-1", pu1}}));
  EXPECT_FALSE(s_.engine().policy().document["PU-1"].contains("lexicon"));
  uint64_t wine = AddSpend({{"description", "红酒 两瓶"}});
  uint64_t brand = AddSpend({{"description", "飞天茅台"}, {"vendor_id", "V-2"}});
  uint64_t hotel = AddSpend({{"description", "酒店住宿"}, {"vendor_id", "V-3"}});
  uint64_t machine = AddSpend(
      {{"amount", "60000.00 CNY"}, {"description", "Impedance Analyzer"}, {"vendor_id", "V-4"}});
  auto flags = s_.Flags("2024-06-30");
  const Flag* flag = FindId(flags, "PU-1/" + std::to_string(wine));
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->figures["purpose"], "alcohol");
  EXPECT_EQ(flag->figures["keyword"], "酒");
  EXPECT_FALSE(flag->figures.contains("lexicon_version"));
  EXPECT_EQ(Raised(flags, "PU-1", brand), nullptr) << "a brand is not a keyword of the list";
  EXPECT_EQ(Raised(flags, "PU-1", hotel), nullptr) << "the default exclusions still apply";
  EXPECT_NE(Raised(flags, "BR-4", machine), nullptr) << Describe(flags);
}

TEST_F(RulePU1, NearMisses) {
  // Enterprise money carries no supervision duty; exclusions cover hotels, ethanol, guesthouses;
  // ASCII keywords must stand as words; a reversed expenditure raises nothing.
  uint64_t enterprise =
      s_.Add(Spend({{"grant_id", "G-E"}, {"org_id", kEnt}, {"description", "招待客户晚宴"}}), kEnt);
  uint64_t hotel = AddSpend(
      {{"category", "travel_conference_international"}, {"description", "会议 酒店住宿 招待所"}});
  uint64_t reagent =
      AddSpend({{"description", "isopropyl alcohol, refined powder, fine chemicals"}});
  uint64_t reversed = AddSpend({{"description", "购买加油卡"}});
  s_.Add(Reverse(reversed));
  auto flags = s_.Flags("2024-06-30");
  for (uint64_t sequence : {enterprise, hotel, reagent, reversed}) {
    EXPECT_EQ(Raised(flags, "PU-1", sequence), nullptr) << sequence << "\n" << Describe(flags);
  }
  EXPECT_TRUE(OfRule(flags, "PU-1").empty()) << Describe(flags);
}

// ----- PU-2

TEST_F(RulePU2, CategoryWithoutBudgetAndSpenderWithoutTask) {
  uint64_t fuel = AddSpend({{"category", "fuel_power"}, {"description", "实验用电"}});
  s_.Add(Organisation("ENT-2", "enterprise", "周总", "TAX-ENT2"));
  s_.Add(Admit("ENT-2", "2024-02-01"));
  uint64_t no_task = s_.Add(Spend({{"org_id", "ENT-2"}}), "ENT-2");
  auto flags = s_.Flags("2024-06-30");
  EXPECT_NE(FindId(flags, "PU-2/" + std::to_string(fuel) + "/category"), nullptr)
      << Describe(flags);
  const Flag* task = FindId(flags, "PU-2/" + std::to_string(no_task) + "/task");
  ASSERT_NE(task, nullptr) << Describe(flags);
  EXPECT_EQ(task->severity, "high");
  EXPECT_EQ(FindId(flags, "PU-2/" + std::to_string(fuel) + "/task"), nullptr);
}

TEST_F(RulePU2, ApprovedAdjustmentAddsTheCategory) {
  s_.Add(Adjust("G-1", {{"fuel_power", 1000000}}, kFunder));
  uint64_t fuel = AddSpend({{"category", "fuel_power"}, {"description", "实验用电"}});
  uint64_t budgeted = AddSpend({{"category", "testing"}});
  auto flags = s_.Flags("2024-06-30");
  EXPECT_TRUE(OfRule(flags, "PU-2").empty()) << Describe(flags);
  EXPECT_EQ(Raised(flags, "PU-2", fuel), nullptr);
  EXPECT_EQ(Raised(flags, "PU-2", budgeted), nullptr);
}

TEST_F(RulePU2, ReversedAdjustmentRestoresTheFlag) {
  uint64_t adjustment = s_.Add(Adjust("G-1", {{"fuel_power", 1000000}}, kFunder));
  uint64_t fuel = AddSpend({{"category", "fuel_power"}, {"description", "实验用电"}});
  EXPECT_TRUE(OfRule(s_.Flags("2024-06-30"), "PU-2").empty());
  s_.Add(Reverse(adjustment));
  auto flags = s_.Flags("2024-06-30");
  EXPECT_NE(Raised(flags, "PU-2", fuel), nullptr) << Describe(flags);
}

// ----- PU-3

TEST_F(RulePU3, OneInvoiceChargedToTwoGrants) {
  uint64_t first = AddSpend({{"invoice_number", "FP-7001"}, {"amount", Cny(4000000)}});
  uint64_t second = s_.Add(Spend({{"grant_id", "G-E"},
                                  {"org_id", kEnt},
                                  {"invoice_number", "FP-7001"},
                                  {"amount", Cny(4000000)}}),
                           kEnt);
  auto flags = s_.Flags("2024-06-30");
  const Flag* flag = FindId(flags, "PU-3/" + std::to_string(first));
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->severity, "critical");
  EXPECT_TRUE(HasEvidence(*flag, second));
  EXPECT_EQ(flag->figures["total"], "80000.00 CNY");
  EXPECT_EQ(flag->figures["largest_charge"], "40000.00 CNY");
}

TEST_F(RulePU3, NearMisses) {
  // Same number at two vendors; instalments of one invoice on one grant by one member; a
  // reversed second charge; a policy allowing 200%.
  AddSpend({{"invoice_number", "FP-1"}, {"vendor_id", "V-1"}});
  s_.Add(Spend({{"grant_id", "G-E"},
                {"org_id", kEnt},
                {"invoice_number", "FP-1"},
                {"vendor_id", "V-2"}}),
         kEnt);
  AddSpend({{"invoice_number", "FP-2"}, {"amount", Cny(2000001)}});
  AddSpend({{"invoice_number", "FP-2"}, {"amount", Cny(3000002)}});
  AddSpend({{"invoice_number", "FP-3"}});
  uint64_t reversed =
      s_.Add(Spend({{"grant_id", "G-E"}, {"org_id", kEnt}, {"invoice_number", "FP-3"}}), kEnt);
  s_.Add(Reverse(reversed));
  EXPECT_TRUE(OfRule(s_.Flags("2024-06-30"), "PU-3").empty()) << Describe(s_.Flags("2024-06-30"));

  json document = {{"PU-3", {{"charged_percent_max", "200"}}}};
  s_.Add(PolicySet(1, document));
  AddSpend({{"invoice_number", "FP-4"}, {"amount", Cny(3000000)}});
  s_.Add(Spend({{"grant_id", "G-E"},
                {"org_id", kEnt},
                {"invoice_number", "FP-4"},
                {"amount", Cny(3000000)}}),
         kEnt);
  auto flags = s_.Flags("2024-06-30");
  EXPECT_TRUE(OfRule(flags, "PU-3").empty()) << Describe(flags);
}

// ----- PU-4

TEST_F(RulePU4, FeeAboveTheDailyCap) {
  uint64_t high = AddSpend({{"category", "expert_consultation"},
                            {"expert_name", "周教授"},
                            {"expert_days", 2},
                            {"amount", "4800.01 CNY"},
                            {"description", "专家咨询费"}});
  uint64_t academician = AddSpend({{"category", "expert_consultation"},
                                   {"expert_name", "吴院士"},
                                   {"expert_days", 3},
                                   {"expert_is_academician", true},
                                   {"amount", "10800.01 CNY"},
                                   {"description", "专家咨询费"}});
  auto flags = s_.Flags("2024-06-30");
  const Flag* flag = FindId(flags, "PU-4/" + std::to_string(high) + "/cap");
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->figures["cap_per_day"], "2400.00 CNY");
  EXPECT_EQ(flag->parameters["fee_cap_per_day"], "2400.00 CNY");
  EXPECT_NE(FindId(flags, "PU-4/" + std::to_string(academician) + "/cap"), nullptr)
      << Describe(flags);
}

TEST_F(RulePU4, AtTheCapIsNotAFlag) {
  AddSpend({{"category", "expert_consultation"},
            {"expert_name", "周教授"},
            {"expert_days", 2},
            {"amount", "4800.00 CNY"},
            {"description", "专家咨询费"}});
  AddSpend({{"category", "expert_consultation"},
            {"expert_name", "吴院士"},
            {"expert_days", 3},
            {"expert_is_academician", true},
            {"amount", "10800.00 CNY"},
            {"description", "专家咨询费"}});
  AddSpend({{"category", "expert_consultation"},
            {"expert_name", "郑教授"},
            {"amount", "2400.00 CNY"},
            {"description", "专家咨询费"}});
  auto flags = s_.Flags("2024-06-30");
  EXPECT_TRUE(OfRule(flags, "PU-4").empty()) << Describe(flags);
}

TEST_F(RulePU4, FeePaidToTheProjectTeam) {
  uint64_t team_evidence = AddSpend();  // 李娜 requests spending on P-1: she is on the team
  uint64_t fee = AddSpend({{"category", "expert_consultation"},
                           {"expert_name", "李娜"},
                           {"expert_days", 1},
                           {"amount", "1500.00 CNY"},
                           {"requester", "赵敏"},
                           {"description", "专家咨询费"}});
  uint64_t outsider = AddSpend({{"category", "expert_consultation"},
                                {"expert_name", "外聘专家"},
                                {"expert_days", 1},
                                {"amount", "1600.00 CNY"},
                                {"requester", "赵敏"},
                                {"description", "专家咨询费"}});
  auto flags = s_.Flags("2024-06-30");
  const Flag* flag = FindId(flags, "PU-4/" + std::to_string(fee) + "/team");
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->figures["team_evidence"]["sequence"], team_evidence);
  EXPECT_EQ(Raised(flags, "PU-4", outsider), nullptr) << Describe(flags);
  // Reversing the only evidence that she is on the team removes the flag.
  s_.Add(Reverse(team_evidence));
  flags = s_.Flags("2024-06-30");
  EXPECT_EQ(Raised(flags, "PU-4", fee), nullptr) << Describe(flags);
}

// ----- BR-1

TEST_F(RuleBR1, IndirectBudgetAboveTheCap) {
  // Direct costs less equipment 1,000,000: the 2021 cap is 300,000.
  uint64_t above =
      s_.Add(Grant("G-X", "central_government", "2024-03-01", "2025-02-28",
                   {{"materials", 100000000}, {"equipment", 50000000}, {"indirect", 30000001}}));
  uint64_t at =
      s_.Add(Grant("G-Y", "central_government", "2024-03-01", "2025-02-28",
                   {{"materials", 100000000}, {"equipment", 50000000}, {"indirect", 30000000}}));
  auto flags = s_.Flags("2024-06-30");
  const Flag* flag = FindId(flags, "BR-1/" + std::to_string(above) + "/budget");
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->figures["cap"], "300000.00 CNY");
  EXPECT_EQ(flag->parameters["regime"], "2021");
  EXPECT_EQ(Raised(flags, "BR-1", at), nullptr) << Describe(flags);
  // G-1: 8,500,000 direct less 3,000,000 equipment gives a cap of 1,500,000 + 125,000.
  EXPECT_EQ(Raised(flags, "BR-1", g1_), nullptr) << Describe(flags);
}

TEST_F(RuleBR1, IndirectSpendingAboveTheCapAndTheLegacyRegime) {
  AddSpend({{"amount", "40000.00 CNY"}});
  AddSpend({{"category", "testing"},
            {"vendor_id", "V-2"},
            {"amount", "40000.00 CNY"},
            {"requester", "赵敏"}});
  AddSpend({{"category", "equipment"},
            {"vendor_id", "V-3"},
            {"amount", "40000.00 CNY"},
            {"requester", "钱勇"}});
  // Direct less equipment spent: 80,000, so the 2021 cap is 24,000.
  uint64_t indirect = AddSpend({{"category", "indirect"},
                                {"vendor_id", "V-4"},
                                {"amount", "24000.00 CNY"},
                                {"requester", "孙丽"},
                                {"description", "间接费用"}});
  EXPECT_TRUE(OfRule(s_.Flags("2024-06-30"), "BR-1").empty()) << Describe(s_.Flags("2024-06-30"));
  uint64_t more = AddSpend({{"category", "indirect"},
                            {"vendor_id", "V-4"},
                            {"amount", "0.01 CNY"},
                            {"requester", "孙丽"},
                            {"description", "间接费用"}});
  auto flags = s_.Flags("2024-06-30");
  const Flag* flag = FindId(flags, "BR-1/" + std::to_string(indirect) + "/spent");
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_TRUE(HasEvidence(*flag, more));
  s_.Add(Reverse(more));
  EXPECT_TRUE(OfRule(s_.Flags("2024-06-30"), "BR-1").empty());

  // The legacy regime (20%) takes effect for evaluations after the policy event: its cap is
  // 16,000. The policy is prospective: the flag appears once a later event touches the grant.
  s_.Add(PolicySet(1, {{"BR-1", {{"regime", "legacy"}}}}));
  EXPECT_TRUE(OfRule(s_.Flags("2024-06-30"), "BR-1").empty());
  AddSpend({{"vendor_id", "V-5"}, {"amount", "1.00 CNY"}, {"requester", "周杰"}});
  flags = s_.Flags("2024-06-30");
  flag = FindId(flags, "BR-1/" + std::to_string(indirect) + "/spent");
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->policy_version, 1u);
  EXPECT_EQ(flag->parameters["regime"], "legacy");
  EXPECT_EQ(flag->figures["cap"], "16000.20 CNY");
}

// ----- BR-2

TEST_F(RuleBR2, SpendingBeyondTheLine) {
  AddSmallGrant("G-S");
  AddSpend({{"grant_id", "G-S"}, {"amount", "45000.00 CNY"}});
  AddSpend({{"grant_id", "G-S"}, {"amount", "45000.00 CNY"}, {"vendor_id", "V-2"}});
  EXPECT_TRUE(OfRule(s_.Flags("2024-06-30"), "BR-2").empty());
  uint64_t crossing =
      AddSpend({{"grant_id", "G-S"}, {"amount", "10000.01 CNY"}, {"vendor_id", "V-3"}});
  auto flags = s_.Flags("2024-06-30");
  const Flag* flag = FindId(flags, "BR-2/" + std::to_string(crossing) + "/overrun");
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->figures["overrun"], "0.01 CNY");
  EXPECT_EQ(flag->figures["budget"], "100000.00 CNY");
  // Reversing the crossing expenditure removes the flag.
  s_.Add(Reverse(crossing));
  EXPECT_TRUE(OfRule(s_.Flags("2024-06-30"), "BR-2").empty()) << Describe(s_.Flags("2024-06-30"));
}

TEST_F(RuleBR2, ApprovedAdjustmentRaisesTheLine) {
  AddSmallGrant("G-S");
  s_.Add(Adjust("G-S", {{"materials", 11000000}},
                "项目负责人"));  // any approver may move non-equipment lines
  AddSpend({{"grant_id", "G-S"}, {"amount", "45000.00 CNY"}});
  AddSpend({{"grant_id", "G-S"}, {"amount", "45000.00 CNY"}, {"vendor_id", "V-2"}});
  AddSpend({{"grant_id", "G-S"}, {"amount", "20000.00 CNY"}, {"vendor_id", "V-3"}});
  // Equipment raised from 40,000 to 80,000 with the funder's approval (by name).
  s_.Add(Adjust("G-S", {{"equipment", 8000000}}, kFunderName));
  AddSpend({{"grant_id", "G-S"},
            {"category", "equipment"},
            {"amount", "70000.00 CNY"},
            {"vendor_id", "V-4"}});
  auto flags = s_.Flags("2024-06-30");
  EXPECT_TRUE(OfRule(flags, "BR-2").empty()) << Describe(flags);
}

TEST_F(RuleBR2, EquipmentIncreaseWithoutTheFunder) {
  AddSmallGrant("G-S");
  uint64_t adjustment = s_.Add(Adjust("G-S", {{"equipment", 8000000}}, "项目负责人"));
  uint64_t spent =
      AddSpend({{"grant_id", "G-S"}, {"category", "equipment"}, {"amount", "70000.00 CNY"}});
  auto flags = s_.Flags("2024-06-30");
  const Flag* flag = FindId(flags, "BR-2/" + std::to_string(adjustment) + "/equipment_increase");
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->figures["approved_by"], "项目负责人");
  // The unapproved increase does not count: 70,000 against 40,000 is an overrun too.
  EXPECT_NE(FindId(flags, "BR-2/" + std::to_string(spent) + "/overrun"), nullptr)
      << Describe(flags);
}

// ----- BR-3

TEST_F(RuleBR3, MemberSpendsMoreThanDisbursed) {
  AddSmallGrant("G-S");
  s_.Add(Receive("G-S", 20000000, "2024-03-05"));
  uint64_t disbursement = s_.Add(Disburse("G-S", kUni, 10000000, "2024-03-10"));
  AddSpend({{"grant_id", "G-S"}, {"amount", "45000.00 CNY"}});
  AddSpend({{"grant_id", "G-S"},
            {"category", "testing"},
            {"amount", "55000.00 CNY"},
            {"vendor_id", "V-2"}});
  EXPECT_TRUE(OfRule(s_.Flags("2024-06-30"), "BR-3").empty()) << Describe(s_.Flags("2024-06-30"));
  uint64_t over = AddSpend(
      {{"grant_id", "G-S"}, {"category", "testing"}, {"amount", "0.01 CNY"}, {"vendor_id", "V-3"}});
  auto flags = s_.Flags("2024-06-30");
  const Flag* flag = FindId(flags, "BR-3/" + std::to_string(over) + "/member");
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->severity, "critical");
  EXPECT_EQ(flag->subject, std::string("org:") + kUni);
  s_.Add(Reverse(over));
  EXPECT_TRUE(OfRule(s_.Flags("2024-06-30"), "BR-3").empty());
  // Reversing the disbursement makes every expenditure an overspend.
  s_.Add(Reverse(disbursement));
  flags = s_.Flags("2024-06-30");
  EXPECT_EQ(OfRule(flags, "BR-3").size(), 1u) << Describe(flags);
}

TEST_F(RuleBR3, DisbursedBeyondReceivedAndReceivedBeyondAward) {
  AddSmallGrant("G-S");
  s_.Add(Receive("G-S", 15000000, "2024-03-05"));
  s_.Add(Disburse("G-S", kUni, 10000000, "2024-03-10"));
  s_.Add(Disburse("G-S", kEnt, 5000000, "2024-03-10"));
  EXPECT_TRUE(OfRule(s_.Flags("2024-06-30"), "BR-3").empty());
  uint64_t over = s_.Add(Disburse("G-S", kInst, 1, "2024-03-11"));
  auto flags = s_.Flags("2024-06-30");
  EXPECT_NE(FindId(flags, "BR-3/" + std::to_string(over) + "/disbursed"), nullptr)
      << Describe(flags);

  uint64_t covering = s_.Add(Receive("G-S", 5000000, "2024-04-01"));  // now exactly the award of 200,000
  flags = s_.Flags("2024-06-30");
  // The advance stays flagged, as the episode it was: from the disbursement to the receipt.
  ASSERT_EQ(OfRule(flags, "BR-3").size(), 1u) << Describe(flags);
  const Flag* advance = FindId(flags, "BR-3/" + std::to_string(over) + "/disbursed");
  ASSERT_NE(advance, nullptr) << Describe(flags);
  EXPECT_EQ(advance->figures["start"], "2024-03-11");
  EXPECT_EQ(advance->figures["end"], "2024-04-01");
  EXPECT_EQ(advance->figures["peak_shortfall"], "0.01 CNY");
  EXPECT_TRUE(HasEvidence(*advance, covering));
  // A disbursement dated before a receipt recorded earlier in the log is still ahead of it.
  AddSmallGrant("G-T");
  s_.Add(Receive("G-T", 1000000, "2024-05-02"));
  uint64_t early = s_.Add(Disburse("G-T", kUni, 1000000, "2024-05-01"));
  flags = s_.Flags("2024-06-30");
  const Flag* dated = FindId(flags, "BR-3/" + std::to_string(early - 1) + "/disbursed");
  ASSERT_NE(dated, nullptr) << Describe(flags);
  EXPECT_EQ(dated->figures["first_exceeded_by"], early);
  EXPECT_EQ(dated->figures["end"], "2024-05-02");
  uint64_t excess = s_.Add(Receive("G-S", 1, "2024-04-02"));
  flags = s_.Flags("2024-06-30");
  const Flag* flag = FindId(flags, "BR-3/" + std::to_string(excess) + "/received");
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->figures["excess"], "0.01 CNY");
}

TEST_F(RuleBR3, OverdraftCoveredByALaterTrancheIsFlaggedOnceWithItsDates) {
  // The issue's case: the member spends beyond its first tranche in one quarter and the next
  // tranche covers it. The totals balance, the timeline does not.
  AddSmallGrant("G-S");
  s_.Add(Receive("G-S", 20000000, "2024-03-05"));
  s_.Add(Disburse("G-S", kUni, 5000000, "2024-03-10"));
  uint64_t over = AddSpend({{"grant_id", "G-S"}, {"amount", "80000.00 CNY"}, {"payment_date", "2024-04-03"}});
  uint64_t deeper = AddSpend({{"grant_id", "G-S"},
                              {"category", "testing"},
                              {"amount", "10000.00 CNY"},
                              {"vendor_id", "V-2"},
                              {"payment_date", "2024-05-20"}});
  uint64_t tranche = s_.Add(Disburse("G-S", kUni, 5000000, "2024-07-01"));
  auto flags = s_.Flags("2024-12-31");
  ASSERT_EQ(OfRule(flags, "BR-3").size(), 1u) << Describe(flags);
  const Flag* flag = FindId(flags, "BR-3/" + std::to_string(over) + "/member");
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->figures["start"], "2024-04-03");
  EXPECT_EQ(flag->figures["end"], "2024-07-01");
  EXPECT_EQ(flag->figures["days"], 89);
  EXPECT_EQ(flag->figures["peak_shortfall"], "40000.00 CNY");
  EXPECT_EQ(flag->figures["peak_date"], "2024-05-20");
  EXPECT_TRUE(HasEvidence(*flag, deeper));
  EXPECT_TRUE(HasEvidence(*flag, tranche));
  EXPECT_NE(flag->explanation.find("to 2024-07-01, when event #" + std::to_string(tranche) + " covered it"),
            std::string::npos)
      << flag->explanation;

  // A second, separate overdraft is a second flag; the first keeps its id.
  uint64_t again = AddSpend({{"grant_id", "G-S"},
                             {"category", "testing"},
                             {"amount", "10000.01 CNY"},
                             {"vendor_id", "V-3"},
                             {"payment_date", "2024-09-02"}});
  flags = s_.Flags("2024-12-31");
  ASSERT_EQ(OfRule(flags, "BR-3").size(), 2u) << Describe(flags);
  EXPECT_NE(FindId(flags, "BR-3/" + std::to_string(over) + "/member"), nullptr) << Describe(flags);
  const Flag* second = FindId(flags, "BR-3/" + std::to_string(again) + "/member");
  ASSERT_NE(second, nullptr) << Describe(flags);
  EXPECT_EQ(second->figures["end"], "ongoing");
  EXPECT_EQ(second->figures["peak_shortfall"], "0.01 CNY");
  EXPECT_TRUE(second->figures["days"].is_null());
}

TEST_F(RuleBR3, BusinessDatesNotSequenceOrder) {
  // History imported out of order: the tranche is recorded first but dated after the payment, so
  // the member was short in between; a payment recorded later but dated after the tranche is not.
  AddSmallGrant("G-S");
  s_.Add(Receive("G-S", 20000000, "2024-03-05"));
  uint64_t tranche = s_.Add(Disburse("G-S", kUni, 5000000, "2024-06-01"));
  uint64_t early = AddSpend({{"grant_id", "G-S"}, {"amount", "30000.00 CNY"}, {"payment_date", "2024-04-03"}});
  uint64_t late = AddSpend({{"grant_id", "G-S"}, {"amount", "20000.00 CNY"}, {"payment_date", "2024-06-03"},
                            {"vendor_id", "V-2"}});
  auto flags = s_.Flags("2024-12-31");
  ASSERT_EQ(OfRule(flags, "BR-3").size(), 1u) << Describe(flags);
  const Flag* flag = OfRule(flags, "BR-3").front();
  EXPECT_EQ(flag->id, "BR-3/" + std::to_string(tranche) + "/member");  // its first evidence event
  EXPECT_TRUE(HasEvidence(*flag, early));
  EXPECT_FALSE(HasEvidence(*flag, late));
  EXPECT_EQ(flag->figures["start"], "2024-04-03");
  EXPECT_EQ(flag->figures["end"], "2024-06-01");
  EXPECT_EQ(flag->figures["first_exceeded_by"], early);
  // Reversing the early payment removes the episode.
  s_.Add(Reverse(early));
  EXPECT_TRUE(OfRule(s_.Flags("2024-12-31"), "BR-3").empty());
}

// ----- BR-4

TEST_F(RuleBR4, EquipmentBookedAsMaterials) {
  uint64_t at = AddSpend({{"amount", "50000.00 CNY"}, {"description", "电池包气密性检测仪（1台）"}});
  uint64_t below = AddSpend({{"amount", "49999.99 CNY"}, {"vendor_id", "V-2"}, {"description", "高低温试验箱 instrument"}});
  // Bulk materials above the threshold are ordinary: no equipment keyword in the description.
  uint64_t bulk = AddSpend({{"amount", "226360.72 CNY"}, {"vendor_id", "V-5"}, {"description", "高镍三元正极材料 2 吨"}});
  // ASCII keywords must stand as words: "servers" is not "server", "machined" not "machine".
  uint64_t word = AddSpend({{"amount", "70000.00 CNY"}, {"vendor_id", "V-6"}, {"description", "machined aluminium housings"}});
  uint64_t english = AddSpend({{"amount", "80000.00 CNY"}, {"vendor_id", "V-7"}, {"description", "Impedance Analyzer, one unit"}});
  uint64_t equipment =
      AddSpend({{"category", "equipment"}, {"amount", "60000.00 CNY"}, {"vendor_id", "V-3"}});
  uint64_t labour = AddSpend({{"category", "labour"},
                              {"amount", "60000.00 CNY"},
                              {"vendor_id", "V-4"},
                              {"payee", "研究生乙"}});
  auto flags = s_.Flags("2024-06-30");
  const Flag* flag = FindId(flags, "BR-4/" + std::to_string(at));
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->severity, "medium");
  EXPECT_NE(FindId(flags, "BR-4/" + std::to_string(english)), nullptr) << Describe(flags);
  for (uint64_t sequence : {below, equipment, labour, bulk, word})
    EXPECT_EQ(Raised(flags, "BR-4", sequence), nullptr) << sequence;
}

// ----- TP-1

TEST_F(RuleTP1, TheExampleSentence) {
  s_.Add(Grant("G-2024-01", "central_government", "2024-03-01", "2024-11-30",
               {{"materials", 10000000}}));
  s_.Add(Vendor("V-17", "TAX-V17"));
  uint64_t late = AddSpend({{"grant_id", "G-2024-01"},
                            {"vendor_id", "V-17"},
                            {"amount", "48000.00 CNY"},
                            {"invoice_date", "2025-01-09"},
                            {"payment_date", "2025-01-10"}});
  auto flags = s_.Flags("2024-12-31");
  const Flag* flag = FindId(flags, "TP-1/" + std::to_string(late) + "/after");
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->explanation,
            "expenditure #" + std::to_string(late) +
                " of 48,000.00 CNY to vendor V-17 was dated 2025-01-09, 40 days after grant "
                "G-2024-01 ended on 2024-11-30");
  EXPECT_EQ(flag->severity, "critical");
  EXPECT_EQ(flag->subject, "grant:G-2024-01");
  EXPECT_EQ(flag->figures["days_after_end"], 40);
}

TEST_F(RuleTP1, LiquidationWindowAndStart) {
  AddSmallGrant("G-S");  // ends 2025-02-28
  uint64_t on_end = AddSpend(
      {{"grant_id", "G-S"}, {"invoice_date", "2025-02-28"}, {"payment_date", "2025-03-04"}});
  uint64_t inside = AddSpend(
      {{"grant_id", "G-S"}, {"invoice_date", "2025-02-20"}, {"payment_date", "2025-06-28"}});
  uint64_t outside = AddSpend(
      {{"grant_id", "G-S"}, {"invoice_date", "2025-02-20"}, {"payment_date", "2025-06-30"}});
  uint64_t before = AddSpend(
      {{"grant_id", "G-S"}, {"invoice_date", "2024-02-28"}, {"payment_date", "2024-03-04"}});
  auto flags = s_.Flags("2024-12-31");
  EXPECT_EQ(Raised(flags, "TP-1", on_end), nullptr) << Describe(flags);
  EXPECT_EQ(Raised(flags, "TP-1", inside), nullptr) << Describe(flags);  // end + 120 days
  EXPECT_NE(FindId(flags, "TP-1/" + std::to_string(outside) + "/liquidation"), nullptr)
      << Describe(flags);
  EXPECT_NE(FindId(flags, "TP-1/" + std::to_string(before) + "/before"), nullptr)
      << Describe(flags);
}

// ----- TP-2

TEST_F(RuleTP2, SpendingBunchedAtTheEnd) {
  AddSmallGrant("G-S");  // final 60 days: 2024-12-31 .. 2025-02-28
  AddSpend({{"grant_id", "G-S"}, {"amount", "30000.00 CNY"}, {"payment_date", "2024-06-05"}});
  uint64_t late = AddSpend({{"grant_id", "G-S"},
                            {"category", "testing"},
                            {"amount", "10000.00 CNY"},
                            {"invoice_date", "2024-12-31"},
                            {"payment_date", "2024-12-31"}});
  auto flags = s_.Flags("2025-01-31");
  EXPECT_TRUE(OfRule(flags, "TP-2").empty()) << Describe(flags);  // exactly 25%
  uint64_t more = AddSpend({{"grant_id", "G-S"},
                            {"category", "testing"},
                            {"amount", "0.01 CNY"},
                            {"invoice_date", "2025-01-10"},
                            {"payment_date", "2025-01-10"},
                            {"vendor_id", "V-2"}});
  flags = s_.Flags("2025-01-31");
  const Flag* flag = FindId(flags, "TP-2/" + std::to_string(late));
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_TRUE(HasEvidence(*flag, more));
  EXPECT_EQ(flag->figures["window_start"], "2024-12-31");
  EXPECT_EQ(flag->parameters["share_percent"], "25");
}

// ----- TP-3

TEST_F(RuleTP3, DisbursedMoneyIdleTooLong) {
  // 2024-03-10 + 180 days = 2024-09-06.
  auto flags = s_.Flags("2024-09-06");
  EXPECT_TRUE(OfRule(flags, "TP-3").empty()) << Describe(flags);
  flags = s_.Flags("2024-09-07");
  const Flag* flag = FindId(flags, "TP-3/" + std::to_string(uni_disbursement_));
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->figures["days_idle"], 181);
  EXPECT_EQ(flag->figures["idle"], "2000000.00 CNY");
}

TEST_F(RuleTP3, SpentMoneyIsNotIdle) {
  AddSmallGrant("G-S");
  s_.Add(Receive("G-S", 10000000, "2024-03-05"));
  uint64_t disbursement = s_.Add(Disburse("G-S", kUni, 10000000, "2024-03-10"));
  AddSpend({{"grant_id", "G-S"}, {"amount", "45000.00 CNY"}});
  AddSpend({{"grant_id", "G-S"},
            {"category", "testing"},
            {"amount", "55000.00 CNY"},
            {"vendor_id", "V-2"}});
  auto flags = s_.Flags("2024-12-31");
  EXPECT_EQ(Raised(flags, "TP-3", disbursement), nullptr) << Describe(flags);
  EXPECT_NE(Raised(flags, "TP-3", uni_disbursement_), nullptr)
      << Describe(flags);  // G-1's money still idle
}

TEST_F(RuleTP3, IdleMoneyLaterSpentIsFlagged) {
  // The issue's case: money idle for seven months and then spent. On the evaluation date nothing
  // is idle, but the episode happened.
  AddSmallGrant("G-S");
  s_.Add(Receive("G-S", 10000000, "2024-03-05"));
  uint64_t disbursement = s_.Add(Disburse("G-S", kUni, 10000000, "2024-03-10"));
  uint64_t partly = AddSpend({{"grant_id", "G-S"}, {"amount", "30000.00 CNY"}, {"payment_date", "2024-09-20"}});
  uint64_t spent = AddSpend({{"grant_id", "G-S"},
                             {"category", "testing"},
                             {"amount", "60000.00 CNY"},
                             {"vendor_id", "V-2"},
                             {"payment_date", "2024-10-15"}});
  AddSpend({{"grant_id", "G-S"}, {"amount", "10000.00 CNY"}, {"vendor_id", "V-3"}, {"payment_date", "2024-10-15"}});
  auto flags = s_.Flags("2024-12-31");
  const Flag* flag = FindId(flags, "TP-3/" + std::to_string(disbursement));
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->figures["start"], "2024-09-07");  // 2024-03-10 + 181 days
  EXPECT_EQ(flag->figures["end"], "2024-10-15");
  EXPECT_EQ(flag->figures["peak_idle"], "100000.00 CNY");
  EXPECT_EQ(flag->figures["idle"], "70000.00 CNY");  // on the day before it was spent
  EXPECT_EQ(flag->figures["days_idle"], 219);
  EXPECT_TRUE(HasEvidence(*flag, spent));
  EXPECT_FALSE(HasEvidence(*flag, partly));
  EXPECT_NE(flag->explanation.find("lay unspent until it was spent on 2024-10-15"), std::string::npos)
      << flag->explanation;
  // Spent one day inside the limit: no episode.
  AddSmallGrant("G-T");
  s_.Add(Receive("G-T", 10000000, "2024-03-05"));
  uint64_t prompt = s_.Add(Disburse("G-T", kUni, 10000000, "2024-03-10"));
  AddSpend({{"grant_id", "G-T"}, {"amount", "100000.00 CNY"}, {"vendor_id", "V-4"}, {"payment_date", "2024-09-06"}});
  flags = s_.Flags("2024-12-31");
  EXPECT_EQ(Raised(flags, "TP-3", prompt), nullptr) << Describe(flags);
}

TEST_F(RuleTP3, TwoEpisodesOfOneMemberAreTwoFlags) {
  AddSmallGrant("G-S", "2025-12-31");
  s_.Add(Receive("G-S", 20000000, "2024-03-05"));
  uint64_t first = s_.Add(Disburse("G-S", kUni, 5000000, "2024-03-10"));
  AddSpend({{"grant_id", "G-S"}, {"amount", "50000.00 CNY"}, {"payment_date", "2024-10-01"}});
  uint64_t second = s_.Add(Disburse("G-S", kUni, 5000000, "2024-11-01"));
  auto flags = s_.Flags("2025-06-30");
  ASSERT_NE(FindId(flags, "TP-3/" + std::to_string(first)), nullptr) << Describe(flags);
  const Flag* ongoing = FindId(flags, "TP-3/" + std::to_string(second));
  ASSERT_NE(ongoing, nullptr) << Describe(flags);
  EXPECT_EQ(ongoing->figures["end"], "ongoing");
  EXPECT_EQ(ongoing->figures["start"], "2025-05-01");  // 2024-11-01 + 181 days
  // Asked earlier, the second is not yet over the limit.
  EXPECT_EQ(FindId(s_.Flags("2025-04-30"), "TP-3/" + std::to_string(second)), nullptr);
}

// ----- TP-4

TEST_F(RuleTP4, BalanceNotRefundedAfterTheEnd) {
  uint64_t grant = AddSmallGrant("G-S");  // ends 2025-02-28, deadline 2025-03-30
  s_.Add(Receive("G-S", 20000000, "2024-03-05"));
  auto flags = s_.Flags("2025-03-30");
  EXPECT_EQ(Raised(flags, "TP-4", grant), nullptr) << Describe(flags);
  flags = s_.Flags("2025-03-31");
  const Flag* flag = FindId(flags, "TP-4/" + std::to_string(grant));
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->figures["balance"], "200000.00 CNY");
  s_.Add(Refund("G-S", kManager, "unspent_to_funder", 20000000, "2025-03-20"));
  flags = s_.Flags("2025-03-31");
  EXPECT_EQ(Raised(flags, "TP-4", grant), nullptr) << Describe(flags);
}

// ----- FL-1

TEST_F(RuleFL1, NonMemberRecipientAndSpender) {
  uint64_t disbursement = s_.Add(Disburse("G-1", kOutsider, 1000000, "2024-04-01"));
  uint64_t spent = s_.Add(Spend({{"org_id", kOutsider}}), kOutsider);
  uint64_t member = AddSpend();
  auto flags = s_.Flags("2024-06-30");
  EXPECT_NE(FindId(flags, "FL-1/" + std::to_string(disbursement) + "/recipient"), nullptr)
      << Describe(flags);
  EXPECT_NE(FindId(flags, "FL-1/" + std::to_string(spent) + "/spender"), nullptr)
      << Describe(flags);
  EXPECT_EQ(Raised(flags, "FL-1", member), nullptr) << Describe(flags);
  // Admitted before the date of a later spend: a member then.
  s_.Add(Admit(kOutsider, "2024-05-01"));
  uint64_t after = s_.Add(
      Spend(
          {{"org_id", kOutsider}, {"invoice_date", "2024-05-06"}, {"payment_date", "2024-05-07"}}),
      kOutsider);
  flags = s_.Flags("2024-06-30");
  EXPECT_EQ(Raised(flags, "FL-1", after), nullptr) << Describe(flags);
}

TEST_F(RuleFL1, WithdrawnMemberKeepsFunds) {
  s_.Add(Withdraw(kEnt, "2024-06-03"));  // + 90 days = 2024-09-01
  auto flags = s_.Flags("2024-09-01");
  EXPECT_TRUE(OfRule(flags, "FL-1").empty()) << Describe(flags);
  flags = s_.Flags("2024-09-02");
  auto kept = OfRule(flags, "FL-1");
  ASSERT_EQ(kept.size(), 2u) << Describe(flags);  // G-1 and G-E
  EXPECT_EQ(kept[0]->figures["withdrawn_on"], "2024-06-03");
  // Refunding everything it holds clears both.
  s_.Add(Refund("G-1", kEnt, "unspent_to_funder", 100000000, "2024-06-20"));
  s_.Add(Refund("G-E", kEnt, "unspent_to_funder", 50000000, "2024-06-20"));
  flags = s_.Flags("2024-09-02");
  EXPECT_TRUE(OfRule(flags, "FL-1").empty()) << Describe(flags);
}

// ----- FL-2

TEST_F(RuleFL2, DisbursementToAMemberWithoutTask) {
  s_.Add(Organisation("ENT-2", "enterprise", "周总", "TAX-ENT2"));
  s_.Add(Admit("ENT-2", "2024-02-01"));
  s_.Add(Sign("A-1", "ENT-2", "2024-02-02"));
  uint64_t no_task = s_.Add(Disburse("G-1", "ENT-2", 1000000, "2024-04-01"));
  uint64_t with_task = s_.Add(Disburse("G-1", kInst, 1000000, "2024-04-01"));
  auto flags = s_.Flags("2024-06-30");
  const Flag* flag = FindId(flags, "FL-2/" + std::to_string(no_task));
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->severity, "high");
  EXPECT_EQ(Raised(flags, "FL-2", with_task), nullptr);
  EXPECT_EQ(Raised(flags, "FL-3", no_task), nullptr) << Describe(flags);  // ENT-2 signed
}

// ----- FL-3

TEST_F(RuleFL3, GovernmentMoneyBeforeEverySignature) {
  s_.Add(Organisation("ENT-2", "enterprise", "周总", "TAX-ENT2"));
  s_.Add(Admit("ENT-2", "2024-05-01"));
  s_.Add(Task("T-E2", "P-1", "ENT-2"));
  uint64_t early = s_.Add(Disburse("G-1", kInst, 1000000, "2024-05-10"));
  uint64_t enterprise = s_.Add(Disburse("G-E", kInst, 1000000, "2024-05-10"));
  s_.Add(Sign("A-1", "ENT-2", "2024-05-20"));
  uint64_t later = s_.Add(Disburse("G-1", kInst, 1000000, "2024-05-25"));
  auto flags = s_.Flags("2024-06-30");
  const Flag* flag = FindId(flags, "FL-3/" + std::to_string(early));
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->figures["unsigned_members"], json::array({"ENT-2"}));
  EXPECT_EQ(Raised(flags, "FL-3", enterprise), nullptr) << Describe(flags);  // not government money
  EXPECT_EQ(Raised(flags, "FL-3", later), nullptr) << Describe(flags);
}

// ----- AN-1

TEST_F(RuleAN1, SameInvoiceAndAmount) {
  uint64_t first = AddSpend({{"invoice_number", "FP-88"}, {"amount", "8888.88 CNY"}});
  uint64_t repeat = AddSpend(
      {{"invoice_number", "FP-88"}, {"amount", "8888.88 CNY"}, {"payment_date", "2024-09-03"}});
  uint64_t other_amount = AddSpend({{"invoice_number", "FP-88"}, {"amount", "8888.89 CNY"}});
  auto flags = s_.Flags("2024-06-30");
  const Flag* flag = FindId(flags, "AN-1/" + std::to_string(first) + "/" + std::to_string(repeat));
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->evidence.size(), 2u);
  EXPECT_EQ(Raised(flags, "AN-1", other_amount), nullptr) << Describe(flags);
  s_.Add(Reverse(first));
  EXPECT_TRUE(OfRule(s_.Flags("2024-06-30"), "AN-1").empty()) << Describe(s_.Flags("2024-06-30"));
}

TEST_F(RuleAN1, SameAmountOtherInvoiceWithinTheWindow) {
  uint64_t first =
      AddSpend({{"vendor_id", "V-2"}, {"amount", "7777.77 CNY"}, {"payment_date", "2024-04-08"}});
  uint64_t within =
      AddSpend({{"vendor_id", "V-2"}, {"amount", "7777.77 CNY"}, {"payment_date", "2024-05-08"}});
  uint64_t outside =
      AddSpend({{"vendor_id", "V-3"}, {"amount", "6666.66 CNY"}, {"payment_date", "2024-04-08"}});
  uint64_t outside_repeat =
      AddSpend({{"vendor_id", "V-3"}, {"amount", "6666.66 CNY"}, {"payment_date", "2024-05-09"}});
  auto flags = s_.Flags("2024-06-30");
  EXPECT_NE(FindId(flags, "AN-1/" + std::to_string(first) + "/" + std::to_string(within)), nullptr)
      << Describe(flags);
  EXPECT_EQ(Raised(flags, "AN-1", outside), nullptr) << Describe(flags);  // 31 days apart
  EXPECT_EQ(Raised(flags, "AN-1", outside_repeat), nullptr) << Describe(flags);
}

// ----- AN-2

TEST_F(RuleAN2, SplitPurchaseToOneVendor) {
  uint64_t a =
      AddSpend({{"vendor_id", "V-3"}, {"amount", "40000.00 CNY"}, {"payment_date", "2024-04-08"}});
  uint64_t b = AddSpend({{"vendor_id", "V-3"},
                         {"amount", "35000.00 CNY"},
                         {"payment_date", "2024-04-10"},
                         {"requester", "赵敏"}});
  uint64_t c = AddSpend({{"vendor_id", "V-3"},
                         {"amount", "25000.00 CNY"},
                         {"payment_date", "2024-04-12"},
                         {"requester", "钱勇"}});
  auto flags = s_.Flags("2024-06-30");
  const Flag* flag = FindId(flags, "AN-2/" + std::to_string(a) + "/vendor");
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_TRUE(HasEvidence(*flag, b) && HasEvidence(*flag, c));
  EXPECT_EQ(flag->figures["total"], "100000.00 CNY");
  EXPECT_EQ(flag->parameters["approval_threshold"], "100000.00 CNY");
  EXPECT_EQ(OfRule(flags, "AN-2").size(), 1u) << Describe(flags);  // three requesters
}

TEST_F(RuleAN2, SplitPurchaseByOneRequester) {
  uint64_t a =
      AddSpend({{"vendor_id", "V-1"}, {"amount", "45000.00 CNY"}, {"payment_date", "2024-04-08"}});
  AddSpend({{"vendor_id", "V-2"}, {"amount", "45000.00 CNY"}, {"payment_date", "2024-04-09"}});
  AddSpend({{"vendor_id", "V-3"}, {"amount", "10000.00 CNY"}, {"payment_date", "2024-04-14"}});
  auto flags = s_.Flags("2024-06-30");
  EXPECT_NE(FindId(flags, "AN-2/" + std::to_string(a) + "/requester"), nullptr) << Describe(flags);
  EXPECT_EQ(OfRule(flags, "AN-2").size(), 1u) << Describe(flags);
}

TEST_F(RuleAN2, NearMisses) {
  // A cent short of the threshold; the same amounts spread over eight days.
  AddSpend({{"vendor_id", "V-3"},
            {"amount", "40000.00 CNY"},
            {"payment_date", "2024-04-08"},
            {"requester", "甲"}});
  AddSpend({{"vendor_id", "V-3"},
            {"amount", "35000.00 CNY"},
            {"payment_date", "2024-04-10"},
            {"requester", "乙"}});
  AddSpend({{"vendor_id", "V-3"},
            {"amount", "24999.99 CNY"},
            {"payment_date", "2024-04-12"},
            {"requester", "丙"}});
  AddSpend({{"vendor_id", "V-4"},
            {"amount", "40000.00 CNY"},
            {"payment_date", "2024-05-06"},
            {"requester", "丁"}});
  AddSpend({{"vendor_id", "V-4"},
            {"amount", "35000.00 CNY"},
            {"payment_date", "2024-05-10"},
            {"requester", "戊"}});
  AddSpend({{"vendor_id", "V-4"},
            {"amount", "25000.00 CNY"},
            {"payment_date", "2024-05-14"},
            {"requester", "己"}});
  auto flags = s_.Flags("2024-06-30");
  EXPECT_TRUE(OfRule(flags, "AN-2").empty()) << Describe(flags);
}

// ----- AN-1 and AN-2 against their definitions, transcribed literally (quadratic) from docs/RULES.md
// and rules.h, on seeded random payments: repeated amounts and invoice numbers, payment dates out
// of append order, reversals, and two policy changes (threshold, windows, and AN-2 restricted to
// government money) whose versions interleave in date order. The engine finds repeats and groups
// with indexes and sliding windows; this checks it finds the same ones.

struct Payment {
  uint64_t sequence = 0;
  std::string vendor;
  std::string requester;
  std::string grant;
  std::string invoice;
  int64_t fen = 0;
  int32_t day = 0;
};

struct Version {
  int64_t threshold_fen = 10000000;  // the defaults of docs/RULES.md
  int32_t split_days = 7;
  int32_t duplicate_days = 30;
  bool split_government_only = false;
};

// id -> sorted evidence sequences (and, for AN-2, the total in fen as the last element).
using Expected = std::map<std::string, std::vector<int64_t>>;

Expected ReferenceRepeats(const std::vector<Payment>& payments,
                          const std::function<Version(uint64_t)>& version_at) {
  Expected out;
  std::map<std::pair<std::string, int64_t>, std::vector<const Payment*>> buckets;
  for (const auto& payment : payments) buckets[{payment.vendor, payment.fen}].push_back(&payment);
  for (const auto& [key, bucket] : buckets) {
    for (size_t later = 1; later < bucket.size(); ++later) {
      Version version = version_at(bucket[later]->sequence);
      for (size_t earlier = 0; earlier < later; ++earlier) {
        bool same_invoice = bucket[earlier]->invoice == bucket[later]->invoice;
        if (!same_invoice &&
            std::abs(bucket[later]->day - bucket[earlier]->day) > version.duplicate_days) {
          continue;
        }
        out["AN-1/" + std::to_string(bucket[earlier]->sequence) + "/" +
            std::to_string(bucket[later]->sequence)] = {
            static_cast<int64_t>(bucket[earlier]->sequence),
            static_cast<int64_t>(bucket[later]->sequence)};
        break;
      }
    }
  }
  return out;
}

void ReferenceSplits(std::vector<const Payment*> items, const std::string& kind,
                     const std::function<Version(uint64_t)>& version_at, Expected* out) {
  std::stable_sort(items.begin(), items.end(),
                   [](const Payment* a, const Payment* b) { return a->day < b->day; });
  std::vector<bool> used(items.size(), false);
  for (size_t last = 0; last < items.size(); ++last) {
    Version version = version_at(items[last]->sequence);
    auto below = [&](const Payment* item) {
      return item->fen < version.threshold_fen &&
             (!version.split_government_only || item->grant == "G-1");
    };
    if (!below(items[last])) continue;
    std::vector<size_t> group;
    int64_t total = 0;
    for (size_t i = 0; i <= last; ++i) {
      if (used[i] || !below(items[i]) ||
          items[i]->day < items[last]->day - (version.split_days - 1)) {
        continue;
      }
      group.push_back(i);
      total += items[i]->fen;
    }
    if (group.size() < 2 || total < version.threshold_fen) continue;
    std::vector<int64_t> evidence;
    for (size_t i : group) {
      used[i] = true;
      evidence.push_back(static_cast<int64_t>(items[i]->sequence));
    }
    std::sort(evidence.begin(), evidence.end());
    evidence.push_back(total);
    (*out)["AN-2/" + std::to_string(evidence.front()) + "/" + kind] = evidence;
  }
}

TEST_F(RuleAN1, RepeatsAndSplitsMatchTheirDefinitions) {
  uint64_t seed = SeedFromEnvironment(20261128);
  SCOPED_TRACE("seed " + std::to_string(seed) + " (replay with FUNDTRAIL_TEST_SEED)");
  std::mt19937_64 random(seed);
  std::map<uint64_t, Version> versions = {{0, Version{}}};  // policy_set sequence -> version
  auto version_at = [&](uint64_t sequence) {
    return std::prev(versions.lower_bound(sequence))->second;
  };
  std::vector<Payment> payments;
  const int32_t first_day = Day("2024-04-01");
  const std::vector<int64_t> repeated_fen = {250000, 480000, 1999999};
  for (int i = 0; i < 700; ++i) {
    if (i == 250) {
      versions[s_.Add(PolicySet(1, {{"approval_threshold", "5000.00 CNY"},
                                    {"AN-1", {{"window_days", 10}}},
                                    {"AN-2", {{"window_days", 5}}}}))] =
          Version{500000, 5, 10, false};
    }
    if (i == 480) {
      versions[s_.Add(
          PolicySet(2, {{"approval_threshold", "3000.00 CNY"},
                        {"AN-1", {{"window_days", 3}}},
                        {"AN-2", {{"window_days", 9}}},
                        {"government_only_rules", {"PU-1", "FL-3", "AL-2", "AN-2"}}}))] =
          Version{300000, 9, 3, true};
    }
    if (i % 37 == 36 && !payments.empty()) {  // a reversal of a random live payment
      size_t victim = random() % payments.size();
      s_.Add(Reverse(payments[victim].sequence));
      payments.erase(payments.begin() + victim);
      continue;
    }
    Payment payment;
    payment.vendor = "V-" + std::to_string(1 + random() % 3);
    payment.requester = random() % 2 ? "李娜" : "张伟";
    payment.grant = random() % 4 ? "G-1" : "G-E";
    payment.invoice = "R-" + std::to_string(random() % 400);
    payment.fen = random() % 3 ? repeated_fen[random() % repeated_fen.size()]
                               : 10000 + static_cast<int64_t>(random() % 6000000);
    payment.day = first_day + static_cast<int32_t>(random() % 120);
    std::string date = FormatDate(payment.day);
    payment.sequence = AddSpend({{"vendor_id", payment.vendor},
                                 {"requester", payment.requester},
                                 {"grant_id", payment.grant},
                                 {"invoice_number", payment.invoice},
                                 {"amount", Cny(payment.fen)},
                                 {"invoice_date", date},
                                 {"payment_date", date}});
    payments.push_back(payment);
  }

  Expected expected = ReferenceRepeats(payments, version_at);
  std::map<std::string, std::vector<const Payment*>> by_vendor, by_requester;
  for (const auto& payment : payments) {
    by_vendor[payment.vendor].push_back(&payment);
    by_requester[payment.requester].push_back(&payment);
  }
  for (const auto& [vendor, items] : by_vendor)
    ReferenceSplits(items, "vendor", version_at, &expected);
  for (const auto& [person, items] : by_requester)
    ReferenceSplits(items, "requester", version_at, &expected);

  Expected found;
  for (const auto& flag : s_.Flags("2024-09-30")) {
    if (flag.rule != "AN-1" && flag.rule != "AN-2") continue;
    std::vector<int64_t> evidence;
    for (const auto& item : flag.evidence) evidence.push_back(static_cast<int64_t>(item.sequence));
    if (flag.rule == "AN-2") {
      auto total = ParseMoney(flag.figures["total"].get<std::string>());
      ASSERT_TRUE(total.has_value()) << flag.figures.dump();
      evidence.push_back(total->minor_units);
    }
    found[flag.id] = evidence;
  }
  int splits = 0, repeats = 0;
  for (const auto& [id, evidence] : expected) (id.starts_with("AN-1") ? repeats : splits) += 1;
  EXPECT_GT(repeats, 20);
  EXPECT_GT(splits, 20);
  EXPECT_EQ(found, expected);
}

// ----- AN-3

TEST_F(RuleAN3, RepeatedJustBelowTheThreshold) {
  uint64_t first = AddSpend({{"vendor_id", "V-3"},
                             {"category", "equipment"},
                             {"amount", "95000.00 CNY"},
                             {"payment_date", "2024-04-08"}});
  AddSpend({{"vendor_id", "V-3"},
            {"category", "equipment"},
            {"amount", "96100.00 CNY"},
            {"payment_date", "2024-04-22"}});
  AddSpend({{"vendor_id", "V-3"},
            {"category", "equipment"},
            {"amount", "99999.99 CNY"},
            {"payment_date", "2024-05-13"}});
  auto flags = s_.Flags("2024-06-30");
  const Flag* vendor = FindId(flags, "AN-3/" + std::to_string(first) + "/vendor");
  ASSERT_NE(vendor, nullptr) << Describe(flags);
  EXPECT_EQ(vendor->figures["quarter"], "2024-Q2");
  EXPECT_EQ(vendor->figures["count"], 3);
  EXPECT_NE(FindId(flags, "AN-3/" + std::to_string(first) + "/approver"), nullptr)
      << Describe(flags);
}

TEST_F(RuleAN3, NearMisses) {
  // Below the band; two in a quarter and the third in the next; different approvers.
  AddSpend({{"vendor_id", "V-3"},
            {"category", "equipment"},
            {"amount", "94999.99 CNY"},
            {"payment_date", "2024-04-08"},
            {"approver", "甲"}});
  AddSpend({{"vendor_id", "V-3"},
            {"category", "equipment"},
            {"amount", "96100.00 CNY"},
            {"payment_date", "2024-05-22"},
            {"approver", "乙"}});
  AddSpend({{"vendor_id", "V-3"},
            {"category", "equipment"},
            {"amount", "96200.00 CNY"},
            {"payment_date", "2024-06-13"},
            {"approver", "丙"}});
  AddSpend({{"vendor_id", "V-3"},
            {"category", "equipment"},
            {"amount", "96300.00 CNY"},
            {"payment_date", "2024-07-15"},
            {"approver", "丁"}});
  auto flags = s_.Flags("2024-09-30");
  EXPECT_TRUE(OfRule(flags, "AN-3").empty()) << Describe(flags);
}

// ----- AN-4

TEST_F(RuleAN4, RoundAmountsFarAboveChance) {
  uint64_t round = AddSpend({{"vendor_id", "V-2"}, {"amount", "3000.00 CNY"}});
  AddSpend({{"vendor_id", "V-2"}, {"amount", "1234.56 CNY"}});
  AddSpend({{"vendor_id", "V-2"}, {"amount", "2345.67 CNY"}});
  AddSpend({{"vendor_id", "V-2"}, {"amount", "3456.78 CNY"}});
  EXPECT_TRUE(OfRule(s_.Flags("2024-06-30"), "AN-4").empty());  // 4 items: below items_min
  uint64_t second = AddSpend({{"vendor_id", "V-2"}, {"amount", "5000.00 CNY"}});
  auto flags = s_.Flags("2024-06-30");
  const Flag* flag = FindId(flags, "AN-4/" + std::to_string(round));
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_TRUE(HasEvidence(*flag, second));
  EXPECT_EQ(flag->figures["round_items"], 2);
  // z = (0.4 - 0.001) / sqrt(0.001 * 0.999 / 5) = 28.22...
  EXPECT_EQ(flag->figures["z"], "28.22");
  EXPECT_EQ(flag->severity, "low");
}

TEST_F(RuleAN4, NotAboveTheExpectedShare) {
  for (const char* amount :
       {"1000.00 CNY", "1234.56 CNY", "2345.67 CNY", "3456.78 CNY", "4567.89 CNY"}) {
    AddSpend({{"vendor_id", "V-2"}, {"amount", amount}});
  }
  EXPECT_EQ(OfRule(s_.Flags("2024-06-30"), "AN-4").size(), 1u);
  // With an expected share of 20%, one round amount in five is chance.
  s_.Add(PolicySet(1, {{"AN-4", {{"expected_share", "0.2"}}}}));
  AddSpend({{"vendor_id", "V-2"}, {"amount", "5678.91 CNY"}});
  auto flags = s_.Flags("2024-06-30");
  EXPECT_TRUE(OfRule(flags, "AN-4").empty()) << Describe(flags);
}

// ----- AN-5

// Amounts (fen) whose first digits follow `counts` (index = digit).
std::vector<int64_t> AmountsWithDigits(const std::array<int, 10>& counts) {
  std::vector<int64_t> out;
  int serial = 0;
  for (int digit = 1; digit <= 9; ++digit) {
    for (int i = 0; i < counts[digit]; ++i) {
      // 100.00 .. 999.99 CNY style amounts, distinct: digit, then a serial number.
      out.push_back(digit * 10000 + (serial++ * 37) % 10000);
    }
  }
  return out;
}

TEST_F(RuleAN5, NonconformingFirstDigits) {
  std::array<int, 10> nines{};
  nines[9] = 150;
  nines[8] = 150;
  auto amounts = AmountsWithDigits(nines);
  std::vector<uint64_t> sequences;
  for (size_t i = 0; i < amounts.size(); ++i) {
    sequences.push_back(s_.Add(Spend({{"grant_id", "G-E"},
                                      {"org_id", kEnt},
                                      {"vendor_id", i % 2 ? "V-4" : "V-5"},
                                      {"amount", Cny(amounts[i])},
                                      {"requester", "R-" + std::to_string(i % 50)},
                                      {"approver", "A-" + std::to_string(i % 50)}}),
                               kEnt));
    if (i == 298) {
      EXPECT_TRUE(OfRule(s_.Flags("2024-06-30"), "AN-5").empty());  // 299 items
    }
  }
  auto flags = s_.Flags("2024-06-30");
  const Flag* flag = FindId(flags, "AN-5/" + std::to_string(sequences.front()));
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->evidence.size(), 300u);
  EXPECT_EQ(flag->figures["items"], 300);
  EXPECT_EQ(flag->subject, std::string("org:") + kEnt);
}

TEST_F(RuleAN5, ConformingFirstDigits) {
  // 300 items in Benford's proportions: 90 53 38 29 24 20 17 15 14.
  auto amounts = AmountsWithDigits({0, 90, 53, 38, 29, 24, 20, 17, 15, 14});
  ASSERT_EQ(amounts.size(), 300u);
  for (size_t i = 0; i < amounts.size(); ++i) {
    s_.Add(Spend({{"grant_id", "G-E"},
                  {"org_id", kEnt},
                  {"vendor_id", i % 2 ? "V-4" : "V-5"},
                  {"amount", Cny(amounts[i])},
                  {"requester", "R-" + std::to_string(i % 50)}}),
           kEnt);
  }
  auto flags = s_.Flags("2024-06-30");
  EXPECT_TRUE(OfRule(flags, "AN-5").empty()) << Describe(flags);
}

// ----- AN-6

TEST_F(RuleAN6, WeekendsAndHolidays) {
  uint64_t saturday = AddSpend({{"payment_date", "2024-04-13"}});
  uint64_t holiday = AddSpend({{"payment_date", "2024-10-02"}, {"invoice_date", "2024-09-20"}});
  uint64_t working_sunday = AddSpend({{"payment_date", "2024-04-07"}});  // 调休: a working day
  uint64_t weekday = AddSpend({{"payment_date", "2024-04-03"}});
  auto flags = s_.Flags("2024-12-31");
  const Flag* flag = FindId(flags, "AN-6/" + std::to_string(saturday));
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_NE(flag->explanation.find("a Saturday"), std::string::npos) << flag->explanation;
  const Flag* public_holiday = FindId(flags, "AN-6/" + std::to_string(holiday));
  ASSERT_NE(public_holiday, nullptr) << Describe(flags);
  EXPECT_NE(public_holiday->explanation.find("a public holiday"), std::string::npos);
  EXPECT_EQ(Raised(flags, "AN-6", working_sunday), nullptr) << Describe(flags);
  EXPECT_EQ(Raised(flags, "AN-6", weekday), nullptr) << Describe(flags);
}

// ----- AN-7

TEST_F(RuleAN7, BookedLongAfterPaymentOrPaidBeforeInvoice) {
  uint64_t late = AddSpend({{"payment_date", "2024-04-03"}, {"voucher_date", "2024-05-04"}});
  uint64_t in_time = AddSpend({{"payment_date", "2024-04-03"}, {"voucher_date", "2024-05-03"}});
  uint64_t prepaid = AddSpend({{"invoice_date", "2024-04-03"}, {"payment_date", "2024-04-01"}});
  uint64_t same_day = AddSpend({{"invoice_date", "2024-04-03"}, {"payment_date", "2024-04-03"}});
  auto flags = s_.Flags("2024-06-30");
  const Flag* flag = FindId(flags, "AN-7/" + std::to_string(late) + "/voucher");
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->figures["days_after_payment"], 31);
  EXPECT_EQ(flag->figures["appended_at"], FormatTimestamp(kAppendedAtBaseMicros + late * 1000000));
  EXPECT_NE(FindId(flags, "AN-7/" + std::to_string(prepaid) + "/prepaid"), nullptr)
      << Describe(flags);
  EXPECT_EQ(Raised(flags, "AN-7", in_time), nullptr) << Describe(flags);
  EXPECT_EQ(Raised(flags, "AN-7", same_day), nullptr) << Describe(flags);
}

// ----- AN-8

TEST_F(RuleAN8, VendorSharesAnIdentityWithAMember) {
  uint64_t tax = s_.Add(Vendor("V-TAX", "TAX-ENT"));
  uint64_t representative = s_.Add(Vendor("V-REP", "TAX-REP", "2015-06-01", "刘洋"));
  uint64_t bank = s_.Add(Vendor("V-BANK", "TAX-BANK", "2015-06-01", "", "6222-0002-0002"));
  uint64_t unpaid = s_.Add(Vendor("V-UNPAID", "TAX-UNI"));
  for (const char* vendor : {"V-TAX", "V-REP", "V-BANK"}) AddSpend({{"vendor_id", vendor}});
  auto flags = s_.Flags("2024-06-30");
  for (uint64_t registration : {tax, representative, bank}) {
    const Flag* flag = FindId(flags, "AN-8/" + std::to_string(registration) + "/member");
    ASSERT_NE(flag, nullptr) << registration << "\n" << Describe(flags);
    EXPECT_EQ(flag->figures["matches"][0]["member"], kEnt);
  }
  EXPECT_EQ(Raised(flags, "AN-8", unpaid), nullptr);
  EXPECT_EQ(OfRule(flags, "AN-8").size(), 3u) << Describe(flags);
}

TEST_F(RuleAN8, ApproverIsTheVendorsRepresentative) {
  uint64_t vendor = s_.Add(Vendor("V-OWN", "TAX-OWN", "2015-06-01", "王强"));
  AddSpend({{"vendor_id", "V-OWN"}});
  auto flags = s_.Flags("2024-06-30");
  EXPECT_NE(FindId(flags, "AN-8/" + std::to_string(vendor) + "/approver"), nullptr)
      << Describe(flags);
}

TEST_F(RuleAN8, VendorRegisteredShortlyBeforeItsFirstPayment) {
  uint64_t fresh = s_.Add(Vendor("V-NEW", "TAX-NEW", "2024-03-01"));
  uint64_t older = s_.Add(Vendor("V-OLD", "TAX-OLD", "2024-02-29"));
  AddSpend({{"vendor_id", "V-NEW"}, {"payment_date", "2024-05-29"}});  // 89 days
  AddSpend({{"vendor_id", "V-OLD"}, {"payment_date", "2024-05-29"}});  // 90 days
  auto flags = s_.Flags("2024-06-30");
  const Flag* flag = FindId(flags, "AN-8/" + std::to_string(fresh) + "/new");
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->figures["days"], 89);
  EXPECT_EQ(Raised(flags, "AN-8", older), nullptr) << Describe(flags);
}

// ----- AN-9

TEST_F(RuleAN9, SegregationOfDuties) {
  uint64_t self = AddSpend({{"requester", "王强"}});
  uint64_t payee = AddSpend({{"payee", "王强"}, {"category", "labour"}});
  uint64_t fine = AddSpend({{"payee", "研究生甲"}, {"category", "labour"}});
  auto flags = s_.Flags("2024-06-30");
  EXPECT_NE(FindId(flags, "AN-9/" + std::to_string(self) + "/requester"), nullptr)
      << Describe(flags);
  EXPECT_NE(FindId(flags, "AN-9/" + std::to_string(payee) + "/payee"), nullptr) << Describe(flags);
  EXPECT_EQ(Raised(flags, "AN-9", fine), nullptr) << Describe(flags);
  EXPECT_EQ(OfRule(flags, "AN-9").size(), 2u) << Describe(flags);
}

// ----- Touches: every subject a flag involves, whatever its own subject.

bool Touches(const Flag& flag, const std::string& subject) {
  return std::binary_search(flag.touches.begin(), flag.touches.end(), subject);
}

TEST_F(RuleTest, TouchesNameEveryGrantMemberVendorAndOutcomeInvolved) {
  uint64_t prohibited = AddSpend({{"description", "招待客户晚宴"}, {"vendor_id", "V-3"}});
  uint64_t first = AddSpend({{"vendor_id", "V-4"}, {"invoice_number", "DUP-1"}, {"amount", Cny(5000000)}});
  s_.Add(Spend({{"grant_id", "G-E"},
                {"org_id", kEnt},
                {"vendor_id", "V-4"},
                {"invoice_number", "DUP-1"},
                {"amount", Cny(5000000)}}),
         kEnt);
  uint64_t resembling = s_.Add(Vendor("V-TAX", "TAX-ENT"));
  AddSpend({{"vendor_id", "V-TAX"}});
  s_.Add(Outcome("O-1", "G-1", "2024-06-01", {{kInst, 10000}}));
  uint64_t revenue = s_.Add(Revenue("O-1", {{kInst, 1000000}, {kUni, 9000000}}, "2024-09-02"));
  auto flags = s_.Flags("2024-12-31");

  const Flag* pu1 = FindId(flags, "PU-1/" + std::to_string(prohibited));
  ASSERT_NE(pu1, nullptr) << Describe(flags);
  EXPECT_EQ(pu1->subject, "grant:G-1");
  EXPECT_EQ(pu1->touches, (std::vector<std::string>{"grant:G-1", "org:UNI-1", "vendor:V-3"}));

  const Flag* pu3 = FindId(flags, "PU-3/" + std::to_string(first));
  ASSERT_NE(pu3, nullptr) << Describe(flags);
  EXPECT_EQ(pu3->subject, "vendor:V-4");
  EXPECT_EQ(pu3->touches,
            (std::vector<std::string>{"grant:G-1", "grant:G-E", "org:ENT-1", "org:UNI-1", "vendor:V-4"}));

  const Flag* an8 = FindId(flags, "AN-8/" + std::to_string(resembling) + "/member");
  ASSERT_NE(an8, nullptr) << Describe(flags);
  EXPECT_TRUE(Touches(*an8, "org:ENT-1")) << "the member it resembles";
  EXPECT_TRUE(Touches(*an8, "org:UNI-1")) << "the member that paid it";

  const Flag* al1 = FindId(flags, "AL-1/" + std::to_string(revenue) + "/shares");
  ASSERT_NE(al1, nullptr) << Describe(flags);
  EXPECT_EQ(al1->subject, "outcome:O-1");
  EXPECT_EQ(al1->touches,
            (std::vector<std::string>{"grant:G-1", "org:INST-1", "org:UNI-1", "outcome:O-1"}));

  // Before touches, a subject filter saw none of these as the university's.
  for (const Flag* flag : {pu1, pu3, an8, al1}) {
    EXPECT_NE(flag->subject, "org:UNI-1");
    EXPECT_TRUE(Touches(*flag, "org:UNI-1")) << flag->id;
  }
  // Every flag touches its subject and lists each subject once, sorted.
  for (const Flag& flag : flags) {
    EXPECT_TRUE(Touches(flag, flag.subject)) << flag.id;
    EXPECT_TRUE(std::adjacent_find(flag.touches.begin(), flag.touches.end(),
                                   std::greater_equal<>()) == flag.touches.end())
        << flag.id;
  }
  EXPECT_EQ(FlagToJson(*pu1)["touches"], nlohmann::ordered_json(pu1->touches));
}

TEST_F(RuleTest, TouchesOfDisbursementsAndSignatures) {
  // FL-3: a disbursement before every member signed touches the recipient and the unsigned.
  s_.Add(Organisation("LATE-1", "enterprise", "周总", "TAX-LATE"));
  s_.Add(Admit("LATE-1", "2024-04-01"));
  s_.Add(Task("T-L", "P-1", "LATE-1"));
  uint64_t disbursed = s_.Add(Disburse("G-1", kInst, 1000000, "2024-04-10"));
  auto flags = s_.Flags("2024-06-30");
  const Flag* fl3 = FindId(flags, "FL-3/" + std::to_string(disbursed));
  ASSERT_NE(fl3, nullptr) << Describe(flags);
  EXPECT_EQ(fl3->subject, "grant:G-1");
  EXPECT_EQ(fl3->touches, (std::vector<std::string>{"grant:G-1", "org:INST-1", "org:LATE-1"}));
  std::vector<const Flag*> al3 = OfRule(flags, "AL-3");
  ASSERT_EQ(al3.size(), 1u) << Describe(flags);
  EXPECT_TRUE(Touches(*al3[0], "org:LATE-1"));
  EXPECT_TRUE(Touches(*al3[0], "alliance:ALLIANCE-T"));
}

TEST_F(RuleTest, KnownSubjectsAreEveryEntityAFlagCanName) {
  s_.Add(Outcome("O-1", "G-1", "2024-06-01", {{kUni, 10000}}));
  std::vector<std::string> known = s_.engine().KnownSubjects();
  EXPECT_TRUE(std::is_sorted(known.begin(), known.end()));
  for (const char* subject : {"alliance:ALLIANCE-T", "grant:G-1", "grant:G-E", "org:UNI-1", "org:FUNDER-1",
                              "vendor:V-5", "outcome:O-1"}) {
    EXPECT_TRUE(std::binary_search(known.begin(), known.end(), subject)) << subject;
  }
}

// ----- AL-1

TEST_F(RuleAL1, RevenueSplitDiffersFromTheAgreement) {
  s_.Add(Outcome("O-1", "G-1", "2024-06-01", {{kUni, 5000}, {kEnt, 3000}, {kInst, 2000}}));
  uint64_t off =
      s_.Add(Revenue("O-1", {{kUni, 6000000}, {kEnt, 2500000}, {kInst, 1500000}}, "2024-09-02"));
  uint64_t within =
      s_.Add(Revenue("O-1", {{kUni, 5040000}, {kEnt, 2980000}, {kInst, 1980000}}, "2024-09-03"));
  uint64_t edge =
      s_.Add(Revenue("O-1", {{kUni, 5050000}, {kEnt, 2950000}, {kInst, 2000000}}, "2024-09-04"));
  uint64_t early =
      s_.Add(Revenue("O-1", {{kUni, 5000000}, {kEnt, 3000000}, {kInst, 2000000}}, "2024-01-18"));
  auto flags = s_.Flags("2024-12-31");
  const Flag* flag = FindId(flags, "AL-1/" + std::to_string(off) + "/shares");
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->figures["deviations"].size(), 3u);
  EXPECT_EQ(Raised(flags, "AL-1", within), nullptr) << Describe(flags);
  EXPECT_EQ(Raised(flags, "AL-1", edge), nullptr) << Describe(flags);  // exactly 0.5 points
  EXPECT_NE(FindId(flags, "AL-1/" + std::to_string(early) + "/no_agreement"), nullptr)
      << Describe(flags);
  s_.Add(Reverse(off));
  EXPECT_EQ(Raised(s_.Flags("2024-12-31"), "AL-1", off), nullptr);
}

// ----- AL-2

TEST_F(RuleAL2, OutcomeNotSharedOutsideInTime) {
  uint64_t outcome = s_.Add(Outcome("O-1", "G-1", "2024-06-01", {{kUni, 10000}}));
  s_.Add(Shared("O-1", "华东理工大学合作伙伴", kEnt, "2024-07-01"));  // a member: not outside
  auto flags = s_.Flags("2025-06-01");
  EXPECT_EQ(Raised(flags, "AL-2", outcome), nullptr) << Describe(flags);
  flags = s_.Flags("2025-06-02");
  const Flag* flag = FindId(flags, "AL-2/" + std::to_string(outcome) + "/unshared");
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->figures["deadline"], "2025-06-01");
}

TEST_F(RuleAL2, SharedOutsideOrNotGovernmentFunded) {
  uint64_t shared = s_.Add(Outcome("O-1", "G-1", "2024-06-01", {{kUni, 10000}}));
  s_.Add(Shared("O-1", "外部企业", kOutsider, "2025-06-01"));
  uint64_t licensed = s_.Add(Outcome("O-2", "G-1", "2024-06-01", {{kUni, 10000}}));
  s_.Add(Licence("L-1", "O-2", "某外部公司", "", false, "2024-08-01"));
  uint64_t enterprise = s_.Add(Outcome("O-3", "G-E", "2024-06-01", {{kEnt, 10000}}));
  auto flags = s_.Flags("2025-12-31");
  for (uint64_t sequence : {shared, licensed, enterprise}) {
    EXPECT_EQ(Raised(flags, "AL-2", sequence), nullptr) << sequence << "\n" << Describe(flags);
  }
}

TEST_F(RuleAL2, ExclusiveLicenceToAMember) {
  s_.Add(Outcome("O-1", "G-1", "2024-06-01", {{kUni, 10000}}));
  uint64_t exclusive = s_.Add(Licence("L-1", "O-1", "动力电芯有限公司", kEnt, true, "2024-08-01"));
  uint64_t plain = s_.Add(Licence("L-2", "O-1", "华东理工大学", kUni, false, "2024-08-02"));
  auto flags = s_.Flags("2024-12-31");
  EXPECT_NE(FindId(flags, "AL-2/" + std::to_string(exclusive) + "/exclusive"), nullptr)
      << Describe(flags);
  EXPECT_EQ(Raised(flags, "AL-2", plain), nullptr) << Describe(flags);
  s_.Add(Reverse(exclusive));
  EXPECT_TRUE(OfRule(s_.Flags("2024-12-31"), "AL-2").empty());
}

// ----- AL-3

TEST_F(RuleAL3, ConditionsLostByAWithdrawal) {
  EXPECT_TRUE(OfRule(s_.Flags("2024-06-30"), "AL-3").empty());
  s_.Add(Withdraw(kEnt, "2024-07-01"));
  EXPECT_TRUE(OfRule(s_.Flags("2024-06-30"), "AL-3").empty());  // as of before the withdrawal
  auto flags = s_.Flags("2024-07-01");
  const Flag* flag = FindId(flags, "AL-3/1");
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->figures["checklist"]["enterprise_member"], false);
  EXPECT_NE(flag->explanation.find("no enterprise member"), std::string::npos) << flag->explanation;
}

TEST(RuleAL3Minimal, EveryConditionFails) {
  Stream s;
  s.Add(Genesis("ALLIANCE-M"));
  s.Add(Organisation("UNI-M", "university", "陈明"));
  uint64_t admitted = s.Add(Admit("UNI-M", "2024-01-15"));
  s.Add(Body("COUNCIL", "decision_making", 0, {"UNI-M"}));
  auto flags = s.Flags("2024-06-30");
  ASSERT_EQ(flags.size(), 1u) << Describe(flags);
  EXPECT_EQ(flags[0].rule, "AL-3");
  EXPECT_EQ(flags[0].explanation,
            "on 2024-06-30 the alliance ALLIANCE-M does not meet the Article 8 pilot conditions: "
            "no enterprise "
            "member, fewer than 2 independent members, no executive body with full-time staff, no "
            "alliance "
            "agreement");
  // The agreement and the executive body come; the member that never signed is evidence.
  s.Add(Organisation("ENT-M", "enterprise", "刘洋"));
  s.Add(Admit("ENT-M", "2024-02-01"));
  s.Add(Agreement("A-M", "2024-02-10", {{"UNI-M", 6000}, {"ENT-M", 4000}}));
  s.Add(Sign("A-M", "UNI-M", "2024-02-12"));
  s.Add(Body("EXEC", "executive", 2, {"UNI-M"}));
  flags = s.Flags("2024-06-30");
  ASSERT_EQ(flags.size(), 1u) << Describe(flags);
  EXPECT_EQ(flags[0].figures["checklist"]["unsigned_members"], json::array({"ENT-M"}));
  EXPECT_FALSE(HasEvidence(flags[0], admitted));
  s.Add(Sign("A-M", "ENT-M", "2024-02-15"));
  flags = s.Flags("2024-06-30");
  EXPECT_TRUE(flags.empty()) << Describe(flags);
}

// ----- Reviews and policy

TEST_F(RuleReview, DispositionsSetTheReviewStatus) {
  uint64_t saturday = AddSpend({{"payment_date", "2024-04-13"}});
  std::string id = "AN-6/" + std::to_string(saturday);
  ASSERT_NE(FindId(s_.Flags("2024-06-30"), id), nullptr);
  EXPECT_EQ(FindId(s_.Flags("2024-06-30"), id)->review_status, "open");
  uint64_t first = s_.Add(Disposition(id, "confirmed", "周六付款，无加班审批"));
  uint64_t second = s_.Add(Disposition(id, "remediated", "已补充审批单"));
  auto flags = s_.Flags("2024-06-30");
  const Flag* flag = FindId(flags, id);
  ASSERT_NE(flag, nullptr);
  EXPECT_EQ(flag->review_status, "remediated");
  ASSERT_EQ(flag->reviews.size(), 2u);
  EXPECT_EQ(flag->reviews[0].sequence, first);
  EXPECT_EQ(flag->reviews[0].chain_hash, FakeChainHash(first));
  EXPECT_EQ(flag->reviews[0].disposition, "confirmed");
  s_.Add(Reverse(second));
  flags = s_.Flags("2024-06-30");
  flag = FindId(flags, id);
  ASSERT_NE(flag, nullptr);
  EXPECT_EQ(flag->review_status, "confirmed");
  EXPECT_EQ(FlagToJson(*flag)["reviews"].size(), 1u);
}

TEST(RulePolicyDocument, DefaultsAreComplete) {
  json document = DefaultPolicyDocument();
  auto policy = MakePolicy(0, json::object());
  ASSERT_TRUE(policy.has_value()) << policy.error().message();
  EXPECT_EQ(policy->document, document);
  EXPECT_EQ(document["approval_threshold"], "100000.00 CNY");
  EXPECT_EQ(document["PU-4"]["fee_cap_per_day"], "2400.00 CNY");
  EXPECT_EQ(document["PU-4"]["academician_fee_cap_per_day"], "3600.00 CNY");
  EXPECT_EQ(document["BR-1"]["regime"], "2021");
  EXPECT_EQ(document["TP-1"]["liquidation_days"], 120);
  EXPECT_EQ(document["AN-5"]["mad_max"], "0.015");
  const json& labels = document["PU-1"]["lexicon"]["labels"];
  for (const auto& [label, term] : std::vector<std::pair<const char*, const char*>>{
           {"fines", "罚款"}, {"fines", "fine"}, {"fines", "滞纳金"}, {"fines", "late fee"},
           {"settlements", "赔偿"}, {"settlements", "compensation"}, {"sponsorship", "捐赠"},
           {"sponsorship", "donation"}, {"sponsorship", "赞助"}, {"securities", "投资"},
           {"securities", "investment"}, {"loans", "还债"}, {"personal", "personal"},
           {"gift_cards", "购物卡"}, {"gift_cards", "加油卡"}, {"gift_cards", "shopping card"},
           {"gift_cards", "礼品卡"}, {"liquor_tobacco", "酒"}, {"liquor_tobacco", "茅台"},
           {"entertainment", "招待"}, {"entertainment", "娱乐"}, {"tourism", "团建"},
           {"bonuses_welfare", "年终奖"}, {"equipment", "色谱仪"}}) {
    EXPECT_TRUE(labels[label]["terms"].contains(term)) << label << " " << term;
  }
  EXPECT_FALSE(document["PU-1"].contains("prohibited_uses"));
  EXPECT_FALSE(document["BR-4"].contains("equipment_keywords"));
  const json& holidays = document["AN-6"]["holidays"];
  for (const char* day : {"2023-01-23", "2024-02-10", "2024-10-07", "2025-01-28", "2025-10-08",
                          "2026-02-23", "2026-10-01"}) {
    EXPECT_NE(std::find(holidays.begin(), holidays.end(), day), holidays.end()) << day;
  }
  const json& working = document["AN-6"]["working_weekends"];
  EXPECT_NE(std::find(working.begin(), working.end(), "2024-02-04"), working.end());
}

TEST(RulePolicyDocument, ErrorsNameTheKey) {
  struct Case {
    json document;
    std::string key;
  };
  std::vector<Case> cases = {
      {{{"AN-7", {{"voucher_dayz", 10}}}}, "AN-7.voucher_dayz"},
      {{{"AN-4", {{"z_critical", 1.96}}}}, "AN-4.z_critical"},
      {{{"AN-4", {{"expected_share", "1.5"}}}}, "AN-4.expected_share"},
      {{{"AN-6", {{"holidays", {"2024-13-01"}}}}}, "AN-6.holidays[0]"},
      {{{"BR-1", {{"regime", "2030"}}}}, "BR-1.regime"},
      {{{"BR-4", {{"categories", {"equipment"}}}}}, "BR-4.categories[0]"},
      {{{"PU-1", {{"lexicon", {{"version", 7}}}}}}, "PU-1.lexicon.version"},
      {{{"PU-1", {{"lexicon", {{"labels", {{"tourism", {{"terms", {{"度假", 1}}}}}}}}}}}},
       "PU-1.lexicon.labels.tourism.terms.度假"},
      {{{"PU-1", {{"lexicon", {{"version", "x"}}}, {"exclusions", {"酒店"}}}}},
       "PU-1.exclusions"},
      {{{"BR-4", {{"equipment_keywords", {"仪器"}}}}, {"PU-1", {{"lexicon", {{"version", "x"}}}}}},
       "BR-4.equipment_keywords"},
      {{{"approval_threshold", "100000.001 CNY"}}, "approval_threshold"},
      {{{"TP-1", {{"liquidation_days", -1}}}}, "TP-1.liquidation_days"},
      {{{"TP-2", nullptr}}, "TP-2"},
      {{{"AL-9", {{"share_days", 1}}}}, "AL-9"},
      {{{"AN-1", {{"window_days", 30}, {"extra", 1}}}}, "AN-1.extra"},
      {{{"government_only_rules", {"XX-1"}}}, "government_only_rules[0]"},
  };
  for (const auto& [document, key] : cases) {
    auto policy = MakePolicy(1, document);
    ASSERT_FALSE(policy.has_value()) << document.dump();
    EXPECT_NE(policy.error().message().find("\"" + key + "\""), std::string::npos)
        << key << ": " << policy.error().message();
  }
}

TEST_F(RulePolicy, PolicySetChangesAThresholdProspectively) {
  uint64_t before =
      AddSpend({{"payment_date", "2024-04-03"}, {"voucher_date", "2024-04-23"}});  // 20 days
  uint64_t policy = s_.Add(PolicySet(1, {{"AN-7", {{"voucher_days", 10}}}}));
  uint64_t after = AddSpend({{"payment_date", "2024-04-03"}, {"voucher_date", "2024-04-23"}});
  EXPECT_EQ(s_.engine().policy().version, 1u);
  EXPECT_EQ(s_.engine().policy().document["AN-7"]["voucher_days"], 10);
  EXPECT_EQ(s_.engine().policy().document["AN-6"],
            DefaultPolicyDocument()["AN-6"]);  // merged over defaults
  auto flags = s_.Flags("2024-06-30");
  EXPECT_EQ(Raised(flags, "AN-7", before), nullptr) << Describe(flags);
  const Flag* flag = Raised(flags, "AN-7", after);
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->policy_version, 1u);
  EXPECT_EQ(flag->parameters["voucher_days"], 10);
  EXPECT_NE(flag->explanation.find("limit 10 days"), std::string::npos) << flag->explanation;
  EXPECT_EQ(flags.size(), 1u) << Describe(flags);
  EXPECT_GT(after, policy);
  EXPECT_EQ(s_.engine().policies().size(), 2u);
}

TEST_F(RulePolicy, RejectedPolicyKeepsThePreviousOne) {
  s_.Add(PolicySet(1, {{"AN-7", {{"voucher_days", "ten"}}}}));
  EXPECT_EQ(s_.engine().policy().version, 0u);
  ASSERT_EQ(s_.engine().policy_problems().size(), 1u);
  EXPECT_NE(s_.engine().policy_problems()[0].find("AN-7.voucher_days"), std::string::npos)
      << s_.engine().policy_problems()[0];
  uint64_t late = AddSpend({{"payment_date", "2024-04-03"}, {"voucher_date", "2024-05-04"}});
  auto flags = s_.Flags("2024-06-30");
  const Flag* flag = Raised(flags, "AN-7", late);
  ASSERT_NE(flag, nullptr);
  EXPECT_EQ(flag->policy_version, 0u);
}

TEST_F(RulePolicy, GovernmentOnlyRulesAreConfigurable) {
  uint64_t enterprise =
      s_.Add(Spend({{"grant_id", "G-E"}, {"org_id", kEnt}, {"description", "招待客户晚宴"}}), kEnt);
  EXPECT_EQ(Raised(s_.Flags("2024-06-30"), "PU-1", enterprise), nullptr);
  s_.Add(PolicySet(1, {{"government_only_rules", json::array({"FL-3", "AL-2"})}}));
  uint64_t again =
      s_.Add(Spend({{"grant_id", "G-E"}, {"org_id", kEnt}, {"description", "招待客户晚宴"}}), kEnt);
  auto flags = s_.Flags("2024-06-30");
  EXPECT_EQ(Raised(flags, "PU-1", enterprise), nullptr)
      << Describe(flags);  // matched under version 0
  EXPECT_NE(Raised(flags, "PU-1", again), nullptr) << Describe(flags);
}

// Expenditures an engine holds (folded with kHeld) are checked when read back like those read
// from the log: bytes that Open refuses are Corruption, not an assertion in Flags().
TEST_F(RuleTest, HeldExpendituresAreCheckedWhenReadBack) {
  const std::string canonical = test::MustEncode(Spend());
  auto decoded = DecodedEvent::Open(canonical, "event");
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
  RulesEngine engine(ExpenditureBytes::kHeld);
  const std::string padded = canonical + std::string(8, '\0');  // readable, not canonical
  ASSERT_FALSE(DecodedEvent::Open(padded, "event").has_value());
  ASSERT_TRUE(engine.Apply(1, FakeChainHash(1), 0, "", decoded->root(), padded, nullptr).ok());
  Status read = engine.ReadExpenditures(
      [](uint64_t, const std::function<Status(const LoggedExpenditure&)>&) { return Status::Ok(); });
  EXPECT_EQ(read.code(), StatusCode::kCorruption);
  EXPECT_NE(read.message().find("expenditure 1"), std::string::npos) << read.message();
  EXPECT_NE(read.message().find("not in canonical form"), std::string::npos) << read.message();
}

TEST_F(RuleTest, SerialisationRoundTripAndCorruption) {
  AddSpend({{"payment_date", "2024-04-13"}});
  s_.Add(PolicySet(1, {{"AN-7", {{"voucher_days", 10}}}}));
  AddSpend({{"payment_date", "2024-04-03"}, {"voucher_date", "2024-04-23"}});
  json state = s_.engine().ToJson();
  auto copy = RulesEngine::FromJson(json::parse(state.dump()));
  ASSERT_TRUE(copy.has_value()) << copy.error().message();
  EXPECT_EQ(copy->ToJson().dump(), state.dump());
  // The snapshot holds no expenditure: they are read back from the log before the rules run.
  EXPECT_EQ(state.dump().find("2024-04-13"), std::string::npos) << state.dump();
  EXPECT_EQ(state.at("expenditure_count"), 2);
  EXPECT_FALSE(copy->holds_every_expenditure());
  ASSERT_TRUE(copy->ReadExpenditures(s_.Scan()).ok());
  EXPECT_TRUE(copy->holds_every_expenditure());
  EXPECT_EQ(FlagsJson(copy->Flags(Day("2024-06-30"))), FlagsJson(s_.Flags("2024-06-30")));
  EXPECT_EQ(copy->ToJson().dump(), state.dump());
  EXPECT_EQ(copy->policy().version, 1u);
  EXPECT_EQ(copy->sequence(), s_.size());

  json damaged = state;
  damaged["expenditure_count"] = "two";
  EXPECT_FALSE(RulesEngine::FromJson(damaged).has_value());
  damaged = state;
  damaged["reversal_targets"] = json::array({s_.size()});  // not an earlier event
  EXPECT_FALSE(RulesEngine::FromJson(damaged).has_value());
  damaged = state;
  damaged.erase("grants");
  EXPECT_FALSE(RulesEngine::FromJson(damaged).has_value());
  damaged = state;
  damaged["policy_version"] = 7;
  EXPECT_FALSE(RulesEngine::FromJson(damaged).has_value());
  damaged = state;
  damaged["policies"][1]["document"]["AN-7"]["voucher_days"] = "x";
  auto rejected = RulesEngine::FromJson(damaged);
  ASSERT_FALSE(rejected.has_value());
  EXPECT_NE(rejected.error().message().find("AN-7.voucher_days"), std::string::npos)
      << rejected.error().message();
  // A log that does not hold what the state says is an error when the expenditures are read
  // back, not an assertion when the rules are evaluated: as many expenditures as folded, in
  // order, each decoding as an expenditure with dates that parse. The engine is left as it was.
  auto read_back = [&](const std::function<Status(uint64_t, const std::function<Status(const LoggedExpenditure&)>&)>& scan) {
    auto engine = RulesEngine::FromJson(state);
    EXPECT_TRUE(engine.has_value());
    Status status = engine->ReadExpenditures(scan);
    EXPECT_FALSE(engine->holds_every_expenditure() && !status.ok());
    return status;
  };
  // Each expenditure of the log, its bytes replaced by `canonical` at `at` (0: none replaced).
  auto log_with = [&](uint64_t at, const std::string& canonical) {
    return [&, at, canonical](uint64_t through, const std::function<Status(const LoggedExpenditure&)>& visit) {
      return s_.ScanExpenditures(through, [&](const LoggedExpenditure& logged) {
        if (logged.sequence != at) return visit(logged);
        LoggedExpenditure replaced = logged;
        replaced.canonical_event = canonical;
        return visit(replaced);
      });
    };
  };
  uint64_t first_spend = 0;
  ASSERT_TRUE(s_.ScanExpenditures(s_.size(), [&](const LoggedExpenditure& logged) {
                  if (first_spend == 0) first_spend = logged.sequence;
                  return Status::Ok();
                }).ok());
  EXPECT_TRUE(read_back(log_with(first_spend, test::MustEncode(Spend()))).ok());
  EXPECT_EQ(read_back(log_with(first_spend, test::MustEncode(Reverse(1)))).code(), StatusCode::kCorruption);
  EXPECT_FALSE(read_back(log_with(first_spend, std::string(24, '\x01'))).ok());
  std::string bad_date = test::MustEncode(Spend({{"payment_date", "2024-04-13"}}));
  bad_date.replace(bad_date.find("2024-04-13"), 10, "2024-02-30");
  Status dated = read_back(log_with(first_spend, bad_date));
  EXPECT_NE(dated.message().find("a date does not parse"), std::string::npos) << dated.message();
  Status fewer = read_back([&](uint64_t through, const std::function<Status(const LoggedExpenditure&)>& visit) {
    return s_.ScanExpenditures(through, [&](const LoggedExpenditure& logged) {
      return logged.sequence == first_spend ? Status::Ok() : visit(logged);
    });
  });
  EXPECT_NE(fewer.message().find("counts 2 expenditures"), std::string::npos) << fewer.message();
  Status repeated = read_back([&](uint64_t through, const std::function<Status(const LoggedExpenditure&)>& visit) {
    return s_.ScanExpenditures(through, [&](const LoggedExpenditure& logged) {
      FT_RETURN_IF_ERROR(visit(logged));
      return visit(logged);
    });
  });
  EXPECT_EQ(repeated.code(), StatusCode::kCorruption) << repeated.message();
  // Events must keep coming in order.
  std::string reversal = test::MustEncode(Reverse(1));
  auto decoded = DecodedEvent::Open(reversal, "event");
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
  EXPECT_FALSE(
      s_.engine().Apply(3, FakeChainHash(3), 0, "", decoded->root(), reversal, nullptr).ok());
}

// ---------------------------------------------------------------------------------------------
// The seeded scenario: a clean alliance with thousands of events designed to break no rule, and
// planted cases of every rule.

struct Planted {
  std::string rule;
  uint64_t sequence = 0;  // an event the flag must name as evidence
  std::string what;
};

class Scenario {
 public:
  static constexpr char kAsOf[] = "2026-06-30";

  explicit Scenario(uint64_t seed) : random_(seed) {
    const json calendar = DefaultPolicyDocument()["AN-6"];
    for (const auto& day : calendar["holidays"]) holidays_.insert(Day(day.get<std::string>()));
    for (const auto& day : calendar["working_weekends"])
      working_weekends_.insert(Day(day.get<std::string>()));
    Setup();
    CleanMoney("G-A", "2024-01-01", "2025-12-31");
    CleanMoney("G-B", "2024-03-01", "2026-02-28");
    CleanOutcomes();
    clean_size_ = stream.size();
    PlantCases();
  }

  Stream stream;
  std::vector<Planted> planted;
  std::set<uint64_t> planted_sequences;
  uint64_t clean_size() const { return clean_size_; }

 private:
  static constexpr const char* kCleanMembers[] = {"UNI-A", "UNI-B", "ENT-A", "ENT-B", "INST-A"};

  uint64_t Clean(const json& event, const std::string& author = "") {
    return stream.Add(event, author);
  }

  uint64_t Plant(const json& event, const std::string& author = "") {
    uint64_t sequence = stream.Add(event, author);
    planted_sequences.insert(sequence);
    return sequence;
  }

  void Expect(const std::string& rule, uint64_t sequence, const std::string& what) {
    planted.push_back({rule, sequence, what});
  }

  int64_t Uniform(int64_t low, int64_t high) {
    return std::uniform_int_distribution<int64_t>(low, high)(random_);
  }

  bool WorkingDay(int32_t day) const {
    unsigned weekday = (static_cast<int64_t>(day) % 7 + 7 + 4) % 7;  // 1970-01-01 was a Thursday
    bool weekend = weekday == 0 || weekday == 6;
    return !holidays_.contains(day) && (!weekend || working_weekends_.contains(day));
  }

  // A random working day in [first, last] that is not a weekend at all (so that nothing depends on
  // the make-up working days).
  int32_t RandomWorkingDay(int32_t first, int32_t last) {
    for (int attempt = 0; attempt < 1000; ++attempt) {
      int32_t day = static_cast<int32_t>(Uniform(first, last));
      unsigned weekday = (static_cast<int64_t>(day) % 7 + 7 + 4) % 7;
      if (WorkingDay(day) && weekday != 0 && weekday != 6) return day;
    }
    ADD_FAILURE() << "no working day in range";
    return first;
  }

  void Setup() {
    Clean(Genesis("ALLIANCE-S"));
    auto org = [&](const std::string& id, const std::string& kind) {
      Clean(Organisation(id, kind, "法人-" + id, "TAX-" + id, "BANK-" + id));
    };
    for (const char* id : {"UNI-A", "UNI-B"}) org(id, "university");
    for (const char* id : {"ENT-A", "ENT-B", "ENT-P", "ENT-W", "ENT-BF", "ENT-NS"})
      org(id, "enterprise");
    for (const char* id : {"INST-A", "INST-NT"}) org(id, "research_institute");
    for (const char* id : {"FUNDER-C", "FUNDER-L", "FM", "OUT-P"}) org(id, "other");
    const std::vector<std::string> members = {"UNI-A", "UNI-B", "ENT-A",   "ENT-B", "INST-A",
                                              "ENT-P", "ENT-W", "INST-NT", "ENT-BF"};
    for (const auto& id : members) Clean(Admit(id, "2023-06-01"));
    Clean(Agreement(
        "A-S", "2023-06-10",
        {{"UNI-A", 3000}, {"UNI-B", 2000}, {"ENT-A", 2000}, {"ENT-B", 1500}, {"INST-A", 1500}}));
    for (const auto& id : members) Clean(Sign("A-S", id, "2023-06-15"));
    Clean(Body("EXEC", "executive", 5, {"UNI-A", "ENT-A"}));
    Clean(Project("P-A", "A-S"));
    int task = 0;
    for (const auto& id : members) {
      if (id != "INST-NT") Clean(Task("T-" + std::to_string(++task), "P-A", id));
    }
    for (int i = 1; i <= kVendors; ++i) {
      std::string id = VendorId(i);
      Clean(Vendor(id, "TAX-" + id, "2010-01-01", "法人-" + id, "BANK-" + id));
    }
    Clean(Vendor("V-EXPERT", "TAX-V-EXPERT", "2010-01-01", "法人-V-EXPERT"));
    Clean(Grant("G-A", "central_government", "2024-01-01", "2025-12-31",
                {{"equipment", 1000000000},
                 {"materials", 1100000000},
                 {"testing", 500000000},
                 {"labour", 500000000},
                 {"expert_consultation", 100000000},
                 {"travel_conference_international", 200000000},
                 {"publication_ip", 100000000},
                 {"indirect", 500000000}},
                "FUNDER-C", "P-A"));
    Clean(Grant("G-B", "local_government", "2024-03-01", "2026-02-28",
                {{"equipment", 500000000},
                 {"materials", 500000000},
                 {"testing", 300000000},
                 {"labour", 200000000},
                 {"expert_consultation", 50000000},
                 {"travel_conference_international", 100000000},
                 {"publication_ip", 50000000},
                 {"indirect", 300000000}},
                "FUNDER-L", "P-A"));
  }

  static constexpr int kVendors = 40;
  static constexpr int kSpendsPerMemberGrant = 300;
  static std::string VendorId(int i) {
    char id[16];
    std::snprintf(id, sizeof id, "V-%03d", i);
    return id;
  }

  // First digits in Benford's proportions for `count` items, shuffled: the clean members'
  // expenditures conform by construction (largest-remainder quotas).
  std::vector<int> BenfordDeck(int count) {
    static const int kPerMillion[10] = {0,     301030, 176091, 124939, 96910,
                                        79181, 66947,  57992,  51153,  45757};
    std::vector<int> deck;
    std::vector<std::pair<int64_t, int>> remainders;
    for (int digit = 1; digit <= 9; ++digit) {
      int64_t exact = static_cast<int64_t>(count) * kPerMillion[digit];
      for (int64_t i = 0; i < exact / 1000000; ++i) deck.push_back(digit);
      remainders.push_back({exact % 1000000, digit});
    }
    std::sort(remainders.rbegin(), remainders.rend());
    for (size_t i = 0; deck.size() < static_cast<size_t>(count); ++i)
      deck.push_back(remainders[i].second);
    std::shuffle(deck.begin(), deck.end(), random_);
    return deck;
  }

  // Expenditures of the five clean members on one grant, each quarter's money received and
  // disbursed at the start of the quarter, exactly what that quarter's payments need.
  void CleanMoney(const std::string& grant, const std::string& start_text,
                  const std::string& end_text) {
    int32_t start = Day(start_text), end = Day(end_text);
    struct Item {
      int32_t payment;
      std::string member;
      json event;
    };
    std::vector<Item> items;
    for (const char* member : kCleanMembers) {
      std::vector<int> deck = BenfordDeck(kSpendsPerMemberGrant);
      for (int i = 0; i < kSpendsPerMemberGrant; ++i) {
        int digit = deck[i];
        // Equipment is bought in the first half, so that a large item never lands in the final
        // days (TP-2); everything else is spread over the whole period.
        int32_t payment = i == 0 ? RandomWorkingDay(start + 5, start + (end - start) / 2)
                                 : RandomWorkingDay(start + 5, end - 5);
        int32_t invoice = std::max<int32_t>(start, payment - static_cast<int32_t>(Uniform(0, 7)));
        std::string category;
        std::string description;
        int exponent = static_cast<int>(Uniform(3, 5));  // 10.00 .. 99,999.99 CNY in fen below
        json extra = json::object();
        std::string vendor = VendorId(static_cast<int>(Uniform(1, kVendors)));
        if (i == 0) {
          category = "equipment";  // one equipment item above the approval threshold
          description = "设备采购";
          exponent = 7;
        } else {
          switch (Uniform(0, 9)) {
            case 0:
              category = "expert_consultation";
              description = "专家咨询费";
              exponent = 4;  // 100.00 .. 999.99 CNY per item, within any daily cap
              vendor = "V-EXPERT";
              extra = {{"expert_name", "专家-" + std::to_string(Uniform(1, 20))},
                       {"expert_days", Uniform(1, 3)}};
              break;
            case 1:
              category = "labour";
              description = "劳务费（代扣个人所得税）";
              extra = {
                  {"payee", "员工-" + std::string(member) + "-" + std::to_string(Uniform(1, 5))}};
              break;
            case 2:
              category = "travel_conference_international";
              description = "差旅费 酒店住宿";
              break;
            case 3:
              category = "testing";
              description = "电芯测试服务";
              break;
            case 4:
              category = "publication_ip";
              description = "论文版面费";
              break;
            case 5:
              category = "materials";
              description = "试剂 isopropyl alcohol";
              break;
            default:
              category = "materials";
              description = "正极材料";
              break;
          }
        }
        int64_t scale = 1;
        for (int e = 0; e < exponent; ++e) scale *= 10;
        int64_t amount = 0;
        do {
          amount = digit * scale + Uniform(0, scale - 1);
          if (amount % 100000 == 0) amount += 1;  // never a multiple of 1,000.00 (AN-4)
        } while (!used_amounts_.insert({vendor, amount}).second);  // never a repeat (AN-1)
        json event = {
            {"type", "expenditure_recorded"},
            {"grant_id", grant},
            {"org_id", member},
            {"category", category},
            {"vendor_id", vendor},
            {"invoice_number", "INV-" + std::to_string(++invoices_)},
            {"invoice_date", FormatDate(invoice)},
            {"payment_date", FormatDate(payment)},
            {"voucher_date", FormatDate(payment + static_cast<int32_t>(Uniform(0, 20)))},
            {"amount", Cny(amount)},
            {"requester", "请求-" + std::string(member) + "-" + std::to_string(Uniform(1, 4))},
            {"approver", "审批-" + std::string(member) + "-" + std::to_string(Uniform(1, 2))},
            {"description", description}};
        for (const auto& [key, value] : extra.items()) event[key] = value;
        items.push_back({payment, member, std::move(event)});
      }
    }
    std::stable_sort(items.begin(), items.end(),
                     [](const Item& a, const Item& b) { return a.payment < b.payment; });
    auto quarter = [](int32_t day) -> int {
      auto date = std::chrono::year_month_day{std::chrono::sys_days(std::chrono::days(day))};
      return static_cast<int>(date.year()) * 4 +
             static_cast<int>((static_cast<unsigned>(date.month()) - 1) / 3);
    };
    size_t next = 0;
    while (next < items.size()) {
      int q = quarter(items[next].payment);
      size_t end_of_quarter = next;
      std::map<std::string, int64_t> need;
      int64_t total = 0;
      while (end_of_quarter < items.size() && quarter(items[end_of_quarter].payment) == q) {
        int64_t amount =
            ParseMoney(items[end_of_quarter].event["amount"].get<std::string>())->minor_units;
        need[items[end_of_quarter].member] += amount;
        total += amount;
        ++end_of_quarter;
      }
      std::chrono::year_month_day first_day{std::chrono::year(q / 4),
                                            std::chrono::month(q % 4 * 3 + 1), std::chrono::day(1)};
      int32_t tranche_day =
          std::max<int32_t>(start, std::chrono::sys_days(first_day).time_since_epoch().count());
      Clean(Receive(grant, total, FormatDate(tranche_day)));
      for (const auto& [member, amount] : need)
        Clean(Disburse(grant, member, amount, FormatDate(tranche_day)), "FM");
      for (; next < end_of_quarter; ++next) Clean(items[next].event, items[next].member);
    }
  }

  void CleanOutcomes() {
    Clean(Outcome("O-A1", "G-A", "2024-06-03", {{"UNI-A", 6000}, {"ENT-A", 4000}}));
    Clean(Shared("O-A1", "某外部企业", "", "2024-09-02"));
    Clean(Revenue("O-A1",
                  {{"UNI-A", 30000000},
                   {"UNI-B", 20000000},
                   {"ENT-A", 20000000},
                   {"ENT-B", 15000000},
                   {"INST-A", 15000000}},
                  "2024-10-08"));
    Clean(Outcome("O-B1", "G-B", "2025-03-03", {{"UNI-B", 10000}}));
    Clean(Licence("L-B1", "O-B1", "某外部研究所", "", false, "2025-05-06"));
    Clean(Outcome("O-A2", "G-A", "2026-01-05", {{"INST-A", 10000}}));  // not due by the as-of date
  }

  json PlantedSpend(const std::string& grant, int64_t fen, const std::string& payment_date,
                    const json& overrides = {}) {
    json event = {{"type", "expenditure_recorded"},
                  {"grant_id", grant},
                  {"org_id", "ENT-P"},
                  {"category", "materials"},
                  {"vendor_id", "V-P"},
                  {"invoice_number", "P-INV-" + std::to_string(++invoices_)},
                  {"invoice_date", payment_date},
                  {"payment_date", payment_date},
                  {"amount", Cny(fen)},
                  {"requester", "请求-P"},
                  {"approver", "审批-P"},
                  {"description", "正极材料"}};
    for (const auto& [key, value] : overrides.items()) event[key] = value;
    return event;
  }

  uint64_t PlantSpend(const std::string& grant, int64_t fen, const std::string& payment_date,
                      const json& overrides = {}) {
    json event = PlantedSpend(grant, fen, payment_date, overrides);
    return Plant(event, event["org_id"].get<std::string>());
  }

  void PlantCases() {
    for (const char* vendor : {"V-P", "V-P2", "V-P3", "V-P4", "V-P5", "V-P6", "V-BF"}) {
      Plant(Vendor(vendor, std::string("TAX-") + vendor, "2010-01-01"));
    }
    uint64_t gp = Plant(Grant("G-P", "central_government", "2024-01-01", "2024-12-31",
                              {{"materials", 100000000},
                               {"testing", 40000000},
                               {"equipment", 20000000},
                               {"expert_consultation", 10000000},
                               {"indirect", 30000000}},
                              "FUNDER-C", "P-A"));
    Plant(Grant("G-P2", "local_government", "2024-01-01", "2024-12-31",
                {{"materials", 6000000}, {"testing", 3000000}, {"indirect", 1000000}}, "FUNDER-L",
                "P-A"));
    uint64_t gp3 =
        Plant(Grant("G-P3", "central_government", "2024-01-01", "2025-12-31",
                    {{"materials", 50000000}, {"equipment", 10000000}, {"indirect", 40000000}},
                    "FUNDER-C", "P-A"));
    Expect("BR-1", gp3, "indirect budget 400,000 above the cap of 150,000");
    Expect("TP-4", gp3, "G-P3 ended 2025-12-31 holding 100,000");
    Expect("TP-4", gp, "G-P ended 2024-12-31 holding money");
    Plant(Grant("G-P4", "enterprise", "2024-01-01", "2024-12-31", {{"materials", 5000000}},
                "FUNDER-C", "P-A"));
    Plant(Grant("G-P5", "central_government", "2024-01-01", "2024-12-31",
                {{"materials", 100000000}}, "FUNDER-C", "P-A"));
    Plant(Receive("G-P", 200000000, "2024-01-05"));
    Plant(Disburse("G-P", "ENT-P", 180000000, "2024-01-10"), "FM");
    Plant(Receive("G-P2", 3000000, "2024-01-05"));
    Plant(Disburse("G-P2", "ENT-P", 3000000, "2024-01-10"), "FM");
    Plant(Receive("G-P3", 10000000, "2024-02-01"));
    uint64_t over_disbursed = Plant(Disburse("G-P3", "ENT-P", 15000000, "2024-02-01"), "FM");
    Expect("BR-3", over_disbursed, "G-P3 disbursed 150,000 of 100,000 received");
    Expect("TP-3", over_disbursed, "G-P3 money idle since 2024-02-01");
    Expect("BR-3", Plant(Receive("G-P4", 6000000, "2024-01-05")),
           "G-P4 received 60,000 of a 50,000 award");
    Plant(Receive("G-P5", 100000000, "2024-01-05"));
    Plant(Disburse("G-P5", "ENT-BF", 100000000, "2024-01-10"), "FM");

    Expect("PU-1", PlantSpend("G-P", 123451, "2024-03-04", {{"description", "购买购物卡"}}),
           "shopping cards");
    Expect("PU-2", PlantSpend("G-P", 234562, "2024-03-05", {{"category", "fuel_power"}}),
           "no fuel_power line");
    Expect("PU-2", PlantSpend("G-P", 145673, "2024-03-06", {{"org_id", "INST-NT"}}),
           "INST-NT has no task");
    uint64_t charged = PlantSpend("G-P", 2000000, "2024-03-07", {{"invoice_number", "P-DC-1"}});
    Expect("PU-3", charged, "one invoice on G-P and G-P2");
    Expect("PU-3", PlantSpend("G-P2", 2000000, "2024-03-07", {{"invoice_number", "P-DC-1"}}),
           "second charge");
    Expect(
        "PU-4",
        PlantSpend(
            "G-P", 500001, "2024-03-08",
            {{"category", "expert_consultation"}, {"expert_name", "专家-P"}, {"expert_days", 2}}),
        "5,000.01 for two days");
    Expect("PU-4",
           PlantSpend("G-P", 80012, "2024-03-11",
                      {{"category", "expert_consultation"},
                       {"expert_name", "请求-UNI-A-1"},
                       {"expert_days", 1}}),
           "fee to a requester on P-A");
    Expect("BR-1", PlantSpend("G-P2", 800000, "2024-11-20", {{"category", "indirect"}}),
           "8,000 indirect on 20,000");
    uint64_t crossing = PlantSpend("G-P2", 500000, "2024-12-10", {{"category", "testing"}});
    Expect("BR-3", crossing, "ENT-P spent 33,000 of 30,000 on G-P2");
    Expect("TP-2", crossing, "13,000 of 33,000 in the last 60 days");
    uint64_t testing = 0;
    for (int i = 0; i < 9; ++i) {
      testing = PlantSpend("G-P", 4500000 + i, FormatDate(Day("2024-04-01") + 14 * i),
                           {{"category", "testing"},
                            {"vendor_id", "V-P6"},
                            {"requester", "请求-P-" + std::to_string(i)}});
    }
    Expect("BR-2", testing, "testing 405,000 of 400,000");
    Expect("BR-2", Plant(Adjust("G-P", {{"equipment", 30000000}}, "处长甲"), "FUNDER-C"),
           "equipment increase");
    Expect("BR-4", PlantSpend("G-P", 6000000, "2024-04-02", {{"requester", "请求-P-BR4"}, {"description", "X射线衍射分析仪"}}),
           "60,000 of materials");
    Expect("TP-1", PlantSpend("G-P", 156784, "2025-01-08", {{"invoice_date", "2025-01-06"}}),
           "after the end");
    Expect("FL-1", Plant(Disburse("G-P", "OUT-P", 1000000, "2024-03-12"), "FM"), "to a non-member");
    Expect("FL-1", PlantSpend("G-P", 167895, "2024-03-13", {{"org_id", "OUT-P"}}),
           "by a non-member");
    Expect("FL-1", Plant(Disburse("G-P", "ENT-W", 5000000, "2024-02-01"), "FM"),
           "kept after withdrawal");
    Plant(Withdraw("ENT-W", "2024-06-03"));
    Expect("FL-2", Plant(Disburse("G-P", "INST-NT", 1000000, "2024-03-14"), "FM"),
           "INST-NT has no task");
    uint64_t unsigned_member = Plant(Admit("ENT-NS", "2026-03-16"));
    Expect("AL-3", unsigned_member, "ENT-NS never signed");
    Expect("FL-3", Plant(Disburse("G-P", "ENT-P", 100000, "2026-03-20"), "FM"),
           "after ENT-NS joined unsigned");
    PlantSpend("G-P", 333333, "2024-05-06", {{"vendor_id", "V-P2"}, {"invoice_number", "P-DUP-1"}});
    Expect("AN-1",
           PlantSpend("G-P", 333333, "2024-05-20",
                      {{"vendor_id", "V-P2"}, {"invoice_number", "P-DUP-1"}}),
           "same invoice and amount");
    PlantSpend("G-P", 444444, "2024-06-03", {{"vendor_id", "V-P2"}});
    Expect("AN-1", PlantSpend("G-P", 444444, "2024-06-13", {{"vendor_id", "V-P2"}}),
           "same amount, 10 days");
    uint64_t split =
        PlantSpend("G-P", 4000001, "2024-07-01", {{"vendor_id", "V-P3"}, {"requester", "请求-S1"}});
    PlantSpend("G-P", 3500002, "2024-07-02", {{"vendor_id", "V-P3"}, {"requester", "请求-S2"}});
    PlantSpend("G-P", 3000003, "2024-07-03", {{"vendor_id", "V-P3"}, {"requester", "请求-S3"}});
    Expect("AN-2", split, "105,000.06 in three days");
    uint64_t near = 0;
    for (const auto& [fen, date] : std::vector<std::pair<int64_t, std::string>>{
             {9510001, "2024-07-08"}, {9620002, "2024-07-22"}, {9930003, "2024-08-12"}}) {
      near = PlantSpend("G-P", fen, date,
                        {{"vendor_id", "V-P4"}, {"category", "equipment"}, {"approver", "审批-N"}});
    }
    Expect("AN-3", near, "three just below 100,000 in 2024-Q3");
    uint64_t round = 0;
    for (const auto& [fen, date] :
         std::vector<std::pair<int64_t, std::string>>{{200000, "2024-08-05"},
                                                      {300000, "2024-08-06"},
                                                      {111111, "2024-08-07"},
                                                      {222222, "2024-08-08"},
                                                      {333334, "2024-08-09"}}) {
      uint64_t sequence = PlantSpend("G-P", fen, date, {{"vendor_id", "V-P5"}});
      if (round == 0) round = sequence;
    }
    Expect("AN-4", round, "two of five payments round");
    uint64_t benford = 0;
    int32_t day = Day("2024-03-01");
    for (int i = 0; i < 300; ++i) {
      while (!WorkingDay(day) || (static_cast<int64_t>(day) % 7 + 7 + 4) % 7 == 0 ||
             (static_cast<int64_t>(day) % 7 + 7 + 4) % 7 == 6) {
        ++day;
      }
      uint64_t sequence = PlantSpend("G-P5", 5000 + i * 16, FormatDate(day),
                                     {{"org_id", "ENT-BF"},
                                      {"vendor_id", "V-BF"},
                                      {"requester", "BF-请求-" + std::to_string(i % 5)},
                                      {"approver", "BF-审批"}});
      if (benford == 0) benford = sequence;
      if (i % 2 == 1) ++day;
    }
    Expect("AN-5", benford, "first digits 5..9 only");
    Expect("AN-6", PlantSpend("G-P", 178906, "2024-04-13"), "paid on a Saturday");
    Expect("AN-7", PlantSpend("G-P", 189017, "2024-04-02", {{"voucher_date", "2024-05-15"}}),
           "booked 43 days late");
    uint64_t related = Plant(Vendor("V-REL", "TAX-ENT-A"));
    Expect("AN-8", related, "vendor shares ENT-A's tax id");
    Expect("AN-8", PlantSpend("G-P", 246802, "2024-04-03", {{"vendor_id", "V-REL"}}),
           "payment to V-REL");
    Expect(
        "AN-9",
        PlantSpend("G-P", 190128, "2024-04-04", {{"requester", "同一人"}, {"approver", "同一人"}}),
        "requester approves");
    Plant(Outcome("O-P", "G-P", "2024-05-06", {{"ENT-P", 10000}}));
    Expect("AL-1",
           Plant(Revenue("O-P", {{"UNI-A", 5000000}, {"ENT-A", 5000000}}, "2024-09-02"), "FM"),
           "50/50 against 30/20/20/15/15");
    Expect("AL-2", Plant(Outcome("O-P2", "G-P", "2024-05-07", {{"ENT-P", 10000}})), "never shared");
  }

  std::mt19937_64 random_;
  std::set<int32_t> holidays_;
  std::set<int32_t> working_weekends_;
  std::set<std::pair<std::string, int64_t>> used_amounts_;
  int invoices_ = 0;
  uint64_t clean_size_ = 0;
};

bool IsPlanted(const Flag& flag, const std::set<uint64_t>& planted) {
  return std::any_of(flag.evidence.begin(), flag.evidence.end(),
                     [&](const Evidence& evidence) { return planted.contains(evidence.sequence); });
}

TEST(RuleScenario, PlantedCasesAreFlaggedAndTheCleanPartIsNot) {
  uint64_t seed = SeedFromEnvironment(20260630);
  SCOPED_TRACE("seed " + std::to_string(seed) + " (replay with FUNDTRAIL_TEST_SEED)");
  Scenario scenario(seed);
  ASSERT_GT(scenario.stream.size(), 3000u);
  auto flags = scenario.stream.Flags(Scenario::kAsOf);

  // Every rule has a planted case, and every planted case is flagged.
  std::set<std::string> rules_planted;
  for (const auto& [rule, sequence, what] : scenario.planted) {
    rules_planted.insert(rule);
    EXPECT_NE(Raised(flags, rule, sequence), nullptr)
        << rule << " at event " << sequence << ": " << what;
  }
  for (const char* rule :
       {"PU-1", "PU-2", "PU-3", "PU-4", "BR-1", "BR-2", "BR-3", "BR-4", "TP-1",
        "TP-2", "TP-3", "TP-4", "FL-1", "FL-2", "FL-3", "AN-1", "AN-2", "AN-3",
        "AN-4", "AN-5", "AN-6", "AN-7", "AN-8", "AN-9", "AL-1", "AL-2", "AL-3"}) {
    EXPECT_TRUE(rules_planted.contains(rule)) << rule << " has no planted case";
  }

  // The clean part: flags none of whose evidence is planted. All rules here are deterministic
  // (AN-4 and AN-5 are statistical, and the clean data are built to conform), so it must be zero.
  std::vector<Flag> clean;
  std::map<std::string, int> clean_by_rule, planted_by_rule;
  for (const auto& flag : flags) {
    if (IsPlanted(flag, scenario.planted_sequences)) {
      ++planted_by_rule[flag.rule];
    } else {
      ++clean_by_rule[flag.rule];
      clean.push_back(flag);
    }
  }
  std::string report = "scenario: " + std::to_string(scenario.stream.size()) + " events (" +
                       std::to_string(scenario.clean_size()) + " clean), " +
                       std::to_string(flags.size()) + " flags, " + std::to_string(clean.size()) +
                       " on the clean part\n";
  for (const auto& [rule, count] : planted_by_rule)
    report += "  planted part " + rule + ": " + std::to_string(count) + "\n";
  for (const auto& [rule, count] : clean_by_rule)
    report += "  clean part " + rule + ": " + std::to_string(count) + "\n";
  std::printf("%s", report.c_str());
  if (std::getenv("FUNDTRAIL_RULES_DUMP")) std::printf("%s", Describe(flags).c_str());
  RecordProperty("clean_flags", static_cast<int>(clean.size()));
  EXPECT_TRUE(clean.empty()) << Describe(clean);

  // Every flag is well formed: ids within the disposition limit, evidence with the right hashes
  // in sequence order, an explanation, and a known severity.
  for (const auto& flag : flags) {
    EXPECT_LE(flag.id.size(), 64u) << flag.id;
    EXPECT_EQ(flag.id.find(' '), std::string::npos) << flag.id;
    EXPECT_EQ(flag.id.rfind(flag.rule + "/" + std::to_string(flag.evidence.front().sequence), 0),
              0u)
        << flag.id;
    EXPECT_FALSE(flag.explanation.empty()) << flag.id;
    EXPECT_NE(std::string("low medium high critical").find(flag.severity), std::string::npos)
        << flag.id;
    EXPECT_TRUE(std::is_sorted(flag.touches.begin(), flag.touches.end())) << flag.id;
    EXPECT_TRUE(std::binary_search(flag.touches.begin(), flag.touches.end(), flag.subject))
        << flag.id;
    for (size_t i = 0; i < flag.evidence.size(); ++i) {
      EXPECT_EQ(flag.evidence[i].chain_hash, FakeChainHash(flag.evidence[i].sequence)) << flag.id;
      if (i > 0) {
        EXPECT_LT(flag.evidence[i - 1].sequence, flag.evidence[i].sequence) << flag.id;
      }
    }
  }
}

TEST(RuleScenario, FoldingInPiecesWithRoundTripsGivesTheSameFlags) {
  uint64_t seed = SeedFromEnvironment(20260630);
  SCOPED_TRACE("seed " + std::to_string(seed) + " (replay with FUNDTRAIL_TEST_SEED)");
  Scenario scenario(seed);
  std::mt19937_64 random(seed ^ 0x5eed);
  RulesEngine pieces;
  uint64_t size = scenario.stream.size();
  int round_trips = 0;
  for (uint64_t sequence = 1; sequence <= size; ++sequence) {
    ASSERT_TRUE(scenario.stream.Feed(&pieces, sequence).ok()) << sequence;
    if (random() % 300 == 0 || sequence == size / 2) {
      // A snapshot written as text and read back, as the projection store does.
      std::string text = pieces.ToJson().dump();
      auto restored = RulesEngine::FromJson(json::parse(text));
      ASSERT_TRUE(restored.has_value()) << restored.error().message();
      pieces = std::move(*restored);
      ++round_trips;
    }
  }
  EXPECT_GT(round_trips, 3);
  EXPECT_EQ(pieces.ToJson().dump(), scenario.stream.engine().ToJson().dump());
  ASSERT_TRUE(pieces.ReadExpenditures(scenario.stream.Scan()).ok());
  EXPECT_EQ(pieces.ToJson().dump(), scenario.stream.engine().ToJson().dump());
  for (const char* as_of : {"2024-06-30", "2025-03-31", Scenario::kAsOf}) {
    EXPECT_EQ(FlagsJson(pieces.Flags(Day(as_of))), FlagsJson(scenario.stream.Flags(as_of)))
        << as_of;
  }
  // The same events folded again from zero give the same flags (and the same state).
  RulesEngine again;
  for (uint64_t sequence = 1; sequence <= size; ++sequence)
    ASSERT_TRUE(scenario.stream.Feed(&again, sequence).ok());
  EXPECT_EQ(FlagsJson(again.Flags(Day(Scenario::kAsOf))),
            FlagsJson(scenario.stream.Flags(Scenario::kAsOf)));
}

// The engine keeps each distinct text of its expenditures once and points at it; a copy (or a
// copy assignment) must point at texts of its own, so that it outlives its original and goes on
// folding as the original would have.
TEST(RuleScenario, CopiesOutliveTheirOriginal) {
  Scenario scenario(SeedFromEnvironment(20260630));
  uint64_t size = scenario.stream.size();
  auto original = std::make_unique<RulesEngine>();
  for (uint64_t sequence = 1; sequence <= size / 2; ++sequence)
    ASSERT_TRUE(scenario.stream.Feed(original.get(), sequence).ok());
  RulesEngine copy(*original);
  RulesEngine assigned;
  assigned = *original;
  original.reset();
  for (RulesEngine* engine : {&copy, &assigned}) {
    for (uint64_t sequence = size / 2 + 1; sequence <= size; ++sequence)
      ASSERT_TRUE(scenario.stream.Feed(engine, sequence).ok());
    EXPECT_EQ(engine->ToJson().dump(), scenario.stream.engine().ToJson().dump());
    EXPECT_EQ(FlagsJson(engine->Flags(Day(Scenario::kAsOf))),
              FlagsJson(scenario.stream.Flags(Scenario::kAsOf)));
  }
}

TEST(RuleScenario, PolicyChangeRecordsTheNewVersion) {
  Scenario scenario(SeedFromEnvironment(20260630));
  Stream& s = scenario.stream;
  auto before = s.Flags(Scenario::kAsOf);
  // Lower AN-7's limit to 10 days: only expenditures appended after the change are judged by it.
  uint64_t policy = s.Add(PolicySet(1, {{"AN-7", {{"voucher_days", 10}}}}));
  json late = {{"type", "expenditure_recorded"},
               {"grant_id", "G-A"},
               {"org_id", "UNI-A"},
               {"category", "materials"},
               {"vendor_id", "V-001"},
               {"invoice_number", "AFTER-1"},
               {"invoice_date", "2024-04-02"},
               {"payment_date", "2024-04-02"},
               {"voucher_date", "2024-04-22"},
               {"amount", "1234.57 CNY"},
               {"requester", "请求-UNI-A-1"},
               {"approver", "审批-UNI-A-1"},
               {"description", "正极材料"}};
  uint64_t after = s.Add(late, "UNI-A");
  auto flags = s.Flags(Scenario::kAsOf);
  const Flag* flag = Raised(flags, "AN-7", after);
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->policy_version, 1u);
  EXPECT_EQ(flag->parameters["voucher_days"], 10);
  // Flags whose evidence all precedes the policy event are unchanged, version 0 included.
  for (const auto& old : before) {
    if (old.evidence.back().sequence > policy || old.rule == "TP-3" || old.rule == "TP-4" ||
        old.rule == "FL-1" || old.rule == "AL-2" || old.rule == "AL-3") {
      continue;  // time-based rules use the latest policy
    }
    const Flag* same = FindId(flags, old.id);
    if (old.rule == "BR-3" || old.rule == "BR-1" || old.rule == "BR-2" || old.rule == "TP-2" ||
        old.rule == "AN-5" || old.rule == "AN-4") {
      continue;  // aggregates over G-A and UNI-A may be re-evaluated after the new expenditure
    }
    ASSERT_NE(same, nullptr) << old.id;
    EXPECT_EQ(same->policy_version, 0u) << old.id;
    EXPECT_EQ(FlagToJson(*same).dump(), FlagToJson(old).dump()) << old.id;
  }
}


// ----- Validation version 4: the undertaking unit's adjustments (BR-2), terminations (TP-1,
// TP-4), invoice totals and foreign payments (PU-3).

using RuleVersion4 = RuleTest;

json Terminate(const std::string& grant, const std::string& date) {
  return {{"type", "grant_terminated"}, {"grant_id", grant}, {"date", date}, {"reason", "中期评估不合格"}};
}

TEST_F(RuleVersion4, TheFundManagersReallocationCoversSpending) {
  AddSmallGrant("G-S");  // materials 100,000
  // Materials raised to 130,000 by the fund manager, from testing: not an equipment increase.
  s_.Add(Adjust("G-S", {{"materials", 13000000}, {"testing", 3000000}}, "资金管理办公室"), kManager);
  AddSpend({{"grant_id", "G-S"}, {"amount", "60000.00 CNY"}});
  AddSpend({{"grant_id", "G-S"}, {"amount", "60000.00 CNY"}, {"vendor_id", "V-2"}});
  auto flags = s_.Flags("2024-06-30");
  EXPECT_TRUE(OfRule(flags, "BR-2").empty()) << Describe(flags);
}

TEST_F(RuleVersion4, AnEquipmentIncreaseByTheFundManagerNeedsTheFundersReference) {
  AddSmallGrant("G-S");  // equipment 40,000
  // Naming the funder as approver is not the funder's approval when the unit records it.
  uint64_t named = s_.Add(Adjust("G-S", {{"equipment", 6000000}}, kFunderName), kManager);
  json approved = Adjust("G-S", {{"equipment", 8000000}}, kFunderName);
  approved["funder_approval_reference"] = "国科发资〔2024〕7号";
  uint64_t referenced = s_.Add(approved, kManager);
  auto flags = s_.Flags("2024-06-30");
  const Flag* flag = FindId(flags, "BR-2/" + std::to_string(named) + "/equipment_increase");
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->figures["recorded_by"], kManager);
  EXPECT_NE(flag->explanation.find("without the funder's approval reference"), std::string::npos)
      << flag->explanation;
  EXPECT_EQ(FindId(flags, "BR-2/" + std::to_string(referenced) + "/equipment_increase"), nullptr)
      << Describe(flags);
  // The referenced increase counts: 75,000 of equipment is within 80,000.
  AddSpend({{"grant_id", "G-S"}, {"category", "equipment"}, {"amount", "75000.00 CNY"}});
  flags = s_.Flags("2024-06-30");
  for (const auto* overrun : OfRule(flags, "BR-2"))
    EXPECT_NE(overrun->id.substr(overrun->id.size() - 7), "overrun") << overrun->id;
  // The funder's own adjustment keeps the earlier rule: its approver's name suffices.
  uint64_t by_funder = s_.Add(Adjust("G-S", {{"equipment", 9000000}}, kFunderName), kFunder);
  flags = s_.Flags("2024-06-30");
  EXPECT_EQ(FindId(flags, "BR-2/" + std::to_string(by_funder) + "/equipment_increase"), nullptr)
      << Describe(flags);
}

TEST_F(RuleVersion4, SpendingAfterATerminationIsOutOfPeriod) {
  AddSmallGrant("G-S");  // ends 2025-02-28
  uint64_t termination = s_.Add(Terminate("G-S", "2024-09-30"), kFunder);
  uint64_t before = AddSpend({{"grant_id", "G-S"}, {"invoice_date", "2024-09-30"}, {"payment_date", "2024-10-08"}});
  uint64_t after = AddSpend({{"grant_id", "G-S"}, {"invoice_date", "2024-10-09"}, {"payment_date", "2024-10-10"}});
  auto flags = s_.Flags("2024-12-31");
  EXPECT_EQ(Raised(flags, "TP-1", before), nullptr) << Describe(flags);
  const Flag* flag = Raised(flags, "TP-1", after);
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->figures["terminated_on"], "2024-09-30");
  EXPECT_EQ(flag->figures["days_after_termination"], 9);
  EXPECT_EQ(flag->figures["termination"], termination);
  EXPECT_EQ(flag->id, "TP-1/" + std::to_string(after) + "/after");
  EXPECT_NE(flag->explanation.find("was terminated on 2024-09-30 (中期评估不合格)"), std::string::npos)
      << flag->explanation;
  // A termination on or after the period's end changes nothing.
  AddSmallGrant("G-T");
  s_.Add(Terminate("G-T", "2025-02-28"), kFunder);
  uint64_t in_period = AddSpend({{"grant_id", "G-T"}, {"invoice_date", "2025-02-01"}});
  EXPECT_EQ(Raised(s_.Flags("2024-12-31"), "TP-1", in_period), nullptr);
}

TEST_F(RuleVersion4, TheBalanceOfATerminatedGrantFallsDue) {
  uint64_t grant = AddSmallGrant("G-S");  // ends 2025-02-28
  s_.Add(Receive("G-S", 20000000, "2024-03-05"));
  s_.Add(Terminate("G-S", "2024-09-30"), kFunder);  // deadline 2024-10-30
  auto flags = s_.Flags("2024-10-30");
  EXPECT_EQ(Raised(flags, "TP-4", grant), nullptr) << Describe(flags);
  flags = s_.Flags("2024-10-31");
  const Flag* flag = FindId(flags, "TP-4/" + std::to_string(grant) + "/terminated");
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->figures["terminated_on"], "2024-09-30");
  EXPECT_EQ(flag->figures["deadline"], "2024-10-30");
  EXPECT_EQ(flag->figures["balance"], "200000.00 CNY");
  s_.Add(Refund("G-S", kManager, "unspent_to_funder", 20000000, "2024-10-20"));
  EXPECT_EQ(Raised(s_.Flags("2024-10-31"), "TP-4", grant), nullptr);
}

TEST_F(RuleVersion4, AnInvoiceSplitWithinItsTotalIsNotChargedTwice) {
  auto on_g1 = [&](const std::string& invoice, int64_t fen, int64_t total_fen) {
    json event = Spend({{"invoice_number", invoice}, {"amount", Cny(fen)}});
    if (total_fen > 0) event["invoice_total"] = Cny(total_fen);
    return s_.Add(event, kUni);
  };
  auto on_ge = [&](const std::string& invoice, int64_t fen, int64_t total_fen) {
    json event = Spend({{"grant_id", "G-E"}, {"org_id", kEnt}, {"invoice_number", invoice}, {"amount", Cny(fen)}});
    if (total_fen > 0) event["invoice_total"] = Cny(total_fen);
    return s_.Add(event, kEnt);
  };
  on_g1("FP-SPLIT", 6000000, 10000000);
  on_ge("FP-SPLIT", 4000000, 10000000);
  uint64_t over = on_g1("FP-OVER", 6000000, 10000000);
  on_ge("FP-OVER", 5000000, 10000000);
  uint64_t conflicting = on_g1("FP-CONFLICT", 3000000, 10000000);
  on_ge("FP-CONFLICT", 3000000, 9000000);
  auto flags = s_.Flags("2024-06-30");
  std::vector<const Flag*> raised = OfRule(flags, "PU-3");
  ASSERT_EQ(raised.size(), 2u) << Describe(flags);
  const Flag* flag = FindId(flags, "PU-3/" + std::to_string(over));
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->figures["invoice_total"], "100000.00 CNY");
  EXPECT_NE(flag->explanation.find("more than the invoice's total of"), std::string::npos) << flag->explanation;
  flag = FindId(flags, "PU-3/" + std::to_string(conflicting));
  ASSERT_NE(flag, nullptr) << Describe(flags);
  EXPECT_EQ(flag->figures["invoice_totals"].size(), 2u);
  EXPECT_NE(flag->explanation.find("state different invoice totals"), std::string::npos) << flag->explanation;
}

TEST_F(RuleVersion4, AForeignInvoiceIsComparedInItsOwnCurrency) {
  // One USD invoice of 1,000.00 split 600/400 across two grants at different rates: within its
  // total in USD, though the CNY amounts differ from a same-day split.
  json first = Spend({{"invoice_number", "US-1"}, {"amount", "4357.32 CNY"}});
  first["original_amount"] = "600.00 USD";
  first["exchange_rate"] = "7.2622";
  first["invoice_total"] = "1000.00 USD";
  s_.Add(first, kUni);
  json second = Spend({{"grant_id", "G-E"}, {"org_id", kEnt}, {"invoice_number", "US-1"}, {"amount", "2920.00 CNY"}});
  second["original_amount"] = "400.00 USD";
  second["exchange_rate"] = "7.3";
  second["invoice_total"] = "1000.00 USD";
  s_.Add(second, kEnt);
  EXPECT_TRUE(OfRule(s_.Flags("2024-06-30"), "PU-3").empty()) << Describe(s_.Flags("2024-06-30"));
  // Charged twice in full: flagged, in USD.
  json again = second;
  again["amount"] = "7300.00 CNY";
  again["original_amount"] = "1000.00 USD";
  uint64_t third = s_.Add(again, kEnt);
  auto flags = s_.Flags("2024-06-30");
  std::vector<const Flag*> raised = OfRule(flags, "PU-3");
  ASSERT_EQ(raised.size(), 1u) << Describe(flags);
  EXPECT_EQ(raised[0]->figures["total"], "2000.00 USD");
  EXPECT_TRUE(HasEvidence(*raised[0], third));
}

}  // namespace
}  // namespace fundtrail::projections
