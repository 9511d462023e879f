import type { TestWarden } from './warden.ts';
import { api } from './http.ts';
import { createPatForMember } from '../../src/pats/cli.ts';

/** Adds a member through the real members.invite operation and gives them a PAT. */
export async function addMember(w: TestWarden, ownerPat: string, tenant: string, email: string, role: string, scopes?: string[]) {
  const res = await api(w.url, ownerPat, { 'x-tenant-id': tenant }).post('/members', { email, role });
  if (res.status !== 201) throw new Error(`invite failed: ${JSON.stringify(res.body)}`);
  const membership = await w.services.access.membership((await w.services.tenants.bySlug(tenant))!.id, res.body.member.user_id);
  const pat = await createPatForMember(w.services, { tenant, email, scopes: scopes ?? [...membership!.permissions], name: `${email}-pat`, days: 30 });
  return { userId: res.body.member.user_id as string, pat: pat.token };
}
