import type { Config } from '../config/env.ts';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/log.ts';
import type { Storage, DB } from '../db/connect.ts';
import type { Notifier } from '../db/notify.ts';
import type { AccessResolver } from '../authz/access.ts';
import type { AuditWriter } from '../audit/writer.ts';
import type { TokenHasher } from '../crypto/token-format.ts';
import type { TenantDirectory } from '../tenants/directory.ts';
import type { PatVerifier } from '../pats/verifier.ts';
import type { ApiKeyVerifier } from '../api-apps/verifier.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { LoginSeams } from '../login/seams.ts';
import type { Sweeper } from '../login/sweeper.ts';
import type { SsoRuntime } from '../sso/service.ts';
import type { Delivery } from '../mfa/delivery.ts';
import type { OAuthServer } from '../oauth/service.ts';

/** The long-lived parts a server process is made of; handed to handlers through `ctx.services`. */
export interface Services {
  config: Config;
  storage: Storage;
  db: DB;
  notifier: Notifier;
  clock: Clock;
  log: Logger;
  access: AccessResolver;
  audit: AuditWriter;
  tokens: TokenHasher;
  tenants: TenantDirectory;
  pats: PatVerifier;
  /** Verifies customers' API keys (api_keys.verify), cached and invalidated like PATs. */
  apiKeys: ApiKeyVerifier;
  /** Where SSO and MFA plug into browser sign-in. */
  login: LoginSeams;
  /** Deletes expired sign-in state now and then. */
  sweeper: Sweeper;
  /** SSO caches (federation metadata, OIDC discovery). */
  sso: SsoRuntime;
  /** Key for session and CSRF cookies. */
  sessionKey: Buffer;
  /** Envelope encryption: the only way secrets are stored (seal/open). */
  keyring: Keyring;
  /** Email (SMTP) and SMS (Twilio API) delivery of one-time codes, or the dev console outbox. */
  delivery: Delivery;
  /** OAuth 2.1 authorization server: signing keys, token issuer and verifier, client directory. */
  oauth: OAuthServer;
}
