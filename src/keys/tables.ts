import type { ColumnType, Selectable } from 'kysely';

/** Tables of the keys capability (migrations/0003_keys.ts); src/db/schema.ts lists them in Database. */
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export type KeyProvider = 'platform' | 'aws' | 'azure';
export type KmsHealth = 'unknown' | 'ok' | 'unavailable' | 'denied';
export type FailPolicy = 'fallback' | 'fail_closed';

export interface KeyEncryptionKeysTable {
  id: string;
  tenant_id: string;
  provider: KeyProvider;
  version: number;
  nickname: string;
  /** Non-secret provider settings (ARNs, vault URL, key name, client id). */
  settings: ColumnType<Record<string, unknown>, string | undefined, string>;
  /** Provider credential (Azure client secret, AWS secret access key), sealed with a config data key. */
  secret: string | null;
  /** Platform KEKs only: the key, wrapped under the root key (WARDEN_MASTER_KEY). */
  material: Buffer | null;
  activates_at: NullableTimestamp;
  activated_at: NullableTimestamp;
  retired_at: NullableTimestamp;
  cancelled_at: NullableTimestamp;
  health: ColumnType<KmsHealth, KmsHealth | undefined, KmsHealth>;
  health_detail: string | null;
  health_checked_at: NullableTimestamp;
  created_at: CreatedAt;
}

export interface KeySettingsTable {
  tenant_id: string;
  active_kek_id: string;
  fail_policy: ColumnType<FailPolicy, FailPolicy | undefined, FailPolicy>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface DataKeysTable {
  id: string;
  tenant_id: string;
  purpose: ColumnType<'data' | 'config', 'data' | 'config' | undefined, never>;
  version: number;
  kek_id: string;
  /** Provider detail needed to unwrap: the exact Azure key version (kid) or AWS key ARN. */
  kek_detail: string | null;
  wrapped: Buffer;
  /** Wrapped with the platform key because the customer's KMS was unavailable; re-wrapped when it is back. */
  fallback: ColumnType<boolean, boolean | undefined, boolean>;
  current: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: CreatedAt;
  rewrapped_at: NullableTimestamp;
}

export type KekRow = Selectable<KeyEncryptionKeysTable>;
export type DataKeyRow = Selectable<DataKeysTable>;
export type KeySettingsRow = Selectable<KeySettingsTable>;
