import type { DB } from '../db/connect.ts';
import type { Logger } from '../core/log.ts';
import { chainHash, GENESIS_HASH, type ChainedFields } from './chain.ts';
import { chainOf, redactInput, type AuditEntry } from './entry.ts';

/**
 * Appends audit records to their tenant's hash chain.
 * - `appendInTransaction`: for mutations — the record commits with the change or not at all.
 * - `record`: for reads, denials and failures — group commit: callers wait until their record
 *   is durable, but concurrent callers share one transaction, so the chain-head lock and the
 *   commit are paid once per batch instead of once per call.
 */
export class AuditWriter {
  readonly #db: DB;
  readonly #log: Logger;
  #queue: { entry: AuditEntry; done: (err?: unknown) => void }[] = [];
  #flushing: Promise<void> | undefined;

  constructor(db: DB, log: Logger) {
    this.#db = db;
    this.#log = log;
  }

  record(entry: AuditEntry): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ entry, done: (err) => (err ? reject(err) : resolve()) });
      if (!this.#flushing) this.#flushing = this.#drain();
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, 500);
      try {
        await this.#db.transaction().execute((trx) => appendInTransaction(trx, batch.map((b) => b.entry)));
        for (const b of batch) b.done();
      } catch (err) {
        this.#log.error('audit append failed', { error: (err as Error).message });
        for (const b of batch) b.done(err);
      }
    }
    this.#flushing = undefined;
  }

  /** Wait for queued records (tests and shutdown). */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }
}

export async function appendInTransaction(trx: DB, entries: AuditEntry[]): Promise<void> {
  const byChain = new Map<string, AuditEntry[]>();
  for (const e of entries) {
    const chain = chainOf(e.tenantId);
    byChain.set(chain, [...(byChain.get(chain) ?? []), e]);
  }
  // A fixed lock order across chains keeps concurrent batches from deadlocking.
  for (const chain of [...byChain.keys()].sort()) await appendToChain(trx, chain, byChain.get(chain)!);
}

async function lockHead(trx: DB, chain: string): Promise<{ seq: bigint; hash: Buffer }> {
  const select = () => trx.selectFrom('audit_chain_heads').select(['seq', 'hash']).where('chain', '=', chain).forUpdate().executeTakeFirst();
  let head = await select();
  if (!head) {
    await trx.insertInto('audit_chain_heads').values({ chain, seq: 0, hash: GENESIS_HASH }).onConflict((oc) => oc.doNothing()).execute();
    head = await select();
  }
  return { seq: BigInt(head!.seq), hash: Buffer.from(head!.hash) };
}

async function appendToChain(trx: DB, chain: string, entries: AuditEntry[]): Promise<void> {
  let { seq, hash } = await lockHead(trx, chain);
  const rows = entries.map((e) => {
    seq += 1n;
    const fields: ChainedFields = {
      chain,
      seq: seq.toString(),
      tenant_id: e.tenantId,
      occurred_at: e.occurredAt.toISOString(),
      actor: JSON.parse(JSON.stringify(e.actor)),
      operation: e.operation,
      target: e.target ?? null,
      input: redactInput(e.input),
      outcome: e.outcome,
      error_code: e.errorCode ?? null,
      request_id: e.requestId ?? null,
      ip: e.ip ?? null,
      user_agent: e.userAgent ?? null,
    };
    const prev = hash;
    hash = chainHash(prev, fields);
    return { ...fields, actor: JSON.stringify(fields.actor), input: JSON.stringify(fields.input), prev_hash: prev, hash };
  });
  await trx.insertInto('audit_events').values(rows).execute();
  await trx.updateTable('audit_chain_heads').set({ seq: seq.toString(), hash }).where('chain', '=', chain).execute();
}
