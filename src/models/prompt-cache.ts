/**
 * Provider prompt caching. OpenAI caches long prompt prefixes by itself; Anthropic caches only up to
 * a prefix the request marks with `cache_control`, so for Anthropic models the last system message
 * (a step's instructions: the same for every case, unlike the user message that carries the case) is
 * marked as a cache breakpoint, and in agent tool loops the latest turn too (see markStablePrefix). Prefixes shorter than Anthropic's minimum (1,024 tokens on most
 * models) are simply not cached. Both providers report the cached share of the input, which
 * `usageFromV3` reads so that the meter and the price table can bill it at the cached price.
 */
import type { LanguageModelV3, LanguageModelV3Prompt, LanguageModelV3Usage } from '@ai-sdk/provider';
import { wrapLanguageModel } from 'ai';
import type { Usage } from './types.ts';

/** The AI SDK v3 usage as fapo's Usage: cache reads and writes are part of `inputTokens`. */
export function usageFromV3(usage: LanguageModelV3Usage): Usage {
  const result: Usage = { inputTokens: usage.inputTokens.total ?? 0, outputTokens: usage.outputTokens.total ?? 0 };
  const cacheRead = usage.inputTokens.cacheRead ?? 0;
  const cacheWrite = usage.inputTokens.cacheWrite ?? 0;
  if (cacheRead > 0) result.cachedInputTokens = cacheRead;
  if (cacheWrite > 0) result.cacheWriteTokens = cacheWrite;
  return result;
}

const EPHEMERAL = { anthropic: { cacheControl: { type: 'ephemeral' } } } as const;

/**
 * The prompt with Anthropic cache breakpoints (a copy; the input is kept): the last system message,
 * and in a tool loop under way (the prompt holds a tool result) also the last message, so the next
 * turn reads the whole conversation so far from the cache. A one-shot step's user message carries the
 * case and is never reused: it is not marked (a cache write costs 1.25x the input price).
 */
export function markStablePrefix(prompt: LanguageModelV3Prompt): LanguageModelV3Prompt {
  let lastSystem = -1;
  let toolLoop = false;
  for (let i = 0; i < prompt.length; i++) {
    if (prompt[i]!.role === 'system') lastSystem = i;
    else if (prompt[i]!.role === 'tool') toolLoop = true;
  }
  const marked = new Set<number>();
  if (lastSystem >= 0) marked.add(lastSystem);
  if (toolLoop) marked.add(prompt.length - 1);
  if (marked.size === 0) return prompt;
  return prompt.map((message, i) =>
    marked.has(i) ? { ...message, providerOptions: { ...message.providerOptions, ...EPHEMERAL } } : message,
  ) as LanguageModelV3Prompt;
}

/** For Anthropic models, marks every call's stable prefix; other models are returned as they are. */
export function withPromptCaching(model: LanguageModelV3, provider: string): LanguageModelV3 {
  if (provider !== 'anthropic') return model;
  return wrapLanguageModel({
    model,
    middleware: {
      specificationVersion: 'v3',
      transformParams: async ({ params }) => ({ ...params, prompt: markStablePrefix(params.prompt) }),
    },
  });
}
