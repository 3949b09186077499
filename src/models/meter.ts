/**
 * Usage accounting per role (`task`, `proposer`, `analyst`, `reviewer`, `reflection`, …) and hard
 * budget caps.
 *
 * Caps are enforced by reservation: before a call, the caller reserves its worst case (1 call, an upper
 * bound of its tokens and cost); the reservation counts against every cap until the call settles and
 * is replaced by the actual usage. So concurrent calls can never together pass a cap, provided a call
 * spends no more than it reserved (true whenever the request sets `maxTokens`). A call that would fit
 * once in-flight calls settle waits for them; a call that cannot fit even then fails at once with
 * BudgetExceededError. Cache hits make no provider call and need no budget.
 */
import { z } from 'zod';
import { BudgetExceededError, FapoError } from '../util/errors.ts';
import type { LedgerEntry, MeterLedger } from './meter-ledger.ts';
import type { Usage } from './types.ts';

export interface Limits {
  maxCalls?: number;
  /** Input + output tokens. */
  maxTokens?: number;
  maxCostUsd?: number;
}

export interface BudgetCaps {
  total?: Limits;
  byRole?: Readonly<Record<string, Limits>>;
  /** Limits shared by several roles, e.g. every optimizer role's tokens together. */
  groups?: Readonly<Record<string, { roles: readonly string[]; limits: Limits }>>;
}

export interface RoleUsage {
  /** Provider calls made (including failed ones); cache hits are not calls. */
  calls: number;
  cacheHits: number;
  errors: number;
  /** All input tokens, those read from or written to the provider's prompt cache included. */
  inputTokens: number;
  outputTokens: number;
  /** Input tokens the provider read from its prompt cache (billed at the cached-input price). */
  cachedInputTokens: number;
  /** Input tokens written to the provider's prompt cache (Anthropic). */
  cacheWriteTokens: number;
  costUsd: number;
  /** What the cache hits would have cost had they been calls. */
  savedCostUsd: number;
  /** Summed latency of the provider calls, in ms. */
  latencyMs: number;
  /**
   * Calls that were in flight when a process was killed: whether the provider billed them is unknown,
   * so budgets count them at their reserved worst case (not included in calls, tokens or costUsd).
   */
  unsettledCalls: number;
  unsettledTokens: number;
  unsettledCostUsd: number;
}

export interface MeterSnapshot {
  version: 1;
  roles: Record<string, RoleUsage>;
  total: RoleUsage;
}

/** The worst case a call may spend, reserved before it starts. */
export interface CallEstimate {
  tokens: number;
  costUsd: number;
}

export interface CallOutcome {
  usage: Usage;
  costUsd: number;
  latencyMs: number;
}

export interface Reservation {
  /** Replaces the reservation with what the call actually spent. */
  commit(outcome: CallOutcome): void;
  /** The call failed: it counts as a call and an error, with no tokens. */
  fail(latencyMs: number): void;
}

interface Amount {
  calls: number;
  tokens: number;
  costUsd: number;
}

interface Waiter {
  role: string;
  amount: Amount;
  resolve(reservation: Reservation): void;
  reject(err: Error): void;
}

const DIMENSIONS = [
  ['maxCalls', 'calls'],
  ['maxTokens', 'tokens'],
  ['maxCostUsd', 'costUsd'],
] as const;

export class UsageMeter {
  private readonly roles = new Map<string, RoleUsage>();
  private readonly reservedTotal: Amount = zeroAmount();
  private readonly reservedByRole = new Map<string, Amount>();
  private waiters: Waiter[] = [];
  private ledger: MeterLedger | undefined;
  private nextReservationId = 0;
  /** Cache keys answered before a kill and not yet asked again by the resumed replay (a multiset). */
  private readonly replayable = new Map<string, number>();

  constructor(
    private readonly caps: BudgetCaps = {},
    snapshot?: MeterSnapshot,
  ) {
    for (const [role, usage] of Object.entries(snapshot?.roles ?? {})) this.roles.set(role, { ...usage });
  }

  /** Rebuilds a meter from a snapshot read from disk (validated), e.g. to resume a run. */
  static restore(snapshot: unknown, caps: BudgetCaps = {}): UsageMeter {
    const parsed = snapshotSchema.safeParse(snapshot);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new FapoError(
        `Invalid usage snapshot at ${issue.path.join('.') || '(root)'}: ${issue.message}`,
        'The run state is damaged; start a fresh run or restore the file from a backup.',
      );
    }
    return new UsageMeter(caps, parsed.data as MeterSnapshot);
  }

  /** Reserves a call's worst case against every cap; waits for in-flight calls when that would help. */
  reserve(role: string, estimate: CallEstimate): Promise<Reservation> {
    const amount: Amount = { calls: 1, tokens: estimate.tokens, costUsd: estimate.costUsd };
    const verdict = this.check(role, amount);
    if (verdict === 'fits') return Promise.resolve(this.hold(role, amount));
    if (verdict instanceof BudgetExceededError) return Promise.reject(verdict);
    return new Promise((resolve, reject) => this.waiters.push({ role, amount, resolve, reject }));
  }

  /**
   * Makes this meter durable: books what earlier processes recorded in `ledger` (a call in flight at
   * their kill at its reserved worst case), then appends every change to it. Call before any model call.
   */
  persistTo(ledger: MeterLedger): void {
    if (ledger.entries.length > 0) {
      this.roles.clear();
      this.replayable.clear();
      const inFlight = new Map<number, { role: string; amount: Amount }>();
      for (const entry of ledger.entries) this.replay(entry, inFlight);
      for (const { role, amount } of inFlight.values()) {
        const usage = this.usageOf(role);
        usage.unsettledCalls += amount.calls;
        usage.unsettledTokens += amount.tokens;
        usage.unsettledCostUsd += amount.costUsd;
      }
    }
    ledger.compact(this.stateEntry());
    this.ledger?.close();
    this.ledger = ledger;
  }

  /** Stops appending to the ledger (the meter keeps counting in memory). */
  closeLedger(): void {
    this.ledger?.close();
    this.ledger = undefined;
  }

  /**
   * A cache hit. When `key` was answered before a kill and the resumed run asks for it again, that is
   * the replay of a call already counted: it is not counted a second time (so the reports of a resumed
   * session equal those of an uninterrupted one).
   */
  recordCacheHit(role: string, savedCostUsd: number, key?: string): void {
    // Not written to the ledger: a process killed during the replay replays it all again.
    if (key !== undefined && this.takeReplayable(key)) return;
    this.bookHit(role, savedCostUsd);
    this.ledger?.append(key === undefined ? { t: 'hit', role, savedCostUsd } : { t: 'hit', role, savedCostUsd, key });
  }

  /** A paid answer was stored under `key` (see recordCacheHit). */
  recordServed(key: string): void {
    this.ledger?.append({ t: 'served', key });
  }

  /** The work done so far is stored and will not be replayed: compacts the ledger. */
  checkpoint(): void {
    this.replayable.clear();
    this.ledger?.compact(this.stateEntry());
  }

  private bookHit(role: string, savedCostUsd: number): void {
    const usage = this.usageOf(role);
    usage.cacheHits += 1;
    usage.savedCostUsd += savedCostUsd;
  }

  private addReplayable(key: string): void {
    this.replayable.set(key, (this.replayable.get(key) ?? 0) + 1);
  }

  private takeReplayable(key: string): boolean {
    const left = this.replayable.get(key);
    if (!left) return false;
    if (left === 1) this.replayable.delete(key);
    else this.replayable.set(key, left - 1);
    return true;
  }

  private replay(entry: LedgerEntry, inFlight: Map<number, { role: string; amount: Amount }>): void {
    switch (entry.t) {
      case 'state':
        for (const [role, usage] of Object.entries(entry.roles)) this.roles.set(role, { ...zeroUsage(), ...usage });
        for (const [key, n] of Object.entries(entry.replayable)) this.replayable.set(key, n);
        return;
      case 'reserve':
        inFlight.set(entry.id, { role: entry.role, amount: entry.amount });
        return;
      case 'commit':
      case 'fail': {
        const held = inFlight.get(entry.id);
        if (!held) return;
        inFlight.delete(entry.id);
        const usage = this.usageOf(held.role);
        usage.calls += 1;
        if (entry.t === 'fail') {
          usage.errors += 1;
          usage.latencyMs += entry.latencyMs;
        } else applyOutcome(usage, entry);
        return;
      }
      case 'hit':
        this.bookHit(entry.role, entry.savedCostUsd);
        if (entry.key !== undefined) this.addReplayable(entry.key);
        return;
      case 'served':
        this.addReplayable(entry.key);
        return;
    }
  }

  private stateEntry(): Extract<LedgerEntry, { t: 'state' }> {
    const roles = Object.fromEntries([...this.roles].map(([role, usage]) => [role, { ...usage }]));
    return { t: 'state', roles, replayable: Object.fromEntries(this.replayable) };
  }

  /** Usage of one role, or the total over all roles. */
  usage(role?: string): RoleUsage {
    return role === undefined ? this.total() : { ...(this.roles.get(role) ?? zeroUsage()) };
  }

  snapshot(): MeterSnapshot {
    const roles = Object.fromEntries([...this.roles].map(([role, usage]) => [role, { ...usage }]));
    return { version: 1, roles, total: this.total() };
  }

  private total(): RoleUsage {
    const total = zeroUsage();
    for (const usage of this.roles.values()) {
      for (const key of Object.keys(total) as (keyof RoleUsage)[]) total[key] += usage[key];
    }
    return total;
  }

  private usageOf(role: string): RoleUsage {
    let usage = this.roles.get(role);
    if (!usage) this.roles.set(role, (usage = zeroUsage()));
    return usage;
  }

  /** What a scope has spent, the worst case of calls cut off by a kill included. */
  private spent(role: string | undefined): Amount {
    const usage = this.usage(role);
    return {
      calls: usage.calls + usage.unsettledCalls,
      tokens: usage.inputTokens + usage.outputTokens + usage.unsettledTokens,
      costUsd: usage.costUsd + usage.unsettledCostUsd,
    };
  }

  /**
   * 'fits' now, 'wait' (fits once in-flight calls settle), or the error to throw. Runs before every
   * provider call, so a scope without limits is skipped before its spending is summed.
   */
  private check(role: string, amount: Amount): 'fits' | 'wait' | BudgetExceededError {
    let verdict: 'fits' | 'wait' = 'fits';
    const scopes: [string, Limits | undefined, string | undefined, readonly string[] | undefined][] = [
      ['total', this.caps.total, undefined, undefined],
      [role, this.caps.byRole?.[role], role, undefined],
    ];
    if (this.caps.groups) {
      for (const [name, group] of Object.entries(this.caps.groups)) {
        if (group.roles.includes(role)) scopes.push([name, group.limits, undefined, group.roles]);
      }
    }
    for (const [scopeName, limits, scopeRole, groupRoles] of scopes) {
      if (!limits) continue;
      const [spent, reserved] = this.scopeAmounts(scopeRole, groupRoles);
      for (const [capName, dim] of DIMENSIONS) {
        const cap = limits[capName];
        if (cap === undefined) continue;
        if (spent[dim] + amount[dim] > cap) {
          return new BudgetExceededError(
            `${scopeName}.${capName}`,
            `Budget ${scopeName}.${capName} = ${cap} would be exceeded: ${round(spent[dim])} spent, the next ${role} call may need up to ${round(amount[dim])}.`,
          );
        }
        if (spent[dim] + reserved[dim] + amount[dim] > cap) verdict = 'wait';
      }
    }
    return verdict;
  }

  /** Spent and reserved amounts of one role, of a group of roles, or (neither given) of the total. */
  private scopeAmounts(role: string | undefined, groupRoles: readonly string[] | undefined): [Amount, Amount] {
    if (!groupRoles) {
      return [
        this.spent(role),
        role === undefined ? this.reservedTotal : (this.reservedByRole.get(role) ?? zeroAmount()),
      ];
    }
    const spent = zeroAmount();
    const reserved = zeroAmount();
    for (const r of groupRoles) {
      addAmount(spent, this.spent(r), 1);
      addAmount(reserved, this.reservedByRole.get(r) ?? zeroAmount(), 1);
    }
    return [spent, reserved];
  }

  private hold(role: string, amount: Amount): Reservation {
    const roleReserved = this.reservedByRole.get(role) ?? zeroAmount();
    this.reservedByRole.set(role, roleReserved);
    addAmount(this.reservedTotal, amount, 1);
    addAmount(roleReserved, amount, 1);
    const id = this.nextReservationId++;
    // Written before the call goes out: a kill during the call leaves the reservation counted.
    this.ledger?.append({ t: 'reserve', id, role, amount });
    return new HeldReservation(id, role, amount, roleReserved, this.release);
  }

  /** Releases a settled reservation and books what the call spent (made once, not per call). */
  private readonly release: ReleaseFn = (id, role, amount, roleReserved, outcome) => {
    addAmount(this.reservedTotal, amount, -1);
    addAmount(roleReserved, amount, -1);
    const usage = this.usageOf(role);
    usage.calls += 1;
    if ('usage' in outcome) {
      const entry = {
        ...outcome.usage,
        cachedInputTokens: outcome.usage.cachedInputTokens ?? 0,
        cacheWriteTokens: outcome.usage.cacheWriteTokens ?? 0,
        costUsd: outcome.costUsd,
        latencyMs: outcome.latencyMs,
      };
      applyOutcome(usage, entry);
      this.ledger?.append({ t: 'commit', id, ...entry });
    } else {
      usage.errors += 1;
      usage.latencyMs += outcome.latencyMs;
      this.ledger?.append({ t: 'fail', id, latencyMs: outcome.latencyMs });
    }
    this.wakeWaiters();
  };

  private wakeWaiters(): void {
    if (this.waiters.length === 0) return;
    const waiting = this.waiters;
    this.waiters = [];
    for (const waiter of waiting) {
      const verdict = this.check(waiter.role, waiter.amount);
      if (verdict === 'fits') waiter.resolve(this.hold(waiter.role, waiter.amount));
      else if (verdict === 'wait') this.waiters.push(waiter);
      else waiter.reject(verdict);
    }
  }
}

type ReleaseFn = (
  id: number,
  role: string,
  amount: Amount,
  roleReserved: Amount,
  outcome: CallOutcome | { latencyMs: number },
) => void;

interface SettledCall {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
  latencyMs: number;
}

function applyOutcome(usage: RoleUsage, call: SettledCall): void {
  usage.inputTokens += call.inputTokens;
  usage.outputTokens += call.outputTokens;
  usage.cachedInputTokens += call.cachedInputTokens;
  usage.cacheWriteTokens += call.cacheWriteTokens;
  usage.costUsd += call.costUsd;
  usage.latencyMs += call.latencyMs;
}

/**
 * A class rather than closures made per call: reserve/commit runs before and after every provider
 * call, and per-call closures were a third of its cost.
 */
class HeldReservation implements Reservation {
  private settled = false;

  constructor(
    private readonly id: number,
    private readonly role: string,
    private readonly amount: Amount,
    private readonly roleReserved: Amount,
    private readonly release: ReleaseFn,
  ) {}

  commit(outcome: CallOutcome): void {
    this.settle(outcome);
  }

  fail(latencyMs: number): void {
    this.settle({ latencyMs });
  }

  private settle(outcome: CallOutcome | { latencyMs: number }): void {
    if (this.settled) throw new Error('A budget reservation was settled twice.');
    this.settled = true;
    this.release(this.id, this.role, this.amount, this.roleReserved, outcome);
  }
}

function zeroAmount(): Amount {
  return { calls: 0, tokens: 0, costUsd: 0 };
}

/** A role that has spent nothing. */
export function zeroUsage(): RoleUsage {
  return {
    calls: 0,
    cacheHits: 0,
    errors: 0,
    inputTokens: 0,
    outputTokens: 0,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    costUsd: 0,
    savedCostUsd: 0,
    latencyMs: 0,
    unsettledCalls: 0,
    unsettledTokens: 0,
    unsettledCostUsd: 0,
  };
}

function addAmount(target: Amount, amount: Amount, sign: 1 | -1): void {
  target.calls += sign * amount.calls;
  target.tokens += sign * amount.tokens;
  target.costUsd += sign * amount.costUsd;
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

const count = z.number().nonnegative();
const roleUsageSchema = z.object({
  calls: count,
  cacheHits: count,
  errors: count,
  inputTokens: count,
  outputTokens: count,
  // Snapshots written before prompt-cache accounting have no such fields.
  cachedInputTokens: count.default(0),
  cacheWriteTokens: count.default(0),
  costUsd: count,
  savedCostUsd: count,
  latencyMs: count,
  unsettledCalls: count.default(0),
  unsettledTokens: count.default(0),
  unsettledCostUsd: count.default(0),
});
const snapshotSchema = z.object({ version: z.literal(1), roles: z.record(z.string(), roleUsageSchema) });

/** The "calls avoided" figure: computed here only, shown by reports, the CLI and the benches. */
export interface TaskCallSavings {
  /** Task-model provider calls actually paid. */
  paid: number;
  /** Calls avoided by the cache and by reusing unchanged upstream steps. */
  avoided: number;
  /** What re-running every variant from scratch would have paid: paid + avoided. */
  fromScratch: number;
  /** avoided / fromScratch; null when no task call was needed at all. */
  savedFraction: number | null;
  savedCostUsd: number;
}

/** Paid task calls vs re-running every variant from scratch (every cache hit would have been a call). */
export function taskCallSavings(task: RoleUsage | undefined): TaskCallSavings {
  const paid = task?.calls ?? 0;
  const avoided = task?.cacheHits ?? 0;
  const fromScratch = paid + avoided;
  return {
    paid,
    avoided,
    fromScratch,
    savedFraction: fromScratch === 0 ? null : avoided / fromScratch,
    savedCostUsd: task?.savedCostUsd ?? 0,
  };
}
