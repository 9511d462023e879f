import type { ColumnType } from 'kysely';

/** Tables of the SSO capability (migrations/0004_sso.ts); src/db/schema.ts lists them in Database. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;

export type SsoProtocol = 'saml' | 'wsfed' | 'oidc';

export interface SsoSettingsTable {
  tenant_id: string;
  enabled: ColumnType<boolean, boolean | undefined, boolean>;
  protocol: SsoProtocol | null;
  provider: string | null;
  /** Non-secret parameters of the chosen protocol (URLs, certificates, client id, scopes…). */
  config: ColumnType<Record<string, unknown>, string | undefined, string>;
  /** OIDC client secret, sealed by the keyring and bound to this row. */
  client_secret: string | null;
  jit_provisioning: ColumnType<boolean, boolean | undefined, boolean>;
  jit_role: ColumnType<string, string | undefined, string>;
  updated_at: UpdatedAt;
}

export interface SsoExcludedUsersTable {
  tenant_id: string;
  user_id: string;
  created_at: CreatedAt;
}

export interface SsoReplayCacheTable {
  tenant_id: string;
  /** `assertion` (SAML/WS-Fed assertion ids seen) or `request` (outstanding AuthnRequest ids). */
  kind: string;
  id: string;
  value: ColumnType<string, string | undefined, string>;
  expires_at: Timestamp;
}
