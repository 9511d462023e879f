import type { Hono } from 'hono';
import type { Services } from '../app/services.ts';
import { ALL_PERMISSIONS } from '../authz/permissions.ts';
import type { AppEnv } from '../http/app-env.ts';
import type { BrowserDoor } from '../login/browser.ts';
import { mountAuthorize } from './authorize.ts';
import { registerClient } from './clients.ts';
import { OAuthError } from './errors.ts';
import { TOKEN_EXCHANGE } from './grant-agent.ts';
import { mountToken } from './token.ts';
import { overLimit } from '../login/throttle.ts';
import { clientIp } from '../http/request-info.ts';

const REGISTRATIONS_PER_WINDOW = 30;
const REGISTRATION_WINDOW_MS = 15 * 60_000;

const PUBLIC = { 'access-control-allow-origin': '*', 'cache-control': 'public, max-age=300' };

/** RFC 8414 authorization-server metadata. */
export function authorizationServerMetadata(issuer: string) {
  const authMethods = ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'];
  return {
    issuer,
    authorization_endpoint: `${issuer}/oauth/authorize`,
    token_endpoint: `${issuer}/oauth/token`,
    registration_endpoint: `${issuer}/oauth/register`,
    revocation_endpoint: `${issuer}/oauth/revoke`,
    jwks_uri: `${issuer}/oauth/jwks.json`,
    scopes_supported: ALL_PERMISSIONS,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials', TOKEN_EXCHANGE],
    token_endpoint_auth_methods_supported: authMethods,
    token_endpoint_auth_signing_alg_values_supported: ['ES256', 'RS256', 'PS256', 'EdDSA'],
    revocation_endpoint_auth_methods_supported: authMethods,
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
    client_id_metadata_document_supported: true,
    service_documentation: `${issuer}/api/v1/openapi.json`,
  };
}

/** The authorization server's endpoints; pages share the browser door (session, CSRF) with login. */
export function mountOAuth(app: Hono<AppEnv>, services: Services, door: BrowserDoor): void {
  const metadata = authorizationServerMetadata(services.oauth.issuer);
  app.get('/.well-known/oauth-authorization-server', (c) => c.json(metadata, 200, PUBLIC));
  app.get('/oauth/jwks.json', async (c) => c.json(await services.oauth.keys.jwks(), 200, PUBLIC));

  app.options('/oauth/register', (c) => c.body(null, 204, { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'content-type' }));
  app.post('/oauth/register', async (c) => {
    const headers = { 'access-control-allow-origin': '*', 'cache-control': 'no-store' };
    // Registration is open (RFC 7591, as MCP clients need it), so it is rate-limited per address.
    if (await overLimit(services.db, `dcr:${clientIp(c) ?? 'unknown'}`, REGISTRATIONS_PER_WINDOW, REGISTRATION_WINDOW_MS, services.clock.now())) {
      return c.json({ error: 'temporarily_unavailable', error_description: `Too many client registrations from this address; at most ${REGISTRATIONS_PER_WINDOW} per ${REGISTRATION_WINDOW_MS / 60_000} minutes.` }, 429, { ...headers, 'retry-after': String(REGISTRATION_WINDOW_MS / 1000) });
    }
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json({ error: 'invalid_client_metadata', error_description: 'The body must be a JSON object (RFC 7591).' }, 400, headers);
    }
    try {
      return c.json(await registerClient(services.db, services.clock, body), 201, headers);
    } catch (err) {
      if (err instanceof OAuthError) return c.json(err.toJSON(), 400, headers);
      throw err;
    }
  });

  mountAuthorize(app, services, door);
  mountToken(app, services);
}
