import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A throwaway self-signed certificate for 127.0.0.1, made once per test process with openssl.
 * The local KMS servers speak HTTPS like the real ones (the Azure SDK refuses bearer tokens over
 * plain HTTP); Warden trusts this certificate through WARDEN_KMS_CA_FILE.
 */
export interface TestCertificate {
  key: string;
  cert: string;
  /** Path of the PEM to hand Warden as WARDEN_KMS_CA_FILE. */
  caFile: string;
}

let made: TestCertificate | undefined;

export function testCertificate(): TestCertificate {
  if (made) return made;
  const dir = mkdtempSync(path.join(tmpdir(), 'warden-kms-tls-'));
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  const r = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', '/CN=warden-test-kms', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', keyFile, '-out', certFile,
  ]);
  if (r.status !== 0) throw new Error(`openssl failed (the KMS test servers need it): ${r.stderr?.toString()}`);
  made = { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), caFile: certFile };
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return made;
}
