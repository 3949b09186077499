/**
 * One model call straight through the provider's `LanguageModelV3.doGenerate`, without `generateText`:
 * that function spends ~250 µs per call on prompt schema validation, telemetry spans and result
 * assembly a single-step, tool-free call never uses. What the AI SDK does that matters here is kept,
 * from its own exports: call-setting validation (`prepareCallSettings`), retries with exponential
 * backoff that honour `retry-after` / `retry-after-ms` (`prepareRetries`, the helper generateText
 * uses), and prototype-safe JSON parsing (`secureJsonParse`). The HTTP, auth, request mapping and
 * error classification stay in the providers.
 */
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3Content,
  LanguageModelV3Message,
  LanguageModelV3Prompt,
} from '@ai-sdk/provider';
import { secureJsonParse } from '@ai-sdk/provider-utils';
import { InvalidPromptError } from 'ai';
import { prepareCallSettings, prepareRetries } from 'ai/internal';
import type { ChatMessage, ModelRequest, Usage } from './types.ts';

// Strict mode rejects ordinary schemas (optional properties, no additionalProperties: false).
const OPENAI_OPTIONS = { strictJsonSchema: false };

export interface ProviderCallLimits {
  /** Total time for the call, retries included; the provider is aborted after it with a TimeoutError. */
  timeoutMs: number;
  /** Retries after the first attempt. */
  maxRetries: number;
}

export interface ProviderCallResult {
  text: string;
  /** The parsed JSON when the request had a schema and the model answered with JSON. */
  object?: unknown;
  usage: Usage;
}

/**
 * Throws what the provider throws (APICallError, RetryError after the last retry, a TimeoutError or
 * AbortError DOMException when the deadline or the caller's signal fires); the caller maps it.
 */
export async function callLanguageModel(
  model: LanguageModelV3,
  req: ModelRequest,
  limits: ProviderCallLimits,
): Promise<ProviderCallResult> {
  const deadline = startDeadline(limits.timeoutMs, req.signal);
  try {
    const options = toCallOptions(req, deadline.signal);
    const { retry } = prepareRetries({ maxRetries: limits.maxRetries, abortSignal: deadline.signal });
    const result = await retry(() => model.doGenerate(options));
    const text = joinText(result.content);
    const usage = { inputTokens: result.usage.inputTokens.total ?? 0, outputTokens: result.usage.outputTokens.total ?? 0 };
    if (!req.schema) return { text, usage };
    const object = parseJsonObject(text);
    return object === undefined ? { text, usage } : { text, object, usage };
  } finally {
    deadline.clear();
  }
}

export function toCallOptions(req: ModelRequest, abortSignal: AbortSignal): LanguageModelV3CallOptions {
  const { temperature, topP, maxTokens, seed } = req.sampling;
  const settings = prepareCallSettings({ temperature, topP, maxOutputTokens: maxTokens, seed });
  const options: LanguageModelV3CallOptions = {
    prompt: toPrompt(req.messages),
    temperature: settings.temperature,
    topP: settings.topP,
    maxOutputTokens: settings.maxOutputTokens,
    seed: settings.seed,
    abortSignal,
    providerOptions: { sim: { sampleKey: req.sampleKey ?? null }, openai: OPENAI_OPTIONS },
  };
  if (req.schema) options.responseFormat = { type: 'json', schema: req.schema };
  return options;
}

/** The same prompt generateText builds from string-content chat messages. */
export function toPrompt(messages: ChatMessage[]): LanguageModelV3Prompt {
  if (messages.length === 0) throw new InvalidPromptError({ prompt: messages, message: 'messages must not be empty' });
  return messages.map(toPromptMessage);
}

function toPromptMessage(message: ChatMessage): LanguageModelV3Message {
  switch (message.role) {
    case 'system':
      return { role: 'system', content: message.content };
    case 'user':
    case 'assistant':
      return { role: message.role, content: [{ type: 'text', text: message.content }] };
    default:
      throw new InvalidPromptError({
        prompt: message,
        message: `unknown message role "${String((message as { role: unknown }).role)}" (use system, user or assistant)`,
      });
  }
}

function joinText(content: LanguageModelV3Content[]): string {
  let text = '';
  for (const part of content) if (part.type === 'text') text += part.text;
  return text;
}

/** A reply that is not JSON is the model's failure to follow the format (scored), not an infra error. */
function parseJsonObject(text: string): unknown {
  try {
    return secureJsonParse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Hand-written rather than AbortSignal.timeout + AbortSignal.any: those keep a timer alive until it
 * fires (up to timeoutMs after every call), whereas this one is cleared as soon as the call settles.
 */
function startDeadline(timeoutMs: number, callerSignal: AbortSignal | undefined) {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')),
    timeoutMs,
  );
  const onCallerAbort = () => controller.abort(callerSignal!.reason);
  if (callerSignal?.aborted) onCallerAbort();
  else callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
  return {
    signal: controller.signal,
    clear() {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
    },
  };
}
