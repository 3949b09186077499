import { resolve } from 'node:path';
import { type Environment, openEnvironment } from '../eval/environment.ts';
import type { RemoteFactory, RemoteSession } from '../eval/remote.ts';
import { Store } from '../eval/store.ts';
import { baselineVariant } from '../eval/variant.ts';
import type { Variant } from '../eval/types.ts';
import { UsageMeter, type MeterSnapshot } from '../models/meter.ts';
import { type Playbook, SPLITS, type Split } from '../task/schema.ts';
import { FapoError } from '../util/errors.ts';
import { BudgetTracker, type BudgetOptions, meterCaps } from './budget.ts';
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
  /** Per model call (every role), retries included; default: the model client's (120 s). */
  timeoutMs?: number;
  model?: string;
  budget: BudgetOptions;
  roles: RoleModels;
  accept: 'mean' | 'significant';
  target?: number;
  sandbox: boolean;
  /** `false`: no response cache (every model call is paid); for like-for-like cost comparisons. */
  responseCache?: boolean;
  /** Strategy-specific settings (e.g. GEPA's minibatch size, FAPO's proposer kind). */
  strategyOptions: Record<string, unknown>;
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
  const meter = savedMeter ? UsageMeter.restore(savedMeter, caps) : new UsageMeter(caps);
  const env = await openEnvironment(req.taskDir, {
    model: config.model,
    concurrency: config.concurrency,
    ...(config.timeoutMs ? { timeoutMs: config.timeoutMs } : {}),
    sandbox: config.sandbox,
    meter,
    ...(config.responseCache === false ? { responseCache: false } : {}),
  });
  let remote: RemoteSession | undefined;
  try {
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
  if (req.resume) {
    const found =
      typeof req.resume === 'string'
        ? sessions.find((s) => s.id === req.resume)
        : sessions.filter((s) => s.state !== 'complete' && s.config.strategy === req.config.strategy).at(-1);
    if (!found)
      throw new FapoError(
        typeof req.resume === 'string'
          ? `no session "${req.resume}"`
          : `no unfinished ${req.config.strategy} session to resume`,
        'Start one with `fapo optimize <task>`.',
      );
    return found;
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
    state.put('meter', meter.snapshot());
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
  const result = await strategy.run({
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
  checkpoint();
  emit({ type: 'search-stop', reason: result.stopReason });

  evaluator.unsealTest();
  emit({ type: 'test-start' });
  const testBaseline = await evaluator.test(baseline);
  const testBest = result.best.hash === baseline.hash ? testBaseline : await evaluator.test(result.best);
  const test: FinalTest = {
    baseline: testBaseline,
    best: testBest,
    comparison: evaluator.compare(testBaseline, testBest, config.seed + 1),
    evaluations: evaluator.testEvaluations,
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

/** Tags every call of an optimizer role's client with that role, for accounting and budgets. */
function withRole(client: Environment['model'], role: string): Environment['model'] {
  return { id: client.id, generate: (req) => client.generate({ ...req, role }) };
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
