import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startWarden, type TestWarden } from '../support/warden.ts';
import { api } from '../support/http.ts';
import { addMember } from '../support/people.ts';
import { launchBrowser } from '../support/browser.ts';
import { startOidcProvider, type TestOp } from '../support/oidc-op.ts';
import { freePort } from '../support/postgres.ts';

const CLIENT_SECRET = 'oidc-client-secret-that-must-never-leak-8c1f';
let w: TestWarden;
let google: TestWarden;
let browser: Browser;
let ownerPat: string;
let op: TestOp;
const owner = () => api(w.url, ownerPat, { 'x-tenant-id': 'acme' });

before(async () => {
  const [port, googlePort] = [await freePort(), await freePort()];
  op = await startOidcProvider([
    { client_id: 'warden-acme', client_secret: CLIENT_SECRET, redirect_uris: [`http://127.0.0.1:${port}/sso/acme/oidc/callback`] },
    { client_id: 'warden-google', client_secret: 'google-client-secret', redirect_uris: [`http://127.0.0.1:${googlePort}/sso/globex/oidc/callback`] },
  ]);
  w = await startWarden({ env: { PORT: String(port), WARDEN_BASE_URL: `http://127.0.0.1:${port}` } });
  google = await startWarden({
    env: { PORT: String(googlePort), WARDEN_BASE_URL: `http://127.0.0.1:${googlePort}`, WARDEN_GOOGLE_CLIENT_ID: 'warden-google', WARDEN_GOOGLE_CLIENT_SECRET: 'google-client-secret', WARDEN_GOOGLE_ISSUER: op.issuer },
  });
  ownerPat = (await w.bootstrap('acme', 'owner@acme.test')).pat;
  await addMember(w, ownerPat, 'acme', 'fallback@acme.test', 'admin');
  await addMember(w, ownerPat, 'acme', 'carol@acme.test', 'developer');
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await w?.close();
  await google?.close();
  await op?.close();
});

/** Types the login at the provider's dev login page and accepts its consent page (if it asks). */
async function signInAtProvider(page: Page, login: string, home: string) {
  await page.waitForSelector('input[name=login]');
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', 'anything');
  await page.click('button[type=submit]');
  // Next comes either the consent page (a form without the login field) or Warden itself.
  await page.waitForFunction((h) => location.href.startsWith(h) || (!document.querySelector('input[name=login]') && Boolean(document.querySelector('button[type=submit]'))), home);
  if (!page.url().startsWith(home)) await Promise.all([page.waitForURL((u) => u.toString().startsWith(home)), page.click('button[type=submit]')]);
}

async function lastFailureReason(): Promise<string> {
  await w.services.audit.flush();
  return (await owner().get('/audit/events?operation=login.failure&limit=1000')).body.events.at(-1)?.error_code;
}

describe('OpenID Connect', () => {
  test('an issuer without discovery is a clear error, and nothing is saved', async () => {
    const res = await owner().put('/sso/oidc', { provider: 'other', issuer: `http://127.0.0.1:${await freePort()}`, client_id: 'x', client_secret: 'y' });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'OIDC_DISCOVERY_FAILED');
    assert.equal(res.body.field, 'issuer');
    assert.equal((await owner().get('/sso')).body.protocol, null);
  });

  test('provider "other" needs issuer, client_id and client_secret, named in the error', async () => {
    const res = await owner().put('/sso/oidc', { provider: 'other', issuer: op.issuer });
    assert.equal(res.status, 400);
    assert.match(JSON.stringify(res.body), /client_id/);
    assert.match(JSON.stringify(res.body), /client_secret/);
  });

  test('configure: discovery checked, the client secret sealed and never shown', async () => {
    const res = await owner().put('/sso/oidc', { provider: 'other', issuer: op.issuer, client_id: 'warden-acme', client_secret: CLIENT_SECRET });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.config.client_secret_set, true);
    assert.doesNotMatch(JSON.stringify(res.body), new RegExp(CLIENT_SECRET));
    const row = await w.services.db.selectFrom('sso_settings').select('client_secret').executeTakeFirstOrThrow();
    assert.ok(row.client_secret && !row.client_secret.includes(CLIENT_SECRET));
    await w.services.audit.flush();
    const audit = await owner().get('/audit/events?operation=sso.configure_oidc');
    assert.doesNotMatch(JSON.stringify(audit.body), new RegExp(CLIENT_SECRET));
    await owner().post('/sso/excluded-users', { email: 'fallback@acme.test' });
    assert.equal((await owner().post('/sso/enable', {})).body.enabled, true);
  });

  test('sign-in in the browser: email → provider login and consent → code + PKCE → signed in', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${w.url}/login`);
    await page.fill('#email', 'carol@acme.test');
    await page.click('#next');
    await signInAtProvider(page, 'carol@acme.test', w.url);
    await page.waitForSelector('#user');
    assert.equal(await page.textContent('#user'), 'carol@acme.test');
    await context.close();
  });

  test('a callback with a forged state is refused', async () => {
    const context: BrowserContext = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${w.url}/sso/acme/start`);
    await page.waitForSelector('input[name=login]');
    await page.goto(`${w.url}/sso/acme/oidc/callback?code=forged&state=forged&iss=${encodeURIComponent(op.issuer)}`);
    assert.ok(await page.isVisible('#error'));
    assert.match(await lastFailureReason(), /state_mismatch|invalid_response/);
    await context.close();
  });

  test('a callback in a browser that did not start the sign-in is refused', async () => {
    const res = await fetch(`${w.url}/sso/acme/oidc/callback?code=x&state=y`, { redirect: 'manual' });
    assert.equal(res.status, 403);
    assert.equal(await lastFailureReason(), 'flow_expired');
  });

  test('an unverified email is refused', async () => {
    op.unverified.add('carol@acme.test');
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${w.url}/sso/acme/start`);
    await signInAtProvider(page, 'carol@acme.test', w.url);
    await page.waitForSelector('#error');
    assert.equal(await lastFailureReason(), 'email_unverified');
    op.unverified.delete('carol@acme.test');
    await context.close();
  });

  test('Google: no customer parameters, the deployment client from the environment', async () => {
    const pat = (await google.bootstrap('globex', 'owner@globex.test')).pat;
    const g = api(google.url, pat, { 'x-tenant-id': 'globex' });
    await addMember(google, pat, 'globex', 'fallback@globex.test', 'admin');
    await addMember(google, pat, 'globex', 'dave@globex.test', 'member');
    const extra = await g.put('/sso/oidc', { provider: 'google', client_id: 'mine' });
    assert.equal(extra.status, 400);
    const res = await g.put('/sso/oidc', { provider: 'google' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    await g.post('/sso/excluded-users', { email: 'fallback@globex.test' });
    assert.equal((await g.post('/sso/enable', {})).body.enabled, true);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${google.url}/login`);
    await page.fill('#email', 'dave@globex.test');
    await page.click('#next');
    await signInAtProvider(page, 'dave@globex.test', google.url);
    await page.waitForSelector('#user');
    assert.equal(await page.textContent('#user'), 'dave@globex.test');
    await context.close();
  });
});
