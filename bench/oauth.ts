// OAuth benchmark: client-credentials tokens issued per second at /oauth/token (secret auth,
// ES256 signing, a grant row per token, audit on), then MCP tools/call tenant_get with an OAuth JWT
// beside the same call with a PAT, in the same run, against real Postgres. Load from wrk
// (BENCH_CONNECTIONS connections, BENCH_SECONDS each). Prints req/s, p50, p99. Not a test.
import { load, mcpHeaders, mcpSession, MCP_CALL_TENANT_GET, printTable, startBench } from './support/harness.ts';

const bench = await startBench();
const { services, url } = bench;
const patAuth = { authorization: `Bearer ${bench.pat}`, 'x-tenant-id': 'bench' };

const agent = await (
  await fetch(`${url}/api/v1/agents`, {
    method: 'POST',
    headers: { ...patAuth, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench-agent', grants: [{ scope: 'tenant:read' }], auth_method: 'client_secret' }),
  })
).json();
const basic = `Basic ${Buffer.from(`${agent.client_id}:${agent.client_secret}`).toString('base64')}`;
const tokenRes = await (await fetch(`${url}/oauth/token`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' })).json();
const jwtAuth = { authorization: `Bearer ${tokenRes.access_token}` };
const patSession = await mcpSession(url, patAuth);
const jwtSession = await mcpSession(url, jwtAuth);

const grants = () => services.db.selectFrom('oauth_grants').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
const before = await grants();
const results = [
  await load('POST /oauth/token client_credentials (secret)', `${url}/oauth/token`, bench.wrkScript('POST', { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, { body: 'grant_type=client_credentials' })),
  await load('MCP tools/call tenant_get (OAuth JWT)', `${url}/mcp`, bench.wrkScript('POST', mcpHeaders(jwtAuth, jwtSession), { jsonRpcCall: MCP_CALL_TENANT_GET })),
  await load('MCP tools/call tenant_get (PAT)', `${url}/mcp`, bench.wrkScript('POST', mcpHeaders(patAuth, patSession), { jsonRpcCall: MCP_CALL_TENANT_GET })),
];
const after = await grants();

printTable('Warden OAuth benchmark (ES256)', 'req/s', results);
console.log(`\ntokens issued (grant rows written): ${Number(after.n) - Number(before.n)}`);
console.log(`MCP call with JWT / with PAT: ${(results[1]!.rps / results[2]!.rps).toFixed(3)}`);

await bench.close();
process.exit(0);
