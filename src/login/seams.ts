import type { DB } from '../db/connect.ts';
import type { Tenant, User } from '../db/schema.ts';

/**
 * Where other capabilities plug into sign-in, without the login flow knowing them:
 * - an SSO router decides, from the email step, that a user must sign in at their tenant's IdP;
 * - a second factor decides, after the password (or the IdP), that another step comes first.
 */
export interface SsoRoute {
  /** Where the browser goes to start the IdP round trip (a Warden URL or the IdP's). */
  url: string;
  /** Shown on the "use SSO" page, e.g. "Okta". */
  label: string;
}

export type SsoRouter = (db: DB, args: { tenant: Tenant; user: User; returnTo: string }) => Promise<SsoRoute | null>;

export interface PendingStep {
  /** Recorded on the login flow; the step's own pages check it. */
  stage: string;
  /** The page that runs the step; it receives the flow through the login-flow cookie. */
  path: string;
}

export type SecondFactor = (db: DB, args: { tenant: Tenant; user: User; amr: string[] }) => Promise<PendingStep | null>;

export class LoginSeams {
  readonly #ssoRouters: SsoRouter[] = [];
  readonly #secondFactors: SecondFactor[] = [];

  addSsoRouter(router: SsoRouter): void {
    this.#ssoRouters.push(router);
  }

  addSecondFactor(step: SecondFactor): void {
    this.#secondFactors.push(step);
  }

  async ssoRouteFor(db: DB, args: { tenant: Tenant; user: User; returnTo: string }): Promise<SsoRoute | null> {
    for (const router of this.#ssoRouters) {
      const route = await router(db, args);
      if (route) return route;
    }
    return null;
  }

  async pendingStepFor(db: DB, args: { tenant: Tenant; user: User; amr: string[] }): Promise<PendingStep | null> {
    for (const step of this.#secondFactors) {
      const pending = await step(db, args);
      if (pending) return pending;
    }
    return null;
  }
}
