import { z } from 'zod';
import { defineOperation } from '../ops/types.ts';
import { tenantView, toTenantView } from './schema.ts';

export const tenantGet = defineOperation({
  name: 'tenant.get',
  title: 'Get tenant',
  description: 'Show the current tenant (account): id, slug, name, creation time, and its projects. Use it to confirm which account a token or session is acting on.',
  input: z.object({}),
  output: tenantView.extend({ projects: z.array(z.object({ id: z.uuid(), slug: z.string(), name: z.string() })) }),
  permission: 'tenant:read',
  annotations: { readOnly: true, destructive: false, idempotent: true },
  rest: { method: 'GET', path: '/tenant' },
  async handler(ctx) {
    const projects = await ctx.db.selectFrom('projects').select(['id', 'slug', 'name']).where('tenant_id', '=', ctx.tenant.id).orderBy('slug').execute();
    ctx.audit.target = ctx.tenant.slug;
    return { ...toTenantView(ctx.tenant), projects };
  },
});

export const tenantsList = defineOperation({
  name: 'tenants.list',
  title: 'List my tenants',
  description: "List every tenant (account) the calling user belongs to, with the user's role in each. Use the slug as X-Tenant-Id; note that a token works only in its own tenant.",
  input: z.object({}),
  output: z.object({ tenants: z.array(tenantView.extend({ role: z.string(), current: z.boolean() })) }),
  permission: 'tenant:read',
  annotations: { readOnly: true, destructive: false, idempotent: true },
  rest: { method: 'GET', path: '/tenants' },
  async handler(ctx) {
    const rows = await ctx.db
      .selectFrom('memberships')
      .innerJoin('tenants', 'tenants.id', 'memberships.tenant_id')
      .select(['tenants.id', 'tenants.slug', 'tenants.name', 'tenants.created_at', 'memberships.role'])
      .where('memberships.user_id', '=', ctx.principal.userId!)
      .orderBy('tenants.slug')
      .execute();
    return { tenants: rows.map((r) => ({ ...toTenantView(r), role: r.role, current: r.id === ctx.tenant.id })) };
  },
});

export const tenantOperations = [tenantGet, tenantsList];
