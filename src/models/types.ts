/** The contract between the chain runtime / optimizer roles and any model provider. */

export type Role = 'system' | 'user' | 'assistant' | 'tool';

/**
 * One chat message. Tool-using turns add two shapes: an assistant message carrying the `toolCalls`
 * it made, and a `tool` message carrying one call's result (`content`) for `toolCallId`.
 */
export interface ChatMessage {
  role: Role;
  content: string;
  /** Assistant messages: the tool calls the model made in that turn. */
  toolCalls?: ToolCall[];
  /** Tool messages: which call this is the result of, and that call's tool. */
  toolCallId?: string;
  toolName?: string;
}

/** A function the model may call: `inputSchema` is a JSON Schema object. */
export interface ToolDefinition {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

/** A call the model asked for; `args` is the parsed JSON (or the raw text when it was not JSON). */
export interface ToolCall {
  id: string;
  name: string;
  args: unknown;
}

/** Sampling parameters are always explicit so that every run can record exactly what it used. */
export interface Sampling {
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  seed?: number;
}

export interface ModelRequest {
  messages: ChatMessage[];
  sampling: Sampling;
  /** JSON Schema (draft 2020-12) for structured output; the response then carries `object`. */
  schema?: Record<string, unknown>;
  /**
   * Identifies an independent sample (e.g. `t2/c3`: trial 2, third call of the case). It is part of the
   * cache key only when temperature > 0, so trials stay independent while variants that share their
   * first steps reuse the same upstream samples.
   */
  sampleKey?: string;
  /** Tools the model may call in this turn; the response then may carry `toolCalls`. */
  tools?: ToolDefinition[];
  /** `none` keeps the tool list (and the cache prefix) but forbids calls, e.g. for a forced final answer. */
  toolChoice?: 'auto' | 'none' | 'required';
  /** Which optimizer role or `task` pays for this call; used by accounting and budgets. */
  role?: string;
  signal?: AbortSignal;
}

export interface Usage {
  /** All input tokens, cached ones included. */
  inputTokens: number;
  outputTokens: number;
  /** Input tokens read from the provider's prompt cache (billed at the cached-input price). */
  cachedInputTokens?: number;
  /** Input tokens written to the provider's prompt cache (Anthropic; billed at the cache-write price). */
  cacheWriteTokens?: number;
}

export interface ModelResponse {
  text: string;
  /** Parsed structured output when `schema` was given. */
  object?: unknown;
  /** Tool calls the model made (only when the request offered `tools`). */
  toolCalls?: ToolCall[];
  usage: Usage;
  costUsd: number;
  latencyMs: number;
  cached: boolean;
  /** `provider:model` that answered. */
  modelId: string;
}

export interface ModelClient {
  /** `provider:model`, e.g. `openai:gpt-4.1-mini`, `sim:qa`. */
  readonly id: string;
  generate(req: ModelRequest): Promise<ModelResponse>;
}

/** A content-addressed store for model responses (implemented by the workspace store). */
export interface ResponseCache {
  get(key: string): CachedResponse | undefined;
  put(key: string, value: CachedResponse): void;
}

export interface CachedResponse {
  text: string;
  object?: unknown;
  toolCalls?: ToolCall[];
  usage: Usage;
  costUsd: number;
  latencyMs: number;
  modelId: string;
}
