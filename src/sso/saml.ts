import { SAML, ValidateInResponseTo, type CacheProvider, type Profile } from '@node-saml/node-saml';
import type { DB } from '../db/connect.ts';
import type { Tenant } from '../db/schema.ts';
import { certificatesInTrialOrder } from './certificates.ts';
import { asEmail, FederationError, type FederatedIdentity } from './identity.ts';
import { peekOnce, rememberOnce, takeOnce, type SsoSettingsRow } from './store.ts';
import { spUrls } from './urls.ts';
import { hasDtd, nodes, parseXml, text } from './xml.ts';

/** Bounded clock skew between Warden and the IdP. */
export const CLOCK_SKEW_MS = 2 * 60_000;
const REQUEST_TTL_MS = 10 * 60_000;
const EMAIL_NAMEID = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

export interface SamlConfig {
  sso_url: string;
  issuer: string;
  certificates: string[];
  email_attribute?: string;
  allow_idp_initiated?: boolean;
}

/** node-saml's outstanding-request cache, in Postgres so the ACS may land on any server. */
function requestCache(db: DB, tenantId: string, now: () => Date): CacheProvider {
  return {
    async saveAsync(key, value) {
      await rememberOnce(db, { tenantId, kind: 'request', id: key, value, expiresAt: new Date(now().getTime() + REQUEST_TTL_MS) });
      return { value, createdAt: now().getTime() };
    },
    getAsync: (key) => peekOnce(db, { tenantId, kind: 'request', id: key, now: now() }),
    removeAsync: async (key) => (key ? takeOnce(db, { tenantId, kind: 'request', id: key, now: now() }) : null),
  };
}

export type AcsMode = 'sp' | 'idp';

interface SignedAssertion {
  $?: { ID?: string };
  Issuer?: (string | { _?: string })[];
  Subject?: { SubjectConfirmation?: { SubjectConfirmationData?: { $?: { Recipient?: string } }[] }[] }[];
  Conditions?: { $?: { NotOnOrAfter?: string } }[];
}

export function samlClient(deps: { db: DB; baseUrl: string; now: () => Date }, tenant: Tenant, config: SamlConfig, mode: AcsMode): SAML {
  const urls = spUrls(deps.baseUrl, tenant.slug);
  const certificates = certificatesInTrialOrder(config.certificates, deps.now());
  if (certificates.length === 0) throw new FederationError('certificate_invalid', 'No configured IdP certificate is in date.');
  return new SAML({
    entryPoint: config.sso_url,
    issuer: urls.entity_id,
    callbackUrl: mode === 'sp' ? urls.acs_url : urls.idp_initiated_acs_url,
    idpCert: certificates,
    idpIssuer: config.issuer,
    audience: urls.entity_id,
    // Either the response or the assertion must carry a valid signature (node-saml then reads
    // only the signed XML, which is what defeats signature-wrapping).
    wantAuthnResponseSigned: false,
    wantAssertionsSigned: false,
    acceptedClockSkewMs: CLOCK_SKEW_MS,
    validateInResponseTo: mode === 'sp' ? ValidateInResponseTo.always : ValidateInResponseTo.never,
    requestIdExpirationPeriodMs: REQUEST_TTL_MS,
    cacheProvider: requestCache(deps.db, tenant.id, deps.now),
    identifierFormat: EMAIL_NAMEID,
    disableRequestedAuthnContext: true,
  });
}

export function samlConfigOf(settings: SsoSettingsRow): SamlConfig {
  return settings.config as unknown as SamlConfig;
}

/** The AuthnRequest redirect (HTTP-Redirect binding) for an SP-initiated sign-in. */
export async function samlSignInUrl(deps: { db: DB; baseUrl: string; now: () => Date }, tenant: Tenant, config: SamlConfig, relayState: string): Promise<string> {
  return samlClient(deps, tenant, config, 'sp').getAuthorizeUrlAsync(relayState, undefined, {});
}

/**
 * Validates an HTTP-POST SAMLResponse. node-saml checks the signature (response or assertion,
 * against the configured certificates in order), issuer, audience, time conditions with bounded
 * skew and InResponseTo; Warden adds what it leaves out: no DTDs, Destination and Recipient equal
 * to this ACS, no comments in the signed assertion, and one-time assertion ids across servers.
 */
export async function validateSamlResponse(
  deps: { db: DB; baseUrl: string; now: () => Date },
  tenant: Tenant,
  config: SamlConfig,
  samlResponse: string,
  mode: AcsMode,
): Promise<FederatedIdentity> {
  const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
  if (hasDtd(xml)) throw new FederationError('dtd_refused', 'The SAML response contains a DTD.');
  const urls = spUrls(deps.baseUrl, tenant.slug);
  const acs = mode === 'sp' ? urls.acs_url : urls.idp_initiated_acs_url;
  const responseDoc = parseXmlOrRefuse(xml);
  const inResponseTo = text('/samlp:Response/@InResponseTo', responseDoc);
  if (mode === 'idp' && config.allow_idp_initiated === false) throw new FederationError('idp_initiated_disabled', 'IdP-initiated sign-in is turned off for this account.');
  if (mode === 'idp' && inResponseTo) throw new FederationError('unsolicited_with_in_response_to', 'A response to an SP request arrived at the IdP-initiated endpoint.');
  if (mode === 'sp' && !inResponseTo) throw new FederationError('in_response_to_missing', 'The response does not answer a request from Warden.');

  let profile: Profile | null;
  try {
    ({ profile } = await samlClient(deps, tenant, config, mode).validatePostResponseAsync({ SAMLResponse: samlResponse }));
  } catch (err) {
    throw classifySamlError(err as Error);
  }
  if (!profile) throw new FederationError('no_assertion', 'The response carries no assertion.');

  // The signed XML node-saml hands back is canonicalised (comments gone), so look at what arrived.
  if (nodes('//saml:Assertion//comment()', responseDoc).length > 0) throw new FederationError('comment_in_assertion', 'The assertion contains an XML comment.');
  const destination = text('/samlp:Response/@Destination', responseDoc);
  if (destination && destination !== acs) throw new FederationError('destination_mismatch', 'The response is addressed to another endpoint.');
  // The signed assertion as node-saml parsed it (xml2js, prefixes stripped): no second parse.
  const assertion = (profile.getAssertion?.() as { Assertion?: SignedAssertion } | undefined)?.Assertion;
  if (!assertion) throw new FederationError('no_assertion', 'The response carries no assertion.');
  const recipients = (assertion.Subject?.[0]?.SubjectConfirmation ?? []).flatMap((c) => (c.SubjectConfirmationData ?? []).map((d) => d.$?.Recipient));
  if (recipients.length === 0 || recipients.some((r) => r !== acs)) throw new FederationError('recipient_mismatch', 'The assertion is meant for another recipient.');
  const issuerNode = assertion.Issuer?.[0];
  const assertionIssuer = typeof issuerNode === 'string' ? issuerNode : issuerNode?._;
  if (assertionIssuer !== config.issuer) throw new FederationError('issuer_mismatch', `The assertion's issuer "${assertionIssuer ?? ''}" is not the configured IdP.`);
  const assertionId = assertion.$?.ID;
  if (!assertionId) throw new FederationError('no_assertion', 'The assertion has no ID.');
  const notOnOrAfter = assertion.Conditions?.[0]?.$?.NotOnOrAfter;
  const keepUntil = new Date(Math.max(Date.parse(notOnOrAfter ?? '') || 0, deps.now().getTime() + 60 * 60_000) + CLOCK_SKEW_MS);
  if (!(await rememberOnce(deps.db, { tenantId: tenant.id, kind: 'assertion', id: assertionId, expiresAt: keepUntil })))
    throw new FederationError('replayed', 'This assertion has already been used.');

  const attributes = attributesOf(profile);
  return { subject: profile.nameID, email: emailOf(profile, attributes, config.email_attribute), attributes, protocol: 'saml', issuer: profile.issuer };
}

function parseXmlOrRefuse(xml: string): Document {
  try {
    return parseXml(xml);
  } catch {
    throw new FederationError('malformed', 'The SAML response is not well-formed XML.');
  }
}

function attributesOf(profile: Profile): Record<string, unknown> {
  const skip = new Set(['issuer', 'sessionIndex', 'nameID', 'nameIDFormat', 'nameQualifier', 'spNameQualifier', 'ID', 'attributes']);
  const out: Record<string, unknown> = { nameID: profile.nameID, nameIDFormat: profile.nameIDFormat };
  for (const [k, v] of Object.entries(profile)) if (!skip.has(k) && typeof v !== 'function') out[k] = v;
  return out;
}

const EMAIL_ATTRIBUTES = ['email', 'mail', 'Email', 'urn:oid:0.9.2342.19200300.100.1.3', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress'];

function emailOf(profile: Profile, attributes: Record<string, unknown>, configured: string | undefined): string | undefined {
  const pick = (v: unknown) => (Array.isArray(v) ? v[0] : v);
  if (configured) return asEmail(pick(attributes[configured]));
  return asEmail(profile.nameID) ?? EMAIL_ATTRIBUTES.map((a) => asEmail(pick(attributes[a]))).find(Boolean);
}


function classifySamlError(err: Error): FederationError {
  const m = err.message;
  const rules: [RegExp, string][] = [
    [/signature/i, 'signature_invalid'],
    [/expired|NotOnOrAfter/i, 'expired'],
    [/not yet valid|NotBefore/i, 'not_yet_valid'],
    [/issuer/i, 'issuer_mismatch'],
    [/audience/i, 'audience_mismatch'],
    [/InResponseTo/i, 'in_response_to_invalid'],
    [/SAML provider returned/i, 'idp_error'],
    [/DOCTYPE|entity/i, 'dtd_refused'],
  ];
  const reason = rules.find(([re]) => re.test(m))?.[1] ?? 'invalid_response';
  return new FederationError(reason, m);
}

