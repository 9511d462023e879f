import type { Config } from '../config/env.ts';
import { loadOrGenerateSecret, parsePeppers } from '../config/secrets.ts';
import { systemClock, type Clock } from '../core/clock.ts';
import { createLogger, type Logger } from '../core/log.ts';
import { openStorage, type Storage } from '../db/connect.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { AccessResolver } from '../authz/access.ts';
import { AuditWriter } from '../audit/writer.ts';
import { TokenHasher } from '../crypto/token-format.ts';
import { TenantDirectory } from '../tenants/directory.ts';
import { PatVerifier } from '../pats/verifier.ts';
import { ApiKeyVerifier } from '../api-apps/verifier.ts';
import { LoginSeams } from '../login/seams.ts';
import { Sweeper } from '../login/sweeper.ts';
import { ssoRouter, SsoRuntime } from '../sso/service.ts';
import { createKeyring } from '../keys/index.ts';
import { createDelivery } from '../mfa/delivery.ts';
import { mfaSecondFactor } from '../mfa/service.ts';
import { OAuthServer } from '../oauth/service.ts';
import type { Services } from './services.ts';

export interface CreateOptions {
  clock?: Clock;
  log?: Logger;
  /** Tests hand in storage they created (a throwaway database). */
  storage?: Storage;
  migrate?: boolean;
}

export async function createServices(config: Config, options: CreateOptions = {}): Promise<Services> {
  const log = options.log ?? createLogger(config.logLevel);
  const clock = options.clock ?? systemClock;
  const storage = options.storage ?? (await openStorage({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, log }));
  if (options.migrate !== false) await migrateToLatest(storage.db);

  const peppers = config.tokenPeppers ? parsePeppers(config.tokenPeppers) : [{ version: 1, key: loadOrGenerateSecret(config.dataDir, 'token-pepper-v1', log) }];
  const sessionKey = config.sessionSecret ? Buffer.from(config.sessionSecret, 'base64') : loadOrGenerateSecret(config.dataDir, 'session', log);
  const tokens = new TokenHasher(peppers);
  const { db, notifier } = storage;
  const audit = new AuditWriter(db, log);
  const login = new LoginSeams();
  login.addSsoRouter(ssoRouter); // SSO tenants send their users to the IdP (src/sso)
  login.addSecondFactor(mfaSecondFactor); // MFA after the password (src/mfa)

  return {
    config,
    storage,
    db,
    notifier,
    clock,
    log,
    access: new AccessResolver(db, notifier),
    audit,
    tokens,
    tenants: new TenantDirectory(db, notifier),
    pats: new PatVerifier({ db, notifier, hasher: tokens, clock, log }),
    apiKeys: new ApiKeyVerifier({ db, notifier, hasher: tokens, clock, log }),
    login,
    sweeper: new Sweeper({ db, clock, log }),
    sso: new SsoRuntime(() => clock.now()),
    sessionKey,
    keyring: createKeyring(config, { db, notifier, clock, log, audit }),
    delivery: createDelivery(config.delivery, { embedded: storage.kind === 'embedded', log }),
    oauth: new OAuthServer(config, { db, notifier, clock, log }),
  };
}

export async function closeServices(services: Services): Promise<void> {
  await services.sweeper.stop();
  await services.keyring.close();
  await services.delivery.close();
  await services.audit.flush();
  await services.storage.close();
}
