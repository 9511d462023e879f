import { sql, type Kysely } from 'kysely';

// MFA: a policy per tenant; enrolments per (tenant, user, method) — the TOTP seed sealed by the
// keyring and bound to its row, the last accepted time step for replay refusal; recovery codes and
// the email/SMS one-time codes stored only as keyed hashes.
const statements = [
  `create table mfa_policies (
    tenant_id uuid primary key references tenants(id) on delete cascade,
    required boolean not null default false,
    methods text[] not null default '{totp}',
    updated_at timestamptz not null default now()
  )`,
  `create table mfa_enrolments (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenants(id) on delete cascade,
    user_id uuid not null references users(id) on delete cascade,
    method text not null check (method in ('totp', 'email', 'sms')),
    totp_secret text,
    phone text,
    last_step bigint not null default 0,
    confirmed_at timestamptz,
    last_used_at timestamptz,
    created_at timestamptz not null default now(),
    unique (tenant_id, user_id, method)
  )`,
  `create table mfa_recovery_codes (
    tenant_id uuid not null references tenants(id) on delete cascade,
    user_id uuid not null references users(id) on delete cascade,
    code_hash bytea not null,
    used_at timestamptz,
    created_at timestamptz not null default now(),
    primary key (tenant_id, user_id, code_hash)
  )`,
  `create table mfa_codes (
    tenant_id uuid not null references tenants(id) on delete cascade,
    user_id uuid not null references users(id) on delete cascade,
    method text not null check (method in ('email', 'sms')),
    code_hash bytea,
    destination text not null,
    attempts integer not null default 0,
    expires_at timestamptz not null,
    last_sent_at timestamptz not null,
    window_started_at timestamptz not null,
    sends_in_window integer not null default 0,
    primary key (tenant_id, user_id, method)
  )`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['mfa_codes', 'mfa_recovery_codes', 'mfa_enrolments', 'mfa_policies']) await sql.raw(`drop table if exists ${table} cascade`).execute(db);
}
