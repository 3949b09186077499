/** Builds the session report's JSON document from a finished session (plain data, no Maps). */
import type { RunSummary } from '../../eval/types.ts';
import { type RoleUsage, taskCallSavings, zeroUsage } from '../../models/meter.ts';
import type { ExhaustionMemory, VariantMemory } from '../fapo/memory.ts';
import { OPTIMIZER_ROLES } from '../budget.ts';
import { diffVariant, renderDiff } from '../review/diff.ts';
import { describeScope } from '../session.ts';
import type { TrajectoryPoint } from '../strategy.ts';
import type { AcceptedVariant, RoleCompute, ScoreSummary, SessionReportData, SessionReportInput } from './types.ts';

export const REPORT_FILES = {
  markdown: 'report.md',
  json: 'report.json',
  html: 'report.html',
  memory: 'memory.jsonl',
  changelog: 'changelog.md',
} as const;

const TASK_ROLE = 'task';

export const isSimModel = (id: string | null): boolean => id?.startsWith('sim:') ?? false;

export function buildSessionReport(input: SessionReportInput): SessionReportData {
  const { outcome } = input;
  const { session, result, test, usage } = outcome;
  const config = session.config;
  const models = {
    task: config.model ?? input.taskModel ?? '(task default)',
    roles: Object.fromEntries(
      OPTIMIZER_ROLES.flatMap((role) => (config.roles[role] ? [[role, config.roles[role]]] : [])),
    ) as Record<string, string>,
  };
  const baselinePoint = result.trajectory.find((p) => p.variant === outcome.baseline.hash);
  return {
    format: 'fapo.session-report',
    version: 1,
    title: `Optimization report: ${input.taskName ?? 'task'} — session ${session.id} (${config.strategy})`,
    session: {
      id: session.id,
      strategy: config.strategy,
      state: session.state,
      createdAt: session.createdAt,
      finishedAt: session.finishedAt ?? null,
      stopReason: session.stopReason ?? result.stopReason,
      config,
    },
    models,
    simNotice: simNotice(models),
    conventions: {
      scores: 'Scores are fractions in [0,1] in report.json; report.md and report.html show them as points out of 100.',
      sd: `± is the sample standard deviation (n−1) of the per-trial means over ${config.trials} trial(s); 0 for a single trial.`,
      ciLevel: test.comparison.ci.level,
      ci: `Intervals are ${Math.round(100 * test.comparison.ci.level)}% paired bootstrap confidence intervals of the mean per-case difference (candidate − incumbent); p-values from a paired permutation test.`,
    },
    scope: { playbook: outcome.scope, lines: describeScope(outcome.scope) },
    baseline: {
      variant: outcome.baseline.hash,
      seq: outcome.baseline.seq,
      valMean: baselinePoint?.valMean ?? null,
      valSd: baselinePoint?.valSd ?? null,
    },
    best: {
      variant: result.best.hash,
      seq: result.best.seq,
      level: result.best.level,
      validation: scoreSummary(result.bestValidation.summary),
    },
    trajectory: result.trajectory.map(plainPoint),
    seqs: variantSeqs(input),
    accepted: acceptedVariants(input),
    rounds: [...input.attributions].sort((a, b) => (a.round ?? 0) - (b.round ?? 0)),
    exhaustion: input.memory.filter((r): r is ExhaustionMemory => r.kind === 'exhaustion'),
    test: {
      baseline: scoreSummary(test.baseline.summary),
      best: scoreSummary(test.best.summary),
      comparison: {
        delta: test.comparison.delta,
        ci: { ...test.comparison.ci },
        pValue: test.comparison.pValue,
        cases: test.comparison.cases,
      },
      evaluations: test.evaluations,
    },
    compute: compute(usage.roles, usage.total, models, outcome.wallMs),
    lineage: input.lineage ?? null,
    files: { memory: REPORT_FILES.memory, changelog: REPORT_FILES.changelog },
  };
}

function simNotice(models: { task: string; roles: Record<string, string> }): string | null {
  const sims = [[TASK_ROLE, models.task] as const, ...Object.entries(models.roles)].filter(([, id]) => isSimModel(id));
  if (sims.length === 0) return null;
  const named = sims.map(([role, id]) => `${id} (${role})`).join(', ');
  return `${named} ${sims.length === 1 ? 'is' : 'are'} fapo's deterministic offline simulator, not a real model: the scores below only show the optimization machinery working and say nothing about how a real model would do.`;
}

function scoreSummary(s: RunSummary): ScoreSummary {
  return { mean: s.mean, sd: s.sd, trials: s.trials.length, trialMeans: s.trials.map((t) => t.mean), cases: s.cases };
}

/** Drops keys set to undefined so the document survives a JSON round trip unchanged. */
function plainPoint(p: TrajectoryPoint): TrajectoryPoint {
  const { note, ...rest } = p;
  return note === undefined ? { ...rest } : { ...rest, note };
}

function variantSeqs(input: SessionReportInput): Record<string, number> {
  const named = new Set(
    input.outcome.result.trajectory.flatMap((p) => (p.parent === null ? [p.variant] : [p.variant, p.parent])),
  );
  return Object.fromEntries(input.store.listVariants().flatMap((v) => (named.has(v.hash) ? [[v.hash, v.seq]] : [])));
}

function acceptedVariants(input: SessionReportInput): AcceptedVariant[] {
  const memoryOf = new Map(
    input.memory.flatMap((r) => (r.kind === 'variant' && r.variant ? [[r.variant, r] as const] : [])),
  );
  return input.outcome.result.trajectory
    .filter((p): p is TrajectoryPoint & { parent: string } => p.accepted && p.parent !== null)
    .map((p) => {
      const variant = input.store.getVariant(p.variant);
      const parent = input.store.getVariant(p.parent);
      const record: VariantMemory | undefined = memoryOf.get(p.variant);
      const diff = variant && parent ? diffVariant(parent, variant) : null;
      return {
        iteration: p.iteration,
        variant: p.variant,
        seq: p.seq,
        parent: p.parent,
        parentSeq: parent?.seq ?? null,
        level: p.level,
        stepsChanged:
          record?.stepsChanged ??
          (diff
            ? [...diff.prompts.map((d) => d.name), ...(diff.params ? ['params'] : []), ...(diff.chain ? ['chain'] : [])]
            : []),
        technique: record?.technique ?? variant?.technique ?? null,
        hypothesis: record?.hypothesis ?? variant?.hypothesis ?? null,
        valMean: p.valMean,
        valSd: p.valSd,
        delta: record?.delta ?? null,
        ci: record?.ci ? { low: record.ci.low, high: record.ci.high } : null,
        diff: diff ? renderDiff(diff) : null,
      };
    });
}

function compute(
  roles: Record<string, RoleUsage>,
  total: RoleUsage,
  models: { task: string; roles: Record<string, string> },
  wallMs: number,
): SessionReportData['compute'] {
  const modelOf = (role: string): string | null => (role === TASK_ROLE ? models.task : (models.roles[role] ?? null));
  const order = [TASK_ROLE, ...OPTIMIZER_ROLES];
  const names = [...new Set([TASK_ROLE, ...Object.keys(roles), ...Object.keys(models.roles)])].sort(
    (a, b) => rank(order, a) - rank(order, b) || a.localeCompare(b),
  );
  const rows: RoleCompute[] = names.map((role) => {
    const u = roles[role] ?? zeroUsage();
    const model = modelOf(role);
    return { role, model, simulated: isSimModel(model), ...u, tokens: u.inputTokens + u.outputTokens };
  });
  return {
    wallMs,
    roles: rows,
    total: { ...total, tokens: total.inputTokens + total.outputTokens },
    taskCalls: taskCallSavings(roles[TASK_ROLE]),
  };
}

const rank = (order: readonly string[], name: string): number =>
  order.includes(name) ? order.indexOf(name) : order.length;
