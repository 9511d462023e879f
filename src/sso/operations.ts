import { z } from 'zod';
import { defineOperation, type OperationContext } from '../ops/types.ts';
import { conflict, invalid, notFound } from '../core/errors.ts';
import { publishInvalidation } from '../db/connect.ts';
import { email } from '../members/schema.ts';
import { findUserByEmail } from '../users/store.ts';
import { checkCertificates, fetchFederationMetadata, requireSecureUrl, save } from './configure.ts';
import { parseSamlMetadata } from './metadata.ts';
import { oidcConfig, samlConfig, ssoSettingsView, jitFields, SAML_PROVIDERS, wsfedConfig } from './schema.ts';
import { settingsView } from './settings-view.ts';
import { addExcluded, excludedUsers, findSettings, removeExcluded, setEnabled } from './store.ts';
import { runConnectionTest, connectionTestView } from './test-connection.ts';
import { fetchDocument } from './xml.ts';
import { oidcSettings } from './service.ts';
import { FederationError } from './identity.ts';

const MIN_EXCLUDED_WHEN_ENABLED = 2;
const view = (ctx: OperationContext) => settingsView(ctx.db, ctx.tenant, ctx.services.config.baseUrl, ctx.services.clock.now());
const write = { readOnly: false, destructive: false, idempotent: true } as const;

export const ssoGetSettings = defineOperation({
  name: 'sso.get_settings',
  title: 'Get SSO settings',
  description:
    "Show the tenant's single sign-on settings: whether SSO is on, the protocol and provider with their parameters (never secrets), certificate status and expiry warnings, SSO-excluded users, and the service-provider values the admin pastes into the IdP (SP entity ID, ACS URLs for SP- and IdP-initiated sign-in, SP metadata URL, WS-Fed realm and reply URL, OIDC redirect URI).",
  input: z.object({}),
  output: ssoSettingsView,
  permission: 'sso:read',
  annotations: { readOnly: true, destructive: false, idempotent: true },
  rest: { method: 'GET', path: '/sso' },
  handler: (ctx) => view(ctx),
});

export const ssoConfigureSaml = defineOperation({
  name: 'sso.configure_saml',
  title: 'Configure SAML 2.0 SSO',
  description:
    'Set SAML 2.0 as the SSO protocol with the IdP parameters: provider okta (fields: Identity Provider Single Sign-On URL → sso_url, Identity Provider Issuer → issuer, X.509 certificate), onelogin (SAML 2.0 Endpoint → sso_url, Issuer URL → issuer, X.509 certificate) or other. One or two certificates (current and next); the newest in-date one is tried first. Does not enable SSO (sso.enable). To fill these from IdP metadata use sso.import_metadata.',
  input: samlConfig,
  output: ssoSettingsView,
  permission: 'sso:write',
  annotations: write,
  rest: { method: 'PUT', path: '/sso/saml' },
  async handler(ctx, input) {
    ctx.audit.target = `saml:${input.provider}`;
    requireSecureUrl(input.sso_url, 'sso_url');
    checkCertificates(input.certificates, ctx.services.clock.now());
    const { provider, jit_provisioning, jit_role, ...config } = input;
    await save(ctx, { protocol: 'saml', provider, config, jitProvisioning: jit_provisioning, jitRole: jit_role });
    return view(ctx);
  },
});

export const ssoImportMetadata = defineOperation({
  name: 'sso.import_metadata',
  title: 'Import SAML IdP metadata',
  description:
    "Configure SAML 2.0 from the IdP's metadata, given as a URL (metadata_url) or pasted XML (metadata_xml): fills sso_url, issuer and up to two signing certificates, then saves like sso.configure_saml. Does not enable SSO.",
  input: z
    .object({
      provider: z.enum(SAML_PROVIDERS).default('other'),
      metadata_url: z.url({ protocol: /^https?$/ }).optional().describe('Where the IdP publishes its SAML metadata'),
      metadata_xml: z.string().min(50).max(2_000_000).optional().describe('The metadata document itself'),
      email_attribute: z.string().min(1).max(200).optional(),
      allow_idp_initiated: z.boolean().optional().describe('Accept IdP-initiated sign-in (default true)'),
      ...jitFields,
    })
    .refine((v) => Boolean(v.metadata_url) !== Boolean(v.metadata_xml), { message: 'expects exactly one of metadata_url or metadata_xml', path: ['metadata_url'] }),
  output: ssoSettingsView,
  permission: 'sso:write',
  annotations: write,
  rest: { method: 'POST', path: '/sso/saml/metadata' },
  async handler(ctx, input) {
    ctx.audit.target = `saml:${input.provider}`;
    if (input.metadata_url) requireSecureUrl(input.metadata_url, 'metadata_url');
    const xml = input.metadata_xml ?? (await fetchDocument(input.metadata_url!, 'metadata_url'));
    const metadata = parseSamlMetadata(xml, input.metadata_xml ? 'metadata_xml' : 'metadata_url');
    requireSecureUrl(metadata.ssoUrl, 'metadata_xml');
    checkCertificates(metadata.certificates, ctx.services.clock.now());
    const config = { sso_url: metadata.ssoUrl, issuer: metadata.issuer, certificates: metadata.certificates, ...(input.email_attribute ? { email_attribute: input.email_attribute } : {}), ...(input.allow_idp_initiated !== undefined ? { allow_idp_initiated: input.allow_idp_initiated } : {}), ...(input.metadata_url ? { metadata_url: input.metadata_url } : {}) };
    await save(ctx, { protocol: 'saml', provider: input.provider, config, jitProvisioning: input.jit_provisioning, jitRole: input.jit_role });
    return view(ctx);
  },
});

export const ssoConfigureWsfed = defineOperation({
  name: 'sso.configure_wsfed',
  title: 'Configure WS-Federation SSO',
  description:
    'Set WS-Federation as the SSO protocol: provider azure (Windows Azure / Entra ID) or other (AD FS), with the sign-on endpoint URL and the federation metadata document URL. The metadata is fetched now (it must be reachable and contain a token-signing certificate) and refreshed when a signature stops verifying. Does not enable SSO.',
  input: wsfedConfig,
  output: ssoSettingsView,
  permission: 'sso:write',
  annotations: write,
  rest: { method: 'PUT', path: '/sso/wsfed' },
  async handler(ctx, input) {
    ctx.audit.target = `wsfed:${input.provider}`;
    requireSecureUrl(input.sign_on_url, 'sign_on_url');
    requireSecureUrl(input.federation_metadata_url, 'federation_metadata_url');
    await fetchFederationMetadata(input.federation_metadata_url);
    ctx.services.sso.metadata.forget(input.federation_metadata_url);
    const { provider, jit_provisioning, jit_role, ...config } = input;
    await save(ctx, { protocol: 'wsfed', provider, config, jitProvisioning: jit_provisioning, jitRole: jit_role });
    return view(ctx);
  },
});

export const ssoConfigureOidc = defineOperation({
  name: 'sso.configure_oidc',
  title: 'Configure OpenID Connect SSO',
  description:
    "Set OpenID Connect as the SSO protocol. provider google needs no parameters (the deployment's own Google client). provider other works with any OIDC issuer (Okta, Entra ID, Auth0, Keycloak, Ping): issuer URL, client ID, client secret (stored sealed, never shown again) and scopes. Discovery is checked before saving. Register sso.get_settings' oidc_redirect_uri at the IdP. Does not enable SSO.",
  input: oidcConfig,
  output: ssoSettingsView,
  permission: 'sso:write',
  annotations: write,
  rest: { method: 'PUT', path: '/sso/oidc' },
  async handler(ctx, input) {
    ctx.audit.target = `oidc:${input.provider}`;
    if (input.provider === 'google') {
      const google = ctx.services.config.google;
      if (!google.clientId || !google.clientSecret)
        throw invalid('GOOGLE_NOT_CONFIGURED', "Sign-in with Google needs the deployment's Google client, which is not configured.", {
          field: 'provider',
          hint: 'The operator sets WARDEN_GOOGLE_CLIENT_ID and WARDEN_GOOGLE_CLIENT_SECRET; or use provider "other" with your own client.',
        });
      await ctx.services.sso.oidc.configuration({ issuer: google.issuer, clientId: google.clientId, clientSecret: google.clientSecret, scopes: [], requireVerifiedEmail: true }, 'provider');
      await save(ctx, { protocol: 'oidc', provider: 'google', config: {}, jitProvisioning: input.jit_provisioning, jitRole: input.jit_role });
      return view(ctx);
    }
    const issuer = input.issuer!;
    const clientId = input.client_id!;
    const clientSecret = input.client_secret!;
    requireSecureUrl(issuer, 'issuer');
    const scopes = input.scopes && input.scopes.length > 0 ? [...new Set(['openid', ...input.scopes])] : undefined;
    await ctx.services.sso.oidc.configuration({ issuer, clientId, clientSecret, scopes: scopes ?? [], requireVerifiedEmail: true });
    const config = { issuer, client_id: clientId, ...(scopes ? { scopes } : {}) };
    await save(ctx, { protocol: 'oidc', provider: 'other', config, clientSecret, jitProvisioning: input.jit_provisioning, jitRole: input.jit_role });
    return view(ctx);
  },
});

export const ssoEnable = defineOperation({
  name: 'sso.enable',
  title: 'Enable SSO',
  description:
    "Turn SSO on: from the next sign-in, every member who is not SSO-excluded signs in through the IdP (password sign-in is refused for them). Needs a saved configuration that passes its checks and at least two SSO-excluded users (the owner and a fallback admin) so the tenant cannot be locked out. Run sso.test_connection first.",
  input: z.object({}),
  output: ssoSettingsView,
  permission: 'sso:write',
  annotations: write,
  rest: { method: 'POST', path: '/sso/enable' },
  async handler(ctx) {
    ctx.audit.target = ctx.tenant.slug;
    const settings = await findSettings(ctx.db, ctx.tenant.id);
    if (!settings?.protocol) throw conflict('SSO_NOT_CONFIGURED', 'SSO has no configuration yet.', { hint: 'Configure it first: sso.configure_saml, sso.import_metadata, sso.configure_wsfed or sso.configure_oidc.' });
    const excluded = await excludedUsers(ctx.db, ctx.tenant.id);
    if (excluded.length < MIN_EXCLUDED_WHEN_ENABLED)
      throw conflict('SSO_NEEDS_FALLBACK_ADMIN', `Enabling SSO needs at least ${MIN_EXCLUDED_WHEN_ENABLED} SSO-excluded users (now: ${excluded.map((e) => e.email).join(', ') || 'none'}).`, {
        field: 'excluded_users',
        hint: 'Add a fallback admin with sso.add_excluded_user; they keep password sign-in if the IdP fails.',
      });
    if (settings.protocol === 'saml') checkCertificates((settings.config.certificates as string[]) ?? [], ctx.services.clock.now());
    if (settings.protocol === 'oidc') {
      const oidc = await oidcSettings(ctx.services, ctx.tenant, settings).catch((err: FederationError) => {
        throw invalid('SSO_NOT_READY', `OIDC is not ready: ${err.message}`, { field: 'provider' });
      });
      await ctx.services.sso.oidc.configuration(oidc);
    }
    await setEnabled(ctx.db, ctx.tenant.id, true);
    await publishInvalidation(ctx.db, `sso:${ctx.tenant.id}`);
    return view(ctx);
  },
});

export const ssoDisable = defineOperation({
  name: 'sso.disable',
  title: 'Disable SSO',
  description:
    'Turn SSO off: every member signs in with their password again. Members who never had a Warden password (just-in-time users, or users who only ever used SSO) set one through "Forgot your password?" on the sign-in page (needs email delivery). The SSO configuration is kept for a later sso.enable. Needs confirmation (repeat the tenant slug).',
  input: z.object({}),
  output: ssoSettingsView,
  permission: 'sso:write',
  annotations: { readOnly: false, destructive: true, idempotent: true },
  irreversible: { target: async (ctx) => ctx.tenant.slug },
  rest: { method: 'POST', path: '/sso/disable' },
  async handler(ctx) {
    ctx.audit.target = ctx.tenant.slug;
    await setEnabled(ctx.db, ctx.tenant.id, false);
    await publishInvalidation(ctx.db, `sso:${ctx.tenant.id}`);
    return view(ctx);
  },
});

async function memberByEmail(ctx: OperationContext, address: string) {
  const user = await findUserByEmail(ctx.db, address);
  const member = user && (await ctx.db.selectFrom('memberships').select('role').where('tenant_id', '=', ctx.tenant.id).where('user_id', '=', user.id).executeTakeFirst());
  if (!user || !member) throw notFound('MEMBER_NOT_FOUND', `${address} is not a member of this tenant.`, 'members.list shows the members; members.invite adds one.');
  return user;
}

export const ssoAddExcludedUser = defineOperation({
  name: 'sso.add_excluded_user',
  title: 'Exclude a user from SSO',
  description: 'Let a member keep signing in with their password (and MFA) while SSO is on — typically a fallback admin for when the IdP is down.',
  input: z.object({ email }),
  output: ssoSettingsView,
  permission: 'sso:write',
  annotations: write,
  rest: { method: 'POST', path: '/sso/excluded-users' },
  async handler(ctx, input) {
    ctx.audit.target = input.email;
    const user = await memberByEmail(ctx, input.email);
    await addExcluded(ctx.db, ctx.tenant.id, user.id);
    return view(ctx);
  },
});

export const ssoRemoveExcludedUser = defineOperation({
  name: 'sso.remove_excluded_user',
  title: 'Stop excluding a user from SSO',
  description: 'Make a member sign in through the IdP again while SSO is on. While SSO is enabled at least two excluded users must remain.',
  input: z.object({ email }),
  output: ssoSettingsView,
  permission: 'sso:write',
  annotations: { readOnly: false, destructive: false, idempotent: true },
  rest: { method: 'DELETE', path: '/sso/excluded-users/{email}' },
  async handler(ctx, input) {
    ctx.audit.target = input.email;
    const user = await memberByEmail(ctx, input.email);
    const settings = await findSettings(ctx.db, ctx.tenant.id);
    const excluded = await excludedUsers(ctx.db, ctx.tenant.id);
    if (!excluded.some((e) => e.user_id === user.id)) throw notFound('NOT_EXCLUDED', `${input.email} is not SSO-excluded.`, 'sso.get_settings lists excluded users.');
    if (settings?.enabled && excluded.length <= MIN_EXCLUDED_WHEN_ENABLED)
      throw conflict('SSO_NEEDS_FALLBACK_ADMIN', `While SSO is on, at least ${MIN_EXCLUDED_WHEN_ENABLED} users must stay SSO-excluded.`, { field: 'email', hint: 'Exclude another admin first (sso.add_excluded_user), or disable SSO.' });
    await removeExcluded(ctx.db, ctx.tenant.id, user.id);
    return view(ctx);
  },
});

export const ssoTestConnection = defineOperation({
  name: 'sso.test_connection',
  title: 'Test the SSO connection',
  description:
    "Check the saved SSO configuration without enabling it: IdP metadata / OIDC discovery reachable, certificates parseable and in date. Also returns test_sign_in_url (valid 10 minutes, one use): open it in a browser to run a whole sign-in through the IdP that creates no session and shows the attributes that arrived (useful to check the email mapping).",
  input: z.object({}),
  output: connectionTestView,
  permission: 'sso:write',
  annotations: { readOnly: false, destructive: false, idempotent: false },
  rest: { method: 'POST', path: '/sso/test' },
  async handler(ctx) {
    ctx.audit.target = ctx.tenant.slug;
    return runConnectionTest(ctx);
  },
});

export const ssoOperations = [
  ssoGetSettings,
  ssoConfigureSaml,
  ssoImportMetadata,
  ssoConfigureWsfed,
  ssoConfigureOidc,
  ssoEnable,
  ssoDisable,
  ssoAddExcludedUser,
  ssoRemoveExcludedUser,
  ssoTestConnection,
];
