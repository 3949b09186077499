import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { MANIFEST_FILE } from '../task/load.ts';
import { ManifestSchema, SPLITS } from '../task/schema.ts';
import { FapoError } from '../util/errors.ts';
import { BENCHMARK_TASKS, type BenchmarkTask } from './data/types.ts';

/** The `benchmarks/` folder shipped with fapo. */
export const BENCHMARKS_DIR = fileURLToPath(new URL('../../benchmarks/', import.meta.url));

export function benchmarkDir(task: BenchmarkTask): string {
  return join(BENCHMARKS_DIR, task);
}

export function parseBenchmarkTasks(list: string): BenchmarkTask[] {
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0)
    throw new FapoError('--tasks names no task', `Use a comma-separated list of ${BENCHMARK_TASKS.join(', ')}.`);
  for (const n of names) {
    if (!(BENCHMARK_TASKS as readonly string[]).includes(n))
      throw new FapoError(`unknown benchmark task "${n}"`, `Known tasks: ${BENCHMARK_TASKS.join(', ')}.`);
  }
  return [...new Set(names)] as BenchmarkTask[];
}

/** Workspace entries a cell copy needs; `data/` is written separately (possibly limited) and `source/` stays behind. */
const SKIPPED = new Set(['data', 'source', '.fapo', 'DEVIATIONS.md']);

/**
 * Copies a benchmark workspace to `dest` for one bench cell, unless it is already there (a re-run
 * resumes in the same copy). Splits are cut to their first `limit` cases when asked; retrieval
 * resources keep pointing at the shipped corpus (relative to the copy), so no corpus is duplicated.
 * `sharedIndexDir`: BM25 index cache shared by every cell (entries are keyed by corpus hash and
 * settings, so sharing is safe), which saves rebuilding the index per cell.
 * Returns whether the copy was made now.
 */
export function prepareCellWorkspace(
  src: string,
  dest: string,
  opts: { limit?: number; sharedIndexDir?: string } = {},
): boolean {
  if (existsSync(join(dest, MANIFEST_FILE))) return false;
  mkdirSync(dest, { recursive: true });
  for (const entry of readdirSync(src)) {
    if (!SKIPPED.has(entry)) cpSync(join(src, entry), join(dest, entry), { recursive: true });
  }
  const manifestPath = join(src, MANIFEST_FILE);
  const raw = parseYaml(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
  const manifest = ManifestSchema.parse(raw);
  const resources = Object.fromEntries(
    Object.entries(manifest.resources).map(([name, r]) => [name, { ...r, path: relative(dest, resolve(src, r.path)) }]),
  );
  mkdirSync(join(dest, manifest.data), { recursive: true });
  for (const split of SPLITS) {
    const file = join(manifest.data, `${split}.jsonl`);
    const lines = readFileSync(join(src, file), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
    const kept = opts.limit === undefined ? lines : lines.slice(0, opts.limit);
    writeFileSync(join(dest, file), `${kept.join('\n')}\n`);
  }
  writeFileSync(
    join(dest, MANIFEST_FILE),
    stringifyYaml({ ...raw, ...(Object.keys(resources).length ? { resources } : {}) }),
  );
  if (opts.sharedIndexDir) {
    mkdirSync(opts.sharedIndexDir, { recursive: true });
    mkdirSync(join(dest, '.fapo'), { recursive: true });
    symlinkSync(resolve(opts.sharedIndexDir), join(dest, '.fapo', 'indexes'), 'dir');
  }
  if (!existsSync(join(dest, 'package.json')))
    writeFileSync(join(dest, 'package.json'), '{ "type": "module", "private": true }\n');
  return true;
}
