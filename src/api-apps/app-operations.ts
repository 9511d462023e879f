import { z } from 'zod';
import { defineOperation, type OperationContext } from '../ops/types.ts';
import { publishInvalidation } from '../db/connect.ts';
import { appName, appRef, appView, MAX_APP_SCOPES, scopeName } from './schema.ts';
import { activeKeyCounts, appOut, findApp, listApps, nameTaken } from './store.ts';
import { appNameTaken, appNotFound, nothingToUpdate } from './errors.ts';
import { appChanged } from './verifier.ts';

const scopeList = z
  .array(scopeName)
  .max(MAX_APP_SCOPES, `expects at most ${MAX_APP_SCOPES} scopes`)
  .transform((s) => [...new Set(s)]);

async function requireApp(ctx: OperationContext, ref: string) {
  const app = await findApp(ctx.db, ctx.tenant.id, ref);
  if (!app) throw appNotFound(ref);
  return app;
}

export const apiAppsCreate = defineOperation({
  name: 'api_apps.create',
  title: 'Create API app',
  description:
    'Register one of your own APIs as an API app, with the scopes it understands (your own vocabulary, e.g. ["orders:read","orders:write"]). Then issue keys for its callers with api_keys.create, and let your API check presented keys with api_keys.verify.',
  input: z.object({
    name: appName.describe('Unique in the tenant, e.g. "orders-api"'),
    description: z.string().max(1000).default(''),
    scopes: scopeList.describe('Scopes your API checks, e.g. ["orders:read","orders:write"]; may be empty and grown later'),
  }),
  output: appView,
  permission: 'api_apps:write',
  annotations: { readOnly: false, destructive: false, idempotent: false },
  rest: { method: 'POST', path: '/api-apps' },
  async handler(ctx, input) {
    ctx.audit.target = input.name;
    if (await nameTaken(ctx.db, ctx.tenant.id, input.name)) throw appNameTaken(input.name);
    const row = await ctx.db
      .insertInto('api_apps')
      .values({ tenant_id: ctx.tenant.id, name: input.name, description: input.description, scopes: input.scopes, created_by: ctx.principal.userId ?? null })
      .returning('id')
      .executeTakeFirstOrThrow();
    return appOut((await findApp(ctx.db, ctx.tenant.id, row.id))!, 0);
  },
});

export const apiAppsList = defineOperation({
  name: 'api_apps.list',
  title: 'List API apps',
  description: 'List the API apps of the current tenant with their scopes and how many active keys each has.',
  input: z.object({}),
  output: z.object({ apps: z.array(appView) }),
  permission: 'api_apps:read',
  annotations: { readOnly: true, destructive: false, idempotent: true },
  rest: { method: 'GET', path: '/api-apps' },
  async handler(ctx) {
    const [apps, counts] = await Promise.all([listApps(ctx.db, ctx.tenant.id), activeKeyCounts(ctx.db, ctx.tenant.id, ctx.services.clock.now())]);
    return { apps: apps.map((a) => appOut(a, counts.get(a.id) ?? 0)) };
  },
});

export const apiAppsGet = defineOperation({
  name: 'api_apps.get',
  title: 'Get API app',
  description: 'Read one API app (by id or name): its description, scopes and number of active keys. api_keys.list shows its keys.',
  input: z.object({ app: appRef }),
  output: appView,
  permission: 'api_apps:read',
  annotations: { readOnly: true, destructive: false, idempotent: true },
  rest: { method: 'GET', path: '/api-apps/{app}' },
  async handler(ctx, input) {
    const app = await requireApp(ctx, input.app);
    ctx.audit.target = app.name;
    const counts = await activeKeyCounts(ctx.db, ctx.tenant.id, ctx.services.clock.now(), app.id);
    return appOut(app, counts.get(app.id) ?? 0);
  },
});

export const apiAppsUpdate = defineOperation({
  name: 'api_apps.update',
  title: 'Update API app',
  description:
    "Rename an API app, change its description, or replace its scope list. Removing a scope takes it away from every existing key of the app on every server within a second; adding a scope gives it to no existing key (keys are immutable: issue a new key to use it).",
  input: z.object({
    app: appRef,
    name: appName.optional(),
    description: z.string().max(1000).optional(),
    scopes: scopeList.optional().describe('The complete new scope list (replaces the old one)'),
  }),
  output: appView.extend({
    removed_scopes: z.array(z.string()).describe('Scopes taken away from the app and so from its keys'),
    narrowed_keys: z.number().int().describe('Active keys that lost at least one scope'),
  }),
  permission: 'api_apps:write',
  annotations: { readOnly: false, destructive: false, idempotent: true },
  rest: { method: 'PATCH', path: '/api-apps/{app}' },
  async handler(ctx, input) {
    if (input.name === undefined && input.description === undefined && input.scopes === undefined) throw nothingToUpdate();
    const app = await requireApp(ctx, input.app);
    ctx.audit.target = app.name;
    if (input.name !== undefined && input.name.toLowerCase() !== app.name.toLowerCase() && (await nameTaken(ctx.db, ctx.tenant.id, input.name, app.id)))
      throw appNameTaken(input.name);
    const removed = input.scopes ? app.scopes.filter((s) => !input.scopes!.includes(s)) : [];
    let narrowed = 0;
    if (removed.length > 0) {
      const now = ctx.services.clock.now();
      const affected = await ctx.db
        .selectFrom('api_keys')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('app_id', '=', app.id)
        .where('revoked_at', 'is', null)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
        .where((eb) => eb.or(removed.map((s) => eb(eb.val(s), '=', eb.fn.any('scopes')))))
        .executeTakeFirstOrThrow();
      narrowed = Number(affected.n);
    }
    await ctx.db
      .updateTable('api_apps')
      .set({
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.scopes !== undefined ? { scopes: input.scopes } : {}),
        updated_at: ctx.services.clock.now(),
      })
      .where('id', '=', app.id)
      .execute();
    // Verify answers carry the app's name and scopes: every server drops what it cached.
    await publishInvalidation(ctx.db, appChanged(app.id));
    const updated = (await findApp(ctx.db, ctx.tenant.id, app.id))!;
    const counts = await activeKeyCounts(ctx.db, ctx.tenant.id, ctx.services.clock.now(), app.id);
    return { ...appOut(updated, counts.get(app.id) ?? 0), removed_scopes: removed, narrowed_keys: narrowed };
  },
});

export const apiAppsDelete = defineOperation({
  name: 'api_apps.delete',
  title: 'Delete API app',
  description:
    "Delete an API app and every key it has; the keys stop verifying on every server within a second. Irreversible: ask the user to confirm (the confirmation repeats the app's name). To stop one caller, revoke its key instead (api_keys.revoke).",
  input: z.object({ app: appRef }),
  output: z.object({ id: z.uuid(), name: z.string(), deleted_keys: z.number().int() }),
  permission: 'api_apps:write',
  annotations: { readOnly: false, destructive: true, idempotent: false },
  irreversible: { target: async (ctx, input) => (await requireApp(ctx, input.app)).name },
  rest: { method: 'DELETE', path: '/api-apps/{app}' },
  async handler(ctx, input) {
    const app = await requireApp(ctx, input.app);
    ctx.audit.target = app.name;
    const keys = await ctx.db.deleteFrom('api_keys').where('app_id', '=', app.id).where('tenant_id', '=', ctx.tenant.id).executeTakeFirst();
    await ctx.db.deleteFrom('api_apps').where('id', '=', app.id).where('tenant_id', '=', ctx.tenant.id).execute();
    await publishInvalidation(ctx.db, appChanged(app.id));
    return { id: app.id, name: app.name, deleted_keys: Number(keys.numDeletedRows) };
  },
});

export const appOperations = [apiAppsCreate, apiAppsList, apiAppsGet, apiAppsUpdate, apiAppsDelete];
