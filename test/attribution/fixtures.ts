/** Hand-built step records, results, cases and chains for the attribution tests (no real chain runs). */
import type { AgentStopReason, ChainStructure, StepKind, StepRecord, ToolCallRecord } from '../../src/chain/types.ts';
import type { CaseResult, CaseStatus } from '../../src/eval/types.ts';
import type { ModelClient, ModelRequest, ModelResponse } from '../../src/models/types.ts';
import type { Case } from '../../src/task/schema.ts';

function record(name: string, kind: StepKind, output: unknown, extra: Partial<StepRecord> = {}): StepRecord {
  return { name, kind, iteration: 0, inputs: {}, output, latencyMs: 1, diagnostics: [], ...extra };
}

export function llm(name: string, output: unknown, extra: Partial<StepRecord> = {}): StepRecord {
  return record(name, 'llm', output, extra);
}

export function code(name: string, output: unknown): StepRecord {
  return record(name, 'code', output);
}

/** A tool call as the agent runtime records it; `turn` defaults to its position + 1. */
export function toolCall(
  tool: string,
  args: unknown,
  outcome: { result?: unknown; error?: ToolCallRecord['error'] },
  turn = 1,
): ToolCallRecord {
  return {
    id: `${tool}-${turn}-${JSON.stringify(args)}`,
    turn,
    tool,
    source: 'workspace',
    args,
    latencyMs: 1,
    ...outcome,
  };
}

/** An agent record: one turn per tool call plus the answering turn. */
export function agentStep(
  name: string,
  output: unknown,
  calls: ToolCallRecord[],
  options: { tools?: string[]; stopReason?: AgentStopReason } = {},
): StepRecord {
  const turns = [...calls.map((c) => c.turn), calls.length + 1].map((turn) => ({
    turn,
    text: turn > calls.length ? String(output ?? '') : '',
    toolCallIds: calls.filter((c) => c.turn === turn).map((c) => c.id),
    latencyMs: 1,
  }));
  return record(name, 'agent', output, {
    agent: {
      tools: options.tools ?? [...new Set(calls.map((c) => c.tool))],
      turns,
      toolCalls: calls,
      stopReason: options.stopReason ?? 'final',
    },
  });
}

export interface PassageSpec {
  title: string;
  text?: string;
}

/** A retrieve record whose output is the passages and whose `passages` carry their ids/titles/scores. */
export function retrieve(name: string, query: string, passages: PassageSpec[], k = 3, iteration = 0): StepRecord {
  const full = passages.map((p, i) => ({
    id: `${name}-${iteration}-${i}`,
    title: p.title,
    text: p.text ?? `${p.title} text`,
  }));
  return record(name, 'retrieve', full, {
    iteration,
    inputs: { query, k },
    passages: full.map((p, i) => ({ id: p.id, title: p.title, score: 10 - i })),
  });
}

export function result(
  caseId: string,
  steps: StepRecord[],
  output: unknown,
  score: number | null,
  extra: Partial<CaseResult> & { status?: CaseStatus } = {},
): CaseResult {
  return { caseId, trial: 0, status: 'ok', output, score, steps, diagnostics: [], latencyMs: 1, ...extra };
}

export function qaCase(id: string, question: string, expected: unknown, metadata: Record<string, unknown> = {}): Case {
  return { id, input: { question }, expected, metadata };
}

export function chainOf(steps: [string, StepKind][], output?: string): ChainStructure {
  return {
    name: 'test-chain',
    steps: steps.map(([name, kind]) => ({
      name,
      kind,
      references: [],
      ...(kind === 'llm' ? { prompt: name } : {}),
      ...(kind === 'retrieve' ? { resource: 'wiki', k: '${params.k}' } : {}),
    })),
    customFlow: false,
    ...(output ? { output } : {}),
  };
}

/** The usual two-step RAG chain; the retrieve step is deliberately not called "retrieve". */
export const RAG_CHAIN = chainOf([
  ['zzz', 'retrieve'],
  ['answer', 'llm'],
]);

/** A ModelClient that answers from a script and records every request it receives. */
export class ScriptedAnalyst implements ModelClient {
  readonly id = 'scripted:analyst';
  readonly requests: ModelRequest[] = [];
  private readonly reply: (req: ModelRequest, call: number) => string;

  constructor(reply: string | ((req: ModelRequest, call: number) => string)) {
    this.reply = typeof reply === 'string' ? () => reply : reply;
  }

  async generate(req: ModelRequest): Promise<ModelResponse> {
    this.requests.push(req);
    const text = this.reply(req, this.requests.length);
    return {
      text,
      usage: { inputTokens: 100, outputTokens: 20 },
      costUsd: 0.001,
      latencyMs: 1,
      cached: false,
      modelId: this.id,
    };
  }
}
