import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launchBrowser, signIn } from '../support/browser.ts';
import { connectMcp } from '../support/mcp.ts';
import { freePort } from '../support/postgres.ts';

// The newcomer's path: `npm start` on an empty data directory (the embedded database), the banner's
// password in the browser, the banner's PAT in an MCP client; a restart keeps it all and says nothing.
const dataDir = mkdtempSync(path.join(tmpdir(), 'warden-first-run-'));
const bin = path.join(import.meta.dirname, '../../bin/warden.js');
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

async function serve(port: number): Promise<{ stdout: () => string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [bin, 'serve'], { env: { ...process.env, DATABASE_URL: '', PORT: String(port), WARDEN_DATA_DIR: dataDir, WARDEN_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (Date.now() > deadline) throw new Error(`server did not start:\n${out}`);
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok).catch(() => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    stdout: () => out,
    stop: () => new Promise<void>((resolve) => (child.once('exit', () => resolve()), child.kill('SIGTERM'))),
  };
}

test('first start prints working owner credentials once; they work in the browser and over MCP, and survive a restart', async () => {
  const port = await freePort();
  const first = await serve(port);
  await new Promise((r) => setTimeout(r, 300));
  const banner = first.stdout();
  const password = /Owner password:\s+(\S+)/.exec(banner)?.[1];
  const pat = /Owner PAT:\s+(wdn_pat_\w+)/.exec(banner)?.[1];
  assert.ok(password && pat, `banner with credentials:\n${banner}`);
  assert.match(banner, /"url": "http:\/\/localhost:\d+\/mcp"/);

  const browser = await launchBrowser();
  try {
    const page = await signIn(await browser.newContext(), `http://127.0.0.1:${port}`, 'owner@example.com', password!);
    assert.equal(await page.textContent('#user'), 'owner@example.com');
    assert.equal(await page.textContent('#role'), 'owner');
  } finally {
    await browser.close();
  }
  const client = await connectMcp(`http://127.0.0.1:${port}`, pat!, { 'x-tenant-id': 'default' });
  const tools = (await client.listTools()).tools.map((t) => t.name);
  assert.ok(tools.includes('sso_get_settings') && tools.includes('pats_create'));
  await client.close();
  await first.stop();

  const second = await serve(port);
  await new Promise((r) => setTimeout(r, 300));
  assert.doesNotMatch(second.stdout(), /Owner password/, 'no second bootstrap');
  const again = await connectMcp(`http://127.0.0.1:${port}`, pat!, { 'x-tenant-id': 'default' });
  const who = (await again.callTool({ name: 'auth_whoami', arguments: {} })).structuredContent as any;
  assert.equal(who.user.email, 'owner@example.com');
  await again.close();
  await second.stop();
});
