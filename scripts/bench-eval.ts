/**
 * `npm run bench:eval`: the evaluation core's performance figures, each printed next to its target.
 *
 * 1. Framework overhead per model step on a 6-step chain (2 retrieve + 4 llm) with an instant model
 *    (process start excluded): in-process as Ax's figure is taken (chain, templates, step records,
 *    model client; no cache, no store), in-process through evaluate() with the cache, journal,
 *    results store and scorer, and through the sandbox with all of that; plus the bare IPC round trip
 *    of this machine, which bounds the sandbox figure (the example chain's flow makes 7 round trips a case:
 *    run, 6 host steps; it prints round trips per model step as counted).
 * 2. 2,000 cases against a fake OpenAI-compatible server answering in 200 ms (in a process of its
 *    own, as a provider is), concurrency 32: wall time against the bound calls × 200 ms / 32, with
 *    where the time beyond it went (slower calls, idle slots by phase, event-loop delay on both
 *    sides, fapo's CPU per call) and the same calls made with bare fetch() as this machine's floor.
 * 3. Re-evaluating a variant that changed only its final step: model calls paid.
 * 4. Memory: 10,000 cases × 6 steps, resident memory, repeated runs in one process.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import pLimit from 'p-limit';
import { join } from 'node:path';
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { fork } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { CaseHost } from '../src/chain/host.ts';
import { InProcessExecutor } from '../src/chain/in-process.ts';
import { hotLoop } from '../src/chain/sandbox/hot-loop.ts';
import { sandboxIpcCounts } from '../src/chain/sandbox/child.ts';
import { SandboxExecutor } from '../src/chain/sandbox/index.ts';
import { evaluate } from '../src/eval/runner.ts';
import { Store } from '../src/eval/store.ts';
import { baselineVariant, variantHash } from '../src/eval/variant.ts';
import { createModelClient } from '../src/models/client.ts';
import { UsageMeter } from '../src/models/meter.ts';
import { openBm25Index } from '../src/retrieval/bm25.ts';
import { loadTask } from '../src/task/load.ts';
import { installSimBehaviours } from '../src/testing/index.ts';
import { benchArgs, sized } from './quick.ts';
import { type CallSpan, type SlotBreakdown, slotBreakdown } from './slot-timeline.ts';

installSimBehaviours(); // sim:qa answers the reuse section's calls

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
  /** Parent → child messages answered by the child, per model step, in the sandboxed runs. */
  roundTripsPerStep: number;
  /** evaluate() through the sandbox of the same 6 steps as a chain of declarations (no flow). */
  evaluateSandboxDeclared: number;
  roundTripsPerStepDeclared: number;
}

/**
 * The example's 6 steps for hops = 2 declared in order, without its flow (a step's inputs come from
 * earlier steps rather than flow vars): the shape of most benchmark chains, which the sandbox runs
 * with no IPC per case.
 */
const DECLARED_CHAIN = `import { defineChain, llm, retrieve } from 'fapo';
export default defineChain({
  name: 'multi-hop-qa-declared',
  steps: [
    retrieve('retrieve', { resource: 'wiki', query: '\${input.question}', k: '\${params.k}' }),
    llm('summarize'),
    llm('query'),
    retrieve('retrieve2', { resource: 'wiki', query: '\${steps.query.output}', k: '\${params.k}' }),
    llm('summarize2', { prompt: 'summarize' }),
    llm('answer'),
  ],
});
`;

function declaredVariant(store: Store, base: ReturnType<Store['putVariant']>) {
  const prompts = Object.fromEntries(
    Object.entries(base.prompts).map(([name, text]) => [
      name,
      text.replaceAll('${vars.summary}', '${steps.summarize.output}'),
    ]),
  );
  const content = { chainPath: 'chain-declared.ts', chainSource: DECLARED_CHAIN, prompts, params: base.params };
  return store.putVariant({
    ...content,
    hash: variantHash(content),
    parent: base.hash,
    level: 'structure',
    createdBy: 'bench',
  });
}

/**
 * Median overhead per model step (per-case time / 4 llm steps) of three paths, run in alternating
 * blocks of cases so that all three see the same machine: a 2-core VM whose speed drifts by up to
 * 2× for seconds at a time, which would otherwise flatter whichever path ran in a quiet spell.
 */
async function overheadFigures(rounds = sized(10, 1), block = sized(200, 10)): Promise<OverheadFigures> {
  const ws = await workspace('overhead', (rounds + 1) * block * 3);
  const store = Store.open(ws.dir);
  const variant = store.putVariant(baselineVariant(ws.task));
  const declared = declaredVariant(store, variant);
  const inProcess = new InProcessExecutor(ws.dir);
  const sandbox = new SandboxExecutor({ taskDir: ws.dir, hide: ['data', '.fapo'] });
  const structure = await inProcess.describe(variant);
  await sandbox.describe(variant); // starts a child: process start is excluded
  await sandbox.describe(declared);
  const bare = createModelClient('sim:echo', { languageModel: instant(), meter: new UsageMeter(), concurrency: 1 });
  const cached = createModelClient('sim:echo', {
    languageModel: instant(),
    cache: store.cache,
    meter: new UsageMeter(),
    concurrency: 1,
  });
  const samples = {
    framework: [] as number[],
    evaluateInProcess: [] as number[],
    evaluateSandbox: [] as number[],
    evaluateSandboxDeclared: [] as number[],
  };
  const trips = { flow: 0, declared: 0 };
  // Disjoint blocks of cases a round, so no path finds answers another path cached.
  const blockOf = (round: number, which: number) =>
    ws.task.datasets.train.cases.slice((3 * round + which) * block, (3 * round + which + 1) * block);
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
    for (const [which, executor, into, evaluated, tripsOf] of [
      [0, inProcess, samples.evaluateInProcess, variant, undefined],
      [1, sandbox, samples.evaluateSandbox, variant, 'flow'],
      [2, sandbox, samples.evaluateSandboxDeclared, declared, 'declared'],
    ] as const) {
      const sentBefore = sandboxIpcCounts.toChildren;
      await evaluate({
        task: ws.task,
        store,
        variant: evaluated,
        split: 'train',
        trials: 1,
        model: cached,
        sampling: { temperature: 0 },
        executor,
        retrievers: ws.retrievers,
        concurrency: 1,
        caseIds: blockOf(round, which).map((c) => c.id),
        onResult: (r) => {
          if (r.status !== 'ok') throw new Error(`bench case ${r.caseId} ended ${r.status}: ${r.error}`);
          if (keep) into.push(r.latencyMs);
        },
      });
      if (keep && tripsOf) trips[tripsOf] += sandboxIpcCounts.toChildren - sentBefore;
    }
  }
  await sandbox.close();
  store.close();
  const perStep = (xs: number[]) => (1000 * median(xs)) / 4;
  return {
    framework: perStep(samples.framework),
    evaluateInProcess: perStep(samples.evaluateInProcess),
    evaluateSandbox: perStep(samples.evaluateSandbox),
    roundTripsPerStep: trips.flow / (samples.evaluateSandbox.length * 4),
    evaluateSandboxDeclared: perStep(samples.evaluateSandboxDeclared),
    roundTripsPerStepDeclared: trips.declared / (samples.evaluateSandboxDeclared.length * 4),
  };
}

/**
 * Median time from a new SandboxExecutor to its chain loaded in a child: the launcher, namespaces,
 * the child's own root (filesystem-view.ts), node's start, the bundle and its import.
 */
async function sandboxStart(runs = sized(10, 2)): Promise<number> {
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
    const warmUp = sized(500, 20);
    for (let i = 0; i < warmUp + sized(2500, 100); i++) {
      const started = performance.now();
      await new Promise<void>((resolve) => {
        child.once('message', () => resolve());
        child.send({ op: 'stepResult', call: i, ok: true, value: 'Ok' });
        keepHot();
      });
      if (i >= warmUp) trips.push(performance.now() - started); // the first ones include the child's start
    }
  } finally {
    child.kill();
  }
  return 1000 * median(trips);
}

const THROUGHPUT_CASES = sized(2000, 64);
const LATENCY_MS = sized(200, 20);

interface ThroughputFigures {
  wallMs: number;
  bound: number;
  calls: number;
  breakdown: SlotBreakdown;
  /** Event-loop delay over the run (ms): how long ready callbacks waited. */
  loopDelay: LoopDelay;
  /** The same in the model server's process: how late its answers went out. */
  serverLoopDelay: LoopDelay;
  /** CPU time of this process (user + system) per model call. */
  cpuMsPerCall: number;
  /** The same calls made right after with bare fetch(), 32 at a time: wall time ÷ bound. */
  bareRatio: number;
}

const SLOTS = 32;

type LoopDelay = { p50: number; p99: number; max: number };

/** The fake model server in its own process (scripts/fake-openai-process.ts); resolves with its URL. */
async function startServerProcess(
  latencyMs: number,
): Promise<{ url: string; loopDelay: () => Promise<LoopDelay>; close: () => void }> {
  const child = fork(join(import.meta.dirname, 'fake-openai-process.ts'), [String(latencyMs)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').once('data', (text: string) => resolve(text.trim()));
    child.once('exit', (code) => reject(new Error(`the fake model server exited (${code}) before it listened`)));
  });
  const loopDelay = () =>
    new Promise<LoopDelay>((resolve) => {
      child.once('message', (stats) => resolve(stats as LoopDelay));
      child.send('stats');
    });
  return { url, loopDelay, close: () => void child.kill() };
}

/**
 * The same number of calls made with bare fetch() (32 at a time, no fapo): this machine's own ratio
 * to the bound at the moment, HTTP, scheduling and load included: the floor fapo's ratio sits on.
 */
async function bareFetchRatio(url: string, calls: number): Promise<number> {
  const limit = pLimit(SLOTS);
  const body = JSON.stringify({ model: 'fake', messages: [{ role: 'user', content: 'In which country?' }] });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: calls }, () =>
      limit(async () => {
        const res = await fetch(`${url}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        await res.json();
      }),
    ),
  );
  return (performance.now() - started) / ((calls * LATENCY_MS) / SLOTS);
}

async function throughput(): Promise<ThroughputFigures> {
  const server = await startServerProcess(LATENCY_MS);
  const ws = await workspace('throughput', THROUGHPUT_CASES);
  writeFileSync(join(ws.dir, 'params.json'), JSON.stringify({ k: 3, hops: 1 }));
  const task = await loadTask(ws.dir);
  const store = Store.open(ws.dir);
  const meter = new UsageMeter();
  const model = createModelClient(`openai-compatible:fake@${server.url}`, {
    cache: store.cache,
    meter,
    concurrency: SLOTS,
  });
  const variant = store.putVariant(baselineVariant(task));
  const executor = new InProcessExecutor(ws.dir);
  // Every HTTP call to the model, as the client sees it: what occupies one of the 32 slots.
  const spans: CallSpan[] = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (...args: Parameters<typeof fetch>) => {
    const span = { start: performance.now(), end: 0 };
    spans.push(span);
    try {
      return await realFetch(...args); // the fake server writes each answer whole: headers ≈ body
    } finally {
      span.end = performance.now();
    }
  };
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const cpu = process.cpuUsage();
  const started = performance.now();
  try {
    await evaluateSplit({ task, store, variant, model, executor, retrievers: ws.retrievers }, 'train');
  } finally {
    globalThis.fetch = realFetch;
    loop.disable();
  }
  const ended = performance.now();
  const { user, system } = process.cpuUsage(cpu);
  const calls = meter.usage('task').calls;
  const serverLoopDelay = await server.loopDelay();
  const bareRatio = await bareFetchRatio(server.url, calls);
  server.close();
  store.close();
  const ms = (ns: number) => ns / 1e6;
  return {
    wallMs: ended - started,
    bound: (calls * LATENCY_MS) / SLOTS,
    calls,
    breakdown: slotBreakdown(spans, SLOTS, LATENCY_MS, started, ended),
    loopDelay: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) },
    cpuMsPerCall: (user + system) / 1000 / calls,
    serverLoopDelay,
    bareRatio,
  };
}

const REUSE_CASES = sized(100, 10);

async function lastStepReuse(): Promise<{ calls: number; expected: number }> {
  const ws = await workspace('reuse', REUSE_CASES);
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
  return { calls: meter.usage('task').calls - before, expected: REUSE_CASES * 3 };
}

type EvaluateOptions = Parameters<typeof evaluate>[0];

/** One trial of every case of a split at temperature 0, 64 cases at a time. */
function evaluateSplit(
  opts: Pick<EvaluateOptions, 'task' | 'store' | 'variant' | 'model' | 'executor' | 'retrievers'>,
  split: EvaluateOptions['split'],
) {
  return evaluate({ ...opts, split, trials: 1, sampling: { temperature: 0 }, concurrency: 64 });
}

const MEMORY_CASES = sized(10_000, 100);

async function memory(): Promise<number[]> {
  const ws = await workspace('memory', MEMORY_CASES);
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
    await evaluateSplit({ task: ws.task, store, variant, model, executor, retrievers: ws.retrievers }, split);
    global.gc?.();
    rss.push(process.memoryUsage().rss / 2 ** 20);
  }
  store.close();
  return rss;
}

/** `npm run bench:eval -- overhead memory` runs only those sections (default: all). */
const SECTIONS = ['overhead', 'start', 'throughput', 'reuse', 'memory'] as const;
const chosen = benchArgs();
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
      `per model step, sandboxed via evaluate(): + child process IPC (${o.roundTripsPerStep.toFixed(2)} round trips per step)`,
      `${o.evaluateSandbox.toFixed(1)} µs`,
      '≤ 100 µs',
      o.evaluateSandbox <= 100,
    );
    line(
      `  the same 6 steps declared without a flow, sandboxed (${o.roundTripsPerStepDeclared.toFixed(2)} round trips per step)`,
      `${o.evaluateSandboxDeclared.toFixed(1)} µs`,
      '≤ 100 µs',
      o.evaluateSandboxDeclared <= 100,
    );
    const trip = await ipcRoundTrip();
    console.log(
      `         (this machine's bare Node IPC round trip: ${trip.toFixed(0)} µs median; ${o.roundTripsPerStep.toFixed(2)} a model step, i.e. ${(o.roundTripsPerStep * trip).toFixed(0)} µs per model step before any work)`,
    );
  }
  if (runs('start')) {
    const ms = await sandboxStart();
    console.log(
      `         sandbox child start to chain loaded (launcher, namespaces, own root, node, bundle): ${ms.toFixed(0)} ms median`,
    );
  }
  if (runs('throughput')) {
    const t = await throughput();
    const ratio = t.wallMs / t.bound;
    const b = t.breakdown;
    const part = (label: string, value: number) =>
      console.log(
        `         ${label.padEnd(70)} ${`${value >= 0 ? '+' : ''}${(value / 1000).toFixed(2)} s`.padStart(9)}`,
      );
    console.log(
      `         wall time beyond the bound (load average ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}):`,
    );
    part(
      `calls slower than ${LATENCY_MS} ms (mean ${b.meanCallMs.toFixed(1)} ms: HTTP, SDK, late timers)`,
      b.callExcessMs,
    );
    part('idle slots before the first call', b.idleBeforeFirstMs);
    part('idle slots while calls ran (scheduling gaps, event-loop stalls)', b.idleGapsMs);
    part('idle slots in the ramp-down (fewer than 32 calls left to make)', b.idleTailMs);
    part('after the last call (results, scoring, store)', b.idleAfterLastMs);
    const delay = (d: LoopDelay) => `p50 ${d.p50.toFixed(1)} / p99 ${d.p99.toFixed(1)} / max ${d.max.toFixed(0)} ms`;
    console.log(
      `         event-loop delay: fapo's process ${delay(t.loopDelay)}; the model server's ${delay(t.serverLoopDelay)}`,
    );
    console.log(
      `         fapo's CPU: ${t.cpuMsPerCall.toFixed(2)} ms per call (${((100 * t.cpuMsPerCall * t.calls) / t.wallMs).toFixed(0)}% of one core over the run)`,
    );
    console.log(
      `         the same ${t.calls} calls with bare fetch() right after (no fapo): ${t.bareRatio.toFixed(3)}× bound, this machine's floor now; fapo adds ${(ratio - t.bareRatio).toFixed(3)}×`,
    );
    line(
      `${THROUGHPUT_CASES} cases, ${t.calls} calls to a fake server answering in ${LATENCY_MS} ms, concurrency 32: wall time`,
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
      `${MEMORY_CASES} cases × 6 steps, 3 runs in one process: resident set size after each run`,
      `${rss.map((x) => `${x.toFixed(0)}`).join('/')} MB`,
      '< 500 MB, flat',
      max < 500 && growth < 50,
    );
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
