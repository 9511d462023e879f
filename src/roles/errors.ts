import { conflict, forbidden, invalid, notFound } from '../core/errors.ts';

export const roleNotFound = (role: string) =>
  notFound('ROLE_NOT_FOUND', `No role "${role}" in this tenant.`, 'Use a built-in role (owner, admin, developer, analyst, member) or one listed by roles.list.');
export const roleNameReserved = (name: string) =>
  invalid('ROLE_NAME_RESERVED', `"${name}" is a built-in role name.`, { field: 'name', hint: 'Pick another name for the custom role.' });
export const roleExists = (name: string) => conflict('ROLE_EXISTS', `A custom role "${name}" already exists.`, { field: 'name' });
export const unknownPermissions = (names: string[]) =>
  invalid('UNKNOWN_PERMISSION', `Unknown permission(s): ${names.join(', ')}.`, { field: 'permissions', hint: 'roles.list shows the permission catalogue.' });
export const roleInUse = (name: string, count: number) =>
  conflict('ROLE_IN_USE', `Custom role "${name}" is held by ${count} member(s).`, { field: 'name', hint: 'Move those members to another role first (members.set_role).' });
export const privilegeEscalation = (missing: string[]) =>
  forbidden('PRIVILEGE_ESCALATION', `You cannot grant permissions you do not hold yourself: ${missing.join(', ')}.`, {
    hint: 'Ask an owner to make this change.',
  });
export const ownerOnly = () => forbidden('OWNER_REQUIRED', 'Only an owner can grant or take away the owner role.', { field: 'role' });
