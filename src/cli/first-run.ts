import type { Services } from '../app/services.ts';
import { bootstrapTenant } from '../tenants/bootstrap.ts';

const DEFAULT_TENANT = 'default';
const DEFAULT_OWNER = 'owner@example.com';

/** On a fresh data directory, create a tenant and owner and say how to connect Cursor. */
export async function firstRunBanner(services: Services): Promise<string | undefined> {
  const any = await services.db.selectFrom('tenants').select('id').limit(1).executeTakeFirst();
  if (any) return undefined;
  const r = await bootstrapTenant(services, { tenant: DEFAULT_TENANT, email: DEFAULT_OWNER });
  const url = services.config.baseUrl;
  const mcpJson = {
    mcpServers: { warden: { url: `${url}/mcp`, headers: { Authorization: `Bearer ${r.pat}`, 'X-Tenant-Id': r.tenant } } },
  };
  return [
    '',
    '──────────────── Warden first run ────────────────',
    `Tenant:          ${r.tenant}`,
    `Owner sign-in:   ${url}/login  as ${r.email}`,
    `Owner password:  ${r.password}   (shown once — change it at /account/password after signing in)`,
    `Owner PAT:       ${r.pat}   (every scope, expires ${r.patExpiresAt}; shown once)`,
    '',
    'Paste into ~/.cursor/mcp.json (or .cursor/mcp.json in a project):',
    JSON.stringify(mcpJson, null, 2),
    '──────────────────────────────────────────────────',
    '',
  ].join('\n');
}
