import { hkdfSync, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/log.ts';
import type { DB } from '../db/connect.ts';
import type { Notifier } from '../db/notify.ts';
import { aeadOpen, aeadSeal } from '../keys/aead.ts';

/**
 * The authorization server's token-signing keys. They are global (one issuer for every tenant),
 * so they cannot use a tenant's keyring; the private JWK is sealed with AES-256-GCM under a key
 * derived (HKDF) from the root key WARDEN_MASTER_KEY — the same root that wraps the platform
 * key-encryption keys — and bound to its row (table, column, kid) as associated data.
 *
 * Rotation: a key signs for ROTATE_DAYS, then the next generation is created by whichever server
 * needs to sign first (the unique generation settles races). Old keys stay published in the JWKS
 * until RETIRE_AFTER_DAYS, far beyond the 1-hour token lifetime.
 */
export const SIGNING_ALG = 'ES256';
const ROTATE_DAYS = 30;
const RETIRE_AFTER_DAYS = 31;
const SEAL_FORMAT = 'osk1';
const UNKNOWN_KID_TTL_MS = 5_000;

interface PublicKey {
  key: CryptoKey;
  retireAfter: Date;
}

export interface CurrentKey {
  kid: string;
  key: CryptoKey;
  rotateAfter: Date;
}

export function signingKeyWrapKey(rootKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', rootKey, Buffer.alloc(0), 'warden/oauth-signing-keys/v1', 32));
}

const aad = (kid: string) => Buffer.from(JSON.stringify(['oauth_signing_keys', 'private_key', kid]));

export class SigningKeys {
  readonly #db: DB;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #wrap: Buffer;
  #current: CurrentKey | undefined;
  #creating: Promise<CurrentKey> | undefined;
  #public = new Map<string, PublicKey>();
  #unknown = new Map<string, number>();

  constructor(deps: { db: DB; notifier: Notifier; clock: Clock; log: Logger; rootKey: Buffer }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#log = deps.log;
    this.#wrap = signingKeyWrapKey(deps.rootKey);
    deps.notifier.subscribe((payload) => {
      if (payload === '*' || payload === 'oauth-keys') this.#unknown.clear();
    });
  }

  /** The key that signs now, creating the first or next generation when due. */
  async current(): Promise<CurrentKey> {
    const now = this.#clock.now();
    if (this.#current && this.#current.rotateAfter > now) return this.#current;
    this.#creating ??= this.#loadOrCreate().finally(() => (this.#creating = undefined));
    this.#current = await this.#creating;
    return this.#current;
  }

  async #loadOrCreate(): Promise<CurrentKey> {
    const now = this.#clock.now();
    const newest = await this.#db.selectFrom('oauth_signing_keys').selectAll().orderBy('generation', 'desc').limit(1).executeTakeFirst();
    if (newest && new Date(newest.rotate_after) > now) return this.#unseal(newest.kid, newest.private_key, new Date(newest.rotate_after));
    const generation = (newest?.generation ?? 0) + 1;
    const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
    const kid = randomUUID();
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: SIGNING_ALG, use: 'sig' };
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: SIGNING_ALG };
    const sealed = `${SEAL_FORMAT}.${aeadSeal(this.#wrap, Buffer.from(JSON.stringify(privateJwk)), aad(kid)).toString('base64url')}`;
    const rotateAfter = new Date(now.getTime() + ROTATE_DAYS * 86_400_000);
    const inserted = await this.#db
      .insertInto('oauth_signing_keys')
      .values({
        kid,
        generation,
        alg: SIGNING_ALG,
        public_jwk: JSON.stringify(publicJwk),
        private_key: sealed,
        created_at: now,
        rotate_after: rotateAfter,
        retire_after: new Date(now.getTime() + RETIRE_AFTER_DAYS * 86_400_000),
      })
      .onConflict((oc) => oc.column('generation').doNothing())
      .returning('kid')
      .executeTakeFirst();
    if (!inserted) return this.#loadOrCreate(); // another server made this generation first
    this.#log.info('new OAuth signing key', { kid, generation });
    return { kid, key: privateKey as CryptoKey, rotateAfter };
  }

  async #unseal(kid: string, sealed: string, rotateAfter: Date): Promise<CurrentKey> {
    const [format, body] = sealed.split('.');
    const plain = format === SEAL_FORMAT && body ? aeadOpen(this.#wrap, Buffer.from(body, 'base64url'), aad(kid)) : undefined;
    if (!plain) throw new Error('OAuth signing key does not unseal: every server needs the same WARDEN_MASTER_KEY');
    const jwk = JSON.parse(plain.toString('utf8')) as JWK;
    plain.fill(0);
    return { kid, key: (await importJWK(jwk, SIGNING_ALG)) as CryptoKey, rotateAfter };
  }

  /** Public key for a token's `kid` (cached; unknown kids are remembered briefly so garbage cannot hammer the database). */
  async publicKey(kid: string): Promise<CryptoKey | undefined> {
    const hit = this.#public.get(kid);
    if (hit && hit.retireAfter > this.#clock.now()) return hit.key;
    const miss = this.#unknown.get(kid);
    if (miss && Date.now() - miss < UNKNOWN_KID_TTL_MS) return undefined;
    const row = await this.#db.selectFrom('oauth_signing_keys').select(['public_jwk', 'retire_after']).where('kid', '=', kid).executeTakeFirst();
    if (!row || new Date(row.retire_after) <= this.#clock.now()) {
      if (this.#unknown.size > 10_000) this.#unknown.clear();
      this.#unknown.set(kid, Date.now());
      return undefined;
    }
    const key = (await importJWK(row.public_jwk as JWK, SIGNING_ALG)) as CryptoKey;
    this.#public.set(kid, { key, retireAfter: new Date(row.retire_after) });
    return key;
  }

  /** RFC 7517 key set of every key not yet retired (published at the JWKS URL). */
  async jwks(): Promise<{ keys: Record<string, unknown>[] }> {
    await this.current();
    const rows = await this.#db.selectFrom('oauth_signing_keys').select(['public_jwk']).where('retire_after', '>', this.#clock.now()).orderBy('generation', 'desc').execute();
    return { keys: rows.map((r) => r.public_jwk) };
  }
}
