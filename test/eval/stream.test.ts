import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Store } from '../../src/eval/store.ts';
import type { CaseResult } from '../../src/eval/types.ts';
import { result, spec, tempWorkspace } from './helpers.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  return process.memoryUsage().heapUsed;
}

const CASES = 20000;
const TRIALS = 3;
const MB = 1024 * 1024;

test('streaming 60k results keeps the heap flat', () => {
  const store = Store.open(tempWorkspace());
  const caseIds = Array.from({ length: CASES }, (_, i) => `case-${i}`);
  const run = store.openRun(spec(caseIds, { trials: TRIALS }));
  const padding = 'evidence '.repeat(60); // ~540 bytes of step output per row

  const writeStart = performance.now();
  for (let trial = 0; trial < TRIALS; trial++) {
    const batch: CaseResult[] = caseIds.map((id, i) => {
      const r = result(id, trial, 'ok', (i % 10) / 10);
      r.steps[0]!.output = padding;
      return r;
    });
    store.putResults(run.id, batch);
  }
  const writeMs = performance.now() - writeStart;

  const before = heapAfterGc();
  let peak = before;
  let rows = 0;
  let scoreSum = 0;
  const readStart = performance.now();
  for (const r of store.results(run.id)) {
    rows++;
    scoreSum += r.score ?? 0;
    if (rows % 10000 === 0) peak = Math.max(peak, heapAfterGc());
  }
  const readMs = performance.now() - readStart;
  const growth = peak - before;

  assert.equal(rows, CASES * TRIALS);
  assert.ok(Math.abs(scoreSum - TRIALS * CASES * 0.45) < 1e-6);
  // Holding all 60k results would retain well over 60 MB; streaming must stay within a few MB.
  assert.ok(growth < 8 * MB, `heap grew by ${(growth / MB).toFixed(1)} MB while streaming`);

  // Control: retaining the rows does blow the bound, so the bound measures something.
  const retained = store.resultsFor(run.id, caseIds);
  const retainedGrowth = heapAfterGc() - before;
  assert.equal(retained.length, rows);
  assert.ok(retainedGrowth > 8 * MB, `retaining all rows grew the heap by only ${(retainedGrowth / MB).toFixed(1)} MB`);
  retained.length = 0;

  const summaryStart = performance.now();
  const summary = store.summarize(run.id);
  const summaryMs = performance.now() - summaryStart;
  assert.equal(summary.counts.ok, CASES * TRIALS);
  assert.ok(Math.abs(summary.mean! - 0.45) < 1e-9);

  console.log(
    `store throughput: wrote ${rows} results in ${writeMs.toFixed(0)} ms (${Math.round(rows / (writeMs / 1000))}/s), ` +
      `streamed them in ${readMs.toFixed(0)} ms (${Math.round(rows / (readMs / 1000))}/s), ` +
      `summarize ${summaryMs.toFixed(0)} ms, heap growth ${(growth / MB).toFixed(2)} MB`,
  );
  store.close();
});
