import type { Context, Hono } from 'hono';
import type { Services } from '../app/services.ts';
import type { AppEnv } from '../http/app-env.ts';
import { EMAIL_SHAPE, formExpired, readForm, type BrowserDoor } from './browser.ts';
import { forgotPage, messagePage, resetPage } from './pages.ts';
import { findResetUser, requestPasswordReset, resetPassword } from './password-reset.ts';

type Ctx = Context<AppEnv>;


/** `/login/forgot` and `/login/reset/<token>`: pages only; decisions in password-reset.ts. */
export function mountPasswordReset(app: Hono<AppEnv>, services: Services, door: BrowserDoor): void {
  const expired = (c: Ctx) => c.html(messagePage('Link not valid', 'This password reset link has expired or has already been used. Ask for a new one.', { href: '/login/forgot', text: 'Send a new link' }), 404);

  app.get('/login/forgot', (c) => c.html(forgotPage({ csrf: door.csrfToken(c), email: c.req.query('login_hint') })));

  app.post('/login/forgot', async (c) => {
    const form = await readForm(c);
    if (!door.formPostAllowed(c, form.csrf)) return formExpired(c);
    const email = (form.email ?? '').trim();
    const csrf = door.csrfToken(c);
    if (!EMAIL_SHAPE.test(email)) return c.html(forgotPage({ csrf, email, error: 'Enter an email address such as name@example.com.' }), 400);
    const outcome = await requestPasswordReset(services, email, door.request(c));
    if (outcome === 'unavailable') return c.html(forgotPage({ csrf, email, error: 'Password reset by email is not available on this server. Ask an administrator of your account.' }), 503);
    // The same answer whether or not the address has an account.
    return c.html(forgotPage({ csrf, email, notice: `If ${email} has a Warden account that signs in with a password, we have sent it a link to choose a new one. The link works once, for one hour.` }));
  });

  app.get('/login/reset/:token', async (c) => {
    const user = await findResetUser(services, c.req.param('token'));
    if (!user) return expired(c);
    return c.html(resetPage({ csrf: door.csrfToken(c), email: user.email, action: c.req.path }));
  });

  app.post('/login/reset/:token', async (c) => {
    const form = await readForm(c);
    if (!door.formPostAllowed(c, form.csrf)) return formExpired(c);
    const token = c.req.param('token');
    const outcome = await resetPassword(services, token, { password: form.password ?? '', confirmation: form.confirmation ?? '' }, door.request(c));
    if (outcome.kind === 'expired') return expired(c);
    if (outcome.kind === 'invalid_password') {
      const user = await findResetUser(services, token);
      if (!user) return expired(c);
      return c.html(resetPage({ csrf: door.csrfToken(c), email: user.email, action: c.req.path, error: outcome.message }), 400);
    }
    door.clearSession(c);
    return c.redirect(`/login?notice=password_changed&login_hint=${encodeURIComponent(outcome.email)}`, 303);
  });
}
