import type { z } from 'zod';
import type { Permission } from '../authz/permissions.ts';
import type { Principal } from '../authz/principal.ts';
import type { Services } from '../app/services.ts';
import type { DB } from '../db/connect.ts';
import type { Tenant } from '../db/schema.ts';

/** What a handler gets: never an HTTP request or an MCP message. */
export interface OperationContext {
  /** The transaction for mutations; the pool for read-only operations. */
  db: DB;
  services: Services;
  principal: Principal;
  tenant: Tenant;
  projectId: string | undefined;
  /** The caller's current role in the tenant. */
  role: string;
  /** Effective permissions: current role ∩ credential scopes. */
  permissions: ReadonlySet<Permission>;
  /** How the client called: transport, read-only mode, requested toolsets. */
  client: ClientOptions;
  requestId: string;
  /** Handlers name what they touched; the audit record carries it. */
  audit: { target?: string };
}

export interface ClientOptions {
  transport: 'mcp' | 'rest' | 'cli';
  readOnly: boolean;
  /** Toolsets the client asked for (undefined = all). */
  toolsets: readonly string[] | undefined;
}

export interface OperationAnnotations {
  readOnly: boolean;
  destructive: boolean;
  idempotent: boolean;
}

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface Operation<I extends z.ZodObject = z.ZodObject, O extends z.ZodType = z.ZodType> {
  /** `capability.verb`; the MCP tool name replaces the dot with `_`. */
  name: string;
  title: string;
  /** Written for an agent reading a tool list: what it does, when to use it, what it changes. */
  description: string;
  input: I;
  output: O;
  /** `null`: any member of the tenant may call it (e.g. auth.whoami). */
  permission: Permission | null;
  annotations: OperationAnnotations;
  /**
   * Irreversible operations need a human's confirmation: MCP elicitation when the client supports
   * it, else a `confirm` argument repeating the target's name (returned by `target`).
   */
  irreversible?: { target: (ctx: OperationContext, input: z.output<I>) => Promise<string> };
  rest: { method: HttpMethod; path: string };
  handler: (ctx: OperationContext, input: z.output<I>) => Promise<z.input<O>>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyOperation = Operation<any, any>;

export function defineOperation<I extends z.ZodObject, O extends z.ZodType>(op: Operation<I, O>): AnyOperation {
  return op as AnyOperation;
}

export const toolName = (op: { name: string }) => op.name.replaceAll('.', '_');
export const toolsetOf = (op: { name: string }) => op.name.split('.')[0]!;
