import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startWarden, type TestWarden } from '../support/warden.ts';
import { api } from '../support/http.ts';
import { LocalAws } from '../support/kms/aws.ts';
import { testCertificate } from '../support/kms/tls.ts';
import type { WardenError } from '../../src/core/errors.ts';

// The real @aws-sdk/client-kms and client-sts against a local KMS + STS over HTTPS.
let aws: LocalAws;
let w: TestWarden;
let owner: string;
let rest: ReturnType<typeof api>;
let tenantId: string;
let warden: ReturnType<LocalAws['addUser']>;
let roleArn: string;
let keyArn: string;

const CACHE_SECONDS = 60;
const place = (id: string) => ({ table: 'oauth_profiles', column: 'refresh_token', id });
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
  aws = await LocalAws.start();
  w = await startWarden({
    env: {
      WARDEN_KMS_CA_FILE: testCertificate().caFile,
      WARDEN_AWS_KMS_ENDPOINT: aws.url,
      WARDEN_AWS_STS_ENDPOINT: aws.url,
      WARDEN_KMS_TIMEOUT_MS: '800',
      WARDEN_KEY_CACHE_SECONDS: String(CACHE_SECONDS),
      WARDEN_KEY_MAINTENANCE_SECONDS: '0',
    },
  });
  owner = (await w.bootstrap('kms-aws', 'owner@kms-aws.test')).pat;
  rest = api(w.url, owner);
  tenantId = (await w.services.tenants.bySlug('kms-aws'))!.id;
  warden = aws.addUser('warden-service');
  roleArn = aws.addRole('warden-kms', { trusted: [warden.arn], externalId: tenantId });
  keyArn = aws.createKey([roleArn]);
});
after(async () => {
  await w.close();
  await aws.stop();
});

const configure = (extra: Record<string, unknown> = {}) =>
  rest.post('/keys/aws', { nickname: 'prod-cmk', key_arn: keyArn, role_arn: roleArn, access_key_id: warden.accessKeyId, secret_access_key: warden.secretAccessKey, ...extra });

describe('BYOK: AWS KMS', () => {
  test('wrong ARN, wrong credentials or a role that does not trust us: clear error, nothing saved', async () => {
    const before = (await rest.get('/keys/status')).body;
    const missing = await configure({ key_arn: keyArn.replace(/key\/.*/, 'key/00000000-0000-0000-0000-000000000000') });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.code, 'KMS_VALIDATION_FAILED');
    assert.match(missing.body.detail, /NotFoundException/);
    const badSecret = await configure({ secret_access_key: 'x'.repeat(40) });
    assert.equal(badSecret.body.code, 'KMS_VALIDATION_FAILED');
    assert.match(badSecret.body.detail, /SignatureDoesNotMatch/);
    assert.ok(!JSON.stringify(badSecret.body).includes('x'.repeat(40)));
    const otherRole = aws.addRole('not-trusting', { trusted: [] });
    const denied = await configure({ role_arn: otherRole });
    assert.equal(denied.body.code, 'KMS_VALIDATION_FAILED');
    assert.match(denied.body.detail, /AccessDenied/);
    const notGranted = await configure({ key_arn: aws.createKey([]) });
    assert.match(notGranted.body.detail, /AccessDeniedException/);
    const badArn = await configure({ key_arn: 'not-an-arn' });
    assert.equal(badArn.body.code, 'VALIDATION_FAILED');
    assert.equal(badArn.body.issues[0].field, 'key_arn');
    assert.deepEqual((await rest.get('/keys/status')).body.keys, before.keys, 'nothing saved');
  });

  test('switch from platform keys with data present: everything stays readable and is re-wrapped under the customer key', async () => {
    const kr = w.services.keyring;
    const old = await kr.seal(tenantId, place('p1'), 'sealed-under-platform');
    const res = await configure({ fail_policy: 'fallback' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.provider, 'aws');
    assert.equal(res.body.active_key.settings.key_arn, keyArn);
    assert.equal(res.body.active_key.secret_set, true);
    assert.ok(!JSON.stringify(res.body).includes(warden.secretAccessKey));
    assert.equal((await kr.open(tenantId, place('p1'), old)).reveal(), 'sealed-under-platform', 'readable before the re-wrap');
    await kr.runMaintenance();
    const s = (await rest.get('/keys/status')).body;
    assert.equal(s.data_keys.pending_rewrap, 0);
    assert.equal(s.data_keys.by_wrapping_key.find((k: any) => k.provider === 'aws').key_id, s.active_key.id);
    expireCache();
    const decrypts = aws.calls.Decrypt ?? 0;
    assert.equal((await kr.open(tenantId, place('p1'), old)).reveal(), 'sealed-under-platform');
    assert.equal(aws.calls.Decrypt, decrypts + 1, 'unwrapped through AWS KMS Decrypt');
    const fresh = await kr.seal(tenantId, place('a1'), 'sealed-under-aws');
    assert.equal((await kr.open(tenantId, place('a1'), fresh)).reveal(), 'sealed-under-aws');
    assert.equal(s.kms_health.state, 'ok');
  });

  test('keys.test does a real round trip and shows health', async () => {
    const t = await rest.post('/keys/test', {});
    assert.equal(t.body.ok, true, JSON.stringify(t.body));
    assert.equal(t.body.provider, 'aws');
    assert.match(t.body.detail, /Enabled/);
  });

  test('KMS stopped mid-run: cached reads succeed, fallback writes are audited and re-wrapped when it is back', async () => {
    const kr = w.services.keyring;
    const before = await kr.seal(tenantId, place('o1'), 'before-outage');
    await aws.stop();
    assert.equal((await kr.open(tenantId, place('o1'), before)).reveal(), 'before-outage', 'cached data key');
    expireCache();
    assert.equal(await codeOf(kr.open(tenantId, place('o1'), before)), 'KMS_UNAVAILABLE', 'uncached read needs the KMS');
    const during = await kr.seal(tenantId, place('o2'), 'written-during-outage');
    assert.equal((await kr.open(tenantId, place('o2'), during)).reveal(), 'written-during-outage');
    const s = (await rest.get('/keys/status')).body;
    assert.equal(s.data_keys.fallback, 1);
    assert.equal(s.kms_health.state, 'unavailable');
    assert.match(s.kms_health.detail, /ECONNREFUSED|ECONNRESET/);
    const audit = (await rest.get('/audit/events?operation=keys.fallback_wrap')).body.events;
    assert.equal(audit.length, 1);
    assert.equal(audit[0].target, 'prod-cmk');

    await kr.runMaintenance(); // still down: nothing moves, nothing lost
    assert.equal((await rest.get('/keys/status')).body.data_keys.fallback, 1);

    await aws.restart();
    await kr.runMaintenance();
    const healed = (await rest.get('/keys/status')).body;
    assert.equal(healed.data_keys.fallback, 0);
    assert.equal(healed.data_keys.pending_rewrap, 0);
    expireCache();
    assert.equal((await kr.open(tenantId, place('o1'), before)).reveal(), 'before-outage');
    assert.equal((await kr.open(tenantId, place('o2'), during)).reveal(), 'written-during-outage');
    assert.equal((await rest.get('/keys/status')).body.kms_health.state, 'ok');
  });

  test('fail_closed: writes during an outage fail with a clear error; a stalled KMS times out', async () => {
    const kr = w.services.keyring;
    assert.equal((await rest.put('/keys/policy', { fail_policy: 'fail_closed' })).status, 200);
    aws.server.stalled = true;
    expireCache();
    const started = Date.now();
    const err = await kr.seal(tenantId, place('c1'), 'refused').catch((e: WardenError) => e);
    assert.equal((err as WardenError).code, 'KMS_UNAVAILABLE');
    assert.equal((err as WardenError).status, 503);
    assert.match((err as WardenError).message, /timeout/i);
    assert.ok(Date.now() - started < 8000, 'bounded by WARDEN_KMS_TIMEOUT_MS');
    aws.server.stalled = false;
    aws.throttle(true);
    assert.equal(await codeOf(kr.seal(tenantId, place('c2'), 'refused')), 'KMS_UNAVAILABLE');
    aws.throttle(false);
    assert.equal((await rest.get('/keys/status')).body.data_keys.fallback, 0);
    await rest.put('/keys/policy', { fail_policy: 'fallback' });
  });

  test('the customer disables the key: never falls back; reads fail once caches expire; re-enabling restores', async () => {
    const kr = w.services.keyring;
    const sealed = await kr.seal(tenantId, place('d1'), 'customer-data');
    aws.setKeyState(keyArn, 'Disabled');
    assert.equal((await kr.open(tenantId, place('d1'), sealed)).reveal(), 'customer-data', 'cache still valid');
    expireCache();
    const read = await kr.open(tenantId, place('d1'), sealed).catch((e: WardenError) => e);
    assert.equal((read as WardenError).code, 'KMS_ACCESS_DENIED');
    assert.match((read as WardenError).message, /DisabledException/);
    assert.equal(await codeOf(kr.seal(tenantId, place('d2'), 'x')), 'KMS_ACCESS_DENIED');
    const s = (await rest.get('/keys/status')).body;
    assert.equal(s.kms_health.state, 'denied');
    assert.equal(s.data_keys.fallback, 0, 'denied never falls back');
    const t = await rest.post('/keys/test', {});
    assert.equal(t.body.ok, false);
    assert.equal(t.body.failure, 'denied');
    aws.setKeyState(keyArn, 'Enabled');
    assert.equal((await kr.open(tenantId, place('d1'), sealed)).reveal(), 'customer-data');
  });

  test('switch back to platform keys with data present; afterwards AWS is no longer needed', async () => {
    const kr = w.services.keyring;
    const sealed = await kr.seal(tenantId, place('b1'), 'sealed-under-aws-before-switch-back');
    const res = await rest.post('/keys/platform', {});
    assert.equal(res.status, 200);
    assert.equal(res.body.provider, 'platform');
    await kr.runMaintenance();
    const s = (await rest.get('/keys/status')).body;
    assert.equal(s.data_keys.pending_rewrap, 0);
    assert.ok(s.data_keys.by_wrapping_key.every((k: any) => k.provider === 'platform'));
    assert.equal(s.keys.find((k: any) => k.provider === 'aws').state, 'retired');
    await aws.stop();
    expireCache();
    assert.equal((await kr.open(tenantId, place('b1'), sealed)).reveal(), 'sealed-under-aws-before-switch-back');
    await aws.restart();
  });

  test('a future activation date schedules the switch; it happens when due', async () => {
    const kr = w.services.keyring;
    const when = new Date(w.clock.now().getTime() + 3_600_000).toISOString();
    const res = await configure({ nickname: 'scheduled-cmk', activation_date: when });
    assert.equal(res.status, 201);
    assert.equal(res.body.provider, 'platform');
    assert.equal(res.body.scheduled_key.nickname, 'scheduled-cmk');
    await kr.runMaintenance();
    assert.equal((await rest.get('/keys/config')).body.provider, 'platform', 'not yet');
    w.clock.advance(3_601_000);
    await kr.runMaintenance();
    const s = (await rest.get('/keys/status')).body;
    assert.equal(s.provider, 'aws');
    assert.equal(s.active_key.nickname, 'scheduled-cmk');
    assert.equal(s.scheduled_key, null);
    assert.equal(s.data_keys.pending_rewrap, 0);
    const audit = (await rest.get('/audit/events?operation=keys.activate')).body.events;
    assert.equal(audit.at(-1).target, 'scheduled-cmk');
  });
});
