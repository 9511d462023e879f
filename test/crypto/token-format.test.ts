import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateToken, parseToken, TokenHasher } from '../../src/crypto/token-format.ts';

test('issued tokens carry their kind prefix and a checksum that parses back', () => {
  const { token, start } = generateToken('pat');
  assert.match(token, /^wdn_pat_[0-9A-Za-z]{36}$/);
  assert.equal(start, token.slice(0, 12));
  assert.equal(parseToken(token), 'pat');
  assert.equal(parseToken(generateToken('api_key').token), 'api_key');
});

test('a single mistyped character fails the checksum without any lookup', () => {
  const { token } = generateToken('pat');
  for (const i of [8, 20, token.length - 1]) {
    const c = token[i]!;
    const typo = token.slice(0, i) + (c === 'a' ? 'b' : 'a') + token.slice(i + 1);
    assert.equal(parseToken(typo), undefined, `typo at ${i} accepted`);
  }
  assert.equal(parseToken(token.slice(0, -1)), undefined);
  assert.equal(parseToken(token.replace('wdn_pat_', 'wdn_xyz_')), undefined);
});

test('hashes are keyed by a versioned pepper; old peppers still match during rotation', () => {
  const { token } = generateToken('pat');
  const v1 = new TokenHasher([{ version: 1, key: Buffer.alloc(32, 1) }]);
  const v2 = new TokenHasher([{ version: 2, key: Buffer.alloc(32, 2) }, { version: 1, key: Buffer.alloc(32, 1) }]);
  const stored = v1.hash(token);
  assert.equal(stored.pepperVersion, 1);
  assert.equal(v2.hash(token).pepperVersion, 2);
  assert.notDeepEqual(v2.hash(token).hash, stored.hash);
  assert.ok(v2.candidates(token).some((h) => h.equals(stored.hash)));
});
