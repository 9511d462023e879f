import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { matchTotp, otpauthUri, stepAt, totpCode, TOTP_SETTINGS } from '../../src/mfa/totp.ts';

// RFC 6238 Appendix B: the SHA-1 seed is the ASCII string "12345678901234567890" (base32 below).
// The RFC lists 8-digit values; Warden's settings (SHA-1, 30 s, 6 digits) are the last 6 of them
// (RFC 4226 §5.3 dynamic truncation takes the value mod 10^digits).
const RFC_SEED = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const VECTORS: [number, string][] = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

describe('TOTP (RFC 6238) with the settings Warden uses', () => {
  test('settings are the authenticator-app defaults: SHA-1, 6 digits, 30 s', () => {
    assert.deepEqual(TOTP_SETTINGS, { algorithm: 'sha1', digits: 6, period: 30 });
  });

  test('RFC 6238 Appendix B SHA-1 test vectors', async () => {
    for (const [seconds, eight] of VECTORS) assert.equal(await totpCode(RFC_SEED, seconds * 1000), eight.slice(-6), `T=${seconds}`);
  });

  test('a code verifies in its step and one step either side, not two', async () => {
    const at = 1111111111_000;
    const step = stepAt(at);
    for (const delta of [-1, 0, 1]) assert.equal(await matchTotp(RFC_SEED, await totpCode(RFC_SEED, at + delta * 30_000), at, 0), step + delta, `delta ${delta}`);
    for (const delta of [-2, 2]) assert.equal(await matchTotp(RFC_SEED, await totpCode(RFC_SEED, at + delta * 30_000), at, 0), null, `delta ${delta}`);
  });

  test('a step at or before the last used one is refused (replay)', async () => {
    const at = 1234567890_000;
    const code = await totpCode(RFC_SEED, at);
    assert.equal(await matchTotp(RFC_SEED, code, at, stepAt(at) - 1), stepAt(at));
    assert.equal(await matchTotp(RFC_SEED, code, at, stepAt(at)), null);
  });

  test('wrong length or non-digits is just a wrong code (otplib would throw)', async () => {
    for (const bad of ['', '12345', '1234567', 'abcdef', '12 456']) assert.equal(await matchTotp(RFC_SEED, bad, 59_000, 0), null, bad);
  });

  test('the otpauth URI names issuer, account and the settings', () => {
    const uri = new URL(otpauthUri(RFC_SEED, 'Warden (acme)', 'ana@acme.test'));
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.host, 'totp');
    assert.equal(decodeURIComponent(uri.pathname), '/Warden (acme):ana@acme.test');
    assert.equal(uri.searchParams.get('secret'), RFC_SEED);
    assert.equal(uri.searchParams.get('issuer'), 'Warden (acme)');
    assert.ok([null, 'SHA1'].includes(uri.searchParams.get('algorithm')));
    assert.ok([null, '6'].includes(uri.searchParams.get('digits')));
    assert.ok([null, '30'].includes(uri.searchParams.get('period')));
  });
});
