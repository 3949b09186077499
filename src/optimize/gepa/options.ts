import { z } from 'zod';
import { FapoError } from '../../util/errors.ts';
import { COMPONENT_SELECTOR_NAMES } from './component-selector.ts';

/** The GEPA paper's per-benchmark budgets in metric calls (MIPROv2-heavy's measured rollouts). */
export const PAPER_BUDGETS = {
  hotpotqa: 6871,
  hover: 7051,
  ifbench: 3593,
  pupa: 2426,
  aime: 1839,
  livebench: 1839,
} as const;

export type PaperBudget = keyof typeof PAPER_BUDGETS;

export const GepaOptionsSchema = z
  .object({
    /** Metric calls (one candidate run on one case × trial), the reference's `max_metric_calls`. */
    maxMetricCalls: z.number().int().positive().optional(),
    /** A paper budget by benchmark name, instead of maxMetricCalls. */
    budget: z.enum(Object.keys(PAPER_BUDGETS) as [PaperBudget, ...PaperBudget[]]).optional(),
    minibatchSize: z.number().int().positive().default(3),
    /** Seed of GEPA's own draws (parents, minibatches, merges); default: the session seed. */
    seed: z.number().int().optional(),
    componentSelector: z.enum(COMPONENT_SELECTOR_NAMES).default('round_robin'),
    skipPerfectScore: z.boolean().default(true),
    perfectScore: z.number().default(1),
    useMerge: z.boolean().default(false),
    maxMergeInvocations: z.number().int().nonnegative().default(5),
    /** Validation ids both merge parents must share (`merge_val_overlap_floor`). */
    mergeValOverlapFloor: z.number().int().positive().default(5),
    mergeSubsampleSize: z.number().int().positive().default(5),
    /** Trials per validation case and per minibatch case (GEPA runs each once). */
    valTrials: z.number().int().positive().default(1),
    trainTrials: z.number().int().positive().default(1),
    /** Reflection model when the session has no reflection role; default: the task model, as in the paper. */
    reflectionModel: z.string().optional(),
    reflectionTemperature: z.number().min(0).default(1),
    reflectionMaxTokens: z.number().int().positive().default(4096),
  })
  .strict()
  .refine((o) => !(o.maxMetricCalls !== undefined && o.budget !== undefined), {
    message: 'give maxMetricCalls or budget, not both',
  })
  .refine((o) => o.maxMetricCalls !== undefined || o.budget !== undefined, {
    message: `a budget is required: maxMetricCalls (e.g. 500) or budget (${Object.keys(PAPER_BUDGETS).join(' | ')})`,
  });

export type GepaOptionsInput = z.input<typeof GepaOptionsSchema>;
export type GepaOptions = z.output<typeof GepaOptionsSchema> & { maxMetricCalls: number };

/** Validates strategy options (from the CLI or a stored session) and resolves the budget preset. */
export function parseGepaOptions(raw: unknown): GepaOptions {
  const parsed = GepaOptionsSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ');
    throw new FapoError(
      `invalid GEPA options: ${issues}`,
      'e.g. {"maxMetricCalls": 500} or {"budget": "hotpotqa"}; see docs/gepa.md.',
    );
  }
  const o = parsed.data;
  return { ...o, maxMetricCalls: o.maxMetricCalls ?? PAPER_BUDGETS[o.budget!] };
}
