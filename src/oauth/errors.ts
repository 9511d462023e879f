import { unauthenticated } from '../core/errors.ts';

/**
 * OAuth protocol errors (RFC 6749 §5.2, RFC 7591 §3.2.2, RFC 8693 §2.2.2, RFC 8707 §2): the
 * `error` value is the stable code clients switch on; the description names the field and fix.
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'unsupported_token_type'
  | 'invalid_redirect_uri'
  | 'invalid_client_metadata'
  | 'server_error';

export class OAuthError extends Error {
  readonly error: OAuthErrorCode;
  readonly status: number;
  constructor(error: OAuthErrorCode, description: string, status?: number) {
    super(description);
    this.error = error;
    this.status = status ?? (error === 'invalid_client' ? 401 : error === 'server_error' ? 500 : 400);
  }
  toJSON() {
    return { error: this.error, error_description: this.message };
  }
}

export const invalidRequest = (d: string) => new OAuthError('invalid_request', d);
export const invalidClient = (d: string) => new OAuthError('invalid_client', d);
export const invalidGrant = (d: string) => new OAuthError('invalid_grant', d);
export const invalidScope = (d: string) => new OAuthError('invalid_scope', d);
export const invalidTarget = (d: string) => new OAuthError('invalid_target', d);
export const unauthorizedClient = (d: string) => new OAuthError('unauthorized_client', d);

// Bearer-token failures at the resource (MCP and REST): 401 with error="invalid_token" so clients refresh.
export const tokenExpired = () => unauthenticated('TOKEN_EXPIRED', 'The access token has expired.', 'Refresh it (grant_type=refresh_token) or sign in again.');
export const tokenInvalid = (why: string) => unauthenticated('TOKEN_INVALID', `The access token is not valid: ${why}.`, 'Get a new token from the authorization server.');
export const tokenWrongAudience = () =>
  unauthenticated('TOKEN_WRONG_AUDIENCE', "The access token was issued for another resource, not Warden's MCP endpoint.", 'Request a token with resource=<Warden base URL>/mcp.');
export const tokenRevoked = () => unauthenticated('TOKEN_REVOKED', 'The access token (or its grant, client, consent or agent) has been revoked.', 'Authorize again.');
