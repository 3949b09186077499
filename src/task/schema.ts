import { z } from 'zod';

/** One dataset line. `expected` and `metadata` are only ever seen by the scorer and the runtime. */
export const CaseSchema = z.object({
  id: z.union([z.string().min(1), z.number()]).transform(String),
  input: z.record(z.string(), z.unknown()),
  expected: z.unknown(),
  metadata: z.record(z.string(), z.unknown()).default({}),
});
export type Case = z.infer<typeof CaseSchema>;

export const SPLITS = ['train', 'val', 'test'] as const;
export type Split = (typeof SPLITS)[number];

export const LEVELS = ['prompt', 'param', 'structure'] as const;
export type Level = (typeof LEVELS)[number];

export const SamplingSchema = z
  .object({
    temperature: z.number().min(0).max(2).optional(),
    topP: z.number().gt(0).max(1).optional(),
    maxTokens: z.number().int().positive().optional(),
    seed: z.number().int().optional(),
  })
  .strict();

export const ResourceSchema = z
  .object({
    type: z.literal('bm25'),
    /** JSONL of {id, title, text}, relative to the workspace. */
    path: z.string().min(1),
    k1: z.number().positive().default(0.9),
    b: z.number().min(0).max(1).default(0.4),
    stem: z.boolean().default(true),
    stopwords: z.boolean().default(true),
  })
  .strict();

const McpServerSchema = z.union([
  z
    .object({
      /** Executable started by fapo; it speaks MCP on stdin/stdout. */
      command: z.string().min(1),
      args: z.array(z.string()).default([]),
      /** Working directory, relative to the workspace (default: the workspace). */
      cwd: z.string().optional(),
      /** Extra environment variables (values written here are not secret: use passEnv for keys). */
      env: z.record(z.string(), z.string()).default({}),
      /** Variables of fapo's own environment passed to the server (e.g. an API key it needs). */
      passEnv: z.array(z.string()).default([]),
      /** `case`: a fresh server process for every case and trial (its state starts over); default `run`. */
      scope: z.enum(['run', 'case']).default('run'),
      /** A tool called without arguments when a case ends; its result is the scorer's `serverStates[<name>]`. */
      stateTool: z.string().min(1).optional(),
    })
    .strict(),
  z
    .object({
      url: z.url(),
      headers: z.record(z.string(), z.string()).default({}),
      stateTool: z.string().min(1).optional(),
    })
    .strict(),
]);

export const ToolsSchema = z
  .object({
    /** MCP servers agent steps may use, by name; their tools are `<name>.<tool>`. */
    mcp: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'use letters, digits, "_" or "-"'), McpServerSchema).default({}),
    /**
     * The per-case environment of workspace tools: `reset` is a JSON file, copied fresh for every case
     * and trial; tools read and change the copy (`ctx.state`) and the scorer receives its final value.
     */
    environment: z
      .object({ reset: z.string().min(1) })
      .strict()
      .optional(),
  })
  .strict();

export const ManifestSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().default(''),
    /** Baseline chain module, relative to the workspace. */
    chain: z.string().default('chain.ts'),
    scorer: z.string().default('scorer.ts'),
    /** Folder of prompt templates, one `<template>.md` per llm step. */
    prompts: z.string().default('prompts'),
    params: z.string().default('params.json'),
    playbook: z.string().default('playbook.yaml'),
    data: z.string().default('data'),
    /** Default task model, `provider:model`; without one, `--model` is required. */
    model: z.string().min(1).optional(),
    sampling: SamplingSchema.default({ temperature: 1, topP: 0.95, maxTokens: 1000 }),
    /** The model judge scorers consult (`input.judge`); `--judge-model` overrides it. */
    judge: z
      .object({ model: z.string().min(1) })
      .strict()
      .optional(),
    resources: z.record(z.string(), ResourceSchema).default({}),
    tools: ToolsSchema.default({ mcp: {} }),
    /** Limits on chain code run in the sandbox (docs/security.md). */
    sandbox: z
      .object({
        /** Bytes (serialized) of a case's output with its tool state, or of one tool result; default 4 MiB. */
        maxOutputBytes: z.number().int().positive().optional(),
        /** Bytes (serialized) of one step record (code step record, llm step variables); default 4 MiB. */
        maxStepRecordBytes: z.number().int().positive().optional(),
        /** Seconds a case may run before it is a timeout error; default 300. `--case-timeout` overrides. */
        caseTimeoutSeconds: z.number().positive().optional(),
      })
      .strict()
      .default({}),
    /** Metadata keys holding gold evidence (e.g. supporting titles) that attribution may read on train cases. */
    goldEvidence: z.string().optional(),
  })
  .strict();
export type Manifest = z.infer<typeof ManifestSchema>;

export const PlaybookSchema = z
  .object({
    /** What the task is, for the optimizer roles. */
    objective: z.string().default(''),
    levels: z.array(z.enum(LEVELS)).min(1).default(['prompt']),
    /** Globs (workspace-relative) a proposal may create files under. */
    allowedFiles: z.array(z.string()).default(['prompts/**']),
    /** Sampling/model settings no variant may change unless freed here. */
    frozen: z.array(z.string()).default(['model', 'temperature', 'topP', 'maxTokens']),
    /** Parameters (params.json keys) a param-level variant may change; empty = any not frozen. */
    tunableParams: z.array(z.string()).default([]),
    /** Hard caps enforced on every variant, e.g. passagesPerHop, hops, totalPassages. */
    caps: z.record(z.string(), z.number()).default({}),
    /** Whether deterministic post-processing that targets the checker is allowed (reported separately). */
    allowCheckerAwarePostprocessing: z.boolean().default(false),
    notes: z.string().default(''),
  })
  .strict();
export type Playbook = z.infer<typeof PlaybookSchema>;
