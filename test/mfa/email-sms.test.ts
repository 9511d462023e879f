import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { startWarden, type TestWarden } from '../support/warden.ts';
import { api } from '../support/http.ts';
import { launchBrowser, signIn } from '../support/browser.ts';
import { startSmtp, type TestSmtp } from '../support/smtp.ts';
import { startSms, type TestSms } from '../support/sms.ts';
import { addUser, continueHome, PASSWORD, pathOf, setPolicy, submitCode } from './helpers.ts';

let w: TestWarden;
let smtp: TestSmtp;
let sms: TestSms;
let browser: Browser;
let ownerPat: string;

before(async () => {
  smtp = await startSmtp();
  sms = await startSms();
  w = await startWarden({ env: { WARDEN_SMTP_URL: smtp.url, WARDEN_SMTP_FROM: 'Warden <security@acme.test>', ...sms.env() } });
  ownerPat = (await w.bootstrap('acme', 'owner@acme.test', PASSWORD)).pat;
  browser = await launchBrowser();
  const policy = await setPolicy(w, ownerPat, 'acme', { required: true, methods: ['totp', 'email', 'sms'] });
  assert.deepEqual(policy.delivery, { email: 'smtp', sms: 'twilio' });
});
after(async () => {
  await browser?.close();
  await w?.close();
  await smtp?.close();
  await sms?.close();
});

const codeOfMail = (subject: string) => /(\d{6})/.exec(subject)![1]!;
const codeOfSms = (body: string) => /(\d{6})/.exec(body)![1]!;

async function send(page: Page) {
  await Promise.all([page.waitForLoadState('load'), page.click('#send')]);
}

describe('MFA by email code over real SMTP, in Chromium', () => {
  test('first sign-in enrols email: the code arrives over SMTP (authenticated) and confirms it; recovery codes follow', async () => {
    await addUser(w, ownerPat, 'acme', 'eve@acme.test');
    const context = await browser.newContext();
    const page = await signIn(context, w.url, 'eve@acme.test', PASSWORD);
    assert.equal(pathOf(page), '/login/mfa');
    for (const m of ['totp', 'email', 'sms']) assert.ok(await page.isVisible(`#method-${m}`), `offers ${m}`);
    await Promise.all([page.waitForURL(/method=email/), page.click('#method-email')]);
    assert.equal(await page.textContent('#destination'), 'e•••@acme.test');
    const since = smtp.messages.length;
    await send(page);
    const mail = await smtp.waitFor('eve@acme.test', since);
    assert.equal(mail.user, 'warden', 'Warden authenticated to the SMTP server');
    assert.equal(mail.from, 'security@acme.test');
    assert.match(mail.raw, /expires in 10 minutes/);
    // Only a keyed hash of the code is stored.
    const row = await w.services.db.selectFrom('mfa_codes').selectAll().where('destination', '=', 'eve@acme.test').executeTakeFirstOrThrow();
    assert.ok(!Buffer.from(row.code_hash!).toString('latin1').includes(codeOfMail(mail.subject)));

    await submitCode(page, '000000');
    assert.match((await page.textContent('#error')) ?? '', /not right/);
    await submitCode(page, codeOfMail(mail.subject));
    assert.equal((await page.locator('#recovery-codes li').allTextContents()).length, 10);
    await continueHome(w, page);
    assert.equal(await page.textContent('#user'), 'eve@acme.test');
    await context.close();

    // Later sign-ins ask for an email code; the used code is spent.
    const next = await browser.newContext();
    const again = await signIn(next, w.url, 'eve@acme.test', PASSWORD);
    assert.equal(await again.textContent('#destination'), 'e•••@acme.test');
    assert.equal(await again.isVisible('#method-totp'), false, 'only enrolled methods are offered');
    w.clock.advance(31_000);
    const before2 = smtp.messages.length;
    await send(again);
    const second = await smtp.waitFor('eve@acme.test', before2);
    assert.notEqual(codeOfMail(second.subject), '');
    await Promise.all([again.waitForURL(`${w.url}/`), again.fill('#code', codeOfMail(second.subject)).then(() => again.click('#verify'))]);
    const session = await w.services.db
      .selectFrom('browser_sessions')
      .innerJoin('users', 'users.id', 'browser_sessions.user_id')
      .select('browser_sessions.amr')
      .where('users.email', '=', 'eve@acme.test')
      .orderBy('browser_sessions.created_at', 'desc')
      .executeTakeFirstOrThrow();
    assert.ok(session.amr.includes('mfa'));
    await next.close();
  });

  test('sends are rate-limited, and a code older than 10 minutes is refused', async () => {
    await addUser(w, ownerPat, 'acme', 'rate@acme.test');
    const context = await browser.newContext();
    const page = await signIn(context, w.url, 'rate@acme.test', PASSWORD);
    await Promise.all([page.waitForURL(/method=email/), page.click('#method-email')]);
    const since = smtp.messages.length;
    await send(page);
    const mail = await smtp.waitFor('rate@acme.test', since);
    await Promise.all([page.waitForLoadState('load'), page.click('#resend')]);
    assert.match((await page.textContent('#error')) ?? '', /sent very recently/);
    assert.equal(smtp.messages.slice(since).filter((m) => m.to.includes('rate@acme.test')).length, 1);

    w.clock.advance(10 * 60_000 + 1000);
    await submitCode(page, codeOfMail(mail.subject));
    assert.equal((await context.cookies()).some((c) => c.name === 'warden_session'), false, 'an expired code signs nobody in');
    assert.match((await page.textContent('#notice, #error')) ?? '', /expired/);
    await context.close();
  });
});

describe('MFA by SMS through a Twilio-compatible API, in Chromium', () => {
  test('first sign-in enrols a phone: the code goes to the Messages API with Basic auth; later sign-ins text it again', async () => {
    await addUser(w, ownerPat, 'acme', 'sam@acme.test');
    const context = await browser.newContext();
    const page = await signIn(context, w.url, 'sam@acme.test', PASSWORD);
    await Promise.all([page.waitForURL(/method=sms/), page.click('#method-sms')]);
    await page.fill('#phone', 'not a number');
    await send(page);
    assert.match((await page.textContent('#error')) ?? '', /international format/);
    await page.fill('#phone', '+44 7700 900123');
    const since = sms.messages.length;
    await send(page);
    const text = await sms.waitFor('+447700900123', since);
    assert.equal(text.from, sms.from);
    assert.match(text.body, /^\d{6} is your Warden verification code/);
    assert.deepEqual(sms.refused, []);
    assert.equal(await page.textContent('#destination'), '+44•••••23');
    await submitCode(page, codeOfSms(text.body));
    assert.equal((await page.locator('#recovery-codes li').allTextContents()).length, 10);
    await continueHome(w, page);
    await context.close();

    const list = await api(w.url, ownerPat, { 'x-tenant-id': 'acme' }).get('/mfa/users?email=sam@acme.test');
    assert.equal(list.status, 200);
    const [user] = list.body.users;
    assert.equal(user.status, 'enrolled');
    assert.deepEqual(
      user.methods.map((m: any) => [m.method, m.phone, m.allowed]),
      [['sms', '+44•••••23', true]],
    );
    assert.ok(!JSON.stringify(list.body).includes('900123'), 'no full phone number in listings');

    w.clock.advance(31_000);
    const next = await browser.newContext();
    const again = await signIn(next, w.url, 'sam@acme.test', PASSWORD);
    assert.equal(await again.textContent('#destination'), '+44•••••23');
    const before2 = sms.messages.length;
    await send(again);
    const second = await sms.waitFor('+447700900123', before2);
    await Promise.all([again.waitForURL(`${w.url}/`), again.fill('#code', codeOfSms(second.body)).then(() => again.click('#verify'))]);
    assert.equal(await again.textContent('#user'), 'sam@acme.test');
    await next.close();
  });

  test('a user with several methods picks among the enrolled ones that are still allowed', async () => {
    await addUser(w, ownerPat, 'acme', 'multi@acme.test');
    const context = await browser.newContext();
    const page = await signIn(context, w.url, 'multi@acme.test', PASSWORD);
    await Promise.all([page.waitForURL(/method=email/), page.click('#method-email')]);
    let since = smtp.messages.length;
    await send(page);
    await submitCode(page, codeOfMail((await smtp.waitFor('multi@acme.test', since)).subject));
    await continueHome(w, page);
    // A second, SMS enrolment added directly in the store (the product enrols one method at sign-in).
    const userId = (await w.services.db.selectFrom('users').select('id').where('email', '=', 'multi@acme.test').executeTakeFirstOrThrow()).id;
    const tenantId = (await w.services.tenants.bySlug('acme'))!.id;
    await w.services.db.insertInto('mfa_enrolments').values({ tenant_id: tenantId, user_id: userId, method: 'sms', phone: '+15551230000', confirmed_at: w.clock.now() }).execute();
    await context.close();

    const next = await browser.newContext();
    const again = await signIn(next, w.url, 'multi@acme.test', PASSWORD);
    assert.ok(await again.isVisible('#method-sms'));
    assert.ok(await again.isVisible('#method-recovery'));
    assert.equal(await again.isVisible('#method-totp'), false);
    await Promise.all([again.waitForURL(/method=sms/), again.click('#method-sms')]);
    w.clock.advance(31_000);
    since = sms.messages.length;
    await send(again);
    const text = await sms.waitFor('+15551230000', since);
    await Promise.all([again.waitForURL(`${w.url}/`), again.fill('#code', codeOfSms(text.body)).then(() => again.click('#verify'))]);
    await next.close();
  });
});
