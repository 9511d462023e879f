import type { Permission } from './permissions.ts';

/**
 * Who is calling. Every credential resolves to one of these; `actorChain` is what the audit log
 * records (user, the credential kind and id, and later the client/agent hops).
 */
export type CredentialKind = 'pat' | 'session' | 'oauth' | 'agent' | 'system';

export interface Actor {
  userId?: string;
  email?: string;
  credential: CredentialKind;
  credentialId?: string;
  clientId?: string;
  agentId?: string;
}

export interface Principal {
  userId: string | undefined;
  email: string | undefined;
  credential: CredentialKind;
  credentialId: string | undefined;
  /** Tenant the credential is bound to (PATs and tokens belong to one tenant). */
  tenantId: string | undefined;
  /** Upper bound the credential allows; intersected with the user's current role at every call. */
  scopes: ReadonlySet<Permission> | 'all';
  actorChain: Actor[];
}
