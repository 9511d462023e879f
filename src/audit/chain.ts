import { createHash } from 'node:crypto';

/**
 * The hash chain: each record's hash covers the previous hash and a canonical encoding of the
 * record (keys sorted, because jsonb does not keep key order). Changing, deleting or re-ordering
 * a row breaks the chain at that row.
 */
export const GENESIS_HASH = Buffer.alloc(32);

export interface ChainedFields {
  chain: string;
  seq: string;
  tenant_id: string | null;
  occurred_at: string;
  actor: unknown;
  operation: string;
  target: string | null;
  input: unknown;
  outcome: string;
  error_code: string | null;
  request_id: string | null;
  ip: string | null;
  user_agent: string | null;
}

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function chainHash(prevHash: Buffer, fields: ChainedFields): Buffer {
  return createHash('sha256').update(prevHash).update(canonicalJson(fields)).digest();
}
