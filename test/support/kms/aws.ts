import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { json, LocalHttpsServer } from './server.ts';
import { verifySigV4 } from './sigv4.ts';

/**
 * A local AWS KMS + STS that the real @aws-sdk clients talk to: KMS is JSON 1.1 over POST with
 * `X-Amz-Target: TrentService.<Op>` and typed errors as `{"__type": …}`; STS AssumeRole is the
 * Query protocol with XML answers. Requests must carry a valid SigV4 signature; keys really
 * encrypt (AES-256-GCM, the encryption context as associated data) and have key states and
 * per-principal grants like a key policy.
 */
export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';

interface Key {
  id: string;
  arn: string;
  material: Buffer;
  state: 'Enabled' | 'Disabled' | 'PendingDeletion';
  /** Principal ARNs (IAM users or roles) the key policy allows. */
  allowed: Set<string>;
}

interface Credential {
  secret: string;
  /** IAM user ARN, or the role ARN for assumed-role session credentials. */
  principal: string;
  sessionToken?: string;
}

export class LocalAws {
  readonly server: LocalHttpsServer;
  #keys = new Map<string, Key>();
  #credentials = new Map<string, Credential>();
  #roles = new Map<string, { externalId: string | undefined; trusted: Set<string> }>();
  calls: Record<string, number> = {};

  constructor() {
    this.server = new LocalHttpsServer((req, body, res) => this.#handle(req, body, res));
  }

  static async start(): Promise<LocalAws> {
    const aws = new LocalAws();
    await aws.server.start();
    return aws;
  }

  get url(): string {
    return this.server.url;
  }

  addUser(name: string): { accessKeyId: string; secretAccessKey: string; arn: string } {
    const accessKeyId = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
    const secretAccessKey = randomBytes(30).toString('base64');
    const arn = `arn:aws:iam::${ACCOUNT}:user/${name}`;
    this.#credentials.set(accessKeyId, { secret: secretAccessKey, principal: arn });
    return { accessKeyId, secretAccessKey, arn };
  }

  addRole(name: string, opts: { trusted: string[]; externalId?: string }): string {
    const arn = `arn:aws:iam::${ACCOUNT}:role/${name}`;
    this.#roles.set(arn, { externalId: opts.externalId, trusted: new Set(opts.trusted) });
    return arn;
  }

  setRoleExternalId(roleArn: string, externalId: string) {
    this.#roles.get(roleArn)!.externalId = externalId;
  }

  createKey(allowed: string[]): string {
    const id = randomUUID();
    const arn = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${id}`;
    this.#keys.set(id, { id, arn, material: randomBytes(32), state: 'Enabled', allowed: new Set(allowed) });
    return arn;
  }

  setKeyState(arn: string, state: Key['state']) {
    this.#key(arn)!.state = state;
  }

  revoke(arn: string, principal: string) {
    this.#key(arn)!.allowed.delete(principal);
  }

  #key(keyId: string | undefined): Key | undefined {
    if (!keyId) return undefined;
    const id = keyId.startsWith('arn:') ? /:key\/(.+)$/.exec(keyId)?.[1] : keyId;
    const key = id ? this.#keys.get(id) : undefined;
    if (key && keyId.startsWith('arn:') && key.arn !== keyId) return undefined;
    return key;
  }

  async #handle(req: IncomingMessage, body: Buffer, res: ServerResponse) {
    const target = req.headers['x-amz-target'];
    const sig = verifySigV4(req, body, (id) => this.#credentials.get(id)?.secret);
    const cred = sig.accessKeyId ? this.#credentials.get(sig.accessKeyId) : undefined;
    const tokenOk = !cred?.sessionToken || req.headers['x-amz-security-token'] === cred.sessionToken;
    if (typeof target === 'string' && target.startsWith('TrentService.')) {
      const op = target.slice('TrentService.'.length);
      this.calls[op] = (this.calls[op] ?? 0) + 1;
      const kmsError = (type: string, message: string, status = 400) => json(res, status, { __type: type, message }, { 'content-type': 'application/x-amz-json-1.1' });
      if (sig.reason === 'unknown_key' || !tokenOk) return kmsError('UnrecognizedClientException', 'The security token included in the request is invalid.');
      if (!sig.ok) return kmsError('InvalidSignatureException', 'The request signature we calculated does not match the signature you provided.');
      return this.#kms(op, JSON.parse(body.toString('utf8') || '{}'), cred!.principal, res, kmsError);
    }
    const form = new URLSearchParams(body.toString('utf8'));
    const action = form.get('Action');
    this.calls[`sts.${action}`] = (this.calls[`sts.${action}`] ?? 0) + 1;
    const stsError = (code: string, message: string, status = 403) => {
      res.writeHead(status, { 'content-type': 'text/xml' });
      res.end(`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`);
    };
    if (sig.reason === 'unknown_key' || !tokenOk) return stsError('InvalidClientTokenId', 'The security token included in the request is invalid.');
    if (!sig.ok) return stsError('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
    if (action !== 'AssumeRole') return stsError('InvalidAction', `Could not find operation ${action}`, 400);
    const roleArn = form.get('RoleArn') ?? '';
    const role = this.#roles.get(roleArn);
    if (!role || !role.trusted.has(cred!.principal) || (role.externalId !== undefined && role.externalId !== form.get('ExternalId'))) {
      return stsError('AccessDenied', `User: ${cred!.principal} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
    }
    const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
    const secret = randomBytes(30).toString('base64');
    const sessionToken = randomBytes(48).toString('base64');
    this.#credentials.set(accessKeyId, { secret, principal: roleArn, sessionToken });
    const expiration = new Date(Date.now() + Number(form.get('DurationSeconds') ?? 3600) * 1000).toISOString();
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(
      `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>${accessKeyId}</AccessKeyId><SecretAccessKey>${secret}</SecretAccessKey><SessionToken>${sessionToken}</SessionToken><Expiration>${expiration}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROA${randomBytes(6).toString('hex').toUpperCase()}:${form.get('RoleSessionName')}</AssumedRoleId><Arn>arn:aws:sts::${ACCOUNT}:assumed-role/${roleArn.split('/').pop()}/${form.get('RoleSessionName')}</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
    );
  }

  #kms(op: string, input: any, principal: string, res: ServerResponse, kmsError: (type: string, message: string, status?: number) => void) {
    const ok = (body: unknown) => json(res, 200, body, { 'content-type': 'application/x-amz-json-1.1' });
    const usable = (key: Key | undefined, action: string): key is Key => {
      if (!key) return (kmsError('NotFoundException', `Key '${input.KeyId}' does not exist`), false);
      if (!key.allowed.has(principal)) return (kmsError('AccessDeniedException', `User: ${principal} is not authorized to perform: kms:${action} on resource: ${key.arn} because no resource-based policy allows the kms:${action} action`), false);
      if (action === 'DescribeKey') return true;
      if (key.state === 'Disabled') return (kmsError('DisabledException', `${key.arn} is disabled.`), false);
      if (key.state !== 'Enabled') return (kmsError('KMSInvalidStateException', `${key.arn} is pending deletion.`), false);
      return true;
    };
    const context = (ctx: Record<string, string> | undefined) => Buffer.from(JSON.stringify(Object.entries(ctx ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))));
    const seal = (key: Key, plaintext: Buffer, ctx: Record<string, string> | undefined) => {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key.material, iv);
      c.setAAD(context(ctx));
      const ct = Buffer.concat([c.update(plaintext), c.final()]);
      return Buffer.concat([Buffer.from(key.id, 'ascii'), iv, ct, c.getAuthTag()]).toString('base64');
    };
    switch (op) {
      case 'DescribeKey': {
        const key = this.#key(input.KeyId);
        if (!usable(key, 'DescribeKey')) return;
        return ok({ KeyMetadata: { AWSAccountId: ACCOUNT, KeyId: key.id, Arn: key.arn, Enabled: key.state === 'Enabled', KeyState: key.state, KeyUsage: 'ENCRYPT_DECRYPT', KeySpec: 'SYMMETRIC_DEFAULT', KeyManager: 'CUSTOMER', Origin: 'AWS_KMS', CreationDate: 1_700_000_000 } });
      }
      case 'GenerateDataKey': {
        const key = this.#key(input.KeyId);
        if (!usable(key, 'GenerateDataKey')) return;
        const plaintext = randomBytes(input.KeySpec === 'AES_128' ? 16 : (input.NumberOfBytes ?? 32));
        return ok({ KeyId: key.arn, Plaintext: plaintext.toString('base64'), CiphertextBlob: seal(key, plaintext, input.EncryptionContext) });
      }
      case 'Encrypt': {
        const key = this.#key(input.KeyId);
        if (!usable(key, 'Encrypt')) return;
        return ok({ KeyId: key.arn, CiphertextBlob: seal(key, Buffer.from(input.Plaintext, 'base64'), input.EncryptionContext), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
      }
      case 'Decrypt': {
        const blob = Buffer.from(input.CiphertextBlob ?? '', 'base64');
        const key = this.#keys.get(blob.subarray(0, 36).toString('ascii'));
        if (!key) return kmsError('InvalidCiphertextException', 'The ciphertext is invalid.');
        if (input.KeyId && this.#key(input.KeyId)?.id !== key.id) return kmsError('IncorrectKeyException', 'The key ID in the request does not identify the key used to encrypt the ciphertext.');
        if (!usable(key, 'Decrypt')) return;
        try {
          const d = createDecipheriv('aes-256-gcm', key.material, blob.subarray(36, 48));
          d.setAAD(context(input.EncryptionContext));
          d.setAuthTag(blob.subarray(blob.length - 16));
          const plaintext = Buffer.concat([d.update(blob.subarray(48, blob.length - 16)), d.final()]);
          return ok({ KeyId: key.arn, Plaintext: plaintext.toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
        } catch {
          return kmsError('InvalidCiphertextException', 'The ciphertext is invalid (wrong encryption context?).');
        }
      }
      default:
        return kmsError('UnknownOperationException', `Unknown operation ${op}`);
    }
  }

  /** Every KMS call fails like AWS does when throttling (HTTP 400, ThrottlingException). */
  throttle(on: boolean) {
    this.server.override = on ? (_req, res) => json(res, 400, { __type: 'ThrottlingException', message: 'Rate exceeded' }, { 'content-type': 'application/x-amz-json-1.1' }) : undefined;
  }

  stop() {
    return this.server.stop();
  }
  async restart() {
    await this.server.start();
  }
}
