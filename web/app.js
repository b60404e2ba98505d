// The dashboard's entry point: sign-in, the language switch, the as-of pickers and the routes
// (#/overview, #/grant/ID, #/member/ORG, #/flags?rule=..., #/outcomes, #/verify).

import { signIn, signOut, currentSession, ApiError } from './api.js';
import { SignInError, readFileText } from './auth.js';
import { t, setLanguage, currentLanguage, translateStatic, term } from './i18n.js';
import { h } from './dom.js';
import { overviewPage, grantPage, memberPage, flagsPage, outcomesPage, verifyPage } from './pages.js';

const main = document.getElementById('main');
const signin = document.getElementById('signin');
const message = document.getElementById('signin-message');

// As of a sequence number or a business date, for every page that reads views.
const asOf = { as_of_seq: '', as_of_date: '' };

function signInMessage(error) {
  if (error instanceof SignInError) {
    const key = `signin.${error.code}`;
    return t(key) !== key ? t(key, { message: error.message }) : error.message;
  }
  if (error instanceof ApiError) return t('signin.refused', { message: error.message });
  return t('common.error', { message: error.message ?? String(error) });
}

async function onSignIn() {
  const file = document.getElementById('key-file').files[0];
  if (!file) { message.textContent = t('signin.no_file'); return; }
  message.textContent = t('signin.working');
  message.className = 'message';
  try {
    await signIn(await readFileText(file));
  } catch (error) {
    message.textContent = signInMessage(error);
    message.className = 'message error';
    return;
  }
  message.textContent = '';
  if (!location.hash || location.hash === '#') location.hash = '#/overview';
  showSignedIn();
  await route();
}

function showSignedIn() {
  const session = currentSession();
  signin.hidden = Boolean(session);
  main.hidden = !session && !isPublicRoute(parseRoute().parts);
  document.getElementById('nav').hidden = !session;
  const who = document.getElementById('who');
  if (!session) { who.replaceChildren(); return; }
  const roles = (session.roles ?? []).join(', ');
  const org = [session.org_name, session.org].filter(Boolean).join(' ');
  who.replaceChildren(
    h('span', { 'data-test': 'who' }, t('signin.as', { key: session.key_id, roles, org })), ' ',
    h('button', { type: 'button', onclick: () => { signOut(); showSignedIn(); } }, t('nav.signout')));
}

function parseRoute() {
  const [path, query] = location.hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { parts, params: Object.fromEntries(new URLSearchParams(query ?? '')) };
}

function asOfBar() {
  const seq = h('input', { type: 'number', min: '1', value: asOf.as_of_seq, 'data-test': 'as-of-seq' });
  const date = h('input', { type: 'date', value: asOf.as_of_date, 'data-test': 'as-of-date' });
  return h('div', { class: 'as-of no-print' },
    h('label', {}, t('common.as_of_seq'), ' ', seq), ' ',
    h('label', {}, t('common.as_of_date'), ' ', date), ' ',
    h('button', { type: 'button', onclick: () => { asOf.as_of_seq = seq.value; asOf.as_of_date = date.value; route(); } },
      t('common.apply')), ' ',
    h('button', { type: 'button', onclick: () => window.print() }, t('common.print')));
}

let routing = 0;
// The verification page reads only the public head and proofs, so it needs no sign-in.
const isPublicRoute = (parts) => parts[0] === 'verify';

async function route() {
  const { parts, params } = parseRoute();
  main.hidden = !currentSession() && !isPublicRoute(parts);
  if (main.hidden) return;
  const ticket = ++routing;
  main.replaceChildren(h('p', { class: 'loading' }, t('common.loading')));
  const query = Object.fromEntries(Object.entries(asOf).filter(([, v]) => v));
  let page;
  try {
    switch (parts[0] ?? 'overview') {
      case 'grant': page = await grantPage(query, parts[1]); break;
      case 'member': page = await memberPage(query, parts[1]); break;
      case 'flags': page = await flagsPage(query, params); break;
      case 'outcomes': page = await outcomesPage(query); break;
      case 'verify': page = await verifyPage(); break;
      default: page = await overviewPage(query); break;
    }
  } catch (error) {
    page = h('p', { class: 'message error', 'data-test': 'page-error' }, t('common.error', { message: error.message }));
    if (error instanceof ApiError && error.status === 401) { signOut(); showSignedIn(); message.textContent = error.message; }
  }
  if (ticket !== routing) return;  // a later navigation won
  main.replaceChildren(currentSession() ? asOfBar() : '', page);
  main.dataset.page = parts[0] ?? 'overview';
  main.dataset.ready = String(ticket);
}

function applyLanguage() {
  document.getElementById('lang').textContent = t('lang.switch');
  document.title = t('app.title');
  translateStatic();
  showSignedIn();
}

document.getElementById('signin-button').addEventListener('click', onSignIn);
document.getElementById('lang').addEventListener('click', () => {
  setLanguage(currentLanguage() === 'en' ? 'zh-CN' : 'en');
  applyLanguage();
  route();
});
window.addEventListener('hashchange', route);
setLanguage(currentLanguage());
applyLanguage();
route();
document.body.dataset.loaded = 'true';

export { term };
