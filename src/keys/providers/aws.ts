import { DecryptCommand, DescribeKeyCommand, EncryptCommand, GenerateDataKeyCommand, KMSClient, type KMSClientConfig } from '@aws-sdk/client-kms';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { Agent } from 'node:https';
import { KmsError, networkFailure, shortMessage, type KekClient, type WrapContext, type Wrapped } from './types.ts';

/**
 * A customer key in AWS KMS. Data keys come from GenerateDataKey (or Encrypt when an existing data
 * key is re-wrapped) and are unwrapped with Decrypt, always with an encryption context naming the
 * tenant — the customer's key policy can require it, and CloudTrail shows it. Credentials: the
 * configured access key, or Warden's own (default chain); with a role ARN, STS AssumeRole on top
 * with the tenant id as ExternalId (the confused-deputy guard AWS recommends for third parties).
 */
export interface AwsKeySettings {
  key_arn: string;
  region: string;
  role_arn?: string | undefined;
  access_key_id?: string | undefined;
}

export interface AwsTransport {
  timeoutMs: number;
  agent: Agent;
  kmsEndpoint: string | undefined;
  stsEndpoint: string | undefined;
}

export const ENCRYPTION_CONTEXT_KEY = 'warden:tenant';

export function regionOfArn(arn: string): string | undefined {
  return /^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:(key|alias)\/.+$/.exec(arn)?.[1];
}

const DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'DisabledException',
  'KMSInvalidStateException',
  'NotFoundException',
  'InvalidKeyUsageException',
  'IncorrectKeyException',
  'InvalidCiphertextException',
  'InvalidArnException',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'ExpiredTokenException',
  'RegionDisabledException',
  'CredentialsProviderError',
  'ValidationException',
  'ValidationError',
]);
const UNAVAILABLE = new Set(['ThrottlingException', 'Throttling', 'LimitExceededException', 'KMSInternalException', 'DependencyTimeoutException', 'KeyUnavailableException', 'ServiceUnavailable', 'InternalFailure', 'RequestTimeout', 'TimeoutError', 'RequestTimeoutException']);

/** Unavailable (retry later, may fall back) vs denied (the customer said no). */
export function classifyAws(err: unknown): KmsError {
  if (err instanceof KmsError) return err;
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = e?.name ?? 'Error';
  if (DENIED.has(name)) return new KmsError('denied', `${name}: ${shortMessage(e.message)}`);
  if (UNAVAILABLE.has(name)) return new KmsError('unavailable', name);
  const status = e?.$metadata?.httpStatusCode;
  if (status && status >= 500) return new KmsError('unavailable', `${name} (HTTP ${status})`);
  if (status === 429) return new KmsError('unavailable', `${name} (HTTP 429)`);
  const network = networkFailure(err);
  if (network) return new KmsError('unavailable', network);
  if (status && status >= 400) return new KmsError('denied', `${name} (HTTP ${status}): ${shortMessage(e.message)}`);
  return new KmsError('unavailable', `${name}: ${shortMessage(e.message)}`);
}

export class AwsKmsKek implements KekClient {
  readonly provider = 'aws' as const;
  readonly #settings: AwsKeySettings;
  readonly #kms: KMSClient;

  constructor(tenantId: string, settings: AwsKeySettings, secretAccessKey: string | undefined, transport: AwsTransport) {
    this.#settings = settings;
    // Every call times out: the SDK otherwise waits forever on a stalled server.
    const requestHandler = { requestTimeout: transport.timeoutMs, connectionTimeout: transport.timeoutMs, throwOnRequestTimeout: true, httpsAgent: transport.agent };
    const base = settings.access_key_id && secretAccessKey ? { accessKeyId: settings.access_key_id, secretAccessKey } : undefined;
    let credentials: KMSClientConfig['credentials'] = base;
    if (settings.role_arn) {
      const sts = new STSClient({
        region: settings.region,
        maxAttempts: 2,
        requestHandler,
        ...(transport.stsEndpoint ? { endpoint: transport.stsEndpoint } : {}),
        ...(base ? { credentials: base } : {}),
      });
      const roleArn = settings.role_arn;
      credentials = async () => {
        const out = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: `warden-${tenantId.slice(0, 8)}`, ExternalId: tenantId, DurationSeconds: 900 }));
        const c = out.Credentials;
        if (!c?.AccessKeyId || !c.SecretAccessKey) throw new KmsError('denied', 'AssumeRole returned no credentials');
        return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}), ...(c.Expiration ? { expiration: new Date(c.Expiration) } : {}) };
      };
    }
    this.#kms = new KMSClient({
      region: settings.region,
      maxAttempts: 2,
      requestHandler,
      ...(transport.kmsEndpoint ? { endpoint: transport.kmsEndpoint } : {}),
      ...(credentials ? { credentials } : {}),
    });
  }

  #context(tenantId: string): Record<string, string> {
    return { [ENCRYPTION_CONTEXT_KEY]: tenantId };
  }

  async generate(ctx: WrapContext): Promise<Wrapped & { key: Buffer }> {
    try {
      const out = await this.#kms.send(new GenerateDataKeyCommand({ KeyId: this.#settings.key_arn, KeySpec: 'AES_256', EncryptionContext: this.#context(ctx.tenantId) }));
      if (!out.Plaintext || !out.CiphertextBlob) throw new KmsError('unavailable', 'GenerateDataKey returned no key');
      return { key: Buffer.from(out.Plaintext), wrapped: Buffer.from(out.CiphertextBlob), detail: out.KeyId ?? null };
    } catch (err) {
      throw classifyAws(err);
    }
  }

  async wrap(ctx: WrapContext, key: Buffer): Promise<Wrapped> {
    try {
      const out = await this.#kms.send(new EncryptCommand({ KeyId: this.#settings.key_arn, Plaintext: key, EncryptionContext: this.#context(ctx.tenantId) }));
      if (!out.CiphertextBlob) throw new KmsError('unavailable', 'Encrypt returned no ciphertext');
      return { wrapped: Buffer.from(out.CiphertextBlob), detail: out.KeyId ?? null };
    } catch (err) {
      throw classifyAws(err);
    }
  }

  async unwrap(ctx: WrapContext, wrapped: Buffer, detail: string | null): Promise<Buffer> {
    try {
      // Naming the key is AWS's recommended practice: Decrypt then fails rather than using another key.
      const out = await this.#kms.send(new DecryptCommand({ CiphertextBlob: wrapped, KeyId: detail ?? this.#settings.key_arn, EncryptionContext: this.#context(ctx.tenantId) }));
      if (!out.Plaintext) throw new KmsError('unavailable', 'Decrypt returned no plaintext');
      return Buffer.from(out.Plaintext);
    } catch (err) {
      throw classifyAws(err);
    }
  }

  async check(tenantId: string): Promise<string> {
    let state: string | undefined;
    try {
      const described = await this.#kms.send(new DescribeKeyCommand({ KeyId: this.#settings.key_arn }));
      const meta = described.KeyMetadata;
      state = meta?.KeyState;
      if (meta?.KeyUsage && meta.KeyUsage !== 'ENCRYPT_DECRYPT') throw new KmsError('denied', `key usage is ${meta.KeyUsage}, expected ENCRYPT_DECRYPT`);
      if (meta?.KeySpec && meta.KeySpec !== 'SYMMETRIC_DEFAULT') throw new KmsError('denied', `key spec is ${meta.KeySpec}, expected SYMMETRIC_DEFAULT`);
      if (state !== 'Enabled') throw new KmsError('denied', `key state is ${state ?? 'unknown'}`);
    } catch (err) {
      throw classifyAws(err);
    }
    const ctx = { tenantId, dataKeyId: 'check' };
    const made = await this.generate(ctx);
    const back = await this.unwrap(ctx, made.wrapped, made.detail);
    if (!back.equals(made.key)) throw new KmsError('denied', 'Decrypt returned a different key');
    return `AWS KMS key ${this.#settings.key_arn} is ${state}; GenerateDataKey/Decrypt round trip ok`;
  }
}
