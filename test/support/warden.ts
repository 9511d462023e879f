import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/env.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { silentLogger } from '../../src/core/log.ts';
import { closeServices, createServices } from '../../src/app/create.ts';
import type { Services } from '../../src/app/services.ts';
import { openEmbedded, openStorage } from '../../src/db/connect.ts';
import { startHttpServer } from '../../src/server.ts';
import { bootstrapTenant, type BootstrapResult } from '../../src/tenants/bootstrap.ts';
import { createTestDatabase, freePort, type TestDatabase } from './postgres.ts';

/**
 * A real Warden on loopback for one test file: real HTTP, and real Postgres when the suite runs
 * with WARDEN_TEST_DATABASE_URL (CI's Postgres run) or the embedded database otherwise.
 * `usePostgres: true` forces a real Postgres (tests of cross-server behaviour).
 */
export interface TestWarden {
  url: string;
  services: Services;
  clock: ManualClock;
  databaseUrl: string | undefined;
  bootstrap(tenant: string, email: string, password?: string): Promise<BootstrapResult>;
  close(): Promise<void>;
}

export const suiteUsesPostgres = () => Boolean(process.env.WARDEN_TEST_DATABASE_URL);

export async function startWarden(opts: { usePostgres?: boolean; databaseUrl?: string; env?: Record<string, string> } = {}): Promise<TestWarden> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'warden-test-'));
  let database: TestDatabase | undefined;
  let databaseUrl = opts.databaseUrl;
  if (!databaseUrl && (opts.usePostgres || suiteUsesPostgres())) {
    database = await createTestDatabase();
    databaseUrl = database.url;
  }
  const port = await freePort();
  const config = loadConfig({
    PORT: String(port),
    WARDEN_BASE_URL: `http://127.0.0.1:${port}`,
    WARDEN_DATA_DIR: dataDir,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...opts.env,
  });
  const clock = new ManualClock();
  const storage = databaseUrl ? await openStorage({ databaseUrl, dataDir, log: silentLogger, poolSize: 10 }) : await openEmbedded(undefined);
  const services = await createServices(config, { clock, log: silentLogger, storage });
  const server = await startHttpServer(services);
  return {
    url: config.baseUrl,
    services,
    clock,
    databaseUrl,
    bootstrap: (tenant, email, password) => bootstrapTenant(services, { tenant, email, ...(password ? { password } : {}) }),
    async close() {
      await server.close();
      await closeServices(services);
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
