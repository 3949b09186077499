/**
 * The coding agent's only road to its model. A coding-agent CLI (Claude Code, Codex) makes its own
 * HTTP calls, so fapo cannot meter it from inside an SDK call; instead the agent's base URL points
 * here. Every request reserves its worst case on the meter before it is forwarded (so optimizer
 * budgets stay hard caps, not after-the-fact reports), the upstream's usage is read from the reply
 * (JSON or server-sent events, passed through unchanged as they arrive) and booked, and the real API
 * key is added here: the agent's process only ever holds a one-session token for this proxy.
 *
 * Hand-written over node:http because no proxy library meters and re-keys per request; the whole
 * job is a pipe plus a usage scan.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Reservation, UsageMeter } from '../../../models/meter.ts';
import { costUsd, type Price } from '../../../models/pricing.ts';
import type { Usage } from '../../../models/types.ts';
import { BudgetExceededError, errorMessage } from '../../../util/errors.ts';

/** Which wire protocol the agent speaks: decides the auth header and where usage is found. */
export type AgentWireProtocol = 'anthropic' | 'openai';

export interface MeteringProxyOptions {
  protocol: AgentWireProtocol;
  /** The real endpoint, e.g. https://api.anthropic.com or https://api.openai.com/v1. */
  upstream: string;
  /** The real key, added to forwarded requests; undefined for keyless local servers. */
  apiKey?: string;
  meter?: UsageMeter;
  role: string;
  price: Price;
  /** Output tokens reserved when a request names no maximum. */
  outputTokenAllowance: number;
}

export interface ProxiedCall {
  path: string;
  status: number;
  usage: Usage;
  costUsd: number;
  latencyMs: number;
  /** Set when fapo refused to forward the call: a budget, or an endpoint that is not a model call. */
  refused?: string;
}

export interface MeteringProxy {
  /** Base URL for the agent (no trailing slash). */
  readonly url: string;
  /** The token the agent must present instead of a real key. */
  readonly token: string;
  readonly calls: readonly ProxiedCall[];
  /** The budget error that stopped the agent, if one did. */
  readonly budgetError: BudgetExceededError | undefined;
  close(): Promise<void>;
}

/**
 * The endpoints forwarded, per protocol: the model calls the proxy meters, and nothing else. The real
 * key opens far more (files, batches, fine-tuning, organisation admin); an agent must reach none of it.
 */
const MODEL_ENDPOINTS: Record<AgentWireProtocol, readonly string[]> = {
  anthropic: ['/v1/messages'],
  openai: ['/v1/responses', '/v1/chat/completions'],
};

const HOP_BY_HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'upgrade']);
const AUTH_HEADERS = ['authorization', 'x-api-key'];

export async function startMeteringProxy(options: MeteringProxyOptions): Promise<MeteringProxy> {
  const token = `fapo-session-${randomBytes(18).toString('hex')}`;
  const calls: ProxiedCall[] = [];
  let budgetError: BudgetExceededError | undefined;
  const upstream = options.upstream.replace(/\/+$/, '');

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) reply(res, 502, options.protocol, `fapo proxy: ${errorMessage(err)}`);
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!authorized(req, token)) return reply(res, 401, options.protocol, 'fapo proxy: unknown session token');
    // Parsed, so that `..` segments and encoded tricks are resolved before the path is judged.
    const target = new URL(req.url ?? '/', 'http://proxy.invalid');
    const allowed = MODEL_ENDPOINTS[options.protocol];
    if (req.method !== 'POST' || !allowed.includes(target.pathname)) {
      req.resume();
      const refused = `${req.method} ${target.pathname}`;
      calls.push({
        path: target.pathname,
        status: 404,
        usage: { inputTokens: 0, outputTokens: 0 },
        costUsd: 0,
        latencyMs: 0,
        refused,
      });
      // 404, as an upstream without the route would answer: agents fall back from optional endpoints.
      return reply(
        res,
        404,
        options.protocol,
        `fapo proxy: ${refused} is not forwarded; only POST ${allowed.join(', ')}`,
      );
    }
    const body = await readBody(req);
    const path = `${target.pathname}${target.search}`;
    const bound = requestBound(body, options.outputTokenAllowance);
    let reservation: Reservation | undefined;
    try {
      reservation = await options.meter?.reserve(options.role, {
        tokens: bound.input + bound.output,
        costUsd: costUsd({ inputTokens: bound.input, outputTokens: bound.output }, options.price),
      });
    } catch (err) {
      if (!(err instanceof BudgetExceededError)) throw err;
      budgetError ??= err;
      const none = { inputTokens: 0, outputTokens: 0 };
      calls.push({ path, status: 400, usage: none, costUsd: 0, latencyMs: 0, refused: err.message });
      // 400, not 429: a budget stop must not be retried by the agent's client.
      return reply(res, 400, options.protocol, `fapo budget: ${err.message}`);
    }
    const started = performance.now();
    let upstreamResponse: Response;
    try {
      upstreamResponse = await fetch(`${upstream}${stripVersionOverlap(upstream, path)}`, {
        method: req.method,
        headers: forwardHeaders(req, options),
        body: body.length > 0 ? new Uint8Array(body) : undefined,
      });
    } catch (err) {
      reservation?.fail(performance.now() - started);
      throw err;
    }
    res.writeHead(upstreamResponse.status, responseHeaders(upstreamResponse));
    const scan = new UsageScan();
    if (upstreamResponse.body) {
      const decoder = new TextDecoder();
      for await (const chunk of upstreamResponse.body) {
        scan.push(decoder.decode(chunk, { stream: true }));
        res.write(chunk);
      }
    }
    res.end();
    const latencyMs = performance.now() - started;
    const usage = scan.usage();
    const cost = costUsd(usage, options.price);
    if (upstreamResponse.ok) reservation?.commit({ usage, costUsd: cost, latencyMs });
    else reservation?.fail(latencyMs);
    calls.push({ path, status: upstreamResponse.status, usage, costUsd: cost, latencyMs });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    calls,
    get budgetError() {
      return budgetError;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function authorized(req: IncomingMessage, token: string): boolean {
  return AUTH_HEADERS.some((h) => {
    const value = req.headers[h];
    return typeof value === 'string' && (value === token || value === `Bearer ${token}`);
  });
}

function forwardHeaders(req: IncomingMessage, options: MeteringProxyOptions): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || AUTH_HEADERS.includes(name)) continue;
    headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  if (options.apiKey) {
    if (options.protocol === 'anthropic') headers.set('x-api-key', options.apiKey);
    else headers.set('authorization', `Bearer ${options.apiKey}`);
  }
  return headers;
}

function responseHeaders(response: Response): Record<string, string> {
  const out: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    // fetch has already decoded the body, so the encoding and length no longer describe it.
    if (!HOP_BY_HOP.has(name) && name !== 'content-encoding') out[name] = value;
  });
  return out;
}

/** Agents append `/v1/...` to a base URL that may itself end in `/v1`; forward one `/v1` only. */
function stripVersionOverlap(upstream: string, path: string): string {
  return upstream.endsWith('/v1') && path.startsWith('/v1/') ? path.slice(3) : path;
}

/**
 * The worst case of one request: at most one token per UTF-8 byte of the request body (byte-level
 * tokenizers never emit more), plus the output maximum it asks for.
 */
export function requestBound(body: Buffer, outputTokenAllowance: number): { input: number; output: number } {
  let output = outputTokenAllowance;
  try {
    const parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    const asked = parsed.max_tokens ?? parsed.max_output_tokens ?? parsed.max_completion_tokens;
    if (typeof asked === 'number' && asked > 0) output = asked;
  } catch {
    // not JSON (e.g. a GET): the allowance stands
  }
  return { input: body.length, output };
}

/**
 * Reads usage out of a reply as it streams past: Anthropic's message_start / message_delta events
 * or JSON `usage`, OpenAI's `usage` (chat completions, responses, response.completed events). Keeps
 * the largest figure seen per dimension, since streams repeat cumulative counts.
 */
export class UsageScan {
  private buffered = '';
  private input = 0;
  private output = 0;

  push(text: string): void {
    this.buffered += text;
    let newline = this.buffered.indexOf('\n');
    while (newline >= 0) {
      this.line(this.buffered.slice(0, newline));
      this.buffered = this.buffered.slice(newline + 1);
      newline = this.buffered.indexOf('\n');
    }
  }

  usage(): Usage {
    if (this.buffered.trim() !== '') this.line(this.buffered);
    this.buffered = '';
    return { inputTokens: this.input, outputTokens: this.output };
  }

  private line(raw: string): void {
    const line = raw.trim();
    const json = line.startsWith('data:') ? line.slice(5).trim() : line;
    if (!json.startsWith('{')) return;
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch {
      return;
    }
    this.visit(value, 0);
  }

  private visit(value: unknown, depth: number): void {
    if (value === null || typeof value !== 'object' || depth > 3) return;
    const record = value as Record<string, unknown>;
    const usage = record.usage as Record<string, unknown> | undefined;
    if (usage && typeof usage === 'object') {
      const n = (key: string) => (typeof usage[key] === 'number' ? (usage[key] as number) : 0);
      const input =
        n('input_tokens') + n('cache_creation_input_tokens') + n('cache_read_input_tokens') + n('prompt_tokens');
      const output = n('output_tokens') + n('completion_tokens');
      this.input = Math.max(this.input, input);
      this.output = Math.max(this.output, output);
    }
    for (const key of ['message', 'response']) this.visit(record[key], depth + 1);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function reply(res: ServerResponse, status: number, protocol: AgentWireProtocol, message: string): void {
  const body =
    protocol === 'anthropic'
      ? { type: 'error', error: { type: status === 401 ? 'authentication_error' : 'invalid_request_error', message } }
      : { error: { message, type: 'invalid_request_error', code: status === 401 ? 'invalid_api_key' : 'budget' } };
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
