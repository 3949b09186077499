/** Small agent-step workspaces for tests, and a helper that evaluates their baseline. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type EnvironmentOptions, evaluationInputs, openEnvironment } from '../../../src/eval/environment.ts';
import { resolveVariant } from '../../../src/eval/resolve-variant.ts';
import { evaluate } from '../../../src/eval/runner.ts';
import type { CaseResult } from '../../../src/eval/types.ts';
import { tempDir } from '../../fixtures/temp.ts';

export interface AgentWorkspace {
  /** chain.ts source; default: one agent step `act` over `tools`. */
  chain?: string;
  tools?: string[];
  /** Agent options as TS source, e.g. `maxSteps: 3, toolTimeoutMs: 200`. */
  agentOptions?: string;
  prompt?: string;
  /** Extra files, workspace-relative (tools/*.ts, prompts/tools/*.md, env/*.json …). */
  files?: Record<string, string>;
  /** Extra fapo.task.yaml lines. */
  manifest?: string;
  model?: string;
  cases?: { id: string; input: Record<string, unknown>; expected?: unknown }[];
  scorer?: string;
}

const DEFAULT_CASES = [{ id: 'c1', input: { question: 'what is 2 + 3?' }, expected: '5' }];

export function agentWorkspace(spec: AgentWorkspace = {}): string {
  const dir = join(tempDir('fapo-agent-'), 'task');
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  const tools = JSON.stringify(spec.tools ?? ['*']);
  write(
    'fapo.task.yaml',
    `name: agent-test\nmodel: ${spec.model ?? 'sim:agent-test'}\nsampling:\n  temperature: 0\n${spec.manifest ?? ''}\n`,
  );
  write('playbook.yaml', 'levels: [prompt, param]\n');
  write('package.json', '{ "type": "module" }');
  write('params.json', '{}');
  write(
    'chain.ts',
    spec.chain ??
      `import { agent, defineChain } from 'fapo';\nexport default defineChain({ name: 'a', steps: [agent('act', { tools: ${tools}${spec.agentOptions ? `, ${spec.agentOptions}` : ''} })] });\n`,
  );
  write('prompts/act.md', spec.prompt ?? 'System: Use the tools.\nUser: ${input.question}\n');
  write(
    'scorer.ts',
    spec.scorer ??
      `import { defineScorer } from 'fapo';\nexport default defineScorer(({ case: c, output }) => (String(output).includes(String(c.expected)) ? 1 : 0));\n`,
  );
  // Case ids are unique across splits: each split gets its own copies.
  for (const split of ['train', 'val', 'test']) {
    const cases = (spec.cases ?? DEFAULT_CASES).map((c) =>
      JSON.stringify({ ...c, id: split === 'val' ? c.id : `${split}-${c.id}` }),
    );
    write(`data/${split}.jsonl`, `${cases.join('\n')}\n`);
  }
  for (const [path, text] of Object.entries(spec.files ?? {})) write(path, text);
  return dir;
}

/** Evaluates the workspace's baseline on `val` and returns the case results. */
export async function evaluateBaseline(dir: string, options: EnvironmentOptions = {}): Promise<CaseResult[]> {
  const env = await openEnvironment(dir, { sandbox: false, ...options });
  try {
    const variant = resolveVariant(env.store, env.task, undefined);
    const outcome = await evaluate({
      ...evaluationInputs(env),
      variant,
      split: 'val',
      trials: 1,
      concurrency: 2,
      purpose: 'test',
    });
    return [...env.store.results(outcome.run.id)];
  } finally {
    await env.close();
  }
}

/** A calculator tool module: `add` sums, `boom` throws, `hang` never returns. */
export const CALC_TOOLS = `import { defineTool, z } from 'fapo';
const add = defineTool({
  name: 'add',
  description: 'Add two numbers.',
  input: z.object({ a: z.number(), b: z.number() }),
  run: ({ a, b }, { state }) => {
    if (state && typeof state === 'object') (state as { adds: number }).adds++;
    return { sum: a + b };
  },
});
const boom = defineTool({
  name: 'boom',
  description: 'Always fails.',
  input: z.object({}),
  run: () => {
    throw new Error('the boom tool exploded');
  },
});
const hang = defineTool({
  name: 'hang',
  description: 'Never answers.',
  input: z.object({}),
  run: () => new Promise(() => {}),
});
export default [add, boom, hang];
`;
