import { BUILTIN_ROLE_PERMISSIONS, isBuiltinRole } from '../authz/builtin-roles.ts';
import type { Permission } from '../authz/permissions.ts';
import type { OperationContext } from '../ops/types.ts';
import { ownerOnly, privilegeEscalation, roleNotFound } from './errors.ts';

export async function permissionsOfRole(ctx: OperationContext, role: string): Promise<Permission[]> {
  if (isBuiltinRole(role)) return [...BUILTIN_ROLE_PERMISSIONS[role].permissions];
  const row = await ctx.db.selectFrom('custom_roles').select('name').where('tenant_id', '=', ctx.tenant.id).where('name', '=', role).executeTakeFirst();
  if (!row) throw roleNotFound(role);
  return ctx.services.access.rolePermissions(ctx.tenant.id, role, ctx.db);
}

/** Nobody hands out more than they hold (the escalation defence), and only owners touch ownership. */
export function assertCanGrant(ctx: OperationContext, permissions: readonly Permission[]): void {
  const missing = permissions.filter((p) => !ctx.permissions.has(p));
  if (missing.length > 0) throw privilegeEscalation(missing);
}

export async function assertCanAssignRole(ctx: OperationContext, role: string): Promise<void> {
  if (role === 'owner' && ctx.role !== 'owner') throw ownerOnly();
  assertCanGrant(ctx, await permissionsOfRole(ctx, role));
}
