/** What an IdP told us about the person, whichever protocol carried it. */
export interface FederatedIdentity {
  protocol: 'saml' | 'wsfed' | 'oidc';
  issuer: string | undefined;
  subject: string | null | undefined;
  email: string | undefined;
  attributes: Record<string, unknown>;
}

/**
 * A refused federated sign-in. `reason` is a stable code recorded in the audit log; `detail`
 * is for the audit record only — the browser sees a generic page.
 */
export class FederationError extends Error {
  readonly reason: string;
  constructor(reason: string, detail: string) {
    super(detail);
    this.reason = reason;
  }
}

/** An IdP's value as an email address (trimmed, lower-case), or undefined when it is not one. */
export const asEmail = (v: unknown): string | undefined => (typeof v === 'string' && /^[^\s@]+@[^\s@]+$/.test(v.trim()) ? v.trim().toLowerCase() : undefined);
