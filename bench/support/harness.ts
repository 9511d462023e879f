// Shared by the wrk-driven benchmarks: a real Warden on a throwaway Postgres database, wrk scripts
// and result parsing. bench/run.ts runs only bench/*.ts, so this folder is never run on its own.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/env.ts';
import { createLogger } from '../../src/core/log.ts';
import { closeServices, createServices } from '../../src/app/create.ts';
import type { Services } from '../../src/app/services.ts';
import { openStorage } from '../../src/db/connect.ts';
import { startHttpServer } from '../../src/server.ts';
import { bootstrapTenant } from '../../src/tenants/bootstrap.ts';
import { createTestDatabase, freePort } from '../../test/support/postgres.ts';

export const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);

export interface Bench {
  services: Services;
  url: string;
  /** An owner PAT of tenant `bench` with every scope. */
  pat: string;
  wrkScript(method: string, headers: Record<string, string>, opts?: { body?: string; jsonRpcCall?: string }): string;
  close(): Promise<void>;
}

export function requireWrk(): void {
  if (spawnSync('wrk', ['--version']).error) {
    console.error('bench needs wrk: apt-get install wrk');
    process.exit(1);
  }
}

/** DATABASE_URL, or a throwaway database (WARDEN_TEST_DATABASE_URL's server, or a private cluster). */
export async function startBench(extend?: Parameters<typeof startHttpServer>[1]): Promise<Bench> {
  requireWrk();
  const database = process.env.DATABASE_URL ? undefined : await createTestDatabase();
  const databaseUrl = process.env.DATABASE_URL ?? database!.url;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'warden-bench-'));
  const config = loadConfig({ PORT: String(await freePort()), WARDEN_DATA_DIR: dataDir, DATABASE_URL: databaseUrl, WARDEN_LOG_LEVEL: 'error' });
  const log = createLogger('error');
  const services = await createServices(config, { log, storage: await openStorage({ databaseUrl, dataDir, log, poolSize: 20 }) });
  const server = await startHttpServer(services, extend);
  const { pat } = await bootstrapTenant(services, { tenant: 'bench', email: 'bench@example.com' });
  return {
    services,
    url: server.url,
    pat,
    wrkScript(method, headers, opts = {}) {
      const file = path.join(dataDir, `${Math.random().toString(36).slice(2)}.lua`);
      const lines = [`wrk.method = "${method}"`, ...Object.entries(headers).map(([k, v]) => `wrk.headers["${k}"] = "${v}"`)];
      if (opts.body) lines.push(`wrk.body = '${opts.body}'`);
      if (opts.jsonRpcCall) {
        // Every in-flight JSON-RPC request in a session needs its own id, as a real client sends.
        lines.push(
          'local threads = 0',
          'function setup(thread) threads = threads + 1; thread:set("tid", threads) end',
          'local n = 0',
          `function request() n = n + 1; return wrk.format(nil, nil, nil, '{"jsonrpc":"2.0","id":"' .. tostring(tid) .. '-' .. n .. '",${opts.jsonRpcCall}}') end`,
        );
      }
      writeFileSync(file, lines.join('\n'));
      return file;
    },
    async close() {
      await server.close();
      await closeServices(services);
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Result {
  name: string;
  rps: number;
  p50: string;
  p99: string;
  errors: string;
}

/** wrk runs as a child process while this process keeps serving (never spawnSync: it would block the server). */
function runWrk(args: string[]): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn('wrk', args);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', () => resolve(out));
  });
}

export async function load(name: string, url: string, script: string): Promise<Result> {
  const out = await runWrk(['-t', '2', '-c', String(CONNECTIONS), '-d', `${SECONDS}s`, '--latency', '-s', script, url]);
  if (!/Requests\/sec/.test(out)) console.error(`wrk failed for ${name}:`, out);
  return {
    name,
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0),
    p50: /\s50%\s+([\d.]+\w+)/.exec(out)?.[1] ?? '?',
    p99: /\s99%\s+([\d.]+\w+)/.exec(out)?.[1] ?? '?',
    errors: [/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1], /Socket errors: (.*)/.exec(out)?.[1]].filter(Boolean).join('; ') || 'none',
  };
}

export function printTable(title: string, unit: string, results: Result[]): void {
  console.log(`\n${title} — ${CONNECTIONS} connections × ${SECONDS} s each, Postgres, audit on, node ${process.version}`);
  console.log(`| path | ${unit} | p50 | p99 | errors |\n|---|---:|---:|---:|---|`);
  for (const r of results) console.log(`| ${r.name} | ${Number.isNaN(r.rps) ? '-' : r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.errors} |`);
}

export const MCP_CALL_TENANT_GET = '"method":"tools/call","params":{"name":"tenant_get","arguments":{}}';

export const mcpHeaders = (auth: Record<string, string>, sessionId: string) => ({
  ...auth,
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-session-id': sessionId,
  'mcp-protocol-version': '2025-06-18',
});

/** Opens an MCP session (initialize + initialized) and returns its id. */
export async function mcpSession(url: string, auth: Record<string, string>): Promise<string> {
  const headers = { ...auth, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const init = await fetch(`${url}/mcp`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } }),
  });
  const sessionId = init.headers.get('mcp-session-id')!;
  await fetch(`${url}/mcp`, { method: 'POST', headers: mcpHeaders(auth, sessionId), body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
  return sessionId;
}
