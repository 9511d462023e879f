import { z } from 'zod';
import type { OperationContext } from '../ops/types.ts';
import { conflict, WardenError } from '../core/errors.ts';
import { startFlow } from '../login/flows.ts';
import { LOGIN_POLICY } from '../login/policy.ts';
import { inspectCertificate, type CertificateReport } from './certificates.ts';
import { fetchFederationMetadata } from './configure.ts';
import { FederationError } from './identity.ts';
import { parseSamlMetadata } from './metadata.ts';
import { certificateReport } from './schema.ts';
import { oidcSettings, SSO_STAGE } from './service.ts';
import { findSettings, type SsoSettingsRow } from './store.ts';
import { fetchDocument } from './xml.ts';

export const connectionTestView = z.object({
  ok: z.boolean().describe('Every check passed'),
  protocol: z.string(),
  checks: z.array(z.object({ check: z.string(), ok: z.boolean(), message: z.string() })),
  certificates: z.array(certificateReport),
  test_sign_in_url: z.string().describe('Open in a browser within 10 minutes: a full IdP sign-in that creates no session and shows the attributes received'),
  test_sign_in_expires_at: z.iso.datetime(),
});

type Check = { check: string; ok: boolean; message: string };

async function attempt(check: string, run: () => Promise<string>): Promise<Check> {
  try {
    return { check, ok: true, message: await run() };
  } catch (err) {
    const message = err instanceof WardenError || err instanceof FederationError ? err.message : 'failed unexpectedly';
    return { check, ok: false, message };
  }
}

async function reachable(url: string): Promise<string> {
  const res = await fetch(url, { method: 'GET', redirect: 'manual', signal: AbortSignal.timeout(5000) }).catch(() => {
    throw new FederationError('unreachable', `${url} did not answer.`);
  });
  if (res.status >= 500) throw new FederationError('unreachable', `${url} answered HTTP ${res.status}.`);
  return `${url} answers (HTTP ${res.status}).`;
}

const certificateChecks = (reports: CertificateReport[]): Check[] =>
  reports.map((r) => ({ check: `certificate ${r.index + 1}`, ok: r.status === 'valid' || r.status === 'expiring_soon', message: r.message }));

async function protocolChecks(ctx: OperationContext, settings: SsoSettingsRow, now: Date): Promise<{ checks: Check[]; certificates: CertificateReport[] }> {
  const config = settings.config as Record<string, any>;
  if (settings.protocol === 'saml') {
    const certificates = ((config.certificates as string[]) ?? []).map((c, i) => inspectCertificate(c, i, now));
    const checks = [...certificateChecks(certificates), await attempt('sso_url', () => reachable(config.sso_url))];
    if (config.metadata_url) checks.push(await attempt('metadata_url', async () => (parseSamlMetadata(await fetchDocument(config.metadata_url, 'metadata_url')), 'IdP metadata is reachable and valid.')));
    return { checks, certificates };
  }
  if (settings.protocol === 'wsfed') {
    let certificates: CertificateReport[] = [];
    const metadata = await attempt('federation_metadata_url', async () => {
      const doc = await fetchFederationMetadata(config.federation_metadata_url);
      certificates = doc.certificates.map((c, i) => inspectCertificate(c, i, now));
      return `Federation metadata is reachable: issuer ${doc.issuer}, ${doc.certificates.length} token-signing certificate(s).`;
    });
    return { checks: [metadata, ...certificateChecks(certificates), await attempt('sign_on_url', () => reachable(config.sign_on_url))], certificates };
  }
  const discovery = await attempt('discovery', async () => {
    const oidc = await oidcSettings(ctx.services, ctx.tenant, settings);
    const configuration = await ctx.services.sso.oidc.configuration(oidc);
    return `Discovery at ${configuration.serverMetadata().issuer} works.`;
  });
  return { checks: [discovery], certificates: [] };
}

export async function runConnectionTest(ctx: OperationContext): Promise<z.input<typeof connectionTestView>> {
  const settings = await findSettings(ctx.db, ctx.tenant.id);
  if (!settings?.protocol) throw conflict('SSO_NOT_CONFIGURED', 'SSO has no configuration to test.', { hint: 'Configure it first (sso.configure_saml, sso.import_metadata, sso.configure_wsfed, sso.configure_oidc).' });
  const now = ctx.services.clock.now();
  const { checks, certificates } = await protocolChecks(ctx, settings, now);
  const token = await startFlow(ctx.db, { userId: null, tenantId: ctx.tenant.id, stage: SSO_STAGE, returnTo: '/', data: { test: true }, now });
  return {
    ok: checks.every((c) => c.ok),
    protocol: `${settings.protocol}:${settings.provider}`,
    checks,
    certificates,
    test_sign_in_url: `${ctx.services.config.baseUrl}/sso/${ctx.tenant.slug}/test/${token}`,
    test_sign_in_expires_at: new Date(now.getTime() + LOGIN_POLICY.flowMs).toISOString(),
  };
}
