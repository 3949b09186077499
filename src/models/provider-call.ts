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
import {
  APICallError,
  EmptyResponseBodyError,
  InvalidResponseDataError,
  JSONParseError,
  NoContentGeneratedError,
  TypeValidationError,
} from '@ai-sdk/provider';
import { InvalidPromptError } from 'ai';
import { prepareCallSettings, prepareRetries } from 'ai/internal';
import { ROLE_OPTION } from './metering.ts';
import { retryAfter } from './rate-limited-model.ts';
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
  /**
   * Time limit of one attempt (default: the overall limit shared by up to three attempts), so a hung
   * connection is retried instead of holding its case for the whole timeout.
   */
  attemptTimeoutMs?: number;
}

/** What a hung attempt fails with: retried like a 5xx. */
export class AttemptTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms (one attempt's limit)`);
    this.name = 'AttemptTimeoutError';
  }
}

/** The provider asked to wait (Retry-After) longer than the call has left: waiting cannot help. */
export class RetryAfterTooLongError extends Error {
  constructor(
    readonly status: number | undefined,
    readonly waitMs: number,
    readonly leftMs: number,
    readonly cause: unknown,
  ) {
    super(
      `HTTP ${status} asking to retry after ${formatSeconds(waitMs)} (Retry-After), more than the ${formatSeconds(leftMs)} this call has left; raise --timeout or try later`,
    );
    this.name = 'RetryAfterTooLongError';
  }
}

function formatSeconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}

/** The default attempt limit: the overall one shared by the first attempt and up to two retries. */
export function defaultAttemptTimeoutMs(timeoutMs: number, maxRetries: number): number {
  return Math.ceil(timeoutMs / Math.min(maxRetries + 1, 3));
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
  const attemptMs = limits.attemptTimeoutMs ?? defaultAttemptTimeoutMs(limits.timeoutMs, limits.maxRetries);
  const deadline = new Deadline(limits.timeoutMs, attemptMs, req.signal);
  try {
    const parseObject = req.schema ? await structuredOutputParser(req.schema) : undefined;
    const options = toCallOptions(req, deadline);
    const result = await withRetries(() => attempt(model, options, deadline), limits.maxRetries, deadline).catch(
      (err: unknown) => {
        // Aborted while waiting to retry: the reason is the deadline's (or the caller's), not the delay's.
        throw deadline.abortReason ?? err;
      },
    );
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
 * One provider attempt under its own time limit. A reply without an answer (no choices, a body that
 * is not the protocol's JSON) is thrown as an error so it is retried; a Retry-After longer than the
 * call has left fails at once, saying so, instead of waiting out the timeout.
 */
async function attempt(
  model: LanguageModelV3,
  options: LanguageModelV3CallOptions,
  deadline: Deadline,
): Promise<Awaited<ReturnType<LanguageModelV3['doGenerate']>>> {
  deadline.startAttempt();
  try {
    const result = await model.doGenerate(options);
    if (result.content.length === 0 && result.finishReason.unified === 'other')
      throw new NoContentGeneratedError({ message: 'the provider answered with no content and no finish reason' });
    return result;
  } catch (err) {
    if (deadline.attemptTimedOut) throw new AttemptTimeoutError(deadline.attemptMs);
    if (APICallError.isInstance(err)) {
      const wait = retryAfter(err.responseHeaders);
      if (wait !== undefined && wait > deadline.leftMs)
        throw new RetryAfterTooLongError(err.statusCode, wait, deadline.leftMs, err);
    }
    throw err;
  }
}

/** Failures worth another attempt besides those the AI SDK retries (429, 5xx, …). */
function isTransient(err: unknown): boolean {
  if (err instanceof AttemptTimeoutError) return true;
  // A 2xx whose body is not the protocol's JSON (a proxy's error page, a cut connection).
  if (APICallError.isInstance(err)) return err.statusCode !== undefined && err.statusCode < 300;
  return (
    InvalidResponseDataError.isInstance(err) ||
    TypeValidationError.isInstance(err) ||
    JSONParseError.isInstance(err) ||
    EmptyResponseBodyError.isInstance(err) ||
    NoContentGeneratedError.isInstance(err)
  );
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
    const { retry } = prepareRetries({
      maxRetries,
      abortSignal: deadline.overallSignal,
      additionalRetryableError: isTransient,
    });
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
 * The call's time limits, with the caller's signal folded in: the overall one (retries and their
 * delays included) and each attempt's. The AbortSignals and their timers are made on first use:
 * creating an AbortSignal costs ~3 µs on Node 20, a tenth of the per-call budget, and in-process
 * models (sim, mocks) never ask for one. Hand-written rather than AbortSignal.timeout +
 * AbortSignal.any, whose timer stays alive until it fires (up to timeoutMs after every call); these
 * are cleared as soon as the call settles.
 */
class Deadline {
  private readonly endsAt: number;
  private overall: AbortController | undefined;
  private overallTimer: NodeJS.Timeout | undefined;
  private attemptController: AbortController | undefined;
  private attemptTimer: NodeJS.Timeout | undefined;
  private attemptEndsAt = Number.POSITIVE_INFINITY;
  private settled = false;
  /** The current attempt was aborted by its own limit (not the overall one, not the caller). */
  attemptTimedOut = false;

  constructor(
    private readonly timeoutMs: number,
    readonly attemptMs: number,
    private readonly callerSignal: AbortSignal | undefined,
  ) {
    this.endsAt = performance.now() + timeoutMs;
  }

  /** Why the call was aborted (the overall limit or the caller), if it was. */
  get abortReason(): unknown {
    return this.overall?.signal.aborted ? this.overall.signal.reason : undefined;
  }

  get leftMs(): number {
    return Math.max(0, this.endsAt - performance.now());
  }

  /** A new attempt: its own limit, a fresh signal the next time the provider asks for one. */
  startAttempt(): void {
    this.dropAttempt();
    this.attemptTimedOut = false;
    this.attemptEndsAt = Math.min(this.endsAt, performance.now() + this.attemptMs);
  }

  /** The current attempt's signal: aborted by its limit, the overall one or the caller. */
  get signal(): AbortSignal {
    if (this.attemptController) return this.attemptController.signal;
    const controller = (this.attemptController = new AbortController());
    if (this.settled) return controller.signal; // read after the call (e.g. a recorded mock call)
    const overall = this.overallSignal;
    if (overall.aborted) {
      controller.abort(overall.reason);
      return controller.signal;
    }
    overall.addEventListener('abort', this.onOverallAbort, { once: true });
    if (this.attemptEndsAt < this.endsAt) {
      const timedOut = () => {
        this.attemptTimedOut = true;
        controller.abort(new DOMException(`no answer within ${this.attemptMs} ms`, 'TimeoutError'));
      };
      this.attemptTimer = setTimeout(timedOut, Math.max(0, this.attemptEndsAt - performance.now()));
    }
    return controller.signal;
  }

  /** Aborted by the overall limit or the caller (the retry helper stops waiting on it). */
  get overallSignal(): AbortSignal {
    if (this.overall) return this.overall.signal;
    const controller = (this.overall = new AbortController());
    if (this.settled) return controller.signal;
    const timedOut = () => controller.abort(new DOMException(`no answer within ${this.timeoutMs} ms`, 'TimeoutError'));
    this.overallTimer = setTimeout(timedOut, Math.max(0, this.endsAt - performance.now()));
    if (this.callerSignal?.aborted) this.onCallerAbort();
    else this.callerSignal?.addEventListener('abort', this.onCallerAbort, { once: true });
    return controller.signal;
  }

  clear(): void {
    this.settled = true;
    this.dropAttempt();
    if (!this.overall) return;
    clearTimeout(this.overallTimer);
    this.callerSignal?.removeEventListener('abort', this.onCallerAbort);
  }

  private dropAttempt(): void {
    if (!this.attemptController) return;
    clearTimeout(this.attemptTimer);
    this.overall?.signal.removeEventListener('abort', this.onOverallAbort);
    this.attemptController = undefined;
  }

  private readonly onCallerAbort = () => this.overall!.abort(this.callerSignal!.reason);
  private readonly onOverallAbort = () => this.attemptController?.abort(this.overall!.signal.reason);
}
