import { constants, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { json, LocalHttpsServer } from './server.ts';

/**
 * A local Microsoft Entra token endpoint and Azure Key Vault that the real @azure/identity
 * ClientSecretCredential and @azure/keyvault-keys CryptographyClient talk to. Entra: OpenID
 * metadata and the client-credentials token endpoint (AADSTS errors as Entra sends them). Key
 * Vault: the REST API (`GET /keys/{name}/{version}`, `POST …/wrapkey` and `…/unwrapkey` with
 * `{alg, value}` base64url) behind a 401 bearer challenge naming the authority and resource, with
 * access policies per client, key versions and enabled/disabled keys. RSA-OAEP-256 is real.
 */
interface App {
  secret: string;
}

interface KeyVersion {
  version: string;
  publicKey: KeyObject;
  privateKey: KeyObject;
}

interface VaultKey {
  versions: KeyVersion[];
  enabled: boolean;
}

export class LocalAzure {
  readonly entra: LocalHttpsServer;
  readonly vault: LocalHttpsServer;
  readonly tenantId = randomUUID();
  #apps = new Map<string, App>();
  #tokens = new Map<string, string>();
  #keys = new Map<string, VaultKey>();
  /** Access policy: client id → allowed key operations. */
  #policy = new Map<string, Set<string>>();
  calls: Record<string, number> = {};

  constructor() {
    this.entra = new LocalHttpsServer((req, body, res) => this.#entra(req, body, res));
    this.vault = new LocalHttpsServer((req, body, res) => this.#vault(req, body, res));
  }

  static async start(): Promise<LocalAzure> {
    const az = new LocalAzure();
    await az.entra.start();
    await az.vault.start();
    return az;
  }

  get authorityHost(): string {
    return this.entra.url;
  }
  get vaultUrl(): string {
    return this.vault.url;
  }

  addApp(permissions: string[] = ['get', 'wrapKey', 'unwrapKey']): { clientId: string; clientSecret: string } {
    const clientId = randomUUID();
    const clientSecret = `${randomBytes(3).toString('hex')}~${randomBytes(24).toString('base64url')}`;
    this.#apps.set(clientId, { secret: clientSecret });
    this.#policy.set(clientId, new Set(permissions));
    return { clientId, clientSecret };
  }

  setPermissions(clientId: string, permissions: string[]) {
    this.#policy.set(clientId, new Set(permissions));
  }

  createKey(name: string): string {
    this.#keys.set(name, { versions: [], enabled: true });
    return this.rotateKey(name);
  }

  /** A new key version (as Key Vault key rotation does); returns the version id. */
  rotateKey(name: string): string {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const version = randomBytes(16).toString('hex');
    this.#keys.get(name)!.versions.push({ version, publicKey, privateKey });
    return version;
  }

  setEnabled(name: string, enabled: boolean) {
    this.#keys.get(name)!.enabled = enabled;
  }

  async stop() {
    await this.vault.stop();
    await this.entra.stop();
  }

  // ——— Entra ———

  #entra(req: IncomingMessage, body: Buffer, res: ServerResponse) {
    const url = new URL(req.url ?? '/', this.entra.url);
    const [tenant, ...rest] = url.pathname.split('/').filter(Boolean);
    const path = rest.join('/');
    const base = `${this.entra.url}/${tenant}`;
    this.calls[`entra.${path}`] = (this.calls[`entra.${path}`] ?? 0) + 1;
    if (tenant !== this.tenantId) return json(res, 400, { error: 'invalid_tenant', error_description: `AADSTS90002: Tenant '${tenant}' not found.`, error_codes: [90002] });
    if (req.method === 'GET' && path === 'v2.0/.well-known/openid-configuration') {
      return json(res, 200, {
        issuer: `${base}/v2.0`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        token_endpoint: `${base}/oauth2/v2.0/token`,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        jwks_uri: `${base}/discovery/v2.0/keys`,
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      });
    }
    if (req.method === 'POST' && path === 'oauth2/v2.0/token') {
      const form = new URLSearchParams(body.toString('utf8'));
      const app = this.#apps.get(form.get('client_id') ?? '');
      if (form.get('grant_type') !== 'client_credentials') return json(res, 400, { error: 'unsupported_grant_type', error_description: 'AADSTS70003' });
      if (!app) return json(res, 400, { error: 'unauthorized_client', error_description: `AADSTS700016: Application with identifier '${form.get('client_id')}' was not found in the directory.`, error_codes: [700016] });
      if (app.secret !== form.get('client_secret'))
        return json(res, 401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.', error_codes: [7000215] });
      const token = randomBytes(32).toString('base64url');
      this.#tokens.set(token, form.get('client_id')!);
      return json(res, 200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token });
    }
    return json(res, 404, { error: 'not_found' });
  }

  // ——— Key Vault ———

  #vault(req: IncomingMessage, body: Buffer, res: ServerResponse) {
    const url = new URL(req.url ?? '/', this.vault.url);
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const clientId = bearer ? this.#tokens.get(bearer) : undefined;
    if (!clientId) {
      // The challenge tells the client where to get a token, as Key Vault does.
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': `Bearer authorization="${this.entra.url}/${this.tenantId}", resource="https://vault.azure.net"` });
      return res.end(JSON.stringify({ error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } }));
    }
    const m = /^\/keys\/([^/]+)(?:\/([^/]*))?(?:\/(wrapkey|unwrapkey))?\/?$/.exec(url.pathname);
    if (!m) return json(res, 404, { error: { code: 'NotFound', message: 'Unknown path' } });
    const [, name, versionPart, action] = m;
    const op = action === 'wrapkey' ? 'wrapKey' : action === 'unwrapkey' ? 'unwrapKey' : 'get';
    this.calls[op] = (this.calls[op] ?? 0) + 1;
    if (!this.#policy.get(clientId)?.has(op))
      return json(res, 403, { error: { code: 'Forbidden', message: `The user, group or application 'appid=${clientId}' does not have keys ${op} permission on key vault.`, innererror: { code: 'AccessDenied' } } });
    const key = this.#keys.get(decodeURIComponent(name!));
    const version = versionPart ? key?.versions.find((v) => v.version === versionPart) : key?.versions.at(-1);
    if (!key || !version) return json(res, 404, { error: { code: 'KeyNotFound', message: `A key with (name/id) ${name}${versionPart ? `/${versionPart}` : ''} was not found in this key vault.` } });
    if (!key.enabled) return json(res, 403, { error: { code: 'Forbidden', message: `Operation ${op} is not allowed on a disabled key.` } });
    const kid = `${this.vault.url}/keys/${name}/${version.version}`;
    if (op === 'get') {
      const jwk = version.publicKey.export({ format: 'jwk' }) as { n: string; e: string };
      return json(res, 200, { key: { kid, kty: 'RSA', key_ops: ['wrapKey', 'unwrapKey', 'encrypt', 'decrypt'], n: jwk.n, e: jwk.e }, attributes: { enabled: true, created: 1_700_000_000, updated: 1_700_000_000, recoveryLevel: 'Recoverable+Purgeable' } });
    }
    const input = JSON.parse(body.toString('utf8') || '{}') as { alg?: string; value?: string };
    if (input.alg !== 'RSA-OAEP-256') return json(res, 400, { error: { code: 'BadParameter', message: `Unsupported algorithm ${input.alg}` } });
    const data = Buffer.from(input.value ?? '', 'base64url');
    try {
      const out =
        op === 'wrapKey'
          ? publicEncrypt({ key: version.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, data)
          : privateDecrypt({ key: version.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, data);
      return json(res, 200, { kid, value: out.toString('base64url') });
    } catch {
      return json(res, 400, { error: { code: 'BadParameter', message: 'The parameter value is not valid (decryption failed).' } });
    }
  }
}
