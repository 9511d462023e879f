import { z } from 'zod';
import { defineOperation, type OperationContext } from '../ops/types.ts';
import { publishInvalidation } from '../db/connect.ts';
import { createUser, findUserByEmail } from '../users/store.ts';
import { generateToken } from '../crypto/token-format.ts';
import { assertCanAssignRole } from '../roles/service.ts';
import { alreadyMember, lastOwner, memberNotFound, ownerChangeForbidden } from './errors.ts';
import { email, memberView, roleName } from './schema.ts';
import { addMembership, deleteMembership, findMember, listMembers, otherOwnerCount, setMembershipRole } from './store.ts';

const INVITATION_TTL_DAYS = 7;

export const membersList = defineOperation({
  name: 'members.list',
  title: 'List members',
  description: 'List the members of the current tenant with their role and whether they have set a password.',
  input: z.object({}),
  output: z.object({ members: z.array(memberView) }),
  permission: 'members:read',
  annotations: { readOnly: true, destructive: false, idempotent: true },
  rest: { method: 'GET', path: '/members' },
  async handler(ctx) {
    return { members: await listMembers(ctx.db, ctx.tenant.id) };
  },
});

export const membersInvite = defineOperation({
  name: 'members.invite',
  title: 'Invite member',
  description:
    'Add a person to the current tenant with a role. An existing Warden user is added at once; a new one gets an invitation link (valid 7 days, shown once) to set a password. You cannot grant a role with permissions you do not hold.',
  input: z.object({ email, role: roleName.default('member'), name: z.string().max(200).optional().describe('Display name for a new user') }),
  output: z.object({
    member: memberView,
    invitation: z.object({ accept_url: z.url(), expires_at: z.iso.datetime() }).nullable().describe('Only for new users; send the link to them. Shown once.'),
  }),
  permission: 'members:write',
  annotations: { readOnly: false, destructive: false, idempotent: false },
  rest: { method: 'POST', path: '/members' },
  async handler(ctx, input) {
    ctx.audit.target = input.email;
    await assertCanAssignRole(ctx, input.role);
    if (await findMember(ctx.db, ctx.tenant.id, input.email)) throw alreadyMember(input.email);
    const existing = await findUserByEmail(ctx.db, input.email);
    const user = existing ?? (await createUser(ctx.db, { email: input.email, name: input.name ?? null }));
    await addMembership(ctx.db, ctx.tenant.id, user.id, input.role);
    const invitation = user.password_hash ? null : await createInvitation(ctx, user.id);
    const member = (await listMembers(ctx.db, ctx.tenant.id)).find((m) => m.user_id === user.id)!;
    return { member, invitation };
  },
});

async function createInvitation(ctx: OperationContext, userId: string) {
  const { token } = generateToken('invitation');
  const expiresAt = new Date(ctx.services.clock.now().getTime() + INVITATION_TTL_DAYS * 86_400_000);
  await ctx.db
    .insertInto('invitations')
    .values({ tenant_id: ctx.tenant.id, user_id: userId, token_hash: ctx.services.tokens.hash(token).hash, expires_at: expiresAt })
    .execute();
  return { accept_url: `${ctx.services.config.baseUrl}/invite/${token}`, expires_at: expiresAt.toISOString() };
}

export const membersSetRole = defineOperation({
  name: 'members.set_role',
  title: 'Change member role',
  description:
    "Change a member's role in the current tenant. Takes effect on every server within a second, for all of that member's tokens and sessions. The last owner cannot be demoted; only owners change ownership.",
  input: z.object({ email, role: roleName }),
  output: z.object({ member: memberView, previous_role: z.string() }),
  permission: 'members:write',
  annotations: { readOnly: false, destructive: false, idempotent: true },
  rest: { method: 'PATCH', path: '/members/{email}' },
  async handler(ctx, input) {
    ctx.audit.target = input.email;
    const member = await findMember(ctx.db, ctx.tenant.id, input.email);
    if (!member) throw memberNotFound(input.email);
    await assertCanAssignRole(ctx, input.role);
    if (member.role === 'owner' && input.role !== 'owner') {
      if (ctx.role !== 'owner') throw ownerChangeForbidden();
      if ((await otherOwnerCount(ctx.db, ctx.tenant.id, member.user_id)) === 0) throw lastOwner();
    }
    await setMembershipRole(ctx.db, ctx.tenant.id, member.user_id, input.role);
    const updated = (await listMembers(ctx.db, ctx.tenant.id)).find((m) => m.user_id === member.user_id)!;
    return { member: updated, previous_role: member.role };
  },
});

export const membersRemove = defineOperation({
  name: 'members.remove',
  title: 'Remove member',
  description:
    "Remove a member from the current tenant and revoke their personal access tokens in it. Irreversible: ask the user to confirm (the confirmation repeats the member's email). The last owner cannot be removed.",
  input: z.object({ email }),
  output: z.object({ removed: z.string(), revoked_tokens: z.number().int() }),
  permission: 'members:write',
  annotations: { readOnly: false, destructive: true, idempotent: false },
  irreversible: { target: async (_ctx, input) => input.email.trim().toLowerCase() },
  rest: { method: 'DELETE', path: '/members/{email}' },
  async handler(ctx, input) {
    const member = await findMember(ctx.db, ctx.tenant.id, input.email);
    if (!member) throw memberNotFound(input.email);
    if (member.role === 'owner') {
      if (ctx.role !== 'owner') throw ownerChangeForbidden();
      if ((await otherOwnerCount(ctx.db, ctx.tenant.id, member.user_id)) === 0) throw lastOwner();
    }
    const revoked = await ctx.db
      .updateTable('pats')
      .set({ revoked_at: ctx.services.clock.now() })
      .where('tenant_id', '=', ctx.tenant.id)
      .where('user_id', '=', member.user_id)
      .where('revoked_at', 'is', null)
      .returning('id')
      .execute();
    await deleteMembership(ctx.db, ctx.tenant.id, member.user_id);
    if (revoked.length > 0) await publishInvalidation(ctx.db, 'pat:*');
    return { removed: member.email, revoked_tokens: revoked.length };
  },
});

export const memberOperations = [membersList, membersInvite, membersSetRole, membersRemove];
