import type { DB } from '../db/connect.ts';
import type { SsoProtocol } from './tables.ts';

export interface SsoSettingsRow {
  tenant_id: string;
  enabled: boolean;
  protocol: SsoProtocol | null;
  provider: string | null;
  config: Record<string, unknown>;
  client_secret: string | null;
  jit_provisioning: boolean;
  jit_role: string;
}

export const SSO_SECRET_PLACE = (tenantId: string) => ({ table: 'sso_settings', column: 'client_secret', id: tenantId });

export async function findSettings(db: DB, tenantId: string): Promise<SsoSettingsRow | undefined> {
  const row = await db.selectFrom('sso_settings').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
  if (!row) return undefined;
  return { ...row, config: typeof row.config === 'string' ? JSON.parse(row.config) : row.config };
}

/**
 * Saves a protocol's configuration. The first save also excludes the tenant's owners from SSO,
 * so enabling it can never lock every owner out.
 */
export async function saveConfiguration(
  db: DB,
  tenantId: string,
  fields: { protocol: SsoProtocol; provider: string; config: Record<string, unknown>; clientSecret: string | null; jitProvisioning?: boolean | undefined; jitRole?: string | undefined },
): Promise<void> {
  const existing = await findSettings(db, tenantId);
  const values = {
    protocol: fields.protocol,
    provider: fields.provider,
    config: JSON.stringify(fields.config),
    client_secret: fields.clientSecret,
    jit_provisioning: fields.jitProvisioning ?? existing?.jit_provisioning ?? false,
    jit_role: fields.jitRole ?? existing?.jit_role ?? 'member',
    updated_at: new Date(),
  };
  if (existing) {
    await db.updateTable('sso_settings').set(values).where('tenant_id', '=', tenantId).execute();
    return;
  }
  await db.insertInto('sso_settings').values({ tenant_id: tenantId, enabled: false, ...values }).execute();
  const owners = await db.selectFrom('memberships').select('user_id').where('tenant_id', '=', tenantId).where('role', '=', 'owner').execute();
  if (owners.length > 0) {
    await db
      .insertInto('sso_excluded_users')
      .values(owners.map((o) => ({ tenant_id: tenantId, user_id: o.user_id })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}

export async function setEnabled(db: DB, tenantId: string, enabled: boolean): Promise<void> {
  await db.updateTable('sso_settings').set({ enabled, updated_at: new Date() }).where('tenant_id', '=', tenantId).execute();
}

export async function excludedUsers(db: DB, tenantId: string): Promise<{ user_id: string; email: string; role: string | null }[]> {
  return db
    .selectFrom('sso_excluded_users as x')
    .innerJoin('users as u', 'u.id', 'x.user_id')
    .leftJoin('memberships as m', (join) => join.onRef('m.user_id', '=', 'x.user_id').onRef('m.tenant_id', '=', 'x.tenant_id'))
    .select(['x.user_id', 'u.email', 'm.role'])
    .where('x.tenant_id', '=', tenantId)
    .orderBy('u.email')
    .execute();
}

export async function addExcluded(db: DB, tenantId: string, userId: string): Promise<boolean> {
  const row = await db.insertInto('sso_excluded_users').values({ tenant_id: tenantId, user_id: userId }).onConflict((oc) => oc.doNothing()).returning('user_id').executeTakeFirst();
  return Boolean(row);
}

export async function removeExcluded(db: DB, tenantId: string, userId: string): Promise<boolean> {
  const result = await db.deleteFrom('sso_excluded_users').where('tenant_id', '=', tenantId).where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** One-time ids (assertion ids, outstanding request ids), shared by every server through Postgres. */
export async function rememberOnce(db: DB, entry: { tenantId: string; kind: string; id: string; value?: string; expiresAt: Date }): Promise<boolean> {
  const row = await db
    .insertInto('sso_replay_cache')
    .values({ tenant_id: entry.tenantId, kind: entry.kind, id: entry.id, value: entry.value ?? '', expires_at: entry.expiresAt })
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst();
  return Boolean(row);
}

export async function takeOnce(db: DB, entry: { tenantId: string; kind: string; id: string; now: Date }): Promise<string | null> {
  const row = await db
    .deleteFrom('sso_replay_cache')
    .where('tenant_id', '=', entry.tenantId)
    .where('kind', '=', entry.kind)
    .where('id', '=', entry.id)
    .where('expires_at', '>', entry.now)
    .returning('value')
    .executeTakeFirst();
  return row?.value ?? null;
}

export async function peekOnce(db: DB, entry: { tenantId: string; kind: string; id: string; now: Date }): Promise<string | null> {
  const row = await db
    .selectFrom('sso_replay_cache')
    .select('value')
    .where('tenant_id', '=', entry.tenantId)
    .where('kind', '=', entry.kind)
    .where('id', '=', entry.id)
    .where('expires_at', '>', entry.now)
    .executeTakeFirst();
  return row?.value ?? null;
}
