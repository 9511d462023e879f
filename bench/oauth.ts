// OAuth benchmark: client-credentials tokens issued per second at /oauth/token (secret auth,
// ES256 signing, a grant row per token, audit on), then MCP tools/call tenant_get with an OAuth JWT
// beside the same call with a PAT, in the same run, against real Postgres. Load from wrk
// (BENCH_CONNECTIONS connections, BENCH_SECONDS each). Prints req/s, p50, p99. Not a test.
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
const server = await startHttpServer(services);
const { pat } = await bootstrapTenant(services, { tenant: 'bench', email: 'bench@example.com' });
const patAuth = { authorization: `Bearer ${pat}`, 'x-tenant-id': 'bench' };

const agent = await (
  await fetch(`${server.url}/api/v1/agents`, {
    method: 'POST',
    headers: { ...patAuth, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench-agent', grants: [{ scope: 'tenant:read' }], auth_method: 'client_secret' }),
  })
).json();
const basic = `Basic ${Buffer.from(`${agent.client_id}:${agent.client_secret}`).toString('base64')}`;
const tokenRes = await (await fetch(`${server.url}/oauth/token`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' })).json();
const jwtAuth = { authorization: `Bearer ${tokenRes.access_token}` };

async function mcpSession(auth: Record<string, string>): Promise<string> {
  const headers = { ...auth, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const init = await fetch(`${server.url}/mcp`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } }),
  });
  const sessionId = init.headers.get('mcp-session-id')!;
  await fetch(`${server.url}/mcp`, { method: 'POST', headers: { ...headers, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' }, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
  return sessionId;
}

function wrkScript(method: string, headers: Record<string, string>, jsonRpcCall?: string, body?: string): string {
  const file = path.join(dataDir, `${Math.random().toString(36).slice(2)}.lua`);
  const lines = [`wrk.method = "${method}"`, ...Object.entries(headers).map(([k, v]) => `wrk.headers["${k}"] = "${v}"`)];
  if (body) lines.push(`wrk.body = "${body}"`);
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
const mcpHeaders = (auth: Record<string, string>, sessionId: string) => ({ ...auth, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' });
const patSession = await mcpSession(patAuth);
const jwtSession = await mcpSession(jwtAuth);

const before = await services.db.selectFrom('oauth_grants').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
const results = [
  await load('POST /oauth/token client_credentials (secret)', `${server.url}/oauth/token`, wrkScript('POST', { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, undefined, 'grant_type=client_credentials')),
  await load('MCP tools/call tenant_get (OAuth JWT)', `${server.url}/mcp`, wrkScript('POST', mcpHeaders(jwtAuth, jwtSession), callBody)),
  await load('MCP tools/call tenant_get (PAT)', `${server.url}/mcp`, wrkScript('POST', mcpHeaders(patAuth, patSession), callBody)),
];
const afterCount = await services.db.selectFrom('oauth_grants').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();

console.log(`\nWarden OAuth benchmark — ${CONNECTIONS} connections × ${SECONDS} s each, Postgres, audit on, ES256, node ${process.version}`);
console.log('| path | req/s | p50 | p99 | errors |\n|---|---:|---:|---:|---|');
for (const r of results) console.log(`| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.errors} |`);
console.log(`\ntokens issued (grant rows written): ${Number(afterCount.n) - Number(before.n)}`);
console.log(`MCP call with JWT / with PAT: ${(results[1]!.rps / results[2]!.rps).toFixed(3)}`);

await server.close();
await closeServices(services);
await database?.drop();
rmSync(dataDir, { recursive: true, force: true });
process.exit(0);
