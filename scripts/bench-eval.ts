/**
 * `npm run bench:eval`: the evaluation core's performance figures, each printed next to its target.
 *
 * 1. Framework overhead per model step on a 6-step chain (2 retrieve + 4 llm) with an instant model,
 *    in-process and through the sandbox, tracing and the store included (process start excluded).
 * 2. 2,000 cases against a fake OpenAI-compatible server answering in 200 ms, concurrency 32:
 *    wall time against the bound calls × 200 ms / 32.
 * 3. Re-evaluating a variant that changed only its final step: model calls paid.
 * 4. Memory: 10,000 cases × 6 steps, resident memory, repeated runs in one process.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { InProcessExecutor } from '../src/chain/in-process.ts';
import { SandboxExecutor } from '../src/chain/sandbox/index.ts';
import type { ChainExecutor } from '../src/chain/executor.ts';
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
const usage = { inputTokens: { total: 5, noCache: 5, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 2, text: 2, reasoning: 0 } };
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
  doGenerate: async () => ({ content: [{ type: 'text', text: 'Ok' }], finishReason: { unified: 'stop', raw: 'stop' }, usage, warnings: [] }),
  doStream: async () => {
    throw new Error('the bench model does not stream');
  },
});

function line(name: string, value: string, target: string, met: boolean): void {
  console.log(`${met ? 'MET    ' : 'NOT MET'}  ${name.padEnd(58)} ${value.padEnd(26)} target ${target}`);
}

/** A workspace with `n` cases per split, 6-step chain (the example's, hops = 2). */
async function workspace(name: string, n: number) {
  const dir = join(root, name);
  cpSync(EXAMPLE, dir, { recursive: true });
  const cases = Array.from({ length: n }, (_, i) => JSON.stringify({ id: `c${i}`, input: { question: `In which country was Person ${i} born?` }, expected: 'X' })).join('\n') + '\n';
  mkdirSync(join(dir, 'data'), { recursive: true });
  for (const split of ['train', 'val', 'test']) writeFileSync(join(dir, 'data', `${split}.jsonl`), cases.replaceAll('"id":"c', `"id":"${split}-c`));
  const task = await loadTask(dir);
  const retrievers = new Map([['wiki', await openBm25Index({ name: 'wiki', corpusPath: join(dir, 'corpus/passages.jsonl'), storeDir: join(dir, '.fapo') })]]);
  return { dir, task, retrievers };
}

async function overhead(executorKind: 'in-process' | 'sandbox'): Promise<number> {
  const ws = await workspace(`overhead-${executorKind}`, 600);
  const store = Store.open(ws.dir);
  const executor: ChainExecutor = executorKind === 'sandbox' ? new SandboxExecutor({ taskDir: ws.dir, hide: ['data', '.fapo'] }) : new InProcessExecutor(ws.dir);
  const model = createModelClient('sim:echo', { languageModel: instant(), cache: store.cache, meter: new UsageMeter(), concurrency: 1 });
  const variant = store.putVariant(baselineVariant(ws.task));
  await executor.describe(variant);
  // Warm-up (process start, bundling, JIT) is excluded: evaluate 100 cases first.
  const perCase: number[] = [];
  for (const [i, ids] of [ws.task.datasets.train.cases.slice(0, 100), ws.task.datasets.train.cases.slice(100)].entries()) {
    await evaluate({
      task: ws.task, store, variant, split: 'train', trials: 1, model, sampling: { temperature: 0 }, executor, retrievers: ws.retrievers, concurrency: 1,
      caseIds: ids.map((c) => c.id),
      onResult: (r) => i === 1 && perCase.push(r.latencyMs),
    });
  }
  await executor.close();
  store.close();
  perCase.sort((a, b) => a - b);
  return (1000 * perCase[Math.floor(perCase.length / 2)]!) / 4; // µs per model step (4 llm steps per case)
}

async function throughput(): Promise<{ wallMs: number; bound: number; calls: number }> {
  const server = await startFakeOpenAI({ latencyMs: 200, respond: () => ({ text: 'Paris' }) });
  const ws = await workspace('throughput', 2000);
  writeFileSync(join(ws.dir, 'params.json'), JSON.stringify({ k: 3, hops: 1 }));
  const task = await loadTask(ws.dir);
  const store = Store.open(ws.dir);
  const meter = new UsageMeter();
  const model = createModelClient(`openai-compatible:fake@${server.url}`, { cache: store.cache, meter, concurrency: 32 });
  const variant = store.putVariant(baselineVariant(task));
  const executor = new InProcessExecutor(ws.dir);
  const started = performance.now();
  await evaluate({ task, store, variant, split: 'train', trials: 1, model, sampling: { temperature: 0 }, executor, retrievers: ws.retrievers, concurrency: 64 });
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
    evaluate({ task: ws.task, store, variant, split: 'train', trials: 3, model, sampling: { temperature: 1 }, executor, retrievers: ws.retrievers, concurrency: 16 });
  await run(base);
  const before = meter.usage('task').calls;
  const prompts = { ...base.prompts, answer: base.prompts.answer + '\nRespond with only the short answer.' };
  const content = { chainPath: base.chainPath, chainSource: base.chainSource, prompts, params: base.params };
  const changed = store.putVariant({ ...content, hash: variantHash(content), parent: base.hash, level: 'prompt', createdBy: 'bench' });
  await run(changed);
  store.close();
  return { calls: meter.usage('task').calls - before, expected: 100 * 3 };
}

async function memory(): Promise<number[]> {
  const ws = await workspace('memory', 10_000);
  const store = Store.open(ws.dir);
  const model = createModelClient('sim:echo', { languageModel: instant(), cache: store.cache, meter: new UsageMeter(), concurrency: 64 });
  const executor = new InProcessExecutor(ws.dir);
  const rss: number[] = [];
  for (const split of ['train', 'val', 'test'] as const) {
    const variant = store.putVariant(baselineVariant(ws.task));
    await evaluate({ task: ws.task, store, variant, split, trials: 1, model, sampling: { temperature: 0 }, executor, retrievers: ws.retrievers, concurrency: 64 });
    global.gc?.();
    rss.push(process.memoryUsage().rss / 2 ** 20);
  }
  store.close();
  return rss;
}

try {
  console.log('fapo bench:eval (2-core machine; figures vary with load)\n');
  const inProc = await overhead('in-process');
  line('overhead per model step, in-process (median)', `${inProc.toFixed(1)} µs`, '≤ 50 µs', inProc <= 50);
  const sandboxed = await overhead('sandbox');
  line('overhead per model step, sandbox + tracing + store (median)', `${sandboxed.toFixed(1)} µs`, '≤ 100 µs', sandboxed <= 100);
  const t = await throughput();
  const ratio = t.wallMs / t.bound;
  line(`2,000 cases, ${t.calls} calls at 200 ms, concurrency 32`, `${(t.wallMs / 1000).toFixed(2)} s (${ratio.toFixed(3)}× bound)`, `≤ 1.1× ${(t.bound / 1000).toFixed(1)} s`, ratio <= 1.1);
  const r = await lastStepReuse();
  line('re-evaluation after a final-step change: model calls', `${r.calls}`, `= cases × trials = ${r.expected}`, r.calls === r.expected);
  const rss = await memory();
  const max = Math.max(...rss);
  const growth = rss[2]! - rss[0]!;
  line('10,000 cases × 6 steps: resident memory after runs 1/2/3', rss.map((x) => `${x.toFixed(0)}`).join('/') + ' MB', '< 500 MB, flat', max < 500 && growth < 50);
} finally {
  rmSync(root, { recursive: true, force: true });
}
