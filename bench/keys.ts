// Keys benchmark: seal+open of a 1 KiB secret through the keyring with a cached data key, beside
// raw AES-256-GCM from node:crypto in the same run (ops/s and ratio; target ≥ 0.8), then the
// latency of a cold open (data key not cached) through the platform key and each local KMS
// server (AWS KMS + STS, Azure Key Vault + Entra, over HTTPS). Not a test.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/env.ts';
import { ManualClock } from '../src/core/clock.ts';
import { silentLogger } from '../src/core/log.ts';
import { closeServices, createServices } from '../src/app/create.ts';
import { openEmbedded } from '../src/db/connect.ts';
import { startHttpServer } from '../src/server.ts';
import { bootstrapTenant } from '../src/tenants/bootstrap.ts';
import { LocalAws } from '../test/support/kms/aws.ts';
import { LocalAzure } from '../test/support/kms/azure.ts';
import { testCertificate } from '../test/support/kms/tls.ts';
import { freePort } from '../test/support/postgres.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const COLD_SAMPLES = Number(process.env.BENCH_COLD_SAMPLES ?? 50);

const aws = await LocalAws.start();
const az = await LocalAzure.start();
const dataDir = mkdtempSync(path.join(tmpdir(), 'warden-bench-keys-'));
const port = await freePort();
const config = loadConfig({
  PORT: String(port),
  WARDEN_DATA_DIR: dataDir,
  WARDEN_KMS_CA_FILE: testCertificate().caFile,
  WARDEN_AWS_KMS_ENDPOINT: aws.url,
  WARDEN_AWS_STS_ENDPOINT: aws.url,
  WARDEN_AZURE_AUTHORITY_HOST: az.authorityHost,
  WARDEN_KMS_TEST_MODE: 'true',
  WARDEN_KEY_CACHE_SECONDS: '60',
  WARDEN_KEY_CACHE_USES: String(2 ** 31),
  WARDEN_KEY_MAINTENANCE_SECONDS: '0',
});
const clock = new ManualClock();
const services = await createServices(config, { clock, log: silentLogger, storage: await openEmbedded(undefined) });
const server = await startHttpServer(services);
const kr = services.keyring;

// ——— hot path ———
const plaintext = randomBytes(1024);
const { pat } = await bootstrapTenant(services, { tenant: 'bench-platform', email: 'bench@example.com', patDays: 365 });
const tenantId = (await services.tenants.bySlug('bench-platform'))!.id;
const place = { table: 'bench', column: 'secret', id: 'row-1' };
await kr.openBytes(tenantId, place, await kr.seal(tenantId, place, plaintext)); // warm: data key cached

const rawKey = randomBytes(32);
const aad = Buffer.from(JSON.stringify(['wk1.00000000-0000-0000-0000-000000000000.1', tenantId, place.table, place.column, place.id]));
function rawRoundTrip() {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', rawKey, iv);
  c.setAAD(aad);
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  const tag = c.getAuthTag();
  const d = createDecipheriv('aes-256-gcm', rawKey, iv);
  d.setAAD(aad);
  d.setAuthTag(tag);
  return Buffer.concat([d.update(ct), d.final()]);
}

async function measure(name: string, fn: () => unknown | Promise<unknown>): Promise<number> {
  for (let i = 0; i < 2000; i++) await fn();
  let n = 0;
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 200; i++) await fn();
    n += 200;
  }
  const rate = n / SECONDS;
  console.log(`${name.padEnd(44)} ${Math.round(rate).toLocaleString('en-US').padStart(10)} seal+open/s`);
  return rate;
}

console.log(`1 KiB secret, ${SECONDS} s each, data key cached`);
const raw1 = await measure('raw AES-256-GCM (node:crypto)', rawRoundTrip);
const ring = await measure('keyring.seal + keyring.openBytes', async () => kr.openBytes(tenantId, place, await kr.seal(tenantId, place, plaintext)));
const raw2 = await measure('raw AES-256-GCM again (drift check)', rawRoundTrip);
const raw = (raw1 + raw2) / 2;
console.log(`ratio keyring / raw: ${(ring / raw).toFixed(2)} (target ≥ 0.8)`);

// ——— cold opens ———
const user = aws.addUser('bench');
const awsPat = (await bootstrapTenant(services, { tenant: 'bench-aws', email: 'bench@example.com', patDays: 365 })).pat;
const awsTenant = (await services.tenants.bySlug('bench-aws'))!.id;
const role = aws.addRole('bench', { trusted: [user.arn], externalId: awsTenant });
const keyArn = aws.createKey([role]);
const app = az.addApp();
az.createKey('bench-kek');
const azPat = (await bootstrapTenant(services, { tenant: 'bench-azure', email: 'bench@example.com', patDays: 365 })).pat;
const azTenant = (await services.tenants.bySlug('bench-azure'))!.id;
const post = (token: string, p: string, body: unknown) =>
  fetch(`${server.url}/api/v1${p}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => {
    if (r.status >= 300) throw new Error(`${p}: ${r.status} ${await r.text()}`);
  });
await post(awsPat, '/keys/aws', { nickname: 'bench-aws', key_arn: keyArn, role_arn: role, access_key_id: user.accessKeyId, secret_access_key: user.secretAccessKey });
await post(azPat, '/keys/azure', { nickname: 'bench-azure', vault_url: az.vaultUrl, entra_tenant_id: az.tenantId, client_id: app.clientId, client_secret: app.clientSecret, key_name: 'bench-kek' });
void pat;

async function cold(name: string, tenant: string) {
  const sealed = await kr.seal(tenant, place, plaintext);
  const samples: number[] = [];
  for (let i = 0; i < COLD_SAMPLES; i++) {
    clock.advance(61_000); // past WARDEN_KEY_CACHE_SECONDS: the data key must be unwrapped again
    const t = performance.now();
    await kr.openBytes(tenant, place, sealed);
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  const q = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))]!.toFixed(2);
  console.log(`${name.padEnd(44)} p50 ${q(0.5).padStart(6)} ms   p99 ${q(0.99).padStart(6)} ms`);
}
console.log(`\ncold open (data key not cached), ${COLD_SAMPLES} samples each`);
await cold('platform key (row read + local unwrap)', tenantId);
await cold('AWS KMS Decrypt (local server, HTTPS)', awsTenant);
await cold('Azure Key Vault unwrapKey (local, HTTPS)', azTenant);

await server.close();
await closeServices(services);
await aws.stop();
await az.stop();
rmSync(dataDir, { recursive: true, force: true });
