import type { DB } from '../db/connect.ts';
import type { Tenant } from '../db/schema.ts';
import { inspectCertificate } from './certificates.ts';
import type { SsoSettingsView } from './schema.ts';
import { excludedUsers, findSettings } from './store.ts';
import { spUrls } from './urls.ts';

/** sso.get_settings' answer, also returned by every SSO change so the agent sees the new state. */
export async function settingsView(db: DB, tenant: Tenant, baseUrl: string, now: Date): Promise<SsoSettingsView> {
  const settings = await findSettings(db, tenant.id);
  const excluded = await excludedUsers(db, tenant.id);
  const certificates = ((settings?.config.certificates as string[] | undefined) ?? []).map((c, i) => inspectCertificate(c, i, now));
  const warnings = certificates.filter((c) => c.status !== 'valid').map((c) => c.message);
  if (settings?.protocol === 'saml' && certificates.length > 0 && !certificates.some((c) => c.status === 'valid' || c.status === 'expiring_soon'))
    warnings.push('No certificate is in date: SAML sign-ins will fail until a valid certificate is configured.');
  if (settings?.enabled && excluded.length < 2) warnings.push('Fewer than two users are excluded from SSO: keep a fallback admin who can sign in with a password.');
  const { certificates: _certs, ...config } = settings?.config ?? {};
  if (settings?.protocol === 'oidc') config.client_secret_set = Boolean(settings.client_secret) || settings.provider === 'google';
  return {
    enabled: settings?.enabled ?? false,
    protocol: settings?.protocol ?? null,
    provider: settings?.provider ?? null,
    config,
    certificates,
    warnings,
    jit_provisioning: settings?.jit_provisioning ?? false,
    jit_role: settings?.jit_role ?? 'member',
    excluded_users: excluded.map((e) => e.email),
    service_provider: spUrls(baseUrl, tenant.slug),
  };
}
