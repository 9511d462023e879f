import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { exportJWK, generateKeyPair, SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { ClientCredentialsProvider, PrivateKeyJwtProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { startWarden, type TestWarden } from '../support/warden.ts';
import { launchBrowser, signIn } from '../support/browser.ts';
import { api } from '../support/http.ts';
import { connectMcp, parseToolError } from '../support/mcp.ts';
import { hashPassword } from '../../src/crypto/password.ts';
import { addMember } from '../support/people.ts';
import { BrowserSessionFetch, form, pkce, register } from '../oauth/helpers.ts';

// Agents as principals: client credentials (secret and private_key_jwt through the MCP SDK's
// providers), on-behalf-of token exchange across two hops, the confused-deputy defence, live
// role changes, time-bound grants, rotation and revocation.
let w: TestWarden;
let browser: Browser;
let ownerPat: string;
let owner: ReturnType<typeof api>;
const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'http://127.0.0.1:9/callback';
const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const AT = 'urn:ietf:params:oauth:token-type:access_token';

before(async () => {
  w = await startWarden();
  ownerPat = (await w.bootstrap('acme', 'owner@acme.test', PASSWORD)).pat;
  owner = api(w.url, ownerPat, { 'x-tenant-id': 'acme' });
  browser = await launchBrowser();
  for (const [email, role] of [['alice@acme.test', 'admin'], ['bob@acme.test', 'developer']] as const) {
    assert.equal((await owner.post('/members', { email, role })).status, 201);
    await w.services.db.updateTable('users').set({ password_hash: await hashPassword(PASSWORD) }).where('email', '=', email).execute();
  }
});
after(async () => {
  await browser?.close();
  await w?.close();
});

/** A user's OAuth access token through the real authorize → consent → token flow. */
async function userToken(email: string, scope?: string) {
  const context = await browser.newContext();
  await signIn(context, w.url, email, PASSWORD);
  const session = new BrowserSessionFetch(w.url, (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; '));
  await context.close();
  const clientId = (await register(w.url, [REDIRECT], 'Agent test IDE')).body.client_id;
  const p = pkce();
  const location = await session.approve({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, code_challenge: p.challenge, code_challenge_method: 'S256', resource: `${w.url}/mcp`, ...(scope ? { scope } : {}) });
  const t = await form(`${w.url}/oauth/token`, { grant_type: 'authorization_code', client_id: clientId, code: location.searchParams.get('code')!, code_verifier: p.verifier, redirect_uri: REDIRECT });
  assert.equal(t.status, 200, JSON.stringify(t.body));
  return t.body.access_token as string;
}

const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}` });

async function createSecretAgent(name: string, grants: { scope: string; expires_at?: string }[], mayAct = true) {
  const res = await owner.post('/agents', { name, grants, may_act_for_users: mayAct, auth_method: 'client_secret' });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body as { id: string; client_id: string; client_secret: string };
}

const exchangeAs = (agent: { client_id: string; client_secret: string }, subject: string, scope?: string) =>
  form(`${w.url}/oauth/token`, { grant_type: EXCHANGE, subject_token: subject, subject_token_type: AT, ...(scope ? { scope } : {}) }, basic(agent.client_id, agent.client_secret));

/** A member whose role may manage agents but holds no key permissions. */
async function createMemberPat() {
  await owner.post('/roles', { name: 'agent-admin', permissions: ['tenant:read', 'agents:read', 'agents:write'] });
  return addMember(w, ownerPat, 'acme', 'carol@acme.test', 'agent-admin');
}

async function eventually(check: () => Promise<boolean>, withinMs: number) {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

describe('agents operations and client credentials', () => {
  test('agents.create returns a wdn_agt_ secret once; client_credentials through the SDK gives an at+jwt of at most 1 h', async () => {
    const agent = await createSecretAgent('ci-bot', [{ scope: 'tenant:read' }, { scope: 'members:read' }], false);
    assert.match(agent.client_secret, /^wdn_agt_/);
    const listed = (await owner.get('/agents')).body.agents;
    assert.ok(listed.some((a: any) => a.name === 'ci-bot' && a.owner_email === 'owner@acme.test' && !('client_secret' in a)));
    assert.ok(!JSON.stringify(listed).includes(agent.client_secret));

    const provider = new ClientCredentialsProvider({ clientId: agent.client_id, clientSecret: agent.client_secret, scope: 'tenant:read members:read', expectedIssuer: w.url });
    assert.equal(await auth(provider, { serverUrl: `${w.url}/mcp` }), 'AUTHORIZED');
    const token = provider.tokens()!.access_token;
    assert.equal(decodeProtectedHeader(token).typ, 'at+jwt');
    const claims = decodeJwt(token);
    assert.equal(claims.sub, agent.client_id);
    assert.ok(claims.exp! - claims.iat! <= 3600);

    const mcp = await connectMcp(w.url, token);
    const who = (await mcp.callTool({ name: 'auth_whoami', arguments: {} })) as any;
    assert.equal(who.structuredContent.credential.kind, 'agent');
    assert.deepEqual(who.structuredContent.permissions, ['members:read', 'tenant:read']);
    assert.equal(who.structuredContent.actor_chain[0].agentId, agent.id);
    await mcp.close();

    const wrong = await form(`${w.url}/oauth/token`, { grant_type: 'client_credentials' }, basic(agent.client_id, 'wdn_agt_wrong'));
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error, 'invalid_client');
    const tooMuch = await form(`${w.url}/oauth/token`, { grant_type: 'client_credentials', scope: 'keys:read' }, basic(agent.client_id, agent.client_secret));
    assert.equal(tooMuch.body.error, 'invalid_scope');
    const noExchange = await exchangeAs(agent, token);
    assert.equal(noExchange.body.error, 'unauthorized_client', 'may_act_for_users is off');
  });

  test('grants beyond the creator are refused; a grant may carry an expiry (time-bound elevation)', async () => {
    const beyond = await api(w.url, (await createMemberPat()).pat, { 'x-tenant-id': 'acme' }).post('/agents', { name: 'too-strong', grants: [{ scope: 'tenant:read' }, { scope: 'keys:write' }], auth_method: 'client_secret' });
    assert.equal(beyond.status, 403);
    assert.equal(beyond.body.code, 'SCOPE_NOT_HELD');
    const soon = new Date(w.clock.now().getTime() + 10 * 60_000).toISOString();
    const agent = await createSecretAgent('elevated', [{ scope: 'tenant:read' }, { scope: 'members:read', expires_at: soon }], false);
    const t = (await form(`${w.url}/oauth/token`, { grant_type: 'client_credentials' }, basic(agent.client_id, agent.client_secret))).body;
    assert.equal((await api(w.url, t.access_token).get('/members')).status, 200);
    w.clock.advance(11 * 60_000);
    try {
      assert.equal((await api(w.url, t.access_token).get('/members')).status, 403, 'the elevation ended');
      assert.equal((await api(w.url, t.access_token).get('/tenant')).status, 200);
      const fresh = await form(`${w.url}/oauth/token`, { grant_type: 'client_credentials', scope: 'members:read' }, basic(agent.client_id, agent.client_secret));
      assert.equal(fresh.body.error, 'invalid_scope');
    } finally {
      w.clock.advance(-11 * 60_000);
    }
  });

  test('private_key_jwt through the SDK: aud must be exactly the issuer; a jti is single-use', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const created = await owner.post('/agents', { name: 'keyed', grants: [{ scope: 'tenant:read' }], public_jwk: await exportJWK(publicKey) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.client_secret, undefined);
    const clientId = created.body.client_id;
    const provider = new PrivateKeyJwtProvider({ clientId, privateKey: (await exportJWK(privateKey)) as any, algorithm: 'ES256', scope: 'tenant:read', expectedIssuer: w.url });
    assert.equal(await auth(provider, { serverUrl: `${w.url}/mcp` }), 'AUTHORIZED');
    assert.equal((await api(w.url, provider.tokens()!.access_token).get('/tenant')).status, 200);

    const assertion = (aud: string, jti: string) =>
      new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).setIssuer(clientId).setSubject(clientId).setAudience(aud).setIssuedAt().setExpirationTime('2m').setJti(jti).sign(privateKey);
    const post = async (a: string) =>
      form(`${w.url}/oauth/token`, { grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: a });
    const toEndpoint = await post(await assertion(`${w.url}/oauth/token`, 'j1'));
    assert.equal(toEndpoint.body.error, 'invalid_client');
    assert.match(toEndpoint.body.error_description, /aud must be exactly the issuer/);
    const good = await assertion(w.url, 'j2');
    assert.equal((await post(good)).status, 200);
    assert.equal((await post(good)).body.error, 'invalid_client', 'replayed assertion');
    const { privateKey: stranger } = await generateKeyPair('ES256');
    const forged = await new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).setIssuer(clientId).setSubject(clientId).setAudience(w.url).setIssuedAt().setExpirationTime('2m').setJti('j3').sign(stranger);
    assert.equal((await post(forged)).body.error, 'invalid_client');
  });

  test('rotation keeps at most two live secrets; revocation ends the agent and its tokens within a second', async () => {
    const agent = await createSecretAgent('rotating', [{ scope: 'tenant:read' }], false);
    const s2 = (await owner.post(`/agents/${agent.id}/rotate`, {})).body.client_secret;
    const cc = (secret: string) => form(`${w.url}/oauth/token`, { grant_type: 'client_credentials' }, basic(agent.client_id, secret));
    assert.equal((await cc(agent.client_secret)).status, 200, 'overlap: the old secret still works');
    assert.equal((await cc(s2)).status, 200);
    const s3 = (await owner.post(`/agents/${agent.id}/rotate`, {})).body.client_secret;
    assert.equal((await cc(agent.client_secret)).status, 401, 'the oldest of three is revoked');
    assert.equal((await cc(s3)).status, 200);
    const token = (await cc(s3)).body.access_token;
    assert.equal((await api(w.url, token).get('/tenant')).status, 200);
    const revoked = await owner.post(`/agents/${agent.id}/revoke`, { confirm: 'rotating' });
    assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
    assert.ok(await eventually(async () => (await api(w.url, token).get('/tenant')).status === 401, 1000));
    assert.equal((await cc(s3)).body.error, 'invalid_client');
  });
});

describe('on-behalf-of (RFC 8693)', () => {
  test('confused deputy: the agent holds keys:write, the user does not → denied at exchange and at the call', async () => {
    const agent = await createSecretAgent('deputy', [{ scope: 'tenant:read' }, { scope: 'members:read' }, { scope: 'keys:read' }, { scope: 'keys:write' }]);
    const bobToken = await userToken('bob@acme.test');
    const asked = await exchangeAs(agent, bobToken, 'keys:write');
    assert.equal(asked.body.error, 'invalid_scope');
    const t = await exchangeAs(agent, bobToken);
    assert.equal(t.status, 200, JSON.stringify(t.body));
    assert.equal(t.body.issued_token_type, AT);
    assert.deepEqual(t.body.scope.split(' ').sort(), ['members:read', 'tenant:read']);
    const mcp = await connectMcp(w.url, t.body.access_token);
    const denied = await mcp.callTool({ name: 'keys_rotate', arguments: {} });
    assert.equal((denied as any).isError, true);
    assert.equal(parseToolError(denied).code, 'PERMISSION_DENIED');
    await mcp.close();
    const claims = decodeJwt(t.body.access_token) as any;
    assert.equal(claims.act.sub, agent.client_id);
  });

  test('two hops only narrow; nested act; a role downgrade and an agent narrowing apply at the next call', async () => {
    const a = await createSecretAgent('hop-a', [{ scope: 'tenant:read' }, { scope: 'members:read' }, { scope: 'keys:read' }, { scope: 'roles:read' }]);
    const b = await createSecretAgent('hop-b', [{ scope: 'tenant:read' }, { scope: 'members:read' }, { scope: 'keys:read' }, { scope: 'audit:read' }]);
    const alice = await userToken('alice@acme.test');
    const hop1 = await exchangeAs(a, alice, 'tenant:read members:read keys:read');
    assert.equal(hop1.status, 200, JSON.stringify(hop1.body));
    const wider = await exchangeAs(b, hop1.body.access_token, 'tenant:read audit:read');
    assert.equal(wider.body.error, 'invalid_scope', 'audit:read was not in hop 1');
    const hop2 = await exchangeAs(b, hop1.body.access_token);
    assert.equal(hop2.status, 200, JSON.stringify(hop2.body));
    assert.deepEqual(hop2.body.scope.split(' ').sort(), ['keys:read', 'members:read', 'tenant:read']);
    const claims = decodeJwt(hop2.body.access_token) as any;
    assert.equal(claims.act.sub, b.client_id);
    assert.equal(claims.act.act.sub, a.client_id);
    assert.ok(claims.exp <= (decodeJwt(alice).exp as number), 'never outlives the subject token');

    const who = (await api(w.url, hop2.body.access_token).get('/auth/whoami')).body;
    assert.equal(who.user.email, 'alice@acme.test');
    assert.deepEqual(who.actor_chain.map((x: any) => x.credential), ['oauth', 'agent', 'agent']);
    assert.equal((await api(w.url, hop2.body.access_token).get('/keys/config')).status, 200);

    // The user's role changes: the delegated token loses keys:read at its next call.
    assert.equal((await owner.patch('/members/alice@acme.test', { role: 'developer' })).status, 200);
    assert.ok(await eventually(async () => (await api(w.url, hop2.body.access_token).get('/keys/config')).status === 403, 1000));
    assert.equal((await api(w.url, hop2.body.access_token).get('/members')).status, 200);
    // The first agent is narrowed: the chain intersection drops members:read from hop 2 as well.
    assert.equal((await owner.patch(`/agents/${a.id}`, { grants: [{ scope: 'tenant:read' }] })).status, 200);
    assert.ok(await eventually(async () => (await api(w.url, hop2.body.access_token).get('/members')).status === 403, 1000));
    assert.equal((await api(w.url, hop2.body.access_token).get('/tenant')).status, 200);
    // Revoking the first agent ends everything exchanged through it.
    await owner.post(`/agents/${a.id}/revoke`, { confirm: 'hop-a' });
    assert.ok(await eventually(async () => (await api(w.url, hop2.body.access_token).get('/tenant')).status === 401, 1000));
    await w.services.audit.flush();
    const events = (await owner.get('/audit/events?operation=oauth.token_exchange')).body.events;
    assert.ok(events.some((e: any) => Array.isArray(e.actor) && e.actor.length === 3), 'audit carries the whole chain');
  });
});
