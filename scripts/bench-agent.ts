/**
 * `npm run bench:agent`: the agent-step runtime's overhead, each figure next to its target.
 *
 * A one-step chain whose agent makes 4 turns of 2 tool calls each, then answers (5 model turns,
 * 8 tool calls a case), with a model that answers at once and a tool that does nothing, so what is
 * measured is fapo's own work:
 * - per tool call: the loop's timing of the call (argument validation, the tool wrapper, and in the
 *   sandbox the IPC round trip to the child where workspace tools run), median over calls;
 * - per model turn: (case wall time − its tool calls) ÷ turns: prompt assembly, cache key, metering,
 *   the model client, wire renaming and the trace, median over cases.
 * Both in-process and sandboxed; no response cache or store (evaluate() adds what bench:eval measures).
 */
import type { LanguageModelV3, LanguageModelV3CallOptions } from '@ai-sdk/provider';
import { CaseHost } from '../src/chain/host.ts';
import { InProcessExecutor } from '../src/chain/in-process.ts';
import { SandboxExecutor } from '../src/chain/sandbox/index.ts';
import type { ChainExecutor } from '../src/chain/executor.ts';
import { baselineVariant, variantHash } from '../src/eval/variant.ts';
import { createModelClient } from '../src/models/client.ts';
import { UsageMeter } from '../src/models/meter.ts';
import { loadTask } from '../src/task/load.ts';
import { agentWorkspace } from '../test/chain/agent/helpers.ts';
import { sized } from './quick.ts';

const TURNS_WITH_TOOLS = 4;
const CALLS_PER_TURN = 2;

const usage = {
  inputTokens: { total: 5, noCache: 5, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 2, text: 2, reasoning: 0 },
};

/** Calls `noop` CALLS_PER_TURN times a turn until it has seen TURNS_WITH_TOOLS turns of results. */
const instantAgent = (): LanguageModelV3 => ({
  specificationVersion: 'v3',
  provider: 'bench',
  modelId: 'instant-agent',
  supportedUrls: {},
  doGenerate: async (options: LanguageModelV3CallOptions) => {
    const results = options.prompt.filter((m) => m.role === 'tool').length;
    const content =
      results < TURNS_WITH_TOOLS * CALLS_PER_TURN
        ? Array.from({ length: CALLS_PER_TURN }, (_, i) => ({
            type: 'tool-call' as const,
            toolCallId: `x${i}`,
            toolName: 'noop',
            input: `{"n":${results + i}}`,
          }))
        : [{ type: 'text' as const, text: 'done' }];
    return { content, finishReason: { unified: 'stop', raw: 'stop' }, usage, warnings: [] };
  },
  doStream: async () => {
    throw new Error('the bench model does not stream');
  },
});

const NOOP_TOOL = `import { defineTool, z } from 'fapo';
export default defineTool({ name: 'noop', description: 'Does nothing.', input: z.object({ n: z.number() }), run: ({ n }) => n });
`;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function line(name: string, value: string, target: string, met: boolean | undefined): void {
  const mark = met === undefined ? 'INFO   ' : met ? 'MET    ' : 'NOT MET';
  console.log(`${mark}  ${name.padEnd(70)} ${value.padEnd(12)} target ${target}`);
}

async function measure(executor: ChainExecutor, cases: number, dir: string) {
  const task = await loadTask(dir);
  const variant = { ...baselineVariant(task), hash: variantHash(baselineVariant(task)) };
  const structure = await executor.describe(variant);
  const model = createModelClient('sim:instant-agent', {
    languageModel: instantAgent(),
    meter: new UsageMeter(),
    concurrency: 1,
  });
  const toolCalls: number[] = [];
  const turns: number[] = [];
  for (let i = 0; i < cases; i++) {
    const host = new CaseHost(
      {
        structure,
        prompts: variant.prompts,
        params: variant.params,
        model,
        sampling: { temperature: 0 },
        retrievers: new Map(),
        trial: 0,
      },
      { question: `case ${i}` },
    );
    const started = performance.now();
    await executor.run(variant, { question: `case ${i}` }, host, 60_000);
    const wall = performance.now() - started;
    const trace = host.records[0]!.agent!;
    if (i < cases / 10) continue; // warm-up: JIT, the sandbox child's first messages
    const calls = trace.toolCalls.map((c) => c.latencyMs);
    toolCalls.push(...calls);
    turns.push((wall - calls.reduce((a, b) => a + b, 0)) / trace.turns.length);
  }
  return { toolCall: 1000 * median(toolCalls), turn: 1000 * median(turns) };
}

const dir = agentWorkspace({ tools: ['noop'], agentOptions: 'maxSteps: 10', files: { 'tools/noop.ts': NOOP_TOOL } });
console.log(
  `fapo bench:agent (2-core machine; figures vary with load). ${TURNS_WITH_TOOLS + 1} model turns and ${TURNS_WITH_TOOLS * CALLS_PER_TURN} tool calls a case; instant model, no-op tool.\n`,
);
const inProcess = new InProcessExecutor(dir);
const local = await measure(inProcess, sized(2000, 20), dir);
await inProcess.close();
const sandbox = new SandboxExecutor({ taskDir: dir, hide: ['data', '.fapo'] });
const sandboxed = await measure(sandbox, sized(1000, 10), dir);
await sandbox.close();
line(
  'per tool call, in-process (validation, wrapper, timing)',
  `${local.toolCall.toFixed(1)} µs`,
  '≤ 100 µs',
  local.toolCall <= 100,
);
line(
  'per model turn, in-process (prompt, cache key, meter, client, trace)',
  `${local.turn.toFixed(1)} µs`,
  '≤ 50 µs (bench:eval per-step)',
  local.turn <= 50,
);
line(
  'per tool call, sandboxed (+ IPC round trip to the child)',
  `${sandboxed.toolCall.toFixed(1)} µs`,
  'none (IPC-bound; see bench:eval)',
  undefined,
);
line(
  'per model turn, sandboxed',
  `${sandboxed.turn.toFixed(1)} µs`,
  '≤ 100 µs (bench:eval sandboxed)',
  sandboxed.turn <= 100,
);
