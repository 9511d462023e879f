import type { DB } from '../db/connect.ts';
import type { Notifier } from '../db/notify.ts';
import { InvalidatedCache } from '../db/invalidated-cache.ts';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/log.ts';
import { parseToken, type TokenHasher } from '../crypto/token-format.ts';
import { effectiveScopes } from './store.ts';
import type { VerifyReason } from './schema.ts';

interface CachedKey {
  id: string;
  name: string;
  tenantId: string;
  appId: string;
  appName: string;
  keyScopes: string[];
  appScopes: string[];
  expiresAt: Date | null;
  revokedAt: Date | null;
}

export type Verification =
  | { valid: true; key: CachedKey; scopes: string[] }
  | { valid: false; reason: VerifyReason; key?: CachedKey; missingScopes?: string[] };

/** Invalidation payloads, published in the transaction that makes the change. */
export const keyChanged = (id: string) => `api_key:${id}`;
export const appChanged = (id: string) => `api_app:${id}`;

const LAST_USE_INTERVAL_MS = 60_000;
/** Even with a healthy listener an entry is re-read after this long (belt and braces). */
const MAX_AGE_MS = 60_000;
/**
 * Bounded: anyone can mint strings with a valid checksum (CRC32 is public), and every unknown one
 * is cached as a miss. Oldest entries go first (Map keeps insertion order).
 */
const MAX_ENTRIES = 50_000;

/**
 * Answers "is this API key good, and for what?" for the customer's own services. The checksum
 * rejects malformed keys without a database read; lookups (hits and misses) are cached per
 * process and dropped through LISTEN/NOTIFY when a key is revoked or its app changes or goes, so
 * every server agrees within the notification delay. While the listener is down the cache is
 * bypassed rather than trusted.
 */
export class ApiKeyVerifier {
  readonly #db: DB;
  readonly #hasher: TokenHasher;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #cache: InvalidatedCache<CachedKey | null>;
  #lastUseWritten = new Map<string, number>();

  constructor(deps: { db: DB; notifier: Notifier; hasher: TokenHasher; clock: Clock; log: Logger }) {
    this.#db = deps.db;
    this.#hasher = deps.hasher;
    this.#clock = deps.clock;
    this.#log = deps.log;
    this.#cache = new InvalidatedCache(deps.notifier, { maxAgeMs: MAX_AGE_MS, maxEntries: MAX_ENTRIES });
    deps.notifier.subscribe((payload) => this.#invalidate(payload));
  }

  async verify(presented: string, tenantId: string, requiredScopes: readonly string[], ip: string | undefined): Promise<Verification> {
    if (parseToken(presented) !== 'api_key') return { valid: false, reason: 'malformed' };
    const candidates = this.#hasher.candidates(presented);
    const key = await this.#cache.get(candidates[0]!.toString('base64'), () => this.#load(candidates));
    // A key of another tenant is indistinguishable from one that does not exist.
    if (!key || key.tenantId !== tenantId) return { valid: false, reason: 'not_found' };
    if (key.revokedAt) return { valid: false, reason: 'revoked', key };
    if (key.expiresAt && key.expiresAt <= this.#clock.now()) return { valid: false, reason: 'expired', key };
    const scopes = effectiveScopes(key.keyScopes, key.appScopes);
    const held = new Set(scopes);
    const missing = requiredScopes.filter((s) => !held.has(s));
    if (missing.length > 0) return { valid: false, reason: 'insufficient_scope', key, missingScopes: missing };
    this.#recordUse(key.id, ip);
    return { valid: true, key, scopes };
  }

  #invalidate(payload: string): void {
    if (payload === '*') return this.#cache.clear();
    const [kind, id] = payload.split(':', 2);
    if (kind !== 'api_key' && kind !== 'api_app') return;
    this.#cache.deleteWhere((key) => key !== null && (kind === 'api_key' ? key.id === id : key.appId === id));
  }

  async #load(candidates: Buffer[]): Promise<CachedKey | null> {
    const row = await this.#db
      .selectFrom('api_keys')
      .innerJoin('api_apps', 'api_apps.id', 'api_keys.app_id')
      .select([
        'api_keys.id',
        'api_keys.name',
        'api_keys.tenant_id',
        'api_keys.app_id',
        'api_apps.name as app_name',
        'api_keys.scopes',
        'api_apps.scopes as app_scopes',
        'api_keys.expires_at',
        'api_keys.revoked_at',
      ])
      .where('api_keys.key_hash', 'in', candidates)
      .executeTakeFirst();
    if (!row) return null;
    return {
      id: row.id,
      name: row.name,
      tenantId: row.tenant_id,
      appId: row.app_id,
      appName: row.app_name,
      keyScopes: row.scopes,
      appScopes: row.app_scopes,
      expiresAt: row.expires_at ? new Date(row.expires_at) : null,
      revokedAt: row.revoked_at ? new Date(row.revoked_at) : null,
    };
  }

  /** Last use is written at most once a minute per key and server, off the request path. */
  #recordUse(keyId: string, ip: string | undefined): void {
    const now = Date.now();
    if (now - (this.#lastUseWritten.get(keyId) ?? 0) < LAST_USE_INTERVAL_MS) return;
    this.#lastUseWritten.set(keyId, now);
    if (this.#lastUseWritten.size > MAX_ENTRIES) this.#lastUseWritten.delete(this.#lastUseWritten.keys().next().value!);
    this.#db
      .updateTable('api_keys')
      .set({ last_used_at: this.#clock.now(), last_used_ip: ip ?? null })
      .where('id', '=', keyId)
      .execute()
      .catch((err: Error) => this.#log.warn('could not record API key use', { keyId, error: err.message }));
  }
}
