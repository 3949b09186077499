/**
 * Phase 2: an analyst model re-labels the cases the rules were unsure about. It sees only what the
 * caller passes in (train cases, their step records, the chain and its prompts), in batches.
 */
import { z } from 'zod';
import type { ChainStructure, StepRecord } from '../chain/types.ts';
import type { CaseResult } from '../eval/types.ts';
import type { ChatMessage, ModelClient, ModelResponse, Sampling } from '../models/types.ts';
import type { Case, Level } from '../task/schema.ts';
import { BudgetExceededError, errorMessage } from '../util/errors.ts';
import { compactTrace } from './agent-trace.ts';
import { finalOutputText, retrievedPassages } from './records.ts';
import { compactText, normaliseAnswer, truncate } from './text.ts';
import type { CaseAttribution, Confidence } from './types.ts';

export const ANALYST_LABELS = ['reasoning', 'knowledge', 'format', 'content', 'tool_use'] as const;
export type AnalystLabel = (typeof ANALYST_LABELS)[number];

/** §10.2: knowledge failures need the information to reach the step (structure); the rest are textual. */
const ANALYST_LABEL_LEVEL: Record<AnalystLabel, Level> = {
  reasoning: 'prompt',
  format: 'prompt',
  content: 'prompt',
  knowledge: 'structure',
  // The agent's prompt and tool descriptions say when and how to call tools.
  tool_use: 'prompt',
};

export interface AnalystOptions {
  client: ModelClient;
  /** Cases per model call. */
  batchSize: number;
  /** At most this many cases are sent in total (lowest confidence first). */
  maxCases: number;
  /** Also send medium-confidence cases (low ones always go first). */
  includeMedium: boolean;
  sampling: Sampling;
  signal?: AbortSignal;
}

export interface AnalystEvidence {
  chain: ChainStructure;
  prompts: Record<string, string>;
  casesById: Map<string, Case>;
  resultsByCase: Map<string, CaseResult[]>;
}

export interface AnalystFailure {
  caseIds: string[];
  error: string;
}

export interface AnalystOutcome {
  attributions: CaseAttribution[];
  cases: number;
  calls: number;
  failures: AnalystFailure[];
  usage: { inputTokens: number; outputTokens: number; costUsd: number };
}

/** Truncation limits that keep a batch of five cases well inside a small context window. */
const LIMITS = {
  prompt: 1500,
  input: 800,
  expected: 300,
  output: 500,
  stepInputs: 300,
  passageText: 150,
  passagesPerHop: 5,
  toolCalls: 12,
  toolArgs: 150,
  toolResult: 200,
};

const ANALYST_SYSTEM = [
  'You analyse failed training cases of a multi-step LLM pipeline and say why each one failed.',
  'Labels:',
  '- reasoning: the step had what it needed but drew the wrong conclusion;',
  '- knowledge: the information needed never reached the step (e.g. not in the retrieved passages);',
  '- format: the right answer in the wrong form (too long, extra words, wrong shape);',
  '- tool_use: an agent step used its tools wrongly (never called the tool it needed, wrong arguments,',
  '  ignored or contradicted a tool result); its tool trace lists turn, tool, arguments and result or error;',
  '- content: a wrong answer with no clearer cause.',
  'For each case give the label, the blamed step (a step name from the pipeline) and a pattern: a short',
  'general description of the failure (at most 12 words, no case-specific names). Use the same pattern',
  'text for cases that fail for the same reason.',
  'Answer with JSON only: {"cases": [{"caseId": "...", "label": "...", "step": "...", "pattern": "..."}]}.',
].join('\n');

function itemSchema(caseIds: string[], steps: string[]) {
  return z.object({
    caseId: z.enum(caseIds as [string, ...string[]]),
    label: z.enum(ANALYST_LABELS),
    step: steps.length > 0 ? z.enum(steps as [string, ...string[]]) : z.string().min(1),
    // No length bounds: strict structured-output modes reject them; patternKey() shortens the text.
    pattern: z.string(),
  });
}

/** The envelope is checked first so that one bad item does not discard the whole batch. */
const EnvelopeSchema = z.object({ cases: z.array(z.unknown()) });

function shown(value: unknown, max: number): string {
  return truncate(compactText(value), max);
}

function renderStep(record: StepRecord): string {
  const head = `- ${record.name}#${record.iteration} (${record.kind})`;
  const inputs = `  inputs: ${shown(record.inputs, LIMITS.stepInputs)}`;
  if (record.agent) {
    const trace = compactTrace(record.agent, {
      calls: LIMITS.toolCalls,
      args: LIMITS.toolArgs,
      result: LIMITS.toolResult,
    });
    const last = record.error
      ? `  error: ${shown(record.error, LIMITS.output)}`
      : `  output: ${shown(record.output, LIMITS.output)}`;
    return [head, inputs, '  tool trace:', ...trace.map((line) => `    ${line}`), last].join('\n');
  }
  if (record.error) return [head, inputs, `  error: ${shown(record.error, LIMITS.output)}`].join('\n');
  if (record.kind !== 'retrieve') return [head, inputs, `  output: ${shown(record.output, LIMITS.output)}`].join('\n');
  const passages = retrievedPassages(record);
  const listed = passages
    .slice(0, LIMITS.passagesPerHop)
    .map((p) => `    * [${p.title || p.id}] ${truncate(p.text, LIMITS.passageText)}`);
  const more =
    passages.length > LIMITS.passagesPerHop
      ? [
          `    (+${passages.length - LIMITS.passagesPerHop} more: ${passages
            .slice(LIMITS.passagesPerHop)
            .map((p) => p.title)
            .join('; ')})`,
        ]
      : [];
  return [head, inputs, `  retrieved ${passages.length} passages:`, ...listed, ...more].join('\n');
}

function renderCase(attribution: CaseAttribution, evidence: AnalystEvidence): string {
  const testCase = evidence.casesById.get(attribution.caseId)!;
  const result = evidence.resultsByCase.get(attribution.caseId)!.find((r) => r.trial === attribution.trial)!;
  return [
    `### Case ${attribution.caseId}`,
    `Input: ${shown(testCase.input, LIMITS.input)}`,
    `Expected: ${shown(testCase.expected, LIMITS.expected)}`,
    `Final output (score ${result.score ?? result.status}): ${shown(finalOutputText(result.output) || result.output, LIMITS.output)}`,
    ...(result.feedback ? [`Scorer feedback: ${shown(result.feedback, LIMITS.output)}`] : []),
    `Rule diagnosis (${attribution.confidence}): ${attribution.label} at ${attribution.step} — ${attribution.evidence.join(' | ')}`,
    'Steps:',
    ...result.steps.map(renderStep),
  ].join('\n');
}

export function buildAnalystMessages(batch: CaseAttribution[], evidence: AnalystEvidence): ChatMessage[] {
  const stepLines = evidence.chain.steps.map((s) => `- ${s.name} (${s.kind}${s.prompt ? `, prompt ${s.prompt}` : ''})`);
  const promptSections = Object.entries(evidence.prompts).map(
    ([name, text]) => `### ${name}\n${truncate(text, LIMITS.prompt)}`,
  );
  const user = [
    [`## Pipeline ${evidence.chain.name}`, ...stepLines].join('\n'),
    '## Prompts',
    ...promptSections,
    `## Failed cases (${batch.length})`,
    ...batch.map((a) => renderCase(a, evidence)),
  ].join('\n\n');
  return [
    { role: 'system', content: ANALYST_SYSTEM },
    { role: 'user', content: user },
  ];
}

function parseJsonText(text: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text);
  return JSON.parse((fenced ? fenced[1]! : text).trim());
}

/** A clustering key from free text: normalised words joined by dashes. */
export function patternKey(text: string): string {
  return normaliseAnswer(text).split(' ').filter(Boolean).slice(0, 12).join('-');
}

function candidatesFor(attributions: CaseAttribution[], options: AnalystOptions): CaseAttribution[] {
  const wanted: Confidence[] = options.includeMedium ? ['low', 'medium'] : ['low'];
  return wanted
    .flatMap((confidence) => attributions.filter((a) => a.confidence === confidence))
    .slice(0, Math.max(0, options.maxCases));
}

/** Re-labels low-confidence (optionally medium) cases; on any invalid answer the rule's diagnosis stays. */
export async function analyseFailures(
  attributions: CaseAttribution[],
  evidence: AnalystEvidence,
  options: AnalystOptions,
): Promise<AnalystOutcome> {
  const candidates = candidatesFor(attributions, options);
  const updated = new Map(attributions.map((a) => [a.caseId, a]));
  const outcome: AnalystOutcome = {
    attributions,
    cases: 0,
    calls: 0,
    failures: [],
    usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
  };
  const batchSize = Math.max(1, Math.floor(options.batchSize));
  const fail = (caseIds: string[], error: string) => {
    outcome.failures.push({ caseIds, error });
    for (const id of caseIds) updated.set(id, { ...updated.get(id)!, analystError: error });
  };

  for (let start = 0; start < candidates.length; start += batchSize) {
    const batch = candidates.slice(start, start + batchSize);
    const caseIds = batch.map((a) => a.caseId);
    const steps = [
      ...new Set([
        ...evidence.chain.steps.map((s) => s.name),
        ...batch.flatMap((a) => evidence.resultsByCase.get(a.caseId)!.flatMap((r) => r.steps.map((s) => s.name))),
      ]),
    ];
    const schema = z.object({ cases: z.array(itemSchema(caseIds, steps)) });
    outcome.cases += batch.length;
    outcome.calls += 1;
    let response: ModelResponse;
    try {
      response = await options.client.generate({
        messages: buildAnalystMessages(batch, evidence),
        sampling: options.sampling,
        schema: z.toJSONSchema(schema) as Record<string, unknown>,
        role: 'analyst',
        sampleKey: `attribution/${caseIds.join(',')}`,
        signal: options.signal,
      });
    } catch (err) {
      fail(caseIds, `analyst call failed: ${errorMessage(err)}`);
      if (err instanceof BudgetExceededError) break;
      continue;
    }
    outcome.usage.inputTokens += response.usage.inputTokens;
    outcome.usage.outputTokens += response.usage.outputTokens;
    outcome.usage.costUsd += response.costUsd;
    let raw: unknown;
    try {
      raw = response.object ?? parseJsonText(response.text);
    } catch (err) {
      fail(caseIds, `analyst answer is not JSON: ${errorMessage(err)}`);
      continue;
    }
    const envelope = EnvelopeSchema.safeParse(raw);
    if (!envelope.success) {
      fail(caseIds, `analyst answer is not {cases: [...]}: ${envelope.error.issues[0]?.message ?? 'invalid'}`);
      continue;
    }
    const answered = new Set<string>();
    const item = itemSchema(caseIds, steps);
    for (const [index, candidate] of envelope.data.cases.entries()) {
      const parsed = item.safeParse(candidate);
      if (!parsed.success) {
        const id = (candidate as { caseId?: unknown } | null)?.caseId;
        const issue = parsed.error.issues[0];
        const message = `analyst item ${index} invalid at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`;
        if (typeof id === 'string' && caseIds.includes(id) && !answered.has(id)) {
          answered.add(id);
          fail([id], message);
        } else {
          outcome.failures.push({ caseIds: [], error: message });
        }
        continue;
      }
      const answer = parsed.data;
      if (answered.has(answer.caseId)) continue;
      answered.add(answer.caseId);
      const before = updated.get(answer.caseId)!;
      updated.set(answer.caseId, {
        ...before,
        label: answer.label,
        step: answer.step,
        level: ANALYST_LABEL_LEVEL[answer.label],
        // The analyst's reading is a judgement, not a measurement: never above medium.
        confidence: 'medium',
        rule: 'analyst',
        pattern: patternKey(answer.pattern) || before.pattern,
        evidence: [
          ...before.evidence,
          `analyst: ${answer.label} at ${answer.step}: ${JSON.stringify(truncate(answer.pattern, 200))} (rule ${before.rule} said ${before.label})`,
        ],
      });
    }
    const unanswered = caseIds.filter((id) => !answered.has(id));
    if (unanswered.length > 0) fail(unanswered, 'the analyst gave no answer for this case');
  }
  outcome.attributions = attributions.map((a) => updated.get(a.caseId)!);
  return outcome;
}
