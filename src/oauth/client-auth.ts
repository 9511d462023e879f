import { timingSafeEqual } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, importJWK, jwtVerify, type JWK } from 'jose';
import type { Services } from '../app/services.ts';
import type { AgentRow } from './tables.ts';
import type { OAuthClient } from './clients.ts';
import { invalidClient, invalidRequest } from './errors.ts';

export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const ASSERTION_ALGS = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA', 'Ed25519'];
const MAX_ASSERTION_LIFETIME_S = 600;

export type AuthenticatedClient = { kind: 'public'; client: OAuthClient } | { kind: 'agent'; agent: AgentRow; method: 'client_secret' | 'private_key_jwt' };

/**
 * Token-endpoint client authentication (RFC 6749 §2.3, RFC 7523 §2.2): public MCP clients name
 * themselves (PKCE binds the code to them); agents prove who they are with a secret (Basic or
 * post) or, preferably, a private_key_jwt assertion whose `aud` is exactly Warden's issuer.
 */
export async function authenticateClient(services: Services, authorization: string | undefined, body: Record<string, string>): Promise<AuthenticatedClient> {
  const basic = authorization ? parseBasic(authorization) : undefined;
  if (authorization && !basic) throw invalidClient('Only HTTP Basic client authentication is accepted in the Authorization header.');
  const assertion = body.client_assertion;
  const methods = [basic, body.client_secret !== undefined, assertion !== undefined].filter(Boolean).length;
  if (methods > 1) throw invalidRequest('Use exactly one client authentication method (RFC 6749 §2.3).');

  if (assertion !== undefined) {
    if (body.client_assertion_type !== JWT_BEARER_ASSERTION) throw invalidClient(`client_assertion_type must be ${JWT_BEARER_ASSERTION}.`);
    return { kind: 'agent', agent: await verifyAssertion(services, assertion, body.client_id), method: 'private_key_jwt' };
  }
  const clientId = basic?.clientId ?? body.client_id;
  const secret = basic?.secret ?? body.client_secret;
  if (!clientId) throw invalidClient('client_id is missing.');
  if (basic && body.client_id && body.client_id !== basic.clientId) throw invalidClient('client_id in the body differs from the Basic credentials.');
  const agent = await findAgent(services, clientId);
  if (agent) {
    if (secret === undefined) throw invalidClient('This client is an agent: authenticate with its secret or a private_key_jwt assertion.');
    if (agent.auth_method !== 'client_secret') throw invalidClient('This agent authenticates with private_key_jwt only.');
    await checkSecret(services, agent, secret);
    return { kind: 'agent', agent, method: 'client_secret' };
  }
  if (secret !== undefined) throw invalidClient('MCP clients are public: they have no client secret.');
  return { kind: 'public', client: await services.oauth.clients.find(clientId) };
}

function parseBasic(header: string): { clientId: string; secret: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  try {
    // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
    return { clientId: decodeURIComponent(decoded.slice(0, i).replaceAll('+', ' ')), secret: decodeURIComponent(decoded.slice(i + 1).replaceAll('+', ' ')) };
  } catch {
    return undefined;
  }
}

async function findAgent(services: Services, clientId: string): Promise<AgentRow | undefined> {
  if (!clientId.startsWith('agent_')) return undefined;
  const agent = await services.db.selectFrom('agents').selectAll().where('client_id', '=', clientId).executeTakeFirst();
  if (!agent) throw invalidClient('Unknown agent client_id.');
  if (agent.revoked_at) throw invalidClient('This agent has been revoked.');
  return agent;
}

/** An agent's credentials of one kind that are neither revoked nor expired (at most two: rotation overlaps). */
function liveCredentials(services: Services, agentId: string, kind: 'secret' | 'public_key') {
  return services.db
    .selectFrom('agent_credentials')
    .select(['secret_hash', 'public_jwk'])
    .where('agent_id', '=', agentId)
    .where('kind', '=', kind)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', services.clock.now())
    .execute();
}

async function checkSecret(services: Services, agent: AgentRow, secret: string): Promise<void> {
  const rows = await liveCredentials(services, agent.id, 'secret');
  const candidates = services.tokens.candidates(secret);
  const ok = rows.some((r) => r.secret_hash && candidates.some((c) => c.length === r.secret_hash!.length && timingSafeEqual(c, r.secret_hash!)));
  if (!ok) throw invalidClient('The agent secret is wrong, expired or revoked; rotate it with agents.rotate_secret.');
}

async function verifyAssertion(services: Services, assertion: string, bodyClientId: string | undefined): Promise<AgentRow> {
  let iss: unknown;
  let alg: unknown;
  try {
    iss = decodeJwt(assertion).iss;
    alg = decodeProtectedHeader(assertion).alg;
  } catch {
    throw invalidClient('client_assertion is not a JWT.');
  }
  if (typeof iss !== 'string' || (bodyClientId && bodyClientId !== iss)) throw invalidClient('client_assertion iss must be the client_id.');
  if (typeof alg !== 'string' || !ASSERTION_ALGS.includes(alg)) throw invalidClient('client_assertion must be signed with an asymmetric algorithm (ES256, RS256, PS256 or EdDSA).');
  const agent = await findAgent(services, iss);
  if (!agent) throw invalidClient('Unknown client_id in client_assertion.');
  if (agent.auth_method !== 'private_key_jwt') throw invalidClient('This agent has no registered public key; it authenticates with its secret.');
  const now = services.clock.now();
  const keys = await liveCredentials(services, agent.id, 'public_key');
  let payload;
  for (const { public_jwk } of keys) {
    if (!public_jwk) continue;
    try {
      const key = await importJWK(public_jwk as JWK, alg);
      // aud must be exactly the issuer (RFC 7523bis / MCP): not the token endpoint, not a list of audiences.
      ({ payload } = await jwtVerify(assertion, key, { issuer: agent.client_id, subject: agent.client_id, algorithms: [alg], currentDate: now, requiredClaims: ['exp', 'jti', 'aud'] }));
      break;
    } catch {
      continue;
    }
  }
  if (!payload) throw invalidClient('client_assertion signature or claims do not verify against the agent\'s registered keys.');
  const aud = payload.aud;
  if (!(aud === services.oauth.issuer || (Array.isArray(aud) && aud.length === 1 && aud[0] === services.oauth.issuer)))
    throw invalidClient(`client_assertion aud must be exactly the issuer ${services.oauth.issuer}.`);
  if (payload.exp! - Math.floor(now.getTime() / 1000) > MAX_ASSERTION_LIFETIME_S) throw invalidClient('client_assertion expires too far in the future (at most 10 minutes).');
  // One use per jti (RFC 7523 §3 item 7), shared by every server through Postgres.
  const inserted = await services.db
    .insertInto('oauth_assertion_jtis')
    .values({ client_id: agent.client_id, jti: String(payload.jti).slice(0, 200), expires_at: new Date(payload.exp! * 1000) })
    .onConflict((oc) => oc.columns(['client_id', 'jti']).doNothing())
    .returning('jti')
    .executeTakeFirst();
  if (!inserted) throw invalidClient('client_assertion was already used (jti replay).');
  return agent;
}
