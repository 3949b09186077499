/**
 * The ModelClient: one `generate()` per model step, with a response cache, single-flight for identical
 * concurrent requests, a concurrency limit, budget reservation, usage/cost accounting and error mapping
 * (persistent provider failures -> InfraError). The call itself goes straight to the provider model
 * (provider-call.ts), with the AI SDK's retries (honouring Retry-After / retry-after-ms) and a deadline.
 */
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { AISDKError } from '@ai-sdk/provider';
import { APICallError, InvalidArgumentError, InvalidPromptError, RetryError } from 'ai';
import pLimit from 'p-limit';
import { BudgetExceededError, FapoError, InfraError, errorMessage } from '../util/errors.ts';
import { responseCacheKey } from './cache-key.ts';
import { createLanguageModel } from './language-model.ts';
import type { UsageMeter } from './meter.ts';
import { meteredLanguageModel, roleFromCallOptions } from './metering.ts';
import { API_KEY_ENV_VARS, parseModelId, type Env, type ModelIdOptions, type ModelSpec } from './model-id.ts';
import { DEFAULT_PRICES, costUsd, lookupPrice, type PriceTable } from './pricing.ts';
import { withPromptCaching } from './prompt-cache.ts';
import { AttemptTimeoutError, RetryAfterTooLongError, callLanguageModel } from './provider-call.ts';
import type { RateLimiterRegistry } from './rate-limit.ts';
import { rateLimitedLanguageModel } from './rate-limited-model.ts';
import type { CachedResponse, ModelClient, ModelRequest, ModelResponse, ResponseCache } from './types.ts';

export { responseCacheKey };

export interface ModelClientOptions extends ModelIdOptions {
  cache?: ResponseCache;
  meter?: UsageMeter;
  /** Maximum concurrent provider calls of this client (default 8). */
  concurrency?: number;
  /** Total time for one generate(), retries included (default 120 000 ms). */
  timeoutMs?: number;
  /** Retries after the first attempt (default 3). */
  maxRetries?: number;
  /** Time limit of each attempt (default: timeoutMs shared by up to three attempts). */
  attemptTimeoutMs?: number;
  prices?: PriceTable;
  /** Use this model instead of building one from the id (tests: MockLanguageModelV3). */
  languageModel?: LanguageModelV3;
  /** Output tokens reserved against token/cost budgets when a request sets no maxTokens (default 4096). */
  outputTokenAllowance?: number;
  /** Per-model rate limits and adaptive concurrency, shared by every client of the registry (rate-limit.ts). */
  rateLimits?: RateLimiterRegistry;
}

const DEFAULT_ROLE = 'task';

/**
 * A cache hit (or a request that joined an identical in-flight one) returns `cached: true`, `costUsd: 0`
 * and its own lookup time as `latencyMs`; it makes no provider call and needs no budget. A request
 * without `role` is billed to `task`.
 */
export function createModelClient(id: string, options: ModelClientOptions = {}): ModelClient {
  const spec = parseModelId(id, options);
  const providerModel = options.languageModel ?? createLanguageModel(spec, options);
  const limit = pLimit(options.concurrency ?? 8);
  const { price } = lookupPrice(spec.id, options.prices ?? DEFAULT_PRICES);
  const timeoutMs = options.timeoutMs ?? 120_000;
  const maxRetries = options.maxRetries ?? 3;
  checkCallLimits(id, timeoutMs, maxRetries);
  const outputAllowance = options.outputTokenAllowance ?? 4096;
  const secrets = secretValues(options.env ?? process.env);
  const inFlight = new Map<string, Promise<CachedResponse>>();
  const { cache, meter } = options;
  const rateLimiter = options.rateLimits?.limiterFor(spec, options.concurrency ?? 8);
  const cachingModel = withPromptCaching(providerModel, spec.provider);
  const model = rateLimiter ? rateLimitedLanguageModel(cachingModel, rateLimiter, outputAllowance) : cachingModel;

  // Budget reservation and usage booking happen in the one metering middleware, per provider attempt.
  const metered = meteredLanguageModel(model, {
    meter,
    role: roleFromCallOptions(DEFAULT_ROLE),
    price,
    outputTokenAllowance: outputAllowance,
  });

  const callProvider = async (req: ModelRequest, role: string): Promise<CachedResponse> => {
    req.signal?.throwIfAborted(); // cancelled while queued: spend no budget
    const started = performance.now();
    try {
      const { text, object, toolCalls, usage } = await callLanguageModel(
        metered,
        { ...req, role },
        { timeoutMs, maxRetries, ...(options.attemptTimeoutMs ? { attemptTimeoutMs: options.attemptTimeoutMs } : {}) },
      );
      const latencyMs = performance.now() - started;
      const response: CachedResponse = { text, usage, costUsd: costUsd(usage, price), latencyMs, modelId: spec.id };
      if (object !== undefined) response.object = object;
      if (toolCalls !== undefined) response.toolCalls = toolCalls;
      return response;
    } catch (err) {
      const latencyMs = performance.now() - started;
      throw toClientError(err, { spec, timeoutMs, elapsedMs: latencyMs, signal: req.signal, secrets });
    }
  };

  const fromCache = (hit: CachedResponse, role: string, started: number, key: string): ModelResponse => {
    meter?.recordCacheHit(role, hit.costUsd, key);
    return { ...hit, costUsd: 0, latencyMs: performance.now() - started, cached: true };
  };

  return {
    id: spec.id,
    async generate(req) {
      const role = req.role ?? DEFAULT_ROLE;
      const started = performance.now();
      if (!cache) return { ...(await limit(() => callProvider(req, role))), cached: false };
      const key = responseCacheKey(spec, req);
      const hit = cache.get(key);
      if (hit) return fromCache(hit, role, started, key);
      const pending = inFlight.get(key);
      if (pending) return fromCache(await pending, role, started, key);
      const call = limit(() => callProvider(req, role));
      inFlight.set(key, call);
      try {
        const response = await call;
        cache.put(key, response);
        meter?.recordServed(key);
        return { ...response, cached: false };
      } finally {
        inFlight.delete(key);
      }
    },
  };
}

const MAX_TIMER_MS = 2_147_483_647; // Node fires longer timers after 1 ms

/** Checked up front: the retry helper would only notice a bad maxRetries after a first failure. */
function checkCallLimits(id: string, timeoutMs: number, maxRetries: number): void {
  if (!(timeoutMs > 0 && timeoutMs <= MAX_TIMER_MS)) {
    throw new FapoError(`${id}: timeoutMs is ${timeoutMs}; it must be between 1 and ${MAX_TIMER_MS} milliseconds.`);
  }
  if (!Number.isInteger(maxRetries) || maxRetries < 0) {
    throw new FapoError(`${id}: maxRetries is ${maxRetries}; it must be a whole number >= 0.`);
  }
}

interface ErrorContext {
  spec: ModelSpec;
  timeoutMs: number;
  elapsedMs: number;
  signal: AbortSignal | undefined;
  secrets: string[];
}

/**
 * Provider failures become InfraError with status and provider; a rejected key or unknown model becomes
 * FapoError; caller cancellations, budget and programming errors pass unchanged.
 */
function toClientError(err: unknown, ctx: ErrorContext): unknown {
  if (err instanceof FapoError || err instanceof BudgetExceededError) return err;
  if (ctx.signal?.aborted) return err; // the caller cancelled: not a provider failure
  if (InvalidArgumentError.isInstance(err) || InvalidPromptError.isInstance(err)) return err;
  const configProblem = asConfigError(err, ctx);
  if (configProblem) return configProblem;
  const name = (err as { name?: string } | undefined)?.name;
  let detail: string;
  if (err instanceof AttemptTimeoutError || err instanceof RetryAfterTooLongError) {
    detail = err.message;
  } else if (name === 'TimeoutError' || name === 'AbortError') {
    detail = `no answer within ${ctx.timeoutMs} ms (timed out after ${Math.round(ctx.elapsedMs)} ms)`;
  } else if (RetryError.isInstance(err)) {
    detail = `${describe(err.lastError)} (gave up after ${err.errors.length} attempts)`;
  } else if (AISDKError.isInstance(err)) {
    detail = describe(err);
  } else {
    return err;
  }
  const message = redact(`${ctx.spec.id} (provider ${ctx.spec.provider}) failed: ${detail}`, ctx.secrets);
  return new InfraError(message, err);
}

/** A rejected key or an unknown model will fail every call: stop the run with a hint instead. */
function asConfigError(err: unknown, ctx: ErrorContext): FapoError | undefined {
  const apiError = RetryError.isInstance(err) ? err.lastError : err;
  if (!APICallError.isInstance(apiError)) return undefined;
  const status = apiError.statusCode;
  if (status === 401 || status === 403) {
    return new FapoError(
      redact(
        `${ctx.spec.id}: the provider rejected the credentials (HTTP ${status}): ${truncate(apiError.message)}`,
        ctx.secrets,
      ),
      ctx.spec.apiKeyEnv ? `Check the API key in ${ctx.spec.apiKeyEnv}.` : 'Check the server configuration.',
    );
  }
  if (status === 404) {
    return new FapoError(
      redact(`${ctx.spec.id}: model or endpoint not found (HTTP 404) at ${apiError.url}`, ctx.secrets),
      'Check the model name and the base URL.',
    );
  }
  return undefined;
}

function describe(err: unknown): string {
  if (APICallError.isInstance(err)) {
    const status = err.statusCode !== undefined ? `HTTP ${err.statusCode}` : 'no HTTP response';
    return `${status} from ${err.url}: ${truncate(err.message)}`;
  }
  return truncate(errorMessage(err));
}

function truncate(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function secretValues(env: Env): string[] {
  return API_KEY_ENV_VARS.map((name) => env[name]?.trim() ?? '').filter((value) => value.length >= 8);
}

const KEY_LIKE = /\b(sk-[A-Za-z0-9_-]{8,}|sk-ant-[A-Za-z0-9_-]{8,})/g;

function redact(text: string, secrets: string[]): string {
  let clean = text;
  for (const secret of secrets) clean = clean.split(secret).join('[redacted]');
  return clean.replace(KEY_LIKE, '[redacted]');
}
