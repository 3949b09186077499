/**
 * Hard budget caps shared by every worker of a run, kept in Redis. Same rule as the local UsageMeter
 * (src/models/meter.ts): before a provider call, its worst case is reserved against every cap; the
 * reservation is replaced by the actual spend when the call settles. One Lua script checks and
 * reserves atomically, so concurrent workers can never together pass a cap. A reservation carries a
 * deadline: a worker killed mid-call cannot hold budget forever. Hand-written because BullMQ has
 * rate limits, not spending caps, and no library keeps reservation-based budgets in Redis.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { BudgetExceededError, FapoError } from '../util/errors.ts';

export interface BudgetCaps {
  maxCalls?: number;
  maxTokens?: number;
  maxCostUsd?: number;
}

export interface BudgetAmount {
  calls: number;
  tokens: number;
  costUsd: number;
}

export interface BudgetReservation {
  /** The call was paid: replaces the reservation with what it spent. */
  commit(spent: BudgetAmount): Promise<void>;
  /** The call was not made after all (answered from a cache): frees the reservation. */
  release(): Promise<void>;
}

const DIMENSIONS = [
  ['maxCalls', 'calls'],
  ['maxTokens', 'tokens'],
  ['maxCostUsd', 'costUsd'],
] as const;

// KEYS: budget hash, reservations hash. ARGV: id, calls, tokens, cost, ttlMs.
// Returns {'ok'}, {'wait', dim} (fits once in-flight calls settle), {'exceeded', dim} or {'missing'}.
const RESERVE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {'missing'} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local v = redis.call('HMGET', KEYS[1], 'cap0', 'cap1', 'cap2', 'spent0', 'spent1', 'spent2')
local reserved = {0, 0, 0}
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do
  local a, b, c, deadline = string.match(all[i + 1], '(%S+) (%S+) (%S+) (%S+)')
  if tonumber(deadline) < now then
    redis.call('HDEL', KEYS[2], all[i])
  else
    reserved[1] = reserved[1] + tonumber(a)
    reserved[2] = reserved[2] + tonumber(b)
    reserved[3] = reserved[3] + tonumber(c)
  end
end
local amount = {tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])}
local verdict = nil
for d = 1, 3 do
  local cap = v[d]
  if cap then
    cap = tonumber(cap)
    local spent = tonumber(v[d + 3] or '0')
    if spent + amount[d] > cap + 1e-9 then return {'exceeded', tostring(d - 1)} end
    if verdict == nil and spent + reserved[d] + amount[d] > cap + 1e-9 then verdict = tostring(d - 1) end
  end
end
if verdict then return {'wait', verdict} end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. ' ' .. ARGV[3] .. ' ' .. ARGV[4] .. ' ' .. tostring(now + tonumber(ARGV[5])))
return {'ok'}
`;

// KEYS: budget hash, reservations hash. ARGV: id, calls, tokens, cost (cost may be 0 for a release).
const SETTLE = `
redis.call('HDEL', KEYS[2], ARGV[1])
if tonumber(ARGV[2]) ~= 0 then redis.call('HINCRBYFLOAT', KEYS[1], 'spent0', ARGV[2]) end
if tonumber(ARGV[3]) ~= 0 then redis.call('HINCRBYFLOAT', KEYS[1], 'spent1', ARGV[3]) end
if tonumber(ARGV[4]) ~= 0 then redis.call('HINCRBYFLOAT', KEYS[1], 'spent2', ARGV[4]) end
return 1
`;

const WAIT_MS = 25;

export class RedisBudget {
  private readonly key: string;
  private readonly reservations: string;

  constructor(
    private readonly redis: Redis,
    readonly scope: string,
    /** How long a reservation may live: longer than any call (timeout × retries). */
    private readonly reservationTtlMs = 15 * 60_000,
  ) {
    this.key = `fapo:budget:${scope}`;
    this.reservations = `fapo:budget:${scope}:reserved`;
  }

  /**
   * Sets the caps of a scope (the coordinator does it before dispatching). What was spent is kept, so
   * a resumed run with a larger cap continues from the spend so far.
   */
  async define(caps: BudgetCaps): Promise<void> {
    const fields: Record<string, string> = { defined: '1' };
    const clear: string[] = [];
    DIMENSIONS.forEach(([cap], i) => {
      const value = caps[cap];
      if (value === undefined) clear.push(`cap${i}`);
      else fields[`cap${i}`] = String(value);
    });
    const tx = this.redis.multi().hset(this.key, fields);
    if (clear.length) tx.hdel(this.key, ...clear);
    await tx.exec();
  }

  /** What every worker has spent in this scope so far. */
  async spent(): Promise<BudgetAmount> {
    const [calls, tokens, cost] = await this.redis.hmget(this.key, 'spent0', 'spent1', 'spent2');
    return { calls: Number(calls ?? 0), tokens: Number(tokens ?? 0), costUsd: Number(cost ?? 0) };
  }

  /** Reserves a call's worst case; waits while in-flight calls may still free room; throws when it cannot fit. */
  async reserve(amount: BudgetAmount): Promise<BudgetReservation> {
    const id = randomUUID();
    for (;;) {
      const reply = (await this.redis.eval(
        RESERVE,
        2,
        this.key,
        this.reservations,
        id,
        num(amount.calls),
        num(amount.tokens),
        num(amount.costUsd),
        String(this.reservationTtlMs),
      )) as string[];
      if (reply[0] === 'ok') break;
      if (reply[0] === 'missing') {
        throw new FapoError(
          `budget scope ${this.scope} is not in Redis`,
          'Redis lost its data (restarted without persistence?): run the coordinator again to re-create it.',
        );
      }
      const [cap, dimension] = DIMENSIONS[Number(reply[1])]!;
      if (reply[0] === 'exceeded') {
        const spent = await this.spent();
        throw new BudgetExceededError(
          cap,
          `shared budget ${cap} reached across workers (spent ${round(spent[dimension])}; this call needs up to ${round(amount[dimension])} more)`,
        );
      }
      await new Promise((r) => setTimeout(r, WAIT_MS));
    }
    const settle = (spent: BudgetAmount) =>
      this.redis
        .eval(SETTLE, 2, this.key, this.reservations, id, num(spent.calls), num(spent.tokens), num(spent.costUsd))
        .then(() => undefined);
    return { commit: settle, release: () => settle({ calls: 0, tokens: 0, costUsd: 0 }) };
  }
}

function num(n: number): string {
  if (!Number.isFinite(n) || n < 0) throw new FapoError(`budget amount ${n} must be a finite number >= 0`);
  return String(n);
}

function round(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(6);
}
