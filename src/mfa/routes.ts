import type { Context, Hono } from 'hono';
import QRCode from 'qrcode';
import type { Services } from '../app/services.ts';
import type { AppEnv } from '../http/app-env.ts';
import { formExpired, readForm, type BrowserDoor } from '../login/browser.ts';
import { messagePage } from '../login/pages.ts';
import type { LoginOutcome } from '../login/service.ts';
import { maskEmail, maskPhone } from './codes.ts';
import { chooseMethodPage, enterCodePage, lockedPage, recoveryCodesPage, recoveryPage, sendPage, totpEnrolPage, totpVerifyPage } from './pages.ts';
import { findEnrolment } from './store.ts';
import { loadStep, lockedMessage, methodsOf, sendCode, submitCode, totpSetup, type MfaStep, type StepMethod } from './service.ts';

type Ctx = Context<AppEnv>;

const STEP_METHODS: readonly StepMethod[] = ['totp', 'email', 'sms', 'recovery'];
const asMethod = (value: string | undefined): StepMethod | undefined => STEP_METHODS.find((m) => m === value);


/**
 * The second step of browser sign-in (the login flow's cookie carries it here): enrolment on first
 * sign-in, verification afterwards. Pages are transport; the rules live in service.ts.
 */
export function mountMfa(app: Hono<AppEnv>, services: Services, door: BrowserDoor): void {
  const expired = (c: Ctx) => {
    door.clearFlow(c);
    return c.html(messagePage('Sign-in expired', 'This sign-in has expired. Please start again.'), 400);
  };

  async function destinationOf(step: MfaStep, method: 'email' | 'sms'): Promise<string | undefined> {
    if (method === 'email') return maskEmail(step.user.email);
    const phone = step.stage === 'verify' ? step.usable.find((e) => e.method === 'sms')?.phone : (await findEnrolment(services.db, step.tenant.id, step.user.id, 'sms'))?.phone;
    return phone ? maskPhone(phone) : undefined;
  }

  async function methodPage(c: Ctx, step: MfaStep, method: StepMethod, error?: string, status: 200 | 400 | 401 | 429 | 502 | 503 = 200) {
    const csrf = door.csrfToken(c);
    const methods = methodsOf(step);
    const enrol = step.stage === 'enrol';
    if (method === 'totp' && enrol) {
      const setup = await totpSetup(services, step);
      const qr = await QRCode.toDataURL(setup.uri, { errorCorrectionLevel: 'M', margin: 1, width: 200 });
      return c.html(totpEnrolPage({ csrf, secret: setup.seed.reveal(), uri: setup.uri, qr, methods, error }), status);
    }
    if (method === 'totp') return c.html(totpVerifyPage({ csrf, methods, error }), status);
    if (method === 'recovery') return c.html(recoveryPage({ csrf, methods, error }), status);
    return c.html(sendPage({ csrf, method, enrol, destination: await destinationOf(step, method), methods, error }), status);
  }

  function signedIn(c: Ctx, outcome: LoginOutcome): boolean {
    if (outcome.kind !== 'signed_in') return false;
    door.setSession(c, outcome.sessionToken, outcome.expiresAt);
    door.rotateCsrf(c);
    door.clearFlow(c);
    return true;
  }

  app.get('/login/mfa', async (c) => {
    const step = await loadStep(services, door.flowToken(c));
    if (!step) return expired(c);
    if (step.lockedUntil) return c.html(lockedPage(lockedMessage(step.lockedUntil, services.clock.now())), 429);
    const methods = methodsOf(step);
    let method = asMethod(c.req.query('method'));
    if (!method || !methods.includes(method)) {
      if (step.stage === 'enrol' && methods.length > 1) return c.html(chooseMethodPage({ methods, enrol: true }));
      method = methods[0]!;
    }
    return methodPage(c, step, method);
  });

  app.post('/login/mfa/send', async (c) => {
    const form = await readForm(c);
    if (!door.formPostAllowed(c, form.csrf)) return formExpired(c);
    const step = await loadStep(services, door.flowToken(c));
    if (!step) return expired(c);
    const method = form.method === 'email' || form.method === 'sms' ? form.method : undefined;
    if (!method) return c.html(chooseMethodPage({ methods: methodsOf(step), enrol: step.stage === 'enrol', error: 'Choose a method.' }), 400);
    const sent = await sendCode(services, step, method, form.phone, door.request(c));
    const csrf = door.csrfToken(c);
    const methods = methodsOf(step);
    const enrol = step.stage === 'enrol';
    if (sent.ok) return c.html(enterCodePage({ csrf, method, destination: sent.destination, notice: 'We sent you a code.', methods, enrol }));
    if (sent.status === 429 && step.lockedUntil) return c.html(lockedPage(sent.message), 429);
    // A resend inside the limit keeps the code entry open: the earlier code still works.
    const destination = await destinationOf(step, method);
    if (sent.status === 429 && destination) return c.html(enterCodePage({ csrf, method, destination, error: sent.message, methods, enrol }), 429);
    return c.html(sendPage({ csrf, method, enrol, destination, methods, error: sent.message, phone: form.phone }), sent.status as 400 | 502 | 503);
  });

  app.post('/login/mfa/code', async (c) => {
    const form = await readForm(c);
    if (!door.formPostAllowed(c, form.csrf)) return formExpired(c);
    const step = await loadStep(services, door.flowToken(c));
    if (!step) return expired(c);
    const method = asMethod(form.method);
    if (!method) return c.html(chooseMethodPage({ methods: methodsOf(step), enrol: step.stage === 'enrol', error: 'Choose a method.' }), 400);
    const result = await submitCode(services, step, method, form.code ?? '', door.request(c));
    switch (result.kind) {
      case 'expired':
        return expired(c);
      case 'enrolled':
        if (!signedIn(c, result.outcome)) return expired(c);
        // Shown once, on this response only (pages are no-store); Warden keeps only their hashes.
        return c.html(recoveryCodesPage({ codes: result.recoveryCodes.map((s) => s.reveal()), returnTo: step.flow.returnTo }));
      case 'verified':
        if (!signedIn(c, result.outcome)) return expired(c);
        return c.redirect(step.flow.returnTo, 303);
      case 'refused': {
        if (result.locked) return c.html(lockedPage(result.message), 429);
        const status = result.status as 400 | 401;
        if (method === 'email' || method === 'sms') {
          const destination = await destinationOf(step, method);
          if (destination) return c.html(enterCodePage({ csrf: door.csrfToken(c), method, destination, error: result.message, methods: methodsOf(step), enrol: step.stage === 'enrol' }), status);
        }
        return methodPage(c, step, method, result.message, status);
      }
    }
  });
}
