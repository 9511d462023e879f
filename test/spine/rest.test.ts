import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startWarden, type TestWarden } from '../support/warden.ts';
import { api } from '../support/http.ts';

let w: TestWarden;
let owner: string;

before(async () => {
  w = await startWarden();
  owner = (await w.bootstrap('acme', 'owner@acme.test')).pat;
});
after(() => w.close());

describe('REST doors', () => {
  test('tenant.get with a PAT returns the tenant', async () => {
    const res = await api(w.url, owner).get('/tenant');
    assert.equal(res.status, 200);
    assert.equal(res.body.slug, 'acme');
  });

  test('unknown arguments are refused with a problem+json naming them', async () => {
    const res = await api(w.url, owner).post('/pats', { name: 'x', scopes: ['tenant:read'], sneaky: true });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    assert.equal(res.body.code, 'VALIDATION_FAILED');
    assert.match(res.body.detail, /"sneaky"/);
  });

  test('no token → 401 with a resource_metadata challenge', async () => {
    const res = await api(w.url, undefined).get('/tenant');
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp"/);
  });

  test('openapi document lists every operation with its schema', async () => {
    const res = await fetch(`${w.url}/api/v1/openapi.json`);
    const doc = (await res.json()) as any;
    assert.equal(doc.openapi, '3.1.0');
    assert.equal(doc.paths['/api/v1/pats'].post.operationId, 'pats.create');
    assert.equal(doc.paths['/api/v1/pats'].post.requestBody.content['application/json'].schema.additionalProperties, false);
  });
});
