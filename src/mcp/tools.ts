import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { inputJsonSchema, outputJsonSchema } from '../http/json-schema.ts';
import { toolName, type AnyOperation } from '../ops/types.ts';

const toolCache = new WeakMap<AnyOperation, Tool>();

/** The MCP view of an operation: name, schemas and annotations, derived once and cached. */
export function toolOf(op: AnyOperation): Tool {
  let tool = toolCache.get(op);
  if (!tool) {
    tool = {
      name: toolName(op),
      title: op.title,
      description: op.description + (op.permission ? ` Requires ${op.permission}.` : ''),
      inputSchema: inputJsonSchema(op) as Tool['inputSchema'],
      outputSchema: outputJsonSchema(op) as Tool['outputSchema'],
      annotations: {
        title: op.title,
        readOnlyHint: op.annotations.readOnly,
        destructiveHint: op.annotations.destructive,
        idempotentHint: op.annotations.idempotent,
        openWorldHint: false,
      },
    };
    toolCache.set(op, tool);
  }
  return tool;
}
