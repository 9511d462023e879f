import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { startWarden, type TestWarden } from '../support/warden.ts';
import { api } from '../support/http.ts';
import { launchBrowser, signIn } from '../support/browser.ts';
import { startSmtp, type TestSmtp } from '../support/smtp.ts';
import { hashPassword } from '../../src/crypto/password.ts';

let w: TestWarden;
let smtp: TestSmtp;
let browser: Browser;
let ownerPat: string;
const OLD = 'the old password 123';
const NEW = 'a brand new password 456';

before(async () => {
  smtp = await startSmtp();
  w = await startWarden({ env: { WARDEN_SMTP_URL: smtp.url } });
  ownerPat = (await w.bootstrap('acme', 'owner@acme.test')).pat;
  await api(w.url, ownerPat, { 'x-tenant-id': 'acme' }).post('/members', { email: 'erin@acme.test', role: 'developer' });
  await w.services.db.updateTable('users').set({ password_hash: await hashPassword(OLD) }).where('email', '=', 'erin@acme.test').execute();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await w?.close();
  await smtp?.close();
});

/** The reset link in a caught email (quoted-printable soft breaks undone). */
function linkIn(raw: string): string {
  const body = raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
  return /(http:\/\/\S+\/login\/reset\/wdn_pwr_\w+)/.exec(body)![1]!;
}

async function requestReset(email: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${w.url}/login/forgot`);
  await page.fill('#email', email);
  await Promise.all([page.waitForLoadState('load'), page.click('#send-link')]);
  const notice = await page.textContent('#notice');
  await context.close();
  return notice;
}

describe('self-service password reset', () => {
  test('forgot password → email with a one-time link → new password; old sessions end; the old password stops working', async () => {
    const before = await browser.newContext();
    const signedIn = await signIn(before, w.url, 'erin@acme.test', OLD);
    assert.equal(await signedIn.textContent('#user'), 'erin@acme.test');

    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${w.url}/login`);
    await page.fill('#email', 'erin@acme.test');
    await page.click('#next');
    await page.waitForSelector('#forgot');
    const since = smtp.messages.length;
    await Promise.all([page.waitForURL(/\/login\/forgot/), page.click('#forgot')]);
    assert.equal(await page.inputValue('#email'), 'erin@acme.test');
    await Promise.all([page.waitForLoadState('load'), page.click('#send-link')]);
    assert.match((await page.textContent('#notice')) ?? '', /If erin@acme.test has a Warden account/);
    const mail = await smtp.waitFor('erin@acme.test', since);
    assert.equal(mail.subject, 'Reset your Warden password');
    const link = linkIn(mail.raw);

    await page.goto(link);
    assert.equal(await page.textContent('#reset-email'), 'erin@acme.test');
    await page.fill('#password', NEW);
    await page.fill('#confirmation', NEW);
    await Promise.all([page.waitForURL(/\/login\?notice=password_changed/), page.click('#reset')]);
    assert.match((await page.textContent('#notice')) ?? '', /password was changed/);

    await signedIn.goto(`${w.url}/`);
    assert.equal(new URL(signedIn.url()).pathname, '/login', 'the session opened with the old password is over');
    const old = await signIn(await browser.newContext(), w.url, 'erin@acme.test', OLD);
    assert.match((await old.textContent('#error')) ?? '', /do not match/);
    const fresh = await signIn(await browser.newContext(), w.url, 'erin@acme.test', NEW);
    assert.equal(await fresh.textContent('#user'), 'erin@acme.test');

    assert.equal((await fetch(link)).status, 404, 'the link works once');
    await w.services.audit.flush();
    const events = await api(w.url, ownerPat, { 'x-tenant-id': 'acme' }).get('/audit/events?operation=password.&limit=50');
    assert.deepEqual(events.body.events.map((e: any) => e.operation).sort(), ['password.reset', 'password.reset_requested']);
    assert.doesNotMatch(JSON.stringify(events.body), /wdn_pwr_/);
    await before.close();
    await context.close();
  });

  test('an unknown address gets the same answer and no email', async () => {
    const since = smtp.messages.length;
    const notice = await requestReset('nobody@acme.test');
    assert.match(notice ?? '', /If nobody@acme.test has a Warden account/);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(smtp.messages.slice(since).length, 0);
  });

  test('links expire after an hour, and at most three are sent per hour', async () => {
    const since = smtp.messages.length;
    await requestReset('owner@acme.test');
    const link = linkIn((await smtp.waitFor('owner@acme.test', since)).raw);
    w.clock.advance(61 * 60_000);
    assert.equal((await fetch(link)).status, 404);
    for (let i = 0; i < 4; i++) await requestReset('owner@acme.test');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(smtp.messages.slice(since + 1).filter((m) => m.to.includes('owner@acme.test')).length, 3);
  });

  test('a reset link cannot be used with a weak or mismatched password', async () => {
    const since = smtp.messages.length;
    w.clock.advance(61 * 60_000);
    await requestReset('erin@acme.test');
    const link = linkIn((await smtp.waitFor('erin@acme.test', since)).raw);
    const page = await (await browser.newContext()).newPage();
    await page.goto(link);
    await page.evaluate(() => document.querySelectorAll('input[minlength]').forEach((i) => i.removeAttribute('minlength')));
    await page.fill('#password', 'short');
    await page.fill('#confirmation', 'short');
    await Promise.all([page.waitForLoadState('load'), page.click('#reset')]);
    assert.match((await page.textContent('#error')) ?? '', /at least 12 characters/);
    assert.equal((await fetch(link)).status, 200, 'a refused attempt does not use the link up');
  });

  test('a user whose tenant signs them in through an IdP gets no link (their password lives at the IdP)', async () => {
    await w.bootstrap('ssoco', 'fed@ssoco.test', 'a password they had once');
    w.services.login.addSsoRouter(async (_db, { tenant }) => (tenant.slug === 'ssoco' ? { url: '/sso/ssoco/start', label: 'IdP' } : null));
    const since = smtp.messages.length;
    assert.match((await requestReset('fed@ssoco.test')) ?? '', /If fed@ssoco.test has a Warden account/);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(smtp.messages.slice(since).length, 0);
  });

});

describe('changing the password while signed in', () => {
  test('needs the current password; ends the other sessions and keeps this one', async () => {
    const other = await browser.newContext();
    const otherPage = await signIn(other, w.url, 'erin@acme.test', NEW);
    assert.equal(await otherPage.textContent('#user'), 'erin@acme.test');
    const context = await browser.newContext();
    const page = await signIn(context, w.url, 'erin@acme.test', NEW);
    await Promise.all([page.waitForURL(/\/account\/password/), page.click('#change-password')]);
    await page.fill('#current', 'not the current one');
    await page.fill('#password', 'yet another password 789');
    await page.fill('#confirmation', 'yet another password 789');
    await Promise.all([page.waitForLoadState('load'), page.click('#change')]);
    assert.match((await page.textContent('#error')) ?? '', /current password is not right/);
    await page.fill('#current', NEW);
    await page.fill('#password', 'yet another password 789');
    await page.fill('#confirmation', 'yet another password 789');
    await Promise.all([page.waitForURL(/notice=password_changed/), page.click('#change')]);
    assert.equal(await page.textContent('#user'), 'erin@acme.test', 'this session stays');
    await otherPage.goto(`${w.url}/`);
    assert.equal(new URL(otherPage.url()).pathname, '/login', 'the other session ended');
    const again = await signIn(await browser.newContext(), w.url, 'erin@acme.test', 'yet another password 789');
    assert.equal(await again.textContent('#user'), 'erin@acme.test');
    await other.close();
    await context.close();
  });

  test('signed out, the page sends you to sign in first', async () => {
    const res = await fetch(`${w.url}/account/password`, { redirect: 'manual' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/login?return_to=%2Faccount%2Fpassword');
  });
});
