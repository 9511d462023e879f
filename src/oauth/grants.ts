import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { TokenHasher } from '../crypto/token-format.ts';
import { publishInvalidation, type DB } from '../db/connect.ts';
import type { GrantKind } from './tables.ts';
import { INVALIDATION } from './verifier.ts';

/**
 * Grants are the revocable unit behind every token: an authorization-code grant is one refresh
 * family; a client-credentials or token-exchange grant backs one access token. Revoking a grant
 * revokes its descendants (tokens exchanged from it) and is announced to every server.
 */
export const REFRESH_TOKEN_DAYS = 30;
/** A refresh family lives at most this long from the user's consent; then the user signs in again. */
export const FAMILY_MAX_DAYS = 90;

export async function insertGrant(
  db: DB,
  f: { tenantId: string; kind: GrantKind; userId: string | null; clientId: string; agentId: string | null; consentId: string | null; parentId: string | null; scopes: readonly string[]; resource: string; expiresAt: Date; now: Date },
): Promise<string> {
  const row = await db
    .insertInto('oauth_grants')
    .values({
      tenant_id: f.tenantId,
      kind: f.kind,
      user_id: f.userId,
      client_id: f.clientId,
      agent_id: f.agentId,
      consent_id: f.consentId,
      parent_id: f.parentId,
      scopes: [...f.scopes],
      resource: f.resource,
      created_at: f.now,
      expires_at: f.expiresAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Opaque refresh tokens: 256 random bits, stored as a keyed hash only. */
export async function insertRefreshToken(db: DB, hasher: TokenHasher, f: { grantId: string; tenantId: string; now: Date; familyExpiresAt: Date }): Promise<string> {
  const token = `wdn_rt_${randomBytes(32).toString('base64url')}`;
  const expiresAt = new Date(Math.min(f.now.getTime() + REFRESH_TOKEN_DAYS * 86_400_000, f.familyExpiresAt.getTime()));
  await db.insertInto('oauth_refresh_tokens').values({ token_hash: hasher.hash(token).hash, grant_id: f.grantId, tenant_id: f.tenantId, created_at: f.now, expires_at: expiresAt }).execute();
  return token;
}

/** Revokes grants matching `where` and every grant exchanged from them; returns how many. */
export async function revokeGrants(db: DB, now: Date, where: { ids?: string[]; consentId?: string; agentId?: string; tenantClient?: { tenantId: string; clientId: string } }): Promise<number> {
  let roots = db.selectFrom('oauth_grants').select('id').where('revoked_at', 'is', null);
  if (where.ids) roots = roots.where('id', 'in', where.ids.length ? where.ids : ['00000000-0000-0000-0000-000000000000']);
  if (where.consentId) roots = roots.where('consent_id', '=', where.consentId);
  if (where.agentId) roots = roots.where('agent_id', '=', where.agentId);
  if (where.tenantClient) roots = roots.where('tenant_id', '=', where.tenantClient.tenantId).where('client_id', '=', where.tenantClient.clientId);
  const result = await sql<{ id: string }>`
    with recursive tree(id) as (
      ${roots}
      union
      select g.id from oauth_grants g join tree t on g.parent_id = t.id
    )
    update oauth_grants set revoked_at = ${now} where id in (select id from tree) and revoked_at is null returning id`.execute(db);
  await publishInvalidation(db, INVALIDATION);
  return result.rows.length;
}
