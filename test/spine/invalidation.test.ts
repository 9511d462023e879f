import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startWarden, type TestWarden } from '../support/warden.ts';
import { api } from '../support/http.ts';
import { addMember } from '../support/people.ts';

// Two Warden servers on one Postgres: a change on one must reach the other's caches through
// LISTEN/NOTIFY within a second (the product promise), not after the 60 s cache age.
let a: TestWarden;
let b: TestWarden;
let owner: string;

before(async () => {
  // Servers behind one load balancer share their secrets (README: "Running several servers").
  const env = { WARDEN_TOKEN_PEPPERS: `1:${randomBytes(32).toString('base64')}`, WARDEN_SESSION_SECRET: randomBytes(32).toString('base64') };
  a = await startWarden({ usePostgres: true, env });
  b = await startWarden({ databaseUrl: a.databaseUrl!, env });
  owner = (await a.bootstrap('acme', 'owner@acme.test')).pat;
});
after(async () => {
  await b.close();
  await a.close();
});

async function eventually(check: () => Promise<boolean>, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

describe('cross-server invalidation', () => {
  test('a PAT revoked on server A stops working on server B within a second', async () => {
    const created = (await api(a.url, owner).post('/pats', { name: 'shared', scopes: ['tenant:read'] })).body;
    assert.equal((await api(b.url, created.token).get('/tenant')).status, 200, 'B has it cached now');
    await api(a.url, owner).delete(`/pats/${created.id}`, { confirm: 'shared' });
    assert.ok(await eventually(async () => (await api(b.url, created.token).get('/tenant')).status === 401, 1000));
  });

  test('a role change on server A applies on server B within a second', async () => {
    const dev = await addMember(a, owner, 'acme', 'dev@acme.test', 'admin');
    assert.equal((await api(b.url, dev.pat).get('/members')).status, 200, 'B has the admin role cached');
    await api(a.url, owner).patch('/members/dev@acme.test', { role: 'member' });
    assert.ok(await eventually(async () => (await api(b.url, dev.pat).get('/members')).status === 403, 1000));
  });

  test('a custom role edited away on A is no longer honoured on B', async () => {
    await api(a.url, owner).post('/roles', { name: 'reader', permissions: ['tenant:read', 'members:read'] });
    const r = await addMember(a, owner, 'acme', 'reader@acme.test', 'reader');
    assert.equal((await api(b.url, r.pat).get('/members')).status, 200);
    await api(a.url, owner).patch('/members/reader@acme.test', { role: 'member' });
    await api(a.url, owner).delete('/roles/reader', { confirm: 'reader' });
    assert.ok(await eventually(async () => (await api(b.url, r.pat).get('/members')).status === 403, 1000));
  });
});
