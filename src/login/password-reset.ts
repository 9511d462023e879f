import type { Services } from '../app/services.ts';
import { appendInTransaction } from '../audit/writer.ts';
import { hashPassword } from '../crypto/password.ts';
import { generateToken, parseToken } from '../crypto/token-format.ts';
import { transact } from '../db/connect.ts';
import type { User } from '../db/schema.ts';
import { findUserByEmail, normalizeEmail } from '../users/store.ts';
import { passwordProblem } from './invitations.ts';
import { loginAudit, tenantsOf, type LoginRequest } from './service.ts';
import { clearFailures, emailKey } from './throttle.ts';

export const RESET_TTL_MS = 60 * 60_000;
const MAX_REQUESTS_PER_HOUR = 3;

/**
 * Self-service password reset, as Okta and Auth0 offer it: the answer to a request never says
 * whether the address has an account; the link (one use, one hour) goes only to the account's
 * own email; using it ends every session of the user. Users whose every tenant signs them in
 * through an IdP get no link: their password lives there.
 */
export type ResetRequestOutcome = 'sent' | 'not_sent' | 'unavailable';

export async function requestPasswordReset(services: Services, address: string, req: LoginRequest): Promise<ResetRequestOutcome> {
  if (!services.delivery.email.via) return 'unavailable';
  const email = normalizeEmail(address);
  const user = await findUserByEmail(services.db, email);
  if (!user) return 'not_sent';
  const tenants = await tenantsOf(services, user.id);
  const record = (outcome: 'success' | 'denied', reason?: string) =>
    Promise.all(tenants.map((t) => services.audit.record(loginAudit(services, req, { operation: 'password.reset_requested', outcome, reason, tenantId: t.id, user, email, method: 'email' }))));
  const passwordTenants = [];
  for (const tenant of tenants) if (!(await services.login.ssoRouteFor(services.db, { tenant, user, returnTo: '/' }))) passwordTenants.push(tenant);
  if (passwordTenants.length === 0) {
    await record('denied', tenants.length ? 'sso_required' : 'no_membership');
    return 'not_sent';
  }
  const now = services.clock.now();
  const recent = await services.db
    .selectFrom('password_resets')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('user_id', '=', user.id)
    .where('created_at', '>', new Date(now.getTime() - 60 * 60_000))
    .executeTakeFirstOrThrow();
  if (Number(recent.n) >= MAX_REQUESTS_PER_HOUR) {
    await record('denied', 'rate_limited');
    return 'not_sent';
  }
  const { token } = generateToken('password_reset');
  await services.db
    .insertInto('password_resets')
    .values({ user_id: user.id, token_hash: services.tokens.hash(token).hash, created_at: now, expires_at: new Date(now.getTime() + RESET_TTL_MS) })
    .execute();
  await services.delivery.email.send({
    to: user.email,
    subject: 'Reset your Warden password',
    text: `Someone asked to reset the password of ${user.email} on Warden.\n\nTo choose a new password, open this link within one hour:\n${services.config.baseUrl}/login/reset/${token}\n\nIf it was not you, ignore this email: your password stays as it is.\n`,
  });
  await record('success');
  return 'sent';
}

/** The user a live reset link belongs to, or null (unknown, used, expired). */
export async function findResetUser(services: Services, token: string): Promise<User | null> {
  if (parseToken(token) !== 'password_reset') return null;
  const row = await services.db
    .selectFrom('password_resets')
    .innerJoin('users', 'users.id', 'password_resets.user_id')
    .selectAll('users')
    .where('password_resets.token_hash', 'in', services.tokens.candidates(token))
    .where('password_resets.used_at', 'is', null)
    .where('password_resets.expires_at', '>', services.clock.now())
    .executeTakeFirst();
  return row ?? null;
}

export type ResetOutcome = { kind: 'reset'; email: string } | { kind: 'invalid_password'; message: string } | { kind: 'expired' };

export async function resetPassword(services: Services, token: string, passwords: { password: string; confirmation: string }, req: LoginRequest): Promise<ResetOutcome> {
  const user = await findResetUser(services, token);
  if (!user) return { kind: 'expired' };
  const problem = passwordProblem(passwords.password, passwords.confirmation, user.email);
  if (problem) return { kind: 'invalid_password', message: problem };
  const passwordHash = await hashPassword(passwords.password);
  const tenants = await tenantsOf(services, user.id);
  const now = services.clock.now();
  const done = await transact(services.db, services.notifier, async (trx) => {
    const used = await trx
      .updateTable('password_resets')
      .set({ used_at: now })
      .where('token_hash', 'in', services.tokens.candidates(token))
      .where('used_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (!used) return false;
    // Every other link of this user dies too, and so does every session: whoever knew the old
    // password is signed out.
    await trx.updateTable('password_resets').set({ used_at: now }).where('user_id', '=', user.id).where('used_at', 'is', null).execute();
    await trx.updateTable('users').set({ password_hash: passwordHash, updated_at: now }).where('id', '=', user.id).execute();
    await trx.deleteFrom('browser_sessions').where('user_id', '=', user.id).execute();
    await clearFailures(trx, emailKey(user.email));
    await appendInTransaction(
      trx,
      tenants.map((t) => loginAudit(services, req, { operation: 'password.reset', outcome: 'success', tenantId: t.id, user, email: user.email, method: 'email' })),
    );
    return true;
  });
  return done ? { kind: 'reset', email: user.email } : { kind: 'expired' };
}
