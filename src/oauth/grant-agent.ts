import type { Services } from '../app/services.ts';
import { activeScopes } from '../agents/grants.ts';
import { WardenError } from '../core/errors.ts';
import { ACCESS_TOKEN_SECONDS, type ActClaim } from './access-token.ts';
import { OAuthError, invalidGrant, invalidRequest, invalidScope, invalidTarget, unauthorizedClient } from './errors.ts';
import { insertGrant } from './grants.ts';
import type { AgentRow } from './tables.ts';
import type { TokenResponse } from './token.ts';

export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';

function requestedScopes(body: Record<string, string>, allowed: readonly string[], what: string): string[] {
  if (!body.scope?.trim()) {
    if (allowed.length === 0) throw invalidScope(`${what} leaves no scope to grant.`);
    return [...allowed];
  }
  const asked = [...new Set(body.scope.trim().split(/\s+/))];
  const extra = asked.filter((s) => !allowed.includes(s));
  if (extra.length) throw invalidScope(`Not grantable here (${what}): ${extra.join(' ')}.`);
  return asked;
}

function checkResource(services: Services, body: Record<string, string>) {
  const target = body.resource ?? body.audience;
  if (target !== undefined && target !== services.oauth.resource) throw invalidTarget(`resource must be ${services.oauth.resource}.`);
}

async function ownerIsMember(services: Services, agent: AgentRow): Promise<void> {
  const owner = await services.access.membership(agent.tenant_id, agent.owner_user_id);
  if (!owner) throw unauthorizedClient("The agent's owner is no longer a member of its account; assign a new owner.");
}

/**
 * Client credentials (RFC 6749 §4.4) → an RFC 9068 access token of at most one hour. Its scopes
 * are the agent's live grants (or fewer, if asked); at every call they are intersected again with
 * the agent's current grants and its owner's current role.
 */
export async function clientCredentialsGrant(services: Services, agent: AgentRow, body: Record<string, string>): Promise<TokenResponse> {
  checkResource(services, body);
  await ownerIsMember(services, agent);
  const now = services.clock.now();
  const scopes = requestedScopes(body, activeScopes(agent.grants, now), "the agent's grants");
  const grantId = await insertGrant(services.db, {
    tenantId: agent.tenant_id,
    kind: 'client_credentials',
    userId: null,
    clientId: agent.client_id,
    agentId: agent.id,
    consentId: null,
    parentId: null,
    scopes,
    resource: services.oauth.resource,
    expiresAt: new Date(now.getTime() + ACCESS_TOKEN_SECONDS * 1000),
    now,
  });
  const access = await services.oauth.tokens.issue({ subject: agent.client_id, clientId: agent.client_id, tenantId: agent.tenant_id, grantId, scopes, audience: services.oauth.resource });
  await services.audit.record({
    tenantId: agent.tenant_id,
    actor: [{ credential: 'agent', credentialId: grantId, agentId: agent.id, clientId: agent.client_id }],
    operation: 'oauth.client_credentials',
    target: agent.name,
    input: { scopes },
    outcome: 'success',
    occurredAt: now,
  });
  return { access_token: access.token, token_type: 'Bearer', expires_in: access.expiresIn, scope: scopes.join(' ') };
}

/**
 * On-behalf-of (RFC 8693): the agent presents a user's token (subject_token) and authenticates as
 * itself (the actor). The new token's scopes ⊆ the user's current permissions ∩ the subject
 * token's effective scopes (every earlier hop) ∩ the agent's live grants ∩ what was asked; its
 * `act` claim nests earlier actors; it never outlives the subject token. A further exchange starts
 * from this token, so it can only narrow.
 */
export async function tokenExchangeGrant(services: Services, agent: AgentRow, body: Record<string, string>): Promise<TokenResponse & { issued_token_type: string }> {
  if (!agent.may_act_for_users) throw unauthorizedClient('This agent may not act on behalf of users (agents.update may_act_for_users).');
  checkResource(services, body);
  if (body.requested_token_type && body.requested_token_type !== ACCESS_TOKEN_TYPE) throw invalidRequest(`requested_token_type must be ${ACCESS_TOKEN_TYPE}.`);
  if (!body.subject_token) throw invalidRequest('subject_token is required.');
  if (body.subject_token_type !== ACCESS_TOKEN_TYPE && body.subject_token_type !== JWT_TOKEN_TYPE) throw invalidRequest(`subject_token_type must be ${ACCESS_TOKEN_TYPE}.`);
  const verifier = services.oauth.verifier;
  const subject = await asGrantError(() => verifier.claims(body.subject_token!));
  const principal = await asGrantError(() => verifier.principalFor(subject));
  const chain = await verifier.chain(subject.gid, subject.tid);
  if (chain[chain.length - 1]!.kind !== 'authorization_code') throw invalidGrant('subject_token must be a user\'s token (authorization code or an exchange of one).');
  if (subject.tid !== agent.tenant_id) throw invalidGrant("subject_token belongs to another account than the agent's.");
  if (body.actor_token !== undefined) {
    if (body.actor_token_type !== ACCESS_TOKEN_TYPE) throw invalidRequest(`actor_token_type must be ${ACCESS_TOKEN_TYPE}.`);
    const actor = await asGrantError(() => verifier.claims(body.actor_token!));
    if (actor.sub !== agent.client_id || actor.client_id !== agent.client_id) throw invalidGrant('actor_token must be a token of the authenticated agent itself.');
    await asGrantError(() => verifier.principalFor(actor));
  }
  const membership = await services.access.membership(subject.tid, principal.userId!);
  if (!membership) throw invalidGrant('The user is no longer a member of this account.');
  const now = services.clock.now();
  const agentScopes = new Set(activeScopes(agent.grants, now));
  const subjectScopes = principal.scopes === 'all' ? [...membership.permissions] : [...principal.scopes];
  const allowed = subjectScopes.filter((s) => membership.permissions.has(s) && agentScopes.has(s));
  const scopes = requestedScopes(body, allowed, "the user's current permissions ∩ the subject token ∩ the agent's grants");
  const lifetime = Math.min(ACCESS_TOKEN_SECONDS, subject.exp! - Math.floor(now.getTime() / 1000));
  if (lifetime <= 0) throw invalidGrant('subject_token has expired.');
  const grantId = await insertGrant(services.db, {
    tenantId: agent.tenant_id,
    kind: 'token_exchange',
    userId: principal.userId!,
    clientId: agent.client_id,
    agentId: agent.id,
    consentId: null,
    parentId: subject.gid,
    scopes,
    resource: services.oauth.resource,
    expiresAt: new Date(now.getTime() + lifetime * 1000),
    now,
  });
  const act: ActClaim = { sub: agent.client_id, ...(subject.act ? { act: subject.act } : {}) };
  const access = await services.oauth.tokens.issue({ subject: subject.sub, clientId: agent.client_id, tenantId: agent.tenant_id, grantId, scopes, audience: services.oauth.resource, act, lifetime });
  await services.audit.record({
    tenantId: agent.tenant_id,
    actor: [...principal.actorChain, { credential: 'agent', credentialId: grantId, agentId: agent.id, clientId: agent.client_id }],
    operation: 'oauth.token_exchange',
    target: agent.name,
    input: { scopes, parent_grant: subject.gid },
    outcome: 'success',
    occurredAt: now,
  });
  return { access_token: access.token, issued_token_type: ACCESS_TOKEN_TYPE, token_type: 'Bearer', expires_in: access.expiresIn, scope: scopes.join(' ') };
}

/** A subject/actor token that fails verification is an invalid_grant at the token endpoint, not a 401. */
async function asGrantError<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof WardenError) throw new OAuthError('invalid_grant', `${err.message}`);
    throw err;
  }
}
