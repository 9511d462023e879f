import { DOMParser } from '@xmldom/xmldom';
import xpath from 'xpath';
import { invalid } from '../core/errors.ts';

/**
 * XML from IdPs and from the network is parsed only here. Documents with a DTD are refused
 * outright: SAML never needs one, and DTDs are how entity-expansion and XXE attacks arrive.
 */
export const NS = {
  md: 'urn:oasis:names:tc:SAML:2.0:metadata',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  saml: 'urn:oasis:names:tc:SAML:2.0:assertion',
  saml1: 'urn:oasis:names:tc:SAML:1.0:assertion',
  samlp: 'urn:oasis:names:tc:SAML:2.0:protocol',
  fed: 'http://docs.oasis-open.org/wsfed/federation/200706',
  wst: 'http://schemas.xmlsoap.org/ws/2005/02/trust',
  wst13: 'http://docs.oasis-open.org/ws-sx/ws-trust/200512',
  wsa: 'http://www.w3.org/2005/08/addressing',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
};

export const select = xpath.useNamespaces(NS);

export class XmlRefused extends Error {}

export function hasDtd(xml: string): boolean {
  return /<!DOCTYPE|<!ENTITY/i.test(xml);
}

export function parseXml(xml: string): Document {
  if (hasDtd(xml)) throw new XmlRefused('the document has a DTD');
  const errors: string[] = [];
  const doc = new DOMParser({
    errorHandler: { warning: () => undefined, error: (m: string) => errors.push(m), fatalError: (m: string) => errors.push(m) },
  }).parseFromString(xml, 'text/xml');
  if (errors.length > 0 || !doc?.documentElement) throw new XmlRefused('the document is not well-formed XML');
  return doc as unknown as Document;
}

export function nodes(expression: string, node: Node): Node[] {
  return select(expression, node) as Node[];
}

export function text(expression: string, node: Node): string | undefined {
  const found = select(`string(${expression})`, node) as string;
  return found ? found.trim() : undefined;
}

const MAX_METADATA_BYTES = 2 * 1024 * 1024;

/** Fetches an IdP document (metadata) with a timeout and a size cap; errors name the URL's problem. */
export async function fetchDocument(url: string, field: string, timeoutMs = 5000): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow', headers: { accept: 'application/xml, text/xml, */*' } });
  } catch (err) {
    const reason = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : 'the connection failed';
    throw invalid('METADATA_UNREACHABLE', `Could not fetch ${url}: ${reason}.`, { field, hint: 'Check the URL and that Warden can reach it.' });
  }
  if (!res.ok) throw invalid('METADATA_UNREACHABLE', `Fetching ${url} returned HTTP ${res.status}.`, { field, hint: 'Check the URL; it should return the XML document.' });
  const body = await res.text();
  if (body.length > MAX_METADATA_BYTES) throw invalid('METADATA_TOO_LARGE', `${url} returned more than 2 MiB.`, { field });
  return body;
}
