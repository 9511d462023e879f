import type { Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';

/**
 * The caller's address. Behind reverse proxies (WARDEN_TRUST_PROXY_HOPS > 0) it is taken from
 * X-Forwarded-For, counting that many trusted hops from the right — never the left-most entry,
 * which the client writes itself. Lockouts and rate limits key on it.
 */
export function resolveClientIp(c: Context, trustedHops: number): string | undefined {
  let peer: string | undefined;
  try {
    peer = getConnInfo(c).remote.address;
  } catch {
    peer = undefined;
  }
  if (trustedHops <= 0) return peer;
  const forwarded = (c.req.header('x-forwarded-for') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const chain = [...forwarded, ...(peer ? [peer] : [])];
  return chain[Math.max(0, chain.length - 1 - trustedHops)] ?? peer;
}

export const clientIp = (c: Context): string | undefined => c.get('clientIp') as string | undefined;

export const userAgent = (c: Context) => c.req.header('user-agent')?.slice(0, 300);
