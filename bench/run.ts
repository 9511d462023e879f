// `npm run bench [name]`: runs bench/<name>.ts (default: every benchmark), each in its own process.
import { spawnSync } from 'node:child_process';
import { globSync } from 'node:fs';

const wanted = process.argv[2];
const files = globSync('bench/*.ts').filter((f) => !f.endsWith('run.ts') && (!wanted || f.includes(wanted))).sort();
let status = 0;
for (const file of files) {
  console.log(`\n### ${file}`);
  const r = spawnSync(process.execPath, [file], { stdio: 'inherit' });
  if (r.status !== 0) status = 1;
}
process.exit(status);
