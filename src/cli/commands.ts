import { loadConfig, type Config } from '../config/env.ts';
import { closeServices, createServices } from '../app/create.ts';
import { createLogger } from '../core/log.ts';
import { openStorage } from '../db/connect.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { bootstrapTenant } from '../tenants/bootstrap.ts';
import { createPatForMember } from '../pats/cli.ts';
import { startHttpServer } from '../server.ts';
import { firstRunBanner } from './first-run.ts';
import { required, UsageError } from './args.ts';

type Values = Record<string, string | boolean | undefined>;

export async function runMigrate(config: Config): Promise<void> {
  const log = createLogger(config.logLevel);
  const storage = await openStorage({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, log });
  try {
    const applied = await migrateToLatest(storage.db);
    console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Database is up to date.');
  } finally {
    await storage.close();
  }
}

export async function runBootstrap(config: Config, values: Values): Promise<void> {
  const services = await createServices(config);
  try {
    const result = await bootstrapTenant(services, {
      tenant: required(values, 'tenant'),
      email: required(values, 'email'),
      ...(typeof values.password === 'string' ? { password: values.password } : {}),
    });
    if (!values.json) {
      console.log(`Tenant "${result.tenant}" created with owner ${result.email}.`);
      if (result.password) console.log(`Owner password (shown once): ${result.password}`);
      console.log(`Personal access token with every scope (shown once, expires ${result.patExpiresAt}):\n  ${result.pat}`);
    }
    console.log(JSON.stringify({ tenant: result.tenant, email: result.email, pat: result.pat, pat_expires_at: result.patExpiresAt, ...(result.password ? { password: result.password } : {}) }));
  } finally {
    await closeServices(services);
  }
}

export async function runPatCreate(config: Config, values: Values): Promise<void> {
  const services = await createServices(config);
  try {
    const days = values.days === undefined ? 30 : Number(values.days);
    if (!Number.isInteger(days)) throw new UsageError('--days expects a whole number of days (1–365).');
    const scopes = required(values, 'scopes').split(',').map((s) => s.trim()).filter(Boolean);
    const pat = await createPatForMember(services, {
      tenant: required(values, 'tenant'),
      email: required(values, 'email'),
      scopes,
      name: typeof values.name === 'string' ? values.name : 'cli',
      days,
      ...(typeof values.project === 'string' ? { project: values.project } : {}),
    });
    if (values.json) console.log(JSON.stringify({ tenant: pat.tenant, email: pat.email, pat: pat.token, scopes: pat.scopes, expires_at: pat.expiresAt }));
    else console.log(`Token (shown once, expires ${pat.expiresAt}, scopes ${pat.scopes.join(',')}):\n  ${pat.token}`);
  } finally {
    await closeServices(services);
  }
}

export async function runServe(config: Config): Promise<void> {
  const services = await createServices(config);
  const banner = config.bootstrap === 'auto' ? await firstRunBanner(services) : undefined;
  const server = await startHttpServer(services);
  services.log.info('warden listening', { url: server.url, baseUrl: config.baseUrl, database: services.storage.kind });
  if (banner) console.log(banner);
  const stop = async () => {
    await server.close();
    await closeServices(services);
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

export { loadConfig };
