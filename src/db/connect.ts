import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Database } from './schema.ts';
import { PGliteDialect } from './pglite-driver.ts';
import { PGliteNotifier, PgNotifier, INVALIDATION_CHANNEL, type Notifier } from './notify.ts';
import type { Logger } from '../core/log.ts';

export type DB = Kysely<Database>;

export interface Storage {
  db: DB;
  notifier: Notifier;
  kind: 'postgres' | 'embedded';
  close(): Promise<void>;
}

// int8 as string (no silent precision loss) — the same on both drivers.
pg.types.setTypeParser(20, (v) => v);

export async function openStorage(opts: { databaseUrl: string | undefined; dataDir: string; log: Logger; poolSize?: number }): Promise<Storage> {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.poolSize ?? 20 });
    // An idle connection dropped by the server (restart, failover) must not crash the process;
    // the pool replaces it on the next checkout.
    pool.on('error', (err) => opts.log.warn('idle database connection lost', { error: err.message }));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    const notifier = new PgNotifier(opts.databaseUrl, opts.log);
    await notifier.start();
    return {
      db,
      notifier,
      kind: 'postgres',
      async close() {
        await notifier.close();
        await db.destroy();
      },
    };
  }
  return openEmbedded(path.join(opts.dataDir, 'pgdata'));
}

export async function openEmbedded(dir: string | undefined): Promise<Storage> {
  const { PGlite } = await import('@electric-sql/pglite');
  if (dir) mkdirSync(dir, { recursive: true });
  const pglite = await PGlite.create(dir, {
    parsers: {
      17: (v: string) => Buffer.from(v.slice(2), 'hex'),
      20: (v: string) => v,
    },
  });
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  const notifier = await PGliteNotifier.start(pglite);
  return {
    db,
    notifier,
    kind: 'embedded',
    async close() {
      await db.destroy();
      await pglite.close();
    },
  };
}

/** Call inside the transaction that makes the change: Postgres delivers it at commit, to every server. */
const localInvalidations = new WeakMap<object, string[]>();

/**
 * Collects the invalidations published inside `trx`, so the caller can apply them to this
 * process's caches the moment the transaction commits: the server that made a change never
 * serves a stale cache entry while its own NOTIFY is still on the way back.
 */
export function collectInvalidations(trx: DB, into: string[]): void {
  localInvalidations.set(trx, into);
}

/** Runs `work` in a transaction; the invalidations it publishes reach this process's caches at commit. */
export async function transact<T>(db: DB, notifier: Notifier, work: (trx: DB) => Promise<T>): Promise<T> {
  const invalidations: string[] = [];
  const result = await db.transaction().execute((trx) => {
    collectInvalidations(trx, invalidations);
    return work(trx);
  });
  for (const payload of invalidations) notifier.emitLocal(payload);
  return result;
}

export async function publishInvalidation(db: DB, payload: string): Promise<void> {
  await sql`select pg_notify(${INVALIDATION_CHANNEL}, ${payload})`.execute(db);
  localInvalidations.get(db)?.push(payload);
}
