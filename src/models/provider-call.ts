/**
 * One model call straight through the provider's `LanguageModelV3.doGenerate`, without `generateText`:
 * that function spends ~250 µs per call on prompt schema validation, telemetry spans and result
 * assembly a single-step, tool-free call never uses. What the AI SDK does that matters here is kept,
 * from `ai/internal` (the entry its own packages build on): call-setting validation (`prepareCallSettings`), retries with exponential
 * backoff that honour `retry-after` / `retry-after-ms` (`prepareRetries`, the helper generateText
 * uses). Structured replies are parsed and checked against the schema (structured-output.ts). The
 * HTTP, auth, request mapping and error classification stay in the providers.
 */
import type {
  JSONSchema7,
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3Content,
  LanguageModelV3Message,
  LanguageModelV3Prompt,
  LanguageModelV3ToolCallPart,
} from '@ai-sdk/provider';
import { InvalidPromptError } from 'ai';
import { prepareCallSettings, prepareRetries } from 'ai/internal';
import { ROLE_OPTION } from './metering.ts';
import { usageFromV3 } from './prompt-cache.ts';
import { structuredOutputParser } from './structured-output.ts';
import type { ChatMessage, ModelRequest, ToolCall, Usage } from './types.ts';

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
  /** The parsed reply when the request had a schema and the reply is JSON that matches it. */
  object?: unknown;
  /** Tool calls in the reply (only when the request offered tools and the model called some). */
  toolCalls?: ToolCall[];
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
  const deadline = new Deadline(limits.timeoutMs, req.signal);
  try {
    const parseObject = req.schema ? await structuredOutputParser(req.schema) : undefined;
    const options = toCallOptions(req, deadline);
    const result = await withRetries(() => model.doGenerate(options), limits.maxRetries, deadline);
    const text = joinText(result.content);
    const usage = usageFromV3(result.usage);
    const object = parseObject?.(text);
    const toolCalls = req.tools ? toolCallsOf(result.content) : [];
    const reply: ProviderCallResult = object === undefined ? { text, usage } : { text, object, usage };
    if (toolCalls.length > 0) reply.toolCalls = toolCalls;
    return reply;
  } finally {
    deadline.clear();
  }
}

/** `abortSignal` is read from `deadline` only when the provider asks for it (see Deadline). */
function toCallOptions(req: ModelRequest, deadline: { readonly signal: AbortSignal }): LanguageModelV3CallOptions {
  const { temperature, topP, maxTokens, seed } = req.sampling;
  const settings = prepareCallSettings({ temperature, topP, maxOutputTokens: maxTokens, seed });
  const options: LanguageModelV3CallOptions = {
    prompt: toPrompt(req.messages),
    temperature: settings.temperature,
    topP: settings.topP,
    maxOutputTokens: settings.maxOutputTokens,
    seed: settings.seed,
    get abortSignal() {
      return deadline.signal;
    },
    providerOptions: {
      sim: { sampleKey: req.sampleKey ?? null },
      openai: OPENAI_OPTIONS,
      [ROLE_OPTION]: { role: req.role ?? null },
    },
  };
  if (req.schema) options.responseFormat = { type: 'json', schema: req.schema };
  if (req.tools) {
    options.tools = req.tools.map((t) => ({
      type: 'function',
      name: t.name,
      description: t.description,
      inputSchema: t.inputSchema as JSONSchema7,
    }));
    options.toolChoice = { type: req.toolChoice ?? 'auto' };
  }
  return options;
}

/**
 * Retries from the AI SDK's own helper (the one generateText uses). The first attempt runs before it,
 * so a call that succeeds never needs the deadline's AbortSignal; when that attempt fails, the helper
 * is handed its error as its own first attempt, so its retry decisions, delays and counts are unchanged.
 */
async function withRetries<T>(attempt: () => PromiseLike<T>, maxRetries: number, deadline: Deadline): Promise<T> {
  try {
    return await attempt();
  } catch (firstError) {
    let replayed = false;
    const { retry } = prepareRetries({ maxRetries, abortSignal: deadline.signal });
    return retry(() => {
      if (replayed) return attempt();
      replayed = true;
      return Promise.reject(firstError);
    });
  }
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
      return { role: 'user', content: [{ type: 'text', text: message.content }] };
    case 'assistant': {
      const calls: LanguageModelV3ToolCallPart[] = (message.toolCalls ?? []).map((call) => ({
        type: 'tool-call',
        toolCallId: call.id,
        toolName: call.name,
        input: call.args,
      }));
      const text = message.content ? [{ type: 'text' as const, text: message.content }] : [];
      return { role: 'assistant', content: [...text, ...calls] };
    }
    case 'tool':
      if (message.toolCallId === undefined || message.toolName === undefined)
        throw new InvalidPromptError({ prompt: message, message: 'a tool message needs toolCallId and toolName' });
      return {
        role: 'tool',
        content: [
          {
            type: 'tool-result',
            toolCallId: message.toolCallId,
            toolName: message.toolName,
            output: { type: 'text', value: message.content },
          },
        ],
      };
    default:
      throw new InvalidPromptError({
        prompt: message,
        message: `unknown message role "${String((message as { role: unknown }).role)}" (use system, user, assistant or tool)`,
      });
  }
}

/** Provider tool calls carry their input as JSON text; a reply that is not JSON is kept as text. */
function toolCallsOf(content: LanguageModelV3Content[]): ToolCall[] {
  const calls: ToolCall[] = [];
  for (const part of content) {
    if (part.type !== 'tool-call' || part.providerExecuted) continue;
    let args: unknown = part.input;
    try {
      args = part.input.trim() === '' ? {} : JSON.parse(part.input);
    } catch {
      // the runtime reports invalid arguments to the model as the call's error
    }
    calls.push({ id: part.toolCallId, name: part.toolName, args });
  }
  return calls;
}

function joinText(content: LanguageModelV3Content[]): string {
  let text = '';
  for (const part of content) if (part.type === 'text') text += part.text;
  return text;
}

/**
 * The call's time limit, with the caller's signal folded in. The AbortSignal and its timer are made
 * on first use: creating an AbortSignal costs ~3 µs on Node 20, a tenth of the per-call budget, and
 * in-process models (sim, mocks) never ask for it. Hand-written rather than AbortSignal.timeout +
 * AbortSignal.any, whose timer stays alive until it fires (up to timeoutMs after every call); this
 * one is cleared as soon as the call settles.
 */
class Deadline {
  private readonly endsAt: number;
  private controller: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private settled = false;

  constructor(
    private readonly timeoutMs: number,
    private readonly callerSignal: AbortSignal | undefined,
  ) {
    this.endsAt = performance.now() + timeoutMs;
  }

  get signal(): AbortSignal {
    if (this.controller) return this.controller.signal;
    const controller = (this.controller = new AbortController());
    if (this.settled) return controller.signal; // read after the call (e.g. a recorded mock call)
    const timedOut = () => controller.abort(new DOMException(`no answer within ${this.timeoutMs} ms`, 'TimeoutError'));
    this.timer = setTimeout(timedOut, Math.max(0, this.endsAt - performance.now()));
    if (this.callerSignal?.aborted) this.onCallerAbort();
    else this.callerSignal?.addEventListener('abort', this.onCallerAbort, { once: true });
    return controller.signal;
  }

  clear(): void {
    this.settled = true;
    if (!this.controller) return;
    clearTimeout(this.timer);
    this.callerSignal?.removeEventListener('abort', this.onCallerAbort);
  }

  private readonly onCallerAbort = () => this.controller!.abort(this.callerSignal!.reason);
}
