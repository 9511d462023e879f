import { z } from 'zod';
import { inputSchemaOf } from '../ops/input-schema.ts';
import type { AnyOperation } from '../ops/types.ts';

type JsonSchema = Record<string, unknown> & { properties?: Record<string, Record<string, unknown>>; required?: string[] };

const inputCache = new WeakMap<AnyOperation, JsonSchema>();
const outputCache = new WeakMap<AnyOperation, JsonSchema>();

function convert(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as JsonSchema;
  return json;
}

/** JSON Schema (2020-12, which OpenAPI 3.1 and MCP both use) derived from the operation's zod schema. */
export function inputJsonSchema(op: AnyOperation): JsonSchema {
  let s = inputCache.get(op);
  if (!s) inputCache.set(op, (s = convert(inputSchemaOf(op), 'input')));
  return s;
}

export function outputJsonSchema(op: AnyOperation): JsonSchema {
  let s = outputCache.get(op);
  if (!s) outputCache.set(op, (s = convert(op.output, 'output')));
  return s;
}
