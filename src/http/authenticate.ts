import type { Services } from '../app/services.ts';
import type { Principal } from '../authz/principal.ts';
import { unauthenticated } from '../core/errors.ts';

export const missingCredentials = () =>
  unauthenticated('AUTHENTICATION_REQUIRED', 'This endpoint needs a bearer token.', 'Send "Authorization: Bearer <token>" with a personal access token (warden pat create) or an OAuth access token.');

/**
 * Resolves the bearer credential of a request to a principal. One place for every kind of token,
 * so REST and MCP accept exactly the same credentials.
 */
export async function authenticateBearer(services: Services, authorization: string | undefined, ip: string | undefined): Promise<Principal> {
  const match = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
  if (!match) throw missingCredentials();
  const token = match[1]!;
  // PATs (and every other Warden secret) start with `wdn_`; OAuth access tokens are JWTs
  // (src/oauth/verifier.ts: signature, audience = Warden's MCP resource, grant chain).
  if (token.startsWith('wdn_')) return services.pats.verify(token, ip);
  if (token.split('.').length === 3) return services.oauth.verifier.verify(token);
  return services.pats.verify(token, ip);
}
