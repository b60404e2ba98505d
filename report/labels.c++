#include "report/labels.h"

#include <map>
#include <utility>

#include "ledger/status.h"

namespace fundtrail::report {

namespace {

using Pair = std::pair<const char*, const char*>;  // Chinese, English

// A missing entry is a bug: every key comes from the schema, RuleIds() or the spending query.
std::string Pick(Language language, const std::map<std::string, Pair>& table, const std::string& key) {
  auto found = table.find(key);
  FT_ASSERT(found != table.end(), "a report label is missing");
  return language == Language::kChinese ? found->second.first : found->second.second;
}

const std::map<std::string, Pair>& CategoryTable() {
  static const std::map<std::string, Pair> table{
      {"equipment", {"设备费", "Equipment"}},
      {"materials", {"材料费", "Materials"}},
      {"testing", {"测试化验加工费", "Testing and processing"}},
      {"fuel_power", {"燃料动力费", "Fuel and power"}},
      {"travel_conference_international", {"差旅/会议/国际合作交流费", "Travel, conferences, international"}},
      {"publication_ip", {"出版/文献/知识产权事务费", "Publication and IP"}},
      {"labour", {"劳务费", "Labour"}},
      {"expert_consultation", {"专家咨询费", "Expert consultation"}},
      {"other_direct", {"其他直接费用", "Other direct costs"}},
      {"indirect", {"间接费用", "Indirect costs"}},
      {"vendor_refund", {"供应商退款", "Vendor refunds"}},
  };
  return table;
}

// Titles and one-sentence descriptions, in the words of docs/RULES.md.
struct RuleText {
  Pair title;
  Pair detects;
};

const std::map<std::string, RuleText>& RuleTable() {
  static const std::map<std::string, RuleText> table{
      {"PU-1", {{"禁止用途", "prohibited use"},
                {"支出的摘要或科目指向禁止的用途。", "An expenditure whose description or category names a prohibited purpose."}}},
      {"PU-2", {{"与项目无关", "unrelated to project"},
                {"支出计入的科目没有预算，或摘要与项目无关。", "An expenditure under a category without budget, or unrelated to the project."}}},
      {"PU-3", {{"重复报销", "double charging"},
                {"同一张发票被多次报销。", "One invoice charged more than once."}}},
      {"PU-4", {{"专家咨询费超标", "expert fee above cap"},
                {"专家咨询费超过每日标准。", "An expert consultation fee above the per-day cap."}}},
      {"BR-1", {{"间接费用超限", "indirect-cost cap"},
                {"间接费用超过按直接费用分档核定的比例。", "Indirect costs above the tiered cap on direct costs."}}},
      {"BR-2", {{"预算超支", "budget overrun"},
                {"某预算科目的支出超过批准的预算，或未经批准调增设备费。", "Spending on a budget line beyond the approved line, or an unapproved equipment increase."}}},
      {"BR-3", {{"超拨付支出", "overspend"},
                {"成员单位的支出超过拨付给它的资金。", "A member spending more of a grant than was disbursed to it."}}},
      {"BR-4", {{"设备费错列", "equipment misfiled"},
                {"达到设备标准的单笔支出计入其他科目。", "A single purchase at the equipment threshold booked under another category."}}},
      {"TP-1", {{"超出执行期", "out of period"},
                {"发票或付款日期在项目执行期之外。", "An invoice or payment dated outside the grant's period."}}},
      {"TP-2", {{"年末突击花钱", "year-end spike"},
                {"年末短期内支出占比过高。", "A large share of a grant's spending in the last weeks of the year."}}},
      {"TP-3", {{"资金闲置", "idle funds"},
                {"拨付给成员的资金长期未使用。", "Money disbursed to a member and left unspent for long."}}},
      {"TP-4", {{"结余未退回", "unreturned balance"},
                {"项目结束后结余资金未按期退回。", "A grant that has ended still holds money not returned."}}},
      {"FL-1", {{"拨付给非成员", "non-member recipient"},
                {"资金拨付给当时不是联盟成员的单位。", "A disbursement to an organisation that was not an active member."}}},
      {"FL-2", {{"无任务拨付", "no task"},
                {"拨付给在该项目中没有任务分工的成员。", "A disbursement to a member without a task on the grant's project."}}},
      {"FL-3", {{"协议未生效", "agreement not in force"},
                {"联盟协议未经全体成员签署即拨付财政资金。", "Government funds disbursed before every member signed the agreement."}}},
      {"AN-1", {{"重复付款", "duplicate payment"},
                {"向同一供应商重复支付相同发票或金额。", "A payment to a vendor repeating an earlier one."}}},
      {"AN-2", {{"拆分采购", "split purchase"},
                {"多笔低于审批限额的付款合计超过限额。", "Payments each below the approval threshold that together exceed it."}}},
      {"AN-3", {{"略低于审批限额", "just below threshold"},
                {"一个季度内多笔付款略低于审批限额。", "Several payments in a quarter just below the approval threshold."}}},
      {"AN-4", {{"整数金额", "round amounts"},
                {"某供应商的整数金额付款比例异常。", "A vendor with an unusual share of round amounts."}}},
      {"AN-5", {{"本福特定律偏离", "Benford"},
                {"成员支出的首位数字分布偏离本福特定律。", "A member's first digits depart from Benford's law."}}},
      {"AN-6", {{"周末或节假日支付", "weekend or holiday"},
                {"付款日为非工作日。", "A payment on a day that is not a working day."}}},
      {"AN-7", {{"倒签", "backdated"},
                {"入账日期远晚于业务日期。", "An expenditure booked long after its business date."}}},
      {"AN-8", {{"关联方交易", "related party"},
                {"供应商与成员单位或经办人存在关联。", "A vendor related to the member or to the people involved."}}},
      {"AN-9", {{"不相容职务未分离", "segregation of duties"},
                {"同一人既申请又审批。", "One person both requested and approved."}}},
      {"AL-1", {{"收益分配不符", "revenue split"},
                {"成果收益分配与联盟协议约定不符。", "A revenue distribution that departs from the agreement."}}},
      {"AL-2", {{"成果未共享", "outcome not shared"},
                {"财政资助形成的成果未对外共享。", "An outcome of a government-funded grant not shared outside the alliance."}}},
      {"AL-3", {{"第八条条件不满足", "Article 8 conditions"},
                {"联盟不再满足《指导意见》第八条的组成条件。", "The alliance no longer meets the conditions of Article 8."}}},
  };
  return table;
}

const std::map<std::string, Pair>& SeverityTable() {
  static const std::map<std::string, Pair> table{
      {"low", {"低", "low"}}, {"medium", {"中", "medium"}}, {"high", {"高", "high"}}, {"critical", {"严重", "critical"}}};
  return table;
}

const std::map<std::string, Pair>& StatusTable() {
  static const std::map<std::string, Pair> table{{"open", {"待复核", "open"}},
                                                 {"confirmed", {"已确认", "confirmed"}},
                                                 {"false_positive", {"误报", "false positive"}},
                                                 {"remediated", {"已整改", "remediated"}}};
  return table;
}

const std::map<std::string, Pair>& CaptionTable() {
  static const std::map<std::string, Pair> table{
      {"document_title", {"联盟经费审计报告", "Alliance funds audit report"}},
      {"alliance", {"联盟", "Alliance"}},
      {"scope", {"报告范围", "Scope"}},
      {"grants", {"项目经费", "Grants"}},
      {"all_grants", {"全部项目经费", "every grant"}},
      {"members", {"成员单位", "Members"}},
      {"all_members", {"全部成员单位", "every member"}},
      {"period", {"业务期间（付款日期）", "Business period (payment dates)"}},
      {"period_open", {"不限", "any date"}},
      {"as_of", {"截至", "As of"}},
      {"as_of_text", {"账本序号", "ledger sequence"}},
      {"head_time", {"签名树头时间", "signed head's time"}},
      {"contents", {"目录", "Contents"}},
      {"verification", {"验证声明", "Verification statement"}},
      {"verification_intro",
       {"本报告中的全部数字均取自以下经运营方签名的树头所覆盖的账本内容。报告生成时已核对：该树头的签名由账本运营方密钥作出，且账本在该规模下的默克尔根和链哈希与树头一致。",
        "Every figure in this report is taken from the ledger as covered by the operator-signed tree head below. When the report was made, the head's signature was checked against the ledger's operator key, and the ledger's Merkle root and chain hash at that size were checked against the head."}},
      {"ledger_id", {"账本标识", "Ledger id"}},
      {"tree_size", {"树头规模（事件数）", "Head size (events)"}},
      {"root_hash", {"默克尔根", "Merkle root"}},
      {"chain_hash", {"链哈希", "Chain hash"}},
      {"operator_key", {"运营方密钥标识", "Operator key id"}},
      {"signed_at", {"树头签名时间", "Head signed at"}},
      {"witnesses", {"见证方联署", "Witness co-signatures"}},
      {"no_witnesses", {"该树头没有见证方联署。", "The head carries no witness co-signatures."}},
      {"witness_name", {"见证方", "Witness"}},
      {"key_id", {"密钥标识", "Key id"}},
      {"cosigned_at", {"联署时间", "Co-signed at"}},
      {"quorum", {"见证策略", "Witness policy"}},
      {"quorum_met", {"已达到法定人数", "quorum met"}},
      {"quorum_not_met", {"未达到法定人数", "quorum NOT met"}},
      {"quorum_unchecked",
       {"未提供见证策略（--witness-policy），联署签名未按策略核验。", "No witness policy was given (--witness-policy); the co-signatures were not checked against one."}},
      {"verify_yourself", {"独立核验整个账本：", "To verify the whole ledger yourself:"}},
      {"grant", {"项目经费", "Grant"}},
      {"title", {"名称", "Title"}},
      {"funder", {"资助方", "Funder"}},
      {"source_kind", {"资金来源", "Source"}},
      {"grant_period", {"执行期", "Period"}},
      {"awarded", {"批准金额", "Awarded"}},
      {"received", {"到账", "Received"}},
      {"disbursed", {"已拨付", "Disbursed"}},
      {"spent", {"已支出", "Spent"}},
      {"refunded", {"已退回", "Refunded"}},
      {"available", {"结余", "Available"}},
      {"figures_note",
       {"以上为截至树头的累计数（fundtrail view grants）。", "Totals as of the head (fundtrail view grants)."}},
      {"budget_vs_actual", {"预算与实际支出（按科目）", "Budget against actual, by category"}},
      {"budget_note",
       {"预算为批准数加已批准的调整；实际支出为报告范围和期间内的支出（fundtrail view spending --by category），供应商退款单列。",
        "Budget as awarded plus approved adjustments; actual is spending in the report's scope and period (fundtrail view spending --by category), vendor refunds shown apart."}},
      {"category", {"科目", "Category"}},
      {"budget", {"预算", "Budget"}},
      {"actual", {"实际支出", "Actual"}},
      {"used", {"执行率", "Used"}},
      {"over_budget", {"超预算", "over budget"}},
      {"payments", {"笔数", "Payments"}},
      {"spending_by_month", {"按月支出", "Spending by month"}},
      {"month_note",
       {"按付款日期归月，扣除供应商退款，不含已冲销事件（fundtrail view spending --by month）。",
        "By payment month, less vendor refunds, reversed events left out (fundtrail view spending --by month)."}},
      {"month", {"月份", "Month"}},
      {"expenditures", {"支出", "Expenditures"}},
      {"vendor_refunds", {"供应商退款", "Vendor refunds"}},
      {"total", {"合计", "Total"}},
      {"no_spending", {"报告期间内没有支出。", "No spending in the report's period."}},
      {"per_member", {"各成员单位拨付、支出与结余", "Disbursed, spent and unspent per member"}},
      {"member_note",
       {"拨付、支出、退回与结余为截至树头的累计数（fundtrail view members）；“期间支出”为报告期间内的支出（fundtrail view spending --by member）。",
        "Disbursed, spent, refunded and unspent are totals as of the head (fundtrail view members); \"spent in period\" is spending in the report's period (fundtrail view spending --by member)."}},
      {"member", {"成员单位", "Member"}},
      {"unspent", {"结余", "Unspent"}},
      {"spent_in_period", {"期间支出", "Spent in period"}},
      {"no_members", {"没有成员单位收到该项目经费。", "No member received money of this grant."}},
      {"flags", {"风险提示", "Flags"}},
      {"flags_intro",
       {"风险提示由账本规则自动计算（docs/RULES.md），是供审计人员复核的线索，而非结论。以下列出涉及报告范围的全部提示，按树头签名日评估。",
        "Flags are computed by the ledger's rules (docs/RULES.md): indicators for an auditor to review, not findings. Every flag touching the report's scope is listed, evaluated at the date of the signed head."}},
      {"no_flags", {"报告范围内没有风险提示。", "No flag touches the report's scope."}},
      {"flag", {"提示", "Flag"}},
      {"rule", {"规则", "Rule"}},
      {"severity", {"严重程度", "Severity"}},
      {"status", {"复核状态", "Review"}},
      {"subject", {"对象", "Subject"}},
      {"detects", {"规则说明", "What the rule detects"}},
      {"explanation", {"计算依据", "Explanation"}},
      {"evidence", {"证据", "Evidence"}},
      {"sequence", {"序号", "Seq."}},
      {"hash", {"链哈希", "Chain hash"}},
      {"count", {"数量", "Count"}},
      {"dispositions", {"审计处理意见", "Auditors' dispositions"}},
      {"dispositions_intro",
       {"审计人员对风险提示的处理意见本身也是账本中的签名事件。", "Auditors' dispositions are signed events of the ledger themselves."}},
      {"no_dispositions", {"报告范围内尚无处理意见。", "No disposition has been recorded in the report's scope."}},
      {"disposition", {"处理意见", "Disposition"}},
      {"note", {"说明", "Note"}},
      {"appendix", {"附录：证据清单", "Appendix: evidence"}},
      {"appendix_intro",
       {"下列每个事件均已与其风险提示所引用的链哈希核对。任何人都可以离线证明某一事件包含在上述签名树头中：",
        "Each event below was checked against the chain hash its flag cites. Anyone can prove offline that an event is in the signed head above:"}},
      {"type", {"事件类型", "Event type"}},
      {"appended_at", {"记账时间", "Appended"}},
      {"author", {"提交单位", "Author"}},
      {"cited_by", {"引用", "Cited by"}},
      {"no_evidence", {"没有需要列出的证据。", "No evidence to list."}},
      {"footer",
       {"本报告由 fundtrail 根据签名树头生成；相同账本、树头与范围生成的 HTML 逐字节相同。",
        "Made by fundtrail from a signed tree head; the same ledger, head and scope give byte-identical HTML."}},
  };
  return table;
}

}  // namespace

nlohmann::ordered_json Captions(Language language) {
  nlohmann::ordered_json captions = nlohmann::ordered_json::object();
  for (const auto& [key, text] : CaptionTable()) {
    captions[key] = language == Language::kChinese ? text.first : text.second;
  }
  return captions;
}

std::string CategoryLabel(Language language, const std::string& category) {
  return Pick(language, CategoryTable(), category);
}

std::string RuleTitle(Language language, const std::string& rule) {
  auto found = RuleTable().find(rule);
  FT_ASSERT(found != RuleTable().end(), "a rule has no report label");
  return language == Language::kChinese ? found->second.title.first : found->second.title.second;
}

std::string RuleDetects(Language language, const std::string& rule) {
  auto found = RuleTable().find(rule);
  FT_ASSERT(found != RuleTable().end(), "a rule has no report label");
  return language == Language::kChinese ? found->second.detects.first : found->second.detects.second;
}

std::string SeverityLabel(Language language, const std::string& severity) {
  return Pick(language, SeverityTable(), severity);
}

std::string StatusLabel(Language language, const std::string& status) {
  return Pick(language, StatusTable(), status);
}

}  // namespace fundtrail::report
