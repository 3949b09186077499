import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { FapoError } from './errors.ts';

export interface JsonlRow<T> {
  line: number;
  value: T;
}

/**
 * Parses a JSONL file, validating every non-blank line. Errors name `file:line` and what is wrong,
 * so a user can fix the exact line.
 */
export function readJsonl<S extends z.ZodType>(
  path: string,
  schema: S,
  text = readFileSync(path, 'utf8'),
): JsonlRow<z.infer<S>>[] {
  const rows: JsonlRow<z.infer<S>>[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (!raw) continue;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (err) {
      throw new FapoError(
        `${path}:${i + 1}: malformed JSON (${(err as Error).message})`,
        'Each line must be one complete JSON object.',
      );
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new FapoError(`${path}:${i + 1}: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`);
    rows.push({ line: i + 1, value: parsed.data });
  }
  return rows;
}
