import { sql } from 'kysely';
import type { DB } from '../db/connect.ts';
import { chainOf } from './entry.ts';
import type { AuditEventView } from './schema.ts';

export interface AuditQuery {
  tenantId: string;
  since?: string | undefined;
  until?: string | undefined;
  operation?: string | undefined;
  outcome?: string | undefined;
  actorEmail?: string | undefined;
  afterSeq?: string | undefined;
  limit: number;
}

export async function queryAuditEvents(db: DB, q: AuditQuery): Promise<AuditEventView[]> {
  let query = db.selectFrom('audit_events').selectAll().where('chain', '=', chainOf(q.tenantId)).orderBy('seq', 'asc').limit(q.limit);
  if (q.since) query = query.where('occurred_at', '>=', new Date(q.since));
  if (q.until) query = query.where('occurred_at', '<', new Date(q.until));
  if (q.afterSeq) query = query.where('seq', '>', q.afterSeq as never);
  if (q.outcome) query = query.where('outcome', '=', q.outcome);
  if (q.operation) query = q.operation.endsWith('.') ? query.where('operation', 'like', `${q.operation.replace(/[%_\\]/g, '\\$&')}%`) : query.where('operation', '=', q.operation);
  if (q.actorEmail) query = query.where(sql<boolean>`actor @> ${JSON.stringify([{ email: q.actorEmail.trim().toLowerCase() }])}::jsonb`);
  const rows = await query.execute();
  return rows.map((r) => ({
    seq: String(r.seq),
    occurred_at: new Date(r.occurred_at).toISOString(),
    actor: r.actor as Record<string, unknown>[],
    operation: r.operation,
    target: r.target,
    input: r.input,
    outcome: r.outcome,
    error_code: r.error_code,
    request_id: r.request_id,
    ip: r.ip,
    user_agent: r.user_agent,
  }));
}
