import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { layout } from '../login/pages.ts';
import { METHOD_LABEL } from './policy.ts';
import type { StepMethod } from './service.ts';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** The MFA pages: plain HTML like the sign-in pages, stable ids for tests and password managers. */
const LABEL: Record<StepMethod, string> = { ...METHOD_LABEL, recovery: 'Recovery code' };

const errorBox = (error: string | undefined) => (error ? html`<div class="error" id="error" role="alert">${error}</div>` : '');
const noticeBox = (notice: string | undefined) => (notice ? html`<div class="notice" id="notice">${notice}</div>` : '');
const csrfField = (csrf: string) => html`<input type="hidden" name="csrf" value="${csrf}">`;

function codeForm(csrf: string, method: StepMethod, label: string, button: string) {
  const recovery = method === 'recovery';
  return html`<form method="post" action="/login/mfa/code">${csrfField(csrf)}<input type="hidden" name="method" value="${method}">
<label for="code">${label}</label>
<input id="code" name="code" type="text" ${recovery ? html`autocomplete="off"` : html`inputmode="numeric" pattern="[0-9]{6}" maxlength="6" autocomplete="one-time-code"`} required autofocus>
<button id="verify" type="submit">${button}</button>
</form>`;
}

function otherMethods(methods: StepMethod[], current: StepMethod | undefined) {
  const others = methods.filter((m) => m !== current);
  if (others.length === 0) return '';
  return html`<p class="sub">Or use: ${others.map((m, i) => html`${i ? ' · ' : ''}<a id="method-${m}" href="/login/mfa?method=${m}">${LABEL[m]}</a>`)}</p>`;
}

export function chooseMethodPage(f: { methods: StepMethod[]; enrol: boolean; error?: string | undefined }): Html {
  return layout(
    'Two-step verification',
    html`<h1>${f.enrol ? 'Set up two-step verification' : 'Two-step verification'}</h1>
<p class="sub">${f.enrol ? 'Your organisation requires a second step at sign-in. Choose how you want to receive codes.' : 'Choose how to confirm it is you.'}</p>${errorBox(f.error)}
<ul class="choices">${f.methods.map((m) => html`<li><a class="button" id="method-${m}" href="/login/mfa?method=${m}">${LABEL[m]}</a></li>`)}</ul>`,
  );
}

export function totpEnrolPage(f: { csrf: string; secret: string; uri: string; qr: string; methods: StepMethod[]; error?: string | undefined }): Html {
  return layout(
    'Set up an authenticator app',
    html`<h1>Set up an authenticator app</h1>
<p class="sub">Scan the code with your authenticator app (Google Authenticator, 1Password, Authy…), then enter the 6-digit code it shows.</p>${errorBox(f.error)}
<p style="text-align:center"><img id="qr" src="${f.qr}" width="200" height="200" alt="QR code for your authenticator app"></p>
<p>Can't scan it? Enter this key: <code id="totp-secret">${f.secret}</code></p>
<p class="sub" style="word-break:break-all"><a id="otpauth-uri" href="${f.uri}">${f.uri}</a></p>
${codeForm(f.csrf, 'totp', 'Code from the app', 'Verify and continue')}
${otherMethods(f.methods, 'totp')}`,
  );
}

export function sendPage(f: {
  csrf: string;
  method: 'email' | 'sms';
  enrol: boolean;
  destination: string | undefined;
  methods: StepMethod[];
  error?: string | undefined;
  phone?: string | undefined;
}): Html {
  const askPhone = f.method === 'sms' && f.enrol;
  const title = f.method === 'email' ? 'Verify with an email code' : 'Verify with a text message';
  return layout(
    title,
    html`<h1>${title}</h1>${errorBox(f.error)}
<form method="post" action="/login/mfa/send">${csrfField(f.csrf)}<input type="hidden" name="method" value="${f.method}">
${
  askPhone
    ? html`<p class="sub">Enter the mobile number that should receive sign-in codes.</p>
<label for="phone">Mobile number</label><input id="phone" name="phone" type="tel" autocomplete="tel" placeholder="+44 7700 900123" required autofocus value="${f.phone ?? ''}">`
    : html`<p class="sub">We will send a 6-digit code to <strong id="destination">${f.destination}</strong>.</p>`
}
<button id="send" type="submit">Send code</button>
</form>
${otherMethods(f.methods, f.method)}`,
  );
}

export function enterCodePage(f: { csrf: string; method: 'email' | 'sms'; destination: string; notice?: string | undefined; error?: string | undefined; methods: StepMethod[]; enrol: boolean }): Html {
  return layout(
    'Enter your code',
    html`<h1>Enter your code</h1>${noticeBox(f.notice)}${errorBox(f.error)}
<p class="sub">The code was sent to <strong id="destination">${f.destination}</strong>. It expires in 10 minutes.</p>
${codeForm(f.csrf, f.method, '6-digit code', f.enrol ? 'Verify and continue' : 'Verify')}
<form method="post" action="/login/mfa/send">${csrfField(f.csrf)}<input type="hidden" name="method" value="${f.method}"><button class="link" id="resend" type="submit">Send a new code</button></form>
${otherMethods(f.methods, f.method)}`,
  );
}

export function totpVerifyPage(f: { csrf: string; methods: StepMethod[]; error?: string | undefined }): Html {
  return layout(
    'Two-step verification',
    html`<h1>Two-step verification</h1><p class="sub">Enter the 6-digit code from your authenticator app.</p>${errorBox(f.error)}
${codeForm(f.csrf, 'totp', 'Code from the app', 'Verify')}
${otherMethods(f.methods, 'totp')}`,
  );
}

export function recoveryPage(f: { csrf: string; methods: StepMethod[]; error?: string | undefined }): Html {
  return layout(
    'Use a recovery code',
    html`<h1>Use a recovery code</h1><p class="sub">Enter one of the recovery codes you saved when you set up two-step verification. Each code works once.</p>${errorBox(f.error)}
${codeForm(f.csrf, 'recovery', 'Recovery code', 'Verify')}
${otherMethods(f.methods, 'recovery')}`,
  );
}

export function recoveryCodesPage(f: { codes: string[]; returnTo: string }): Html {
  return layout(
    'Save your recovery codes',
    html`<h1>Save your recovery codes</h1>
<div class="notice" id="notice">Two-step verification is on. If you lose access to your method, each of these codes signs you in once. They are shown only now: store them somewhere safe.</div>
<ul id="recovery-codes" style="font:16px/1.8 ui-monospace,monospace;columns:2">${f.codes.map((c) => html`<li>${c}</li>`)}</ul>
<a class="button" id="continue" href="${f.returnTo}">I have saved them — continue</a>`,
  );
}

export function lockedPage(message: string): Html {
  return layout('Try again later', html`<h1>Try again later</h1><div class="error" id="error" role="alert">${message}</div><p><a href="/login">Back to sign-in</a></p>`);
}
