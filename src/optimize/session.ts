import { resolve } from 'node:path';
import { type Environment, openEnvironment } from '../eval/environment.ts';
import type { RemoteFactory, RemoteSession } from '../eval/remote.ts';
import { Store } from '../eval/store.ts';
import { lockWorkspace } from '../eval/workspace-lock.ts';
import { baselineVariant } from '../eval/variant.ts';
import type { Variant } from '../eval/types.ts';
import { UsageMeter, type MeterSnapshot } from '../models/meter.ts';
import type { PriceTable } from '../models/pricing.ts';
import { type Playbook, SPLITS, type Split } from '../task/schema.ts';
import { FapoError, InfraError } from '../util/errors.ts';
import { BudgetTracker, type BudgetOptions, meterCaps } from './budget.ts';
import { RunBudgetExceededError } from '../eval/runner.ts';
import { type Comparison, EvaluationService, type ValidationOutcome } from './evaluator.ts';
import type { EventSink } from './events.ts';
import { SessionState } from './session-state.ts';
import type { OptimizerRoles, Strategy, StrategyResult } from './strategy.ts';

export interface RoleModels {
  proposer?: string;
  analyst?: string;
  reviewer?: string;
  reflection?: string;
}

/** Everything that defines a session; stored with it so `--resume` replays exactly the same run. */
export interface SessionConfig {
  strategy: string;
  trials: number;
  seed: number;
  concurrency: number;
  model?: string;
  /** The model judge scorers consult; default: the manifest's `judge.model`. */
  judgeModel?: string;
  budget: BudgetOptions;
  roles: RoleModels;
  accept: 'mean' | 'significant';
  target?: number;
  sandbox: boolean;
  /** Per-case timeout (ms); default: the manifest's, else 300 s. */
  caseTimeoutMs?: number;
  /** `false`: no response cache (every model call is paid); for like-for-like cost comparisons. */
  responseCache?: boolean;
  /** Strategy-specific settings (e.g. GEPA's minibatch size, FAPO's proposer kind). */
  strategyOptions: Record<string, unknown>;
  /** Prices over the built-in table (`--prices`), kept with the session so `--max-cost` holds on resume. */
  prices?: PriceTable;
  /** Per-call time limit and retries of every model client (`--timeout`, `--max-retries`). */
  timeoutMs?: number;
  maxRetries?: number;
}

export interface SessionRecord {
  id: string;
  config: SessionConfig;
  state: 'running' | 'complete' | 'failed';
  createdAt: string;
  finishedAt?: string;
  stopReason?: string;
  error?: string;
}

export interface FinalTest {
  baseline: ValidationOutcome;
  best: ValidationOutcome;
  comparison: Comparison;
  evaluations: number;
  /** Test evaluations a budget cut short: their figures cover fewer cases than the split (also in the stop reason). */
  incomplete?: string[];
}

export interface SessionOutcome {
  session: SessionRecord;
  /** The task model actually used (the manifest's unless the config overrides it). */
  taskModel: string;
  scope: Playbook;
  baseline: Variant;
  result: StrategyResult;
  test: FinalTest;
  usage: MeterSnapshot;
  wallMs: number;
}

export interface OptimizeRequest {
  taskDir: string;
  config: SessionConfig;
  /** Strategy factory: gets the stored strategy options (the same on resume). */
  strategy: (options: Record<string, unknown>) => Strategy;
  /** `true`: the latest unfinished session of this strategy; a string: that session id. */
  resume?: boolean | string;
  /** Told when `resume: true` finds no unfinished session and a new one starts. */
  onNotice?: (message: string) => void;
  /** Every event of the session, as it happens (render with describeEvent from events.ts). */
  onEvent?: EventSink;
  onProgress?: (label: string, done: number, total: number) => void;
  /** Evaluate on queue workers (`fapo optimize --queue`, src/scale) with the session's meter and caps. */
  remote?: RemoteFactory;
}

const SESSIONS = 'sessions';

/** Every session recorded in a workspace store, oldest first. */
export function listSessions(store: Store): SessionRecord[] {
  return store.listDocs<SessionRecord>(SESSIONS).map((d) => d.value);
}

/** Prints the scope contract the runtime will enforce (stored with the session too). */
export function describeScope(p: Playbook): string[] {
  return [
    `levels allowed: ${p.levels.join(' → ')} (prompt first; later levels only after a plateau with attribution support)`,
    `files a proposal may create: ${p.allowedFiles.join(', ')}`,
    `frozen: ${p.frozen.join(', ') || 'nothing'}${p.tunableParams.length ? `; tunable params: ${p.tunableParams.join(', ')}` : ''}`,
    `caps: ${
      Object.entries(p.caps)
        .map(([k, v]) => `${k} ≤ ${v}`)
        .join(', ') || 'none'
    }`,
    `checker-aware post-processing: ${p.allowCheckerAwarePostprocessing ? 'allowed (reported separately)' : 'not allowed'}`,
  ];
}

/**
 * Runs an optimization session: scope contract, baseline, the strategy's search under hard budgets,
 * then (once) the test evaluation of the baseline and the selected variant.
 */
export async function optimize(req: OptimizeRequest): Promise<SessionOutcome> {
  // Pick (or create) the session and read its saved meter before building the environment,
  // whose model clients need the meter.
  // Held until the session ends: a second process (another --resume of it) would pay its calls again.
  const lock = lockWorkspace(resolve(req.taskDir));
  try {
    return await optimizeLocked(req);
  } finally {
    lock.release();
  }
}

async function optimizeLocked(req: OptimizeRequest): Promise<SessionOutcome> {
  const store = Store.open(resolve(req.taskDir));
  let record: SessionRecord;
  let savedMeter: MeterSnapshot | undefined;
  try {
    record = pickSession(store, req);
    savedMeter = new SessionState(store, record.id).get<MeterSnapshot>('meter');
  } finally {
    store.close();
  }
  const config = record.config;
  const caps = meterCaps(config.budget);
  // Sessions stored before the usage ledger existed saved the meter at checkpoints only.
  const meter = savedMeter ? UsageMeter.restore(savedMeter, caps) : new UsageMeter(caps);
  const env = await openEnvironment(req.taskDir, {
    model: config.model,
    ...(config.judgeModel ? { judgeModel: config.judgeModel } : {}),
    concurrency: config.concurrency,
    sandbox: config.sandbox,
    ...(config.caseTimeoutMs ? { caseTimeoutMs: config.caseTimeoutMs } : {}),
    meter,
    ...(config.responseCache === false ? { responseCache: false } : {}),
    ...(config.prices ? { prices: config.prices } : {}),
    ...(config.timeoutMs !== undefined ? { timeoutMs: config.timeoutMs } : {}),
    ...(config.maxRetries !== undefined ? { maxRetries: config.maxRetries } : {}),
  });
  let remote: RemoteSession | undefined;
  try {
    meter.persistTo(env.store.meterLedger(sessionLedgerName(record.id)));
    if (req.remote) env.remote = remote = await req.remote({ taskName: env.task.manifest.name, meter, caps });
    return await runSession(env, record, req, meter);
  } catch (err) {
    env.store.putDoc(SESSIONS, record.id, {
      ...record,
      state: 'failed',
      error: err instanceof Error ? err.message : String(err),
    });
    throw err;
  } finally {
    meter.closeLedger();
    await remote?.close();
    await env.close();
  }
}

/**
 * A session compares variants by their scores, so it must score them all the same way: a session
 * resumed after its scorer or a data split changed stops here instead of mixing old and new scores.
 */
function requireSameScoring(env: Environment, state: SessionState, sessionId: string): void {
  const now = {
    scorer: env.task.scorerFingerprint,
    ...Object.fromEntries(SPLITS.map((split) => [split, env.task.datasets[split].fingerprint])),
  };
  const started = state.get<Record<string, string>>('fingerprints');
  if (!started) return state.put('fingerprints', now);
  const changed = Object.keys(now).filter(
    (key) => started[key] !== undefined && started[key] !== now[key as keyof typeof now],
  );
  if (changed.length > 0) {
    const what = changed.map((key) =>
      key === 'scorer' ? env.task.manifest.scorer : `the ${key} split (${env.task.datasets[key as Split].path})`,
    );
    throw new FapoError(
      `session ${sessionId} cannot resume: ${what.join(' and ')} changed since it started, and its scores would no longer compare`,
      'Restore the files, or start a new session (run without --resume).',
    );
  }
}

function pickSession(store: Store, req: OptimizeRequest): SessionRecord {
  const sessions = listSessions(store);
  if (typeof req.resume === 'string') {
    const found = sessions.find((s) => s.id === req.resume);
    if (!found) throw new FapoError(`no session "${req.resume}"`, 'Start one with `fapo optimize <task>`.');
    return found;
  }
  if (req.resume) {
    const found = sessions.filter((s) => s.state !== 'complete' && s.config.strategy === req.config.strategy).at(-1);
    if (found) return found;
    // A kill before the session was stored leaves nothing to resume: `--resume` then starts it, so
    // "run the same command again" is always right (a finished session's work comes from the cache).
    req.onNotice?.(`no unfinished ${req.config.strategy} session to resume: starting a new one`);
  }
  const record: SessionRecord = {
    id: `s${sessions.length + 1}`,
    config: req.config,
    state: 'running',
    createdAt: new Date().toISOString(),
  };
  store.putDoc(SESSIONS, record.id, record);
  return record;
}

async function runSession(
  env: Environment,
  record: SessionRecord,
  req: OptimizeRequest,
  meter: UsageMeter,
): Promise<SessionOutcome> {
  const { config } = record;
  const state = new SessionState(env.store, record.id);
  const budget = new BudgetTracker(config.budget, meter, state);
  const checkpoint = () => {
    meter.checkpoint();
    budget.save();
  };
  state.onStore = checkpoint;
  const emit = sessionEventSink(env.store, record.id, req.onEvent);
  emit({
    type: 'session-start',
    session: record.id,
    strategy: config.strategy,
    seed: config.seed,
    trials: config.trials,
    resuming: record.state === 'running' && state.get('scope') !== undefined,
    scope: describeScope(env.task.playbook),
  });
  requireSameScoring(env, state, record.id);
  state.put('scope', env.task.playbook);

  const baseline = env.store.putVariant(baselineVariant(env.task));
  const evaluator = new EvaluationService(env, {
    trials: config.trials,
    concurrency: Math.max(config.concurrency, 4),
    sessionId: record.id,
    onProgress: req.onProgress,
  });
  const roles: OptimizerRoles = {};
  for (const role of ['proposer', 'analyst', 'reviewer', 'reflection'] as const) {
    const id = config.roles[role];
    if (id) roles[role] = withRole(env.client(id), role);
  }
  const strategy = req.strategy(config.strategyOptions);
  let result: StrategyResult;
  try {
    result = await strategy.run({
      env,
      evaluator,
      state,
      budget,
      baseline,
      seed: config.seed,
      roles,
      accept: config.accept,
      target: config.target,
      emit,
    });
  } catch (err) {
    // The strategies end their search on a budget themselves; one that ran out during the baseline's
    // evaluation still gets its report (the baseline as far as it was evaluated, no search).
    if (!(err instanceof RunBudgetExceededError)) throw err;
    const partial = evaluator.partial(baseline, err);
    result = {
      best: baseline,
      bestValidation: partial,
      trajectory: [],
      stopReason: `budget ran out during the baseline evaluation (${coverage(env, partial, err)}): ${err.message}`,
    };
  }
  checkpoint();
  emit({ type: 'search-stop', reason: result.stopReason });

  evaluator.unsealTest();
  emit({ type: 'test-start' });
  const incomplete: string[] = [];
  const testOf = async (variant: Variant): Promise<ValidationOutcome> => {
    try {
      return await evaluator.test(variant);
    } catch (err) {
      if (!(err instanceof RunBudgetExceededError)) throw err;
      const partial = evaluator.partial(variant, err);
      incomplete.push(
        `the test evaluation of v${variant.seq} was cut by the budget: its figure covers ${coverage(env, partial, err)}`,
      );
      result.stopReason += `; ${incomplete.at(-1)}`;
      return partial;
    }
  };
  const testBaseline = await testOf(baseline);
  const testBest = result.best.hash === baseline.hash ? testBaseline : await testOf(result.best);
  const test: FinalTest = {
    baseline: testBaseline,
    best: testBest,
    comparison: evaluator.compare(testBaseline, testBest, config.seed + 1),
    evaluations: evaluator.testEvaluations,
    ...(incomplete.length ? { incomplete } : {}),
  };
  state.put('test', {
    baseline: testBaseline.summary,
    best: testBest.summary,
    comparison: test.comparison,
    evaluations: test.evaluations,
  });
  checkpoint();
  const finished: SessionRecord = {
    ...record,
    state: 'complete',
    finishedAt: new Date().toISOString(),
    stopReason: result.stopReason,
  };
  env.store.putDoc(SESSIONS, record.id, finished);
  const outcome: SessionOutcome = {
    session: finished,
    taskModel: env.model.id,
    scope: env.task.playbook,
    baseline,
    result,
    test,
    usage: meter.snapshot(),
    wallMs: budget.wallMs,
  };
  // Kept so `fapo report` can rebuild the report later (per-case maps are not part of it).
  state.put('outcome', outcome);
  return outcome;
}

/** How much of its split a budget-stopped evaluation covers, e.g. "12 of 30 case runs scored". */
function coverage(env: Environment, outcome: ValidationOutcome, stopped: RunBudgetExceededError): string {
  const { ok, task_error } = outcome.summary.counts;
  const spec = env.store.getRun(stopped.runId)?.spec;
  return `${ok + task_error} of ${spec ? spec.caseIds.length * spec.trials : '?'} case runs scored`;
}

/** The usage ledger of a session (its spending, durable across kills). */
const sessionLedgerName = (sessionId: string): string => `session-${sessionId}`;

/**
 * Tags every call of an optimizer role's client with that role, for accounting and budgets; a
 * provider failure that outlasted the client's retries names the role (the message names the model).
 */
function withRole(client: Environment['model'], role: string): Environment['model'] {
  return {
    id: client.id,
    generate: (req) =>
      client.generate({ ...req, role }).catch((err: unknown) => {
        throw err instanceof InfraError ? new InfraError(`the ${role} model ${err.message}`, err.cause) : err;
      }),
  };
}

/** The store's event log of a session (`store.events(sessionEventKind(id), { afterId })` tails it). */
export const sessionEventKind = (sessionId: string): string => `session-events:${sessionId}`;

/**
 * Appends each event to the session's event log (a viewer follows a running session from it; a
 * resumed session appends after the events of the run it continues) and hands it to the subscriber.
 */
function sessionEventSink(store: Store, sessionId: string, subscriber: EventSink | undefined): EventSink {
  const kind = sessionEventKind(sessionId);
  return (event) => {
    store.appendEvent(kind, event);
    subscriber?.(event);
  };
}
