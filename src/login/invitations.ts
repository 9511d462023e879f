import type { Services } from '../app/services.ts';
import { appendInTransaction } from '../audit/writer.ts';
import { hashPassword, MIN_PASSWORD_LENGTH } from '../crypto/password.ts';
import { parseToken } from '../crypto/token-format.ts';
import type { Tenant, User } from '../db/schema.ts';
import { completePrimaryAuth, loginAudit, type LoginOutcome, type LoginRequest } from './service.ts';

export interface OpenInvitation {
  id: string;
  user: User;
  tenant: Tenant;
  expiresAt: Date;
}

/** A live invitation for a link's token, or null (unknown, expired, already used). */
export async function findInvitation(services: Services, token: string): Promise<OpenInvitation | null> {
  if (parseToken(token) !== 'invitation') return null;
  const row = await services.db
    .selectFrom('invitations')
    .selectAll()
    .where('token_hash', 'in', services.tokens.candidates(token))
    .where('accepted_at', 'is', null)
    .executeTakeFirst();
  if (!row || new Date(row.expires_at) <= services.clock.now()) return null;
  const user = await services.db.selectFrom('users').selectAll().where('id', '=', row.user_id).executeTakeFirst();
  const tenant = await services.tenants.byId(row.tenant_id);
  const member = await services.db.selectFrom('memberships').select('role').where('tenant_id', '=', row.tenant_id).where('user_id', '=', row.user_id).executeTakeFirst();
  if (!user || !tenant || !member) return null;
  return { id: row.id, user, tenant, expiresAt: new Date(row.expires_at) };
}

export function passwordProblem(password: string, confirmation: string, email: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `Choose a password of at least ${MIN_PASSWORD_LENGTH} characters.`;
  if (password.length > 1024) return 'That password is too long (at most 1024 characters).';
  if (password !== confirmation) return 'The two passwords differ. Type the same password twice.';
  if (password.trim().toLowerCase() === email.toLowerCase()) return 'Your password must not be your email address.';
  return null;
}

/**
 * Sets the invited user's password and signs them in. The invitation is used up in the same
 * transaction that sets the password, so a link works once even when clicked twice at once.
 */
export async function acceptInvitation(
  services: Services,
  token: string,
  passwords: { password: string; confirmation: string },
  req: LoginRequest,
): Promise<LoginOutcome | { kind: 'invalid_password'; message: string }> {
  const invitation = await findInvitation(services, token);
  if (!invitation) return { kind: 'refused', reason: 'flow_expired', message: 'This invitation link is no longer valid. Ask for a new invitation.' };
  const problem = passwordProblem(passwords.password, passwords.confirmation, invitation.user.email);
  if (problem) return { kind: 'invalid_password', message: problem };
  const passwordHash = await hashPassword(passwords.password);
  const accepted = await services.db.transaction().execute(async (trx) => {
    const used = await trx
      .updateTable('invitations')
      .set({ accepted_at: services.clock.now() })
      .where('id', '=', invitation.id)
      .where('accepted_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (!used) return false;
    await trx.updateTable('users').set({ password_hash: passwordHash, updated_at: services.clock.now() }).where('id', '=', invitation.user.id).execute();
    await appendInTransaction(trx, [
      loginAudit(services, req, { operation: 'invitation.accept', outcome: 'success', tenantId: invitation.tenant.id, user: invitation.user, email: invitation.user.email, method: 'invitation' }),
    ]);
    return true;
  });
  if (!accepted) return { kind: 'refused', reason: 'flow_expired', message: 'This invitation link has already been used.' };
  return completePrimaryAuth(services, { user: invitation.user, tenant: invitation.tenant, amr: ['pwd'], returnTo: '/', method: 'invitation' }, req);
}
