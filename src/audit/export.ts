import type { AuditEventView } from './schema.ts';

const COLUMNS = ['seq', 'occurred_at', 'operation', 'outcome', 'error_code', 'target', 'actor', 'input', 'request_id', 'ip', 'user_agent'] as const;

function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  // Quote always; neutralise spreadsheet formulas (CSV injection) by prefixing a quote.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return `"${safe.replaceAll('"', '""')}"`;
}

export function toCsv(events: AuditEventView[]): string {
  const lines = [COLUMNS.join(',')];
  for (const e of events) lines.push(COLUMNS.map((c) => csvCell(e[c])).join(','));
  return lines.join('\r\n') + '\r\n';
}

export const toJsonLines = (events: AuditEventView[]) => events.map((e) => JSON.stringify(e)).join('\n') + (events.length ? '\n' : '');
