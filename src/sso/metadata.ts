import { invalid } from '../core/errors.ts';
import { nodes, parseXml, text, XmlRefused } from './xml.ts';

const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

export interface SamlIdpMetadata {
  issuer: string;
  ssoUrl: string;
  certificates: string[];
}

export interface WsFedMetadata {
  issuer: string;
  signOnUrl: string | undefined;
  certificates: string[];
}

function parseOrRefuse(xml: string, field: string): Document {
  try {
    return parseXml(xml);
  } catch (err) {
    const reason = err instanceof XmlRefused ? err.message : 'it could not be parsed';
    throw invalid('METADATA_INVALID', `The metadata was refused: ${reason}.`, { field, hint: 'Paste the IdP metadata XML exactly as the IdP provides it.' });
  }
}

const signingCertificates = (scope: Node) =>
  [...new Set(nodes(".//md:KeyDescriptor[not(@use) or @use='signing']//ds:X509Certificate", scope).map((n) => (n.textContent ?? '').replace(/\s+/g, '')))].filter(Boolean);

/** SAML 2.0 IdP metadata → the fields sso.configure_saml takes. */
export function parseSamlMetadata(xml: string, field = 'metadata_xml'): SamlIdpMetadata {
  const doc = parseOrRefuse(xml, field);
  const entity = nodes("//md:EntityDescriptor[md:IDPSSODescriptor]", doc)[0];
  if (!entity) throw invalid('METADATA_INVALID', 'The metadata has no IDPSSODescriptor: it does not describe a SAML identity provider.', { field });
  const idp = nodes('md:IDPSSODescriptor', entity)[0]!;
  const ssoUrl = text(`md:SingleSignOnService[@Binding='${REDIRECT}']/@Location`, idp) ?? text(`md:SingleSignOnService[@Binding='${POST}']/@Location`, idp);
  const issuer = text('@entityID', entity);
  const certificates = signingCertificates(idp);
  if (!issuer) throw invalid('METADATA_INVALID', 'The metadata has no entityID.', { field });
  if (!ssoUrl) throw invalid('METADATA_INVALID', 'The metadata has no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding.', { field });
  if (certificates.length === 0) throw invalid('METADATA_INVALID', 'The metadata has no signing certificate.', { field });
  return { issuer, ssoUrl, certificates: certificates.slice(0, 2) };
}

/** A WS-Federation metadata document (AD FS, Entra ID): issuer, passive endpoint, token-signing certificates. */
export function parseWsFedMetadata(xml: string, field = 'federation_metadata_url'): WsFedMetadata {
  const doc = parseOrRefuse(xml, field);
  const entity = nodes('//md:EntityDescriptor', doc)[0];
  if (!entity) throw invalid('METADATA_INVALID', 'The federation metadata has no EntityDescriptor.', { field });
  const sts = nodes("md:RoleDescriptor[contains(@xsi:type, 'SecurityTokenServiceType')]", entity)[0];
  const scope = sts ?? nodes('md:IDPSSODescriptor', entity)[0] ?? entity;
  const certificates = signingCertificates(scope);
  if (certificates.length === 0) throw invalid('METADATA_INVALID', 'The federation metadata has no token-signing certificate.', { field });
  return {
    issuer: text('@entityID', entity)!,
    signOnUrl: sts ? text('fed:PassiveRequestorEndpoint//wsa:Address', sts) : undefined,
    certificates,
  };
}
