import { randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, importJWK, type JWK } from 'jose';
import type { TokenHasher } from '../crypto/token-format.ts';
import { generateToken } from '../crypto/token-format.ts';
import { forbidden, invalid, notFound } from '../core/errors.ts';
import { isPermission, type Permission } from '../authz/permissions.ts';
import type { DB } from '../db/connect.ts';
import type { OperationContext } from '../ops/types.ts';
import type { AgentGrant, AgentRow } from '../oauth/tables.ts';
import { activeScopes } from './grants.ts';
import { MAX_LIVE_CREDENTIALS, type AgentView } from './schema.ts';
import { isoOf as iso } from '../core/time.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const newClientId = () => `agent_${randomBytes(15).toString('base64url')}`;

export async function findAgent(ctx: OperationContext, ref: string): Promise<AgentRow> {
  let q = ctx.db.selectFrom('agents').selectAll().where('tenant_id', '=', ctx.tenant.id);
  q = UUID.test(ref) ? q.where('id', '=', ref) : q.where('name', '=', ref);
  const agent = await q.executeTakeFirst();
  if (!agent) throw notFound('AGENT_NOT_FOUND', `No agent "${ref}" in this tenant.`, 'agents.list shows agent ids and names.');
  return agent;
}

/** Grants must name real permissions the caller holds now: nobody creates an agent stronger than themselves. */
export function checkGrants(ctx: OperationContext, grants: { scope: string; expires_at?: string | undefined }[]): AgentGrant[] {
  const unknown = grants.filter((g) => !isPermission(g.scope)).map((g) => g.scope);
  if (unknown.length) throw invalid('UNKNOWN_SCOPE', `Unknown scope(s): ${unknown.join(', ')}.`, { field: 'grants', hint: 'roles.list shows the permission catalogue.' });
  const notHeld = grants.filter((g) => !ctx.permissions.has(g.scope as Permission)).map((g) => g.scope);
  if (notHeld.length)
    throw forbidden('SCOPE_NOT_HELD', `You cannot grant an agent scopes you do not hold: ${notHeld.join(', ')}.`, { field: 'grants', hint: 'auth.whoami lists your permissions.' });
  const now = ctx.services.clock.now();
  const past = grants.filter((g) => g.expires_at && new Date(g.expires_at) <= now).map((g) => g.scope);
  if (past.length) throw invalid('GRANT_EXPIRY_IN_PAST', `Grant expiry must be in the future: ${past.join(', ')}.`, { field: 'grants' });
  const byScope = new Map<string, AgentGrant>();
  for (const g of grants) byScope.set(g.scope, { scope: g.scope, expires_at: g.expires_at ? iso(g.expires_at) : null });
  return [...byScope.values()];
}

export async function checkPublicJwk(jwk: Record<string, unknown>): Promise<{ jwk: Record<string, unknown>; kid: string }> {
  const bad = (why: string) => invalid('INVALID_PUBLIC_KEY', `public_jwk ${why}.`, { field: 'public_jwk', hint: 'Export the public half of an EC P-256, RSA (≥2048 bits) or Ed25519 key as a JWK.' });
  if (['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].some((k) => k in jwk)) throw bad('contains private key material; send only the public key');
  const alg = jwk.kty === 'EC' ? { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }[String(jwk.crv)] : jwk.kty === 'RSA' ? String(jwk.alg ?? 'RS256') : jwk.kty === 'OKP' && jwk.crv === 'Ed25519' ? 'EdDSA' : undefined;
  if (!alg) throw bad('must be an EC, RSA or Ed25519 public key');
  if (jwk.kty === 'RSA' && Buffer.from(String(jwk.n ?? ''), 'base64url').length < 256) throw bad('RSA keys need at least 2048 bits');
  try {
    await importJWK(jwk as JWK, alg);
  } catch {
    throw bad('is not a valid key');
  }
  const kid = typeof jwk.kid === 'string' && jwk.kid ? jwk.kid : await calculateJwkThumbprint(jwk as JWK);
  const pub: Record<string, unknown> = { kty: jwk.kty, kid };
  for (const k of ['crv', 'x', 'y', 'n', 'e', 'alg']) if (jwk[k] !== undefined) pub[k] = jwk[k];
  return { jwk: pub, kid };
}

/**
 * Adds a credential (a secret shown once, or a public key). At most two stay live: the newest and
 * the one it replaces, so a fleet can roll over without downtime; older ones are revoked.
 */
export async function addCredential(
  db: DB,
  hasher: TokenHasher,
  agent: AgentRow,
  now: Date,
  publicJwk: { jwk: Record<string, unknown>; kid: string } | undefined,
): Promise<{ id: string; secret?: string }> {
  const expiresAt = new Date(now.getTime() + agent.credential_days * 86_400_000);
  let secret: string | undefined;
  let values;
  if (agent.auth_method === 'client_secret') {
    const issued = generateToken('agent_secret');
    secret = issued.token;
    const { hash, pepperVersion } = hasher.hash(issued.token);
    values = { kind: 'secret' as const, secret_hash: hash, pepper_version: pepperVersion, secret_start: issued.start, public_jwk: null };
  } else {
    if (!publicJwk) throw invalid('PUBLIC_KEY_REQUIRED', 'A private_key_jwt agent needs public_jwk.', { field: 'public_jwk' });
    values = { kind: 'public_key' as const, secret_hash: null, pepper_version: null, secret_start: publicJwk.kid, public_jwk: JSON.stringify(publicJwk.jwk) };
  }
  const row = await db
    .insertInto('agent_credentials')
    .values({ tenant_id: agent.tenant_id, agent_id: agent.id, ...values, created_at: now, expires_at: expiresAt })
    .returning('id')
    .executeTakeFirstOrThrow();
  const live = await db
    .selectFrom('agent_credentials')
    .select('id')
    .where('agent_id', '=', agent.id)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .execute();
  const surplus = live.filter((c) => c.id !== row.id).slice(MAX_LIVE_CREDENTIALS - 1).map((c) => c.id);
  if (surplus.length) await db.updateTable('agent_credentials').set({ revoked_at: now }).where('id', 'in', surplus).execute();
  return { id: row.id, ...(secret ? { secret } : {}) };
}

export async function viewOf(db: DB, agent: AgentRow, now: Date): Promise<AgentView> {
  const owner = await db.selectFrom('users').select('email').where('id', '=', agent.owner_user_id).executeTakeFirst();
  const creds = await db.selectFrom('agent_credentials').selectAll().where('agent_id', '=', agent.id).orderBy('created_at', 'desc').execute();
  const active = new Set(activeScopes(agent.grants, now));
  return {
    id: agent.id,
    name: agent.name,
    description: agent.description,
    client_id: agent.client_id,
    owner_email: owner?.email ?? '(removed)',
    grants: agent.grants.map((g) => ({ scope: g.scope, expires_at: g.expires_at, active: active.has(g.scope) })),
    may_act_for_users: agent.may_act_for_users,
    auth_method: agent.auth_method,
    credential_days: agent.credential_days,
    credentials: creds.map((c) => ({
      id: c.id,
      kind: c.kind,
      start: c.secret_start,
      created_at: iso(c.created_at),
      expires_at: iso(c.expires_at),
      status: c.revoked_at ? ('revoked' as const) : new Date(c.expires_at) <= now ? ('expired' as const) : ('active' as const),
    })),
    status: agent.revoked_at ? 'revoked' : 'active',
    created_at: iso(agent.created_at),
    updated_at: iso(agent.updated_at),
  };
}
