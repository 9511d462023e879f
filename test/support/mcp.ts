import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

/** The SDK's own client over Streamable HTTP, authenticating with a PAT. */
export async function connectMcp(baseUrl: string, token: string, headers: Record<string, string> = {}, capabilities: Record<string, unknown> = {}) {
  const client = new Client({ name: 'warden-test', version: '1.0.0' }, { capabilities });
  const transport = new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${token}`, ...headers } },
  });
  await client.connect(transport);
  return client;
}

export function parseToolError(result: unknown): { code: string; message: string; hint?: string } {
  const content = (result as { content: { type: string; text: string }[] }).content;
  return JSON.parse(content[0]!.text).error;
}
