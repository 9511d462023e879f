import type { ColumnType, Generated, Selectable } from 'kysely';

/** Tables of the OAuth server and agents (migrations/0006_oauth.ts); src/db/schema.ts lists them in Database. */
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string, string>;

export interface OAuthSigningKeysTable {
  kid: string;
  generation: number;
  alg: string;
  public_jwk: Json<Record<string, unknown>>;
  /** The private JWK, sealed (src/oauth/signing-keys.ts). */
  private_key: string;
  created_at: CreatedAt;
  rotate_after: Timestamp;
  retire_after: Timestamp;
}

export type OAuthClientKind = 'dynamic' | 'metadata_document';

export interface OAuthClientsTable {
  client_id: string;
  kind: OAuthClientKind;
  client_name: string;
  redirect_uris: string[];
  client_uri: string | null;
  metadata: Json<Record<string, unknown>>;
  created_at: CreatedAt;
  refreshed_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface OAuthClientRevocationsTable {
  tenant_id: string;
  client_id: string;
  revoked_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface OAuthConsentsTable {
  id: Generated<string>;
  tenant_id: string;
  user_id: string;
  client_id: string;
  scopes: string[];
  redirect_uris: string[];
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  revoked_at: NullableTimestamp;
}

export interface AgentGrant {
  scope: string;
  /** Time-bound elevation: the grant stops counting at this instant (ISO), null = until changed. */
  expires_at: string | null;
}

export type AgentAuthMethod = 'client_secret' | 'private_key_jwt';

export interface AgentsTable {
  id: Generated<string>;
  tenant_id: string;
  client_id: string;
  name: string;
  description: ColumnType<string, string | undefined, string>;
  owner_user_id: string;
  grants: Json<AgentGrant[]>;
  may_act_for_users: ColumnType<boolean, boolean | undefined, boolean>;
  auth_method: AgentAuthMethod;
  credential_days: ColumnType<number, number | undefined, number>;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  revoked_at: NullableTimestamp;
}

export interface AgentCredentialsTable {
  id: Generated<string>;
  tenant_id: string;
  agent_id: string;
  kind: 'secret' | 'public_key';
  secret_hash: Buffer | null;
  pepper_version: number | null;
  secret_start: string | null;
  public_jwk: ColumnType<Record<string, unknown> | null, string | null, string | null>;
  created_at: CreatedAt;
  expires_at: Timestamp;
  revoked_at: NullableTimestamp;
}

export type GrantKind = 'authorization_code' | 'client_credentials' | 'token_exchange';

export interface OAuthGrantsTable {
  id: Generated<string>;
  tenant_id: string;
  kind: GrantKind;
  user_id: string | null;
  client_id: string;
  agent_id: string | null;
  consent_id: string | null;
  parent_id: string | null;
  scopes: string[];
  resource: string;
  created_at: CreatedAt;
  expires_at: Timestamp;
  revoked_at: NullableTimestamp;
}

export interface OAuthCodesTable {
  code_hash: Buffer;
  tenant_id: string;
  user_id: string;
  client_id: string;
  consent_id: string;
  redirect_uri: string;
  code_challenge: string;
  scopes: string[];
  resource: string;
  created_at: CreatedAt;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
  grant_id: string | null;
}

export interface OAuthRefreshTokensTable {
  token_hash: Buffer;
  grant_id: string;
  tenant_id: string;
  created_at: CreatedAt;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
}

export interface OAuthAssertionJtisTable {
  client_id: string;
  jti: string;
  expires_at: Timestamp;
}

export interface OAuthTables {
  oauth_signing_keys: OAuthSigningKeysTable;
  oauth_clients: OAuthClientsTable;
  oauth_client_revocations: OAuthClientRevocationsTable;
  oauth_consents: OAuthConsentsTable;
  agents: AgentsTable;
  agent_credentials: AgentCredentialsTable;
  oauth_grants: OAuthGrantsTable;
  oauth_codes: OAuthCodesTable;
  oauth_refresh_tokens: OAuthRefreshTokensTable;
  oauth_assertion_jtis: OAuthAssertionJtisTable;
}

export type AgentRow = Selectable<AgentsTable>;
export type GrantRow = Selectable<OAuthGrantsTable>;
export type OAuthClientRow = Selectable<OAuthClientsTable>;
export type ConsentRow = Selectable<OAuthConsentsTable>;
