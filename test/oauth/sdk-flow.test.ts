import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { startWarden, type TestWarden } from '../support/warden.ts';
import { launchBrowser } from '../support/browser.ts';
import { api } from '../support/http.ts';
import { MemoryProvider, openAuthorization, startCallback, type Callback } from './helpers.ts';

// The MCP SDK's own client OAuth (auth() + OAuthClientProvider) against a running Warden:
// discovery (RFC 9728 → RFC 8414), dynamic registration, authorization code + PKCE with the
// browser part (sign-in and consent) in Chromium, tokens, then MCP tool calls with the JWT.
let w: TestWarden;
let browser: Browser;
let callback: Callback;
let ownerPat: string;
const PASSWORD = 'correct horse battery staple';

before(async () => {
  w = await startWarden();
  ownerPat = (await w.bootstrap('acme', 'owner@acme.test', PASSWORD)).pat;
  browser = await launchBrowser();
  callback = await startCallback();
});
after(async () => {
  await callback?.close();
  await browser?.close();
  await w?.close();
});

describe('MCP SDK client OAuth against Warden', () => {
  test('discovery, registration, sign-in, consent, code exchange, then MCP tool calls with the JWT', async () => {
    const serverUrl = `${w.url}/mcp`;
    const provider = new MemoryProvider(callback.url, 'Test IDE');
    assert.equal(await auth(provider, { serverUrl }), 'REDIRECT');
    assert.ok(provider.info?.client_id, 'registered dynamically');
    const authUrl = provider.authorizationUrl!;
    assert.equal(authUrl.origin + authUrl.pathname, `${w.url}/oauth/authorize`);
    assert.equal(authUrl.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(authUrl.searchParams.get('resource'), serverUrl);

    const context = await browser.newContext();
    const page = await openAuthorization(context, authUrl, { email: 'owner@acme.test', password: PASSWORD });
    await page.waitForSelector('#allow');
    assert.equal(await page.textContent('#client-name'), 'Test IDE');
    assert.equal(await page.textContent('#redirect-host'), new URL(callback.url).host);
    assert.ok(await page.isVisible('#unverified'), 'a self-registered client is flagged');
    // The user narrows: no keys:write for this client.
    await page.uncheck('#scope-keys-write');
    const redirected = callback.next();
    await page.click('#allow');
    const q = await redirected;
    assert.equal(q.get('iss'), w.url, 'RFC 9207 iss parameter');
    assert.equal(q.get('state'), authUrl.searchParams.get('state'));
    const code = q.get('code')!;
    assert.ok(code);

    assert.equal(await auth(provider, { serverUrl, authorizationCode: code }), 'AUTHORIZED');
    const tokens = provider.saved!;
    assert.ok(tokens.access_token && tokens.refresh_token);
    assert.ok(tokens.expires_in! <= 3600);
    const header = decodeProtectedHeader(tokens.access_token);
    assert.equal(header.typ, 'at+jwt');
    const claims = decodeJwt(tokens.access_token);
    assert.equal(claims.aud, serverUrl);
    assert.equal(claims.iss, w.url);
    assert.ok(typeof claims.tid === 'string', 'the token carries its tenant');
    assert.ok(!String(claims.scope).split(' ').includes('keys:write'), 'narrowed on the consent page');

    const client = new Client({ name: 'oauth-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(serverUrl), { authProvider: provider }));
    const whoami = await client.callTool({ name: 'auth_whoami', arguments: {} });
    const who = (whoami as any).structuredContent;
    assert.equal(who.user.email, 'owner@acme.test');
    assert.equal(who.credential.kind, 'oauth');
    assert.equal(who.tenant.slug, 'acme');
    assert.ok(!who.permissions.includes('keys:write'));
    assert.ok(who.actor_chain[0].clientId === provider.info!.client_id);
    await client.close();

    // The same JWT works on REST (tenant from the token).
    const rest = await api(w.url, tokens.access_token).get('/auth/whoami');
    assert.equal(rest.status, 200, JSON.stringify(rest.body));

    // A second authorization by the same client skips the consent page (remembered consent).
    const again = new MemoryProvider(callback.url);
    again.info = provider.info;
    assert.equal(await auth(again, { serverUrl }), 'REDIRECT');
    const next = callback.next();
    const page2 = await context.newPage();
    // Asking for the scopes already consented to (the SDK asks for everything by default).
    const repeat = new URL(again.authorizationUrl!);
    repeat.searchParams.set('scope', String(claims.scope));
    await page2.goto(repeat.toString());
    const q2 = await next;
    assert.ok(q2.get('code'), `no consent page the second time: ${q2}`);
    // Asking for more than was consented shows the consent page again.
    const page3 = await context.newPage();
    await page3.goto(again.authorizationUrl!.toString());
    assert.ok(await page3.isVisible('#allow'));
    await context.close();
  });

  test('PATs keep working on /mcp beside OAuth discovery', async () => {
    const res = await fetch(`${w.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /resource_metadata=/);
    const prm = await (await fetch(`${w.url}/.well-known/oauth-protected-resource/mcp`)).json();
    assert.deepEqual(prm.authorization_servers, [w.url]);
    const whoami = await api(w.url, ownerPat).get('/auth/whoami');
    assert.equal(whoami.status, 200);
  });
});
