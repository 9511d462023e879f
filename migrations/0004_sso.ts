import { sql, type Kysely } from 'kysely';

// SSO: one settings row per tenant (protocol, provider, non-secret parameters, the sealed OIDC
// client secret), the users who keep password sign-in, and Postgres-backed one-time caches so
// every server agrees on replays and on outstanding SAML requests.
const statements = [
  `create table sso_settings (
    tenant_id uuid primary key references tenants(id) on delete cascade,
    enabled boolean not null default false,
    protocol text check (protocol in ('saml', 'wsfed', 'oidc')),
    provider text,
    config jsonb not null default '{}',
    client_secret text,
    jit_provisioning boolean not null default false,
    jit_role text not null default 'member',
    updated_at timestamptz not null default now()
  )`,
  `create table sso_excluded_users (
    tenant_id uuid not null references tenants(id) on delete cascade,
    user_id uuid not null references users(id) on delete cascade,
    created_at timestamptz not null default now(),
    primary key (tenant_id, user_id)
  )`,
  `create table sso_replay_cache (
    tenant_id uuid not null references tenants(id) on delete cascade,
    kind text not null,
    id text not null,
    value text not null default '',
    expires_at timestamptz not null,
    primary key (tenant_id, kind, id)
  )`,
  `create index sso_replay_cache_expiry on sso_replay_cache(expires_at)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['sso_replay_cache', 'sso_excluded_users', 'sso_settings']) await sql.raw(`drop table if exists ${table} cascade`).execute(db);
}
