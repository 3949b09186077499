/**
 * Batch requests go through the same AI SDK provider code as interactive calls, so a batched answer
 * is exactly the answer the cache would have held: the request body is captured from the provider
 * (a fetch that records the body instead of sending it), and a batch result is replayed through the
 * provider (a fetch that answers with the result body), giving the same text, parsed object and usage
 * as an interactive call.
 */
import { createLanguageModel } from '../language-model.ts';
import type { ModelIdOptions, ModelSpec } from '../model-id.ts';
import { withPromptCaching } from '../prompt-cache.ts';
import { callLanguageModel, type ProviderCallResult } from '../provider-call.ts';
import type { ModelRequest } from '../types.ts';

class Captured extends Error {
  constructor(readonly body: unknown) {
    super('captured');
  }
}

const LIMITS = { timeoutMs: 60_000, maxRetries: 0 };

/** The JSON body the provider would POST for this request. */
export async function captureRequestBody(
  spec: ModelSpec,
  req: ModelRequest,
  options: ModelIdOptions = {},
): Promise<unknown> {
  let body: unknown;
  const fetch = async (_url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    body = JSON.parse(String(init?.body));
    throw new Captured(body);
  };
  const model = withPromptCaching(
    createLanguageModel(spec, { ...options, fetch: fetch as typeof globalThis.fetch }),
    spec.provider,
  );
  try {
    await callLanguageModel(model, req, LIMITS);
  } catch {
    // The provider wraps the thrown Captured; the body was recorded before.
  }
  if (body === undefined) throw new Error(`${spec.id}: the provider built no request body for a batch line`);
  return body;
}

/** What the interactive call would have returned, had the provider answered it with `responseBody`. */
export async function replayResponse(
  spec: ModelSpec,
  req: ModelRequest,
  responseBody: unknown,
  options: ModelIdOptions = {},
): Promise<ProviderCallResult> {
  const fetch = async (): Promise<Response> =>
    new Response(JSON.stringify(responseBody), { status: 200, headers: { 'content-type': 'application/json' } });
  const model = withPromptCaching(
    createLanguageModel(spec, { ...options, fetch: fetch as typeof globalThis.fetch }),
    spec.provider,
  );
  return callLanguageModel(model, req, LIMITS);
}
