// Spine benchmark: a bare Hono route, REST tenant.get with a PAT and MCP tools/call tenant_get with
// a PAT, side by side on one server process against real Postgres with audit on. Load comes from
// wrk (50 connections, 10 s each). Prints req/s, p50, p99 and the MCP/bare ratio. Not a test.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/env.ts';
import { createLogger } from '../src/core/log.ts';
import { closeServices, createServices } from '../src/app/create.ts';
import { openStorage } from '../src/db/connect.ts';
import { startHttpServer } from '../src/server.ts';
import { bootstrapTenant } from '../src/tenants/bootstrap.ts';
import { createTestDatabase, freePort } from '../test/support/postgres.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);

if (spawnSync('wrk', ['--version']).error) {
  console.error('bench needs wrk: apt-get install wrk');
  process.exit(1);
}

const database = process.env.DATABASE_URL ? undefined : await createTestDatabase();
const databaseUrl = process.env.DATABASE_URL ?? database!.url;
const port = await freePort();
const dataDir = mkdtempSync(path.join(tmpdir(), 'warden-bench-'));
const config = loadConfig({ PORT: String(port), WARDEN_DATA_DIR: dataDir, DATABASE_URL: databaseUrl, WARDEN_LOG_LEVEL: 'error' });
const log = createLogger('error');
const storage = await openStorage({ databaseUrl, dataDir, log, poolSize: 20 });
const services = await createServices(config, { log, storage });
const server = await startHttpServer(services, (app) => app.get('/bench/bare', (c) => c.json({ ok: true })));
const { pat } = await bootstrapTenant(services, { tenant: 'bench', email: 'bench@example.com' });
const auth = { authorization: `Bearer ${pat}`, 'x-tenant-id': 'bench' };

const init = await fetch(`${server.url}/mcp`, {
  method: 'POST',
  headers: { ...auth, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
  body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } }),
});
const sessionId = init.headers.get('mcp-session-id')!;
await fetch(`${server.url}/mcp`, {
  method: 'POST',
  headers: { ...auth, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' },
  body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
});

function wrkScript(method: string, headers: Record<string, string>, jsonRpcCall?: string): string {
  const file = path.join(dataDir, `${Math.random().toString(36).slice(2)}.lua`);
  const lines = [`wrk.method = "${method}"`, ...Object.entries(headers).map(([k, v]) => `wrk.headers["${k}"] = "${v}"`)];
  if (jsonRpcCall) {
    // Every in-flight JSON-RPC request in a session needs its own id, as a real client sends.
    lines.push(
      'local threads = 0',
      'function setup(thread) threads = threads + 1; thread:set("tid", threads) end',
      'local n = 0',
      `function request() n = n + 1; return wrk.format(nil, nil, nil, '{"jsonrpc":"2.0","id":"' .. tostring(tid) .. '-' .. n .. '",${jsonRpcCall}}') end`,
    );
  }
  writeFileSync(file, lines.join('\n'));
  return file;
}

interface Result { name: string; rps: number; p50: string; p99: string; errors: string }
/** wrk runs as a child process while this process keeps serving (never spawnSync: it would block the server). */
function runWrk(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('wrk', args);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', () => resolve({ stdout, stderr }));
  });
}

async function load(name: string, url: string, script: string): Promise<Result> {
  const r = await runWrk(['-t', '2', '-c', String(CONNECTIONS), '-d', `${SECONDS}s`, '--latency', '-s', script, url]);
  const out = r.stdout;
  if (!/Requests\/sec/.test(out)) console.error(`wrk failed for ${name}:`, r.stderr || out);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const p50 = /\s50%\s+([\d.]+\w+)/.exec(out)?.[1] ?? '?';
  const p99 = /\s99%\s+([\d.]+\w+)/.exec(out)?.[1] ?? '?';
  const errors = [/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1], /Socket errors: (.*)/.exec(out)?.[1]].filter(Boolean).join('; ') || 'none';
  return { name, rps, p50, p99, errors };
}

const callBody = '"method":"tools/call","params":{"name":"tenant_get","arguments":{}}';
const only = process.env.BENCH_ONLY; // e.g. "mcp" to profile one path
const skip = (name: string) => only !== undefined && !name.toLowerCase().includes(only);
const results = [
  skip('bare') ? { name: 'bare Hono route', rps: NaN, p50: '-', p99: '-', errors: 'skipped' } : await load('bare Hono route', `${server.url}/bench/bare`, wrkScript('GET', {})),
  skip('rest') ? { name: 'REST tenant.get (PAT)', rps: NaN, p50: '-', p99: '-', errors: 'skipped' } : await load('REST tenant.get (PAT)', `${server.url}/api/v1/tenant`, wrkScript('GET', auth)),
  await load(
    'MCP tools/call tenant_get (PAT)',
    `${server.url}/mcp`,
    wrkScript('POST', { ...auth, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' }, callBody),
  ),
];

// What the audit record costs: the group-committed writer alone, at the same concurrency.
async function auditOnly(): Promise<{ perSecond: number; perRecordUs: number }> {
  const tenantId = (await services.tenants.bySlug('bench'))!.id;
  const started = performance.now();
  let written = 0;
  const deadline = started + Math.min(SECONDS, 5) * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < deadline) {
        await services.audit.record({ tenantId, actor: [{ credential: 'pat', credentialId: 'bench' }], operation: 'bench.audit', input: {}, outcome: 'success', occurredAt: new Date() });
        written++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: written / seconds, perRecordUs: (seconds * 1e6) / written };
}
const audit = await auditOnly();

await services.audit.flush();
const audited = await services.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();

console.log(`\nWarden spine benchmark — ${CONNECTIONS} connections × ${SECONDS} s each, Postgres, audit on, node ${process.version}`);
console.log('| path | req/s | p50 | p99 | errors |\n|---|---:|---:|---:|---|');
for (const r of results) console.log(`| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.errors} |`);
console.log(`\nMCP call / bare route: ${(results[2]!.rps / results[0]!.rps).toFixed(3)}; REST / bare: ${(results[1]!.rps / results[0]!.rps).toFixed(3)}`);
console.log(`audit records written during the run: ${audited.n}`);
console.log(`audit writer alone (group commit, ${CONNECTIONS} concurrent): ${audit.perSecond.toFixed(0)} records/s = ${audit.perRecordUs.toFixed(0)} µs of wall time per record, vs ${(1e6 / results[2]!.rps).toFixed(0)} µs per MCP call at full load`);

await server.close();
await closeServices(services);
await database?.drop();
rmSync(dataDir, { recursive: true, force: true });
process.exit(0);
