import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Signed double-submit CSRF tokens: the browser holds a random value in an HttpOnly cookie and
 * every form carries HMAC(server key, value). A cross-site page can neither read the cookie nor
 * compute the MAC, and the cookie is SameSite=Lax besides.
 */
export const newCsrfCookieValue = () => randomBytes(24).toString('base64url');

export function csrfTokenFor(key: Buffer, cookieValue: string): string {
  return createHmac('sha256', key).update(`csrf|${cookieValue}`).digest('base64url');
}

export function csrfTokenValid(key: Buffer, cookieValue: string | undefined, formToken: string | undefined): boolean {
  if (!cookieValue || !formToken) return false;
  const expected = Buffer.from(csrfTokenFor(key, cookieValue));
  const actual = Buffer.from(formToken);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
