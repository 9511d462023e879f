import type { DB } from '../db/connect.ts';
import type { Notifier } from '../db/notify.ts';
import type { Tenant } from '../db/schema.ts';

/** Tenant lookup by slug or id on every request, cached and invalidated like roles. */
export class TenantDirectory {
  readonly #db: DB;
  readonly #notifier: Notifier;
  #bySlug = new Map<string, Tenant>();

  constructor(db: DB, notifier: Notifier) {
    this.#db = db;
    this.#notifier = notifier;
    notifier.subscribe((payload) => {
      if (payload === '*' || payload.startsWith('tenant-row:')) this.#bySlug.clear();
    });
  }

  async bySlug(slug: string): Promise<Tenant | undefined> {
    const hit = this.#bySlug.get(slug);
    if (hit && this.#notifier.healthy) return hit;
    const row = await this.#db.selectFrom('tenants').selectAll().where('slug', '=', slug).executeTakeFirst();
    if (row && this.#notifier.healthy) this.#bySlug.set(slug, row);
    return row;
  }

  async byId(id: string): Promise<Tenant | undefined> {
    for (const t of this.#bySlug.values()) if (t.id === id && this.#notifier.healthy) return t;
    const row = await this.#db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
    if (row && this.#notifier.healthy) this.#bySlug.set(row.slug, row);
    return row;
  }
}
