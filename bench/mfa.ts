// MFA benchmark: latency of the second step over real HTTP against the embedded database — the
// POST /login/mfa/code that opens the sealed TOTP seed, verifies the code (±1 step), advances the
// last used step atomically, writes the audit record and opens the session. The password step
// (scrypt) is timed beside it for scale. Not a test.
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
import { savePolicy } from '../src/mfa/policy.ts';
import { totpCode } from '../src/mfa/totp.ts';
import { freePort } from '../test/support/postgres.ts';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 100);
const PASSWORD = 'correct horse battery staple';
const dataDir = mkdtempSync(path.join(tmpdir(), 'warden-bench-mfa-'));
const port = await freePort();
const config = loadConfig({ PORT: String(port), WARDEN_BASE_URL: `http://127.0.0.1:${port}`, WARDEN_DATA_DIR: dataDir, WARDEN_KEY_MAINTENANCE_SECONDS: '0' });
const clock = new ManualClock();
const services = await createServices(config, { clock, log: silentLogger, storage: await openEmbedded(undefined) });
const server = await startHttpServer(services);
const base = config.baseUrl;
await bootstrapTenant(services, { tenant: 'bench', email: 'bench@example.com', password: PASSWORD });
await savePolicy(services.db, (await services.tenants.bySlug('bench'))!.id, { required: true, methods: ['totp'] }, clock.now());

const jar = new Map<string, string>();
const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
async function call(p: string, body?: Record<string, string>) {
  const res = await fetch(`${base}${p}`, {
    method: body ? 'POST' : 'GET',
    redirect: 'manual',
    headers: { cookie: cookie(), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    ...(body ? { body: new URLSearchParams(body) } : {}),
  });
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const [k, v] = pair!.split('=');
    if (/Max-Age=0|expires=Thu, 01 Jan 1970/i.test(c)) jar.delete(k!);
    else jar.set(k!, v!);
  }
  return { status: res.status, text: await res.text() };
}
const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)![1]!;

async function password() {
  jar.delete('warden_session');
  const csrf = csrfOf((await call('/login')).text);
  const t = performance.now();
  const r = await call('/login/password', { csrf, email: 'bench@example.com', password: PASSWORD });
  if (r.status !== 303) throw new Error(`password step: ${r.status}`);
  return { ms: performance.now() - t, csrf };
}

// Enrol once.
const { csrf } = await password();
const page = (await call('/login/mfa')).text;
const seed = /id="totp-secret">([A-Z2-7]+)</.exec(page)![1]!;
if ((await call('/login/mfa/code', { csrf, method: 'totp', code: await totpCode(seed, clock.now().getTime()) })).status !== 200) throw new Error('enrolment failed');

const pwd: number[] = [];
const mfa: number[] = [];
for (let i = 0; i < SAMPLES; i++) {
  clock.advance(30_000); // a fresh time step each sign-in (a step is accepted once)
  const p = await password();
  pwd.push(p.ms);
  const code = await totpCode(seed, clock.now().getTime());
  const t = performance.now();
  const r = await call('/login/mfa/code', { csrf: csrfOf((await call('/login/mfa')).text), method: 'totp', code });
  mfa.push(performance.now() - t);
  if (r.status !== 303) throw new Error(`verify: ${r.status}`);
}
const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!.toFixed(2);
console.log(`password step (scrypt)      p50 ${pct(pwd, 0.5)} ms  p95 ${pct(pwd, 0.95)} ms  (n=${SAMPLES})`);
console.log(`TOTP step (open seed, verify, claim step, audit, session)  p50 ${pct(mfa, 0.5)} ms  p95 ${pct(mfa, 0.95)} ms`);
await server.close();
await closeServices(services);
rmSync(dataDir, { recursive: true, force: true });
