/**
 * Redis connections for scale-out: parsing `--queue redis://…` into ioredis options (bad URLs fail with
 * a clear message), and a connect-and-ping check so a coordinator or worker started against a Redis
 * that is down exits at once instead of waiting forever.
 */
import type { ConnectionOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { FapoError, errorMessage } from '../util/errors.ts';

/** Connection options for BullMQ and our own commands, from a `redis://` or `rediss://` URL. */
export function redisOptions(url: string): RedisOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw badUrl(url, 'it is not a URL');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw badUrl(url, `the scheme is "${parsed.protocol.replace(/:$/, '')}", not redis or rediss`);
  }
  if (!parsed.hostname) throw badUrl(url, 'it names no host');
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  const dbPath = parsed.pathname.replace(/^\//, '');
  const db = dbPath === '' ? 0 : Number(dbPath);
  if (!Number.isInteger(db) || db < 0) throw badUrl(url, `the database "${dbPath}" is not a number`);
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    db,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    // BullMQ's blocking connections need this; our commands then wait through a Redis restart too.
    maxRetriesPerRequest: null,
    // Reconnect quickly after a Redis restart (job locks keep running out meanwhile), backing off to 1 s.
    retryStrategy: (times: number) => Math.min(50 * times, 1000),
  };
}

/** BullMQ's connection options for the URL (its own RedisOptions type is a looser copy of ioredis's). */
export function bullConnection(url: string): ConnectionOptions {
  return redisOptions(url) as ConnectionOptions;
}

/** The URL without its password, for messages and logs. */
export function safeRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}

/**
 * Connects and pings within `timeoutMs`; a Redis that is down or refuses us is a FapoError naming the
 * address. The returned client reconnects by itself after later outages.
 */
export async function connectRedis(url: string, timeoutMs = 5000): Promise<Redis> {
  const options = redisOptions(url);
  const client = new Redis({ ...options, lazyConnect: true, connectTimeout: timeoutMs });
  let lastError: unknown;
  client.on('error', (err) => {
    lastError = err;
  });
  try {
    await withTimeout(
      (async () => {
        await client.connect();
        await client.ping();
      })(),
      timeoutMs,
    );
    return client;
  } catch (err) {
    client.disconnect();
    throw new FapoError(
      `cannot reach Redis at ${safeRedisUrl(url)}: ${errorMessage(lastError ?? err)}`,
      'Start redis-server there (Debian: apt-get install redis-server), or pass the right --queue redis://host:port.',
    );
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function badUrl(url: string, why: string): FapoError {
  return new FapoError(
    `--queue ${safeRedisUrl(url) === '(invalid URL)' ? JSON.stringify(url) : safeRedisUrl(url)} is not a Redis URL: ${why}`,
    'Write it as redis://host:6379 (or redis://:password@host:6379/0, rediss:// for TLS).',
  );
}
