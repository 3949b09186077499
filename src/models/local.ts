/**
 * The `local` provider: a .gguf model run in-process by node-llama-cpp, an OPTIONAL dependency loaded
 * on first use (it is ~750 MB with its GPU binaries, so it stays out of the core install).
 *
 * - The prompt goes through the model's own chat template (read from the file by node-llama-cpp's
 *   LlamaChat, or picked by architecture when the file has none), which also supplies the stop
 *   (end-of-generation) tokens; `stopSequences` are added as extra stop triggers.
 * - Structured output is forced with a grammar built from the JSON Schema, so the reply parses and
 *   matches unless `maxTokens` cuts it short (finish reason `length`); a schema the grammar builder
 *   cannot express is a clear error before anything is generated.
 * - A model file is loaded once per process and shared by every client that names it; it gets one
 *   context with SEQUENCES sequences, one per concurrent call (more calls wait for a free one).
 * - Each call starts from an empty sequence, so a reply never depends on which call ran before it.
 * - Tools: only the chat templates that declare tools could take them, and this provider does not map
 *   them yet, so a request with tools fails with a clear error either way (see toolsError).
 */
import { existsSync } from 'node:fs';
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3FinishReason,
  LanguageModelV3GenerateResult,
  LanguageModelV3Prompt,
} from '@ai-sdk/provider';
import { FapoError } from '../util/errors.ts';

// The subset of node-llama-cpp's API used here; declared locally because the package is optional.
interface LlamaModule {
  getLlama(options: { gpu: false; build: 'never'; logLevel?: 'error' }): Promise<Llama>;
  LlamaChat: new (options: { contextSequence: LlamaSequence; autoDisposeSequence: boolean }) => LlamaChat;
}
interface Llama {
  loadModel(options: { modelPath: string }): Promise<LlamaModel>;
  createGrammarForJsonSchema(schema: unknown): Promise<unknown>;
}
interface LlamaModel {
  createContext(options: { contextSize: number; threads: number; sequences: number }): Promise<LlamaContext>;
  readonly trainContextSize: number;
  readonly fileInfo: { metadata: { tokenizer?: { chat_template?: string } } };
}
interface LlamaContext {
  getSequence(): LlamaSequence;
}
interface LlamaSequence {
  clearHistory(): Promise<void>;
  readonly tokenMeter: { readonly usedInputTokens: number; readonly usedOutputTokens: number };
}
type ChatHistoryItem =
  | { type: 'system'; text: string }
  | { type: 'user'; text: string }
  | { type: 'model'; response: string[] };
interface LlamaChat {
  readonly chatWrapper: { readonly wrapperName: string };
  generateResponse(
    history: ChatHistoryItem[],
    options: {
      maxTokens: number;
      temperature?: number;
      topP?: number;
      seed?: number;
      grammar?: unknown;
      customStopTriggers?: string[];
      signal?: AbortSignal;
    },
  ): Promise<{ response: string; metadata: { stopReason: string } }>;
  dispose(options: { disposeSequence: boolean }): void;
}

const MAX_CONTEXT_SIZE = 4096;
const DEFAULT_MAX_TOKENS = 512;
/** Concurrent calls per model file; each has its own sequence (its own KV cache) in one shared context. */
export const SEQUENCES = 4;
/**
 * Threads per context, measured (docs/real-model.md, `npm run bench:real`): on the 2-core test
 * machine shared with other jobs, SmolLM2-135M generated 29.9 tokens/s with 1 thread and 8.1 with 2
 * (a JSON reply took 1.5 s vs 24.0 s under heavier load), because llama.cpp's threads spin-wait for
 * each other when a core is taken. FAPO_LOCAL_THREADS overrides it on machines with idle cores.
 */
export const DEFAULT_THREADS = 1;

export function createLocalLanguageModel(modelPath: string): LanguageModelV3 {
  if (!existsSync(modelPath)) {
    throw new FapoError(`Local model file ${modelPath} does not exist.`, 'Write local:/absolute/path/to/model.gguf.');
  }
  const doGenerate = async (options: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> => {
    if (options.tools && options.tools.length > 0) throw toolsError(modelPath, await loadedModel(modelPath));
    const loaded = await loadedModel(modelPath);
    const schema = options.responseFormat?.type === 'json' ? options.responseFormat.schema : undefined;
    const grammar = schema ? await grammarFor(loaded, schema, modelPath) : undefined;
    const sequence = await loaded.pool.acquire(options.abortSignal);
    const chat = new loaded.module.LlamaChat({ contextSequence: sequence, autoDisposeSequence: false });
    try {
      await sequence.clearHistory();
      const inputBefore = sequence.tokenMeter.usedInputTokens;
      const outputBefore = sequence.tokenMeter.usedOutputTokens;
      const { response, metadata } = await chat.generateResponse(toChatHistory(options.prompt), {
        maxTokens: options.maxOutputTokens ?? DEFAULT_MAX_TOKENS,
        ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
        ...(options.topP !== undefined ? { topP: options.topP } : {}),
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
        ...(grammar ? { grammar } : {}),
        ...(options.stopSequences?.length ? { customStopTriggers: options.stopSequences } : {}),
        ...(options.abortSignal ? { signal: options.abortSignal } : {}),
      });
      const inputTokens = sequence.tokenMeter.usedInputTokens - inputBefore;
      const outputTokens = sequence.tokenMeter.usedOutputTokens - outputBefore;
      return {
        content: [{ type: 'text', text: response }],
        finishReason: finishReasonOf(metadata.stopReason),
        usage: {
          inputTokens: { total: inputTokens, noCache: inputTokens, cacheRead: 0, cacheWrite: 0 },
          outputTokens: { total: outputTokens, text: outputTokens, reasoning: 0 },
        },
        warnings: [],
        response: { modelId: `${modelPath} (${chat.chatWrapper.wrapperName} template)` },
      };
    } catch (err) {
      // node-llama-cpp throws the signal's reason, but only once it notices: make the deadline's
      // TimeoutError (or the caller's AbortError) the error whatever it threw meanwhile.
      if (options.abortSignal?.aborted) throw options.abortSignal.reason;
      throw err;
    } finally {
      chat.dispose({ disposeSequence: false });
      loaded.pool.release(sequence);
    }
  };
  return {
    specificationVersion: 'v3',
    provider: 'local',
    modelId: modelPath,
    supportedUrls: {},
    doGenerate,
    doStream: () => {
      throw new FapoError(
        'The local provider does not stream.',
        'Use generateText, not streamText, with local models.',
      );
    },
  };
}

interface LoadedModel {
  module: LlamaModule;
  llama: Llama;
  model: LlamaModel;
  pool: SequencePool;
  grammars: Map<string, Promise<unknown>>;
}

/** One load per model file per process: every role and client naming the file shares it. */
const loadedModels = new Map<string, Promise<LoadedModel>>();

function loadedModel(modelPath: string): Promise<LoadedModel> {
  let loading = loadedModels.get(modelPath);
  if (!loading) {
    loading = loadModel(modelPath);
    loadedModels.set(modelPath, loading);
    loading.catch(() => loadedModels.delete(modelPath)); // a failed load is retried by the next call
  }
  return loading;
}

async function loadModel(modelPath: string): Promise<LoadedModel> {
  const module = await importNodeLlamaCpp();
  const llama = await module.getLlama({ gpu: false, build: 'never', logLevel: 'error' });
  const model = await llama.loadModel({ modelPath });
  const contextSize = Math.min(MAX_CONTEXT_SIZE, model.trainContextSize);
  const context = await model.createContext({ contextSize, threads: threadsSetting(), sequences: SEQUENCES });
  const sequences = Array.from({ length: SEQUENCES }, () => context.getSequence());
  return { module, llama, model, pool: new SequencePool(sequences), grammars: new Map() };
}

function threadsSetting(): number {
  const raw = process.env.FAPO_LOCAL_THREADS;
  if (raw === undefined || raw === '') return DEFAULT_THREADS;
  const threads = Number(raw);
  if (!Number.isInteger(threads) || threads < 1) {
    throw new FapoError(`FAPO_LOCAL_THREADS is ${JSON.stringify(raw)}; it must be a whole number >= 1.`);
  }
  return threads;
}

/** Free sequences handed out one per call; callers beyond that wait in order (or until aborted). */
class SequencePool {
  private readonly waiting: Array<(sequence: LlamaSequence) => void> = [];
  constructor(private readonly free: LlamaSequence[]) {}

  acquire(signal: AbortSignal | undefined): Promise<LlamaSequence> {
    signal?.throwIfAborted();
    const sequence = this.free.pop();
    if (sequence) return Promise.resolve(sequence);
    return new Promise((resolve, reject) => {
      const take = (s: LlamaSequence) => {
        signal?.removeEventListener('abort', abandon);
        resolve(s);
      };
      const abandon = () => {
        this.waiting.splice(this.waiting.indexOf(take), 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', abandon, { once: true });
      this.waiting.push(take);
    });
  }

  release(sequence: LlamaSequence): void {
    const next = this.waiting.shift();
    if (next) next(sequence);
    else this.free.push(sequence);
  }
}

/** Grammars are compiled once per schema per model (compiling one costs more than a short reply). */
function grammarFor(loaded: LoadedModel, schema: unknown, modelPath: string): Promise<unknown> {
  const key = JSON.stringify(schema);
  let grammar = loaded.grammars.get(key);
  if (!grammar) {
    grammar = Promise.resolve()
      .then(() => loaded.llama.createGrammarForJsonSchema(grammarSchema(schema, modelPath)))
      .catch((err: unknown) => {
        loaded.grammars.delete(key);
        throw err;
      });
    loaded.grammars.set(key, grammar);
  }
  return grammar;
}

/** JSON Schema keywords node-llama-cpp's grammar builder enforces (utils/gbnfJson/types.d.ts). */
const ENFORCED_KEYWORDS = new Set([
  ...['type', 'properties', 'required', 'additionalProperties', 'minProperties', 'maxProperties'],
  ...['items', 'prefixItems', 'minItems', 'maxItems', 'enum', 'const', 'oneOf', 'anyOf'],
  ...['minLength', 'maxLength', 'format', '$ref', '$defs'],
]);
/** Keywords that constrain nothing, safe to pass to the grammar builder, which ignores them. */
const ANNOTATION_KEYWORDS = new Set([
  ...['$schema', '$id', '$comment', 'title', 'description', 'default', 'examples'],
  ...['deprecated', 'readOnly', 'writeOnly'],
]);

/**
 * The schema in the form the grammar builder takes (`anyOf` becomes `oneOf`: as a grammar both are
 * the same alternation). A constraint the grammar cannot enforce (pattern, minimum, not, ...) would
 * let the model write JSON the schema rejects, so it is refused up front, naming where it is.
 */
function grammarSchema(schema: unknown, modelPath: string, path = '$'): unknown {
  if (Array.isArray(schema)) return schema.map((item, i) => grammarSchema(item, modelPath, `${path}[${i}]`));
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [keyword, value] of Object.entries(schema)) {
    if (ANNOTATION_KEYWORDS.has(keyword) || keyword.startsWith('x-')) continue;
    if (!ENFORCED_KEYWORDS.has(keyword)) {
      throw new FapoError(
        `local:${modelPath} cannot force the structured-output schema: \`${keyword}\` at ${path} is not enforceable by a grammar.`,
        `Drop \`${keyword}\` from the step's output schema (the grammar enforces types, properties, required, ` +
          'enum, const, anyOf/oneOf, items and lengths), or serve the model with llama.cpp/Ollama and use openai-compatible:<model>.',
      );
    }
    const target = keyword === 'anyOf' ? 'oneOf' : keyword;
    const leaf = keyword === 'enum' || keyword === 'const' || keyword === 'required' || keyword === 'type';
    const nested =
      keyword === 'properties' || keyword === '$defs'
        ? Object.fromEntries(
            Object.entries(value as Record<string, unknown>).map(([name, sub]) => [
              name,
              grammarSchema(sub, modelPath, `${path}.${keyword}.${name}`),
            ]),
          )
        : grammarSchema(value, modelPath, `${path}.${keyword}`);
    out[target] = leaf ? value : nested;
  }
  return out;
}

function toolsError(modelPath: string, loaded: LoadedModel): FapoError {
  const template = loaded.model.fileInfo.metadata.tokenizer?.chat_template;
  const why =
    template === undefined
      ? 'the file has no chat template'
      : /\btools\b/.test(template)
        ? 'its chat template declares tools, but fapo does not map tool calls for in-process models yet'
        : 'its chat template has no tool support';
  return new FapoError(
    `local:${modelPath} cannot take tools: ${why}.`,
    'Use this model for steps without tools, or serve a tool-capable model with llama.cpp (`llama-server --jinja`), ' +
      'Ollama or vLLM and use openai-compatible:<model>@<url> (docs/models.md).',
  );
}

function finishReasonOf(stopReason: string): LanguageModelV3FinishReason {
  if (stopReason === 'maxTokens') return { unified: 'length', raw: stopReason };
  if (stopReason === 'abort') return { unified: 'other', raw: stopReason };
  return { unified: 'stop', raw: stopReason };
}

async function importNodeLlamaCpp(): Promise<LlamaModule> {
  const name = 'node-llama-cpp'; // a variable, so TypeScript does not require the optional package
  try {
    return (await import(name)) as LlamaModule;
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') {
      throw new FapoError(
        'The local provider needs node-llama-cpp, which is not installed.',
        'Run `npm i node-llama-cpp@3.21.1`, or serve the model with llama.cpp/Ollama and use openai-compatible:<model>.',
      );
    }
    throw err;
  }
}

/**
 * The AI SDK prompt as node-llama-cpp chat history, ending with the empty model turn to generate.
 * Files and tool parts cannot reach a text-only in-process model: they are refused, never dropped.
 */
function toChatHistory(prompt: LanguageModelV3Prompt): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = prompt.map((message) => {
    if (message.role === 'system') return { type: 'system', text: message.content };
    const text = message.content
      .map((part) => {
        if (part.type === 'text') return part.text;
        if (part.type === 'reasoning') return '';
        throw new FapoError(
          `The local provider takes text only; the prompt has a ${part.type} part in a ${message.role} message.`,
        );
      })
      .join('');
    return message.role === 'user' ? { type: 'user', text } : { type: 'model', response: [text] };
  });
  history.push({ type: 'model', response: [] });
  return history;
}
