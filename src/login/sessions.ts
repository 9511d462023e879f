import type { DB } from '../db/connect.ts';
import { generateToken, parseToken, type TokenHasher } from '../crypto/token-format.ts';
import { LOGIN_POLICY } from './policy.ts';

export interface BrowserSession {
  idHash: Buffer;
  userId: string;
  email: string;
  tenantId: string;
  tenantSlug: string;
  amr: string[];
  createdAt: Date;
  expiresAt: Date;
}

/**
 * Server-side browser sessions. The cookie holds a `wdn_ses_` token; Postgres holds only its
 * keyed hash, so a database read does not yield a usable cookie and every server agrees on
 * logout at once.
 */
export async function openSession(
  db: DB,
  hasher: TokenHasher,
  fields: { userId: string; tenantId: string; amr: string[]; now: Date; ip?: string | undefined; userAgent?: string | undefined },
): Promise<{ token: string; expiresAt: Date }> {
  const { token } = generateToken('session');
  const expiresAt = new Date(fields.now.getTime() + LOGIN_POLICY.sessionAbsoluteMs);
  await db
    .insertInto('browser_sessions')
    .values({
      id_hash: hasher.hash(token).hash,
      user_id: fields.userId,
      tenant_id: fields.tenantId,
      amr: fields.amr,
      created_at: fields.now,
      last_seen_at: fields.now,
      expires_at: expiresAt,
      ip: fields.ip ?? null,
      user_agent: fields.userAgent ?? null,
    })
    .execute();
  return { token, expiresAt };
}

/** The live session for a cookie value, or null (absent, malformed, expired, idle too long, ended). */
export async function findSession(db: DB, hasher: TokenHasher, token: string | undefined, now: Date): Promise<BrowserSession | null> {
  if (!token || parseToken(token) !== 'session') return null;
  const row = await db
    .selectFrom('browser_sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .innerJoin('tenants as t', 't.id', 's.tenant_id')
    .innerJoin('memberships as m', (join) => join.onRef('m.user_id', '=', 's.user_id').onRef('m.tenant_id', '=', 's.tenant_id'))
    .select(['s.id_hash', 's.user_id', 'u.email', 's.tenant_id', 't.slug', 's.amr', 's.created_at', 's.expires_at', 's.last_seen_at'])
    .where('s.id_hash', 'in', hasher.candidates(token))
    .executeTakeFirst();
  if (!row) return null;
  const idleSince = now.getTime() - new Date(row.last_seen_at).getTime();
  if (new Date(row.expires_at) <= now || idleSince > LOGIN_POLICY.sessionIdleMs) {
    await db.deleteFrom('browser_sessions').where('id_hash', '=', row.id_hash).execute();
    return null;
  }
  if (idleSince > LOGIN_POLICY.sessionTouchMs) {
    await db.updateTable('browser_sessions').set({ last_seen_at: now }).where('id_hash', '=', row.id_hash).execute();
  }
  return {
    idHash: row.id_hash,
    userId: row.user_id,
    email: row.email,
    tenantId: row.tenant_id,
    tenantSlug: row.slug,
    amr: row.amr,
    createdAt: new Date(row.created_at),
    expiresAt: new Date(row.expires_at),
  };
}

export async function endSession(db: DB, hasher: TokenHasher, token: string | undefined): Promise<boolean> {
  if (!token || parseToken(token) !== 'session') return false;
  const result = await db.deleteFrom('browser_sessions').where('id_hash', 'in', hasher.candidates(token)).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Ends every session of a user (password change, removal, admin action). */
export async function endUserSessions(db: DB, userId: string, tenantId?: string): Promise<number> {
  let query = db.deleteFrom('browser_sessions').where('user_id', '=', userId);
  if (tenantId) query = query.where('tenant_id', '=', tenantId);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}
