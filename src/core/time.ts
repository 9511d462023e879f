/** Timestamps as the operations' outputs show them (ISO 8601, UTC). Database drivers hand back Date or string. */
export const isoOf = (d: Date | string): string => new Date(d).toISOString();
export const isoOrNull = (d: Date | string | null | undefined): string | null => (d ? isoOf(d) : null);
