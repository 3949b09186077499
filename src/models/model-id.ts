/**
 * Parses `provider:model` ids into a spec that names its credentials (the environment variable), never
 * holds them, so specs can be logged, stored and shown in reports.
 */
import { FapoError } from '../util/errors.ts';

export const PROVIDERS = ['openai', 'anthropic', 'openai-compatible', 'local', 'sim'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export type Env = Readonly<Record<string, string | undefined>>;

export interface ModelSpec {
  /** `provider:model`, without any inline base URL: the identity used for caching and pricing. */
  id: string;
  provider: ProviderName;
  /** Model name; for `local` the path of a .gguf file; for `sim` the behaviour name. */
  model: string;
  baseURL?: string;
  /** NAME of the environment variable holding the API key (never the key itself). */
  apiKeyEnv?: string;
  /** Whether a missing key is an error (true for hosted providers). */
  apiKeyRequired: boolean;
}

export interface ModelIdOptions {
  /** Base URL for `openai-compatible` when the id carries none (else env FAPO_OPENAI_COMPATIBLE_BASE_URL). */
  openaiCompatibleBaseUrl?: string;
  /** Environment to read base URLs from; defaults to process.env. */
  env?: Env;
}

/** Every environment variable that may hold a key; their values are redacted from error messages. */
export const API_KEY_ENV_VARS = ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'FAPO_OPENAI_COMPATIBLE_API_KEY'] as const;

const INLINE_BASE_URL = /^(.+)@(https?:\/\/.+)$/;

export function parseModelId(id: string, options: ModelIdOptions = {}): ModelSpec {
  const env = options.env ?? process.env;
  const colon = id.indexOf(':');
  const provider = colon > 0 ? id.slice(0, colon) : '';
  let model = colon > 0 ? id.slice(colon + 1).trim() : '';
  if (!isProvider(provider)) {
    throw new FapoError(
      `Unknown model provider in "${id}".`,
      `Write the model as provider:model with provider one of ${PROVIDERS.join(', ')} (e.g. openai:gpt-4.1-mini, sim:echo).`,
    );
  }
  if (model === '') {
    throw new FapoError(`Model id "${id}" names no model.`, `Write it as ${provider}:<model>.`);
  }
  switch (provider) {
    case 'openai':
      return hosted(provider, model, 'OPENAI_API_KEY', env.OPENAI_BASE_URL);
    case 'anthropic':
      return hosted(provider, model, 'ANTHROPIC_API_KEY', env.ANTHROPIC_BASE_URL);
    case 'openai-compatible': {
      const inline = INLINE_BASE_URL.exec(model);
      if (inline) model = inline[1]!;
      const baseURL = inline?.[2] ?? options.openaiCompatibleBaseUrl ?? env.FAPO_OPENAI_COMPATIBLE_BASE_URL;
      if (!baseURL) {
        throw new FapoError(
          `No base URL for "${id}".`,
          'Set FAPO_OPENAI_COMPATIBLE_BASE_URL (e.g. http://127.0.0.1:11434/v1 for Ollama) or write openai-compatible:<model>@http://host:port/v1.',
        );
      }
      return {
        id: `${provider}:${model}`,
        provider,
        model,
        baseURL,
        apiKeyEnv: 'FAPO_OPENAI_COMPATIBLE_API_KEY',
        apiKeyRequired: false,
      };
    }
    case 'local':
    case 'sim':
      return { id: `${provider}:${model}`, provider, model, apiKeyRequired: false };
  }
}

/** The key value for a spec, or a FapoError naming the variable to set when a required key is missing. */
export function resolveApiKey(spec: ModelSpec, env: Env = process.env): string | undefined {
  if (!spec.apiKeyEnv) return undefined;
  const key = env[spec.apiKeyEnv]?.trim();
  if (key) return key;
  if (spec.apiKeyRequired) {
    throw new FapoError(
      `Model ${spec.id} needs an API key but ${spec.apiKeyEnv} is not set.`,
      `Set the environment variable ${spec.apiKeyEnv}, or use sim:<behaviour> for an offline run.`,
    );
  }
  return undefined;
}

function hosted(provider: ProviderName, model: string, apiKeyEnv: string, baseURL: string | undefined): ModelSpec {
  return {
    id: `${provider}:${model}`,
    provider,
    model,
    apiKeyEnv,
    apiKeyRequired: true,
    ...(baseURL ? { baseURL } : {}),
  };
}

function isProvider(name: string): name is ProviderName {
  return (PROVIDERS as readonly string[]).includes(name);
}
