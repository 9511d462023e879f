import { z } from 'zod';

export const auditFilters = z.object({
  since: z.iso.datetime({ offset: true }).optional().describe('ISO 8601 time; only events at or after it'),
  until: z.iso.datetime({ offset: true }).optional().describe('ISO 8601 time; only events before it'),
  operation: z.string().max(100).optional().describe('Exact operation name ("pats.create") or a capability prefix ending in "." ("pats.")'),
  outcome: z.enum(['success', 'denied', 'failed']).optional(),
  actor_email: z.string().max(254).optional().describe("Only events whose acting user has this email"),
});

export const auditEventView = z.object({
  seq: z.string(),
  occurred_at: z.iso.datetime(),
  actor: z.array(z.record(z.string(), z.unknown())),
  operation: z.string(),
  target: z.string().nullable(),
  input: z.unknown(),
  outcome: z.string(),
  error_code: z.string().nullable(),
  request_id: z.string().nullable(),
  ip: z.string().nullable(),
  user_agent: z.string().nullable(),
});
export type AuditEventView = z.infer<typeof auditEventView>;
