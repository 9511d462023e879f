import { randomInt, timingSafeEqual } from 'node:crypto';
import type { TokenHasher } from '../crypto/token-format.ts';

/**
 * One-time codes (email/SMS) and recovery codes are stored only as HMACs under the server's token
 * pepper, with the tenant, user and purpose in the message: a stolen table cannot be brute-forced
 * offline without the pepper, and a hash from one user's row means nothing in another's.
 */
export const newOtp = (): string => String(randomInt(0, 1_000_000)).padStart(6, '0');

// Crockford's base32 (no i, l, o, u): codes read aloud or retyped from paper survive.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** A recovery code: 10 base32 characters (50 bits) shown as `xxxxx-xxxxx`. */
export function newRecoveryCode(): string {
  let out = '';
  for (let i = 0; i < 10; i++) out += ALPHABET[randomInt(0, 32)];
  return `${out.slice(0, 5)}-${out.slice(5)}`;
}

export function normalizeRecoveryCode(input: string): string | null {
  const s = input.toLowerCase().replace(/[\s-]/g, '').replace(/[il]/g, '1').replace(/o/g, '0');
  return /^[0-9a-hjkmnp-tv-z]{10}$/.test(s) ? s : null;
}

const message = (purpose: string, tenantId: string, userId: string, code: string) => `mfa:${purpose}:${tenantId}:${userId}:${code}`;

export const hashCode = (tokens: TokenHasher, purpose: string, tenantId: string, userId: string, code: string): Buffer =>
  tokens.hash(message(purpose, tenantId, userId, code)).hash;

/** Every hash the code may be stored under while peppers rotate (newest first). */
export const codeCandidates = (tokens: TokenHasher, purpose: string, tenantId: string, userId: string, code: string): Buffer[] =>
  tokens.candidates(message(purpose, tenantId, userId, code));

export function matchingHash(stored: Buffer, candidates: Buffer[]): Buffer | undefined {
  return candidates.find((c) => c.length === stored.length && timingSafeEqual(c, stored));
}

/** `j•••@acme.test`, `+44 •••• ••12`: enough for the user to recognise, not to harvest. */
export function maskEmail(email: string): string {
  const [local, domain] = email.split('@');
  return `${(local ?? '').slice(0, 1)}•••@${domain ?? ''}`;
}

export function maskPhone(phone: string): string {
  return `${phone.slice(0, 3)}•••••${phone.slice(-2)}`;
}

/** E.164: +, country code, up to 15 digits. Spaces, dots, dashes and brackets are dropped. */
export function normalizePhone(input: string): string | null {
  const s = input.replace(/[\s().-]/g, '');
  return /^\+[1-9]\d{6,14}$/.test(s) ? s : null;
}
