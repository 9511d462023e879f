import { sql, type Kysely } from 'kysely';

// Browser login: sessions belong to the tenant they were opened for and record how the user
// authenticated (amr); multi-step sign-ins (tenant choice, MFA, SSO round trips) keep their
// state server-side in login_flows, keyed by the hash of a cookie-held token.
const statements = [
  `delete from browser_sessions`,
  `alter table browser_sessions add column tenant_id uuid not null references tenants(id) on delete cascade`,
  `alter table browser_sessions add column amr text[] not null default '{}'`,
  `create index browser_sessions_user on browser_sessions(user_id)`,
  `create index browser_sessions_expiry on browser_sessions(expires_at)`,
  `create table login_flows (
    id_hash bytea primary key,
    user_id uuid references users(id) on delete cascade,
    tenant_id uuid references tenants(id) on delete cascade,
    stage text not null,
    return_to text not null default '/',
    amr text[] not null default '{}',
    data jsonb not null default '{}',
    attempts integer not null default 0,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null
  )`,
  `create index login_flows_expiry on login_flows(expires_at)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('drop table if exists login_flows').execute(db);
  await sql.raw('drop index if exists browser_sessions_user').execute(db);
  await sql.raw('drop index if exists browser_sessions_expiry').execute(db);
  await sql.raw('alter table browser_sessions drop column if exists amr, drop column if exists tenant_id').execute(db);
}
