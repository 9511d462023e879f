import type { Services } from '../app/services.ts';
import { intersect } from '../authz/access.ts';
import type { Permission } from '../authz/permissions.ts';
import type { Principal } from '../authz/principal.ts';
import type { Tenant } from '../db/schema.ts';
import { notAMember, projectNotFound, tenantMismatch, tenantNotFound, tenantRequired } from './errors.ts';

/** The caller as seen in one tenant: what the transports need for tools/list and every call. */
export interface CallerAccess {
  tenant: Tenant;
  projectId: string | undefined;
  role: string;
  /** The user's current role permissions (before the credential's scopes). */
  rolePermissions: ReadonlySet<Permission>;
  /** Effective: role ∩ scopes. */
  permissions: ReadonlySet<Permission>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function resolveCallerAccess(
  services: Services,
  principal: Principal,
  tenantRef: string | undefined,
  projectRef: string | undefined,
): Promise<CallerAccess> {
  const tenant = await resolveTenant(services, principal, tenantRef);
  if (!principal.userId) throw notAMember();
  const projectId = projectRef ? await resolveProject(services, tenant.id, projectRef) : undefined;
  const membership = await services.access.membership(tenant.id, principal.userId, projectId);
  if (!membership) throw tenantNotFound(tenant.slug);
  return {
    tenant,
    projectId,
    role: membership.role,
    rolePermissions: membership.permissions,
    permissions: intersect(membership.permissions, principal.scopes),
  };
}

async function resolveTenant(services: Services, principal: Principal, tenantRef: string | undefined): Promise<Tenant> {
  if (!tenantRef) {
    if (!principal.tenantId) throw tenantRequired();
    const own = await services.tenants.byId(principal.tenantId);
    if (!own) throw tenantNotFound(principal.tenantId);
    return own;
  }
  const tenant = await services.tenants.bySlug(tenantRef);
  if (!tenant) throw tenantNotFound(tenantRef);
  if (principal.tenantId && principal.tenantId !== tenant.id) throw tenantMismatch();
  return tenant;
}

async function resolveProject(services: Services, tenantId: string, ref: string): Promise<string> {
  let query = services.db.selectFrom('projects').select('id').where('tenant_id', '=', tenantId);
  query = UUID.test(ref) ? query.where('id', '=', ref) : query.where('slug', '=', ref);
  const row = await query.executeTakeFirst();
  if (!row) throw projectNotFound(ref);
  return row.id;
}
