import type { Principal } from '../authz/principal.ts';
import type { ClientOptions } from '../ops/types.ts';

/** What the HTTP edge learned about a request, handed to the MCP handlers through authInfo.extra. */
export interface McpRequestInfo {
  principal: Principal;
  tenantRef: string | undefined;
  projectRef: string | undefined;
  client: ClientOptions;
  requestId: string;
  ip: string | undefined;
  userAgent: string | undefined;
}
