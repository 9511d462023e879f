import { sql } from 'kysely';
import type { DB } from '../db/connect.ts';
import { LOGIN_POLICY } from './policy.ts';

/**
 * Failure counting in Postgres, so every server behind the load balancer sees the same count
 * and the same lockout. Keys: `email:<address>` and `ip:<address>`.
 */
export const emailKey = (email: string) => `email:${email}`;
export const ipKey = (ip: string) => `ip:${ip}`;

export async function lockedUntil(db: DB, keys: string[], now: Date): Promise<Date | null> {
  if (keys.length === 0) return null;
  const rows = await db.selectFrom('login_throttle').select('locked_until').where('key', 'in', keys).where('locked_until', '>', now).execute();
  const times = rows.map((r) => new Date(r.locked_until!).getTime());
  return times.length ? new Date(Math.max(...times)) : null;
}

/** Counts one hit of `key` in a fixed window (a window that has passed starts over); returns the count. */
async function countHit(db: DB, key: string, windowMs: number, now: Date): Promise<number> {
  const windowStart = new Date(now.getTime() - windowMs);
  const row = await db
    .insertInto('login_throttle')
    .values({ key, failures: 1, window_started_at: now, locked_until: null })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        failures: sql<number>`case when login_throttle.window_started_at < ${windowStart} then 1 else login_throttle.failures + 1 end`,
        window_started_at: sql<Date>`case when login_throttle.window_started_at < ${windowStart} then ${now} else login_throttle.window_started_at end`,
      }),
    )
    .returning(['failures'])
    .executeTakeFirstOrThrow();
  return row.failures;
}

/** Counts one failure against a key; returns the lock end when this failure started a lockout. */
export async function recordFailure(db: DB, key: string, limit: number, now: Date): Promise<Date | null> {
  if ((await countHit(db, key, LOGIN_POLICY.failureWindowMs, now)) < limit) return null;
  const until = new Date(now.getTime() + LOGIN_POLICY.lockoutMs);
  await db.updateTable('login_throttle').set({ locked_until: until, failures: 0, window_started_at: now }).where('key', '=', key).execute();
  return until;
}

export async function clearFailures(db: DB, key: string): Promise<void> {
  await db.deleteFrom('login_throttle').where('key', '=', key).execute();
}

/**
 * A plain rate limit on the same table: counts hits of `key` in a fixed window and says whether
 * this hit is over `limit` (e.g. dynamic client registrations per address).
 */
export async function overLimit(db: DB, key: string, limit: number, windowMs: number, now: Date): Promise<boolean> {
  return (await countHit(db, key, windowMs, now)) > limit;
}
