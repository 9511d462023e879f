import type { DB } from '../db/connect.ts';
import type { Notifier } from '../db/notify.ts';
import { InvalidatedCache } from '../db/invalidated-cache.ts';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/log.ts';
import { unauthenticated } from '../core/errors.ts';
import { parseToken, type TokenHasher } from '../crypto/token-format.ts';
import { isPermission, type Permission } from '../authz/permissions.ts';
import type { Principal } from '../authz/principal.ts';

interface CachedPat {
  id: string;
  tenantId: string;
  userId: string;
  email: string;
  scopes: Set<Permission>;
  expiresAt: Date;
  revokedAt: Date | null;
}

const LAST_USE_INTERVAL_MS = 60_000;
const MAX_AGE_MS = 60_000;
/** Misses are cached too, and anyone can make up a token with a valid checksum. */
const MAX_ENTRIES = 50_000;

export const tokenMalformed = () =>
  unauthenticated('TOKEN_MALFORMED', 'The bearer token is not a valid Warden token (wrong format or checksum).', 'Copy the whole token again; it starts with "wdn_".');
export const tokenUnknown = () => unauthenticated('TOKEN_UNKNOWN', 'The bearer token is not recognised.', 'Create a new token (pats.create).');
export const patRevoked = () => unauthenticated('PAT_REVOKED', 'This personal access token has been revoked.', 'Create a new token (pats.create).');
export const patExpired = () => unauthenticated('PAT_EXPIRED', 'This personal access token has expired.', 'Create a new token (pats.create).');

/**
 * Turns a PAT into a principal on every request. The checksum rejects typos without a database
 * read; lookups are cached per process and dropped through LISTEN/NOTIFY on revocation, so a
 * revoked token stops working on every server within the notification delay.
 */
export class PatVerifier {
  readonly #db: DB;
  readonly #hasher: TokenHasher;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #cache: InvalidatedCache<CachedPat | null>;
  #lastUseWritten = new Map<string, number>();

  constructor(deps: { db: DB; notifier: Notifier; hasher: TokenHasher; clock: Clock; log: Logger }) {
    this.#db = deps.db;
    this.#hasher = deps.hasher;
    this.#clock = deps.clock;
    this.#log = deps.log;
    this.#cache = new InvalidatedCache(deps.notifier, { maxAgeMs: MAX_AGE_MS, maxEntries: MAX_ENTRIES });
    deps.notifier.subscribe((payload) => {
      if (payload === '*' || payload.startsWith('pat:')) this.#cache.clear();
    });
  }

  async verify(token: string, ip: string | undefined): Promise<Principal> {
    if (parseToken(token) !== 'pat') throw tokenMalformed();
    const candidates = this.#hasher.candidates(token);
    const pat = await this.#cache.get(candidates[0]!.toString('base64'), () => this.#load(candidates));
    if (!pat) throw tokenUnknown();
    if (pat.revokedAt) throw patRevoked();
    if (pat.expiresAt <= this.#clock.now()) throw patExpired();
    this.#recordUse(pat.id, ip);
    return {
      userId: pat.userId,
      email: pat.email,
      credential: 'pat',
      credentialId: pat.id,
      tenantId: pat.tenantId,
      scopes: pat.scopes,
      actorChain: [{ userId: pat.userId, email: pat.email, credential: 'pat', credentialId: pat.id }],
    };
  }

  async #load(candidates: Buffer[]): Promise<CachedPat | null> {
    const row = await this.#db
      .selectFrom('pats')
      .innerJoin('users', 'users.id', 'pats.user_id')
      .select(['pats.id', 'pats.tenant_id', 'pats.user_id', 'users.email', 'pats.scopes', 'pats.expires_at', 'pats.revoked_at'])
      .where('pats.token_hash', 'in', candidates)
      .executeTakeFirst();
    if (!row) return null;
    return {
      id: row.id,
      tenantId: row.tenant_id,
      userId: row.user_id,
      email: row.email,
      scopes: new Set(row.scopes.filter(isPermission)),
      expiresAt: new Date(row.expires_at),
      revokedAt: row.revoked_at ? new Date(row.revoked_at) : null,
    };
  }

  /** Last use is written at most once a minute per token, off the request path. */
  #recordUse(patId: string, ip: string | undefined): void {
    const now = Date.now();
    if (now - (this.#lastUseWritten.get(patId) ?? 0) < LAST_USE_INTERVAL_MS) return;
    this.#lastUseWritten.set(patId, now);
    this.#db
      .updateTable('pats')
      .set({ last_used_at: this.#clock.now(), last_used_ip: ip ?? null })
      .where('id', '=', patId)
      .execute()
      .catch((err: Error) => this.#log.warn('could not record token use', { patId, error: err.message }));
  }
}
