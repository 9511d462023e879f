import type { Context, Hono } from 'hono';
import type { Services } from '../app/services.ts';
import type { AppEnv } from '../http/app-env.ts';
import { BrowserDoor, EMAIL_SHAPE, formExpired, pageHeaders, readForm } from './browser.ts';
import { acceptInvitation, findInvitation } from './invitations.ts';
import { chooseTenantPage, emailPage, homePage, invitePage, messagePage, passwordPage, type Html } from './pages.ts';
import { respondToOutcome } from './respond.ts';
import { mountPasswordReset } from './reset-routes.ts';
import { mountAccount } from './account-routes.ts';
import { safeReturnTo } from './return-to.ts';
import { chooseTenant, loginAudit, routeEmail, signInWithPassword, tenantChoices, type LoginOutcome } from './service.ts';
import { endSession } from './sessions.ts';

type Ctx = Context<AppEnv>;

const TENANT_SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;


const tenantParam = (value: string | undefined) => (value && TENANT_SLUG.test(value) ? value : undefined);

/** Browser sign-in: the pages are transport; decisions live in service.ts. */
export function mountLogin(app: Hono<AppEnv>, services: Services): BrowserDoor {
  const door = new BrowserDoor(services);

  app.use('/login/*', async (c, next) => (pageHeaders(c), next()));
  app.use('/login', async (c, next) => (pageHeaders(c), next()));
  app.use('/invite/*', async (c, next) => (pageHeaders(c), next()));
  app.use('/logout', async (c, next) => (pageHeaders(c), next()));


  const finish = (c: Ctx, outcome: LoginOutcome, retry: () => Html | null) => respondToOutcome(c, door, outcome, retry);

  app.get('/login', async (c) => {
    const tenant = tenantParam(c.req.query('tenant'));
    const returnTo = safeReturnTo(c.req.query('return_to'));
    const session = await door.session(c);
    if (session && (!tenant || tenant === session.tenantSlug)) return c.redirect(returnTo, 303);
    const notice = c.req.query('notice') === 'password_changed' ? 'Your password was changed and every session of your account was ended. Sign in with the new password.' : undefined;
    return c.html(emailPage({ csrf: door.csrfToken(c), tenant, returnTo, email: c.req.query('login_hint'), notice }));
  });

  app.post('/login', async (c) => {
    const form = await readForm(c);
    if (!door.formPostAllowed(c, form.csrf)) return formExpired(c);
    const tenant = tenantParam(form.tenant);
    const returnTo = safeReturnTo(form.return_to);
    const email = (form.email ?? '').trim();
    const csrf = door.csrfToken(c);
    if (!EMAIL_SHAPE.test(email)) return c.html(emailPage({ csrf, tenant, returnTo, email, error: 'Enter an email address such as name@example.com.' }), 400);
    const step = await routeEmail(services, email, tenant, returnTo);
    if (step.kind === 'sso') return c.redirect(step.route.url, 303);
    return c.html(passwordPage({ csrf, tenant, returnTo, email: step.email }));
  });

  app.post('/login/password', async (c) => {
    const form = await readForm(c);
    if (!door.formPostAllowed(c, form.csrf)) return formExpired(c);
    const tenant = tenantParam(form.tenant);
    const returnTo = safeReturnTo(form.return_to);
    const email = (form.email ?? '').trim();
    if (!EMAIL_SHAPE.test(email) || !form.password) return c.html(emailPage({ csrf: door.csrfToken(c), tenant, returnTo, email, error: 'Enter your email and password.' }), 400);
    const outcome = await signInWithPassword(services, { email, password: form.password, tenantSlug: tenant, returnTo }, door.request(c));
    return finish(c, outcome, () =>
      outcome.kind === 'refused' && (outcome.reason === 'bad_credentials' || outcome.reason === 'locked')
        ? passwordPage({ csrf: door.csrfToken(c), tenant, returnTo, email, error: outcome.message })
        : null,
    );
  });

  app.get('/login/account', async (c) => {
    const choices = await tenantChoices(services, door.flowToken(c));
    if (!choices) return c.html(messagePage('Sign-in expired', 'This sign-in has expired. Please start again.'), 400);
    return c.html(chooseTenantPage(door.csrfToken(c), choices.tenants));
  });

  app.post('/login/account', async (c) => {
    const form = await readForm(c);
    if (!door.formPostAllowed(c, form.csrf)) return formExpired(c);
    const outcome = await chooseTenant(services, door.flowToken(c), form.tenant ?? '', door.request(c));
    return finish(c, outcome, () => null);
  });

  app.post('/logout', async (c) => {
    const form = await readForm(c);
    if (!door.formPostAllowed(c, form.csrf)) return formExpired(c);
    const session = await door.session(c);
    await endSession(services.db, services.tokens, door.sessionToken(c));
    door.clearSession(c);
    door.rotateCsrf(c);
    if (session) {
      const user = { id: session.userId, email: session.email };
      await services.audit.record(
        loginAudit(services, door.request(c), { operation: 'login.logout', outcome: 'success', tenantId: session.tenantId, user, email: session.email, method: 'session' }),
      );
    }
    return c.redirect('/login', 303);
  });

  app.get('/', async (c) => {
    pageHeaders(c);
    const session = await door.session(c);
    if (!session) return c.redirect('/login', 303);
    const membership = await services.access.membership(session.tenantId, session.userId);
    const tenant = await services.tenants.byId(session.tenantId);
    return c.html(
      homePage({
        csrf: door.csrfToken(c),
        email: session.email,
        tenant: session.tenantSlug,
        tenantName: tenant?.name ?? session.tenantSlug,
        role: membership?.role ?? 'none',
        expiresAt: session.expiresAt,
        notice: c.req.query('notice') === 'password_changed' ? 'Your password was changed; your other sessions have ended.' : undefined,
      }),
    );
  });

  app.get('/invite/:token', async (c) => {
    const invitation = await findInvitation(services, c.req.param('token'));
    if (!invitation) return c.html(messagePage('Invitation not valid', 'This invitation link has expired or has already been used. Ask an account owner for a new invitation.'), 404);
    return c.html(invitePage({ csrf: door.csrfToken(c), email: invitation.user.email, tenantName: invitation.tenant.name, action: c.req.path }));
  });

  app.post('/invite/:token', async (c) => {
    const form = await readForm(c);
    if (!door.formPostAllowed(c, form.csrf)) return formExpired(c);
    const token = c.req.param('token');
    const outcome = await acceptInvitation(services, token, { password: form.password ?? '', confirmation: form.confirmation ?? '' }, door.request(c));
    if (outcome.kind === 'invalid_password') {
      const invitation = await findInvitation(services, token);
      if (!invitation) return c.html(messagePage('Invitation not valid', 'This invitation link is no longer valid.'), 404);
      return c.html(invitePage({ csrf: door.csrfToken(c), email: invitation.user.email, tenantName: invitation.tenant.name, action: c.req.path, error: outcome.message }), 400);
    }
    return finish(c, outcome, () => null);
  });

  mountPasswordReset(app, services, door);
  mountAccount(app, services, door);
  return door;
}
