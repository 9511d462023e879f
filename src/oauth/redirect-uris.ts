/**
 * Redirect URIs an MCP client may register (OAuth 2.1 §2.3.1, RFC 8252 §7): https anywhere,
 * plain http only on loopback, or a private-use scheme such as `cursor://…`. They are matched
 * exactly at authorization time (no prefix or wildcard matching: open-redirector and code-theft
 * defence). Schemes a browser would execute or read locally are refused.
 */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'file:', 'vbscript:', 'about:', 'blob:', 'ws:', 'wss:', 'ftp:', 'mailto:', 'chrome:', 'view-source:']);

export function redirectUriProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2000) return 'must be a URL of at most 2000 characters';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not an absolute URL';
  }
  if (url.hash || value.includes('#')) return 'must not contain a fragment';
  if (FORBIDDEN_SCHEMES.has(url.protocol)) return `uses the forbidden scheme ${url.protocol}`;
  if (url.protocol === 'https:') return url.hostname ? undefined : 'needs a host';
  if (url.protocol === 'http:') return LOOPBACK_HOSTS.has(url.hostname) ? undefined : 'may use http only on a loopback host (127.0.0.1, [::1], localhost); use https otherwise';
  if (!/^[a-z][a-z0-9+.-]*:$/.test(url.protocol)) return 'has an invalid scheme';
  return undefined;
}

/** What the consent page shows as "where the code goes": the host, or the app scheme. */
export function redirectTarget(uri: string): string {
  try {
    const url = new URL(uri);
    if (url.protocol === 'https:' || url.protocol === 'http:') return url.host;
    return `${url.protocol}//${url.host}`;
  } catch {
    return uri;
  }
}
