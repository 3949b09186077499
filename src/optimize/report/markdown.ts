/** The session report as Markdown (report.md). */
import { renderAttributionMarkdown } from '../../attribution/report.ts';
import { integer, interval, meanSd, percent, points, seconds, signedPoints, usd } from './format.ts';
import { candidateLabel, lineageForest, type LineageNode } from './lineage.ts';
import type { ScoreSummary, SessionReportData } from './types.ts';

/** Table cell: pipes and newlines would break the row; `<` is escaped so prompt text shows literally. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/\r?\n/g, ' ');
}

function table(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)];
}

/** A fenced block whose fence is longer than any backtick run in the content. */
function fenced(lang: string, content: string): string[] {
  const longest = Math.max(2, ...[...content.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return [fence + lang, content.replace(/\n$/, ''), fence];
}

/** Nests another document's headings under this one's `##` sections. */
const demoteHeadings = (markdown: string, by: number): string => markdown.replace(/^(#+) /gm, (_, h: string) => `${h}${'#'.repeat(by)} `);

const seqRef = (seq: number | null): string => (seq === null ? '?' : `v${seq}`);

function modelName(id: string | null, simulated: boolean): string {
  if (id === null) return '— (no model)';
  return simulated ? `${id} (simulated)` : id;
}

function scoreRow(label: string, s: ScoreSummary): string[] {
  return [label, meanSd(s.mean, s.sd), String(s.trials), String(s.cases), s.trialMeans.map(points).join(', ')];
}

export function renderSessionMarkdown(data: SessionReportData): string {
  const out: string[] = [`# ${data.title}`, ''];
  if (data.simNotice) out.push(`> **Simulated model.** ${data.simNotice}`, '');
  out.push(...summary(data), '', `_Conventions: ${data.conventions.scores} ${data.conventions.sd} ${data.conventions.ci}_`, '');
  out.push('## Scope contract', '', ...data.scope.lines.map((l) => `- ${l}`), '');
  out.push(...trajectory(data), '');
  out.push(...accepted(data), '');
  out.push(...rounds(data), '');
  out.push(...testScores(data), '');
  out.push(...compute(data), '');
  if (data.lineage) out.push(...lineage(data), '');
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

function summary(d: SessionReportData): string[] {
  const c = d.test.comparison;
  const t = d.compute.taskCalls;
  return [
    '## Summary',
    '',
    `- Session \`${d.session.id}\`, strategy ${d.session.strategy}, seed ${d.session.config.seed}, ${d.session.config.trials} trial(s), acceptance: ${d.session.config.accept}; state ${d.session.state}`,
    `- Stopped: ${d.session.stopReason}`,
    `- Task model: \`${d.models.task}\`${Object.entries(d.models.roles).map(([r, m]) => `; ${r}: \`${m}\``).join('')}`,
    `- Selected: **v${d.best.seq}** (${d.best.level}), validation **${meanSd(d.best.validation.mean, d.best.validation.sd)}** vs baseline v${d.baseline.seq} ${meanSd(d.baseline.valMean, d.baseline.valSd)}`,
    `- Test (evaluated once): baseline ${meanSd(d.test.baseline.mean, d.test.baseline.sd)} → selected **${meanSd(d.test.best.mean, d.test.best.sd)}**; Δ ${signedPoints(c.delta)} points, ${Math.round(100 * c.ci.level)}% CI ${interval(c.ci)}, p = ${c.pValue.toFixed(3)} (${c.cases} paired cases)`,
    `- Task-model calls paid: **${integer(t.paid)}**; re-running every variant from scratch: ${integer(t.fromScratch)} (${integer(t.avoided)} avoided by the cache and upstream reuse, ${percent(t.savedFraction)} fewer)`,
    `- Spent: ${usd(d.compute.total.costUsd)}, ${integer(d.compute.total.tokens)} tokens, ${integer(d.compute.total.calls)} model calls; wall time ${seconds(d.compute.wallMs)}`,
    `- Iteration memory: [${d.files.memory}](${d.files.memory}); change log: [${d.files.changelog}](${d.files.changelog})`,
  ];
}

function trajectory(d: SessionReportData): string[] {
  return [
    '## Validation trajectory',
    '',
    ...table(
      ['Iteration', 'Variant', 'Parent', 'Level', 'Val (mean ± sd)', 'Best so far', 'Accepted', 'Note'],
      d.trajectory.map((p) => [
        String(p.iteration),
        `v${p.seq}`,
        p.parent === null ? '—' : seqRef(d.trajectory.find((q) => q.variant === p.parent)?.seq ?? null),
        p.level,
        meanSd(p.valMean, p.valSd),
        points(p.bestMean),
        p.accepted ? 'yes' : 'no',
        p.note ?? '',
      ]),
    ),
  ];
}

function accepted(d: SessionReportData): string[] {
  const out = ['## Accepted variants', ''];
  if (d.accepted.length === 0) return [...out, 'No variant beat the baseline; the baseline stays selected.'];
  for (const a of d.accepted) {
    out.push(`### v${a.seq} (iteration ${a.iteration}, ${a.level}) from ${seqRef(a.parentSeq)}`, '');
    out.push(`- Technique: ${a.technique ?? '—'}; steps changed: ${a.stepsChanged.join(', ') || '—'}`);
    out.push(`- Hypothesis: ${cell(a.hypothesis ?? '—')}`);
    out.push(`- Validation: ${meanSd(a.valMean, a.valSd)}${a.delta === null ? '' : `; Δ vs parent ${signedPoints(a.delta)}${a.ci ? ` ${interval(a.ci)}` : ''}`}`, '');
    out.push(...(a.diff === null ? ['_Diff unavailable: the variant or its parent is not in the store._'] : fenced('diff', a.diff)), '');
  }
  return out;
}

function rounds(d: SessionReportData): string[] {
  const out = ['## Attribution per round', ''];
  if (d.rounds.length === 0) out.push('No attribution was recorded in this session.', '');
  for (const report of d.rounds) out.push(demoteHeadings(renderAttributionMarkdown(report), 2), '');
  if (d.exhaustion.length > 0) {
    out.push('### Levels exhausted', '');
    for (const e of d.exhaustion) out.push(`- round ${e.round}: **${e.level}** — ${e.reason} (best val ${points(e.finalScore)} after ${e.variantsTried} variants). ${e.note}`);
  }
  return out;
}

function testScores(d: SessionReportData): string[] {
  const c = d.test.comparison;
  return [
    '## Test scores (evaluated once, after the search)',
    '',
    ...table(['Variant', 'Mean ± sd (points)', 'Trials', 'Cases', 'Per-trial means'], [scoreRow(`baseline v${d.baseline.seq}`, d.test.baseline), scoreRow(`selected v${d.best.seq}`, d.test.best)]),
    '',
    `Difference (selected − baseline): **${signedPoints(c.delta)} points**, ${Math.round(100 * c.ci.level)}% paired bootstrap CI ${interval(c.ci)}, paired permutation p = ${c.pValue.toFixed(3)}, ${c.cases} cases; ${d.test.evaluations} test evaluation(s) in the whole session.`,
  ];
}

function compute(d: SessionReportData): string[] {
  const t = d.compute.taskCalls;
  const total = d.compute.total;
  return [
    '## Compute spent',
    '',
    ...table(
      ['Role', 'Model', 'Calls', 'Cache hits', 'Errors', 'Tokens in', 'Tokens out', 'Cost', 'Saved by cache', 'Summed latency'],
      [
        ...d.compute.roles.map((r) => [r.role, modelName(r.model, r.simulated), integer(r.calls), integer(r.cacheHits), integer(r.errors), integer(r.inputTokens), integer(r.outputTokens), usd(r.costUsd), usd(r.savedCostUsd), seconds(r.latencyMs)]),
        ['**total**', '', integer(total.calls), integer(total.cacheHits), integer(total.errors), integer(total.inputTokens), integer(total.outputTokens), usd(total.costUsd), usd(total.savedCostUsd), seconds(total.latencyMs)],
      ],
    ),
    '',
    `- Task-model calls paid: **${integer(t.paid)}**; re-running every variant from scratch would have paid **${integer(t.fromScratch)}** — ${integer(t.avoided)} calls (${percent(t.savedFraction)}, ${usd(t.savedCostUsd)}) avoided by the cache and the reuse of unchanged upstream steps.`,
    `- Wall time: ${seconds(d.compute.wallMs)} (summed latency counts concurrent calls separately, so it can exceed the wall time).`,
  ];
}

function lineage(d: SessionReportData): string[] {
  const render = (node: LineageNode, depth: number): string[] => {
    const c = node.candidate;
    const tags = [c.best ? '**selected**' : '', c.accepted === false ? 'rejected' : '', node.otherParents.length ? `merged with ${node.otherParents.join(', ')}` : ''].filter(Boolean);
    return [`${'  '.repeat(depth)}- ${cell(candidateLabel(c))}: val ${points(c.valMean)}${tags.length ? ` (${tags.join('; ')})` : ''}`, ...node.children.flatMap((child) => render(child, depth + 1))];
  };
  return ['## Candidate lineage', '', ...lineageForest(d.lineage!).flatMap((root) => render(root, 0))];
}
