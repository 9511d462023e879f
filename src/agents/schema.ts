import { z } from 'zod';

export const DEFAULT_CREDENTIAL_DAYS = 90;
export const MAX_CREDENTIAL_DAYS = 365;
/** Overlapping rotation: the new credential and the one it replaces. */
export const MAX_LIVE_CREDENTIALS = 2;

export const grantInput = z.object({
  scope: z.string().describe('A permission name, e.g. "tenant:read"'),
  expires_at: z.iso.datetime().optional().describe('Time-bound elevation: the grant stops counting at this instant'),
});

export const publicJwkInput = z
  .record(z.string(), z.unknown())
  .describe('The agent\'s public key as a JWK (EC P-256, RSA ≥2048 or Ed25519), for private_key_jwt; never a private key');

export const credentialView = z.object({
  id: z.uuid(),
  kind: z.enum(['secret', 'public_key']),
  start: z.string().nullable().describe('Visible start of a secret, or the key id of a public key'),
  created_at: z.iso.datetime(),
  expires_at: z.iso.datetime(),
  status: z.enum(['active', 'expired', 'revoked']),
});

export const agentView = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.string(),
  client_id: z.string().describe('The OAuth client_id the agent authenticates with at /oauth/token'),
  owner_email: z.string().describe("The member whose current role bounds everything the agent does"),
  grants: z.array(z.object({ scope: z.string(), expires_at: z.iso.datetime().nullable(), active: z.boolean() })),
  may_act_for_users: z.boolean(),
  auth_method: z.enum(['client_secret', 'private_key_jwt']),
  credential_days: z.number().int(),
  credentials: z.array(credentialView),
  status: z.enum(['active', 'revoked']),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
});
export type AgentView = z.input<typeof agentView>;
