import type { ModelClient, Sampling } from '../models/types.ts';
import { structuredOutputParser } from '../models/structured-output.ts';
import type { Retriever } from '../retrieval/types.ts';
import { BudgetExceededError, FapoError, InfraError, errorMessage } from '../util/errors.ts';
import { runAgentLoop } from './agent/loop.ts';
import {
  DEFAULT_MAX_STEPS,
  DEFAULT_MAX_TOOL_CALLS,
  DEFAULT_TOOL_TIMEOUT_MS,
  resolveAgentTools,
  resolveCount,
} from './agent/resolve.ts';
import type { StepGateway } from './execute.ts';
import type { LocalTools } from './tools/case-tools.ts';
import type { McpToolSource } from './tools/mcp.ts';
import { outputSchema, parseOutput } from './parse-output.ts';
import { type RenderContext, renderTemplate, toMessages } from './template.ts';
import type { ChainStructure, StepRecord } from './types.ts';

/** Throws when a retrieval would exceed the task's caps (k per hop, hops, total passages). */
export type RetrievalGuard = (k: number, hopIndex: number, totalSoFar: number) => void;

export interface CaseHostOptions {
  structure: ChainStructure;
  prompts: Record<string, string>;
  params: Record<string, unknown>;
  model: ModelClient;
  sampling: Sampling;
  retrievers: ReadonlyMap<string, Retriever>;
  trial: number;
  retrievalGuard?: RetrievalGuard;
  /** Accounting role of the task-model calls (default `task`; the final test uses `test`). */
  role?: string;
  /** MCP servers agent steps may use (`<server>.<tool>`). */
  mcp?: McpToolSource;
}

/**
 * The parent-side state of one case: renders templates, calls the model and the retrievers, and
 * records every step. The chain code (possibly sandboxed) only sees step outputs.
 */
export class CaseHost implements StepGateway {
  readonly records: StepRecord[] = [];
  readonly diagnostics: string[] = [];
  private readonly steps: RenderContext['steps'] = {};
  private readonly iterations = new Map<string, number>();
  private llmCalls = 0;
  private retrievals = 0;
  private passagesSoFar = 0;

  constructor(
    private readonly opts: CaseHostOptions,
    private readonly input: Record<string, unknown>,
  ) {}

  /** Set by the runner to a fresh copy of the task's tool environment; the executor leaves the final state here. */
  toolState?: unknown;

  async hostStep(name: string, vars: Record<string, unknown>, tools: LocalTools): Promise<unknown> {
    const decl = this.opts.structure.steps.find((s) => s.name === name);
    if (!decl) throw new Error(`unknown step "${name}"`);
    const iteration = this.nextIteration(name);
    const ctx: RenderContext = { input: this.input, params: this.opts.params, steps: this.steps, vars };
    const started = performance.now();
    const record: StepRecord = {
      name,
      kind: decl.kind,
      iteration,
      inputs: {},
      output: undefined,
      latencyMs: 0,
      diagnostics: [],
    };
    this.records.push(record);
    try {
      if (decl.kind === 'llm') await this.runLlm(decl.prompt ?? name, decl.output, ctx, record);
      else if (decl.kind === 'retrieve') this.runRetrieve(decl.resource!, decl, ctx, record);
      else if (decl.kind === 'agent') await this.runAgent(decl, ctx, record, tools);
      else throw new Error(`step "${name}" is a code step and runs in the chain process`);
    } catch (err) {
      record.error = errorMessage(err);
      throw err;
    } finally {
      record.latencyMs = performance.now() - started;
      for (const d of record.diagnostics) this.diagnostics.push(`${name}#${iteration}: ${d}`);
    }
    this.steps[name] = { output: record.output };
    return record.output;
  }

  recordCode(r: {
    name: string;
    vars: Record<string, unknown>;
    output: unknown;
    latencyMs: number;
    error?: string;
  }): void {
    const iteration = this.nextIteration(r.name);
    this.records.push({
      name: r.name,
      kind: 'code',
      iteration,
      inputs: Object.keys(r.vars).length ? { vars: r.vars } : {},
      output: r.output,
      latencyMs: r.latencyMs,
      ...(r.error ? { error: r.error } : {}),
      diagnostics: [],
    });
    if (!r.error) this.steps[r.name] = { output: r.output };
  }

  private nextIteration(name: string): number {
    const n = this.iterations.get(name) ?? 0;
    this.iterations.set(name, n + 1);
    return n;
  }

  private async runLlm(
    templateName: string,
    spec: ChainStructure['steps'][number]['output'],
    ctx: RenderContext,
    record: StepRecord,
  ): Promise<void> {
    const messages = this.renderPrompt(templateName, ctx, record);
    const ordinal = this.llmCalls++;
    const response = await modelCall(() =>
      this.opts.model.generate({
        messages,
        sampling: this.opts.sampling,
        schema: outputSchema(spec),
        sampleKey: `t${this.opts.trial}/c${ordinal}`,
        role: this.opts.role ?? 'task',
      }),
    );
    const parsed = parseOutput(spec, response.text, response.object);
    record.diagnostics.push(...parsed.diagnostics);
    record.output = parsed.output;
    record.rawText = response.text;
    record.model = response.modelId;
    record.tokens = { input: response.usage.inputTokens, output: response.usage.outputTokens };
    record.costUsd = response.costUsd;
    record.cacheHit = response.cached;
  }

  private async runAgent(
    decl: ChainStructure['steps'][number],
    ctx: RenderContext,
    record: StepRecord,
    local: LocalTools,
  ): Promise<void> {
    const messages = this.renderPrompt(decl.prompt ?? decl.name, ctx, record);
    const tools = await resolveAgentTools(decl, ctx, this.opts.prompts, {
      workspace: this.opts.structure.tools ?? [],
      local,
      retrievers: this.opts.retrievers,
      ...(this.opts.mcp ? { mcp: this.opts.mcp } : {}),
      searchGuard: (k) => this.countRetrieval(k),
    });
    const loop = await modelCall(() =>
      runAgentLoop({
        model: this.opts.model,
        sampling: this.opts.sampling,
        role: this.opts.role ?? 'task',
        nextSampleKey: () => `t${this.opts.trial}/c${this.llmCalls++}`,
        messages,
        tools,
        maxSteps: resolveCount(decl.maxSteps, DEFAULT_MAX_STEPS, `agent step "${decl.name}": maxSteps`, ctx),
        maxToolCalls: resolveCount(
          decl.maxToolCallsPerStep,
          DEFAULT_MAX_TOOL_CALLS,
          `agent step "${decl.name}": maxToolCallsPerStep`,
          ctx,
        ),
        toolTimeoutMs: decl.toolTimeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS,
      }),
    );
    record.agent = loop.trace;
    record.diagnostics.push(...loop.diagnostics);
    record.rawText = loop.text;
    if (loop.modelId) record.model = loop.modelId;
    record.tokens = loop.tokens;
    record.costUsd = loop.costUsd;
    record.cacheHit = loop.cacheHit;
    const schema = outputSchema(decl.output);
    const object = schema && loop.text ? (await structuredOutputParser(schema))(loop.text) : undefined;
    const parsed = parseOutput(decl.output, loop.text, object);
    record.diagnostics.push(...parsed.diagnostics);
    record.output = parsed.output;
  }

  private renderPrompt(templateName: string, ctx: RenderContext, record: StepRecord) {
    const template = this.opts.prompts[templateName];
    if (template === undefined) throw new Error(`no prompt template "${templateName}" in the variant's prompt set`);
    const rendered = renderTemplate(template, ctx);
    record.diagnostics.push(...rendered.missing);
    record.inputs = rendered.used;
    if (Object.keys(ctx.vars).length) record.inputs.vars = ctx.vars;
    const messages = toMessages(rendered.text);
    record.messages = messages;
    return messages;
  }

  private countRetrieval(k: number): void {
    this.opts.retrievalGuard?.(k, this.retrievals, this.passagesSoFar);
    this.retrievals++;
    this.passagesSoFar += k;
  }

  private runRetrieve(
    resource: string,
    decl: ChainStructure['steps'][number],
    ctx: RenderContext,
    record: StepRecord,
  ): void {
    const retriever = this.opts.retrievers.get(resource);
    if (!retriever) throw new Error(`retrieve step "${decl.name}" uses unknown resource "${resource}"`);
    const query = renderTemplate(decl.query ?? '', ctx);
    record.diagnostics.push(...query.missing);
    const k = resolveK(decl.k, ctx);
    this.opts.retrievalGuard?.(k, this.retrievals, this.passagesSoFar);
    const passages = retriever.search(query.text, k);
    this.retrievals++;
    this.passagesSoFar += passages.length;
    record.inputs = { query: query.text, k, resource };
    record.output = passages.map((p) => ({ id: p.id, title: p.title, text: p.text }));
    record.passages = passages.map((p) => ({ id: p.id, title: p.title, score: p.score }));
  }
}

/**
 * Budget and configuration errors (a bad key, an unknown model) stop the whole run; anything else the
 * model layer raises is infrastructure, never a wrong answer.
 */
async function modelCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof InfraError || err instanceof BudgetExceededError || err instanceof FapoError) throw err;
    throw new InfraError(`model call failed: ${errorMessage(err)}`, err);
  }
}

function resolveK(k: number | string | undefined, ctx: RenderContext): number {
  const value = typeof k === 'number' ? k : Number(renderTemplate(String(k ?? ''), ctx).text);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`retrieval k must be a positive integer, got "${k}" -> ${value}`);
  return value;
}
