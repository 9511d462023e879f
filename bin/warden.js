#!/usr/bin/env node
// Warden runs its TypeScript sources directly with Node's type stripping (default from Node 22.18 / 23.6).
// On an older 22.x the flag must be given explicitly, so re-run ourselves with it.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

if (process.features.typescript) {
  await import('../src/cli/main.ts');
} else {
  const self = fileURLToPath(import.meta.url);
  const result = spawnSync(process.execPath, ['--experimental-strip-types', '--no-warnings', self, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
