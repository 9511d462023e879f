import { z } from 'zod';
import { defineOperation, type OperationContext } from '../ops/types.ts';
import { publishInvalidation } from '../db/connect.ts';
import { appRef, iso, keyView, MAX_KEY_DAYS, scopeName } from './schema.ts';
import { effectiveScopes, findApp, findKey, insertKey, listKeys } from './store.ts';
import { appNotFound, keyNotFound, scopesNotInApp } from './errors.ts';
import { keyChanged } from './verifier.ts';

export const apiKeysCreate = defineOperation({
  name: 'api_keys.create',
  title: 'Create API key',
  description:
    'Issue a key for a caller of one of your API apps. The key is returned once — hand it to the user and do not repeat it; Warden keeps only a keyed hash. Keys are immutable: scopes (default: all of the app’s scopes, else a subset) and expiry are fixed now; to change them issue a new key and revoke the old one. No expiry unless expires_in_days is given.',
  input: z.object({
    app: appRef,
    name: z.string().trim().min(1, 'expects a name').max(100).describe('Who or what uses the key, e.g. "acme-prod-backend"'),
    scopes: z.array(scopeName).optional().describe("A subset of the app's scopes; leave out for all of them"),
    expires_in_days: z.number().int().min(1).max(MAX_KEY_DAYS, `expects at most ${MAX_KEY_DAYS} days`).optional().describe('Leave out for a key that does not expire'),
  }),
  output: z.object({
    id: z.uuid(),
    app_id: z.uuid(),
    app_name: z.string(),
    name: z.string(),
    key: z.string().describe('The secret. Shown once; Warden stores only a keyed hash.'),
    key_start: z.string(),
    scopes: z.array(z.string()),
    expires_at: z.iso.datetime().nullable(),
  }),
  permission: 'api_apps:write',
  annotations: { readOnly: false, destructive: false, idempotent: false },
  rest: { method: 'POST', path: '/api-apps/{app}/keys' },
  async handler(ctx, input) {
    const app = await findApp(ctx.db, ctx.tenant.id, input.app);
    if (!app) throw appNotFound(input.app);
    ctx.audit.target = `${app.name}/${input.name}`;
    const scopes = input.scopes ? [...new Set(input.scopes)] : app.scopes;
    const outside = scopes.filter((s) => !app.scopes.includes(s));
    if (outside.length > 0) throw scopesNotInApp(app.name, outside);
    const expiresAt = input.expires_in_days ? new Date(ctx.services.clock.now().getTime() + input.expires_in_days * 86_400_000) : null;
    const key = await insertKey(ctx.db, ctx.services.tokens, { tenantId: ctx.tenant.id, appId: app.id, name: input.name, scopes, expiresAt, createdBy: ctx.principal.userId ?? null });
    return { id: key.id, app_id: app.id, app_name: app.name, name: input.name, key: key.key, key_start: key.start, scopes, expires_at: iso(expiresAt) };
  },
});

export const apiKeysList = defineOperation({
  name: 'api_keys.list',
  title: 'List API keys',
  description:
    "List API keys (never their secrets): of one app, or of every app in the tenant. Shows each key's start, current scopes, expiry, last use and status. Revoked and expired keys only with include_inactive.",
  input: z.object({
    app: appRef.optional().describe('Only keys of this app (id or name)'),
    include_inactive: z.boolean().default(false).describe('Also list expired and revoked keys'),
  }),
  output: z.object({ keys: z.array(keyView) }),
  permission: 'api_apps:read',
  annotations: { readOnly: true, destructive: false, idempotent: true },
  rest: { method: 'GET', path: '/api-keys' },
  async handler(ctx, input) {
    let appId: string | undefined;
    if (input.app) {
      const app = await findApp(ctx.db, ctx.tenant.id, input.app);
      if (!app) throw appNotFound(input.app);
      appId = app.id;
      ctx.audit.target = app.name;
    }
    const now = ctx.services.clock.now();
    const keys = (await listKeys(ctx.db, ctx.tenant.id, appId)).map((r) => ({
      id: r.id,
      app_id: r.app_id,
      app_name: r.app_name,
      name: r.name,
      key_start: r.key_start,
      scopes: effectiveScopes(r.scopes, r.app_scopes),
      created_by: r.created_by,
      created_at: iso(r.created_at)!,
      expires_at: iso(r.expires_at),
      last_used_at: iso(r.last_used_at),
      revoked_at: iso(r.revoked_at),
      status: r.revoked_at ? ('revoked' as const) : r.expires_at && new Date(r.expires_at) <= now ? ('expired' as const) : ('active' as const),
    }));
    return { keys: input.include_inactive ? keys : keys.filter((k) => k.status === 'active') };
  },
});

async function requireKey(ctx: OperationContext, id: string) {
  const key = await findKey(ctx.db, ctx.tenant.id, id);
  if (!key) throw keyNotFound(id);
  return key;
}

export const apiKeysRevoke = defineOperation({
  name: 'api_keys.revoke',
  title: 'Revoke API key',
  description:
    "Revoke an API key by id; api_keys.verify refuses it on every server within a second. Irreversible: ask the user to confirm (the confirmation repeats the key's name). Revoking a revoked key changes nothing.",
  input: z.object({ id: z.string().describe('A key id from api_keys.list') }),
  output: z.object({ id: z.uuid(), name: z.string(), app_name: z.string(), revoked_at: z.iso.datetime() }),
  permission: 'api_apps:write',
  annotations: { readOnly: false, destructive: true, idempotent: true },
  irreversible: { target: async (ctx, input) => (await requireKey(ctx, input.id)).name },
  rest: { method: 'DELETE', path: '/api-keys/{id}' },
  async handler(ctx, input) {
    const key = await requireKey(ctx, input.id);
    ctx.audit.target = `${key.app_name}/${key.name}`;
    const revokedAt = key.revoked_at ? new Date(key.revoked_at) : ctx.services.clock.now();
    if (!key.revoked_at) {
      await ctx.db.updateTable('api_keys').set({ revoked_at: revokedAt, revoked_by: ctx.principal.userId ?? null }).where('id', '=', key.id).execute();
    }
    await publishInvalidation(ctx.db, keyChanged(key.id));
    return { id: key.id, name: key.name, app_name: key.app_name, revoked_at: revokedAt.toISOString() };
  },
});

export const keyOperations = [apiKeysCreate, apiKeysList, apiKeysRevoke];
