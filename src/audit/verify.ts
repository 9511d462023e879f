import type { DB } from '../db/connect.ts';
import { chainHash, GENESIS_HASH } from './chain.ts';

export interface ChainProblem {
  seq: string;
  kind: 'modified' | 'missing' | 'broken_link' | 'head_mismatch';
  detail: string;
}

const PAGE = 2000;

/**
 * Walks one chain from its first record: recomputes every hash, checks every link and that the
 * sequence has no gap, then compares the end with the chain head. A changed row fails its hash;
 * a deleted row leaves a gap; a re-ordered row breaks the links around it.
 */
export async function verifyChain(db: DB, chain: string): Promise<{ checked: number; problems: ChainProblem[] }> {
  const problems: ChainProblem[] = [];
  let expectedSeq = 1n;
  let prevHash = GENESIS_HASH;
  let checked = 0;
  for (;;) {
    const rows = await db.selectFrom('audit_events').selectAll().where('chain', '=', chain).where('seq', '>=', expectedSeq.toString() as never).orderBy('seq').limit(PAGE).execute();
    for (const row of rows) {
      const seq = BigInt(row.seq);
      if (seq !== expectedSeq) problems.push({ seq: expectedSeq.toString(), kind: 'missing', detail: `records ${expectedSeq}..${seq - 1n} are missing` });
      if (!Buffer.from(row.prev_hash).equals(prevHash)) problems.push({ seq: seq.toString(), kind: 'broken_link', detail: 'does not link to the record before it (deleted or re-ordered rows)' });
      const recomputed = chainHash(Buffer.from(row.prev_hash), {
        chain: row.chain,
        seq: seq.toString(),
        tenant_id: row.tenant_id,
        occurred_at: new Date(row.occurred_at).toISOString(),
        actor: row.actor,
        operation: row.operation,
        target: row.target,
        input: row.input,
        outcome: row.outcome,
        error_code: row.error_code,
        request_id: row.request_id,
        ip: row.ip,
        user_agent: row.user_agent,
      });
      if (!recomputed.equals(Buffer.from(row.hash))) problems.push({ seq: seq.toString(), kind: 'modified', detail: 'content does not match its hash (the record was changed)' });
      prevHash = Buffer.from(row.hash);
      expectedSeq = seq + 1n;
      checked++;
    }
    if (rows.length < PAGE) break;
  }
  const head = await db.selectFrom('audit_chain_heads').select(['seq', 'hash']).where('chain', '=', chain).executeTakeFirst();
  if (head && (BigInt(head.seq) !== expectedSeq - 1n || !Buffer.from(head.hash).equals(prevHash)))
    problems.push({ seq: String(head.seq), kind: 'head_mismatch', detail: 'the newest records are missing or the chain head was altered' });
  return { checked, problems };
}
