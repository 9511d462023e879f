import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * Real Postgres for tests. With WARDEN_TEST_DATABASE_URL (an admin URL to a throwaway cluster,
 * as .ci/run provides) each test file creates its own database there and drops it afterwards;
 * otherwise `privateCluster()` starts a cluster of its own with initdb/pg_ctl in a temp dir.
 * Tests never touch a database they did not create.
 */
export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

let clusterUrl: Promise<string> | undefined;

export function adminUrl(): Promise<string> {
  const fromEnv = process.env.WARDEN_TEST_DATABASE_URL;
  if (fromEnv) return Promise.resolve(fromEnv);
  clusterUrl ??= privateCluster();
  return clusterUrl;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const admin = await adminUrl();
  const name = `warden_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort().reverse() : [];
  for (const v of versions) if (existsSync(path.join(root, v, 'bin', 'initdb'))) return path.join(root, v, 'bin');
  throw new Error('These tests need PostgreSQL server binaries (initdb, pg_ctl): apt-get install postgresql, or set WARDEN_TEST_DATABASE_URL.');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function privateCluster(): Promise<string> {
  const bin = postgresBin();
  const dir = mkdtempSync(path.join(tmpdir(), 'warden-pg-'));
  const asPostgres = process.getuid?.() === 0;
  if (asPostgres) spawnSync('chown', ['-R', 'postgres', dir]);
  const run = (cmd: string, args: string[]) => {
    const r = asPostgres ? spawnSync('runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args]) : spawnSync(path.join(bin, cmd), args);
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr?.toString()}`);
  };
  run('initdb', ['-D', path.join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
  const port = await freePort();
  run('pg_ctl', ['-D', path.join(dir, 'data'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, '-l', path.join(dir, 'log'), '-w', 'start']);
  const stop = () => {
    const args = ['-D', path.join(dir, 'data'), '-m', 'immediate', 'stop'];
    if (asPostgres) spawnSync('runuser', ['-u', 'postgres', '--', path.join(bin, 'pg_ctl'), ...args]);
    else spawnSync(path.join(bin, 'pg_ctl'), args);
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stop);
  void spawn;
  return `postgres://postgres@127.0.0.1:${port}/postgres`;
}
