import type { Hono } from 'hono';
import { ALL_PERMISSIONS } from '../authz/permissions.ts';
import type { AppEnv } from './app-env.ts';

/**
 * RFC 9728 protected-resource metadata for the MCP endpoint, at the path-suffixed location
 * (`/.well-known/oauth-protected-resource/mcp`) and at the root, as MCP clients try both.
 */
export function mountWellKnown(app: Hono<AppEnv>, baseUrl: string, authorizationServers: string[]): void {
  const metadata = {
    resource: `${baseUrl}/mcp`,
    resource_name: 'Warden',
    ...(authorizationServers.length > 0 ? { authorization_servers: authorizationServers } : {}),
    scopes_supported: ALL_PERMISSIONS,
    bearer_methods_supported: ['header'],
    resource_documentation: `${baseUrl}/api/v1/openapi.json`,
  };
  for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
    app.get(path, (c) => c.json(metadata, 200, { 'cache-control': 'public, max-age=300', 'access-control-allow-origin': '*' }));
  }
}

export const resourceMetadataUrl = (baseUrl: string) => `${baseUrl}/.well-known/oauth-protected-resource/mcp`;
