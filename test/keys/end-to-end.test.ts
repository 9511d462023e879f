import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { startWarden, type TestWarden } from '../support/warden.ts';
import { api } from '../support/http.ts';
import { LocalAws } from '../support/kms/aws.ts';
import { LocalAzure } from '../support/kms/azure.ts';
import { testCertificate } from '../support/kms/tls.ts';

// A full flow across every provider, then a scan of the raw database for any plaintext secret.
let aws: LocalAws;
let az: LocalAzure;
let w: TestWarden;

before(async () => {
  aws = await LocalAws.start();
  az = await LocalAzure.start();
  w = await startWarden({
    env: {
      WARDEN_KMS_CA_FILE: testCertificate().caFile,
      WARDEN_AWS_KMS_ENDPOINT: aws.url,
      WARDEN_AWS_STS_ENDPOINT: aws.url,
      WARDEN_AZURE_AUTHORITY_HOST: az.authorityHost,
      WARDEN_KMS_TEST_MODE: 'true',
      WARDEN_KMS_TIMEOUT_MS: '1000',
      WARDEN_KEY_MAINTENANCE_SECONDS: '0',
    },
  });
});
after(async () => {
  await w.close();
  await aws.stop();
  await az.stop();
});

test('platform → AWS → Azure → platform with secrets written at every step: all readable, none stored in plaintext', async () => {
  const { pat } = await w.bootstrap('kms-e2e', 'owner@kms-e2e.test');
  const rest = api(w.url, pat);
  const tenantId = (await w.services.tenants.bySlug('kms-e2e'))!.id;
  const kr = w.services.keyring;
  const user = aws.addUser('warden-e2e');
  const role = aws.addRole('warden-e2e', { trusted: [user.arn], externalId: tenantId });
  const keyArn = aws.createKey([role]);
  const app = az.addApp();
  az.createKey('e2e-kek');

  const secrets: string[] = [user.secretAccessKey, app.clientSecret];
  const sealed: { id: string; value: string; plaintext: string }[] = [];
  const write = async (step: string) => {
    for (let i = 0; i < 3; i++) {
      const plaintext = `plaintext-${step}-${i}-${Math.random().toString(36).slice(2)}`;
      secrets.push(plaintext);
      sealed.push({ id: `${step}-${i}`, value: await kr.seal(tenantId, { table: 'e2e', column: 'secret', id: `${step}-${i}` }, plaintext), plaintext });
    }
  };
  const readAll = async () => {
    for (const s of sealed) assert.equal((await kr.open(tenantId, { table: 'e2e', column: 'secret', id: s.id }, s.value)).reveal(), s.plaintext);
  };

  await write('platform');
  const a = await rest.post('/keys/aws', { nickname: 'e2e-aws', key_arn: keyArn, role_arn: role, access_key_id: user.accessKeyId, secret_access_key: user.secretAccessKey });
  assert.equal(a.status, 201, JSON.stringify(a.body));
  await write('aws');
  await kr.runMaintenance();
  await readAll();
  const z = await rest.post('/keys/azure', { nickname: 'e2e-azure', vault_url: az.vaultUrl, entra_tenant_id: az.tenantId, client_id: app.clientId, client_secret: app.clientSecret, key_name: 'e2e-kek' });
  assert.equal(z.status, 201, JSON.stringify(z.body));
  await readAll(); // before the re-wrap: AWS-wrapped keys still open
  await kr.runMaintenance();
  await write('azure');
  assert.equal((await rest.post('/keys/rotate', {})).status, 201);
  await write('rotated');
  await kr.runMaintenance();
  let s = (await rest.get('/keys/status')).body;
  assert.equal(s.provider, 'azure');
  assert.equal(s.data_keys.pending_rewrap, 0);
  assert.deepEqual(
    s.keys.map((k: any) => `${k.provider}:${k.state}`),
    ['platform:retired', 'aws:retired', 'azure:active', 'platform:fallback'],
  );
  assert.equal((await rest.post('/keys/platform', {})).status, 200);
  await kr.runMaintenance();
  await write('back');
  s = (await rest.get('/keys/status')).body;
  assert.equal(s.provider, 'platform');
  assert.equal(s.data_keys.pending_rewrap, 0);
  // Neither KMS is needed any more.
  await aws.stop();
  await az.vault.stop();
  w.clock.advance(3_600_000);
  await readAll();
  await w.services.audit.flush();

  // Raw scan: every column of every table, as text, for the secrets in text, base64 and hex.
  const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`.execute(w.services.db);
  let dump = '';
  for (const { table_name } of tables.rows) {
    const rows = await sql<{ row: string }>`select t::text as row from ${sql.table(table_name)} t`.execute(w.services.db);
    dump += rows.rows.map((r) => r.row).join('\n');
  }
  assert.ok(dump.includes('e2e-azure') && dump.includes(user.accessKeyId), `the scan sees the data (${dump.length} chars)`);
  for (const secret of secrets) {
    for (const form of [secret, Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('hex'), Buffer.from(secret).toString('base64url')]) {
      assert.ok(!dump.includes(form), `a secret is stored in the clear (${form.slice(0, 12)}…)`);
    }
  }
  await aws.restart();
  await az.vault.start();
});
