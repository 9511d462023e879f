import { z } from 'zod';
import { Secret } from '../core/secret.ts';
import { defineOperation, type OperationContext } from '../ops/types.ts';
import { invalid } from '../core/errors.ts';
import { keyNotFound } from './errors.ts';
import { regionOfArn } from './providers/aws.ts';
import { configView, failPolicy, healthView, statusView } from './schema.ts';
import { configureCustomerKey, setFailPolicy, tenantStatus } from './service.ts';
import * as store from './store.ts';

const status = (ctx: OperationContext) =>
  tenantStatus(ctx.db, ctx.services.keyring, ctx.tenant.id, ctx.services.clock.now(), ctx.services.config.keys.rotationDays);

const configOf = async (ctx: OperationContext) => {
  const s = await status(ctx);
  return { provider: s.provider, fail_policy: s.fail_policy, active_key: s.active_key, scheduled_key: s.scheduled_key };
};

const activation = z.iso
  .datetime({ offset: true })
  .optional()
  .describe('When to switch to this key (ISO 8601). Omitted or in the past: switch now. Future: the switch is scheduled and keys.status shows it.');

export const keysGetConfig = defineOperation({
  name: 'keys.get_config',
  title: 'Get encryption key configuration',
  description:
    "Show who holds the tenant's key-encryption key (platform-managed, AWS KMS or Azure Key Vault), the active key's non-secret settings, any scheduled switch, and the outage policy. Read-only; secrets are never shown.",
  input: z.object({}),
  output: configView,
  permission: 'keys:read',
  annotations: { readOnly: true, destructive: false, idempotent: true },
  rest: { method: 'GET', path: '/keys/config' },
  handler: (ctx) => configOf(ctx),
});

export const keysStatus = defineOperation({
  name: 'keys.status',
  title: 'Encryption key status',
  description:
    'Full key status of the tenant: every key version with its state (active, scheduled, fallback, draining, retired), last and next platform rotation, KMS health, and how many data keys each key wraps (including fallback-wrapped ones and those still waiting to be re-wrapped). Use it after a switch or an outage to watch progress.',
  input: z.object({}),
  output: statusView,
  permission: 'keys:read',
  annotations: { readOnly: true, destructive: false, idempotent: true },
  rest: { method: 'GET', path: '/keys/status' },
  handler: (ctx) => status(ctx),
});

export const keysConfigureAws = defineOperation({
  name: 'keys.configure_aws',
  title: 'Use an AWS KMS key (BYOK)',
  description:
    "Bring your own key in AWS KMS. Warden first proves the key works (DescribeKey, GenerateDataKey and Decrypt with the encryption context warden:tenant=<tenant id>, through the role if given); if not, nothing is saved and the error names the cause. Then it switches now or at activation_date; existing data keys are re-wrapped under the new key in the background and stay readable throughout. Credentials: assume role_arn (ExternalId = the tenant id) with Warden's own AWS identity, or give an access key. See the README for the IAM policy.",
  input: z.object({
    nickname: z.string().min(1).max(100).describe('A name for this key, e.g. "prod-eu-cmk"'),
    key_arn: z
      .string()
      .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/.+$/, 'expects a KMS key ARN such as arn:aws:kms:eu-west-1:111122223333:key/1234abcd-…')
      .describe('ARN of a symmetric ENCRYPT_DECRYPT KMS key'),
    role_arn: z
      .string()
      .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'expects an IAM role ARN such as arn:aws:iam::111122223333:role/warden-kms')
      .optional()
      .describe('IAM role Warden assumes to use the key (recommended)'),
    access_key_id: z.string().regex(/^[A-Z0-9]{16,128}$/, 'expects an AWS access key id such as AKIA…').optional(),
    secret_access_key: z.string().min(16).optional().describe('Secret of access_key_id; stored sealed, never shown again'),
    activation_date: activation,
    fail_policy: failPolicy.optional(),
  }),
  output: configView,
  permission: 'keys:write',
  annotations: { readOnly: false, destructive: false, idempotent: false },
  rest: { method: 'POST', path: '/keys/aws' },
  async handler(ctx, input) {
    if (Boolean(input.access_key_id) !== Boolean(input.secret_access_key))
      throw invalid('AWS_CREDENTIALS_INCOMPLETE', 'Give both access_key_id and secret_access_key, or neither (Warden then uses its own AWS identity).', { field: input.access_key_id ? 'secret_access_key' : 'access_key_id' });
    await configureCustomerKey(ctx, {
      provider: 'aws',
      nickname: input.nickname,
      settings: { key_arn: input.key_arn, region: regionOfArn(input.key_arn)!, ...(input.role_arn ? { role_arn: input.role_arn } : {}), ...(input.access_key_id ? { access_key_id: input.access_key_id } : {}) },
      secret: input.secret_access_key ? new Secret(input.secret_access_key) : undefined,
      activation: input.activation_date ? new Date(input.activation_date) : undefined,
      failPolicy: input.fail_policy,
    });
    return configOf(ctx);
  },
});

export const keysConfigureAzure = defineOperation({
  name: 'keys.configure_azure',
  title: 'Use an Azure Key Vault key (BYOK)',
  description:
    "Bring your own RSA key in Azure Key Vault. Warden first proves it works (a wrapKey/unwrapKey RSA-OAEP-256 round trip as the given service principal); if not, nothing is saved and the error names the cause. Then it switches now or at activation_date; existing data keys are re-wrapped in the background and stay readable throughout. The client secret is stored sealed and never shown again. See the README for the permissions to grant.",
  input: z.object({
    nickname: z.string().min(1).max(100),
    vault_url: z.url({ protocol: /^https$/, error: 'expects the https:// URL of the vault, e.g. https://contoso.vault.azure.net' }).describe('Key Vault URL (https only)'),
    entra_tenant_id: z.string().regex(/^[0-9a-zA-Z.-]+$/, 'expects the Microsoft Entra tenant (directory) ID').describe('Entra tenant of the service principal'),
    client_id: z.string().min(1).describe('Application (client) ID of the service principal'),
    client_secret: z.string().min(1).describe('Client secret of the service principal; stored sealed'),
    key_name: z.string().regex(/^[0-9a-zA-Z-]{1,127}$/, 'expects a Key Vault key name (letters, digits, dashes)'),
    key_version: z.string().regex(/^[0-9a-zA-Z]{1,64}$/).optional().describe('Pin a key version; omitted: the latest version wraps new data keys'),
    activation_date: activation,
    fail_policy: failPolicy.optional(),
  }),
  output: configView,
  permission: 'keys:write',
  annotations: { readOnly: false, destructive: false, idempotent: false },
  rest: { method: 'POST', path: '/keys/azure' },
  async handler(ctx, input) {
    await configureCustomerKey(ctx, {
      provider: 'azure',
      nickname: input.nickname,
      settings: {
        vault_url: input.vault_url.replace(/\/+$/, ''),
        entra_tenant_id: input.entra_tenant_id,
        client_id: input.client_id,
        key_name: input.key_name,
        ...(input.key_version ? { key_version: input.key_version } : {}),
      },
      secret: new Secret(input.client_secret),
      activation: input.activation_date ? new Date(input.activation_date) : undefined,
      failPolicy: input.fail_policy,
    });
    return configOf(ctx);
  },
});

export const keysTest = defineOperation({
  name: 'keys.test',
  title: 'Test the encryption key',
  description:
    "Do a real wrap/unwrap round trip with the tenant's active key (or the key given by id) and report whether it works, how long it took and, if not, whether the KMS is unavailable or denies access. Updates the KMS health shown by keys.status; changes nothing else.",
  input: z.object({ key_id: z.uuid().optional().describe('A key from keys.status; default: the active key') }),
  output: z.object({
    key_id: z.uuid(),
    nickname: z.string(),
    provider: z.string(),
    ok: z.boolean(),
    failure: z.enum(['unavailable', 'denied']).optional(),
    detail: z.string(),
    latency_ms: z.number(),
    health: healthView,
  }),
  permission: 'keys:read',
  annotations: { readOnly: true, destructive: false, idempotent: true },
  rest: { method: 'POST', path: '/keys/test' },
  async handler(ctx, input) {
    const settings = await ctx.services.keyring.ensureTenant(ctx.db, ctx.tenant.id);
    const kek = await store.getKek(ctx.db, ctx.tenant.id, input.key_id ?? settings.active_kek_id);
    if (!kek) throw keyNotFound(input.key_id!);
    ctx.audit.target = kek.nickname;
    const result = await ctx.services.keyring.test(ctx.db, kek);
    return { key_id: kek.id, nickname: kek.nickname, provider: kek.provider, ...result, health: kek.provider === 'platform' ? { state: 'ok' as const, detail: null, checked_at: ctx.services.clock.now().toISOString() } : ctx.services.keyring.healthOf(kek) };
  },
});

export const keysUsePlatform = defineOperation({
  name: 'keys.use_platform',
  title: 'Switch back to platform-managed keys',
  description:
    "Make Warden's platform-managed key the tenant's key-encryption key again. Existing data keys are re-wrapped from the customer key to the platform key in the background (the customer key must stay usable until keys.status shows pending_rewrap 0); any scheduled switch is cancelled.",
  input: z.object({ fail_policy: failPolicy.optional() }),
  output: configView,
  permission: 'keys:write',
  annotations: { readOnly: false, destructive: false, idempotent: true },
  rest: { method: 'POST', path: '/keys/platform' },
  async handler(ctx, input) {
    const { keyring, clock } = ctx.services;
    await keyring.ensureTenant(ctx.db, ctx.tenant.id);
    const platform = (await store.newestPlatformKek(ctx.db, ctx.tenant.id))!;
    ctx.audit.target = platform.nickname;
    if (input.fail_policy) await setFailPolicy(ctx.db, ctx.tenant.id, input.fail_policy, clock.now());
    await keyring.activate(ctx.db, ctx.tenant.id, platform.id);
    return configOf(ctx);
  },
});

export const keysSetPolicy = defineOperation({
  name: 'keys.set_policy',
  title: 'Set the KMS outage policy',
  description:
    'Choose what happens to writes while the customer KMS is unreachable: "fallback" (default) wraps new data keys with the platform key, audits it and re-wraps them when the KMS is back; "fail_closed" refuses such writes with KMS_UNAVAILABLE. A KMS that denies access never falls back.',
  input: z.object({ fail_policy: failPolicy }),
  output: configView,
  permission: 'keys:write',
  annotations: { readOnly: false, destructive: false, idempotent: true },
  rest: { method: 'PUT', path: '/keys/policy' },
  async handler(ctx, input) {
    ctx.audit.target = input.fail_policy;
    await ctx.services.keyring.ensureTenant(ctx.db, ctx.tenant.id);
    await setFailPolicy(ctx.db, ctx.tenant.id, input.fail_policy, ctx.services.clock.now());
    return configOf(ctx);
  },
});

export const keysRotate = defineOperation({
  name: 'keys.rotate',
  title: 'Rotate encryption keys now',
  description:
    'Create a new platform key version and a new data key now (platform keys also rotate automatically every 90 days). With BYOK the new data key is wrapped by the customer key and the platform fallback key gets a new version. Old versions keep decrypting; data keys are re-wrapped to the newest version in the background.',
  input: z.object({}),
  output: statusView,
  permission: 'keys:write',
  annotations: { readOnly: false, destructive: false, idempotent: false },
  rest: { method: 'POST', path: '/keys/rotate' },
  async handler(ctx) {
    const fresh = await ctx.services.keyring.rotate(ctx.db, ctx.tenant.id);
    ctx.audit.target = fresh.nickname;
    return status(ctx);
  },
});

export const keyOperations = [keysGetConfig, keysStatus, keysConfigureAws, keysConfigureAzure, keysTest, keysUsePlatform, keysSetPolicy, keysRotate];
