import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { startWarden, type TestWarden } from '../support/warden.ts';
import { api } from '../support/http.ts';
import { launchBrowser, signIn } from '../support/browser.ts';

let w: TestWarden;
let browser: Browser;
let ownerPat: string;
const PASSWORD = 'correct horse battery staple';

before(async () => {
  w = await startWarden();
  ownerPat = (await w.bootstrap('acme', 'owner@acme.test', PASSWORD)).pat;
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await w?.close();
});

async function auditOps(tenant: string, operation: string) {
  await w.services.audit.flush();
  const res = await api(w.url, ownerPat, { 'x-tenant-id': tenant }).get(`/audit/events?operation=${encodeURIComponent(operation)}&limit=100`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.events as any[];
}

describe('browser login with password', () => {
  test('email, then password, opens a session shown on the home page; the cookie is HttpOnly and SameSite=Lax', async () => {
    const context = await browser.newContext();
    const page = await signIn(context, w.url, 'Owner@Acme.test', PASSWORD);
    assert.equal(new URL(page.url()).pathname, '/');
    assert.equal(await page.textContent('#user'), 'owner@acme.test');
    assert.match((await page.textContent('#tenant')) ?? '', /\(acme\)/);
    assert.equal(await page.textContent('#role'), 'owner');
    const cookie = (await context.cookies()).find((c) => c.name === 'warden_session');
    assert.ok(cookie, 'session cookie set');
    assert.match(cookie.value, /^wdn_ses_/);
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    assert.equal(cookie.secure, false, 'plain http in tests: no Secure flag');
    // Postgres keeps only a keyed hash of the cookie value.
    const rows = await w.services.db.selectFrom('browser_sessions').select(['id_hash']).execute();
    assert.ok(rows.length >= 1);
    assert.ok(rows.every((r) => !Buffer.from(r.id_hash).toString('latin1').includes(cookie.value)));
    const events = await auditOps('acme', 'login.success');
    assert.ok(events.some((e) => e.target === 'owner@acme.test' && e.outcome === 'success'));
    await context.close();
  });

  test('a wrong password and an unknown email get the same message, and both are audited', async () => {
    const context = await browser.newContext();
    const wrong = await signIn(context, w.url, 'owner@acme.test', 'not the password at all');
    const wrongText = await wrong.textContent('#error');
    const unknown = await signIn(context, w.url, 'nobody@acme.test', 'whatever whatever');
    const unknownText = await unknown.textContent('#error');
    assert.equal(wrongText, unknownText);
    assert.match(wrongText ?? '', /do not match/);
    assert.equal((await context.cookies()).some((c) => c.name === 'warden_session'), false);
    const failures = await auditOps('acme', 'login.failure');
    assert.ok(failures.some((e) => e.error_code === 'wrong_password'));
    await context.close();
  });

  test('five failures lock the account for 15 minutes, even with the right password; the lockout is audited', async () => {
    await api(w.url, ownerPat, { 'x-tenant-id': 'acme' }).post('/members', { email: 'locky@acme.test', role: 'developer' });
    const { hashPassword } = await import('../../src/crypto/password.ts');
    await w.services.db.updateTable('users').set({ password_hash: await hashPassword(PASSWORD) }).where('email', '=', 'locky@acme.test').execute();
    const context = await browser.newContext();
    for (let i = 0; i < 4; i++) {
      const page = await signIn(context, w.url, 'locky@acme.test', `wrong password ${i}`);
      assert.match((await page.textContent('#error')) ?? '', /do not match/);
    }
    const fifth = await signIn(context, w.url, 'locky@acme.test', 'wrong password 5');
    assert.match((await fifth.textContent('#error')) ?? '', /Too many failed sign-in attempts\. Try again in 15 minutes/);
    const right = await signIn(context, w.url, 'locky@acme.test', PASSWORD);
    assert.match((await right.textContent('#error')) ?? '', /Too many failed/);
    assert.equal((await context.cookies()).some((c) => c.name === 'warden_session'), false);
    const lockouts = await auditOps('acme', 'login.lockout');
    assert.ok(lockouts.some((e) => e.target === 'locky@acme.test'));

    w.clock.advance(16 * 60_000);
    const after = await signIn(context, w.url, 'locky@acme.test', PASSWORD);
    assert.equal(await after.textContent('#user'), 'locky@acme.test');
    assert.equal(await after.textContent('#role'), 'developer');
    await context.close();
  });

  test('sign-out ends the session on the server: the old cookie no longer works', async () => {
    const context = await browser.newContext();
    const page = await signIn(context, w.url, 'owner@acme.test', PASSWORD);
    const stolen = (await context.cookies()).find((c) => c.name === 'warden_session')!.value;
    await Promise.all([page.waitForURL(/\/login$/), page.click('#sign-out')]);
    assert.ok(await page.isVisible('#email'));
    const replay = await fetch(`${w.url}/`, { headers: { cookie: `warden_session=${stolen}` }, redirect: 'manual' });
    assert.equal(replay.status, 303);
    assert.equal(replay.headers.get('location'), '/login');
    assert.ok((await auditOps('acme', 'login.logout')).length >= 1);
    await context.close();
  });

  test('return_to sends the user back to a local page and ignores other sites', async () => {
    const context = await browser.newContext();
    const local = await signIn(context, w.url, 'owner@acme.test', PASSWORD, `?return_to=${encodeURIComponent('/?from=test')}`);
    assert.equal(new URL(local.url()).search, '?from=test');
    await context.clearCookies();
    for (const evil of ['//evil.example/x', 'https://evil.example/', '/\\evil.example']) {
      const page = await signIn(context, w.url, 'owner@acme.test', PASSWORD, `?return_to=${encodeURIComponent(evil)}`);
      assert.equal(new URL(page.url()).origin, w.url, `stayed on Warden for ${evil}`);
      await context.clearCookies();
    }
    await context.close();
  });

  test('a form post without the CSRF token, or from another origin, is refused', async () => {
    const page = await fetch(`${w.url}/login`);
    const cookie = page.headers.get('set-cookie')!.split(';')[0]!;
    const token = /name="csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    const post = (body: Record<string, string>, headers: Record<string, string> = {}) =>
      fetch(`${w.url}/login/password`, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(body) });
    const noToken = await post({ email: 'owner@acme.test', password: PASSWORD });
    assert.equal(noToken.status, 403);
    const crossSite = await post({ csrf: token, email: 'owner@acme.test', password: PASSWORD }, { origin: 'https://evil.example' });
    assert.equal(crossSite.status, 403);
    const otherCookie = await fetch(`${w.url}/login/password`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: 'warden_csrf=someone-elses', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: token, email: 'owner@acme.test', password: PASSWORD }),
    });
    assert.equal(otherCookie.status, 403);
    const ok = await post({ csrf: token, email: 'owner@acme.test', password: PASSWORD });
    assert.equal(ok.status, 303);
    assert.match(ok.headers.get('set-cookie') ?? '', /warden_session=wdn_ses_[^;]+;.*HttpOnly/i);
  });

  test('an invited user sets a password from the link and is signed in; the link works once', async () => {
    const invite = await api(w.url, ownerPat, { 'x-tenant-id': 'acme' }).post('/members', { email: 'newbie@acme.test', role: 'analyst' });
    assert.equal(invite.status, 201);
    const link = invite.body.invitation.accept_url as string;
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(link);
    assert.equal(await page.textContent('#invited-email'), 'newbie@acme.test');
    await page.fill('#password', 'short');
    await page.fill('#confirmation', 'short');
    await page.evaluate(() => document.querySelectorAll('input[minlength]').forEach((i) => i.removeAttribute('minlength')));
    await Promise.all([page.waitForLoadState('load'), page.click('#accept')]);
    assert.match((await page.textContent('#error')) ?? '', /at least 12 characters/);
    await page.fill('#password', 'a long new password 1');
    await page.fill('#confirmation', 'a long new password 1');
    await Promise.all([page.waitForURL(`${w.url}/`), page.click('#accept')]);
    assert.equal(await page.textContent('#user'), 'newbie@acme.test');
    assert.equal(await page.textContent('#role'), 'analyst');
    const again = await fetch(link);
    assert.equal(again.status, 404);
    assert.equal(again.headers.get('referrer-policy'), 'no-referrer');
    const fresh = await browser.newContext();
    const relogin = await signIn(fresh, w.url, 'newbie@acme.test', 'a long new password 1');
    assert.equal(await relogin.textContent('#user'), 'newbie@acme.test');
    await fresh.close();
    await context.close();
  });

  test('a member of two accounts chooses one after the password; the session belongs to it', async () => {
    await w.bootstrap('globex', 'owner@acme.test');
    const context = await browser.newContext();
    const page = await signIn(context, w.url, 'owner@acme.test', PASSWORD);
    assert.equal(new URL(page.url()).pathname, '/login/account');
    await Promise.all([page.waitForURL(`${w.url}/`), page.click('#tenant-globex')]);
    assert.match((await page.textContent('#tenant')) ?? '', /\(globex\)/);
    const direct = await signIn(await browser.newContext(), w.url, 'owner@acme.test', PASSWORD, '?tenant=acme');
    assert.match((await direct.textContent('#tenant')) ?? '', /\(acme\)/);
    await context.close();
  });

  test('an expired or idle session is not accepted', async () => {
    const context = await browser.newContext();
    const page = await signIn(context, w.url, 'owner@acme.test', PASSWORD, '?tenant=acme');
    assert.equal(new URL(page.url()).pathname, '/');
    w.clock.advance(2 * 60 * 60_000 + 60_000);
    await page.goto(`${w.url}/`);
    assert.equal(new URL(page.url()).pathname, '/login');
    await context.close();
  });
});

describe('sessions as operations', () => {
  test('sessions.list shows who is signed in (no secrets); sessions.end signs a member out everywhere after confirmation', async () => {
    const owner = api(w.url, ownerPat, { 'x-tenant-id': 'acme' });
    await owner.post('/members', { email: 'roamer@acme.test', role: 'developer' });
    const { hashPassword } = await import('../../src/crypto/password.ts');
    await w.services.db.updateTable('users').set({ password_hash: await hashPassword(PASSWORD) }).where('email', '=', 'roamer@acme.test').execute();
    const laptop = await browser.newContext();
    const phone = await browser.newContext();
    const onLaptop = await signIn(laptop, w.url, 'roamer@acme.test', PASSWORD, '?tenant=acme');
    await signIn(phone, w.url, 'roamer@acme.test', PASSWORD, '?tenant=acme');
    const listed = await owner.get('/sessions?email=roamer@acme.test');
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    assert.equal(listed.body.sessions.length, 2);
    assert.deepEqual(listed.body.sessions[0].methods, ['pwd']);
    assert.doesNotMatch(JSON.stringify(listed.body), /wdn_ses_/);

    const unconfirmed = await owner.post('/sessions/end', { email: 'roamer@acme.test' });
    assert.equal(unconfirmed.status, 400);
    const ended = await owner.post('/sessions/end', { email: 'roamer@acme.test', confirm: 'roamer@acme.test' });
    assert.equal(ended.status, 200, JSON.stringify(ended.body));
    assert.equal(ended.body.ended_sessions, 2);
    await onLaptop.goto(`${w.url}/`);
    assert.equal(new URL(onLaptop.url()).pathname, '/login');
    assert.equal((await owner.get('/sessions?email=roamer@acme.test')).body.sessions.length, 0);
    await laptop.close();
    await phone.close();
  });
});

describe('housekeeping', () => {
  test('the sweeper deletes expired sessions and sign-in flows, and keeps live ones', async () => {
    const context = await browser.newContext();
    await signIn(context, w.url, 'owner@acme.test', PASSWORD, '?tenant=acme');
    const { startFlow } = await import('../../src/login/flows.ts');
    await startFlow(w.services.db, { userId: null, tenantId: null, stage: 'sweep_test', returnTo: '/', now: w.clock.now() });
    await w.services.sweeper.sweep();
    const live = await w.services.db.selectFrom('browser_sessions').select('id_hash').execute();
    assert.ok(live.length >= 1, 'a live session survives');
    assert.equal((await w.services.db.selectFrom('login_flows').select('stage').where('stage', '=', 'sweep_test').execute()).length, 1);
    w.clock.advance(25 * 60 * 60_000);
    await w.services.sweeper.sweep();
    assert.equal((await w.services.db.selectFrom('browser_sessions').select('id_hash').execute()).length, 0);
    assert.equal((await w.services.db.selectFrom('login_flows').select('stage').execute()).length, 0);
    await context.close();
  });
});

describe('the seams SSO and MFA plug into', () => {
  test('an SSO router sends the email step to the IdP and refuses the password; a second factor runs before the session opens', async () => {
    await w.bootstrap('seamco', 'sso-user@seam.test', PASSWORD);
    w.services.login.addSsoRouter(async (_db, { tenant }) => (tenant.slug === 'seamco' ? { url: '/sso/seamco/start', label: 'Seam IdP' } : null));
    const emailStep = await fetch(`${w.url}/login`);
    const cookie = emailStep.headers.get('set-cookie')!.split(';')[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(await emailStep.text())![1]!;
    const post = (path: string, body: Record<string, string>) =>
      fetch(`${w.url}${path}`, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ csrf, ...body }) });
    const routed = await post('/login', { email: 'sso-user@seam.test' });
    assert.equal(routed.status, 303);
    assert.equal(routed.headers.get('location'), '/sso/seamco/start');
    const refused = await post('/login/password', { email: 'sso-user@seam.test', password: PASSWORD });
    assert.equal(refused.status, 403);
    assert.match(await refused.text(), /Continue with Seam IdP/);

    w.services.login.addSecondFactor(async (_db, { user }) => (user.email === 'owner@acme.test' ? { stage: 'test_mfa', path: '/login/test-mfa' } : null));
    const stepped = await post('/login/password', { email: 'owner@acme.test', password: PASSWORD, tenant: 'acme' });
    assert.equal(stepped.status, 303);
    assert.equal(stepped.headers.get('location'), '/login/test-mfa');
    const setCookies = stepped.headers.getSetCookie();
    assert.ok(setCookies.some((c) => c.startsWith('warden_flow=')), 'flow cookie for the next step');
    assert.ok(!setCookies.some((c) => c.startsWith('warden_session=')), 'no session before the second factor');
    const flows = await w.services.db.selectFrom('login_flows').select(['stage', 'amr']).where('stage', '=', 'test_mfa').execute();
    assert.deepEqual(flows.map((f) => f.amr), [['pwd']]);
  });
});
