import type { ColumnType, Generated } from 'kysely';

/** Tables of the API apps capability (migrations/0008_api_apps.ts); src/db/schema.ts lists them in Database. */
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface ApiAppsTable {
  id: Generated<string>;
  tenant_id: string;
  name: string;
  description: ColumnType<string, string | undefined, string>;
  /** The customer's own scope vocabulary for this API (e.g. "orders:read"). */
  scopes: string[];
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface ApiKeysTable {
  id: Generated<string>;
  tenant_id: string;
  app_id: string;
  name: string;
  /** HMAC-SHA-256 of the whole key under the token pepper; the key itself is never stored. */
  key_hash: Buffer;
  pepper_version: number;
  key_start: string;
  /** Fixed at creation (a subset of the app's scopes then); verify intersects with the app's current scopes. */
  scopes: string[];
  created_by: string | null;
  created_at: CreatedAt;
  /** Null: the key does not expire. */
  expires_at: NullableTimestamp;
  last_used_at: NullableTimestamp;
  last_used_ip: string | null;
  revoked_at: NullableTimestamp;
  revoked_by: string | null;
}

export interface ApiAppTables {
  api_apps: ApiAppsTable;
  api_keys: ApiKeysTable;
}
