import { SignedXml } from 'xml-crypto';
import type { DB } from '../db/connect.ts';
import type { Tenant } from '../db/schema.ts';
import { toPem } from './certificates.ts';
import { asEmail, FederationError, type FederatedIdentity } from './identity.ts';
import { parseWsFedMetadata, type WsFedMetadata } from './metadata.ts';
import { CLOCK_SKEW_MS } from './saml.ts';
import { rememberOnce, type SsoSettingsRow } from './store.ts';
import { spUrls } from './urls.ts';
import { fetchDocument, hasDtd, nodes, parseXml, text } from './xml.ts';

export interface WsFedConfig {
  sign_on_url: string;
  federation_metadata_url: string;
  email_claim?: string;
}

export const wsfedConfigOf = (settings: SsoSettingsRow) => settings.config as unknown as WsFedConfig;

const METADATA_TTL_MS = 24 * 60 * 60_000;
const REFRESH_AFTER_MISS_MS = 30_000;

/**
 * Federation metadata documents, cached per process: they change only when the IdP rolls its
 * token-signing certificate, and a signature that fails against the cached certificates
 * triggers one refresh (rate-limited) before the response is refused.
 */
export class FederationMetadataCache {
  #entries = new Map<string, { metadata: WsFedMetadata; fetchedAt: number }>();
  readonly #now: () => Date;

  constructor(now: () => Date) {
    this.#now = now;
  }

  async get(url: string, opts: { refresh?: boolean } = {}): Promise<{ metadata: WsFedMetadata; refreshed: boolean }> {
    const hit = this.#entries.get(url);
    const now = this.#now().getTime();
    const stale = !hit || now - hit.fetchedAt > METADATA_TTL_MS;
    const mayRefresh = !hit || now - hit.fetchedAt > REFRESH_AFTER_MISS_MS;
    if (hit && !stale && !(opts.refresh && mayRefresh)) return { metadata: hit.metadata, refreshed: false };
    const metadata = parseWsFedMetadata(await fetchDocument(url, 'federation_metadata_url'));
    this.#entries.set(url, { metadata, fetchedAt: now });
    return { metadata, refreshed: true };
  }

  forget(url: string): void {
    this.#entries.delete(url);
  }
}

export function wsfedSignInUrl(baseUrl: string, tenant: Tenant, config: WsFedConfig, wctx: string, now: Date): string {
  const urls = spUrls(baseUrl, tenant.slug);
  const url = new URL(config.sign_on_url);
  url.searchParams.set('wa', 'wsignin1.0');
  url.searchParams.set('wtrealm', urls.wsfed_realm);
  url.searchParams.set('wreply', urls.wsfed_reply_url);
  url.searchParams.set('wctx', wctx);
  url.searchParams.set('wct', now.toISOString());
  return url.toString();
}

/** The one signed reference, if `certificate` verifies the assertion's signature. */
function verifiedAssertion(xml: string, signature: Node, certificate: string): string | null {
  const verifier = new SignedXml({ publicCert: toPem(certificate), getCertFromKeyInfo: () => null, idAttribute: 'AssertionID' });
  try {
    verifier.loadSignature(signature);
    if (!verifier.checkSignature(xml)) return null;
  } catch {
    return null;
  }
  const signed = verifier.getSignedReferences();
  return signed.length === 1 ? signed[0]! : null;
}

/**
 * Validates a `wresult` (RequestSecurityTokenResponse carrying a SAML 1.1 or 2.0 assertion):
 * signature by a token-signing certificate from the federation metadata, then — read only from
 * the signed XML — issuer, audience = our realm, lifetime with bounded skew, one-time id.
 */
export async function validateWresult(
  deps: { db: DB; baseUrl: string; now: () => Date; metadata: FederationMetadataCache },
  tenant: Tenant,
  config: WsFedConfig,
  wresult: string,
): Promise<FederatedIdentity> {
  if (hasDtd(wresult)) throw new FederationError('dtd_refused', 'The wresult contains a DTD.');
  let doc: Document;
  try {
    doc = parseXml(wresult);
  } catch {
    throw new FederationError('malformed', 'The wresult is not well-formed XML.');
  }
  const assertions = nodes('//saml:Assertion | //saml1:Assertion', doc);
  if (assertions.length !== 1) throw new FederationError('invalid_response', `Expected one assertion, found ${assertions.length}.`);
  const signature = nodes('ds:Signature', assertions[0]!)[0];
  if (!signature) throw new FederationError('signature_invalid', 'The assertion is not signed.');

  let { metadata, refreshed } = await deps.metadata.get(config.federation_metadata_url);
  let signedXml = metadata.certificates.map((c) => verifiedAssertion(wresult, signature, c)).find(Boolean);
  if (!signedXml && !refreshed) {
    ({ metadata } = await deps.metadata.get(config.federation_metadata_url, { refresh: true }));
    signedXml = metadata.certificates.map((c) => verifiedAssertion(wresult, signature, c)).find(Boolean);
  }
  if (!signedXml) throw new FederationError('signature_invalid', 'No token-signing certificate from the federation metadata verifies the assertion.');
  if (signedXml.includes('<!--')) throw new FederationError('comment_in_assertion', 'The signed assertion contains an XML comment.');
  const signed = parseXml(signedXml).documentElement as unknown as Node;
  const saml2 = (signed as Element).namespaceURI === 'urn:oasis:names:tc:SAML:2.0:assertion';
  if ((signed as Element).localName !== 'Assertion') throw new FederationError('signature_invalid', 'The signature does not cover the assertion.');

  const claims = saml2 ? saml2Claims(signed) : saml1Claims(signed);
  if (claims.issuer !== metadata.issuer) throw new FederationError('issuer_mismatch', `Assertion issuer "${claims.issuer}" is not the federation metadata's "${metadata.issuer}".`);
  const realm = spUrls(deps.baseUrl, tenant.slug).wsfed_realm;
  if (!claims.audiences.includes(realm)) throw new FederationError('audience_mismatch', 'The assertion is meant for another realm.');
  checkLifetime(claims.notBefore, claims.notOnOrAfter, deps.now());
  if (!claims.id) throw new FederationError('invalid_response', 'The assertion has no id.');
  const keepUntil = new Date(Math.max(Date.parse(claims.notOnOrAfter ?? '') || 0, deps.now().getTime()) + CLOCK_SKEW_MS + 60 * 60_000);
  if (!(await rememberOnce(deps.db, { tenantId: tenant.id, kind: 'assertion', id: claims.id, expiresAt: keepUntil })))
    throw new FederationError('replayed', 'This assertion has already been used.');

  return { protocol: 'wsfed', issuer: claims.issuer, subject: claims.nameId, email: emailOf(claims, config.email_claim), attributes: { nameID: claims.nameId, ...claims.attributes } };
}

interface Claims {
  id: string | undefined;
  issuer: string | undefined;
  notBefore: string | undefined;
  notOnOrAfter: string | undefined;
  audiences: string[];
  nameId: string | undefined;
  attributes: Record<string, string[]>;
}

function saml2Claims(a: Node): Claims {
  const attributes: Record<string, string[]> = {};
  for (const attr of nodes('saml:AttributeStatement/saml:Attribute', a)) {
    const name = (attr as Element).getAttribute('Name') ?? '';
    attributes[name] = nodes('saml:AttributeValue', attr).map((v) => (v.textContent ?? '').trim());
  }
  return {
    id: text('@ID', a),
    issuer: text('saml:Issuer', a),
    notBefore: text('saml:Conditions/@NotBefore', a),
    notOnOrAfter: text('saml:Conditions/@NotOnOrAfter', a),
    audiences: nodes('saml:Conditions/saml:AudienceRestriction/saml:Audience', a).map((n) => (n.textContent ?? '').trim()),
    nameId: text('saml:Subject/saml:NameID', a),
    attributes,
  };
}

function saml1Claims(a: Node): Claims {
  const attributes: Record<string, string[]> = {};
  for (const attr of nodes('saml1:AttributeStatement/saml1:Attribute', a)) {
    const el = attr as Element;
    const name = `${el.getAttribute('AttributeNamespace') ?? ''}/${el.getAttribute('AttributeName') ?? ''}`.replace(/^\//, '');
    attributes[name] = nodes('saml1:AttributeValue', attr).map((v) => (v.textContent ?? '').trim());
  }
  return {
    id: text('@AssertionID', a),
    issuer: text('@Issuer', a),
    notBefore: text('saml1:Conditions/@NotBefore', a),
    notOnOrAfter: text('saml1:Conditions/@NotOnOrAfter', a),
    audiences: nodes('saml1:Conditions/saml1:AudienceRestrictionCondition/saml1:Audience', a).map((n) => (n.textContent ?? '').trim()),
    nameId: text('.//saml1:Subject/saml1:NameIdentifier', a),
    attributes,
  };
}

function checkLifetime(notBefore: string | undefined, notOnOrAfter: string | undefined, now: Date): void {
  if (!notOnOrAfter) throw new FederationError('expired', 'The assertion has no expiry.');
  const t = now.getTime();
  if (notBefore && Date.parse(notBefore) - CLOCK_SKEW_MS > t) throw new FederationError('not_yet_valid', 'The assertion is not valid yet.');
  if (Date.parse(notOnOrAfter) + CLOCK_SKEW_MS <= t) throw new FederationError('expired', 'The assertion has expired.');
}

const EMAIL_CLAIMS = [
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
];

function emailOf(claims: Claims, configured: string | undefined): string | undefined {
  const first = (name: string) => claims.attributes[name]?.[0] ?? claims.attributes[name.split('/').pop() ?? '']?.[0];
  if (configured) return asEmail(first(configured));
  return EMAIL_CLAIMS.map((c) => asEmail(first(c))).find(Boolean) ?? asEmail(claims.nameId);
}
