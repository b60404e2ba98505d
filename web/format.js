// Amounts, dates and ids as the page shows them. Money never passes through a floating-point
// number: an amount is a decimal string ("-16788.49 CNY", as the ledger prints it) or an integer
// count of minor units, and is formatted by inserting separators into its digits.

import { currentLanguage } from './i18n.js';

// Minor digits per currency (ISO 4217); the ledger's own table, for the currencies it knows.
const MINOR_DIGITS = { CNY: 2, USD: 2, EUR: 2, HKD: 2, JPY: 0 };

// "1234567" -> "1,234,567".
export function groupDigits(digits) {
  let out = '';
  for (let i = 0; i < digits.length; ++i) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ',';
    out += digits[i];
  }
  return out;
}

// Parses "-16788.49 CNY" (or "16788.49") into {negative, whole, fraction, currency}; null if it
// is not an amount.
export function parseAmount(text) {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:\s+([A-Z]{3}))?$/.exec(String(text ?? '').trim());
  if (!match) return null;
  return { negative: match[1] === '-', whole: match[2], fraction: match[3] ?? '', currency: match[4] ?? '' };
}

// An integer count of minor units (a string, a BigInt or a safe integer) as a decimal amount:
// formatMinor("-1678849", "CNY") -> "-16,788.49 CNY".
export function formatMinor(minor, currency) {
  const digitsAfter = MINOR_DIGITS[currency] ?? 2;
  let text = BigInt(minor).toString();
  const negative = text.startsWith('-');
  if (negative) text = text.slice(1);
  text = text.padStart(digitsAfter + 1, '0');
  const whole = text.slice(0, text.length - digitsAfter);
  const fraction = text.slice(text.length - digitsAfter);
  return formatParts({ negative, whole, fraction, currency });
}

function formatParts({ negative, whole, fraction, currency }) {
  const number = (negative ? '-' : '') + groupDigits(whole.replace(/^0+(?=\d)/, '')) + (fraction ? '.' + fraction : '');
  return currency ? `${number} ${currency}` : number;
}

// "5000000.00 CNY" -> "5,000,000.00 CNY"; anything that is not an amount is returned unchanged.
export function formatAmount(text) {
  const parts = parseAmount(text);
  return parts ? formatParts(parts) : String(text ?? '');
}

// The amount as a BigInt of minor units (for sorting and sums); null if not an amount.
export function amountMinor(text) {
  const parts = parseAmount(text);
  if (!parts) return null;
  const digitsAfter = MINOR_DIGITS[parts.currency] ?? parts.fraction.length;
  const fraction = parts.fraction.padEnd(digitsAfter, '0');
  const value = BigInt(parts.whole + fraction);
  return parts.negative ? -value : value;
}

// Dates stay ISO 8601 (YYYY-MM-DD) in both languages; a ledger time keeps its seconds, in UTC.
export function formatDate(text) {
  if (!text) return '';
  const match = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}:\d{2}))?/.exec(String(text));
  if (!match) return String(text);
  return match[2] ? `${match[1]} ${match[2]} UTC` : match[1];
}

// A count with separators (sequence numbers, event counts).
export function formatCount(value) {
  const text = String(value ?? '');
  return /^\d+$/.test(text) ? groupDigits(text) : text;
}

// "name (id)" in Chinese and English alike; the English name when there is one and the page is
// in English.
export function nameWithId(entity, id) {
  if (!entity) return id ?? '';
  const name = currentLanguage() === 'en' && entity.name_en ? entity.name_en : entity.name;
  return name ? `${name} (${id})` : id;
}

// The first 12 hex digits of a hash, with the whole one as the element's title.
export function shortHash(hex) {
  return hex ? String(hex).slice(0, 12) + '…' : '';
}
