import type { Clock } from '../core/clock.ts';
import type { WardenError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { DB } from '../db/connect.ts';
import { kmsDenied, kmsUnavailable } from './errors.ts';
import { KmsError } from './providers/types.ts';
import type { KekRow, KmsHealth } from './tables.ts';

export interface HealthView {
  state: KmsHealth;
  detail: string | null;
  checked_at: string | null;
}

/**
 * What each key-encryption key's KMS last answered: kept in memory (every call updates it) and
 * written to the KEK row when it changes or at most once a minute, so keys.status can show it.
 */
export class KmsHealthBook {
  readonly #db: DB;
  readonly #clock: Clock;
  readonly #log: Logger;
  #health = new Map<string, { state: KmsHealth; detail: string | null; at: Date; persisted: number }>();
  #pending = new Set<Promise<unknown>>();
  #closed = false;

  constructor(deps: { db: DB; clock: Clock; log: Logger }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#log = deps.log;
  }

  view(kek: KekRow): HealthView {
    const mem = this.#health.get(kek.id);
    if (mem) return { state: mem.state, detail: mem.detail, checked_at: mem.at.toISOString() };
    return { state: kek.health, detail: kek.health_detail, checked_at: kek.health_checked_at ? new Date(kek.health_checked_at).toISOString() : null };
  }

  /** Records a KMS failure (anything not a KmsError counts as unavailable) and returns it typed. */
  failure(kek: KekRow, err: unknown, force = false): KmsError {
    const failure = err instanceof KmsError ? err : new KmsError('unavailable', `unexpected: ${(err as Error)?.name ?? 'error'}`);
    if (!(err instanceof KmsError)) this.#log.warn('unexpected KMS client error', { kek: kek.id, error: String((err as Error)?.message ?? err).slice(0, 200) });
    this.record(kek, failure.kind, failure.detail, force);
    return failure;
  }

  record(kek: KekRow, state: KmsHealth, detail: string | null, force = false): void {
    if (kek.provider === 'platform' && state === 'ok' && !force) return;
    const now = this.#clock.now();
    const prev = this.#health.get(kek.id);
    const changed = !prev || prev.state !== state || prev.detail !== detail;
    const persist = force || changed || Date.now() - (prev?.persisted ?? 0) > 60_000;
    this.#health.set(kek.id, { state, detail, at: now, persisted: persist ? Date.now() : (prev?.persisted ?? 0) });
    if (!persist || this.#closed) return;
    // Not awaited (callers may hold a transaction; on the embedded database this waits for it).
    const p = this.#db
      .updateTable('key_encryption_keys')
      .set({ health: state, health_detail: detail, health_checked_at: now })
      .where('id', '=', kek.id)
      .execute()
      .catch(() => {})
      .finally(() => this.#pending.delete(p));
    this.#pending.add(p);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#pending]);
  }
}

/** The caller-facing error for a KMS failure: denied (the customer's decision) or unavailable. */
export function toWardenError(kek: KekRow, failure: KmsError): WardenError {
  const label = kek.provider === 'aws' ? `AWS KMS key "${kek.nickname}"` : kek.provider === 'azure' ? `Azure Key Vault key "${kek.nickname}"` : `platform key "${kek.nickname}"`;
  return failure.kind === 'denied' ? kmsDenied(label, failure.detail) : kmsUnavailable(label, failure.detail);
}
