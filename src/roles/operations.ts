import { z } from 'zod';
import { defineOperation } from '../ops/types.ts';
import { BUILTIN_ROLES, BUILTIN_ROLE_PERMISSIONS, isBuiltinRole } from '../authz/builtin-roles.ts';
import { ALL_PERMISSIONS, PERMISSIONS, isPermission, type Permission } from '../authz/permissions.ts';
import { publishInvalidation } from '../db/connect.ts';
import { assertCanGrant } from './service.ts';
import { roleExists, roleInUse, roleNameReserved, roleNotFound, unknownPermissions } from './errors.ts';

const roleView = z.object({
  name: z.string(),
  kind: z.enum(['builtin', 'custom']),
  description: z.string(),
  permissions: z.array(z.string()),
});

export const rolesList = defineOperation({
  name: 'roles.list',
  title: 'List roles',
  description: 'List the built-in roles and this tenant\'s custom roles with their permissions, and the full permission catalogue (name and meaning of every permission). Read this before creating a custom role or a token.',
  input: z.object({}),
  output: z.object({
    roles: z.array(roleView),
    permission_catalogue: z.array(z.object({ name: z.string(), description: z.string(), security_setting: z.boolean() })),
  }),
  permission: 'roles:read',
  annotations: { readOnly: true, destructive: false, idempotent: true },
  rest: { method: 'GET', path: '/roles' },
  async handler(ctx) {
    const custom = await ctx.db.selectFrom('custom_roles').select(['name', 'description', 'permissions']).where('tenant_id', '=', ctx.tenant.id).orderBy('name').execute();
    return {
      roles: [
        ...BUILTIN_ROLES.map((name) => ({ name, kind: 'builtin' as const, description: BUILTIN_ROLE_PERMISSIONS[name].description, permissions: [...BUILTIN_ROLE_PERMISSIONS[name].permissions] })),
        ...custom.map((r) => ({ name: r.name, kind: 'custom' as const, description: r.description, permissions: r.permissions })),
      ],
      permission_catalogue: ALL_PERMISSIONS.map((p) => ({ name: p, description: PERMISSIONS[p].description, security_setting: PERMISSIONS[p].security })),
    };
  },
});

export const rolesCreateCustom = defineOperation({
  name: 'roles.create_custom',
  title: 'Create custom role',
  description: 'Create a tenant-defined role: a named set of permissions from the catalogue (see roles.list). You can only include permissions you hold yourself. Assign it with members.set_role.',
  input: z.object({
    name: z.string().regex(/^[a-z][a-z0-9_-]{1,39}$/, 'expects 2–40 lowercase letters, digits, "_" or "-", starting with a letter (e.g. "auditor")'),
    description: z.string().max(500).default(''),
    permissions: z.array(z.string()).min(1, 'expects at least one permission').describe('Permission names, e.g. ["audit:read","members:read"]'),
  }),
  output: roleView,
  permission: 'roles:write',
  annotations: { readOnly: false, destructive: false, idempotent: false },
  rest: { method: 'POST', path: '/roles' },
  async handler(ctx, input) {
    ctx.audit.target = input.name;
    if (isBuiltinRole(input.name)) throw roleNameReserved(input.name);
    const unknown = input.permissions.filter((p) => !isPermission(p));
    if (unknown.length > 0) throw unknownPermissions(unknown);
    const permissions = [...new Set(input.permissions)] as Permission[];
    assertCanGrant(ctx, permissions);
    const clash = await ctx.db.selectFrom('custom_roles').select('id').where('tenant_id', '=', ctx.tenant.id).where('name', '=', input.name).executeTakeFirst();
    if (clash) throw roleExists(input.name);
    await ctx.db.insertInto('custom_roles').values({ tenant_id: ctx.tenant.id, name: input.name, description: input.description, permissions }).execute();
    await publishInvalidation(ctx.db, `tenant:${ctx.tenant.id}`);
    return { name: input.name, kind: 'custom' as const, description: input.description, permissions };
  },
});

export const rolesDeleteCustom = defineOperation({
  name: 'roles.delete_custom',
  title: 'Delete custom role',
  description: 'Delete a custom role that no member holds. Irreversible: ask the user to confirm (the confirmation repeats the role name).',
  input: z.object({ name: z.string().min(1) }),
  output: z.object({ deleted: z.string() }),
  permission: 'roles:write',
  annotations: { readOnly: false, destructive: true, idempotent: false },
  irreversible: { target: async (_ctx, input) => input.name },
  rest: { method: 'DELETE', path: '/roles/{name}' },
  async handler(ctx, input) {
    if (isBuiltinRole(input.name)) throw roleNameReserved(input.name);
    const role = await ctx.db.selectFrom('custom_roles').select('id').where('tenant_id', '=', ctx.tenant.id).where('name', '=', input.name).forUpdate().executeTakeFirst();
    if (!role) throw roleNotFound(input.name);
    const holders = await ctx.db.selectFrom('memberships').select((eb) => eb.fn.countAll<string>().as('n')).where('tenant_id', '=', ctx.tenant.id).where('role', '=', input.name).executeTakeFirstOrThrow();
    const bindings = await ctx.db.selectFrom('project_role_bindings').select((eb) => eb.fn.countAll<string>().as('n')).where('tenant_id', '=', ctx.tenant.id).where('role', '=', input.name).executeTakeFirstOrThrow();
    const inUse = Number(holders.n) + Number(bindings.n);
    if (inUse > 0) throw roleInUse(input.name, inUse);
    await ctx.db.deleteFrom('custom_roles').where('id', '=', role.id).execute();
    await publishInvalidation(ctx.db, `tenant:${ctx.tenant.id}`);
    return { deleted: input.name };
  },
});

export const roleOperations = [rolesList, rolesCreateCustom, rolesDeleteCustom];
