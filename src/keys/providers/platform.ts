import { aeadOpen, aeadSeal, newKey } from '../aead.ts';
import type { KekClient, WrapContext, Wrapped } from './types.ts';
import { KmsError } from './types.ts';

/**
 * A platform KEK: 32 random bytes, stored wrapped under the root key (WARDEN_MASTER_KEY); data
 * keys are wrapped under it with AES-256-GCM bound to tenant, KEK and data key ids.
 */
export class PlatformKek implements KekClient {
  readonly provider = 'platform' as const;
  readonly #kekId: string;
  readonly #key: Buffer;

  constructor(kekId: string, key: Buffer) {
    this.#kekId = kekId;
    this.#key = key;
  }

  #aad(ctx: WrapContext): Buffer {
    return Buffer.from(JSON.stringify(['warden-data-key', ctx.tenantId, this.#kekId, ctx.dataKeyId]));
  }

  async generate(ctx: WrapContext): Promise<Wrapped & { key: Buffer }> {
    const key = newKey();
    return { key, ...(await this.wrap(ctx, key)) };
  }

  async wrap(ctx: WrapContext, key: Buffer): Promise<Wrapped> {
    return { wrapped: aeadSeal(this.#key, key, this.#aad(ctx)), detail: null };
  }

  async unwrap(ctx: WrapContext, wrapped: Buffer): Promise<Buffer> {
    const key = aeadOpen(this.#key, wrapped, this.#aad(ctx));
    if (!key) throw new KmsError('denied', 'platform key does not unwrap this data key (damaged or moved row)');
    return key;
  }

  async check(tenantId: string): Promise<string> {
    const ctx = { tenantId, dataKeyId: '00000000-0000-0000-0000-000000000000' };
    const { key, wrapped } = await this.generate(ctx);
    const back = await this.unwrap(ctx, wrapped);
    if (!back.equals(key)) throw new KmsError('denied', 'round trip returned a different key');
    return 'platform key round trip ok';
  }
}

/** Root-key wrapping of platform KEK material (AAD: tenant, KEK id, version). */
const kekAad = (tenantId: string, kekId: string, version: number) => Buffer.from(JSON.stringify(['warden-platform-kek', tenantId, kekId, version]));

export function wrapPlatformKek(root: Buffer, tenantId: string, kekId: string, version: number): Buffer {
  return aeadSeal(root, newKey(), kekAad(tenantId, kekId, version));
}

export function unwrapPlatformKek(root: Buffer, tenantId: string, kekId: string, version: number, material: Buffer): Buffer | undefined {
  return aeadOpen(root, material, kekAad(tenantId, kekId, version));
}
