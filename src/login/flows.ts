import { createHash, randomBytes } from 'node:crypto';
import type { DB } from '../db/connect.ts';
import { LOGIN_POLICY } from './policy.ts';

/**
 * A sign-in in progress between two pages (tenant choice, MFA, an SSO round trip). The browser
 * holds a random token in a cookie; Postgres holds its SHA-256 and the state, so any server can
 * take the next step and a stolen database row cannot be replayed as a cookie.
 */
export interface LoginFlow {
  idHash: Buffer;
  userId: string | null;
  tenantId: string | null;
  stage: string;
  returnTo: string;
  amr: string[];
  data: Record<string, unknown>;
  attempts: number;
  expiresAt: Date;
}

const hashOf = (token: string) => createHash('sha256').update(token).digest();

export async function startFlow(
  db: DB,
  fields: { userId: string | null; tenantId: string | null; stage: string; returnTo: string; amr?: string[]; data?: Record<string, unknown>; now: Date },
): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await db
    .insertInto('login_flows')
    .values({
      id_hash: hashOf(token),
      user_id: fields.userId,
      tenant_id: fields.tenantId,
      stage: fields.stage,
      return_to: fields.returnTo,
      amr: fields.amr ?? [],
      data: JSON.stringify(fields.data ?? {}),
      created_at: fields.now,
      expires_at: new Date(fields.now.getTime() + LOGIN_POLICY.flowMs),
    })
    .execute();
  return token;
}

/** The flow for a cookie value when it is at `stage` and not expired. */
export async function findFlow(db: DB, token: string | undefined, stage: string, now: Date): Promise<LoginFlow | null> {
  if (!token || token.length > 100) return null;
  const row = await db.selectFrom('login_flows').selectAll().where('id_hash', '=', hashOf(token)).executeTakeFirst();
  if (!row || row.stage !== stage || new Date(row.expires_at) <= now) return null;
  return {
    idHash: row.id_hash,
    userId: row.user_id,
    tenantId: row.tenant_id,
    stage: row.stage,
    returnTo: row.return_to,
    amr: row.amr,
    data: typeof row.data === 'string' ? JSON.parse(row.data) : row.data,
    attempts: row.attempts,
    expiresAt: new Date(row.expires_at),
  };
}

export async function countFlowAttempt(db: DB, flow: LoginFlow): Promise<number> {
  const row = await db
    .updateTable('login_flows')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('id_hash', '=', flow.idHash)
    .returning('attempts')
    .executeTakeFirst();
  return row?.attempts ?? flow.attempts + 1;
}

export async function endFlow(db: DB, flow: Pick<LoginFlow, 'idHash'>): Promise<void> {
  await db.deleteFrom('login_flows').where('id_hash', '=', flow.idHash).execute();
}

