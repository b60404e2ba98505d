#include "projections/flag_text.h"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <map>
#include <utility>

#include "ledger/dates.h"
#include "ledger/money.h"

namespace fundtrail::projections {

namespace {

using nlohmann::ordered_json;

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return out;
}

// The budget categories' standard Chinese names (the central fiscal research-fund classes).
std::string CategoryZh(const std::string& category) {
  static const std::map<std::string, std::string> kNames = {
      {"equipment", "设备费"},
      {"materials", "材料费"},
      {"testing", "测试化验加工费"},
      {"fuel_power", "燃料动力费"},
      {"travel_conference_international", "差旅费/会议费/国际合作与交流费"},
      {"publication_ip", "出版/文献/信息传播/知识产权事务费"},
      {"labour", "劳务费"},
      {"expert_consultation", "专家咨询费"},
      {"other_direct", "其他直接费用"},
      {"indirect", "间接费用"},
  };
  auto found = kNames.find(category);
  return found == kNames.end() ? category : found->second;
}

// Reads the fields a sentence needs from a flag, and remembers the first that is missing, so
// that one sentence is written straight through and checked once at its end.
class Fields {
 public:
  explicit Fields(const Flag& flag) : flag_(flag) {}

  // A figure as text: strings as they are, numbers and booleans as JSON writes them.
  std::string Text(const char* key) { return TextOf(flag_.figures, key, "figure"); }
  std::string Param(const char* key) { return TextOf(flag_.parameters, key, "parameter"); }
  // An amount figure ("48000.00 CNY") as tables show it ("48,000.00 CNY").
  std::string Money(const char* key) { return Grouped(Text(key), key); }
  std::string ParamMoney(const char* key) { return Grouped(Param(key), key); }
  std::string Category() { return CategoryZh(Text("category")); }
  // The expenditure a flag is about: "支出 #8812（48,000.00 CNY）".
  std::string Expenditure() {
    return "支出 #" + Text("expenditure") + "（" + Money("amount") + "）";
  }
  int64_t Integer(const char* key) {
    const ordered_json* value = Find(flag_.figures, key, "figure");
    if (value == nullptr) return 0;
    if (!value->is_number_integer())
      return Missing(std::string("figure \"") + key + "\" is not an integer"), 0;
    return value->get<int64_t>();
  }
  bool Boolean(const ordered_json& object, const char* key, const char* what) {
    const ordered_json* value = Find(object, key, what);
    return value != nullptr && value->is_boolean() && value->get<bool>();
  }
  bool FigureFlag(const char* key) { return Boolean(flag_.figures, key, "figure"); }
  bool ParamFlag(const char* key) { return Boolean(flag_.parameters, key, "parameter"); }
  const ordered_json& Figure(const char* key) {
    static const ordered_json kNull;
    const ordered_json* value = Find(flag_.figures, key, "figure");
    return value == nullptr ? kNull : *value;
  }
  const Flag& flag() const { return flag_; }
  // The id of the flag's subject: "G-1" of "grant:G-1".
  std::string SubjectId() const { return flag_.subject.substr(flag_.subject.find(':') + 1); }
  // The sequence number of the first evidence event.
  std::string FirstEvidence() const {
    return flag_.evidence.empty() ? std::string("?")
                                  : std::to_string(flag_.evidence.front().sequence);
  }
  // Days from date figure `from` to date figure `to`.
  int64_t DaysBetween(const std::string& from, const std::string& to) {
    auto first = ParseDate(from);
    auto last = ParseDate(to);
    if (!first || !last) return Missing("a date (" + from + ", " + to + ") does not parse"), 0;
    return static_cast<int64_t>(*last) - *first;
  }

  void Missing(std::string what) {
    if (missing_.empty()) missing_ = std::move(what);
  }
  const std::string& missing() const { return missing_; }

 private:
  const ordered_json* Find(const ordered_json& object, const char* key, const char* what) {
    if (!object.is_object() || !object.contains(key) || object.at(key).is_null()) {
      Missing(std::string(what) + " \"" + key + "\" is missing");
      return nullptr;
    }
    return &object.at(key);
  }
  std::string TextOf(const ordered_json& object, const char* key, const char* what) {
    const ordered_json* value = Find(object, key, what);
    if (value == nullptr) return "?";
    return value->is_string() ? value->get<std::string>() : value->dump();
  }
  std::string Grouped(const std::string& plain, const char* key) {
    auto money = ParseMoney(plain);
    if (!money) {
      Missing(std::string("\"") + key + "\" is not an amount: " + plain);
      return plain;
    }
    return FormatMoneyGrouped(*money);
  }

  const Flag& flag_;
  std::string missing_;
};

std::string Join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

std::vector<std::string> Strings(const ordered_json& array) {
  std::vector<std::string> out;
  if (!array.is_array()) return out;
  for (const auto& item : array)
    out.push_back(item.is_string() ? item.get<std::string>() : item.dump());
  return out;
}

// "12.34%" in basis points (1234); nullopt when it is not that form.
std::optional<int64_t> PercentBasisPoints(const std::string& text) {
  if (text.size() < 5 || text.back() != '%') return std::nullopt;
  std::string digits = text.substr(0, text.size() - 1);
  auto point = digits.find('.');
  if (point == std::string::npos || digits.size() - point != 3) return std::nullopt;
  digits.erase(point, 1);
  char* end = nullptr;
  long long value = std::strtoll(digits.c_str(), &end, 10);
  if (end == digits.c_str() || *end != '\0') return std::nullopt;
  return value;
}

using Writer = std::string (*)(Fields&);

// ----- A: the purpose of one expenditure

std::string ProhibitedUse(Fields& f) {
  // government_only: the rule covers government-funded grants only, so this grant is one.
  std::string government = f.ParamFlag("government_only") ? "政府资助的" : "";
  return government + "拨款 " + f.Text("grant") + " 的" + f.Expenditure() + "付给供应商 " +
         f.Text("vendor") + "，符合禁止用途“" + f.Text("purpose") + "”（“" + f.Text("description") +
         "”中含关键词“" + f.Text("keyword") + "”）";
}

std::string NoBudgetLine(Fields& f) {
  return f.Expenditure() + "由 " + f.Text("org") + " 列入" + f.Category() + "，而拨款 " +
         f.Text("grant") + " 没有该科目的预算";
}

std::string NoTask(Fields& f) {
  return "拨款 " + f.Text("grant") + " 的" + f.Expenditure() + "由 " + f.Text("org") +
         " 支出，而该单位在项目 " + f.Text("project") + " 中没有任务";
}

std::string ExpertFeeCap(Fields& f) {
  std::string expert = f.Text("expert");
  std::string recorded = f.FigureFlag("person_days_recorded") ? "" : "（未记录人日，按 1 人日计）";
  return "专家咨询费" + f.Expenditure() + "付给" +
         (expert.empty() ? "未署名专家" : "专家 " + expert) + "，共 " + f.Text("person_days") +
         " 人日" + recorded + "，每人日 " + f.Money("per_day") + "，超过" +
         (f.FigureFlag("academician") ? "院士" : "") + "每人日 " + f.Money("cap_per_day") +
         " 的上限";
}

std::string ExpertFeeToTeam(Fields& f) {
  const ordered_json& seen = f.Figure("team_evidence");
  std::string sequence =
      seen.is_object() && seen.contains("sequence") ? seen["sequence"].dump() : "?";
  if (sequence == "?") f.Missing("figure \"team_evidence\" has no sequence");
  return "专家咨询费" + f.Expenditure() + "付给 " + f.Text("expert") + "，此人是项目 " +
         f.Text("project") + " 的团队成员（见支出 #" + sequence + "）";
}

std::string EquipmentMisfiled(Fields& f) {
  return "拨款 " + f.Text("grant") + " 的" + f.Expenditure() + "达到设备标准 " +
         f.ParamMoney("equipment_threshold") + "，却列入" + f.Category();
}

// ----- B: time of one expenditure

std::string BeforeStart(Fields& f) {
  std::string invoice = f.Text("invoice_date"), payment = f.Text("payment_date");
  return f.Expenditure() + "付给供应商 " + f.Text("vendor") + "，日期为 " +
         std::min(invoice, payment) + "，比拨款 " + f.Text("grant") + " 的开始日 " +
         f.Text("period_start") + " 早 " + f.Text("days_before_start") + " 天";
}

std::string AfterEnd(Fields& f) {
  // A terminated grant ends on its termination date (TP-1's termination figures).
  if (f.flag().figures.contains("terminated_on")) {
    return f.Expenditure() + "付给供应商 " + f.Text("vendor") + "，发票日期为 " + f.Text("invoice_date") +
           "，比拨款 " + f.Text("grant") + " 的终止日 " + f.Text("terminated_on") + "（终止事件 #" +
           f.Text("termination") + "）晚 " + f.Text("days_after_termination") + " 天";
  }
  return f.Expenditure() + "付给供应商 " + f.Text("vendor") + "，发票日期为 " +
         f.Text("invoice_date") + "，比拨款 " + f.Text("grant") + " 的结束日 " +
         f.Text("period_end") + " 晚 " + f.Text("days_after_end") + " 天";
}

std::string AfterLiquidation(Fields& f) {
  return f.Expenditure() + "付给供应商 " + f.Text("vendor") + "，付款日为 " +
         f.Text("payment_date") + "，在拨款 " + f.Text("grant") + " 于 " + f.Text("period_end") +
         " 结束后 " + f.Text("days_after_end") + " 天，超出 " + f.Param("liquidation_days") +
         " 天的清算期";
}

std::string WeekendOrHoliday(Fields& f) {
  std::string weekday = f.Text("weekday");
  std::string day = f.FigureFlag("public_holiday") ? "法定节假日"
                    : weekday == "Saturday"        ? "星期六"
                    : weekday == "Sunday"          ? "星期日"
                                                   : weekday;
  return f.Expenditure() + "付给供应商 " + f.Text("vendor") + "，付款日 " + f.Text("payment_date") +
         " 是" + day;
}

std::string BookedLate(Fields& f) {
  return f.Expenditure() + "于 " + f.Text("voucher_date") + " 记账，比付款日 " +
         f.Text("payment_date") + " 晚 " + f.Text("days_after_payment") + " 天（上限 " +
         f.Param("voucher_days") + " 天；" + f.Text("appended_at") + " 记入账本）";
}

std::string PaidBeforeInvoice(Fields& f) {
  return f.Expenditure() + "付给供应商 " + f.Text("vendor") + "，付款日 " + f.Text("payment_date") +
         " 比发票日期 " + f.Text("invoice_date") + " 早 " + f.Text("days_before_invoice") +
         " 天（" + f.Text("appended_at") + " 记入账本）";
}

std::string SameRequesterAndApprover(Fields& f) {
  return f.Expenditure() + "付给供应商 " + f.Text("vendor") + "，申请人与审批人是同一人：" +
         f.Text("person");
}

std::string ApproverIsPayee(Fields& f) {
  return f.Expenditure() + "的审批人 " + f.Text("person") + " 同时是收款人";
}

// ----- C, D: membership and disbursements

std::string SpenderNotMember(Fields& f) {
  return "拨款 " + f.Text("grant") + " 的" + f.Expenditure() + "发生于 " + f.Text("invoice_date") +
         "，支出单位 " + f.Text("org") + " 当日不是联盟的有效成员";
}

std::string Disbursement(Fields& f) {
  return "拨款 " + f.Text("grant") + " 的拨付 #" + f.Text("disbursement") + "（" +
         f.Money("amount") + "）";
}

std::string RecipientNotMember(Fields& f) {
  return Disbursement(f) + "于 " + f.Text("date") + " 拨给 " + f.Text("member") +
         "，该单位当日不是联盟的有效成员";
}

std::string KeptAfterWithdrawal(Fields& f) {
  std::string withdrawn = f.Text("withdrawn_on"), as_of = f.Text("as_of");
  return f.Text("member") + " 已于 " + withdrawn +
         (f.FigureFlag("expelled") ? " 被联盟除名" : " 退出联盟") + "，至 " + as_of + "（" +
         std::to_string(f.DaysBetween(withdrawn, as_of)) + " 天后）仍持有拨款 " + f.Text("grant") +
         " 未使用的 " + f.Money("unspent") + "（期限 " + f.Param("withdrawn_member_days") + " 天）";
}

std::string RecipientWithoutTask(Fields& f) {
  return Disbursement(f) + "拨给 " + f.Text("member") + "，该单位在项目 " + f.Text("project") +
         " 中没有任务";
}

std::string DisbursedBeforeSigning(Fields& f) {
  std::string government = f.ParamFlag("government_only") ? "政府资助的" : "";
  std::string agreement = f.Text("agreement");
  std::vector<std::string> unsigned_members = Strings(f.Figure("unsigned_members"));
  return government + Disbursement(f) + "发生于 " + f.Text("date") + "，" +
         (agreement.empty()
              ? std::string("当时尚未登记任何联盟协议")
              : "当时协议 " + agreement + " 尚未由 " + Join(unsigned_members, "、") + " 签署");
}

// ----- E: a grant's budget and balances

std::string RegimeZh(const std::string& regime) {
  return regime == "legacy" ? "旧标准" : regime + " 年标准";
}

std::string IndirectBudget(Fields& f) {
  return "拨款 " + f.SubjectId() + " 的间接费用预算 " + f.Money("indirect_budget") + " 超过上限 " +
         f.Money("cap") + "（按扣除设备费后的直接费用 " + f.Money("direct_less_equipment") + "，" +
         RegimeZh(f.Param("regime")) + "）";
}

std::string IndirectSpent(Fields& f) {
  return "拨款 " + f.SubjectId() + " 已支出间接费用 " + f.Money("indirect_spent") + "，超过上限 " +
         f.Money("cap") + "（按已支出的扣除设备费后的直接费用 " +
         f.Money("direct_less_equipment_spent") + "，" + RegimeZh(f.Param("regime")) + "）";
}

std::string LineOverrun(Fields& f) {
  return "拨款 " + f.SubjectId() + " 的" + f.Category() + "支出达 " + f.Money("spent") +
         "，超出预算 " + f.Money("budget") + "（批准额加已批准的调整）" + f.Money("overrun") +
         "，首次超出为支出 #" + f.FirstEvidence();
}

std::string UnapprovedEquipmentIncrease(Fields& f) {
  return "预算调整 #" + f.Text("adjustment") + " 将拨款 " + f.SubjectId() + " 的设备费从 " +
         f.Money("equipment_before") + " 调增至 " + f.Money("equipment_requested") + "，批准人为“" +
         f.Text("approved_by") + "”而非资助方 " + f.Text("funder") + "，该调增不予计入";
}

std::string DisbursedBeyondReceived(Fields& f) {
  return "拨款 " + f.SubjectId() + " 已向成员拨付 " + f.Money("disbursed") + "，但仅从资助方收到 " +
         f.Money("received");
}

std::string ReceivedBeyondAward(Fields& f) {
  return "拨款 " + f.SubjectId() + " 已收到 " + f.Money("received") + "，超过其批准金额 " +
         f.Money("awarded");
}

std::string MemberSpentBeyondDisbursed(Fields& f) {
  // An episode (BR-3 over time): from its start to its end, or still going on.
  // An ongoing episode has no length yet ("days" is null).
  const std::string end = f.Text("end");
  const std::string span =
      end == "ongoing" ? std::string("至今仍未补足") : "至 " + end + " 补足，历时 " + f.Text("days") + " 天";
  return f.Text("member") + " 在拨款 " + f.Text("grant") + " 下的支出自 " + f.Text("start") + " 起超出所获拨付，" +
         span + "，最大缺口 " + f.Money("peak_shortfall") + "（" + f.Text("peak_date") + "），首次超出为支出 #" +
         f.Text("first_exceeded_by");
}

std::string LateSpike(Fields& f) {
  return "拨款 " + f.SubjectId() + " 在最后 " + f.Param("final_days") + " 天（" +
         f.Text("window_start") + " 至 " + f.Text("period_end") + "）支付 " +
         f.Money("spent_in_window") + "，占其全部支出 " + f.Money("spent_total") + " 的 " +
         f.Text("share") + "，超过 " + f.Param("share_percent") + "% 的上限";
}

// TP-4 of a terminated grant: its balance falls due days_after_end after the termination.
std::string NotReturnedAfterTermination(Fields& f) {
  return "拨款 " + f.SubjectId() + " 已于 " + f.Text("terminated_on") + " 终止（" + f.Text("termination_reason") +
         "），至 " + f.Text("as_of") + " 仍结余 " + f.Money("balance") + " 未退还资助方（应于 " + f.Text("deadline") +
         " 前退还，期限 " + f.Param("days_after_end") + " 天）";
}

std::string NotReturned(Fields& f) {
  std::string end = f.Text("period_end"), as_of = f.Text("as_of");
  return "拨款 " + f.SubjectId() + " 已于 " + end + " 结束，至 " + as_of + "（" +
         std::to_string(f.DaysBetween(end, as_of)) + " 天后）仍结余 " + f.Money("balance") +
         " 未退还资助方（期限 " + f.Param("days_after_end") + " 天）";
}

std::string IdleFunds(Fields& f) {
  return "拨款 " + f.Text("grant") + " 拨付给 " + f.Text("member") + " 的 " + f.Money("idle") +
         " 至 " + f.Text("evaluated_on") + " 仍未使用，距最早一笔此类拨付（" +
         f.Text("oldest_disbursement") + "）已 " + f.Text("days_idle") + " 天（上限 " +
         f.Param("idle_days") + " 天）";
}

// ----- F: patterns across expenditures

std::string InvoiceChargedTwice(Fields& f) {
  const ordered_json& charges = f.Figure("charges");
  std::vector<std::string> grants;
  if (charges.is_array()) {
    for (const auto& charge : charges) {
      std::string grant = charge.value("grant", "");
      if (std::find(grants.begin(), grants.end(), grant) == grants.end()) grants.push_back(grant);
    }
  }
  return "供应商 " + f.Text("vendor") + " 的发票 " + f.Text("invoice_number") + " 被报销 " +
         std::to_string(charges.is_array() ? charges.size() : 0) + " 次（拨款 " +
         Join(grants, "、") + "），合计 " + f.Money("total") + "，超过其最大单笔金额 " +
         f.Money("largest_charge");
}

std::string Duplicate(Fields& f) {
  std::string invoice = f.Text("invoice_number"),
              earlier_invoice = f.Text("earlier_invoice_number");
  if (invoice == earlier_invoice) {
    return f.Expenditure() + "付给供应商 " + f.Text("vendor") + "，重复了支出 #" +
           f.Text("earlier_expenditure") + " 的发票 " + invoice + " 和金额";
  }
  return f.Expenditure() + "付给供应商 " + f.Text("vendor") + "，付款日 " + f.Text("payment_date") +
         "，与 " + f.Text("earlier_payment_date") + " 支付的支出 #" +
         f.Text("earlier_expenditure") + " 金额相同，相隔 " + f.Text("days_apart") +
         " 天，但发票号不同（" + invoice + "，之前为 " + earlier_invoice + "）";
}

std::string SplitPayments(Fields& f, bool by_vendor) {
  std::string who = by_vendor
                        ? "付给供应商 " + f.Text("vendor") + " 的 " + f.Text("payments") + " 笔款项"
                        : f.SubjectId() + " 的 " + f.Text("requester") + " 申请的 " +
                              f.Text("payments") + " 笔款项";
  return who + "，付款日在 " + f.Text("first_payment_date") + " 至 " + f.Text("last_payment_date") +
         " 之间，每笔均低于审批限额 " + f.ParamMoney("approval_threshold") + "，合计 " +
         f.Money("total");
}

std::string NearThreshold(Fields& f, bool by_vendor) {
  std::string who = by_vendor ? "供应商 " + f.Text("vendor") + " 在 " + f.Text("quarter") + " 收到 "
                              : f.SubjectId() + " 的审批人 " + f.Text("approver") + " 在 " +
                                    f.Text("quarter") + " 审批了 ";
  return who + f.Text("count") + " 笔不低于 " + f.Money("band_low") + " 且低于 " +
         f.Money("band_high") + " 的款项，紧贴审批限额 " + f.ParamMoney("approval_threshold");
}

std::string RoundAmounts(Fields& f) {
  return "付给供应商 " + f.Text("vendor") + " 的 " + f.Text("items") + " 笔款项中有 " +
         f.Text("round_items") + " 笔是 " + f.ParamMoney("multiple") + " 的整数倍（" +
         f.Text("share") + "），远高于随机预期的 " + f.Param("expected_share") +
         "（z = " + f.Text("z") + " > " + f.Param("z_critical") + "）";
}

std::string Benford(Fields& f) {
  return f.Text("member") + " 的 " + f.Text("items") +
         " 笔支出的首位数字偏离本福特定律，平均绝对偏差 " + f.Text("mad") + "，高于 " +
         f.Param("mad_max");
}

std::string VendorResemblesMember(Fields& f) {
  static const std::map<std::string, std::string> kFields = {
      {"tax id", "税号"}, {"legal representative", "法定代表人"}, {"bank account", "银行账户"}};
  std::vector<std::string> described;
  const ordered_json& matches = f.Figure("matches");
  if (matches.is_array()) {
    for (const auto& match : matches) {
      std::vector<std::string> shared;
      for (const auto& field : Strings(match.value("shared", ordered_json::array()))) {
        auto found = kFields.find(field);
        shared.push_back(found == kFields.end() ? field : found->second);
      }
      described.push_back("与成员 " + match.value("member", std::string("?")) + " 共用" +
                          Join(shared, "、"));
    }
  }
  if (described.empty()) f.Missing("figure \"matches\" names no member");
  return "供应商 " + f.Text("vendor") + "（已付款 " + f.Text("payments") + " 次）" +
         Join(described, "；");
}

std::string VendorRepresentativeApproves(Fields& f) {
  return "供应商 " + f.Text("vendor") + " 的法定代表人 " + f.Text("person") + " 审批了其 " +
         f.Text("payments_approved") + " 笔款项，首笔为支出 #" + f.FirstEvidence();
}

std::string NewVendor(Fields& f) {
  int64_t days = f.Integer("days");
  std::string first =
      "首笔付款（支出 #" + f.Text("first_payment") + "，" + f.Text("first_payment_date") + "）";
  return "供应商 " + f.Text("vendor") + " 于 " + f.Text("registered_date") + " 登记，" +
         (days >= 0 ? "仅在其" + first + "前 " + std::to_string(days) + " 天"
                    : "比其" + first + "晚 " + std::to_string(-days) + " 天") +
         "（下限 " + f.Param("new_vendor_days") + " 天）";
}

// ----- G: outcomes and the alliance

std::string RevenueBeforeAgreement(Fields& f) {
  std::string agreement = f.Text("agreement");
  return "成果 " + f.SubjectId() + " 的收益分配 #" + f.Text("distribution") + "（" +
         f.Text("date") + "）发生在" +
         (agreement.empty() ? std::string("任何联盟协议存在之前")
                            : "协议 " + agreement + "（" + f.Text("agreement_date") + "）之前");
}

std::string RevenueShares(Fields& f) {
  std::string basis = f.Text("basis");
  const std::string kOwnership = "the ownership shares of outcome ";
  std::string basis_zh = basis.starts_with(kOwnership)
                             ? "成果 " + basis.substr(kOwnership.size()) + " 的权属份额"
                             : "协议 " + f.Text("agreement") + " 约定的收益分成";
  const ordered_json& deviations = f.Figure("deviations");
  std::string worst;
  int64_t worst_points = -1;
  if (deviations.is_array()) {
    for (const auto& deviation : deviations) {
      auto actual = PercentBasisPoints(deviation.value("actual_share", ""));
      auto agreed = PercentBasisPoints(deviation.value("agreed_share", ""));
      if (!actual || !agreed) continue;
      if (std::llabs(*actual - *agreed) > worst_points) {
        worst_points = std::llabs(*actual - *agreed);
        worst = deviation.value("org", std::string("?")) + "：实际 " +
                deviation.value("actual_share", "") + "，约定 " +
                deviation.value("agreed_share", "");
      }
    }
  }
  if (worst.empty()) f.Missing("figure \"deviations\" holds no share");
  return "成果 " + f.SubjectId() + " 的收益分配 #" + f.Text("distribution") + " 偏离" + basis_zh +
         "超过 " + f.Param("tolerance_percentage_points") + " 个百分点，涉及 " +
         std::to_string(deviations.is_array() ? deviations.size() : 0) + " 个成员，偏离最大的是 " +
         worst;
}

std::string ExclusiveLicence(Fields& f) {
  return "许可 #" + f.Text("licence") + "（" + f.Text("date") + "）将拨款 " + f.Text("grant") +
         " 的成果 " + f.SubjectId() + " 独占许可给成员 " + f.Text("licensee");
}

std::string NotShared(Fields& f) {
  std::string late = f.Text("first_shared_late");
  return "拨款 " + f.Text("grant") + " 的成果 " + f.SubjectId() + " 于 " + f.Text("registered") +
         " 登记，" + f.Param("share_days") + " 天内（" + f.Text("deadline") +
         " 前）未在联盟外共享或许可" + (late.empty() ? "" : "；首次对外共享为 " + late);
}

std::string Article8(Fields& f) {
  const ordered_json& checklist = f.Figure("checklist");
  std::vector<std::string> failures;
  if (checklist.is_object()) {
    if (!checklist.value("enterprise_member", true)) failures.push_back("没有企业成员");
    if (!checklist.value("university_or_institute_member", true))
      failures.push_back("没有高校或科研院所成员");
    if (checklist.value("independent_members", 2) < 2) failures.push_back("独立法人成员少于 2 个");
    if (!checklist.value("executive_body_with_staff", true))
      failures.push_back("没有配备专职人员的执行机构");
    std::string agreement = checklist.value("agreement", "");
    if (agreement.empty()) {
      failures.push_back("没有联盟协议");
    } else if (!checklist.value("agreement_signed_by_all", true)) {
      failures.push_back("协议 " + agreement + " 未经全体成员签署");
    }
  }
  if (failures.empty()) f.Missing("figure \"checklist\" names no unmet condition");
  return f.Text("as_of") + " 联盟 " + f.SubjectId() +
         " 不满足《关于推动产业技术创新战略联盟构建的指导意见》第八条的试点条件：" +
         Join(failures, "；");
}

// Every check the rules raise: rule, then check ("" when the rule has one; AN-1's check is the
// repeat's sequence number, so "#").
const std::map<std::pair<std::string, std::string>, Writer>& Writers() {
  static const std::map<std::pair<std::string, std::string>, Writer> kWriters = {
      {{"PU-1", ""}, ProhibitedUse},
      {{"PU-2", "category"}, NoBudgetLine},
      {{"PU-2", "task"}, NoTask},
      {{"PU-3", ""}, InvoiceChargedTwice},
      {{"PU-4", "cap"}, ExpertFeeCap},
      {{"PU-4", "team"}, ExpertFeeToTeam},
      {{"BR-1", "budget"}, IndirectBudget},
      {{"BR-1", "spent"}, IndirectSpent},
      {{"BR-2", "overrun"}, LineOverrun},
      {{"BR-2", "equipment_increase"}, UnapprovedEquipmentIncrease},
      {{"BR-3", "disbursed"}, DisbursedBeyondReceived},
      {{"BR-3", "received"}, ReceivedBeyondAward},
      {{"BR-3", "member"}, MemberSpentBeyondDisbursed},
      {{"BR-4", ""}, EquipmentMisfiled},
      {{"TP-1", "before"}, BeforeStart},
      {{"TP-1", "after"}, AfterEnd},
      {{"TP-1", "liquidation"}, AfterLiquidation},
      {{"TP-2", ""}, LateSpike},
      {{"TP-3", ""}, IdleFunds},
      {{"TP-4", ""}, NotReturned},
      {{"TP-4", "terminated"}, NotReturnedAfterTermination},
      {{"FL-1", "spender"}, SpenderNotMember},
      {{"FL-1", "recipient"}, RecipientNotMember},
      {{"FL-1", "kept"}, KeptAfterWithdrawal},
      {{"FL-2", ""}, RecipientWithoutTask},
      {{"FL-3", ""}, DisbursedBeforeSigning},
      {{"AN-1", "#"}, Duplicate},
      {{"AN-2", "vendor"}, [](Fields& f) { return SplitPayments(f, true); }},
      {{"AN-2", "requester"}, [](Fields& f) { return SplitPayments(f, false); }},
      {{"AN-3", "vendor"}, [](Fields& f) { return NearThreshold(f, true); }},
      {{"AN-3", "approver"}, [](Fields& f) { return NearThreshold(f, false); }},
      {{"AN-4", ""}, RoundAmounts},
      {{"AN-5", ""}, Benford},
      {{"AN-6", ""}, WeekendOrHoliday},
      {{"AN-7", "voucher"}, BookedLate},
      {{"AN-7", "prepaid"}, PaidBeforeInvoice},
      {{"AN-8", "member"}, VendorResemblesMember},
      {{"AN-8", "approver"}, VendorRepresentativeApproves},
      {{"AN-8", "new"}, NewVendor},
      {{"AN-9", "requester"}, SameRequesterAndApprover},
      {{"AN-9", "payee"}, ApproverIsPayee},
      {{"AL-1", "no_agreement"}, RevenueBeforeAgreement},
      {{"AL-1", "shares"}, RevenueShares},
      {{"AL-2", "exclusive"}, ExclusiveLicence},
      {{"AL-2", "unshared"}, NotShared},
      {{"AL-3", ""}, Article8},
  };
  return kWriters;
}

}  // namespace

Result<FlagLanguage> ParseFlagLanguage(std::string_view text) {
  std::string lower = Lower(text);
  if (lower == "zh" || lower.starts_with("zh-") || lower.starts_with("zh_"))
    return FlagLanguage::kChinese;
  if (lower == "en" || lower.starts_with("en-") || lower.starts_with("en_"))
    return FlagLanguage::kEnglish;
  return Error(Status::InvalidArgument("--lang \"" + std::string(text) +
                                       "\" is not a language; use zh (Chinese) or en (English)"));
}

FlagLanguage FlagLanguageFromLocale(const char* locale) {
  return locale != nullptr && Lower(locale).starts_with("zh") ? FlagLanguage::kChinese
                                                              : FlagLanguage::kEnglish;
}

std::string FlagLanguageCode(FlagLanguage language) {
  return language == FlagLanguage::kChinese ? "zh" : "en";
}

std::string FlagCheck(const Flag& flag) {
  size_t first = flag.id.find('/');
  if (first == std::string::npos) return "";
  size_t second = flag.id.find('/', first + 1);
  return second == std::string::npos ? "" : flag.id.substr(second + 1);
}

Result<std::string> ChineseExplanation(const Flag& flag) {
  std::string check = FlagCheck(flag);
  // AN-1 tells its flags apart by the repeat's sequence number.
  if (flag.rule == "AN-1" && !check.empty() && std::all_of(check.begin(), check.end(), ::isdigit))
    check = "#";
  auto writer = Writers().find({flag.rule, check});
  if (writer == Writers().end()) {
    return Error(Status::InvalidArgument("flag " + flag.id + ": no Chinese sentence for rule " +
                                         flag.rule + (check.empty() ? "" : ", check " + check)));
  }
  Fields fields(flag);
  std::string sentence = writer->second(fields);
  if (!fields.missing().empty()) {
    return Error(Status::InvalidArgument("flag " + flag.id + ": the Chinese sentence needs " +
                                         fields.missing()));
  }
  return sentence;
}

std::string FlagExplanation(const Flag& flag, FlagLanguage language) {
  if (language == FlagLanguage::kEnglish) return flag.explanation;
  auto chinese = ChineseExplanation(flag);
  return chinese ? *chinese : flag.explanation;
}

}  // namespace fundtrail::projections
