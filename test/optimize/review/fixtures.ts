import { fileURLToPath } from 'node:url';
import type { Variant } from '../../../src/eval/types.ts';
import type { ModelClient, ModelRequest, ModelResponse } from '../../../src/models/types.ts';
import { createLeakageOracle } from '../../../src/optimize/review/leakage-oracle.ts';
import type { Proposal } from '../../../src/optimize/review/types.ts';
import { CaseSchema, PlaybookSchema, type Case, type Playbook } from '../../../src/task/schema.ts';

export const FAPO_STUB = fileURLToPath(new URL('./fixtures/fapo.d.ts', import.meta.url));

export const BASELINE_CHAIN = `import { defineChain, llm, retrieve } from 'fapo';

export default defineChain({
  name: 'verify',
  steps: [
    retrieve({ name: 'search', resource: 'wiki', query: '\${input.claim}', k: '\${params.k}' }),
    llm({ name: 'answer', output: 'text' }),
  ],
});
`;

export const MULTIHOP_CHAIN = `import { defineChain, llm, retrieve, code } from 'fapo';

export default defineChain({
  name: 'verify-multihop',
  description: 'Rewrites the query for each of three hops before answering.',
  steps: [
    llm({ name: 'rewrite', output: { fields: ['query'] } }),
    retrieve({ name: 'search', resource: 'wiki', query: '\${steps.rewrite.output.query}', k: '\${params.k}' }),
    code({
      name: 'dedupe',
      run: (ctx) => {
        const out = ctx.steps.search.output;
        return Array.isArray(out) ? [...new Set(out)] : out;
      },
    }),
    llm({ name: 'answer', output: 'text' }),
  ],
  flow: async (ctx) => {
    for (let hop = 0; hop < 3; hop++) {
      await ctx.run('rewrite', { hop });
      await ctx.run('search');
    }
    await ctx.run('dedupe');
    return ctx.run('answer');
  },
});
`;

export const ANSWER_PROMPT =
  'Claim: ${input.claim}\nPassages:\n${steps.search.output}\n\nReply SUPPORTED or NOT_SUPPORTED.';
export const REWRITE_PROMPT = 'Claim: ${input.claim}\nHop ${vars.hop}. Write one search query.\nquery:';

export const PARENT: Variant = {
  hash: 'a'.repeat(64),
  seq: 1,
  parent: null,
  level: 'baseline',
  chainPath: 'chain.ts',
  chainSource: BASELINE_CHAIN,
  prompts: { answer: ANSWER_PROMPT },
  params: { k: 7 },
  createdBy: 'user',
  createdAt: '2026-11-25T00:00:00.000Z',
};

export const EXISTING_FILES = new Set([
  'chain.ts',
  'prompts/answer.md',
  'params.json',
  'prompts/variants/v2/answer.md',
]);

export function playbook(overrides: Partial<Playbook> = {}): Playbook {
  return PlaybookSchema.parse({
    levels: ['prompt', 'param', 'structure'],
    allowedFiles: ['prompts/variants/**', 'chains/variants/*.ts', 'params/variants/*.json'],
    caps: { passagesPerHop: 10, hops: 3, totalPassages: 24 },
    ...overrides,
  });
}

/** A clean proposal at each level; tests break one thing at a time. */
export function promptProposal(overrides: Partial<Proposal> = {}): Proposal {
  return {
    level: 'prompt',
    parent: PARENT,
    chainSource: PARENT.chainSource,
    chainPath: PARENT.chainPath,
    prompts: { answer: `${ANSWER_PROMPT}\nThink step by step about each passage before you reply.` },
    params: { ...PARENT.params },
    files: ['prompts/variants/v3/answer.md'],
    hypothesis: 'Reasoning over passages reduces unsupported verdicts.',
    technique: 'chain-of-thought',
    ...overrides,
  };
}

export function paramProposal(overrides: Partial<Proposal> = {}): Proposal {
  return promptProposal({
    level: 'param',
    prompts: { ...PARENT.prompts },
    params: { k: 9 },
    files: ['params/variants/v3.json'],
    technique: 'retrieval depth',
    ...overrides,
  });
}

export function structureProposal(overrides: Partial<Proposal> = {}): Proposal {
  return promptProposal({
    level: 'structure',
    chainSource: MULTIHOP_CHAIN,
    chainPath: 'chains/variants/v3-multihop.ts',
    prompts: { answer: ANSWER_PROMPT, rewrite: REWRITE_PROMPT },
    files: ['chains/variants/v3-multihop.ts', 'prompts/variants/v3/rewrite.md'],
    technique: 'Least-to-Most',
    ...overrides,
  });
}

/** A chain variant built from the multihop chain with one substitution; fails loudly if the anchor is gone. */
export function chainWith(anchor: string, replacement: string, base = MULTIHOP_CHAIN): string {
  if (!base.includes(anchor)) throw new Error(`fixture anchor not found: ${anchor}`);
  return base.replace(anchor, replacement);
}

const cases = (rows: unknown[]): Case[] => rows.map((r) => CaseSchema.parse(r));

export const TRAIN_CASES = cases([
  {
    id: 't1',
    input: { claim: 'The Eiffel Tower was completed two years before the Paris Exposition of 1891.' },
    expected: 'NOT_SUPPORTED',
  },
  {
    id: 't2',
    input: { claim: 'Marie Curie won Nobel Prizes in both physics and chemistry during her career.' },
    expected: 'SUPPORTED',
  },
  {
    id: 't3',
    input: { question: 'Which river flows through the city where the Treaty of Westphalia was signed?' },
    expected: 'the Ems and the Aa rivers',
  },
]);

export const VAL_CASES = cases([
  {
    id: 'v1',
    input: { question: 'Which composer wrote the opera that premiered at La Fenice in 1853?' },
    expected: 'Giuseppe Verdi of Busseto',
  },
  { id: 'v2', input: { question: 'Is the capital of Australia larger than Sydney by population?' }, expected: 'no' },
  { id: 'v3', input: { question: 'How many moons does the planet with the Great Red Spot have today?' }, expected: 95 },
]);

export const TEST_CASES = cases([
  {
    id: 'x1',
    input: { question: 'Who designed the bridge that connects the two halves of the city of Budapest first?' },
    expected: 'William Tierney Clark',
  },
  {
    id: 'x2',
    input: { question: 'What year did the author of Middlemarch publish her first novel?' },
    expected: '1859',
  },
]);

export const heldOutOracle = () => createLeakageOracle({ val: VAL_CASES, test: TEST_CASES });
export const trainOracle = () => createLeakageOracle({ train: TRAIN_CASES });

/** A model that replies with fixed text and records what it was asked; never a real model. */
export class ScriptedReviewer implements ModelClient {
  readonly id = 'scripted:reviewer';
  readonly requests: ModelRequest[] = [];
  constructor(private readonly reply: { text: string; object?: unknown }) {}
  async generate(req: ModelRequest): Promise<ModelResponse> {
    this.requests.push(req);
    return {
      ...this.reply,
      usage: { inputTokens: 0, outputTokens: 0 },
      costUsd: 0,
      latencyMs: 0,
      cached: false,
      modelId: this.id,
    };
  }
}

export const allPass = (ids: number[]) => ({
  text: JSON.stringify({ checks: ids.map((id) => ({ id, verdict: 'pass', reasons: ['looks fine'] })) }),
});
