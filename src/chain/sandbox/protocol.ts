import { z } from 'zod';

/**
 * Messages between the parent and a sandbox child over Node's IPC channel (advanced serialization,
 * so `undefined`, Dates and Maps in step outputs survive as they would in-process).
 * The child runs untrusted code, so everything it sends is validated before use.
 */

/** Parent → child. */
export type ParentMessage =
  | { op: 'load'; code: string; chainPath: string }
  | { op: 'run'; job: number; input: Record<string, unknown>; params: Record<string, unknown>; state?: unknown }
  /** An agent step (run by the parent) calls a workspace tool, which runs here with the case's state. */
  | { op: 'tool'; job: number; call: number; name: string; args: unknown }
  | { op: 'stepResult'; call: number; ok: true; value: unknown }
  | { op: 'stepResult'; call: number; ok: false; message: string }
  | { op: 'cancel'; job: number }
  | { op: 'ping'; seq: number };

const OutputSpecSchema = z.union([
  z.literal('text'),
  z.object({ json: z.record(z.string(), z.unknown()) }),
  z.object({ fields: z.array(z.string()) }),
]);

/** A step declaration as data: what describeChain reads, without the code steps' functions. */
export const DeclaredStepSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('llm'),
    name: z.string(),
    prompt: z.string().optional(),
    output: OutputSpecSchema.optional(),
  }),
  z.object({
    kind: z.literal('retrieve'),
    name: z.string(),
    resource: z.string(),
    query: z.string(),
    k: z.union([z.number(), z.string()]),
  }),
  z.object({ kind: z.literal('code'), name: z.string() }),
  z.object({
    kind: z.literal('agent'),
    name: z.string(),
    prompt: z.string().optional(),
    output: OutputSpecSchema.optional(),
    tools: z.union([z.array(z.string()), z.string()]),
    maxSteps: z.union([z.number(), z.string()]).optional(),
    maxToolCallsPerStep: z.union([z.number(), z.string()]).optional(),
    toolTimeoutMs: z.number().optional(),
  }),
]);

/** A workspace tool as data: what the model is shown (its code stays in the child). */
export const ToolInfoSchema = z.object({
  name: z.string(),
  description: z.string(),
  inputSchema: z.record(z.string(), z.unknown()),
});
export type DeclaredStep = z.infer<typeof DeclaredStepSchema>;

export const DeclaredChainSchema = z.object({
  name: z.string(),
  customFlow: z.boolean(),
  output: z.string().optional(),
  steps: z.array(DeclaredStepSchema),
  tools: z.array(ToolInfoSchema).default([]),
});
export type DeclaredChain = z.infer<typeof DeclaredChainSchema>;

const CodeRecordSchema = z.object({
  name: z.string(),
  vars: z.record(z.string(), z.unknown()),
  output: z.unknown(),
  latencyMs: z.number(),
  error: z.string().optional(),
});
export type CodeRecord = z.infer<typeof CodeRecordSchema>;
/**
 * Code steps' records ride on the case's next message (its next host step, `done` or `fail`) rather
 * than each costing a message of its own: the parent applies them, in order, before that message.
 */
const CarriedRecords = z.array(CodeRecordSchema).optional();

/** Child → parent. */
export const ChildMessageSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('loaded'), chain: DeclaredChainSchema }),
  z.object({ op: z.literal('loadFailed'), message: z.string() }),
  z.object({
    op: z.literal('step'),
    job: z.number(),
    call: z.number(),
    name: z.string(),
    vars: z.record(z.string(), z.unknown()),
    records: CarriedRecords,
  }),
  z.object({
    op: z.literal('done'),
    job: z.number(),
    output: z.unknown(),
    state: z.unknown().optional(),
    records: CarriedRecords,
  }),
  z.object({
    op: z.literal('toolResult'),
    call: z.number(),
    ok: z.boolean(),
    value: z.unknown().optional(),
    kind: z.enum(['not_found', 'invalid_args', 'thrown']).optional(),
    message: z.string().optional(),
  }),
  /** `hostCall` is set when the case failed with the very error a host step raised (e.g. an InfraError). */
  z.object({
    op: z.literal('fail'),
    job: z.number(),
    name: z.string(),
    message: z.string(),
    hostCall: z.number().optional(),
    records: CarriedRecords,
  }),
  z.object({ op: z.literal('pong'), seq: z.number() }),
]);
export type ChildMessage = z.infer<typeof ChildMessageSchema>;
