import type { KeyProvider } from '../tables.ts';

/**
 * A key-encryption key Warden can wrap and unwrap data keys with. Implementations: the platform
 * key (local AES-GCM under the root key), AWS KMS and Azure Key Vault.
 */
export interface WrapContext {
  tenantId: string;
  dataKeyId: string;
}

export interface Wrapped {
  wrapped: Buffer;
  /** What unwrapping needs besides the bytes (the exact Azure key version); null when nothing. */
  detail: string | null;
}

export interface KekClient {
  readonly provider: KeyProvider;
  /** A new data key and its wrapped form (AWS: GenerateDataKey; others generate locally). */
  generate(ctx: WrapContext): Promise<Wrapped & { key: Buffer }>;
  wrap(ctx: WrapContext, key: Buffer): Promise<Wrapped>;
  unwrap(ctx: WrapContext, wrapped: Buffer, detail: string | null): Promise<Buffer>;
  /** Describe the key and do a full round trip; throws KmsError. Returns a line for the admin. */
  check(tenantId: string): Promise<string>;
}

/**
 * `unavailable`: could not reach the KMS, timed out, 5xx, throttled — transient.
 * `denied`: the KMS answered no — disabled key, access denied, invalid state, unknown key,
 * wrong credentials. Never retried with another key.
 */
export type KmsFailure = 'unavailable' | 'denied';

export class KmsError extends Error {
  readonly kind: KmsFailure;
  /** Safe to show: an error name/code and a short reason, never credentials or key material. */
  readonly detail: string;
  constructor(kind: KmsFailure, detail: string) {
    super(`${kind}: ${detail}`);
    this.name = 'KmsError';
    this.kind = kind;
    this.detail = detail;
  }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET']);

/** Shared part of classifying transport failures (both SDKs surface Node socket errors). */
export function networkFailure(err: unknown): string | undefined {
  let e = err as { code?: string; name?: string; message?: string; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 4; depth++) {
    if (e.code && NETWORK_CODES.has(e.code)) return e.code;
    if (e.name === 'TimeoutError' || e.name === 'AbortError' || e.code === 'REQUEST_SEND_ERROR' && /timeout/i.test(e.message ?? '')) return 'timeout';
    if (/timed? ?out|timeout/i.test(e.message ?? '') && !/token/i.test(e.name ?? '')) return 'timeout';
    const inMessage = /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN)\b/.exec(e.message ?? '')?.[1];
    if (inMessage) return inMessage;
    e = e.cause as typeof e;
  }
  return undefined;
}

/** Short, secret-free text of an SDK error message. */
export const shortMessage = (message: string | undefined) => (message ?? '').replace(/\s+/g, ' ').slice(0, 200);
