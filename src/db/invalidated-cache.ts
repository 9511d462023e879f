import type { Notifier } from './notify.ts';

/**
 * A per-process cache of database lookups that LISTEN/NOTIFY keeps honest: callers drop entries
 * when a change is announced; while the listener is down nothing is cached or trusted; and every
 * entry is re-read after `maxAgeMs` anyway. Bounded, because callers cache misses too and anyone
 * can present made-up credentials (oldest entries go first: a Map keeps insertion order).
 */
export class InvalidatedCache<V> {
  readonly #notifier: Notifier;
  readonly #maxAgeMs: number;
  readonly #maxEntries: number;
  #entries = new Map<string, { value: V; at: number }>();

  constructor(notifier: Notifier, opts: { maxAgeMs: number; maxEntries: number }) {
    this.#notifier = notifier;
    this.#maxAgeMs = opts.maxAgeMs;
    this.#maxEntries = opts.maxEntries;
  }

  async get(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.#entries.get(key);
    if (hit && this.#notifier.healthy && Date.now() - hit.at <= this.#maxAgeMs) return hit.value;
    const value = await load();
    if (this.#notifier.healthy) {
      this.#entries.delete(key);
      if (this.#entries.size >= this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
      this.#entries.set(key, { value, at: Date.now() });
    }
    return value;
  }

  clear(): void {
    this.#entries.clear();
  }

  /** Drops the entries whose cached value matches (e.g. every lookup of a revoked key's app). */
  deleteWhere(matches: (value: V) => boolean): void {
    for (const [key, entry] of this.#entries) if (matches(entry.value)) this.#entries.delete(key);
  }
}
