/**
 * Unwrapped data keys, held in memory for a bounded time and number of uses — the AWS Encryption
 * SDK's caching CMM idea. It keeps a short KMS outage from failing requests and keeps KMS traffic
 * (and cost) low; the bounds keep a revoked customer key from being worked around for long: once
 * an entry expires, the next use asks the KMS again and a denial then fails.
 */
export interface CacheBounds {
  maxAgeMs: number;
  maxUses: number;
  maxEntries: number;
}

interface Entry {
  key: Buffer;
  expiresAt: number;
  usesLeft: number;
}

export class DataKeyCache {
  readonly #bounds: CacheBounds;
  readonly #now: () => number;
  #entries = new Map<string, Entry>();

  constructor(bounds: CacheBounds, now: () => number) {
    this.#bounds = bounds;
    this.#now = now;
  }

  /** Returns the key and counts one use, or undefined when absent, expired or used up. */
  take(tenantId: string, dataKeyId: string): Buffer | undefined {
    const id = `${tenantId}/${dataKeyId}`;
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.#now() || entry.usesLeft <= 0) {
      this.#drop(id, entry);
      return undefined;
    }
    entry.usesLeft -= 1;
    return entry.key;
  }

  put(tenantId: string, dataKeyId: string, key: Buffer): void {
    const id = `${tenantId}/${dataKeyId}`;
    this.#entries.delete(id);
    // Map iteration order is insertion order: the first entry is the oldest.
    while (this.#entries.size >= this.#bounds.maxEntries) {
      const [oldestId, oldest] = this.#entries.entries().next().value as [string, Entry];
      this.#drop(oldestId, oldest);
    }
    this.#entries.set(id, { key, expiresAt: this.#now() + this.#bounds.maxAgeMs, usesLeft: this.#bounds.maxUses });
  }

  /** Forget one tenant's keys (provider switched, key denied) or everything. */
  clear(tenantId?: string): void {
    for (const [id, entry] of this.#entries) if (!tenantId || id.startsWith(`${tenantId}/`)) this.#drop(id, entry);
  }

  get size(): number {
    return this.#entries.size;
  }

  // Keys are not zeroed on eviction: a caller may still hold the buffer across an await (a
  // re-wrap in flight), and wrapping zeros would lose data. The GC reclaims them.
  #drop(id: string, _entry: Entry): void {
    this.#entries.delete(id);
  }
}
