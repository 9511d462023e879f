import type { Actor } from '../authz/principal.ts';

export type AuditOutcome = 'success' | 'denied' | 'failed';

/** One audit record as services hand it over (before it gets its place in the chain). */
export interface AuditEntry {
  tenantId: string | null;
  actor: Actor[];
  operation: string;
  target?: string | null;
  input?: unknown;
  outcome: AuditOutcome;
  errorCode?: string | null;
  requestId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  occurredAt: Date;
}

export const SYSTEM_CHAIN = 'system';
export const chainOf = (tenantId: string | null) => tenantId ?? SYSTEM_CHAIN;

const SECRET_KEY = /(password|secret|token|private_?key|recovery|otp|passcode|^(api_?)?key$)/i;

/**
 * Inputs are recorded with secrets removed: `Secret` values redact themselves, and keys whose
 * names say they hold a secret are replaced too (defence in depth for a schema that forgot).
 */
export function redactInput(input: unknown): unknown {
  if (input === undefined) return null;
  return JSON.parse(JSON.stringify(input, (key, value) => (key && SECRET_KEY.test(key) && value != null ? '[redacted]' : value)));
}
