import { decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { Clock } from '../core/clock.ts';
import type { DB } from '../db/connect.ts';
import type { Notifier } from '../db/notify.ts';
import { InvalidatedCache } from '../db/invalidated-cache.ts';
import { isPermission, type Permission } from '../authz/permissions.ts';
import type { Actor, Principal } from '../authz/principal.ts';
import type { ActClaim } from './access-token.ts';
import { activeScopes } from '../agents/grants.ts';
import { tokenExpired, tokenInvalid, tokenRevoked, tokenWrongAudience } from './errors.ts';
import { SIGNING_ALG, type SigningKeys } from './signing-keys.ts';
import type { AgentGrant, GrantKind } from './tables.ts';

export const INVALIDATION = 'oauth';
const MAX_AGE_MS = 60_000;
const MAX_ENTRIES = 50_000;
const MAX_CHAIN = 8;

interface CachedGrant {
  id: string;
  tenantId: string;
  kind: GrantKind;
  userId: string | null;
  email: string | null;
  clientId: string;
  agentId: string | null;
  parentId: string | null;
  scopes: readonly string[];
  expiresAt: Date;
  revokedAt: Date | null;
}

interface CachedAgent {
  id: string;
  clientId: string;
  name: string;
  ownerUserId: string;
  grants: AgentGrant[];
  revokedAt: Date | null;
}

export interface VerifiedClaims extends JWTPayload {
  sub: string;
  client_id: string;
  scope: string;
  tid: string;
  gid: string;
  act?: ActClaim;
}

/**
 * Turns a Warden JWT access token into a principal at every call: signature (rotating keys),
 * issuer, audience (Warden's MCP resource only — no token passthrough), type and expiry; then the
 * grant chain, cached per process and dropped through LISTEN/NOTIFY, so a revoked grant, consent,
 * client or agent stops the token on every server within the notification delay. The scopes are
 * the intersection across the whole chain — every hop's scopes and every agent's current grants;
 * the operation pipeline then intersects them with the user's current role.
 */
export class AccessTokenVerifier {
  readonly #db: DB;
  readonly #clock: Clock;
  readonly #keys: SigningKeys;
  readonly #issuer: string;
  readonly #audience: string;
  readonly #grants: InvalidatedCache<CachedGrant | null>;
  readonly #agents: InvalidatedCache<CachedAgent | null>;

  constructor(deps: { db: DB; notifier: Notifier; clock: Clock; keys: SigningKeys; issuer: string; audience: string }) {
    this.#db = deps.db;
    this.#grants = new InvalidatedCache(deps.notifier, { maxAgeMs: MAX_AGE_MS, maxEntries: MAX_ENTRIES });
    this.#agents = new InvalidatedCache(deps.notifier, { maxAgeMs: MAX_AGE_MS, maxEntries: MAX_ENTRIES });
    this.#clock = deps.clock;
    this.#keys = deps.keys;
    this.#issuer = deps.issuer;
    this.#audience = deps.audience;
    deps.notifier.subscribe((payload) => {
      if (payload === '*' || payload === INVALIDATION) {
        this.#grants.clear();
        this.#agents.clear();
      }
    });
  }

  /** Signature and claims only (no revocation check): used for subject/actor tokens too. */
  async claims(token: string): Promise<VerifiedClaims> {
    let header;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw tokenInvalid('not a JWT');
    }
    if (header.alg !== SIGNING_ALG || typeof header.kid !== 'string') throw tokenInvalid('unexpected algorithm or key id');
    const key = await this.#keys.publicKey(header.kid);
    if (!key) throw tokenInvalid('unknown signing key');
    try {
      const { payload } = await jwtVerify(token, key, {
        issuer: this.#issuer,
        audience: this.#audience,
        algorithms: [SIGNING_ALG],
        typ: 'at+jwt',
        currentDate: this.#clock.now(),
        requiredClaims: ['exp', 'iat', 'jti', 'sub', 'aud'],
      });
      for (const claim of ['client_id', 'scope', 'tid', 'gid'] as const) if (typeof payload[claim] !== 'string') throw tokenInvalid(`claim ${claim} missing`);
      return payload as VerifiedClaims;
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw tokenExpired();
      if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'aud') throw tokenWrongAudience();
      if (err instanceof joseErrors.JOSEError) throw tokenInvalid(err.code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' ? 'bad signature' : err.message);
      throw err;
    }
  }

  async verify(token: string): Promise<Principal> {
    const claims = await this.claims(token);
    return this.principalFor(claims);
  }

  /** The live grant chain (leaf first) or a 401: revoked, expired, or another tenant's. */
  async chain(grantId: string, tenantId: string): Promise<CachedGrant[]> {
    const chain: CachedGrant[] = [];
    let id: string | null = grantId;
    const now = this.#clock.now();
    while (id && chain.length < MAX_CHAIN) {
      const grant = await this.#grant(id);
      if (!grant || grant.tenantId !== tenantId) throw tokenInvalid('unknown grant');
      if (grant.revokedAt) throw tokenRevoked();
      if (grant.expiresAt <= now) throw tokenExpired();
      chain.push(grant);
      id = grant.parentId;
    }
    if (id) throw tokenInvalid('delegation chain too long');
    return chain;
  }

  async principalFor(claims: VerifiedClaims): Promise<Principal> {
    const chain = await this.chain(claims.gid, claims.tid);
    const now = this.#clock.now();
    let scopes = new Set(claims.scope.split(' ').filter(isPermission));
    const narrow = (allowed: Iterable<string>) => {
      const keep = new Set(allowed);
      scopes = new Set([...scopes].filter((s) => keep.has(s)));
    };
    const agents: CachedAgent[] = [];
    for (const grant of chain) {
      narrow(grant.scopes);
      if (grant.agentId) {
        const agent = await this.#agent(grant.agentId);
        if (!agent || agent.revokedAt) throw tokenRevoked();
        narrow(activeScopes(agent.grants, now));
        agents.push(agent);
      }
    }
    const root = chain[chain.length - 1]!;
    const leaf = chain[0]!;
    // The user whose current role bounds the call: the delegating user, or the agent's owner.
    const userId = root.userId ?? agents[agents.length - 1]?.ownerUserId;
    if (!userId) throw tokenInvalid('no user behind the token');
    const actorChain: Actor[] = [];
    for (const grant of [...chain].reverse()) {
      if (grant.agentId) {
        const agent = agents.find((a) => a.id === grant.agentId)!;
        actorChain.push({ credential: 'agent', credentialId: grant.id, agentId: agent.id, clientId: agent.clientId });
      } else {
        actorChain.push({ userId: grant.userId!, ...(grant.email ? { email: grant.email } : {}), credential: 'oauth', credentialId: grant.id, clientId: grant.clientId });
      }
    }
    return {
      userId,
      email: root.email ?? undefined,
      credential: leaf.agentId ? 'agent' : 'oauth',
      credentialId: leaf.id,
      tenantId: claims.tid,
      scopes: scopes as Set<Permission>,
      actorChain,
    };
  }

  async #grant(id: string): Promise<CachedGrant | null> {
    return this.#grants.get(id, () => this.#loadGrant(id));
  }

  async #loadGrant(id: string): Promise<CachedGrant | null> {
    const row = await this.#db
      .selectFrom('oauth_grants as g')
      .leftJoin('users as u', 'u.id', 'g.user_id')
      .select(['g.id', 'g.tenant_id', 'g.kind', 'g.user_id', 'u.email', 'g.client_id', 'g.agent_id', 'g.parent_id', 'g.scopes', 'g.expires_at', 'g.revoked_at'])
      .where('g.id', '=', id)
      .executeTakeFirst();
    return row
      ? {
          id: row.id,
          tenantId: row.tenant_id,
          kind: row.kind,
          userId: row.user_id,
          email: row.email,
          clientId: row.client_id,
          agentId: row.agent_id,
          parentId: row.parent_id,
          scopes: row.scopes,
          expiresAt: new Date(row.expires_at),
          revokedAt: row.revoked_at ? new Date(row.revoked_at) : null,
        }
      : null;
  }

  async #agent(id: string): Promise<CachedAgent | null> {
    return this.#agents.get(id, async () => {
      const row = await this.#db.selectFrom('agents').select(['id', 'client_id', 'name', 'owner_user_id', 'grants', 'revoked_at']).where('id', '=', id).executeTakeFirst();
      return row
        ? { id: row.id, clientId: row.client_id, name: row.name, ownerUserId: row.owner_user_id, grants: row.grants, revokedAt: row.revoked_at ? new Date(row.revoked_at) : null }
        : null;
    });
  }
}
