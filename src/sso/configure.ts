import type { OperationContext } from '../ops/types.ts';
import { invalid } from '../core/errors.ts';
import { isBuiltinRole } from '../authz/builtin-roles.ts';
import { publishInvalidation } from '../db/connect.ts';
import { inspectCertificate } from './certificates.ts';
import { parseWsFedMetadata } from './metadata.ts';
import { DEFAULT_SCOPES } from './oidc.ts';
import { saveConfiguration, SSO_SECRET_PLACE } from './store.ts';
import type { SsoProtocol } from './tables.ts';
import { fetchDocument } from './xml.ts';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** IdP URLs must be https; plain http is accepted only on this machine (development and tests). */
export function requireSecureUrl(value: string, field: string): void {
  const url = new URL(value);
  if (url.protocol === 'https:' || LOOPBACK.has(url.hostname)) return;
  throw invalid('INSECURE_URL', `${field} must use https (got ${url.protocol}//${url.host}).`, { field, hint: 'Use the https:// address your IdP shows.' });
}

/** Every certificate must parse; at least one must be in date (an expiring one still counts, with a warning). */
export function checkCertificates(certificates: string[], now: Date): void {
  const reports = certificates.map((c, i) => inspectCertificate(c, i, now));
  const broken = reports.find((r) => r.status === 'unparseable');
  if (broken) throw invalid('CERTIFICATE_INVALID', broken.message, { field: `certificates[${broken.index}]`, hint: 'Paste the whole PEM block from the IdP, including BEGIN/END lines.' });
  if (!reports.some((r) => r.status === 'valid' || r.status === 'expiring_soon')) {
    throw invalid('CERTIFICATE_NOT_IN_DATE', `No certificate is in date: ${reports.map((r) => r.message).join(' ')}`, { field: 'certificates', hint: "Download the IdP's current signing certificate." });
  }
}

export async function checkJitRole(ctx: OperationContext, role: string | undefined): Promise<void> {
  if (role === undefined) return;
  if (role === 'owner') throw invalid('JIT_ROLE_NOT_ALLOWED', 'Just-in-time users cannot become owners.', { field: 'jit_role', hint: 'Use "member" (the default) or another role.' });
  if (isBuiltinRole(role)) return;
  const custom = await ctx.db.selectFrom('custom_roles').select('id').where('tenant_id', '=', ctx.tenant.id).where('name', '=', role).executeTakeFirst();
  if (!custom) throw invalid('UNKNOWN_ROLE', `No role "${role}" exists in this tenant.`, { field: 'jit_role', hint: 'roles.list shows the roles.' });
}

export async function fetchFederationMetadata(url: string) {
  return parseWsFedMetadata(await fetchDocument(url, 'federation_metadata_url'), 'federation_metadata_url');
}

export async function save(
  ctx: OperationContext,
  fields: { protocol: SsoProtocol; provider: string; config: Record<string, unknown>; clientSecret?: string | undefined; jitProvisioning?: boolean | undefined; jitRole?: string | undefined },
): Promise<void> {
  await checkJitRole(ctx, fields.jitRole);
  const sealed = fields.clientSecret ? await ctx.services.keyring.seal(ctx.tenant.id, SSO_SECRET_PLACE(ctx.tenant.id), fields.clientSecret, ctx.db) : null;
  await saveConfiguration(ctx.db, ctx.tenant.id, { ...fields, clientSecret: sealed });
  ctx.services.sso.oidc.forget();
  await publishInvalidation(ctx.db, `sso:${ctx.tenant.id}`);
}

export { DEFAULT_SCOPES };
