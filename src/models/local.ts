/**
 * The `local` provider: a .gguf model run in-process by node-llama-cpp, an OPTIONAL dependency loaded
 * on first use (it is ~750 MB with its GPU binaries, so it stays out of the core install). Each call
 * gets a fresh context (at most 4096 tokens, never past the model's training context). The prompt
 * is flattened into `role: text` lines ending with `assistant:`; structured output is forced with a
 * JSON-schema grammar. Users who prefer a server can run llama.cpp/Ollama behind `openai-compatible`.
 */
import { existsSync } from 'node:fs';
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3GenerateResult,
  LanguageModelV3Prompt,
} from '@ai-sdk/provider';
import { FapoError } from '../util/errors.ts';
import { textResult } from './v3-result.ts';

// The subset of node-llama-cpp's API used here; declared locally because the package is optional.
interface LlamaModule {
  getLlama(options: { gpu: false; build: 'never' }): Promise<Llama>;
  LlamaCompletion: new (options: { contextSequence: unknown }) => LlamaCompletion;
}
interface Llama {
  loadModel(options: { modelPath: string }): Promise<LlamaModel>;
  createGrammarForJsonSchema(schema: unknown): Promise<unknown>;
}
interface LlamaModel {
  createContext(options: { contextSize: number; threads: number }): Promise<LlamaContext>;
  tokenize(text: string): unknown[];
  readonly trainContextSize: number;
}
interface LlamaContext {
  getSequence(): unknown;
  dispose(): Promise<void>;
}
interface LlamaCompletion {
  generateCompletion(
    prompt: string,
    options: {
      maxTokens?: number;
      temperature?: number;
      topP?: number;
      seed?: number;
      grammar?: unknown;
      signal?: AbortSignal;
      onToken?: (tokens: unknown[]) => void;
    },
  ): Promise<string>;
}

const MAX_CONTEXT_SIZE = 4096;
const DEFAULT_MAX_TOKENS = 512;

export function createLocalLanguageModel(modelPath: string): LanguageModelV3 {
  if (!existsSync(modelPath)) {
    throw new FapoError(`Local model file ${modelPath} does not exist.`, 'Write local:/absolute/path/to/model.gguf.');
  }
  let loading: Promise<{ llama: Llama; model: LlamaModel; module: LlamaModule }> | undefined;
  const load = () => (loading ??= loadModel(modelPath));
  const doGenerate = async (options: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> => {
    const { llama, model, module } = await load();
    // One thread: on small models extra threads cost more in synchronisation than they gain.
    const contextSize = Math.min(MAX_CONTEXT_SIZE, model.trainContextSize);
    const context = await model.createContext({ contextSize, threads: 1 });
    try {
      const prompt = flattenPrompt(options.prompt);
      const schema = options.responseFormat?.type === 'json' ? options.responseFormat.schema : undefined;
      const completion = new module.LlamaCompletion({ contextSequence: context.getSequence() });
      let outputTokens = 0;
      const text = await completion.generateCompletion(prompt, {
        maxTokens: options.maxOutputTokens ?? DEFAULT_MAX_TOKENS,
        ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
        ...(options.topP !== undefined ? { topP: options.topP } : {}),
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
        ...(schema ? { grammar: await llama.createGrammarForJsonSchema(schema) } : {}),
        ...(options.abortSignal ? { signal: options.abortSignal } : {}),
        onToken: (tokens) => void (outputTokens += tokens.length),
      });
      const inputTokens = model.tokenize(prompt).length;
      return textResult(text, inputTokens, outputTokens);
    } finally {
      await context.dispose();
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

async function loadModel(modelPath: string) {
  const module = await importNodeLlamaCpp();
  const llama = await module.getLlama({ gpu: false, build: 'never' });
  const model = await llama.loadModel({ modelPath });
  return { llama, model, module };
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

function flattenPrompt(prompt: LanguageModelV3Prompt): string {
  const lines = prompt.map((message) => {
    const text =
      typeof message.content === 'string'
        ? message.content
        : message.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
    return `${message.role}: ${text}`;
  });
  return `${lines.join('\n')}\nassistant:`;
}
