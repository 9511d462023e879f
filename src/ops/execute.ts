import type { Services } from '../app/services.ts';
import type { AuditEntry, AuditOutcome } from '../audit/entry.ts';
import { appendInTransaction } from '../audit/writer.ts';
import { transact } from '../db/connect.ts';
import type { Principal } from '../authz/principal.ts';
import { asWardenError, WardenError } from '../core/errors.ts';
import { resolveCallerAccess, type CallerAccess } from './caller.ts';
import { confirmationDeclined, confirmationRequired, insufficientScope, permissionDenied, readOnlyMode, validationFailed } from './errors.ts';
import { inputSchemaOf } from './input-schema.ts';
import type { AnyOperation, ClientOptions, OperationContext } from './types.ts';

export interface OperationCall {
  principal: Principal;
  tenantRef: string | undefined;
  projectRef: string | undefined;
  input: unknown;
  requestId: string;
  ip: string | undefined;
  userAgent: string | undefined;
  client: ClientOptions;
  /** Ask the human (MCP elicitation). Undefined when the client cannot be asked. */
  askConfirmation?: (message: string) => Promise<boolean>;
}

/**
 * The one place every operation passes through, whichever door it came in by: tenant and
 * permission check, validation, confirmation, the handler, and exactly one audit record.
 */
export async function executeOperation(services: Services, op: AnyOperation, call: OperationCall): Promise<unknown> {
  const audit: Omit<AuditEntry, 'outcome'> = {
    tenantId: call.principal.tenantId ?? null,
    actor: call.principal.actorChain,
    operation: op.name,
    input: call.input,
    requestId: call.requestId,
    ip: call.ip ?? null,
    userAgent: call.userAgent ?? null,
    occurredAt: services.clock.now(),
  };
  const fail = async (err: unknown, outcome: AuditOutcome, target?: string) => {
    const error = asWardenError(err, call.requestId);
    if (!(err instanceof WardenError)) services.log.error('operation failed', { op: op.name, requestId: call.requestId, error: String((err as Error)?.stack ?? err) });
    await services.audit.record({ ...audit, outcome, errorCode: error.code, target: target ?? null });
    throw error;
  };

  let access: CallerAccess;
  try {
    access = await resolveCallerAccess(services, call.principal, call.tenantRef, call.projectRef);
  } catch (err) {
    return fail(err, 'denied');
  }
  audit.tenantId = access.tenant.id;

  const denial = checkPermission(op, access, call);
  if (denial) return fail(denial, 'denied');

  const parsed = inputSchemaOf(op).safeParse(call.input ?? {});
  if (!parsed.success) return fail(validationFailed(parsed.error), 'failed');
  const { confirm, ...input } = parsed.data as { confirm?: string } & Record<string, unknown>;

  const ctx: OperationContext = {
    db: services.db,
    services,
    principal: call.principal,
    tenant: access.tenant,
    projectId: access.projectId,
    role: access.role,
    permissions: access.permissions,
    client: call.client,
    requestId: call.requestId,
    audit: {},
  };

  try {
    if (op.irreversible) await confirmIrreversible(op, ctx, input, confirm, call);
    const result = op.annotations.readOnly ? await runRead(op, ctx, input) : await runMutation(services, op, ctx, input, audit);
    return result;
  } catch (err) {
    return fail(err, err instanceof WardenError && err.status === 403 ? 'denied' : 'failed', ctx.audit.target);
  }

  async function runRead(op: AnyOperation, ctx: OperationContext, input: unknown) {
    const output = op.output.parse(await op.handler(ctx, input));
    await services.audit.record({ ...audit, outcome: 'success', target: ctx.audit.target ?? null });
    return output;
  }
}

async function runMutation(services: Services, op: AnyOperation, ctx: OperationContext, input: unknown, audit: Omit<AuditEntry, 'outcome'>) {
  // The audit record commits in the same transaction as the change: both or neither.
  return transact(services.db, services.notifier, async (trx) => {
    const output = op.output.parse(await op.handler({ ...ctx, db: trx }, input));
    await appendInTransaction(trx, [{ ...audit, outcome: 'success', target: ctx.audit.target ?? null }]);
    return output;
  });
}

function checkPermission(op: AnyOperation, access: CallerAccess, call: OperationCall): WardenError | undefined {
  if (op.permission && !access.permissions.has(op.permission)) {
    return access.rolePermissions.has(op.permission) ? insufficientScope(op.permission, op.name) : permissionDenied(op.permission, op.name);
  }
  if (call.client.readOnly && !op.annotations.readOnly) return readOnlyMode(op.name);
  return undefined;
}

async function confirmIrreversible(op: AnyOperation, ctx: OperationContext, input: unknown, confirm: string | undefined, call: OperationCall) {
  const target = await op.irreversible!.target(ctx, input);
  ctx.audit.target = target;
  if (confirm !== undefined) {
    if (confirm === target) return;
    throw confirmationRequired(target);
  }
  if (call.askConfirmation) {
    const agreed = await call.askConfirmation(`${op.title}: "${target}". This cannot be undone. Proceed?`);
    if (agreed) return;
    throw confirmationDeclined();
  }
  throw confirmationRequired(target);
}

