import type { Principal } from '../authz/principal.ts';
import type { ClientOptions } from '../ops/types.ts';
import { holdsOnlyReadScopes } from '../ops/visibility.ts';

/** `X-Warden-Read-Only` and `X-Warden-Toolsets`, or a token holding only read scopes. */
export function clientOptionsFrom(headers: Headers, principal: Principal, transport: ClientOptions['transport']): ClientOptions {
  const readOnlyHeader = (headers.get('x-warden-read-only') ?? '').trim().toLowerCase();
  const toolsets = headers
    .get('x-warden-toolsets')
    ?.split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  return {
    transport,
    readOnly: ['true', '1', 'yes'].includes(readOnlyHeader) || holdsOnlyReadScopes(principal.scopes),
    toolsets: toolsets && toolsets.length > 0 ? toolsets : undefined,
  };
}
