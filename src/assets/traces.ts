/**
 * The input contract: one JSON trace per line. A malformed line names its file and line; it stops the
 * run or, when the asset says `malformed: skip`, is left out and listed in the stage's report.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { FapoError } from '../util/errors.ts';
import { type Trace, TraceSchema } from './schema.ts';

export interface SkippedLine {
  where: string;
  error: string;
}

export function readTraces(
  path: string,
  trusted: boolean,
  malformed: 'stop' | 'skip',
): { traces: Trace[]; skipped: SkippedLine[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new FapoError(`${path}: cannot read the traces (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const traces: Trace[] = [];
  const skipped: SkippedLine[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (!raw) continue;
    const where = `${path}:${i + 1}`;
    let problem: string | undefined;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (err) {
      problem = `malformed JSON (${(err as Error).message})`;
    }
    const parsed = problem === undefined ? TraceSchema.safeParse(json) : undefined;
    if (parsed && !parsed.success) problem = z.prettifyError(parsed.error).replace(/\n/g, '; ');
    if (problem !== undefined || !parsed?.success) {
      if (malformed === 'stop')
        throw new FapoError(
          `${where}: ${problem}`,
          'Fix the line, or set `malformed: skip` in asset.yaml to leave such lines out (they are listed in `fapo assets status`).',
        );
      skipped.push({ where, error: problem ?? 'invalid trace' });
      continue;
    }
    const t = parsed.data;
    traces.push({
      id: t.id,
      input: typeof t.input === 'string' ? { text: t.input } : t.input,
      output: t.output,
      metadata: t.metadata,
      feedback: t.feedback === undefined ? [] : Array.isArray(t.feedback) ? t.feedback : [t.feedback],
      trusted,
      where,
    });
  }
  return { traces, skipped };
}

/** Trusted and unlabeled traces together; an id used twice is an error naming both places. */
export function mergeTraces(sets: readonly Trace[][]): Trace[] {
  const seen = new Map<string, string>();
  const all = sets.flat();
  for (const t of all) {
    const earlier = seen.get(t.id);
    if (earlier)
      throw new FapoError(
        `${t.where}: duplicate trace id "${t.id}" (first at ${earlier})`,
        "Trace ids must be unique across the asset's files.",
      );
    seen.set(t.id, t.where);
  }
  return all;
}
