import { sql, type Kysely } from 'kysely';

// OAuth 2.1 authorization server and agents. Clients registered by MCP clients (RFC 7591) and
// Client ID Metadata Documents are global (they register before anyone signs in); everything a
// user or an agent is granted belongs to a tenant. Tokens Warden issues are stored only as keyed
// hashes; signing keys only sealed.
const statements = [
  `create table oauth_signing_keys (
    kid text primary key,
    generation integer not null unique,
    alg text not null,
    public_jwk jsonb not null,
    private_key text not null,
    created_at timestamptz not null default now(),
    rotate_after timestamptz not null,
    retire_after timestamptz not null
  )`,
  `create table oauth_clients (
    client_id text primary key,
    kind text not null check (kind in ('dynamic', 'metadata_document')),
    client_name text not null,
    redirect_uris text[] not null,
    client_uri text,
    metadata jsonb not null default '{}',
    created_at timestamptz not null default now(),
    refreshed_at timestamptz not null default now()
  )`,
  `create table oauth_client_revocations (
    tenant_id uuid not null references tenants(id) on delete cascade,
    client_id text not null,
    revoked_at timestamptz not null default now(),
    primary key (tenant_id, client_id)
  )`,
  `create table oauth_consents (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenants(id) on delete cascade,
    user_id uuid not null references users(id) on delete cascade,
    client_id text not null,
    scopes text[] not null,
    redirect_uris text[] not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    revoked_at timestamptz,
    unique (tenant_id, user_id, client_id)
  )`,
  `create table agents (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenants(id) on delete cascade,
    client_id text not null unique,
    name text not null,
    description text not null default '',
    owner_user_id uuid not null references users(id) on delete cascade,
    grants jsonb not null default '[]',
    may_act_for_users boolean not null default false,
    auth_method text not null check (auth_method in ('client_secret', 'private_key_jwt')),
    credential_days integer not null default 90,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    revoked_at timestamptz,
    unique (tenant_id, name)
  )`,
  `create table agent_credentials (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenants(id) on delete cascade,
    agent_id uuid not null references agents(id) on delete cascade,
    kind text not null check (kind in ('secret', 'public_key')),
    secret_hash bytea unique,
    pepper_version integer,
    secret_start text,
    public_jwk jsonb,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null,
    revoked_at timestamptz
  )`,
  `create index agent_credentials_agent on agent_credentials(agent_id)`,
  `create table oauth_grants (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenants(id) on delete cascade,
    kind text not null check (kind in ('authorization_code', 'client_credentials', 'token_exchange')),
    user_id uuid references users(id) on delete cascade,
    client_id text not null,
    agent_id uuid references agents(id) on delete cascade,
    consent_id uuid references oauth_consents(id) on delete cascade,
    parent_id uuid references oauth_grants(id) on delete cascade,
    scopes text[] not null,
    resource text not null,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null,
    revoked_at timestamptz
  )`,
  `create index oauth_grants_tenant_client on oauth_grants(tenant_id, client_id)`,
  `create index oauth_grants_consent on oauth_grants(consent_id)`,
  `create index oauth_grants_agent on oauth_grants(agent_id)`,
  `create index oauth_grants_parent on oauth_grants(parent_id)`,
  `create table oauth_codes (
    code_hash bytea primary key,
    tenant_id uuid not null references tenants(id) on delete cascade,
    user_id uuid not null references users(id) on delete cascade,
    client_id text not null,
    consent_id uuid not null references oauth_consents(id) on delete cascade,
    redirect_uri text not null,
    code_challenge text not null,
    scopes text[] not null,
    resource text not null,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null,
    used_at timestamptz,
    grant_id uuid references oauth_grants(id) on delete cascade
  )`,
  `create table oauth_refresh_tokens (
    token_hash bytea primary key,
    grant_id uuid not null references oauth_grants(id) on delete cascade,
    tenant_id uuid not null references tenants(id) on delete cascade,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null,
    used_at timestamptz
  )`,
  `create index oauth_refresh_tokens_grant on oauth_refresh_tokens(grant_id)`,
  `create table oauth_assertion_jtis (
    client_id text not null,
    jti text not null,
    expires_at timestamptz not null,
    primary key (client_id, jti)
  )`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const tables = [
    'oauth_assertion_jtis',
    'oauth_refresh_tokens',
    'oauth_codes',
    'oauth_grants',
    'agent_credentials',
    'agents',
    'oauth_consents',
    'oauth_client_revocations',
    'oauth_clients',
    'oauth_signing_keys',
  ];
  for (const table of tables) await sql.raw(`drop table if exists ${table} cascade`).execute(db);
}
