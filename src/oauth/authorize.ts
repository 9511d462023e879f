import { randomBytes } from 'node:crypto';
import type { Context, Hono } from 'hono';
import type { Services } from '../app/services.ts';
import { isPermission, type Permission } from '../authz/permissions.ts';
import type { AppEnv } from '../http/app-env.ts';
import type { BrowserDoor } from '../login/browser.ts';
import { pageHeaders } from '../login/browser.ts';
import { messagePage } from '../login/pages.ts';
import type { BrowserSession } from '../login/sessions.ts';
import type { OAuthClient } from './clients.ts';
import { OAuthError } from './errors.ts';
import { consentPage, oauthErrorPage } from './pages.ts';
import { redirectTarget } from './redirect-uris.ts';

type Ctx = Context<AppEnv>;

export const CODE_SECONDS = 60;
const CHALLENGE = /^[A-Za-z0-9\-._~]{43,128}$/;

/** The parameters of one authorization request, validated (RFC 6749 §4.1.1, OAuth 2.1 §4.1.1, RFC 8707). */
interface AuthorizeRequest {
  client: OAuthClient;
  redirectUri: string;
  state: string | undefined;
  codeChallenge: string;
  resource: string;
  /** Requested scope names, undefined when the client asked for none (then: everything the user holds). */
  scopes: string[] | undefined;
  prompt: string | undefined;
}

/** Errors before the redirect URI is trusted are shown to the user; never redirect to an unverified URI. */
class PageError extends Error {}

async function parseRequest(services: Services, q: Record<string, string | undefined>, resources: string[]): Promise<AuthorizeRequest> {
  let client: OAuthClient;
  try {
    client = await services.oauth.clients.find(q.client_id);
  } catch (err) {
    throw new PageError(err instanceof OAuthError ? err.message : 'Unknown client.');
  }
  if (client.kind === 'agent') throw new PageError('Agents use the client-credentials or token-exchange grants, not the browser.');
  let redirectUri = q.redirect_uri;
  if (!redirectUri) {
    if (client.redirectUris.length !== 1) throw new PageError('redirect_uri is required for this client.');
    redirectUri = client.redirectUris[0]!;
  }
  // Exact string match against the registration (OAuth 2.1 §2.3.1): no prefixes, no port wildcards.
  if (!client.redirectUris.includes(redirectUri)) throw new PageError('The redirect_uri is not registered for this client.');
  const fail = (error: string, description: string) => new RedirectError(redirectUri, error, description, q.state, services.oauth.issuer);
  if (q.response_type !== 'code') throw fail('unsupported_response_type', 'response_type must be "code".');
  if (!q.code_challenge || !CHALLENGE.test(q.code_challenge)) throw fail('invalid_request', 'code_challenge is required (PKCE, 43-128 characters).');
  if (q.code_challenge_method !== 'S256') throw fail('invalid_request', 'code_challenge_method must be S256.');
  if (resources.length > 1) throw fail('invalid_target', 'Send one resource.');
  const resource = resources[0] ?? services.oauth.resource;
  if (resource !== services.oauth.resource) throw fail('invalid_target', `resource must be ${services.oauth.resource}; Warden issues tokens only for its own MCP endpoint.`);
  let scopes: string[] | undefined;
  if (q.scope && q.scope.trim()) {
    scopes = [...new Set(q.scope.trim().split(/\s+/))];
    const unknown = scopes.filter((s) => !isPermission(s));
    if (unknown.length) throw fail('invalid_scope', `Unknown scope(s): ${unknown.join(' ').slice(0, 200)}.`);
  }
  return { client, redirectUri, state: q.state, codeChallenge: q.code_challenge, resource, scopes, prompt: q.prompt };
}

class RedirectError extends Error {
  readonly location: string;
  constructor(redirectUri: string, error: string, description: string, state: string | undefined, issuer: string) {
    super(description);
    this.location = withParams(redirectUri, { error, error_description: description, ...(state !== undefined ? { state } : {}), iss: issuer });
  }
}

function withParams(uri: string, params: Record<string, string>): string {
  const url = new URL(uri);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

/** GET shows consent (or skips it for a remembered consent); POST records the user's decision. */
export function mountAuthorize(app: Hono<AppEnv>, services: Services, door: BrowserDoor): void {
  app.use('/oauth/authorize', async (c, next) => (pageHeaders(c), next()));

  const handle = async (c: Ctx, run: () => Promise<Response>) => {
    try {
      return await run();
    } catch (err) {
      if (err instanceof RedirectError) return c.redirect(err.location, 303);
      if (err instanceof PageError) return c.html(oauthErrorPage('Authorization request not valid', err.message), 400);
      throw err;
    }
  };

  app.get('/oauth/authorize', (c) =>
    handle(c, async () => {
      const request = await parseRequest(services, c.req.query(), c.req.queries('resource') ?? []);
      const session = await door.session(c);
      if (!session) return c.redirect(`/login?return_to=${encodeURIComponent(c.req.path + '?' + new URL(c.req.url).search.slice(1))}`, 303);
      const { offered, unavailable } = await offer(services, session, request);
      await refuseRevokedClient(services, session, request);
      if (request.prompt !== 'consent') {
        const consent = await activeConsent(services, session, request.client.clientId);
        // Remembered consent is per user, tenant and client, and only for a redirect URI the user
        // has already approved: a new destination for the code asks again.
        if (consent && consent.redirect_uris.includes(request.redirectUri) && offered.every((s) => consent.scopes.includes(s)) && offered.length > 0) {
          return c.redirect(await issueCode(services, session, request, offered, consent.id), 303);
        }
      }
      if (request.prompt === 'none') throw new RedirectError(request.redirectUri, 'consent_required', 'The user has not consented to this client.', request.state, services.oauth.issuer);
      const params: Record<string, string> = {
        client_id: request.client.clientId,
        redirect_uri: request.redirectUri,
        response_type: 'code',
        code_challenge: request.codeChallenge,
        code_challenge_method: 'S256',
        resource: request.resource,
        requested_scope: request.scopes?.join(' ') ?? '',
        ...(request.state !== undefined ? { state: request.state } : {}),
      };
      return c.html(
        consentPage({
          csrf: door.csrfToken(c),
          clientName: request.client.name,
          clientId: request.client.clientId,
          clientKind: request.client.kind,
          redirectTarget: redirectTarget(request.redirectUri),
          redirectUri: request.redirectUri,
          email: session.email,
          tenant: session.tenantSlug,
          offered,
          unavailable,
          params,
        }),
      );
    }),
  );

  app.post('/oauth/authorize', (c) =>
    handle(c, async () => {
      const body = await c.req.parseBody({ all: true });
      const field = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : undefined);
      if (!door.formPostAllowed(c, field('csrf'))) return c.html(messagePage('Form expired', 'This form has expired or did not come from this site. Start again from your application.'), 403);
      const session = await door.session(c);
      if (!session) return c.html(messagePage('Signed out', 'Your session ended. Start again from your application.'), 401);
      const q: Record<string, string | undefined> = {};
      for (const k of ['client_id', 'redirect_uri', 'response_type', 'code_challenge', 'code_challenge_method', 'state']) q[k] = field(k);
      q.scope = field('requested_scope');
      const resource = field('resource');
      const request = await parseRequest(services, q, resource ? [resource] : []);
      await refuseRevokedClient(services, session, request);
      if (field('decision') !== 'allow') throw new RedirectError(request.redirectUri, 'access_denied', 'The user denied the request.', request.state, services.oauth.issuer);
      const chosen = ([] as unknown[]).concat(body.scope ?? []).filter((s): s is string => typeof s === 'string');
      const { offered } = await offer(services, session, request);
      // The user may narrow, never widen: only scopes that were offered on the page count.
      const granted = offered.filter((s) => chosen.includes(s));
      if (granted.length === 0) throw new RedirectError(request.redirectUri, 'access_denied', 'No scope was granted.', request.state, services.oauth.issuer);
      const consentId = await recordConsent(services, session, request, granted);
      await services.audit.record({
        tenantId: session.tenantId,
        actor: [{ userId: session.userId, email: session.email, credential: 'session' }],
        operation: 'oauth.consent',
        target: request.client.name,
        input: { client_id: request.client.clientId, redirect_uri: request.redirectUri, scopes: granted },
        outcome: 'success',
        requestId: c.get('requestId'),
        occurredAt: services.clock.now(),
      });
      return c.redirect(await issueCode(services, session, request, granted, consentId), 303);
    }),
  );
}

async function offer(services: Services, session: BrowserSession, request: AuthorizeRequest) {
  const membership = await services.access.membership(session.tenantId, session.userId);
  const held = membership?.permissions ?? new Set<Permission>();
  const requested = request.scopes ?? [...held];
  return { offered: requested.filter((s): s is Permission => isPermission(s) && held.has(s)), unavailable: requested.filter((s) => !held.has(s as Permission)) };
}

async function refuseRevokedClient(services: Services, session: BrowserSession, request: AuthorizeRequest) {
  const revoked = await services.db.selectFrom('oauth_client_revocations').select('revoked_at').where('tenant_id', '=', session.tenantId).where('client_id', '=', request.client.clientId).executeTakeFirst();
  if (revoked) throw new RedirectError(request.redirectUri, 'access_denied', 'An administrator revoked this client in this account.', request.state, services.oauth.issuer);
}

function activeConsent(services: Services, session: BrowserSession, clientId: string) {
  return services.db
    .selectFrom('oauth_consents')
    .selectAll()
    .where('tenant_id', '=', session.tenantId)
    .where('user_id', '=', session.userId)
    .where('client_id', '=', clientId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
}

async function recordConsent(services: Services, session: BrowserSession, request: AuthorizeRequest, scopes: Permission[]): Promise<string> {
  const now = services.clock.now();
  const existing = await services.db
    .selectFrom('oauth_consents')
    .selectAll()
    .where('tenant_id', '=', session.tenantId)
    .where('user_id', '=', session.userId)
    .where('client_id', '=', request.client.clientId)
    .executeTakeFirst();
  const redirects = existing && !existing.revoked_at ? [...new Set([...existing.redirect_uris, request.redirectUri])] : [request.redirectUri];
  const row = await services.db
    .insertInto('oauth_consents')
    .values({ tenant_id: session.tenantId, user_id: session.userId, client_id: request.client.clientId, scopes, redirect_uris: redirects, created_at: now, updated_at: now })
    .onConflict((oc) => oc.columns(['tenant_id', 'user_id', 'client_id']).doUpdateSet({ scopes, redirect_uris: redirects, updated_at: now, revoked_at: null }))
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

async function issueCode(services: Services, session: BrowserSession, request: AuthorizeRequest, scopes: string[], consentId: string): Promise<string> {
  const code = randomBytes(32).toString('base64url');
  const now = services.clock.now();
  await services.db
    .insertInto('oauth_codes')
    .values({
      code_hash: services.tokens.hash(code).hash,
      tenant_id: session.tenantId,
      user_id: session.userId,
      client_id: request.client.clientId,
      consent_id: consentId,
      redirect_uri: request.redirectUri,
      code_challenge: request.codeChallenge,
      scopes,
      resource: request.resource,
      created_at: now,
      expires_at: new Date(now.getTime() + CODE_SECONDS * 1000),
    })
    .execute();
  // RFC 9207: `iss` tells the client which server answered (mix-up defence).
  return withParams(request.redirectUri, { code, ...(request.state !== undefined ? { state: request.state } : {}), iss: services.oauth.issuer });
}
