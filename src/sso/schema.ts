import { z } from 'zod';

const httpsUrl = (what: string) =>
  z.url({ protocol: /^https?$/, error: `expects the ${what} as an http(s) URL` });

const certificate = z
  .string()
  .min(100, 'expects a whole X.509 certificate (PEM or base64), not a fingerprint')
  .max(20_000)
  .describe('X.509 signing certificate, PEM or base64 DER');

export const SAML_PROVIDERS = ['okta', 'onelogin', 'other'] as const;
export const WSFED_PROVIDERS = ['azure', 'other'] as const;
export const OIDC_PROVIDERS = ['google', 'other'] as const;

export const jitFields = {
  jit_provisioning: z.boolean().optional().describe('Create unknown users who sign in through the IdP (default off: they are refused)'),
  jit_role: z.string().min(1).max(64).optional().describe('Role for just-in-time users (default "member")'),
};

export const samlConfig = z.object({
  provider: z.enum(SAML_PROVIDERS).describe('okta | onelogin | other'),
  sso_url: httpsUrl('IdP single sign-on URL').describe("The IdP's SSO URL (Okta: Identity Provider Single Sign-On URL; OneLogin: SAML 2.0 Endpoint (HTTP))"),
  issuer: z.string().min(1).max(1000).describe("The IdP's entity ID (Okta: Identity Provider Issuer; OneLogin: Issuer URL)"),
  certificates: z.array(certificate).min(1, 'expects at least one signing certificate').max(2, 'expects at most two certificates (current and next)'),
  email_attribute: z.string().min(1).max(200).optional().describe('Attribute holding the email; default: the NameID, then common email attributes'),
  allow_idp_initiated: z.boolean().optional().describe('Accept IdP-initiated sign-in (unsolicited responses at the IdP-initiated ACS); default true. Turn off if the IdP only starts from Warden.'),
  ...jitFields,
});

export const wsfedConfig = z.object({
  provider: z.enum(WSFED_PROVIDERS).describe('azure (Entra ID) | other (AD FS or any WS-Federation STS)'),
  sign_on_url: httpsUrl('sign-on endpoint').describe('Azure AD / AD FS sign-on endpoint URL (wsignin1.0 goes here)'),
  federation_metadata_url: httpsUrl('federation metadata document URL').describe('Federation metadata document URL (token-signing certificates come from it)'),
  email_claim: z.string().min(1).max(300).optional().describe('Claim holding the email; default: emailaddress / upn / NameIdentifier'),
  ...jitFields,
});

export const oidcConfig = z
  .object({
    provider: z.enum(OIDC_PROVIDERS).describe("google (the deployment's Google client; no other fields) | other (any OIDC issuer)"),
    issuer: httpsUrl('issuer URL').optional().describe('OIDC issuer, e.g. https://acme.okta.com or https://login.microsoftonline.com/{tenant}/v2.0'),
    client_id: z.string().min(1).max(500).optional(),
    client_secret: z.string().min(1).max(2000).optional().describe('Stored sealed by the keyring; never shown again'),
    scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'expects scope tokens without spaces')).max(20).optional().describe('Default ["openid","email","profile"]'),
    ...jitFields,
  })
  .superRefine((v, ctx) => {
    for (const field of ['issuer', 'client_id', 'client_secret'] as const) {
      if (v.provider === 'other' && !v[field]) ctx.addIssue({ code: 'custom', path: [field], message: `expects ${field} for provider "other"` });
      if (v.provider === 'google' && v[field]) ctx.addIssue({ code: 'custom', path: [field], message: 'provider "google" takes no parameters: remove it, or use provider "other"' });
    }
  });

export const certificateReport = z.object({
  index: z.number().int(),
  status: z.enum(['valid', 'expiring_soon', 'expired', 'not_yet_valid', 'unparseable']),
  subject: z.string().nullable(),
  not_before: z.string().nullable(),
  not_after: z.string().nullable(),
  fingerprint_sha256: z.string().nullable(),
  message: z.string(),
});

export const ssoSettingsView = z.object({
  enabled: z.boolean(),
  protocol: z.enum(['saml', 'wsfed', 'oidc']).nullable(),
  provider: z.string().nullable(),
  config: z.record(z.string(), z.unknown()).describe('The parameters in force (secrets are never shown: client_secret_set says whether one is stored)'),
  certificates: z.array(certificateReport),
  warnings: z.array(z.string()),
  jit_provisioning: z.boolean(),
  jit_role: z.string(),
  excluded_users: z.array(z.string()).describe('Emails that keep password sign-in while SSO is on'),
  service_provider: z.object({
    entity_id: z.string(),
    metadata_url: z.string(),
    acs_url: z.string(),
    idp_initiated_acs_url: z.string(),
    wsfed_realm: z.string(),
    wsfed_reply_url: z.string(),
    oidc_redirect_uri: z.string(),
    sign_in_url: z.string(),
  }).describe('What to paste into the IdP'),
});
export type SsoSettingsView = z.infer<typeof ssoSettingsView>;
