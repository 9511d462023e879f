import { z } from 'zod';
import { defineOperation, type OperationContext } from '../ops/types.ts';
import { clearFailures } from '../login/throttle.ts';
import { email } from '../members/schema.ts';
import { findMember } from '../members/store.ts';
import { maskPhone } from './codes.ts';
import { memberNotFound, methodUndeliverable, nothingToChange } from './errors.ts';
import { getPolicy, mfaAppliesTo, mfaScope, savePolicy, SCOPE_ALL, MFA_METHODS, type MfaPolicy } from './policy.ts';
import { method, policyView, userView } from './schema.ts';
import { mfaLockKey } from './service.ts';
import { deleteUserMfa } from './store.ts';
import { isoOrNull as iso } from '../core/time.ts';


async function viewOf(ctx: OperationContext, policy: MfaPolicy) {
  const scope = await mfaScope(ctx.db, ctx.tenant.id);
  const who = scope === SCOPE_ALL ? 'every user who signs in with a password' : 'SSO-excluded users (everyone else gets MFA from the identity provider)';
  return {
    required: policy.required,
    methods: policy.methods,
    applies_to: scope,
    sso_enabled: scope !== SCOPE_ALL,
    summary: policy.required ? `MFA is required for ${who}.` : `MFA is off: nobody is prompted. When required, it will cover ${scope}.`,
    delivery: { email: ctx.services.delivery.email.via, sms: ctx.services.delivery.sms.via },
    updated_at: iso(policy.updatedAt),
  };
}

export const mfaGetPolicy = defineOperation({
  name: 'mfa.get_policy',
  title: 'Get MFA policy',
  description:
    'Show the tenant\'s MFA policy: whether a second step is required, the allowed methods (totp = authenticator app, email, sms), and whom it applies to right now — "all users" while SSO is off, "SSO-excluded users only" while SSO is on (the IdP does MFA for everyone else). Also says which code delivery channels this server has.',
  input: z.object({}),
  output: policyView,
  permission: 'mfa:read',
  annotations: { readOnly: true, destructive: false, idempotent: true },
  rest: { method: 'GET', path: '/mfa/policy' },
  async handler(ctx) {
    return viewOf(ctx, await getPolicy(ctx.db, ctx.tenant.id));
  },
});

const NIST_NOTE =
  'Email and SMS codes are restricted authenticators under NIST SP 800-63B (§5.1.3.3: SIM swap, number porting and mailbox takeover can intercept them). They are allowed; keeping the authenticator app (totp) on is recommended.';

export const mfaSetPolicy = defineOperation({
  name: 'mfa.set_policy',
  title: 'Set MFA policy',
  description:
    'Require (or stop requiring) MFA at sign-in and choose the allowed methods: "totp" (authenticator app, recommended), "email", "sms". Takes effect at each user\'s next sign-in: users without an allowed method set one up then (disabling a method moves its users to re-enrol); turning MFA off stops prompting but keeps enrolments. Scope follows SSO (see mfa.get_policy). Email and SMS are NIST SP 800-63B restricted authenticators: allowed, but the result says so.',
  input: z.object({
    required: z.boolean().optional().describe('true: users in scope must pass a second step at sign-in'),
    methods: z.array(method).min(1, 'expects at least one method').optional().describe('Allowed methods, e.g. ["totp"] or ["totp","email"]'),
  }),
  output: policyView.extend({
    previous: z.object({ required: z.boolean(), methods: z.array(method) }),
    notices: z.array(z.string()).describe('Advice to pass on to the user (restricted authenticators, recommendations)'),
  }),
  permission: 'mfa:write',
  annotations: { readOnly: false, destructive: false, idempotent: true },
  rest: { method: 'PUT', path: '/mfa/policy' },
  async handler(ctx, input) {
    if (input.required === undefined && input.methods === undefined) throw nothingToChange();
    const previous = await getPolicy(ctx.db, ctx.tenant.id);
    const methods = input.methods ? MFA_METHODS.filter((m) => input.methods!.includes(m)) : previous.methods;
    // A method whose codes cannot leave this server would lock its users out at the next sign-in.
    if (input.methods) for (const m of methods) if (m !== 'totp' && !ctx.services.delivery[m].via) throw methodUndeliverable(m);
    const next = { required: input.required ?? previous.required, methods };
    await savePolicy(ctx.db, ctx.tenant.id, next, ctx.services.clock.now());
    ctx.audit.target = `required=${next.required} methods=${next.methods.join(',')}`;
    const notices: string[] = [];
    if (methods.includes('email') || methods.includes('sms')) notices.push(NIST_NOTE);
    if (!methods.includes('totp')) notices.push('The authenticator app (totp) is off. It is the strongest method Warden offers; consider allowing it.');
    const dropped = previous.methods.filter((m) => !methods.includes(m));
    if (dropped.length > 0) notices.push(`Users enrolled only with ${dropped.join(', ')} will set up another allowed method at their next sign-in.`);
    if (previous.required && !next.required) notices.push('MFA is no longer required: nobody is prompted, and existing enrolments are kept.');
    return { ...(await viewOf(ctx, { ...next, updatedAt: ctx.services.clock.now() })), previous: { required: previous.required, methods: previous.methods }, notices };
  },
});

export const mfaListUsers = defineOperation({
  name: 'mfa.list_users',
  title: 'List MFA enrolments',
  description:
    'List the tenant\'s members with their MFA state: enrolled methods (masked phone numbers, no secrets), whether each is still allowed, recovery codes left, and status — enrolled, must_enrol (sets up a method at the next sign-in) or not_required (policy off, or SSO covers them).',
  input: z.object({ email: email.optional().describe('Only this member') }),
  output: z.object({ users: z.array(userView) }),
  permission: 'mfa:read',
  annotations: { readOnly: true, destructive: false, idempotent: true },
  rest: { method: 'GET', path: '/mfa/users' },
  async handler(ctx, input) {
    const policy = await getPolicy(ctx.db, ctx.tenant.id);
    let members = ctx.db
      .selectFrom('memberships')
      .innerJoin('users', 'users.id', 'memberships.user_id')
      .select(['users.id as user_id', 'users.email', 'memberships.role'])
      .where('memberships.tenant_id', '=', ctx.tenant.id)
      .orderBy('users.email');
    if (input.email) members = members.where('users.email', '=', input.email.trim().toLowerCase());
    const rows = await members.execute();
    if (input.email && rows.length === 0) throw memberNotFound(input.email);
    const enrolments = await ctx.db
      .selectFrom('mfa_enrolments')
      .select(['user_id', 'method', 'phone', 'confirmed_at', 'last_used_at'])
      .where('tenant_id', '=', ctx.tenant.id)
      .where('confirmed_at', 'is not', null)
      .execute();
    const codes = await ctx.db
      .selectFrom('mfa_recovery_codes')
      .select(['user_id'])
      .where('tenant_id', '=', ctx.tenant.id)
      .where('used_at', 'is', null)
      .execute();
    const users = [];
    for (const r of rows) {
      const mine = enrolments.filter((e) => e.user_id === r.user_id);
      const applies = await mfaAppliesTo(ctx.db, ctx.tenant.id, r.user_id, ['pwd']);
      const usable = mine.some((e) => policy.methods.includes(e.method));
      users.push({
        user_id: r.user_id,
        email: r.email,
        role: r.role,
        mfa_applies: applies,
        methods: mine.map((e) => ({
          method: e.method,
          allowed: policy.methods.includes(e.method),
          phone: e.phone ? maskPhone(e.phone) : null,
          enrolled_at: iso(e.confirmed_at),
          last_used_at: iso(e.last_used_at),
        })),
        recovery_codes_left: codes.filter((c) => c.user_id === r.user_id).length,
        status: !applies ? ('not_required' as const) : usable ? ('enrolled' as const) : ('must_enrol' as const),
      });
    }
    return { users };
  },
});

export const mfaResetUser = defineOperation({
  name: 'mfa.reset_user',
  title: "Reset a user's MFA",
  description:
    "Remove a member's MFA enrolments (authenticator seed, phone) and recovery codes, and clear an MFA lockout, so they set up a method again at their next sign-in. Use when someone lost their phone. Irreversible: ask the user to confirm (the confirmation repeats the member's email).",
  input: z.object({ email }),
  output: z.object({ email: z.string(), removed_methods: z.array(method), message: z.string() }),
  permission: 'mfa:write',
  annotations: { readOnly: false, destructive: true, idempotent: true },
  irreversible: {
    target: async (ctx, input) => {
      const member = await findMember(ctx.db, ctx.tenant.id, input.email);
      if (!member) throw memberNotFound(input.email);
      return member.email;
    },
  },
  rest: { method: 'POST', path: '/mfa/users/{email}/reset' },
  async handler(ctx, input) {
    const member = await findMember(ctx.db, ctx.tenant.id, input.email);
    if (!member) throw memberNotFound(input.email);
    ctx.audit.target = member.email;
    const methods = await ctx.db
      .selectFrom('mfa_enrolments')
      .select('method')
      .where('tenant_id', '=', ctx.tenant.id)
      .where('user_id', '=', member.user_id)
      .where('confirmed_at', 'is not', null)
      .execute();
    await deleteUserMfa(ctx.db, ctx.tenant.id, member.user_id);
    await clearFailures(ctx.db, mfaLockKey(ctx.tenant.id, member.user_id));
    const removed = MFA_METHODS.filter((m) => methods.some((r) => r.method === m));
    return {
      email: member.email,
      removed_methods: removed,
      message: `${member.email} will set up MFA again at their next sign-in${removed.length ? ` (removed: ${removed.join(', ')})` : ''}.`,
    };
  },
});

export const mfaOperations = [mfaGetPolicy, mfaSetPolicy, mfaListUsers, mfaResetUser];
