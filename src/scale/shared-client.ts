/**
 * A ModelClient for queue workers: a Redis-backed response cache in front of the worker's own client
 * (which keeps its SQLite cache), so no model call is paid twice across workers. On a miss the worker
 * takes a per-request Redis lock (SET NX PX, kept alive while the call runs): another worker asking
 * for the same answer meanwhile waits for it instead of paying again. A worker killed mid-call loses
 * the lock when it expires. Shared budgets (src/scale/budget.ts) are reserved here, only for calls
 * that will really reach the provider.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { responseCacheKey } from '../models/client.ts';
import type { ModelSpec } from '../models/model-id.ts';
import { costUsd, type Price } from '../models/pricing.ts';
import type { CachedResponse, ModelClient, ModelRequest, ModelResponse, ResponseCache } from '../models/types.ts';
import { CachedResponseSchema } from '../eval/store/cache.ts';
import type { RedisBudget } from './budget.ts';
import type { CaseUsage } from './protocol.ts';

const CACHE_PREFIX = 'fapo:cache:';
const LOCK_PREFIX = 'fapo:lock:';
/** Redis keeps answers a week (each worker's SQLite keeps them for good); Redis memory stays bounded. */
const CACHE_TTL_S = 7 * 24 * 3600;
const POLL_MS = 20;

// Deletes the lock only if this worker still holds it (it may have expired and passed to another).
const UNLOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export interface SharedClientOptions {
  redis: Redis;
  /** The worker's client for this model (its own keys, endpoint, SQLite cache and concurrency limit). */
  inner: ModelClient;
  /** The worker's SQLite response cache (the one `inner` uses). */
  local: ResponseCache;
  spec: Pick<ModelSpec, 'provider' | 'model'>;
  price: Price;
  budget?: RedisBudget;
  /** Tally of this job's calls (reported back to the coordinator). */
  usage: CaseUsage;
  /** Lifetime of a call's lock without renewal (default 30 s; renewed every third of it). */
  lockMs?: number;
  /** Output tokens assumed for budget reservations when a request sets no maxTokens (as the local meter). */
  outputTokenAllowance?: number;
}

export function emptyUsage(): CaseUsage {
  return { calls: 0, cacheHits: 0, sharedHits: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
}

export function sharedCacheClient(opts: SharedClientOptions): ModelClient {
  const { redis, inner, local, usage } = opts;
  const lockMs = opts.lockMs ?? 30_000;

  const tally = (response: ModelResponse): ModelResponse => {
    if (response.cached) usage.cacheHits += 1;
    else {
      usage.calls += 1;
      usage.inputTokens += response.usage.inputTokens;
      usage.outputTokens += response.usage.outputTokens;
      usage.costUsd += response.costUsd;
    }
    return response;
  };

  const fromShared = async (key: string): Promise<boolean> => {
    const raw = await redis.get(CACHE_PREFIX + key);
    if (raw === null) return false;
    const parsed = CachedResponseSchema.safeParse(safeJson(raw));
    if (!parsed.success) return false; // an entry in another format is a miss
    local.put(key, parsed.data as CachedResponse);
    usage.sharedHits += 1;
    return true;
  };

  const payOnce = async (req: ModelRequest, key: string, token: string): Promise<ModelResponse> => {
    const keepAlive = setInterval(() => void redis.pexpire(LOCK_PREFIX + key, lockMs).catch(() => {}), lockMs / 3);
    try {
      const reservation = await opts.budget?.reserve(worstCase(req, opts));
      let response: ModelResponse;
      try {
        response = await inner.generate(req);
      } catch (err) {
        // A failed call still counts as a call, as in the local meter; it spent no tokens we know of.
        await reservation?.commit({ calls: 1, tokens: 0, costUsd: 0 });
        throw err;
      }
      if (response.cached) await reservation?.release();
      else {
        await reservation?.commit({
          calls: 1,
          tokens: response.usage.inputTokens + response.usage.outputTokens,
          costUsd: response.costUsd,
        });
        const { cached: _cached, ...entry } = response;
        await redis.set(CACHE_PREFIX + key, JSON.stringify(entry), 'EX', CACHE_TTL_S);
      }
      return response;
    } finally {
      clearInterval(keepAlive);
      await redis.eval(UNLOCK, 1, LOCK_PREFIX + key, token).catch(() => {});
    }
  };

  return {
    id: inner.id,
    async generate(req) {
      const key = responseCacheKey(opts.spec, req);
      for (;;) {
        if (local.get(key) || (await fromShared(key))) return tally(await inner.generate(req));
        const token = randomUUID();
        const locked = await redis.set(LOCK_PREFIX + key, token, 'PX', lockMs, 'NX');
        if (locked === 'OK') return tally(await payOnce(req, key, token));
        // Another worker is paying for this answer: wait for it, or for its lock to lapse.
        while ((await redis.exists(LOCK_PREFIX + key)) === 1 && (await redis.exists(CACHE_PREFIX + key)) === 0) {
          req.signal?.throwIfAborted();
          await new Promise((r) => setTimeout(r, POLL_MS));
        }
      }
    },
  };
}

/** The most a request can spend, as the local meter bounds it: bytes bound tokens from above. */
function worstCase(
  req: ModelRequest,
  opts: Pick<SharedClientOptions, 'price' | 'outputTokenAllowance'>,
): { calls: number; tokens: number; costUsd: number } {
  let input = 0;
  for (const m of req.messages) input += 8 + Buffer.byteLength(m.content);
  if (req.schema) input += Buffer.byteLength(JSON.stringify(req.schema));
  const output = req.sampling.maxTokens ?? opts.outputTokenAllowance ?? 4096;
  return {
    calls: 1,
    tokens: input + output,
    costUsd: costUsd({ inputTokens: input, outputTokens: output }, opts.price),
  };
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
