import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/**
 * The sign-in pages: plain server-rendered HTML (no script), every value escaped by `html`.
 * Elements carry stable ids and names because browser tests and password managers rely on them.
 */
const STYLE = `
body{font:16px/1.5 system-ui,sans-serif;background:#f4f5f7;color:#1d2330;margin:0}
main{max-width:380px;margin:10vh auto;background:#fff;padding:32px;border-radius:10px;box-shadow:0 2px 12px #0002}
h1{font-size:22px;margin:0 0 4px} p.sub{color:#5b6478;margin:0 0 20px}
label{display:block;font-weight:600;margin:14px 0 4px}
input[type=email],input[type=password],input[type=text]{width:100%;box-sizing:border-box;padding:10px;border:1px solid #c5cad6;border-radius:6px;font-size:16px}
button,.button{display:inline-block;margin-top:18px;width:100%;padding:10px;border:0;border-radius:6px;background:#2f5bea;color:#fff;font-size:16px;cursor:pointer;text-align:center;text-decoration:none;box-sizing:border-box}
button.link{background:none;color:#2f5bea;width:auto;padding:0;margin:0}
.error{background:#fdecec;color:#8a1c1c;padding:10px;border-radius:6px;margin:12px 0}
.notice{background:#eef3ff;padding:10px;border-radius:6px;margin:12px 0}
dl{display:grid;grid-template-columns:auto 1fr;gap:4px 12px} dt{color:#5b6478}
ul.choices{list-style:none;padding:0} ul.choices li{margin:8px 0}
`;

export function layout(title: string, body: Html): Html {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title} · Warden</title><style>${raw(STYLE)}</style></head>
<body><main>${body}</main></body></html>`;
}

const errorBox = (error: string | undefined) => (error ? html`<div class="error" id="error" role="alert">${error}</div>` : '');
const hidden = (name: string, value: string | undefined) => (value ? html`<input type="hidden" name="${name}" value="${value}">` : '');

export interface FormContext {
  csrf: string;
  tenant?: string | undefined;
  returnTo: string;
}

export function emailPage(f: FormContext & { email?: string | undefined; error?: string | undefined; notice?: string | undefined }): Html {
  return layout(
    'Sign in',
    html`<h1>Sign in to Warden</h1><p class="sub">${f.tenant ? html`Account <strong>${f.tenant}</strong>` : 'Enter your work email to continue.'}</p>
${f.notice ? html`<div class="notice" id="notice">${f.notice}</div>` : ''}${errorBox(f.error)}
<form method="post" action="/login">
${hidden('csrf', f.csrf)}${hidden('tenant', f.tenant)}${hidden('return_to', f.returnTo)}
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required autofocus value="${f.email ?? ''}">
<button id="next" type="submit">Continue</button>
</form>`,
  );
}

export function passwordPage(f: FormContext & { email: string; error?: string | undefined }): Html {
  return layout(
    'Sign in',
    html`<h1>Enter your password</h1><p class="sub" id="signing-in-as">${f.email}</p>${errorBox(f.error)}
<form method="post" action="/login/password">
${hidden('csrf', f.csrf)}${hidden('tenant', f.tenant)}${hidden('return_to', f.returnTo)}
<input type="hidden" name="email" value="${f.email}" autocomplete="username">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required autofocus>
<button id="sign-in" type="submit">Sign in</button>
</form>
<p><a href="/login${f.tenant ? `?tenant=${encodeURIComponent(f.tenant)}` : ''}">Use another email</a> · <a id="forgot" href="/login/forgot?login_hint=${encodeURIComponent(f.email)}">Forgot your password?</a></p>`,
  );
}

export function ssoRequiredPage(message: string, sso: { url: string; label: string } | undefined): Html {
  return layout(
    'Use single sign-on',
    html`<h1>Use single sign-on</h1><div class="notice" id="notice">${message}</div>
${sso ? html`<a class="button" id="sso" href="${sso.url}">Continue with ${sso.label}</a>` : ''}
<p><a href="/login">Back to sign-in</a></p>`,
  );
}

export function chooseTenantPage(csrf: string, tenants: { slug: string; name: string }[]): Html {
  return layout(
    'Choose an account',
    html`<h1>Choose an account</h1><p class="sub">You belong to several accounts.</p>
<form method="post" action="/login/account">${hidden('csrf', csrf)}
<ul class="choices">${tenants.map((t) => html`<li><button type="submit" name="tenant" value="${t.slug}" id="tenant-${t.slug}">${t.name} (${t.slug})</button></li>`)}</ul>
</form>`,
  );
}

export function homePage(f: { csrf: string; email: string; tenant: string; tenantName: string; role: string; expiresAt: Date; notice?: string | undefined }): Html {
  return layout(
    'Warden',
    html`<h1>Signed in</h1>${f.notice ? html`<div class="notice" id="notice">${f.notice}</div>` : ''}
<dl><dt>User</dt><dd id="user">${f.email}</dd><dt>Account</dt><dd id="tenant">${f.tenantName} (${f.tenant})</dd><dt>Role</dt><dd id="role">${f.role}</dd>
<dt>Session ends</dt><dd>${f.expiresAt.toISOString().replace('T', ' ').slice(0, 16)} UTC</dd></dl>
<p class="sub">Administer Warden from Cursor (MCP) or the REST API; see the README.</p>
<p><a id="change-password" href="/account/password">Change your password</a></p>
<form method="post" action="/logout">${hidden('csrf', f.csrf)}<button id="sign-out" type="submit">Sign out</button></form>`,
  );
}

export function invitePage(f: { csrf: string; email: string; tenantName: string; action: string; error?: string | undefined }): Html {
  return layout(
    'Accept invitation',
    html`<h1>Join ${f.tenantName}</h1><p class="sub">Choose a password for <strong id="invited-email">${f.email}</strong>.</p>${errorBox(f.error)}
<form method="post" action="${f.action}">${hidden('csrf', f.csrf)}
<input type="hidden" name="email" value="${f.email}" autocomplete="username">
<label for="password">New password</label>
<input id="password" name="password" type="password" autocomplete="new-password" minlength="12" required autofocus>
<label for="confirmation">Repeat the password</label>
<input id="confirmation" name="confirmation" type="password" autocomplete="new-password" minlength="12" required>
<button id="accept" type="submit">Set password and sign in</button>
</form>`,
  );
}

export function messagePage(title: string, message: string, link: { href: string; text: string } = { href: '/login', text: 'Back to sign-in' }): Html {
  return layout(title, html`<h1>${title}</h1><div class="notice" id="notice">${message}</div><p><a href="${link.href}">${link.text}</a></p>`);
}

export function forgotPage(f: { csrf: string; email?: string | undefined; notice?: string | undefined; error?: string | undefined }): Html {
  return layout(
    'Reset your password',
    html`<h1>Reset your password</h1><p class="sub">We will email you a link to choose a new password.</p>
${f.notice ? html`<div class="notice" id="notice">${f.notice}</div>` : ''}${errorBox(f.error)}
<form method="post" action="/login/forgot">${hidden('csrf', f.csrf)}
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required autofocus value="${f.email ?? ''}">
<button id="send-link" type="submit">Send the link</button>
</form>
<p><a href="/login">Back to sign-in</a></p>`,
  );
}

export function resetPage(f: { csrf: string; email: string; action: string; error?: string | undefined }): Html {
  return layout(
    'Choose a new password',
    html`<h1>Choose a new password</h1><p class="sub">For <strong id="reset-email">${f.email}</strong>. Every open session of this account will end.</p>${errorBox(f.error)}
<form method="post" action="${f.action}">${hidden('csrf', f.csrf)}
<input type="hidden" name="email" value="${f.email}" autocomplete="username">
<label for="password">New password</label>
<input id="password" name="password" type="password" autocomplete="new-password" minlength="12" required autofocus>
<label for="confirmation">Repeat the password</label>
<input id="confirmation" name="confirmation" type="password" autocomplete="new-password" minlength="12" required>
<button id="reset" type="submit">Set the new password</button>
</form>`,
  );
}

export function changePasswordPage(f: { csrf: string; email: string; error?: string | undefined }): Html {
  return layout(
    'Change your password',
    html`<h1>Change your password</h1><p class="sub">${f.email} · your other sessions will end.</p>${errorBox(f.error)}
<form method="post" action="/account/password">${hidden('csrf', f.csrf)}
<input type="hidden" name="email" value="${f.email}" autocomplete="username">
<label for="current">Current password</label>
<input id="current" name="current" type="password" autocomplete="current-password" required autofocus>
<label for="password">New password</label>
<input id="password" name="password" type="password" autocomplete="new-password" minlength="12" required>
<label for="confirmation">Repeat the new password</label>
<input id="confirmation" name="confirmation" type="password" autocomplete="new-password" minlength="12" required>
<button id="change" type="submit">Change password</button>
</form>
<p><a href="/">Cancel</a></p>`,
  );
}
