/** Variants: immutable, identified by the hash of their content, numbered in insertion order. */
import type Database from 'better-sqlite3';
import { z } from 'zod';
import { LEVELS } from '../../task/schema.ts';
import { FapoError } from '../../util/errors.ts';
import type { Variant } from '../types.ts';
import { variantHash } from '../variant.ts';
import { now, toJson } from './database.ts';

export type NewVariant = Omit<Variant, 'seq' | 'createdAt'> & { createdAt?: string };

const MIN_PREFIX = 6;

const VariantBodySchema = z.object({
  parent: z.string().nullable(),
  level: z.enum([...LEVELS, 'baseline']),
  chainPath: z.string(),
  chainSource: z.string(),
  prompts: z.record(z.string(), z.string()),
  params: z.record(z.string(), z.unknown()),
  hypothesis: z.string().optional(),
  technique: z.string().optional(),
  createdBy: z.string(),
  createdAt: z.string(),
});
const VariantRowSchema = z.object({ seq: z.number().int(), hash: z.string(), body: z.string() });

export class VariantStore {
  private readonly stmt;

  constructor(private readonly db: Database.Database) {
    this.stmt = {
      byHash: db.prepare('SELECT seq, hash, body FROM variants WHERE hash = ?'),
      bySeq: db.prepare('SELECT seq, hash, body FROM variants WHERE seq = ?'),
      // GLOB is case-sensitive and can use the unique index; the prefix is checked to be hex first.
      byPrefix: db.prepare("SELECT seq, hash, body FROM variants WHERE hash GLOB ? || '*' LIMIT 2"),
      all: db.prepare('SELECT seq, hash, body FROM variants ORDER BY seq'),
      insert: db.prepare('INSERT INTO variants (hash, body) VALUES (?, ?)'),
    };
  }

  /** Stores a variant; idempotent by hash (an existing variant is returned unchanged). */
  put(v: NewVariant): Variant {
    const expected = variantHash(v);
    if (v.hash !== expected) {
      throw new FapoError(
        `variant hash ${v.hash} does not match its content (expected ${expected})`,
        'compute the hash with variantHash() from src/eval/variant.ts',
      );
    }
    return this.db.transaction(() => {
      const existing = this.stmt.byHash.get(v.hash);
      if (existing) return parseVariantRow(existing);
      const { hash, ...rest } = v;
      const body = VariantBodySchema.parse({ ...rest, createdAt: v.createdAt ?? now() });
      this.stmt.insert.run(hash, toJson(body, `variant ${hash}`));
      return parseVariantRow(this.stmt.byHash.get(hash));
    })();
  }

  /**
   * Finds a variant by full hash, unique hash prefix (≥ 6 hex chars), or sequence number (`"3"` or
   * `"v3"`). Digit-only refs shorter than 6 characters are sequence numbers.
   */
  get(ref: string): Variant | undefined {
    const r = ref.trim().toLowerCase();
    const seq = /^v(\d+)$/.exec(r)?.[1] ?? (/^\d{1,5}$/.test(r) ? r : undefined);
    if (seq !== undefined) {
      const row = this.stmt.bySeq.get(Number(seq));
      return row ? parseVariantRow(row) : undefined;
    }
    if (!/^[0-9a-f]+$/.test(r) || r.length < MIN_PREFIX) {
      throw new FapoError(
        `"${ref}" is not a variant reference`,
        `use a sequence number (e.g. v1) or at least ${MIN_PREFIX} hex characters of the variant hash`,
      );
    }
    const rows = this.stmt.byPrefix.all(r);
    if (rows.length > 1) {
      throw new FapoError(`variant prefix "${ref}" is ambiguous`, 'type more characters of the hash');
    }
    return rows.length === 1 ? parseVariantRow(rows[0]) : undefined;
  }

  list(): Variant[] {
    return this.stmt.all.all().map(parseVariantRow);
  }
}

function parseVariantRow(row: unknown): Variant {
  const { seq, hash, body } = VariantRowSchema.parse(row);
  return { hash, seq, ...VariantBodySchema.parse(JSON.parse(body)) };
}
