import { z } from 'zod';
import type { AnyOperation } from './types.ts';

/**
 * The schema a caller's arguments are checked against: the operation's own (strict: unknown
 * arguments are refused so nothing hidden slips past a human approving the call), plus
 * `confirm` for irreversible operations.
 */
const cache = new WeakMap<AnyOperation, z.ZodObject>();

export function inputSchemaOf(op: AnyOperation): z.ZodObject {
  let schema = cache.get(op);
  if (!schema) {
    const base = (op.input as z.ZodObject).strict();
    schema = op.irreversible
      ? base.extend({
          confirm: z
            .string()
            .optional()
            .describe("Irreversible: after the user agreed, repeat the target's exact name here (not needed when the client supports elicitation)."),
        })
      : base;
    cache.set(op, schema);
  }
  return schema;
}
