import { randomUUID } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Services } from '../app/services.ts';
import type { Principal } from '../authz/principal.ts';
import { forbidden, invalid, WardenError } from '../core/errors.ts';
import { authenticateBearer } from '../http/authenticate.ts';
import { clientOptionsFrom } from '../http/client-options.ts';
import { problemResponse } from '../http/problem.ts';
import { clientIp, userAgent } from '../http/request-info.ts';
import type { AppEnv } from '../http/app-env.ts';
import { resolveCallerAccess } from '../ops/caller.ts';
import { insufficientScope } from '../ops/errors.ts';
import { operationByTool } from '../ops/registry.ts';
import type { McpRequestInfo } from './request-info.ts';
import { createMcpServer } from './server.ts';
import { SessionTable } from './sessions.ts';

export interface McpEndpointOptions {
  allowedOrigins: string[];
  resourceMetadataUrl: string;
}

const sessionGone = () =>
  new Response(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found; initialize a new session.' }, id: null }), {
    status: 404,
    headers: { 'content-type': 'application/json' },
  });

/** Streamable HTTP at /mcp with Warden's own bearer check in front of the SDK transport. */
export function mountMcp(app: Hono<AppEnv>, services: Services, options: McpEndpointOptions): SessionTable {
  const sessions = new SessionTable();
  // Payloads (src/authz/access.ts): `member:<tenant>:<user>`, `tenant:<id>` (role definitions), `*`.
  services.notifier.subscribe((payload) => {
    if (payload.startsWith('member:')) sessions.notifyToolsChanged(payload.split(':')[2]);
    else if (payload === '*' || payload.startsWith('tenant:')) sessions.notifyToolsChanged();
  });

  app.all('/mcp', async (c) => {
    try {
      checkOrigin(c, options.allowedOrigins);
      const principal = await authenticateBearer(services, c.req.header('authorization'), clientIp(c));
      const info: McpRequestInfo = {
        principal,
        tenantRef: c.req.header('x-tenant-id') || undefined,
        projectRef: c.req.header('x-project-id') || undefined,
        client: clientOptionsFrom(c.req.raw.headers, principal, 'mcp'),
        requestId: c.get('requestId'),
        ip: clientIp(c),
        userAgent: userAgent(c),
      };
      const owner = `${principal.userId}:${principal.tenantId ?? info.tenantRef ?? ''}`;
      const body = c.req.method === 'POST' ? await readJson(c) : undefined;
      if (body !== undefined) await checkToolScope(services, info, body);
      const authInfo = { token: '', clientId: principal.credentialId ?? '', scopes: [], extra: { warden: info } };

      const sessionId = c.req.header('mcp-session-id');
      if (sessionId) {
        const session = sessions.get(sessionId, owner);
        if (!session) return sessionGone();
        const response = await session.transport.handleRequest(c.req.raw, { parsedBody: body, authInfo });
        if (c.req.method === 'DELETE') sessions.remove(sessionId);
        return response;
      }
      if (c.req.method !== 'POST' || !isInitializeRequest(body)) {
        throw invalid('MCP_SESSION_REQUIRED', 'Send an initialize request first; later requests carry its Mcp-Session-Id header.');
      }
      return await openSession(services, sessions, owner, c, body, authInfo);
    } catch (err) {
      return problemResponse(c, err, options.resourceMetadataUrl);
    }
  });
  return sessions;
}

async function openSession(services: Services, sessions: SessionTable, owner: string, c: Context<AppEnv>, body: unknown, authInfo: object) {
  // Clients that can answer elicitation get SSE streams (the server asks mid-call); others get
  // plain JSON responses, which are cheaper.
  const canElicit = Boolean((body as { params?: { capabilities?: { elicitation?: unknown } } }).params?.capabilities?.elicitation);
  const server = createMcpServer(services);
  const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    enableJsonResponse: !canElicit,
    onsessioninitialized: (id) => sessions.add(id, { transport, server, owner, lastSeen: Date.now() }),
    onsessionclosed: (id) => sessions.remove(id),
  });
  transport.onclose = () => {
    if (transport.sessionId) sessions.remove(transport.sessionId);
  };
  await server.connect(transport);
  return transport.handleRequest(c.req.raw, { parsedBody: body, authInfo: authInfo as never });
}

async function readJson(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw invalid('INVALID_JSON', 'The request body is not valid JSON-RPC.');
  }
}

/** Cross-site browser pages must not drive the endpoint; requests without Origin (IDEs, CLIs) pass. */
function checkOrigin(c: Context, allowed: string[]): void {
  const origin = c.req.header('origin');
  if (origin && !allowed.includes(origin)) {
    throw forbidden('ORIGIN_NOT_ALLOWED', `Origin ${origin} may not call this endpoint.`, { hint: 'Add it to WARDEN_ALLOWED_ORIGINS.' });
  }
}

/**
 * A tools/call the token's scopes cannot cover is refused at the HTTP layer with 403
 * insufficient_scope (MCP authorization spec), so OAuth clients can step up. A call the user's
 * role forbids comes back as a tool error instead, from the operation pipeline.
 */
async function checkToolScope(services: Services, info: McpRequestInfo, body: unknown): Promise<void> {
  const message = body as { method?: string; params?: { name?: string } };
  if (message?.method !== 'tools/call' || typeof message.params?.name !== 'string') return;
  const op = operationByTool.get(message.params.name);
  if (!op?.permission || scopeCovers(info.principal, op.permission)) return;
  let access;
  try {
    access = await resolveCallerAccess(services, info.principal, info.tenantRef, info.projectRef);
  } catch (err) {
    if (err instanceof WardenError) return; // the pipeline reports and audits it
    throw err;
  }
  if (!access.rolePermissions.has(op.permission)) return;
  const error = insufficientScope(op.permission, op.name);
  await services.audit.record({
    tenantId: access.tenant.id,
    actor: info.principal.actorChain,
    operation: op.name,
    input: (body as { params?: { arguments?: unknown } }).params?.arguments ?? null,
    outcome: 'denied',
    errorCode: error.code,
    requestId: info.requestId,
    ip: info.ip ?? null,
    userAgent: info.userAgent ?? null,
    occurredAt: services.clock.now(),
  });
  throw error;
}

const scopeCovers = (principal: Principal, permission: string) => principal.scopes === 'all' || principal.scopes.has(permission as never);
