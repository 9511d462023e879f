import { randomBytes } from 'node:crypto';
import type { Services } from '../app/services.ts';
import { appendInTransaction } from '../audit/writer.ts';
import { ALL_PERMISSIONS } from '../authz/permissions.ts';
import { conflict } from '../core/errors.ts';
import { hashPassword, MIN_PASSWORD_LENGTH } from '../crypto/password.ts';
import { invalid } from '../core/errors.ts';
import { publishInvalidation, transact } from '../db/connect.ts';
import { insertPat, MAX_PAT_DAYS } from '../pats/service.ts';
import { createUser, findUserByEmail } from '../users/store.ts';
import { z } from 'zod';
import { createTenant } from './service.ts';

export interface BootstrapResult {
  tenant: string;
  email: string;
  password: string | undefined;
  pat: string;
  patExpiresAt: string;
}

/**
 * Creates a tenant and its owner, and a PAT holding every scope (shown once). An existing user
 * becomes owner of the new tenant and keeps their password. One transaction: all or nothing.
 */
export async function bootstrapTenant(services: Services, opts: { tenant: string; email: string; password?: string; patDays?: number }): Promise<BootstrapResult> {
  if (!z.email().safeParse(opts.email).success) throw invalid('INVALID_EMAIL', `"${opts.email}" is not an email address.`, { field: 'email' });
  if (opts.password !== undefined && opts.password.length < MIN_PASSWORD_LENGTH)
    throw invalid('WEAK_PASSWORD', `The password must be at least ${MIN_PASSWORD_LENGTH} characters.`, { field: 'password' });
  return transact(services.db, services.notifier, async (trx) => {
    const tenant = await createTenant(trx, { slug: opts.tenant });
    let user = await findUserByEmail(trx, opts.email);
    let password: string | undefined;
    if (user) {
      if (opts.password !== undefined) throw conflict('USER_EXISTS', `${opts.email} already has an account; its password is kept.`, { field: 'password', hint: 'Omit --password.' });
    } else {
      password = opts.password ?? randomBytes(15).toString('base64url');
      user = await createUser(trx, { email: opts.email, passwordHash: await hashPassword(password) });
    }
    await trx.insertInto('memberships').values({ tenant_id: tenant.id, user_id: user.id, role: 'owner' }).execute();
    await publishInvalidation(trx, `member:${tenant.id}:${user.id}`);
    const expiresAt = new Date(services.clock.now().getTime() + (opts.patDays ?? 30) * 86_400_000);
    if ((opts.patDays ?? 30) > MAX_PAT_DAYS) throw invalid('PAT_TOO_LONG', `A token may live at most ${MAX_PAT_DAYS} days.`);
    const pat = await insertPat(trx, services.tokens, { tenantId: tenant.id, userId: user.id, name: 'bootstrap', scopes: ALL_PERMISSIONS, expiresAt });
    await appendInTransaction(trx, [
      {
        tenantId: tenant.id,
        actor: [{ credential: 'system' }],
        operation: 'tenant.bootstrap',
        target: tenant.slug,
        input: { tenant: tenant.slug, email: user.email },
        outcome: 'success',
        occurredAt: services.clock.now(),
      },
    ]);
    return {
      tenant: tenant.slug,
      email: user.email,
      password: opts.password === undefined ? password : undefined,
      pat: pat.token,
      patExpiresAt: expiresAt.toISOString(),
    };
  });
}
