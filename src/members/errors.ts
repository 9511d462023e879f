import { conflict, forbidden, notFound } from '../core/errors.ts';

export const memberNotFound = (email: string) => notFound('MEMBER_NOT_FOUND', `${email} is not a member of this tenant.`, 'members.list shows who is.');
export const alreadyMember = (email: string) =>
  conflict('MEMBER_EXISTS', `${email} is already a member of this tenant.`, { field: 'email', hint: 'Use members.set_role to change their role.' });
export const lastOwner = () =>
  conflict('LAST_OWNER', 'A tenant must keep at least one owner.', { hint: 'Make another member owner first (members.set_role).' });
export const ownerChangeForbidden = () => forbidden('OWNER_REQUIRED', 'Only an owner can change or remove an owner.');
