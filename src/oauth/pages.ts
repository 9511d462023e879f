import { html } from 'hono/html';
import { layout, type Html } from '../login/pages.ts';
import { PERMISSIONS, type Permission } from '../authz/permissions.ts';

export interface ConsentView {
  csrf: string;
  clientName: string;
  clientId: string;
  clientKind: 'dynamic' | 'metadata_document' | 'agent';
  redirectTarget: string;
  redirectUri: string;
  email: string;
  tenant: string;
  /** Requested scopes the user holds (checked by default; the user may untick). */
  offered: Permission[];
  /** Requested scopes the user's role lacks: listed, never granted. */
  unavailable: string[];
  params: Record<string, string>;
}

/**
 * The consent page names the client, where the code will go and what it may do. It is a form
 * bound to this browser's CSRF token and served with frame-ancestors 'none', so neither another
 * site nor a frame can approve on the user's behalf.
 */
export function consentPage(v: ConsentView): Html {
  const unverified =
    v.clientKind === 'dynamic'
      ? html`<div class="notice" id="unverified">This client registered itself; Warden has not verified its name. Allow it only if you just started signing in from it.</div>`
      : '';
  return layout(
    'Authorize access',
    html`<h1>Allow <span id="client-name">${v.clientName}</span> to use Warden?</h1>
<p class="sub">Signed in as <strong id="user">${v.email}</strong> in account <strong id="tenant">${v.tenant}</strong></p>
${unverified}
<dl><dt>Sends you to</dt><dd id="redirect-host">${v.redirectTarget}</dd><dt>Client id</dt><dd id="client-id" style="word-break:break-all">${v.clientId}</dd></dl>
<form method="post" action="/oauth/authorize">
<input type="hidden" name="csrf" value="${v.csrf}">
${Object.entries(v.params).map(([k, val]) => html`<input type="hidden" name="${k}" value="${val}">`)}
<p>It will be able to act as you, never beyond your current role, with:</p>
<ul class="choices" id="scopes">
${v.offered.map(
  (p) => html`<li><label style="font-weight:400"><input type="checkbox" name="scope" value="${p}" id="scope-${p.replace(':', '-')}" checked> <code>${p}</code> — ${PERMISSIONS[p].description}</label></li>`,
)}
</ul>
${v.unavailable.length > 0 ? html`<p class="sub" id="unavailable">Not available to you (your role does not hold them): ${v.unavailable.join(', ')}</p>` : ''}
<button id="allow" type="submit" name="decision" value="allow">Allow</button>
<button id="deny" type="submit" name="decision" value="deny" class="link" style="margin-top:12px">Deny</button>
</form>`,
  );
}

export function oauthErrorPage(title: string, message: string): Html {
  return layout(title, html`<h1>${title}</h1><div class="error" id="error" role="alert">${message}</div><p>Return to the application and try again.</p>`);
}
