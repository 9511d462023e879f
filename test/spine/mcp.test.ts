import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ElicitRequestSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { startWarden, type TestWarden } from '../support/warden.ts';
import { api } from '../support/http.ts';
import { connectMcp, parseToolError } from '../support/mcp.ts';
import { addMember } from '../support/people.ts';

let w: TestWarden;
let owner: string;

before(async () => {
  w = await startWarden();
  owner = (await w.bootstrap('acme', 'owner@acme.test')).pat;
});
after(() => w.close());

const toolNames = async (client: Awaited<ReturnType<typeof connectMcp>>) => (await client.listTools()).tools.map((t) => t.name).sort();

describe('MCP door', () => {
  test('lists tools with strict schemas and annotations, and calls one with structured output', async () => {
    const client = await connectMcp(w.url, owner, { 'x-tenant-id': 'acme' });
    const { tools } = await client.listTools();
    const get = tools.find((t) => t.name === 'tenant_get')!;
    assert.equal(get.annotations?.readOnlyHint, true);
    const revoke = tools.find((t) => t.name === 'pats_revoke')!;
    assert.equal(revoke.annotations?.destructiveHint, true);
    assert.equal(revoke.inputSchema.additionalProperties, false);
    assert.ok(revoke.inputSchema.properties?.confirm, 'irreversible tools take confirm');
    const result = await client.callTool({ name: 'tenant_get', arguments: {} });
    assert.equal((result.structuredContent as any).slug, 'acme');
    await client.close();
  });

  test('unknown arguments are refused as a tool error naming them', async () => {
    const client = await connectMcp(w.url, owner);
    const result = await client.callTool({ name: 'tenant_get', arguments: { hidden: 'x' } });
    assert.equal(result.isError, true);
    const err = parseToolError(result);
    assert.equal(err.code, 'VALIDATION_FAILED');
    assert.match(err.message, /"hidden"/);
    await client.close();
  });

  test('a role change sends notifications/tools/list_changed to that user\'s sessions only', async () => {
    const erin = await addMember(w, owner, 'acme', 'erin@acme.test', 'admin');
    const frank = await addMember(w, owner, 'acme', 'frank@acme.test', 'admin');
    const erinClient = await connectMcp(w.url, erin.pat);
    const frankClient = await connectMcp(w.url, frank.pat);
    let erinNotified = 0;
    let frankNotified = 0;
    erinClient.setNotificationHandler(ToolListChangedNotificationSchema, async () => void erinNotified++);
    frankClient.setNotificationHandler(ToolListChangedNotificationSchema, async () => void frankNotified++);
    assert.ok((await toolNames(erinClient)).includes('members_set_role'));
    await new Promise((r) => setTimeout(r, 200)); // the clients' GET streams open after initialize
    assert.equal((await api(w.url, owner).patch('/members/erin@acme.test', { role: 'analyst' })).status, 200);
    for (let i = 0; i < 40 && erinNotified === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(erinNotified, 1, 'erin is told her tools changed (once)');
    assert.ok(!(await toolNames(erinClient)).includes('members_set_role'));
    assert.equal(frankNotified, 0, 'frank is not');
    await erinClient.close();
    await frankClient.close();
  });

  test('role downgrade removes tools and denies calls on the next request', async () => {
    const bob = await addMember(w, owner, 'acme', 'bob@acme.test', 'admin');
    const client = await connectMcp(w.url, bob.pat);
    assert.ok((await toolNames(client)).includes('members_set_role'));
    const down = await api(w.url, owner).patch('/members/bob@acme.test', { role: 'member' });
    assert.equal(down.status, 200, JSON.stringify(down.body));
    const after = await toolNames(client);
    assert.ok(!after.includes('members_set_role'));
    assert.ok(!after.includes('audit_query'));
    const denied = await client.callTool({ name: 'members_list', arguments: {} });
    assert.equal(denied.isError, true);
    assert.equal(parseToolError(denied).code, 'PERMISSION_DENIED');
    await client.close();
  });

  test('revoked and tampered PATs get 401 with invalid_token', async () => {
    const created = await api(w.url, owner).post('/pats', { name: 'short-lived', scopes: ['tenant:read'] });
    const token = created.body.token as string;
    const client = await connectMcp(w.url, token);
    await api(w.url, owner).delete(`/pats/${created.body.id}`, { confirm: 'short-lived' });
    await assert.rejects(client.listTools(), /401|invalid_token|PAT_REVOKED/);
    const tampered = token.slice(0, -3) + (token.endsWith('AAA') ? 'BBB' : 'AAA');
    const res = await fetch(`${w.url}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${tampered}`, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    assert.equal(((await res.json()) as any).code, 'TOKEN_MALFORMED');
  });

  test("tenant A's PAT cannot read tenant B even when its user belongs to both", async () => {
    const b = await w.bootstrap('beta', 'owner@acme.test');
    assert.ok(b.pat);
    const client = await connectMcp(w.url, owner, { 'x-tenant-id': 'beta' });
    // The session cannot even list tools in B with A's token.
    await assert.rejects(client.listTools(), /TENANT_MISMATCH/);
    const rest = await api(w.url, owner, { 'x-tenant-id': 'beta' }).get('/tenant');
    assert.equal(rest.status, 403);
    assert.equal(rest.body.code, 'TENANT_MISMATCH');
  });

  test('read-only header and read-only tokens hide write tools; whoami says why', async () => {
    const client = await connectMcp(w.url, owner, { 'x-warden-read-only': 'true' });
    const names = await toolNames(client);
    assert.ok(names.includes('members_list') && !names.includes('pats_create'));
    const who = (await client.callTool({ name: 'auth_whoami', arguments: {} })).structuredContent as any;
    assert.equal(who.client.read_only, true);
    assert.deepEqual(who.tools.hidden.find((h: any) => h.tool === 'pats_create'), { tool: 'pats_create', reason: 'read_only', permission: 'pats:write' });
    const write = await client.callTool({ name: 'pats_create', arguments: { name: 'x', scopes: ['tenant:read'] } });
    assert.equal(parseToolError(write).code, 'READ_ONLY_MODE');
    await client.close();

    const readPat = (await api(w.url, owner).post('/pats', { name: 'reader', scopes: ['tenant:read', 'audit:read'] })).body.token;
    const reader = await connectMcp(w.url, readPat);
    const readerTools = await toolNames(reader);
    assert.ok(readerTools.includes('audit_query') && !readerTools.includes('members_invite'));
    await reader.close();
  });

  test('toolsets narrow the list to the capabilities asked for', async () => {
    const client = await connectMcp(w.url, owner, { 'x-warden-toolsets': 'pats' });
    assert.deepEqual(await toolNames(client), ['auth_whoami', 'pats_create', 'pats_list', 'pats_revoke']);
    const other = await client.callTool({ name: 'members_list', arguments: {} });
    assert.equal(parseToolError(other).code, 'TOOLSET_DISABLED');
    await client.close();
  });

  test('a token without the scope gets HTTP 403 insufficient_scope for that tool', async () => {
    const narrow = (await api(w.url, owner).post('/pats', { name: 'narrow', scopes: ['tenant:read', 'pats:write'] })).body.token;
    const client = await connectMcp(w.url, narrow);
    await assert.rejects(client.callTool({ name: 'members_list', arguments: {} }), /403|insufficient_scope|INSUFFICIENT_SCOPE/);
    const events = (await api(w.url, owner).get('/audit/events?operation=members.list&outcome=denied')).body.events;
    assert.ok(events.some((e: any) => e.error_code === 'INSUFFICIENT_SCOPE'));
  });

  test('irreversible tools need confirmation: the confirm argument, or elicitation', async () => {
    const mk = async (name: string) => (await api(w.url, owner).post('/pats', { name, scopes: ['tenant:read'] })).body.id as string;
    const plain = await connectMcp(w.url, owner);
    const id1 = await mk('ci-one');
    const ask = await plain.callTool({ name: 'pats_revoke', arguments: { id: id1 } });
    assert.equal(parseToolError(ask).code, 'CONFIRMATION_REQUIRED');
    assert.match(parseToolError(ask).hint ?? '', /ci-one/);
    const wrong = await plain.callTool({ name: 'pats_revoke', arguments: { id: id1, confirm: 'something-else' } });
    assert.equal(parseToolError(wrong).code, 'CONFIRMATION_REQUIRED');
    const ok = await plain.callTool({ name: 'pats_revoke', arguments: { id: id1, confirm: 'ci-one' } });
    assert.equal((ok.structuredContent as any).name, 'ci-one');
    await plain.close();

    for (const [answer, expected] of [['accept', 'revoked'], ['decline', 'CONFIRMATION_DECLINED']] as const) {
      const client = await connectMcp(w.url, owner, {}, { elicitation: {} });
      let asked = '';
      client.setRequestHandler(ElicitRequestSchema, async (req) => {
        asked = req.params.message;
        return answer === 'accept' ? { action: 'accept', content: { confirm: true } } : { action: 'decline' };
      });
      const id = await mk(`elicit-${answer}`);
      const result = await client.callTool({ name: 'pats_revoke', arguments: { id } });
      assert.match(asked, new RegExp(`elicit-${answer}`));
      if (expected === 'revoked') assert.ok((result.structuredContent as any).revoked_at);
      else assert.equal(parseToolError(result).code, expected);
      await client.close();
    }
  });

  test('sessions belong to their user: another token or an unknown id gets 404', async () => {
    const carol = await addMember(w, owner, 'acme', 'carol@acme.test', 'developer');
    const client = await connectMcp(w.url, owner);
    const sessionId = (client as any)._transport.sessionId as string;
    const body = JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list', params: {} });
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' };
    const stolen = await fetch(`${w.url}/mcp`, { method: 'POST', headers: { ...headers, authorization: `Bearer ${carol.pat}`, 'mcp-session-id': sessionId }, body });
    assert.equal(stolen.status, 404);
    const unknown = await fetch(`${w.url}/mcp`, { method: 'POST', headers: { ...headers, authorization: `Bearer ${owner}`, 'mcp-session-id': 'nope' }, body });
    assert.equal(unknown.status, 404);
    await client.close();
  });

  test('a browser Origin that is not allowed is refused; no Origin is fine', async () => {
    const res = await fetch(`${w.url}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${owner}`, origin: 'https://evil.example', 'content-type': 'application/json' }, body: '{}' });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as any).code, 'ORIGIN_NOT_ALLOWED');
  });

  test('anonymous requests get 401 pointing at protected-resource metadata that exists', async () => {
    const res = await fetch(`${w.url}/mcp`, { method: 'POST', body: '{}' });
    assert.equal(res.status, 401);
    const url = /resource_metadata="([^"]+)"/.exec(res.headers.get('www-authenticate') ?? '')?.[1];
    assert.ok(url);
    const meta = (await (await fetch(url)).json()) as any;
    assert.equal(meta.resource, `${w.url}/mcp`);
    const root = (await (await fetch(`${w.url}/.well-known/oauth-protected-resource`)).json()) as any;
    assert.equal(root.resource, meta.resource);
  });
});
