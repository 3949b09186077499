/**
 * The providers' batch endpoints, over fetch:
 * - OpenAI Batch: upload the requests as a JSONL file (`POST /files`, purpose `batch`), create the
 *   batch (`POST /batches`, endpoint `/v1/chat/completions`, window 24h), poll `GET /batches/{id}`,
 *   read `output_file_id` / `error_file_id` contents (`GET /files/{id}/content`).
 * - Anthropic Message Batches: `POST /messages/batches` with the requests inline, poll
 *   `GET /messages/batches/{id}`, read `GET /messages/batches/{id}/results` (JSONL).
 * Every answer is checked with zod; a failing HTTP call is a FapoError naming the endpoint and status
 * (never the key).
 */
import { z } from 'zod';
import { FapoError } from '../../util/errors.ts';
import { type Env, type ModelSpec, resolveApiKey } from '../model-id.ts';

export interface BatchLine {
  /** The response cache key of the request (64 hex characters: valid for both providers). */
  customId: string;
  /** The provider request body, exactly as the interactive call would send it. */
  body: unknown;
}

export interface BatchStatus {
  /** `ended`: no more results will come (completed, expired, cancelled or failed). */
  state: 'running' | 'ended';
  /** The provider's own status word, for messages. */
  detail: string;
}

/** A request's outcome in a finished batch: the response body, or why there is none. */
export type BatchResult = { ok: true; body: unknown } | { ok: false; error: string };

export interface BatchApi {
  submit(lines: BatchLine[], localId: string): Promise<string>;
  /**
   * The provider's id of the batch submitted for `localId`, found among its recent batches (when the
   * provider keeps metadata: OpenAI); undefined when there is none or the provider cannot tell.
   */
  find?(localId: string): Promise<string | undefined>;
  status(batchId: string): Promise<BatchStatus>;
  results(batchId: string): Promise<Map<string, BatchResult>>;
}

export const BATCH_PROVIDERS = ['openai', 'anthropic'] as const;

export function createBatchApi(spec: ModelSpec, env: Env = process.env, fetchFn = globalThis.fetch): BatchApi {
  const key = resolveApiKey(spec, env) ?? '';
  switch (spec.provider) {
    case 'openai':
      return new OpenAIBatchApi(spec.baseURL ?? 'https://api.openai.com/v1', key, fetchFn);
    case 'anthropic':
      return new AnthropicBatchApi(spec.baseURL ?? 'https://api.anthropic.com/v1', key, fetchFn);
    default:
      throw new FapoError(
        `${spec.id}: --batch needs a provider with a batch API (${BATCH_PROVIDERS.join(', ')}), not ${spec.provider}.`,
        'Run without --batch, or use an openai: or anthropic: model.',
      );
  }
}

async function call(fetchFn: typeof fetch, url: string, init: RequestInit, what: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetchFn(url, init);
  } catch (err) {
    throw new FapoError(`batch API: ${what} (${url}) failed: ${(err as Error).message}`);
  }
  if (!response.ok) {
    const text = (await response.text()).slice(0, 300);
    throw new FapoError(`batch API: ${what} (${url}) answered HTTP ${response.status}: ${text}`);
  }
  return response;
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new FapoError(`batch API: unexpected answer to ${what}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

function jsonLines(text: string): unknown[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
}

const OpenAIBatch = z.object({
  id: z.string(),
  status: z.string(),
  output_file_id: z.string().nullish(),
  error_file_id: z.string().nullish(),
});
const OpenAIResultLine = z.object({
  custom_id: z.string(),
  response: z.object({ status_code: z.number(), body: z.unknown() }).nullish(),
  error: z.object({ message: z.string().optional(), code: z.string().nullish() }).nullish(),
});
const OPENAI_ENDED = new Set(['completed', 'failed', 'expired', 'cancelled']);

class OpenAIBatchApi implements BatchApi {
  constructor(
    private readonly base: string,
    private readonly key: string,
    private readonly fetchFn: typeof fetch,
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { authorization: `Bearer ${this.key}`, ...extra };
  }

  async submit(lines: BatchLine[], localId: string): Promise<string> {
    const jsonl = lines
      .map((l) => JSON.stringify({ custom_id: l.customId, method: 'POST', url: '/v1/chat/completions', body: l.body }))
      .join('\n');
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('file', new Blob([jsonl], { type: 'application/jsonl' }), `fapo-${localId}.jsonl`);
    const upload = await call(
      this.fetchFn,
      `${this.base}/files`,
      { method: 'POST', headers: this.headers(), body: form },
      'upload the batch file',
    );
    const file = parse(z.object({ id: z.string() }), await upload.json(), 'POST /files');
    const created = await call(
      this.fetchFn,
      `${this.base}/batches`,
      {
        method: 'POST',
        headers: this.headers({ 'content-type': 'application/json' }),
        body: JSON.stringify({
          input_file_id: file.id,
          endpoint: '/v1/chat/completions',
          completion_window: '24h',
          metadata: { fapo_job: localId },
        }),
      },
      'create the batch',
    );
    return parse(OpenAIBatch, await created.json(), 'POST /batches').id;
  }

  /** Batches carry `metadata.fapo_job`; the 100 most recent are searched. */
  async find(localId: string): Promise<string | undefined> {
    const response = await call(
      this.fetchFn,
      `${this.base}/batches?limit=100`,
      { headers: this.headers() },
      'list recent batches',
    );
    const list = parse(
      z.object({ data: z.array(z.object({ id: z.string(), metadata: z.record(z.string(), z.string()).nullish() })) }),
      await response.json(),
      'GET /batches',
    );
    return list.data.find((batch) => batch.metadata?.fapo_job === localId)?.id;
  }

  async status(batchId: string): Promise<BatchStatus> {
    const batch = await this.get(batchId);
    return { state: OPENAI_ENDED.has(batch.status) ? 'ended' : 'running', detail: batch.status };
  }

  /** Output and error files; requests in neither (an expired batch) are absent from the map. */
  async results(batchId: string): Promise<Map<string, BatchResult>> {
    const batch = await this.get(batchId);
    const results = new Map<string, BatchResult>();
    for (const fileId of [batch.output_file_id, batch.error_file_id]) {
      if (!fileId) continue;
      const content = await call(
        this.fetchFn,
        `${this.base}/files/${fileId}/content`,
        { headers: this.headers() },
        'read batch results',
      );
      for (const raw of jsonLines(await content.text())) {
        const line = parse(OpenAIResultLine, raw, 'a batch result line');
        if (line.response && line.response.status_code === 200) {
          results.set(line.custom_id, { ok: true, body: line.response.body });
        } else {
          const status = line.response ? `HTTP ${line.response.status_code}` : 'no response';
          results.set(line.custom_id, { ok: false, error: line.error?.message ?? status });
        }
      }
    }
    return results;
  }

  private async get(batchId: string) {
    const response = await call(
      this.fetchFn,
      `${this.base}/batches/${batchId}`,
      { headers: this.headers() },
      'poll the batch',
    );
    return parse(OpenAIBatch, await response.json(), 'GET /batches/{id}');
  }
}

const AnthropicBatch = z.object({ id: z.string(), processing_status: z.string() });
const AnthropicResultLine = z.object({
  custom_id: z.string(),
  result: z.object({
    type: z.string(),
    message: z.unknown().optional(),
    error: z.unknown().optional(),
  }),
});

class AnthropicBatchApi implements BatchApi {
  constructor(
    private readonly base: string,
    private readonly key: string,
    private readonly fetchFn: typeof fetch,
  ) {}

  private headers(): Record<string, string> {
    return { 'x-api-key': this.key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' };
  }

  async submit(lines: BatchLine[]): Promise<string> {
    const response = await call(
      this.fetchFn,
      `${this.base}/messages/batches`,
      {
        method: 'POST',
        headers: this.headers(),
        body: JSON.stringify({ requests: lines.map((l) => ({ custom_id: l.customId, params: l.body })) }),
      },
      'create the message batch',
    );
    return parse(AnthropicBatch, await response.json(), 'POST /messages/batches').id;
  }

  async status(batchId: string): Promise<BatchStatus> {
    const response = await call(
      this.fetchFn,
      `${this.base}/messages/batches/${batchId}`,
      { headers: this.headers() },
      'poll the message batch',
    );
    const batch = parse(AnthropicBatch, await response.json(), 'GET /messages/batches/{id}');
    return { state: batch.processing_status === 'ended' ? 'ended' : 'running', detail: batch.processing_status };
  }

  async results(batchId: string): Promise<Map<string, BatchResult>> {
    const response = await call(
      this.fetchFn,
      `${this.base}/messages/batches/${batchId}/results`,
      { headers: this.headers() },
      'read message batch results',
    );
    const results = new Map<string, BatchResult>();
    for (const raw of jsonLines(await response.text())) {
      const line = parse(AnthropicResultLine, raw, 'a message batch result line');
      if (line.result.type === 'succeeded') results.set(line.custom_id, { ok: true, body: line.result.message });
      else
        results.set(line.custom_id, {
          ok: false,
          error: `${line.result.type}: ${JSON.stringify(line.result.error ?? {})}`,
        });
    }
    return results;
  }
}
