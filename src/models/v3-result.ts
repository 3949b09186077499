import type { LanguageModelV3GenerateResult } from '@ai-sdk/provider';

/** The AI SDK v3 result of a plain text completion, for the sim provider. */
export function textResult(text: string, inputTokens: number, outputTokens: number): LanguageModelV3GenerateResult {
  return {
    content: [{ type: 'text', text }],
    finishReason: { unified: 'stop', raw: 'stop' },
    usage: {
      inputTokens: { total: inputTokens, noCache: inputTokens, cacheRead: 0, cacheWrite: 0 },
      outputTokens: { total: outputTokens, text: outputTokens, reasoning: 0 },
    },
    warnings: [],
  };
}
