import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { startWarden, type TestWarden } from '../support/warden.ts';
import { api } from '../support/http.ts';
import { addMember } from '../support/people.ts';
import { launchBrowser, signIn } from '../support/browser.ts';
import { makeKeyPair, type KeyPair } from '../support/certs.ts';
import { startSamlIdp, type TestSamlIdp } from '../support/saml-idp.ts';

let w: TestWarden;
let browser: Browser;
let ownerPat: string;
let idp: TestSamlIdp;
let idpKeys: KeyPair;
const PASSWORD = 'correct horse battery staple';
const owner = () => api(w.url, ownerPat, { 'x-tenant-id': 'acme' });

before(async () => {
  w = await startWarden();
  ownerPat = (await w.bootstrap('acme', 'owner@acme.test', PASSWORD)).pat;
  await addMember(w, ownerPat, 'acme', 'fallback@acme.test', 'admin');
  await addMember(w, ownerPat, 'acme', 'alice@acme.test', 'developer');
  idpKeys = makeKeyPair('test-idp');
  idp = await startSamlIdp({ wardenUrl: w.url, tenant: 'acme', keys: idpKeys, user: 'alice@acme.test' });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await idp?.close();
  await w?.close();
});

async function auditEvents(operation: string) {
  await w.services.audit.flush();
  const res = await owner().get(`/audit/events?operation=${encodeURIComponent(operation)}&limit=200`);
  return res.body.events as any[];
}

describe('SAML 2.0 configuration', () => {
  test('configure, then get_settings shows the parameters, certificate status and what to paste into the IdP', async () => {
    const res = await owner().put('/sso/saml', { provider: 'okta', sso_url: idp.ssoUrl, issuer: idp.issuer, certificates: [idpKeys.cert] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.protocol, 'saml');
    assert.equal(res.body.enabled, false);
    assert.equal(res.body.certificates[0].status, 'valid');
    assert.equal(res.body.service_provider.acs_url, `${w.url}/sso/acme/saml/acs`);
    assert.equal(res.body.service_provider.idp_initiated_acs_url, `${w.url}/sso/acme/saml/idp-acs`);
    assert.deepEqual(res.body.excluded_users, ['owner@acme.test'], 'the owner is excluded by default');
    const metadata = await fetch(res.body.service_provider.metadata_url);
    assert.match(await metadata.text(), /AssertionConsumerService[^>]+Location="http:\/\/127\.0\.0\.1:\d+\/sso\/acme\/saml\/acs"/);
  });

  test('import_metadata fills the fields from the IdP metadata URL (and from pasted XML)', async () => {
    const fromUrl = await owner().post('/sso/saml/metadata', { provider: 'okta', metadata_url: idp.metadataUrl });
    assert.equal(fromUrl.status, 200, JSON.stringify(fromUrl.body));
    assert.equal(fromUrl.body.config.sso_url, idp.ssoUrl);
    assert.equal(fromUrl.body.config.issuer, idp.issuer);
    assert.equal(fromUrl.body.certificates.length, 1);
    assert.equal(fromUrl.body.certificates[0].status, 'valid');
    const xml = await (await fetch(idp.metadataUrl)).text();
    const fromXml = await owner().post('/sso/saml/metadata', { provider: 'okta', metadata_xml: xml });
    assert.equal(fromXml.status, 200);
    const both = await owner().post('/sso/saml/metadata', { provider: 'okta', metadata_xml: xml, metadata_url: idp.metadataUrl });
    assert.equal(both.status, 400);
    const dtd = await owner().post('/sso/saml/metadata', { provider: 'okta', metadata_xml: '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + xml });
    assert.equal(dtd.status, 400);
    assert.equal(dtd.body.code, 'METADATA_INVALID');
  });

  test('enabling needs a fallback admin besides the owner', async () => {
    const refused = await owner().post('/sso/enable', {});
    assert.equal(refused.status, 409);
    assert.equal(refused.body.code, 'SSO_NEEDS_FALLBACK_ADMIN');
    assert.equal((await owner().post('/sso/excluded-users', { email: 'fallback@acme.test' })).status, 200);
    const enabled = await owner().post('/sso/enable', {});
    assert.equal(enabled.status, 200, JSON.stringify(enabled.body));
    assert.equal(enabled.body.enabled, true);
  });

  test('a broken certificate is refused naming its position, and nothing is saved', async () => {
    const res = await owner().put('/sso/saml', { provider: 'other', sso_url: idp.ssoUrl, issuer: 'x', certificates: [idpKeys.cert, 'A'.repeat(200)] });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'CERTIFICATE_INVALID');
    assert.equal(res.body.field, 'certificates[1]');
    const settings = await owner().get('/sso');
    assert.equal(settings.body.config.issuer, idp.issuer);
  });
});

describe('SAML 2.0 sign-in in the browser', () => {
  test('SP-initiated: the email step goes to the IdP, which posts back a signed response; alice is signed in', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${w.url}/login`);
    await page.fill('#email', 'alice@acme.test');
    await Promise.all([page.waitForURL(`${w.url}/`), page.click('#next')]);
    assert.equal(await page.textContent('#user'), 'alice@acme.test');
    assert.equal(await page.textContent('#role'), 'developer');
    const success = await auditEvents('login.success');
    assert.ok(success.some((e) => e.target === 'alice@acme.test' && e.input?.method === 'saml'));
    await context.close();
  });

  test('a non-excluded user who tries a password is offered SSO instead', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const res = await fetch(`${w.url}/login`);
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(await res.text())![1]!;
    const post = await fetch(`${w.url}/login/password`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf, email: 'alice@acme.test', password: 'whatever password' }),
    });
    assert.equal(post.status, 403);
    assert.match(await post.text(), /Continue with Okta/);
    await context.close();
  });

  test('excluded users (the owner, the fallback admin) still sign in with their password', async () => {
    const context = await browser.newContext();
    const page = await signIn(context, w.url, 'owner@acme.test', PASSWORD);
    assert.equal(await page.textContent('#user'), 'owner@acme.test');
    await context.close();
  });

  test('IdP-initiated: a signed unsolicited response at the IdP-initiated ACS signs the user in', async () => {
    const samlResponse = await idp.unsolicitedResponse('alice@acme.test');
    const res = await fetch(`${w.url}/sso/acme/saml/idp-acs`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ SAMLResponse: samlResponse, RelayState: '/?from=idp' }) });
    assert.equal(res.status, 303, await res.text());
    assert.equal(res.headers.get('location'), '/?from=idp');
    assert.match(res.headers.get('set-cookie') ?? '', /warden_session=wdn_ses_/);
    const replay = await fetch(`${w.url}/sso/acme/saml/idp-acs`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ SAMLResponse: samlResponse }) });
    assert.equal(replay.status, 403);
    assert.equal((await auditEvents('login.failure')).at(-1)?.error_code, 'replayed');
  });

  test('an unknown user is refused with a clear page; with JIT on they are created with the default role', async () => {
    idp.user = 'newcomer@acme.test';
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${w.url}/sso/acme/start`);
    await page.waitForSelector('#error');
    assert.match((await page.textContent('#error')) ?? '', /no Warden account for your email/);
    assert.equal((await auditEvents('login.failure')).at(-1)?.error_code, 'unknown_user');

    const cfg = await owner().get('/sso');
    const current = cfg.body;
    const jit = await owner().put('/sso/saml', { provider: 'okta', sso_url: idp.ssoUrl, issuer: idp.issuer, certificates: [idpKeys.cert], jit_provisioning: true, jit_role: 'analyst' });
    assert.equal(jit.status, 200);
    assert.equal(current.enabled, true);
    await page.goto(`${w.url}/sso/acme/start`);
    await page.waitForURL(`${w.url}/`);
    assert.equal(await page.textContent('#user'), 'newcomer@acme.test');
    assert.equal(await page.textContent('#role'), 'analyst');
    idp.user = 'alice@acme.test';
    await context.close();
  });

  test('test sign-in runs the whole flow, shows the attributes and creates no session', async () => {
    const t = await owner().post('/sso/test', {});
    assert.equal(t.status, 201, JSON.stringify(t.body));
    assert.equal(t.body.ok, true, JSON.stringify(t.body.checks));
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(t.body.test_sign_in_url);
    await page.waitForSelector('#test-email');
    assert.equal(await page.textContent('#test-email'), 'alice@acme.test');
    assert.equal((await context.cookies()).some((c) => c.name === 'warden_session'), false);
    await context.close();
  });

  test('disable: password sign-in works again for everyone and the configuration is kept', async () => {
    const noConfirm = await owner().post('/sso/disable', {});
    assert.equal(noConfirm.status, 400);
    const disabled = await owner().post('/sso/disable', { confirm: 'acme' });
    assert.equal(disabled.status, 200, JSON.stringify(disabled.body));
    assert.equal(disabled.body.enabled, false);
    assert.equal(disabled.body.config.issuer, idp.issuer);
    const { hashPassword } = await import('../../src/crypto/password.ts');
    await w.services.db.updateTable('users').set({ password_hash: await hashPassword(PASSWORD) }).where('email', '=', 'alice@acme.test').execute();
    const context = await browser.newContext();
    const page = await signIn(context, w.url, 'alice@acme.test', PASSWORD);
    assert.equal(await page.textContent('#user'), 'alice@acme.test');
    await context.close();
    const again = await owner().post('/sso/enable', {});
    assert.equal(again.body.enabled, true);
  });
});
