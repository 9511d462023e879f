// `npm test`: Node's own test runner over every *.test.ts file, two files at a time (2 cores).
import { spawnSync } from 'node:child_process';
import { globSync } from 'node:fs';

const files = process.argv.slice(2).length > 0 ? process.argv.slice(2) : globSync('test/**/*.test.ts').sort();
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-reporter=spec', '--test-timeout=300000', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
