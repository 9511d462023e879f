import { z } from 'zod';
import { defineOperation } from '../ops/types.ts';
import { classify } from '../ops/visibility.ts';

export const authWhoami = defineOperation({
  name: 'auth.whoami',
  title: 'Who am I',
  description:
    'Describe the caller: user, credential (kind, id, scopes), tenant, current role, effective permissions (role ∩ token scopes), client mode (read-only, toolsets), and which tools are hidden and why. Call this first when a tool seems missing or a call is denied.',
  input: z.object({}),
  output: z.object({
    user: z.object({ id: z.string(), email: z.string().nullable() }),
    credential: z.object({ kind: z.string(), id: z.string().nullable(), scopes: z.union([z.literal('all'), z.array(z.string())]) }),
    actor_chain: z.array(z.record(z.string(), z.unknown())),
    tenant: z.object({ id: z.string(), slug: z.string(), name: z.string() }),
    project_id: z.string().nullable(),
    role: z.string(),
    permissions: z.array(z.string()),
    client: z.object({ transport: z.string(), read_only: z.boolean(), toolsets: z.array(z.string()).nullable() }),
    tools: z.object({
      available: z.array(z.string()),
      hidden: z.array(z.object({ tool: z.string(), reason: z.enum(['toolset', 'read_only', 'missing_permission', 'missing_scope']), permission: z.string().nullable() })),
    }),
  }),
  permission: null,
  annotations: { readOnly: true, destructive: false, idempotent: true },
  rest: { method: 'GET', path: '/auth/whoami' },
  async handler(ctx) {
    const { OPERATIONS } = await import('../ops/registry.ts');
    const access = { tenant: ctx.tenant, projectId: ctx.projectId, role: ctx.role, rolePermissions: await ctx.services.access.membership(ctx.tenant.id, ctx.principal.userId!, ctx.projectId).then((m) => m?.permissions ?? new Set()), permissions: ctx.permissions };
    const { visible, hidden } = classify(OPERATIONS, access as never, ctx.client);
    const scopes = ctx.principal.scopes;
    return {
      user: { id: ctx.principal.userId!, email: ctx.principal.email ?? null },
      credential: { kind: ctx.principal.credential, id: ctx.principal.credentialId ?? null, scopes: scopes === 'all' ? ('all' as const) : [...scopes].sort() },
      actor_chain: ctx.principal.actorChain.map((a) => ({ ...a })),
      tenant: { id: ctx.tenant.id, slug: ctx.tenant.slug, name: ctx.tenant.name },
      project_id: ctx.projectId ?? null,
      role: ctx.role,
      permissions: [...ctx.permissions].sort(),
      client: { transport: ctx.client.transport, read_only: ctx.client.readOnly, toolsets: ctx.client.toolsets ? [...ctx.client.toolsets] : null },
      tools: { available: visible.map((op) => op.name.replaceAll('.', '_')), hidden },
    };
  },
});

export const authOperations = [authWhoami];
