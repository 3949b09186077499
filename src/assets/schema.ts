/**
 * What `fapo assets` reads from disk: the asset's configuration (asset.yaml) and traces, one JSON
 * object per line. A trace is what a pipeline saw and said; trusted traces also carry people's
 * feedback on it.
 */
import { z } from 'zod';

const LabelSchema = z.union([z.enum(['pass', 'fail']), z.boolean(), z.number().min(0).max(1)]);

export const FeedbackSchema = z
  .object({
    /** Who judged (kept for provenance and to spot raters who contradict each other). */
    rater: z.string().optional(),
    /** pass / fail, true / false, or a score in [0,1] (a pass at 0.5 and above). */
    label: LabelSchema,
    /** What was wrong or right: the raw material of the guideline and the rubrics. */
    comment: z.string().optional(),
  })
  .strict();
export type Feedback = z.infer<typeof FeedbackSchema>;

export const TraceSchema = z
  .object({
    id: z.union([z.string().min(1), z.number()]).transform(String),
    /** What the pipeline was given: an object (fapo case input) or text (wrapped as {text}). */
    input: z.union([z.record(z.string(), z.unknown()), z.string()]),
    output: z.unknown(),
    steps: z.array(z.unknown()).optional(),
    metadata: z.record(z.string(), z.unknown()).default({}),
    feedback: z.union([FeedbackSchema, z.array(FeedbackSchema)]).optional(),
  })
  .strict();
export type TraceLine = z.infer<typeof TraceSchema>;

/** A trace after validation: input always an object, feedback always a list, origin recorded. */
export interface Trace {
  id: string;
  input: Record<string, unknown>;
  output: unknown;
  metadata: Record<string, unknown>;
  feedback: Feedback[];
  trusted: boolean;
  /** `file:line` it came from. */
  where: string;
}

export const AssetConfigSchema = z
  .object({
    name: z.string().min(1),
    /** JSONL of traces with people's feedback (relative to the asset folder). */
    trusted: z.string().min(1),
    /** JSONL of unlabeled traffic, optional. */
    unlabeled: z.string().min(1).optional(),
    /** A malformed trace line stops the run (default) or is skipped and reported. */
    malformed: z.enum(['stop', 'skip']).default('stop'),
    redact: z
      .object({
        emails: z.boolean().default(true),
        phones: z.boolean().default(true),
        keys: z.boolean().default(true),
        /** Names (people, customers) replaced wherever they appear, whole words, any case. */
        names: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .default({ emails: true, phones: true, keys: true, names: [] }),
    cluster: z
      .object({
        /** Cosine similarity (TF-IDF of the inputs) at or above which a trace joins a cluster. */
        threshold: z.number().gt(0).lt(1).default(0.3),
      })
      .strict()
      .default({ threshold: 0.3 }),
    splits: z
      .object({
        train: z.number().min(0).default(0.5),
        val: z.number().min(0).default(0.25),
        test: z.number().min(0).default(0.25),
        seed: z.number().int().default(1),
      })
      .strict()
      .default({ train: 0.5, val: 0.25, test: 0.25, seed: 1 }),
    /** A standard the judge applies to every case, beside what the feedback says. */
    guideline: z.string().default(''),
  })
  .strict();
export type AssetConfig = z.infer<typeof AssetConfigSchema>;
