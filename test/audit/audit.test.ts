import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { startWarden, type TestWarden } from '../support/warden.ts';
import { api } from '../support/http.ts';
import { addMember } from '../support/people.ts';

let w: TestWarden;
let owner: string;

before(async () => {
  w = await startWarden();
  owner = (await w.bootstrap('acme', 'owner@acme.test')).pat;
});
after(() => w.close());

const events = async (query: string) => (await api(w.url, owner).get(`/audit/events?${query}`)).body.events as any[];

describe('audit log', () => {
  test('allowed, denied and failed calls are each recorded with actor, request and redacted input', async () => {
    const dev = await addMember(w, owner, 'acme', 'dev@acme.test', 'developer');
    const ok = await api(w.url, owner, { 'x-request-id': 'req-allowed', 'user-agent': 'audit-test' }).post('/pats', { name: 'for-audit', scopes: ['tenant:read'] });
    assert.equal(ok.status, 201);
    const denied = await api(w.url, dev.pat, { 'x-request-id': 'req-denied' }).get('/audit/events');
    assert.equal(denied.status, 403);
    const failed = await api(w.url, owner, { 'x-request-id': 'req-failed' }).post('/roles', { name: 'x1', permissions: ['nope:read'] });
    assert.equal(failed.status, 400);

    const all = await events('limit=1000');
    const byReq = (id: string) => all.find((e) => e.request_id === id);
    const allowed = byReq('req-allowed');
    assert.equal(allowed.outcome, 'success');
    assert.equal(allowed.operation, 'pats.create');
    assert.equal(allowed.user_agent, 'audit-test');
    assert.equal(allowed.ip, '127.0.0.1');
    assert.equal(allowed.actor[0].email, 'owner@acme.test');
    assert.equal(allowed.actor[0].credential, 'pat');
    assert.deepEqual(allowed.input, { name: 'for-audit', scopes: ['tenant:read'] });
    assert.ok(!JSON.stringify(all).includes(ok.body.token), 'the issued token never reaches the audit log');
    assert.equal(byReq('req-denied').outcome, 'denied');
    assert.equal(byReq('req-denied').error_code, 'PERMISSION_DENIED');
    assert.equal(byReq('req-failed').outcome, 'failed');
    assert.equal(byReq('req-failed').error_code, 'UNKNOWN_PERMISSION');
  });

  test('filters and paging', async () => {
    const page1 = (await api(w.url, owner).get('/audit/events?limit=2')).body;
    assert.equal(page1.events.length, 2);
    const page2 = (await api(w.url, owner).get(`/audit/events?limit=2&after_seq=${page1.next_after_seq}`)).body;
    assert.equal(BigInt(page2.events[0].seq), BigInt(page1.events[1].seq) + 1n);
    const pats = await events('operation=pats.&limit=1000');
    assert.ok(pats.length > 0 && pats.every((e) => e.operation.startsWith('pats.')));
    const dev = await events('actor_email=dev@acme.test&limit=1000');
    assert.ok(dev.length > 0 && dev.every((e) => e.actor[0].email === 'dev@acme.test'));
  });

  test('export as CSV and JSON Lines', async () => {
    const jsonl = (await api(w.url, owner).get('/audit/export?format=jsonl')).body;
    const lines = jsonl.content.trim().split('\n').map((l: string) => JSON.parse(l));
    assert.equal(lines.length, jsonl.count);
    assert.equal(lines[0].operation, 'tenant.bootstrap');
    const csv = (await api(w.url, owner).get('/audit/export?format=csv&operation=pats.create')).body;
    const rows = csv.content.trim().split('\r\n');
    assert.equal(rows[0], 'seq,occurred_at,operation,outcome,error_code,target,actor,input,request_id,ip,user_agent');
    assert.equal(rows.length, csv.count + 1);
    assert.match(rows[1], /"pats\.create"/);
  });

  test('the table refuses UPDATE and DELETE', async () => {
    await assert.rejects(sql`update audit_events set outcome = 'success'`.execute(w.services.db), /append-only/);
    await assert.rejects(sql`delete from audit_events`.execute(w.services.db), /append-only/);
  });

  test('audit.verify passes on an intact chain and finds a modified, a deleted and a re-ordered row', async () => {
    const verify = async () => (await api(w.url, owner).get('/audit/verify')).body;
    const clean = await verify();
    assert.equal(clean.ok, true, JSON.stringify(clean.problems));
    assert.ok(clean.checked > 5);
    const tenant = (await w.services.tenants.bySlug('acme'))!.id;
    const db = w.services.db;
    // An attacker with database superuser rights: disable the guard and edit history.
    await sql`alter table audit_events disable trigger audit_events_no_update`.execute(db);
    try {
      const original = (await sql<{ target: string | null }>`select target from audit_events where chain = ${tenant} and seq = 3`.execute(db)).rows[0]!.target;
      await sql`update audit_events set target = 'tampered' where chain = ${tenant} and seq = 3`.execute(db);
      let r = await verify();
      assert.equal(r.ok, false);
      assert.deepEqual(r.problems.map((p: any) => [p.seq, p.kind]), [['3', 'modified']]);
      await sql`update audit_events set target = ${original} where chain = ${tenant} and seq = 3`.execute(db);
      assert.equal((await verify()).ok, true, 'restoring the row restores the chain');

      // Re-order: swap two records' positions.
      await sql`update audit_events set seq = -1 where chain = ${tenant} and seq = 6`.execute(db);
      await sql`update audit_events set seq = 6 where chain = ${tenant} and seq = 7`.execute(db);
      await sql`update audit_events set seq = 7 where chain = ${tenant} and seq = -1`.execute(db);
      r = await verify();
      assert.ok(r.problems.some((p: any) => p.seq === '6' && p.kind === 'broken_link'), JSON.stringify(r.problems));

      await sql`delete from audit_events where chain = ${tenant} and seq = 4`.execute(db);
      r = await verify();
      assert.ok(r.problems.some((p: any) => p.kind === 'missing' && p.seq === '4'), JSON.stringify(r.problems));
    } finally {
      await sql`alter table audit_events enable trigger audit_events_no_update`.execute(db);
    }
  });
});

describe('redaction of inputs', () => {
  test('fields that name a secret are replaced, others kept', async () => {
    const { redactInput } = await import('../../src/audit/entry.ts');
    const out = redactInput({ name: 'ci', token: 'wdn_key_x', key: 'wdn_key_y', api_key: 'k', apiKey: 'k', client_secret: 's', key_id: 'id-1', keys: ['a'], nested: { password: 'p', totp: 'x' } }) as any;
    assert.equal(out.name, 'ci');
    for (const f of ['token', 'key', 'api_key', 'apiKey', 'client_secret']) assert.equal(out[f], '[redacted]', f);
    assert.equal(out.key_id, 'id-1');
    assert.deepEqual(out.keys, ['a']);
    assert.equal(out.nested.password, '[redacted]');
  });
});
