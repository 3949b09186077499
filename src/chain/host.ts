import type { ModelClient, Sampling } from '../models/types.ts';
import type { Retriever } from '../retrieval/types.ts';
import { BudgetExceededError, FapoError, InfraError, errorMessage } from '../util/errors.ts';
import type { StepGateway } from './execute.ts';
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

  async hostStep(name: string, vars: Record<string, unknown>): Promise<unknown> {
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
    const template = this.opts.prompts[templateName];
    if (template === undefined) throw new Error(`no prompt template "${templateName}" in the variant's prompt set`);
    const rendered = renderTemplate(template, ctx);
    record.diagnostics.push(...rendered.missing);
    record.inputs = rendered.used;
    if (Object.keys(ctx.vars).length) record.inputs.vars = ctx.vars;
    const messages = toMessages(rendered.text);
    record.messages = messages;
    const ordinal = this.llmCalls++;
    let response;
    try {
      response = await this.opts.model.generate({
        messages,
        sampling: this.opts.sampling,
        schema: outputSchema(spec),
        sampleKey: `t${this.opts.trial}/c${ordinal}`,
        role: this.opts.role ?? 'task',
      });
    } catch (err) {
      // Budget and configuration errors (a bad key, an unknown model) stop the whole run; anything
      // else the model layer raises is infrastructure, never a wrong answer.
      if (err instanceof InfraError || err instanceof BudgetExceededError || err instanceof FapoError) throw err;
      throw new InfraError(`model call failed: ${errorMessage(err)}`, err);
    }
    const parsed = parseOutput(spec, response.text, response.object);
    record.diagnostics.push(...parsed.diagnostics);
    record.output = parsed.output;
    record.rawText = response.text;
    record.model = response.modelId;
    record.tokens = { input: response.usage.inputTokens, output: response.usage.outputTokens };
    record.costUsd = response.costUsd;
    record.cacheHit = response.cached;
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

function resolveK(k: number | string | undefined, ctx: RenderContext): number {
  const value = typeof k === 'number' ? k : Number(renderTemplate(String(k ?? ''), ctx).text);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`retrieval k must be a positive integer, got "${k}" -> ${value}`);
  return value;
}
