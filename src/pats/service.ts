import type { DB } from '../db/connect.ts';
import type { TokenHasher } from '../crypto/token-format.ts';
import { generateToken } from '../crypto/token-format.ts';
import type { Permission } from '../authz/permissions.ts';

export const DEFAULT_PAT_DAYS = 30;
export const MAX_PAT_DAYS = 365;

export interface CreatedPat {
  id: string;
  token: string;
  start: string;
  expiresAt: Date;
}

/** Used by the pats.create operation and by the CLI (bootstrap, `warden pat create`). */
export async function insertPat(
  db: DB,
  hasher: TokenHasher,
  fields: { tenantId: string; userId: string; name: string; scopes: readonly Permission[]; expiresAt: Date },
): Promise<CreatedPat> {
  const { token, start } = generateToken('pat');
  const { hash, pepperVersion } = hasher.hash(token);
  const row = await db
    .insertInto('pats')
    .values({
      tenant_id: fields.tenantId,
      user_id: fields.userId,
      name: fields.name,
      token_hash: hash,
      pepper_version: pepperVersion,
      token_start: start,
      scopes: [...fields.scopes],
      expires_at: fields.expiresAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, token, start, expiresAt: fields.expiresAt };
}
