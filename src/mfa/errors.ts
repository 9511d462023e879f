import { invalid, notFound, WardenError } from '../core/errors.ts';

/** Stable error codes of the MFA capability. */
export const memberNotFound = (email: string) => notFound('MEMBER_NOT_FOUND', `${email} is not a member of this tenant.`, 'members.list shows the members; mfa.list_users shows who is enrolled.');

export const nothingToChange = () =>
  invalid('MFA_POLICY_EMPTY_CHANGE', 'mfa.set_policy needs `required`, `methods` or both.', { hint: 'e.g. {"required": true, "methods": ["totp"]}' });

export const methodUndeliverable = (method: 'email' | 'sms') =>
  new WardenError(
    'MFA_DELIVERY_UNAVAILABLE',
    `The ${method === 'email' ? 'email' : 'SMS'} method cannot be allowed: this Warden has no ${method === 'email' ? 'SMTP server (WARDEN_SMTP_URL)' : 'SMS provider (WARDEN_TWILIO_ACCOUNT_SID, WARDEN_TWILIO_AUTH_TOKEN, WARDEN_SMS_FROM)'} configured, so users could not receive codes.`,
    { status: 409, field: 'methods', hint: 'Ask the operator to configure delivery (README "MFA"), or allow only "totp".' },
  );
