import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A value that must never be printed. It redacts itself in JSON, string conversion and
 * util.inspect (so console.log and the audit log see `[redacted]`); only `reveal()` returns it.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toJSON(): string {
    return REDACTED;
  }
  toString(): string {
    return REDACTED;
  }
  [inspect.custom](): string {
    return `Secret(${REDACTED})`;
  }
}

export const isSecret = (value: unknown): value is Secret => value instanceof Secret;
