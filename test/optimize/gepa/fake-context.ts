/**
 * A scripted StrategyContext for GEPA engine tests: no chain, no model. Scores come from a pure
 * function of (prompts, case id), the reflection "model" is a function of the reflection prompt, and
 * the session state is an in-memory map, so a test can drive every branch precisely and fast.
 */
import type { CaseResult, RunSummary, Variant } from '../../../src/eval/types.ts';
import { variantHash } from '../../../src/eval/variant.ts';
import type { ModelRequest } from '../../../src/models/types.ts';
import type { StrategyContext } from '../../../src/optimize/strategy.ts';
import { BudgetExceededError } from '../../../src/util/errors.ts';
import type { OptimizeEvent } from '../../../src/optimize/events.ts';

export interface FakeWorld {
  components: string[];
  trainIds: string[];
  valIds: string[];
  /** Score of a candidate on a case (train or val). */
  score(prompts: Record<string, string>, caseId: string): number;
  feedback?(prompts: Record<string, string>, caseId: string): string | undefined;
  /** The reflection model: the raw text it answers to a reflection prompt. */
  reflect(prompt: string, call: number): string;
  /** Throws a BudgetExceededError once this many rollouts were made (a meter cap). */
  rolloutCap?: number;
}

export interface FakeRun {
  ctx: StrategyContext;
  rollouts: { split: 'train' | 'val'; variant: string; caseId: string }[];
  reflections: ModelRequest[];
  memo: Map<string, unknown>;
  docs: Map<string, unknown>;
  events: OptimizeEvent[];
}

const summary = (variant: string, scores: number[]): RunSummary => ({
  runId: 'fake',
  variant,
  split: 'val',
  trials: [],
  mean: scores.length ? scores.reduce((a, b) => a + b, 0) / scores.length : null,
  sd: 0,
  counts: { ok: scores.length, task_error: 0, infra_error: 0, scorer_error: 0 },
  cases: scores.length,
});

export function fakeContext(
  world: FakeWorld,
  opts: { seed?: number; memo?: Map<string, unknown>; maxWallMs?: number } = {},
): FakeRun {
  const memo = opts.memo ?? new Map<string, unknown>();
  const docs = new Map<string, unknown>();
  const variants = new Map<string, Variant>();
  const rollouts: FakeRun['rollouts'] = [];
  const reflections: ModelRequest[] = [];
  const events: OptimizeEvent[] = [];
  const put = (v: Omit<Variant, 'seq' | 'createdAt'>): Variant => {
    const existing = variants.get(v.hash);
    if (existing) return existing;
    const stored = { ...v, seq: variants.size + 1, createdAt: 'now' };
    variants.set(v.hash, stored);
    return stored;
  };
  const roll = (split: 'train' | 'val', variant: Variant, caseId: string) => {
    if (world.rolloutCap !== undefined && rollouts.length >= world.rolloutCap)
      throw new BudgetExceededError('task', `task-call budget (${world.rolloutCap}) used`);
    rollouts.push({ split, variant: variant.hash, caseId });
    return world.score(variant.prompts, caseId);
  };
  const content = {
    chainPath: 'chain.ts',
    chainSource: 'export default {}',
    prompts: Object.fromEntries(world.components.map((c) => [c, `System: Do ${c}.\nUser: \${input.x}`])),
    params: {},
  };
  const baseline = put({ ...content, hash: variantHash(content), parent: null, level: 'baseline', createdBy: 'test' });
  const ctx = {
    env: {
      task: { datasets: { val: { cases: world.valIds.map((id) => ({ id })) } } },
      store: { putVariant: put },
      retrievers: new Map(),
      model: { id: 'fake:task' },
      client: () => {
        throw new Error('no client in the fake context');
      },
    },
    evaluator: {
      trainCaseIds: () => world.trainIds,
      async train(variant: Variant, ids: string[]) {
        const results: CaseResult[] = ids.map((caseId) => {
          const score = roll('train', variant, caseId);
          const feedback = world.feedback?.(variant.prompts, caseId);
          return {
            caseId,
            trial: 0,
            status: 'ok',
            output: `out-${caseId}`,
            score,
            ...(feedback ? { feedback } : {}),
            steps: world.components.map((c) => ({
              name: c,
              kind: 'llm' as const,
              iteration: 0,
              inputs: { 'input.x': caseId },
              output: `${c}(${caseId})`,
              latencyMs: 0,
              diagnostics: [],
            })),
            diagnostics: [],
            latencyMs: 0,
          };
        });
        return {
          summary: summary(
            variant.hash,
            results.map((r) => r.score!),
          ),
          results,
        };
      },
      async validate(variant: Variant, _trials?: number, ids?: string[]) {
        const perCase = new Map<string, number>();
        for (const id of ids ?? world.valIds) perCase.set(id, roll('val', variant, id));
        return { variant: variant.hash, summary: summary(variant.hash, [...perCase.values()]), perCase };
      },
    },
    state: {
      async memo<T>(key: string, fn: () => Promise<T> | T): Promise<T> {
        if (memo.has(key)) return structuredClone(memo.get(key)) as T;
        const value = await fn();
        memo.set(key, structuredClone(value));
        return value;
      },
      put: (key: string, value: unknown) => void docs.set(key, structuredClone(value)),
      get: (key: string) => docs.get(key),
    },
    budget: {
      options: {
        maxVariants: 50,
        maxRounds: 10,
        ...(opts.maxWallMs !== undefined ? { maxWallMs: opts.maxWallMs } : {}),
      },
      wallMs: 0,
    },
    baseline,
    seed: opts.seed ?? 0,
    roles: {
      reflection: {
        id: 'fake:reflect',
        async generate(req: ModelRequest) {
          reflections.push(req);
          return {
            text: world.reflect(req.messages[0]!.content, reflections.length),
            usage: { inputTokens: 1, outputTokens: 1 },
            costUsd: 0,
            latencyMs: 0,
            cached: false,
            modelId: 'fake:reflect',
          };
        },
      },
    },
    accept: 'mean',
    emit: (event: OptimizeEvent) => void events.push(event),
  } as unknown as StrategyContext;
  return { ctx, rollouts, reflections, memo, docs, events };
}

/** The structure of a chain with one llm step per component. */
export function structureOf(components: string[]) {
  return {
    name: 'fake',
    customFlow: false,
    steps: components.map((c) => ({ name: c, kind: 'llm' as const, prompt: c, references: ['input.x'] })),
  };
}

/** A reflection answer that appends `rule` to the current instruction's first line. */
export function appendRule(prompt: string, rule: string): string {
  const current = prompt.split('```')[1]!.trim();
  const [first, ...rest] = current.split('\n');
  return `\`\`\`\n${[`${first} ${rule}`, ...rest].join('\n')}\n\`\`\``;
}

/** The instruction being reflected on (the first fenced block of the reflection prompt). */
export function currentInstruction(prompt: string): string {
  return prompt.split('```')[1]!.trim();
}
