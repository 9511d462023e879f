import type { Hono } from 'hono';
import type { Services } from '../app/services.ts';
import type { AppEnv } from '../http/app-env.ts';
import { formExpired, pageHeaders, readForm, type BrowserDoor } from './browser.ts';
import { changePasswordPage } from './pages.ts';
import { changePassword } from './password-change.ts';

/** `/account/password`: the signed-in user's own password. */
export function mountAccount(app: Hono<AppEnv>, services: Services, door: BrowserDoor): void {
  app.use('/account/*', async (c, next) => (pageHeaders(c), next()));

  app.get('/account/password', async (c) => {
    const session = await door.session(c);
    if (!session) return c.redirect('/login?return_to=%2Faccount%2Fpassword', 303);
    return c.html(changePasswordPage({ csrf: door.csrfToken(c), email: session.email }));
  });

  app.post('/account/password', async (c) => {
    const form = await readForm(c);
    if (!door.formPostAllowed(c, form.csrf)) return formExpired(c);
    const session = await door.session(c);
    if (!session) return c.redirect('/login?return_to=%2Faccount%2Fpassword', 303);
    const outcome = await changePassword(services, session, { current: form.current ?? '', password: form.password ?? '', confirmation: form.confirmation ?? '' }, door.request(c));
    if (outcome.kind === 'refused') return c.html(changePasswordPage({ csrf: door.csrfToken(c), email: session.email, error: outcome.message }), 400);
    return c.redirect('/?notice=password_changed', 303);
  });
}
