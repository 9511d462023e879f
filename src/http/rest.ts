import type { Context, Hono } from 'hono';
import type { Services } from '../app/services.ts';
import { invalid } from '../core/errors.ts';
import { executeOperation } from '../ops/execute.ts';
import type { AnyOperation } from '../ops/types.ts';
import { authenticateBearer } from './authenticate.ts';
import { clientOptionsFrom } from './client-options.ts';
import { inputJsonSchema } from './json-schema.ts';
import { problemResponse } from './problem.ts';
import { clientIp, userAgent } from './request-info.ts';
import type { AppEnv } from './app-env.ts';

export const REST_PREFIX = '/api/v1';
export const honoPath = (op: AnyOperation) => REST_PREFIX + op.rest.path.replace(/\{(\w+)\}/g, ':$1');

/** One REST route per operation, with the same validation, permission check and audit as MCP. */
export function mountRest(app: Hono<AppEnv>, services: Services, ops: readonly AnyOperation[], resourceMetadataUrl: string): void {
  for (const op of ops) {
    app.on(op.rest.method, honoPath(op), async (c) => {
      try {
        const principal = await authenticateBearer(services, c.req.header('authorization'), clientIp(c));
        const input = await restInput(c, op);
        const result = await executeOperation(services, op, {
          principal,
          tenantRef: c.req.header('x-tenant-id') || undefined,
          projectRef: c.req.header('x-project-id') || undefined,
          input,
          requestId: c.get('requestId'),
          ip: clientIp(c),
          userAgent: userAgent(c),
          client: clientOptionsFrom(c.req.raw.headers, principal, 'rest'),
        });
        const created = op.rest.method === 'POST' && !op.annotations.idempotent;
        return c.json(result as object, created ? 201 : 200);
      } catch (err) {
        return problemResponse(c, err, resourceMetadataUrl);
      }
    });
  }
}

async function restInput(c: Context, op: AnyOperation): Promise<Record<string, unknown>> {
  const input: Record<string, unknown> = {};
  if (op.rest.method === 'GET' || op.rest.method === 'DELETE') Object.assign(input, coerceQuery(op, c.req.queries()));
  if (op.rest.method !== 'GET' && (c.req.header('content-length') ?? '0') !== '0') {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw invalid('INVALID_JSON', 'The request body is not valid JSON.', { hint: 'Send a JSON object with Content-Type: application/json.' });
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('INVALID_JSON', 'The request body must be a JSON object.');
    Object.assign(input, body);
  }
  Object.assign(input, c.req.param());
  return input;
}

/** Query strings are text; turn them into the types the schema declares (numbers, booleans, lists). */
function coerceQuery(op: AnyOperation, queries: Record<string, string[]>): Record<string, unknown> {
  const props = inputJsonSchema(op).properties ?? {};
  const out: Record<string, unknown> = {};
  for (const [key, values] of Object.entries(queries)) {
    const type = props[key]?.type;
    const last = values[values.length - 1]!;
    if (type === 'array') out[key] = values.flatMap((v) => v.split(',')).filter(Boolean);
    else if (type === 'integer' || type === 'number') out[key] = last.trim() !== '' && !Number.isNaN(Number(last)) ? Number(last) : last;
    else if (type === 'boolean') out[key] = last === 'true' ? true : last === 'false' ? false : last;
    else out[key] = last;
  }
  return out;
}
