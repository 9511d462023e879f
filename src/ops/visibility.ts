import { isReadPermission, type Permission } from '../authz/permissions.ts';
import type { CallerAccess } from './caller.ts';
import { toolName, toolsetOf, type AnyOperation, type ClientOptions } from './types.ts';

export type HiddenReason = 'toolset' | 'read_only' | 'missing_permission' | 'missing_scope';

/**
 * Which operations this caller sees, and why the others are hidden. tools/list and auth.whoami
 * both use it, so what an agent is shown and what it is told always agree.
 */
export function classify(ops: readonly AnyOperation[], access: CallerAccess, client: ClientOptions) {
  const visible: AnyOperation[] = [];
  const hidden: { tool: string; reason: HiddenReason; permission: Permission | null }[] = [];
  for (const op of ops) {
    const reason = hiddenReason(op, access, client);
    if (reason) hidden.push({ tool: toolName(op), reason, permission: op.permission });
    else visible.push(op);
  }
  return { visible, hidden };
}

function hiddenReason(op: AnyOperation, access: CallerAccess, client: ClientOptions): HiddenReason | undefined {
  if (client.toolsets && !client.toolsets.includes(toolsetOf(op)) && op.name !== 'auth.whoami') return 'toolset';
  if (client.readOnly && !op.annotations.readOnly) return 'read_only';
  if (op.permission && !access.rolePermissions.has(op.permission)) return 'missing_permission';
  if (op.permission && !access.permissions.has(op.permission)) return 'missing_scope';
  return undefined;
}

/** A token that holds only read scopes puts its client in read-only mode by itself. */
export function holdsOnlyReadScopes(scopes: ReadonlySet<Permission> | 'all'): boolean {
  return scopes !== 'all' && [...scopes].every(isReadPermission);
}
