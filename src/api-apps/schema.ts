import { z } from 'zod';

/**
 * A scope of the customer's own API. Free-form vocabulary ("orders:read", "read:orders",
 * "billing.invoices.write", "https://api.example.com/orders") but one token as in RFC 6749 §3.3:
 * no spaces, quotes or backslashes, so a scope list can always be rendered space-separated.
 */
export const SCOPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:/*-]{0,99}$/;
export const scopeName = z
  .string()
  .regex(SCOPE_PATTERN, 'expects a scope such as "orders:read": 1–100 characters, letters, digits and _ . : / * -, starting with a letter or digit');

export const MAX_APP_SCOPES = 200;
export const MAX_KEY_DAYS = 3650;

export const appName = z.string().trim().min(1, 'expects a name').max(100);
export const appRef = z.string().min(1).max(100).describe('The API app: its id (from api_apps.list) or its name');

export const appView = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.string(),
  scopes: z.array(z.string()),
  created_by: z.string().nullable().describe('Email of the member who created it'),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
  active_keys: z.number().int(),
});

export const keyView = z.object({
  id: z.uuid(),
  app_id: z.uuid(),
  app_name: z.string(),
  name: z.string(),
  key_start: z.string().describe('The first characters of the key, to recognise it; the rest is never stored'),
  scopes: z.array(z.string()).describe("What the key grants now: its own scopes that the app still has"),
  created_by: z.string().nullable(),
  created_at: z.iso.datetime(),
  expires_at: z.iso.datetime().nullable().describe('Null: the key does not expire'),
  last_used_at: z.iso.datetime().nullable().describe('Last successful verification (recorded at most once a minute per server)'),
  revoked_at: z.iso.datetime().nullable(),
  status: z.enum(['active', 'expired', 'revoked']),
});

export const VERIFY_REASONS = ['malformed', 'not_found', 'revoked', 'expired', 'insufficient_scope'] as const;
export type VerifyReason = (typeof VERIFY_REASONS)[number];

export const verifyResult = z.object({
  valid: z.boolean(),
  reason: z
    .enum(VERIFY_REASONS)
    .optional()
    .describe('Why the key was refused: malformed (bad format/checksum), not_found (unknown here), revoked, expired, insufficient_scope'),
  missing_scopes: z.array(z.string()).optional().describe('With insufficient_scope: the required scopes the key lacks'),
  key_id: z.uuid().optional(),
  key_name: z.string().optional(),
  app: z.object({ id: z.uuid(), name: z.string() }).optional(),
  tenant: z.string().optional().describe('Slug of the tenant the key belongs to'),
  scopes: z.array(z.string()).optional().describe('What the key grants now'),
  expires_at: z.iso.datetime().nullable().optional(),
});
export type VerifyResult = z.input<typeof verifyResult>;

export { isoOrNull as iso } from '../core/time.ts';
