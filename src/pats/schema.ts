import { z } from 'zod';

export const patView = z.object({
  id: z.uuid(),
  name: z.string(),
  owner_email: z.string(),
  token_start: z.string().describe('The first characters of the token, to recognise it; the rest is never stored'),
  scopes: z.array(z.string()),
  created_at: z.iso.datetime(),
  expires_at: z.iso.datetime(),
  last_used_at: z.iso.datetime().nullable(),
  status: z.enum(['active', 'expired', 'revoked']),
});
