import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startWarden, type TestWarden } from '../support/warden.ts';
import { api } from '../support/http.ts';

let direct: TestWarden;
let proxied: TestWarden;
let directPat: string;
let proxiedPat: string;

before(async () => {
  direct = await startWarden();
  proxied = await startWarden({ env: { WARDEN_TRUST_PROXY_HOPS: '1' } });
  directPat = (await direct.bootstrap('acme', 'owner@acme.test')).pat;
  proxiedPat = (await proxied.bootstrap('acme', 'owner@acme.test')).pat;
});
after(async () => {
  await direct?.close();
  await proxied?.close();
});

async function lastIp(w: TestWarden, pat: string): Promise<string> {
  await w.services.audit.flush();
  const res = await api(w.url, pat).get('/audit/events?operation=tenant.get');
  return res.body.events.at(-1).ip;
}

test('without trusted proxies a client-written X-Forwarded-For is ignored (audit, lockouts and rate limits see the TCP peer)', async () => {
  await api(direct.url, directPat, { 'x-forwarded-for': '203.0.113.9' }).get('/tenant');
  assert.match(await lastIp(direct, directPat), /^(::ffff:)?127\.0\.0\.1$/);
});

test('with one trusted proxy, the address the proxy appended is used, not one the client planted before it', async () => {
  await api(proxied.url, proxiedPat, { 'x-forwarded-for': '198.51.100.7, 203.0.113.9' }).get('/tenant');
  assert.equal(await lastIp(proxied, proxiedPat), '203.0.113.9');
});

test('a wrong WARDEN_TRUST_PROXY_HOPS stops start-up naming the variable', async () => {
  const { loadConfig } = await import('../../src/config/env.ts');
  assert.throws(() => loadConfig({ WARDEN_TRUST_PROXY_HOPS: 'many' }), /WARDEN_TRUST_PROXY_HOPS/);
});
