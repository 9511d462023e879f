import type { TestWarden } from '../support/warden.ts';

export async function eventually(check: () => Promise<boolean>, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

/** Every text and bytea value in every table, for "the key is stored nowhere in clear" scans. */
export async function dumpDatabase(w: TestWarden): Promise<string> {
  const { sql } = await import('kysely');
  const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public'`.execute(w.services.db);
  let out = '';
  for (const { table_name } of tables.rows) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table_name)}`.execute(w.services.db);
    for (const row of rows.rows) {
      for (const v of Object.values(row)) out += (Buffer.isBuffer(v) ? v.toString('latin1') + v.toString('hex') + v.toString('base64') : JSON.stringify(v)) + '\n';
    }
  }
  return out;
}
