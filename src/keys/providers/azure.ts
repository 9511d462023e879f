import { ClientSecretCredential } from '@azure/identity';
import { CryptographyClient, KeyClient } from '@azure/keyvault-keys';
import type { Agent } from 'node:https';
import { newKey } from '../aead.ts';
import { KmsError, networkFailure, shortMessage, type KekClient, type WrapContext, type Wrapped } from './types.ts';

/**
 * A customer key in Azure Key Vault (RSA, 2048+ bits): data keys are generated locally and
 * wrapped with RSA-OAEP-256 by the vault (wrapKey / unwrapKey); the private key never leaves it.
 * A service principal (client id + secret) in the customer's Entra tenant authenticates; the
 * exact key version used for each wrap is kept so unwrapping works after the customer rotates.
 */
export interface AzureKeySettings {
  vault_url: string;
  entra_tenant_id: string;
  client_id: string;
  key_name: string;
  key_version?: string | undefined;
}

export interface AzureTransport {
  timeoutMs: number;
  agent: Agent;
  authorityHost: string;
  /** Local test servers: no challenge resource check, no instance discovery. */
  testMode: boolean;
}

const ALGORITHM = 'RSA-OAEP-256';

export function classifyAzure(err: unknown): KmsError {
  if (err instanceof KmsError) return err;
  const e = err as { name?: string; message?: string; statusCode?: number; code?: string; errorResponse?: { error?: string; errorDescription?: string } };
  const name = e?.name ?? 'Error';
  if (name === 'AbortError') return new KmsError('unavailable', 'timeout');
  const status = e?.statusCode;
  // AuthenticationError (token endpoint answered), AuthenticationRequiredError (as surfaced
  // through the Key Vault challenge policy).
  if (/^Authentication/.test(name)) {
    if (status && (status >= 500 || status === 429)) return new KmsError('unavailable', `Entra token endpoint HTTP ${status}`);
    const network = networkFailure(err);
    if (network) return new KmsError('unavailable', `Entra token endpoint ${network}`);
    const code = e.errorResponse?.error ?? /\b(invalid_client|unauthorized_client|invalid_tenant|invalid_request|invalid_scope)\b/.exec(e.message ?? '')?.[1] ?? 'authentication failed';
    const aadsts = /AADSTS\d+/.exec(e.message ?? '')?.[0];
    return new KmsError('denied', `Entra rejected the service principal: ${code}${aadsts ? ` (${aadsts})` : ''}`);
  }
  if (status === 429 || (status && status >= 500)) return new KmsError('unavailable', `Key Vault HTTP ${status}`);
  if (status === 401 || status === 403) return new KmsError('denied', `Key Vault HTTP ${status}: ${e.code ?? 'Forbidden'} — ${shortMessage(e.message)}`);
  if (status === 404) return new KmsError('denied', `Key Vault HTTP 404: ${e.code ?? 'KeyNotFound'}`);
  if (status && status >= 400) return new KmsError('denied', `Key Vault HTTP ${status}: ${e.code ?? ''} ${shortMessage(e.message)}`);
  const network = networkFailure(err);
  if (network) return new KmsError('unavailable', network);
  if (name === 'CredentialUnavailableError') return new KmsError('unavailable', `Entra: ${shortMessage(e.message)}`);
  // Client-side refusals (key operations do not include wrapKey, key expired).
  if (/not supported on key|expired at|can't be used before/.test(e.message ?? '')) return new KmsError('denied', shortMessage(e.message));
  return new KmsError('unavailable', `${name}: ${shortMessage(e.message)}`);
}

export class AzureKeyVaultKek implements KekClient {
  readonly provider = 'azure' as const;
  readonly #settings: AzureKeySettings;
  readonly #credential: ClientSecretCredential;
  readonly #transport: AzureTransport;
  #clients = new Map<string, CryptographyClient>();
  #keys: KeyClient | undefined;

  constructor(settings: AzureKeySettings, clientSecret: string, transport: AzureTransport) {
    this.#settings = settings;
    this.#transport = transport;
    this.#credential = new ClientSecretCredential(settings.entra_tenant_id, settings.client_id, clientSecret, {
      authorityHost: transport.authorityHost,
      agent: transport.agent,
      retryOptions: { maxRetries: 1, retryDelayInMs: 100 },
      ...(transport.testMode ? { disableInstanceDiscovery: true } : {}),
    });
  }

  #client(keyId: string): CryptographyClient {
    let client = this.#clients.get(keyId);
    if (!client) {
      client = new CryptographyClient(keyId, this.#credential, {
        agent: this.#transport.agent,
        retryOptions: { maxRetries: 1, retryDelayInMs: 100 },
        ...(this.#transport.testMode ? { disableChallengeResourceVerification: true } : {}),
      });
      this.#clients.set(keyId, client);
    }
    return client;
  }

  get #keyId(): string {
    const base = `${this.#settings.vault_url.replace(/\/+$/, '')}/keys/${encodeURIComponent(this.#settings.key_name)}`;
    return this.#settings.key_version ? `${base}/${encodeURIComponent(this.#settings.key_version)}` : base;
  }

  #options() {
    // requestOptions bounds each HTTP request; the abort signal bounds the whole call, token included.
    return { abortSignal: AbortSignal.timeout(this.#transport.timeoutMs * 2), requestOptions: { timeout: this.#transport.timeoutMs } };
  }

  async generate(ctx: WrapContext): Promise<Wrapped & { key: Buffer }> {
    const key = newKey();
    return { key, ...(await this.wrap(ctx, key)) };
  }

  async wrap(_ctx: WrapContext, key: Buffer): Promise<Wrapped> {
    try {
      // Wrap with an explicit version and keep it: after the customer rotates the vault key,
      // older data keys still unwrap with the version that wrapped them.
      const kid = await this.#versionedKeyId();
      const out = await this.#client(kid).wrapKey(ALGORITHM, key, this.#options());
      return { wrapped: Buffer.from(out.result), detail: kid };
    } catch (err) {
      throw classifyAzure(err);
    }
  }

  async #versionedKeyId(): Promise<string> {
    if (this.#settings.key_version) return this.#keyId;
    this.#keys ??= new KeyClient(this.#settings.vault_url, this.#credential, {
      agent: this.#transport.agent,
      retryOptions: { maxRetries: 1, retryDelayInMs: 100 },
      ...(this.#transport.testMode ? { disableChallengeResourceVerification: true } : {}),
    });
    const latest = await this.#keys.getKey(this.#settings.key_name, this.#options());
    if (!latest.id) throw new KmsError('denied', 'Key Vault returned a key without an id');
    return latest.id;
  }

  async unwrap(_ctx: WrapContext, wrapped: Buffer, detail: string | null): Promise<Buffer> {
    try {
      const out = await this.#client(detail ?? this.#keyId).unwrapKey(ALGORITHM, wrapped, this.#options());
      return Buffer.from(out.result);
    } catch (err) {
      throw classifyAzure(err);
    }
  }

  async check(tenantId: string): Promise<string> {
    const ctx = { tenantId, dataKeyId: 'check' };
    const made = await this.generate(ctx);
    const back = await this.unwrap(ctx, made.wrapped, made.detail);
    if (!back.equals(made.key)) throw new KmsError('denied', 'unwrapKey returned a different key');
    return `Azure Key Vault key ${made.detail ?? this.#keyId}: wrapKey/unwrapKey (${ALGORITHM}) round trip ok`;
  }
}
