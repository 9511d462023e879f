import type { DB } from '../db/connect.ts';
import { isSsoExcluded, ssoEnabled } from '../sso/state.ts';
import type { MfaMethod } from './tables.ts';

/**
 * Limits of the second step. Codes: 6 digits, 10 minutes, 5 tries (NIST SP 800-63B §5.1.3 and
 * §5.2.2 rate limiting); sends: one per 30 s and 5 per 15 min, so an attacker holding a password
 * cannot flood a phone or an inbox. Five wrong codes in 15 minutes lock the second step for 15
 * minutes (login's throttle table, so every server sees the lock).
 */
export const MFA_LIMITS = {
  codeDigits: 6,
  codeTtlMs: 10 * 60_000,
  codeAttempts: 5,
  resendAfterMs: 30_000,
  sendsPerWindow: 5,
  sendWindowMs: 15 * 60_000,
  failuresBeforeLock: 5,
  /** Submissions one login flow may make before it has to start over. */
  flowAttempts: 12,
  recoveryCodes: 10,
} as const;

export const MFA_METHODS = ['totp', 'email', 'sms'] as const satisfies readonly MfaMethod[];

export const METHOD_LABEL: Record<MfaMethod, string> = { totp: 'Authenticator app', email: 'Email code', sms: 'Text message (SMS)' };

export interface MfaPolicy {
  required: boolean;
  methods: MfaMethod[];
  updatedAt: Date | null;
}

export const SCOPE_ALL = 'all users';
export const SCOPE_EXCLUDED = 'SSO-excluded users only';
export type MfaScope = typeof SCOPE_ALL | typeof SCOPE_EXCLUDED;

const DEFAULT_POLICY: MfaPolicy = { required: false, methods: ['totp'], updatedAt: null };

export async function getPolicy(db: DB, tenantId: string): Promise<MfaPolicy> {
  const row = await db.selectFrom('mfa_policies').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
  if (!row) return { ...DEFAULT_POLICY };
  return { required: row.required, methods: MFA_METHODS.filter((m) => row.methods.includes(m)), updatedAt: new Date(row.updated_at) };
}

export async function savePolicy(db: DB, tenantId: string, policy: { required: boolean; methods: MfaMethod[] }, now: Date): Promise<void> {
  await db
    .insertInto('mfa_policies')
    .values({ tenant_id: tenantId, required: policy.required, methods: policy.methods, updated_at: now })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ required: policy.required, methods: policy.methods, updated_at: now }))
    .execute();
}

/** MFA's scope follows SSO: with SSO on, the IdP does everyone's MFA except the excluded users'. */
export async function mfaScope(db: DB, tenantId: string): Promise<MfaScope> {
  return (await ssoEnabled(db, tenantId)) ? SCOPE_EXCLUDED : SCOPE_ALL;
}

/** Whether Warden asks this sign-in for a second factor. `fed` in amr: the IdP signed the user in. */
export async function mfaAppliesTo(db: DB, tenantId: string, userId: string, amr: readonly string[]): Promise<boolean> {
  if (amr.includes('fed')) return false;
  const policy = await getPolicy(db, tenantId);
  if (!policy.required) return false;
  if ((await mfaScope(db, tenantId)) === SCOPE_EXCLUDED) return isSsoExcluded(db, tenantId, userId);
  return true;
}
