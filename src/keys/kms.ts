import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { rootCertificates } from 'node:tls';
import type { KeysConfig } from '../config/env.ts';
import type { KekRow } from './tables.ts';
import { AwsKmsKek, type AwsKeySettings } from './providers/aws.ts';
import { AzureKeyVaultKek, type AzureKeySettings } from './providers/azure.ts';
import { KmsError, type KekClient } from './providers/types.ts';

/**
 * Builds customer KEK clients with the server's transport settings: one keep-alive HTTPS agent
 * (Mozilla roots plus WARDEN_KMS_CA_FILE), the KMS timeout, endpoint overrides.
 */
export function customerKekFactory(config: KeysConfig) {
  const extraCa = config.kmsCaFile ? readFileSync(config.kmsCaFile, 'utf8') : undefined;
  const agent = new Agent({ keepAlive: true, ...(extraCa ? { ca: [...rootCertificates, extraCa] } : {}) });
  return (kek: Pick<KekRow, 'tenant_id' | 'provider' | 'settings'>, secret: string | undefined): KekClient => {
    if (kek.provider === 'aws') {
      return new AwsKmsKek(kek.tenant_id, kek.settings as unknown as AwsKeySettings, secret, {
        timeoutMs: config.kmsTimeoutMs,
        agent,
        kmsEndpoint: config.awsKmsEndpoint,
        stsEndpoint: config.awsStsEndpoint,
      });
    }
    if (kek.provider === 'azure') {
      if (!secret) throw new KmsError('denied', 'the service principal secret is missing');
      return new AzureKeyVaultKek(kek.settings as unknown as AzureKeySettings, secret, {
        timeoutMs: config.kmsTimeoutMs,
        agent,
        authorityHost: config.azureAuthorityHost,
        testMode: config.kmsTestMode,
      });
    }
    throw new Error(`no customer client for provider ${kek.provider}`);
  };
}
