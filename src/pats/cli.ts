import type { Services } from '../app/services.ts';
import { transact } from '../db/connect.ts';
import { appendInTransaction } from '../audit/writer.ts';
import { isPermission, type Permission } from '../authz/permissions.ts';
import { forbidden, invalid, notFound } from '../core/errors.ts';
import { findUserByEmail } from '../users/store.ts';
import { MAX_PAT_DAYS, insertPat } from './service.ts';

/** `warden pat create`: an operator on the server's machine issues a token for a member. */
export async function createPatForMember(services: Services, opts: { tenant: string; email: string; scopes: string[]; name: string; days: number; project?: string }) {
  if (opts.days < 1 || opts.days > MAX_PAT_DAYS) throw invalid('INVALID_EXPIRY', `--days expects 1–${MAX_PAT_DAYS}.`, { field: 'days' });
  const unknown = opts.scopes.filter((s) => !isPermission(s));
  if (unknown.length) throw invalid('UNKNOWN_SCOPE', `Unknown scope(s): ${unknown.join(', ')}.`, { field: 'scopes' });
  const tenant = await services.tenants.bySlug(opts.tenant);
  if (!tenant) throw notFound('TENANT_NOT_FOUND', `No tenant "${opts.tenant}".`);
  const user = await findUserByEmail(services.db, opts.email);
  const project = opts.project
    ? await services.db.selectFrom('projects').select('id').where('tenant_id', '=', tenant.id).where('slug', '=', opts.project).executeTakeFirst()
    : undefined;
  if (opts.project && !project) throw notFound('PROJECT_NOT_FOUND', `No project "${opts.project}" in ${opts.tenant}.`);
  // Scopes may include permissions the member holds through a project binding (used with X-Project-Id).
  const membership = user && (await services.access.membership(tenant.id, user.id, project?.id));
  if (!user || !membership) throw notFound('MEMBER_NOT_FOUND', `${opts.email} is not a member of ${opts.tenant}.`);
  const notHeld = opts.scopes.filter((s) => !membership.permissions.has(s as Permission));
  if (notHeld.length) throw forbidden('SCOPE_NOT_HELD', `${opts.email}'s role (${membership.role}) does not grant: ${notHeld.join(', ')}.`, { field: 'scopes' });
  const expiresAt = new Date(services.clock.now().getTime() + opts.days * 86_400_000);
  return transact(services.db, services.notifier, async (trx) => {
    const pat = await insertPat(trx, services.tokens, { tenantId: tenant.id, userId: user.id, name: opts.name, scopes: opts.scopes as Permission[], expiresAt });
    await appendInTransaction(trx, [
      { tenantId: tenant.id, actor: [{ credential: 'system' }], operation: 'pats.create', target: opts.name, input: { email: user.email, scopes: opts.scopes, days: opts.days }, outcome: 'success', occurredAt: services.clock.now() },
    ]);
    return { tenant: tenant.slug, email: user.email, token: pat.token, scopes: opts.scopes, expiresAt: expiresAt.toISOString() };
  });
}
