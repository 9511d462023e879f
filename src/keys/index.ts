import type { Config } from '../config/env.ts';
import { loadOrGenerateSecret } from '../config/secrets.ts';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/log.ts';
import type { DB } from '../db/connect.ts';
import type { Notifier } from '../db/notify.ts';
import type { AuditWriter } from '../audit/writer.ts';
import { Keyring } from './keyring.ts';
import { customerKekFactory } from './kms.ts';

export { Keyring } from './keyring.ts';
export type { RecordPlace } from './format.ts';

/**
 * The server's root key: WARDEN_MASTER_KEY, or (the embedded default) one generated into the data
 * directory (0600) with a warning. The keyring and the OAuth signing-key store derive their own
 * keys from it.
 */
export function rootKeyOf(config: Config, log: Logger): Buffer {
  return config.masterKey ? Buffer.from(config.masterKey, 'base64') : loadOrGenerateSecret(config.dataDir, 'master', log);
}

/**
 * The server's keyring. The root key comes from WARDEN_MASTER_KEY; without it (the embedded
 * default) one is generated into the data directory (0600) with a warning — production sets it.
 */
export function createKeyring(config: Config, deps: { db: DB; notifier: Notifier; clock: Clock; log: Logger; audit: AuditWriter }): Keyring {
  const rootKey = rootKeyOf(config, deps.log);
  const keyring = new Keyring({
    ...deps,
    rootKey,
    rotationDays: config.keys.rotationDays,
    cache: { maxAgeMs: config.keys.cacheSeconds * 1000, maxUses: config.keys.cacheUses, maxEntries: 10_000 },
    customerKek: customerKekFactory(config.keys),
    maintenanceMs: config.keys.maintenanceSeconds * 1000,
  });
  keyring.start();
  return keyring;
}
