import { ciphertextMalformed } from './errors.ts';

/**
 * Self-describing ciphertext: `wk1.<data key id>.<data key version>.<base64url(nonce‖ct‖tag)>`.
 * The header names the format and the exact data key, so a value decrypts after rotations and
 * provider switches without any side table; the header and the record's place (tenant, table,
 * column, id) are the AES-GCM associated data, so a value copied to another row, column or tenant
 * — or given a different header — fails to decrypt instead of leaking into the wrong place.
 */
export const FORMAT = 'wk1';

export interface RecordPlace {
  table: string;
  column: string;
  id: string;
}

export interface ParsedCiphertext {
  dataKeyId: string;
  dataKeyVersion: number;
  header: string;
  body: Buffer;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const headerOf = (dataKeyId: string, version: number) => `${FORMAT}.${dataKeyId}.${version}`;

export function format(header: string, body: Buffer): string {
  return `${header}.${body.toString('base64url')}`;
}

export function parse(value: string): ParsedCiphertext {
  const parts = typeof value === 'string' ? value.split('.') : [];
  if (parts.length !== 4 || parts[0] !== FORMAT || !UUID.test(parts[1]!) || !/^\d{1,9}$/.test(parts[2]!)) throw ciphertextMalformed();
  return { dataKeyId: parts[1]!, dataKeyVersion: Number(parts[2]), header: `${parts[0]}.${parts[1]}.${parts[2]}`, body: Buffer.from(parts[3]!, 'base64url') };
}

/** Length-unambiguous encoding of the place (JSON of an array), prefixed by the header. */
export function associatedData(header: string, tenantId: string, place: RecordPlace): Buffer {
  return Buffer.from(JSON.stringify([header, tenantId, place.table, place.column, place.id]));
}
