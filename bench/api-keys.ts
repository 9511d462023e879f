// API key verification benchmark: POST /api/v1/api-keys/verify over HTTP (the caller's PAT, the
// full pipeline: authentication, permission check, audit record) for a valid key, an unknown key
// and a malformed key, plus the verifier alone in process. One server, real Postgres, audit on.
// Load comes from wrk (BENCH_CONNECTIONS connections, BENCH_SECONDS each). Not a test.
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
import { generateToken } from '../src/crypto/token-format.ts';
import { apiKeyVerifier } from '../src/api-apps/verifier.ts';
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
const auth = { authorization: `Bearer ${pat}`, 'x-tenant-id': 'bench', 'content-type': 'application/json' };

const post = async (p: string, body: unknown) => {
  const res = await fetch(`${server.url}/api/v1${p}`, { method: 'POST', headers: auth, body: JSON.stringify(body) });
  return res.json() as Promise<any>;
};
await post('/api-apps', { name: 'orders-api', scopes: ['orders:read', 'orders:write'] });
const key = (await post('/api-apps/orders-api/keys', { name: 'bench' })).key as string;
const unknown = generateToken('api_key').token;
const malformed = key.slice(0, -1) + (key.endsWith('a') ? 'b' : 'a');
for (const [k, want] of [[key, true], [unknown, false], [malformed, false]] as const) {
  const r = await post('/api-keys/verify', { token: k, required_scopes: ['orders:read'] });
  if (r.valid !== want) throw new Error(`unexpected verify answer: ${JSON.stringify(r)}`);
}

function wrkScript(body: unknown): string {
  const file = path.join(dataDir, `${Math.random().toString(36).slice(2)}.lua`);
  const lines = ['wrk.method = "POST"', `wrk.body = '${JSON.stringify(body)}'`, ...Object.entries(auth).map(([k, v]) => `wrk.headers["${k}"] = "${v}"`)];
  writeFileSync(file, lines.join('\n'));
  return file;
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

interface Result { name: string; rps: number; p50: string; p99: string; errors: string }
async function load(name: string, body: unknown): Promise<Result> {
  const out = await runWrk(['-t', '2', '-c', String(CONNECTIONS), '-d', `${SECONDS}s`, '--latency', '-s', wrkScript(body), `${server.url}/api/v1/api-keys/verify`]);
  if (!/Requests\/sec/.test(out)) console.error(`wrk failed for ${name}:`, out);
  return {
    name,
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0),
    p50: /\s50%\s+([\d.]+\w+)/.exec(out)?.[1] ?? '?',
    p99: /\s99%\s+([\d.]+\w+)/.exec(out)?.[1] ?? '?',
    errors: [/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1], /Socket errors: (.*)/.exec(out)?.[1]].filter(Boolean).join('; ') || 'none',
  };
}

const results = [
  await load('verify: valid key (cached)', { token: key, required_scopes: ['orders:read'] }),
  await load('verify: unknown key (cached miss)', { token: unknown }),
  await load('verify: malformed key (checksum, no DB)', { token: malformed }),
];

// The verifier alone: checksum + HMAC + cache, no HTTP, no pipeline, no audit.
const tenantId = (await services.tenants.bySlug('bench'))!.id;
const verifier = apiKeyVerifier(services);
const n = 200_000;
const started = performance.now();
for (let i = 0; i < n; i++) await verifier.verify(key, tenantId, ['orders:read'], undefined);
const inProcess = n / ((performance.now() - started) / 1000);

await services.audit.flush();
const audited = await services.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<string>().as('n')).where('operation', '=', 'api_keys.verify').executeTakeFirstOrThrow();

console.log(`\nWarden API key verification — ${CONNECTIONS} connections × ${SECONDS} s each, Postgres, audit on, node ${process.version}`);
console.log('| path | verifications/s | p50 | p99 | errors |\n|---|---:|---:|---:|---|');
for (const r of results) console.log(`| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.errors} |`);
console.log(`\nverifier alone, in process (checksum + HMAC + cache): ${inProcess.toFixed(0)} verifications/s = ${(1e6 / inProcess).toFixed(1)} µs each`);
console.log(`api_keys.verify audit records written: ${audited.n}`);

await server.close();
await closeServices(services);
await database?.drop();
rmSync(dataDir, { recursive: true, force: true });
process.exit(0);
