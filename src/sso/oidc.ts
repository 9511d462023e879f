import { createHmac } from 'node:crypto';
import * as client from 'openid-client';
import { invalid } from '../core/errors.ts';
import { asEmail, FederationError, type FederatedIdentity } from './identity.ts';

export interface OidcClientSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  scopes: string[];
  /** Google's ID tokens say email_verified; an unverified address is never matched to a user. */
  requireVerifiedEmail: boolean;
}

export const DEFAULT_SCOPES = ['openid', 'email', 'profile'];
const DISCOVERY_TTL_MS = 60 * 60_000;
const TIMEOUT_S = 5;

const isLoopback = (url: URL) => ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);

/** Discovery documents, cached per process for an hour (keys rotate through jwks_uri, fetched by openid-client as needed). */
export class OidcDiscovery {
  #cache = new Map<string, { config: client.Configuration; at: number }>();

  async configuration(settings: OidcClientSettings, field = 'issuer'): Promise<client.Configuration> {
    const key = `${settings.issuer}|${settings.clientId}|${settings.clientSecret.length}`;
    const hit = this.#cache.get(key);
    if (hit && Date.now() - hit.at < DISCOVERY_TTL_MS) return hit.config;
    const issuer = new URL(settings.issuer);
    let config: client.Configuration;
    try {
      config = await client.discovery(issuer, settings.clientId, undefined, client.ClientSecretBasic(settings.clientSecret), {
        timeout: TIMEOUT_S,
        // Plain http only for an issuer on this machine (development and tests).
        ...(issuer.protocol === 'http:' && isLoopback(issuer) ? { execute: [client.allowInsecureRequests] } : {}),
      });
    } catch (err) {
      throw invalid('OIDC_DISCOVERY_FAILED', `OpenID Connect discovery at ${settings.issuer} failed: ${describe(err)}.`, {
        field,
        hint: 'The issuer URL must serve /.well-known/openid-configuration whose "issuer" equals it exactly.',
      });
    }
    this.#cache.set(key, { config, at: Date.now() });
    return config;
  }

  forget(): void {
    this.#cache.clear();
  }
}

function describe(err: unknown): string {
  const e = err as Error & { code?: string; cause?: { code?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${TIMEOUT_S} s`;
  if (e.cause?.code === 'ECONNREFUSED' || /fetch failed/.test(e.message)) return 'the connection failed';
  return e.code ? `${e.code}` : 'the response was not a valid discovery document';
}

/** PKCE verifier, state and nonce derived from the flow token, so none of them is stored. */
function derived(key: Buffer, flowToken: string, purpose: string): string {
  return createHmac('sha256', key).update(`oidc-${purpose}|${flowToken}`).digest('base64url');
}

export async function oidcSignInUrl(config: client.Configuration, settings: OidcClientSettings, redirectUri: string, key: Buffer, flowToken: string, loginHint?: string): Promise<string> {
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: settings.scopes.join(' '),
    response_type: 'code',
    code_challenge: await client.calculatePKCECodeChallenge(derived(key, flowToken, 'pkce')),
    code_challenge_method: 'S256',
    state: derived(key, flowToken, 'state'),
    nonce: derived(key, flowToken, 'nonce'),
    ...(loginHint ? { login_hint: loginHint } : {}),
  });
  return url.toString();
}

export async function oidcCallback(config: client.Configuration, settings: OidcClientSettings, callbackUrl: URL, key: Buffer, flowToken: string): Promise<FederatedIdentity> {
  const error = callbackUrl.searchParams.get('error');
  if (error) throw new FederationError('idp_error', `The provider returned ${error}.`);
  let claims: (client.IDToken & Record<string, unknown>) | undefined;
  try {
    const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: derived(key, flowToken, 'pkce'),
      expectedState: derived(key, flowToken, 'state'),
      expectedNonce: derived(key, flowToken, 'nonce'),
      idTokenExpected: true,
    });
    claims = tokens.claims();
    // Some providers put profile claims only in the UserInfo response (OIDC Core 5.4).
    if (claims && claims.email === undefined && config.serverMetadata().userinfo_endpoint) {
      const userInfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
      claims = { ...userInfo, ...claims, email: userInfo.email, email_verified: userInfo.email_verified };
    }
  } catch (err) {
    throw new FederationError(classify(err as Error), (err as Error).message);
  }
  if (!claims) throw new FederationError('no_id_token', 'The provider returned no ID token.');
  if (settings.requireVerifiedEmail && claims.email_verified === false) throw new FederationError('email_unverified', 'The provider says the email address is not verified.');
  const { iss, sub, aud, exp, iat, nonce: _nonce, at_hash: _ath, ...rest } = claims;
  return { protocol: 'oidc', issuer: iss, subject: sub, email: asEmail(claims.email), attributes: { sub, ...rest, aud, exp, iat } };
}

function classify(err: Error): string {
  const m = err.message;
  if (/state/i.test(m)) return 'state_mismatch';
  if (/nonce/i.test(m)) return 'nonce_mismatch';
  if (/code_verifier|pkce|invalid_grant/i.test(m)) return 'code_rejected';
  if (/signature|JWS/i.test(m)) return 'signature_invalid';
  if (/exp|iat|nbf/i.test(m)) return 'expired';
  if (/aud/i.test(m)) return 'audience_mismatch';
  if (/iss/i.test(m)) return 'issuer_mismatch';
  return 'invalid_response';
}
