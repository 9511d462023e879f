import pg from 'pg';
import type { PGlite } from '@electric-sql/pglite';
import type { Logger } from '../core/log.ts';

/**
 * Cross-server invalidation over Postgres LISTEN/NOTIFY. Publishing happens inside the changing
 * transaction (`select pg_notify(...)`), so Postgres delivers it only on commit and to every server.
 * `healthy` is false while the listening connection is down: caches must not be trusted then.
 */
export interface Notifier {
  subscribe(listener: (payload: string) => void): void;
  /** Delivers a payload to this process's listeners at once (after a local commit). */
  emitLocal(payload: string): void;
  readonly healthy: boolean;
  close(): Promise<void>;
}

export const INVALIDATION_CHANNEL = 'warden_invalidate';

export class PgNotifier implements Notifier {
  #client: pg.Client | undefined;
  #listeners: ((payload: string) => void)[] = [];
  #healthy = false;
  #closed = false;
  readonly #url: string;
  readonly #log: Logger;

  constructor(url: string, log: Logger) {
    this.#url = url;
    this.#log = log;
  }

  get healthy(): boolean {
    return this.#healthy;
  }

  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#url });
    client.on('notification', (msg) => this.#emit(msg.payload ?? ''));
    client.on('error', (err) => this.#lost(err));
    client.on('end', () => this.#lost(new Error('listen connection ended')));
    await client.connect();
    await client.query(`listen ${INVALIDATION_CHANNEL}`);
    this.#client = client;
    this.#healthy = true;
    // Anything may have changed while we were not listening.
    this.#emit('*');
  }

  subscribe(listener: (payload: string) => void): void {
    this.#listeners.push(listener);
  }

  emitLocal(payload: string): void {
    this.#emit(payload);
  }

  #emit(payload: string): void {
    for (const listener of this.#listeners) listener(payload);
  }

  #lost(err: Error): void {
    if (this.#closed || !this.#healthy) return;
    this.#healthy = false;
    this.#emit('*');
    this.#log.warn('invalidation listener lost; caches bypassed until it reconnects', { error: err.message });
    const retry = () => {
      if (this.#closed) return;
      this.start().catch(() => setTimeout(retry, 500).unref());
    };
    setTimeout(retry, 200).unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#healthy = false;
    await this.#client?.end().catch(() => {});
  }
}

/** The embedded database lives in this one process; PGlite delivers NOTIFY to its own listeners. */
export class PGliteNotifier implements Notifier {
  #listeners: ((payload: string) => void)[] = [];
  readonly healthy = true;
  static async start(pglite: PGlite): Promise<PGliteNotifier> {
    const notifier = new PGliteNotifier();
    await pglite.listen(INVALIDATION_CHANNEL, (payload) => {
      for (const listener of notifier.#listeners) listener(payload);
    });
    return notifier;
  }
  subscribe(listener: (payload: string) => void): void {
    this.#listeners.push(listener);
  }
  emitLocal(payload: string): void {
    for (const listener of this.#listeners) listener(payload);
  }
  async close(): Promise<void> {}
}
