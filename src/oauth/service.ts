import type { Config } from '../config/env.ts';
import { rootKeyOf } from '../keys/index.ts';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/log.ts';
import type { DB } from '../db/connect.ts';
import type { Notifier } from '../db/notify.ts';
import { AccessTokenIssuer } from './access-token.ts';
import { ClientDirectory } from './clients.ts';
import { SigningKeys } from './signing-keys.ts';
import { AccessTokenVerifier } from './verifier.ts';

/** The authorization server's long-lived parts (services.oauth). */
export class OAuthServer {
  /** RFC 8414 issuer: Warden's base URL, no path. */
  readonly issuer: string;
  /** RFC 8707 resource and the only audience Warden accepts: its MCP endpoint. */
  readonly resource: string;
  readonly keys: SigningKeys;
  readonly tokens: AccessTokenIssuer;
  readonly verifier: AccessTokenVerifier;
  readonly clients: ClientDirectory;

  constructor(config: Config, deps: { db: DB; notifier: Notifier; clock: Clock; log: Logger }) {
    this.issuer = config.baseUrl;
    this.resource = `${config.baseUrl}/mcp`;
    this.keys = new SigningKeys({ ...deps, rootKey: rootKeyOf(config, deps.log) });
    this.tokens = new AccessTokenIssuer(this.keys, this.issuer, deps.clock);
    this.verifier = new AccessTokenVerifier({ ...deps, keys: this.keys, issuer: this.issuer, audience: this.resource });
    this.clients = new ClientDirectory(deps.db, deps.clock);
  }
}
