import { sql } from 'kysely';
import type { DB } from '../db/connect.ts';
import type { TokenHasher } from '../crypto/token-format.ts';
import { generateToken } from '../crypto/token-format.ts';
import { iso } from './schema.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface AppRow {
  id: string;
  name: string;
  description: string;
  scopes: string[];
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

/** An app by id or (case-insensitive) name, always inside one tenant. */
export async function findApp(db: DB, tenantId: string, ref: string): Promise<AppRow | undefined> {
  let query = db
    .selectFrom('api_apps')
    .leftJoin('users', 'users.id', 'api_apps.created_by')
    .select(['api_apps.id', 'api_apps.name', 'api_apps.description', 'api_apps.scopes', 'users.email as created_by', 'api_apps.created_at', 'api_apps.updated_at'])
    .where('api_apps.tenant_id', '=', tenantId);
  query = UUID.test(ref) ? query.where('api_apps.id', '=', ref) : query.where(sql<string>`lower(api_apps.name)`, '=', ref.trim().toLowerCase());
  return query.executeTakeFirst();
}

export async function nameTaken(db: DB, tenantId: string, name: string, exceptId?: string): Promise<boolean> {
  let query = db.selectFrom('api_apps').select('id').where('tenant_id', '=', tenantId).where(sql<string>`lower(name)`, '=', name.toLowerCase());
  if (exceptId) query = query.where('id', '!=', exceptId);
  return (await query.executeTakeFirst()) !== undefined;
}

export async function listApps(db: DB, tenantId: string): Promise<AppRow[]> {
  return db
    .selectFrom('api_apps')
    .leftJoin('users', 'users.id', 'api_apps.created_by')
    .select(['api_apps.id', 'api_apps.name', 'api_apps.description', 'api_apps.scopes', 'users.email as created_by', 'api_apps.created_at', 'api_apps.updated_at'])
    .where('api_apps.tenant_id', '=', tenantId)
    .orderBy('api_apps.name')
    .execute();
}

/** Active (not revoked, not expired) keys per app. */
export async function activeKeyCounts(db: DB, tenantId: string, now: Date, appId?: string): Promise<Map<string, number>> {
  let query = db
    .selectFrom('api_keys')
    .select(['app_id', (eb) => eb.fn.countAll<string>().as('n')])
    .where('tenant_id', '=', tenantId)
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .groupBy('app_id');
  if (appId) query = query.where('app_id', '=', appId);
  const rows = await query.execute();
  return new Map(rows.map((r) => [r.app_id, Number(r.n)]));
}

export function appOut(app: AppRow, activeKeys: number) {
  return {
    id: app.id,
    name: app.name,
    description: app.description,
    scopes: app.scopes,
    created_by: app.created_by,
    created_at: iso(app.created_at)!,
    updated_at: iso(app.updated_at)!,
    active_keys: activeKeys,
  };
}

export interface CreatedKey {
  id: string;
  key: string;
  start: string;
}

export async function insertKey(
  db: DB,
  hasher: TokenHasher,
  fields: { tenantId: string; appId: string; name: string; scopes: string[]; expiresAt: Date | null; createdBy: string | null },
): Promise<CreatedKey> {
  const { token, start } = generateToken('api_key');
  const { hash, pepperVersion } = hasher.hash(token);
  const row = await db
    .insertInto('api_keys')
    .values({
      tenant_id: fields.tenantId,
      app_id: fields.appId,
      name: fields.name,
      key_hash: hash,
      pepper_version: pepperVersion,
      key_start: start,
      scopes: fields.scopes,
      created_by: fields.createdBy,
      expires_at: fields.expiresAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, key: token, start };
}

export async function listKeys(db: DB, tenantId: string, appId: string | undefined) {
  let query = db
    .selectFrom('api_keys')
    .innerJoin('api_apps', 'api_apps.id', 'api_keys.app_id')
    .leftJoin('users', 'users.id', 'api_keys.created_by')
    .select([
      'api_keys.id',
      'api_keys.app_id',
      'api_apps.name as app_name',
      'api_apps.scopes as app_scopes',
      'api_keys.name',
      'api_keys.key_start',
      'api_keys.scopes',
      'users.email as created_by',
      'api_keys.created_at',
      'api_keys.expires_at',
      'api_keys.last_used_at',
      'api_keys.revoked_at',
    ])
    .where('api_keys.tenant_id', '=', tenantId)
    .orderBy('api_keys.created_at', 'desc');
  if (appId) query = query.where('api_keys.app_id', '=', appId);
  return query.execute();
}

export async function findKey(db: DB, tenantId: string, id: string) {
  if (!UUID.test(id)) return undefined;
  return db
    .selectFrom('api_keys')
    .innerJoin('api_apps', 'api_apps.id', 'api_keys.app_id')
    .select(['api_keys.id', 'api_keys.name', 'api_keys.app_id', 'api_apps.name as app_name', 'api_keys.revoked_at'])
    .where('api_keys.tenant_id', '=', tenantId)
    .where('api_keys.id', '=', id)
    .executeTakeFirst();
}

/** What a key grants now: its own scopes that its app still has (narrowing the app narrows every key at once). */
export const effectiveScopes = (keyScopes: readonly string[], appScopes: readonly string[]) => {
  const app = new Set(appScopes);
  return keyScopes.filter((s) => app.has(s));
};
