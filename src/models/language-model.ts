/**
 * `provider:model` id -> an AI SDK v6 LanguageModelV3. The model client wraps it with caching, budgets
 * and accounting; tool-loop agents use it directly with `generateText({ tools, stopWhen })`.
 */
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { createLocalLanguageModel } from './local.ts';
import { parseModelId, resolveApiKey, type ModelIdOptions, type ModelSpec } from './model-id.ts';
import { createSimLanguageModel } from './sim.ts';

export interface LanguageModelOptions extends ModelIdOptions {
  /** The HTTP client of hosted providers (batch jobs capture and replay request bodies through it). */
  fetch?: typeof globalThis.fetch;
}

export function createLanguageModel(id: string | ModelSpec, options: LanguageModelOptions = {}): LanguageModelV3 {
  const spec = typeof id === 'string' ? parseModelId(id, options) : id;
  const apiKey = resolveApiKey(spec, options.env);
  switch (spec.provider) {
    case 'openai':
      // The chat-completions API (not Responses): it takes `seed` and is what compatible servers speak.
      return createOpenAI({ apiKey, baseURL: spec.baseURL, fetch: options.fetch }).chat(spec.model);
    case 'anthropic':
      return createAnthropic({ apiKey, baseURL: spec.baseURL, fetch: options.fetch }).languageModel(spec.model);
    case 'openai-compatible':
      // Without a key the provider sends no Authorization header, which local servers expect.
      return createOpenAICompatible({
        name: 'openai-compatible',
        baseURL: spec.baseURL!,
        apiKey,
        includeUsage: true,
        supportsStructuredOutputs: true,
        fetch: options.fetch,
      }).chatModel(spec.model);
    case 'local':
      return createLocalLanguageModel(spec.model);
    case 'sim':
      return createSimLanguageModel(spec.model);
  }
}
