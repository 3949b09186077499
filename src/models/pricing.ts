/**
 * Prices in USD per 1M input / output tokens. The default table is a dated snapshot of public list
 * prices (standard tier, no batch or cache discounts); users override or extend it with a JSON file
 * `{ "provider:model": { "input": 2, "output": 8 } }`. A model with no price costs 0 and is reported as
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
}

export type PriceTable = Readonly<Record<string, Price>>;

/** When the default table was last checked against the providers' price pages. */
export const DEFAULT_PRICES_AS_OF = '2025-11';

export const DEFAULT_PRICES: PriceTable = {
  'openai:gpt-5': { input: 1.25, output: 10 },
  'openai:gpt-5-mini': { input: 0.25, output: 2 },
  'openai:gpt-5-nano': { input: 0.05, output: 0.4 },
  'openai:gpt-4.1': { input: 2, output: 8 },
  'openai:gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'openai:gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'openai:gpt-4o': { input: 2.5, output: 10 },
  'openai:gpt-4o-mini': { input: 0.15, output: 0.6 },
  'openai:o3': { input: 2, output: 8 },
  'openai:o3-mini': { input: 1.1, output: 4.4 },
  'openai:o4-mini': { input: 1.1, output: 4.4 },
  'anthropic:claude-opus-4-5': { input: 5, output: 25 },
  'anthropic:claude-opus-4-1': { input: 15, output: 75 },
  'anthropic:claude-opus-4-0': { input: 15, output: 75 },
  'anthropic:claude-opus-4': { input: 15, output: 75 },
  'anthropic:claude-sonnet-4-5': { input: 3, output: 15 },
  'anthropic:claude-sonnet-4-0': { input: 3, output: 15 },
  'anthropic:claude-sonnet-4': { input: 3, output: 15 },
  'anthropic:claude-3-7-sonnet': { input: 3, output: 15 },
  'anthropic:claude-haiku-4-5': { input: 1, output: 5 },
  'anthropic:claude-3-5-haiku': { input: 0.8, output: 4 },
};

const priceFileSchema = z.record(
  z.string().regex(/^[a-z-]+:.+$/, 'keys are provider:model ids'),
  z.strictObject({ input: z.number().nonnegative(), output: z.number().nonnegative() }),
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
      'Write { "provider:model": { "input": <USD per 1M input tokens>, "output": <USD per 1M output tokens> } }.',
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

export function costUsd(usage: Usage, price: Price): number {
  return (usage.inputTokens * price.input + usage.outputTokens * price.output) / 1_000_000;
}
