import { randomUUID } from 'node:crypto';
import type { Services } from '../app/services.ts';
import type { AuditEntry } from '../audit/entry.ts';
import { Secret } from '../core/secret.ts';
import type { DB } from '../db/connect.ts';
import type { Tenant, User } from '../db/schema.ts';
import { countFlowAttempt, endFlow, findFlow, type LoginFlow } from '../login/flows.ts';
import type { PendingStep } from '../login/seams.ts';
import { flowExpired, loginAudit, openSignedInSession, type LoginOutcome, type LoginRequest } from '../login/service.ts';
import { clearFailures, lockedUntil, recordFailure } from '../login/throttle.ts';
import { LOGIN_POLICY } from '../login/policy.ts';
import { codeCandidates, hashCode, maskEmail, maskPhone, matchingHash, newOtp, newRecoveryCode, normalizePhone, normalizeRecoveryCode } from './codes.ts';
import { getPolicy, MFA_LIMITS, MFA_METHODS, mfaAppliesTo, type MfaPolicy } from './policy.ts';
import { openSeed, sealSeed, totpPlace } from './sealing.ts';
import * as store from './store.ts';
import type { MfaEnrolment, MfaMethod } from './tables.ts';
import { matchTotp, newSeed, otpauthUri } from './totp.ts';

export const ENROL_STAGE = 'mfa_enrol';
export const VERIFY_STAGE = 'mfa_verify';
export const MFA_PATH = '/login/mfa';

export type StepMethod = MfaMethod | 'recovery';

/** The login seam: after the password, MFA asks for its step when the tenant's policy covers the user. */
export async function mfaSecondFactor(db: DB, args: { tenant: Tenant; user: User; amr: string[] }): Promise<PendingStep | null> {
  if (!(await mfaAppliesTo(db, args.tenant.id, args.user.id, args.amr))) return null;
  const policy = await getPolicy(db, args.tenant.id);
  const usable = usableOf(await store.confirmedEnrolments(db, args.tenant.id, args.user.id), policy);
  return { stage: usable.length > 0 ? VERIFY_STAGE : ENROL_STAGE, path: MFA_PATH };
}

/** Enrolled methods the policy still allows, in the product's order (authenticator app first). */
const usableOf = (enrolments: MfaEnrolment[], policy: MfaPolicy) =>
  MFA_METHODS.flatMap((m) => enrolments.filter((e) => e.method === m && policy.methods.includes(m)));

export interface MfaStep {
  flow: LoginFlow;
  /** `enrol` when the user has no usable method (first sign-in, reset, or their method was disabled). */
  stage: 'enrol' | 'verify';
  tenant: Tenant;
  user: User;
  policy: MfaPolicy;
  usable: MfaEnrolment[];
  lockedUntil: Date | null;
}

/** The login_throttle key of a user's second step in a tenant. */
export const mfaLockKey = (tenantId: string, userId: string) => `mfa:${tenantId}:${userId}`;
const lockKey = mfaLockKey;

export async function loadStep(services: Services, token: string | undefined): Promise<MfaStep | null> {
  const { db, clock } = services;
  const now = clock.now();
  const flow = (await findFlow(db, token, VERIFY_STAGE, now)) ?? (await findFlow(db, token, ENROL_STAGE, now));
  if (!flow?.userId || !flow.tenantId) return null;
  const [tenant, user] = await Promise.all([services.tenants.byId(flow.tenantId), db.selectFrom('users').selectAll().where('id', '=', flow.userId).executeTakeFirst()]);
  if (!tenant || !user) return null;
  const policy = await getPolicy(db, tenant.id);
  const usable = usableOf(await store.confirmedEnrolments(db, tenant.id, user.id), policy);
  // The stage follows the current policy: an admin who disables a method mid-flow moves the user to enrolment.
  const locked = await lockedUntil(db, [lockKey(tenant.id, user.id)], now);
  return { flow, stage: usable.length > 0 ? 'verify' : 'enrol', tenant, user, policy, usable, lockedUntil: locked };
}

/** Methods the user may use at this step: enrolment offers the allowed ones, verification the enrolled ones. */
export function methodsOf(step: MfaStep): StepMethod[] {
  if (step.stage === 'enrol') return [...step.policy.methods];
  return [...step.usable.map((e) => e.method), 'recovery'];
}

export function lockedMessage(until: Date, now: Date): string {
  const minutes = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 60_000));
  return `Too many wrong codes. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
}

function audit(services: Services, req: LoginRequest, step: MfaStep, operation: string, outcome: AuditEntry['outcome'], method: string, reason?: string) {
  return services.audit.record(loginAudit(services, req, { operation, outcome, reason, tenantId: step.tenant.id, user: step.user, email: step.user.email, method }));
}

// ——— authenticator app enrolment ———

export interface TotpSetup {
  seed: Secret;
  uri: string;
}

/**
 * The seed being enrolled. A page reload shows the same seed (the user may already have scanned
 * it); the seed is sealed in its row from the start, never kept in the flow's plain JSON.
 */
export async function totpSetup(services: Services, step: MfaStep): Promise<TotpSetup> {
  const { db } = services;
  const existing = await store.findEnrolment(db, step.tenant.id, step.user.id, 'totp');
  let seed: Secret;
  if (existing && !existing.confirmed_at && existing.totp_secret) {
    seed = await openSeed(services, db, step.tenant.id, totpPlace(existing.id), existing.totp_secret);
  } else {
    seed = new Secret(newSeed());
    const id = randomUUID();
    const sealed = await sealSeed(services, db, step.tenant.id, totpPlace(id), seed);
    await store.replaceEnrolment(db, { id, tenantId: step.tenant.id, userId: step.user.id, method: 'totp', totpSecret: sealed });
  }
  return { seed, uri: otpauthUri(seed.reveal(), `Warden (${step.tenant.slug})`, step.user.email) };
}

// ——— email / SMS codes ———

export type SendResult = { ok: true; destination: string } | { ok: false; message: string; status: number };

export async function sendCode(services: Services, step: MfaStep, method: 'email' | 'sms', phoneInput: string | undefined, req: LoginRequest): Promise<SendResult> {
  const { db, clock } = services;
  const now = clock.now();
  if (step.lockedUntil) return { ok: false, message: lockedMessage(step.lockedUntil, now), status: 429 };
  if (!methodsOf(step).includes(method)) return { ok: false, message: 'That method is not available for this sign-in.', status: 400 };
  const channel = method === 'email' ? services.delivery.email : services.delivery.sms;
  if (!channel.via) return { ok: false, message: `Warden cannot send ${method === 'email' ? 'email' : 'text message'} codes right now. Choose another method or contact your administrator.`, status: 503 };

  let destination: string;
  if (step.stage === 'verify') {
    const enrolment = step.usable.find((e) => e.method === method)!;
    destination = method === 'email' ? step.user.email : enrolment.phone!;
  } else {
    if (method === 'sms') {
      const phone = normalizePhone(phoneInput ?? '');
      if (!phone) return { ok: false, message: 'Enter a mobile number in international format, such as +44 7700 900123.', status: 400 };
      destination = phone;
    } else destination = step.user.email;
    const pending = await store.findEnrolment(db, step.tenant.id, step.user.id, method);
    if (!pending || pending.confirmed_at || (method === 'sms' && pending.phone !== destination)) {
      await store.replaceEnrolment(db, { id: randomUUID(), tenantId: step.tenant.id, userId: step.user.id, method, phone: method === 'sms' ? destination : null });
    }
  }

  const code = newOtp();
  const stored = await store.storeCode(db, {
    tenantId: step.tenant.id,
    userId: step.user.id,
    method,
    codeHash: hashCode(services.tokens, method, step.tenant.id, step.user.id, code),
    destination,
    now,
    ttlMs: MFA_LIMITS.codeTtlMs,
    resendAfterMs: MFA_LIMITS.resendAfterMs,
    windowMs: MFA_LIMITS.sendWindowMs,
    maxSends: MFA_LIMITS.sendsPerWindow,
  });
  if (!stored) {
    await audit(services, req, step, 'mfa.code_sent', 'denied', method, 'rate_limited');
    return { ok: false, message: 'A code was sent very recently. Wait a little before asking for another one.', status: 429 };
  }
  const minutes = MFA_LIMITS.codeTtlMs / 60_000;
  try {
    await channel.send(
      method === 'email'
        ? {
            to: destination,
            subject: `Your Warden sign-in code: ${code}`,
            text: `Your Warden verification code for ${step.tenant.name} is ${code}.\n\nIt expires in ${minutes} minutes. If you did not just try to sign in, change your password.`,
          }
        : { to: destination, subject: 'Warden code', text: `${code} is your Warden verification code. It expires in ${minutes} minutes.` },
    );
  } catch {
    await store.burnCode(db, step.tenant.id, step.user.id, method);
    await audit(services, req, step, 'mfa.code_sent', 'failed', method, 'delivery_failed');
    return { ok: false, message: 'The code could not be sent. Try again in a minute, or choose another method.', status: 502 };
  }
  await audit(services, req, step, 'mfa.code_sent', 'success', method);
  return { ok: true, destination: method === 'email' ? maskEmail(destination) : maskPhone(destination) };
}

// ——— checking a code ———

export type SubmitResult =
  | { kind: 'enrolled'; outcome: LoginOutcome; recoveryCodes: Secret[] }
  | { kind: 'verified'; outcome: LoginOutcome; recoveryCodesLeft: number | null }
  | { kind: 'refused'; message: string; status: number; locked: boolean }
  | { kind: 'expired'; outcome: LoginOutcome };

const AMR: Record<StepMethod, string[]> = { totp: ['mfa', 'otp'], email: ['mfa', 'otp'], sms: ['mfa', 'sms'], recovery: ['mfa', 'otp'] };

export async function submitCode(services: Services, step: MfaStep, method: StepMethod, code: string, req: LoginRequest): Promise<SubmitResult> {
  const { db, clock } = services;
  const now = clock.now();
  if (step.lockedUntil) return { kind: 'refused', message: lockedMessage(step.lockedUntil, now), status: 429, locked: true };
  if (!methodsOf(step).includes(method)) return { kind: 'refused', message: 'That method is not available for this sign-in.', status: 400, locked: false };
  if ((await countFlowAttempt(db, step.flow)) > MFA_LIMITS.flowAttempts) {
    await endFlow(db, step.flow);
    return { kind: 'expired', outcome: flowExpired() };
  }

  const check = await checkCode(services, step, method, code.trim(), now);
  if (check.kind === 'no_code') return { kind: 'refused', message: check.message, status: 400, locked: false };
  if (check.kind === 'wrong') {
    const op = step.stage === 'enrol' ? 'mfa.enrol.failure' : 'mfa.verify.failure';
    await audit(services, req, step, op, 'denied', method, check.reason);
    const lock = await recordFailure(db, lockKey(step.tenant.id, step.user.id), MFA_LIMITS.failuresBeforeLock, now);
    if (lock) {
      await audit(services, req, step, 'mfa.lockout', 'denied', method, `${LOGIN_POLICY.lockoutMs / 60_000} minutes`);
      return { kind: 'refused', message: lockedMessage(lock, now), status: 429, locked: true };
    }
    return { kind: 'refused', message: check.message, status: 401, locked: false };
  }

  await clearFailures(db, lockKey(step.tenant.id, step.user.id));
  let recoveryCodes: Secret[] = [];
  if (step.stage === 'enrol') {
    recoveryCodes = Array.from({ length: MFA_LIMITS.recoveryCodes }, () => new Secret(newRecoveryCode()));
    const hashes = recoveryCodes.map((c) => hashCode(services.tokens, 'recovery', step.tenant.id, step.user.id, normalizeRecoveryCode(c.reveal())!));
    await db.transaction().execute(async (trx) => {
      await store.confirmEnrolment(trx, check.enrolmentId!, now);
      await store.replaceRecoveryCodes(trx, step.tenant.id, step.user.id, hashes);
    });
    await audit(services, req, step, 'mfa.enrol', 'success', method);
  } else {
    if (check.enrolmentId && method !== 'totp') await store.touchEnrolment(db, check.enrolmentId, now);
    await audit(services, req, step, 'mfa.verify', 'success', method);
    if (method === 'recovery') await audit(services, req, step, 'mfa.recovery_code_used', 'success', method);
  }

  await endFlow(db, step.flow);
  const base = typeof step.flow.data.method === 'string' ? step.flow.data.method : 'password';
  const outcome = await openSignedInSession(
    services,
    { user: step.user, tenant: step.tenant, amr: [...new Set([...step.flow.amr, ...AMR[method]])], returnTo: step.flow.returnTo, method: `${base}+${method}` },
    req,
  );
  if (step.stage === 'enrol') return { kind: 'enrolled', outcome, recoveryCodes };
  return { kind: 'verified', outcome, recoveryCodesLeft: method === 'recovery' ? await store.recoveryCodesLeft(db, step.tenant.id, step.user.id) : null };
}

type Wrong = { kind: 'wrong'; message: string; reason: string };
type Check = { kind: 'ok'; enrolmentId: string | null } | Wrong | { kind: 'no_code'; message: string };

const WRONG: Wrong = { kind: 'wrong', message: 'That code is not right. Check it and try again.', reason: 'wrong_code' };

async function checkCode(services: Services, step: MfaStep, method: StepMethod, code: string, now: Date): Promise<Check> {
  const { db } = services;
  const tenantId = step.tenant.id;
  const userId = step.user.id;
  if (method === 'recovery') {
    const normalized = normalizeRecoveryCode(code);
    if (!normalized) return WRONG;
    const used = await store.useRecoveryCode(db, tenantId, userId, codeCandidates(services.tokens, 'recovery', tenantId, userId, normalized), now);
    return used ? { kind: 'ok', enrolmentId: null } : { ...WRONG, reason: 'wrong_recovery_code' };
  }
  const enrolment =
    step.stage === 'verify' ? step.usable.find((e) => e.method === method) : await store.findEnrolment(db, tenantId, userId, method).then((e) => (e && !e.confirmed_at ? e : undefined));
  if (!enrolment) return { kind: 'no_code', message: method === 'totp' ? 'Reload the page to get a new setup key.' : 'Send a code first.' };

  if (method === 'totp') {
    const seed = await openSeed(services, db, tenantId, totpPlace(enrolment.id), enrolment.totp_secret!);
    const matched = await matchTotp(seed.reveal(), code, now.getTime(), Number(enrolment.last_step));
    if (matched === null) {
      // Tell a replay (a valid code of an already used step) from a wrong code, for the audit trail.
      const replay = (await matchTotp(seed.reveal(), code, now.getTime(), 0)) !== null;
      return replay ? { ...WRONG, reason: 'replayed_code' } : WRONG;
    }
    // Atomic: the same code submitted twice (or on two servers at once) is accepted once.
    if (!(await store.claimTotpStep(db, enrolment.id, matched, now))) return { ...WRONG, reason: 'replayed_code' };
    return { kind: 'ok', enrolmentId: enrolment.id };
  }

  const attempt = await store.countCodeAttempt(db, tenantId, userId, method);
  if (!attempt?.code_hash) return { kind: 'no_code', message: 'There is no code waiting for you. Send a new code.' };
  if (step.stage === 'enrol' && method === 'sms' && attempt.destination !== enrolment.phone) return { kind: 'no_code', message: 'Send a code to this number first.' };
  if (new Date(attempt.expires_at) <= now) {
    await store.burnCode(db, tenantId, userId, method);
    return { kind: 'wrong', message: 'That code has expired. Send a new code.', reason: 'expired_code' };
  }
  if (attempt.attempts > MFA_LIMITS.codeAttempts) {
    await store.burnCode(db, tenantId, userId, method);
    return { kind: 'wrong', message: 'Too many tries for this code. Send a new code.', reason: 'code_attempts_exceeded' };
  }
  const match = /^\d{6}$/.test(code) ? matchingHash(attempt.code_hash, codeCandidates(services.tokens, method, tenantId, userId, code)) : undefined;
  if (!match || !(await store.consumeCode(db, tenantId, userId, method, attempt.code_hash))) return WRONG;
  return { kind: 'ok', enrolmentId: enrolment.id };
}
