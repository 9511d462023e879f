import { z } from 'zod';
import { defineOperation } from '../ops/types.ts';
import { chainOf } from './entry.ts';
import { toCsv, toJsonLines } from './export.ts';
import { auditEventView, auditFilters } from './schema.ts';
import { queryAuditEvents } from './store.ts';
import { verifyChain } from './verify.ts';

const MAX_EXPORT = 10_000;

export const auditQuery = defineOperation({
  name: 'audit.query',
  title: 'Query audit log',
  description:
    "Search the tenant's audit log (every operation call — allowed, denied, failed — and every sign-in event), oldest first. Filter by time, operation, outcome or actor; page with after_seq = the previous page's next_after_seq.",
  input: auditFilters.extend({
    limit: z.number().int().min(1).max(1000).default(100),
    after_seq: z.string().regex(/^\d+$/, 'expects a sequence number from next_after_seq').optional(),
  }),
  output: z.object({ events: z.array(auditEventView), next_after_seq: z.string().nullable() }),
  permission: 'audit:read',
  annotations: { readOnly: true, destructive: false, idempotent: true },
  rest: { method: 'GET', path: '/audit/events' },
  async handler(ctx, input) {
    const events = await queryAuditEvents(ctx.db, { tenantId: ctx.tenant.id, ...filtersOf(input), afterSeq: input.after_seq, limit: input.limit });
    return { events, next_after_seq: events.length === input.limit ? events.at(-1)!.seq : null };
  },
});

export const auditExport = defineOperation({
  name: 'audit.export',
  title: 'Export audit log',
  description: `Export the tenant's audit log as CSV or JSON Lines (up to ${MAX_EXPORT} events per call; narrow with since/until for more).`,
  input: auditFilters.extend({ format: z.enum(['csv', 'jsonl']).default('jsonl') }),
  output: z.object({ format: z.enum(['csv', 'jsonl']), count: z.number().int(), truncated: z.boolean(), content: z.string() }),
  permission: 'audit:read',
  annotations: { readOnly: true, destructive: false, idempotent: true },
  rest: { method: 'GET', path: '/audit/export' },
  async handler(ctx, input) {
    const events = await queryAuditEvents(ctx.db, { tenantId: ctx.tenant.id, ...filtersOf(input), limit: MAX_EXPORT + 1 });
    const truncated = events.length > MAX_EXPORT;
    const page = events.slice(0, MAX_EXPORT);
    return { format: input.format, count: page.length, truncated, content: input.format === 'csv' ? toCsv(page) : toJsonLines(page) };
  },
});

export const auditVerify = defineOperation({
  name: 'audit.verify',
  title: 'Verify audit log integrity',
  description: "Check the tenant's hash-chained audit log end to end: reports any record that was changed, deleted or re-ordered. ok=false means the log was tampered with.",
  input: z.object({}),
  output: z.object({
    ok: z.boolean(),
    checked: z.number().int(),
    problems: z.array(z.object({ seq: z.string(), kind: z.enum(['modified', 'missing', 'broken_link', 'head_mismatch']), detail: z.string() })),
  }),
  permission: 'audit:read',
  annotations: { readOnly: true, destructive: false, idempotent: true },
  rest: { method: 'GET', path: '/audit/verify' },
  async handler(ctx) {
    await ctx.services.audit.flush();
    const { checked, problems } = await verifyChain(ctx.db, chainOf(ctx.tenant.id));
    return { ok: problems.length === 0, checked, problems: problems.slice(0, 100) };
  },
});

function filtersOf(input: z.infer<typeof auditFilters>) {
  return { since: input.since, until: input.until, operation: input.operation, outcome: input.outcome, actorEmail: input.actor_email };
}

export const auditOperations = [auditQuery, auditExport, auditVerify];
