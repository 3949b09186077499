/**
 * Puts a model's provider attempts behind its shared ModelRateLimiter, as AI SDK middleware: each
 * attempt (the AI SDK's retries included) waits for admission, and reports back whether the provider
 * answered (with its actual token usage), refused it (429 / overloaded, with Retry-After) or failed.
 */
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { APICallError, wrapLanguageModel } from 'ai';
import { inputTokenBound } from './metering.ts';
import type { CallOutcome, ModelRateLimiter } from './rate-limit.ts';

/** 429 Too Many Requests; 529 Anthropic's "overloaded"; 503 what OpenAI-compatible servers send when busy. */
const CONGESTION_STATUSES = new Set([429, 503, 529]);

export function rateLimitedLanguageModel(
  model: LanguageModelV3,
  limiter: ModelRateLimiter,
  outputTokenAllowance: number,
): LanguageModelV3 {
  return wrapLanguageModel({
    model,
    middleware: {
      specificationVersion: 'v3',
      wrapGenerate: async ({ doGenerate, params }) => {
        const bound = inputTokenBound(params) + (params.maxOutputTokens ?? outputTokenAllowance);
        const permit = await limiter.acquire(bound, params.abortSignal);
        let outcome: CallOutcome = { kind: 'failed' };
        try {
          const result = await doGenerate();
          const tokens = (result.usage.inputTokens.total ?? 0) + (result.usage.outputTokens.total ?? 0);
          outcome = { kind: 'ok', tokens };
          return result;
        } catch (err) {
          outcome = congestion(err) ?? outcome;
          throw err;
        } finally {
          permit.release(outcome);
        }
      },
    },
  });
}

/** A 429 / overload answer, with the wait the provider asked for; undefined for other errors. */
export function congestion(err: unknown): CallOutcome | undefined {
  if (!APICallError.isInstance(err) || err.statusCode === undefined) return undefined;
  if (!CONGESTION_STATUSES.has(err.statusCode)) return undefined;
  const retryAfterMs = retryAfter(err.responseHeaders);
  return retryAfterMs === undefined ? { kind: 'rejected' } : { kind: 'rejected', retryAfterMs };
}

/** `retry-after-ms` (OpenAI) or `retry-after` in seconds or as an HTTP date, as the AI SDK reads them. */
export function retryAfter(headers: Record<string, string> | undefined): number | undefined {
  if (!headers) return undefined;
  const ms = Number.parseFloat(headers['retry-after-ms'] ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers['retry-after'];
  if (!value) return undefined;
  const seconds = Number.parseFloat(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
