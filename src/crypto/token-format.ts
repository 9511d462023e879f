import { createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { Pepper } from '../config/secrets.ts';

/**
 * One format for every secret token Warden issues, modelled on GitHub's:
 *   wdn_<kind>_<30 base62 random chars><6 base62 chars of CRC32(prefix+random)>
 * The prefix lets secret scanners recognise a leaked Warden token; the checksum lets Warden (and
 * scanners) reject a mistyped or truncated token without a database read. Only an HMAC-SHA-256
 * of the whole token under a versioned server pepper is stored: the tokens carry ~178 bits of
 * entropy, so a slow password hash would add cost and no security.
 */
export const TOKEN_KINDS = {
  pat: 'pat',
  api_key: 'key',
  script_key: 'scr',
  agent_secret: 'agt',
  session: 'ses',
  invitation: 'inv',
  password_reset: 'pwr',
} as const;
export type TokenKind = keyof typeof TOKEN_KINDS;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_LENGTH = 30;
const CHECKSUM_LENGTH = 6;
const TOKEN_PATTERN = /^wdn_([a-z]{3})_([0-9A-Za-z]{36})$/;

function base62(bytes: Buffer, length: number): string {
  let out = '';
  // Rejection sampling keeps every character uniform (no modulo bias).
  let i = 0;
  while (out.length < length) {
    if (i >= bytes.length) {
      bytes = randomBytes(length * 2);
      i = 0;
    }
    const b = bytes[i++]!;
    if (b < 248) out += BASE62[b % 62];
  }
  return out;
}

function encodeChecksum(value: number): string {
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = BASE62[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

const checksumOf = (prefixAndRandom: string) => encodeChecksum(crc32(prefixAndRandom));

export interface IssuedToken {
  /** The full secret: shown to its owner once, never stored. */
  token: string;
  /** A short visible start for listings (`wdn_pat_AbCd`). */
  start: string;
}

export function generateToken(kind: TokenKind): IssuedToken {
  const prefix = `wdn_${TOKEN_KINDS[kind]}_`;
  const random = base62(randomBytes(RANDOM_LENGTH * 2), RANDOM_LENGTH);
  const token = prefix + random + checksumOf(prefix + random);
  return { token, start: token.slice(0, prefix.length + 4) };
}

/** Returns the token's kind when it is well formed with a valid checksum, else undefined. */
export function parseToken(token: string): TokenKind | undefined {
  const match = TOKEN_PATTERN.exec(token);
  if (!match) return undefined;
  const kind = (Object.keys(TOKEN_KINDS) as TokenKind[]).find((k) => TOKEN_KINDS[k] === match[1]);
  if (!kind) return undefined;
  const body = match[2]!;
  const prefix = `wdn_${match[1]}_`;
  const expected = checksumOf(prefix + body.slice(0, RANDOM_LENGTH));
  return body.slice(RANDOM_LENGTH) === expected ? kind : undefined;
}

export class TokenHasher {
  readonly #peppers: { version: number; key: KeyObject }[];
  constructor(peppers: Pepper[]) {
    if (peppers.length === 0) throw new Error('at least one token pepper is required');
    // KeyObjects once, not a new key per HMAC on every request.
    this.#peppers = peppers.map((p) => ({ version: p.version, key: createSecretKey(p.key) }));
  }
  get currentVersion(): number {
    return this.#peppers[0]!.version;
  }
  /** Hash under the newest pepper (for storing). */
  hash(token: string): { hash: Buffer; pepperVersion: number } {
    const pepper = this.#peppers[0]!;
    return { hash: hmac(pepper.key, token), pepperVersion: pepper.version };
  }
  /** Every candidate hash, newest pepper first (for lookups while peppers rotate). */
  candidates(token: string): Buffer[] {
    return this.#peppers.map((p) => hmac(p.key, token));
  }
}

const hmac = (key: KeyObject, token: string) => createHmac('sha256', key).update(token).digest();
