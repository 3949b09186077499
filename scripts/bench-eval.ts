/**
 * `npm run bench:eval`: the evaluation core's performance figures, each printed next to its target.
 *
 * 1. Framework overhead per model step on a 6-step chain (2 retrieve + 4 llm) with an instant model
 *    (process start excluded): in-process as Ax's figure is taken (chain, templates, step records,
 *    model client; no cache, no store), in-process through evaluate() with the cache, journal,
 *    results store and scorer, and through the sandbox with all of that; plus the bare IPC round trip
 *    of this machine, which bounds the sandbox figure (each case makes 7 round trips).
 * 2. 2,000 cases against a fake OpenAI-compatible server answering in 200 ms, concurrency 32:
 *    wall time against the bound calls × 200 ms / 32.
 * 3. Re-evaluating a variant that changed only its final step: model calls paid.
 * 4. Memory: 10,000 cases × 6 steps, resident memory, repeated runs in one process.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { fork } from 'node:child_process';
import { CaseHost } from '../src/chain/host.ts';
import { InProcessExecutor } from '../src/chain/in-process.ts';
import { hotLoop } from '../src/chain/sandbox/hot-loop.ts';
import { SandboxExecutor } from '../src/chain/sandbox/index.ts';
import { evaluate } from '../src/eval/runner.ts';
import { Store } from '../src/eval/store.ts';
import { baselineVariant, variantHash } from '../src/eval/variant.ts';
import { createModelClient } from '../src/models/client.ts';
import { UsageMeter } from '../src/models/meter.ts';
import { openBm25Index } from '../src/retrieval/bm25.ts';
import { loadTask } from '../src/task/load.ts';
import { startFakeOpenAI } from '../test/fixtures/fake-openai.ts';

const EXAMPLE = join(import.meta.dirname, '..', 'examples', 'two-hop-qa');
const root = mkdtempSync(join(tmpdir(), 'fapo-bench-eval-'));
const usage = {
  inputTokens: { total: 5, noCache: 5, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 2, text: 2, reasoning: 0 },
};
/**
 * An instant model. Not MockLanguageModelV3: that keeps every call's options (prompt included) in
 * `doGenerateCalls`, so over 120k calls the mock itself grew the heap by ~150 MB and slowed GC, which
 * the memory and overhead figures then charged to fapo.
 */
const instant = (): LanguageModelV3 => ({
  specificationVersion: 'v3',
  provider: 'bench',
  modelId: 'instant',
  supportedUrls: {},
  doGenerate: async () => ({
    content: [{ type: 'text', text: 'Ok' }],
    finishReason: { unified: 'stop', raw: 'stop' },
    usage,
    warnings: [],
  }),
  doStream: async () => {
    throw new Error('the bench model does not stream');
  },
});

function line(name: string, value: string, target: string, met: boolean): void {
  console.log(`${met ? 'MET    ' : 'NOT MET'}  ${name.padEnd(78)} ${value.padEnd(26)} target ${target}`);
}

/** A workspace with `n` cases per split, 6-step chain (the example's, hops = 2). */
async function workspace(name: string, n: number) {
  const dir = join(root, name);
  cpSync(EXAMPLE, dir, { recursive: true });
  const cases = `${Array.from({ length: n }, (_, i) =>
    JSON.stringify({ id: `c${i}`, input: { question: `In which country was Person ${i} born?` }, expected: 'X' }),
  ).join('\n')}\n`;
  mkdirSync(join(dir, 'data'), { recursive: true });
  for (const split of ['train', 'val', 'test'])
    writeFileSync(join(dir, 'data', `${split}.jsonl`), cases.replaceAll('"id":"c', `"id":"${split}-c`));
  const task = await loadTask(dir);
  const retrievers = new Map([
    [
      'wiki',
      await openBm25Index({
        name: 'wiki',
        corpusPath: join(dir, 'corpus/passages.jsonl'),
        storeDir: join(dir, '.fapo'),
      }),
    ],
  ]);
  return { dir, task, retrievers };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface OverheadFigures {
  /** Chain execution, templates, step records and the model client, without cache or store. */
  framework: number;
  /** evaluate() in-process: the above plus cache, journal, results store and scorer. */
  evaluateInProcess: number;
  /** evaluate() through the sandbox. */
  evaluateSandbox: number;
}

/**
 * Median overhead per model step (per-case time / 4 llm steps) of three paths, run in alternating
 * blocks of cases so that all three see the same machine: a 2-core VM whose speed drifts by up to
 * 2× for seconds at a time, which would otherwise flatter whichever path ran in a quiet spell.
 */
async function overheadFigures(rounds = 10, block = 200): Promise<OverheadFigures> {
  const ws = await workspace('overhead', (rounds + 1) * block * 2);
  const store = Store.open(ws.dir);
  const variant = store.putVariant(baselineVariant(ws.task));
  const inProcess = new InProcessExecutor(ws.dir);
  const sandbox = new SandboxExecutor({ taskDir: ws.dir, hide: ['data', '.fapo'] });
  const structure = await inProcess.describe(variant);
  await sandbox.describe(variant); // starts a child: process start is excluded
  const bare = createModelClient('sim:echo', { languageModel: instant(), meter: new UsageMeter(), concurrency: 1 });
  const cached = createModelClient('sim:echo', {
    languageModel: instant(),
    cache: store.cache,
    meter: new UsageMeter(),
    concurrency: 1,
  });
  const samples = { framework: [] as number[], evaluateInProcess: [] as number[], evaluateSandbox: [] as number[] };
  // Two disjoint blocks of cases a round, so the sandbox finds no answers the in-process run cached.
  const blockOf = (round: number, which: number) =>
    ws.task.datasets.train.cases.slice((2 * round + which) * block, (2 * round + which + 1) * block);
  for (let round = 0; round <= rounds; round++) {
    const keep = round > 0; // round 0 warms up the JIT, the sandbox bundle and the store
    for (const c of blockOf(round, 0)) {
      const host = new CaseHost(
        {
          structure,
          prompts: variant.prompts,
          params: variant.params,
          model: bare,
          sampling: { temperature: 0 },
          retrievers: ws.retrievers,
          trial: 0,
        },
        c.input,
      );
      const started = performance.now();
      await inProcess.run(variant, c.input, host, 300_000);
      if (keep) samples.framework.push(performance.now() - started);
    }
    for (const [which, executor, into] of [
      [0, inProcess, samples.evaluateInProcess],
      [1, sandbox, samples.evaluateSandbox],
    ] as const) {
      await evaluate({
        task: ws.task,
        store,
        variant,
        split: 'train',
        trials: 1,
        model: cached,
        sampling: { temperature: 0 },
        executor,
        retrievers: ws.retrievers,
        concurrency: 1,
        caseIds: blockOf(round, which).map((c) => c.id),
        onResult: (r) => keep && into.push(r.latencyMs),
      });
    }
  }
  await sandbox.close();
  store.close();
  const perStep = (xs: number[]) => (1000 * median(xs)) / 4;
  return {
    framework: perStep(samples.framework),
    evaluateInProcess: perStep(samples.evaluateInProcess),
    evaluateSandbox: perStep(samples.evaluateSandbox),
  };
}

/**
 * Median time from a new SandboxExecutor to its chain loaded in a child: the launcher, namespaces,
 * the child's own root (filesystem-view.ts), node's start, the bundle and its import.
 */
async function sandboxStart(runs = 10): Promise<number> {
  const ws = await workspace('start', 10);
  const variant = baselineVariant(ws.task);
  const times: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const sandbox = new SandboxExecutor({ taskDir: ws.dir, hide: ['data', '.fapo'] });
    const started = performance.now();
    await sandbox.describe(variant);
    if (i > 0) times.push(performance.now() - started); // the first builds fapo's runtime bundle
    await sandbox.close();
  }
  return median(times);
}

/** Median round trip of a small message between this process and a plain child over Node's IPC. */
async function ipcRoundTrip(): Promise<number> {
  // Both sides poll for 1 ms after a message, as the sandbox does (src/chain/sandbox/hot-loop.ts).
  const child = fork(join(import.meta.dirname, 'ipc-echo.ts'), {
    serialization: 'advanced',
    execArgv: ['--import', 'tsx'],
  });
  const keepHot = hotLoop(1);
  const trips: number[] = [];
  try {
    for (let i = 0; i < 3000; i++) {
      const started = performance.now();
      await new Promise<void>((resolve) => {
        child.once('message', () => resolve());
        child.send({ op: 'stepResult', call: i, ok: true, value: 'Ok' });
        keepHot();
      });
      if (i >= 500) trips.push(performance.now() - started); // the first 500 include the child's start
    }
  } finally {
    child.kill();
  }
  return 1000 * median(trips);
}

async function throughput(): Promise<{ wallMs: number; bound: number; calls: number }> {
  const server = await startFakeOpenAI({ latencyMs: 200, respond: () => ({ text: 'Paris' }) });
  const ws = await workspace('throughput', 2000);
  writeFileSync(join(ws.dir, 'params.json'), JSON.stringify({ k: 3, hops: 1 }));
  const task = await loadTask(ws.dir);
  const store = Store.open(ws.dir);
  const meter = new UsageMeter();
  const model = createModelClient(`openai-compatible:fake@${server.url}`, {
    cache: store.cache,
    meter,
    concurrency: 32,
  });
  const variant = store.putVariant(baselineVariant(task));
  const executor = new InProcessExecutor(ws.dir);
  const started = performance.now();
  await evaluate({
    task,
    store,
    variant,
    split: 'train',
    trials: 1,
    model,
    sampling: { temperature: 0 },
    executor,
    retrievers: ws.retrievers,
    concurrency: 64,
  });
  const wallMs = performance.now() - started;
  const calls = meter.usage('task').calls;
  await server.close();
  store.close();
  return { wallMs, bound: (calls * 200) / 32, calls };
}

async function lastStepReuse(): Promise<{ calls: number; expected: number }> {
  const ws = await workspace('reuse', 100);
  const store = Store.open(ws.dir);
  const meter = new UsageMeter();
  const model = createModelClient('sim:qa', { cache: store.cache, meter });
  const executor = new InProcessExecutor(ws.dir);
  const base = store.putVariant(baselineVariant(ws.task));
  const run = (variant: typeof base) =>
    evaluate({
      task: ws.task,
      store,
      variant,
      split: 'train',
      trials: 3,
      model,
      sampling: { temperature: 1 },
      executor,
      retrievers: ws.retrievers,
      concurrency: 16,
    });
  await run(base);
  const before = meter.usage('task').calls;
  const prompts = { ...base.prompts, answer: `${base.prompts.answer}\nRespond with only the short answer.` };
  const content = { chainPath: base.chainPath, chainSource: base.chainSource, prompts, params: base.params };
  const changed = store.putVariant({
    ...content,
    hash: variantHash(content),
    parent: base.hash,
    level: 'prompt',
    createdBy: 'bench',
  });
  await run(changed);
  store.close();
  return { calls: meter.usage('task').calls - before, expected: 100 * 3 };
}

async function memory(): Promise<number[]> {
  const ws = await workspace('memory', 10_000);
  const store = Store.open(ws.dir);
  const model = createModelClient('sim:echo', {
    languageModel: instant(),
    cache: store.cache,
    meter: new UsageMeter(),
    concurrency: 64,
  });
  const executor = new InProcessExecutor(ws.dir);
  const rss: number[] = [];
  for (const split of ['train', 'val', 'test'] as const) {
    const variant = store.putVariant(baselineVariant(ws.task));
    await evaluate({
      task: ws.task,
      store,
      variant,
      split,
      trials: 1,
      model,
      sampling: { temperature: 0 },
      executor,
      retrievers: ws.retrievers,
      concurrency: 64,
    });
    global.gc?.();
    rss.push(process.memoryUsage().rss / 2 ** 20);
  }
  store.close();
  return rss;
}

/** `npm run bench:eval -- overhead memory` runs only those sections (default: all). */
const SECTIONS = ['overhead', 'start', 'throughput', 'reuse', 'memory'] as const;
const chosen = process.argv.slice(2);
for (const name of chosen)
  if (!(SECTIONS as readonly string[]).includes(name))
    throw new Error(`unknown section "${name}" (sections: ${SECTIONS.join(', ')})`);
const runs = (section: (typeof SECTIONS)[number]) => chosen.length === 0 || chosen.includes(section);

try {
  console.log(
    'fapo bench:eval (2-core machine; figures vary with load).\nOverhead per model step = median over cases of (case wall time ÷ 4 llm steps) on a 2-retrieve + 4-llm chain with a model that answers at once; it includes the 2 BM25 searches of a case; process start excluded.\n',
  );
  if (runs('overhead')) {
    const o = await overheadFigures();
    line(
      'per model step, in-process: chain, templates, step records, model client (no cache/store)',
      `${o.framework.toFixed(1)} µs`,
      '≤ 50 µs',
      o.framework <= 50,
    );
    line(
      'per model step, in-process via evaluate(): + response cache, journal, results store, scorer',
      `${o.evaluateInProcess.toFixed(1)} µs`,
      '≤ 50 µs',
      o.evaluateInProcess <= 50,
    );
    line(
      'per model step, sandboxed via evaluate(): + child process IPC (7 round trips per case)',
      `${o.evaluateSandbox.toFixed(1)} µs`,
      '≤ 100 µs',
      o.evaluateSandbox <= 100,
    );
    const trip = await ipcRoundTrip();
    console.log(
      `         (this machine's bare Node IPC round trip: ${trip.toFixed(0)} µs median; a sandboxed case makes 7, i.e. ${((7 * trip) / 4).toFixed(0)} µs per model step before any work)`,
    );
  }
  if (runs('start')) {
    const ms = await sandboxStart();
    console.log(
      `         sandbox child start to chain loaded (launcher, namespaces, own root, node, bundle): ${ms.toFixed(0)} ms median of 10`,
    );
  }
  if (runs('throughput')) {
    const t = await throughput();
    const ratio = t.wallMs / t.bound;
    line(
      `2,000 cases, ${t.calls} calls to a fake server answering in 200 ms, concurrency 32: wall time`,
      `${(t.wallMs / 1000).toFixed(2)} s (${ratio.toFixed(3)}× bound)`,
      `≤ 1.1× ${(t.bound / 1000).toFixed(1)} s`,
      ratio <= 1.1,
    );
  }
  if (runs('reuse')) {
    const r = await lastStepReuse();
    line(
      're-evaluating a variant that changed only its final step: model calls paid',
      `${r.calls}`,
      `= cases × trials = ${r.expected}`,
      r.calls === r.expected,
    );
  }
  if (runs('memory')) {
    const rss = await memory();
    const max = Math.max(...rss);
    const growth = rss[2]! - rss[0]!;
    line(
      '10,000 cases × 6 steps, 3 runs in one process: resident set size after each run',
      `${rss.map((x) => `${x.toFixed(0)}`).join('/')} MB`,
      '< 500 MB, flat',
      max < 500 && growth < 50,
    );
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
