import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startWarden, type TestWarden } from '../support/warden.ts';
import { api } from '../support/http.ts';
import { connectMcp, parseToolError } from '../support/mcp.ts';
import { LocalAzure } from '../support/kms/azure.ts';
import { testCertificate } from '../support/kms/tls.ts';
import type { WardenError } from '../../src/core/errors.ts';

// The real @azure/identity + @azure/keyvault-keys against a local Entra and Key Vault over HTTPS.
let az: LocalAzure;
let w: TestWarden;
let owner: string;
let rest: ReturnType<typeof api>;
let tenantId: string;
let app: { clientId: string; clientSecret: string };

const CACHE_SECONDS = 60;
const place = (id: string) => ({ table: 'scripts', column: 'env_value', id });
const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    return (err as WardenError).code;
  }
  return 'no error';
};
const expireCache = () => w.clock.advance((CACHE_SECONDS + 1) * 1000);

before(async () => {
  az = await LocalAzure.start();
  w = await startWarden({
    env: {
      WARDEN_KMS_CA_FILE: testCertificate().caFile,
      WARDEN_AZURE_AUTHORITY_HOST: az.authorityHost,
      WARDEN_KMS_TEST_MODE: 'true',
      WARDEN_KMS_TIMEOUT_MS: '1000',
      WARDEN_KEY_CACHE_SECONDS: String(CACHE_SECONDS),
      WARDEN_KEY_MAINTENANCE_SECONDS: '0',
    },
  });
  owner = (await w.bootstrap('kms-azure', 'owner@kms-azure.test')).pat;
  rest = api(w.url, owner);
  tenantId = (await w.services.tenants.bySlug('kms-azure'))!.id;
  app = az.addApp();
  az.createKey('warden-kek');
});
after(async () => {
  await w.close();
  await az.stop();
});

const configure = (extra: Record<string, unknown> = {}) =>
  rest.post('/keys/azure', {
    nickname: 'vault-kek',
    vault_url: az.vaultUrl,
    entra_tenant_id: az.tenantId,
    client_id: app.clientId,
    client_secret: app.clientSecret,
    key_name: 'warden-kek',
    ...extra,
  });

describe('BYOK: Azure Key Vault', () => {
  test('wrong secret, key, permission or URL: clear error, nothing saved; http:// is refused', async () => {
    const before = (await rest.get('/keys/status')).body.keys;
    const badSecret = await configure({ client_secret: 'not-the-secret' });
    assert.equal(badSecret.status, 400);
    assert.equal(badSecret.body.code, 'KMS_VALIDATION_FAILED');
    assert.match(badSecret.body.detail, /invalid_client/);
    assert.ok(!JSON.stringify(badSecret.body).includes('not-the-secret'));
    const noKey = await configure({ key_name: 'no-such-key' });
    assert.match(noKey.body.detail, /404/);
    const weak = az.addApp(['get']);
    const forbidden = await configure({ client_id: weak.clientId, client_secret: weak.clientSecret });
    assert.equal(forbidden.body.code, 'KMS_VALIDATION_FAILED');
    assert.match(forbidden.body.detail, /403/);
    const nowhere = await configure({ vault_url: 'https://127.0.0.1:1' });
    assert.equal(nowhere.status, 503);
    assert.equal(nowhere.body.code, 'KMS_UNAVAILABLE');
    assert.match(nowhere.body.detail, /nothing was saved/);
    const plain = await configure({ vault_url: az.vaultUrl.replace('https:', 'http:') });
    assert.equal(plain.status, 400);
    assert.equal(plain.body.issues[0].field, 'vault_url');
    assert.deepEqual((await rest.get('/keys/status')).body.keys, before);
  });

  test('switch to Azure with data present over MCP; unwrap goes through the vault; the secret never comes back', async () => {
    const kr = w.services.keyring;
    const old = await kr.seal(tenantId, place('s1'), 'platform-era-secret');
    const client = await connectMcp(w.url, owner, { 'x-tenant-id': 'kms-azure' });
    const res = await client.callTool({
      name: 'keys_configure_azure',
      arguments: { nickname: 'vault-kek', vault_url: az.vaultUrl, entra_tenant_id: az.tenantId, client_id: app.clientId, client_secret: app.clientSecret, key_name: 'warden-kek' },
    });
    assert.equal(res.isError, undefined, JSON.stringify(res.content));
    const cfg = res.structuredContent as any;
    assert.equal(cfg.provider, 'azure');
    assert.equal(cfg.active_key.secret_set, true);
    assert.ok(!JSON.stringify(res).includes(app.clientSecret));
    await client.close();

    await kr.runMaintenance();
    const s = (await rest.get('/keys/status')).body;
    assert.equal(s.data_keys.pending_rewrap, 0);
    assert.ok(s.data_keys.by_wrapping_key.some((k: any) => k.provider === 'azure'));
    expireCache();
    const unwraps = az.calls.unwrapKey ?? 0;
    assert.equal((await kr.open(tenantId, place('s1'), old)).reveal(), 'platform-era-secret');
    assert.equal(az.calls.unwrapKey, unwraps + 1);
    const audit = JSON.stringify((await rest.get('/audit/events?operation=keys.configure_azure')).body.events);
    assert.ok(!audit.includes(app.clientSecret), 'audit input redacts the client secret');
  });

  test('the customer rotates the vault key: old data keys unwrap with their version, keys.rotate uses the new one', async () => {
    const kr = w.services.keyring;
    const before = await kr.seal(tenantId, place('v1'), 'wrapped-by-version-1');
    az.rotateKey('warden-kek');
    const rotated = await rest.post('/keys/rotate', {});
    assert.equal(rotated.status, 201);
    const fresh = await kr.seal(tenantId, place('v2'), 'wrapped-by-version-2');
    expireCache();
    assert.equal((await kr.open(tenantId, place('v1'), before)).reveal(), 'wrapped-by-version-1');
    assert.equal((await kr.open(tenantId, place('v2'), fresh)).reveal(), 'wrapped-by-version-2');
    const details = await w.services.db.selectFrom('data_keys').select('kek_detail').where('tenant_id', '=', tenantId).where('purpose', '=', 'data').execute();
    assert.equal(new Set(details.map((d) => d.kek_detail!.split('/').pop())).size, 2, 'two vault key versions in use');
  });

  test('vault unreachable: fallback wraps, audited; re-wrapped once the vault is back', async () => {
    const kr = w.services.keyring;
    await az.vault.stop();
    expireCache();
    const during = await kr.seal(tenantId, place('o1'), 'written-while-vault-down');
    const s = (await rest.get('/keys/status')).body;
    assert.equal(s.data_keys.fallback, 1);
    assert.equal(s.kms_health.state, 'unavailable');
    await az.vault.start();
    await kr.runMaintenance();
    assert.equal((await rest.get('/keys/status')).body.data_keys.fallback, 0);
    expireCache();
    assert.equal((await kr.open(tenantId, place('o1'), during)).reveal(), 'written-while-vault-down');
  });

  test('access revoked in the vault (403): no fallback, clear error; keys.test says denied', async () => {
    const kr = w.services.keyring;
    const sealed = await kr.seal(tenantId, place('r1'), 'revocable');
    az.setPermissions(app.clientId, ['get']);
    expireCache();
    const err = await kr.open(tenantId, place('r1'), sealed).catch((e: WardenError) => e);
    assert.equal((err as WardenError).code, 'KMS_ACCESS_DENIED');
    assert.equal((err as WardenError).status, 424);
    assert.equal(await codeOf(kr.seal(tenantId, place('r2'), 'x')), 'KMS_ACCESS_DENIED');
    const t = await rest.post('/keys/test', {});
    assert.equal(t.body.failure, 'denied');
    assert.equal((await rest.get('/keys/status')).body.data_keys.fallback, 0);
    az.setPermissions(app.clientId, ['get', 'wrapKey', 'unwrapKey']);
    az.setEnabled('warden-kek', false);
    assert.equal(await codeOf(kr.open(tenantId, place('r1'), sealed)), 'KMS_ACCESS_DENIED', 'disabled key');
    az.setEnabled('warden-kek', true);
    assert.equal((await kr.open(tenantId, place('r1'), sealed)).reveal(), 'revocable');
  });

  test('switch back to platform with data present', async () => {
    const kr = w.services.keyring;
    const sealed = await kr.seal(tenantId, place('b1'), 'azure-era-secret');
    const client = await connectMcp(w.url, owner, { 'x-tenant-id': 'kms-azure' });
    const res = await client.callTool({ name: 'keys_use_platform', arguments: {} });
    assert.equal((res.structuredContent as any).provider, 'platform');
    const denied = await client.callTool({ name: 'keys_configure_azure', arguments: { nickname: 'x' } });
    assert.equal(parseToolError(denied).code, 'VALIDATION_FAILED');
    await client.close();
    await kr.runMaintenance();
    const s = (await rest.get('/keys/status')).body;
    assert.equal(s.data_keys.pending_rewrap, 0);
    await az.vault.stop();
    expireCache();
    assert.equal((await kr.open(tenantId, place('b1'), sealed)).reveal(), 'azure-era-secret');
    await az.vault.start();
  });
});
