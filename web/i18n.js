// The dashboard's one table of labels, zh-CN (the default) and English. Every text the page shows
// comes from here; a missing key shows as the key itself, and i18n-test.js (run by the browser
// tests) checks that both languages have the same keys.

export const LABELS = {
  'zh-CN': {
    'app.title': '联盟经费监督',
    'nav.overview': '概览', 'nav.flags': '预警', 'nav.verify': '验证', 'nav.signout': '退出',
    'lang.switch': 'English',
    'signin.title': '用密钥登录',
    'signin.how': '选择您在账本中登记的 Ed25519 私钥文件（fundtrail keygen 生成的 PEM）。私钥只在本浏览器中读取和使用，不会发送到服务器；页面只发送对服务器挑战的签名。',
    'signin.verify_link': '无需登录：检查服务器的树头是否与您上次看到的一致',
    'signin.file': '密钥文件', 'signin.button': '登录',
    'signin.working': '正在签名服务器的挑战……',
    'signin.no_file': '请先选择密钥文件。',
    'signin.not_pem': '此文件不是 PEM 格式的私钥（应以 “-----BEGIN PRIVATE KEY-----” 开头）。请选择 fundtrail keygen 写出的私钥文件，而不是 .pub 公钥文件。',
    'signin.not_ed25519': '此文件不是 Ed25519 私钥，浏览器无法导入。请选择 fundtrail keygen 写出的密钥文件。',
    'signin.no_webcrypto': '此浏览器不支持 WebCrypto Ed25519，或页面不在安全上下文中（远程使用需要 HTTPS）。',
    'signin.refused': '服务器拒绝了此密钥：{message}',
    'signin.as': '已登录：{key}（{roles}）{org}',
    'trust.title': '本页能证明什么，不能证明什么',
    'trust.can': '本页显示的数字由运行账本的服务器计算并发送。页面代码也来自该服务器：它可以检查服务器签名的树头是否与您上次看到的一致（只增不改），但不能独立证明服务器没有隐瞒或篡改数据。',
    'trust.cannot': '不信任运营方的核查：下载账本包，用离线验证程序 fundtrail-verify 对照您保存的树头或运营方公钥重放全部事件。',
    'footer.proof': '本页数字来自服务器；独立核查请使用 fundtrail-verify。',
    'common.loading': '正在加载……', 'common.error': '出错：{message}',
    'common.filter': '筛选', 'common.export_csv': '导出 CSV', 'common.export_xlsx': '导出 XLSX', 'common.rows': '{shown} / {total} 行',
    'common.none': '无', 'common.more': '加载更多', 'common.print': '打印',
    'common.as_of_seq': '截至序号', 'common.as_of_date': '截至日期', 'common.apply': '应用',
    'overview.title': '概览', 'overview.grants': '经费：预算与实际', 'overview.flags': '预警（按严重程度）',
    'overview.verification': '验证状态', 'overview.chart': '各项经费：批准、到账与支出',
    'overview.article8': '第八条核对表（联盟组建条件）',
    'event.grant_awarded': '经费批准', 'event.funds_received': '经费到账', 'event.funds_disbursed': '经费拨付',
    'event.expenditure_recorded': '支出', 'event.refund_recorded': '退款', 'event.reversal': '冲正',
    'event.budget_adjusted': '预算调整', 'event.grant_terminated': '经费终止',
    'nav.outcomes': '成果',
    'outcomes.title': '成果与收益', 'outcomes.owners': '权属', 'outcomes.licences': '许可', 'outcomes.shared': '对外共享',
    'outcomes.revenue': '收益合计', 'outcomes.paid': '已分配收益', 'outcomes.share': '权属份额',
    'outcomes.licensee': '被许可方', 'outcomes.exclusive': '独占',
    'outcome.patent': '专利', 'outcome.standard': '标准', 'outcome.software': '软件', 'outcome.paper': '论文', 'outcome.other': '其他',
    'grant.title': '经费', 'grant.budget_chart': '预算与实际（按科目）', 'grant.budget': '预算科目',
    'grant.members': '各成员：拨付与支出', 'grant.history': '历史（含余额）',
    'member.title': '成员', 'member.grants': '各项经费', 'member.flags': '涉及该成员的预警',
    'member.membership': '成员资格',
    'flags.title': '预警', 'flags.explanation': '说明', 'flags.evidence': '证据事件',
    'flags.all': '全部',
    'verify.title': '验证', 'verify.head': '当前树头', 'verify.last_seen': '您上次看到的树头',
    'verify.first_time': '这是本浏览器第一次看到此账本的树头；已保存，下次将检查账本只增不改。',
    'verify.same': '与上次看到的树头一致。',
    'verify.grew': '账本自上次以来增长了 {count} 个事件；一致性证明已在浏览器中验证：历史未被改写。',
    'verify.split': '警告：树头大小相同但根哈希不同，或一致性证明不成立。服务器给出了两种不同的历史，请保存两个树头并报告监管方。',
    'verify.shrank': '警告：账本比您上次看到的更短（{old} → {new}）。历史被截断，请报告监管方。',
    'verify.no_proof': '无法取得一致性证明：{message}',
    'verify.offline': '不信任运营方的核查：导出账本包并在您自己的计算机上离线验证：',
    'field.grant_id': '经费编号', 'field.title': '名称', 'field.funder': '资助方', 'field.source_kind': '来源',
    'field.awarded': '批准', 'field.received': '到账', 'field.disbursed': '拨付', 'field.spent': '支出',
    'field.refunded': '退回', 'field.available': '可用', 'field.utilisation': '执行率', 'field.period': '期限',
    'field.category': '科目', 'field.budget': '预算', 'field.remaining': '剩余', 'field.unspent': '未用',
    'field.org_id': '统一社会信用代码', 'field.name': '名称', 'field.kind': '类型', 'field.status': '状态',
    'field.admitted': '加入日期', 'field.withdrawn': '退出日期', 'field.sequence': '序号', 'field.type': '事件',
    'field.date': '日期', 'field.amount': '金额', 'field.summary': '摘要', 'field.balance': '余额',
    'field.hash': '哈希', 'field.rule': '规则', 'field.severity': '严重程度', 'field.subject': '对象',
    'field.review': '复核', 'field.id': '编号', 'field.count': '数量', 'field.tree_size': '事件数',
    'field.root': 'Merkle 根', 'field.time': '时间', 'field.member': '成员', 'field.ledger_id': '账本编号',
    'field.chain_head': '链头',
    'severity.critical': '严重', 'severity.high': '高', 'severity.medium': '中', 'severity.low': '低',
    'review.open': '待复核', 'review.confirmed': '已确认', 'review.false_positive': '误报', 'review.remediated': '已整改',
    'kind.enterprise': '企业', 'kind.university': '高校', 'kind.research_institute': '科研院所', 'kind.other': '其他',
    'status.active': '在盟', 'status.withdrawn': '已退出', 'status.expelled': '已除名', 'status.admitted': '在盟',
    'source.central_government': '中央财政', 'source.local_government': '地方财政', 'source.enterprise': '企业',
    'source.loan': '贷款', 'source.guarantee': '担保', 'source.other': '其他',
    'category.equipment': '设备费', 'category.materials': '材料费', 'category.testing': '测试化验加工费',
    'category.fuel_power': '燃料动力费', 'category.travel_conference_international': '差旅/会议/国际合作交流费',
    'category.publication_ip': '出版/文献/信息传播/知识产权事务费', 'category.labour': '劳务费',
    'category.expert_consultation': '专家咨询费', 'category.other_direct': '其他支出', 'category.indirect': '间接费用',
    'category.vendor_refund': '供应商退款',
  },
  'en': {
    'app.title': 'Alliance funds oversight',
    'nav.overview': 'Overview', 'nav.flags': 'Flags', 'nav.verify': 'Verification', 'nav.signout': 'Sign out',
    'lang.switch': '中文',
    'signin.title': 'Sign in with your key',
    'signin.how': 'Choose the Ed25519 private key file registered for you in the ledger (the PEM that fundtrail keygen wrote). The key is read and used in this browser only and never sent to the server; the page sends only its signature of the server\'s challenge.',
    'signin.verify_link': 'Without signing in: check that the server\'s tree head extends the one you saw last',
    'signin.file': 'Key file', 'signin.button': 'Sign in',
    'signin.working': 'Signing the server\'s challenge…',
    'signin.no_file': 'Choose a key file first.',
    'signin.not_pem': 'This file is not a PEM private key (it should start with "-----BEGIN PRIVATE KEY-----"). Choose the private key file fundtrail keygen wrote, not the .pub file.',
    'signin.not_ed25519': 'This file is not an Ed25519 private key; the browser cannot import it. Choose a key file written by fundtrail keygen.',
    'signin.no_webcrypto': 'This browser has no WebCrypto Ed25519, or the page is not in a secure context (remote use needs HTTPS).',
    'signin.refused': 'The server refused this key: {message}',
    'signin.as': 'Signed in: {key} ({roles}) {org}',
    'trust.title': 'What this page can and cannot prove',
    'trust.can': 'The figures on this page are computed and sent by the server that runs the ledger. The page\'s code comes from that server too: it can check that the server\'s signed tree head extends the one you saw last (the log only grew), but it cannot prove on its own that the server hid or changed nothing.',
    'trust.cannot': 'The check that does not trust the operator: download the bundle and replay every event with the offline verifier fundtrail-verify against a head you saved or the operator\'s public key.',
    'footer.proof': 'Figures come from the server; check them independently with fundtrail-verify.',
    'common.loading': 'Loading…', 'common.error': 'Error: {message}',
    'common.filter': 'Filter', 'common.export_csv': 'Export CSV', 'common.export_xlsx': 'Export XLSX', 'common.rows': '{shown} of {total} rows',
    'common.none': 'none', 'common.more': 'Load more', 'common.print': 'Print',
    'common.as_of_seq': 'As of sequence', 'common.as_of_date': 'As of date', 'common.apply': 'Apply',
    'overview.title': 'Overview', 'overview.grants': 'Grants: budget against actual',
    'overview.flags': 'Flags by severity', 'overview.verification': 'Verification status',
    'overview.chart': 'Grants: awarded, received and spent',
    'overview.article8': 'Article 8 checklist (conditions of an alliance)',
    'event.grant_awarded': 'grant awarded', 'event.funds_received': 'funds received', 'event.funds_disbursed': 'funds disbursed',
    'event.expenditure_recorded': 'expenditure', 'event.refund_recorded': 'refund', 'event.reversal': 'reversal',
    'event.budget_adjusted': 'budget adjusted', 'event.grant_terminated': 'grant terminated',
    'nav.outcomes': 'Outcomes',
    'outcomes.title': 'Outcomes and revenue', 'outcomes.owners': 'Owners', 'outcomes.licences': 'Licences',
    'outcomes.shared': 'Shared outside', 'outcomes.revenue': 'Revenue', 'outcomes.paid': 'Revenue paid',
    'outcomes.share': 'Ownership share', 'outcomes.licensee': 'Licensee', 'outcomes.exclusive': 'Exclusive',
    'outcome.patent': 'patent', 'outcome.standard': 'standard', 'outcome.software': 'software', 'outcome.paper': 'paper', 'outcome.other': 'other',
    'grant.title': 'Grant', 'grant.budget_chart': 'Budget against actual by category', 'grant.budget': 'Budget lines',
    'grant.members': 'Disbursed and spent per member', 'grant.history': 'History with running balances',
    'member.title': 'Member', 'member.grants': 'Grants', 'member.flags': 'Flags touching this member',
    'member.membership': 'Membership',
    'flags.title': 'Flags', 'flags.explanation': 'Explanation', 'flags.evidence': 'Evidence events',
    'flags.all': 'all',
    'verify.title': 'Verification', 'verify.head': 'Current tree head', 'verify.last_seen': 'The head you saw last',
    'verify.first_time': 'This browser sees this ledger\'s head for the first time; it is saved, and next time the page checks that the log only grew.',
    'verify.same': 'The same head as you saw last.',
    'verify.grew': 'The log grew by {count} events since; the consistency proof verified in this browser: history was not rewritten.',
    'verify.split': 'Warning: a head of the same size with another root, or a consistency proof that fails. The server has shown two different histories; keep both heads and report to the regulator.',
    'verify.shrank': 'Warning: the log is shorter than you saw last ({old} → {new}). History was truncated; report to the regulator.',
    'verify.no_proof': 'No consistency proof: {message}',
    'verify.offline': 'The check that does not trust the operator: export a bundle and verify it offline on your own computer:',
    'field.grant_id': 'Grant', 'field.title': 'Title', 'field.funder': 'Funder', 'field.source_kind': 'Source',
    'field.awarded': 'Awarded', 'field.received': 'Received', 'field.disbursed': 'Disbursed', 'field.spent': 'Spent',
    'field.refunded': 'Refunded', 'field.available': 'Available', 'field.utilisation': 'Utilisation',
    'field.period': 'Period', 'field.category': 'Category', 'field.budget': 'Budget', 'field.remaining': 'Remaining',
    'field.unspent': 'Unspent', 'field.org_id': 'Credit code', 'field.name': 'Name', 'field.kind': 'Kind',
    'field.status': 'Status', 'field.admitted': 'Admitted', 'field.withdrawn': 'Withdrawn',
    'field.sequence': 'Seq', 'field.type': 'Event', 'field.date': 'Date', 'field.amount': 'Amount',
    'field.summary': 'Summary', 'field.balance': 'Balance', 'field.hash': 'Hash', 'field.rule': 'Rule',
    'field.severity': 'Severity', 'field.subject': 'Subject', 'field.review': 'Review', 'field.id': 'Id',
    'field.count': 'Count', 'field.tree_size': 'Events', 'field.root': 'Merkle root', 'field.time': 'Time',
    'field.member': 'Member', 'field.ledger_id': 'Ledger id', 'field.chain_head': 'Chain head',
    'severity.critical': 'critical', 'severity.high': 'high', 'severity.medium': 'medium', 'severity.low': 'low',
    'review.open': 'open', 'review.confirmed': 'confirmed', 'review.false_positive': 'false positive',
    'review.remediated': 'remediated',
    'kind.enterprise': 'enterprise', 'kind.university': 'university', 'kind.research_institute': 'research institute',
    'kind.other': 'other',
    'status.active': 'active', 'status.withdrawn': 'withdrawn', 'status.expelled': 'expelled', 'status.admitted': 'active',
    'source.central_government': 'central government', 'source.local_government': 'local government',
    'source.enterprise': 'enterprise', 'source.loan': 'loan', 'source.guarantee': 'guarantee', 'source.other': 'other',
    'category.equipment': 'equipment', 'category.materials': 'materials', 'category.testing': 'testing',
    'category.fuel_power': 'fuel and power', 'category.travel_conference_international': 'travel, conferences, international',
    'category.publication_ip': 'publication and IP', 'category.labour': 'labour',
    'category.expert_consultation': 'expert consultation', 'category.other_direct': 'other direct',
    'category.indirect': 'indirect', 'category.vendor_refund': 'vendor refund',
  },
};

const STORAGE_KEY = 'fundtrail.lang';
let language = (() => {
  try { return localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'zh-CN'; } catch { return 'zh-CN'; }
})();

export function currentLanguage() { return language; }

export function setLanguage(next) {
  language = next === 'en' ? 'en' : 'zh-CN';
  try { localStorage.setItem(STORAGE_KEY, language); } catch { /* private mode: not remembered */ }
  document.documentElement.lang = language;
}

// The label `key` in the current language, with {name} replaced from `values`.
export function t(key, values = {}) {
  const text = LABELS[language][key] ?? LABELS['zh-CN'][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

// A code (a category, a severity, ...) as a label, or the code itself when there is none.
export function term(prefix, code) {
  const key = `${prefix}.${code}`;
  return key in LABELS[language] ? LABELS[language][key] : String(code ?? '');
}

// Fills every element with data-i18n="key" in `root`.
export function translateStatic(root = document) {
  for (const element of root.querySelectorAll('[data-i18n]')) element.textContent = t(element.dataset.i18n);
}
