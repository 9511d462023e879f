import type { Context } from 'hono';
import type { AppEnv } from '../http/app-env.ts';
import type { BrowserDoor } from './browser.ts';
import { messagePage, ssoRequiredPage, type Html } from './pages.ts';
import type { LoginOutcome } from './service.ts';

const REFUSAL_STATUS = { bad_credentials: 401, locked: 429, sso_required: 403, no_membership: 403, flow_expired: 400 } as const;

/**
 * Turns a sign-in outcome into the browser's next step: the session cookie and a redirect, the
 * flow cookie and the next page, or a refusal page. Login, SSO and MFA pages all end here.
 */
export function respondToOutcome(c: Context<AppEnv>, door: BrowserDoor, outcome: LoginOutcome, retry: () => Html | null = () => null) {
  if (outcome.kind === 'signed_in') {
    door.setSession(c, outcome.sessionToken, outcome.expiresAt);
    door.rotateCsrf(c);
    door.clearFlow(c);
    return c.redirect(outcome.returnTo, 303);
  }
  if (outcome.kind === 'next_step') {
    door.setFlow(c, outcome.flowToken);
    return c.redirect(outcome.path, 303);
  }
  const status = REFUSAL_STATUS[outcome.reason];
  if (outcome.reason === 'sso_required') return c.html(ssoRequiredPage(outcome.message, outcome.sso), status);
  return c.html(retry() ?? messagePage('Sign-in failed', outcome.message), status);
}
