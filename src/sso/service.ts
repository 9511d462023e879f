import type { Services } from '../app/services.ts';
import { transact } from '../db/connect.ts';
import { appendInTransaction } from '../audit/writer.ts';
import type { Tenant, User } from '../db/schema.ts';
import { addMembership } from '../members/store.ts';
import { createUser, findUserByEmail } from '../users/store.ts';
import { startFlow, type LoginFlow } from '../login/flows.ts';
import { completePrimaryAuth, loginAudit, type LoginOutcome, type LoginRequest } from '../login/service.ts';
import { isSsoExcluded } from './state.ts';
import type { SsoRouter } from '../login/seams.ts';
import type { FederatedIdentity } from './identity.ts';
import { FederationError } from './identity.ts';
import { FederationMetadataCache, wsfedConfigOf, wsfedSignInUrl } from './wsfed.ts';
import { DEFAULT_SCOPES, OidcDiscovery, oidcSignInUrl, type OidcClientSettings } from './oidc.ts';
import { samlConfigOf, samlSignInUrl } from './saml.ts';
import { findSettings, SSO_SECRET_PLACE, type SsoSettingsRow } from './store.ts';
import { spUrls } from './urls.ts';

export const SSO_STAGE = 'sso';
const LABELS: Record<string, string> = { okta: 'Okta', onelogin: 'OneLogin', azure: 'Microsoft Entra ID', google: 'Google' };

/** Per-process SSO state that is safe to cache: federation metadata and OIDC discovery. */
export class SsoRuntime {
  readonly metadata: FederationMetadataCache;
  readonly oidc = new OidcDiscovery();
  constructor(now: () => Date) {
    this.metadata = new FederationMetadataCache(now);
  }
}

export const providerLabel = (settings: Pick<SsoSettingsRow, 'provider' | 'protocol'>) =>
  LABELS[settings.provider ?? ''] ?? (settings.protocol === 'oidc' ? 'your identity provider' : 'single sign-on');

/** The login seam: SSO on and the user not excluded → the email step goes to the IdP. */
export const ssoRouter: SsoRouter = async (db, { tenant, user, returnTo }) => {
  const settings = await findSettings(db, tenant.id);
  if (!settings?.enabled || !settings.protocol) return null;
  if (await isSsoExcluded(db, tenant.id, user.id)) return null;
  const query = new URLSearchParams({ return_to: returnTo, login_hint: user.email });
  return { url: `/sso/${tenant.slug}/start?${query}`, label: providerLabel(settings) };
};

export async function oidcSettings(services: Services, tenant: Tenant, settings: SsoSettingsRow): Promise<OidcClientSettings> {
  const config = settings.config as { issuer?: string; client_id?: string; scopes?: string[] };
  if (settings.provider === 'google') {
    const google = services.config.google;
    if (!google.clientId || !google.clientSecret) throw new FederationError('google_not_configured', 'WARDEN_GOOGLE_CLIENT_ID / WARDEN_GOOGLE_CLIENT_SECRET are not set.');
    return { issuer: google.issuer, clientId: google.clientId, clientSecret: google.clientSecret, scopes: DEFAULT_SCOPES, requireVerifiedEmail: true };
  }
  if (!settings.client_secret || !config.issuer || !config.client_id) throw new FederationError('not_configured', 'OIDC is not fully configured.');
  const secret = await services.keyring.open(tenant.id, SSO_SECRET_PLACE(tenant.id), settings.client_secret);
  return { issuer: config.issuer, clientId: config.client_id, clientSecret: secret.reveal(), scopes: config.scopes ?? DEFAULT_SCOPES, requireVerifiedEmail: true };
}

/** Where the browser goes to start a federated sign-in (or a test sign-in) for `flowToken`. */
export async function federatedSignInUrl(services: Services, tenant: Tenant, settings: SsoSettingsRow, flowToken: string, loginHint?: string): Promise<string> {
  const deps = { db: services.db, baseUrl: services.config.baseUrl, now: () => services.clock.now() };
  switch (settings.protocol) {
    case 'saml':
      return samlSignInUrl(deps, tenant, samlConfigOf(settings), flowToken);
    case 'wsfed':
      return wsfedSignInUrl(services.config.baseUrl, tenant, wsfedConfigOf(settings), flowToken, services.clock.now());
    case 'oidc': {
      const oidc = await oidcSettings(services, tenant, settings);
      const config = await services.sso.oidc.configuration(oidc);
      return oidcSignInUrl(config, oidc, spUrls(services.config.baseUrl, tenant.slug).oidc_redirect_uri, services.sessionKey, flowToken, loginHint);
    }
    default:
      throw new FederationError('not_configured', 'SSO is not configured for this account.');
  }
}

export async function startFederatedFlow(services: Services, tenant: Tenant, fields: { returnTo: string; test: boolean }): Promise<string> {
  return startFlow(services.db, { userId: null, tenantId: tenant.id, stage: SSO_STAGE, returnTo: fields.returnTo, data: { test: fields.test }, now: services.clock.now() });
}

export type FederatedResult = LoginOutcome | { kind: 'test'; identity: FederatedIdentity };

/**
 * After the IdP vouched for someone: a test sign-in shows what arrived; a real one matches the
 * user by email (or provisions them just in time when the admin allowed it) and continues with
 * the login flow's next step (MFA never applies to federated sign-ins: the IdP did it).
 */
export async function completeFederatedSignIn(
  services: Services,
  tenant: Tenant,
  settings: SsoSettingsRow,
  identity: FederatedIdentity,
  flow: LoginFlow | null,
  returnTo: string,
  req: LoginRequest,
): Promise<FederatedResult> {
  if (flow?.data.test) {
    await services.audit.record(auditOf(services, req, tenant, identity.email, 'sso.test_sign_in', 'success', undefined, identity.protocol));
    return { kind: 'test', identity };
  }
  if (!settings.enabled) throw new FederationError('sso_disabled', 'SSO is not enabled for this account.');
  if (!identity.email) throw new FederationError('no_email', 'The IdP sent no usable email address.');
  const user = await memberFor(services, tenant, settings, identity.email, req);
  return completePrimaryAuth(services, { user, tenant, amr: ['fed'], returnTo, method: identity.protocol }, req);
}

async function memberFor(services: Services, tenant: Tenant, settings: SsoSettingsRow, email: string, req: LoginRequest): Promise<User> {
  const existing = await findUserByEmail(services.db, email);
  if (existing) {
    const member = await services.db.selectFrom('memberships').select('role').where('tenant_id', '=', tenant.id).where('user_id', '=', existing.id).executeTakeFirst();
    if (member) return existing;
  }
  if (!settings.jit_provisioning) throw new FederationError(existing ? 'not_a_member' : 'unknown_user', `${email} is not a member of ${tenant.slug}.`);
  return transact(services.db, services.notifier, async (trx) => {
    const user = existing ?? (await createUser(trx, { email }));
    await addMembership(trx, tenant.id, user.id, settings.jit_role);
    await appendInTransaction(trx, [
      { ...auditOf(services, req, tenant, email, 'sso.jit_provision', 'success', undefined, settings.protocol ?? 'sso'), input: { email, role: settings.jit_role } },
    ]);
    return user;
  });
}

export function auditOf(services: Services, req: LoginRequest, tenant: Tenant, email: string | undefined, operation: string, outcome: 'success' | 'denied' | 'failed', reason: string | undefined, method: string) {
  return loginAudit(services, req, { operation, outcome, reason, tenantId: tenant.id, user: undefined, email: email ?? '(unknown)', method });
}
