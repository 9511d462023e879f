import { randomUUID } from 'node:crypto';
import type { AuditWriter } from '../audit/writer.ts';
import { appendInTransaction } from '../audit/writer.ts';
import type { AuditEntry } from '../audit/entry.ts';
import type { Clock } from '../core/clock.ts';
import { WardenError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { Secret } from '../core/secret.ts';
import { publishInvalidation, type DB } from '../db/connect.ts';
import type { Notifier } from '../db/notify.ts';
import { aeadOpen, aeadSeal } from './aead.ts';
import { DataKeyCache, type CacheBounds } from './cache.ts';
import { ciphertextMismatch, dataKeyNotFound, kmsUnavailable, KEY_ERRORS, validationFailed } from './errors.ts';
import { associatedData, format, headerOf, parse, type RecordPlace } from './format.ts';
import { PlatformKek, unwrapPlatformKek, wrapPlatformKek } from './providers/platform.ts';
import { KmsError, type KekClient } from './providers/types.ts';
import * as store from './store.ts';
import { KmsHealthBook, toWardenError, type HealthView } from './health.ts';
import { KeyMaintenance } from './maintenance.ts';
import type { DataKeyRow, KekRow, KeySettingsRow } from './tables.ts';

export type { RecordPlace } from './format.ts';
export type { HealthView } from './health.ts';
export type Purpose = 'data' | 'config';

/** Builds the client of a customer KEK (AWS KMS, Azure Key Vault) from its row and unsealed secret. */
export type CustomerKekFactory = (kek: Pick<KekRow, 'tenant_id' | 'provider' | 'settings'>, secret: string | undefined) => KekClient;

export interface KeyringOptions {
  db: DB;
  notifier: Notifier;
  clock: Clock;
  log: Logger;
  audit: AuditWriter;
  /** WARDEN_MASTER_KEY: wraps the platform KEKs, nothing else. */
  rootKey: Buffer;
  rotationDays: number;
  cache: CacheBounds;
  customerKek: CustomerKekFactory;
  /** How often the background loop activates scheduled keys, rotates and re-wraps (0 = never). */
  maintenanceMs: number;
}

interface DataKey {
  id: string;
  version: number;
  key: Buffer;
}

const POINTER_TTL_MS = 30_000;

/**
 * Envelope encryption for every secret Warden stores. Each tenant has AES-256-GCM data keys,
 * each wrapped by one of the tenant's key-encryption keys (a platform version under
 * WARDEN_MASTER_KEY, or the customer's AWS KMS / Azure Key Vault key). `seal` / `open` are the
 * whole API the rest of the code uses; pass the transaction handle when inside one.
 */
export class Keyring {
  readonly #db: DB;
  readonly #notifier: Notifier;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #audit: AuditWriter;
  readonly #root: Buffer;
  readonly #rotationMs: number;
  readonly #customerKek: CustomerKekFactory;
  readonly #cache: DataKeyCache;
  /** Current data key per tenant+purpose, only ever learned from committed rows. */
  #current = new Map<string, { id: string; version: number; until: number }>();
  /** Clients by KEK id: KEK rows never change their key settings (reconfiguring adds a new row). */
  #clients = new Map<string, KekClient>();
  readonly #healthBook: KmsHealthBook;
  readonly #maintenance: KeyMaintenance;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #maintenanceMs: number;

  constructor(opts: KeyringOptions) {
    this.#db = opts.db;
    this.#notifier = opts.notifier;
    this.#clock = opts.clock;
    this.#log = opts.log;
    this.#audit = opts.audit;
    this.#root = opts.rootKey;
    this.#rotationMs = opts.rotationDays * 86_400_000;
    this.#customerKek = opts.customerKek;
    this.#maintenanceMs = opts.maintenanceMs;
    this.#cache = new DataKeyCache(opts.cache, () => this.#clock.now().getTime());
    this.#healthBook = new KmsHealthBook({ db: opts.db, clock: opts.clock, log: opts.log });
    this.#maintenance = new KeyMaintenance({
      db: opts.db,
      clock: opts.clock,
      log: opts.log,
      rotationMs: this.#rotationMs,
      health: this.#healthBook,
      isClosed: () => this.#closed,
      rotate: (db, tenantId) => this.rotate(db, tenantId),
      activate: (db, tenantId, kekId) => this.activate(db, tenantId, kekId),
      clientFor: (db, kek) => this.clientFor(db, kek),
      unwrapRow: (db, row) => this.#unwrapRow(db, row),
      auditSystem: (db, tenantId, operation, target, input) => this.#auditSystem(db, tenantId, operation, target, input),
    });
    opts.notifier.subscribe((payload) => {
      if (payload === '*') this.#current.clear();
      else if (payload.startsWith('keys:')) this.#forgetCurrent(payload.slice(5));
    });
  }

  // ——— the API the rest of Warden uses ———

  async seal(tenantId: string, place: RecordPlace, plaintext: string | Secret | Uint8Array, db: DB = this.#db): Promise<string> {
    return this.#seal(tenantId, place, plaintext, db, 'data');
  }

  /** Opens a value sealed by `seal` for exactly this tenant and place; the result redacts itself. */
  async open(tenantId: string, place: RecordPlace, ciphertext: string, db: DB = this.#db): Promise<Secret> {
    const bytes = await this.openBytes(tenantId, place, ciphertext, db);
    return new Secret(bytes.toString('utf8'));
  }

  async openBytes(tenantId: string, place: RecordPlace, ciphertext: string, db: DB = this.#db): Promise<Buffer> {
    const parsed = parse(ciphertext);
    let key = this.#cache.take(tenantId, parsed.dataKeyId);
    if (!key) {
      const row = await store.getDataKey(db, tenantId, parsed.dataKeyId);
      if (!row || row.version !== parsed.dataKeyVersion) throw dataKeyNotFound();
      key = await this.#unwrapRow(db, row);
    }
    const out = aeadOpen(key, parsed.body, associatedData(parsed.header, tenantId, place));
    if (!out) throw ciphertextMismatch();
    return out;
  }

  /**
   * Configuration secrets (the Azure client secret, an AWS secret access key) are sealed with a
   * data key that is always wrapped by the platform key: unwrapping a customer-wrapped key needs
   * those very credentials.
   */
  sealConfig(tenantId: string, place: RecordPlace, plaintext: string | Secret, db: DB = this.#db): Promise<string> {
    return this.#seal(tenantId, place, plaintext, db, 'config');
  }

  async #seal(tenantId: string, place: RecordPlace, plaintext: string | Secret | Uint8Array, db: DB, purpose: Purpose): Promise<string> {
    const dk = await this.#currentKey(db, tenantId, purpose);
    const header = headerOf(dk.id, dk.version);
    const bytes = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext instanceof Secret ? Buffer.from(plaintext.reveal(), 'utf8') : plaintext;
    return format(header, aeadSeal(dk.key, bytes, associatedData(header, tenantId, place)));
  }

  // ——— data keys ———

  async #currentKey(db: DB, tenantId: string, purpose: Purpose): Promise<DataKey> {
    const pointer = this.#current.get(`${tenantId}/${purpose}`);
    if (pointer && pointer.until > Date.now() && this.#notifier.healthy) {
      const key = this.#cache.take(tenantId, pointer.id);
      if (key) return { id: pointer.id, version: pointer.version, key };
    }
    const row = await store.currentDataKey(db, tenantId, purpose);
    if (!row) return this.#createDataKey(db, tenantId, purpose, false);
    try {
      const key = await this.#unwrapRow(db, row);
      this.#remember(db, tenantId, purpose, row);
      return { id: row.id, version: row.version, key };
    } catch (err) {
      // The current key is not cached and its KMS is unreachable: a new data key follows the
      // tenant's policy (fallback to the platform key, or fail closed). Denials propagate.
      if (err instanceof WardenError && err.code === KEY_ERRORS.KMS_UNAVAILABLE) return this.#createDataKey(db, tenantId, purpose, true);
      throw err;
    }
  }

  #remember(db: DB, tenantId: string, purpose: Purpose, row: { id: string; version: number }) {
    // Inside a transaction the row may be our own uncommitted insert: do not point at it.
    if (db.isTransaction) return;
    this.#current.set(`${tenantId}/${purpose}`, { id: row.id, version: row.version, until: Date.now() + POINTER_TTL_MS });
  }

  #forgetCurrent(tenantId: string) {
    this.#current.delete(`${tenantId}/data`);
    this.#current.delete(`${tenantId}/config`);
  }

  async #createDataKey(db: DB, tenantId: string, purpose: Purpose, replace: boolean): Promise<DataKey> {
    const settings = await this.ensureTenant(db, tenantId);
    const platform = (await store.newestPlatformKek(db, tenantId))!;
    const target = purpose === 'config' ? platform : ((await store.getKek(db, tenantId, settings.active_kek_id)) ?? platform);
    const id = randomUUID();
    const ctx = { tenantId, dataKeyId: id };
    let kek = target;
    let fallback = false;
    let made: { key: Buffer; wrapped: Buffer; detail: string | null };
    try {
      made = await (await this.clientFor(db, target)).generate(ctx);
      this.#healthBook.record(target, 'ok', null);
    } catch (err) {
      if (err instanceof WardenError) throw err;
      const failure = this.#healthBook.failure(target, err);
      if (failure.kind === 'denied' || settings.fail_policy === 'fail_closed' || target.provider === 'platform') throw toWardenError(target, failure);
      // The product's promise: an unreachable customer KMS does not stop writes. The key is
      // marked fallback, audited, and re-wrapped to the customer key when it is back.
      kek = platform;
      fallback = true;
      made = await (await this.clientFor(db, platform)).generate(ctx);
      await this.#auditSystem(db, tenantId, 'keys.fallback_wrap', target.nickname, { data_key_id: id, customer_key: target.id, reason: failure.detail });
      this.#log.warn('customer KMS unavailable: new data key wrapped with the platform key', { tenant: tenantId, kek: target.id, reason: failure.detail });
    }
    const version = await store.nextDataKeyVersion(db, tenantId);
    const inserted = await store.insertCurrentDataKey(
      db,
      { id, tenant_id: tenantId, purpose, version, kek_id: kek.id, kek_detail: made.detail, wrapped: made.wrapped, fallback, created_at: this.#clock.now() },
      replace,
    );
    if (!inserted) {
      // A concurrent writer made one first: use theirs.
      const row = await store.currentDataKey(db, tenantId, purpose);
      if (!row) throw new Error('data key race left no current key');
      return { id: row.id, version: row.version, key: await this.#unwrapRow(db, row) };
    }
    this.#cache.put(tenantId, id, made.key);
    this.#remember(db, tenantId, purpose, { id, version });
    return { id, version, key: made.key };
  }

  async #unwrapRow(db: DB, row: DataKeyRow): Promise<Buffer> {
    const hit = this.#cache.take(row.tenant_id, row.id);
    if (hit) return hit;
    const kek = await store.getKek(db, row.tenant_id, row.kek_id);
    if (!kek) throw dataKeyNotFound();
    let key: Buffer;
    try {
      key = await (await this.clientFor(db, kek)).unwrap({ tenantId: row.tenant_id, dataKeyId: row.id }, row.wrapped, row.kek_detail);
      this.#healthBook.record(kek, 'ok', null);
    } catch (err) {
      if (err instanceof WardenError) throw err;
      throw toWardenError(kek, this.#healthBook.failure(kek, err));
    }
    this.#cache.put(row.tenant_id, row.id, key);
    return key;
  }

  // ——— key-encryption keys ———

  /** The tenant's key settings, creating platform key version 1 on first use. */
  async ensureTenant(db: DB, tenantId: string): Promise<KeySettingsRow> {
    const existing = await store.getSettings(db, tenantId);
    if (existing) return existing;
    const kek = await this.insertPlatformKek(db, tenantId, 1, true);
    await db.insertInto('key_settings').values({ tenant_id: tenantId, active_kek_id: kek.id, updated_at: this.#clock.now() }).onConflict((oc) => oc.column('tenant_id').doNothing()).execute();
    return (await store.getSettings(db, tenantId))!;
  }

  /** A new platform version (random 256-bit key wrapped under the root key). */
  async insertPlatformKek(db: DB, tenantId: string, version: number, active: boolean): Promise<KekRow> {
    const id = randomUUID();
    const now = this.#clock.now();
    const inserted = await db
      .insertInto('key_encryption_keys')
      .values({
        id,
        tenant_id: tenantId,
        provider: 'platform',
        version,
        nickname: `platform-v${version}`,
        material: wrapPlatformKek(this.#root, tenantId, id, version),
        activated_at: active ? now : null,
        created_at: now,
      })
      .onConflict((oc) => oc.doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) return inserted;
    // Another server created this version concurrently.
    return db.selectFrom('key_encryption_keys').selectAll().where('tenant_id', '=', tenantId).where('version', '=', version).executeTakeFirstOrThrow();
  }

  /** The wrap/unwrap client of a KEK row (customer secrets are unsealed with the config key). */
  async clientFor(db: DB, kek: KekRow): Promise<KekClient> {
    const cached = this.#clients.get(kek.id);
    if (cached) return cached;
    let client: KekClient;
    if (kek.provider === 'platform') {
      const key = unwrapPlatformKek(this.#root, kek.tenant_id, kek.id, kek.version, kek.material!);
      if (!key)
        throw new WardenError(KEY_ERRORS.MASTER_KEY_MISMATCH, 'The platform keys were made with a different WARDEN_MASTER_KEY than the one this server has.', {
          status: 500,
          hint: 'Start every server with the same WARDEN_MASTER_KEY (or the same data directory when it was generated).',
        });
      client = new PlatformKek(kek.id, key);
    } else {
      const secret = kek.secret ? (await this.openBytes(kek.tenant_id, { table: 'key_encryption_keys', column: 'secret', id: kek.id }, kek.secret, db)).toString('utf8') : undefined;
      client = this.#customerKek(kek, secret);
    }
    this.#clients.set(kek.id, client);
    return client;
  }

  // ——— rotation, activation, re-wrap ———

  /**
   * A new platform version (the active key when the tenant uses platform keys, the fallback key
   * otherwise) and a fresh current data key. Older versions keep decrypting; the re-wrap moves
   * data keys to the newest version in the background.
   */
  async rotate(db: DB, tenantId: string): Promise<KekRow> {
    const settings = await this.ensureTenant(db, tenantId);
    const active = (await store.getKek(db, tenantId, settings.active_kek_id))!;
    const now = this.#clock.now();
    const fresh = await this.insertPlatformKek(db, tenantId, await store.nextKekVersion(db, tenantId), active.provider === 'platform');
    await db
      .updateTable('key_encryption_keys')
      .set({ retired_at: now })
      .where('tenant_id', '=', tenantId)
      .where('provider', '=', 'platform')
      .where('id', '<>', fresh.id)
      .where('retired_at', 'is', null)
      .execute();
    if (active.provider === 'platform') await db.updateTable('key_settings').set({ active_kek_id: fresh.id, updated_at: now }).where('tenant_id', '=', tenantId).execute();
    await this.#createDataKey(db, tenantId, 'data', true);
    await this.#createDataKey(db, tenantId, 'config', true);
    await this.changed(db, tenantId);
    return fresh;
  }

  /** Call inside the transaction that changed a tenant's keys: other servers drop their pointers. */
  async changed(db: DB, tenantId: string): Promise<void> {
    this.#forgetCurrent(tenantId);
    await publishInvalidation(db, `keys:${tenantId}`);
    this.kick();
  }

  /** Run maintenance soon (after the caller's transaction has committed). */
  kick(): void {
    if (this.#closed) return;
    const t = setTimeout(() => void this.runMaintenance().catch((err) => this.#log.warn('key maintenance failed', { error: String(err) })), 50);
    t.unref();
  }

  start(): void {
    if (this.#maintenanceMs <= 0 || this.#timer) return;
    this.#timer = setInterval(() => void this.runMaintenance().catch((err) => this.#log.warn('key maintenance failed', { error: String(err) })), this.#maintenanceMs);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#maintenance.settled();
    await this.#healthBook.close();
  }

  /**
   * One pass for every tenant: activate due scheduled keys, rotate platform keys older than the
   * rotation period, and re-wrap data keys to their target KEK (src/keys/maintenance.ts).
   */
  runMaintenance(): Promise<void> {
    return this.#maintenance.runOnce();
  }

  /** Moves the tenant's data keys onto their target KEK (see KeyMaintenance.rewrapTenant). */
  rewrapTenant(tenantId: string): Promise<{ rewrapped: number; stuck: number }> {
    return this.#maintenance.rewrapTenant(tenantId);
  }

  /** Make a KEK the tenant's active one; a previous customer key is retired (it keeps decrypting until re-wrapped). */
  async activate(db: DB, tenantId: string, kekId: string): Promise<void> {
    const settings = await this.ensureTenant(db, tenantId);
    const now = this.#clock.now();
    const previous = await store.getKek(db, tenantId, settings.active_kek_id);
    if (previous && previous.id !== kekId && previous.provider !== 'platform') {
      await db.updateTable('key_encryption_keys').set({ retired_at: now }).where('id', '=', previous.id).execute();
    }
    await db.updateTable('key_encryption_keys').set({ activated_at: now, retired_at: null }).where('id', '=', kekId).where('tenant_id', '=', tenantId).execute();
    // Scheduled keys that would later override this choice are cancelled.
    await db
      .updateTable('key_encryption_keys')
      .set({ cancelled_at: now })
      .where('tenant_id', '=', tenantId)
      .where('id', '<>', kekId)
      .where('activated_at', 'is', null)
      .where('cancelled_at', 'is', null)
      .execute();
    await db.updateTable('key_settings').set({ active_kek_id: kekId, updated_at: now }).where('tenant_id', '=', tenantId).execute();
    await this.changed(db, tenantId);
  }

  /**
   * Validation before a customer key is saved: build its client from the candidate settings and
   * do a full round trip. A denial is a validation error naming the cause; an unreachable KMS is
   * a 503. Either way nothing is stored.
   */
  async probe(tenantId: string, provider: 'aws' | 'azure', settings: Record<string, unknown>, secret: string | undefined): Promise<string> {
    try {
      return await this.#customerKek({ tenant_id: tenantId, provider, settings }, secret).check(tenantId);
    } catch (err) {
      const failure = err instanceof KmsError ? err : new KmsError('unavailable', (err as Error)?.name ?? 'error');
      const label = provider === 'aws' ? 'AWS KMS' : 'Azure Key Vault';
      throw failure.kind === 'denied' ? validationFailed(label, failure.detail) : kmsUnavailable(`${label} key`, `${failure.detail}; nothing was saved`);
    }
  }

  // ——— health ———

  healthOf(kek: KekRow): HealthView {
    return this.#healthBook.view(kek);
  }

  /** Test a KEK with a real round trip, updating its health; never throws for KMS failures. */
  async test(db: DB, kek: KekRow): Promise<{ ok: boolean; detail: string; latency_ms: number; failure?: 'unavailable' | 'denied' }> {
    const started = performance.now();
    try {
      const detail = await (await this.clientFor(db, kek)).check(kek.tenant_id);
      this.#healthBook.record(kek, 'ok', null, true);
      return { ok: true, detail, latency_ms: Math.round(performance.now() - started) };
    } catch (err) {
      if (err instanceof WardenError) throw err;
      const failure = this.#healthBook.failure(kek, err, true);
      return { ok: false, detail: failure.detail, failure: failure.kind, latency_ms: Math.round(performance.now() - started) };
    }
  }

  async #auditSystem(db: DB, tenantId: string, operation: string, target: string, input: Record<string, unknown>): Promise<void> {
    const entry: AuditEntry = { tenantId, actor: [{ credential: 'system' }], operation, target, input, outcome: 'success', occurredAt: this.#clock.now() };
    if (db.isTransaction) await appendInTransaction(db, [entry]);
    else await this.#audit.record(entry);
  }
}
