import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startWarden, type TestWarden } from '../support/warden.ts';
import { api } from '../support/http.ts';
import { addMember } from '../support/people.ts';
import { makeKeyPair, type KeyPair } from '../support/certs.ts';
import { authnRequestOf, b64, responseXml, signAssertion, signResponse, wrappingAttacks, type ForgeFields } from '../support/saml-forge.ts';

let w: TestWarden;
let ownerPat: string;
let idpKeys: KeyPair;
let otherKeys: KeyPair;
const ISSUER = 'https://idp.example.test/metadata';
const owner = () => api(w.url, ownerPat, { 'x-tenant-id': 'acme' });
let acs: string;
let idpAcs: string;
let audience: string;

before(async () => {
  w = await startWarden();
  ownerPat = (await w.bootstrap('acme', 'owner@acme.test')).pat;
  await addMember(w, ownerPat, 'acme', 'fallback@acme.test', 'admin');
  await addMember(w, ownerPat, 'acme', 'victim@acme.test', 'admin');
  await addMember(w, ownerPat, 'acme', 'mallory@acme.test', 'member');
  idpKeys = makeKeyPair('idp');
  otherKeys = makeKeyPair('attacker');
  const configured = await owner().put('/sso/saml', { provider: 'other', sso_url: 'https://idp.example.test/sso', issuer: ISSUER, certificates: [idpKeys.cert] });
  assert.equal(configured.status, 200, JSON.stringify(configured.body));
  await owner().post('/sso/excluded-users', { email: 'fallback@acme.test' });
  assert.equal((await owner().post('/sso/enable', {})).body.enabled, true);
  ({ acs_url: acs, idp_initiated_acs_url: idpAcs, entity_id: audience } = configured.body.service_provider);
});
after(() => w?.close());

const unsolicited = (overrides: Partial<ForgeFields> = {}): ForgeFields => ({ issuer: ISSUER, audience, destination: idpAcs, recipient: idpAcs, nameIdXml: 'mallory@acme.test', ...overrides });

async function postIdpAcs(xml: string) {
  return fetch(idpAcs, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ SAMLResponse: b64(xml) }) });
}

async function lastFailureReason(): Promise<string> {
  await w.services.audit.flush();
  const res = await owner().get('/audit/events?operation=login.failure&limit=1000');
  return res.body.events.at(-1)?.error_code;
}

async function assertRefused(res: Response, reason: string | RegExp) {
  const body = await res.text();
  assert.equal(res.status, 403, body.slice(0, 300));
  assert.equal(res.headers.getSetCookie().some((c) => c.startsWith('warden_session=')), false, 'no session');
  assert.doesNotMatch(body, /Error:|at \w+ \(|node_modules|stack/, 'the page leaks no internals');
  const actual = await lastFailureReason();
  if (typeof reason === 'string') assert.equal(actual, reason);
  else assert.match(actual, reason);
}

/** Starts an SP-initiated sign-in: Warden's AuthnRequest id and RelayState. */
async function spInitiated() {
  const start = await fetch(`${w.url}/sso/acme/start`, { redirect: 'manual' });
  assert.equal(start.status, 303);
  return authnRequestOf(start.headers.get('location')!);
}

describe('SAML responses that must be refused (each audited with its reason)', () => {
  test('a correctly signed unsolicited response is accepted (the control case)', async () => {
    const res = await postIdpAcs(signAssertion(responseXml(unsolicited()), idpKeys));
    assert.equal(res.status, 303);
    assert.match(res.headers.get('set-cookie') ?? '', /warden_session=/);
  });

  test('unsigned response', async () => assertRefused(await postIdpAcs(responseXml(unsolicited())), 'signature_invalid'));

  test('signed by a key that is not the configured certificate', async () =>
    assertRefused(await postIdpAcs(signAssertion(responseXml(unsolicited({ nameIdXml: 'victim@acme.test' })), otherKeys)), 'signature_invalid'));

  test('a tampered NameID after signing', async () => {
    const signed = signAssertion(responseXml(unsolicited()), idpKeys).replace('mallory@acme.test', 'victim@acme.test');
    await assertRefused(await postIdpAcs(signed), 'signature_invalid');
  });

  for (const shape of ['XSW1', 'XSW2', 'XSW3', 'XSW4', 'XSW5', 'XSW6', 'XSW7', 'XSW8']) {
    test(`signature wrapping ${shape}: never signs in the victim`, async () => {
      const attacks = wrappingAttacks(signResponse(responseXml(unsolicited()), idpKeys), signAssertion(responseXml(unsolicited()), idpKeys), 'victim@acme.test');
      const res = await postIdpAcs(attacks[shape]!);
      await assertRefused(res, /signature_invalid|invalid_response|no_assertion|malformed|recipient_mismatch/);
    });
  }

  test('a comment inside the NameID (signed by the real IdP key)', async () =>
    assertRefused(await postIdpAcs(signAssertion(responseXml(unsolicited({ nameIdXml: 'victim@acme.test<!---->.evil.test' })), idpKeys)), 'comment_in_assertion'));

  test('a replayed response', async () => {
    const signed = signAssertion(responseXml(unsolicited()), idpKeys);
    assert.equal((await postIdpAcs(signed)).status, 303);
    await assertRefused(await postIdpAcs(signed), 'replayed');
  });

  test('an expired assertion', async () => {
    const past = Date.now() - 60 * 60_000;
    await assertRefused(await postIdpAcs(signAssertion(responseXml(unsolicited({ notBefore: new Date(past - 60_000), notOnOrAfter: new Date(past) })), idpKeys)), 'expired');
  });

  test('an assertion not valid yet (beyond the allowed clock skew)', async () => {
    const future = Date.now() + 60 * 60_000;
    await assertRefused(await postIdpAcs(signAssertion(responseXml(unsolicited({ notBefore: new Date(future), notOnOrAfter: new Date(future + 60_000) })), idpKeys)), 'not_yet_valid');
  });

  test('a small clock skew (one minute ahead) is tolerated', async () => {
    const ahead = Date.now() + 60_000;
    const res = await postIdpAcs(signAssertion(responseXml(unsolicited({ notBefore: new Date(ahead), notOnOrAfter: new Date(ahead + 5 * 60_000) })), idpKeys));
    assert.equal(res.status, 303);
  });

  test('the wrong audience', async () => assertRefused(await postIdpAcs(signAssertion(responseXml(unsolicited({ audience: 'https://other-sp.example/' })), idpKeys)), 'audience_mismatch'));

  test('the wrong issuer', async () => assertRefused(await postIdpAcs(signAssertion(responseXml(unsolicited({ issuer: 'https://evil-idp.example/' })), idpKeys)), 'issuer_mismatch'));

  test('the wrong destination', async () => assertRefused(await postIdpAcs(signAssertion(responseXml(unsolicited({ destination: 'https://other-sp.example/acs' })), idpKeys)), 'destination_mismatch'));

  test('the wrong recipient', async () => assertRefused(await postIdpAcs(signAssertion(responseXml(unsolicited({ recipient: 'https://other-sp.example/acs' })), idpKeys)), 'recipient_mismatch'));

  test('a response to an SP request posted to the IdP-initiated endpoint', async () =>
    assertRefused(await postIdpAcs(signAssertion(responseXml(unsolicited({ inResponseTo: '_someRequest' })), idpKeys)), 'unsolicited_with_in_response_to'));

  test('entity expansion (a DTD) is refused before parsing', async () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>` + signAssertion(responseXml(unsolicited({ nameIdXml: '&b;' })), idpKeys);
    await assertRefused(await postIdpAcs(bomb), 'dtd_refused');
  });
});

describe('SP-initiated: InResponseTo and RelayState', () => {
  test('a response to Warden\'s own request is accepted once', async () => {
    const { id, relayState } = await spInitiated();
    const signed = signAssertion(responseXml({ issuer: ISSUER, audience, destination: acs, recipient: acs, inResponseTo: id, nameIdXml: 'mallory@acme.test' }), idpKeys);
    const ok = await fetch(acs, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ SAMLResponse: b64(signed), RelayState: relayState }) });
    assert.equal(ok.status, 303);
    const again = await fetch(acs, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ SAMLResponse: b64(signed), RelayState: relayState }) });
    await assertRefused(again, 'flow_expired');
  });

  test('InResponseTo that Warden never sent', async () => {
    const { relayState } = await spInitiated();
    const signed = signAssertion(responseXml({ issuer: ISSUER, audience, destination: acs, recipient: acs, inResponseTo: '_notOurs', nameIdXml: 'mallory@acme.test' }), idpKeys);
    await assertRefused(await fetch(acs, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ SAMLResponse: b64(signed), RelayState: relayState }) }), 'in_response_to_invalid');
  });

  test('a response without InResponseTo at the SP-initiated endpoint', async () => {
    const { relayState } = await spInitiated();
    const signed = signAssertion(responseXml({ issuer: ISSUER, audience, destination: acs, recipient: acs, nameIdXml: 'mallory@acme.test' }), idpKeys);
    await assertRefused(await fetch(acs, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ SAMLResponse: b64(signed), RelayState: relayState }) }), 'in_response_to_missing');
  });
});

describe('IdP-initiated sign-in can be turned off', () => {
  test('with allow_idp_initiated false, a valid unsolicited response is refused; SP-initiated still works', async () => {
    const off = await owner().put('/sso/saml', { provider: 'other', sso_url: 'https://idp.example.test/sso', issuer: ISSUER, certificates: [idpKeys.cert], allow_idp_initiated: false });
    assert.equal(off.status, 200);
    assert.equal(off.body.config.allow_idp_initiated, false);
    await assertRefused(await postIdpAcs(signAssertion(responseXml(unsolicited()), idpKeys)), 'idp_initiated_disabled');
    const { id, relayState } = await spInitiated();
    const signed = signAssertion(responseXml({ issuer: ISSUER, audience, destination: acs, recipient: acs, inResponseTo: id, nameIdXml: 'mallory@acme.test' }), idpKeys);
    assert.equal((await fetch(acs, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ SAMLResponse: b64(signed), RelayState: relayState }) })).status, 303);
    await owner().put('/sso/saml', { provider: 'other', sso_url: 'https://idp.example.test/sso', issuer: ISSUER, certificates: [idpKeys.cert] });
  });
});

describe('certificates', () => {
  test('with two certificates, a response signed with the other one still validates (rollover)', async () => {
    const newer = makeKeyPair('idp-next');
    const set = await owner().put('/sso/saml', { provider: 'other', sso_url: 'https://idp.example.test/sso', issuer: ISSUER, certificates: [newer.cert, idpKeys.cert] });
    assert.equal(set.status, 200);
    assert.equal((await postIdpAcs(signAssertion(responseXml(unsolicited()), idpKeys))).status, 303, 'old key still accepted');
    assert.equal((await postIdpAcs(signAssertion(responseXml(unsolicited()), newer))).status, 303, 'new key accepted');
    await assertRefused(await postIdpAcs(signAssertion(responseXml(unsolicited()), otherKeys)), 'signature_invalid');
  });

  test('both certificates failing → refused', async () => {
    const a = makeKeyPair('a');
    const b = makeKeyPair('b');
    await owner().put('/sso/saml', { provider: 'other', sso_url: 'https://idp.example.test/sso', issuer: ISSUER, certificates: [a.cert, b.cert] });
    await assertRefused(await postIdpAcs(signAssertion(responseXml(unsolicited()), idpKeys)), 'signature_invalid');
    await owner().put('/sso/saml', { provider: 'other', sso_url: 'https://idp.example.test/sso', issuer: ISSUER, certificates: [idpKeys.cert] });
  });

  test('a certificate expiring within 30 days warns; an expired one is reported and not used', async () => {
    const short = makeKeyPair('short-lived', 10);
    const set = await owner().put('/sso/saml', { provider: 'other', sso_url: 'https://idp.example.test/sso', issuer: ISSUER, certificates: [idpKeys.cert, short.cert] });
    assert.equal(set.body.certificates[1].status, 'expiring_soon');
    assert.ok(set.body.warnings.some((m: string) => /within 30 days/.test(m)));
    w.clock.advance(11 * 86_400_000);
    const later = await owner().get('/sso');
    assert.equal(later.body.certificates[1].status, 'expired');
    await assertRefused(await postIdpAcs(signAssertion(responseXml(unsolicited()), short)), 'signature_invalid');
    const onlyExpired = await owner().put('/sso/saml', { provider: 'other', sso_url: 'https://idp.example.test/sso', issuer: ISSUER, certificates: [short.cert] });
    assert.equal(onlyExpired.status, 400);
    assert.equal(onlyExpired.body.code, 'CERTIFICATE_NOT_IN_DATE');
  });
});
