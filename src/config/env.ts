import { z } from 'zod';
import path from 'node:path';

/**
 * The whole environment Warden reads, validated once at start-up. A wrong value stops start-up
 * with a message naming the variable and what it expects (see `loadConfig`).
 */
const port = z.coerce.number().int().min(1).max(65535);
const base64Key = z
  .string()
  .refine((v) => Buffer.from(v, 'base64').length >= 32, 'expects base64 of at least 32 random bytes (e.g. `openssl rand -base64 32`)');

export const envSchema = z.object({
  PORT: port.default(3000).describe('TCP port to listen on'),
  WARDEN_HOST: z.string().min(1).default('127.0.0.1').describe('Interface to bind (0.0.0.0 to listen on every interface)'),
  WARDEN_BASE_URL: z.url({ protocol: /^https?$/ }).optional().describe('Public URL of this server'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expects a postgres:// or postgresql:// connection URL')
    .optional()
    .describe('Postgres connection URL; unset = embedded Postgres (PGlite) in WARDEN_DATA_DIR'),
  WARDEN_DATA_DIR: z.string().min(1).default('./.warden').describe('Directory for the embedded database and generated secrets'),
  WARDEN_TOKEN_PEPPERS: z
    .string()
    .regex(/^\d+:[A-Za-z0-9+/=]+(,\d+:[A-Za-z0-9+/=]+)*$/, 'expects a comma-separated list of VERSION:BASE64 entries, e.g. "1:3q2+7w…"')
    .optional()
    .describe('Versioned HMAC peppers for token hashes; the highest version signs new tokens'),
  WARDEN_SESSION_SECRET: base64Key.optional().describe('Key for session/CSRF cookies (base64, ≥32 bytes)'),
  WARDEN_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info').describe('Minimum log level'),
  WARDEN_ALLOWED_ORIGINS: z
    .string()
    .regex(/^https?:\/\/[^,\s]+(,https?:\/\/[^,\s]+)*$/, 'expects a comma-separated list of origins such as "https://admin.example.com"')
    .optional()
    .describe('Extra browser origins allowed to call /mcp (requests without Origin are always allowed)'),
  WARDEN_TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0).describe('Reverse proxies in front of Warden whose X-Forwarded-For is trusted (0 = use the TCP peer address)'),
  WARDEN_BOOTSTRAP: z.enum(['auto', 'off']).default('auto').describe('On first start with no tenant, create one and print its owner credentials'),
  WARDEN_MASTER_KEY: z
    .string()
    .refine((v) => Buffer.from(v, 'base64').length === 32, 'expects base64 of exactly 32 random bytes (e.g. `openssl rand -base64 32`)')
    .optional()
    .describe('Root key that wraps the platform key-encryption keys (base64, 32 bytes); unset = generated into WARDEN_DATA_DIR with a warning'),
  WARDEN_KEY_ROTATION_DAYS: z.coerce.number().int().min(1).max(3650).default(90).describe('Platform key versions rotate after this many days'),
  WARDEN_KEY_CACHE_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300).describe('How long an unwrapped data key stays in memory'),
  WARDEN_KEY_CACHE_USES: z.coerce.number().int().min(1).default(100_000).describe('How many seal/open calls an unwrapped data key serves before it is unwrapped again'),
  WARDEN_KMS_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000).describe('Timeout of every AWS KMS / STS / Azure Key Vault / Entra call'),
  WARDEN_KMS_CA_FILE: z.string().min(1).optional().describe('PEM file of extra CA certificates trusted for KMS, STS, Key Vault and Entra endpoints (private CAs, TLS-inspecting proxies)'),
  WARDEN_AWS_KMS_ENDPOINT: z.url({ protocol: /^https$/ }).optional().describe('AWS KMS endpoint override (VPC or FIPS endpoint); default: the regional endpoint of the key ARN'),
  WARDEN_AWS_STS_ENDPOINT: z.url({ protocol: /^https$/ }).optional().describe('AWS STS endpoint override; default: the regional endpoint'),
  WARDEN_AZURE_AUTHORITY_HOST: z.url({ protocol: /^https$/ }).default('https://login.microsoftonline.com').describe('Microsoft Entra authority host (sovereign clouds)'),
  WARDEN_KMS_TEST_MODE: z.enum(['true', 'false']).default('false').describe('Tests only: accept local Key Vault/Entra servers (no challenge resource check, no instance discovery)'),
  WARDEN_KEY_MAINTENANCE_SECONDS: z.coerce.number().int().min(0).default(60).describe('How often scheduled key switches, rotation and re-wrapping run (0 = off)'),
  WARDEN_GOOGLE_CLIENT_ID: z.string().min(1).optional().describe("The deployment's Google OAuth client ID (SSO with Google)"),
  WARDEN_GOOGLE_CLIENT_SECRET: z.string().min(1).optional().describe("The deployment's Google OAuth client secret"),
  WARDEN_GOOGLE_ISSUER: z.url({ protocol: /^https?$/ }).default('https://accounts.google.com').describe('Google\'s OIDC issuer (override only to point at a test provider)'),
  WARDEN_SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'expects an smtp:// or smtps:// URL, e.g. "smtps://user:pass@smtp.example.com:465"')
    .optional()
    .describe('SMTP server for MFA email codes (nodemailer); unset = email codes go to the console outbox (embedded database only)'),
  WARDEN_SMTP_FROM: z.string().min(3).default('Warden <no-reply@localhost>').describe('From address of MFA emails'),
  WARDEN_SMS_URL: z.url({ protocol: /^https?$/ }).default('https://api.twilio.com').describe('Base URL of the Twilio-compatible SMS API (Messages.json)'),
  WARDEN_TWILIO_ACCOUNT_SID: z.string().min(1).optional().describe('Twilio account SID (SMS codes); SMS is configured when the SID, token and WARDEN_SMS_FROM are set'),
  WARDEN_TWILIO_AUTH_TOKEN: z.string().min(1).optional().describe('Twilio auth token (HTTP Basic password)'),
  WARDEN_SMS_FROM: z.string().min(1).optional().describe('Sender of MFA SMS: an E.164 number or a Messaging Service SID'),
});

export interface Config {
  port: number;
  host: string;
  baseUrl: string;
  databaseUrl: string | undefined;
  dataDir: string;
  tokenPeppers: string | undefined;
  sessionSecret: string | undefined;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  bootstrap: 'auto' | 'off';
  allowedOrigins: string[];
  secureCookies: boolean;
  trustProxyHops: number;
  masterKey: string | undefined;
  keys: KeysConfig;
  delivery: DeliveryConfig;
  google: { clientId: string | undefined; clientSecret: string | undefined; issuer: string };
}

/** Where MFA codes go (src/mfa/delivery.ts). */
export interface DeliveryConfig {
  smtpUrl: string | undefined;
  smtpFrom: string;
  sms: { url: string; accountSid: string; authToken: string; from: string } | undefined;
}

export interface KeysConfig {
  rotationDays: number;
  cacheSeconds: number;
  cacheUses: number;
  kmsTimeoutMs: number;
  kmsCaFile: string | undefined;
  awsKmsEndpoint: string | undefined;
  awsStsEndpoint: string | undefined;
  azureAuthorityHost: string;
  kmsTestMode: boolean;
  maintenanceSeconds: number;
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${String(i.path[0] ?? '?')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const baseUrl = (e.WARDEN_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  return {
    port: e.PORT,
    host: e.WARDEN_HOST,
    baseUrl,
    databaseUrl: e.DATABASE_URL,
    dataDir: path.resolve(e.WARDEN_DATA_DIR),
    tokenPeppers: e.WARDEN_TOKEN_PEPPERS,
    sessionSecret: e.WARDEN_SESSION_SECRET,
    logLevel: e.WARDEN_LOG_LEVEL,
    bootstrap: e.WARDEN_BOOTSTRAP,
    allowedOrigins: e.WARDEN_ALLOWED_ORIGINS?.split(',') ?? [],
    secureCookies: baseUrl.startsWith('https://'),
    trustProxyHops: e.WARDEN_TRUST_PROXY_HOPS,
    masterKey: e.WARDEN_MASTER_KEY,
    google: { clientId: e.WARDEN_GOOGLE_CLIENT_ID, clientSecret: e.WARDEN_GOOGLE_CLIENT_SECRET, issuer: e.WARDEN_GOOGLE_ISSUER.replace(/\/+$/, '') },
    keys: {
      rotationDays: e.WARDEN_KEY_ROTATION_DAYS,
      cacheSeconds: e.WARDEN_KEY_CACHE_SECONDS,
      cacheUses: e.WARDEN_KEY_CACHE_USES,
      kmsTimeoutMs: e.WARDEN_KMS_TIMEOUT_MS,
      kmsCaFile: e.WARDEN_KMS_CA_FILE,
      awsKmsEndpoint: e.WARDEN_AWS_KMS_ENDPOINT,
      awsStsEndpoint: e.WARDEN_AWS_STS_ENDPOINT,
      azureAuthorityHost: e.WARDEN_AZURE_AUTHORITY_HOST.replace(/\/+$/, ''),
      kmsTestMode: e.WARDEN_KMS_TEST_MODE === 'true',
      maintenanceSeconds: e.WARDEN_KEY_MAINTENANCE_SECONDS,
    },
    delivery: {
      smtpUrl: e.WARDEN_SMTP_URL,
      smtpFrom: e.WARDEN_SMTP_FROM,
      sms:
        e.WARDEN_TWILIO_ACCOUNT_SID && e.WARDEN_TWILIO_AUTH_TOKEN && e.WARDEN_SMS_FROM
          ? { url: e.WARDEN_SMS_URL.replace(/\/+$/, ''), accountSid: e.WARDEN_TWILIO_ACCOUNT_SID, authToken: e.WARDEN_TWILIO_AUTH_TOKEN, from: e.WARDEN_SMS_FROM }
          : undefined,
    },
  };
}
