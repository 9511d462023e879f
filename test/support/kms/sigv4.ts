import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Verifies an AWS Signature Version 4 Authorization header the way AWS does (canonical request,
 * string to sign, derived signing key), so wrong credentials fail like they do against AWS.
 */
export interface SigV4Result {
  ok: boolean;
  accessKeyId?: string;
  reason?: 'missing' | 'unknown_key' | 'bad_signature';
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

export function verifySigV4(req: IncomingMessage, body: Buffer, secretOf: (accessKeyId: string) => string | undefined): SigV4Result {
  const auth = req.headers.authorization ?? '';
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return { ok: false, reason: 'missing' };
  const [, accessKeyId, date, region, service, signedHeaders, signature] = m as unknown as string[];
  const secret = secretOf(accessKeyId!);
  if (secret === undefined) return { ok: false, accessKeyId: accessKeyId!, reason: 'unknown_key' };
  const url = new URL(req.url ?? '/', 'https://local');
  const query = [...url.searchParams.entries()]
    .map(([k, v]) => [encodeURIComponent(k), encodeURIComponent(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const headers = signedHeaders!.split(';');
  const canonicalHeaders = headers.map((h) => `${h}:${String(req.headers[h] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const payloadHash = (req.headers['x-amz-content-sha256'] as string | undefined) ?? sha256(body);
  const canonical = [req.method, url.pathname || '/', query, canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date!), region!), service!), 'aws4_request');
  const expected = createHmac('sha256', key).update(toSign).digest();
  const given = Buffer.from(signature!, 'hex');
  return expected.length === given.length && timingSafeEqual(expected, given) ? { ok: true, accessKeyId: accessKeyId! } : { ok: false, accessKeyId: accessKeyId!, reason: 'bad_signature' };
}
