/**
 * Budget accounting for the agent's tool loop: every model step reserves its worst case on the meter
 * before the provider is called and commits what it actually spent after, so a proposer budget is a
 * hard cap (the meter refuses the step that could pass it) and spend is reported per role.
 */
import type { LanguageModelV3, LanguageModelV3CallOptions } from '@ai-sdk/provider';
import { wrapLanguageModel } from 'ai';
import type { UsageMeter } from '../../../models/meter.ts';
import { costUsd, type Price } from '../../../models/pricing.ts';
import type { Usage } from '../../../models/types.ts';

export interface MeteredModelOptions {
  meter?: UsageMeter;
  /** Meter role the steps are charged to (default `proposer`). */
  role?: string;
  price: Price;
  /** Output tokens reserved when a step sets no maxOutputTokens. */
  outputTokenAllowance: number;
  /** Called after every provider call, successful or not (usage is zero for failures). */
  onCall?: (call: { usage: Usage; costUsd: number; latencyMs: number; ok: boolean }) => void;
}

/**
 * An upper bound on a step's input tokens: byte-level tokenizers emit at most one token per UTF-8
 * byte, and the JSON of the prompt and tool schemas is longer than what the provider tokenizes.
 */
export function inputTokenBound(params: LanguageModelV3CallOptions): number {
  return Buffer.byteLength(JSON.stringify(params.prompt)) + Buffer.byteLength(JSON.stringify(params.tools ?? []));
}

export function meteredModel(model: LanguageModelV3, options: MeteredModelOptions): LanguageModelV3 {
  const role = options.role ?? 'proposer';
  return wrapLanguageModel({
    model,
    middleware: {
      specificationVersion: 'v3',
      wrapGenerate: async ({ doGenerate, params }) => {
        const inputBound = inputTokenBound(params);
        const outputBound = params.maxOutputTokens ?? options.outputTokenAllowance;
        const reservation = await options.meter?.reserve(role, {
          tokens: inputBound + outputBound,
          costUsd: costUsd({ inputTokens: inputBound, outputTokens: outputBound }, options.price),
        });
        const started = performance.now();
        try {
          const result = await doGenerate();
          const latencyMs = performance.now() - started;
          const usage: Usage = {
            inputTokens: result.usage.inputTokens.total ?? 0,
            outputTokens: result.usage.outputTokens.total ?? 0,
          };
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
