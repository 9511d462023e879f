import { html } from 'hono/html';
import { layout, type Html } from '../login/pages.ts';
import type { FederatedIdentity } from './identity.ts';

/** What a test sign-in shows the admin: every attribute that arrived, and no session. */
export function testResultPage(tenant: string, identity: FederatedIdentity): Html {
  const rows = Object.entries(identity.attributes).map(
    ([k, v]) => html`<tr><th>${k}</th><td>${Array.isArray(v) ? v.join(', ') : typeof v === 'object' ? JSON.stringify(v) : String(v)}</td></tr>`,
  );
  return layout(
    'SSO test sign-in',
    html`<h1>Test sign-in succeeded</h1><p class="sub">Account <strong>${tenant}</strong> · ${identity.protocol.toUpperCase()} · no session was created.</p>
<dl><dt>Email</dt><dd id="test-email">${identity.email ?? '(none: set the email attribute)'}</dd><dt>Subject</dt><dd id="test-subject">${identity.subject ?? ''}</dd><dt>Issuer</dt><dd>${identity.issuer ?? ''}</dd></dl>
<h2 style="font-size:16px">Attributes</h2><table id="attributes" style="font-size:13px;border-collapse:collapse">${rows}</table>`,
  );
}

export function testFailedPage(reason: string): Html {
  return layout(
    'SSO test sign-in',
    html`<h1>Test sign-in failed</h1><div class="error" id="error">The identity provider's answer was refused: <code id="reason">${reason}</code>.</div>
<p class="sub">sso.test_connection and the audit log (operation sso.test_sign_in) tell more.</p>`,
  );
}

const USER_MESSAGES: Record<string, string> = {
  unknown_user: 'Your identity provider signed you in, but there is no Warden account for your email in this organisation. Ask an administrator to invite you.',
  not_a_member: 'Your identity provider signed you in, but you are not a member of this organisation in Warden. Ask an administrator to invite you.',
  sso_disabled: 'Single sign-on is not enabled for this organisation. Sign in with your password.',
  no_email: 'Your identity provider did not send an email address, so Warden cannot tell who you are. Ask your administrator to release the email attribute.',
  email_unverified: 'Your identity provider says your email address is not verified.',
  flow_expired: 'This sign-in took too long or was already used. Please start again.',
};

export function federationFailedPage(reason: string, requestId: string): Html {
  const message = USER_MESSAGES[reason] ?? 'The answer from your identity provider could not be accepted. Please try again; if it keeps failing, give your administrator the reference below.';
  return layout(
    'Sign-in failed',
    html`<h1>Sign-in failed</h1><div class="error" id="error" data-reason="${reason}">${message}</div><p class="sub">Reference: <code id="reference">${requestId}</code></p><p><a href="/login">Back to sign-in</a></p>`,
  );
}
