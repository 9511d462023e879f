import { z } from 'zod';
import { defineOperation } from '../ops/types.ts';
import { findMember } from '../members/store.ts';
import { memberNotFound } from '../members/errors.ts';
import { email } from '../members/schema.ts';
import { isoOf as iso } from '../core/time.ts';


const sessionView = z.object({
  email: z.string(),
  started_at: z.iso.datetime(),
  last_seen_at: z.iso.datetime(),
  expires_at: z.iso.datetime(),
  ip: z.string().nullable(),
  user_agent: z.string().nullable(),
  methods: z.array(z.string()).describe('How the user authenticated (RFC 8176 amr: pwd, mfa, otp, fed…)'),
});

export const sessionsList = defineOperation({
  name: 'sessions.list',
  title: 'List browser sessions',
  description:
    "List the open browser sessions in the current tenant (who, since when, last seen, address, browser, how they signed in), optionally for one member. Session secrets are never shown. Use sessions.end to sign someone out everywhere.",
  input: z.object({ email: email.optional().describe('Only this member’s sessions') }),
  output: z.object({ sessions: z.array(sessionView) }),
  permission: 'members:read',
  annotations: { readOnly: true, destructive: false, idempotent: true },
  rest: { method: 'GET', path: '/sessions' },
  async handler(ctx, input) {
    let query = ctx.db
      .selectFrom('browser_sessions as s')
      .innerJoin('users as u', 'u.id', 's.user_id')
      .select(['u.email', 's.created_at', 's.last_seen_at', 's.expires_at', 's.ip', 's.user_agent', 's.amr'])
      .where('s.tenant_id', '=', ctx.tenant.id)
      .where('s.expires_at', '>', ctx.services.clock.now())
      .orderBy('s.last_seen_at', 'desc')
      .limit(500);
    if (input.email) query = query.where('u.email', '=', input.email.trim().toLowerCase());
    const rows = await query.execute();
    return {
      sessions: rows.map((r) => ({ email: r.email, started_at: iso(r.created_at), last_seen_at: iso(r.last_seen_at), expires_at: iso(r.expires_at), ip: r.ip, user_agent: r.user_agent, methods: r.amr })),
    };
  },
});

export const sessionsEnd = defineOperation({
  name: 'sessions.end',
  title: 'Sign a member out everywhere',
  description:
    "End every browser session of a member in the current tenant (a lost laptop, a suspected compromise): they must sign in again, with MFA or SSO as the policy requires. Their personal access tokens are not touched (pats.revoke). Needs confirmation (repeat the member's email).",
  input: z.object({ email }),
  output: z.object({ email: z.string(), ended_sessions: z.number().int() }),
  permission: 'members:write',
  annotations: { readOnly: false, destructive: true, idempotent: true },
  irreversible: { target: async (_ctx, input) => input.email.trim().toLowerCase() },
  rest: { method: 'POST', path: '/sessions/end' },
  async handler(ctx, input) {
    const member = await findMember(ctx.db, ctx.tenant.id, input.email);
    if (!member) throw memberNotFound(input.email);
    const ended = await ctx.db.deleteFrom('browser_sessions').where('tenant_id', '=', ctx.tenant.id).where('user_id', '=', member.user_id).returning('id_hash').execute();
    return { email: member.email, ended_sessions: ended.length };
  },
});

export const sessionOperations = [sessionsList, sessionsEnd];
