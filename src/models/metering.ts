/**
 * The one metering path of every model call fapo makes, as AI SDK language-model middleware: before a
 * call reaches the provider it reserves its worst case on the meter (so budgets are hard caps: the
 * meter refuses the call that could pass one), and after it commits what the call spent (or releases
 * the reservation when it failed). The ModelClient (task, analyst, reviewer and reflection calls) and
 * the AI SDK tool loops (the agent proposer, and any multi-turn `generateText({ model, tools })`) wrap
 * their model with `meteredLanguageModel`; each provider attempt is metered on its own.
 */
import type { LanguageModelV3, LanguageModelV3CallOptions, LanguageModelV3Usage } from '@ai-sdk/provider';
import { wrapLanguageModel } from 'ai';
import type { UsageMeter } from './meter.ts';
import { costUsd, type Price } from './pricing.ts';
import { usageFromV3 } from './prompt-cache.ts';
import type { Usage } from './types.ts';

export interface MeteringOptions {
  meter?: UsageMeter;
  /** The role a call is charged to: fixed, or read per call (the ModelClient passes each request's role). */
  role: string | ((options: LanguageModelV3CallOptions) => string);
  price: Price;
  /** Output tokens reserved when a call sets no maxOutputTokens. */
  outputTokenAllowance: number;
  /** Called after every provider call, successful or not (usage is zero for failures). */
  onCall?: (call: { usage: Usage; costUsd: number; latencyMs: number; ok: boolean }) => void;
}

/** Where the ModelClient puts a request's role in the call options. */
export const ROLE_OPTION = 'fapo';

/** The role of a call made through the ModelClient (`providerOptions.fapo.role`). */
export const roleFromCallOptions =
  (fallback: string) =>
  (options: LanguageModelV3CallOptions): string => {
    const role = options.providerOptions?.[ROLE_OPTION]?.role;
    return typeof role === 'string' ? role : fallback;
  };

/** Tokens a chat template may add around one message (role markers, separators). */
const MESSAGE_OVERHEAD = 8;

/**
 * An upper bound on a call's input tokens: byte-level tokenizers emit at most one token per UTF-8 byte
 * of the text they are given (message texts, tool calls and results, tool and response schemas as
 * JSON), plus a few template tokens per message. Tight enough that a budget admits the calls it can pay
 * for; never below what the provider will count.
 */
export function inputTokenBound(options: LanguageModelV3CallOptions): number {
  let bytes = 0;
  for (const message of options.prompt) {
    bytes += MESSAGE_OVERHEAD;
    if (typeof message.content === 'string') {
      bytes += Buffer.byteLength(message.content);
      continue;
    }
    for (const part of message.content) {
      if (part.type === 'text' || part.type === 'reasoning') bytes += Buffer.byteLength(part.text);
      else if (part.type === 'tool-call') bytes += Buffer.byteLength(part.toolName + JSON.stringify(part.input));
      else bytes += Buffer.byteLength(JSON.stringify(part));
    }
  }
  if (options.tools) bytes += Buffer.byteLength(JSON.stringify(options.tools));
  if (options.responseFormat?.type === 'json' && options.responseFormat.schema)
    bytes += Buffer.byteLength(JSON.stringify(options.responseFormat.schema));
  return bytes;
}

/** The most a call can cost: all input written to the prompt cache when that costs more than plain input. */
function worstCaseUsage(inputTokens: number, outputTokens: number, price: Price): Usage {
  const usage: Usage = { inputTokens, outputTokens };
  if ((price.cacheWrite ?? 0) > price.input) usage.cacheWriteTokens = inputTokens;
  return usage;
}

const isCount = (n: number | undefined): n is number => n !== undefined && Number.isSafeInteger(n) && n >= 0;

/**
 * What a provider says a call used, unless the report is missing or impossible (negative, fractional,
 * cached parts above the total): a budget is only as hard as the usage it adds up, and an endpoint
 * reporting -162,000 tokens would otherwise buy calls past the cap. Such a call is billed its bound,
 * the most it could have used, and the answer carries a warning that says so.
 */
function billableUsage(
  reported: LanguageModelV3Usage,
  bound: { input: number; output: number },
): { usage: LanguageModelV3Usage; problem?: string } {
  const { total: input, cacheRead = 0, cacheWrite = 0 } = reported.inputTokens;
  const output = reported.outputTokens.total;
  const problem = !isCount(input)
    ? `input tokens ${input ?? 'missing'}`
    : !isCount(output)
      ? `output tokens ${output ?? 'missing'}`
      : !isCount(cacheRead) || !isCount(cacheWrite) || cacheRead + cacheWrite > input
        ? `cached input tokens ${cacheRead} + ${cacheWrite} of ${input}`
        : undefined;
  if (!problem) return { usage: reported };
  return {
    problem,
    usage: {
      inputTokens: { total: bound.input, noCache: bound.input, cacheRead: 0, cacheWrite: 0 },
      outputTokens: { total: bound.output, text: bound.output, reasoning: 0 },
    },
  };
}

export function meteredLanguageModel(model: LanguageModelV3, options: MeteringOptions): LanguageModelV3 {
  const roleOf = typeof options.role === 'string' ? () => options.role as string : options.role;
  return wrapLanguageModel({
    model,
    middleware: {
      specificationVersion: 'v3',
      wrapGenerate: async ({ doGenerate, params }) => {
        const inputBound = inputTokenBound(params);
        const outputBound = params.maxOutputTokens ?? options.outputTokenAllowance;
        const reservation = await options.meter?.reserve(roleOf(params), {
          tokens: inputBound + outputBound,
          costUsd: costUsd(worstCaseUsage(inputBound, outputBound, options.price), options.price),
        });
        const started = performance.now();
        try {
          const answer = await doGenerate();
          const latencyMs = performance.now() - started;
          const billed = billableUsage(answer.usage, { input: inputBound, output: outputBound });
          const result = billed.problem
            ? {
                ...answer,
                usage: billed.usage,
                warnings: [
                  ...answer.warnings,
                  {
                    type: 'other' as const,
                    message: `the provider reported impossible token usage (${billed.problem}); billed the call's bound (${inputBound} in, ${outputBound} out) instead`,
                  },
                ],
              }
            : answer;
          const usage = usageFromV3(result.usage);
          const cost = costUsd(usage, options.price);
          reservation?.commit({ usage, costUsd: cost, latencyMs });
          options.onCall?.({ usage, costUsd: cost, latencyMs, ok: true });
          return result;
        } catch (err) {
          const latencyMs = performance.now() - started;
          reservation?.fail(latencyMs);
          options.onCall?.({ usage: { inputTokens: 0, outputTokens: 0 }, costUsd: 0, latencyMs, ok: false });
          throw err;
        }
      },
    },
  });
}
