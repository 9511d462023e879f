import { sql, type Kysely } from 'kysely';

// The spine: tenants, users, roles, PATs, browser sessions, login throttling and the audit chain.
const statements = [
  `create table tenants (
    id uuid primary key default gen_random_uuid(),
    slug text not null unique,
    name text not null,
    created_at timestamptz not null default now()
  )`,
  `create table users (
    id uuid primary key default gen_random_uuid(),
    email text not null unique,
    name text,
    password_hash text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`,
  `create table projects (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenants(id) on delete cascade,
    slug text not null,
    name text not null,
    created_at timestamptz not null default now(),
    unique (tenant_id, slug)
  )`,
  `create table custom_roles (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenants(id) on delete cascade,
    name text not null,
    description text not null default '',
    permissions text[] not null,
    created_at timestamptz not null default now(),
    unique (tenant_id, name)
  )`,
  `create table memberships (
    tenant_id uuid not null references tenants(id) on delete cascade,
    user_id uuid not null references users(id) on delete cascade,
    role text not null,
    created_at timestamptz not null default now(),
    primary key (tenant_id, user_id)
  )`,
  `create index memberships_user on memberships(user_id)`,
  `create table project_role_bindings (
    project_id uuid not null references projects(id) on delete cascade,
    tenant_id uuid not null references tenants(id) on delete cascade,
    user_id uuid not null references users(id) on delete cascade,
    role text not null,
    primary key (project_id, user_id)
  )`,
  `create table invitations (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenants(id) on delete cascade,
    user_id uuid not null references users(id) on delete cascade,
    token_hash bytea not null unique,
    expires_at timestamptz not null,
    accepted_at timestamptz,
    created_at timestamptz not null default now()
  )`,
  `create table pats (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenants(id) on delete cascade,
    user_id uuid not null references users(id) on delete cascade,
    name text not null,
    token_hash bytea not null unique,
    pepper_version integer not null,
    token_start text not null,
    scopes text[] not null,
    expires_at timestamptz not null,
    created_at timestamptz not null default now(),
    last_used_at timestamptz,
    last_used_ip text,
    revoked_at timestamptz
  )`,
  `create index pats_tenant_user on pats(tenant_id, user_id)`,
  `create table browser_sessions (
    id_hash bytea primary key,
    user_id uuid not null references users(id) on delete cascade,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null,
    last_seen_at timestamptz not null default now(),
    ip text,
    user_agent text
  )`,
  `create table login_throttle (
    key text primary key,
    failures integer not null default 0,
    window_started_at timestamptz not null,
    locked_until timestamptz
  )`,
  `create table audit_events (
    chain text not null,
    seq bigint not null,
    tenant_id uuid,
    occurred_at timestamptz not null,
    actor jsonb not null,
    operation text not null,
    target text,
    input jsonb,
    outcome text not null,
    error_code text,
    request_id text,
    ip text,
    user_agent text,
    prev_hash bytea not null,
    hash bytea not null,
    primary key (chain, seq)
  )`,
  `create index audit_events_tenant_time on audit_events(tenant_id, occurred_at)`,
  `create table audit_chain_heads (
    chain text primary key,
    seq bigint not null,
    hash bytea not null
  )`,
  // Append-only: an UPDATE or DELETE through the application's role is refused. audit.verify
  // still catches a superuser who disables this trigger and edits rows.
  `create function audit_events_append_only() returns trigger language plpgsql as $$
   begin raise exception 'audit_events is append-only'; end $$`,
  `create trigger audit_events_no_update before update or delete on audit_events
   for each row execute function audit_events_append_only()`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['audit_chain_heads', 'audit_events', 'login_throttle', 'browser_sessions', 'pats', 'invitations',
    'project_role_bindings', 'memberships', 'custom_roles', 'projects', 'users', 'tenants']) {
    await sql.raw(`drop table if exists ${table} cascade`).execute(db);
  }
  await sql.raw('drop function if exists audit_events_append_only()').execute(db);
}
