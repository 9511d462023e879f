import type { DB } from '../db/connect.ts';
import type { User } from '../db/schema.ts';

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

export async function findUserByEmail(db: DB, email: string): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', normalizeEmail(email)).executeTakeFirst();
}

export async function createUser(db: DB, fields: { email: string; name?: string | null; passwordHash?: string | null }): Promise<User> {
  return db
    .insertInto('users')
    .values({ email: normalizeEmail(fields.email), name: fields.name ?? null, password_hash: fields.passwordHash ?? null })
    .returningAll()
    .executeTakeFirstOrThrow();
}
