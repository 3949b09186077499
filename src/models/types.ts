/** The contract between the chain runtime / optimizer roles and any model provider. */

export type Role = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: Role;
  content: string;
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
  usage: Usage;
  costUsd: number;
  latencyMs: number;
  modelId: string;
}
