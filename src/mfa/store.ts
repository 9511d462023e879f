import { sql } from 'kysely';
import type { DB } from '../db/connect.ts';
import type { MfaEnrolment, MfaMethod } from './tables.ts';

/** SQL of the MFA capability. Every query filters by tenant and user. */

export const confirmedEnrolments = (db: DB, tenantId: string, userId: string): Promise<MfaEnrolment[]> =>
  db
    .selectFrom('mfa_enrolments')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .where('confirmed_at', 'is not', null)
    .orderBy('created_at')
    .execute();

export const findEnrolment = (db: DB, tenantId: string, userId: string, method: MfaMethod): Promise<MfaEnrolment | undefined> =>
  db.selectFrom('mfa_enrolments').selectAll().where('tenant_id', '=', tenantId).where('user_id', '=', userId).where('method', '=', method).executeTakeFirst();

/** Starts (or restarts) enrolling a method: any earlier row of that method is replaced. */
export async function replaceEnrolment(
  db: DB,
  row: { id: string; tenantId: string; userId: string; method: MfaMethod; totpSecret?: string | null; phone?: string | null },
): Promise<void> {
  await db.deleteFrom('mfa_enrolments').where('tenant_id', '=', row.tenantId).where('user_id', '=', row.userId).where('method', '=', row.method).execute();
  await db
    .insertInto('mfa_enrolments')
    .values({ id: row.id, tenant_id: row.tenantId, user_id: row.userId, method: row.method, totp_secret: row.totpSecret ?? null, phone: row.phone ?? null })
    .execute();
}

export async function confirmEnrolment(db: DB, id: string, now: Date, lastStep?: number): Promise<void> {
  await db
    .updateTable('mfa_enrolments')
    .set({ confirmed_at: now, last_used_at: now, ...(lastStep !== undefined ? { last_step: lastStep } : {}) })
    .where('id', '=', id)
    .execute();
}

/**
 * Records a TOTP step as used. The condition makes it atomic: of two requests carrying the same
 * code, exactly one moves last_step forward; the other updates nothing and is refused as a replay.
 */
export async function claimTotpStep(db: DB, enrolmentId: string, step: number, now: Date): Promise<boolean> {
  const row = await db
    .updateTable('mfa_enrolments')
    .set({ last_step: step, last_used_at: now })
    .where('id', '=', enrolmentId)
    .where('last_step', '<', String(step))
    .returning('id')
    .executeTakeFirst();
  return Boolean(row);
}

export async function touchEnrolment(db: DB, id: string, now: Date): Promise<void> {
  await db.updateTable('mfa_enrolments').set({ last_used_at: now }).where('id', '=', id).execute();
}

// ——— recovery codes ———

export async function replaceRecoveryCodes(db: DB, tenantId: string, userId: string, hashes: Buffer[]): Promise<void> {
  await db.deleteFrom('mfa_recovery_codes').where('tenant_id', '=', tenantId).where('user_id', '=', userId).execute();
  await db
    .insertInto('mfa_recovery_codes')
    .values(hashes.map((code_hash) => ({ tenant_id: tenantId, user_id: userId, code_hash })))
    .execute();
}

/** Marks one unused code as used; true only for the one request that did it. */
export async function useRecoveryCode(db: DB, tenantId: string, userId: string, candidates: Buffer[], now: Date): Promise<boolean> {
  const row = await db
    .updateTable('mfa_recovery_codes')
    .set({ used_at: now })
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .where('code_hash', 'in', candidates)
    .where('used_at', 'is', null)
    .returning('code_hash')
    .executeTakeFirst();
  return Boolean(row);
}

export async function recoveryCodesLeft(db: DB, tenantId: string, userId: string): Promise<number> {
  const row = await db
    .selectFrom('mfa_recovery_codes')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

// ——— email / SMS one-time codes ———

/**
 * Stores a new code for (user, method) if the send limits allow it: not within `resendAfterMs` of
 * the previous send, and at most `maxSends` per window. One statement, so concurrent sends on
 * several servers cannot both pass. Returns false when rate-limited.
 */
export async function storeCode(
  db: DB,
  c: { tenantId: string; userId: string; method: 'email' | 'sms'; codeHash: Buffer; destination: string; now: Date; ttlMs: number; resendAfterMs: number; windowMs: number; maxSends: number },
): Promise<boolean> {
  const windowStart = new Date(c.now.getTime() - c.windowMs);
  const resendBefore = new Date(c.now.getTime() - c.resendAfterMs);
  const expiresAt = new Date(c.now.getTime() + c.ttlMs);
  const row = await db
    .insertInto('mfa_codes')
    .values({
      tenant_id: c.tenantId,
      user_id: c.userId,
      method: c.method,
      code_hash: c.codeHash,
      destination: c.destination,
      attempts: 0,
      expires_at: expiresAt,
      last_sent_at: c.now,
      window_started_at: c.now,
      sends_in_window: 1,
    })
    .onConflict((oc) =>
      oc
        .columns(['tenant_id', 'user_id', 'method'])
        .doUpdateSet({
          code_hash: c.codeHash,
          destination: c.destination,
          attempts: 0,
          expires_at: expiresAt,
          last_sent_at: c.now,
          window_started_at: sql<Date>`case when mfa_codes.window_started_at < ${windowStart} then ${c.now} else mfa_codes.window_started_at end`,
          sends_in_window: sql<number>`case when mfa_codes.window_started_at < ${windowStart} then 1 else mfa_codes.sends_in_window + 1 end`,
        })
        .where(sql<boolean>`mfa_codes.last_sent_at <= ${resendBefore} and (mfa_codes.window_started_at < ${windowStart} or mfa_codes.sends_in_window < ${c.maxSends})`),
    )
    .returning('sends_in_window')
    .executeTakeFirst();
  return Boolean(row);
}

export const findCode = (db: DB, tenantId: string, userId: string, method: 'email' | 'sms') =>
  db.selectFrom('mfa_codes').selectAll().where('tenant_id', '=', tenantId).where('user_id', '=', userId).where('method', '=', method).executeTakeFirst();

/** Counts one try against the outstanding code; returns the try number and the stored hash. */
export async function countCodeAttempt(db: DB, tenantId: string, userId: string, method: 'email' | 'sms') {
  return db
    .updateTable('mfa_codes')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .where('method', '=', method)
    .where('code_hash', 'is not', null)
    .returning(['attempts', 'code_hash', 'expires_at', 'destination'])
    .executeTakeFirst();
}

/** Uses the code up (or burns it after too many tries); true only for the request that did it. */
export async function consumeCode(db: DB, tenantId: string, userId: string, method: 'email' | 'sms', codeHash: Buffer): Promise<boolean> {
  const row = await db
    .updateTable('mfa_codes')
    .set({ code_hash: null })
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .where('method', '=', method)
    .where('code_hash', '=', codeHash)
    .returning('method')
    .executeTakeFirst();
  return Boolean(row);
}

export async function burnCode(db: DB, tenantId: string, userId: string, method: 'email' | 'sms'): Promise<void> {
  await db.updateTable('mfa_codes').set({ code_hash: null }).where('tenant_id', '=', tenantId).where('user_id', '=', userId).where('method', '=', method).execute();
}

/** mfa.reset_user: the user enrols again at the next sign-in. */
export async function deleteUserMfa(db: DB, tenantId: string, userId: string): Promise<number> {
  const removed = await db.deleteFrom('mfa_enrolments').where('tenant_id', '=', tenantId).where('user_id', '=', userId).where('confirmed_at', 'is not', null).execute();
  await db.deleteFrom('mfa_enrolments').where('tenant_id', '=', tenantId).where('user_id', '=', userId).execute();
  await db.deleteFrom('mfa_recovery_codes').where('tenant_id', '=', tenantId).where('user_id', '=', userId).execute();
  await db.deleteFrom('mfa_codes').where('tenant_id', '=', tenantId).where('user_id', '=', userId).execute();
  return removed.reduce((n, r) => n + Number(r.numDeletedRows), 0);
}
