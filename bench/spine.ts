// Spine benchmark: a bare Hono route, REST tenant.get with a PAT and MCP tools/call tenant_get with
// a PAT, side by side on one server process against real Postgres with audit on. Load comes from
// wrk (BENCH_CONNECTIONS connections, BENCH_SECONDS each). Prints req/s, p50, p99 and the
// MCP/bare ratio, and what the audit writer costs alone. BENCH_ONLY=mcp runs one path. Not a test.
import { load, mcpHeaders, mcpSession, MCP_CALL_TENANT_GET, printTable, SECONDS, CONNECTIONS, startBench, type Result } from './support/harness.ts';

const bench = await startBench((app) => app.get('/bench/bare', (c) => c.json({ ok: true })));
const { services, url } = bench;
const auth = { authorization: `Bearer ${bench.pat}`, 'x-tenant-id': 'bench' };
const sessionId = await mcpSession(url, auth);

const only = process.env.BENCH_ONLY; // e.g. "mcp" to profile one path
const skipped = (name: string): Result | undefined => (only !== undefined && !name.toLowerCase().includes(only) ? { name, rps: NaN, p50: '-', p99: '-', errors: 'skipped' } : undefined);
const results = [
  skipped('bare Hono route') ?? (await load('bare Hono route', `${url}/bench/bare`, bench.wrkScript('GET', {}))),
  skipped('REST tenant.get (PAT)') ?? (await load('REST tenant.get (PAT)', `${url}/api/v1/tenant`, bench.wrkScript('GET', auth))),
  await load('MCP tools/call tenant_get (PAT)', `${url}/mcp`, bench.wrkScript('POST', mcpHeaders(auth, sessionId), { jsonRpcCall: MCP_CALL_TENANT_GET })),
];

// What the audit record costs: the group-committed writer alone, at the same concurrency.
async function auditOnly(): Promise<{ perSecond: number; perRecordUs: number }> {
  const tenantId = (await services.tenants.bySlug('bench'))!.id;
  const started = performance.now();
  let written = 0;
  const deadline = started + Math.min(SECONDS, 5) * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < deadline) {
        await services.audit.record({ tenantId, actor: [{ credential: 'pat', credentialId: 'bench' }], operation: 'bench.audit', input: {}, outcome: 'success', occurredAt: new Date() });
        written++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: written / seconds, perRecordUs: (seconds * 1e6) / written };
}
const audit = await auditOnly();
await services.audit.flush();
const audited = await services.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();

printTable('Warden spine benchmark', 'req/s', results);
console.log(`\nMCP call / bare route: ${(results[2]!.rps / results[0]!.rps).toFixed(3)}; REST / bare: ${(results[1]!.rps / results[0]!.rps).toFixed(3)}`);
console.log(`audit records written during the run: ${audited.n}`);
console.log(`audit writer alone (group commit, ${CONNECTIONS} concurrent): ${audit.perSecond.toFixed(0)} records/s = ${audit.perRecordUs.toFixed(0)} µs of wall time per record, vs ${(1e6 / results[2]!.rps).toFixed(0)} µs per MCP call at full load`);

await bench.close();
process.exit(0);
