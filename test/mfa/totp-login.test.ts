import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { startWarden, type TestWarden } from '../support/warden.ts';
import { api } from '../support/http.ts';
import { launchBrowser, signIn } from '../support/browser.ts';
import { totpCode } from '../../src/mfa/totp.ts';
import { addUser, continueHome, enrolTotp, PASSWORD, pathOf, setPolicy, submitCode } from './helpers.ts';

let w: TestWarden;
let browser: Browser;
let ownerPat: string;

before(async () => {
  w = await startWarden();
  ownerPat = (await w.bootstrap('acme', 'owner@acme.test', PASSWORD)).pat;
  browser = await launchBrowser();
  await setPolicy(w, ownerPat, 'acme', { required: true, methods: ['totp'] });
});
after(async () => {
  await browser?.close();
  await w?.close();
});

async function auditOps(operation: string) {
  await w.services.audit.flush();
  const res = await api(w.url, ownerPat, { 'x-tenant-id': 'acme' }).get(`/audit/events?operation=${encodeURIComponent(operation)}&limit=100`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.events as any[];
}

describe('MFA with an authenticator app, in Chromium', () => {
  test('first sign-in enrols TOTP (seed, otpauth URI, QR code), shows ten recovery codes once, and the seed is stored sealed', async () => {
    await addUser(w, ownerPat, 'acme', 'ana@acme.test');
    const context = await browser.newContext();
    const page = await signIn(context, w.url, 'ana@acme.test', PASSWORD);
    assert.equal(pathOf(page), '/login/mfa');
    assert.equal((await context.cookies()).some((c) => c.name === 'warden_session'), false, 'no session before the second step');
    const seed = (await page.textContent('#totp-secret'))!.trim();
    const uri = new URL((await page.getAttribute('#otpauth-uri', 'href'))!);
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.searchParams.get('secret'), seed);
    assert.match(decodeURIComponent(uri.pathname), /ana@acme\.test$/);
    assert.match((await page.getAttribute('#qr', 'src'))!, /^data:image\/png;base64,/);
    const qrWidth = await page.$eval('#qr', (img) => (img as HTMLImageElement).naturalWidth);
    assert.ok(qrWidth > 0, 'the QR image decodes in the browser');

    // A reload shows the same seed: the user may already have scanned it.
    await page.reload();
    assert.equal((await page.textContent('#totp-secret'))!.trim(), seed);

    await submitCode(page, '000000');
    assert.match((await page.textContent('#error')) ?? '', /not right/);
    assert.equal((await page.textContent('#totp-secret'))!.trim(), seed);

    await submitCode(page, await totpCode(seed, w.clock.now().getTime()));
    const codes = await page.locator('#recovery-codes li').allTextContents();
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10);
    for (const c of codes) assert.match(c, /^[0-9a-z]{5}-[0-9a-z]{5}$/);
    assert.ok((await context.cookies()).some((c) => c.name === 'warden_session'), 'signed in once enrolled');
    await continueHome(w, page);
    assert.equal(await page.textContent('#user'), 'ana@acme.test');

    const row = await w.services.db.selectFrom('mfa_enrolments').innerJoin('users', 'users.id', 'mfa_enrolments.user_id').selectAll('mfa_enrolments').where('users.email', '=', 'ana@acme.test').executeTakeFirstOrThrow();
    assert.ok(row.confirmed_at);
    assert.match(row.totp_secret!, /^wk1\./, 'sealed by the keyring');
    assert.ok(!row.totp_secret!.includes(seed));
    const stored = await w.services.db.selectFrom('mfa_recovery_codes').select(['code_hash']).where('user_id', '=', row.user_id).execute();
    assert.equal(stored.length, 10);
    for (const s of stored) for (const c of codes) assert.ok(!Buffer.from(s.code_hash).toString('latin1').includes(c.replace('-', '')));
    const session = await w.services.db.selectFrom('browser_sessions').select('amr').where('user_id', '=', row.user_id).executeTakeFirstOrThrow();
    assert.deepEqual([...session.amr].sort(), ['mfa', 'otp', 'pwd']);
    assert.ok((await auditOps('mfa.enrol')).some((e) => e.target === 'ana@acme.test' && e.outcome === 'success'));
    assert.ok((await auditOps('mfa.enrol.failure')).some((e) => e.target === 'ana@acme.test' && e.error_code === 'wrong_code'));
    await context.close();
  });

  test('the next sign-in asks for a TOTP code; a replayed code is refused; a fresh one signs in', async () => {
    await addUser(w, ownerPat, 'acme', 'ben@acme.test');
    const first = await browser.newContext();
    const enrolled = await enrolTotp(w, first, 'ben@acme.test');
    await first.close();

    const context = await browser.newContext();
    const page = await signIn(context, w.url, 'ben@acme.test', PASSWORD);
    assert.equal(pathOf(page), '/login/mfa');
    assert.equal(await page.isVisible('#totp-secret'), false, 'no seed is shown after enrolment');
    // Same time step as the enrolment: the code that enrolled cannot be used again.
    await submitCode(page, enrolled.code);
    assert.match((await page.textContent('#error')) ?? '', /not right/);
    assert.ok((await auditOps('mfa.verify.failure')).some((e) => e.target === 'ben@acme.test' && e.error_code === 'replayed_code'));

    w.clock.advance(30_000);
    const fresh = await totpCode(enrolled.seed, w.clock.now().getTime());
    await Promise.all([page.waitForURL(`${w.url}/`), page.fill('#code', fresh).then(() => page.click('#verify'))]);
    assert.equal(await page.textContent('#user'), 'ben@acme.test');
    assert.ok((await auditOps('mfa.verify')).some((e) => e.target === 'ben@acme.test' && e.outcome === 'success'));

    // The same fresh code on another browser, still within its window: refused.
    const thief = await browser.newContext();
    const other = await signIn(thief, w.url, 'ben@acme.test', PASSWORD);
    await submitCode(other, fresh);
    assert.match((await other.textContent('#error')) ?? '', /not right/);
    assert.equal((await thief.cookies()).some((c) => c.name === 'warden_session'), false);
    await thief.close();
    await context.close();
  });

  test('the same code submitted from two browsers at the same moment signs in exactly one of them', async () => {
    await addUser(w, ownerPat, 'acme', 'race@acme.test');
    const first = await browser.newContext();
    const { seed } = await enrolTotp(w, first, 'race@acme.test');
    await first.close();
    w.clock.advance(30_000);
    const contexts = await Promise.all([browser.newContext(), browser.newContext(), browser.newContext()]);
    const pages = await Promise.all(contexts.map((c) => signIn(c, w.url, 'race@acme.test', PASSWORD)));
    const code = await totpCode(seed, w.clock.now().getTime());
    for (const p of pages) await p.fill('#code', code);
    await Promise.all(pages.map((p) => Promise.all([p.waitForLoadState('load'), p.click('#verify')])));
    const signedIn = await Promise.all(contexts.map(async (c) => (await c.cookies()).some((k) => k.name === 'warden_session')));
    assert.equal(signedIn.filter(Boolean).length, 1, `exactly one sign-in, got ${signedIn}`);
    for (const c of contexts) await c.close();
  });

  test('codes one step old or ahead are accepted (clock drift), two steps are not', async () => {
    await addUser(w, ownerPat, 'acme', 'dri@acme.test');
    const first = await browser.newContext();
    const { seed } = await enrolTotp(w, first, 'dri@acme.test');
    await first.close();
    w.clock.advance(90_000);
    const context = await browser.newContext();
    const page = await signIn(context, w.url, 'dri@acme.test', PASSWORD);
    await submitCode(page, await totpCode(seed, w.clock.now().getTime() - 60_000));
    assert.match((await page.textContent('#error')) ?? '', /not right/);
    await Promise.all([page.waitForURL(`${w.url}/`), page.fill('#code', await totpCode(seed, w.clock.now().getTime() + 30_000)).then(() => page.click('#verify'))]);
    await context.close();
  });

  test('five wrong codes lock the second step for 15 minutes, even for the right code; the lockout is audited', async () => {
    await addUser(w, ownerPat, 'acme', 'lock@acme.test');
    const first = await browser.newContext();
    const { seed } = await enrolTotp(w, first, 'lock@acme.test');
    await first.close();
    w.clock.advance(30_000);

    const context = await browser.newContext();
    const page = await signIn(context, w.url, 'lock@acme.test', PASSWORD);
    for (let i = 0; i < 4; i++) {
      await submitCode(page, String(100000 + i));
      assert.match((await page.textContent('#error')) ?? '', /not right/);
    }
    await submitCode(page, '999999');
    assert.match((await page.textContent('#error')) ?? '', /Too many wrong codes\. Try again in 15 minutes/);
    assert.ok((await auditOps('mfa.lockout')).some((e) => e.target === 'lock@acme.test'));

    // A new sign-in with the password still stops at the lock; the right code does not get through.
    const again = await signIn(context, w.url, 'lock@acme.test', PASSWORD);
    assert.match((await again.textContent('#error')) ?? '', /Too many wrong codes/);
    const right = await fetch(`${w.url}/login/mfa`, { headers: { cookie: (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ') } });
    assert.equal(right.status, 429);
    assert.equal((await context.cookies()).some((c) => c.name === 'warden_session'), false);

    w.clock.advance(16 * 60_000);
    const later = await signIn(context, w.url, 'lock@acme.test', PASSWORD);
    await Promise.all([later.waitForURL(`${w.url}/`), later.fill('#code', await totpCode(seed, w.clock.now().getTime())).then(() => later.click('#verify'))]);
    assert.equal(await later.textContent('#user'), 'lock@acme.test');
    await context.close();
  });

  test('a recovery code signs in once; the same code is refused the second time', async () => {
    await addUser(w, ownerPat, 'acme', 'rec@acme.test');
    const first = await browser.newContext();
    const { recoveryCodes } = await enrolTotp(w, first, 'rec@acme.test');
    await first.close();

    const context = await browser.newContext();
    const page = await signIn(context, w.url, 'rec@acme.test', PASSWORD);
    await Promise.all([page.waitForURL(/method=recovery/), page.click('#method-recovery')]);
    await Promise.all([page.waitForURL(`${w.url}/`), page.fill('#code', recoveryCodes[3]!.toUpperCase()).then(() => page.click('#verify'))]);
    assert.equal(await page.textContent('#user'), 'rec@acme.test');
    assert.ok((await auditOps('mfa.recovery_code_used')).some((e) => e.target === 'rec@acme.test'));

    const second = await browser.newContext();
    const again = await signIn(second, w.url, 'rec@acme.test', PASSWORD);
    await Promise.all([again.waitForURL(/method=recovery/), again.click('#method-recovery')]);
    await submitCode(again, recoveryCodes[3]!);
    assert.match((await again.textContent('#error')) ?? '', /not right/);
    assert.equal((await second.cookies()).some((c) => c.name === 'warden_session'), false);

    const list = await api(w.url, ownerPat, { 'x-tenant-id': 'acme' }).get('/mfa/users?email=rec@acme.test');
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.equal(list.body.users[0].recovery_codes_left, 9);
    await second.close();
    await context.close();
  });

  test('the MFA pages refuse a form post without the CSRF token and a missing flow', async () => {
    const noFlow = await fetch(`${w.url}/login/mfa`);
    assert.equal(noFlow.status, 400);
    assert.equal(noFlow.headers.get('cache-control'), 'no-store');
    const post = await fetch(`${w.url}/login/mfa/code`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'method=totp&code=123456' });
    assert.equal(post.status, 403);
  });
});
