// The server's read API (docs/API.md) as the page uses it: sign-in, then JSON reads with the
// bearer token. The token lives in this module's memory only.

import { importKeyFile, signBytes, hex, SignInError } from './auth.js';

let session = null;  // {token, expires, key_id, roles, org}

export function currentSession() { return session; }
export function signOut() { session = null; }

export class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

async function send(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (session) headers.Authorization = `Bearer ${session.token}`;
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store', credentials: 'omit' });
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!response.ok) {
    const error = json?.error ?? json ?? {};
    throw new ApiError(response.status, error.code ?? String(response.status),
      error.message ?? `${method} ${path}: HTTP ${response.status}`);
  }
  return json;
}

// GET path?params (params with empty values are left out).
export function get(path, params = {}) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') query.set(name, String(value));
  }
  const text = query.toString();
  return send('GET', text ? `${path}?${text}` : path);
}

export function post(path, body) { return send('POST', path, body); }

// The bytes the key signs for the challenge (docs/FORMAT.md, "Sign-in"), built here from the
// parts rather than taken from the server's copy: the ledger id, the key id, the nonce.
export function challengeMessage(challenge, keyId) {
  const hexOnly = (text) => /^[0-9a-f]+$/.test(text ?? '');
  if (!hexOnly(challenge.ledger_id) || !hexOnly(challenge.nonce)) throw new SignInError('refused', 'a malformed challenge');
  return new TextEncoder().encode(
    `fundtrail-auth-v1\nledger ${challenge.ledger_id}\nkey ${keyId}\nnonce ${challenge.nonce}\n`);
}

// Signs in with the text of a key file; returns the session or throws SignInError/ApiError.
export async function signIn(keyFileText) {
  const key = await importKeyFile(keyFileText);
  const challenge = await post('/v1/auth/challenge', { key_id: key.keyId });
  const signature = await signBytes(key.signingKey, challengeMessage(challenge, key.keyId));
  const answer = await post('/v1/auth/token', { key_id: key.keyId, nonce: challenge.nonce, signature: hex(signature) });
  if (!answer?.token) throw new SignInError('refused', 'the server answered without a token');
  session = answer;
  return session;
}
