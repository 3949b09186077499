import { join } from 'node:path';
import { z } from 'zod';
import type { Case } from '../../task/schema.ts';
import { readDelimited } from './io.ts';
import { seededShuffle } from './shuffle.ts';
import type { BuildOptions, TaskSplits } from './types.ts';

const RowSchema = z.object({
  URL: z.string(),
  Description: z.string(),
  Prompt: z.string(),
  GT: z.string().regex(/^CWE-\d+$/),
});
type Row = z.infer<typeof RowSchema>;

const FILE = 'cti-rcm.tsv';
const DEV_SIZE = 173;
/** CWEs with this many cases or fewer appear only in test (FAPO's stratified split). */
const TEST_ONLY_MAX_CASES = 3;

/** Largest-remainder apportionment of `total` over classes proportionally to their sizes; ties go to the larger, then lower-sorting class. */
export function apportion(sizes: ReadonlyMap<string, number>, total: number): Map<string, number> {
  const sum = [...sizes.values()].reduce((a, b) => a + b, 0);
  const exact = [...sizes].map(([k, n]) => ({ k, n, q: (n * total) / sum }));
  const quota = new Map(exact.map((e) => [e.k, Math.floor(e.q)]));
  let left = total - [...quota.values()].reduce((a, b) => a + b, 0);
  const order = [...exact].sort(
    (a, b) => b.q - Math.floor(b.q) - (a.q - Math.floor(a.q)) || b.n - a.n || a.k.localeCompare(b.k),
  );
  for (const e of order) {
    if (left-- <= 0) break;
    quota.set(e.k, quota.get(e.k)! + 1);
  }
  return quota;
}

export function buildCtibenchSplits({ benchmarksDir, seed = 0 }: BuildOptions): TaskSplits {
  const rows = readDelimited(join(benchmarksDir, 'ctibench', 'source', FILE), '\t', RowSchema);
  const byCwe = new Map<string, Row[]>();
  for (const r of rows) byCwe.set(r.GT, [...(byCwe.get(r.GT) ?? []), r]);
  const eligible = new Map(
    [...byCwe].filter(([, rs]) => rs.length > TEST_ONLY_MAX_CASES).map(([cwe, rs]) => [cwe, rs.length]),
  );
  const quota = apportion(eligible, DEV_SIZE);

  // Dev, class by class (largest first), each class's rows in seeded order; alternate rows go to train and val.
  const classes = [...byCwe.keys()].sort((a, b) => byCwe.get(b)!.length - byCwe.get(a)!.length || a.localeCompare(b));
  const dev: Row[] = [];
  const test: Row[] = [];
  for (const cwe of classes) {
    const shuffled = seededShuffle(byCwe.get(cwe)!, seed);
    const take = quota.get(cwe) ?? 0;
    dev.push(...shuffled.slice(0, take));
    test.push(...shuffled.slice(take));
  }
  const toCase = (r: Row): Case => ({
    id: r.URL.split('/').at(-1)!,
    input: { description: r.Description },
    expected: { cwe: r.GT },
    metadata: { url: r.URL, ctibenchPrompt: r.Prompt },
  });
  const testIds = new Set(test.map((r) => r.URL));
  const train = dev.filter((_, i) => i % 2 === 0).map(toCase);
  const val = dev.filter((_, i) => i % 2 === 1).map(toCase);
  return {
    task: 'ctibench',
    seed,
    splits: {
      train,
      val,
      test: rows.filter((r) => testIds.has(r.URL)).map(toCase),
    },
    extraFiles: [],
    sources: [FILE, 'cwe_catalog_v4.15.jsonl'],
    deviations: [
      `FAPO's exact 173 / 827 split ids are not available; the stratified split is re-created with seed ${seed}: the ${DEV_SIZE} dev cases are apportioned over the ${eligible.size} CWEs that have more than ${TEST_ONLY_MAX_CASES} cases (largest remainder, proportional to class size), and CWEs with ${TEST_ONLY_MAX_CASES} or fewer cases appear only in test.`,
      `FAPO has only dev and test. fapo needs train and val, so dev is divided class by class into alternating halves: train ${train.length}, val ${val.length} (both stratified by CWE); test is the other ${test.length} cases in file order.`,
      "Input is the CVE description; CTIBench's full prompt (fixed instruction + description) is kept in `metadata.ctibenchPrompt` for reference. The metric is exact match of the CWE id on the last line (`lastLineExact` in the breakdown records CTIBench's stricter whole-line rule).",
      'The paper calls the task 263-class; this file has 104 distinct ground-truth CWEs.',
      'CTIBench is CC BY-NC-SA 4.0 (non-commercial); CWE catalogue content is under the MITRE CWE terms of use.',
    ],
  };
}
