import type { Context } from 'hono';
import { asWardenError, type WardenError } from '../core/errors.ts';

/** RFC 9457 problem details; the same code and hint an MCP client gets. */
export function problemResponse(c: Context, err: unknown, resourceMetadataUrl: string): Response {
  const requestId = c.get('requestId') as string;
  const error: WardenError = asWardenError(err, requestId);
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  const challenge = bearerChallenge(error, resourceMetadataUrl);
  if (challenge) headers['www-authenticate'] = challenge;
  const body = {
    type: `urn:warden:error:${error.code.toLowerCase()}`,
    title: error.code,
    status: error.status,
    detail: error.message,
    code: error.code,
    ...(error.field ? { field: error.field } : {}),
    ...(error.hint ? { hint: error.hint } : {}),
    ...(error.issues ? { issues: error.issues } : {}),
    request_id: requestId,
  };
  return new Response(JSON.stringify(body), { status: error.status, headers });
}

/** RFC 6750 §3 / RFC 9728 §5.1 challenges, so OAuth clients know to (re)authenticate or step up. */
export function bearerChallenge(error: WardenError, resourceMetadataUrl: string): string | undefined {
  const rm = `resource_metadata="${resourceMetadataUrl}"`;
  if (error.status === 401) {
    if (error.code === 'AUTHENTICATION_REQUIRED') return `Bearer ${rm}`;
    return `Bearer error="invalid_token", error_description="${error.code}", ${rm}`;
  }
  if (error.code === 'INSUFFICIENT_SCOPE' && error.requiredScope) return `Bearer error="insufficient_scope", scope="${error.requiredScope}", ${rm}`;
  return undefined;
}
