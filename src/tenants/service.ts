import type { DB } from '../db/connect.ts';
import type { Tenant } from '../db/schema.ts';
import { conflict } from '../core/errors.ts';
import { tenantSlug } from './schema.ts';
import { invalid } from '../core/errors.ts';

export async function createTenant(db: DB, fields: { slug: string; name?: string }): Promise<Tenant> {
  const slug = tenantSlug.safeParse(fields.slug);
  if (!slug.success) throw invalid('INVALID_TENANT_SLUG', `tenant slug ${slug.error.issues[0]!.message}`, { field: 'tenant' });
  const existing = await db.selectFrom('tenants').select('id').where('slug', '=', slug.data).executeTakeFirst();
  if (existing) throw conflict('TENANT_EXISTS', `A tenant "${slug.data}" already exists.`, { field: 'tenant', hint: 'Pick another slug.' });
  return db.insertInto('tenants').values({ slug: slug.data, name: fields.name ?? slug.data }).returningAll().executeTakeFirstOrThrow();
}
