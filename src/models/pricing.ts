/**
 * Prices in USD per 1M input / output tokens, and for input read from / written to the provider's
 * prompt cache. The default table is a dated snapshot of public list prices (standard tier; batch
 * jobs are billed at BATCH_DISCOUNT of it); users override or extend it with a JSON file
 * `{ "provider:model": { "input": 2, "output": 8, "cachedInput": 0.5 } }`. A model with no price costs 0 and is reported as
 * `priced: false`, so reports can say the cost is unknown rather than free.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { FapoError, errorMessage } from '../util/errors.ts';
import type { Usage } from './types.ts';

export interface Price {
  /** USD per 1M input tokens. */
  input: number;
  /** USD per 1M output tokens. */
  output: number;
  /** USD per 1M input tokens read from the prompt cache (default: the input price). */
  cachedInput?: number;
  /** USD per 1M input tokens written to the prompt cache (Anthropic; default: the input price). */
  cacheWrite?: number;
}

/** Batch APIs (OpenAI Batch, Anthropic Message Batches) bill 50% of the standard price. */
export const BATCH_DISCOUNT = 0.5;

export type PriceTable = Readonly<Record<string, Price>>;

/** When the default table was last checked against the providers' price pages. */
export const DEFAULT_PRICES_AS_OF = '2025-11';

export const DEFAULT_PRICES: PriceTable = {
  'openai:gpt-5': { input: 1.25, output: 10, cachedInput: 0.125 },
  'openai:gpt-5-mini': { input: 0.25, output: 2, cachedInput: 0.025 },
  'openai:gpt-5-nano': { input: 0.05, output: 0.4, cachedInput: 0.005 },
  'openai:gpt-4.1': { input: 2, output: 8, cachedInput: 0.5 },
  'openai:gpt-4.1-mini': { input: 0.4, output: 1.6, cachedInput: 0.1 },
  'openai:gpt-4.1-nano': { input: 0.1, output: 0.4, cachedInput: 0.025 },
  'openai:gpt-4o': { input: 2.5, output: 10, cachedInput: 1.25 },
  'openai:gpt-4o-mini': { input: 0.15, output: 0.6, cachedInput: 0.075 },
  'openai:o3': { input: 2, output: 8, cachedInput: 0.5 },
  'openai:o3-mini': { input: 1.1, output: 4.4, cachedInput: 0.55 },
  'openai:o4-mini': { input: 1.1, output: 4.4, cachedInput: 0.275 },
  'anthropic:claude-opus-4-5': { input: 5, output: 25, cachedInput: 0.5, cacheWrite: 6.25 },
  'anthropic:claude-opus-4-1': { input: 15, output: 75, cachedInput: 1.5, cacheWrite: 18.75 },
  'anthropic:claude-opus-4-0': { input: 15, output: 75, cachedInput: 1.5, cacheWrite: 18.75 },
  'anthropic:claude-opus-4': { input: 15, output: 75, cachedInput: 1.5, cacheWrite: 18.75 },
  'anthropic:claude-sonnet-4-5': { input: 3, output: 15, cachedInput: 0.3, cacheWrite: 3.75 },
  'anthropic:claude-sonnet-4-0': { input: 3, output: 15, cachedInput: 0.3, cacheWrite: 3.75 },
  'anthropic:claude-sonnet-4': { input: 3, output: 15, cachedInput: 0.3, cacheWrite: 3.75 },
  'anthropic:claude-3-7-sonnet': { input: 3, output: 15, cachedInput: 0.3, cacheWrite: 3.75 },
  'anthropic:claude-haiku-4-5': { input: 1, output: 5, cachedInput: 0.1, cacheWrite: 1.25 },
  'anthropic:claude-3-5-haiku': { input: 0.8, output: 4, cachedInput: 0.08, cacheWrite: 1 },
};

const priceFileSchema = z.record(
  z.string().regex(/^[a-z-]+:.+$/, 'keys are provider:model ids'),
  z.strictObject({
    input: z.number().nonnegative(),
    output: z.number().nonnegative(),
    cachedInput: z.number().nonnegative().optional(),
    cacheWrite: z.number().nonnegative().optional(),
  }),
);

/** The default table with the entries of a JSON price file laid over it. */
export function loadPriceTable(file: string, base: PriceTable = DEFAULT_PRICES): PriceTable {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new FapoError(`Cannot read price file ${file}: ${errorMessage(err)}`, 'It must be a JSON object.');
  }
  const parsed = priceFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new FapoError(
      `Invalid price file ${file} at ${issue.path.join('.') || '(root)'}: ${issue.message}`,
      'Write { "provider:model": { "input": <USD per 1M input tokens>, "output": <USD per 1M output tokens> } }, optionally with "cachedInput" and "cacheWrite" (USD per 1M cached input tokens read / written).',
    );
  }
  return { ...base, ...parsed.data };
}

export interface PriceLookup {
  price: Price;
  /** False when the model has no known price: its cost is reported as 0 but is really unknown. */
  priced: boolean;
}

const FREE: Price = { input: 0, output: 0 };
/** Dated snapshots (`-20250929`, `-2024-08-06`) and `-latest` aliases cost what their base model costs. */
const SNAPSHOT_SUFFIX = /-(\d{8}|\d{4}-\d{2}-\d{2}|latest)$/;

export function lookupPrice(modelId: string, table: PriceTable = DEFAULT_PRICES): PriceLookup {
  const exact = table[modelId] ?? table[modelId.replace(SNAPSHOT_SUFFIX, '')];
  if (exact) return { price: exact, priced: true };
  if (modelId.startsWith('sim:') || modelId.startsWith('local:')) return { price: FREE, priced: true };
  return { price: FREE, priced: false };
}

/**
 * Cost of a call's usage: cached input at the cached-input price, cache writes at the cache-write
 * price, the rest of the input at the input price; `discount` scales it all (batch jobs).
 */
export function costUsd(usage: Usage, price: Price, discount = 1): number {
  const cached = usage.cachedInputTokens ?? 0;
  const written = usage.cacheWriteTokens ?? 0;
  const fresh = usage.inputTokens - cached - written;
  const usd =
    fresh * price.input +
    cached * (price.cachedInput ?? price.input) +
    written * (price.cacheWrite ?? price.input) +
    usage.outputTokens * price.output;
  return (usd * discount) / 1_000_000;
}
