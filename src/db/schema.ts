import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { SsoExcludedUsersTable, SsoReplayCacheTable, SsoSettingsTable } from '../sso/tables.ts';
import type { DataKeysTable, KeyEncryptionKeysTable, KeySettingsTable } from '../keys/tables.ts';
import type { OAuthTables } from '../oauth/tables.ts';
import type { ApiAppTables } from '../api-apps/tables.ts';
import type { MfaCodesTable, MfaEnrolmentsTable, MfaPoliciesTable, MfaRecoveryCodesTable } from '../mfa/tables.ts';

/** The typed truth of the schema (migrations/ is the history that produces it). */
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface TenantsTable {
  id: Generated<string>;
  slug: string;
  name: string;
  created_at: CreatedAt;
}

export interface UsersTable {
  id: Generated<string>;
  email: string;
  name: string | null;
  password_hash: string | null;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface ProjectsTable {
  id: Generated<string>;
  tenant_id: string;
  slug: string;
  name: string;
  created_at: CreatedAt;
}

export interface CustomRolesTable {
  id: Generated<string>;
  tenant_id: string;
  name: string;
  description: Generated<string>;
  permissions: string[];
  created_at: CreatedAt;
}

export interface MembershipsTable {
  tenant_id: string;
  user_id: string;
  role: string;
  created_at: CreatedAt;
}

export interface ProjectRoleBindingsTable {
  project_id: string;
  tenant_id: string;
  user_id: string;
  role: string;
}

export interface InvitationsTable {
  id: Generated<string>;
  tenant_id: string;
  user_id: string;
  token_hash: Buffer;
  expires_at: Timestamp;
  accepted_at: NullableTimestamp;
  created_at: CreatedAt;
}

export interface PatsTable {
  id: Generated<string>;
  tenant_id: string;
  user_id: string;
  name: string;
  token_hash: Buffer;
  pepper_version: number;
  token_start: string;
  scopes: string[];
  expires_at: Timestamp;
  created_at: CreatedAt;
  last_used_at: NullableTimestamp;
  last_used_ip: string | null;
  revoked_at: NullableTimestamp;
}

export interface BrowserSessionsTable {
  id_hash: Buffer;
  user_id: string;
  tenant_id: string;
  /** How the user authenticated (RFC 8176 values: pwd, otp, mfa, sms, fed…). */
  amr: ColumnType<string[], string[] | undefined, string[]>;
  created_at: CreatedAt;
  expires_at: Timestamp;
  last_seen_at: ColumnType<Date, Date | string | undefined, Date | string>;
  ip: string | null;
  user_agent: string | null;
}

export interface LoginThrottleTable {
  key: string;
  failures: number;
  window_started_at: Timestamp;
  locked_until: NullableTimestamp;
}

export interface LoginFlowsTable {
  id_hash: Buffer;
  user_id: string | null;
  tenant_id: string | null;
  stage: string;
  return_to: ColumnType<string, string | undefined, string>;
  amr: ColumnType<string[], string[] | undefined, string[]>;
  data: ColumnType<Record<string, unknown>, string | undefined, string>;
  attempts: ColumnType<number, number | undefined, number>;
  created_at: CreatedAt;
  expires_at: Timestamp;
}

export interface PasswordResetsTable {
  id: Generated<string>;
  user_id: string;
  token_hash: Buffer;
  created_at: CreatedAt;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
}

export interface AuditEventsTable {
  chain: string;
  seq: ColumnType<string, string | number | bigint, never>;
  tenant_id: string | null;
  occurred_at: Timestamp;
  actor: ColumnType<unknown, string, never>;
  operation: string;
  target: string | null;
  input: ColumnType<unknown, string | null, never>;
  outcome: string;
  error_code: string | null;
  request_id: string | null;
  ip: string | null;
  user_agent: string | null;
  prev_hash: Buffer;
  hash: Buffer;
}

export interface AuditChainHeadsTable {
  chain: string;
  seq: ColumnType<string, string | number | bigint, string | number | bigint>;
  hash: Buffer;
}

export interface Database extends OAuthTables, ApiAppTables {
  tenants: TenantsTable;
  users: UsersTable;
  projects: ProjectsTable;
  custom_roles: CustomRolesTable;
  memberships: MembershipsTable;
  project_role_bindings: ProjectRoleBindingsTable;
  invitations: InvitationsTable;
  pats: PatsTable;
  browser_sessions: BrowserSessionsTable;
  login_throttle: LoginThrottleTable;
  login_flows: LoginFlowsTable;
  password_resets: PasswordResetsTable;
  sso_settings: SsoSettingsTable;
  sso_excluded_users: SsoExcludedUsersTable;
  sso_replay_cache: SsoReplayCacheTable;
  audit_events: AuditEventsTable;
  audit_chain_heads: AuditChainHeadsTable;
  key_encryption_keys: KeyEncryptionKeysTable;
  key_settings: KeySettingsTable;
  data_keys: DataKeysTable;
  mfa_policies: MfaPoliciesTable;
  mfa_enrolments: MfaEnrolmentsTable;
  mfa_recovery_codes: MfaRecoveryCodesTable;
  mfa_codes: MfaCodesTable;
}

export type Tenant = Selectable<TenantsTable>;
export type User = Selectable<UsersTable>;
export type PatRow = Selectable<PatsTable>;
export type NewAuditEvent = Insertable<AuditEventsTable>;
