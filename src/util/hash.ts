import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { FapoError } from './errors.ts';

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** sha256 (hex) of the RFC 8785 canonical JSON of `value`: equal values hash equally. */
export function canonicalHash(value: unknown): string {
  let json: string | undefined;
  try {
    json = canonicalize(value);
  } catch (err) {
    throw new FapoError(`cannot hash a value: ${(err as Error).message}`);
  }
  if (json === undefined) throw new FapoError('cannot hash a value that has no JSON form');
  return sha256(json);
}
