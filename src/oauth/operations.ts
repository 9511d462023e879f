import { z } from 'zod';
import { forbidden, notFound } from '../core/errors.ts';
import { defineOperation, type OperationContext } from '../ops/types.ts';
import { revokeGrants } from './grants.ts';
import { isoOrNull as iso } from '../core/time.ts';


const clientView = z.object({
  client_id: z.string(),
  name: z.string(),
  kind: z.enum(['dynamic', 'metadata_document', 'unknown']),
  redirect_uris: z.array(z.string()),
  users: z.number().int().describe('Members with a consent for this client'),
  active_grants: z.number().int(),
  last_authorized_at: z.iso.datetime().nullable(),
  status: z.enum(['active', 'revoked']),
});

export const oauthClientsList = defineOperation({
  name: 'oauth_clients.list',
  title: 'List MCP clients',
  description: 'List the OAuth clients (MCP clients such as Cursor) that members of this tenant have authorized, with how many users and live grants each has, and whether an admin revoked it here.',
  input: z.object({}),
  output: z.object({ clients: z.array(clientView) }),
  permission: 'oauth:read',
  annotations: { readOnly: true, destructive: false, idempotent: true },
  rest: { method: 'GET', path: '/oauth/clients' },
  async handler(ctx) {
    const now = ctx.services.clock.now();
    const consents = await ctx.db.selectFrom('oauth_consents').select(['client_id', 'user_id', 'updated_at', 'revoked_at']).where('tenant_id', '=', ctx.tenant.id).execute();
    const grants = await ctx.db
      .selectFrom('oauth_grants')
      .select(['client_id'])
      .where('tenant_id', '=', ctx.tenant.id)
      .where('kind', '=', 'authorization_code')
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .execute();
    const revoked = new Set((await ctx.db.selectFrom('oauth_client_revocations').select('client_id').where('tenant_id', '=', ctx.tenant.id).execute()).map((r) => r.client_id));
    const ids = [...new Set([...consents.map((c) => c.client_id), ...revoked])];
    const rows = ids.length ? await ctx.db.selectFrom('oauth_clients').selectAll().where('client_id', 'in', ids).execute() : [];
    const clients = ids.map((id) => {
      const row = rows.find((r) => r.client_id === id);
      const mine = consents.filter((c) => c.client_id === id);
      const last = mine.map((c) => new Date(c.updated_at).getTime()).sort().pop();
      return {
        client_id: id,
        name: row?.client_name ?? id,
        kind: row?.kind ?? ('unknown' as const),
        redirect_uris: row?.redirect_uris ?? [],
        users: mine.filter((c) => !c.revoked_at).length,
        active_grants: grants.filter((g) => g.client_id === id).length,
        last_authorized_at: last ? new Date(last).toISOString() : null,
        status: revoked.has(id) ? ('revoked' as const) : ('active' as const),
      };
    });
    return { clients: clients.sort((a, b) => a.name.localeCompare(b.name)) };
  },
});

async function clientName(ctx: OperationContext, clientId: string): Promise<string> {
  const known = await ctx.db.selectFrom('oauth_consents').select('client_id').where('tenant_id', '=', ctx.tenant.id).where('client_id', '=', clientId).executeTakeFirst();
  const row = await ctx.db.selectFrom('oauth_clients').select('client_name').where('client_id', '=', clientId).executeTakeFirst();
  if (!known && !row) throw notFound('OAUTH_CLIENT_NOT_FOUND', `No client ${clientId} is known here.`, 'oauth_clients.list shows client ids.');
  return row?.client_name ?? clientId;
}

export const oauthClientsRevoke = defineOperation({
  name: 'oauth_clients.revoke',
  title: 'Revoke MCP client',
  description:
    "Revoke an OAuth client in this tenant: every member's consent and token for it stop working on every server within a second, and it cannot be authorized here again. Irreversible: ask the user to confirm (the confirmation repeats the client's name).",
  input: z.object({ client_id: z.string().min(1).max(2000) }),
  output: z.object({ client_id: z.string(), name: z.string(), consents_revoked: z.number().int(), grants_revoked: z.number().int() }),
  permission: 'oauth:write',
  annotations: { readOnly: false, destructive: true, idempotent: true },
  irreversible: { target: (ctx, input) => clientName(ctx, input.client_id) },
  rest: { method: 'POST', path: '/oauth/clients/revoke' },
  async handler(ctx, input) {
    const name = await clientName(ctx, input.client_id);
    const now = ctx.services.clock.now();
    await ctx.db
      .insertInto('oauth_client_revocations')
      .values({ tenant_id: ctx.tenant.id, client_id: input.client_id, revoked_at: now })
      .onConflict((oc) => oc.columns(['tenant_id', 'client_id']).doNothing())
      .execute();
    const consents = await ctx.db
      .updateTable('oauth_consents')
      .set({ revoked_at: now })
      .where('tenant_id', '=', ctx.tenant.id)
      .where('client_id', '=', input.client_id)
      .where('revoked_at', 'is', null)
      .returning('id')
      .execute();
    const grants = await revokeGrants(ctx.db, now, { tenantClient: { tenantId: ctx.tenant.id, clientId: input.client_id } });
    return { client_id: input.client_id, name, consents_revoked: consents.length, grants_revoked: grants };
  },
});

const consentView = z.object({
  id: z.uuid(),
  client_id: z.string(),
  client_name: z.string(),
  user_email: z.string(),
  scopes: z.array(z.string()),
  redirect_uris: z.array(z.string()),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
  status: z.enum(['active', 'revoked']),
});

function requireOauthPermission(ctx: OperationContext, permission: 'oauth:read' | 'oauth:write') {
  if (!ctx.permissions.has(permission))
    throw forbidden('PERMISSION_DENIED', `Acting on other members' consents needs the ${permission} permission.`, { hint: 'Only owners and admins hold it by default.' });
}

export const consentsList = defineOperation({
  name: 'consents.list',
  title: 'List OAuth consents',
  description: "List the MCP clients you have consented to in this tenant (scopes, redirect URIs). With all_users, every member's consents (needs oauth:read).",
  input: z.object({ all_users: z.boolean().default(false), include_revoked: z.boolean().default(false) }),
  output: z.object({ consents: z.array(consentView) }),
  permission: null,
  annotations: { readOnly: true, destructive: false, idempotent: true },
  rest: { method: 'GET', path: '/oauth/consents' },
  async handler(ctx, input) {
    if (input.all_users) requireOauthPermission(ctx, 'oauth:read');
    let q = ctx.db
      .selectFrom('oauth_consents as c')
      .innerJoin('users as u', 'u.id', 'c.user_id')
      .leftJoin('oauth_clients as k', 'k.client_id', 'c.client_id')
      .select(['c.id', 'c.client_id', 'k.client_name', 'u.email', 'c.scopes', 'c.redirect_uris', 'c.created_at', 'c.updated_at', 'c.revoked_at'])
      .where('c.tenant_id', '=', ctx.tenant.id)
      .orderBy('c.updated_at', 'desc');
    if (!input.all_users) q = q.where('c.user_id', '=', ctx.principal.userId!);
    if (!input.include_revoked) q = q.where('c.revoked_at', 'is', null);
    const rows = await q.execute();
    return {
      consents: rows.map((r) => ({
        id: r.id,
        client_id: r.client_id,
        client_name: r.client_name ?? r.client_id,
        user_email: r.email,
        scopes: r.scopes,
        redirect_uris: r.redirect_uris,
        created_at: iso(r.created_at)!,
        updated_at: iso(r.updated_at)!,
        status: r.revoked_at ? ('revoked' as const) : ('active' as const),
      })),
    };
  },
});

async function findConsent(ctx: OperationContext, id: string) {
  const row = await ctx.db
    .selectFrom('oauth_consents as c')
    .leftJoin('oauth_clients as k', 'k.client_id', 'c.client_id')
    .select(['c.id', 'c.user_id', 'c.client_id', 'k.client_name', 'c.revoked_at'])
    .where('c.tenant_id', '=', ctx.tenant.id)
    .where('c.id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound('CONSENT_NOT_FOUND', `No consent ${id} in this tenant.`, 'consents.list shows consent ids.');
  if (row.user_id !== ctx.principal.userId) requireOauthPermission(ctx, 'oauth:write');
  return row;
}

export const consentsRevoke = defineOperation({
  name: 'consents.revoke',
  title: 'Revoke OAuth consent',
  description:
    "Withdraw a consent given to an MCP client: its tokens and refresh tokens stop working on every server within a second, and the client must ask again. Your own consents, or anyone's with oauth:write. Irreversible: ask the user to confirm (the confirmation repeats the client's name).",
  input: z.object({ id: z.uuid('expects a consent id from consents.list') }),
  output: z.object({ id: z.uuid(), client_id: z.string(), grants_revoked: z.number().int(), revoked_at: z.iso.datetime() }),
  permission: null,
  annotations: { readOnly: false, destructive: true, idempotent: true },
  irreversible: { target: async (ctx, input) => {
    const c = await findConsent(ctx, input.id);
    return c.client_name ?? c.client_id;
  } },
  rest: { method: 'DELETE', path: '/oauth/consents/{id}' },
  async handler(ctx, input) {
    const consent = await findConsent(ctx, input.id);
    const now = ctx.services.clock.now();
    const revokedAt = consent.revoked_at ? new Date(consent.revoked_at) : now;
    if (!consent.revoked_at) await ctx.db.updateTable('oauth_consents').set({ revoked_at: now }).where('id', '=', consent.id).execute();
    const grants = await revokeGrants(ctx.db, now, { consentId: consent.id });
    return { id: consent.id, client_id: consent.client_id, grants_revoked: grants, revoked_at: revokedAt.toISOString() };
  },
});

export const oauthOperations = [oauthClientsList, oauthClientsRevoke, consentsList, consentsRevoke];
