import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import { freePort } from './postgres.ts';
import type { KeyPair } from './certs.ts';

/**
 * A small WS-Federation passive STS on loopback (like AD FS / Entra ID): it publishes federation
 * metadata with its token-signing certificate, answers `wa=wsignin1.0` with an auto-posting form
 * carrying a RequestSecurityTokenResponse whose SAML 1.1 or 2.0 assertion it signs with xml-crypto.
 */
export interface TokenFields {
  email: string;
  realm: string;
  version: '1.1' | '2.0';
  issuer?: string;
  notBefore?: Date;
  notOnOrAfter?: Date;
  signWith?: KeyPair | null;
}

export interface TestSts {
  url: string;
  issuer: string;
  signOnUrl: string;
  metadataUrl: string;
  user: string;
  tokenVersion: '1.1' | '2.0';
  keys: KeyPair;
  /** The certificates published in the metadata (rotate by replacing). */
  publishedCerts: KeyPair[];
  metadataFetches: number;
  wresult(fields: TokenFields): string;
  close(): Promise<void>;
}

const iso = (d: Date) => d.toISOString();

function assertionXml(f: TokenFields & { issuer: string; id: string }): string {
  const now = new Date();
  const nb = iso(f.notBefore ?? new Date(now.getTime() - 60_000));
  const noa = iso(f.notOnOrAfter ?? new Date(now.getTime() + 60 * 60_000));
  if (f.version === '1.1') {
    return `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion" MajorVersion="1" MinorVersion="1" AssertionID="${f.id}" Issuer="${f.issuer}" IssueInstant="${iso(now)}"><saml:Conditions NotBefore="${nb}" NotOnOrAfter="${noa}"><saml:AudienceRestrictionCondition><saml:Audience>${f.realm}</saml:Audience></saml:AudienceRestrictionCondition></saml:Conditions><saml:AttributeStatement><saml:Subject><saml:NameIdentifier>${f.email}</saml:NameIdentifier><saml:SubjectConfirmation><saml:ConfirmationMethod>urn:oasis:names:tc:SAML:1.0:cm:bearer</saml:ConfirmationMethod></saml:SubjectConfirmation></saml:Subject><saml:Attribute AttributeName="emailaddress" AttributeNamespace="http://schemas.xmlsoap.org/ws/2005/05/identity/claims"><saml:AttributeValue>${f.email}</saml:AttributeValue></saml:Attribute><saml:Attribute AttributeName="name" AttributeNamespace="http://schemas.xmlsoap.org/ws/2005/05/identity/claims"><saml:AttributeValue>Test User</saml:AttributeValue></saml:Attribute></saml:AttributeStatement><saml:AuthenticationStatement AuthenticationMethod="urn:oasis:names:tc:SAML:1.0:am:password" AuthenticationInstant="${iso(now)}"><saml:Subject><saml:NameIdentifier>${f.email}</saml:NameIdentifier></saml:Subject></saml:AuthenticationStatement></saml:Assertion>`;
  }
  return `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${f.id}" Version="2.0" IssueInstant="${iso(now)}"><saml:Issuer>${f.issuer}</saml:Issuer><saml:Subject><saml:NameID>${f.email}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"/></saml:Subject><saml:Conditions NotBefore="${nb}" NotOnOrAfter="${noa}"><saml:AudienceRestriction><saml:Audience>${f.realm}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AttributeStatement><saml:Attribute Name="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"><saml:AttributeValue>${f.email}</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion>`;
}

function signed(xml: string, keys: KeyPair, version: '1.1' | '2.0'): string {
  const signer = new SignedXml({ privateKey: keys.key, publicCert: keys.cert, canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#', signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', idAttribute: 'AssertionID' });
  signer.addReference({ xpath: "/*[local-name(.)='Assertion']", transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'], digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256' });
  const location = version === '1.1' ? { reference: "/*[local-name(.)='Assertion']/*[local-name(.)='AttributeStatement']", action: 'before' as const } : { reference: "/*[local-name(.)='Assertion']/*[local-name(.)='Issuer']", action: 'after' as const };
  signer.computeSignature(xml, { prefix: 'ds', location });
  return signer.getSignedXml();
}

export function rstr(assertion: string, realm: string): string {
  return `<t:RequestSecurityTokenResponse xmlns:t="http://schemas.xmlsoap.org/ws/2005/02/trust"><t:Lifetime><wsu:Created xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">${iso(new Date())}</wsu:Created></t:Lifetime><wsp:AppliesTo xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy"><wsa:EndpointReference xmlns:wsa="http://www.w3.org/2005/08/addressing"><wsa:Address>${realm}</wsa:Address></wsa:EndpointReference></wsp:AppliesTo><t:RequestedSecurityToken>${assertion}</t:RequestedSecurityToken><t:TokenType>urn:oasis:names:tc:SAML:1.0:assertion</t:TokenType><t:RequestType>http://schemas.xmlsoap.org/ws/2005/02/trust/Issue</t:RequestType><t:KeyType>http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey</t:KeyType></t:RequestSecurityTokenResponse>`;
}

function metadataXml(issuer: string, signOnUrl: string, certs: KeyPair[]): string {
  const keys = certs.map((k) => `<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>${k.certBase64}</X509Certificate></X509Data></KeyInfo></KeyDescriptor>`).join('');
  return `<?xml version="1.0" encoding="utf-8"?><EntityDescriptor ID="_m" entityID="${issuer}" xmlns="urn:oasis:names:tc:SAML:2.0:metadata"><RoleDescriptor xsi:type="fed:SecurityTokenServiceType" protocolSupportEnumeration="http://docs.oasis-open.org/wsfed/federation/200706" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:fed="http://docs.oasis-open.org/wsfed/federation/200706">${keys}<fed:PassiveRequestorEndpoint><wsa:EndpointReference xmlns:wsa="http://www.w3.org/2005/08/addressing"><wsa:Address>${signOnUrl}</wsa:Address></wsa:EndpointReference></fed:PassiveRequestorEndpoint></RoleDescriptor></EntityDescriptor>`;
}

export async function startWsFedSts(opts: { keys: KeyPair; user?: string }): Promise<TestSts> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const sts: TestSts = {
    url,
    issuer: `${url}/adfs/services/trust`,
    signOnUrl: `${url}/adfs/ls/`,
    metadataUrl: `${url}/FederationMetadata/2007-06/FederationMetadata.xml`,
    user: opts.user ?? 'nobody@example.test',
    tokenVersion: '1.1',
    keys: opts.keys,
    publishedCerts: [opts.keys],
    metadataFetches: 0,
    wresult(f) {
      const xml = assertionXml({ ...f, issuer: f.issuer ?? sts.issuer, id: `_${randomUUID()}` });
      const signWith = f.signWith === undefined ? sts.keys : f.signWith;
      return rstr(signWith ? signed(xml, signWith, f.version) : xml, f.realm);
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    const reqUrl = new URL(req.url ?? '/', url);
    if (reqUrl.pathname === '/FederationMetadata/2007-06/FederationMetadata.xml') {
      sts.metadataFetches += 1;
      res.writeHead(200, { 'content-type': 'application/xml' }).end(metadataXml(sts.issuer, sts.signOnUrl, sts.publishedCerts));
      return;
    }
    if (reqUrl.pathname === '/adfs/ls/') {
      const q = reqUrl.searchParams;
      if (q.get('wa') !== 'wsignin1.0' || !q.get('wtrealm') || !q.get('wreply')) {
        res.writeHead(400).end('expected wa=wsignin1.0 with wtrealm and wreply');
        return;
      }
      const wresult = sts.wresult({ email: sts.user, realm: q.get('wtrealm')!, version: sts.tokenVersion });
      const field = (k: string, v: string) => `<input type="hidden" name="${k}" value="${v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')}">`;
      res.writeHead(200, { 'content-type': 'text/html' }).end(
        `<!doctype html><html><body><form id="f" method="post" action="${q.get('wreply')}">${field('wa', 'wsignin1.0')}${field('wresult', wresult)}${field('wctx', q.get('wctx') ?? '')}</form><script>document.getElementById('f').submit()</script></body></html>`,
      );
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return sts;
}
