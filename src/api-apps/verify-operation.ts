import { z } from 'zod';
import { defineOperation } from '../ops/types.ts';
import { iso, scopeName, verifyResult, type VerifyResult } from './schema.ts';

export const apiKeysVerify = defineOperation({
  name: 'api_keys.verify',
  title: 'Verify API key',
  description:
    "Check an API key that a caller presented to one of your services: answers valid with the key's app, tenant and current scopes, or valid:false with a reason (malformed, not_found, revoked, expired, insufficient_scope). Give required_scopes to have Warden check them too. Only keys of the current tenant verify; a key of any other tenant is not_found. Call it from your service with a credential holding api_keys:verify.",
  input: z.object({
    // Named `token` on purpose: the audit log redacts fields of that name, and the presented key
    // must never be stored anywhere in clear.
    token: z.string().max(200).describe('The key exactly as the caller presented it (wdn_key_…)'),
    required_scopes: z.array(scopeName).max(50).default([]).describe('Scopes the key must have for this request; missing ones make the answer invalid'),
  }),
  output: verifyResult,
  permission: 'api_keys:verify',
  // Read-only (no change but the throttled last-use stamp); POST so the key never sits in a URL.
  annotations: { readOnly: true, destructive: false, idempotent: true },
  rest: { method: 'POST', path: '/api-keys/verify' },
  async handler(ctx, input): Promise<VerifyResult> {
    const result = await ctx.services.apiKeys.verify(input.token.trim(), ctx.tenant.id, input.required_scopes, undefined);
    if (result.key) ctx.audit.target = `api_key:${result.key.id}`;
    if (!result.valid) return { valid: false, reason: result.reason, ...(result.missingScopes ? { missing_scopes: result.missingScopes } : {}) };
    const { key, scopes } = result;
    return {
      valid: true,
      key_id: key.id,
      key_name: key.name,
      app: { id: key.appId, name: key.appName },
      tenant: ctx.tenant.slug,
      scopes,
      expires_at: iso(key.expiresAt),
    };
  },
});
