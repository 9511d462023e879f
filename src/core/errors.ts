/**
 * Every error Warden shows a caller is a WardenError with a stable `code` that clients switch on
 * (as jose's ERR_* codes), a message that names the field and the fix, and the HTTP status the
 * transports map it to. Nothing else (no stack, no internals, no secrets) reaches the caller.
 */
export interface ErrorDetails {
  status?: number;
  field?: string;
  hint?: string;
  issues?: { field: string; message: string }[];
  /** Scope an OAuth client would need (drives `insufficient_scope` challenges). */
  requiredScope?: string;
}

export class WardenError extends Error {
  readonly code: string;
  readonly status: number;
  readonly field: string | undefined;
  readonly hint: string | undefined;
  readonly issues: { field: string; message: string }[] | undefined;
  readonly requiredScope: string | undefined;

  constructor(code: string, message: string, details: ErrorDetails = {}) {
    super(message);
    this.name = 'WardenError';
    this.code = code;
    this.status = details.status ?? 400;
    this.field = details.field;
    this.hint = details.hint;
    this.issues = details.issues;
    this.requiredScope = details.requiredScope;
  }

  toJSON() {
    return {
      code: this.code,
      message: this.message,
      ...(this.field ? { field: this.field } : {}),
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.issues ? { issues: this.issues } : {}),
    };
  }
}

export const unauthenticated = (code: string, message: string, hint?: string) =>
  new WardenError(code, message, { status: 401, ...(hint ? { hint } : {}) });

export const forbidden = (code: string, message: string, details: Omit<ErrorDetails, 'status'> = {}) =>
  new WardenError(code, message, { ...details, status: 403 });

export const notFound = (code: string, message: string, hint?: string) =>
  new WardenError(code, message, { status: 404, ...(hint ? { hint } : {}) });

export const conflict = (code: string, message: string, details: Omit<ErrorDetails, 'status'> = {}) =>
  new WardenError(code, message, { ...details, status: 409 });

export const invalid = (code: string, message: string, details: Omit<ErrorDetails, 'status'> = {}) =>
  new WardenError(code, message, { ...details, status: 400 });

/** Anything that is not a WardenError becomes this, so internals never leak. */
export function internalError(requestId: string): WardenError {
  return new WardenError('INTERNAL_ERROR', `Warden hit an unexpected error. Quote request id ${requestId} to your operator.`, {
    status: 500,
  });
}

export function asWardenError(err: unknown, requestId: string): WardenError {
  return err instanceof WardenError ? err : internalError(requestId);
}
