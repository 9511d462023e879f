import { sql, type Kysely } from 'kysely';

// Encryption keys: the tenant's key-encryption keys (platform versions and BYOK customer keys),
// its data keys (each wrapped by one KEK), and its key settings (active KEK, outage policy).
const statements = [
  `create table key_encryption_keys (
    id uuid primary key,
    tenant_id uuid not null references tenants(id) on delete cascade,
    provider text not null check (provider in ('platform', 'aws', 'azure')),
    version integer not null,
    nickname text not null,
    settings jsonb not null default '{}',
    secret text,
    material bytea,
    activates_at timestamptz,
    activated_at timestamptz,
    retired_at timestamptz,
    cancelled_at timestamptz,
    health text not null default 'unknown',
    health_detail text,
    health_checked_at timestamptz,
    created_at timestamptz not null default now(),
    unique (tenant_id, version)
  )`,
  `create table key_settings (
    tenant_id uuid primary key references tenants(id) on delete cascade,
    active_kek_id uuid not null references key_encryption_keys(id),
    fail_policy text not null default 'fallback' check (fail_policy in ('fallback', 'fail_closed')),
    updated_at timestamptz not null default now()
  )`,
  `create table data_keys (
    id uuid primary key,
    tenant_id uuid not null references tenants(id) on delete cascade,
    purpose text not null default 'data' check (purpose in ('data', 'config')),
    version integer not null,
    kek_id uuid not null references key_encryption_keys(id),
    kek_detail text,
    wrapped bytea not null,
    fallback boolean not null default false,
    current boolean not null default true,
    created_at timestamptz not null default now(),
    rewrapped_at timestamptz,
    unique (tenant_id, version)
  )`,
  // One current data key per tenant and purpose; concurrent creators race on this index.
  `create unique index data_keys_current on data_keys(tenant_id, purpose) where current`,
  `create index data_keys_kek on data_keys(kek_id)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['data_keys', 'key_settings', 'key_encryption_keys']) await sql.raw(`drop table if exists ${table} cascade`).execute(db);
}
