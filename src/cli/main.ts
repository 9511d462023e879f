import { ConfigError, loadConfig } from '../config/env.ts';
import { WardenError } from '../core/errors.ts';
import { parseCli, USAGE, UsageError } from './args.ts';
import { runBootstrap, runMigrate, runPatCreate, runServe } from './commands.ts';

async function main(): Promise<void> {
  const { command, values } = parseCli(process.argv.slice(2));
  if (values.help) return void console.log(USAGE);
  const config = loadConfig();
  switch (command) {
    case 'serve':
      return runServe(config);
    case 'migrate':
      return runMigrate(config);
    case 'bootstrap':
      return runBootstrap(config, values);
    case 'pat create':
      return runPatCreate(config, values);
    default:
      throw new UsageError(`Unknown command "${command}".\n\n${USAGE}`);
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof UsageError) console.error(err.message);
  else if (err instanceof WardenError) console.error(`${err.code}: ${err.message}${err.hint ? `\n${err.hint}` : ''}`);
  else if (err instanceof TypeError && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) console.error(`${err.message}\n\n${USAGE}`);
  else console.error(err);
  process.exit(1);
});
