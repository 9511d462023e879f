import type { ColumnType, Generated, Selectable } from 'kysely';

/** Tables of the MFA capability (migrations/0005_mfa.ts); src/db/schema.ts lists them in Database. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;

export type MfaMethod = 'totp' | 'email' | 'sms';

export interface MfaPoliciesTable {
  tenant_id: string;
  required: ColumnType<boolean, boolean | undefined, boolean>;
  methods: ColumnType<MfaMethod[], MfaMethod[] | undefined, MfaMethod[]>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface MfaEnrolmentsTable {
  id: Generated<string>;
  tenant_id: string;
  user_id: string;
  method: MfaMethod;
  /** The TOTP seed (base32), sealed by the keyring and bound to this row's id. */
  totp_secret: string | null;
  /** E.164 phone number for SMS. */
  phone: string | null;
  /** The last accepted TOTP time step: a code at or before it is a replay. */
  last_step: ColumnType<string, string | number | bigint | undefined, string | number | bigint>;
  /** Null while the user has not yet proven the method with a code. */
  confirmed_at: NullableTimestamp;
  last_used_at: NullableTimestamp;
  created_at: CreatedAt;
}

export interface MfaRecoveryCodesTable {
  tenant_id: string;
  user_id: string;
  code_hash: Buffer;
  used_at: NullableTimestamp;
  created_at: CreatedAt;
}

export interface MfaCodesTable {
  tenant_id: string;
  user_id: string;
  method: 'email' | 'sms';
  /** Keyed hash of the outstanding 6-digit code; null once used or burnt. */
  code_hash: Buffer | null;
  destination: string;
  attempts: ColumnType<number, number | undefined, number>;
  expires_at: Timestamp;
  last_sent_at: Timestamp;
  window_started_at: Timestamp;
  sends_in_window: ColumnType<number, number | undefined, number>;
}

export type MfaEnrolment = Selectable<MfaEnrolmentsTable>;
