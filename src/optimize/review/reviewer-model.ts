/**
 * The reviewer model pass: a fresh-context call that sees only the proposal's diff, its hypothesis,
 * the playbook's scope and the deterministic results, and judges FAPO's 12 reviewer checks.
 */
import { z } from 'zod';
import type { ModelClient, Sampling } from '../../models/types.ts';
import type { Playbook } from '../../task/schema.ts';
import { BudgetExceededError, errorMessage } from '../../util/errors.ts';
import { diffVariant, renderDiff, type VariantDiff } from './diff.ts';
import type { CheckResult, Proposal, Verdict } from './types.ts';
import { checkResult } from './verdict.ts';

interface ReviewerCheck {
  id: number;
  name: string;
  /** `prompt`: when a template changed; `chain`: when the chain source changed. */
  appliesTo: 'all' | 'prompt' | 'chain';
  /** The most severe verdict this check may give. */
  severity: Exclude<Verdict, 'pass'>;
  question: string;
}

export const REVIEWER_CHECKS: readonly ReviewerCheck[] = [
  {
    id: 1,
    name: 'scorer-compatibility',
    appliesTo: 'all',
    severity: 'block',
    question:
      'Does the final output keep the format the scorer reads (same output step, fields and answer format)? If checker-aware post-processing is not allowed, is there none?',
  },
  {
    id: 2,
    name: 'no-dataset-leakage',
    appliesTo: 'all',
    severity: 'block',
    question:
      'Is the change free of case-specific conditionals, hard-coded answers and anything that looks like held-out data?',
  },
  {
    id: 3,
    name: 'placeholder-integrity',
    appliesTo: 'all',
    severity: 'block',
    question: 'Does every existing template keep exactly its ${...} placeholders (none added, removed or renamed)?',
  },
  {
    id: 4,
    name: 'isolation',
    appliesTo: 'all',
    severity: 'block',
    question:
      'Does the variant use only its case input, declared resources and params: no other tasks or files, no network, no state shared between cases?',
  },
  {
    id: 5,
    name: 'no-example-specific-hints',
    appliesTo: 'prompt',
    severity: 'block',
    question: 'Are the prompt instructions general, with no hints that would only help particular examples?',
  },
  {
    id: 6,
    name: 'no-training-few-shot',
    appliesTo: 'prompt',
    severity: 'block',
    question: 'Are all few-shot examples synthetic, not copied or lightly paraphrased from training cases?',
  },
  {
    id: 7,
    name: 'single-concern',
    appliesTo: 'prompt',
    severity: 'warn',
    question: 'Does the change address one concern (one module, one technique) so its effect can be attributed?',
  },
  {
    id: 8,
    name: 'chain-protocol',
    appliesTo: 'chain',
    severity: 'block',
    question:
      'Does the chain use defineChain with llm/retrieve/code/agent steps and ctx.run in its flow, following an allowlisted pattern (ReAct, Reflexion, Tree-of-Thoughts, Self-Refine, Least-to-Most, Plan-and-Solve, Tool-augmented)?',
  },
  {
    id: 9,
    name: 'step-factory-usage',
    appliesTo: 'chain',
    severity: 'warn',
    question:
      'Are model calls and retrievals made only through declared llm/retrieve steps (no ad-hoc calls inside code steps)?',
  },
  {
    id: 10,
    name: 'import-safety',
    appliesTo: 'chain',
    severity: 'block',
    question:
      'Does the chain import only fapo, avoid eval/process/network/filesystem access and have no import-time side effects?',
  },
  {
    id: 11,
    name: 'naming-and-metadata',
    appliesTo: 'chain',
    severity: 'warn',
    question: 'Do the chain name, description, hypothesis and technique describe the change clearly?',
  },
  {
    id: 12,
    name: 'scope-compliance',
    appliesTo: 'all',
    severity: 'block',
    question:
      'Does the change stay within the playbook scope: allowed level and files, frozen settings untouched, caps respected?',
  },
];

const ReviewerOutputSchema = z.object({
  checks: z.array(
    z.object({
      id: z.number().int().min(1).max(12),
      verdict: z.enum(['pass', 'warn', 'block']),
      reasons: z.array(z.string()),
    }),
  ),
  summary: z.string().optional(),
});

export interface ModelReviewContext {
  playbook: Pick<
    Playbook,
    'objective' | 'levels' | 'allowedFiles' | 'frozen' | 'tunableParams' | 'caps' | 'allowCheckerAwarePostprocessing'
  >;
  /** Results of the deterministic checks, shown to the reviewer as facts. */
  deterministic: CheckResult[];
  /** Sampling for the reviewer call (default temperature 0). */
  sampling?: Sampling;
}

function applicableChecks(diff: VariantDiff): ReviewerCheck[] {
  return REVIEWER_CHECKS.filter(
    (c) =>
      c.appliesTo === 'all' ||
      (c.appliesTo === 'prompt' && diff.prompts.length > 0) ||
      (c.appliesTo === 'chain' && diff.chain !== null),
  );
}

const SYSTEM_PROMPT = [
  'You are an independent reviewer of a proposed change to an LLM pipeline. You did not write it and you',
  'have no context beyond this message. Judge each listed check strictly from the evidence shown.',
  'Verdicts: "pass" (clearly fine), "warn" (doubtful but may be evaluated), "block" (violates the rule).',
  'Give concrete reasons that cite the diff. Answer only with JSON matching the schema:',
  '{"checks":[{"id":<check number>,"verdict":"pass"|"warn"|"block","reasons":["..."]}],"summary":"..."}',
].join('\n');

function buildReviewerMessages(
  proposal: Proposal,
  context: ModelReviewContext,
  checks: ReviewerCheck[],
  diff: VariantDiff,
): { system: string; user: string } {
  const pb = context.playbook;
  const user = [
    `## Proposal\nlevel: ${proposal.level}\ntechnique: ${proposal.technique}\nhypothesis: ${proposal.hypothesis}`,
    `files it would create: ${proposal.files.join(', ') || '(none)'}`,
    `## Playbook scope\nobjective: ${pb.objective || '(not stated)'}\nallowed levels: ${pb.levels.join(', ')}\nallowed files: ${pb.allowedFiles.join(', ')}`,
    `frozen settings: ${pb.frozen.join(', ') || '(none)'}\ntunable params: ${pb.tunableParams.join(', ') || '(any not frozen)'}`,
    `caps: ${JSON.stringify(pb.caps)}\nchecker-aware post-processing allowed: ${pb.allowCheckerAwarePostprocessing}`,
    `## Deterministic check results\n${context.deterministic.map((c) => `- ${c.check}: ${c.verdict}${c.reasons.length ? ` — ${c.reasons.join('; ')}` : ''}`).join('\n')}`,
    `## Diff against the parent variant\n${renderDiff(diff)}`,
    `## Checks to judge\n${checks.map((c) => `${c.id}. ${c.name} (at most ${c.severity}): ${c.question}`).join('\n')}`,
  ].join('\n\n');
  return { system: SYSTEM_PROMPT, user };
}

/** Reads the reviewer's JSON from the structured object, or from the text (fenced or bare). */
function parseReviewerOutput(object: unknown, text: string): z.infer<typeof ReviewerOutputSchema> | string {
  let candidate = object;
  if (candidate === undefined) {
    const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text);
    const raw = fenced ? fenced[1]! : text;
    try {
      candidate = JSON.parse(raw.trim());
    } catch (err) {
      return `reply is not JSON (${errorMessage(err)}): ${text.slice(0, 200)}`;
    }
  }
  const parsed = ReviewerOutputSchema.safeParse(candidate);
  return parsed.success ? parsed.data : `reply does not match the schema: ${z.prettifyError(parsed.error)}`;
}

const SEVERITY_ORDER: Verdict[] = ['pass', 'warn', 'block'];

export async function reviewWithModel(
  model: ModelClient,
  proposal: Proposal,
  context: ModelReviewContext,
): Promise<CheckResult[]> {
  const diff = diffVariant(proposal.parent, proposal);
  const checks = applicableChecks(diff);
  const { system, user } = buildReviewerMessages(proposal, context, checks, diff);
  let reply;
  try {
    reply = await model.generate({
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: user },
      ],
      sampling: context.sampling ?? { temperature: 0, maxTokens: 2000 },
      schema: z.toJSONSchema(ReviewerOutputSchema) as Record<string, unknown>,
      role: 'reviewer',
    });
  } catch (err) {
    if (err instanceof BudgetExceededError) throw err;
    return [checkResult('reviewer-model', { warn: [`the reviewer model call failed: ${errorMessage(err)}`] })];
  }
  const output = parseReviewerOutput(reply.object, reply.text);
  if (typeof output === 'string')
    return [checkResult('reviewer-model', { warn: [`unusable reviewer reply, treated as warn: ${output}`] })];
  return checks.map((c) => {
    const answer = output.checks.find((a) => a.id === c.id);
    const name = `reviewer:${c.id}-${c.name}`;
    if (!answer) return checkResult(name, { warn: ['the reviewer model gave no verdict for this check'] });
    const capped =
      SEVERITY_ORDER.indexOf(answer.verdict) > SEVERITY_ORDER.indexOf(c.severity) ? c.severity : answer.verdict;
    return { check: name, verdict: capped, reasons: answer.reasons };
  });
}
