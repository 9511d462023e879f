// API key verification benchmark: POST /api/v1/api-keys/verify over HTTP (the caller's PAT, the
// full pipeline: authentication, permission check, audit record) for a valid key, an unknown key
// and a malformed key, plus the verifier alone in process. One server, real Postgres, audit on.
// Load comes from wrk (BENCH_CONNECTIONS connections, BENCH_SECONDS each). Not a test.
import { generateToken } from '../src/crypto/token-format.ts';
import { load, printTable, startBench } from './support/harness.ts';

const bench = await startBench();
const { services, url } = bench;
const auth = { authorization: `Bearer ${bench.pat}`, 'x-tenant-id': 'bench', 'content-type': 'application/json' };

const post = async (p: string, body: unknown) => {
  const res = await fetch(`${url}/api/v1${p}`, { method: 'POST', headers: auth, body: JSON.stringify(body) });
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

const verify = (name: string, body: unknown) => load(name, `${url}/api/v1/api-keys/verify`, bench.wrkScript('POST', auth, { body: JSON.stringify(body) }));
const results = [
  await verify('verify: valid key (cached)', { token: key, required_scopes: ['orders:read'] }),
  await verify('verify: unknown key (cached miss)', { token: unknown }),
  await verify('verify: malformed key (checksum, no DB)', { token: malformed }),
];

// The verifier alone: checksum + HMAC + cache, no HTTP, no pipeline, no audit.
const tenantId = (await services.tenants.bySlug('bench'))!.id;
const verifier = services.apiKeys;
const n = 200_000;
const started = performance.now();
for (let i = 0; i < n; i++) await verifier.verify(key, tenantId, ['orders:read'], undefined);
const inProcess = n / ((performance.now() - started) / 1000);

await services.audit.flush();
const audited = await services.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<string>().as('n')).where('operation', '=', 'api_keys.verify').executeTakeFirstOrThrow();

printTable('Warden API key verification', 'verifications/s', results);
console.log(`\nverifier alone, in process (checksum + HMAC + cache): ${inProcess.toFixed(0)} verifications/s = ${(1e6 / inProcess).toFixed(1)} µs each`);
console.log(`api_keys.verify audit records written: ${audited.n}`);

await bench.close();
process.exit(0);
