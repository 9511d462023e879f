import { createServer, type Server } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';

/** A loopback redirect target, as a desktop MCP client runs one (RFC 8252 §7.3). */
export interface Callback {
  url: string;
  next(): Promise<URLSearchParams>;
  close(): Promise<void>;
}

export async function startCallback(): Promise<Callback> {
  let waiting: ((q: URLSearchParams) => void) | undefined;
  const queue: URLSearchParams[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback') return void res.writeHead(404).end();
    const q = url.searchParams;
    res.writeHead(200, { 'content-type': 'text/html' }).end('<p id="done">You can close this window.</p>');
    if (waiting) {
      const w = waiting;
      waiting = undefined;
      w(q);
    } else queue.push(q);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/callback`,
    next: () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise((r) => (waiting = r))),
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** An in-memory OAuthClientProvider, as an IDE keeps one per MCP server. */
export class MemoryProvider implements OAuthClientProvider {
  info: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = '';
  authorizationUrl: URL | undefined;
  readonly #redirect: string;
  readonly #name: string;
  clientMetadataUrl?: string;
  constructor(redirect: string, name = 'Test IDE') {
    this.#redirect = redirect;
    this.#name = name;
  }
  get redirectUrl() {
    return this.#redirect;
  }
  get clientMetadata(): OAuthClientMetadata {
    return { client_name: this.#name, redirect_uris: [this.#redirect], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' };
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.info = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(v: string) {
    this.verifier = v;
  }
  codeVerifier() {
    return this.verifier;
  }
}

/** Drives Chromium through sign-in (when asked) and the consent page; returns the page on the consent screen or wherever it landed. */
export async function openAuthorization(context: BrowserContext, url: URL | string, creds: { email: string; password: string } | undefined): Promise<Page> {
  const page = await context.newPage();
  await page.goto(url.toString());
  if (creds && (await page.$('#email'))) {
    await page.fill('#email', creds.email);
    await page.click('#next');
    await page.waitForSelector('#password');
    await page.fill('#password', creds.password);
    await Promise.all([page.waitForLoadState('load'), page.click('#sign-in')]);
  }
  return page;
}

export const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

export async function form(url: string, params: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(params) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

/**
 * A signed-in browser's cookies replayed with fetch: fast authorize → consent → code round trips
 * for protocol tests (the real browser flow is in sdk-flow.test.ts).
 */
export class BrowserSessionFetch {
  readonly base: string;
  readonly cookie: string;
  constructor(base: string, cookie: string) {
    this.base = base;
    this.cookie = cookie;
  }

  async authorize(params: Record<string, string>): Promise<Response> {
    return fetch(`${this.base}/oauth/authorize?${new URLSearchParams(params)}`, { headers: { cookie: this.cookie }, redirect: 'manual' });
  }

  /** Authorize, approving the consent page (all offered scopes, or `only`) when it is shown; returns the redirect URL. */
  async approve(params: Record<string, string>, only?: string[]): Promise<URL> {
    const res = await this.authorize(params);
    if (res.status === 303) return new URL(res.headers.get('location')!);
    const html = await res.text();
    if (res.status !== 200) throw new Error(`authorize ${res.status}: ${html.slice(0, 300)}`);
    const hidden = [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, decodeEntities(m[2]!)] as [string, string]);
    const offered = [...html.matchAll(/name="scope" value="([^"]+)"/g)].map((m) => m[1]!);
    const body = new URLSearchParams(hidden);
    for (const s of offered) if (!only || only.includes(s)) body.append('scope', s);
    body.set('decision', 'allow');
    const post = await fetch(`${this.base}/oauth/authorize`, { method: 'POST', headers: { cookie: this.cookie, 'content-type': 'application/x-www-form-urlencoded' }, body, redirect: 'manual' });
    if (post.status !== 303) throw new Error(`consent ${post.status}: ${(await post.text()).slice(0, 300)}`);
    return new URL(post.headers.get('location')!);
  }
}

const decodeEntities = (s: string) => s.replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');

export async function register(base: string, redirectUris: string[], name = 'Protocol test client') {
  const res = await fetch(`${base}/oauth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_name: name, redirect_uris: redirectUris, token_endpoint_auth_method: 'none' }) });
  return { status: res.status, body: (await res.json()) as any };
}
