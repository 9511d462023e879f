import type { DB } from '../db/connect.ts';

/**
 * Whether SSO governs a user's sign-in. Other capabilities (login routing, MFA's scope) ask
 * here rather than reading SSO's tables.
 */
export async function ssoEnabled(db: DB, tenantId: string): Promise<boolean> {
  const row = await db.selectFrom('sso_settings').select('enabled').where('tenant_id', '=', tenantId).executeTakeFirst();
  return row?.enabled === true;
}

export async function isSsoExcluded(db: DB, tenantId: string, userId: string): Promise<boolean> {
  const row = await db.selectFrom('sso_excluded_users').select('user_id').where('tenant_id', '=', tenantId).where('user_id', '=', userId).executeTakeFirst();
  return Boolean(row);
}

/** True when the user must sign in through the tenant's IdP (SSO on and the user not excluded). */
export async function ssoEnforcedFor(db: DB, tenantId: string, userId: string): Promise<boolean> {
  return (await ssoEnabled(db, tenantId)) && !(await isSsoExcluded(db, tenantId, userId));
}
