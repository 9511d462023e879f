import { randomUUID } from 'node:crypto';
import type { OperationContext } from '../ops/types.ts';
import type { Secret } from '../core/secret.ts';
import type { DB } from '../db/connect.ts';
import type { Keyring } from './keyring.ts';
import type { StatusView, KeyView } from './schema.ts';
import * as store from './store.ts';
import type { FailPolicy, KekRow, KeyProvider } from './tables.ts';
import { isoOrNull as iso } from '../core/time.ts';


/** Everything keys.status shows, computed from the rows (and this server's view of KMS health). */
export async function tenantStatus(db: DB, keyring: Keyring, tenantId: string, now: Date, rotationDays: number): Promise<StatusView> {
  const settings = await keyring.ensureTenant(db, tenantId);
  const keks = await store.listKeks(db, tenantId);
  const counts = await store.countDataKeys(db, tenantId);
  const platform = keks.filter((k) => k.provider === 'platform').at(-1)!;
  const byKek = new Map<string, number>();
  for (const c of counts) byKek.set(c.kek_id, (byKek.get(c.kek_id) ?? 0) + c.count);
  const view = (k: KekRow): KeyView => ({
    id: k.id,
    provider: k.provider,
    nickname: k.nickname,
    version: k.version,
    state: stateOf(k, settings.active_kek_id, platform.id, now, byKek.get(k.id) ?? 0),
    settings: k.settings,
    secret_set: Boolean(k.secret),
    created_at: iso(k.created_at)!,
    activates_at: iso(k.activates_at),
    activated_at: iso(k.activated_at),
    retired_at: iso(k.retired_at),
    health: k.provider === 'platform' ? { state: 'ok', detail: null, checked_at: null } : keyring.healthOf(k),
    data_keys: byKek.get(k.id) ?? 0,
  });
  const views = keks.map(view);
  const active = views.find((k) => k.id === settings.active_kek_id)!;
  const scheduled = views.filter((k) => k.state === 'scheduled').at(-1) ?? null;
  const pending = counts
    .filter((c) => (c.purpose === 'config' ? c.kek_id !== platform.id : c.kek_id !== settings.active_kek_id))
    .reduce((n, c) => n + c.count, 0);
  const lastRotation = new Date(platform.created_at);
  return {
    provider: active.provider,
    fail_policy: settings.fail_policy,
    active_key: active,
    scheduled_key: scheduled,
    keys: views,
    rotation: {
      platform_version: platform.version,
      last_rotation_at: lastRotation.toISOString(),
      next_rotation_at: new Date(lastRotation.getTime() + rotationDays * 86_400_000).toISOString(),
      rotation_days: rotationDays,
    },
    data_keys: {
      total: counts.reduce((n, c) => n + c.count, 0),
      fallback: counts.filter((c) => c.fallback).reduce((n, c) => n + c.count, 0),
      pending_rewrap: pending,
      by_wrapping_key: views.filter((k) => k.data_keys > 0).map((k) => ({ key_id: k.id, nickname: k.nickname, provider: k.provider, count: k.data_keys })),
    },
    kms_health: active.health,
  };
}

function stateOf(k: KekRow, activeId: string, platformId: string, now: Date, dataKeys: number): KeyView['state'] {
  if (k.id === activeId) return 'active';
  if (k.cancelled_at) return 'cancelled';
  if (!k.activated_at && k.activates_at && new Date(k.activates_at) > now) return 'scheduled';
  if (k.id === platformId) return 'fallback';
  return dataKeys > 0 ? 'draining' : 'retired';
}

export interface CustomerKeyInput {
  provider: Exclude<KeyProvider, 'platform'>;
  nickname: string;
  settings: Record<string, unknown>;
  secret: Secret | undefined;
  activation: Date | undefined;
  failPolicy: FailPolicy | undefined;
}

/**
 * BYOK: prove the key works with a real round trip (nothing is saved if it does not), store it
 * with its secret sealed, and switch now or schedule the switch. Existing data keys are
 * re-wrapped under it in the background; until then the previous key keeps decrypting them.
 */
export async function configureCustomerKey(ctx: OperationContext, input: CustomerKeyInput): Promise<void> {
  const { keyring, clock } = ctx.services;
  const tenantId = ctx.tenant.id;
  ctx.audit.target = input.nickname;
  await keyring.probe(tenantId, input.provider, input.settings, input.secret?.reveal());
  await keyring.ensureTenant(ctx.db, tenantId);
  const id = randomUUID();
  const now = clock.now();
  const activatesAt = input.activation && input.activation > now ? input.activation : now;
  const sealed = input.secret ? await keyring.sealConfig(tenantId, { table: 'key_encryption_keys', column: 'secret', id }, input.secret, ctx.db) : null;
  await ctx.db
    .insertInto('key_encryption_keys')
    .values({
      id,
      tenant_id: tenantId,
      provider: input.provider,
      version: await store.nextKekVersion(ctx.db, tenantId),
      nickname: input.nickname,
      settings: JSON.stringify(input.settings),
      secret: sealed,
      activates_at: activatesAt,
      health: 'ok',
      health_checked_at: now,
      created_at: now,
    })
    .execute();
  if (input.failPolicy) await setFailPolicy(ctx.db, tenantId, input.failPolicy, now);
  if (activatesAt <= now) {
    await keyring.activate(ctx.db, tenantId, id);
  } else {
    // A newer schedule replaces an older one.
    await ctx.db
      .updateTable('key_encryption_keys')
      .set({ cancelled_at: now })
      .where('tenant_id', '=', tenantId)
      .where('id', '<>', id)
      .where('activated_at', 'is', null)
      .where('cancelled_at', 'is', null)
      .execute();
    await keyring.changed(ctx.db, tenantId);
  }
}

export async function setFailPolicy(db: DB, tenantId: string, policy: FailPolicy, now: Date): Promise<void> {
  await db.updateTable('key_settings').set({ fail_policy: policy, updated_at: now }).where('tenant_id', '=', tenantId).execute();
}
