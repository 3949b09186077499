/**
 * Test scaffolding for the agent proposer: a temp copy of examples/two-hop-qa, a ProposerInput built
 * from it, small in-test ProposerServices (train cases only), and a scripted MockLanguageModelV3 that
 * issues tool calls step by step. No real model is involved anywhere.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LanguageModelV3CallOptions, LanguageModelV3Content } from '@ai-sdk/provider';
import { MockLanguageModelV3 } from 'ai/test';
import { parse as parseYaml } from 'yaml';
import type { FailureCluster } from '../../../../src/attribution/cluster.ts';
import type { AttributionReport } from '../../../../src/attribution/report.ts';
import type { ChainStructure } from '../../../../src/chain/types.ts';
import type { CaseResult, Variant } from '../../../../src/eval/types.ts';
import type { ProposerInput, ProposerServices } from '../../../../src/optimize/fapo/proposer.ts';
import type { Proposal } from '../../../../src/optimize/review/types.ts';
import { CaseSchema, PlaybookSchema, type Case, type Level } from '../../../../src/task/schema.ts';
import { copyExample } from '../../../fixtures/workspace.ts';

/** An existing chain variant in the temp workspace: writes to its path must be refused. */
export const EXISTING_VARIANT = 'chains/v2-existing.ts';

export interface Workspace {
  dir: string;
  cleanup(): void;
  train: Case[];
  val: Case[];
  test: Case[];
  parent: Variant;
}

function readCases(file: string): Case[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => CaseSchema.parse(JSON.parse(line)));
}

export function makeWorkspace(): Workspace {
  const { dir, cleanup } = copyExample();
  mkdirSync(join(dir, 'chains'), { recursive: true });
  writeFileSync(join(dir, EXISTING_VARIANT), readFileSync(join(dir, 'chain.ts'), 'utf8'));
  const prompts = Object.fromEntries(
    readdirSync(join(dir, 'prompts'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => [f.replace(/\.md$/, ''), readFileSync(join(dir, 'prompts', f), 'utf8')]),
  );
  const parent: Variant = {
    hash: 'b'.repeat(64),
    seq: 1,
    parent: null,
    level: 'baseline',
    chainPath: 'chain.ts',
    chainSource: readFileSync(join(dir, 'chain.ts'), 'utf8'),
    prompts,
    params: JSON.parse(readFileSync(join(dir, 'params.json'), 'utf8')),
    createdBy: 'user',
    createdAt: '2026-11-25T00:00:00.000Z',
  };
  return {
    dir,
    cleanup,
    train: readCases(join(dir, 'data', 'train.jsonl')),
    val: readCases(join(dir, 'data', 'val.jsonl')),
    test: readCases(join(dir, 'data', 'test.jsonl')),
    parent,
  };
}

/** A failing trial whose answer step rambled instead of giving the bare entity. */
function failedResult(c: Case): CaseResult {
  const verbose = `Based on the notes, the answer is probably ${String(c.expected)}, although I am not certain.`;
  return {
    caseId: c.id,
    trial: 1,
    status: 'ok',
    output: verbose,
    score: 0,
    feedback: `Expected "${String(c.expected)}", got "${verbose}".`,
    steps: [
      {
        name: 'retrieve',
        kind: 'retrieve',
        iteration: 0,
        inputs: { query: c.input.question },
        output: ['p1', 'p2'],
        passages: [{ id: 'p1', title: 'Some Title', score: 3.2 }],
        latencyMs: 1,
        diagnostics: [],
      },
      {
        name: 'answer',
        kind: 'llm',
        iteration: 0,
        inputs: { summary: 'notes' },
        output: verbose,
        rawText: verbose,
        latencyMs: 1,
        diagnostics: [],
      },
    ],
    diagnostics: [],
    latencyMs: 2,
  };
}

export interface TestServices extends ProposerServices {
  quickChecks: { proposal: Proposal; caseIds: string[] }[];
  reads: string[];
}

/** In-test services: train failures only, a fixed readable set, a recording quick check. */
export function makeServices(ws: Workspace, options: { readable?: string[] } = {}): TestServices {
  const failures = ws.train.slice(0, 4).map((c) => ({ case: c, results: [failedResult(c)] }));
  const byId = new Map(ws.train.map((c) => [c.id, { case: c, results: [failedResult(c)] }]));
  const readable = options.readable ?? [
    'fapo.task.yaml',
    'playbook.yaml',
    'chain.ts',
    'scorer.ts',
    'params.json',
    'prompts/answer.md',
    'prompts/query.md',
    'prompts/summarize.md',
    EXISTING_VARIANT,
  ];
  const services: TestServices = {
    quickChecks: [],
    reads: [],
    readableFiles: () => [...readable],
    readFile: (path) => {
      services.reads.push(path);
      return readFileSync(join(ws.dir, path), 'utf8');
    },
    trainFailures: () => failures,
    trainCase: (id) => byId.get(id),
    quickCheck: async (proposal, caseIds) => {
      services.quickChecks.push({ proposal, caseIds });
      return caseIds.map((caseId) => ({ caseId, score: 1, status: 'ok' }));
    },
  };
  return services;
}

export const STRUCTURE: ChainStructure = {
  name: 'multi-hop-qa',
  steps: [
    {
      name: 'retrieve',
      kind: 'retrieve',
      references: ['vars.query', 'params.k'],
      resource: 'wiki',
      query: '${vars.query}',
      k: '${params.k}',
    },
    {
      name: 'summarize',
      kind: 'llm',
      prompt: 'summarize',
      references: ['input.question', 'vars.summary', 'steps.retrieve.output'],
    },
    { name: 'query', kind: 'llm', prompt: 'query', references: ['input.question', 'vars.summary'] },
    { name: 'answer', kind: 'llm', prompt: 'answer', references: ['input.question', 'vars.summary'] },
  ],
  customFlow: true,
  output: 'answer',
};

export function makeAttribution(ws: Workspace): { report: AttributionReport; target: FailureCluster } {
  const failing = ws.train.slice(0, 4);
  const target: FailureCluster = {
    id: 'C1',
    label: 'format',
    step: 'answer',
    level: 'prompt',
    pattern: 'verbose-answer',
    count: failing.length,
    caseIds: failing.map((c) => c.id),
    confidence: 'high',
    suggestedFix: 'add brevity/format constraints to answer: the bare answer only, no explanation',
  };
  const report: AttributionReport = {
    variant: ws.parent.hash,
    cases: failing.map((c) => ({
      caseId: c.id,
      label: 'format',
      step: 'answer',
      level: 'prompt',
      confidence: 'high',
      evidence: ['the expected answer is contained in a longer output'],
      rule: 'format',
      pattern: 'verbose-answer',
      trial: 1,
      trials: { failed: 1, total: 1 },
      credit: 0,
    })),
    clusters: [target],
    levelPartition: {
      prompt: { count: failing.length, clusters: ['C1'] },
      param: { count: 0, clusters: [] },
      structure: { count: 0, clusters: [] },
    },
    infrastructure: { count: 0, caseIds: [] },
    scorerErrors: { count: 0, caseIds: [] },
    allowedLevels: ['prompt', 'param', 'structure'],
    recommendedLevel: 'prompt',
    ceilingEstimate: { prompt: 0.9, param: 0.7, structure: 0.7, combined: 0.95 },
    passRate: 0.7,
    evaluatedCases: 30,
    analyst: {
      enabled: false,
      cases: 0,
      calls: 0,
      failures: [],
      usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
    },
  };
  return { report, target };
}

export function makeInput(
  ws: Workspace,
  services: ProposerServices,
  overrides: Partial<ProposerInput> = {},
): ProposerInput {
  const { report, target } = makeAttribution(ws);
  const playbook = PlaybookSchema.parse(parseYaml(readFileSync(join(ws.dir, 'playbook.yaml'), 'utf8')));
  return {
    round: 1,
    level: 'prompt' as Level,
    parent: ws.parent,
    structure: STRUCTURE,
    playbook,
    attribution: report,
    target,
    memory: [],
    triedTechniques: ['chain-of-thought'],
    services,
    ...overrides,
  };
}

// ---------- the scripted model ----------

export type ScriptedStep = { calls: { tool: string; args: Record<string, unknown> }[] } | { text: string };

export const call = (tool: string, args: Record<string, unknown> = {}): ScriptedStep => ({ calls: [{ tool, args }] });

export const STEP_USAGE = { input: 120, output: 30 };

/** A MockLanguageModelV3 that plays `script` one step per model call (then says "done"); records calls. */
export function scriptedModel(script: ScriptedStep[], usage = STEP_USAGE): MockLanguageModelV3 {
  let step = 0;
  return new MockLanguageModelV3({
    provider: 'mock',
    modelId: 'agent',
    doGenerate: async () => {
      const next = script[step];
      step += 1;
      const content: LanguageModelV3Content[] =
        next && 'calls' in next
          ? next.calls.map((c, i) => ({
              type: 'tool-call',
              toolCallId: `call-${step}-${i}`,
              toolName: c.tool,
              input: JSON.stringify(c.args),
            }))
          : [{ type: 'text', text: next && 'text' in next ? next.text : 'done' }];
      const toolStep = next !== undefined && 'calls' in next;
      return {
        content,
        finishReason: toolStep ? { unified: 'tool-calls', raw: 'tool_calls' } : { unified: 'stop', raw: 'stop' },
        usage: {
          inputTokens: { total: usage.input, noCache: usage.input, cacheRead: 0, cacheWrite: 0 },
          outputTokens: { total: usage.output, text: usage.output, reasoning: 0 },
        },
        warnings: [],
      };
    },
  });
}

export interface SeenToolResult {
  tool: string;
  /** `json` for a result, `error-text` for a refused call. */
  type: string;
  value: unknown;
}

/** The tool results the model was shown in a given call (they come back as tool messages). */
export function toolResultsSeen(options: LanguageModelV3CallOptions): SeenToolResult[] {
  const seen: SeenToolResult[] = [];
  for (const message of options.prompt) {
    if (message.role !== 'tool') continue;
    for (const part of message.content) {
      if (part.type !== 'tool-result') continue;
      const output = part.output as { type: string; value: unknown };
      seen.push({ tool: part.toolName, type: output.type, value: output.value });
    }
  }
  return seen;
}

/** The results the model saw by the end of the session (the last call's prompt holds them all). */
export function allToolResults(model: MockLanguageModelV3): SeenToolResult[] {
  const last = model.doGenerateCalls.at(-1);
  return last ? toolResultsSeen(last) : [];
}
