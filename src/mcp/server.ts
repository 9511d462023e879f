import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, McpError, ErrorCode, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Services } from '../app/services.ts';
import { asWardenError } from '../core/errors.ts';
import { resolveCallerAccess } from '../ops/caller.ts';
import { executeOperation } from '../ops/execute.ts';
import { OPERATIONS, operationByTool } from '../ops/registry.ts';
import { classify } from '../ops/visibility.ts';
import { toolOf } from './tools.ts';
import type { McpRequestInfo } from './request-info.ts';

const INSTRUCTIONS = `Warden administers this platform's security: members and roles, personal access tokens, the audit log, and (as they are enabled) SSO, MFA, encryption keys, OAuth clients and agents.
Call auth_whoami first to see your tenant, permissions and which tools are hidden and why.
Irreversible tools ask the user to confirm; if the client cannot show a prompt, ask the user yourself and pass the target's exact name in "confirm".
Never repeat a secret a tool returned (e.g. a new token) more than once.`;

function requestInfo(extra: { authInfo?: { extra?: Record<string, unknown> } }): McpRequestInfo {
  const info = extra.authInfo?.extra?.warden as McpRequestInfo | undefined;
  if (!info) throw new McpError(ErrorCode.InternalError, 'missing request context');
  return info;
}

/**
 * One MCP server per session. Tools are computed per request from the caller's *current* role,
 * token scopes, read-only mode and toolsets, so a role change shows at the next tools/list.
 */
export function createMcpServer(services: Services): Server {
  const server = new Server({ name: 'warden', version: '0.1.0', title: 'Warden' }, { capabilities: { tools: { listChanged: true } }, instructions: INSTRUCTIONS });

  server.setRequestHandler(ListToolsRequestSchema, async (_request, extra) => {
    const info = requestInfo(extra);
    try {
      const access = await resolveCallerAccess(services, info.principal, info.tenantRef, info.projectRef);
      return { tools: classify(OPERATIONS, access, info.client).visible.map(toolOf) };
    } catch (err) {
      const error = asWardenError(err, info.requestId);
      throw new McpError(ErrorCode.InvalidRequest, `${error.code}: ${error.message}${error.hint ? ` ${error.hint}` : ''}`);
    }
  });

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const info = requestInfo(extra);
    const op = operationByTool.get(request.params.name);
    if (!op) return toolError({ code: 'UNKNOWN_TOOL', message: `There is no tool "${request.params.name}".`, hint: 'Call tools/list (or auth_whoami) to see the tools you can use.' });
    if (info.client.toolsets && !info.client.toolsets.includes(op.name.split('.')[0]!) && op.name !== 'auth.whoami')
      return toolError({ code: 'TOOLSET_DISABLED', message: `${request.params.name} is not in the toolsets this client asked for.`, hint: 'Add its toolset to X-Warden-Toolsets.' });
    const elicitation = server.getClientCapabilities()?.elicitation;
    try {
      const result = await executeOperation(services, op, {
        principal: info.principal,
        tenantRef: info.tenantRef,
        projectRef: info.projectRef,
        input: request.params.arguments ?? {},
        requestId: info.requestId,
        ip: info.ip,
        userAgent: info.userAgent,
        client: info.client,
        ...(elicitation ? { askConfirmation: (message: string) => askConfirmation(server, message) } : {}),
      });
      return { content: [{ type: 'text', text: JSON.stringify(result) }], structuredContent: result as Record<string, unknown> };
    } catch (err) {
      return toolError(asWardenError(err, info.requestId).toJSON());
    }
  });

  return server;
}

function toolError(error: { code: string; message: string; hint?: string }): CallToolResult {
  // No structuredContent: clients validate it against the tool's output schema even on errors.
  return { isError: true, content: [{ type: 'text', text: JSON.stringify({ error }) }] };
}

async function askConfirmation(server: Server, message: string): Promise<boolean> {
  const result = await server.elicitInput({
    mode: 'form',
    message,
    requestedSchema: { type: 'object', properties: { confirm: { type: 'boolean', title: 'I understand this cannot be undone' } }, required: ['confirm'] },
  });
  return result.action === 'accept' && result.content?.confirm === true;
}
