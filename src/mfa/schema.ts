import { z } from 'zod';
import { MFA_METHODS, SCOPE_ALL, SCOPE_EXCLUDED } from './policy.ts';

export const method = z.enum(MFA_METHODS).describe('"totp" (authenticator app), "email" (code by email) or "sms" (code by text message)');

export const policyView = z.object({
  required: z.boolean().describe('Whether users in scope must pass a second step at sign-in'),
  methods: z.array(method).describe('Methods users may enrol and verify with'),
  applies_to: z.enum([SCOPE_ALL, SCOPE_EXCLUDED]).describe('Whom the policy covers now: follows SSO (SSO on: only SSO-excluded users; the IdP handles everyone else)'),
  sso_enabled: z.boolean(),
  summary: z.string().describe('One sentence for the user: who is prompted right now'),
  delivery: z.object({
    email: z.string().nullable().describe('"smtp", "outbox" (console, development only) or null (not configured)'),
    sms: z.string().nullable().describe('"twilio", "outbox" or null'),
  }),
  updated_at: z.iso.datetime().nullable(),
});

export const userView = z.object({
  user_id: z.uuid(),
  email: z.string(),
  role: z.string(),
  mfa_applies: z.boolean().describe('Whether this user is asked for MFA at their next sign-in (policy, SSO scope)'),
  methods: z.array(
    z.object({
      method,
      allowed: z.boolean().describe('false when the policy no longer allows the method: the user re-enrols with another'),
      phone: z.string().nullable().describe('Masked number for SMS'),
      enrolled_at: z.iso.datetime().nullable(),
      last_used_at: z.iso.datetime().nullable(),
    }),
  ),
  recovery_codes_left: z.number().int(),
  status: z.enum(['enrolled', 'must_enrol', 'not_required']).describe('must_enrol: sets up a method at the next sign-in'),
});
