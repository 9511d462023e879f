import { z } from 'zod';

export const email = z.email('expects an email address such as "ana@example.com"').max(254).describe('Email address');
export const roleName = z.string().min(1).max(64).describe('Built-in role (owner, admin, developer, analyst, member) or a custom role name');

export const memberView = z.object({
  user_id: z.uuid(),
  email: z.string(),
  name: z.string().nullable(),
  role: z.string(),
  joined_at: z.iso.datetime(),
  has_password: z.boolean(),
});
