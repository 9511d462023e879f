import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * The only place Warden touches symmetric crypto primitives for secrets: AES-256-GCM with a
 * 96-bit random nonce (NIST SP 800-38D §8.2.2; a data key seals far fewer than 2^32 values before
 * it is rotated) and associated data that binds a ciphertext to its place.
 * Layout of a sealed blob: nonce (12) ‖ ciphertext ‖ tag (16).
 */
const NONCE = 12;
const TAG = 16;
export const KEY_BYTES = 32;

export const newKey = (): Buffer => randomBytes(KEY_BYTES);

export function aeadSeal(key: Buffer, plaintext: Uint8Array, aad: Uint8Array): Buffer {
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  const body = cipher.update(plaintext);
  cipher.final();
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

/** Returns undefined when the tag does not verify (wrong key, wrong AAD, or tampered bytes). */
export function aeadOpen(key: Buffer, blob: Uint8Array, aad: Uint8Array): Buffer | undefined {
  if (blob.length < NONCE + TAG) return undefined;
  const buf = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  const decipher = createDecipheriv('aes-256-gcm', key, buf.subarray(0, NONCE));
  decipher.setAAD(aad);
  decipher.setAuthTag(buf.subarray(buf.length - TAG));
  const out = decipher.update(buf.subarray(NONCE, buf.length - TAG));
  try {
    decipher.final();
  } catch {
    out.fill(0);
    return undefined;
  }
  return out;
}
