import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/env.ts';

const bin = path.resolve('bin/warden.js');
const run = (args: string[], env: Record<string, string>) =>
  spawnSync(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH!, ...env }, encoding: 'utf8', timeout: 60_000 });

describe('configuration', () => {
  test('defaults: port 3000, base URL from the port, embedded database', () => {
    const c = loadConfig({});
    assert.equal(c.port, 3000);
    assert.equal(c.baseUrl, 'http://localhost:3000');
    assert.equal(c.databaseUrl, undefined);
  });

  test('a wrong value names the variable and what it expects', () => {
    assert.throws(() => loadConfig({ PORT: 'eighty' }), (e: Error) => e instanceof ConfigError && /PORT/.test(e.message));
    assert.throws(() => loadConfig({ DATABASE_URL: 'mysql://x' }), /DATABASE_URL: expects a postgres:\/\//);
    assert.throws(() => loadConfig({ WARDEN_BASE_URL: 'ftp://x' }), /WARDEN_BASE_URL/);
  });

  test('the CLI stops with that message and a non-zero exit', () => {
    const r = run(['migrate'], { PORT: '99999' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /PORT/);
  });
});

describe('CLI', () => {
  test('bootstrap --json prints one JSON object last; pat create issues a scoped token; secrets are 0600', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'warden-cli-'));
    try {
      const env = { WARDEN_DATA_DIR: dir, WARDEN_LOG_LEVEL: 'error' };
      const boot = run(['bootstrap', '--tenant', 'acme', '--email', 'ana@acme.test', '--json'], env);
      assert.equal(boot.status, 0, boot.stderr);
      const last = JSON.parse(boot.stdout.trim().split('\n').at(-1)!);
      assert.equal(last.tenant, 'acme');
      assert.equal(last.email, 'ana@acme.test');
      assert.match(last.pat, /^wdn_pat_/);
      assert.equal(statSync(path.join(dir, 'secrets', 'token-pepper-v1.key')).mode & 0o777, 0o600);

      const again = run(['bootstrap', '--tenant', 'acme', '--email', 'bo@acme.test'], env);
      assert.notEqual(again.status, 0);
      assert.match(again.stderr, /TENANT_EXISTS/);

      const pat = run(['pat', 'create', '--tenant', 'acme', '--email', 'ana@acme.test', '--scopes', 'tenant:read,audit:read', '--json'], env);
      assert.equal(pat.status, 0, pat.stderr);
      assert.deepEqual(JSON.parse(pat.stdout.trim()).scopes, ['tenant:read', 'audit:read']);

      const bad = run(['pat', 'create', '--tenant', 'acme', '--email', 'ana@acme.test', '--scopes', 'tenant:fly'], env);
      assert.notEqual(bad.status, 0);
      assert.match(bad.stderr, /UNKNOWN_SCOPE/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
