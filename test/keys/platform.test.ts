import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startWarden, type TestWarden } from '../support/warden.ts';
import { api } from '../support/http.ts';
import { connectMcp, parseToolError } from '../support/mcp.ts';
import { addMember } from '../support/people.ts';
import { WardenError } from '../../src/core/errors.ts';
import { bootstrapTenant } from '../../src/tenants/bootstrap.ts';

let w: TestWarden;
let owner: string;
let rest: ReturnType<typeof api>;
let tenantId: string;
let otherTenantId: string;

before(async () => {
  w = await startWarden({ env: { WARDEN_KEY_MAINTENANCE_SECONDS: '0' } });
  // A year-long token: the rotation test moves the clock past 90 days.
  owner = (await bootstrapTenant(w.services, { tenant: 'keys-plat', email: 'owner@keys-plat.test', patDays: 365 })).pat;
  await w.bootstrap('keys-plat-other', 'owner@keys-plat-other.test');
  rest = api(w.url, owner);
  tenantId = (await w.services.tenants.bySlug('keys-plat'))!.id;
  otherTenantId = (await w.services.tenants.bySlug('keys-plat-other'))!.id;
});
after(() => w.close());

const place = (id: string, column = 'client_secret') => ({ table: 'sso_connections', column, id });
const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    return (err as WardenError).code;
  }
  return 'no error';
};

describe('keyring: seal and open', () => {
  test('round trip; the ciphertext is self-describing and does not contain the plaintext', async () => {
    const kr = w.services.keyring;
    const sealed = await kr.seal(tenantId, place('r1'), 'hunter2-super-secret');
    assert.match(sealed, /^wk1\.[0-9a-f-]{36}\.\d+\.[A-Za-z0-9_-]+$/);
    assert.ok(!sealed.includes('hunter2'));
    const opened = await kr.open(tenantId, place('r1'), sealed);
    assert.equal(opened.reveal(), 'hunter2-super-secret');
    assert.equal(JSON.stringify({ opened }), '{"opened":"[redacted]"}', 'open returns a Secret');
    assert.notEqual(await kr.seal(tenantId, place('r1'), 'hunter2-super-secret'), sealed, 'random nonce per seal');
  });

  test('a ciphertext moved to another row, column or tenant, or altered, does not decrypt', async () => {
    const kr = w.services.keyring;
    const sealed = await kr.seal(tenantId, place('row-a'), 'bound-to-row-a');
    assert.equal(await codeOf(kr.open(tenantId, place('row-b'), sealed)), 'KEYS_CIPHERTEXT_MISMATCH');
    assert.equal(await codeOf(kr.open(tenantId, place('row-a', 'other_column'), sealed)), 'KEYS_CIPHERTEXT_MISMATCH');
    assert.equal(await codeOf(kr.open(tenantId, { ...place('row-a'), table: 'other_table' }, sealed)), 'KEYS_CIPHERTEXT_MISMATCH');
    assert.equal(await codeOf(kr.open(otherTenantId, place('row-a'), sealed)), 'KEYS_DATA_KEY_NOT_FOUND');
    const [f, id, v, body] = sealed.split('.');
    const flipped = Buffer.from(body!, 'base64url');
    flipped[20]! ^= 1;
    assert.equal(await codeOf(kr.open(tenantId, place('row-a'), [f, id, v, flipped.toString('base64url')].join('.'))), 'KEYS_CIPHERTEXT_MISMATCH');
    assert.equal(await codeOf(kr.open(tenantId, place('row-a'), [f, id, String(Number(v) + 1), body].join('.'))), 'KEYS_CIPHERTEXT_MISMATCH', 'the header is authenticated too');
    assert.equal(await codeOf(kr.open(tenantId, place('row-a'), 'plaintext-not-sealed')), 'KEYS_CIPHERTEXT_MALFORMED');
  });

  test('works inside a transaction through its handle, for a tenant with no keys yet', async () => {
    const fresh = await w.bootstrap('keys-plat-trx', 'owner@keys-plat-trx.test');
    const id = (await w.services.tenants.bySlug(fresh.tenant))!.id;
    const sealed = await w.services.db.transaction().execute(async (trx) => {
      const s = await w.services.keyring.seal(id, place('t1'), 'in-a-transaction', trx);
      assert.equal((await w.services.keyring.open(id, place('t1'), s, trx)).reveal(), 'in-a-transaction');
      return s;
    });
    assert.equal((await w.services.keyring.open(id, place('t1'), sealed)).reveal(), 'in-a-transaction');
  });

  test('a rolled-back first seal leaves no dangling data key behind', async () => {
    const fresh = await w.bootstrap('keys-plat-rollback', 'owner@keys-plat-rollback.test');
    const id = (await w.services.tenants.bySlug(fresh.tenant))!.id;
    await assert.rejects(
      w.services.db.transaction().execute(async (trx) => {
        await w.services.keyring.seal(id, place('x'), 'rolled back', trx);
        throw new Error('boom');
      }),
      /boom/,
    );
    const sealed = await w.services.keyring.seal(id, place('y'), 'after rollback');
    assert.equal((await w.services.keyring.open(id, place('y'), sealed)).reveal(), 'after rollback');
    const keys = await w.services.db.selectFrom('data_keys').select('id').where('tenant_id', '=', id).execute();
    assert.ok(sealed.includes(keys[0]!.id) && keys.length === 1);
  });
});

describe('platform keys: rotation', () => {
  test('scheduled rotation after 90 days: old data stays readable and data keys move to the newest version', async () => {
    const kr = w.services.keyring;
    const before = await rest.get('/keys/status');
    assert.equal(before.status, 200);
    assert.equal(before.body.provider, 'platform');
    const v1 = before.body.rotation.platform_version;
    const old = await kr.seal(tenantId, place('old'), 'sealed-before-rotation');

    w.clock.advance(89 * 86_400_000);
    await kr.runMaintenance();
    assert.equal((await rest.get('/keys/status')).body.rotation.platform_version, v1, 'not due yet');

    w.clock.advance(2 * 86_400_000);
    await kr.runMaintenance();
    const after = (await rest.get('/keys/status')).body;
    assert.equal(after.rotation.platform_version, v1 + 1);
    assert.equal(after.active_key.version, v1 + 1);
    assert.equal(after.data_keys.pending_rewrap, 0);
    assert.deepEqual(after.data_keys.by_wrapping_key.map((k: any) => k.key_id), [after.active_key.id], 'every data key re-wrapped to the newest version');
    assert.equal(after.keys.find((k: any) => k.version === v1).state, 'retired');
    assert.equal((await kr.open(tenantId, place('old'), old)).reveal(), 'sealed-before-rotation');
    const fresh = await kr.seal(tenantId, place('new'), 'sealed-after-rotation');
    assert.notEqual(fresh.split('.')[1], old.split('.')[1], 'a new data key after rotation');
    const rotations = (await rest.get('/audit/events?operation=keys.rotate')).body.events;
    assert.equal(rotations.at(-1).actor[0].credential, 'system');
  });

  test('keys.rotate on demand over MCP; old versions keep decrypting even before the re-wrap', async () => {
    const kr = w.services.keyring;
    const old = await kr.seal(tenantId, place('pre-manual'), 'before-manual-rotation');
    const client = await connectMcp(w.url, owner, { 'x-tenant-id': 'keys-plat' });
    const res = await client.callTool({ name: 'keys_rotate', arguments: {} });
    assert.equal(res.isError, undefined);
    const s = res.structuredContent as any;
    assert.equal(s.active_key.provider, 'platform');
    // Drop the in-memory keys: the old data key must be unwrapped through its (retired) version.
    const fresh = await w.services.db.selectFrom('data_keys').select(['kek_id', 'current']).where('tenant_id', '=', tenantId).execute();
    assert.ok(fresh.some((k) => !k.current));
    assert.equal((await kr.open(tenantId, place('pre-manual'), old)).reveal(), 'before-manual-rotation');
    const cfg = await client.callTool({ name: 'keys_get_config', arguments: {} });
    assert.equal((cfg.structuredContent as any).active_key.id, s.active_key.id);
    await client.close();
  });

  test('keys.test on the platform key; keys.status needs keys:read', async () => {
    const t = await rest.post('/keys/test', {});
    assert.equal(t.status, 200);
    assert.equal(t.body.ok, true);
    assert.equal(t.body.provider, 'platform');
    const dev = await addMember(w, owner, 'keys-plat', 'dev@keys-plat.test', 'developer');
    const denied = await api(w.url, dev.pat).get('/keys/status');
    assert.equal(denied.status, 403);
    assert.equal(denied.body.code, 'PERMISSION_DENIED');
    const write = await api(w.url, dev.pat).post('/keys/rotate', {});
    assert.equal(write.status, 403);
  });

  test('another tenant cannot see or change this tenant’s keys', async () => {
    const other = await w.bootstrap('keys-plat-x', 'owner@keys-plat-x.test');
    const cross = await api(w.url, other.pat, { 'x-tenant-id': 'keys-plat' }).get('/keys/status');
    assert.ok(cross.status === 403 || cross.status === 404, `status ${cross.status}`);
    const own = await api(w.url, other.pat).get('/keys/status');
    assert.equal(own.status, 200);
    assert.notEqual(own.body.active_key.id, (await rest.get('/keys/status')).body.active_key.id);
  });
});

describe('master key', () => {
  test('without WARDEN_MASTER_KEY one is generated into the data directory with mode 0600', async () => {
    const { statSync, readdirSync } = await import('node:fs');
    const path = await import('node:path');
    const dir = path.join(w.services.config.dataDir, 'secrets');
    assert.ok(readdirSync(dir).includes('master.key'));
    assert.equal(statSync(path.join(dir, 'master.key')).mode & 0o777, 0o600);
  });

  test('a server with a different master key refuses with a clear error instead of garbage', async () => {
    const other = await startWarden({ env: { WARDEN_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'), WARDEN_KEY_MAINTENANCE_SECONDS: '0' } });
    try {
      const b = await other.bootstrap('mk', 'owner@mk.test');
      const id = (await other.services.tenants.bySlug(b.tenant))!.id;
      const sealed = await other.services.keyring.seal(id, place('m'), 'under-master-7');
      // Swap the root: simulate a restart with the wrong WARDEN_MASTER_KEY against the same rows.
      const { Keyring } = await import('../../src/keys/keyring.ts');
      const wrong = new Keyring({
        db: other.services.db,
        notifier: other.services.notifier,
        clock: other.clock,
        log: other.services.log,
        audit: other.services.audit,
        rootKey: Buffer.alloc(32, 8),
        rotationDays: 90,
        cache: { maxAgeMs: 1000, maxUses: 10, maxEntries: 10 },
        customerKek: () => {
          throw new Error('unused');
        },
        maintenanceMs: 0,
      });
      assert.equal(await codeOf(wrong.open(id, place('m'), sealed)), 'KEYS_MASTER_KEY_MISMATCH');
      await wrong.close();
    } finally {
      await other.close();
    }
  });
});
