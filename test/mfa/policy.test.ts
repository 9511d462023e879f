import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { startWarden, type TestWarden } from '../support/warden.ts';
import { api } from '../support/http.ts';
import { addMember } from '../support/people.ts';
import { launchBrowser, signIn } from '../support/browser.ts';
import { addExcluded } from '../../src/sso/store.ts';
import { createDelivery } from '../../src/mfa/delivery.ts';
import { silentLogger } from '../../src/core/log.ts';
import { addUser, continueHome, enrolTotp, PASSWORD, pathOf, setPolicy } from './helpers.ts';

let w: TestWarden;
let browser: Browser;
let ownerPat: string;
let otherPat: string;

// Delivery points at closed ports: these tests change policy and never send a code.
before(async () => {
  w = await startWarden({
    env: { WARDEN_SMTP_URL: 'smtp://127.0.0.1:9', WARDEN_SMS_URL: 'http://127.0.0.1:9', WARDEN_TWILIO_ACCOUNT_SID: 'ACx', WARDEN_TWILIO_AUTH_TOKEN: 'tok', WARDEN_SMS_FROM: '+15005550006' },
  });
  ownerPat = (await w.bootstrap('acme', 'owner@acme.test', PASSWORD)).pat;
  otherPat = (await w.bootstrap('globex', 'owner@globex.test', PASSWORD)).pat;
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await w?.close();
});

const acme = () => api(w.url, ownerPat, { 'x-tenant-id': 'acme' });
const tenantId = async (slug: string) => (await w.services.tenants.bySlug(slug))!.id;

async function userStatus(email: string) {
  const res = await acme().get(`/mfa/users?email=${encodeURIComponent(email)}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.users[0];
}

describe('MFA policy operations', () => {
  test('get_policy: off by default, authenticator app only, applies to all users while SSO is off', async () => {
    const res = await acme().get('/mfa/policy');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.required, false);
    assert.deepEqual(res.body.methods, ['totp']);
    assert.equal(res.body.applies_to, 'all users');
    assert.equal(res.body.sso_enabled, false);
    assert.match(res.body.summary, /nobody is prompted/);
  });

  test('set_policy allows email and SMS but says they are NIST restricted authenticators, and recommends the app', async () => {
    const res = await acme().put('/mfa/policy', { required: false, methods: ['sms', 'email'] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.methods, ['email', 'sms']);
    assert.ok(res.body.notices.some((n: string) => /NIST SP 800-63B/.test(n) && /restricted/.test(n)));
    assert.ok(res.body.notices.some((n: string) => /authenticator app \(totp\) is off/.test(n)));
    const ok = await acme().put('/mfa/policy', { methods: ['totp'] });
    assert.deepEqual(ok.body.previous.methods, ['email', 'sms']);
    assert.ok(!ok.body.notices.some((n: string) => /NIST/.test(n)));
    const bad = await acme().put('/mfa/policy', { methods: ['carrier-pigeon'] });
    assert.equal(bad.status, 400);
    const empty = await acme().put('/mfa/policy', { methods: [] });
    assert.equal(empty.status, 400);
    const nothing = await acme().put('/mfa/policy', {});
    assert.equal(nothing.status, 400);
    assert.equal(nothing.body.code, 'MFA_POLICY_EMPTY_CHANGE');
  });

  test('members without mfa permissions cannot read or change the policy; another tenant is untouched', async () => {
    const dev = await addMember(w, ownerPat, 'acme', 'dev@acme.test', 'developer');
    const devApi = api(w.url, dev.pat, { 'x-tenant-id': 'acme' });
    assert.equal((await devApi.get('/mfa/policy')).status, 403);
    assert.equal((await devApi.put('/mfa/policy', { required: true })).status, 403);
    assert.equal((await devApi.post('/mfa/users/owner@acme.test/reset', { confirm: 'owner@acme.test' })).status, 403);
    await setPolicy(w, ownerPat, 'acme', { required: true, methods: ['totp'] });
    const globex = await api(w.url, otherPat, { 'x-tenant-id': 'globex' }).get('/mfa/policy');
    assert.equal(globex.body.required, false);
    const cross = await api(w.url, otherPat, { 'x-tenant-id': 'globex' }).post('/mfa/users/dev@acme.test/reset', { confirm: 'dev@acme.test' });
    assert.equal(cross.status, 404);
    assert.equal(cross.body.code, 'MEMBER_NOT_FOUND');
    await setPolicy(w, ownerPat, 'acme', { required: false });
  });

  test('without SMTP or an SMS provider the methods cannot be offered; the embedded default prints codes to a console outbox', async () => {
    const none = createDelivery({ smtpUrl: undefined, smtpFrom: 'x <x@x>', sms: undefined }, { embedded: false, log: silentLogger });
    assert.equal(none.email.via, null);
    assert.equal(none.sms.via, null);
    await assert.rejects(none.email.send({ to: 'a@b.c', subject: 's', text: 't' }), { code: 'MFA_DELIVERY_UNAVAILABLE' });
    const lines: string[] = [];
    const dev = createDelivery({ smtpUrl: undefined, smtpFrom: 'x <x@x>', sms: undefined }, { embedded: true, log: silentLogger, write: (l) => lines.push(l) });
    assert.equal(dev.email.via, 'outbox');
    await dev.sms.send({ to: '+15551234567', subject: 'Warden code', text: '123456 is your code' });
    assert.match(lines.join(''), /dev outbox\] sms to \+15551234567[\s\S]*123456/);
  });
});

describe('MFA scope, policy changes and reset, in Chromium', () => {
  test('SSO on: MFA applies only to SSO-excluded users; federated sign-ins are never asked; SSO off: all users again', async () => {
    await setPolicy(w, ownerPat, 'acme', { required: true, methods: ['totp'] });
    const excludedId = await addUser(w, ownerPat, 'acme', 'break-glass@acme.test', 'admin');
    const ssoUserId = await addUser(w, ownerPat, 'acme', 'federated@acme.test');
    const tid = await tenantId('acme');
    // SSO's own state (src/sso): enabled with a protocol, one excluded user.
    await w.services.db.insertInto('sso_settings').values({ tenant_id: tid, enabled: true, protocol: 'saml', provider: 'okta', config: '{}' }).execute();
    await addExcluded(w.services.db, tid, excludedId);

    const policy = await acme().get('/mfa/policy');
    assert.equal(policy.body.applies_to, 'SSO-excluded users only');
    assert.equal(policy.body.sso_enabled, true);
    assert.match(policy.body.summary, /SSO-excluded users/);

    const context = await browser.newContext();
    const page = await signIn(context, w.url, 'break-glass@acme.test', PASSWORD);
    assert.equal(pathOf(page), '/login/mfa', 'the excluded user signs in with a password and gets MFA');
    assert.ok(await page.isVisible('#totp-secret'));
    await context.close();

    const tenant = (await w.services.tenants.bySlug('acme'))!;
    const user = await w.services.db.selectFrom('users').selectAll().where('id', '=', ssoUserId).executeTakeFirstOrThrow();
    assert.equal(await w.services.login.pendingStepFor(w.services.db, { tenant, user, amr: ['fed'] }), null, 'the IdP did MFA');
    const excluded = await w.services.db.selectFrom('users').selectAll().where('id', '=', excludedId).executeTakeFirstOrThrow();
    assert.equal(await w.services.login.pendingStepFor(w.services.db, { tenant, user: excluded, amr: ['fed'] }), null);
    assert.equal(await w.services.login.pendingStepFor(w.services.db, { tenant, user, amr: ['pwd'] }), null, 'not excluded: not in MFA scope');
    assert.deepEqual(await w.services.login.pendingStepFor(w.services.db, { tenant, user: excluded, amr: ['pwd'] }), { stage: 'mfa_enrol', path: '/login/mfa' });
    assert.equal((await userStatus('federated@acme.test')).status, 'not_required');
    assert.equal((await userStatus('break-glass@acme.test')).status, 'must_enrol');

    await w.services.db.updateTable('sso_settings').set({ enabled: false }).where('tenant_id', '=', tid).execute();
    assert.equal((await acme().get('/mfa/policy')).body.applies_to, 'all users');
    assert.equal((await userStatus('federated@acme.test')).status, 'must_enrol');
    await w.services.db.deleteFrom('sso_settings').where('tenant_id', '=', tid).execute();
  });

  test('an SMS provider that cannot be reached: the page says so, the failure is audited, and no code is left waiting', async () => {
    await setPolicy(w, ownerPat, 'acme', { required: true, methods: ['sms'] });
    await addUser(w, ownerPat, 'acme', 'nosignal@acme.test');
    const context = await browser.newContext();
    const page = await signIn(context, w.url, 'nosignal@acme.test', PASSWORD);
    await page.fill('#phone', '+15551239876');
    await Promise.all([page.waitForLoadState('load'), page.click('#send')]);
    assert.match((await page.textContent('#error')) ?? '', /could not be sent/);
    const row = await w.services.db.selectFrom('mfa_codes').select('code_hash').where('destination', '=', '+15551239876').executeTakeFirstOrThrow();
    assert.equal(row.code_hash, null);
    await w.services.audit.flush();
    const events = await acme().get('/audit/events?operation=mfa.code_sent');
    assert.ok(events.body.events.some((e: any) => e.target === 'nosignal@acme.test' && e.outcome === 'failed' && e.error_code === 'delivery_failed'));
    await context.close();
    await setPolicy(w, ownerPat, 'acme', { methods: ['totp'] });
  });

  test('an admin reset (confirmed) removes the enrolment and the user enrols again with a new seed', async () => {
    await setPolicy(w, ownerPat, 'acme', { required: true, methods: ['totp'] });
    await addUser(w, ownerPat, 'acme', 'lost-phone@acme.test');
    const first = await browser.newContext();
    const { page, seed } = await enrolTotp(w, first, 'lost-phone@acme.test');
    await continueHome(w, page);
    await first.close();
    assert.equal((await userStatus('lost-phone@acme.test')).status, 'enrolled');

    const unconfirmed = await acme().post('/mfa/users/lost-phone@acme.test/reset', {});
    assert.equal(unconfirmed.status, 400);
    assert.equal(unconfirmed.body.code, 'CONFIRMATION_REQUIRED');
    assert.equal((await userStatus('lost-phone@acme.test')).status, 'enrolled', 'nothing changed without confirmation');
    const wrong = await acme().post('/mfa/users/lost-phone@acme.test/reset', { confirm: 'someone-else@acme.test' });
    assert.equal(wrong.status, 400);
    const reset = await acme().post('/mfa/users/lost-phone@acme.test/reset', { confirm: 'lost-phone@acme.test' });
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    assert.deepEqual(reset.body.removed_methods, ['totp']);
    const after = await userStatus('lost-phone@acme.test');
    assert.equal(after.status, 'must_enrol');
    assert.equal(after.recovery_codes_left, 0);
    await w.services.audit.flush();
    const events = await acme().get('/audit/events?operation=mfa.reset_user');
    assert.ok(events.body.events.some((e: any) => e.target === 'lost-phone@acme.test' && e.outcome === 'success'));

    const context = await browser.newContext();
    const again = await signIn(context, w.url, 'lost-phone@acme.test', PASSWORD);
    assert.equal(pathOf(again), '/login/mfa');
    const newSeed = (await again.textContent('#totp-secret'))!.trim();
    assert.notEqual(newSeed, seed);
    await context.close();
  });

  test('disabling a method moves its users to re-enrol with an allowed one; turning MFA off stops prompting and keeps enrolments', async () => {
    await setPolicy(w, ownerPat, 'acme', { required: true, methods: ['totp'] });
    await addUser(w, ownerPat, 'acme', 'mover@acme.test');
    const first = await browser.newContext();
    const { page } = await enrolTotp(w, first, 'mover@acme.test');
    await continueHome(w, page);
    await first.close();

    const changed = await setPolicy(w, ownerPat, 'acme', { methods: ['email'] });
    assert.ok(changed.notices.some((n: string) => /Users enrolled only with totp will set up another allowed method/.test(n)));
    const status = await userStatus('mover@acme.test');
    assert.equal(status.status, 'must_enrol');
    assert.deepEqual(status.methods.map((m: any) => [m.method, m.allowed]), [['totp', false]]);
    const context = await browser.newContext();
    const reenrol = await signIn(context, w.url, 'mover@acme.test', PASSWORD);
    assert.equal(pathOf(reenrol), '/login/mfa');
    assert.equal(await reenrol.textContent('#destination'), 'm•••@acme.test', 'offered the email method');
    assert.equal(await reenrol.isVisible('#method-totp'), false);
    await context.close();

    const off = await setPolicy(w, ownerPat, 'acme', { required: false, methods: ['totp'] });
    assert.ok(off.notices.some((n: string) => /no longer required/.test(n)));
    const free = await browser.newContext();
    const home = await signIn(free, w.url, 'mover@acme.test', PASSWORD);
    assert.equal(pathOf(home), '/');
    assert.equal(await home.textContent('#user'), 'mover@acme.test');
    const kept = await userStatus('mover@acme.test');
    assert.equal(kept.status, 'not_required');
    assert.deepEqual(kept.methods.map((m: any) => m.method), ['totp'], 'enrolment kept');
    assert.equal(kept.recovery_codes_left, 10);
    await free.close();
  });
});
