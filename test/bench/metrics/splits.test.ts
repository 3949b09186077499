import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { apportion } from '../../../src/bench/data/ctibench.ts';
import { hoverSplitSizes } from '../../../src/bench/data/hover.ts';
import { seededShuffle } from '../../../src/bench/data/shuffle.ts';
import {
  BENCHMARK_TASKS,
  buildTaskSplits,
  type BenchmarkTask,
  type TaskSplits,
} from '../../../src/bench/data/splits.ts';
import { CaseSchema, SPLITS } from '../../../src/task/schema.ts';

const benchmarksDir = resolve(import.meta.dirname, '..', '..', '..', 'benchmarks');
const built = new Map<BenchmarkTask, TaskSplits>(
  BENCHMARK_TASKS.map((t) => [t, buildTaskSplits(t, { benchmarksDir })]),
);
const get = (task: BenchmarkTask) => built.get(task)!;
const ids = (r: TaskSplits) => Object.fromEntries(SPLITS.map((s) => [s, r.splits[s].map((c) => c.id)]));
const sizes = (r: TaskSplits) => SPLITS.map((s) => r.splits[s].length);

describe('benchmark splits', () => {
  it('have the documented sizes', () => {
    assert.deepEqual(sizes(get('hotpotqa')), [150, 300, 300]);
    assert.deepEqual(sizes(get('hover')), [30, 60, 61]);
    assert.deepEqual(sizes(get('ifbench')), [50, 100, 150]);
    assert.deepEqual(sizes(get('pupa')), [111, 111, 221]);
    assert.deepEqual(sizes(get('aime')), [45, 45, 150]);
    assert.deepEqual(sizes(get('livebench-math')), [121, 121, 126]);
    assert.deepEqual(sizes(get('ctibench')), [87, 86, 827]);
  });

  it('never share a case id between splits, and every case fits CaseSchema', () => {
    for (const task of BENCHMARK_TASKS) {
      const all = SPLITS.flatMap((s) => get(task).splits[s].map((c) => c.id));
      assert.equal(new Set(all).size, all.length, task);
      for (const s of SPLITS)
        for (const c of get(task).splits[s]) assert.ok(CaseSchema.safeParse(c).success, `${task}/${c.id}`);
    }
  });

  it('reproduce the committed data files (same seed → same ids)', () => {
    for (const task of BENCHMARK_TASKS) {
      const manifest = JSON.parse(readFileSync(join(benchmarksDir, task, 'data', 'splits.json'), 'utf8'));
      assert.deepEqual(manifest.ids, ids(get(task)), task);
      const firstTrain = JSON.parse(
        readFileSync(join(benchmarksDir, task, 'data', 'train.jsonl'), 'utf8').split('\n')[0]!,
      );
      assert.deepEqual(firstTrain, JSON.parse(JSON.stringify(get(task).splits.train[0])), task);
    }
  });

  it('change with the seed where the split is drawn at random', () => {
    for (const task of ['pupa', 'ctibench', 'ifbench'] as const) {
      const again = buildTaskSplits(task, { benchmarksDir, seed: 0 });
      assert.deepEqual(ids(again), ids(get(task)), `${task} seed 0 twice`);
      const other = buildTaskSplits(task, { benchmarksDir, seed: 1 });
      assert.notDeepEqual(ids(other).test, ids(get(task)).test, `${task} seed 1`);
    }
  });

  it('follow the shipped GEPA id lists for AIME and LiveBench-Math', () => {
    const aimeSplit = JSON.parse(readFileSync(join(benchmarksDir, 'aime', 'source', 'gepa_split.json'), 'utf8'));
    assert.deepEqual(
      ids(get('aime')).train,
      aimeSplit.train_ids.map((i: number) => `aime-${i}`),
    );
    assert.equal(get('aime').splits.test[30]!.id, 'aime2025-1-run2');
    assert.ok(get('aime').splits.train.every((c) => typeof c.metadata.solution === 'string'));
    assert.ok(
      get('aime').splits.val.every((c) => c.metadata.solution === undefined),
      'solutions are shown for training examples only',
    );
    const lb = JSON.parse(
      readFileSync(join(benchmarksDir, 'livebench-math', 'source', 'gepa_split_seed0.json'), 'utf8'),
    );
    assert.deepEqual(ids(get('livebench-math')).test, lb.test);
  });

  it('keep gold evidence out of HotpotQA and HoVer inputs', () => {
    const hq = get('hotpotqa').splits.val[0]!;
    assert.deepEqual(Object.keys(hq.input), ['question']);
    assert.ok((hq.metadata.supportingTitles as string[]).length >= 2);
    const hv = get('hover').splits.test[0]!;
    assert.deepEqual(Object.keys(hv.input), ['claim']);
    const files = new Set(get('hotpotqa').splits.train.map((c) => c.metadata.sourceFile));
    assert.deepEqual(
      [...files],
      ['hotpot_distractor_val_sample_train.jsonl'],
      'questions are never mixed across files',
    );
  });

  it('keep IFBench test instruction types unseen in train and val', () => {
    const types = (s: 'train' | 'val' | 'test') =>
      new Set(
        get('ifbench').splits[s].flatMap((c) => (c.expected as { instructionIdList: string[] }).instructionIdList),
      );
    const test = types('test');
    for (const s of ['train', 'val'] as const)
      for (const t of types(s)) assert.ok(!test.has(t), `${t} in ${s} and test`);
  });

  it('keep CTIBench CWEs with 3 or fewer cases in test only', () => {
    const r = get('ctibench');
    const cwe = (c: { expected: unknown }) => (c.expected as { cwe: string }).cwe;
    const counts = new Map<string, number>();
    for (const s of SPLITS) for (const c of r.splits[s]) counts.set(cwe(c), (counts.get(cwe(c)) ?? 0) + 1);
    for (const c of [...r.splits.train, ...r.splits.val]) assert.ok(counts.get(cwe(c))! > 3, cwe(c));
  });
});

describe('split helpers', () => {
  it('seededShuffle is a deterministic permutation', () => {
    const xs = Array.from({ length: 20 }, (_, i) => i);
    assert.deepEqual(seededShuffle(xs, 7), seededShuffle(xs, 7));
    assert.notDeepEqual(seededShuffle(xs, 7), seededShuffle(xs, 8));
    assert.deepEqual(
      [...seededShuffle(xs, 7)].sort((a, b) => a - b),
      xs,
    );
  });
  it('apportion distributes exactly the total by largest remainder', () => {
    // quotas 10 * (5, 3, 2) / 10 = 5, 3, 2 exactly; 4 over (5, 3, 2): 2.0, 1.2, 0.8 → 2, 1, 1
    assert.deepEqual(
      [
        ...apportion(
          new Map([
            ['a', 5],
            ['b', 3],
            ['c', 2],
          ]),
          4,
        ),
      ],
      [
        ['a', 2],
        ['b', 1],
        ['c', 1],
      ],
    );
    assert.equal(
      [
        ...apportion(
          new Map([
            ['a', 7],
            ['b', 5],
            ['c', 4],
          ]),
          9,
        ).values(),
      ].reduce((x, y) => x + y),
      9,
    );
  });
  it('HoVer sizes keep the 1 : 2 : 2 proportions', () => {
    assert.deepEqual(hoverSplitSizes(151), { train: 30, val: 60, test: 61 });
    assert.deepEqual(hoverSplitSizes(56), { train: 11, val: 22, test: 23 });
  });
});
