import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startWarden, type TestWarden } from '../support/warden.ts';
import { api } from '../support/http.ts';
import { addMember } from '../support/people.ts';
import { connectMcp, parseToolError } from '../support/mcp.ts';
import { dumpDatabase, eventually } from './helpers.ts';

let w: TestWarden;
let owner: string;
let rest: ReturnType<typeof api>;
const issued: string[] = [];

before(async () => {
  w = await startWarden();
  owner = (await w.bootstrap('shop', 'owner@shop.test')).pat;
  rest = api(w.url, owner);
});
after(() => w.close());

async function newKey(app: string, body: Record<string, unknown> = {}) {
  const res = await rest.post(`/api-apps/${app}/keys`, { name: 'k', ...body });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  issued.push(res.body.key);
  return res.body;
}
const verify = (token: string, extra: Record<string, unknown> = {}, client = rest) => client.post('/api-keys/verify', { token, ...extra });

describe('API apps', () => {
  test('create, list, get, and names are unique per tenant (case-insensitive)', async () => {
    const res = await rest.post('/api-apps', { name: 'orders-api', description: 'Orders', scopes: ['orders:read', 'orders:write', 'orders:read'] });
    assert.equal(res.status, 201);
    assert.deepEqual(res.body.scopes, ['orders:read', 'orders:write']);
    assert.equal(res.body.created_by, 'owner@shop.test');
    assert.equal(res.body.active_keys, 0);
    const dup = await rest.post('/api-apps', { name: 'Orders-API', scopes: [] });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.code, 'API_APP_NAME_TAKEN');
    const list = await rest.get('/api-apps');
    assert.deepEqual(list.body.apps.map((a: any) => a.name), ['orders-api']);
    assert.equal((await rest.get(`/api-apps/${res.body.id}`)).body.name, 'orders-api');
    assert.equal((await rest.get('/api-apps/ORDERS-API')).body.id, res.body.id, 'by name too');
    assert.equal((await rest.get('/api-apps/nope')).body.code, 'API_APP_NOT_FOUND');
  });

  test('scope format is validated', async () => {
    for (const bad of ['has space', '', ':leading', 'quote"d', 'x'.repeat(101)]) {
      const res = await rest.post('/api-apps', { name: `bad-${bad.length}`, scopes: [bad] });
      assert.equal(res.status, 400, bad);
      assert.equal(res.body.code, 'VALIDATION_FAILED');
      assert.match(res.body.field, /^scopes/);
    }
    const ok = await rest.post('/api-apps', { name: 'styles', scopes: ['read:orders', 'billing.invoices.write', 'https://api.shop.test/orders', 'admin:*'] });
    assert.equal(ok.status, 201);
  });
});

describe('API keys', () => {
  test('a key is shown once, verifies with its app, tenant and scopes, and is listed without its secret', async () => {
    const key = await newKey('orders-api', { name: 'backend', scopes: ['orders:read'] });
    assert.match(key.key, /^wdn_key_[0-9A-Za-z]{36}$/);
    assert.equal(key.key_start, key.key.slice(0, 12));
    assert.equal(key.expires_at, null, 'no expiry by default');
    const res = await verify(key.key);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { valid: true, key_id: key.id, key_name: 'backend', app: { id: key.app_id, name: 'orders-api' }, tenant: 'shop', scopes: ['orders:read'], expires_at: null });
    const list = await rest.get('/api-keys?app=orders-api');
    const listed = list.body.keys.find((k: any) => k.id === key.id);
    assert.equal(listed.status, 'active');
    assert.equal(listed.key_start, key.key_start);
    assert.ok(!JSON.stringify(list.body).includes(key.key), 'never the secret');
    assert.ok(await eventually(async () => (await rest.get('/api-keys')).body.keys.find((k: any) => k.id === key.id).last_used_at !== null, 2000), 'last use recorded');
  });

  test('default scopes are all of the app’s; scopes outside the app are refused', async () => {
    const all = await newKey('orders-api');
    assert.deepEqual(all.scopes, ['orders:read', 'orders:write']);
    const bad = await rest.post('/api-apps/orders-api/keys', { name: 'x', scopes: ['orders:read', 'payments:write'] });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'SCOPE_NOT_IN_APP');
  });

  test('required_scopes: a key lacking one is invalid with the missing scopes named', async () => {
    const key = await newKey('orders-api', { scopes: ['orders:read'] });
    assert.equal((await verify(key.key, { required_scopes: ['orders:read'] })).body.valid, true);
    const res = await verify(key.key, { required_scopes: ['orders:read', 'orders:write'] });
    assert.deepEqual(res.body, { valid: false, reason: 'insufficient_scope', missing_scopes: ['orders:write'] });
  });

  test('a tampered or malformed key is refused by its checksum, without a database read', async () => {
    const key = await newKey('orders-api');
    const last = key.key.at(-8)!;
    const tampered = key.key.slice(0, -8) + (last === 'a' ? 'b' : 'a') + key.key.slice(-7);
    let reads = 0;
    const db = w.services.db as any;
    const original = db.selectFrom.bind(db);
    db.selectFrom = (...args: unknown[]) => {
      if (String(args[0]).startsWith('api_keys')) reads++;
      return original(...args);
    };
    try {
      for (const t of [tampered, 'wdn_key_short', 'not-a-key', key.key.replace('wdn_key_', 'wdn_pat_')]) {
        assert.deepEqual((await verify(t)).body, { valid: false, reason: 'malformed' }, t);
      }
    } finally {
      db.selectFrom = original;
    }
    assert.equal(reads, 0, 'no lookup for malformed keys');
  });

  test('revoke needs confirmation, then the key is refused at once; revoked keys cannot be changed back', async () => {
    const key = await newKey('orders-api', { name: 'to-revoke' });
    assert.equal((await verify(key.key)).body.valid, true, 'cached now');
    const ask = await rest.delete(`/api-keys/${key.id}`);
    assert.equal(ask.body.code, 'CONFIRMATION_REQUIRED');
    const wrong = await rest.delete(`/api-keys/${key.id}`, { confirm: 'other' });
    assert.equal(wrong.body.code, 'CONFIRMATION_REQUIRED');
    assert.equal((await verify(key.key)).body.valid, true, 'unconfirmed revoke changed nothing');
    const ok = await rest.delete(`/api-keys/${key.id}`, { confirm: 'to-revoke' });
    assert.equal(ok.status, 200);
    assert.ok(await eventually(async () => (await verify(key.key)).body.reason === 'revoked', 1000));
    const listed = (await rest.get('/api-keys?include_inactive=true')).body.keys.find((k: any) => k.id === key.id);
    assert.equal(listed.status, 'revoked');
    assert.ok(!(await rest.get('/api-keys')).body.keys.some((k: any) => k.id === key.id), 'inactive hidden by default');
    const events = (await rest.get('/audit/events?operation=api_keys.revoke&limit=100')).body.events as any[];
    assert.deepEqual(events.map((e) => e.outcome).slice(-3), ['failed', 'failed', 'success']);
  });

  test('keys are immutable: there is no update operation', async () => {
    const key = await newKey('orders-api');
    assert.equal((await rest.patch(`/api-keys/${key.id}`, { scopes: ['orders:write'] })).status, 404);
  });

  test('expiry: an expired key is refused (clock), and listed as expired', async () => {
    const key = await newKey('orders-api', { name: 'short', expires_in_days: 1 });
    assert.ok(key.expires_at);
    assert.equal((await verify(key.key)).body.valid, true);
    w.clock.advance(86_400_000 + 1000);
    try {
      assert.deepEqual((await verify(key.key)).body, { valid: false, reason: 'expired' });
      const listed = (await rest.get('/api-keys?include_inactive=true')).body.keys.find((k: any) => k.id === key.id);
      assert.equal(listed.status, 'expired');
    } finally {
      w.clock.advance(-(86_400_000 + 1000));
    }
    assert.equal((await rest.post('/api-apps/orders-api/keys', { name: 'x', expires_in_days: 5000 })).status, 400);
  });

  test('narrowing an app’s scopes narrows its existing keys at once; widening gives existing keys nothing', async () => {
    await rest.post('/api-apps', { name: 'inventory', scopes: ['stock:read', 'stock:write'] });
    const key = await newKey('inventory');
    assert.deepEqual((await verify(key.key)).body.scopes, ['stock:read', 'stock:write']);
    const narrowed = await rest.patch('/api-apps/inventory', { scopes: ['stock:read'] });
    assert.equal(narrowed.status, 200);
    assert.deepEqual(narrowed.body.removed_scopes, ['stock:write']);
    assert.equal(narrowed.body.narrowed_keys, 1);
    assert.ok(await eventually(async () => JSON.stringify((await verify(key.key)).body.scopes) === '["stock:read"]', 1000));
    assert.equal((await verify(key.key, { required_scopes: ['stock:write'] })).body.reason, 'insufficient_scope');
    await rest.patch('/api-apps/inventory', { scopes: ['stock:read', 'stock:write', 'stock:admin'] });
    assert.deepEqual((await verify(key.key)).body.scopes, ['stock:read', 'stock:write'], 'key scopes are fixed at creation; restored scope is back, new one is not');
    const renamed = await rest.patch('/api-apps/inventory', { name: 'stock' });
    assert.equal(renamed.body.name, 'stock');
    assert.equal((await verify(key.key)).body.app.name, 'stock', 'verify sees the rename at once');
    assert.equal((await rest.patch('/api-apps/stock', {})).body.code, 'NOTHING_TO_UPDATE');
  });

  test('deleting an app is irreversible, confirmed by its name, and kills its keys', async () => {
    await rest.post('/api-apps', { name: 'legacy', scopes: ['x:read'] });
    const key = await newKey('legacy');
    assert.equal((await verify(key.key)).body.valid, true);
    assert.equal((await rest.delete('/api-apps/legacy')).body.code, 'CONFIRMATION_REQUIRED');
    const del = await rest.delete('/api-apps/legacy', { confirm: 'legacy' });
    assert.equal(del.status, 200);
    assert.equal(del.body.deleted_keys, 1);
    assert.ok(await eventually(async () => (await verify(key.key)).body.reason === 'not_found', 1000));
    assert.equal((await rest.get('/api-apps/legacy')).status, 404);
  });
});

describe('security', () => {
  test('permissions: analysts read but cannot issue; members cannot see; verify needs api_keys:verify', async () => {
    const analyst = await addMember(w, owner, 'shop', 'analyst@shop.test', 'analyst');
    const a = api(w.url, analyst.pat);
    assert.equal((await a.get('/api-apps')).status, 200);
    const denied = await a.post('/api-apps/orders-api/keys', { name: 'sneaky' });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.code, 'PERMISSION_DENIED');
    const key = await newKey('orders-api');
    assert.equal((await verify(key.key, {}, a)).body.code, 'PERMISSION_DENIED', 'analyst role has no api_keys:verify');
    const member = await addMember(w, owner, 'shop', 'member@shop.test', 'member');
    assert.equal((await api(w.url, member.pat).get('/api-keys')).status, 403);
    const dev = await addMember(w, owner, 'shop', 'service@shop.test', 'developer');
    assert.equal((await verify(key.key, {}, api(w.url, dev.pat))).body.valid, true, 'developers may verify');
    // A token scoped to api_keys:verify only: can verify, can do nothing else.
    const narrow = (await rest.post('/pats', { name: 'verifier', scopes: ['api_keys:verify'] })).body.token;
    const v = api(w.url, narrow);
    assert.equal((await verify(key.key, {}, v)).body.valid, true);
    const scoped = await v.get('/api-keys');
    assert.equal(scoped.status, 403);
    assert.equal(scoped.body.code, 'INSUFFICIENT_SCOPE');
  });

  test("tenant isolation: another tenant's key is not_found, its apps and keys invisible", async () => {
    const otherOwner = (await w.bootstrap('rival', 'owner@rival.test')).pat;
    const other = api(w.url, otherOwner);
    await other.post('/api-apps', { name: 'orders-api', scopes: ['orders:read'] });
    const theirs = (await other.post('/api-apps/orders-api/keys', { name: 'rival-key' })).body;
    issued.push(theirs.key);
    assert.equal((await verify(theirs.key, {}, other)).body.valid, true);
    // Same answer as a well-formed key that exists nowhere.
    assert.deepEqual((await verify(theirs.key)).body, { valid: false, reason: 'not_found' });
    const ours = await newKey('orders-api');
    assert.deepEqual((await verify(ours.key, {}, other)).body, { valid: false, reason: 'not_found' });
    assert.ok(!(await rest.get('/api-keys?include_inactive=true')).body.keys.some((k: any) => k.id === theirs.id));
    assert.equal((await rest.delete(`/api-keys/${theirs.id}`, { confirm: 'rival-key' })).status, 404);
    assert.equal((await rest.get(`/api-apps/${theirs.app_id}`)).status, 404);
    assert.equal((await verify(theirs.key, {}, other)).body.valid, true, 'still valid in its own tenant');
    // X-Tenant-Id of a tenant the caller is not in does not help.
    assert.equal((await api(w.url, owner, { 'x-tenant-id': 'rival' }).post('/api-keys/verify', { token: theirs.key })).status, 403);
  });

  test('no key is stored in clear anywhere (raw scan of every table, audit included)', async () => {
    await w.services.audit.flush();
    const dump = await dumpDatabase(w);
    assert.ok(issued.length >= 5);
    for (const key of issued) {
      assert.ok(!dump.includes(key), 'full key found in the database');
      assert.ok(!dump.includes(key.slice(12)), 'secret part found in the database');
    }
    const events = (await rest.get('/audit/events?operation=api_keys.verify&limit=1000')).body.events as any[];
    assert.ok(events.length > 0);
    assert.ok(events.every((e) => e.input?.token === '[redacted]' || e.input?.token === undefined));
  });
});

describe('MCP', () => {
  test('the tools: create app, issue key, verify, revoke with confirm', async () => {
    const client = await connectMcp(w.url, owner);
    try {
      const { tools } = await client.listTools();
      const names = tools.map((t) => t.name);
      for (const n of ['api_apps_create', 'api_apps_list', 'api_apps_get', 'api_apps_update', 'api_apps_delete', 'api_keys_create', 'api_keys_list', 'api_keys_revoke', 'api_keys_verify'])
        assert.ok(names.includes(n), n);
      const revokeTool = tools.find((t) => t.name === 'api_keys_revoke')!;
      assert.equal(revokeTool.annotations?.destructiveHint, true);
      assert.ok(revokeTool.inputSchema.properties?.confirm);
      const app = (await client.callTool({ name: 'api_apps_create', arguments: { name: 'mcp-api', scopes: ['a:read'] } })).structuredContent as any;
      assert.equal(app.name, 'mcp-api');
      const key = (await client.callTool({ name: 'api_keys_create', arguments: { app: 'mcp-api', name: 'agent-made' } })).structuredContent as any;
      issued.push(key.key);
      const ok = (await client.callTool({ name: 'api_keys_verify', arguments: { token: key.key, required_scopes: ['a:read'] } })).structuredContent as any;
      assert.equal(ok.valid, true);
      assert.deepEqual(ok.scopes, ['a:read']);
      const ask = await client.callTool({ name: 'api_keys_revoke', arguments: { id: key.id } });
      assert.equal(ask.isError, true);
      assert.equal(parseToolError(ask).code, 'CONFIRMATION_REQUIRED');
      const done = await client.callTool({ name: 'api_keys_revoke', arguments: { id: key.id, confirm: 'agent-made' } });
      assert.ok(!done.isError);
      const after = (await client.callTool({ name: 'api_keys_verify', arguments: { token: key.key } })).structuredContent as any;
      assert.deepEqual(after, { valid: false, reason: 'revoked' });
    } finally {
      await client.close();
    }
  });
});
