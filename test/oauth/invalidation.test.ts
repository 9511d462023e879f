import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startWarden, type TestWarden } from '../support/warden.ts';
import { api } from '../support/http.ts';
import { form } from './helpers.ts';

// Two Warden servers on one Postgres: a token issued by A is verified by B (shared signing keys
// through the database), and revoking the agent on A ends the token on B within a second.
let a: TestWarden;
let b: TestWarden;
let owner: string;

before(async () => {
  const env = {
    WARDEN_TOKEN_PEPPERS: `1:${randomBytes(32).toString('base64')}`,
    WARDEN_SESSION_SECRET: randomBytes(32).toString('base64'),
    WARDEN_MASTER_KEY: randomBytes(32).toString('base64'),
  };
  a = await startWarden({ usePostgres: true, env });
  // B must present the same issuer as A (one public URL behind a load balancer).
  b = await startWarden({ databaseUrl: a.databaseUrl!, env: { ...env, WARDEN_BASE_URL: a.url } });
  owner = (await a.bootstrap('acme', 'owner@acme.test')).pat;
});
after(async () => {
  await b?.close();
  await a?.close();
});

async function eventually(check: () => Promise<boolean>, withinMs: number) {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

describe('OAuth across servers', () => {
  test('a token from server A works on B; revoking the agent on A stops it on B within a second', async () => {
    const created = await api(a.url, owner).post('/agents', { name: 'shared', grants: [{ scope: 'tenant:read' }], auth_method: 'client_secret' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const basic = `Basic ${Buffer.from(`${created.body.client_id}:${created.body.client_secret}`).toString('base64')}`;
    const token = (await form(`${a.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic })).body.access_token;
    assert.ok(token);
    // B's own address, A's issuer: B has A's key from the shared database.
    const bAddress = b.services.config.baseUrl === a.url ? `http://127.0.0.1:${b.services.config.port}` : b.url;
    assert.equal((await api(bAddress, token).get('/tenant')).status, 200, 'B verifies and caches');
    // B can also sign: the sealed key opens under the shared master key.
    const fromB = await form(`${bAddress}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic });
    assert.equal(fromB.status, 200, JSON.stringify(fromB.body));
    assert.equal((await api(a.url, fromB.body.access_token).get('/tenant')).status, 200);

    const revoked = await api(a.url, owner).post(`/agents/${created.body.id}/revoke`, { confirm: 'shared' });
    assert.equal(revoked.status, 200);
    assert.ok(await eventually(async () => (await api(bAddress, token).get('/tenant')).status === 401, 1000));
    assert.ok(await eventually(async () => (await api(bAddress, fromB.body.access_token).get('/tenant')).status === 401, 1000));
  });
});
