import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startWarden, type TestWarden } from '../support/warden.ts';
import { api } from '../support/http.ts';
import { addMember } from '../support/people.ts';
import { createPatForMember } from '../../src/pats/cli.ts';

let w: TestWarden;
let owner: string;
let rest: ReturnType<typeof api>;

before(async () => {
  w = await startWarden();
  owner = (await w.bootstrap('acme', 'owner@acme.test')).pat;
  rest = api(w.url, owner);
});
after(() => w.close());

const memberEmails = async () => ((await rest.get('/members')).body.members as any[]).map((m) => `${m.email}:${m.role}`).sort();
const lastAudit = async (operation: string) => ((await rest.get(`/audit/events?operation=${operation}&limit=1000`)).body.events as any[]).at(-1);

describe('members', () => {
  test('invite a new person: member row plus a one-time invitation link', async () => {
    const res = await rest.post('/members', { email: 'New.Person@Acme.test', role: 'developer' });
    assert.equal(res.status, 201);
    assert.equal(res.body.member.email, 'new.person@acme.test');
    assert.equal(res.body.member.has_password, false);
    assert.match(res.body.invitation.accept_url, /\/invite\/wdn_inv_/);
    const audit = await lastAudit('members.invite');
    assert.ok(!JSON.stringify(audit).includes(res.body.invitation.accept_url.split('/invite/')[1]), 'invitation secret not audited');
  });

  test('duplicate email and invalid email are clear errors that change nothing', async () => {
    const before = await memberEmails();
    const dup = await rest.post('/members', { email: 'new.person@acme.test', role: 'admin' });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.code, 'MEMBER_EXISTS');
    const bad = await rest.post('/members', { email: 'not-an-email', role: 'admin' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.field, 'email');
    const badRole = await rest.post('/members', { email: 'x@acme.test', role: 'wizard' });
    assert.equal(badRole.body.code, 'ROLE_NOT_FOUND');
    assert.deepEqual(await memberEmails(), before, 'nothing half-written');
    assert.equal((await lastAudit('members.invite')).error_code, 'ROLE_NOT_FOUND');
  });

  test('the last owner cannot be demoted or removed', async () => {
    const demote = await rest.patch('/members/owner@acme.test', { role: 'admin' });
    assert.equal(demote.status, 409);
    assert.equal(demote.body.code, 'LAST_OWNER');
    const remove = await rest.delete('/members/owner@acme.test', { confirm: 'owner@acme.test' });
    assert.equal(remove.body.code, 'LAST_OWNER');
    assert.ok((await memberEmails()).includes('owner@acme.test:owner'));
  });

  test('an admin cannot make anyone owner (no escalation)', async () => {
    const admin = await addMember(w, owner, 'acme', 'admin@acme.test', 'admin');
    const res = await api(w.url, admin.pat).patch('/members/new.person@acme.test', { role: 'owner' });
    assert.equal(res.status, 403);
    assert.equal(res.body.code, 'OWNER_REQUIRED');
  });

  test('removing a member is irreversible: confirm by email, and their tokens stop working', async () => {
    const gone = await addMember(w, owner, 'acme', 'leaver@acme.test', 'developer');
    const unconfirmed = await rest.delete('/members/leaver@acme.test');
    assert.equal(unconfirmed.body.code, 'CONFIRMATION_REQUIRED');
    assert.equal((await api(w.url, gone.pat).get('/tenant')).status, 200);
    const res = await rest.delete('/members/leaver@acme.test', { confirm: 'leaver@acme.test' });
    assert.equal(res.status, 200);
    assert.equal(res.body.revoked_tokens, 1);
    assert.equal((await api(w.url, gone.pat).get('/tenant')).status, 401);
  });
});

describe('roles', () => {
  test('custom role with unknown permissions is refused and names them', async () => {
    const res = await rest.post('/roles', { name: 'auditor', permissions: ['audit:read', 'audit:delete', 'nope'] });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'UNKNOWN_PERMISSION');
    assert.match(res.body.detail, /audit:delete, nope/);
    assert.ok(!(await rest.get('/roles')).body.roles.some((r: any) => r.name === 'auditor'));
  });

  test('custom role lifecycle: create, assign, in use, delete', async () => {
    const created = await rest.post('/roles', { name: 'auditor', description: 'Reads audit', permissions: ['audit:read', 'tenant:read'] });
    assert.equal(created.status, 201);
    const reserved = await rest.post('/roles', { name: 'admin', permissions: ['audit:read'] });
    assert.equal(reserved.body.code, 'ROLE_NAME_RESERVED');
    const aud = await addMember(w, owner, 'acme', 'auditor@acme.test', 'auditor');
    assert.equal((await api(w.url, aud.pat).get('/audit/events?limit=1')).status, 200);
    assert.equal((await api(w.url, aud.pat).get('/members')).status, 403);
    const inUse = await rest.delete('/roles/auditor', { confirm: 'auditor' });
    assert.equal(inUse.body.code, 'ROLE_IN_USE');
    await rest.patch('/members/auditor@acme.test', { role: 'member' });
    const del = await rest.delete('/roles/auditor', { confirm: 'auditor' });
    assert.equal(del.status, 200);
  });

  test("a developer cannot create a role with permissions they don't hold", async () => {
    await rest.post('/roles', { name: 'role-maker', permissions: ['roles:write', 'roles:read', 'tenant:read'] });
    const maker = await addMember(w, owner, 'acme', 'maker@acme.test', 'role-maker');
    const res = await api(w.url, maker.pat).post('/roles', { name: 'sneaky', permissions: ['keys:write'] });
    assert.equal(res.status, 403);
    assert.equal(res.body.code, 'PRIVILEGE_ESCALATION');
  });
});

describe('personal access tokens', () => {
  test('scopes must be held; expiry defaults to 30 days and caps at 365', async () => {
    const dev = await addMember(w, owner, 'acme', 'pat-dev@acme.test', 'developer');
    const notHeld = await api(w.url, dev.pat).post('/pats', { name: 'x', scopes: ['sso:write'] });
    assert.equal(notHeld.body.code, 'SCOPE_NOT_HELD');
    const tooLong = await rest.post('/pats', { name: 'x', scopes: ['tenant:read'], expires_in_days: 400 });
    assert.equal(tooLong.body.field, 'expires_in_days');
    const ok = await rest.post('/pats', { name: 'default-expiry', scopes: ['tenant:read'] });
    const days = (Date.parse(ok.body.expires_at) - w.clock.now().getTime()) / 86_400_000;
    assert.ok(Math.abs(days - 30) < 0.01);
    const listed = (await rest.get('/pats')).body.tokens.find((t: any) => t.id === ok.body.id);
    assert.equal(listed.token_start, ok.body.token.slice(0, 12));
    assert.ok(!JSON.stringify(listed).includes(ok.body.token));
  });

  test('an expired token gets 401 PAT_EXPIRED', async () => {
    const t = (await rest.post('/pats', { name: 'soon', scopes: ['tenant:read'], expires_in_days: 1 })).body.token;
    assert.equal((await api(w.url, t).get('/tenant')).status, 200);
    w.clock.advance(2 * 86_400_000);
    const res = await api(w.url, t).get('/tenant');
    assert.equal(res.status, 401);
    assert.equal(res.body.code, 'PAT_EXPIRED');
  });

  test("others' tokens need pats:admin", async () => {
    const dev = await addMember(w, owner, 'acme', 'pat-dev2@acme.test', 'developer');
    const mine = (await rest.post('/pats', { name: 'owners', scopes: ['tenant:read'] })).body;
    const res = await api(w.url, dev.pat).delete(`/pats/${mine.id}`, { confirm: 'owners' });
    assert.equal(res.status, 403);
    const all = await rest.get('/pats?all_users=true');
    assert.ok(all.body.tokens.some((t: any) => t.owner_email === 'pat-dev2@acme.test'));
  });
});

describe('projects', () => {
  test('a project role adds to the tenant role only when X-Project-Id names the project', async () => {
    const created = await rest.post('/projects', { slug: 'payments', name: 'Payments' });
    assert.equal(created.status, 201);
    const base = await addMember(w, owner, 'acme', 'proj@acme.test', 'member');
    const bound = await rest.put('/projects/payments/members/proj@acme.test', { role: 'analyst' });
    assert.equal(bound.status, 200, JSON.stringify(bound.body));
    assert.deepEqual(bound.body.bindings, [{ email: 'proj@acme.test', role: 'analyst' }]);
    const outside = await api(w.url, base.pat).post('/pats', { name: 'p', scopes: ['tenant:read', 'members:read'] });
    assert.equal(outside.body.code, 'SCOPE_NOT_HELD', 'members:read is held only inside the project');
    const narrow = await api(w.url, base.pat, { 'x-project-id': 'payments' }).post('/pats', { name: 'p', scopes: ['tenant:read', 'members:read'] });
    assert.equal(narrow.body.code, 'SCOPE_NOT_HELD', 'a token cannot mint a broader token, even in the project');
    const m = { pat: (await createPatForMember(w.services, { tenant: 'acme', email: 'proj@acme.test', scopes: ['tenant:read', 'members:read'], name: 'p', days: 1, project: 'payments' })).token };
    assert.equal((await api(w.url, m.pat).get('/members')).status, 403, 'tenant-wide: member role only');
    const inProject = await api(w.url, m.pat, { 'x-project-id': 'payments' }).get('/members');
    assert.equal(inProject.status, 200, 'analyst on the project grants members:read there');
    const whoami = (await api(w.url, m.pat, { 'x-project-id': 'payments' }).get('/auth/whoami')).body;
    assert.ok(whoami.project_id);
    const unknown = await api(w.url, m.pat, { 'x-project-id': 'nope' }).get('/members');
    assert.equal(unknown.body.code, 'PROJECT_NOT_FOUND');
    await rest.put('/projects/payments/members/proj@acme.test', { role: null });
    assert.equal((await api(w.url, m.pat, { 'x-project-id': 'payments' }).get('/members')).status, 403, 'unbinding applies at once');
  });
});

describe('PAT last use', () => {
  test('a call records when and from where the token was last used', async () => {
    const t = (await rest.post('/pats', { name: 'tracked', scopes: ['tenant:read'] })).body;
    const before = (await rest.get('/pats')).body.tokens.find((x: any) => x.id === t.id);
    assert.equal(before.last_used_at, null);
    await api(w.url, t.token).get('/tenant');
    let after: any;
    for (let i = 0; i < 40 && !after?.last_used_at; i++) {
      await new Promise((r) => setTimeout(r, 25));
      after = (await rest.get('/pats')).body.tokens.find((x: any) => x.id === t.id);
    }
    assert.ok(after.last_used_at, 'last_used_at recorded');
    const row = await w.services.db.selectFrom('pats').select('last_used_ip').where('id', '=', t.id).executeTakeFirstOrThrow();
    assert.equal(row.last_used_ip, '127.0.0.1');
  });
});
