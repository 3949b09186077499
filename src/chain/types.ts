import type { ChatMessage } from '../models/types.ts';

export type StepKind = 'llm' | 'retrieve' | 'code' | 'agent';

/**
 * How an llm step's text becomes its output:
 * - `text`: the raw completion (trimmed);
 * - `{ json: schema }`: structured output validated against a JSON Schema;
 * - `{ fields: [...] }`: DSPy-style `[[ ## field ## ]]` or `field:` sections parsed into an object.
 */
export type OutputSpec = 'text' | { json: Record<string, unknown> } | { fields: string[] };

export interface LlmStep {
  kind: 'llm';
  name: string;
  /** Template name in the prompt set; defaults to the step name. */
  prompt?: string;
  output?: OutputSpec;
}

export interface RetrieveStep {
  kind: 'retrieve';
  name: string;
  /** A resource named in the task manifest. */
  resource: string;
  /** A template, e.g. `${steps.query_2.output.query}`. */
  query: string;
  /** A number or a template such as `${params.k}`. */
  k: number | string;
}

export interface CodeStep {
  kind: 'code';
  name: string;
  run: (ctx: StepContext) => unknown | Promise<unknown>;
}

/**
 * A tool-using step: its template (like an llm step's) starts a loop in which the model calls tools
 * and reads their results until it answers. Tool names may use `*` globs: workspace tools
 * (`tools/<name>.ts`), MCP tools (`<server>.<tool>`) and `search:<resource>` for a BM25 resource.
 */
export interface AgentStep {
  kind: 'agent';
  name: string;
  prompt?: string;
  /** How the final answer becomes the step's output (default `text`). */
  output?: OutputSpec;
  /** Tool names or globs, or a `${params.x}` template naming a list (comma-separated or an array). */
  tools: string[] | string;
  /** Model turns at most, final answer included (default 8); a number or a `${params.x}` template. */
  maxSteps?: number | string;
  /** Tool calls at most per execution of the step (default 16); a number or a `${params.x}` template. */
  maxToolCallsPerStep?: number | string;
  /** Time one tool call may take before it is recorded as a timeout (default 10 000 ms). */
  toolTimeoutMs?: number;
}

export type StepDecl = LlmStep | RetrieveStep | CodeStep | AgentStep;

/** What a step (or the flow) can see: never the expected answer. */
export interface StepContext {
  input: Record<string, unknown>;
  params: Record<string, unknown>;
  /** Latest output of each step that has run in this case. */
  steps: Record<string, { output: unknown }>;
  /** Extra template variables passed by the flow (e.g. the hop number), as `${vars.x}`. */
  vars: Record<string, unknown>;
}

export interface FlowContext extends Omit<StepContext, 'vars'> {
  /** Runs a declared step and returns its output. Steps may run several times (loops) or not at all (branches). */
  run(step: string, vars?: Record<string, unknown>): Promise<unknown>;
}

export interface ChainDefinition {
  name: string;
  description?: string;
  steps: StepDecl[];
  /** Custom control flow; without it the steps run once each, in declaration order. */
  flow?: (ctx: FlowContext) => Promise<unknown>;
  /** The step whose latest output is the chain's final output; default: the last step that ran. */
  output?: string;
}

/**
 * What executing a chain needs of a variant: its chain module (path and source) and the prompts and
 * params its steps read. The evaluation layer's Variant carries this and more (lineage, level …).
 */
export interface ChainContent {
  chainPath: string;
  chainSource: string;
  prompts: Record<string, string>;
  params: Record<string, unknown>;
}

/** A ChainContent identified by its content hash (executors cache loaded chains by it). */
export interface ChainVariant extends ChainContent {
  hash: string;
}

/** Evidence recorded for every execution of every step. */
export interface StepRecord {
  name: string;
  kind: StepKind;
  /** 0 for the first execution of this step in the case, 1 for the second (loops) … */
  iteration: number;
  /** Resolved inputs: template variables used, retrieval query and k, flow vars. */
  inputs: Record<string, unknown>;
  messages?: ChatMessage[];
  output: unknown;
  /** Raw model text for llm steps. */
  rawText?: string;
  passages?: { id: string; title: string; score: number }[];
  model?: string;
  tokens?: { input: number; output: number };
  costUsd?: number;
  latencyMs: number;
  cacheHit?: boolean;
  error?: string;
  diagnostics: string[];
  /** Agent steps only: the tool loop's turns and tool calls. */
  agent?: AgentRecord;
}

/** Why an agent step's tool loop ended. */
export type AgentStopReason = 'final' | 'max_steps' | 'tool_cap' | 'error';

export interface AgentRecord {
  /** The tool names the step could call, after glob expansion. */
  tools: string[];
  turns: AgentTurn[];
  toolCalls: ToolCallRecord[];
  stopReason: AgentStopReason;
}

/** One model turn inside an agent step. */
export interface AgentTurn {
  turn: number;
  text: string;
  toolCallIds: string[];
  tokens?: { input: number; output: number };
  latencyMs: number;
  cacheHit?: boolean;
  finishReason?: string;
}

export type ToolSource = 'workspace' | 'mcp' | 'resource';

export type ToolErrorKind = 'timeout' | 'not_found' | 'invalid_args' | 'thrown' | 'cap';

/** One tool call made by the model; errors are recorded and fed back to the model, never thrown. */
export interface ToolCallRecord {
  id: string;
  turn: number;
  tool: string;
  source: ToolSource;
  args: unknown;
  result?: unknown;
  latencyMs: number;
  error?: { kind: ToolErrorKind; message: string };
}

/** A tool as the model sees it: name, description and JSON Schema of its input. */
export interface ToolInfo {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

/** Static description of a chain, for attribution, review, diffs and the UI. */
export interface ChainStructure {
  name: string;
  steps: {
    name: string;
    kind: StepKind;
    prompt?: string;
    /** `${...}` references found in the step's template/query/k. */
    references: string[];
    resource?: string;
    query?: string;
    k?: number | string;
    output?: OutputSpec;
    /** Agent steps: the tool subset and loop bounds as declared (a value, or a `${params.x}` template). */
    tools?: string[] | string;
    maxSteps?: number | string;
    maxToolCallsPerStep?: number | string;
    toolTimeoutMs?: number;
  }[];
  customFlow: boolean;
  output?: string;
  /** The workspace's tools (`tools/*.ts`) loaded with the chain, as the model sees them. */
  tools?: ToolInfo[];
}
