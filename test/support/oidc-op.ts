import { createServer, type Server } from 'node:http';
import Provider from 'oidc-provider';
import { freePort } from './postgres.ts';

/**
 * A real OpenID Provider (node-oidc-provider) on loopback, with its development login and
 * consent pages: whatever login name the browser types becomes the subject and email.
 */
export interface TestOp {
  issuer: string;
  /** Logins whose email the provider reports as unverified. */
  unverified: Set<string>;
  close(): Promise<void>;
}

export async function startOidcProvider(clients: { client_id: string; client_secret: string; redirect_uris: string[] }[]): Promise<TestOp> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const unverified = new Set<string>();
  const provider = new Provider(issuer, {
    clients: clients.map((c) => ({ ...c, grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' })),
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    findAccount: async (_ctx: unknown, sub: string) => ({
      accountId: sub,
      claims: async () => ({ sub, email: sub, email_verified: !unverified.has(sub), name: `Test ${sub}` }),
    }),
    cookies: { keys: ['test-op-cookie-key-0123456789'] },
    features: { devInteractions: { enabled: true } },
  } as any);
  provider.proxy = false;
  const server: Server = createServer(provider.callback());
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { issuer, unverified, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
