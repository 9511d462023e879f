import { ALL_PERMISSIONS, PERMISSIONS, type Permission } from './permissions.ts';

export const BUILTIN_ROLES = ['owner', 'admin', 'developer', 'analyst', 'member'] as const;
export type BuiltinRole = (typeof BUILTIN_ROLES)[number];

const nonSecurity = ALL_PERMISSIONS.filter((p) => !PERMISSIONS[p].security);

export const BUILTIN_ROLE_PERMISSIONS: Record<BuiltinRole, { description: string; permissions: readonly Permission[] }> = {
  owner: { description: 'Full control of the account, including its security settings.', permissions: ALL_PERMISSIONS },
  admin: { description: 'Full control of the account, including its security settings.', permissions: ALL_PERMISSIONS },
  developer: { description: 'Builds on the platform: scripts, API apps, own tokens. No security settings.', permissions: nonSecurity },
  analyst: {
    description: 'Reads the account and its audit log.',
    permissions: ['tenant:read', 'members:read', 'roles:read', 'pats:read', 'pats:write', 'audit:read', 'api_apps:read', 'scripts:read'],
  },
  member: { description: 'Signs in and manages own tokens.', permissions: ['tenant:read', 'roles:read', 'pats:read', 'pats:write'] },
};

export const isBuiltinRole = (name: string): name is BuiltinRole => (BUILTIN_ROLES as readonly string[]).includes(name);
