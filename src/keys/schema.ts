import { z } from 'zod';

/** Views the keys operations return. Never a secret: a configured secret shows as `secret_set`. */
export const failPolicy = z
  .enum(['fallback', 'fail_closed'])
  .describe('When the customer KMS is unreachable: "fallback" wraps new data keys with the platform key (audited, re-wrapped later); "fail_closed" refuses the write');

export const healthView = z.object({
  state: z.enum(['unknown', 'ok', 'unavailable', 'denied']),
  detail: z.string().nullable(),
  checked_at: z.iso.datetime().nullable(),
});

export const keyView = z.object({
  id: z.uuid(),
  provider: z.enum(['platform', 'aws', 'azure']),
  nickname: z.string(),
  version: z.number().int(),
  state: z.enum(['active', 'scheduled', 'fallback', 'retired', 'draining', 'cancelled']).describe('draining: retired but still wraps data keys that are being re-wrapped'),
  settings: z.record(z.string(), z.unknown()).describe('Non-secret provider settings'),
  secret_set: z.boolean(),
  created_at: z.iso.datetime(),
  activates_at: z.iso.datetime().nullable(),
  activated_at: z.iso.datetime().nullable(),
  retired_at: z.iso.datetime().nullable(),
  health: healthView,
  data_keys: z.number().int().describe('Data keys this key currently wraps'),
});

export const configView = z.object({
  provider: z.enum(['platform', 'aws', 'azure']).describe('Who holds the active key-encryption key'),
  fail_policy: failPolicy,
  active_key: keyView,
  scheduled_key: keyView.nullable(),
});

export const statusView = configView.extend({
  keys: z.array(keyView),
  rotation: z.object({
    platform_version: z.number().int(),
    last_rotation_at: z.iso.datetime(),
    next_rotation_at: z.iso.datetime(),
    rotation_days: z.number().int(),
  }),
  data_keys: z.object({
    total: z.number().int(),
    fallback: z.number().int().describe('Wrapped with the platform key during a customer KMS outage; re-wrapped when it is back'),
    pending_rewrap: z.number().int().describe('Not yet wrapped by their target key (background re-wrap in progress)'),
    by_wrapping_key: z.array(z.object({ key_id: z.uuid(), nickname: z.string(), provider: z.string(), count: z.number().int() })),
  }),
  kms_health: healthView.describe('Health of the active key (platform keys are always ok)'),
});

export type KeyView = z.infer<typeof keyView>;
export type StatusView = z.infer<typeof statusView>;
