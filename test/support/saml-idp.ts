import { createServer, type Server } from 'node:http';
import * as samlify from 'samlify';
import { freePort } from './postgres.ts';
import type { KeyPair } from './certs.ts';

// samlify wants an XSD validator for the messages it parses (our AuthnRequests); the test IdP
// trusts its own SP, so a permissive one is enough here.
samlify.setSchemaValidator({ validate: async () => 'skipped' });

const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

/**
 * An independent SAML 2.0 IdP (samlify) on loopback. It "signs in" whoever `user` names and posts
 * the signed response back to Warden's ACS through an auto-submitting form, like a real IdP page.
 */
export interface TestSamlIdp {
  url: string;
  issuer: string;
  ssoUrl: string;
  metadataUrl: string;
  user: string;
  /** Signed SAMLResponse (base64) for IdP-initiated sign-in, posted to `acs` by the caller. */
  unsolicitedResponse(email: string): Promise<string>;
  /** Last AuthnRequest id seen. */
  lastRequestId: string | undefined;
  close(): Promise<void>;
}

function autoPost(action: string, fields: Record<string, string>): string {
  const inputs = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${k}" value="${v.replace(/"/g, '&quot;')}">`)
    .join('');
  return `<!doctype html><html><body><form id="f" method="post" action="${action}">${inputs}<noscript><button>Continue</button></noscript></form><script>document.getElementById('f').submit()</script></body></html>`;
}

export async function startSamlIdp(opts: { wardenUrl: string; tenant: string; keys: KeyPair; user?: string }): Promise<TestSamlIdp> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const issuer = `${url}/metadata`;
  const idp = samlify.IdentityProvider({
    entityID: issuer,
    signingCert: opts.keys.cert,
    privateKey: opts.keys.key,
    singleSignOnService: [{ Binding: REDIRECT, Location: `${url}/sso` }],
    nameIDFormat: ['urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'],
    wantAuthnRequestsSigned: false,
  });
  const base = `${opts.wardenUrl}/sso/${opts.tenant}`;
  const spFor = (acs: string) =>
    samlify.ServiceProvider({
      entityID: `${base}/saml/metadata`,
      assertionConsumerService: [{ Binding: POST, Location: acs }],
      wantAssertionsSigned: true,
      authnRequestsSigned: false,
    });
  const sp = spFor(`${base}/saml/acs`);
  const idpInitiatedSp = spFor(`${base}/saml/idp-acs`);

  const state: TestSamlIdp = {
    url,
    issuer,
    ssoUrl: `${url}/sso`,
    metadataUrl: `${url}/metadata`,
    user: opts.user ?? 'nobody@example.test',
    lastRequestId: undefined,
    async unsolicitedResponse(email: string) {
      const res = (await idp.createLoginResponse(idpInitiatedSp, { extract: { request: { id: '' } } } as any, 'post', { email })) as { context: string };
      return res.context;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  const server: Server = createServer(async (req, res) => {
    try {
      const reqUrl = new URL(req.url ?? '/', url);
      if (reqUrl.pathname === '/metadata') {
        res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' }).end(idp.getMetadata());
        return;
      }
      if (reqUrl.pathname === '/sso') {
        const query = Object.fromEntries(reqUrl.searchParams);
        if (!query.SAMLRequest) {
          res.writeHead(400, { 'content-type': 'text/plain' }).end('missing SAMLRequest');
          return;
        }
        const parsed = await idp.parseLoginRequest(sp, 'redirect', { query, octetString: '' } as any);
        const requestId = parsed.extract.request?.id as string;
        state.lastRequestId = requestId;
        const response = (await idp.createLoginResponse(sp, parsed as any, 'post', { email: state.user })) as { context: string; entityEndpoint: string };
        res.writeHead(200, { 'content-type': 'text/html' }).end(autoPost(response.entityEndpoint, { SAMLResponse: response.context, RelayState: query.RelayState ?? '' }));
        return;
      }
      res.writeHead(404).end();
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`test IdP error: ${(err as Error).message}`);
    }
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return state;
}
