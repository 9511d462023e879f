/**
 * Where to go after sign-in. Only a path on this server is accepted, so a crafted link cannot
 * turn the login page into an open redirect (`//evil.example`, `/\evil.example`, `https://…`).
 */
export function safeReturnTo(value: string | undefined | null): string {
  if (!value || value.length > 2000) return '/';
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  if (/[\u0000-\u001f\\]/.test(value)) return '/';
  try {
    const resolved = new URL(value, 'http://warden.invalid');
    if (resolved.origin !== 'http://warden.invalid') return '/';
    return resolved.pathname + resolved.search + resolved.hash;
  } catch {
    return '/';
  }
}
