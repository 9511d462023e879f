import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import type { Services } from '../app/services.ts';
import { mountMcp } from '../mcp/endpoint.ts';
import type { SessionTable } from '../mcp/sessions.ts';
import { OPERATIONS } from '../ops/registry.ts';
import { mountLogin } from '../login/routes.ts';
import { mountSso } from '../sso/routes.ts';
import { mountMfa } from '../mfa/routes.ts';
import { mountOAuth } from '../oauth/routes.ts';
import type { AppEnv } from './app-env.ts';
import { openApiDocument } from './openapi.ts';
import { mountRest } from './rest.ts';
import { mountWellKnown, resourceMetadataUrl } from './well-known.ts';
import { resolveClientIp } from './request-info.ts';

export interface WardenApp {
  app: Hono<AppEnv>;
  mcpSessions: SessionTable;
}

const INSPECTOR_ORIGINS = ['http://localhost:6274', 'http://127.0.0.1:6274'];

/** Transports only: every route hands off to the registry, the login service or the MCP server. */
export function createApp(services: Services): WardenApp {
  const { baseUrl } = services.config;
  const app = new Hono<AppEnv>();

  app.use(async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && /^[\w.-]{1,100}$/.test(incoming) ? incoming : randomUUID();
    c.set('requestId', requestId);
    c.set('clientIp', resolveClientIp(c, services.config.trustProxyHops));
    await next();
    c.header('x-request-id', requestId);
    c.header('x-content-type-options', 'nosniff');
  });

  app.get('/healthz', (c) => c.json({ ok: true, database: services.storage.kind, invalidation: services.notifier.healthy ? 'listening' : 'degraded' }));
  mountWellKnown(app, baseUrl, [baseUrl]);
  app.get('/api/v1/openapi.json', (c) => c.json(openApiDocument(OPERATIONS, baseUrl)));
  mountRest(app, services, OPERATIONS, resourceMetadataUrl(baseUrl));
  const mcpSessions = mountMcp(app, services, {
    allowedOrigins: [new URL(baseUrl).origin, ...INSPECTOR_ORIGINS, ...services.config.allowedOrigins],
    resourceMetadataUrl: resourceMetadataUrl(baseUrl),
  });
  const door = mountLogin(app, services);
  mountMfa(app, services, door);
  mountSso(app, services, door);
  mountOAuth(app, services, door);
  app.notFound((c) => c.json({ code: 'NOT_FOUND', message: `No route ${c.req.method} ${c.req.path}.`, hint: 'See /api/v1/openapi.json.' }, 404));
  return { app, mcpSessions };
}
