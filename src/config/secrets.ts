import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../core/log.ts';

/**
 * Server-side secrets (token pepper, session key, later the master key). Production passes them
 * in the environment; the embedded default generates each once into the data directory with
 * mode 0600 and warns, so one command starts a working server.
 */
export function loadOrGenerateSecret(dataDir: string, name: string, log: Logger): Buffer {
  const file = path.join(dataDir, 'secrets', `${name}.key`);
  if (existsSync(file)) return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  log.warn('generated a server secret into the data directory; set it in the environment for production', { secret: name, file });
  return key;
}

export interface Pepper {
  version: number;
  key: Buffer;
}

export function parsePeppers(spec: string): Pepper[] {
  return spec
    .split(',')
    .map((entry) => {
      const [version, b64] = entry.split(':');
      return { version: Number(version), key: Buffer.from(b64 ?? '', 'base64') };
    })
    .sort((a, b) => b.version - a.version);
}
