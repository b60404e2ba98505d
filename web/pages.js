// The dashboard's pages. Each takes the page's parameters and returns an element; all figures
// come from the read API (api.js) as the ledger prints them, formatted by format.js.

import { get } from './api.js';
import { h, section, figures } from './dom.js';
import { t, term, currentLanguage } from './i18n.js';
import { formatAmount, formatMinor, formatDate, formatCount, shortHash, amountMinor } from './format.js';
import { dataTable } from './table.js';
import { barChart } from './charts.js';
import { checkHead, checkHeadSignature, parsePublicKey, savedOperatorKey, saveOperatorKey } from './verify.js';

// The language the server writes flag explanations in (docs/API.md, /v1/flags?lang=).
function flagLanguage() { return currentLanguage() === 'en' ? 'en' : 'zh'; }

// The rows of an answer: the answer itself when it is an array, else its first array field named
// in `keys`.
export function rowsOf(answer, ...keys) {
  if (Array.isArray(answer)) return answer;
  for (const key of keys) if (Array.isArray(answer?.[key])) return answer[key];
  return [];
}

// Names of organisations by id, from the members view (names beside ids everywhere).
async function organisationNames(asOf) {
  const names = new Map();
  try {
    for (const member of rowsOf(await get('/v1/views/members', asOf), 'members', 'rows')) {
      names.set(member.org_id, { name: member.name, name_en: member.name_en });
    }
  } catch { /* a key that may not read the members view still sees ids */ }
  return names;
}

function displayName(names, id, explicitName, explicitNameEn) {
  const entry = names.get(id) ?? { name: explicitName, name_en: explicitNameEn };
  const name = currentLanguage() === 'en' && entry?.name_en ? entry.name_en : entry?.name;
  return name ? `${name} (${id})` : (id ?? '');
}

const amountColumn = (key) => ({ key, label: t(`field.${key}`), kind: 'amount', cell: (row) => formatAmount(row[key]) });

function grantLink(id) { return h('a', { href: `#/grant/${encodeURIComponent(id)}` }, id); }
function memberLink(id, label) { return h('a', { href: `#/member/${encodeURIComponent(id)}` }, label ?? id); }

// ---- Overview -------------------------------------------------------------------------------

export async function overviewPage(asOf) {
  const [grantsAnswer, flagsAnswer, names, head] = await Promise.all([
    get('/v1/views/grants', asOf), get('/v1/flags', { ...asOf, lang: flagLanguage() }), organisationNames(asOf), get('/v1/head')]);
  const grants = rowsOf(grantsAnswer, 'grants', 'rows');
  const flags = rowsOf(flagsAnswer, 'flags', 'rows');
  let checklist = [];
  try { checklist = rowsOf(await get('/v1/views/alliance', asOf), 'checklist', 'rows'); } catch { checklist = []; }

  const grantTable = dataTable([
    { key: 'grant_id', label: t('field.grant_id'), cell: (row) => grantLink(row.grant_id) },
    { key: 'title', label: t('field.title') },
    { key: 'funder_org_id', label: t('field.funder'), value: (row) => displayName(names, row.funder_org_id, row.funder_org_name) },
    { key: 'source_kind', label: t('field.source_kind'), value: (row) => term('source', row.source_kind) },
    amountColumn('awarded'), amountColumn('received'), amountColumn('disbursed'), amountColumn('spent'),
    amountColumn('available'),
    { key: 'utilisation', label: t('field.utilisation'), kind: 'number', value: (row) => row.utilisation },
  ], grants, { id: 'grants', csvName: 'grants.csv' });

  const severities = ['critical', 'high', 'medium', 'low'];
  const bySeverity = severities.map((severity) => [term('severity', severity),
    formatCount(flags.filter((flag) => flag.severity === severity).length), `flags.${severity}`]);

  const checklistList = checklist.length ? h('ul', { class: 'checklist', 'data-test': 'checklist' },
    checklist.map((item) => h('li', { class: item.met ? 'met' : 'unmet' },
      h('strong', {}, `${item.article} ${item.met ? '✓' : '✗'}`), ' ', item.condition, ' — ', item.detail))) : null;

  const chart = barChart(grants.map((g) => g.grant_id), [
    { label: t('field.awarded'), values: grants.map((g) => g.awarded) },
    { label: t('field.received'), values: grants.map((g) => g.received) },
    { label: t('field.spent'), values: grants.map((g) => g.spent) },
  ], 'overview-chart');

  return h('div', {},
    h('h1', {}, t('overview.title')),
    h('div', { class: 'grid' },
      section(t('overview.flags'), figures(bySeverity, 'flag-counts'),
        h('p', {}, h('a', { href: '#/flags' }, t('nav.flags')))),
      section(t('overview.verification'), headFigures(head), h('p', {}, h('a', { href: '#/verify' }, t('nav.verify'))))),
    checklistList ? section(t('overview.article8'), checklistList) : null,
    section(t('overview.chart'), chart),
    section(t('overview.grants'), grantTable));
}

function headFigures(head) {
  return figures([
    [t('field.tree_size'), formatCount(head.tree_size), 'tree_size'],
    [t('field.root'), h('code', { title: head.root_hash }, shortHash(head.root_hash)), 'root'],
    [t('field.time'), formatDate(head.time), 'time'],
  ], 'head');
}

// ---- One grant -------------------------------------------------------------------------------

export async function grantPage(asOf, grantId) {
  const [grantsAnswer, membersAnswer, names] = await Promise.all([
    get('/v1/views/grants', asOf), get(`/v1/grants/${encodeURIComponent(grantId)}`, asOf).catch(() => ({})),
    organisationNames(asOf)]);
  const grant = rowsOf(grantsAnswer, 'grants', 'rows').find((row) => row.grant_id === grantId);
  if (!grant) return h('p', { class: 'message' }, t('common.error', { message: `no grant ${grantId}` }));
  const budget = grant.budget ?? [];

  const chart = barChart(budget.map((line) => term('category', line.category)), [
    { label: t('field.budget'), values: budget.map((line) => line.budget) },
    { label: t('field.spent'), values: budget.map((line) => line.spent) },
  ], 'budget-chart');

  const budgetTable = dataTable([
    { key: 'category', label: t('field.category'), value: (row) => term('category', row.category) },
    amountColumn('budget'), amountColumn('spent'), amountColumn('remaining'),
  ], budget, { id: 'budget', csvName: `${grantId}-budget.csv` });

  // Per member as the server filters it for this key (a member's key: its own row only).
  const perMember = rowsOf(membersAnswer, 'members').map((line) => ({ ...line, name: line.org_name }));
  const memberTable = dataTable([
    { key: 'org_id', label: t('field.member'), value: (row) => displayName(names, row.org_id, row.name, row.name_en),
      cell: (row) => memberLink(row.org_id, displayName(names, row.org_id, row.name, row.name_en)) },
    amountColumn('received'), amountColumn('spent'), amountColumn('refunded'), amountColumn('unspent'),
  ], perMember, { id: 'grant-members', csvName: `${grantId}-members.csv` });

  return h('div', {},
    h('h1', {}, `${t('grant.title')} ${grant.grant_id}`),
    h('p', { class: 'subtitle' }, grant.title),
    figures([
      [t('field.funder'), displayName(names, grant.funder_org_id, grant.funder_org_name), 'funder'],
      [t('field.source_kind'), term('source', grant.source_kind), 'source_kind'],
      [t('field.period'), `${formatDate(grant.period_start)} – ${formatDate(grant.period_end)}`, 'period'],
      [t('field.awarded'), formatAmount(grant.awarded), 'awarded'],
      [t('field.received'), formatAmount(grant.received), 'received'],
      [t('field.disbursed'), formatAmount(grant.disbursed), 'disbursed'],
      [t('field.spent'), formatAmount(grant.spent), 'spent'],
      [t('field.refunded'), formatAmount(grant.refunded), 'refunded'],
      [t('field.available'), formatAmount(grant.available), 'available'],
    ], 'grant-figures'),
    section(t('grant.budget_chart'), chart, budgetTable),
    section(t('grant.members'), memberTable),
    // A member's key may not read the grant's whole history (403): the page says so and shows the rest.
    section(t('grant.history'), await historyTable(`/v1/grants/${encodeURIComponent(grantId)}/history`, asOf, grantId)
      .catch((error) => h('p', { class: 'message', 'data-test': 'history-refused' }, t('common.error', { message: error.message })))));
}

// A history, one page at a time ("load more" asks the server for the next page).
async function historyTable(path, asOf, name) {
  const holder = h('div', { 'data-test': 'history' });
  const rows = [];
  let next = null;
  async function load() {
    const answer = await get(path, { ...asOf, limit: 100, cursor: next ?? undefined });
    rows.push(...rowsOf(answer, 'rows', 'history', 'events'));
    next = answer?.next ?? null;
    render();
  }
  function render() {
    const table = dataTable([
      { key: 'sequence', label: t('field.sequence'), kind: 'number' },
      { key: 'date', label: t('field.date'), kind: 'date', value: (row) => formatDate(row.event?.date ?? row.event?.payment_date ?? row.date) },
      { key: 'type', label: t('field.type'), value: (row) => term('event', row.type) },
      { key: 'subject', label: t('field.subject') },
      amountColumn('amount'), amountColumn('received'), amountColumn('disbursed'), amountColumn('spent'),
      amountColumn('available'),
      { key: 'hash', label: t('field.hash'), cell: (row) => h('code', { title: row.hash }, shortHash(row.hash)) },
    ], rows, { id: 'history-table', csvName: `${name}-history.csv` });
    holder.replaceChildren(table,
      next ? h('button', { type: 'button', class: 'more', onclick: () => load() }, t('common.more')) : null);
  }
  await load();
  return holder;
}

// ---- One member ------------------------------------------------------------------------------

export async function memberPage(asOf, orgId) {
  const [membersAnswer, flagsAnswer] = await Promise.all([
    get('/v1/views/members', asOf), get('/v1/flags', { ...asOf, subject: `org:${orgId}`, lang: flagLanguage() }).catch(() => [])]);
  const member = rowsOf(membersAnswer, 'members', 'rows').find((row) => row.org_id === orgId);
  if (!member) return h('p', { class: 'message' }, t('common.error', { message: `no member ${orgId}` }));
  const name = currentLanguage() === 'en' && member.name_en ? member.name_en : member.name;
  return h('div', {},
    h('h1', {}, `${t('member.title')} ${name}`),
    h('p', { class: 'subtitle' }, orgId),
    section(t('member.membership'), figures([
      [t('field.kind'), term('kind', member.kind), 'kind'],
      [t('field.status'), term('status', member.status), 'status'],
      [t('field.admitted'), formatDate(member.admitted) || '—', 'admitted'],
      [t('field.withdrawn'), formatDate(member.withdrawn) || '—', 'withdrawn'],
    ], 'membership')),
    section(t('member.grants'), dataTable([
      { key: 'grant_id', label: t('field.grant_id'), cell: (row) => grantLink(row.grant_id) },
      amountColumn('received'), amountColumn('spent'), amountColumn('refunded'), amountColumn('unspent'),
    ], member.grants ?? [], { id: 'member-grants', csvName: `${orgId}-grants.csv` })),
    section(t('member.flags'), flagTable(rowsOf(flagsAnswer, 'flags', 'rows'), `${orgId}-flags.csv`)));
}

// ---- Flags -----------------------------------------------------------------------------------

export async function flagsPage(asOf, filters = {}) {
  // The filters apply here, to the flags this key may read, so each choice is one page of the
  // route (#/flags?severity=high&grant=...) and the lists offer only values that occur.
  const all = rowsOf(await get('/v1/flags', { ...asOf, lang: flagLanguage() }), 'flags', 'rows');
  const touched = (kind) => [...new Set(all.flatMap((flag) => (flag.touches ?? [])
    .filter((touch) => touch.startsWith(kind + ':')).map((touch) => touch.slice(kind.length + 1))))].sort();
  const matches = (flag) =>
    (!filters.rule || flag.rule === filters.rule) &&
    (!filters.severity || flag.severity === filters.severity) &&
    (!filters.status || flag.review_status === filters.status) &&
    (!filters.grant || (flag.touches ?? []).includes(`grant:${filters.grant}`)) &&
    (!filters.member || (flag.touches ?? []).includes(`org:${filters.member}`));
  const flags = all.filter(matches);
  const select = (name, label, values, labeller) => h('label', {}, label, ' ',
    h('select', { 'data-filter': name, onchange: (event) => {
      const next = { ...filters, [name]: event.target.value };
      location.hash = '#/flags?' + new URLSearchParams(Object.entries(next).filter(([, v]) => v)).toString();
    } }, h('option', { value: '' }, t('flags.all')),
    values.map((value) => h('option', { value, selected: filters[name] === value }, labeller(value)))));
  return h('div', {},
    h('h1', {}, t('flags.title')),
    h('div', { class: 'filters no-print' },
      select('rule', t('field.rule'), [...new Set(all.map((flag) => flag.rule))].sort(), (v) => v),
      select('severity', t('field.severity'), ['critical', 'high', 'medium', 'low'], (v) => term('severity', v)),
      select('status', t('field.review'), ['open', 'confirmed', 'false_positive', 'remediated'], (v) => term('review', v)),
      select('grant', t('field.grant_id'), touched('grant'), (v) => v),
      select('member', t('field.member'), touched('org'), (v) => v)),
    section(t('flags.title'), flagTable(flags, 'flags.csv')),
    section(t('flags.explanation'), h('div', { class: 'flag-details' }, flags.map(flagDetail))));
}

function flagTable(flags, csvName) {
  return dataTable([
    // The hash holds the route, so the link to a flag's details scrolls instead of navigating.
    { key: 'id', label: t('field.id'), kind: 'code', cell: (row) => h('a', { href: '#', onclick: (event) => {
      event.preventDefault();
      document.getElementById(`flag-${row.id}`)?.scrollIntoView();
    } }, row.id) },
    { key: 'rule', label: t('field.rule'), kind: 'code' },
    { key: 'severity', label: t('field.severity'), kind: 'code', value: (row) => term('severity', row.severity) },
    { key: 'subject', label: t('field.subject') },
    { key: 'review_status', label: t('field.review'), kind: 'code', value: (row) => term('review', row.review_status) },
    { key: 'explanation', label: t('flags.explanation') },
  ], flags, { id: 'flags-table', csvName });
}

function flagDetail(flag) {
  return h('article', { class: `flag severity-${flag.severity}`, id: `flag-${flag.id}` },
    h('h3', {}, `${flag.id} · ${term('severity', flag.severity)} · ${term('review', flag.review_status)}`),
    h('p', {}, flag.explanation),
    h('p', {}, t('flags.evidence'), ': ',
      (flag.evidence ?? []).map((item) => h('span', { class: 'evidence' },
        `#${item.sequence} `, h('code', { title: item.chain_hash }, shortHash(item.chain_hash)), ' '))),
    (flag.touches ?? []).length ? h('p', { class: 'touches' }, (flag.touches ?? []).map((touch) => {
      const [kind, id] = touch.split(':');
      if (kind === 'grant') return [grantLink(id), ' '];
      if (kind === 'org') return [memberLink(id), ' '];
      return [touch, ' '];
    })) : null);
}

// ---- Outcomes and revenue -------------------------------------------------------------------

// Basis points as a percentage with two decimals, from the integer (2000 -> "20.00%").
export function basisPoints(value) {
  const text = String(Math.trunc(Number(value) || 0)).padStart(3, '0');
  return `${text.slice(0, -2)}.${text.slice(-2)}%`;
}

export async function outcomesPage(asOf) {
  const [answer, names] = await Promise.all([get('/v1/views/outcomes', asOf), organisationNames(asOf)]);
  const outcomes = rowsOf(answer, 'outcomes', 'rows');
  const name = (id, fallback) => (id ? displayName(names, id) : fallback ?? '');
  return h('div', {},
    h('h1', {}, t('outcomes.title')),
    section(t('outcomes.title'), dataTable([
      { key: 'outcome_id', label: t('field.id'), kind: 'code' },
      { key: 'kind', label: t('field.kind'), value: (row) => term('outcome', row.kind) },
      { key: 'title', label: t('field.title') },
      { key: 'grant_id', label: t('field.grant_id'), kind: 'code', cell: (row) => grantLink(row.grant_id) },
      { key: 'owners', label: t('outcomes.owners'),
        value: (row) => (row.owners ?? []).map((o) => `${name(o.org_id)} ${basisPoints(o.basis_points)}`).join('; ') },
      { key: 'licences', label: t('outcomes.licences'), kind: 'number', value: (row) => (row.licences ?? []).length },
      { key: 'sharing', label: t('outcomes.shared'), kind: 'number', value: (row) => (row.sharing ?? []).length },
      { key: 'revenue_total', label: t('outcomes.revenue'), kind: 'amount', cell: (row) => formatAmount(row.revenue_total) },
    ], outcomes, { id: 'outcomes', csvName: 'outcomes.csv' })),
    outcomes.map((outcome) => outcomeDetail(outcome, name)));
}

function outcomeDetail(outcome, name) {
  // Revenue paid per owner, summed exactly in minor units, beside the owner's share.
  const paid = new Map();
  let currency = 'CNY';
  for (const distribution of outcome.revenue ?? []) {
    currency = distribution.currency ?? currency;
    for (const payment of distribution.payments ?? []) {
      paid.set(payment.org_id, (paid.get(payment.org_id) ?? 0n) + BigInt(payment.amount));
    }
  }
  const ids = [...new Set([...(outcome.owners ?? []).map((o) => o.org_id), ...paid.keys()])];
  const share = (id) => (outcome.owners ?? []).find((o) => o.org_id === id)?.basis_points ?? 0;
  const rows = ids.map((id) => ({ org_id: id, share: basisPoints(share(id)), paid: formatMinor(paid.get(id) ?? 0n, currency) }));
  return section(`${outcome.outcome_id} · ${outcome.title}`,
    paid.size ? barChart(ids.map((id) => name(id)), [{ label: t('outcomes.paid'), values: ids.map((id) => paid.get(id) ?? 0n) }],
      `revenue-${outcome.outcome_id}`, currency) : null,
    dataTable([
      { key: 'org_id', label: t('field.member'), value: (row) => name(row.org_id) },
      { key: 'share', label: t('outcomes.share'), kind: 'number', value: (row) => row.share },
      { key: 'paid', label: t('outcomes.paid'), kind: 'amount', value: (row) => row.paid },
    ], rows, { id: `revenue-table-${outcome.outcome_id}`, csvName: `${outcome.outcome_id}-revenue.csv` }),
    (outcome.licences ?? []).length ? dataTable([
      { key: 'licence_id', label: t('field.id'), kind: 'code' },
      { key: 'date', label: t('field.date'), kind: 'date' },
      { key: 'licensee', label: t('outcomes.licensee'), value: (row) => name(row.licensee_org_id, row.licensee) },
      { key: 'exclusive', label: t('outcomes.exclusive'), value: (row) => (row.exclusive ? '✓' : '') },
    ], outcome.licences, { id: `licences-${outcome.outcome_id}`, csvName: `${outcome.outcome_id}-licences.csv` }) : null);
}

// The head's signature, checked with the operator key the user pasted (kept per ledger).
async function signatureCheck(head) {
  const input = h('textarea', { rows: '4', cols: '70', 'data-test': 'operator-key',
    placeholder: t('verify.key_placeholder') }, savedOperatorKey(head.ledger_id));
  const result = h('p', { 'data-test': 'signature' });
  async function run() {
    const key = parsePublicKey(input.value);
    if (!input.value.trim()) { result.textContent = t('verify.no_key'); result.className = 'status'; return; }
    if (!key) { result.textContent = t('verify.bad_key'); result.className = 'status bad'; return; }
    saveOperatorKey(head.ledger_id, input.value.trim());
    const outcome = await checkHeadSignature(head, key);
    result.textContent = t(`verify.signature_${outcome}`);
    result.className = `status ${outcome === 'valid' ? 'ok' : 'bad'}`;
  }
  await run();
  return h('div', {}, h('label', {}, t('verify.operator_key'), h('br'), input), ' ',
    h('button', { type: 'button', 'data-test': 'check-signature', onclick: () => run() }, t('verify.check')), result);
}

// ---- Verification ----------------------------------------------------------------------------

export async function verifyPage() {
  const head = await get('/v1/head');
  const check = await checkHead(head);
  return h('div', {},
    h('h1', {}, t('verify.title')),
    section(t('verify.head'), figures([
      [t('field.ledger_id'), h('code', {}, head.ledger_id), 'ledger_id'],
      [t('field.tree_size'), formatCount(head.tree_size), 'tree_size'],
      [t('field.root'), h('code', {}, head.root_hash), 'root'],
      [t('field.chain_head'), h('code', {}, head.chain_hash ?? ''), 'chain_hash'],
      [t('field.time'), formatDate(head.time), 'time'],
    ], 'head')),
    section(t('verify.signature'), await signatureCheck(head)),
    section(t('verify.last_seen'),
      check.previous ? figures([
        [t('field.tree_size'), formatCount(check.previous.tree_size), 'previous_tree_size'],
        [t('field.root'), h('code', {}, check.previous.root_hash), 'previous_root'],
      ], 'previous-head') : null,
      h('p', { class: `status ${check.ok ? 'ok' : 'bad'}`, 'data-test': 'consistency' }, check.message)),
    section(t('trust.title'), h('p', {}, t('trust.can')), h('p', {}, t('verify.offline')),
      h('pre', { class: 'command' },
        `fundtrail export --ledger L --head head.json --out alliance.bundle\nfundtrail-verify alliance.bundle --trusted-head head.json --operator-key operator.pem.pub`)));
}

export { amountMinor };
