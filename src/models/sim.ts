/**
 * The offline `sim` provider: a deterministic STAND-IN for a language model, NOT a real model. Its
 * answers come from a registered pure function (a "behaviour"), so tests, demos and CI can exercise the
 * whole pipeline without a network or weights. Output from `sim:*` must never be presented as a real
 * model's.
 *
 * Nothing is registered on import: the built-in stand-ins live in src/testing (the `fapo/testing`
 * entry point) and are installed explicitly, by the CLI or by installSimBehaviours().
 *
 * How a behaviour sees the request: `sim:<name>` looks up the behaviour registered under `name` and
 * calls it with the chat messages, the sampling parameters (including `seed`), the JSON schema when
 * structured output is requested, and the sample key. The sample key travels through
 * `providerOptions.sim.sampleKey` (the model client sets it); it is handed to the behaviour only when
 * the request samples (temperature !== 0), mirroring the response cache, which also ignores the sample
 * key at temperature 0, so a cached and an uncached run always agree.
 *
 * Token usage is a deterministic word-based estimate (about 4 tokens per 3 words), not a tokenizer.
 */
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3GenerateResult,
  LanguageModelV3Prompt,
  LanguageModelV3StreamPart,
} from '@ai-sdk/provider';
import { FapoError } from '../util/errors.ts';
import { randomFromKey } from '../util/random.ts';
import { textResult } from './v3-result.ts';
import type { ChatMessage, Sampling, ToolDefinition } from './types.ts';

export interface SimCall {
  messages: ChatMessage[];
  sampling: Sampling;
  schema?: Record<string, unknown>;
  /** Present only when the request samples (temperature !== 0). */
  sampleKey?: string;
  /** Tools offered in this turn (their wire names), and whether the request forbids calling them. */
  tools?: ToolDefinition[];
  toolChoice?: 'auto' | 'none' | 'required';
}

/** A turn in which a sim behaviour calls tools instead of answering (only when the call offers tools). */
export interface SimToolTurn {
  toolCalls: { name: string; args: unknown }[];
  text?: string;
}

/**
 * Must be pure: same call, same answer. An object answer is serialised as JSON, except a SimToolTurn
 * when the call offered tools.
 */
export type SimBehaviour = (call: SimCall) => string | object | SimToolTurn;

function isToolTurn(call: SimCall, answer: unknown): answer is SimToolTurn {
  return (
    call.tools !== undefined &&
    typeof answer === 'object' &&
    answer !== null &&
    Array.isArray((answer as SimToolTurn).toolCalls)
  );
}

const behaviours = new Map<string, SimBehaviour>();

/** Registers (or replaces) the behaviour used by `sim:<name>`. */
export function registerSimBehaviour(name: string, behaviour: SimBehaviour): void {
  behaviours.set(name, behaviour);
}

export function simBehaviourNames(): string[] {
  return [...behaviours.keys()].sort();
}

export function createSimLanguageModel(behaviourName: string): LanguageModelV3 {
  const behaviour = behaviours.get(behaviourName);
  if (!behaviour) {
    throw new FapoError(
      `Unknown sim behaviour "${behaviourName}".`,
      `Registered: ${
        simBehaviourNames()
          .map((n) => `sim:${n}`)
          .join(', ') || 'none'
      }. The built-in stand-ins (sim:echo, sim:json, sim:qa, sim:reflect, sim:support) are installed by the fapo CLI, or in code by installSimBehaviours() from 'fapo/testing'; register your own with registerSimBehaviour().`,
    );
  }
  const doGenerate = async (options: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> => {
    const call = toSimCall(options);
    const answer = behaviour(call);
    const inputTokens = estimateTokens(call.messages.map((m) => m.content).join(' '));
    if (isToolTurn(call, answer) && answer.toolCalls.length > 0) {
      const result = textResult(answer.text ?? '', inputTokens, estimateTokens(JSON.stringify(answer.toolCalls)));
      result.content = [
        ...(answer.text ? result.content : []),
        ...answer.toolCalls.map((c, i) => ({
          type: 'tool-call' as const,
          toolCallId: `sim_${i}`,
          toolName: c.name,
          input: JSON.stringify(c.args ?? {}),
        })),
      ];
      result.finishReason = { unified: 'tool-calls', raw: 'tool_calls' };
      return result;
    }
    const text = typeof answer === 'string' ? answer : JSON.stringify(answer);
    const outputTokens = estimateTokens(text);
    return textResult(text, inputTokens, outputTokens);
  };
  return {
    specificationVersion: 'v3',
    provider: 'sim',
    modelId: behaviourName,
    supportedUrls: {},
    doGenerate,
    async doStream(options) {
      const result = await doGenerate(options);
      const text = result.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
      const parts: LanguageModelV3StreamPart[] = [
        { type: 'stream-start', warnings: [] },
        { type: 'text-start', id: '0' },
        { type: 'text-delta', id: '0', delta: text },
        { type: 'text-end', id: '0' },
        { type: 'finish', finishReason: result.finishReason, usage: result.usage },
      ];
      const stream = new ReadableStream<LanguageModelV3StreamPart>({
        start(controller) {
          for (const part of parts) controller.enqueue(part);
          controller.close();
        },
      });
      return { stream };
    },
  };
}

/** A word-based token estimate: deterministic and tokenizer-free, so the sim stays dependency-free. */
export function estimateTokens(text: string): number {
  const words = text.split(/\s+/).filter((w) => w !== '').length;
  return Math.ceil((words * 4) / 3);
}

/**
 * A deterministic pseudo-random generator for behaviours that should vary across trials: seeded from
 * the sample key, the seed, the messages and an optional salt. Same call, same sequence.
 */
export function simRandom(call: SimCall, salt = ''): () => number {
  return randomFromKey(JSON.stringify([call.sampleKey ?? '', call.sampling.seed ?? '', call.messages, salt]));
}

function toSimCall(options: LanguageModelV3CallOptions): SimCall {
  const sampling: Sampling = {};
  if (options.temperature !== undefined) sampling.temperature = options.temperature;
  if (options.topP !== undefined) sampling.topP = options.topP;
  if (options.maxOutputTokens !== undefined) sampling.maxTokens = options.maxOutputTokens;
  if (options.seed !== undefined) sampling.seed = options.seed;
  const call: SimCall = { messages: flattenPrompt(options.prompt), sampling };
  if (options.responseFormat?.type === 'json' && options.responseFormat.schema) {
    call.schema = options.responseFormat.schema as Record<string, unknown>;
  }
  if (options.tools?.length) {
    call.tools = options.tools.flatMap((t) =>
      t.type === 'function'
        ? [{ name: t.name, description: t.description ?? '', inputSchema: t.inputSchema as Record<string, unknown> }]
        : [],
    );
    call.toolChoice = options.toolChoice?.type === 'tool' ? 'required' : (options.toolChoice?.type ?? 'auto');
  }
  const sampleKey = options.providerOptions?.sim?.sampleKey;
  if (typeof sampleKey === 'string' && sampling.temperature !== 0) call.sampleKey = sampleKey;
  return call;
}

/** The prompt as chat messages: texts, the assistant's tool calls and the tools' results. */
function flattenPrompt(prompt: LanguageModelV3Prompt): ChatMessage[] {
  const messages: ChatMessage[] = [];
  for (const message of prompt) {
    if (message.role === 'system') {
      messages.push({ role: 'system', content: message.content });
    } else if (message.role === 'user' || message.role === 'assistant') {
      const content = message.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
      const toolCalls = message.content.flatMap((part) =>
        part.type === 'tool-call' ? [{ id: part.toolCallId, name: part.toolName, args: part.input }] : [],
      );
      messages.push({ role: message.role, content, ...(toolCalls.length ? { toolCalls } : {}) });
    } else if (message.role === 'tool') {
      for (const part of message.content) {
        if (part.type !== 'tool-result') continue;
        const output = part.output;
        const content = output.type === 'text' || output.type === 'error-text' ? output.value : JSON.stringify(output);
        messages.push({ role: 'tool', content, toolCallId: part.toolCallId, toolName: part.toolName });
      }
    }
  }
  return messages;
}
