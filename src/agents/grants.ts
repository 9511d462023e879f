import type { AgentGrant } from '../oauth/tables.ts';

/** The scopes an agent holds right now: time-bound grants stop counting at their expiry. */
export function activeScopes(grants: readonly AgentGrant[], now: Date): string[] {
  return grants.filter((g) => !g.expires_at || new Date(g.expires_at) > now).map((g) => g.scope);
}
