import { parseArgs } from 'node:util';

export class UsageError extends Error {}

export const USAGE = `Usage: warden [command] [options]

Commands:
  serve                       Start the server (default). Runs migrations first.
  migrate                     Apply pending database migrations and exit.
  bootstrap --tenant SLUG --email EMAIL [--password P] [--json]
                              Create a tenant and its owner; prints a PAT with every scope, once.
  pat create --tenant SLUG --email EMAIL --scopes a:read,b:write [--project P] [--name N] [--days 30] [--json]
                              Create a personal access token for an existing member.

Configuration comes from the environment; see README.md.`;

export function parseCli(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      tenant: { type: 'string' },
      email: { type: 'string' },
      password: { type: 'string' },
      scopes: { type: 'string' },
      project: { type: 'string' },
      name: { type: 'string' },
      days: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  return { command: positionals.join(' ') || 'serve', values };
}

export function required(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required.\n\n${USAGE}`);
  return v;
}
