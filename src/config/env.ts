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
  WARDEN_BOOTSTRAP: z.enum(['auto', 'off']).default('auto').describe('On first start with no tenant, create one and print its owner credentials'),
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
  };
}
