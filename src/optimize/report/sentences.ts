/** The report's text and table rows as plain strings, shared by the Markdown and HTML renderings. */
import type { RoleUsage } from '../../models/meter.ts';
import type { TrajectoryPoint } from '../strategy.ts';
import { isSimModel } from './build.ts';
import { integer, interval, meanSd, percent, points, pValue, seconds, signedPoints, usd } from './format.ts';
import type { ScoreSummary, SessionReportData } from './types.ts';

export const modelLabel = (id: string | null): string =>
  id === null ? '— (no model)' : isSimModel(id) ? `${id} (simulated)` : id;

const ciLevel = (d: SessionReportData): string => `${Math.round(100 * d.conventions.ciLevel)}%`;

export function summaryLines(d: SessionReportData): string[] {
  const c = d.test.comparison;
  const t = d.compute.taskCalls;
  const cfg = d.session.config;
  return [
    `Session ${d.session.id}, strategy ${d.session.strategy}, seed ${cfg.seed}, ${cfg.trials} trial(s), acceptance: ${cfg.accept}; state ${d.session.state}`,
    `Stopped: ${d.session.stopReason}`,
    `Task model: ${modelLabel(d.models.task)}${Object.entries(d.models.roles)
      .map(([role, id]) => `; ${role}: ${modelLabel(id)}`)
      .join('')}`,
    `Selected: v${d.best.seq} (${d.best.level}), validation ${meanSd(d.best.validation.mean, d.best.validation.sd)} vs baseline v${d.baseline.seq} ${meanSd(d.baseline.valMean, d.baseline.valSd)}`,
    `Test (evaluated once): baseline ${meanSd(d.test.baseline.mean, d.test.baseline.sd)} → selected ${meanSd(d.test.best.mean, d.test.best.sd)}; Δ ${signedPoints(c.delta)} points, ${ciLevel(d)} CI ${interval(c.ci)}, ${pValue(c.pValue)} (${c.cases} paired cases)`,
    `Task-model calls paid: ${integer(t.paid)}; re-running every variant from scratch: ${integer(t.fromScratch)} (${integer(t.avoided)} avoided by the cache and upstream reuse, ${percent(t.savedFraction)} fewer)`,
    `Spent: ${usd(d.compute.total.costUsd)}, ${integer(d.compute.total.tokens)} tokens, ${integer(d.compute.total.calls)} model calls; wall time ${seconds(d.compute.wallMs)}`,
  ];
}

export const conventionsText = (d: SessionReportData): string =>
  `${d.conventions.scores} ${d.conventions.sd} ${d.conventions.ci}`;

export const TRAJECTORY_HEADER = [
  'Iteration',
  'Variant',
  'Parent',
  'Level',
  'Val (mean ± sd)',
  'Best so far',
  'Accepted',
  'Note',
];

export function trajectoryCells(d: SessionReportData, p: TrajectoryPoint): string[] {
  const parent = p.parent === null ? '—' : `v${d.seqs[p.parent] ?? '?'}`;
  return [
    String(p.iteration),
    `v${p.seq}`,
    parent,
    p.level,
    meanSd(p.valMean, p.valSd),
    points(p.bestMean),
    p.accepted ? 'yes' : 'no',
    p.note ?? '',
  ];
}

export function acceptedLines(a: SessionReportData['accepted'][number]): string[] {
  const delta = a.delta === null ? '' : `; Δ vs parent ${signedPoints(a.delta)}${a.ci ? ` ${interval(a.ci)}` : ''}`;
  return [
    `Technique: ${a.technique ?? '—'}; steps changed: ${a.stepsChanged.join(', ') || '—'}`,
    `Hypothesis: ${a.hypothesis ?? '—'}`,
    `Validation: ${meanSd(a.valMean, a.valSd)}${delta}`,
  ];
}

export const acceptedTitle = (a: SessionReportData['accepted'][number]): string =>
  `v${a.seq} (iteration ${a.iteration}, ${a.level}) from ${a.parentSeq === null ? '?' : `v${a.parentSeq}`}`;

export const exhaustionLine = (e: SessionReportData['exhaustion'][number]): string =>
  `round ${e.round}: ${e.level} — ${e.reason} (best val ${points(e.finalScore)} after ${e.variantsTried} variants). ${e.note}`;

export const TEST_HEADER = ['Variant', 'Mean ± sd (points)', 'Trials', 'Cases', 'Per-trial means'];

export function testRows(d: SessionReportData): string[][] {
  const row = (label: string, s: ScoreSummary) => [
    label,
    meanSd(s.mean, s.sd),
    String(s.trials),
    String(s.cases),
    s.trialMeans.map(points).join(', '),
  ];
  return [row(`baseline v${d.baseline.seq}`, d.test.baseline), row(`selected v${d.best.seq}`, d.test.best)];
}

export function testDifference(d: SessionReportData): string {
  const c = d.test.comparison;
  return `Difference (selected − baseline): ${signedPoints(c.delta)} points, ${ciLevel(d)} paired bootstrap CI ${interval(c.ci)}, paired permutation ${pValue(c.pValue)}, ${c.cases} cases; ${d.test.evaluations} test evaluation(s) in the whole session.`;
}

export const COMPUTE_HEADER = [
  'Role',
  'Model',
  'Calls',
  'Cache hits',
  'Errors',
  'Tokens in',
  'Tokens out',
  'Cost',
  'Saved by cache',
  'Summed latency',
];

export const usageCells = (u: RoleUsage): string[] => [
  integer(u.calls),
  integer(u.cacheHits),
  integer(u.errors),
  integer(u.inputTokens),
  integer(u.outputTokens),
  usd(u.costUsd),
  usd(u.savedCostUsd),
  seconds(u.latencyMs),
];

export function computeNotes(d: SessionReportData): string[] {
  const t = d.compute.taskCalls;
  return [
    `Task-model calls paid: ${integer(t.paid)}; re-running every variant from scratch would have paid ${integer(t.fromScratch)} — ${integer(t.avoided)} calls (${percent(t.savedFraction)}, ${usd(t.savedCostUsd)}) avoided by the cache and the reuse of unchanged upstream steps.`,
    `Wall time: ${seconds(d.compute.wallMs)} (summed latency counts concurrent calls separately, so it can exceed the wall time).`,
  ];
}

export function lineageText(node: {
  candidate: { valMean: number | null; best?: boolean; accepted?: boolean };
  otherParents: string[];
}): string {
  const c = node.candidate;
  const tags = [
    c.best ? 'selected' : '',
    c.accepted === false ? 'rejected' : '',
    node.otherParents.length ? `merged with ${node.otherParents.join(', ')}` : '',
  ].filter(Boolean);
  return `val ${points(c.valMean)}${tags.length ? ` (${tags.join('; ')})` : ''}`;
}
