import type { DB } from '../db/connect.ts';
import type { Notifier } from '../db/notify.ts';
import { isBuiltinRole, BUILTIN_ROLE_PERMISSIONS } from './builtin-roles.ts';
import { isPermission, type Permission } from './permissions.ts';

/**
 * The user's current permissions in a tenant (and optionally a project), cached per process and
 * invalidated through LISTEN/NOTIFY by every change to memberships, bindings and custom roles.
 * While the invalidation listener is down the cache is bypassed: a stale cache is never used.
 */
export interface Membership {
  role: string;
  permissions: ReadonlySet<Permission>;
}

const MAX_AGE_MS = 60_000;

export class AccessResolver {
  readonly #db: DB;
  readonly #notifier: Notifier;
  #cache = new Map<string, { value: Membership | null; at: number }>();

  constructor(db: DB, notifier: Notifier) {
    this.#db = db;
    this.#notifier = notifier;
    notifier.subscribe((payload) => this.#invalidate(payload));
  }

  #invalidate(payload: string): void {
    // Payloads: `*` or `tenant:<id>` (role definitions changed) or `member:<tenant>:<user>`.
    if (payload === '*' || payload.startsWith('tenant:')) {
      const tenant = payload.slice('tenant:'.length);
      for (const key of this.#cache.keys()) if (payload === '*' || key.startsWith(tenant + ':')) this.#cache.delete(key);
      return;
    }
    if (payload.startsWith('member:')) {
      const [, tenant, user] = payload.split(':');
      for (const key of this.#cache.keys()) if (key.startsWith(`${tenant}:${user}:`)) this.#cache.delete(key);
    }
  }

  async membership(tenantId: string, userId: string, projectId?: string): Promise<Membership | null> {
    const key = `${tenantId}:${userId}:${projectId ?? ''}`;
    const now = Date.now();
    const hit = this.#cache.get(key);
    if (hit && this.#notifier.healthy && now - hit.at < MAX_AGE_MS) return hit.value;
    const value = await this.#load(tenantId, userId, projectId);
    if (this.#notifier.healthy) this.#cache.set(key, { value, at: now });
    return value;
  }

  async #load(tenantId: string, userId: string, projectId?: string): Promise<Membership | null> {
    const row = await this.#db
      .selectFrom('memberships')
      .select('role')
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (!row) return null;
    const permissions = new Set(await this.rolePermissions(tenantId, row.role));
    if (projectId) {
      const binding = await this.#db
        .selectFrom('project_role_bindings')
        .select('role')
        .where('project_id', '=', projectId)
        .where('tenant_id', '=', tenantId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (binding) for (const p of await this.rolePermissions(tenantId, binding.role)) permissions.add(p);
    }
    return { role: row.role, permissions };
  }

  /** Pass the caller's transaction when inside one (the embedded database has a single connection). */
  async rolePermissions(tenantId: string, role: string, db: DB = this.#db): Promise<Permission[]> {
    if (isBuiltinRole(role)) return [...BUILTIN_ROLE_PERMISSIONS[role].permissions];
    const custom = await db
      .selectFrom('custom_roles')
      .select('permissions')
      .where('tenant_id', '=', tenantId)
      .where('name', '=', role)
      .executeTakeFirst();
    return (custom?.permissions ?? []).filter(isPermission);
  }
}

export function intersect(rolePermissions: ReadonlySet<Permission>, scopes: ReadonlySet<Permission> | 'all'): Set<Permission> {
  if (scopes === 'all') return new Set(rolePermissions);
  return new Set([...rolePermissions].filter((p) => scopes.has(p)));
}
