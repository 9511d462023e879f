import { randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { z } from 'zod';
import type { Clock } from '../core/clock.ts';
import type { DB } from '../db/connect.ts';
import { OAuthError, invalidClient } from './errors.ts';
import { redirectUriProblem } from './redirect-uris.ts';

/** A client as the authorize and token endpoints see it, however it was registered. */
export interface OAuthClient {
  clientId: string;
  kind: 'dynamic' | 'metadata_document' | 'agent';
  name: string;
  clientUri: string | null;
  redirectUris: string[];
}

const MAX_REDIRECTS = 10;
const DOCUMENT_TTL_MS = 60 * 60_000;
const DOCUMENT_MAX_BYTES = 64 * 1024;
const DOCUMENT_TIMEOUT_MS = 5_000;

const registrationSchema = z.object({
  redirect_uris: z.array(z.string()).min(1).max(MAX_REDIRECTS),
  client_name: z.string().min(1).max(200).optional(),
  client_uri: z.url({ protocol: /^https?$/ }).max(2000).optional(),
  logo_uri: z.string().max(2000).optional(),
  token_endpoint_auth_method: z.string().optional(),
  grant_types: z.array(z.string()).optional(),
  response_types: z.array(z.string()).optional(),
  scope: z.string().max(2000).optional(),
  software_id: z.string().max(200).optional(),
  software_version: z.string().max(100).optional(),
  client_id: z.string().optional(),
});

const metadataError = (d: string) => new OAuthError('invalid_client_metadata', d);

function checkMetadata(input: unknown): z.output<typeof registrationSchema> {
  const parsed = registrationSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.') || 'body';
    if (field.startsWith('redirect_uris')) throw new OAuthError('invalid_redirect_uri', `redirect_uris: ${issue.message}`);
    throw metadataError(`${field}: ${issue.message}`);
  }
  const m = parsed.data;
  for (const uri of m.redirect_uris) {
    const problem = redirectUriProblem(uri);
    if (problem) throw new OAuthError('invalid_redirect_uri', `redirect_uri ${JSON.stringify(uri.slice(0, 200))} ${problem}.`);
  }
  // Public clients only (OAuth 2.1 §2.1): the code is bound to the client by PKCE, not a secret.
  if (m.token_endpoint_auth_method && m.token_endpoint_auth_method !== 'none')
    throw metadataError('token_endpoint_auth_method: only "none" (public client with PKCE) is supported for MCP clients; agents use agents.create.');
  const badGrant = (m.grant_types ?? []).find((g) => g !== 'authorization_code' && g !== 'refresh_token');
  if (badGrant) throw metadataError(`grant_types: "${badGrant}" is not available to MCP clients (authorization_code and refresh_token are).`);
  const badResponse = (m.response_types ?? []).find((r) => r !== 'code');
  if (badResponse) throw metadataError(`response_types: only "code" is supported.`);
  return m;
}

/** RFC 7591 dynamic client registration: public clients with exact redirect URIs. */
export async function registerClient(db: DB, clock: Clock, body: unknown) {
  const m = checkMetadata(body);
  const clientId = `mcp_${randomBytes(18).toString('base64url')}`;
  const now = clock.now();
  const name = m.client_name ?? 'Unnamed MCP client';
  await db
    .insertInto('oauth_clients')
    .values({
      client_id: clientId,
      kind: 'dynamic',
      client_name: name,
      redirect_uris: m.redirect_uris,
      client_uri: m.client_uri ?? null,
      metadata: JSON.stringify({ software_id: m.software_id, software_version: m.software_version, logo_uri: m.logo_uri }),
      created_at: now,
      refreshed_at: now,
    })
    .execute();
  return {
    client_id: clientId,
    client_id_issued_at: Math.floor(now.getTime() / 1000),
    client_name: name,
    redirect_uris: m.redirect_uris,
    ...(m.client_uri ? { client_uri: m.client_uri } : {}),
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    ...(m.scope ? { scope: m.scope } : {}),
  };
}

export type DocumentFetcher = (url: URL) => Promise<unknown>;

/** Client ID Metadata Documents (MCP 2025-11-25): the client_id is an https URL naming its own metadata. */
export const isMetadataDocumentId = (clientId: string) => clientId.startsWith('https://');

export class ClientDirectory {
  readonly #db: DB;
  readonly #clock: Clock;
  /** Replaceable in tests (a fixed document), otherwise an SSRF-guarded https fetch. */
  fetchDocument: DocumentFetcher = guardedFetch;

  constructor(db: DB, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  /** The client for a client_id at the authorize/token endpoints; unknown → invalid_client. */
  async find(clientId: string | undefined): Promise<OAuthClient> {
    if (!clientId || clientId.length > 2000) throw invalidClient('client_id is missing or too long.');
    if (isMetadataDocumentId(clientId)) return this.#fromDocument(clientId);
    const row = await this.#db.selectFrom('oauth_clients').selectAll().where('client_id', '=', clientId).executeTakeFirst();
    if (row) return { clientId, kind: row.kind, name: row.client_name, clientUri: row.client_uri, redirectUris: row.redirect_uris };
    throw invalidClient(`Unknown client_id "${clientId.slice(0, 100)}"; register first (registration_endpoint).`);
  }

  async #fromDocument(clientId: string): Promise<OAuthClient> {
    const cached = await this.#db.selectFrom('oauth_clients').selectAll().where('client_id', '=', clientId).executeTakeFirst();
    const now = this.#clock.now();
    if (cached && now.getTime() - new Date(cached.refreshed_at).getTime() < DOCUMENT_TTL_MS)
      return { clientId, kind: 'metadata_document', name: cached.client_name, clientUri: cached.client_uri, redirectUris: cached.redirect_uris };
    let url: URL;
    try {
      url = new URL(clientId);
    } catch {
      throw invalidClient('client_id is not a valid URL.');
    }
    if (url.protocol !== 'https:' || url.pathname === '/' || url.hash || url.username || url.password) throw invalidClient('A metadata-document client_id must be an https URL with a path and no fragment or credentials.');
    let doc: unknown;
    try {
      doc = await this.fetchDocument(url);
    } catch (err) {
      throw invalidClient(`Could not fetch the client metadata document: ${(err as Error).message}`);
    }
    const m = checkMetadata(doc);
    if (m.client_id !== clientId) throw invalidClient('The metadata document\'s client_id must equal its URL exactly.');
    const values = {
      kind: 'metadata_document' as const,
      client_name: m.client_name ?? url.host,
      redirect_uris: m.redirect_uris,
      client_uri: m.client_uri ?? null,
      metadata: JSON.stringify({ logo_uri: m.logo_uri }),
      refreshed_at: now,
    };
    await this.#db
      .insertInto('oauth_clients')
      .values({ client_id: clientId, ...values, created_at: now })
      .onConflict((oc) => oc.column('client_id').doUpdateSet(values))
      .execute();
    return { clientId, kind: 'metadata_document', name: values.client_name, clientUri: values.client_uri, redirectUris: m.redirect_uris };
  }
}

/** Fetch an https metadata document without following redirects, size- and time-bounded, never to a private address. */
async function guardedFetch(url: URL): Promise<unknown> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  if (addresses.length === 0 || addresses.some(isPrivateAddress)) throw new Error('the host resolves to a private or loopback address');
  const res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(DOCUMENT_TIMEOUT_MS), headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const text = await res.text();
  if (text.length > DOCUMENT_MAX_BYTES) throw new Error('the document is too large');
  return JSON.parse(text);
}

function isPrivateAddress(ip: string): boolean {
  if (ip.includes(':')) {
    const v = ip.toLowerCase();
    if (v.startsWith('::ffff:')) return isPrivateAddress(v.slice(7));
    return v === '::1' || v === '::' || v.startsWith('fc') || v.startsWith('fd') || v.startsWith('fe80');
  }
  const [a, b] = ip.split('.').map(Number) as [number, number];
  return a === 10 || a === 127 || a === 0 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127) || a >= 224;
}
