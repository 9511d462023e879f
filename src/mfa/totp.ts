import { generate, generateSecret, generateURI, verify } from 'otplib';

/**
 * TOTP (RFC 6238) with the settings every authenticator app understands: HMAC-SHA-1, 6 digits,
 * 30-second steps, 160-bit seeds (RFC 4226 §4 asks for at least 128). Time always comes from the
 * caller (Warden's clock), never from Date.now inside otplib, so tests can move it.
 */
export const TOTP_SETTINGS = { algorithm: 'sha1', digits: 6, period: 30 } as const;

/** ±1 step of clock drift between the phone and the server (RFC 6238 §5.2). */
const TOLERANCE_SECONDS = TOTP_SETTINGS.period;

export const newSeed = (): string => generateSecret({ length: 20 });

export const stepAt = (atMs: number): number => Math.floor(atMs / 1000 / TOTP_SETTINGS.period);

export function otpauthUri(seed: string, issuer: string, account: string): string {
  return generateURI({ issuer, label: account, secret: seed, ...TOTP_SETTINGS });
}

export function totpCode(seed: string, atMs: number): Promise<string> {
  return generate({ secret: seed, epoch: Math.floor(atMs / 1000), ...TOTP_SETTINGS });
}

/**
 * The time step a code belongs to, or null. Steps at or before `afterStep` are refused here
 * (otplib's afterTimeStep); the caller still records the step atomically, because two requests
 * may both get past this check with the same code.
 */
export async function matchTotp(seed: string, token: string, atMs: number, afterStep: number): Promise<number | null> {
  // otplib throws on a token of the wrong length or with non-digits: that is simply a wrong code.
  if (!/^\d{6}$/.test(token)) return null;
  try {
    const result = await verify({
      secret: seed,
      token,
      epoch: Math.floor(atMs / 1000),
      epochTolerance: TOLERANCE_SECONDS,
      afterTimeStep: afterStep,
      ...TOTP_SETTINGS,
    });
    return result.valid && 'timeStep' in result ? result.timeStep : null;
  } catch {
    return null;
  }
}
