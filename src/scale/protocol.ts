/**
 * What travels over the queue, checked with zod on both sides (a payload read from Redis is input
 * like any other). A job carries the variant's content and hash, the case, the trial, the model id and
 * sampling: never a key or an endpoint (workers use their own environment).
 */
import { z } from 'zod';
import { createHash } from 'node:crypto';
import type { StepRecord } from '../chain/types.ts';
import { CaseSchema, SamplingSchema } from '../task/schema.ts';

export const PROTOCOL_VERSION = 1;

/** One queue per task (by manifest name): a worker serves the tasks whose workspaces it has. */
export function queueName(taskName: string): string {
  return `fapo-cases-${taskName.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}

/**
 * Derived from (run id, case id, trial): re-dispatching after a coordinator restart finds the same
 * job instead of adding a second one. BullMQ forbids `:` in custom ids; the case id is hashed
 * because it may contain anything.
 */
export function caseJobId(runId: string, caseId: string, trial: number): string {
  const c = createHash('sha256').update(caseId).digest('hex').slice(0, 24);
  return `r${runId.slice(0, 32)}-c${c}-t${trial}`;
}

export const CaseJobSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  task: z.string(),
  runId: z.string(),
  /** The parts of the run spec a worker checks against its own workspace before running. */
  fingerprints: z.object({
    dataset: z.string(),
    scorer: z.string().optional(),
    chain: z.string().optional(),
    resources: z.record(z.string(), z.string()).optional(),
    tools: z.string().optional(),
    fapoVersion: z.string().optional(),
  }),
  variant: z.object({
    hash: z.string(),
    chainPath: z.string(),
    chainSource: z.string(),
    prompts: z.record(z.string(), z.string()),
    params: z.record(z.string(), z.unknown()),
  }),
  case: CaseSchema,
  trial: z.number().int().nonnegative(),
  model: z.string(),
  sampling: SamplingSchema,
  /** The judge model judge scorers consult, when the run has one. */
  judge: z.string().optional(),
  role: z.string().optional(),
  caseTimeoutMs: z.number().int().positive().optional(),
  /** Redis budget scope whose caps every provider call of this job reserves against (src/scale/budget.ts). */
  budget: z.string().optional(),
});
export type CaseJob = z.infer<typeof CaseJobSchema>;

export const CaseUsageSchema = z.object({
  /** Provider calls this job paid for. */
  calls: z.number(),
  /** Answers found in a cache (the worker's SQLite or the shared Redis layer). */
  cacheHits: z.number(),
  /** Of those, answers another worker had paid for (shared Redis layer). */
  sharedHits: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  costUsd: z.number(),
});
export type CaseUsage = z.infer<typeof CaseUsageSchema>;

const CaseResultSchema = z.object({
  caseId: z.string(),
  trial: z.number().int(),
  status: z.enum(['ok', 'task_error', 'infra_error', 'scorer_error']),
  output: z.unknown(),
  score: z.number().nullable(),
  breakdown: z.record(z.string(), z.number()).optional(),
  feedback: z.string().optional(),
  // Written by fapo's own CaseHost; only the array-of-objects shape is checked (as the result store does).
  steps: z.array(z.custom<StepRecord>((s) => typeof s === 'object' && s !== null)),
  error: z.string().optional(),
  diagnostics: z.array(z.string()),
  latencyMs: z.number(),
});

export const CaseJobResultSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  worker: z.string(),
  usage: CaseUsageSchema,
  outcome: z.union([
    z.object({ result: CaseResultSchema }),
    z.object({
      fatal: z.object({
        kind: z.enum(['budget', 'config']),
        budget: z.string().optional(),
        message: z.string(),
        hint: z.string().optional(),
      }),
    }),
  ]),
});
export type CaseJobResult = z.infer<typeof CaseJobResultSchema>;
