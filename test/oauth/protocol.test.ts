import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { startWarden, type TestWarden } from '../support/warden.ts';
import { launchBrowser, signIn } from '../support/browser.ts';
import { api } from '../support/http.ts';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { ClientDirectory } from '../../src/oauth/clients.ts';
import { BrowserSessionFetch, MemoryProvider, form, pkce, register } from './helpers.ts';

// Authorization-code protocol edges against a running Warden: PKCE, redirect URIs, code reuse,
// refresh rotation with reuse detection, expiry, audience, RFC 7009 revocation, metadata.
let w: TestWarden;
let browser: Browser;
let session: BrowserSessionFetch;
let ownerPat: string;
const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'http://127.0.0.1:9/callback';
let clientId: string;

before(async () => {
  w = await startWarden();
  ownerPat = (await w.bootstrap('acme', 'owner@acme.test', PASSWORD)).pat;
  browser = await launchBrowser();
  const context = await browser.newContext();
  await signIn(context, w.url, 'owner@acme.test', PASSWORD);
  const cookies = await context.cookies();
  session = new BrowserSessionFetch(w.url, cookies.map((c) => `${c.name}=${c.value}`).join('; '));
  clientId = (await register(w.url, [REDIRECT])).body.client_id;
});
after(async () => {
  await browser?.close();
  await w?.close();
});

const authParams = (challenge: string, extra: Record<string, string> = {}) => ({
  response_type: 'code',
  client_id: clientId,
  redirect_uri: REDIRECT,
  code_challenge: challenge,
  code_challenge_method: 'S256',
  state: 'xyz',
  resource: `${w.url}/mcp`,
  scope: 'tenant:read members:read',
  ...extra,
});

async function codeAndVerifier(extra: Record<string, string> = {}) {
  const p = pkce();
  const location = await session.approve(authParams(p.challenge, extra));
  const code = location.searchParams.get('code');
  assert.ok(code, `code in ${location}`);
  return { code, verifier: p.verifier };
}

const exchange = (code: string, verifier: string, extra: Record<string, string> = {}) =>
  form(`${w.url}/oauth/token`, { grant_type: 'authorization_code', client_id: clientId, code, code_verifier: verifier, redirect_uri: REDIRECT, ...extra });

async function eventually(check: () => Promise<boolean>, withinMs: number) {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

describe('metadata and registration', () => {
  test('RFC 8414 metadata advertises S256 only, DCR, CIMD, the JWKS and token exchange', async () => {
    const m = await (await fetch(`${w.url}/.well-known/oauth-authorization-server`)).json();
    assert.equal(m.issuer, w.url);
    assert.deepEqual(m.code_challenge_methods_supported, ['S256']);
    assert.equal(m.client_id_metadata_document_supported, true);
    assert.ok(m.grant_types_supported.includes('urn:ietf:params:oauth:grant-type:token-exchange'));
    const jwks = await (await fetch(m.jwks_uri)).json();
    assert.ok(jwks.keys.length >= 1);
    assert.ok(jwks.keys.every((k: any) => k.kty === 'EC' && !('d' in k)), 'public keys only');
    const sealed = await w.services.db.selectFrom('oauth_signing_keys').select(['private_key', 'public_jwk']).execute();
    assert.ok(sealed.every((r) => r.private_key.startsWith('osk1.') && !r.private_key.includes((r.public_jwk as any).x)), 'private keys stored sealed');
  });

  test('DCR accepts loopback, https and custom-scheme redirects; refuses plain http elsewhere, fragments and javascript:', async () => {
    for (const ok of ['http://localhost:4567/cb', 'http://[::1]:1/cb', 'https://app.example.com/oauth', 'cursor://anysphere.cursor-retrieval/oauth/user-warden/callback']) {
      const r = await register(w.url, [ok]);
      assert.equal(r.status, 201, `${ok}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.token_endpoint_auth_method, 'none');
    }
    for (const bad of ['http://evil.example/cb', 'https://app.example.com/cb#frag', 'javascript:alert(1)', 'not a url']) {
      const r = await register(w.url, [bad]);
      assert.equal(r.status, 400, bad);
      assert.equal(r.body.error, 'invalid_redirect_uri');
    }
    const secretClient = await fetch(`${w.url}/oauth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'client_secret_basic' }) });
    assert.equal(secretClient.status, 400);
  });
});

describe('authorization request', () => {
  test('a redirect_uri that is not registered exactly is shown an error page and never redirected to', async () => {
    const p = pkce();
    for (const uri of ['http://127.0.0.1:9/callback/', 'http://127.0.0.1:10/callback', 'https://evil.example/callback']) {
      const res = await session.authorize(authParams(p.challenge, { redirect_uri: uri }));
      assert.equal(res.status, 400, uri);
      assert.equal(res.headers.get('location'), null);
      assert.match(await res.text(), /not registered/);
    }
  });

  test('PKCE is required and must be S256; another resource is refused (invalid_target)', async () => {
    const missing = await session.authorize(authParams('', {}));
    assert.equal(new URL(missing.headers.get('location')!).searchParams.get('error'), 'invalid_request');
    const plain = await session.authorize(authParams(pkce().challenge, { code_challenge_method: 'plain' }));
    assert.equal(new URL(plain.headers.get('location')!).searchParams.get('error'), 'invalid_request');
    const other = await session.authorize(authParams(pkce().challenge, { resource: 'https://other.example/mcp' }));
    const err = new URL(other.headers.get('location')!);
    assert.equal(err.searchParams.get('error'), 'invalid_target');
    assert.equal(err.searchParams.get('state'), 'xyz');
  });

  test('not signed in: sent to the login page, which returns to the authorization request', async () => {
    const res = await fetch(`${w.url}/oauth/authorize?${new URLSearchParams(authParams(pkce().challenge))}`, { redirect: 'manual' });
    assert.equal(res.status, 303);
    const location = new URL(res.headers.get('location')!, w.url);
    assert.equal(location.pathname, '/login');
    assert.match(location.searchParams.get('return_to')!, /^\/oauth\/authorize\?/);
  });
});

describe('token endpoint', () => {
  test('a wrong code_verifier fails; so does a wrong redirect_uri; the code is then spent', async () => {
    const a = await codeAndVerifier();
    const wrong = await exchange(a.code, pkce().verifier);
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error, 'invalid_grant');
    assert.match(wrong.body.error_description, /PKCE/);
    const b = await codeAndVerifier();
    const redirect = await exchange(b.code, b.verifier, { redirect_uri: 'http://127.0.0.1:9/other' });
    assert.equal(redirect.body.error, 'invalid_grant');
    assert.equal((await exchange(b.code, b.verifier)).body.error, 'invalid_grant', 'one attempt per code');
  });

  test('code reuse is refused and revokes the tokens the first use produced', async () => {
    const { code, verifier } = await codeAndVerifier();
    const first = await exchange(code, verifier);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.headers.get('cache-control'), 'no-store');
    assert.equal((await api(w.url, first.body.access_token).get('/tenant')).status, 200);
    const second = await exchange(code, verifier);
    assert.equal(second.body.error, 'invalid_grant');
    const after = await api(w.url, first.body.access_token).get('/tenant');
    assert.equal(after.status, 401);
    assert.match(after.headers.get('www-authenticate')!, /error="invalid_token"/);
    assert.equal((await form(`${w.url}/oauth/token`, { grant_type: 'refresh_token', client_id: clientId, refresh_token: first.body.refresh_token })).body.error, 'invalid_grant');
  });

  test('the same code presented twice at once: no usable token survives, whatever the interleaving', async () => {
    for (let round = 0; round < 3; round++) {
      const { code, verifier } = await codeAndVerifier();
      const results = await Promise.all([exchange(code, verifier), exchange(code, verifier)]);
      assert.ok(results.some((r) => r.body.error === 'invalid_grant'), 'one of them is refused');
      for (const r of results.filter((x) => x.status === 200)) {
        let status = 0;
        for (let i = 0; i < 20 && status !== 401; i++) {
          status = (await api(w.url, r.body.access_token).get('/tenant')).status;
          if (status !== 401) await new Promise((res) => setTimeout(res, 50));
        }
        assert.equal(status, 401, 'the tokens of a reused code are revoked');
      }
    }
  });

  test('refresh tokens rotate; presenting a used one revokes the whole family', async () => {
    const { code, verifier } = await codeAndVerifier();
    const t1 = (await exchange(code, verifier)).body;
    const r2 = await form(`${w.url}/oauth/token`, { grant_type: 'refresh_token', client_id: clientId, refresh_token: t1.refresh_token });
    assert.equal(r2.status, 200, JSON.stringify(r2.body));
    assert.notEqual(r2.body.refresh_token, t1.refresh_token);
    const narrowed = await form(`${w.url}/oauth/token`, { grant_type: 'refresh_token', client_id: clientId, refresh_token: r2.body.refresh_token, scope: 'tenant:read' });
    assert.equal(narrowed.body.scope, 'tenant:read');
    const t3 = narrowed.body;
    assert.equal((await api(w.url, t3.access_token).get('/tenant')).status, 200);
    // An attacker replays the first refresh token.
    const replay = await form(`${w.url}/oauth/token`, { grant_type: 'refresh_token', client_id: clientId, refresh_token: t1.refresh_token });
    assert.equal(replay.body.error, 'invalid_grant');
    assert.match(replay.body.error_description, /family/);
    assert.equal((await form(`${w.url}/oauth/token`, { grant_type: 'refresh_token', client_id: clientId, refresh_token: t3.refresh_token })).body.error, 'invalid_grant', 'the newest refresh token is dead too');
    assert.ok(await eventually(async () => (await api(w.url, t3.access_token).get('/tenant')).status === 401, 1000));
    await w.services.audit.flush();
    const events = await api(w.url, ownerPat, { 'x-tenant-id': 'acme' }).get('/audit/events?operation=oauth.refresh_reuse');
    assert.ok(events.body.events.length >= 1);
  });

  test('a refresh cannot widen the scopes; another client cannot use the refresh token', async () => {
    const { code, verifier } = await codeAndVerifier();
    const t = (await exchange(code, verifier)).body;
    const wider = await form(`${w.url}/oauth/token`, { grant_type: 'refresh_token', client_id: clientId, refresh_token: t.refresh_token, scope: 'tenant:read keys:write' });
    assert.equal(wider.body.error, 'invalid_scope');
    const other = (await register(w.url, [REDIRECT])).body.client_id;
    const t2 = (await form(`${w.url}/oauth/token`, { grant_type: 'refresh_token', client_id: clientId, refresh_token: t.refresh_token })).body;
    const stolen = await form(`${w.url}/oauth/token`, { grant_type: 'refresh_token', client_id: other, refresh_token: t2.refresh_token });
    assert.equal(stolen.body.error, 'invalid_grant');
  });

  test('an expired access token gets 401 error="invalid_token" (so clients refresh)', async () => {
    const { code, verifier } = await codeAndVerifier();
    const t = (await exchange(code, verifier)).body;
    assert.ok(t.expires_in <= 3600);
    w.clock.advance(3601_000);
    try {
      const res = await api(w.url, t.access_token).get('/tenant');
      assert.equal(res.status, 401);
      assert.equal(res.body.code, 'TOKEN_EXPIRED');
      assert.match(res.headers.get('www-authenticate')!, /error="invalid_token"/);
      const mcp = await fetch(`${w.url}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${t.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
      assert.equal(mcp.status, 401);
      assert.match(mcp.headers.get('www-authenticate')!, /error="invalid_token".*resource_metadata=/);
      const refreshed = await form(`${w.url}/oauth/token`, { grant_type: 'refresh_token', client_id: clientId, refresh_token: t.refresh_token });
      assert.equal(refreshed.status, 200);
    } finally {
      w.clock.advance(-3601_000);
    }
  });

  test('a token for another audience is refused (no token passthrough), as is a tampered one', async () => {
    const tenant = (await w.services.tenants.bySlug('acme'))!;
    const { code, verifier } = await codeAndVerifier();
    const t = (await exchange(code, verifier)).body;
    const claims = JSON.parse(Buffer.from(t.access_token.split('.')[1], 'base64url').toString());
    const foreign = await w.services.oauth.tokens.issue({ subject: claims.sub, clientId, tenantId: tenant.id, grantId: claims.gid, scopes: ['tenant:read'], audience: 'https://other.example/mcp' });
    const res = await api(w.url, foreign.token).get('/tenant');
    assert.equal(res.status, 401);
    assert.equal(res.body.code, 'TOKEN_WRONG_AUDIENCE');
    const [h, , s] = t.access_token.split('.');
    const widened = Buffer.from(JSON.stringify({ ...claims, scope: 'keys:write' })).toString('base64url');
    assert.equal((await api(w.url, `${h}.${widened}.${s}`).get('/tenant')).status, 401);
  });

  test('RFC 7009: revoking the refresh token ends the access token too; unknown tokens answer 200', async () => {
    const { code, verifier } = await codeAndVerifier();
    const t = (await exchange(code, verifier)).body;
    assert.equal((await api(w.url, t.access_token).get('/tenant')).status, 200);
    const res = await form(`${w.url}/oauth/revoke`, { client_id: clientId, token: t.refresh_token, token_type_hint: 'refresh_token' });
    assert.equal(res.status, 200);
    assert.ok(await eventually(async () => (await api(w.url, t.access_token).get('/tenant')).status === 401, 1000));
    assert.equal((await form(`${w.url}/oauth/revoke`, { client_id: clientId, token: 'garbage' })).status, 200);
  });
});

describe('consents and clients as operations', () => {
  test('consents.revoke ends the tokens; oauth_clients.revoke blocks the client in the tenant', async () => {
    const { code, verifier } = await codeAndVerifier();
    const t = (await exchange(code, verifier)).body;
    const owner = api(w.url, ownerPat, { 'x-tenant-id': 'acme' });
    const consents = (await owner.get('/oauth/consents')).body.consents as any[];
    const mine = consents.find((c) => c.client_id === clientId);
    assert.ok(mine);
    assert.deepEqual(mine.redirect_uris, [REDIRECT]);
    const revoked = await owner.delete(`/oauth/consents/${mine.id}`, { confirm: 'Protocol test client' });
    assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
    assert.ok(revoked.body.grants_revoked >= 1);
    assert.ok(await eventually(async () => (await api(w.url, t.access_token).get('/tenant')).status === 401, 1000));
    assert.equal((await form(`${w.url}/oauth/token`, { grant_type: 'refresh_token', client_id: clientId, refresh_token: t.refresh_token })).body.error, 'invalid_grant');

    // Consent again (the page is shown again), then the admin revokes the client.
    const again = await codeAndVerifier();
    const t2 = (await exchange(again.code, again.verifier)).body;
    const list = (await owner.get('/oauth/clients')).body.clients as any[];
    assert.equal(list.find((c) => c.client_id === clientId)?.status, 'active');
    const rc = await owner.post('/oauth/clients/revoke', { client_id: clientId, confirm: 'Protocol test client' });
    assert.equal(rc.status, 200, JSON.stringify(rc.body));
    assert.ok(await eventually(async () => (await api(w.url, t2.access_token).get('/tenant')).status === 401, 1000));
    const blocked = await session.authorize(authParams(pkce().challenge));
    assert.equal(new URL(blocked.headers.get('location')!).searchParams.get('error'), 'access_denied');
    assert.equal((await owner.get('/oauth/clients')).body.clients.find((c: any) => c.client_id === clientId).status, 'revoked');
  });
});

describe('Client ID Metadata Documents', () => {
  test('the SDK uses its metadata URL as client_id; Warden fetches the document and the flow completes', async () => {
    const docUrl = 'https://client.example/oauth/client-metadata.json';
    const fetched: string[] = [];
    w.services.oauth.clients.fetchDocument = async (url) => {
      fetched.push(url.toString());
      return { client_id: url.toString(), client_name: 'Doc Client', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' };
    };
    const provider = new MemoryProvider(REDIRECT, 'Doc Client');
    provider.clientMetadataUrl = docUrl;
    assert.equal(await auth(provider, { serverUrl: `${w.url}/mcp` }), 'REDIRECT');
    const url = provider.authorizationUrl!;
    assert.equal(url.searchParams.get('client_id'), docUrl, 'no registration: the URL is the client_id');
    const location = await session.approve(Object.fromEntries(url.searchParams));
    assert.equal(fetched[0], docUrl);
    assert.equal(await auth(provider, { serverUrl: `${w.url}/mcp`, authorizationCode: location.searchParams.get('code')! }), 'AUTHORIZED');
    assert.equal((await api(w.url, provider.saved!.access_token).get('/tenant')).status, 200);
  });

  test('a document that names another client_id, or a private address, is refused', async () => {
    w.services.oauth.clients.fetchDocument = async () => ({ client_id: 'https://other.example/x.json', redirect_uris: [REDIRECT] });
    const res = await session.authorize(authParams(pkce().challenge, { client_id: 'https://liar.example/meta.json' }));
    assert.equal(res.status, 400);
    assert.match(await res.text(), /must equal its URL/);
    const guarded = new ClientDirectory(w.services.db, w.services.clock);
    await assert.rejects(guarded.find('https://127.0.0.1/meta.json'), /private or loopback/);
  });
});

describe('registration is rate-limited', () => {
  test('after 30 registrations from one address in 15 minutes: 429 with Retry-After; the window then reopens', async () => {
    const register = () =>
      fetch(`${w.url}/oauth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_name: 'burst', redirect_uris: ['http://127.0.0.1:8123/cb'], token_endpoint_auth_method: 'none' }) });
    let limited: Response | undefined;
    for (let i = 0; i < 40 && !limited; i++) {
      const res = await register();
      if (res.status === 429) limited = res;
      else assert.equal(res.status, 201);
    }
    assert.ok(limited, 'a 429 came within 40 registrations');
    assert.equal(((await limited.json()) as any).error, 'temporarily_unavailable');
    assert.equal(limited.headers.get('retry-after'), '900');
    w.clock.advance(16 * 60_000);
    assert.equal((await register()).status, 201);
  });
});
