import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startWarden, type TestWarden } from '../support/warden.ts';
import { api } from '../support/http.ts';
import { eventually } from './helpers.ts';

// Two Warden servers on one Postgres: revoking a key, narrowing or deleting its app on server A
// must reach server B's verify cache through LISTEN/NOTIFY within a second, not after 60 s.
let a: TestWarden;
let b: TestWarden;
let owner: string;

before(async () => {
  const env = { WARDEN_TOKEN_PEPPERS: `1:${randomBytes(32).toString('base64')}`, WARDEN_SESSION_SECRET: randomBytes(32).toString('base64') };
  a = await startWarden({ usePostgres: true, env });
  b = await startWarden({ databaseUrl: a.databaseUrl!, env });
  owner = (await a.bootstrap('multi', 'owner@multi.test')).pat;
});
after(async () => {
  await b.close();
  await a.close();
});

const onB = (token: string, required_scopes: string[] = []) => api(b.url, owner).post('/api-keys/verify', { token, required_scopes });

describe('API keys across servers', () => {
  test('revoked on A: refused on B within a second', async () => {
    await api(a.url, owner).post('/api-apps', { name: 'svc', scopes: ['s:read', 's:write'] });
    const key = (await api(a.url, owner).post('/api-apps/svc/keys', { name: 'shared' })).body;
    assert.equal((await onB(key.key)).body.valid, true, 'B has it cached now');
    const started = Date.now();
    await api(a.url, owner).delete(`/api-keys/${key.id}`, { confirm: 'shared' });
    assert.ok(await eventually(async () => (await onB(key.key)).body.reason === 'revoked', 1000));
    console.log(`  revocation seen on B after ${Date.now() - started} ms`);
  });

  test('scope narrowing on A: applied on B within a second', async () => {
    const key = (await api(a.url, owner).post('/api-apps/svc/keys', { name: 'narrow-me' })).body;
    assert.equal((await onB(key.key, ['s:write'])).body.valid, true);
    await api(a.url, owner).patch('/api-apps/svc', { scopes: ['s:read'] });
    assert.ok(await eventually(async () => (await onB(key.key, ['s:write'])).body.reason === 'insufficient_scope', 1000));
    assert.deepEqual((await onB(key.key)).body.scopes, ['s:read']);
  });

  test('app deleted on A: its keys are not_found on B within a second', async () => {
    const key = (await api(a.url, owner).post('/api-apps/svc/keys', { name: 'doomed' })).body;
    assert.equal((await onB(key.key)).body.valid, true);
    await api(a.url, owner).delete('/api-apps/svc', { confirm: 'svc' });
    assert.ok(await eventually(async () => (await onB(key.key)).body.reason === 'not_found', 1000));
  });
});
