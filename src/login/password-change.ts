import type { Services } from '../app/services.ts';
import { appendInTransaction } from '../audit/writer.ts';
import { hashPassword, verifyPassword } from '../crypto/password.ts';
import { transact } from '../db/connect.ts';
import { passwordProblem } from './invitations.ts';
import { LOGIN_POLICY } from './policy.ts';
import { loginAudit, type LoginRequest } from './service.ts';
import type { BrowserSession } from './sessions.ts';
import { emailKey, lockedUntil, recordFailure } from './throttle.ts';

export type ChangeOutcome = { kind: 'changed' } | { kind: 'refused'; message: string };

/**
 * A signed-in user changes their password: the current one is checked (and counts toward the
 * same lockout as sign-in, so a borrowed session cannot guess it), then every other session of
 * the user ends.
 */
export async function changePassword(
  services: Services,
  session: BrowserSession,
  input: { current: string; password: string; confirmation: string },
  req: LoginRequest,
): Promise<ChangeOutcome> {
  const now = services.clock.now();
  const user = await services.db.selectFrom('users').selectAll().where('id', '=', session.userId).executeTakeFirstOrThrow();
  const audit = (outcome: 'success' | 'denied', reason?: string) =>
    loginAudit(services, req, { operation: 'password.change', outcome, reason, tenantId: session.tenantId, user, email: user.email, method: 'password' });
  if (await lockedUntil(services.db, [emailKey(user.email)], now)) {
    await services.audit.record(audit('denied', 'locked'));
    return { kind: 'refused', message: 'Too many failed attempts. Try again later.' };
  }
  if (!user.password_hash || !(await verifyPassword(input.current, user.password_hash))) {
    await services.audit.record(audit('denied', 'wrong_password'));
    const locked = await recordFailure(services.db, emailKey(user.email), LOGIN_POLICY.maxFailuresPerEmail, now);
    return { kind: 'refused', message: locked ? 'Too many failed attempts. Try again later.' : user.password_hash ? 'The current password is not right.' : 'Your account has no password yet: use "Forgot your password?" on the sign-in page.' };
  }
  const problem = passwordProblem(input.password, input.confirmation, user.email);
  if (problem) return { kind: 'refused', message: problem };
  if (input.password === input.current) return { kind: 'refused', message: 'The new password must differ from the current one.' };
  const passwordHash = await hashPassword(input.password);
  await transact(services.db, services.notifier, async (trx) => {
    await trx.updateTable('users').set({ password_hash: passwordHash, updated_at: now }).where('id', '=', user.id).execute();
    await trx.deleteFrom('browser_sessions').where('user_id', '=', user.id).where('id_hash', '!=', session.idHash).execute();
    await appendInTransaction(trx, [audit('success')]);
  });
  return { kind: 'changed' };
}
