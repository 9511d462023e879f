import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface KeyPair {
  key: string;
  cert: string;
  /** The certificate's base64 DER body, as metadata and admin consoles show it. */
  certBase64: string;
}

/** A self-signed RSA key and certificate from the machine's openssl (test IdPs and STSs sign with it). */
export function makeKeyPair(commonName: string, days = 365): KeyPair {
  const dir = mkdtempSync(path.join(tmpdir(), 'warden-cert-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', String(days), '-subj', `/CN=${commonName}`], { stdio: 'ignore' });
    const key = readFileSync(path.join(dir, 'key.pem'), 'utf8');
    const cert = readFileSync(path.join(dir, 'cert.pem'), 'utf8');
    return { key, cert, certBase64: cert.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
