import type { AgentStep, ChainDefinition, CodeStep, LlmStep, OutputSpec, RetrieveStep, StepContext } from './types.ts';

/** Identity function that gives a chain module its types. */
export function defineChain(def: ChainDefinition): ChainDefinition {
  return def;
}

/** An llm step: renders the template `prompt` (default: the step name) and calls the task model. */
export function llm(name: string, options: { prompt?: string; output?: OutputSpec } = {}): LlmStep {
  return { kind: 'llm', name, ...options };
}

/** A retrieval step over a resource declared in the task manifest. */
export function retrieve(name: string, options: { resource: string; query: string; k: number | string }): RetrieveStep {
  return { kind: 'retrieve', name, ...options };
}

/** A deterministic TypeScript step (parsing, post-processing, routing). */
export function code(name: string, run: (ctx: StepContext) => unknown | Promise<unknown>): CodeStep {
  return { kind: 'code', name, run };
}

/**
 * A tool-using step: the model works through its template by calling `tools` (names or `*` globs) until
 * it answers, within `maxSteps` turns and `maxToolCallsPerStep` calls, both enforced by the runtime.
 */
export function agent(name: string, options: Omit<AgentStep, 'kind' | 'name'>): AgentStep {
  return { kind: 'agent', name, ...options };
}
