/**
 * Sign-in limits. Chosen to match what Okta and Auth0 ship by default: a short lockout after a
 * handful of misses per account, a looser per-address limit against password spraying, and
 * sessions that end after two idle hours or a day at most.
 */
export const LOGIN_POLICY = {
  failureWindowMs: 15 * 60_000,
  maxFailuresPerEmail: 5,
  maxFailuresPerIp: 30,
  lockoutMs: 15 * 60_000,
  sessionIdleMs: 2 * 60 * 60_000,
  sessionAbsoluteMs: 24 * 60 * 60_000,
  /** last_seen_at is written at most this often per session. */
  sessionTouchMs: 60_000,
  /** A multi-step sign-in (tenant choice, MFA, SSO round trip) must finish within this. */
  flowMs: 10 * 60_000,
} as const;
