import { sql } from 'kysely';
import type { DB } from '../db/connect.ts';
import type { DataKeyRow, KekRow, KeySettingsRow } from './tables.ts';

/** SQL of the keys capability. Every query filters by tenant. */

export const getSettings = (db: DB, tenantId: string): Promise<KeySettingsRow | undefined> =>
  db.selectFrom('key_settings').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();

export const getKek = (db: DB, tenantId: string, id: string): Promise<KekRow | undefined> =>
  db.selectFrom('key_encryption_keys').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();

export const listKeks = (db: DB, tenantId: string): Promise<KekRow[]> =>
  db.selectFrom('key_encryption_keys').selectAll().where('tenant_id', '=', tenantId).orderBy('version', 'asc').execute();

/** The newest platform version: wraps config data keys, and data keys while the customer KMS is unavailable. */
export const newestPlatformKek = (db: DB, tenantId: string): Promise<KekRow | undefined> =>
  db
    .selectFrom('key_encryption_keys')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('provider', '=', 'platform')
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();

export async function nextKekVersion(db: DB, tenantId: string): Promise<number> {
  const row = await db.selectFrom('key_encryption_keys').select(sql<number>`coalesce(max(version), 0)`.as('v')).where('tenant_id', '=', tenantId).executeTakeFirstOrThrow();
  return Number(row.v) + 1;
}

export async function nextDataKeyVersion(db: DB, tenantId: string): Promise<number> {
  const row = await db.selectFrom('data_keys').select(sql<number>`coalesce(max(version), 0)`.as('v')).where('tenant_id', '=', tenantId).executeTakeFirstOrThrow();
  return Number(row.v) + 1;
}

export const currentDataKey = (db: DB, tenantId: string, purpose: 'data' | 'config'): Promise<DataKeyRow | undefined> =>
  db.selectFrom('data_keys').selectAll().where('tenant_id', '=', tenantId).where('purpose', '=', purpose).where('current', '=', true).executeTakeFirst();

export const getDataKey = (db: DB, tenantId: string, id: string): Promise<DataKeyRow | undefined> =>
  db.selectFrom('data_keys').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();

export interface NewDataKey {
  id: string;
  tenant_id: string;
  purpose: 'data' | 'config';
  version: number;
  kek_id: string;
  kek_detail: string | null;
  wrapped: Buffer;
  fallback: boolean;
  created_at: Date;
}

/**
 * Inserts a data key as the current one. `replace` demotes the previous current key first.
 * Returns false when a concurrent creator won the race (unique current / version): the caller
 * then uses theirs. `on conflict do nothing` keeps a race from aborting the caller's transaction.
 */
export async function insertCurrentDataKey(db: DB, key: NewDataKey, replace: boolean): Promise<boolean> {
  if (replace) {
    await db.updateTable('data_keys').set({ current: false }).where('tenant_id', '=', key.tenant_id).where('purpose', '=', key.purpose).where('current', '=', true).execute();
  }
  const inserted = await db
    .insertInto('data_keys')
    .values({ ...key, current: true })
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst();
  return Boolean(inserted);
}

/** Data keys not yet wrapped by their target KEK (data → the active KEK, config → newest platform). */
export function dataKeysToRewrap(db: DB, tenantId: string, activeKekId: string, platformKekId: string, skip: string[], limit: number): Promise<DataKeyRow[]> {
  let q = db
    .selectFrom('data_keys')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where((eb) =>
      eb.or([
        eb.and([eb('purpose', '=', 'data'), eb('kek_id', '<>', activeKekId)]),
        eb.and([eb('purpose', '=', 'config'), eb('kek_id', '<>', platformKekId)]),
      ]),
    );
  if (skip.length > 0) q = q.where('id', 'not in', skip);
  return q.orderBy('version', 'asc').limit(limit).execute();
}

/** Optimistic: only if the row is still wrapped the way we read it (another server may have done it). */
export async function rewrapDataKey(db: DB, row: DataKeyRow, to: { kekId: string; wrapped: Buffer; detail: string | null; fallback: boolean; at: Date }): Promise<boolean> {
  const res = await db
    .updateTable('data_keys')
    .set({ kek_id: to.kekId, wrapped: to.wrapped, kek_detail: to.detail, fallback: to.fallback, rewrapped_at: to.at })
    .where('id', '=', row.id)
    .where('tenant_id', '=', row.tenant_id)
    .where('kek_id', '=', row.kek_id)
    .executeTakeFirst();
  return Number(res.numUpdatedRows ?? 0) > 0;
}

export interface DataKeyCount {
  kek_id: string;
  purpose: string;
  fallback: boolean;
  count: number;
}

export async function countDataKeys(db: DB, tenantId: string): Promise<DataKeyCount[]> {
  const rows = await db
    .selectFrom('data_keys')
    .select(['kek_id', 'purpose', 'fallback', sql<string>`count(*)`.as('count')])
    .where('tenant_id', '=', tenantId)
    .groupBy(['kek_id', 'purpose', 'fallback'])
    .execute();
  return rows.map((r) => ({ kek_id: r.kek_id, purpose: r.purpose, fallback: r.fallback, count: Number(r.count) }));
}

export const tenantsWithKeys = async (db: DB): Promise<string[]> =>
  (await db.selectFrom('key_settings').select('tenant_id').execute()).map((r) => r.tenant_id);
