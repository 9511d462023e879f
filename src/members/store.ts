import type { DB } from '../db/connect.ts';
import { publishInvalidation } from '../db/connect.ts';

export async function listMembers(db: DB, tenantId: string) {
  const rows = await db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select(['users.id', 'users.email', 'users.name', 'users.password_hash', 'memberships.role', 'memberships.created_at'])
    .where('memberships.tenant_id', '=', tenantId)
    .orderBy('users.email')
    .execute();
  return rows.map((r) => ({
    user_id: r.id,
    email: r.email,
    name: r.name,
    role: r.role,
    joined_at: new Date(r.created_at).toISOString(),
    has_password: r.password_hash !== null,
  }));
}

export async function findMember(db: DB, tenantId: string, email: string) {
  return db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select(['users.id as user_id', 'users.email', 'memberships.role'])
    .where('memberships.tenant_id', '=', tenantId)
    .where('users.email', '=', email.trim().toLowerCase())
    .executeTakeFirst();
}

/** Owners other than `userId`, locked so two concurrent demotions cannot both pass the check. */
export async function otherOwnerCount(db: DB, tenantId: string, userId: string): Promise<number> {
  const rows = await db.selectFrom('memberships').select('user_id').where('tenant_id', '=', tenantId).where('role', '=', 'owner').forUpdate().execute();
  return rows.filter((r) => r.user_id !== userId).length;
}

export async function addMembership(db: DB, tenantId: string, userId: string, role: string): Promise<void> {
  await db.insertInto('memberships').values({ tenant_id: tenantId, user_id: userId, role }).execute();
  await publishInvalidation(db, `member:${tenantId}:${userId}`);
}

export async function setMembershipRole(db: DB, tenantId: string, userId: string, role: string): Promise<void> {
  await db.updateTable('memberships').set({ role }).where('tenant_id', '=', tenantId).where('user_id', '=', userId).execute();
  await publishInvalidation(db, `member:${tenantId}:${userId}`);
}

export async function deleteMembership(db: DB, tenantId: string, userId: string): Promise<void> {
  await db.deleteFrom('project_role_bindings').where('tenant_id', '=', tenantId).where('user_id', '=', userId).execute();
  await db.deleteFrom('memberships').where('tenant_id', '=', tenantId).where('user_id', '=', userId).execute();
  await publishInvalidation(db, `member:${tenantId}:${userId}`);
}
