import { sql, type Kysely } from 'kysely';

// API apps (a customer's own APIs, with the scope vocabulary they define) and their keys.
// Keys are stored only as keyed hashes (HMAC under the token pepper), like PATs.
const statements = [
  `create table api_apps (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenants(id) on delete cascade,
    name text not null,
    description text not null default '',
    scopes text[] not null,
    created_by uuid references users(id) on delete set null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`,
  `create unique index api_apps_tenant_name on api_apps(tenant_id, lower(name))`,
  `create table api_keys (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenants(id) on delete cascade,
    app_id uuid not null references api_apps(id) on delete cascade,
    name text not null,
    key_hash bytea not null unique,
    pepper_version integer not null,
    key_start text not null,
    scopes text[] not null,
    created_by uuid references users(id) on delete set null,
    created_at timestamptz not null default now(),
    expires_at timestamptz,
    last_used_at timestamptz,
    last_used_ip text,
    revoked_at timestamptz,
    revoked_by uuid references users(id) on delete set null
  )`,
  `create index api_keys_tenant_app on api_keys(tenant_id, app_id, created_at)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('drop table if exists api_keys').execute(db);
  await sql.raw('drop table if exists api_apps').execute(db);
}
