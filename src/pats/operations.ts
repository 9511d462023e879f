import { z } from 'zod';
import { defineOperation, type OperationContext } from '../ops/types.ts';
import { forbidden, invalid, notFound } from '../core/errors.ts';
import { isPermission, type Permission } from '../authz/permissions.ts';
import { publishInvalidation } from '../db/connect.ts';
import { DEFAULT_PAT_DAYS, MAX_PAT_DAYS, insertPat } from './service.ts';
import { patView } from './schema.ts';
import { isoOrNull as iso } from '../core/time.ts';


export const patsCreate = defineOperation({
  name: 'pats.create',
  title: 'Create personal access token',
  description:
    'Create a personal access token for yourself in the current tenant. Scopes must be permissions you currently hold (see auth.whoami); at every call the token can do only what is in both its scopes and your current role. The secret is returned once — hand it to the user and do not repeat it. Expiry defaults to 30 days, at most 365.',
  input: z.object({
    name: z.string().min(1).max(100).describe('What the token is for, e.g. "ci-deploy"'),
    scopes: z.array(z.string()).min(1, 'expects at least one scope').describe('Permission names, e.g. ["tenant:read","audit:read"]'),
    expires_in_days: z.number().int().min(1).max(MAX_PAT_DAYS, `expects at most ${MAX_PAT_DAYS} days`).default(DEFAULT_PAT_DAYS),
  }),
  output: z.object({
    id: z.uuid(),
    name: z.string(),
    token: z.string().describe('The secret. Shown once; Warden stores only a keyed hash.'),
    token_start: z.string(),
    scopes: z.array(z.string()),
    expires_at: z.iso.datetime(),
  }),
  permission: 'pats:write',
  annotations: { readOnly: false, destructive: false, idempotent: false },
  rest: { method: 'POST', path: '/pats' },
  async handler(ctx, input) {
    ctx.audit.target = input.name;
    const unknown = input.scopes.filter((s) => !isPermission(s));
    if (unknown.length > 0) throw invalid('UNKNOWN_SCOPE', `Unknown scope(s): ${unknown.join(', ')}.`, { field: 'scopes', hint: 'roles.list shows the permission catalogue.' });
    const scopes = [...new Set(input.scopes)] as Permission[];
    const notHeld = scopes.filter((s) => !ctx.permissions.has(s));
    if (notHeld.length > 0)
      throw forbidden('SCOPE_NOT_HELD', `You cannot give a token scopes you do not hold: ${notHeld.join(', ')}.`, { field: 'scopes', hint: 'auth.whoami lists your permissions.' });
    const expiresAt = new Date(ctx.services.clock.now().getTime() + input.expires_in_days * 86_400_000);
    const pat = await insertPat(ctx.db, ctx.services.tokens, { tenantId: ctx.tenant.id, userId: ctx.principal.userId!, name: input.name, scopes, expiresAt });
    return { id: pat.id, name: input.name, token: pat.token, token_start: pat.start, scopes, expires_at: expiresAt.toISOString() };
  },
});

export const patsList = defineOperation({
  name: 'pats.list',
  title: 'List personal access tokens',
  description: "List your personal access tokens in the current tenant (never their secrets). With all_users, list every member's tokens (needs pats:admin).",
  input: z.object({ all_users: z.boolean().default(false), include_inactive: z.boolean().default(false).describe('Also list expired and revoked tokens') }),
  output: z.object({ tokens: z.array(patView) }),
  permission: 'pats:read',
  annotations: { readOnly: true, destructive: false, idempotent: true },
  rest: { method: 'GET', path: '/pats' },
  async handler(ctx, input) {
    if (input.all_users) requireAdmin(ctx);
    let query = ctx.db
      .selectFrom('pats')
      .innerJoin('users', 'users.id', 'pats.user_id')
      .select(['pats.id', 'pats.name', 'users.email', 'pats.token_start', 'pats.scopes', 'pats.created_at', 'pats.expires_at', 'pats.last_used_at', 'pats.revoked_at'])
      .where('pats.tenant_id', '=', ctx.tenant.id)
      .orderBy('pats.created_at', 'desc');
    if (!input.all_users) query = query.where('pats.user_id', '=', ctx.principal.userId!);
    const now = ctx.services.clock.now();
    const tokens = (await query.execute()).map((r) => ({
      id: r.id,
      name: r.name,
      owner_email: r.email,
      token_start: r.token_start,
      scopes: r.scopes,
      created_at: iso(r.created_at)!,
      expires_at: iso(r.expires_at)!,
      last_used_at: iso(r.last_used_at),
      status: r.revoked_at ? ('revoked' as const) : new Date(r.expires_at) <= now ? ('expired' as const) : ('active' as const),
    }));
    return { tokens: input.include_inactive ? tokens : tokens.filter((t) => t.status === 'active') };
  },
});

function requireAdmin(ctx: OperationContext) {
  if (!ctx.permissions.has('pats:admin'))
    throw forbidden('PERMISSION_DENIED', "Acting on other members' tokens needs the pats:admin permission.", { hint: 'Only owners and admins hold it by default.' });
}

async function findPat(ctx: OperationContext, id: string) {
  const pat = await ctx.db.selectFrom('pats').select(['id', 'name', 'user_id', 'revoked_at']).where('tenant_id', '=', ctx.tenant.id).where('id', '=', id).executeTakeFirst();
  if (!pat) throw notFound('PAT_NOT_FOUND', `No token ${id} in this tenant.`, 'pats.list shows token ids.');
  if (pat.user_id !== ctx.principal.userId) requireAdmin(ctx);
  return pat;
}

export const patsRevoke = defineOperation({
  name: 'pats.revoke',
  title: 'Revoke personal access token',
  description: "Revoke a personal access token by id; it stops working on every server within a second. Your own tokens, or anyone's with pats:admin. Irreversible: ask the user to confirm (the confirmation repeats the token's name).",
  input: z.object({ id: z.uuid('expects a token id from pats.list') }),
  output: z.object({ id: z.uuid(), name: z.string(), revoked_at: z.iso.datetime() }),
  permission: 'pats:write',
  annotations: { readOnly: false, destructive: true, idempotent: true },
  irreversible: { target: async (ctx, input) => (await findPat(ctx, input.id)).name },
  rest: { method: 'DELETE', path: '/pats/{id}' },
  async handler(ctx, input) {
    const pat = await findPat(ctx, input.id);
    const revokedAt = pat.revoked_at ? new Date(pat.revoked_at) : ctx.services.clock.now();
    if (!pat.revoked_at) await ctx.db.updateTable('pats').set({ revoked_at: revokedAt }).where('id', '=', pat.id).execute();
    await publishInvalidation(ctx.db, `pat:${pat.id}`);
    return { id: pat.id, name: pat.name, revoked_at: revokedAt.toISOString() };
  },
});

export const patOperations = [patsCreate, patsList, patsRevoke];
