import type { Context, Hono } from 'hono';
import { transact } from '../db/connect.ts';
import type { Services } from '../app/services.ts';
import { WardenError } from '../core/errors.ts';
import type { AppEnv } from '../http/app-env.ts';
import { authenticateClient, type AuthenticatedClient } from './client-auth.ts';
import { OAuthError, invalidRequest, unauthorizedClient } from './errors.ts';
import { clientCredentialsGrant, TOKEN_EXCHANGE, tokenExchangeGrant } from './grant-agent.ts';
import { authorizationCodeGrant, refreshTokenGrant } from './grant-code.ts';
import { revokeGrants } from './grants.ts';

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token?: string;
  scope: string;
}

type Ctx = Context<AppEnv>;

/** RFC 6749 §5.1: token responses are never cached. */
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache', 'access-control-allow-origin': '*' };

async function formBody(c: Ctx): Promise<Record<string, string>> {
  const type = c.req.header('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded')) throw invalidRequest('The body must be application/x-www-form-urlencoded.');
  const params = new URLSearchParams(await c.req.text());
  const out: Record<string, string> = {};
  for (const [k, v] of params) {
    // RFC 6749 §3.2: parameters must not repeat (resource is the RFC 8707 exception, one value here).
    if (k in out) throw invalidRequest(`Parameter ${k} is repeated.`);
    out[k] = v;
  }
  return out;
}

function oauthResponse(c: Ctx, err: unknown, services: Services): Response {
  if (err instanceof OAuthError) {
    const headers: Record<string, string> = { ...NO_STORE };
    if (err.status === 401 && c.req.header('authorization')) headers['www-authenticate'] = 'Basic realm="warden"';
    return c.json(err.toJSON(), err.status as 400, headers);
  }
  if (err instanceof WardenError) return c.json({ error: 'invalid_request', error_description: err.message }, err.status as 400, NO_STORE);
  services.log.error('token endpoint failed', { requestId: c.get('requestId'), error: String((err as Error)?.stack ?? err) });
  return c.json({ error: 'server_error', error_description: `Unexpected error; request id ${c.get('requestId')}.` }, 500, NO_STORE);
}

async function dispatch(services: Services, client: AuthenticatedClient, body: Record<string, string>): Promise<object> {
  switch (body.grant_type) {
    case 'authorization_code':
    case 'refresh_token':
      if (client.kind !== 'public') throw unauthorizedClient('Agents use client_credentials or token exchange; the authorization-code flow is for MCP clients.');
      return body.grant_type === 'authorization_code' ? authorizationCodeGrant(services, client.client, body) : refreshTokenGrant(services, client.client, body);
    case 'client_credentials':
      if (client.kind !== 'agent') throw unauthorizedClient('client_credentials is for agents (agents.create); MCP clients use the authorization-code flow.');
      return clientCredentialsGrant(services, client.agent, body);
    case TOKEN_EXCHANGE:
      if (client.kind !== 'agent') throw unauthorizedClient('Token exchange is for agents acting on behalf of users.');
      return tokenExchangeGrant(services, client.agent, body);
    case undefined:
      throw invalidRequest('grant_type is required.');
    default:
      throw new OAuthError('unsupported_grant_type', `grant_type ${body.grant_type.slice(0, 100)} is not supported.`);
  }
}

export function mountToken(app: Hono<AppEnv>, services: Services): void {
  app.options('/oauth/token', (c) => c.body(null, 204, { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'authorization, content-type' }));
  app.post('/oauth/token', async (c) => {
    try {
      const body = await formBody(c);
      const client = await authenticateClient(services, c.req.header('authorization'), body);
      return c.json(await dispatch(services, client, body), 200, NO_STORE);
    } catch (err) {
      return oauthResponse(c, err, services);
    }
  });

  // RFC 7009: revoke a refresh or access token of the calling client; unknown tokens are not an error.
  app.post('/oauth/revoke', async (c) => {
    try {
      const body = await formBody(c);
      const client = await authenticateClient(services, c.req.header('authorization'), body);
      const clientId = client.kind === 'public' ? client.client.clientId : client.agent.client_id;
      const grantId = await grantOf(services, body.token ?? '');
      if (grantId) {
        const grant = await services.db.selectFrom('oauth_grants').select(['client_id']).where('id', '=', grantId).executeTakeFirst();
        if (grant?.client_id === clientId) await transact(services.db, services.notifier, (trx) => revokeGrants(trx, services.clock.now(), { ids: [grantId] }));
      }
      return c.body(null, 200, NO_STORE);
    } catch (err) {
      return oauthResponse(c, err, services);
    }
  });
}

async function grantOf(services: Services, token: string): Promise<string | undefined> {
  if (token.startsWith('wdn_rt_')) {
    const row = await services.db.selectFrom('oauth_refresh_tokens').select('grant_id').where('token_hash', 'in', services.tokens.candidates(token)).executeTakeFirst();
    return row?.grant_id;
  }
  if (token.split('.').length !== 3) return undefined;
  try {
    return (await services.oauth.verifier.claims(token)).gid;
  } catch {
    return undefined; // expired or foreign tokens need no revocation
  }
}
