import type { Context, Hono } from 'hono';
import { generateServiceProviderMetadata } from '@node-saml/node-saml';
import type { Services } from '../app/services.ts';
import type { AppEnv } from '../http/app-env.ts';
import type { Tenant } from '../db/schema.ts';
import { pageHeaders, readForm, type BrowserDoor } from '../login/browser.ts';
import { endFlow, findFlow, type LoginFlow } from '../login/flows.ts';
import { messagePage } from '../login/pages.ts';
import { respondToOutcome } from '../login/respond.ts';
import { safeReturnTo } from '../login/return-to.ts';
import { FederationError, type FederatedIdentity } from './identity.ts';
import { oidcCallback } from './oidc.ts';
import { federationFailedPage, testFailedPage, testResultPage } from './pages.ts';
import { samlConfigOf, validateSamlResponse, type AcsMode } from './saml.ts';
import { auditOf, completeFederatedSignIn, federatedSignInUrl, oidcSettings, SSO_STAGE, startFederatedFlow } from './service.ts';
import { findSettings, type SsoSettingsRow } from './store.ts';
import { spUrls } from './urls.ts';
import { validateWresult, wsfedConfigOf } from './wsfed.ts';

type Ctx = Context<AppEnv>;


/**
 * The browser side of SSO, per tenant under /sso/{tenant}/. The IdP's POSTs (SAML ACS, WS-Fed
 * reply) are cross-site by design, so they carry no CSRF token: the signature, the one-time
 * request/assertion ids and the flow token in RelayState/wctx protect them instead.
 */
export function mountSso(app: Hono<AppEnv>, services: Services, door: BrowserDoor): void {
  const deps = () => ({ db: services.db, baseUrl: services.config.baseUrl, now: () => services.clock.now(), metadata: services.sso.metadata });
  app.use('/sso/*', async (c, next) => (pageHeaders(c), next()));

  async function tenantAndSettings(c: Ctx): Promise<{ tenant: Tenant; settings: SsoSettingsRow } | Response> {
    const tenant = await services.tenants.bySlug(c.req.param('tenant') ?? '');
    const settings = tenant ? await findSettings(services.db, tenant.id) : undefined;
    if (!tenant || !settings?.protocol) return c.html(messagePage('Single sign-on unavailable', 'Single sign-on is not configured for this account.'), 404);
    return { tenant, settings };
  }

  async function redirectToIdp(c: Ctx, tenant: Tenant, settings: SsoSettingsRow, flowToken: string, loginHint?: string) {
    try {
      const url = await federatedSignInUrl(services, tenant, settings, flowToken, loginHint);
      door.setFlow(c, flowToken);
      return c.redirect(url, 303);
    } catch (err) {
      return refuse(c, tenant, null, err);
    }
  }

  async function refuse(c: Ctx, tenant: Tenant, flow: LoginFlow | null, err: unknown) {
    const reason = err instanceof FederationError ? err.reason : 'internal_error';
    if (!(err instanceof FederationError)) services.log.error('federated sign-in failed', { error: (err as Error).message, requestId: c.get('requestId') });
    const test = Boolean(flow?.data.test);
    await services.audit.record(auditOf(services, door.request(c), tenant, undefined, test ? 'sso.test_sign_in' : 'login.failure', 'denied', reason, 'sso'));
    return c.html(test ? testFailedPage(reason) : federationFailedPage(reason, c.get('requestId')), reason === 'internal_error' ? 500 : 403);
  }

  async function finish(c: Ctx, tenant: Tenant, settings: SsoSettingsRow, flow: LoginFlow | null, returnTo: string, validate: () => Promise<FederatedIdentity>) {
    try {
      // A flow is used once, whatever the answer: a refused response cannot be retried under it.
      if (flow) await endFlow(services.db, flow);
      const identity = await validate();
      const result = await completeFederatedSignIn(services, tenant, settings, identity, flow, returnTo, door.request(c));
      if (result.kind === 'test') {
        door.clearFlow(c);
        return c.html(testResultPage(tenant.slug, result.identity));
      }
      return respondToOutcome(c, door, result);
    } catch (err) {
      return refuse(c, tenant, flow, err);
    }
  }

  const ssoFlow = async (token: string | undefined, tenant: Tenant) => {
    const flow = await findFlow(services.db, token, SSO_STAGE, services.clock.now());
    return flow && flow.tenantId === tenant.id ? flow : null;
  };

  app.get('/sso/:tenant/start', async (c) => {
    const found = await tenantAndSettings(c);
    if (found instanceof Response) return found;
    if (!found.settings.enabled) return c.html(messagePage('Single sign-on unavailable', 'Single sign-on is not enabled for this account. Sign in with your password.'), 403);
    const flowToken = await startFederatedFlow(services, found.tenant, { returnTo: safeReturnTo(c.req.query('return_to')), test: false });
    return redirectToIdp(c, found.tenant, found.settings, flowToken, c.req.query('login_hint'));
  });

  app.get('/sso/:tenant/test/:token', async (c) => {
    const found = await tenantAndSettings(c);
    if (found instanceof Response) return found;
    const flow = await ssoFlow(c.req.param('token'), found.tenant);
    if (!flow?.data.test) return c.html(messagePage('Test link expired', 'This test sign-in link has expired or was used. Run sso.test_connection again.'), 400);
    return redirectToIdp(c, found.tenant, found.settings, c.req.param('token'));
  });

  app.get('/sso/:tenant/saml/metadata', async (c) => {
    const tenant = await services.tenants.bySlug(c.req.param('tenant'));
    if (!tenant) return c.text('unknown account', 404);
    const urls = spUrls(services.config.baseUrl, tenant.slug);
    const xml = generateServiceProviderMetadata({
      issuer: urls.entity_id,
      callbackUrl: urls.acs_url,
      identifierFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      wantAssertionsSigned: true,
    });
    return c.body(xml, 200, { 'content-type': 'application/samlmetadata+xml; charset=utf-8' });
  });

  const acs = (mode: AcsMode) => async (c: Ctx) => {
    const found = await tenantAndSettings(c);
    if (found instanceof Response) return found;
    const { tenant, settings } = found;
    const form = await readForm(c);
    const flow = mode === 'sp' ? await ssoFlow(form.RelayState, tenant) : null;
    if (mode === 'sp' && !flow) return refuse(c, tenant, null, new FederationError('flow_expired', 'RelayState does not name a sign-in in progress.'));
    if (settings.protocol !== 'saml') return refuse(c, tenant, flow, new FederationError('not_configured', 'SAML is not the configured protocol.'));
    if (!form.SAMLResponse) return refuse(c, tenant, flow, new FederationError('malformed', 'No SAMLResponse in the post.'));
    const returnTo = flow ? flow.returnTo : safeReturnTo(form.RelayState);
    return finish(c, tenant, settings, flow, returnTo, () => validateSamlResponse(deps(), tenant, samlConfigOf(settings), form.SAMLResponse!, mode));
  };
  app.post('/sso/:tenant/saml/acs', acs('sp'));
  app.post('/sso/:tenant/saml/idp-acs', acs('idp'));

  app.post('/sso/:tenant/wsfed', async (c) => {
    const found = await tenantAndSettings(c);
    if (found instanceof Response) return found;
    const { tenant, settings } = found;
    const form = await readForm(c);
    const flow = await ssoFlow(form.wctx, tenant);
    if (!flow) return refuse(c, tenant, null, new FederationError('flow_expired', 'wctx does not name a sign-in in progress.'));
    if (settings.protocol !== 'wsfed') return refuse(c, tenant, flow, new FederationError('not_configured', 'WS-Federation is not the configured protocol.'));
    if (form.wa !== 'wsignin1.0' || !form.wresult) return refuse(c, tenant, flow, new FederationError('malformed', 'Expected wa=wsignin1.0 with a wresult.'));
    return finish(c, tenant, settings, flow, flow.returnTo, () => validateWresult(deps(), tenant, wsfedConfigOf(settings), form.wresult!));
  });

  app.get('/sso/:tenant/oidc/callback', async (c) => {
    const found = await tenantAndSettings(c);
    if (found instanceof Response) return found;
    const { tenant, settings } = found;
    const flowToken = door.flowToken(c);
    const flow = await ssoFlow(flowToken, tenant);
    if (!flow) return refuse(c, tenant, null, new FederationError('flow_expired', 'No OIDC sign-in in progress in this browser.'));
    if (settings.protocol !== 'oidc') return refuse(c, tenant, flow, new FederationError('not_configured', 'OIDC is not the configured protocol.'));
    const callbackUrl = new URL(spUrls(services.config.baseUrl, tenant.slug).oidc_redirect_uri);
    callbackUrl.search = new URL(c.req.url).search;
    return finish(c, tenant, settings, flow, flow.returnTo, async () => {
      const oidc = await oidcSettings(services, tenant, settings);
      return oidcCallback(await services.sso.oidc.configuration(oidc), oidc, callbackUrl, services.sessionKey, flowToken!);
    });
  });
}
