import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Papa from 'papaparse';
import { z } from 'zod';
import { FapoError } from '../../util/errors.ts';

function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, where: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new FapoError(
      `${where}: unexpected record: ${z.prettifyError(parsed.error)}`,
      'Re-copy the source file from the shared data folder.',
    );
  return parsed.data;
}

export function readJsonl<T extends z.ZodType>(path: string, schema: T): z.infer<T>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((line, i) => [line, i] as const)
    .filter(([line]) => line.trim() !== '')
    .map(([line, i]) => {
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch (err) {
        throw new FapoError(`${path}:${i + 1}: not valid JSON (${(err as Error).message})`);
      }
      return parseOrThrow(schema, raw, `${path}:${i + 1}`);
    });
}

export function readJson<T extends z.ZodType>(path: string, schema: T): z.infer<T> {
  return parseOrThrow(schema, JSON.parse(readFileSync(path, 'utf8')), path);
}

/** CSV/TSV with a header row and RFC-4180 quoting (fields may span lines). Row numbers in errors are 1-based data rows. */
export function readDelimited<T extends z.ZodType>(path: string, delimiter: ',' | '\t', schema: T): z.infer<T>[] {
  const result = Papa.parse<Record<string, string>>(readFileSync(path, 'utf8'), {
    header: true,
    delimiter,
    skipEmptyLines: true,
  });
  const fatal = result.errors.find((e) => e.type !== 'Delimiter');
  if (fatal) throw new FapoError(`${path}: row ${(fatal.row ?? 0) + 1}: ${fatal.message}`);
  return result.data.map((row, i) => parseOrThrow(schema, row, `${path}: data row ${i + 1}`));
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}
