import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Services } from '../app/services.ts';
import { clientIp, userAgent } from '../http/request-info.ts';
import type { AppEnv } from '../http/app-env.ts';
import { csrfTokenFor, csrfTokenValid, newCsrfCookieValue } from './csrf.ts';
import { findSession, type BrowserSession } from './sessions.ts';
import { messagePage } from './pages.ts';
import type { LoginRequest } from './service.ts';
import { LOGIN_POLICY } from './policy.ts';

/**
 * Cookies and request checks shared by every browser page (login now; SSO, MFA and OAuth
 * consent later). On https the cookies take the `__Host-` prefix: Secure, Path=/, no Domain.
 */
export interface CookieNames {
  session: string;
  csrf: string;
  flow: string;
}

export function cookieNames(secure: boolean): CookieNames {
  const prefix = secure ? '__Host-' : '';
  return { session: `${prefix}warden_session`, csrf: `${prefix}warden_csrf`, flow: `${prefix}warden_flow` };
}

type Ctx = Context<AppEnv>;

export class BrowserDoor {
  readonly names: CookieNames;
  readonly #services: Services;
  readonly #secure: boolean;
  readonly #origin: string;

  constructor(services: Services) {
    this.#services = services;
    this.#secure = services.config.secureCookies;
    this.names = cookieNames(this.#secure);
    this.#origin = new URL(services.config.baseUrl).origin;
  }

  #cookie(c: Ctx, name: string, value: string, maxAgeSeconds?: number): void {
    setCookie(c, name, value, { path: '/', httpOnly: true, sameSite: 'Lax', secure: this.#secure, ...(maxAgeSeconds ? { maxAge: maxAgeSeconds } : {}) });
  }

  /** The CSRF token for this browser's forms, setting the cookie it is bound to when absent. */
  csrfToken(c: Ctx): string {
    let value = getCookie(c, this.names.csrf);
    if (!value || value.length > 64) {
      value = newCsrfCookieValue();
      this.#cookie(c, this.names.csrf, value);
    }
    return csrfTokenFor(this.#services.sessionKey, value);
  }

  /** A new CSRF secret after sign-in, so a token planted before it is worthless. */
  rotateCsrf(c: Ctx): void {
    this.#cookie(c, this.names.csrf, newCsrfCookieValue());
  }

  /**
   * A form post is accepted only from our own pages: the signed CSRF token must match the
   * cookie, and a browser that says the request is cross-site (Origin, Sec-Fetch-Site) is refused.
   */
  formPostAllowed(c: Ctx, formToken: string | undefined): boolean {
    const origin = c.req.header('origin');
    if (origin && origin !== 'null' && origin !== this.#origin) return false;
    if (c.req.header('sec-fetch-site') === 'cross-site') return false;
    return csrfTokenValid(this.#services.sessionKey, getCookie(c, this.names.csrf), formToken);
  }

  setSession(c: Ctx, token: string, expiresAt: Date): void {
    const seconds = Math.max(1, Math.floor((expiresAt.getTime() - this.#services.clock.now().getTime()) / 1000));
    this.#cookie(c, this.names.session, token, seconds);
  }

  clearSession(c: Ctx): void {
    deleteCookie(c, this.names.session, { path: '/', secure: this.#secure });
  }

  setFlow(c: Ctx, token: string): void {
    this.#cookie(c, this.names.flow, token, LOGIN_POLICY.flowMs / 1000);
  }

  clearFlow(c: Ctx): void {
    deleteCookie(c, this.names.flow, { path: '/', secure: this.#secure });
  }

  flowToken(c: Ctx): string | undefined {
    return getCookie(c, this.names.flow);
  }

  sessionToken(c: Ctx): string | undefined {
    return getCookie(c, this.names.session);
  }

  /** The signed-in user of this browser, or null. */
  session(c: Ctx): Promise<BrowserSession | null> {
    return findSession(this.#services.db, this.#services.tokens, this.sessionToken(c), this.#services.clock.now());
  }

  request(c: Ctx): LoginRequest {
    return { ip: clientIp(c), userAgent: userAgent(c), requestId: c.get('requestId') };
  }
}

/** Headers for every sign-in page: no framing, no caching, and no Referer (invitation links carry a token). */
export function pageHeaders(c: Ctx): void {
  c.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'");
  c.header('x-frame-options', 'DENY');
  c.header('cache-control', 'no-store');
  c.header('referrer-policy', 'no-referrer');
}

/** The string fields of a posted form (files and repeated fields are ignored). */
export async function readForm(c: Ctx): Promise<Record<string, string>> {
  const body = await c.req.parseBody();
  return Object.fromEntries(Object.entries(body).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** What an email field must look like before Warden looks anything up. */
export const EMAIL_SHAPE = /^[^\s@]{1,64}@[^\s@]{1,190}$/;

/** The answer to a form post that fails the CSRF/origin check. */
export const formExpired = (c: Ctx) => c.html(messagePage('Form expired', 'This form has expired or did not come from this site. Reload the page and try again.'), 403);
