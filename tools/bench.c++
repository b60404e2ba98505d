// fundtrail-bench: the performance figures of PRODUCT.md ("Quality bars"), each printed beside a
// baseline measured in the same run, on the same machine and the same disk. A program that prints
// figures, never a timed test. docs/BENCHMARKS.md says how to run it and what it measured.
//
//   fundtrail-bench [--events N] [--batch B] [--single M] [--dir DIR] [--seed S]
//                   [--history-events L] [--history-only] [--history-ledger DIR] [--history-reindex]
//                   [--workload realistic|flag-heavy]
//   fundtrail-bench --rebuild DIR     figure 5 alone, on a ledger kept by --dir
//
//   1. batched durable append   Ledger::Append of N expenditure events in signed submissions of B
//                               events, one synced write each. Baselines: raw RocksDB writing the
//                               very keys and values the ledger wrote (read back from it: entries,
//                               subject keys, Merkle nodes, submission, id, head), one synced
//                               WriteBatch per submission, in a fresh default-options DB;
//                               and the disk's floor, the same bytes appended to a plain file
//                               with one fdatasync per submission.
//   2. single-event submissions M one-event submissions appended one after another to the N-event
//                               ledger (once its background compactions have settled), each
//                               synced. Baselines as in 1, one synced write per submission.
//   3. full verification        Ledger::Verify from genesis in a freshly opened read-only ledger.
//                               Baselines: SHA-256 over exactly the canonical event bytes (held in
//                               memory), and Ed25519 verification of one signature per submission.
//   4. memory of verify         peak RSS of a fresh process (fork + exec of this program) verifying
//                               a ledger of N/10 and one of N events, with the RSS right after
//                               Ledger::Open, so that verify's own memory shows apart from
//                               RocksDB's.
//   5. projection rebuild       the views' fold alone and views + every misuse rule, alternately,
//                               the fastest of three passes each; then the flags at today's date.
//   6. one grant's history      a ledger of L events (streamed: built, signed and appended one
//                               submission at a time) with 10,000 expenditures of one grant spread
//                               across it; GrantHistory timed in fresh read-only opens (cold),
//                               again in the same open (warm), and after dropping the files from
//                               the page cache (disk), medians of several runs. Baselines: raw
//                               RocksDB Get, and MultiGet, of the same 10,000 log keys in the same
//                               conditions; the CLI against `fundtrail head` (process and open).
//
// Client-side work (JSON -> canonical events, digests, Ed25519 signatures) is done before the
// append is timed, and its throughput printed on its own line: it is the client's cost.
#include <capnp/common.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <rocksdb/db.h>
#include <rocksdb/version.h>
#include <rocksdb/write_batch.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "ledger/client.h"
#include "ledger/dates.h"
#include "ledger/export.h"
#include "ledger/log_format.h"
#include "ledger/store.h"
#include "ledger/submission.h"
#include "projections/history_store.h"
#include "projections/projection_store.h"
#include "projections/views_fold.h"
#include "projections/views.h"

namespace fundtrail {
namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

// The column families of ledger/store.h that an append writes; the raw baselines create the same.
const std::vector<std::string> kColumnFamilyNames = {rocksdb::kDefaultColumnFamilyName,
                                                     "log",
                                                     "submissions",
                                                     "submission_ids",
                                                     "subjects",
                                                     "state",
                                                     "merkle"};
constexpr uint8_t kDefaultFamily = 0, kLogFamily = 1, kSubmissionsFamily = 2,
                  kSubmissionIdsFamily = 3, kSubjectsFamily = 4, kMerkleFamily = 6;

// Errors in a benchmark are bugs or a broken machine: RunBenchmarks reports what failed, removes
// its temporary directory and stops.
struct BenchmarkError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void Fail(const std::string& what) { throw BenchmarkError(what); }

template <typename T>
T Check(Result<T> result, const std::string& what) {
  if (!result) Fail(what + ": " + result.error().message());
  return std::move(*result);
}

void Check(const Status& status, const std::string& what) {
  if (!status.ok()) Fail(what + ": " + status.message());
}

void Check(const rocksdb::Status& status, const std::string& what) {
  if (!status.ok()) Fail(what + ": " + status.ToString());
}

double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

// CPU seconds (user + system) of this process, all threads: RocksDB's background flushes and
// compactions included. Less disturbed than wall time when other work shares the machine.
double CpuSeconds() {
  struct rusage usage;
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

struct Timing {
  double seconds = 0;      // wall
  double cpu_seconds = 0;  // see CpuSeconds()
};

class Stopwatch {
 public:
  Stopwatch() : wall_(SteadyClock::now()), cpu_(CpuSeconds()) {}
  Timing Elapsed() const { return {SecondsSince(wall_), CpuSeconds() - cpu_}; }

 private:
  SteadyClock::time_point wall_;
  double cpu_;
};

// "1,234,567"
std::string Grouped(uint64_t value) {
  std::string digits = std::to_string(value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string Rate(double count, double seconds, const char* unit = "ev/s") {
  return Grouped(static_cast<uint64_t>(count / seconds + 0.5)) + " " + unit;
}

std::string Fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

std::string Percent(double ratio) { return Fixed(ratio * 100.0, 1) + "%"; }

// ---------------------------------------------------------------------------------------------
// Content: one alliance, its members, a grant and many expenditures, in one of two workloads.
//
// realistic   (the default) a university finance office's expenditures as the rules expect to see
//             them: the spender has a task on the project and was disbursed the money, payments
//             fall on working days, amounts spread over orders of magnitude (log-normal, median
//             1,000 CNY, so first digits follow Benford's law), 1,000 vendors, 2,000 requesters,
//             100 approvers who never approve their own requests; and planted misuse on about
//             0.5% of the events (weekend and holiday payments, self-approval, paying an invoice
//             twice, a banquet). Figure 5's flags are then a few per thousand events.
// flag-heavy  the stream of the first measurements, kept to show that the rules stay usable when
//             flags fire on most events: no task and no disbursement (every expenditure raises
//             PU-2, BR-3 collects them all), payments on any day (28% weekends and holidays),
//             uniform amounts, 64 vendors, and 8 people who request and approve (1 in 8 approves
//             their own request), so that AN-2 finds split purchases everywhere.

enum class Workload { kRealistic, kFlagHeavy };

constexpr char kGrantId[] = "G-2024YFB2500300";
constexpr char kProjectId[] = "P-2024-SSB-07";
constexpr char kGenesisDate[] = "2024-01-15";
constexpr int64_t kGrantAmountFen = 1'000'000'000'000'00;  // 10 billion CNY

// A GB 32100-2015 unified social credit code: 17 characters and a check character computed
// with weights 3^i mod 31 over the code alphabet (which leaves out I, O, S, V and Z).
std::string CreditCode(std::string_view first17) {
  FT_ASSERT(first17.size() == 17);
  constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  int sum = 0, weight = 1;
  for (char c : first17) {
    size_t value = kAlphabet.find(c);
    FT_ASSERT(value != std::string_view::npos);
    sum += static_cast<int>(value) * weight;
    weight = weight * 3 % 31;
  }
  return std::string(first17) + kAlphabet[(31 - sum % 31) % 31];
}

struct Alliance {
  std::string ledger_id;  // 16 raw bytes, chosen here so that one set of signed submissions fits
                          // every ledger the benchmark creates
  PrivateKey operator_key;
  PrivateKey admin_key;    // the secretariat (enterprise member)
  PrivateKey finance_key;  // the university's finance department: signs the expenditures
  PrivateKey funder_key;   // the ministry programme office
  std::string university_id = CreditCode("12100000400000624");
  std::string enterprise_id = CreditCode("91320500MA1N2KQ7L");
  std::string funder_id = CreditCode("11100000000013127");
  Workload workload = Workload::kRealistic;
  std::vector<std::string> vendor_ids;
  // Appended in this order by CreateLedger; `setup_disbursement` only in the realistic workload.
  SignedSubmission genesis, setup_admin, setup_funder, setup_disbursement;
};

std::string Hex(std::string_view raw) { return HexEncode(AsBytes(raw)); }

std::string EncodeOrFail(const nlohmann::json& object) {
  return Check(EncodeEvent(object), "encoding " + object.value("type", std::string("?")));
}

std::string MoneyText(int64_t fen) {
  return std::to_string(fen / 100) + "." + (fen % 100 < 10 ? "0" : "") + std::to_string(fen % 100) +
         " CNY";
}

Alliance MakeAlliance(Workload workload, std::mt19937_64& random, Clock* clock) {
  Alliance alliance;
  alliance.workload = workload;
  const bool realistic = workload == Workload::kRealistic;
  alliance.ledger_id.assign(kLedgerIdSizeBytes, '\0');
  alliance.operator_key = Check(PrivateKey::Generate(), "key generation");
  alliance.admin_key = Check(PrivateKey::Generate(), "key generation");
  alliance.finance_key = Check(PrivateKey::Generate(), "key generation");
  alliance.funder_key = Check(PrivateKey::Generate(), "key generation");
  for (auto& byte : alliance.ledger_id) byte = static_cast<char>(random());
  auto key_event = [](const PrivateKey& key, const std::string& org, std::vector<std::string> roles,
                      const char* label) {
    return EncodeOrFail({{"type", "key_registered"},
                         {"public_key", Hex(key.public_key().raw())},
                         {"org_id", org},
                         {"roles", roles},
                         {"label", label}});
  };
  std::vector<std::string> genesis = {
      EncodeOrFail({{"type", "ledger_genesis"},
                    {"ledger_id", Hex(alliance.ledger_id)},
                    {"alliance_id", "CIAPBT-2024"},
                    {"alliance_name", "新能源汽车动力电池产业技术创新战略联盟"},
                    {"alliance_name_en", "Power Battery Industry Technology Innovation Alliance"},
                    {"operator_public_key", Hex(alliance.operator_key.public_key().raw())},
                    {"date", kGenesisDate}}),
      EncodeOrFail({{"type", "organisation_registered"},
                    {"org_id", alliance.university_id},
                    {"name", "华东理工科技大学"},
                    {"kind", "university"},
                    {"legal_representative", "王建国"}}),
      EncodeOrFail({{"type", "organisation_registered"},
                    {"org_id", alliance.enterprise_id},
                    {"name", "苏州锂动新能源科技股份有限公司"},
                    {"kind", "enterprise"},
                    {"legal_representative", "陈志强"}}),
      EncodeOrFail({{"type", "organisation_registered"},
                    {"org_id", alliance.funder_id},
                    {"name", "国家重点研发计划高端功能与智能材料专项办公室"},
                    {"kind", "other"},
                    {"legal_representative", "刘洋"}}),
      EncodeOrFail({{"type", "member_admitted"},
                    {"org_id", alliance.university_id},
                    {"date", kGenesisDate}}),
      EncodeOrFail({{"type", "member_admitted"},
                    {"org_id", alliance.enterprise_id},
                    {"date", kGenesisDate}}),
      key_event(alliance.admin_key, alliance.enterprise_id, {"admin", "fund_manager"},
                "secretariat"),
      key_event(alliance.finance_key, alliance.university_id, {"member_finance"},
                "university finance office"),
      key_event(alliance.funder_key, alliance.funder_id, {"funder"}, "programme office"),
  };
  alliance.genesis = SignSubmission(alliance.operator_key, alliance.ledger_id, "genesis",
                                    clock->NowMicros(), std::move(genesis));

  std::vector<std::string> admin = {EncodeOrFail({{"type", "project_registered"},
                                                  {"project_id", kProjectId},
                                                  {"name", "高安全固态锂电池关键材料与工艺"}})};
  const size_t vendor_count = realistic ? 1000 : 64;
  for (size_t i = 0; i < vendor_count; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "V-%04zu", i + 1);
    char first17[18];
    std::snprintf(first17, sizeof first17, "9132050%010zu", 3000000000 + i * 7919);
    alliance.vendor_ids.push_back(id);
    admin.push_back(
        EncodeOrFail({{"type", "vendor_registered"},
                      {"vendor_id", id},
                      {"name", "苏州新材料供应商" + std::to_string(i + 1) + "号有限公司"},
                      {"tax_id", CreditCode(first17)}}));
  }
  if (realistic) {
    // Both members work on the project (PU-2, FL-2 ask for a task).
    admin.push_back(EncodeOrFail({{"type", "task_assigned"},
                                  {"task_id", "T-UNIV"},
                                  {"project_id", kProjectId},
                                  {"org_id", alliance.university_id},
                                  {"description", "固态电解质材料与电芯测试"}}));
    admin.push_back(EncodeOrFail({{"type", "task_assigned"},
                                  {"task_id", "T-ENT"},
                                  {"project_id", kProjectId},
                                  {"org_id", alliance.enterprise_id},
                                  {"description", "中试线工艺验证"}}));
  }
  alliance.setup_admin = SignSubmission(alliance.admin_key, alliance.ledger_id, "setup-admin",
                                        clock->NowMicros(), std::move(admin));

  // A large budget: the events below must never be the reason a run fails.
  nlohmann::json budget = nlohmann::json::array();
  const char* categories[] = {"equipment",
                              "materials",
                              "testing",
                              "fuel_power",
                              "travel_conference_international",
                              "publication_ip",
                              "labour",
                              "expert_consultation",
                              "other_direct",
                              "indirect"};
  for (const char* category : categories) {
    budget.push_back({{"category", category}, {"amount", MoneyText(100'000'000'000'00)}});
  }
  std::vector<std::string> funder = {EncodeOrFail({{"type", "grant_awarded"},
                                                   {"grant_id", kGrantId},
                                                   {"title", "固态锂电池关键技术研究"},
                                                   {"funder_org_id", alliance.funder_id},
                                                   {"source_kind", "central_government"},
                                                   {"amount", MoneyText(kGrantAmountFen)},
                                                   {"period_start", "2024-01-01"},
                                                   {"period_end", "2028-12-31"},
                                                   {"budget", budget},
                                                   {"project_id", kProjectId},
                                                   {"date", "2023-12-20"}})};
  if (realistic) {
    // The funder pays the award in; the secretariat passes it on to the university, which then
    // never spends more than it received (BR-3).
    funder.push_back(EncodeOrFail({{"type", "funds_received"},
                                   {"grant_id", kGrantId},
                                   {"amount", MoneyText(kGrantAmountFen)},
                                   {"date", "2024-01-10"}}));
    alliance.setup_disbursement = SignSubmission(
        alliance.admin_key, alliance.ledger_id, "setup-disbursement", clock->NowMicros(),
        {EncodeOrFail({{"type", "funds_disbursed"},
                       {"grant_id", kGrantId},
                       {"member_org_id", alliance.university_id},
                       {"amount", MoneyText(kGrantAmountFen)},
                       {"date", "2024-01-20"}})});
  }
  alliance.setup_funder = SignSubmission(alliance.funder_key, alliance.ledger_id, "setup-funder",
                                         clock->NowMicros(), std::move(funder));
  return alliance;
}

// One expenditure after another, as a finance office records them (see Workload above).
class ExpenditureGenerator {
 public:
  explicit ExpenditureGenerator(const Alliance& alliance) : alliance_(alliance) {
    nlohmann::json calendar = projections::DefaultPolicyDocument()["AN-6"];
    for (const auto& day : calendar["holidays"])
      holidays_.insert(*ParseDate(day.get<std::string>()));
    for (const auto& day : calendar["working_weekends"])
      working_weekends_.insert(*ParseDate(day.get<std::string>()));
    static const char* kSurnames[] = {"李", "王", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴",
                                      "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马", "罗",
                                      "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "萧",
                                      "程", "曹", "袁", "邓", "许", "傅", "沈", "曾", "彭", "吕",
                                      "苏", "卢", "蒋", "蔡", "贾", "丁", "魏", "薛", "叶", "阎"};
    static const char* kGivenNames[] = {
        "明",   "华",   "芳",   "洋",   "静",   "帆",   "磊",   "丽",   "强",   "敏",
        "军",   "杰",   "娟",   "涛",   "超",   "霞",   "平",   "刚",   "桂英", "建华",
        "晓东", "海燕", "志强", "秀兰", "子涵", "雨桐", "浩然", "欣怡", "宇航", "思远",
        "佳琪", "俊杰", "梓萱", "一鸣", "嘉怡", "博文", "诗涵", "天宇", "雅婷", "泽宇"};
    for (const char* surname : kSurnames) {
      for (const char* given : kGivenNames) requesters_.push_back(std::string(surname) + given);
      approvers_.push_back(std::string(surname) + "教授");
      approvers_.push_back(std::string(surname) + "主任");
    }
  }

  nlohmann::json Next(std::mt19937_64& random) {
    return alliance_.workload == Workload::kRealistic ? Realistic(random) : FlagHeavy(random);
  }

 private:
  static constexpr int32_t kSpanDays = 1400;
  static int32_t StartDays() {
    static const int32_t start = *ParseDate("2024-02-01");
    return start;
  }

  bool WorkingDay(int32_t days) const {
    unsigned weekday = static_cast<unsigned>((days % 7 + 11) % 7);  // 1970-01-01 was a Thursday
    bool weekend = weekday == 0 || weekday == 6;
    return !holidays_.contains(days) && (!weekend || working_weekends_.contains(days));
  }

  std::string InvoiceNumber(std::mt19937_64& random) const {
    char invoice[24];
    std::snprintf(invoice, sizeof invoice, "2432%016" PRIu64,
                  static_cast<uint64_t>(random() % 10'000'000'000'000'000ULL));
    return invoice;
  }

  static constexpr const char* kCategories[] = {
      "materials", "materials",  "materials",      "testing",     "testing",
      "equipment", "fuel_power", "publication_ip", "other_direct"};

  // Probabilities of the planted misuse, per event, in millionths.
  static constexpr uint64_t kWeekendPpm = 3000, kSelfApprovalPpm = 1000, kRepeatPpm = 500,
                            kBanquetPpm = 200;

  nlohmann::json Realistic(std::mt19937_64& random) {
    if (!previous_.is_null() && random() % 1'000'000 < kRepeatPpm) {
      return previous_;  // the same invoice paid twice (AN-1)
    }
    static const char* kWhat[] = {
        "正极材料样品", "电解质粉体",  "电芯测试服务", "手套箱耗材",      "隔膜样品",   "XRD检测",
        "专利申请费",   "实验用电",    "锂箔",         "导电剂",          "扣式电池壳", "SEM测试",
        "氩气",         "粘结剂 PVDF", "论文版面费",   "电化学工作站维修"};
    int32_t invoice_days = StartDays() + static_cast<int32_t>(random() % kSpanDays);
    int32_t payment_days = invoice_days + static_cast<int32_t>(random() % 30);
    if (random() % 1'000'000 < kWeekendPpm) {
      while (WorkingDay(payment_days)) ++payment_days;  // AN-6
    } else {
      while (!WorkingDay(payment_days)) ++payment_days;
    }
    int64_t fen = 0;
    while (fen < 2000 || fen >= 4'802'000) fen = static_cast<int64_t>(amount_fen_(random));
    const std::string& requester = requesters_[random() % requesters_.size()];
    bool self_approved = random() % 1'000'000 < kSelfApprovalPpm;  // AN-9
    bool banquet = random() % 1'000'000 < kBanquetPpm;             // PU-1
    previous_ = {
        {"type", "expenditure_recorded"},
        {"grant_id", kGrantId},
        {"org_id", alliance_.university_id},
        {"category", banquet ? "other_direct" : kCategories[random() % std::size(kCategories)]},
        {"vendor_id", alliance_.vendor_ids[random() % alliance_.vendor_ids.size()]},
        {"invoice_number", InvoiceNumber(random)},
        {"invoice_date", FormatDate(invoice_days)},
        {"payment_date", FormatDate(payment_days)},
        {"amount", MoneyText(fen)},
        {"requester", requester},
        {"approver", self_approved ? requester : approvers_[random() % approvers_.size()]},
        {"description", banquet ? std::string("课题组年终宴请")
                                : std::string(kWhat[random() % std::size(kWhat)]) + " 第" +
                                      std::to_string(1 + random() % 40) + "批"}};
    return previous_;
  }

  nlohmann::json FlagHeavy(std::mt19937_64& random) const {
    static const char* kNames[] = {"李明", "张华", "王芳", "刘洋", "陈静", "杨帆", "赵磊", "黄丽"};
    static const char* kWhat[] = {"正极材料样品", "电解质粉体", "电芯测试服务", "手套箱耗材",
                                  "隔膜样品",     "XRD检测",    "专利申请费",   "实验用电"};
    int32_t invoice_days = StartDays() + static_cast<int32_t>(random() % kSpanDays);
    int32_t payment_days = invoice_days + static_cast<int32_t>(random() % 30);
    std::string invoice = InvoiceNumber(random);
    int64_t fen = 2000 + static_cast<int64_t>(random() % 4'800'000);
    return {{"type", "expenditure_recorded"},
            {"grant_id", kGrantId},
            {"org_id", alliance_.university_id},
            {"category", kCategories[random() % std::size(kCategories)]},
            {"vendor_id", alliance_.vendor_ids[random() % alliance_.vendor_ids.size()]},
            {"invoice_number", invoice},
            {"invoice_date", FormatDate(invoice_days)},
            {"payment_date", FormatDate(payment_days)},
            {"amount", MoneyText(fen)},
            {"requester", kNames[random() % std::size(kNames)]},
            {"approver", kNames[random() % std::size(kNames)]},
            {"description", std::string(kWhat[random() % std::size(kWhat)]) + " 第" +
                                std::to_string(1 + random() % 40) + "批"}};
  }

  const Alliance& alliance_;
  std::set<int32_t> holidays_;
  std::set<int32_t> working_weekends_;
  std::vector<std::string> requesters_;  // 2,000
  std::vector<std::string> approvers_;   // 100, none of them a requester
  std::lognormal_distribution<double> amount_fen_{std::log(100000.0), 1.3};
  nlohmann::json previous_;
};

struct ClientWork {
  std::vector<SignedSubmission> submissions;
  uint64_t event_count = 0;
  uint64_t canonical_bytes = 0;
  double encode_seconds = 0;  // JSON -> canonical Cap'n Proto
  double sign_seconds = 0;    // digests, body, Ed25519 signature
};

// Builds `count` expenditures in signed submissions of `batch` events, as a client does.
ClientWork BuildSubmissions(const Alliance& alliance, ExpenditureGenerator& generator,
                            std::mt19937_64& random, uint64_t count, uint64_t batch,
                            const std::string& id_prefix, Clock* clock) {
  ClientWork work;
  work.submissions.reserve((count + batch - 1) / batch);
  for (uint64_t done = 0; done < count;) {
    uint64_t size = std::min(batch, count - done);
    std::vector<std::string> events;
    events.reserve(size);
    auto encode_start = SteadyClock::now();
    for (uint64_t i = 0; i < size; ++i) {
      events.push_back(EncodeOrFail(generator.Next(random)));
      work.canonical_bytes += events.back().size();
    }
    work.encode_seconds += SecondsSince(encode_start);
    char id[48];
    std::snprintf(id, sizeof id, "%s-%08" PRIu64, id_prefix.c_str(), work.submissions.size() + 1);
    auto sign_start = SteadyClock::now();
    work.submissions.push_back(SignSubmission(alliance.finance_key, alliance.ledger_id, id,
                                              clock->NowMicros(), std::move(events)));
    work.sign_seconds += SecondsSince(sign_start);
    done += size;
  }
  work.event_count = count;
  return work;
}

void AppendOrFail(Ledger& ledger, const SignedSubmission& submission) {
  size_t failed_event_index = SIZE_MAX;
  auto receipt = ledger.Append(submission, &failed_event_index);
  if (!receipt) {
    Fail("append: " +
         (failed_event_index != SIZE_MAX ? "event " + std::to_string(failed_event_index) + ": "
                                         : "") +
         receipt.error().message());
  }
}

std::unique_ptr<Ledger> CreateLedger(const std::string& directory, const Alliance& alliance,
                                     Clock* clock) {
  auto ledger = Check(Ledger::Create(directory, alliance.genesis, clock), "creating " + directory);
  // As every fundtrail command that appends: each submission commits the views.
  Check(projections::AttachViewsFold(*ledger), "attaching the views' fold");
  AppendOrFail(*ledger, alliance.setup_admin);
  AppendOrFail(*ledger, alliance.setup_funder);
  if (alliance.workload == Workload::kRealistic) AppendOrFail(*ledger, alliance.setup_disbursement);
  return ledger;
}

// ---------------------------------------------------------------------------------------------
// The raw RocksDB baselines write exactly what the ledger wrote, read back from it.

struct RawWrite {
  uint8_t column_family;
  std::string key;
  std::string value;
};
using RawBatch = std::vector<RawWrite>;

struct CollectedWrites {
  std::vector<RawBatch> batches;  // one per submission, in append order
  uint64_t event_count = 0;
  uint64_t byte_count = 0;  // keys and values
};

// Everything Ledger::Append wrote for the submissions whose first sequence is >= from_sequence:
// per event its entry record and subject index keys, the Merkle tree nodes the submission
// completed, then the submission record, its id and the head (ledger/store.h). Expenditures change
// no validation-state rows, so there are none.
CollectedWrites CollectWrites(const std::string& directory, uint64_t from_sequence, Clock* clock) {
  auto ledger =
      Check(Ledger::Open(directory, Ledger::Access::kReadOnly, clock), "opening " + directory);
  rocksdb::DB* database = ledger->database();
  rocksdb::ReadOptions options;
  auto family = [&](uint8_t index) { return ledger->column_family(kColumnFamilyNames[index]); };
  auto u64 = [](const rocksdb::Slice& slice) {
    return GetBigEndian64(reinterpret_cast<const uint8_t*>(slice.data()));
  };

  // Subject keys end in be64(sequence); gather those of the range by sequence.
  const uint64_t last_sequence = ledger->head().sequence;
  FT_ASSERT(from_sequence <= last_sequence);
  std::vector<std::vector<std::string>> subject_keys(last_sequence - from_sequence + 1);
  std::unique_ptr<rocksdb::Iterator> subjects(
      database->NewIterator(options, family(kSubjectsFamily)));
  for (subjects->SeekToFirst(); subjects->Valid(); subjects->Next()) {
    rocksdb::Slice key = subjects->key();
    FT_ASSERT(key.size() > 8);
    uint64_t sequence =
        GetBigEndian64(reinterpret_cast<const uint8_t*>(key.data() + key.size() - 8));
    if (sequence >= from_sequence) subject_keys[sequence - from_sequence].push_back(key.ToString());
  }
  Check(subjects->status(), "reading subjects");
  // Merkle node (level, index) covers leaves index * 2^level ... (index + 1) * 2^level - 1 (leaf
  // i is the event at sequence i + 1), so the append of sequence (index + 1) * 2^level wrote it.
  std::vector<std::vector<RawWrite>> merkle_nodes(last_sequence - from_sequence + 1);
  std::unique_ptr<rocksdb::Iterator> merkle(database->NewIterator(options, family(kMerkleFamily)));
  for (merkle->SeekToFirst(); merkle->Valid(); merkle->Next()) {
    rocksdb::Slice key = merkle->key();
    FT_ASSERT(key.size() == 9, "a Merkle node key is level || be64(index)");
    uint32_t level = static_cast<uint8_t>(key[0]);
    uint64_t written_at = (GetBigEndian64(reinterpret_cast<const uint8_t*>(key.data() + 1)) + 1)
                          << level;
    if (written_at >= from_sequence) {
      merkle_nodes[written_at - from_sequence].push_back(
          {kMerkleFamily, key.ToString(), merkle->value().ToString()});
    }
  }
  Check(merkle->status(), "reading the Merkle nodes");

  CollectedWrites collected;
  std::unique_ptr<rocksdb::Iterator> entries(database->NewIterator(options, family(kLogFamily)));
  entries->Seek(SequenceKey(from_sequence));
  std::unique_ptr<rocksdb::Iterator> submissions(
      database->NewIterator(options, family(kSubmissionsFamily)));
  uint64_t submission_ordinal = 0;
  for (submissions->SeekToFirst(); submissions->Valid(); submissions->Next()) {
    ++submission_ordinal;
    uint64_t first = u64(submissions->key());
    if (first < from_sequence) continue;
    std::string record = submissions->value().ToString();
    auto decoded =
        Check(DecodedSubmission::Open(record, "stored submission"), "decoding a submission");
    auto body = decoded.root().getBody();
    RawBatch batch;
    Digest chain_hash{};
    for (uint64_t sequence = first; sequence < first + body.getEventCount();
         ++sequence, entries->Next()) {
      FT_ASSERT(entries->Valid() && u64(entries->key()) == sequence, "the log is not contiguous");
      batch.push_back({kLogFamily, entries->key().ToString(), entries->value().ToString()});
      chain_hash = Check(DecodeEntry(batch.back().value), "decoding an entry").chain_hash;
      for (auto& key : subject_keys[sequence - from_sequence])
        batch.push_back({kSubjectsFamily, std::move(key), ""});
      ++collected.event_count;
    }
    for (uint64_t sequence = first; sequence < first + body.getEventCount(); ++sequence) {
      for (auto& node : merkle_nodes[sequence - from_sequence]) batch.push_back(std::move(node));
    }
    batch.push_back({kSubmissionsFamily, SequenceKey(first), std::move(record)});
    batch.push_back({kSubmissionIdsFamily, body.getSubmissionId().cStr(), SequenceKey(first)});
    // The head value: be64 last sequence || chain hash || be64 submission count.
    std::string head(48, '\0');
    auto* bytes = reinterpret_cast<uint8_t*>(head.data());
    PutBigEndian64(first + body.getEventCount() - 1, bytes);
    std::memcpy(bytes + 8, chain_hash.data(), 32);
    PutBigEndian64(submission_ordinal, bytes + 40);
    batch.push_back({kDefaultFamily, "head", std::move(head)});
    for (const auto& write : batch) collected.byte_count += write.key.size() + write.value.size();
    collected.batches.push_back(std::move(batch));
  }
  Check(submissions->status(), "reading submissions");
  return collected;
}

// Writes `collected` into a fresh RocksDB (default options, the ledger's column families), one
// synced WriteBatch per submission. Returns the time taken, building the batches included.
Timing WriteRaw(const std::string& path, const CollectedWrites& collected) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : kColumnFamilyNames)
    descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  Check(rocksdb::DB::Open(options, path, descriptors, &handles, &raw),
        "opening raw RocksDB at " + path);
  std::unique_ptr<rocksdb::DB> database(raw);
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  Stopwatch stopwatch;
  for (const auto& batch : collected.batches) {
    rocksdb::WriteBatch write_batch;
    for (const auto& write : batch)
      Check(write_batch.Put(handles[write.column_family], write.key, write.value), "put");
    Check(database->Write(write_options, &write_batch), "raw write");
  }
  Timing timing = stopwatch.Elapsed();
  for (auto* handle : handles) database->DestroyColumnFamilyHandle(handle);
  database.reset();
  std::error_code ignored;
  fs::remove_all(path, ignored);
  return timing;
}

// The disk's own floor: the same bytes (keys and values concatenated) appended to a plain file
// with one fdatasync per submission, as a WAL without RocksDB would. Returns the seconds taken.
double WriteFileFloor(const std::string& path, const CollectedWrites& collected) {
  std::vector<std::string> chunks;
  chunks.reserve(collected.batches.size());
  for (const auto& batch : collected.batches) {
    std::string chunk;
    for (const auto& write : batch) chunk += write.key + write.value;
    chunks.push_back(std::move(chunk));
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) Fail("cannot create " + path + ": " + std::strerror(errno));
  auto start = SteadyClock::now();
  for (const auto& chunk : chunks) {
    for (size_t done = 0; done < chunk.size();) {
      ssize_t written = ::write(fd, chunk.data() + done, chunk.size() - done);
      if (written <= 0) Fail("writing " + path + ": " + std::strerror(errno));
      done += static_cast<size_t>(written);
    }
    if (::fdatasync(fd) != 0) Fail("fdatasync " + path + ": " + std::strerror(errno));
  }
  double seconds = SecondsSince(start);
  ::close(fd);
  ::unlink(path.c_str());
  return seconds;
}

// Waits (at most `limit_seconds`) until RocksDB has no flush or compaction running or pending, so
// that a latency figure is not measured against the background work a bulk load left behind.
// Returns the seconds waited.
double WaitForBackgroundWork(Ledger& ledger, double limit_seconds) {
  rocksdb::DB* database = ledger.database();
  auto start = SteadyClock::now();
  while (SecondsSince(start) < limit_seconds) {
    uint64_t busy = 0, value = 0;
    for (const char* property :
         {"rocksdb.num-running-compactions", "rocksdb.num-running-flushes"}) {
      if (database->GetIntProperty(property, &value)) busy += value;
    }
    for (const auto& name : kColumnFamilyNames) {
      for (const char* property :
           {"rocksdb.compaction-pending", "rocksdb.mem-table-flush-pending"}) {
        if (database->GetIntProperty(ledger.column_family(name), property, &value)) busy += value;
      }
    }
    if (busy == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return SecondsSince(start);
}

// ---------------------------------------------------------------------------------------------
// Verification and its baselines.

struct VerifyFigures {
  uint64_t event_count = 0;
  double open_seconds = 0;
  double verify_seconds = 0;
  double verify_cpu_seconds = 0;
  double sha256_seconds = 0;
  uint64_t sha256_bytes = 0;
  uint64_t signature_count = 0;
  double ed25519_seconds = 0;
};

// One Ledger::Verify of the ledger in `directory`, in a fresh read-only open, as `fundtrail
// verify` runs it (with the views' fold, unless `with_views` is false): seconds, CPU seconds of
// the process, and the open's seconds apart.
struct VerifyTiming {
  uint64_t event_count = 0;
  double open_seconds = 0;
  double seconds = 0;
  double cpu_seconds = 0;
};

VerifyTiming TimeVerify(const std::string& directory, Clock* clock, Ledger::VerifyMode mode,
                        bool with_views = true) {
  VerifyTiming timing;
  auto open_start = SteadyClock::now();
  auto ledger =
      Check(Ledger::Open(directory, Ledger::Access::kReadOnly, clock), "opening " + directory);
  timing.open_seconds = SecondsSince(open_start);
  timing.event_count = ledger->head().sequence;
  Stopwatch stopwatch;
  projections::ViewsFold views;
  Check(ledger->Verify(nullptr, nullptr, with_views ? &views : nullptr, nullptr, mode), "verify");
  Timing elapsed = stopwatch.Elapsed();
  timing.seconds = elapsed.seconds;
  timing.cpu_seconds = elapsed.cpu_seconds;
  return timing;
}

VerifyFigures MeasureVerify(const std::string& directory, const Alliance& alliance, Clock* clock,
                            Ledger::VerifyMode mode = Ledger::VerifyMode::kParallel) {
  VerifyFigures figures;
  {
    VerifyTiming timing = TimeVerify(directory, clock, mode);
    figures.event_count = timing.event_count;
    figures.open_seconds = timing.open_seconds;
    figures.verify_seconds = timing.seconds;
    figures.verify_cpu_seconds = timing.cpu_seconds;
  }
  auto ledger =
      Check(Ledger::Open(directory, Ledger::Access::kReadOnly, clock), "opening " + directory);

  // Raw SHA-256, one digest per event over exactly its canonical bytes, read into memory first.
  std::vector<std::string> events;
  events.reserve(figures.event_count);
  Check(ledger->ScanEntries(
            1, UINT64_MAX,
            [&](const StoredEntry& entry) {
              events.emplace_back(
                  Check(DecodeEntry(entry.record), "decoding an entry").canonical_event);
              return true;
            }),
        "scanning the log");
  FT_ASSERT(events.size() == figures.event_count);
  EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  FT_ASSERT(sha256 != nullptr && context != nullptr);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  uint8_t fold = 0;  // keeps the digests observable
  auto start = SteadyClock::now();
  for (const auto& event : events) {
    FT_ASSERT(EVP_DigestInit_ex2(context, sha256, nullptr) == 1);
    FT_ASSERT(EVP_DigestUpdate(context, event.data(), event.size()) == 1);
    FT_ASSERT(EVP_DigestFinal_ex(context, digest, &digest_size) == 1);
    fold ^= digest[0];
  }
  figures.sha256_seconds = SecondsSince(start);
  for (const auto& event : events) figures.sha256_bytes += event.size();
  std::vector<std::string>().swap(events);
  if (fold == 0x5a) std::fputs("", stdout);

  // Raw Ed25519: the expenditure submissions' signatures over their signed messages.
  EVP_PKEY* key = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr,
      reinterpret_cast<const unsigned char*>(alliance.finance_key.public_key().raw().data()),
      kPublicKeySizeBytes);
  FT_ASSERT(key != nullptr);
  std::vector<std::pair<std::string, std::string>> signed_messages;  // (message, signature)
  std::unique_ptr<rocksdb::Iterator> submissions(ledger->database()->NewIterator(
      rocksdb::ReadOptions(), ledger->column_family("submissions")));
  const std::string finance_key_id = alliance.finance_key.public_key().key_id();
  for (submissions->SeekToFirst(); submissions->Valid(); submissions->Next()) {
    auto decoded =
        Check(DecodedSubmission::Open(submissions->value().ToString(), "submission"), "decoding");
    auto body = decoded.root().getBody();
    auto key_id = body.getKeyId();
    if (std::string_view(reinterpret_cast<const char*>(key_id.begin()), key_id.size()) !=
        finance_key_id)
      continue;
    auto signature = decoded.root().getSignature();
    signed_messages.emplace_back(
        SignedMessage(CanonicalBytes(body)),
        std::string(reinterpret_cast<const char*>(signature.begin()), signature.size()));
  }
  start = SteadyClock::now();
  for (const auto& [message, signature] : signed_messages) {
    EVP_MD_CTX* verify = EVP_MD_CTX_new();
    bool ok =
        EVP_DigestVerifyInit(verify, nullptr, nullptr, nullptr, key) == 1 &&
        EVP_DigestVerify(verify, reinterpret_cast<const unsigned char*>(signature.data()),
                         signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                         message.size()) == 1;
    EVP_MD_CTX_free(verify);
    FT_ASSERT(ok, "a stored signature does not verify");
  }
  figures.ed25519_seconds = SecondsSince(start);
  figures.signature_count = signed_messages.size();
  EVP_PKEY_free(key);
  EVP_MD_CTX_free(context);
  EVP_MD_free(sha256);
  return figures;
}

// Reads a "VmHWM:   1234 kB" style line of /proc/self/status, in KiB.
uint64_t ProcStatusKib(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0)
      return std::strtoull(line.c_str() + std::strlen(field) + 1, nullptr, 10);
  }
  return 0;
}

// The child side of figure 4: a fresh process opens the ledger read-only, verifies it and prints
// "events verify_seconds open_seconds rss_before_open_kib rss_after_open_kib peak_kib" on stdout.
int RunVerifyChild(const std::string& directory) {
  SystemClock clock;
  uint64_t start_kib = ProcStatusKib("VmRSS:");
  auto open_start = SteadyClock::now();
  auto ledger =
      Check(Ledger::Open(directory, Ledger::Access::kReadOnly, &clock), "opening " + directory);
  double open_seconds = SecondsSince(open_start);
  uint64_t open_kib = ProcStatusKib("VmRSS:");
  auto start = SteadyClock::now();
  projections::ViewsFold views;
  Check(ledger->Verify(nullptr, nullptr, &views), "verify");
  double seconds = SecondsSince(start);
  // VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss across execve, so it would report
  // the parent's size at fork time.
  uint64_t peak_kib = ProcStatusKib("VmHWM:");
  std::printf("%" PRIu64 " %.6f %.6f %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
              ledger->head().sequence, seconds, open_seconds, start_kib, open_kib, peak_kib);
  return 0;
}

struct ChildFigures {
  uint64_t event_count = 0;
  double seconds = 0;
  double open_seconds = 0;
  uint64_t start_kib = 0;
  uint64_t open_kib = 0;
  uint64_t peak_kib = 0;
};

// fork + exec of this program, so that the child's memory starts from nothing (a plain fork
// would inherit this process's pages, which hold the whole workload).
ChildFigures VerifyInFreshProcess(const std::string& directory) {
  int pipe_fds[2];
  FT_ASSERT(::pipe(pipe_fds) == 0);
  pid_t pid = ::fork();
  FT_ASSERT(pid >= 0);
  if (pid == 0) {
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    const char* argv[] = {"fundtrail-bench", "--verify-child", directory.c_str(), nullptr};
    ::execv("/proc/self/exe", const_cast<char* const*>(argv));
    std::_Exit(127);
  }
  ::close(pipe_fds[1]);
  std::string output;
  char buffer[256];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) output.append(buffer, n);
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    Fail("the verify child for " + directory + " failed");
  ChildFigures figures;
  std::istringstream(output) >> figures.event_count >> figures.seconds >> figures.open_seconds >>
      figures.start_kib >> figures.open_kib >> figures.peak_kib;
  FT_ASSERT(figures.peak_kib > 0, "the verify child printed no figures");
  return figures;
}

// ---------------------------------------------------------------------------------------------
// Output.

class Report {
 public:
  void Row(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void Print() const {
    std::vector<std::string> headers = {"figure", "fundtrail", "baseline", "ratio", "target"};
    std::vector<size_t> widths(headers.size());
    for (size_t c = 0; c < headers.size(); ++c) widths[c] = headers[c].size();
    for (const auto& row : rows_) {
      for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
    }
    auto line = [&](const std::vector<std::string>& row) {
      std::string text = "|";
      for (size_t c = 0; c < headers.size(); ++c) {
        const std::string& cell = c < row.size() ? row[c] : "";
        text += " " + cell + std::string(widths[c] - cell.size(), ' ') + " |";
      }
      std::puts(text.c_str());
    };
    line(headers);
    std::vector<std::string> rule;
    for (size_t width : widths) rule.push_back(std::string(width, '-'));
    line(rule);
    for (const auto& row : rows_) line(row);
  }

 private:
  std::vector<std::vector<std::string>> rows_;
};

std::string CpuModel() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown";
}

void PrintMachine(const std::string& directory) {
  struct utsname system;
  ::uname(&system);
  std::time_t now = std::time(nullptr);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&now));
  std::printf("fundtrail-bench, %s\n", date);
  std::printf("machine: %ld cores (nproc), %s, %s %s\n", ::sysconf(_SC_NPROCESSORS_ONLN),
              CpuModel().c_str(), system.sysname, system.release);
  std::printf("libraries: RocksDB %s, %s, Cap'n Proto %d.%d.%d\n",
              rocksdb::GetRocksVersionAsString().c_str(), OpenSSL_version(OPENSSL_VERSION),
              CAPNP_VERSION_MAJOR, CAPNP_VERSION_MINOR, CAPNP_VERSION_MICRO);
  std::printf("directory: %s\n\n", directory.c_str());
}

void Progress(const std::string& text) {
  std::printf("... %s\n", text.c_str());
  std::fflush(stdout);
}

struct Options {
  bool proofs_only = false;
  uint64_t events = 1'000'000;
  uint64_t batch = 1000;
  uint64_t single = 20'000;
  std::string directory;
  uint64_t seed = 20240115;
  uint64_t history_events = 1'000'000;  // figure 6's ledger
  bool history_only = false;
  std::string history_ledger;           // figure 6's ledger, kept; reused when it exists
  bool history_reindex = false;         // rebuild figure 6's history store from zero first
  Workload workload = Workload::kRealistic;
};

std::string LoadAverage() {
  std::ifstream file("/proc/loadavg");
  std::string one, five, fifteen;
  file >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

// ---------------------------------------------------------------------------------------------
// Figure 6: one grant's history.

constexpr char kHistoryGrantId[] = "G-HISTORY";
constexpr uint64_t kHistoryEventCount = 10'000;  // the grant's expenditures (PRODUCT.md)
constexpr size_t kHistoryRuns = 5;               // timed runs of each kind; medians are printed
constexpr size_t kHistoryDiskRuns = 3;           // runs after dropping the files from the page cache
constexpr size_t kCliAppendRuns = 5;             // figure 5': one-event CLI appends; the median is printed

// Figure 6's ledger: the alliance's setup, a second grant (G-HISTORY), then `event_count`
// expenditures in signed submissions of `batch`, each encoded, signed and appended before the
// next is built, so that memory stays flat however large the ledger. One expenditure in every
// event_count / 10,000 is on G-HISTORY, so that its 10,000 events lie spread across the whole
// log, as one grant's do among many; the others are on the first grant.
void BuildHistoryLedger(const std::string& path, const Alliance& alliance, std::mt19937_64& random,
                        uint64_t event_count, uint64_t batch, Clock* clock) {
  FT_ASSERT(event_count >= kHistoryEventCount);
  FT_ASSERT(batch > 0);
  auto ledger = CreateLedger(path, alliance, clock);
  auto grant = nlohmann::json::parse(R"({"type": "grant_awarded", "title": "历史查询基准",
      "source_kind": "local_government", "amount": "1000000000.00 CNY", "period_start": "2024-01-01",
      "period_end": "2028-12-31", "budget": [{"category": "materials", "amount": "1000000000.00 CNY"}],
      "date": "2023-12-20"})");
  grant["grant_id"] = kHistoryGrantId;
  grant["funder_org_id"] = alliance.funder_id;
  grant["project_id"] = kProjectId;
  AppendOrFail(*ledger, SignSubmission(alliance.funder_key, alliance.ledger_id, "history-grant",
                                       clock->NowMicros(), {EncodeOrFail(grant)}));
  ExpenditureGenerator generator(alliance);
  const uint64_t spacing = event_count / kHistoryEventCount;
  constexpr uint64_t kProgressEvents = 1'000'000;
  uint64_t on_history = 0;
  uint64_t reported = 0;
  auto start = SteadyClock::now();
  for (uint64_t done = 0; done < event_count;) {
    const uint64_t size = std::min(batch, event_count - done);
    std::vector<std::string> events;
    events.reserve(size);
    for (uint64_t i = done; i < done + size; ++i) {
      nlohmann::json event = generator.Next(random);
      if (i % spacing == spacing / 2 && on_history < kHistoryEventCount) {
        event["grant_id"] = kHistoryGrantId;
        event["category"] = "materials";  // the grant's one budget line
        ++on_history;
      }
      events.push_back(EncodeOrFail(event));
    }
    char id[48];
    std::snprintf(id, sizeof id, "history-%012" PRIu64, done);
    AppendOrFail(*ledger, SignSubmission(alliance.finance_key, alliance.ledger_id, id,
                                         clock->NowMicros(), std::move(events)));
    done += size;
    if (done - reported >= kProgressEvents || done == event_count) {
      Progress("6.   " + Grouped(done) + " of " + Grouped(event_count) + " events, " +
               Rate(done, SecondsSince(start)) + " (encode, sign and append)");
      reported = done;
    }
  }
  FT_ASSERT(on_history == kHistoryEventCount);
}

// Drops the files below `directory` from the operating system's page cache, so that the next
// reads of them come from the disk. The ledger is closed and its files clean, so nothing is lost;
// other processes' files are untouched.
void DropFromPageCache(const std::string& directory) {
  for (const auto& file : fs::recursive_directory_iterator(directory)) {
    if (!file.is_regular_file()) continue;
    int fd = ::open(file.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
}

double Median(std::vector<double> values) {
  FT_ASSERT(!values.empty());
  std::sort(values.begin(), values.end());
  const size_t middle = values.size() / 2;
  return values.size() % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

// Wall and CPU milliseconds of one run (CPU: this process's, all threads, as CpuSeconds(); or a
// child's).
struct Sample {
  double wall_ms = 0;
  double cpu_ms = 0;
};

template <typename Work>
Sample Measure(Work&& work) {
  Stopwatch stopwatch;
  work();
  Timing timing = stopwatch.Elapsed();
  return {timing.seconds * 1000, timing.cpu_seconds * 1000};
}

// The medians of a list of samples.
Sample Median(const std::vector<Sample>& samples) {
  std::vector<double> wall, cpu;
  for (const auto& sample : samples) {
    wall.push_back(sample.wall_ms);
    cpu.push_back(sample.cpu_ms);
  }
  return {Median(wall), Median(cpu)};
}

// The fundtrail binary run with `args`, its output sent to /dev/null; CPU is the child's.
Sample RunCli(const std::string& binary, const std::vector<std::string>& args) {
  std::vector<const char*> argv = {binary.c_str()};
  for (const auto& arg : args) argv.push_back(arg.c_str());
  argv.push_back(nullptr);
  auto start = SteadyClock::now();
  pid_t pid = ::fork();
  FT_ASSERT(pid >= 0);
  if (pid == 0) {
    int null_fd = ::open("/dev/null", O_WRONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDOUT_FILENO);
    ::execv(binary.c_str(), const_cast<char* const*>(argv.data()));
    std::_Exit(127);
  }
  int status = 0;
  struct rusage usage;
  FT_ASSERT(::wait4(pid, &status, 0, &usage) == pid);
  Sample sample;
  sample.wall_ms = SecondsSince(start) * 1000;
  auto ms = [](const timeval& t) { return t.tv_sec * 1e3 + t.tv_usec / 1e3; };
  sample.cpu_ms = ms(usage.ru_utime) + ms(usage.ru_stime);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) Fail(binary + " " + args.front() + " failed");
  return sample;
}

// The baselines' reads: the log entries at `sequences`, with plain RocksDB calls on the ledger's
// own database (same options), one Get per key (as histories read them before), or one MultiGet
// per batch of sorted keys. Return the bytes read, so that no read can be left out.
uint64_t RawGets(Ledger& ledger, const std::vector<uint64_t>& sequences) {
  rocksdb::ColumnFamilyHandle* log = ledger.column_family("log");
  uint64_t byte_count = 0;
  std::string value;
  for (uint64_t sequence : sequences) {
    Check(ledger.database()->Get(rocksdb::ReadOptions(), log, SequenceKey(sequence), &value), "raw Get");
    byte_count += value.size();
  }
  return byte_count;
}

uint64_t RawMultiGets(Ledger& ledger, const std::vector<uint64_t>& sequences) {
  constexpr size_t kBatchKeys = 1000;
  rocksdb::ColumnFamilyHandle* log = ledger.column_family("log");
  uint64_t byte_count = 0;
  std::vector<std::string> keys;
  std::vector<rocksdb::Slice> slices;
  std::vector<rocksdb::PinnableSlice> values(kBatchKeys);
  std::vector<rocksdb::Status> statuses(kBatchKeys);
  for (size_t first = 0; first < sequences.size(); first += kBatchKeys) {
    const size_t count = std::min(kBatchKeys, sequences.size() - first);
    keys.clear();
    slices.clear();
    for (size_t i = 0; i < count; ++i) keys.push_back(SequenceKey(sequences[first + i]));
    for (const auto& key : keys) slices.emplace_back(key);
    ledger.database()->MultiGet(rocksdb::ReadOptions(), log, count, slices.data(), values.data(),
                                statuses.data(), /*sorted_input=*/true);
    for (size_t i = 0; i < count; ++i) {
      Check(statuses[i], "raw MultiGet");
      byte_count += values[i].size();
      values[i].Reset();
    }
  }
  return byte_count;
}

// The runs of one kind: in a fresh read-only open ("cold": RocksDB's block cache empty, the files
// in the page cache as the previous run left them), again in the same open ("warm"), and in a
// fresh open after the ledger's files were dropped from the page cache ("disk").
struct HistorySamples {
  std::vector<Sample> cold, warm, disk;
};

struct HistoryFigures {
  uint64_t ledger_size = 0;
  size_t row_count = 0;
  std::vector<Sample> open;  // Ledger::Open read-only, before each cold run
  HistorySamples history, raw_get, raw_multiget;
  HistorySamples from_log;   // the same records read from the log: what the store saves
  std::vector<Sample> cli_history, cli_head;
  bool cli_measured = false;
  uint64_t indexed_events = 0;  // indexed into the history store before the runs
  double index_seconds = 0;
};

HistoryFigures MeasureHistory(const std::string& path, const std::string& fundtrail_binary, Clock* clock) {
  HistoryFigures figures;
  std::vector<uint64_t> sequences;
  auto open = [&] { return Check(Ledger::Open(path, Ledger::Access::kReadOnly, clock), "opening " + path); };
  {
    auto ledger = open();
    figures.ledger_size = ledger->head().sequence;
    projections::HistorySources sources;
    Check(projections::ReadHistory(*ledger, Subject{SubjectKind::kGrant, kHistoryGrantId}, figures.ledger_size,
                                   &sources),
          "reading the history store");
    FT_ASSERT(sources.stored_to == figures.ledger_size, "the history store serves the whole history");
    Check(ledger->ScanSubject(Subject{SubjectKind::kGrant, kHistoryGrantId}, 1, figures.ledger_size,
                              [&](uint64_t sequence) {
                                sequences.push_back(sequence);
                                return true;
                              }),
          "scanning the subject index");
  }
  auto history = [&](Ledger& ledger) {
    auto view = Check(projections::GrantHistory(ledger, kHistoryGrantId, figures.ledger_size,
                                                projections::HistoryForm::kTable),
                      "history (table rows)");
    figures.row_count = view.rows.size();
  };
  auto from_log = [&](Ledger& ledger) {
    auto records = Check(projections::ReadHistoryFromLog(ledger, Subject{SubjectKind::kGrant, kHistoryGrantId}, 1,
                                                         figures.ledger_size),
                         "history records from the log");
    FT_ASSERT(records.size() == sequences.size());
  };
  auto raw_get = [&](Ledger& ledger) { FT_ASSERT(RawGets(ledger, sequences) > 0); };
  auto raw_multiget = [&](Ledger& ledger) { FT_ASSERT(RawMultiGets(ledger, sequences) > 0); };
  auto cold_and_warm = [&](const auto& work, HistorySamples& samples) {
    std::unique_ptr<Ledger> ledger;
    figures.open.push_back(Measure([&] { ledger = open(); }));
    samples.cold.push_back(Measure([&] { work(*ledger); }));
    samples.warm.push_back(Measure([&] { work(*ledger); }));
  };
  auto disk = [&](const auto& work, HistorySamples& samples) {
    DropFromPageCache(path);
    auto ledger = open();
    samples.disk.push_back(Measure([&] { work(*ledger); }));
  };
  // Kinds alternate, so that a change in the machine's load falls on all of them.
  for (size_t run = 0; run < kHistoryRuns; ++run) {
    cold_and_warm(history, figures.history);
    cold_and_warm(from_log, figures.from_log);
    cold_and_warm(raw_get, figures.raw_get);
    cold_and_warm(raw_multiget, figures.raw_multiget);
  }
  FT_ASSERT(figures.row_count == sequences.size(), "one history row per indexed event");
  std::error_code error;
  figures.cli_measured = fs::exists(fundtrail_binary, error);
  for (size_t run = 0; figures.cli_measured && run < kHistoryRuns; ++run) {
    figures.cli_history.push_back(RunCli(fundtrail_binary, {"history", "grant", kHistoryGrantId, "--ledger", path}));
    figures.cli_head.push_back(RunCli(fundtrail_binary, {"head", "--ledger", path}));
  }
  // Last: the page cache then holds only what these runs read back.
  for (size_t run = 0; run < kHistoryDiskRuns; ++run) {
    disk(history, figures.history);
    disk(raw_get, figures.raw_get);
    disk(raw_multiget, figures.raw_multiget);
  }
  return figures;
}

// Figure 6: builds (or, with --history-ledger DIR, reuses) the history ledger, measures and adds
// the figure's rows to `report`.
void RunHistoryFigure(const Options& options, const std::string& root, const Alliance& alliance,
                      std::mt19937_64& random, Clock* clock, Report& report) {
  const std::string path = options.history_ledger.empty() ? root + "/ledger-history" : options.history_ledger;
  std::error_code error;
  if (fs::exists(path, error)) {
    Progress("6. reusing the history ledger at " + path);
  } else {
    Progress("6. building a ledger of " + Grouped(options.history_events) + " events, " +
             Grouped(kHistoryEventCount) + " of them on " + kHistoryGrantId + ", spread across the log");
    BuildHistoryLedger(path, alliance, random, options.history_events, options.batch, clock);
  }
  // The history store (projections/history_store.h) as a writer keeps it: caught up with the log,
  // here from zero for a ledger just built (its appends went to the store directly, without the
  // CLI's catch-up), or not at all for one reused.
  uint64_t indexed_events = 0;
  double index_seconds = 0;
  {
    auto writer = Check(Ledger::Open(path, Ledger::Access::kReadWrite, clock), "opening " + path);
    auto checkpoint = Check(projections::ReadHistoryCheckpoint(*writer), "reading the history checkpoint");
    const bool from_zero = options.history_reindex || !checkpoint;
    indexed_events = writer->head().sequence - (from_zero ? 0 : checkpoint->sequence);
    Progress("6. indexing " + Grouped(indexed_events) + " events into the history store");
    auto start = SteadyClock::now();
    Check(from_zero ? projections::RebuildHistory(*writer) : projections::CatchUpHistory(*writer),
          "indexing the history store");
    index_seconds = SecondsSince(start);
  }
  Progress("6. timing the history of " + std::string(kHistoryGrantId) + " and the raw reads of its entries");
  HistoryFigures figures = MeasureHistory(path, FUNDTRAIL_BINARY, clock);
  figures.indexed_events = indexed_events;
  figures.index_seconds = index_seconds;
  auto ms = [](const std::vector<Sample>& samples) { return Fixed(Median(samples).wall_ms, 1) + " ms"; };
  auto cpu = [](const std::vector<Sample>& samples) { return Fixed(Median(samples).cpu_ms, 1) + " ms"; };
  auto ratio = [](const std::vector<Sample>& baseline, const std::vector<Sample>& measured) {
    return Percent(Median(baseline).wall_ms / Median(measured).wall_ms);
  };
  const std::string keys = Grouped(figures.row_count);
  report.Row({"6. one grant's history (" + keys + " events of " + Grouped(figures.ledger_size) + "), fresh open",
              ms(figures.history.cold), ms(figures.raw_get.cold) + " raw Get x " + keys,
              ratio(figures.raw_get.cold, figures.history.cold), "< 20 ms (10,000 of 10M)"});
  report.Row({"   CPU", cpu(figures.history.cold), cpu(figures.raw_get.cold) + " raw Get", "", ""});
  report.Row({"   second run in the same open (warm)", ms(figures.history.warm), ms(figures.raw_get.warm) + " raw Get",
              ratio(figures.raw_get.warm, figures.history.warm), ""});
  report.Row({"   the same records read from the log (no store), fresh open / warm",
              ms(figures.from_log.cold) + " / " + ms(figures.from_log.warm), "", "", ""});
  report.Row({"   raw MultiGet of the same keys, fresh open / warm", "",
              ms(figures.raw_multiget.cold) + " / " + ms(figures.raw_multiget.warm), "", ""});
  report.Row({"   fresh open, files dropped from the page cache", ms(figures.history.disk),
              ms(figures.raw_get.disk) + " raw Get, " + ms(figures.raw_multiget.disk) + " MultiGet",
              ratio(figures.raw_get.disk, figures.history.disk), ""});
  report.Row({"   Ledger::Open read-only before each (not in the figure)", ms(figures.open), "", "", ""});
  if (figures.indexed_events > 0) {
    report.Row({"   history store indexed from zero (" + Grouped(figures.indexed_events) + " events)",
                Rate(figures.indexed_events, figures.index_seconds), "", "", ""});
  }
  if (figures.cli_measured) {
    report.Row({"   CLI: fundtrail history grant (table to /dev/null)", ms(figures.cli_history),
                ms(figures.cli_head) + " fundtrail head", "", ""});
    report.Row({"   CLI CPU", cpu(figures.cli_history), cpu(figures.cli_head) + " fundtrail head", "", ""});
  }
}

// Figure 5: the ledger in `directory` folded from zero by the views alone (the "rules off"
// baseline) and by views and every misuse rule (projections::Rebuild as `fundtrail rebuild` folds:
// the expenditures left in the log), alternately, three times each; each figure is the fastest of
// its three, so that a burst of other work on a shared machine, which only ever slows a pass down,
// is not taken for the cost of the rules. Then the expenditures are read back from the log and
// every rule is evaluated once at today's date, as `fundtrail flags` does. Then, as a writer, the
// history store alone, `projections::RebuildAndStore`, and the `fundtrail rebuild` command.
struct RebuildFigures {
  static constexpr int kRounds = 3;
  uint64_t event_count = 0;
  Timing views;  // the fastest pass of each, wall and CPU apart
  Timing rules;
  double flags_seconds = 0;
  size_t flag_count = 0;
  Timing history;  // the history store indexed from zero (projections::RebuildHistory), alone
  Timing whole;    // what `fundtrail rebuild` does after opening: projections::RebuildAndStore
  Sample cli;      // the command: process, open, the old store's digest, the rebuild, the output
  Sample cli_head;  // `fundtrail head` on the same ledger: a process and an open
};

RebuildFigures MeasureRebuild(const std::string& directory, Clock* clock) {
  RebuildFigures figures;
  auto ledger =
      Check(Ledger::Open(directory, Ledger::Access::kReadOnly, clock), "opening " + directory);
  figures.event_count = ledger->head().sequence;
  auto fastest = [](Timing* best, const Timing& pass, int round) {
    if (round == 0 || pass.seconds < best->seconds) best->seconds = pass.seconds;
    if (round == 0 || pass.cpu_seconds < best->cpu_seconds) best->cpu_seconds = pass.cpu_seconds;
  };
  // Every pass's result is kept to the end, so that each pass allocates fresh memory, as a rebuild
  // in a new process does, rather than reusing what the previous one freed.
  std::vector<projections::Projections> rebuilt;
  for (int round = 0; round < RebuildFigures::kRounds; ++round) {
    {
      projections::Projection views;
      auto lookup = ledger->NewLookup();
      LogEventReader reader;  // as the fold reads the log
      Stopwatch stopwatch;
      Check(ledger->ScanEntries(
                1, figures.event_count,
                [&](const StoredEntry& entry) {
                  auto view = Check(DecodeEntry(entry.record), "decoding an entry");
                  Check(reader.Read(view.canonical_event, entry.sequence,
                                    [&](schema::Event::Reader event) {
                                      return views.Apply(entry.sequence, view.chain_hash, event, lookup.get());
                                    }),
                        "folding");
                  return true;
                }),
            "scanning");
      fastest(&figures.views, stopwatch.Elapsed(), round);
    }
    Stopwatch stopwatch;
    rebuilt.push_back(Check(projections::Rebuild(*ledger, figures.event_count, projections::RulesUse::kStateOnly),
                            "rebuilding"));
    fastest(&figures.rules, stopwatch.Elapsed(), round);
  }
  Stopwatch flags_watch;
  Check(projections::ReadExpenditures(*ledger, &rebuilt.back().rules), "reading the expenditures back");
  figures.flag_count =
      rebuilt.back().rules.Flags(static_cast<int32_t>(clock->NowMicros() / 86400000000LL)).size();
  figures.flags_seconds = flags_watch.Elapsed().seconds;
  rebuilt.clear();
  ledger.reset();
  // Once each, as a writer: the history store alone, then the whole of `fundtrail rebuild` (the
  // folds, the history store on a second thread, the snapshot written).
  auto writer = Check(Ledger::Open(directory, Ledger::Access::kReadWrite, clock), "opening " + directory);
  Stopwatch history_watch;
  Check(projections::RebuildHistory(*writer), "rebuilding the history store");
  figures.history = history_watch.Elapsed();
  Stopwatch whole_watch;
  Check(projections::RebuildAndStore(*writer), "fundtrail rebuild");
  figures.whole = whole_watch.Elapsed();
  writer.reset();
  figures.cli = RunCli(FUNDTRAIL_BINARY, {"rebuild", "--ledger", directory});
  figures.cli_head = RunCli(FUNDTRAIL_BINARY, {"head", "--ledger", directory});
  return figures;
}

void ReportRebuild(const RebuildFigures& figures, Report* report) {
  const uint64_t n = figures.event_count;
  report->Row({"5. projection rebuild from zero, views + all rules", Rate(n, figures.rules.seconds),
               Rate(n, figures.views.seconds) + " views only",
               Percent(figures.views.seconds / figures.rules.seconds),
               ">= 500,000 ev/s; rules >= 70% of off"});
  report->Row({"   CPU per event (fastest of " + std::to_string(RebuildFigures::kRounds) + " each)",
               Fixed(figures.rules.cpu_seconds / n * 1e6, 2) + " us",
               Fixed(figures.views.cpu_seconds / n * 1e6, 2) + " us views only",
               Percent(figures.views.cpu_seconds / figures.rules.cpu_seconds), ""});
  report->Row({"   expenditures read back, every rule evaluated (" + Grouped(figures.flag_count) + " flags)",
               Fixed(figures.flags_seconds, 2) + " s", "", "", ""});
  report->Row({"   history store indexed from zero (2 workers), alone", Rate(n, figures.history.seconds), "", "", ""});
  report->Row({"   RebuildAndStore: the fold, the history store, written", Rate(n, figures.whole.seconds),
               Rate(n, figures.views.seconds) + " views only", Percent(figures.views.seconds / figures.whole.seconds),
               ">= 500,000 ev/s"});
  report->Row({"   CLI: fundtrail rebuild (with the old store's digest)", Rate(n, figures.cli.wall_ms / 1000),
               Fixed(figures.cli_head.wall_ms, 0) + " ms fundtrail head", "", ""});
  report->Row({"   CLI: wall / CPU", Fixed(figures.cli.wall_ms / 1000, 2) + " s / " + Fixed(figures.cli.cpu_ms / 1000, 2) + " s",
               "", "", ""});
}

// --rebuild DIR: figure 5 alone, on a ledger kept by an earlier run (--dir), for profiling and for
// repeating the figure without building the workload again.
int RunRebuildOnly(const std::string& directory) {
  SystemClock clock;
  Report report;
  std::string load_before = LoadAverage();
  RebuildFigures figures = MeasureRebuild(directory, &clock);
  std::printf("%s: %s events; load average before %s, after %s\n\n", directory.c_str(),
              Grouped(figures.event_count).c_str(), load_before.c_str(), LoadAverage().c_str());
  ReportRebuild(figures, &report);
  report.Print();
  return 0;
}

// --verify DIR: figures 3 and 4 alone, on the ledgers DIR/ledger-n and DIR/ledger-n10 kept by an
// earlier run (--dir), so that verification is measured before and after a change of it under
// the same conditions. The parallel verifier (the default) and, as its baseline, the sequential
// one (every check in order on one thread, the verifier before issue 14) run alternately, three
// times each, each in a fresh read-only open, so that both see the same machine; the fastest of
// each is reported beside the others. Then each once without the views' fold, to show its share,
// and the SHA-256 and Ed25519 baselines and figure 4 as in the full run.
int RunVerifyOnly(const Options& options, const std::string& root) {
  SystemClock clock;
  std::mt19937_64 random(options.seed);
  Alliance alliance = MakeAlliance(options.workload, random, &clock);  // the keys of that run
  const std::string load_before = LoadAverage();
  const std::string ledger_path = root + "/ledger-n";
  constexpr int kRunCount = 3;
  std::vector<VerifyTiming> parallel_runs, sequential_runs;
  for (int run = 0; run < kRunCount; ++run) {
    Progress("3. verify, run " + std::to_string(run + 1) + " of " + std::to_string(kRunCount) +
             ": sequential, then parallel");
    sequential_runs.push_back(TimeVerify(ledger_path, &clock, Ledger::VerifyMode::kSequential));
    parallel_runs.push_back(TimeVerify(ledger_path, &clock, Ledger::VerifyMode::kParallel));
  }
  Progress("3. verify without the views' fold: sequential, then parallel");
  const VerifyTiming sequential_unfolded =
      TimeVerify(ledger_path, &clock, Ledger::VerifyMode::kSequential, /*with_views=*/false);
  const VerifyTiming parallel_unfolded =
      TimeVerify(ledger_path, &clock, Ledger::VerifyMode::kParallel, /*with_views=*/false);
  auto fastest_first = [](const VerifyTiming& a, const VerifyTiming& b) { return a.seconds < b.seconds; };
  std::vector<VerifyTiming> parallel_sorted = parallel_runs, sequential_sorted = sequential_runs;
  std::sort(parallel_sorted.begin(), parallel_sorted.end(), fastest_first);
  std::sort(sequential_sorted.begin(), sequential_sorted.end(), fastest_first);
  const VerifyTiming& parallel = parallel_sorted.front();
  const VerifyTiming& sequential = sequential_sorted.front();
  Progress("3. the SHA-256 and Ed25519 baselines");
  const VerifyFigures baselines = MeasureVerify(ledger_path, alliance, &clock);
  Progress("4. peak RSS of a fresh process verifying N/10 and N events");
  ChildFigures small = VerifyInFreshProcess(root + "/ledger-n10");
  ChildFigures large = VerifyInFreshProcess(ledger_path);
  std::printf("%s: %s events; %ld cores; load average before %s, after %s\n\n", ledger_path.c_str(),
              Grouped(parallel.event_count).c_str(), ::sysconf(_SC_NPROCESSORS_ONLN), load_before.c_str(),
              LoadAverage().c_str());
  const uint64_t n = parallel.event_count;
  auto micros = [n](double seconds) { return Fixed(seconds / n * 1e6, 2) + " us"; };
  auto runs = [](const std::vector<VerifyTiming>& timings) {
    std::string text;
    for (const VerifyTiming& timing : timings) text += (text.empty() ? "" : " / ") + Fixed(timing.seconds, 2);
    return text;
  };
  auto mib = [](uint64_t kib) { return Fixed(kib / 1024.0, 1) + " MiB"; };
  Report report;
  report.Row({"3. full verification (Ledger::Verify, fresh read-only open)", Rate(n, parallel.seconds),
              Rate(n, baselines.sha256_seconds) + " raw SHA-256", Percent(baselines.sha256_seconds / parallel.seconds),
              ">= 1,000,000 ev/s and >= 25%"});
  report.Row({"   parallel against sequential (one thread, every check in order)", Rate(n, parallel.seconds),
              Rate(n, sequential.seconds) + " sequential", Fixed(sequential.seconds / parallel.seconds, 2) + "x", ""});
  report.Row({"   each run in order, seconds", runs(parallel_runs), runs(sequential_runs) + " sequential", "", ""});
  report.Row({"   CPU per event, all threads", micros(parallel.cpu_seconds),
              micros(sequential.cpu_seconds) + " sequential", "", ""});
  report.Row({"   without the views' fold", Rate(n, parallel_unfolded.seconds),
              Rate(n, sequential_unfolded.seconds) + " sequential",
              Fixed(sequential_unfolded.seconds / parallel_unfolded.seconds, 2) + "x", ""});
  report.Row({"   SHA-256 per event (wall)", "", micros(baselines.sha256_seconds), "", ""});
  if (baselines.signature_count > 0) {  // the kept ledger's keys may not be this run's
    report.Row({"   Ed25519 verify, one per submission", "",
                Rate(baselines.signature_count, baselines.ed25519_seconds, "sig/s"), "", ""});
  }
  const uint64_t large_own_kib = large.peak_kib - large.open_kib, small_own_kib = small.peak_kib - small.open_kib;
  report.Row({"4. verify's own memory (peak RSS - RSS after open)", mib(large_own_kib) + " at N",
              mib(small_own_kib) + " at N/10",
              Fixed(static_cast<double>(large_own_kib) / std::max<uint64_t>(1, small_own_kib), 2) + "x",
              "flat (~1.0x)"});
  report.Row({"   process peak RSS (VmHWM)", mib(large.peak_kib) + " at N", mib(small.peak_kib) + " at N/10",
              Fixed(static_cast<double>(large.peak_kib) / small.peak_kib, 2) + "x", ""});
  report.Row({"   verify in that fresh process", Rate(large.event_count, large.seconds) + " at N",
              Rate(small.event_count, small.seconds) + " at N/10", "", ""});
  report.Print();
  return 0;
}

void RunFigures(const Options& options, const std::string& root);

// ---------------------------------------------------------------------------------------------
// Figures 7-9: what the Merkle tree costs, proofs, bundles.

// 7. The same signed submissions appended to a ledger that maintains the Merkle tree and to one
// that does not, alternating submission by submission so that both see the same machine.
struct TreeCostFigures {
  uint64_t events = 0;
  double with_tree_seconds = 0;
  double without_tree_seconds = 0;
};

TreeCostFigures MeasureTreeCost(const Alliance& alliance, std::mt19937_64& random, uint64_t events, uint64_t batch,
                                const std::string& root, Clock* clock) {
  TreeCostFigures figures;
  ExpenditureGenerator generator(alliance);
  ClientWork work = BuildSubmissions(alliance, generator, random, events, batch, "tree", clock);
  auto with_tree = CreateLedger(root + "/tree-on", alliance, clock);
  auto without_tree = CreateLedger(root + "/tree-off", alliance, clock);
  without_tree->DisableMerkleTreeForBenchmark();
  for (const auto& submission : work.submissions) {
    Stopwatch on;
    AppendOrFail(*with_tree, submission);
    figures.with_tree_seconds += on.Elapsed().seconds;
    Stopwatch off;
    AppendOrFail(*without_tree, submission);
    figures.without_tree_seconds += off.Elapsed().seconds;
  }
  figures.events = work.event_count;
  return figures;
}

// 8. Proof latency in the ledger at `path`: inclusion and consistency proofs from the stored tree,
// the whole `fundtrail prove --seq` evidence (entry, submission, key chain to the genesis) and its
// offline check; beside random point reads of the log column family, as many as a proof reads.
struct ProofFigures {
  uint64_t ledger_size = 0;
  uint64_t samples = 0;
  double inclusion_seconds = 0;
  double consistency_seconds = 0;
  double evidence_seconds = 0;
  double evidence_verify_seconds = 0;
  uint64_t evidence_signatures = 0;
  double ed25519_seconds = 0;  // the same number of Ed25519 verifications
  uint64_t point_reads = 0;
  double point_read_seconds = 0;
};

ProofFigures MeasureProofs(const std::string& path, const Alliance& alliance, std::mt19937_64& random, Clock* clock) {
  ProofFigures figures;
  auto ledger = Check(Ledger::Open(path, Ledger::Access::kReadOnly, clock), "opening " + path);
  const uint64_t size = ledger->head().sequence;
  figures.ledger_size = size;
  figures.samples = 1000;
  TreeHead head = Check(CurrentTreeHead(*ledger, clock->NowMicros()), "the head");
  SignTreeHead(alliance.operator_key, &head);
  std::uniform_int_distribution<uint64_t> any(1, size);
  std::vector<uint64_t> sequences(figures.samples);
  for (auto& sequence : sequences) sequence = any(random);
  {
    Stopwatch stopwatch;
    for (uint64_t sequence : sequences) Check(ledger->InclusionProof(sequence, size), "inclusion proof");
    figures.inclusion_seconds = stopwatch.Elapsed().seconds;
  }
  {
    Stopwatch stopwatch;
    for (uint64_t sequence : sequences) Check(ledger->ConsistencyProof(sequence, size), "consistency proof");
    figures.consistency_seconds = stopwatch.Elapsed().seconds;
  }
  std::vector<InclusionEvidence> evidence;
  {
    Stopwatch stopwatch;
    for (uint64_t sequence : sequences) evidence.push_back(Check(BuildInclusionEvidence(*ledger, sequence, head), "evidence"));
    figures.evidence_seconds = stopwatch.Elapsed().seconds;
  }
  {
    Stopwatch stopwatch;
    for (const auto& one : evidence) {
      auto report = Check(VerifyInclusionEvidence(one), "checking evidence");
      figures.evidence_signatures += report.signers.size() + 1;  // the links and the head
    }
    figures.evidence_verify_seconds = stopwatch.Elapsed().seconds;
  }
  {
    std::string message = "fundtrail-bench";
    std::string signature = alliance.operator_key.Sign(AsBytes(message));
    const PublicKey& key = alliance.operator_key.public_key();
    Stopwatch stopwatch;
    for (uint64_t i = 0; i < figures.evidence_signatures; ++i) {
      if (!key.Verify(AsBytes(message), signature)) Fail("Ed25519 baseline");
    }
    figures.ed25519_seconds = stopwatch.Elapsed().seconds;
  }
  {
    // A proof reads about log2(size) nodes; the baseline reads as many random log entries.
    uint64_t per_proof = 1;
    while ((uint64_t{1} << per_proof) < size) ++per_proof;
    figures.point_reads = figures.samples * per_proof;
    rocksdb::DB* database = ledger->database();
    rocksdb::ColumnFamilyHandle* log = ledger->column_family("log");
    std::string value;
    Stopwatch stopwatch;
    for (uint64_t i = 0; i < figures.point_reads; ++i) {
      Check(database->Get(rocksdb::ReadOptions(), log, SequenceKey(any(random)), &value), "raw read");
    }
    figures.point_read_seconds = stopwatch.Elapsed().seconds;
  }
  return figures;
}

// 9. A bundle of the whole ledger at `path`: export, then the offline verifier, beside raw
// SHA-256 over every record of the bundle.
struct BundleFigures {
  uint64_t events = 0;
  uint64_t bytes = 0;
  double export_seconds = 0;
  double verify_seconds = 0;
  double sha256_seconds = 0;
};

BundleFigures MeasureBundle(const std::string& path, const Alliance& alliance, const std::string& bundle_path,
                            Clock* clock) {
  BundleFigures figures;
  {
    auto ledger = Check(Ledger::Open(path, Ledger::Access::kReadOnly, clock), "opening " + path);
    TreeHead head = Check(CurrentTreeHead(*ledger, clock->NowMicros()), "the head");
    SignTreeHead(alliance.operator_key, &head);
    Stopwatch stopwatch;
    auto summary = Check(ExportBundle(*ledger, 1, head.tree_size, head, clock->NowMicros(), bundle_path), "export");
    figures.export_seconds = stopwatch.Elapsed().seconds;
    figures.events = summary.entries;
  }
  figures.bytes = std::filesystem::file_size(bundle_path);
  {
    Stopwatch stopwatch;
    auto report = Check(VerifyBundle(bundle_path, BundleVerifyOptions()), "verifying the bundle");
    figures.verify_seconds = stopwatch.Elapsed().seconds;
    FT_ASSERT(report.entries == figures.events);
  }
  {
    std::ifstream file(bundle_path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    Sha256 hash;
    Stopwatch stopwatch;
    size_t offset = 8;
    while (offset + 5 <= bytes.size()) {
      uint32_t length = (uint32_t{static_cast<uint8_t>(bytes[offset + 1])} << 24) |
                        (uint32_t{static_cast<uint8_t>(bytes[offset + 2])} << 16) |
                        (uint32_t{static_cast<uint8_t>(bytes[offset + 3])} << 8) |
                        uint32_t{static_cast<uint8_t>(bytes[offset + 4])};
      hash.Update(AsBytes(std::string_view(bytes).substr(offset + 5, length)));
      hash.Finish();
      offset += 5 + length;
    }
    figures.sha256_seconds = stopwatch.Elapsed().seconds;
  }
  return figures;
}

void ReportProofFigures(Report& report, const TreeCostFigures& tree, const ProofFigures& proofs,
                        const BundleFigures& bundle) {
  auto micros = [](double seconds, uint64_t count) { return Fixed(seconds / count * 1e6, 1) + " us"; };
  report.Row({"7. append with the Merkle tree (" + Grouped(tree.events) + " events)",
              Rate(tree.events, tree.with_tree_seconds), Rate(tree.events, tree.without_tree_seconds) + " without tree",
              Percent(tree.without_tree_seconds / tree.with_tree_seconds), ">= 80%"});
  report.Row({"8. inclusion proof, ledger of " + Grouped(proofs.ledger_size), micros(proofs.inclusion_seconds, proofs.samples),
              micros(proofs.point_read_seconds, proofs.samples) + " raw RocksDB (" +
                  Grouped(proofs.point_reads / proofs.samples) + " random reads)",
              "", "O(log n) reads"});
  report.Row({"   consistency proof", micros(proofs.consistency_seconds, proofs.samples), "", "", ""});
  report.Row({"   prove --seq evidence (entry, submission, key chain)", micros(proofs.evidence_seconds, proofs.samples),
              "", "", ""});
  report.Row({"   its offline check (fundtrail-verify core)", micros(proofs.evidence_verify_seconds, proofs.samples),
              micros(proofs.ed25519_seconds, proofs.samples) + " raw Ed25519 (" +
                  Fixed(static_cast<double>(proofs.evidence_signatures) / proofs.samples, 1) + " signatures)",
              Percent(proofs.ed25519_seconds / proofs.evidence_verify_seconds), ""});
  report.Row({"9. bundle verification (fundtrail-verify core, " + Grouped(bundle.events) + " events)",
              Rate(bundle.events, bundle.verify_seconds), Rate(bundle.events, bundle.sha256_seconds) + " raw SHA-256",
              Percent(bundle.sha256_seconds / bundle.verify_seconds), ""});
  report.Row({"   export of that bundle", Rate(bundle.events, bundle.export_seconds),
              Fixed(bundle.bytes / 1048576.0, 1) + " MiB", "", ""});
}

// `--proofs-only`: figures 7-9 on a ledger of N events, built in chunks so that N can be 10M
// without holding every signed submission in memory.
void RunProofFigures(const Options& options, const std::string& root) {
  SystemClock clock;
  std::mt19937_64 random(options.seed);
  Alliance alliance = MakeAlliance(options.workload, random, &clock);
  const std::string ledger_path = root + "/ledger-n";
  {
    auto ledger = CreateLedger(ledger_path, alliance, &clock);
    ExpenditureGenerator generator(alliance);
    constexpr uint64_t kChunk = 1'000'000;
    for (uint64_t done = 0; done < options.events; done += kChunk) {
      uint64_t count = std::min(kChunk, options.events - done);
      Progress("building the ledger: events " + Grouped(done + 1) + ".." + Grouped(done + count));
      ClientWork work =
          BuildSubmissions(alliance, generator, random, count, options.batch, "chunk-" + std::to_string(done), &clock);
      for (const auto& submission : work.submissions) AppendOrFail(*ledger, submission);
    }
  }
  Report report;
  Progress("7. appending the same submissions with and without the Merkle tree, alternating");
  TreeCostFigures tree = MeasureTreeCost(alliance, random, std::min<uint64_t>(options.events, 200'000), options.batch,
                                         root, &clock);
  Progress("8. proofs");
  ProofFigures proofs = MeasureProofs(ledger_path, alliance, random, &clock);
  Progress("9. exporting the whole ledger as a bundle and verifying it offline");
  BundleFigures bundle = MeasureBundle(ledger_path, alliance, root + "/ledger.bundle", &clock);
  ReportProofFigures(report, tree, proofs, bundle);
  std::printf("\n");
  report.Print();
}

int RunBenchmarks(const Options& options) {
  bool temporary = options.directory.empty();
  std::string root = options.directory;
  if (temporary) {
    std::string pattern = (fs::temp_directory_path() / "fundtrail-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      Fail("cannot create a directory under " + fs::temp_directory_path().string());
    root = pattern;
  } else {
    std::error_code error;
    if (fs::exists(root, error) && !fs::is_empty(root, error))
      Fail(root + " is not empty; pass a new or empty --dir");
    fs::create_directories(root, error);
    if (error) Fail("cannot create " + root + ": " + error.message());
  }
  PrintMachine(root);
  try {
    if (options.proofs_only) {
      RunProofFigures(options, root);
    } else {
      RunFigures(options, root);
    }
  } catch (const BenchmarkError& error) {
    std::fprintf(stderr, "fundtrail-bench: %s\n", error.what());
    if (temporary) {
      std::error_code ignored;
      fs::remove_all(root, ignored);
    }
    return 1;
  }
  if (temporary) {
    std::error_code ignored;
    fs::remove_all(root, ignored);
  } else {
    std::printf("ledgers left in %s\n", root.c_str());
  }
  return 0;
}

void RunFigures(const Options& options, const std::string& root) {
  const std::string load_before = LoadAverage();
  if (double load = std::strtod(load_before.c_str(), nullptr); load > 0.5) {
    std::printf(
        "warning: load average %s before the run: other work shares these %ld cores and the disk, "
        "and "
        "lowers every figure, baselines included\n\n",
        load_before.c_str(), ::sysconf(_SC_NPROCESSORS_ONLN));
  }
  SystemClock clock;
  std::mt19937_64 random(options.seed);
  Alliance alliance = MakeAlliance(options.workload, random, &clock);
  ExpenditureGenerator generator(alliance);
  Report report;
  if (options.history_only) {
    RunHistoryFigure(options, root, alliance, random, &clock, report);
    std::printf("\nload average before %s, after %s\n\n", load_before.c_str(), LoadAverage().c_str());
    report.Print();
    return;
  }
  const std::string ledger_path = root + "/ledger-n";
  const std::string small_ledger_path = root + "/ledger-n10";
  auto mib = [](uint64_t kib) { return Fixed(kib / 1024.0, 1) + " MiB"; };

  // 1. Batched durable append.
  Progress("client: encoding and signing " + Grouped(options.events) +
           " events in submissions of " + Grouped(options.batch));
  ClientWork work =
      BuildSubmissions(alliance, generator, random, options.events, options.batch, "batch", &clock);
  const double event_size_bytes = static_cast<double>(work.canonical_bytes) / work.event_count;
  uint64_t first_bench_sequence = 0;
  Timing append;
  {
    auto ledger = CreateLedger(ledger_path, alliance, &clock);
    first_bench_sequence = ledger->head().sequence + 1;
    Progress("1. appending " + Grouped(work.submissions.size()) + " signed submissions (synced)");
    Stopwatch stopwatch;
    for (const auto& submission : work.submissions) AppendOrFail(*ledger, submission);
    append = stopwatch.Elapsed();
  }
  {
    // The N/10 ledger of figure 4, from the same signed submissions (same ledger id); not timed.
    auto ledger = CreateLedger(small_ledger_path, alliance, &clock);
    uint64_t count = std::max<uint64_t>(1, work.submissions.size() / 10);
    for (uint64_t i = 0; i < count; ++i) AppendOrFail(*ledger, work.submissions[i]);
  }
  std::vector<SignedSubmission>().swap(work.submissions);
  Progress(
      "1. baselines: raw RocksDB writing the same keys and values, and a plain file of the same "
      "bytes");
  Timing raw_batched;
  double floor_batched_seconds = 0;
  uint64_t batched_bytes = 0;
  {
    CollectedWrites collected = CollectWrites(ledger_path, first_bench_sequence, &clock);
    FT_ASSERT(collected.event_count == options.events);
    batched_bytes = collected.byte_count;
    raw_batched = WriteRaw(root + "/raw-batched", collected);
    floor_batched_seconds = WriteFileFloor(root + "/floor-batched", collected);
  }
  const uint64_t n = options.events;
  auto micros_per = [](double seconds, uint64_t count) {
    return Fixed(seconds / count * 1e6, 1) + " us";
  };
  report.Row({"1. batched durable append (" + Grouped(options.batch) + "/submission, sync each)",
              Rate(n, append.seconds), Rate(n, raw_batched.seconds) + " raw RocksDB",
              Percent(raw_batched.seconds / append.seconds), ">= 500,000 ev/s and >= 50%"});
  report.Row({"   CPU per event, all threads", micros_per(append.cpu_seconds, n),
              micros_per(raw_batched.cpu_seconds, n) + " raw",
              Percent(raw_batched.cpu_seconds / append.cpu_seconds), ""});
  report.Row({"   disk floor: same bytes to a file, fdatasync each", "",
              Rate(n, floor_batched_seconds) + " file",
              Percent(floor_batched_seconds / append.seconds), ""});
  report.Row({"   client encode JSON->canonical (untimed above)", Rate(n, work.encode_seconds), "",
              "", ""});
  report.Row(
      {"   client digests + Ed25519 sign (untimed above)", Rate(n, work.sign_seconds), "", "", ""});
  report.Row(
      {"   client encode + sign", Rate(n, work.encode_seconds + work.sign_seconds), "", "", ""});

  // 3. Full verification, and 4. its memory, before figure 2 adds to the ledger.
  Progress("3. verifying " + Grouped(n) + " events, then the SHA-256 and Ed25519 baselines");
  VerifyFigures verify = MeasureVerify(ledger_path, alliance, &clock);
  report.Row({"3. full verification (Ledger::Verify, fresh read-only open)",
              Rate(verify.event_count, verify.verify_seconds),
              Rate(verify.event_count, verify.sha256_seconds) + " raw SHA-256",
              Percent(verify.sha256_seconds / verify.verify_seconds),
              ">= 1,000,000 ev/s and >= 50%"});
  report.Row({"   CPU per event", micros_per(verify.verify_cpu_seconds, verify.event_count),
              micros_per(verify.sha256_seconds, verify.event_count) + " SHA-256 (wall)", "", ""});
  {
    // The verifier before issue 14, every check in order on one thread, as the baseline of the
    // parallel one (the default, above).
    VerifyTiming sequential = TimeVerify(ledger_path, &clock, Ledger::VerifyMode::kSequential);
    report.Row({"   parallel against sequential (one thread, every check in order)",
                Rate(verify.event_count, verify.verify_seconds),
                Rate(sequential.event_count, sequential.seconds) + " sequential",
                Fixed(sequential.seconds / verify.verify_seconds, 2) + "x", ""});
  }
  report.Row({"   Ed25519 verify, one per submission of " + Grouped(options.batch), "",
              Rate(verify.signature_count, verify.ed25519_seconds, "sig/s") + " (" +
                  Rate(verify.signature_count * options.batch, verify.ed25519_seconds) + ")",
              "", ""});
  report.Row({"   Ledger::Open read-only before it (not in the figure)",
              Fixed(verify.open_seconds, 2) + " s", "", "", ""});
  Progress("4. peak RSS of a fresh process verifying N/10 and N events");
  ChildFigures small = VerifyInFreshProcess(small_ledger_path);
  ChildFigures large = VerifyInFreshProcess(ledger_path);
  const uint64_t large_own_kib = large.peak_kib - large.open_kib,
                 small_own_kib = small.peak_kib - small.open_kib;
  report.Row(
      {"4. verify's own memory (peak RSS - RSS after open)", mib(large_own_kib) + " at N",
       mib(small_own_kib) + " at N/10",
       Fixed(static_cast<double>(large_own_kib) / std::max<uint64_t>(1, small_own_kib), 2) + "x",
       "flat (~1.0x)"});
  report.Row({"   process peak RSS (VmHWM)", mib(large.peak_kib) + " at N",
              mib(small.peak_kib) + " at N/10",
              Fixed(static_cast<double>(large.peak_kib) / small.peak_kib, 2) + "x", ""});
  report.Row({"   RSS after Ledger::Open read-only", mib(large.open_kib) + " at N",
              mib(small.open_kib) + " at N/10",
              Fixed(static_cast<double>(large.open_kib) / small.open_kib, 2) + "x", ""});
  report.Row({"   Ledger::Open read-only, seconds", Fixed(large.open_seconds, 2) + " s at N",
              Fixed(small.open_seconds, 2) + " s at N/10", "", ""});
  report.Row({"   verify in that fresh process", Rate(large.event_count, large.seconds) + " at N",
              Rate(small.event_count, small.seconds) + " at N/10", "", ""});

  // 2. Single-event submissions, appended to the N-event ledger.
  Progress("2. client: encoding and signing " + Grouped(options.single) + " one-event submissions");
  ClientWork singles =
      BuildSubmissions(alliance, generator, random, options.single, 1, "single", &clock);
  Timing single;
  double settle_seconds = 0;
  uint64_t single_first_sequence = 0;
  {
    // A writer as every fundtrail command that appends opens it: with the views' fold.
    auto ledger = Check(projections::OpenWriter(ledger_path, &clock), "opening " + ledger_path);
    single_first_sequence = ledger->head().sequence + 1;
    Progress(
        "2. waiting for the ledger's background flushes and compactions to settle (at most 120 s)");
    settle_seconds = WaitForBackgroundWork(*ledger, 120);
    Progress("2. appending " + Grouped(options.single) +
             " one-event submissions, one after another (synced)");
    Stopwatch stopwatch;
    for (const auto& submission : singles.submissions) AppendOrFail(*ledger, submission);
    single = stopwatch.Elapsed();
  }
  Progress(
      "2. baselines: raw RocksDB, one synced WriteBatch of the same bytes per submission, and a "
      "plain file");
  CollectedWrites single_writes = CollectWrites(ledger_path, single_first_sequence, &clock);
  FT_ASSERT(single_writes.event_count == options.single);
  Timing raw_single = WriteRaw(root + "/raw-single", single_writes);
  double floor_single_seconds = WriteFileFloor(root + "/floor-single", single_writes);
  const uint64_t m = options.single;
  report.Row({"2. single-event submissions, one client, sync each", Rate(m, single.seconds),
              Rate(m, raw_single.seconds) + " raw RocksDB",
              Percent(raw_single.seconds / single.seconds),
              ">= 10,000/s (many clients, group commit)"});
  report.Row({"   latency per submission", micros_per(single.seconds, m),
              micros_per(raw_single.seconds, m) + " raw", "", ""});
  report.Row({"   CPU per submission, all threads", micros_per(single.cpu_seconds, m),
              micros_per(raw_single.cpu_seconds, m) + " raw",
              Percent(raw_single.cpu_seconds / single.cpu_seconds), ""});
  report.Row({"   disk floor: same bytes to a file, fdatasync each", "",
              Rate(m, floor_single_seconds) + " file (" + micros_per(floor_single_seconds, m) + ")",
              Percent(floor_single_seconds / single.seconds), ""});

  // 5. Projection rebuild from zero: the views' fold alone, then views and every misuse rule.
  Progress("5. rebuilding the projections from zero, views only, then views + rules");
  ReportRebuild(MeasureRebuild(ledger_path, &clock), &report);

  // 5'. What a finance department waits for: one expenditure appended by the CLI to the N-event
  // ledger (process start, open, validation, the synced write, then the projections' and the
  // history store's catch-up), beside `fundtrail head` (process start, open, a Merkle root).
  {
    Progress("5. appending one expenditure at a time with the CLI, " + std::to_string(kCliAppendRuns) + " times");
    const std::string key_path = root + "/finance.pem";
    Check(alliance.finance_key.WritePemFiles(key_path), "writing the finance key");
    std::vector<Sample> appends, heads;
    for (size_t run = 0; run < kCliAppendRuns; ++run) {
      const std::string input = root + "/one-expenditure-" + std::to_string(run) + ".jsonl";
      std::ofstream(input) << generator.Next(random).dump() << "\n";
      appends.push_back(RunCli(FUNDTRAIL_BINARY, {"append", "--ledger", ledger_path, "--key", key_path, input}));
      heads.push_back(RunCli(FUNDTRAIL_BINARY, {"head", "--ledger", ledger_path}));
    }
    auto ms = [](const std::vector<Sample>& samples) { return Fixed(Median(samples).wall_ms, 1) + " ms"; };
    auto cpu = [](const std::vector<Sample>& samples) { return Fixed(Median(samples).cpu_ms, 1) + " ms"; };
    report.Row({"   CLI: fundtrail append of one event, with catch-up", ms(appends), ms(heads) + " fundtrail head", "",
                ""});
    report.Row({"   CLI CPU", cpu(appends), cpu(heads) + " fundtrail head", "", ""});
  }

  // 6. One grant's history, in a ledger of its own.
  RunHistoryFigure(options, root, alliance, random, &clock, report);

  // 7-9. The Merkle tree's cost, proofs and bundles.
  Progress("7. appending the same submissions with and without the Merkle tree, alternating");
  TreeCostFigures tree = MeasureTreeCost(alliance, random, std::min<uint64_t>(n, 200'000), options.batch, root, &clock);
  Progress("8. proofs in the ledger of figures 1 to 5");
  ProofFigures proofs = MeasureProofs(ledger_path, alliance, random, &clock);
  Progress("9. exporting the whole ledger as a bundle and verifying it offline");
  BundleFigures bundle = MeasureBundle(ledger_path, alliance, root + "/ledger.bundle", &clock);
  ReportProofFigures(report, tree, proofs, bundle);

  std::printf(
      "\n%s events of %.0f canonical bytes on average (expenditure_recorded); the ledger writes "
      "%.0f "
      "bytes of keys and values per event (%.0f per one-event submission); seed %" PRIu64
      "\n"
      "load average before %s, after %s\n\n",
      Grouped(n).c_str(), event_size_bytes, static_cast<double>(batched_bytes) / n,
      static_cast<double>(single_writes.byte_count) / m, options.seed, load_before.c_str(),
      LoadAverage().c_str());
  report.Print();
  std::printf(
      "\nratio: fundtrail's rate / the baseline's rate. Seconds: append %.2f, raw %.2f, file %.2f; "
      "verify %.2f, SHA-256 %.2f, Ed25519 %.3f (%" PRIu64
      " signatures); single %.2f, raw %.2f, file %.2f "
      "(after %.1f s waiting for compactions)\n",
      append.seconds, raw_batched.seconds, floor_batched_seconds, verify.verify_seconds,
      verify.sha256_seconds, verify.ed25519_seconds, verify.signature_count, single.seconds,
      raw_single.seconds, floor_single_seconds, settle_seconds);
}

}  // namespace
}  // namespace fundtrail

int main(int argc, char** argv) {
  fundtrail::Options options;
  std::string verify_child;
  std::string rebuild_only;
  CLI::App app{
      "fundtrail-bench: performance figures, each beside a baseline measured in the same run"};
  app.add_option("--events", options.events, "events appended in batches and verified (N)")
      ->check(CLI::Range(uint64_t{1000}, uint64_t{1'000'000'000}));
  app.add_option("--batch", options.batch, "events per signed submission")
      ->check(CLI::Range(uint64_t{1}, static_cast<uint64_t>(fundtrail::kSubmissionEventCountMax)));
  app.add_option("--single", options.single, "one-event submissions (M)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{10'000'000}));
  app.add_option("--dir", options.directory,
                 "work directory, new or empty, kept (default: a temporary one, removed)");
  app.add_option("--seed", options.seed, "seed of the generated events");
  app.add_flag("--proofs-only", options.proofs_only,
               "only figures 7-9 (Merkle tree cost, proofs, bundles) on a ledger of N events");
  app.add_option("--history-events", options.history_events,
                 "events in figure 6's ledger (10,000 of them on the grant whose history is timed)")
      ->check(CLI::Range(fundtrail::kHistoryEventCount, uint64_t{1'000'000'000}));
  app.add_flag("--history-only", options.history_only, "measure figure 6 alone");
  app.add_option("--history-ledger", options.history_ledger,
                 "figure 6's ledger: built there when missing, reused when present; kept");
  app.add_flag("--history-reindex", options.history_reindex,
               "index figure 6's history store from zero even when the reused ledger has one (and time it)");
  app.add_option("--workload", options.workload,
                 "realistic (default): planted misuse on about 0.5% of the events; flag-heavy: "
                 "flags on most events (docs/BENCHMARKS.md)")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, fundtrail::Workload>{
              {"realistic", fundtrail::Workload::kRealistic},
              {"flag-heavy", fundtrail::Workload::kFlagHeavy}},
          CLI::ignore_case));
  app.add_option("--verify-child", verify_child,
                 "internal: verify DIR and print figures (figure 4)")
      ->group("");
  app.add_option(
      "--rebuild", rebuild_only,
      "figure 5 alone, on the ledger DIR kept by an earlier run (--dir; e.g. DIR/ledger-n)");
  std::string verify_only;
  app.add_option("--verify", verify_only,
                 "figures 3 and 4 alone, on the ledgers DIR/ledger-n and DIR/ledger-n10 kept by an earlier run "
                 "(--dir DIR, same --seed and --workload)");
  CLI11_PARSE(app, argc, argv);
  try {
    if (!verify_child.empty()) return fundtrail::RunVerifyChild(verify_child);
    if (!verify_only.empty()) return fundtrail::RunVerifyOnly(options, verify_only);
    if (!rebuild_only.empty()) return fundtrail::RunRebuildOnly(rebuild_only);
    return fundtrail::RunBenchmarks(options);
  } catch (const fundtrail::BenchmarkError& error) {
    std::fprintf(stderr, "fundtrail-bench: %s\n", error.what());
    return 1;
  }
}
