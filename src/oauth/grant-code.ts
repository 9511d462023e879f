import { createHash, timingSafeEqual } from 'node:crypto';
import { transact } from '../db/connect.ts';
import type { Services } from '../app/services.ts';
import type { DB } from '../db/connect.ts';
import { ACCESS_TOKEN_SECONDS } from './access-token.ts';
import type { OAuthClient } from './clients.ts';
import { invalidGrant, invalidRequest, invalidScope, invalidTarget } from './errors.ts';
import { FAMILY_MAX_DAYS, insertGrant, insertRefreshToken, revokeGrants } from './grants.ts';
import type { TokenResponse } from './token.ts';

const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/** OAuth 2.1 §4.1.3: one use, same client, same redirect URI, PKCE S256, then a refresh family. */
export async function authorizationCodeGrant(services: Services, client: OAuthClient, body: Record<string, string>): Promise<TokenResponse> {
  const { code, code_verifier: verifier, redirect_uri: redirectUri } = body;
  if (!code) throw invalidRequest('code is required.');
  if (!verifier || !VERIFIER.test(verifier)) throw invalidGrant('code_verifier is required (43-128 characters).');
  const now = services.clock.now();
  const candidates = services.tokens.candidates(code);
  const row = await services.db.updateTable('oauth_codes').set({ used_at: now }).where('code_hash', 'in', candidates).where('used_at', 'is', null).returningAll().executeTakeFirst();
  if (!row) {
    // A second use of a code means it leaked: revoke whatever the first use produced (RFC 6749 §4.1.2).
    // Marking the code expired also stops a first exchange that has not committed yet (it links
    // its grant only to a live code); if the first one has committed, this returns its grant.
    const used = await services.db.updateTable('oauth_codes').set({ expires_at: new Date(0) }).where('code_hash', 'in', candidates).returning(['grant_id']).executeTakeFirst();
    if (used?.grant_id) await transact(services.db, services.notifier, (trx) => revokeGrants(trx, now, { ids: [used.grant_id!] }));
    throw invalidGrant(used ? 'The authorization code was already used; the tokens it produced are revoked.' : 'The authorization code is not valid.');
  }
  // The code is spent from here on, whatever the outcome (one attempt per code).
  const issued = await transact(services.db, services.notifier, async (trx) => {
    if (new Date(row.expires_at) <= now) throw invalidGrant('The authorization code has expired.');
    if (row.client_id !== client.clientId) throw invalidGrant('The authorization code was issued to another client.');
    if (redirectUri !== row.redirect_uri) throw invalidGrant('redirect_uri must be exactly the one of the authorization request.');
    const expected = Buffer.from(row.code_challenge);
    const actual = Buffer.from(createHash('sha256').update(verifier).digest('base64url'));
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) throw invalidGrant('PKCE verification failed: code_verifier does not match code_challenge.');
    if (body.resource !== undefined && body.resource !== row.resource) throw invalidTarget('resource differs from the authorization request.');
    await requireLive(trx, row.tenant_id, row.user_id, client.clientId, row.consent_id);
    const familyExpiresAt = new Date(now.getTime() + FAMILY_MAX_DAYS * 86_400_000);
    const grantId = await insertGrant(trx, {
      tenantId: row.tenant_id,
      kind: 'authorization_code',
      userId: row.user_id,
      clientId: client.clientId,
      agentId: null,
      consentId: row.consent_id,
      parentId: null,
      scopes: row.scopes,
      resource: row.resource,
      expiresAt: familyExpiresAt,
      now,
    });
    const linked = await trx.updateTable('oauth_codes').set({ grant_id: grantId }).where('code_hash', '=', row.code_hash).where('expires_at', '>', now).returning('code_hash').executeTakeFirst();
    if (!linked) throw invalidGrant('The authorization code was presented twice; no tokens were issued.');
    const refresh = await insertRefreshToken(trx, services.tokens, { grantId, tenantId: row.tenant_id, now, familyExpiresAt });
    return { grantId, refresh };
  });
  // Signed after commit: the signing key may need the database (the embedded one has a single connection).
  const access = await services.oauth.tokens.issue({ subject: row.user_id, clientId: client.clientId, tenantId: row.tenant_id, grantId: issued.grantId, scopes: row.scopes, audience: row.resource });
  return { access_token: access.token, token_type: 'Bearer', expires_in: access.expiresIn, refresh_token: issued.refresh, scope: row.scopes.join(' ') };
}

/**
 * Refresh tokens rotate on every use (OAuth 2.1 §4.3.1). Presenting a used one again means two
 * parties hold the family: the whole family is revoked (reuse detection), on every server.
 */
export async function refreshTokenGrant(services: Services, client: OAuthClient, body: Record<string, string>): Promise<TokenResponse> {
  const token = body.refresh_token;
  if (!token) throw invalidRequest('refresh_token is required.');
  const now = services.clock.now();
  const candidates = services.tokens.candidates(token);
  const outcome = await transact(services.db, services.notifier, async (trx) => {
    const row = await trx.updateTable('oauth_refresh_tokens').set({ used_at: now }).where('token_hash', 'in', candidates).where('used_at', 'is', null).returning(['grant_id', 'expires_at']).executeTakeFirst();
    if (!row) {
      const used = await trx.selectFrom('oauth_refresh_tokens').select(['grant_id']).where('token_hash', 'in', candidates).executeTakeFirst();
      if (used) {
        await revokeGrants(trx, now, { ids: [used.grant_id] });
        return { reuse: used.grant_id } as const;
      }
      throw invalidGrant('The refresh token is not valid.');
    }
    if (new Date(row.expires_at) <= now) throw invalidGrant('The refresh token has expired; sign in again.');
    const grant = await trx.selectFrom('oauth_grants').selectAll().where('id', '=', row.grant_id).executeTakeFirstOrThrow();
    if (grant.client_id !== client.clientId) throw invalidGrant('The refresh token was issued to another client.');
    if (grant.revoked_at) throw invalidGrant('The grant behind this refresh token has been revoked; sign in again.');
    if (new Date(grant.expires_at) <= now) throw invalidGrant('This sign-in has reached its maximum age; sign in again.');
    if (body.resource !== undefined && body.resource !== grant.resource) throw invalidTarget('resource differs from the original grant.');
    await requireLive(trx, grant.tenant_id, grant.user_id!, grant.client_id, grant.consent_id!);
    let scopes = grant.scopes;
    if (body.scope) {
      const asked = body.scope.trim().split(/\s+/);
      const extra = asked.filter((s) => !grant.scopes.includes(s));
      if (extra.length) throw invalidScope(`A refresh can only narrow scopes; not granted: ${extra.join(' ')}.`);
      scopes = asked;
    }
    const refresh = await insertRefreshToken(trx, services.tokens, { grantId: grant.id, tenantId: grant.tenant_id, now, familyExpiresAt: new Date(grant.expires_at) });
    return { grant, scopes, refresh };
  });
  if ('reuse' in outcome) {
    const grant = await services.db.selectFrom('oauth_grants').select(['tenant_id', 'user_id', 'client_id']).where('id', '=', outcome.reuse!).executeTakeFirst();
    await services.audit.record({
      tenantId: grant?.tenant_id ?? null,
      actor: [{ ...(grant?.user_id ? { userId: grant.user_id } : {}), credential: 'oauth', credentialId: outcome.reuse, clientId: grant?.client_id ?? client.clientId }],
      operation: 'oauth.refresh_reuse',
      target: client.name,
      outcome: 'denied',
      errorCode: 'REFRESH_TOKEN_REUSED',
      occurredAt: now,
    });
    throw invalidGrant('This refresh token was already used: the whole token family is now revoked. Sign in again.');
  }
  const { grant, scopes, refresh } = outcome;
  const access = await services.oauth.tokens.issue({
    subject: grant.user_id!,
    clientId: grant.client_id,
    tenantId: grant.tenant_id,
    grantId: grant.id,
    scopes,
    audience: grant.resource,
    lifetime: Math.min(ACCESS_TOKEN_SECONDS, (new Date(grant.expires_at).getTime() - now.getTime()) / 1000),
  });
  return { access_token: access.token, token_type: 'Bearer', expires_in: access.expiresIn, refresh_token: refresh, scope: scopes.join(' ') };
}

/** The consent still stands, the client is not revoked in the tenant, and the user is still a member. */
async function requireLive(db: DB, tenantId: string, userId: string, clientId: string, consentId: string): Promise<void> {
  const consent = await db.selectFrom('oauth_consents').select(['revoked_at']).where('id', '=', consentId).executeTakeFirst();
  if (!consent || consent.revoked_at) throw invalidGrant('The user\'s consent for this client was revoked.');
  const revoked = await db.selectFrom('oauth_client_revocations').select('client_id').where('tenant_id', '=', tenantId).where('client_id', '=', clientId).executeTakeFirst();
  if (revoked) throw invalidGrant('This client was revoked in this account.');
  const member = await db.selectFrom('memberships').select('role').where('tenant_id', '=', tenantId).where('user_id', '=', userId).executeTakeFirst();
  if (!member) throw invalidGrant('The user is no longer a member of this account.');
}
