import type { Clock } from '../core/clock.ts';
import { WardenError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { DB } from '../db/connect.ts';
import type { KmsHealthBook } from './health.ts';
import type { KekClient } from './providers/types.ts';
import * as store from './store.ts';
import type { DataKeyRow, KekRow } from './tables.ts';

const REWRAP_BATCH = 50;

/** What maintenance needs from the keyring (passed in, so the keyring keeps its internals private). */
export interface MaintenanceDeps {
  db: DB;
  clock: Clock;
  log: Logger;
  rotationMs: number;
  health: KmsHealthBook;
  isClosed: () => boolean;
  rotate: (db: DB, tenantId: string) => Promise<KekRow>;
  activate: (db: DB, tenantId: string, kekId: string) => Promise<void>;
  clientFor: (db: DB, kek: KekRow) => Promise<KekClient>;
  unwrapRow: (db: DB, row: DataKeyRow) => Promise<Buffer>;
  auditSystem: (db: DB, tenantId: string, operation: string, target: string, input: Record<string, unknown>) => Promise<void>;
}

/**
 * The keyring's background work: scheduled activations, 90-day rotation and re-wrapping data keys
 * onto their target key-encryption key. All progress is in the rows, so any server may run it and
 * a pass cut short simply continues on the next.
 */
export class KeyMaintenance {
  readonly #deps: MaintenanceDeps;
  #running: Promise<void> | undefined;

  constructor(deps: MaintenanceDeps) {
    this.#deps = deps;
  }

  /** Resolves when no pass is running (shutdown). */
  async settled(): Promise<void> {
    await this.#running?.catch(() => {});
  }

  /**
   * One pass for every tenant: activate due scheduled keys, rotate platform keys older than the
   * rotation period, and re-wrap data keys to their target KEK. Idempotent and resumable: all
   * progress is in the rows, so a crash mid-way simply continues on the next pass.
   */
  async runOnce(): Promise<void> {
    while (this.#running) await this.#running.catch(() => {});
    if (this.#deps.isClosed()) return;
    this.#running = (async () => {
      for (const tenantId of await store.tenantsWithKeys(this.#deps.db)) {
        if (this.#deps.isClosed()) return;
        try {
          await this.#activateDue(tenantId);
          await this.#rotateIfDue(tenantId);
          await this.rewrapTenant(tenantId);
        } catch (err) {
          this.#deps.log.warn('key maintenance failed for a tenant', { tenant: tenantId, error: err instanceof WardenError ? err.code : String(err) });
        }
      }
    })();
    try {
      await this.#running;
    } finally {
      this.#running = undefined;
    }
  }

  async #rotateIfDue(tenantId: string): Promise<void> {
    const newest = await store.newestPlatformKek(this.#deps.db, tenantId);
    if (!newest || newest.created_at.getTime() + this.#deps.rotationMs > this.#deps.clock.now().getTime()) return;
    await this.#deps.db.transaction().execute(async (trx) => {
      const again = await store.newestPlatformKek(trx, tenantId);
      if (again?.id !== newest.id) return;
      const fresh = await this.#deps.rotate(trx, tenantId);
      await this.#deps.auditSystem(trx, tenantId, 'keys.rotate', fresh.nickname, { reason: 'scheduled', version: fresh.version });
    });
  }

  async #activateDue(tenantId: string): Promise<void> {
    const now = this.#deps.clock.now();
    const due = await this.#deps.db
      .selectFrom('key_encryption_keys')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('activates_at', '<=', now)
      .where('activated_at', 'is', null)
      .where('cancelled_at', 'is', null)
      .orderBy('version', 'desc')
      .execute();
    const kek = due[0];
    if (!kek) return;
    // Only switch to a key that works now: a scheduled switch must never make data unreadable.
    try {
      await (await this.#deps.clientFor(this.#deps.db, kek)).check(tenantId);
      this.#deps.health.record(kek, 'ok', null);
    } catch (err) {
      const failure = this.#deps.health.failure(kek, err);
      this.#deps.log.warn('scheduled key activation postponed', { tenant: tenantId, kek: kek.id, reason: failure.detail });
      return;
    }
    await this.#deps.db.transaction().execute(async (trx) => {
      await this.#deps.activate(trx, tenantId, kek.id);
      await this.#deps.auditSystem(trx, tenantId, 'keys.activate', kek.nickname, { reason: 'scheduled', key_id: kek.id });
    });
  }

  /**
   * Moves the tenant's data keys onto their target KEK. Stops early when the target is
   * unreachable; a data key whose old KEK refuses is skipped (and stays on it).
   */
  async rewrapTenant(tenantId: string): Promise<{ rewrapped: number; stuck: number }> {
    const db = this.#deps.db;
    const settings = await store.getSettings(db, tenantId);
    if (!settings) return { rewrapped: 0, stuck: 0 };
    const active = (await store.getKek(db, tenantId, settings.active_kek_id))!;
    const platform = (await store.newestPlatformKek(db, tenantId))!;
    const skip: string[] = [];
    let rewrapped = 0;
    for (;;) {
      const rows = await store.dataKeysToRewrap(db, tenantId, active.id, platform.id, skip, REWRAP_BATCH);
      if (rows.length === 0) break;
      for (const row of rows) {
        const target = row.purpose === 'config' ? platform : active;
        let key: Buffer;
        try {
          key = await this.#deps.unwrapRow(db, row);
        } catch {
          skip.push(row.id);
          continue;
        }
        let wrapped;
        try {
          wrapped = await (await this.#deps.clientFor(db, target)).wrap({ tenantId, dataKeyId: row.id }, key);
          this.#deps.health.record(target, 'ok', null);
        } catch (err) {
          this.#deps.health.failure(target, err);
          return { rewrapped, stuck: rows.length + skip.length };
        }
        if (await store.rewrapDataKey(db, row, { kekId: target.id, wrapped: wrapped.wrapped, detail: wrapped.detail, fallback: false, at: this.#deps.clock.now() })) rewrapped++;
        if (row.fallback && target.provider !== 'platform') {
          await this.#deps.auditSystem(db, tenantId, 'keys.rewrap_fallback', target.nickname, { data_key_id: row.id });
        }
      }
    }
    return { rewrapped, stuck: skip.length };
  }
}
