import { z } from 'zod';
import { conflict, invalid, notFound } from '../core/errors.ts';
import { publishInvalidation } from '../db/connect.ts';
import { defineOperation } from '../ops/types.ts';
import { revokeGrants } from '../oauth/grants.ts';
import { INVALIDATION } from '../oauth/verifier.ts';
import { addCredential, checkGrants, checkPublicJwk, findAgent, newClientId, viewOf } from './store.ts';
import { DEFAULT_CREDENTIAL_DAYS, MAX_CREDENTIAL_DAYS, agentView, grantInput, publicJwkInput } from './schema.ts';

const ref = z.string().min(1).describe('Agent id or name');

export const agentsCreate = defineOperation({
  name: 'agents.create',
  title: 'Create agent',
  description:
    "Create an AI agent as a principal of its own: an OAuth client that gets short-lived tokens with the client-credentials grant (and, with may_act_for_users, exchanges a user's token to act for them, never beyond that user). Grants must be permissions you hold; each may carry an expiry (time-bound elevation). Everything the agent does is also bounded by your current role (you are its owner). auth_method private_key_jwt (preferred) needs public_jwk; client_secret returns a secret once — hand it over and do not repeat it.",
  input: z.object({
    name: z.string().min(1).max(100).regex(/^[\w .-]+$/, 'expects letters, digits, spaces, dots, dashes or underscores'),
    description: z.string().max(1000).default(''),
    grants: z.array(grantInput).min(1, 'expects at least one grant'),
    may_act_for_users: z.boolean().default(false).describe('Allow on-behalf-of token exchange (RFC 8693)'),
    auth_method: z.enum(['private_key_jwt', 'client_secret']).default('private_key_jwt'),
    public_jwk: publicJwkInput.optional(),
    credential_days: z.number().int().min(1).max(MAX_CREDENTIAL_DAYS).default(DEFAULT_CREDENTIAL_DAYS).describe('Lifetime of each secret or key'),
  }),
  output: agentView.extend({ client_secret: z.string().optional().describe('Shown once; Warden stores only a keyed hash') }),
  permission: 'agents:write',
  annotations: { readOnly: false, destructive: false, idempotent: false },
  rest: { method: 'POST', path: '/agents' },
  async handler(ctx, input) {
    ctx.audit.target = input.name;
    const grants = checkGrants(ctx, input.grants);
    if (input.auth_method === 'private_key_jwt' && !input.public_jwk) throw invalid('PUBLIC_KEY_REQUIRED', 'private_key_jwt needs public_jwk (or choose auth_method client_secret).', { field: 'public_jwk' });
    const jwk = input.public_jwk ? await checkPublicJwk(input.public_jwk) : undefined;
    const exists = await ctx.db.selectFrom('agents').select('id').where('tenant_id', '=', ctx.tenant.id).where('name', '=', input.name).executeTakeFirst();
    if (exists) throw conflict('AGENT_EXISTS', `An agent named "${input.name}" already exists.`, { field: 'name' });
    const now = ctx.services.clock.now();
    const agent = await ctx.db
      .insertInto('agents')
      .values({
        tenant_id: ctx.tenant.id,
        client_id: newClientId(),
        name: input.name,
        description: input.description,
        owner_user_id: ctx.principal.userId!,
        grants: JSON.stringify(grants),
        may_act_for_users: input.may_act_for_users,
        auth_method: input.auth_method,
        credential_days: input.credential_days,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const credential = await addCredential(ctx.db, ctx.services.tokens, agent, now, jwk);
    return { ...(await viewOf(ctx.db, agent, now)), ...(credential.secret ? { client_secret: credential.secret } : {}) };
  },
});

export const agentsList = defineOperation({
  name: 'agents.list',
  title: 'List agents',
  description: 'List the agents of this tenant with their grants, owner, credentials (never secrets) and status.',
  input: z.object({ include_revoked: z.boolean().default(false) }),
  output: z.object({ agents: z.array(agentView) }),
  permission: 'agents:read',
  annotations: { readOnly: true, destructive: false, idempotent: true },
  rest: { method: 'GET', path: '/agents' },
  async handler(ctx, input) {
    let q = ctx.db.selectFrom('agents').selectAll().where('tenant_id', '=', ctx.tenant.id).orderBy('name');
    if (!input.include_revoked) q = q.where('revoked_at', 'is', null);
    const now = ctx.services.clock.now();
    return { agents: await Promise.all((await q.execute()).map((a) => viewOf(ctx.db, a, now))) };
  },
});

export const agentsGet = defineOperation({
  name: 'agents.get',
  title: 'Get agent',
  description: 'Read one agent by id or name: grants (with expiry), owner, credentials and status.',
  input: z.object({ id: ref }),
  output: agentView,
  permission: 'agents:read',
  annotations: { readOnly: true, destructive: false, idempotent: true },
  rest: { method: 'GET', path: '/agents/{id}' },
  async handler(ctx, input) {
    const agent = await findAgent(ctx, input.id);
    ctx.audit.target = agent.name;
    return viewOf(ctx.db, agent, ctx.services.clock.now());
  },
});

export const agentsUpdate = defineOperation({
  name: 'agents.update',
  title: 'Update agent',
  description:
    "Change an agent's description, grants (replacing the list; each may carry an expiry), on-behalf-of permission, credential lifetime or owner. Narrowing applies to its live tokens at their next call on every server.",
  input: z.object({
    id: ref,
    description: z.string().max(1000).optional(),
    grants: z.array(grantInput).min(1).optional(),
    may_act_for_users: z.boolean().optional(),
    credential_days: z.number().int().min(1).max(MAX_CREDENTIAL_DAYS).optional(),
    owner_email: z.string().email().optional().describe('Hand the agent to another member of this tenant'),
  }),
  output: agentView,
  permission: 'agents:write',
  annotations: { readOnly: false, destructive: false, idempotent: true },
  rest: { method: 'PATCH', path: '/agents/{id}' },
  async handler(ctx, input) {
    const agent = await findAgent(ctx, input.id);
    ctx.audit.target = agent.name;
    if (agent.revoked_at) throw invalid('AGENT_REVOKED', 'This agent is revoked; create a new one.');
    const now = ctx.services.clock.now();
    const set: Record<string, unknown> = { updated_at: now };
    if (input.description !== undefined) set.description = input.description;
    if (input.grants) set.grants = JSON.stringify(checkGrants(ctx, input.grants));
    if (input.may_act_for_users !== undefined) set.may_act_for_users = input.may_act_for_users;
    if (input.credential_days !== undefined) set.credential_days = input.credential_days;
    if (input.owner_email) {
      const owner = await ctx.db
        .selectFrom('users')
        .innerJoin('memberships', 'memberships.user_id', 'users.id')
        .select('users.id')
        .where('memberships.tenant_id', '=', ctx.tenant.id)
        .where('users.email', '=', input.owner_email.toLowerCase())
        .executeTakeFirst();
      if (!owner) throw notFound('MEMBER_NOT_FOUND', `${input.owner_email} is not a member of this tenant.`);
      set.owner_user_id = owner.id;
    }
    const updated = await ctx.db.updateTable('agents').set(set).where('id', '=', agent.id).returningAll().executeTakeFirstOrThrow();
    await publishInvalidation(ctx.db, INVALIDATION);
    return viewOf(ctx.db, updated, now);
  },
});

export const agentsRotateSecret = defineOperation({
  name: 'agents.rotate_secret',
  title: 'Rotate agent credential',
  description:
    "Add a new credential to an agent: a new secret (returned once) or, for private_key_jwt agents, a new public_jwk. The previous credential keeps working until it expires so the agent can roll over; at most two stay live (older ones are revoked now).",
  input: z.object({ id: ref, public_jwk: publicJwkInput.optional() }),
  output: agentView.extend({ client_secret: z.string().optional() }),
  permission: 'agents:write',
  annotations: { readOnly: false, destructive: false, idempotent: false },
  rest: { method: 'POST', path: '/agents/{id}/rotate' },
  async handler(ctx, input) {
    const agent = await findAgent(ctx, input.id);
    ctx.audit.target = agent.name;
    if (agent.revoked_at) throw invalid('AGENT_REVOKED', 'This agent is revoked; create a new one.');
    const jwk = input.public_jwk ? await checkPublicJwk(input.public_jwk) : undefined;
    const now = ctx.services.clock.now();
    const credential = await addCredential(ctx.db, ctx.services.tokens, agent, now, jwk);
    return { ...(await viewOf(ctx.db, agent, now)), ...(credential.secret ? { client_secret: credential.secret } : {}) };
  },
});

export const agentsRevoke = defineOperation({
  name: 'agents.revoke',
  title: 'Revoke agent',
  description:
    "Revoke an agent: its credentials stop authenticating and every token it holds (including tokens exchanged on behalf of users) stops working on every server within a second. The record stays for audit. Irreversible: ask the user to confirm (the confirmation repeats the agent's name).",
  input: z.object({ id: ref }),
  output: z.object({ id: z.uuid(), name: z.string(), revoked_at: z.iso.datetime(), tokens_revoked: z.number().int() }),
  permission: 'agents:write',
  annotations: { readOnly: false, destructive: true, idempotent: true },
  irreversible: { target: async (ctx, input) => (await findAgent(ctx, input.id)).name },
  rest: { method: 'POST', path: '/agents/{id}/revoke' },
  async handler(ctx, input) {
    const agent = await findAgent(ctx, input.id);
    const now = ctx.services.clock.now();
    const revokedAt = agent.revoked_at ? new Date(agent.revoked_at) : now;
    await ctx.db.updateTable('agents').set({ revoked_at: revokedAt, updated_at: now }).where('id', '=', agent.id).execute();
    await ctx.db.updateTable('agent_credentials').set({ revoked_at: now }).where('agent_id', '=', agent.id).where('revoked_at', 'is', null).execute();
    const tokens = await revokeGrants(ctx.db, now, { agentId: agent.id });
    return { id: agent.id, name: agent.name, revoked_at: revokedAt.toISOString(), tokens_revoked: tokens };
  },
});

export const agentsDelete = defineOperation({
  name: 'agents.delete',
  title: 'Delete agent',
  description: "Delete an agent and everything issued to it (its tokens stop working at once on every server). Prefer agents.revoke to keep the record. Irreversible: ask the user to confirm (the confirmation repeats the agent's name).",
  input: z.object({ id: ref }),
  output: z.object({ id: z.uuid(), name: z.string(), deleted: z.literal(true) }),
  permission: 'agents:write',
  annotations: { readOnly: false, destructive: true, idempotent: false },
  irreversible: { target: async (ctx, input) => (await findAgent(ctx, input.id)).name },
  rest: { method: 'DELETE', path: '/agents/{id}' },
  async handler(ctx, input) {
    const agent = await findAgent(ctx, input.id);
    await revokeGrants(ctx.db, ctx.services.clock.now(), { agentId: agent.id });
    await ctx.db.deleteFrom('agents').where('id', '=', agent.id).execute();
    await publishInvalidation(ctx.db, INVALIDATION);
    return { id: agent.id, name: agent.name, deleted: true as const };
  },
});

export const agentOperations = [agentsCreate, agentsList, agentsGet, agentsUpdate, agentsRotateSecret, agentsRevoke, agentsDelete];
