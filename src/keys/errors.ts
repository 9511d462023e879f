import { WardenError, invalid, notFound } from '../core/errors.ts';

/**
 * Stable error codes of the keys capability. KMS failures come in two kinds that callers and
 * admins must be able to tell apart: *unavailable* (the customer's KMS could not be reached or is
 * throttling — transient, may fall back) and *denied* (the KMS answered "no" — the customer
 * revoked access, never falls back).
 */
export const KEY_ERRORS = {
  CIPHERTEXT_MALFORMED: 'KEYS_CIPHERTEXT_MALFORMED',
  CIPHERTEXT_MISMATCH: 'KEYS_CIPHERTEXT_MISMATCH',
  DATA_KEY_NOT_FOUND: 'KEYS_DATA_KEY_NOT_FOUND',
  KMS_UNAVAILABLE: 'KMS_UNAVAILABLE',
  KMS_DENIED: 'KMS_ACCESS_DENIED',
  KMS_VALIDATION_FAILED: 'KMS_VALIDATION_FAILED',
  MASTER_KEY_MISMATCH: 'KEYS_MASTER_KEY_MISMATCH',
  NOT_CONFIGURED: 'KEYS_NOT_CONFIGURED',
  INSECURE_URL: 'KEYS_INSECURE_URL',
} as const;

export const ciphertextMalformed = () =>
  invalid(KEY_ERRORS.CIPHERTEXT_MALFORMED, 'The stored value is not a Warden ciphertext (unknown format or damaged).');

/** Deliberately does not say whether the tenant, table, column or id differed: that is an oracle. */
export const ciphertextMismatch = () =>
  new WardenError(KEY_ERRORS.CIPHERTEXT_MISMATCH, 'The stored value does not decrypt for this record: it was moved, copied or altered.', { status: 422 });

export const dataKeyNotFound = () =>
  new WardenError(KEY_ERRORS.DATA_KEY_NOT_FOUND, "The stored value names a data key this tenant does not have: it was copied from another tenant or the key was deleted.", {
    status: 422,
  });

export const kmsUnavailable = (provider: string, detail: string) =>
  new WardenError(KEY_ERRORS.KMS_UNAVAILABLE, `The tenant's ${provider} key could not be reached (${detail}).`, {
    status: 503,
    hint: 'This is usually transient; keys.status shows KMS health. The tenant policy fail_closed refuses writes while the KMS is unavailable; fallback wraps new data keys with the platform key until it is back.',
  });

export const kmsDenied = (provider: string, detail: string) =>
  new WardenError(KEY_ERRORS.KMS_DENIED, `The tenant's ${provider} key refused the request (${detail}).`, {
    status: 424,
    hint: 'The key is disabled, scheduled for deletion, or Warden lost permission to use it. Re-enable the key or restore the grant (see the README "Encryption keys" section); Warden never falls back when the customer key says no.',
  });

export const validationFailed = (provider: string, detail: string, field?: string) =>
  invalid(KEY_ERRORS.KMS_VALIDATION_FAILED, `Warden could not complete a test encryption round trip with the ${provider} key: ${detail}. Nothing was saved.`, {
    ...(field ? { field } : {}),
    hint: 'Check the key identifier, the credentials and the permissions granted (README "Encryption keys").',
  });

export const insecureUrl = (field: string) =>
  invalid(KEY_ERRORS.INSECURE_URL, `${field} must be an https:// URL.`, { field, hint: 'Key material never travels over plain HTTP.' });

export const keyNotFound = (id: string) => notFound('KEY_NOT_FOUND', `No key ${id} in this tenant.`, 'keys.status lists the tenant\'s keys.');
