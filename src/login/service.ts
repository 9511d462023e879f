import type { Services } from '../app/services.ts';
import type { AuditEntry } from '../audit/entry.ts';
import type { Tenant, User } from '../db/schema.ts';
import { verifyPassword } from '../crypto/password.ts';
import { findUserByEmail, normalizeEmail } from '../users/store.ts';
import { LOGIN_POLICY } from './policy.ts';
import { openSession } from './sessions.ts';
import { clearFailures, emailKey, ipKey, lockedUntil, recordFailure } from './throttle.ts';
import { endFlow, findFlow, startFlow, type LoginFlow } from './flows.ts';
import type { SsoRoute } from './seams.ts';

/** Who is at the browser: recorded on sessions and audit records. */
export interface LoginRequest {
  ip: string | undefined;
  userAgent: string | undefined;
  requestId: string;
}

export type EmailStep = { kind: 'password'; email: string } | { kind: 'sso'; route: SsoRoute };

export type LoginOutcome =
  | { kind: 'signed_in'; sessionToken: string; expiresAt: Date; returnTo: string }
  | { kind: 'next_step'; flowToken: string; path: string }
  | { kind: 'refused'; reason: RefusalReason; message: string; sso?: SsoRoute | undefined };

export type RefusalReason = 'bad_credentials' | 'locked' | 'sso_required' | 'no_membership' | 'flow_expired';

const BAD_CREDENTIALS = 'That email and password do not match an account.';
export const CHOOSE_TENANT_STAGE = 'choose_tenant';

/**
 * The email step: a user whose tenant signs in through an IdP goes there; everyone else (and
 * every unknown address, so the page does not reveal who has an account) gets the password form.
 */
export async function routeEmail(services: Services, email: string, tenantSlug: string | undefined, returnTo: string): Promise<EmailStep> {
  const normalized = normalizeEmail(email);
  const user = await findUserByEmail(services.db, normalized);
  if (!user) return { kind: 'password', email: normalized };
  const tenants = await tenantsOf(services, user.id);
  const tenant = tenantSlug ? tenants.find((t) => t.slug === tenantSlug) : tenants.length === 1 ? tenants[0] : undefined;
  if (tenant) {
    const route = await services.login.ssoRouteFor(services.db, { tenant, user, returnTo });
    if (route) return { kind: 'sso', route };
  }
  return { kind: 'password', email: normalized };
}

export async function signInWithPassword(
  services: Services,
  attempt: { email: string; password: string; tenantSlug: string | undefined; returnTo: string },
  req: LoginRequest,
): Promise<LoginOutcome> {
  const { db, clock } = services;
  const now = clock.now();
  const email = normalizeEmail(attempt.email);
  const keys = [emailKey(email), ...(req.ip ? [ipKey(req.ip)] : [])];
  const user = await findUserByEmail(db, email);
  const tenants = user ? await tenantsOf(services, user.id) : [];
  const auditTenant = tenantForAudit(tenants, attempt.tenantSlug);
  const audit = (operation: string, outcome: AuditEntry['outcome'], reason?: string) =>
    services.audit.record(loginAudit(services, req, { operation, outcome, reason, tenantId: auditTenant?.id ?? null, user, email, method: 'password' }));

  const locked = await lockedUntil(db, keys, now);
  if (locked) {
    await audit('login.failure', 'denied', 'locked');
    return lockedOutcome(locked, now);
  }
  // SSO first: a user whose every account signs in through an IdP is sent there, whatever the
  // password (the email step has already told the browser as much).
  const candidates = attempt.tenantSlug ? tenants.filter((t) => t.slug === attempt.tenantSlug) : tenants;
  const passwordTenants: Tenant[] = [];
  let sso: SsoRoute | undefined;
  if (user) {
    for (const tenant of candidates) {
      const route = await services.login.ssoRouteFor(db, { tenant, user, returnTo: attempt.returnTo });
      if (route) sso ??= route;
      else passwordTenants.push(tenant);
    }
  }
  if (user && candidates.length > 0 && passwordTenants.length === 0) {
    await audit('login.failure', 'denied', 'sso_required');
    return { kind: 'refused', reason: 'sso_required', message: 'Your organisation signs you in through its identity provider, not with a password.', sso };
  }
  // Always run the hash, so an unknown address costs the same time as a wrong password.
  const passwordOk = await verifyPassword(attempt.password, user?.password_hash ?? null);
  if (!user || !passwordOk) {
    await audit('login.failure', 'denied', user ? 'wrong_password' : 'unknown_user');
    const emailLock = await recordFailure(db, emailKey(email), LOGIN_POLICY.maxFailuresPerEmail, now);
    const ipLock = req.ip ? await recordFailure(db, ipKey(req.ip), LOGIN_POLICY.maxFailuresPerIp, now) : null;
    const lockedNow = emailLock ?? ipLock;
    if (!lockedNow) return { kind: 'refused', reason: 'bad_credentials', message: BAD_CREDENTIALS };
    await audit('login.lockout', 'denied', `${LOGIN_POLICY.lockoutMs / 60_000} minutes`);
    return lockedOutcome(lockedNow, now);
  }
  await clearFailures(db, emailKey(email));

  if (candidates.length === 0) {
    await audit('login.failure', 'denied', 'no_membership');
    const where = attempt.tenantSlug ? `the account "${attempt.tenantSlug}"` : 'any account';
    return { kind: 'refused', reason: 'no_membership', message: `You are not a member of ${where}. Ask an owner of the account to invite you.` };
  }
  if (passwordTenants.length > 1) {
    const flowToken = await startFlow(db, {
      userId: user.id,
      tenantId: null,
      stage: CHOOSE_TENANT_STAGE,
      returnTo: attempt.returnTo,
      amr: ['pwd'],
      data: { tenants: passwordTenants.map((t) => t.id) },
      now,
    });
    return { kind: 'next_step', flowToken, path: '/login/account' };
  }
  return completePrimaryAuth(services, { user, tenant: passwordTenants[0]!, amr: ['pwd'], returnTo: attempt.returnTo, method: 'password' }, req);
}

/** The tenants a multi-tenant user may pick after their password (never shown before it). */
export async function tenantChoices(services: Services, flowToken: string | undefined): Promise<{ flow: LoginFlow; tenants: Tenant[] } | null> {
  const flow = await findFlow(services.db, flowToken, CHOOSE_TENANT_STAGE, services.clock.now());
  if (!flow) return null;
  const ids = (flow.data.tenants as string[]) ?? [];
  const tenants = (await Promise.all(ids.map((id) => services.tenants.byId(id)))).filter((t): t is Tenant => Boolean(t));
  return { flow, tenants };
}

export async function chooseTenant(services: Services, flowToken: string | undefined, slug: string, req: LoginRequest): Promise<LoginOutcome> {
  const choices = await tenantChoices(services, flowToken);
  const tenant = choices?.tenants.find((t) => t.slug === slug);
  if (!choices || !tenant || !choices.flow.userId) return flowExpired();
  const user = await services.db.selectFrom('users').selectAll().where('id', '=', choices.flow.userId).executeTakeFirst();
  if (!user) return flowExpired();
  await endFlow(services.db, choices.flow);
  return completePrimaryAuth(services, { user, tenant, amr: choices.flow.amr, returnTo: choices.flow.returnTo, method: 'password' }, req);
}

/**
 * The first factor (password or IdP) succeeded. A registered second factor may ask for another
 * step first; otherwise the session opens. SSO and MFA call this too.
 */
export async function completePrimaryAuth(
  services: Services,
  auth: { user: User; tenant: Tenant; amr: string[]; returnTo: string; method: string },
  req: LoginRequest,
): Promise<LoginOutcome> {
  const pending = await services.login.pendingStepFor(services.db, { tenant: auth.tenant, user: auth.user, amr: auth.amr });
  if (pending) {
    const flowToken = await startFlow(services.db, {
      userId: auth.user.id,
      tenantId: auth.tenant.id,
      stage: pending.stage,
      returnTo: auth.returnTo,
      amr: auth.amr,
      data: { method: auth.method },
      now: services.clock.now(),
    });
    return { kind: 'next_step', flowToken, path: pending.path };
  }
  return openSignedInSession(services, auth, req);
}

/** Opens the session once every step is done (MFA calls this after its step). */
export async function openSignedInSession(
  services: Services,
  auth: { user: User; tenant: Tenant; amr: string[]; returnTo: string; method: string },
  req: LoginRequest,
): Promise<LoginOutcome> {
  const session = await openSession(services.db, services.tokens, {
    userId: auth.user.id,
    tenantId: auth.tenant.id,
    amr: auth.amr,
    now: services.clock.now(),
    ip: req.ip,
    userAgent: req.userAgent,
  });
  await services.audit.record(
    loginAudit(services, req, { operation: 'login.success', outcome: 'success', tenantId: auth.tenant.id, user: auth.user, email: auth.user.email, method: auth.method }),
  );
  return { kind: 'signed_in', sessionToken: session.token, expiresAt: session.expiresAt, returnTo: auth.returnTo };
}

export async function tenantsOf(services: Services, userId: string): Promise<Tenant[]> {
  return services.db
    .selectFrom('memberships')
    .innerJoin('tenants', 'tenants.id', 'memberships.tenant_id')
    .selectAll('tenants')
    .where('memberships.user_id', '=', userId)
    .orderBy('tenants.slug')
    .execute();
}

export function loginAudit(
  services: Services,
  req: LoginRequest,
  e: { operation: string; outcome: AuditEntry['outcome']; reason?: string | undefined; tenantId: string | null; user: Pick<User, 'id' | 'email'> | undefined; email: string; method: string },
): AuditEntry {
  return {
    tenantId: e.tenantId,
    actor: [{ credential: 'session', ...(e.user ? { userId: e.user.id, email: e.user.email } : { email: e.email }) }],
    operation: e.operation,
    target: e.email,
    input: { method: e.method },
    outcome: e.outcome,
    errorCode: e.reason ?? null,
    requestId: req.requestId,
    ip: req.ip ?? null,
    userAgent: req.userAgent ?? null,
    occurredAt: services.clock.now(),
  };
}

function tenantForAudit(tenants: Tenant[], slug: string | undefined): Tenant | undefined {
  if (slug) return tenants.find((t) => t.slug === slug);
  return tenants.length === 1 ? tenants[0] : undefined;
}

function lockedOutcome(until: Date, now: Date): LoginOutcome {
  const minutes = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 60_000));
  return { kind: 'refused', reason: 'locked', message: `Too many failed sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.` };
}

export const flowExpired = (): LoginOutcome => ({ kind: 'refused', reason: 'flow_expired', message: 'This sign-in has expired. Please start again.' });
