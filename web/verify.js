// What the browser itself checks of the server: that the signed tree head extends the last one
// this browser saw (RFC 9162 consistency proof, verified here with WebCrypto's SHA-256), kept in
// localStorage per ledger. A page served by the operator cannot prove that the operator hid
// nothing; fundtrail-verify, run elsewhere, can.

import { get } from './api.js';
import { t } from './i18n.js';
import { hex, unhex } from './auth.js';

const storageKey = (ledgerId) => `fundtrail.head.${ledgerId}`;

function readSaved(ledgerId) {
  try { return JSON.parse(localStorage.getItem(storageKey(ledgerId)) ?? 'null'); } catch { return null; }
}
function save(head) {
  try {
    localStorage.setItem(storageKey(head.ledger_id),
      JSON.stringify({ tree_size: head.tree_size, root_hash: head.root_hash, time: head.time }));
  } catch { /* not remembered */ }
}

async function sha256(...parts) {
  const size = parts.reduce((sum, part) => sum + part.length, 0);
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) { bytes.set(part, offset); offset += part.length; }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}
const nodeHash = (left, right) => sha256(Uint8Array.of(1), left, right);
const equal = (a, b) => a.length === b.length && a.every((byte, i) => byte === b[i]);

// RFC 9162, 2.1.4.2: verifies that the tree of `second` leaves with root `secondRoot` extends
// the tree of `first` leaves with root `firstRoot`. Hashes are Uint8Arrays.
export async function verifyConsistency(first, second, firstRoot, secondRoot, proof) {
  if (first > second) return false;
  if (first === second) return proof.length === 0 && equal(firstRoot, secondRoot);
  if (first === 0) return proof.length === 0;
  const path = (first & (first - 1)) === 0 && first < 2 ** 31 ? [firstRoot, ...proof] : proof;
  if (path.length === 0) return false;
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(fr, firstRoot) && equal(sr, secondRoot);
}

// canonical(TreeHead) of docs/FORMAT.md section 8, written out: the root pointer, the data
// section (treeSize, timestamp), three pointers to byte lists, then the ledger id (2 words), the
// root (4 words) and the chain hash (4 words). One segment, no segment table.
export function treeHeadBytes(head) {
  const ledgerId = unhex(head.ledger_id);
  const root = unhex(head.root_hash);
  const chain = unhex(head.chain_hash);
  if (ledgerId.length !== 16 || root.length !== 32 || chain.length !== 32) return null;
  const bytes = new Uint8Array(16 * 8);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 0, true);                   // struct pointer, offset 0
  view.setUint16(4, 2, true);                   // 2 data words
  view.setUint16(6, 3, true);                   // 3 pointers
  view.setBigUint64(8, BigInt(head.tree_size), true);
  view.setBigInt64(16, BigInt(head.timestamp), true);
  const list = (word, target, size) => {        // a byte list pointer at `word` to `target`
    view.setUint32(word * 8, ((target - word - 1) << 2) | 1, true);
    view.setUint32(word * 8 + 4, (size << 3) | 2, true);
  };
  list(3, 6, 16);
  list(4, 8, 32);
  list(5, 12, 32);
  bytes.set(ledgerId, 6 * 8);
  bytes.set(root, 8 * 8);
  bytes.set(chain, 12 * 8);
  return bytes;
}

// The operator's public key from what a user pastes: 64 hex digits, or the PEM of
// operator.pem.pub (an SPKI whose last 32 bytes are the key).
export function parsePublicKey(text) {
  const trimmed = String(text ?? '').trim();
  if (/^[0-9a-f]{64}$/i.test(trimmed)) return unhex(trimmed.toLowerCase());
  const match = /-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\s]+)-----END PUBLIC KEY-----/.exec(trimmed);
  if (!match) return null;
  const der = Uint8Array.from(atob(match[1].replace(/\s+/g, '')), (c) => c.charCodeAt(0));
  return der.length === 44 ? der.slice(12) : null;
}

// Checks the head's Ed25519 signature with the operator key the user holds: 'valid', 'invalid'
// (also a key id that is not this key's), or 'unsigned'.
export async function checkHeadSignature(head, publicKey) {
  if (!head.signature || !head.key_id) return 'unsigned';
  const domain = new TextEncoder().encode('FTKEYID1');
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array([...domain, ...publicKey])));
  if (hex(digest.slice(0, 16)) !== head.key_id) return 'invalid';
  const body = treeHeadBytes(head);
  if (!body) return 'invalid';
  const message = new Uint8Array([...new TextEncoder().encode('FTHEAD01'), ...body]);
  const key = await crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
  return (await crypto.subtle.verify({ name: 'Ed25519' }, key, unhex(head.signature), message)) ? 'valid' : 'invalid';
}

const operatorKey = (ledgerId) => `fundtrail.operator.${ledgerId}`;
export function savedOperatorKey(ledgerId) {
  try { return localStorage.getItem(operatorKey(ledgerId)) ?? ''; } catch { return ''; }
}
export function saveOperatorKey(ledgerId, text) {
  try { localStorage.setItem(operatorKey(ledgerId), text); } catch { /* not remembered */ }
}

// Compares `head` with the last head this browser saw of its ledger: {ok, message, previous}.
// The new head is remembered only when it extends the old one.
export async function checkHead(head) {
  const previous = readSaved(head.ledger_id);
  if (!previous) {
    save(head);
    return { ok: true, message: t('verify.first_time'), previous: null };
  }
  if (head.tree_size < previous.tree_size) {
    return { ok: false, message: t('verify.shrank', { old: previous.tree_size, new: head.tree_size }), previous };
  }
  if (head.tree_size === previous.tree_size) {
    const same = head.root_hash === previous.root_hash;
    return { ok: same, message: same ? t('verify.same') : t('verify.split'), previous };
  }
  let answer;
  try {
    answer = await get('/v1/proofs/consistency', { from: previous.tree_size, to: head.tree_size });
  } catch (error) {
    return { ok: false, message: t('verify.no_proof', { message: error.message }), previous };
  }
  const hashes = (answer.hashes ?? []).map(unhex);
  const secondRoot = answer.new_root ?? head.root_hash;
  const ok = secondRoot === head.root_hash && await verifyConsistency(previous.tree_size, head.tree_size,
    unhex(previous.root_hash), unhex(head.root_hash), hashes);
  if (ok) save(head);
  return { ok, message: ok ? t('verify.grew', { count: head.tree_size - previous.tree_size }) : t('verify.split'), previous };
}

export { hex };
