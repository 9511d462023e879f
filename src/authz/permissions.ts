/**
 * The permission catalogue: every permission an operation can require, with one line each.
 * `security: true` marks security settings, which by default only owners and admins hold.
 */
export const PERMISSIONS = {
  'tenant:read': { description: 'Read the tenant (account) and its projects.', security: false },
  'tenant:write': { description: 'Rename the tenant and manage its projects.', security: true },
  'members:read': { description: 'List members and their roles.', security: false },
  'members:write': { description: 'Invite members, change their roles, remove them.', security: true },
  'roles:read': { description: 'List built-in and custom roles and their permissions.', security: false },
  'roles:write': { description: 'Create and delete custom roles.', security: true },
  'pats:read': { description: 'List your own personal access tokens.', security: false },
  'pats:write': { description: 'Create and revoke your own personal access tokens.', security: false },
  'pats:admin': { description: "List and revoke other members' personal access tokens.", security: true },
  'audit:read': { description: 'Query, export and verify the audit log.', security: true },
  'sso:read': { description: 'Read SSO settings.', security: true },
  'sso:write': { description: 'Configure, enable and disable SSO; manage SSO-excluded users.', security: true },
  'mfa:read': { description: 'Read the MFA policy and who is enrolled.', security: true },
  'mfa:write': { description: "Set the MFA policy and reset a user's MFA.", security: true },
  'keys:read': { description: 'Read encryption key configuration and status.', security: true },
  'keys:write': { description: 'Configure BYOK, switch providers and rotate keys.', security: true },
  'oauth:read': { description: 'List OAuth clients and consents.', security: true },
  'oauth:write': { description: 'Revoke OAuth clients and consents.', security: true },
  'agents:read': { description: 'List and read agents.', security: true },
  'agents:write': { description: 'Create, update, rotate and revoke agents.', security: true },
  'api_apps:read': { description: 'List API apps and their key metadata.', security: false },
  'api_apps:write': { description: 'Create API apps and issue or revoke their keys.', security: true },
  'api_keys:verify': { description: "Verify API keys presented to your own services (api_keys.verify); grants no access to apps or keys.", security: false },
  'scripts:read': { description: 'List scripts, deployments and run history.', security: false },
  'scripts:write': { description: 'Import, configure, deploy and delete scripts.', security: false },
  'scripts:invoke': { description: 'Invoke deployed scripts.', security: false },
} as const satisfies Record<string, { description: string; security: boolean }>;

export type Permission = keyof typeof PERMISSIONS;
export const ALL_PERMISSIONS = Object.keys(PERMISSIONS) as Permission[];

export const isPermission = (value: string): value is Permission => Object.hasOwn(PERMISSIONS, value);

/** Read permissions are the ones a read-only client may still use. */
export const isReadPermission = (p: Permission) => p.endsWith(':read');
