import type { Services } from '../app/services.ts';
import type { Secret } from '../core/secret.ts';
import type { DB } from '../db/connect.ts';
import type { RecordPlace } from '../keys/format.ts';

/**
 * The one place MFA turns a TOTP seed into ciphertext and back: the keyring's envelope encryption,
 * bound to the tenant and to mfa_enrolments.totp_secret of this row's id, so a seed copied to
 * another row or tenant does not open. Pass the transaction handle when inside one.
 */
export const totpPlace = (enrolmentId: string): RecordPlace => ({ table: 'mfa_enrolments', column: 'totp_secret', id: enrolmentId });

export function sealSeed(services: Services, db: DB, tenantId: string, place: RecordPlace, seed: Secret): Promise<string> {
  return services.keyring.seal(tenantId, place, seed, db);
}

export function openSeed(services: Services, db: DB, tenantId: string, place: RecordPlace, sealed: string): Promise<Secret> {
  return services.keyring.open(tenantId, place, sealed, db);
}
