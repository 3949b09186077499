/**
 * What the agent's read-only tools return: compact, truncated JSON views of train failures, one train
 * case, the attribution report and the iteration memory. Tool results go back into the model's
 * context every step, so every free-text field is clipped.
 */
import type { FailureCluster } from '../../../attribution/cluster.ts';
import type { AttributionReport } from '../../../attribution/report.ts';
import type { CaseAttribution } from '../../../attribution/types.ts';
import type { StepRecord } from '../../../chain/types.ts';
import type { CaseResult } from '../../../eval/types.ts';
import type { Case } from '../../../task/schema.ts';
import type { MemoryRecord } from '../memory.ts';

const MAX_FAILURE_ROWS = 60;
const MAX_MEMORY_RECORDS = 30;

/** A value as text of at most `max` characters, saying how much was cut. */
export function clip(value: unknown, max: number): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return text.length <= max ? text : `${text.slice(0, max)}… [${text.length - max} more chars]`;
}

function meanScore(results: CaseResult[]): number | null {
  const scores = results.map((r) => r.score).filter((s): s is number => s !== null);
  return scores.length === 0 ? null : scores.reduce((a, b) => a + b, 0) / scores.length;
}

function clusterOf(attribution: CaseAttribution, clusters: FailureCluster[]): string | undefined {
  return clusters.find(
    (c) =>
      c.label === attribution.label &&
      c.step === attribution.step &&
      c.level === attribution.level &&
      c.pattern === attribution.pattern,
  )?.id;
}

export function failureList(failures: { case: Case; results: CaseResult[] }[], report: AttributionReport) {
  const byId = new Map(report.cases.map((a) => [a.caseId, a]));
  const rows = failures.slice(0, MAX_FAILURE_ROWS).map(({ case: c, results }) => {
    const a = byId.get(c.id);
    return {
      id: c.id,
      meanScore: meanScore(results),
      statuses: results.map((r) => r.status),
      ...(a
        ? {
            attribution: {
              label: a.label,
              step: a.step,
              level: a.level,
              confidence: a.confidence,
              cluster: clusterOf(a, report.clusters),
            },
          }
        : {}),
    };
  });
  return { total: failures.length, shown: rows.length, failures: rows };
}

function stepView(step: StepRecord) {
  return {
    name: step.name,
    kind: step.kind,
    iteration: step.iteration,
    inputs: clip(step.inputs, 400),
    output: clip(step.output, 800),
    ...(step.passages ? { passages: step.passages.map((p) => p.title) } : {}),
    ...(step.error ? { error: clip(step.error, 300) } : {}),
    ...(step.diagnostics.length > 0 ? { diagnostics: step.diagnostics.map((d) => clip(d, 200)) } : {}),
  };
}

/** One train case: what went in, what was expected, what each trial produced, and the steps of the diagnosed trial. */
export function caseView(entry: { case: Case; results: CaseResult[] }, report: AttributionReport) {
  const { case: c, results } = entry;
  const attribution = report.cases.find((a) => a.caseId === c.id);
  const shownTrial =
    results.find((r) => r.trial === attribution?.trial) ?? results.find((r) => r.score !== 1) ?? results[0];
  return {
    id: c.id,
    input: clip(c.input, 2000),
    expected: clip(c.expected, 500),
    metadata: clip(c.metadata, 500),
    ...(attribution
      ? {
          attribution: {
            label: attribution.label,
            step: attribution.step,
            level: attribution.level,
            confidence: attribution.confidence,
            evidence: attribution.evidence.map((e) => clip(e, 300)),
            ...(attribution.missingGold ? { missingGold: attribution.missingGold } : {}),
          },
        }
      : {}),
    trials: results.map((r) => ({
      trial: r.trial,
      status: r.status,
      score: r.score,
      output: clip(r.output, 500),
      ...(r.feedback ? { feedback: clip(r.feedback, 300) } : {}),
      ...(r.error ? { error: clip(r.error, 300) } : {}),
    })),
    ...(shownTrial ? { stepsOfTrial: shownTrial.trial, steps: shownTrial.steps.map(stepView) } : {}),
  };
}

export function attributionView(report: AttributionReport, target: FailureCluster | undefined) {
  return {
    variant: report.variant,
    passRate: report.passRate,
    evaluatedCases: report.evaluatedCases,
    recommendedLevel: report.recommendedLevel,
    allowedLevels: report.allowedLevels,
    levelPartition: report.levelPartition,
    ceilingEstimate: report.ceilingEstimate,
    targetCluster: target?.id ?? null,
    clusters: report.clusters,
    infrastructureErrors: report.infrastructure.count,
    scorerErrors: report.scorerErrors.count,
  };
}

/** The iteration memory: validation aggregates (means, sd, deltas, intervals), never cases. */
export function memoryView(records: MemoryRecord[]) {
  const recent = records.slice(-MAX_MEMORY_RECORDS);
  return {
    total: records.length,
    shown: recent.length,
    records: recent.map((r) =>
      r.kind === 'exhaustion'
        ? r
        : {
            kind: r.kind,
            iteration: r.iteration,
            round: r.round,
            level: r.level,
            technique: r.technique,
            hypothesis: clip(r.hypothesis, 300),
            stepsChanged: r.stepsChanged,
            trainMean: r.trainMean,
            valMean: r.valMean,
            valSd: r.valSd,
            delta: r.delta,
            ci: r.ci,
            review: r.review,
            reviewReasons: r.reviewReasons.map((reason) => clip(reason, 200)),
            accepted: r.accepted,
            ...(r.discarded ? { discarded: clip(r.discarded, 200) } : {}),
          },
    ),
  };
}
