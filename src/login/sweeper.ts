import type { DB } from '../db/connect.ts';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/log.ts';
import { LOGIN_POLICY } from './policy.ts';

const SWEEP_EVERY_MS = 10 * 60_000;

/**
 * Deletes what has expired: sign-in flows, sessions, lockout counters, SSO one-time ids, MFA
 * codes, OAuth codes, refresh tokens and client-assertion ids. They
 * are refused when read anyway; this only keeps the tables small. Any server may run it.
 */
export class Sweeper {
  readonly #db: DB;
  readonly #clock: Clock;
  readonly #log: Logger;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(deps: { db: DB; clock: Clock; log: Logger }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#log = deps.log;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.sweep(), SWEEP_EVERY_MS);
    this.#timer.unref();
  }

  sweep(): Promise<void> {
    this.#running ??= this.#sweep()
      .catch((err) => this.#log.warn('sweeping expired sign-in state failed', { error: (err as Error).message }))
      .finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #sweep(): Promise<void> {
    const now = this.#clock.now();
    const idleSince = new Date(now.getTime() - LOGIN_POLICY.sessionIdleMs);
    const windowStart = new Date(now.getTime() - LOGIN_POLICY.failureWindowMs);
    await this.#db.deleteFrom('login_flows').where('expires_at', '<', now).execute();
    await this.#db.deleteFrom('browser_sessions').where((eb) => eb.or([eb('expires_at', '<', now), eb('last_seen_at', '<', idleSince)])).execute();
    await this.#db
      .deleteFrom('login_throttle')
      .where('window_started_at', '<', windowStart)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
      .execute();
    await this.#db.deleteFrom('sso_replay_cache').where('expires_at', '<', now).execute();
    await this.#db.deleteFrom('password_resets').where('expires_at', '<', now).execute();
    await this.#db.deleteFrom('mfa_codes').where('expires_at', '<', now).where('window_started_at', '<', windowStart).execute();
    // Expired authorization codes, refresh tokens and client-assertion ids are refused anyway;
    // used refresh tokens stay until they expire, which is what reuse detection needs.
    await this.#db.deleteFrom('oauth_codes').where('expires_at', '<', now).execute();
    await this.#db.deleteFrom('oauth_refresh_tokens').where('expires_at', '<', now).execute();
    await this.#db.deleteFrom('oauth_assertion_jtis').where('expires_at', '<', now).execute();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }
}
