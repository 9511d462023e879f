import { forbidden, invalid, notFound, type WardenError } from '../core/errors.ts';
import type { z } from 'zod';

export const tenantNotFound = (slug: string) =>
  notFound('TENANT_NOT_FOUND', `No tenant "${slug}" exists or you are not a member of it.`, 'Check X-Tenant-Id (the tenant slug); tenants.list shows yours.');

export const tenantMismatch = () =>
  forbidden('TENANT_MISMATCH', 'This credential belongs to a different tenant than the one in X-Tenant-Id.', {
    field: 'X-Tenant-Id',
    hint: 'A token works only in the tenant it was created in; create one in the other tenant.',
  });

export const tenantRequired = () =>
  invalid('TENANT_REQUIRED', 'This call needs a tenant.', { field: 'X-Tenant-Id', hint: 'Send the tenant slug in the X-Tenant-Id header.' });

export const notAMember = () => forbidden('NOT_A_MEMBER', 'You are not a member of this tenant.');

export const projectNotFound = (ref: string) =>
  notFound('PROJECT_NOT_FOUND', `No project "${ref}" in this tenant.`, 'Check X-Project-Id (project slug or id).');

export const permissionDenied = (permission: string, op: string) =>
  forbidden('PERMISSION_DENIED', `${op} needs the ${permission} permission, which your current role does not grant.`, {
    hint: 'Ask an owner or admin to change your role (members.set_role).',
  });

export const insufficientScope = (permission: string, op: string) =>
  forbidden('INSUFFICIENT_SCOPE', `${op} needs the ${permission} scope, which this token does not carry.`, {
    requiredScope: permission,
    hint: `Create a token that includes "${permission}".`,
  });

export const readOnlyMode = (op: string) =>
  forbidden('READ_ONLY_MODE', `${op} changes state, and this client is in read-only mode.`, {
    hint: 'Drop the X-Warden-Read-Only header, or use a token with write scopes.',
  });

export const confirmationRequired = (target: string) =>
  invalid('CONFIRMATION_REQUIRED', `This cannot be undone. Repeat the target's name in "confirm" to proceed.`, {
    field: 'confirm',
    hint: `Call again with confirm: ${JSON.stringify(target)} after the user has agreed.`,
  });

export const confirmationDeclined = () => invalid('CONFIRMATION_DECLINED', 'The user declined the confirmation; nothing was changed.');

export function validationFailed(error: z.ZodError): WardenError {
  const issues = error.issues.map((i) => ({ field: i.path.join('.') || '(input)', message: unknownKeysMessage(i) ?? i.message }));
  const first = issues[0]!;
  return invalid('VALIDATION_FAILED', `Invalid input: ${first.field}: ${first.message}`, { field: first.field, issues });
}

function unknownKeysMessage(issue: z.core.$ZodIssue): string | undefined {
  if (issue.code !== 'unrecognized_keys') return undefined;
  return `unknown argument(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}; remove them (only documented arguments are accepted)`;
}
