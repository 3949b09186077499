/**
 * `npm run bench:ui`: the explorer on a large run. A store with 10,000 cases × 6 steps (one trial) is
 * written, then case-table pages are rendered server-side (route handler, SQL paging, HTML) and timed:
 * the first page, a filtered and sorted page deep in the run, and a text search, each the median of
 * 15 requests (2 and 200 cases under --quick) against the 200 ms target.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StepRecord } from '../src/chain/types.ts';
import { Store } from '../src/eval/store.ts';
import type { CaseResult } from '../src/eval/types.ts';
import { variantHash } from '../src/eval/variant.ts';
import { createUiApp } from '../src/ui/app.ts';
import { openWorkspaces } from '../src/ui/workspaces.ts';
import { sized } from './quick.ts';

const CASES = sized(10_000, 200);
const RENDERS = sized(15, 2);
const STEPS = 6;
const TARGET_MS = 200;
const root = mkdtempSync(join(tmpdir(), 'fapo-bench-ui-'));

function step(i: number, k: number): StepRecord {
  return {
    name: `step${k}`,
    kind: k % 3 === 0 ? 'retrieve' : 'llm',
    iteration: 0,
    inputs: { question: `question number ${i} about entity ${i % 97}` },
    messages: [
      { role: 'system', content: 'You answer questions about a synthetic encyclopedia. Be brief.' },
      { role: 'user', content: `Question ${i}: where was person ${i % 97} born? Notes: ${'lorem ipsum '.repeat(20)}` },
    ],
    output: `answer ${i}-${k}`,
    tokens: { input: 120, output: 8 },
    costUsd: 0.00002,
    latencyMs: 3 + ((i + k) % 11),
    cacheHit: (i + k) % 3 === 0,
    diagnostics: [],
  };
}

try {
  const dir = join(root, 'large-ws');
  const store = Store.open(dir);
  const content = { chainPath: 'chain.ts', chainSource: 'export default {}', prompts: { a: 'x' }, params: {} };
  const variant = store.putVariant({
    ...content,
    hash: variantHash(content),
    parent: null,
    level: 'baseline',
    createdBy: 'bench',
  });
  const caseIds = Array.from({ length: CASES }, (_, i) => `case-${String(i).padStart(5, '0')}`);
  const run = store.openRun({
    variant: variant.hash,
    split: 'val',
    trials: 1,
    model: 'bench:instant',
    sampling: { temperature: 0 },
    datasetFingerprint: 'f'.repeat(64),
    caseIds,
  });
  const started = performance.now();
  const results: CaseResult[] = caseIds.map((caseId, i) => ({
    caseId,
    trial: 0,
    status: i % 9 === 0 ? 'task_error' : 'ok',
    output: { answer: `answer ${i}` },
    score: i % 9 === 0 ? null : (i % 5) / 4,
    steps: Array.from({ length: STEPS }, (_, k) => step(i, k)),
    diagnostics: [],
    latencyMs: 20 + (i % 50),
  }));
  store.putResults(run.id, results);
  store.close();
  console.log(
    `fapo bench:ui: ${CASES} cases × ${STEPS} steps written in ${((performance.now() - started) / 1000).toFixed(1)} s; each figure is the median of ${RENDERS} server-side renders (route, SQL, HTML), target < ${TARGET_MS} ms\n`,
  );

  const workspaces = openWorkspaces([dir]);
  const app = createUiApp({ workspaces });
  const time = async (path: string) => {
    const ms: number[] = [];
    for (let i = 0; i <= RENDERS; i++) {
      const t = performance.now();
      const res = await app.request(path);
      await res.text();
      if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}`);
      if (i > 0) ms.push(performance.now() - t); // the first request warms the statement cache
    }
    return ms.sort((a, b) => a - b)[Math.floor(ms.length / 2)]!;
  };
  const base = `/w/large-ws/run/${run.id}`;
  for (const [label, path] of [
    ['first page of the case table', base],
    [
      `status=ok, sorted by score desc, page at offset ${CASES / 2}`,
      `${base}?status=ok&sort=score&desc=1&offset=${CASES / 2}`,
    ],
    ['text search in outputs and steps ("answer 777")', `${base}?q=answer%20777`],
    [
      'one case view (6 steps with messages)',
      `${base}/case/case-${String(Math.floor(CASES * 0.4242)).padStart(5, '0')}?trial=0`,
    ],
  ] as const) {
    const ms = await time(path);
    console.log(
      `${ms < TARGET_MS ? 'MET    ' : 'NOT MET'}  ${label.padEnd(58)} ${ms.toFixed(1).padStart(7)} ms  target < ${TARGET_MS} ms`,
    );
  }
  for (const w of workspaces) w.store.close();
} finally {
  rmSync(root, { recursive: true, force: true });
}
