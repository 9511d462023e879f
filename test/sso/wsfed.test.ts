import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { startWarden, type TestWarden } from '../support/warden.ts';
import { api } from '../support/http.ts';
import { addMember } from '../support/people.ts';
import { launchBrowser } from '../support/browser.ts';
import { makeKeyPair } from '../support/certs.ts';
import { startWsFedSts, type TestSts } from '../support/wsfed-sts.ts';
import { freePort } from '../support/postgres.ts';

let w: TestWarden;
let browser: Browser;
let ownerPat: string;
let sts: TestSts;
let realm: string;
let reply: string;
const owner = () => api(w.url, ownerPat, { 'x-tenant-id': 'acme' });

before(async () => {
  w = await startWarden();
  ownerPat = (await w.bootstrap('acme', 'owner@acme.test')).pat;
  await addMember(w, ownerPat, 'acme', 'fallback@acme.test', 'admin');
  await addMember(w, ownerPat, 'acme', 'bob@acme.test', 'developer');
  sts = await startWsFedSts({ keys: makeKeyPair('adfs-signing'), user: 'bob@acme.test' });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await sts?.close();
  await w?.close();
});

async function lastFailureReason(): Promise<string> {
  await w.services.audit.flush();
  const res = await owner().get('/audit/events?operation=login.failure&limit=1000');
  return res.body.events.at(-1)?.error_code;
}

/** Starts a sign-in and returns Warden's wctx for it. */
async function wctx(): Promise<string> {
  const start = await fetch(`${w.url}/sso/acme/start`, { redirect: 'manual' });
  assert.equal(start.status, 303);
  const location = new URL(start.headers.get('location')!);
  assert.equal(location.searchParams.get('wa'), 'wsignin1.0');
  assert.equal(location.searchParams.get('wtrealm'), realm);
  assert.equal(location.searchParams.get('wreply'), reply);
  return location.searchParams.get('wctx')!;
}

async function post(wresult: string, context: string) {
  return fetch(reply, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ wa: 'wsignin1.0', wresult, wctx: context }) });
}

describe('WS-Federation configuration', () => {
  test('an unreachable federation metadata URL is a clear error and saves nothing', async () => {
    const dead = `http://127.0.0.1:${await freePort()}/FederationMetadata.xml`;
    const res = await owner().put('/sso/wsfed', { provider: 'azure', sign_on_url: sts.signOnUrl, federation_metadata_url: dead });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'METADATA_UNREACHABLE');
    assert.equal(res.body.field, 'federation_metadata_url');
    assert.equal((await owner().get('/sso')).body.protocol, null);
  });

  test('configure with Azure parameters, exclude a fallback admin, enable', async () => {
    const res = await owner().put('/sso/wsfed', { provider: 'azure', sign_on_url: sts.signOnUrl, federation_metadata_url: sts.metadataUrl });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    ({ wsfed_realm: realm, wsfed_reply_url: reply } = res.body.service_provider);
    await owner().post('/sso/excluded-users', { email: 'fallback@acme.test' });
    const enabled = await owner().post('/sso/enable', {});
    assert.equal(enabled.body.enabled, true, JSON.stringify(enabled.body));
    const test = await owner().post('/sso/test', {});
    assert.equal(test.body.ok, true, JSON.stringify(test.body.checks));
    assert.equal(test.body.certificates[0].status, 'valid');
  });
});

describe('WS-Federation sign-in', () => {
  test('in the browser, with a SAML 1.1 token: email → STS → wresult posted back → signed in', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${w.url}/login`);
    await page.fill('#email', 'bob@acme.test');
    await Promise.all([page.waitForURL(`${w.url}/`), page.click('#next')]);
    assert.equal(await page.textContent('#user'), 'bob@acme.test');
    await context.close();
  });

  test('with a SAML 2.0 token', async () => {
    sts.tokenVersion = '2.0';
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${w.url}/sso/acme/start`);
    await page.waitForURL(`${w.url}/`);
    assert.equal(await page.textContent('#user'), 'bob@acme.test');
    sts.tokenVersion = '1.1';
    await context.close();
  });

  test('the STS rolls its signing key: Warden refreshes the metadata on the signature miss', async () => {
    const before = sts.metadataFetches;
    w.clock.advance(60_000); // past the refresh rate limit (one refetch per 30 s)
    const next = makeKeyPair('adfs-signing-next');
    sts.keys = next;
    sts.publishedCerts = [next];
    const res = await post(sts.wresult({ email: 'bob@acme.test', realm, version: '1.1' }), await wctx());
    assert.equal(res.status, 303, await res.text());
    assert.ok(sts.metadataFetches > before, 'metadata fetched again');
  });

  test('a token for another realm is refused', async () => {
    await post(sts.wresult({ email: 'bob@acme.test', realm: 'https://other-rp.example/', version: '1.1' }), await wctx()).then(async (r) => assert.equal(r.status, 403));
    assert.equal(await lastFailureReason(), 'audience_mismatch');
  });

  test('an expired token is refused', async () => {
    const past = Date.now() - 2 * 60 * 60_000;
    const res = await post(sts.wresult({ email: 'bob@acme.test', realm, version: '2.0', notBefore: new Date(past), notOnOrAfter: new Date(past + 60_000) }), await wctx());
    assert.equal(res.status, 403);
    assert.equal(await lastFailureReason(), 'expired');
  });

  test('an unsigned token, and one signed by an unknown key, are refused', async () => {
    assert.equal((await post(sts.wresult({ email: 'bob@acme.test', realm, version: '1.1', signWith: null }), await wctx())).status, 403);
    assert.equal(await lastFailureReason(), 'signature_invalid');
    assert.equal((await post(sts.wresult({ email: 'bob@acme.test', realm, version: '1.1', signWith: makeKeyPair('rogue') }), await wctx())).status, 403);
    assert.equal(await lastFailureReason(), 'signature_invalid');
  });

  test('a token from another issuer (signed with the right key) is refused', async () => {
    assert.equal((await post(sts.wresult({ email: 'bob@acme.test', realm, version: '1.1', issuer: 'http://evil-sts/' }), await wctx())).status, 403);
    assert.equal(await lastFailureReason(), 'issuer_mismatch');
  });

  test('a replayed token is refused, even under a new sign-in', async () => {
    const wresult = sts.wresult({ email: 'bob@acme.test', realm, version: '1.1' });
    assert.equal((await post(wresult, await wctx())).status, 303);
    assert.equal((await post(wresult, await wctx())).status, 403);
    assert.equal(await lastFailureReason(), 'replayed');
  });

  test('a wresult without a live wctx is refused', async () => {
    assert.equal((await post(sts.wresult({ email: 'bob@acme.test', realm, version: '1.1' }), 'made-up')).status, 403);
    assert.equal(await lastFailureReason(), 'flow_expired');
  });
});
