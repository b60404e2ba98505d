// Sign-in with the user's registered Ed25519 key, in the browser. The key file is read locally
// (FileReader), imported with WebCrypto as a non-extractable key, and used to sign the server's
// challenge; the token that comes back is kept in memory only (a reload signs in again). The
// private key never leaves the browser: what is sent is the key id and one signature.

const KEY_ID_DOMAIN = 'FTKEYID1';  // ledger/crypto.h: KeyId = SHA-256("FTKEYID1" || public key)[0..16)

export class SignInError extends Error {
  constructor(code, message) { super(message ?? code); this.code = code; }
}

export function hex(bytes) {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
}

export function unhex(text) {
  if (!/^([0-9a-f]{2})*$/i.test(text)) throw new SignInError('bad_hex', `not hex: ${text}`);
  const bytes = new Uint8Array(text.length / 2);
  for (let i = 0; i < bytes.length; ++i) bytes[i] = parseInt(text.substr(2 * i, 2), 16);
  return bytes;
}

function base64urlDecode(text) {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  return Uint8Array.from(atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4)), (c) => c.charCodeAt(0));
}

// The DER bytes of a "PRIVATE KEY" PEM (PKCS#8, as fundtrail keygen writes it).
export function pemToDer(text) {
  const match = /-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\s]+)-----END PRIVATE KEY-----/.exec(text);
  if (!match) throw new SignInError('not_pem');
  try {
    return Uint8Array.from(atob(match[1].replace(/\s+/g, '')), (c) => c.charCodeAt(0));
  } catch {
    throw new SignInError('not_pem');
  }
}

// Imports the key file's text. Returns {signingKey (non-extractable), publicKey (32 bytes),
// keyId (hex)}. WebCrypto cannot derive the public key from a non-extractable private key, so
// the file is imported twice: once, extractable, only to read its public half (the JWK's "x"),
// and then as the non-extractable key that signs; the first handle is dropped at once.
export async function importKeyFile(text) {
  if (!globalThis.crypto?.subtle) throw new SignInError('no_webcrypto');
  const der = pemToDer(text);
  let publicKey;
  let signingKey;
  try {
    const readable = await crypto.subtle.importKey('pkcs8', der, { name: 'Ed25519' }, true, ['sign']);
    const jwk = await crypto.subtle.exportKey('jwk', readable);
    publicKey = base64urlDecode(jwk.x);
    signingKey = await crypto.subtle.importKey('pkcs8', der, { name: 'Ed25519' }, false, ['sign']);
  } catch (error) {
    if (error instanceof DOMException && error.name === 'NotSupportedError') throw new SignInError('no_webcrypto');
    throw new SignInError('not_ed25519');
  } finally {
    der.fill(0);
  }
  const domain = new TextEncoder().encode(KEY_ID_DOMAIN);
  const material = new Uint8Array(domain.length + publicKey.length);
  material.set(domain, 0);
  material.set(publicKey, domain.length);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', material));
  return { signingKey, publicKey, keyId: hex(digest.slice(0, 16)) };
}

export async function signBytes(signingKey, bytes) {
  return new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, signingKey, bytes));
}

export function readFileText(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(new SignInError('not_pem'));
    reader.readAsText(file);
  });
}
