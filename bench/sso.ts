// SSO benchmark: signed SAML responses accepted per second through Warden's IdP-initiated ACS
// (HTTP, validation, replay cache, user lookup, session, audit), beside node-saml's own
// validatePostResponseAsync on the same payloads in the same process. Not a test.
// BENCH_SECONDS (default 5), BENCH_CONCURRENCY (default 8). Real Postgres, as the spine bench:
// a throwaway database (WARDEN_TEST_DATABASE_URL's server, or a private cluster).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { loadConfig } from '../src/config/env.ts';
import { silentLogger } from '../src/core/log.ts';
import { closeServices, createServices } from '../src/app/create.ts';
import { openStorage } from '../src/db/connect.ts';
import { startHttpServer } from '../src/server.ts';
import { bootstrapTenant } from '../src/tenants/bootstrap.ts';
import { spUrls } from '../src/sso/urls.ts';
import { makeKeyPair } from '../test/support/certs.ts';
import { b64, responseXml, signAssertion } from '../test/support/saml-forge.ts';
import { createTestDatabase, freePort } from '../test/support/postgres.ts';
import { api } from '../test/support/http.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const ISSUER = 'https://idp.bench.test/metadata';

const dataDir = mkdtempSync(path.join(tmpdir(), 'warden-bench-sso-'));
const port = await freePort();
const database = await createTestDatabase();
const databaseUrl = database.url;
const config = loadConfig({ PORT: String(port), WARDEN_BASE_URL: `http://127.0.0.1:${port}`, WARDEN_DATA_DIR: dataDir, WARDEN_KEY_MAINTENANCE_SECONDS: '0', DATABASE_URL: databaseUrl });
const storage = await openStorage({ databaseUrl, dataDir, log: silentLogger });
const services = await createServices(config, { log: silentLogger, storage });
const server = await startHttpServer(services);

const keys = makeKeyPair('bench-idp');
const { idp_initiated_acs_url: acs, entity_id: audience } = spUrls(config.baseUrl, 'bench');
// Signing is the IdP's cost, not Warden's: every payload is signed before the clock starts.
const expected = Math.ceil(SECONDS * 1500);
console.log(`signing ${expected} responses…`);
const payloads = Array.from({ length: expected }, () => b64(signAssertion(responseXml({ issuer: ISSUER, audience, destination: acs, recipient: acs, nameIdXml: 'user@bench.test' }), keys)));

const { pat } = await bootstrapTenant(services, { tenant: 'bench', email: 'owner@bench.test' });
const owner = api(config.baseUrl, pat, { 'x-tenant-id': 'bench' });
await owner.post('/members', { email: 'fallback@bench.test', role: 'admin' });
await owner.post('/members', { email: 'user@bench.test', role: 'member' });
const configured = await owner.put('/sso/saml', { provider: 'other', sso_url: 'https://idp.bench.test/sso', issuer: ISSUER, certificates: [keys.cert] });
if (configured.status !== 200) throw new Error(JSON.stringify(configured.body));
await owner.post('/sso/excluded-users', { email: 'fallback@bench.test' });
await owner.post('/sso/enable', {});

async function timed(label: string, run: (payload: string) => Promise<void>, reuse: boolean) {
  let next = 0;
  const latencies: number[] = [];
  const deadline = performance.now() + SECONDS * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const i = next++;
      if (!reuse && i >= payloads.length) return;
      const t0 = performance.now();
      await run(payloads[i % payloads.length]!);
      latencies.push(performance.now() - t0);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!.toFixed(1);
  const rate = latencies.length / elapsed;
  console.log(`${label.padEnd(44)} ${rate.toFixed(0).padStart(6)}/s   p50 ${q(0.5)} ms   p99 ${q(0.99)} ms   (${latencies.length} in ${elapsed.toFixed(1)} s)`);
  return rate;
}

const saml = new SAML({ callbackUrl: acs, issuer: audience, audience, idpCert: keys.cert, idpIssuer: ISSUER, wantAuthnResponseSigned: false, wantAssertionsSigned: false, validateInResponseTo: ValidateInResponseTo.never, acceptedClockSkewMs: 120_000 });
// HTTP first: a CPU-bound phase in this process would stall keep-alive timers and reset sockets.
const acsRate = await timed('Warden ACS over HTTP (Postgres)', async (p) => {
  const res = await fetch(acs, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ SAMLResponse: p }) });
  await res.arrayBuffer();
  if (res.status !== 303) throw new Error(`ACS answered ${res.status}`);
}, false);
const library = await timed('node-saml validatePostResponseAsync alone', async (p) => {
  await saml.validatePostResponseAsync({ SAMLResponse: p });
}, true);
console.log(`ratio ACS / node-saml alone: ${(acsRate / library).toFixed(2)}`);

await server.close();
await closeServices(services);
await database.drop();
rmSync(dataDir, { recursive: true, force: true });
