import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Clock } from '../core/clock.ts';
import { SIGNING_ALG, type SigningKeys } from './signing-keys.ts';

/** At most one hour (issue 6): short enough that revocation is belt and braces, not the only defence. */
export const ACCESS_TOKEN_SECONDS = 3600;

/** RFC 8693 §4.1 actor claim: the current actor, with earlier actors nested inside. */
export interface ActClaim {
  sub: string;
  client_id?: string;
  act?: ActClaim;
}

export interface AccessTokenFields {
  /** User id, or the agent's client_id for client-credentials tokens. */
  subject: string;
  clientId: string;
  tenantId: string;
  grantId: string;
  scopes: readonly string[];
  audience: string;
  act?: ActClaim | undefined;
  /** Seconds; capped at ACCESS_TOKEN_SECONDS. */
  lifetime?: number;
}

export interface IssuedAccessToken {
  token: string;
  expiresIn: number;
  jti: string;
}

/**
 * RFC 9068 JWT access tokens (`typ: at+jwt`): iss, aud (the RFC 8707 resource), sub, client_id,
 * scope, iat, exp, jti; plus `tid` (the tenant the token belongs to) and `gid` (the grant whose
 * revocation ends it on every server).
 */
export class AccessTokenIssuer {
  readonly #keys: SigningKeys;
  readonly #issuer: string;
  readonly #clock: Clock;
  constructor(keys: SigningKeys, issuer: string, clock: Clock) {
    this.#keys = keys;
    this.#issuer = issuer;
    this.#clock = clock;
  }

  async issue(f: AccessTokenFields): Promise<IssuedAccessToken> {
    const { kid, key } = await this.#keys.current();
    const now = Math.floor(this.#clock.now().getTime() / 1000);
    const expiresIn = Math.max(1, Math.min(ACCESS_TOKEN_SECONDS, Math.floor(f.lifetime ?? ACCESS_TOKEN_SECONDS)));
    const jti = randomUUID();
    const token = await new SignJWT({
      client_id: f.clientId,
      scope: f.scopes.join(' '),
      tid: f.tenantId,
      gid: f.grantId,
      ...(f.act ? { act: f.act } : {}),
    })
      .setProtectedHeader({ alg: SIGNING_ALG, typ: 'at+jwt', kid })
      .setIssuer(this.#issuer)
      .setAudience(f.audience)
      .setSubject(f.subject)
      .setIssuedAt(now)
      .setExpirationTime(now + expiresIn)
      .setJti(jti)
      .sign(key);
    return { token, expiresIn, jti };
  }
}
