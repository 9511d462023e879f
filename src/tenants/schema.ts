import { z } from 'zod';

export const tenantSlug = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/, 'expects 1–40 lowercase letters, digits or hyphens, not starting or ending with a hyphen (e.g. "acme")');

export const tenantView = z.object({
  id: z.uuid(),
  slug: z.string(),
  name: z.string(),
  created_at: z.iso.datetime(),
});

export const toTenantView = (t: { id: string; slug: string; name: string; created_at: Date }) => ({
  id: t.id,
  slug: t.slug,
  name: t.name,
  created_at: new Date(t.created_at).toISOString(),
});
