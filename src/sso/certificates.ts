import { X509Certificate } from 'node:crypto';

/**
 * IdP signing certificates as admins paste them (PEM, or the bare base64 that metadata and
 * admin consoles show). Each is checked for shape and dates; validation tries the most recent
 * certificate in date first and the other next, which is how IdPs roll their keys.
 */
export type CertificateStatus = 'valid' | 'expiring_soon' | 'expired' | 'not_yet_valid' | 'unparseable';

export interface CertificateReport {
  index: number;
  status: CertificateStatus;
  subject: string | null;
  not_before: string | null;
  not_after: string | null;
  fingerprint_sha256: string | null;
  message: string;
}

const EXPIRY_WARNING_MS = 30 * 86_400_000;

export function toPem(certificate: string): string {
  const body = certificate
    .replace(/-----(BEGIN|END) CERTIFICATE-----/g, '')
    .replace(/\s+/g, '');
  const lines = body.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

interface ParsedCertificate {
  subject: string;
  notBefore: Date;
  notAfter: Date;
  fingerprint: string;
}

// Parsing X.509 on every sign-in showed up in the ACS profile; certificates never change.
const parsed = new Map<string, ParsedCertificate | null>();

function parse(certificate: string): ParsedCertificate | null {
  if (parsed.has(certificate)) return parsed.get(certificate)!;
  let result: ParsedCertificate | null;
  try {
    const x509 = new X509Certificate(toPem(certificate));
    result = { subject: x509.subject.replace(/\n/g, ', '), notBefore: new Date(x509.validFrom), notAfter: new Date(x509.validTo), fingerprint: x509.fingerprint256 };
  } catch {
    result = null;
  }
  if (parsed.size > 1000) parsed.clear();
  parsed.set(certificate, result);
  return result;
}

export function inspectCertificate(certificate: string, index: number, now: Date): CertificateReport {
  const x509 = parse(certificate);
  if (!x509) {
    return { index, status: 'unparseable', subject: null, not_before: null, not_after: null, fingerprint_sha256: null, message: `Certificate ${index + 1} is not a valid X.509 certificate (paste the PEM or base64 DER).` };
  }
  const { notBefore, notAfter } = x509;
  const base = { index, subject: x509.subject, not_before: notBefore.toISOString(), not_after: notAfter.toISOString(), fingerprint_sha256: x509.fingerprint };
  if (notAfter <= now) return { ...base, status: 'expired', message: `Certificate ${index + 1} expired on ${base.not_after}.` };
  if (notBefore > now) return { ...base, status: 'not_yet_valid', message: `Certificate ${index + 1} is valid only from ${base.not_before}.` };
  if (notAfter.getTime() - now.getTime() < EXPIRY_WARNING_MS) return { ...base, status: 'expiring_soon', message: `Certificate ${index + 1} expires on ${base.not_after}, within 30 days: add its successor.` };
  return { ...base, status: 'valid', message: `Certificate ${index + 1} is valid until ${base.not_after}.` };
}

/** Certificates to try, in order: in-date ones, most recently issued first. */
export function certificatesInTrialOrder(certificates: string[], now: Date): string[] {
  return certificates
    .map((c, i) => inspectCertificate(c, i, now))
    .filter((r) => r.status === 'valid' || r.status === 'expiring_soon')
    .sort((a, b) => Date.parse(b.not_before!) - Date.parse(a.not_before!))
    .map((r) => toPem(certificates[r.index]!));
}
