/** The session report as one self-contained HTML page: inline CSS and SVG, no scripts, no external files. */
import type { AttributionReport } from '../../attribution/report.ts';
import { LEVEL_COST_ORDER } from '../../attribution/types.ts';
import { renderTrajectorySvg } from './chart.ts';
import { escapeHtml as esc } from './escape.ts';
import { integer, interval, meanSd, percent, points, seconds, signedPoints, usd } from './format.ts';
import { candidateLabel, lineageForest, type LineageNode } from './lineage.ts';
import type { ScoreSummary, SessionReportData } from './types.ts';

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2328;max-width:1100px;margin:24px auto;padding:0 16px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #d0d7de;padding-bottom:4px}h3{font-size:15px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
.sim{background:#fff8c5;border:1px solid #d4a72c;padding:8px 12px;border-radius:6px}
.note{color:#59636e;font-size:13px}
pre.diff{background:#f6f8fa;padding:8px;overflow-x:auto;font-size:12px}.add{color:#1a7f37}.del{color:#cf222e}.hunk{color:#8250df}
details{margin:6px 0}summary{cursor:pointer;font-weight:600}
svg.trajectory{max-width:100%;height:auto;font-size:11px}
svg .grid{stroke:#eaeef2}svg .tick,svg .axis-label{fill:#59636e}svg .divider{stroke:#d0d7de;stroke-dasharray:2 3}
svg .baseline{stroke:#6e7781;stroke-width:1.5;stroke-dasharray:6 4;fill:none}
svg .best-line{stroke:#0969da;stroke-width:2;fill:none}
svg .whisker{stroke:#8c959f;stroke-width:1.2;fill:none}
svg .point.accepted circle,svg .legend-accepted{fill:#1a7f37;stroke:#fff;stroke-width:1.5}
svg .point.rejected circle,svg .legend-rejected{fill:#fff;stroke:#8c959f;stroke-width:1.5}
svg .point.missing path,svg .point-legend.missing path{stroke:#cf222e;stroke-width:1.5}
svg .test-baseline .diamond{fill:#8c959f}svg .test-best .diamond,svg .legend-test{fill:#bc4c00}
svg .legend text,svg .test-marker text{fill:#1f2328}
ul.lineage{list-style:none;padding-left:18px;border-left:1px dotted #d0d7de}ul.lineage.root{border-left:none;padding-left:0}
.best{font-weight:700;color:#bc4c00}.rejected{color:#8c959f}
`;

type Cell = string | { html: string } | { num: string };

function cellHtml(c: Cell): string {
  if (typeof c === 'string') return `<td>${esc(c)}</td>`;
  return 'html' in c ? `<td>${c.html}</td>` : `<td class="num">${esc(c.num)}</td>`;
}

function table(header: string[], rows: Cell[][]): string {
  return `<table><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map(cellHtml).join('')}</tr>`).join('')}</tbody></table>`;
}

const num = (s: string): Cell => ({ num: s });
const li = (html: string): string => `<li>${html}</li>`;
const code = (s: string): string => `<code>${esc(s)}</code>`;

export function renderSessionHtml(d: SessionReportData): string {
  const body = [
    `<h1>${esc(d.title)}</h1>`,
    d.simNotice ? `<p class="sim"><strong>Simulated model.</strong> ${esc(d.simNotice)}</p>` : '',
    summary(d),
    `<p class="note">${esc(`${d.conventions.scores} ${d.conventions.sd} ${d.conventions.ci}`)}</p>`,
    `<h2>Scope contract</h2><ul>${d.scope.lines.map((l) => li(esc(l))).join('')}</ul>`,
    `<h2>Validation trajectory</h2>${renderTrajectorySvg(d)}${trajectoryTable(d)}`,
    accepted(d),
    rounds(d),
    testScores(d),
    compute(d),
    d.lineage ? lineage(d) : '',
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(d.title)}</title>
<style>${CSS}</style>
</head>
<body>
${body.filter(Boolean).join('\n')}
</body>
</html>
`;
}

function summary(d: SessionReportData): string {
  const c = d.test.comparison;
  const t = d.compute.taskCalls;
  const roles = Object.entries(d.models.roles).map(([r, m]) => `; ${esc(r)}: ${code(m)}`).join('');
  return `<h2>Summary</h2><ul>${[
    `Session ${code(d.session.id)}, strategy ${esc(d.session.strategy)}, seed ${d.session.config.seed}, ${d.session.config.trials} trial(s), acceptance: ${esc(d.session.config.accept)}; state ${esc(d.session.state)}`,
    `Stopped: ${esc(d.session.stopReason)}`,
    `Task model: ${code(d.models.task)}${roles}`,
    `Selected: <strong>v${d.best.seq}</strong> (${esc(d.best.level)}), validation <strong>${meanSd(d.best.validation.mean, d.best.validation.sd)}</strong> vs baseline v${d.baseline.seq} ${meanSd(d.baseline.valMean, d.baseline.valSd)}`,
    `Test (evaluated once): baseline ${meanSd(d.test.baseline.mean, d.test.baseline.sd)} → selected <strong>${meanSd(d.test.best.mean, d.test.best.sd)}</strong>; Δ ${signedPoints(c.delta)} points, ${Math.round(100 * c.ci.level)}% CI ${interval(c.ci)}, p = ${c.pValue.toFixed(3)} (${c.cases} paired cases)`,
    `Task-model calls paid: <strong>${integer(t.paid)}</strong>; re-running every variant from scratch: ${integer(t.fromScratch)} (${integer(t.avoided)} avoided by the cache and upstream reuse, ${percent(t.savedFraction)} fewer)`,
    `Spent: ${usd(d.compute.total.costUsd)}, ${integer(d.compute.total.tokens)} tokens, ${integer(d.compute.total.calls)} model calls; wall time ${seconds(d.compute.wallMs)}`,
    `Iteration memory: <a href="${esc(d.files.memory)}">${esc(d.files.memory)}</a>; change log: <a href="${esc(d.files.changelog)}">${esc(d.files.changelog)}</a>`,
  ]
    .map(li)
    .join('')}</ul>`;
}

function trajectoryTable(d: SessionReportData): string {
  const seqOf = new Map(d.trajectory.map((p) => [p.variant, p.seq]));
  return `<details><summary>Trajectory table (${d.trajectory.length} points)</summary>${table(
    ['Iteration', 'Variant', 'Parent', 'Level', 'Val (mean ± sd)', 'Best so far', 'Accepted', 'Note'],
    d.trajectory.map((p) => [
      num(String(p.iteration)),
      `v${p.seq}`,
      p.parent === null ? '—' : `v${seqOf.get(p.parent) ?? '?'}`,
      p.level,
      num(meanSd(p.valMean, p.valSd)),
      num(points(p.bestMean)),
      p.accepted ? 'yes' : 'no',
      p.note ?? '',
    ]),
  )}</details>`;
}

/** Colours a unified diff line by line (escaped first). */
function diffHtml(diff: string): string {
  const cls = (line: string) => (line.startsWith('@@') ? 'hunk' : line.startsWith('+') && !line.startsWith('+++') ? 'add' : line.startsWith('-') && !line.startsWith('---') ? 'del' : '');
  return `<pre class="diff">${diff
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => (cls(l) ? `<span class="${cls(l)}">${esc(l)}</span>` : esc(l)))
    .join('\n')}</pre>`;
}

function accepted(d: SessionReportData): string {
  if (d.accepted.length === 0) return '<h2>Accepted variants</h2><p>No variant beat the baseline; the baseline stays selected.</p>';
  const items = d.accepted.map(
    (a) => `<h3>v${a.seq} (iteration ${a.iteration}, ${esc(a.level)}) from v${a.parentSeq ?? '?'}</h3><ul>${[
      `Technique: ${esc(a.technique ?? '—')}; steps changed: ${esc(a.stepsChanged.join(', ') || '—')}`,
      `Hypothesis: ${esc(a.hypothesis ?? '—')}`,
      `Validation: ${meanSd(a.valMean, a.valSd)}${a.delta === null ? '' : `; Δ vs parent ${signedPoints(a.delta)}${a.ci ? ` ${interval(a.ci)}` : ''}`}`,
    ]
      .map(li)
      .join('')}</ul><details open><summary>Diff against v${a.parentSeq ?? '?'}</summary>${a.diff === null ? '<p>Diff unavailable: the variant or its parent is not in the store.</p>' : diffHtml(a.diff)}</details>`,
  );
  return `<h2>Accepted variants</h2>${items.join('\n')}`;
}

function round(r: AttributionReport): string {
  const title = `Round ${r.round ?? '?'} — variant ${r.variant}: pass rate ${percent(r.passRate)}, ${r.cases.length} failed of ${r.evaluatedCases}; recommended level ${r.recommendedLevel}`;
  return `<details><summary>${esc(title)}</summary>${table(
    ['Level', 'Failed cases', 'Clusters', 'Allowed', 'Ceiling'],
    LEVEL_COST_ORDER.map((level) => [level, num(String(r.levelPartition[level].count)), r.levelPartition[level].clusters.join(', ') || '—', r.allowedLevels.includes(level) ? 'yes' : 'no', num(percent(r.ceilingEstimate[level]))]),
  )}<p class="note">Ceilings are optimistic upper bounds (every attributed failure fixed); combined over allowed levels: ${percent(r.ceilingEstimate.combined)}. Analyst: ${r.analyst.enabled ? `${r.analyst.cases} cases in ${r.analyst.calls} calls` : 'off'}.</p>${
    r.clusters.length === 0
      ? '<p>No failures.</p>'
      : table(
          ['Cluster', 'Count', 'Label', 'Step', 'Level', 'Confidence', 'Pattern', 'Examples', 'Suggested fix'],
          r.clusters.map((c) => [c.id, num(String(c.count)), c.label, c.step, c.level, c.confidence, c.pattern, c.caseIds.join(', '), c.suggestedFix]),
        )
  }${
    r.cases.length === 0
      ? ''
      : `<details><summary>Failed cases (${r.cases.length})</summary>${table(
          ['Case', 'Label', 'Step', 'Level', 'Confidence', 'Rule', 'Failed trials', 'Evidence'],
          r.cases.map((a) => [a.caseId, a.label, a.step, a.level, a.confidence, a.rule, `${a.trials.failed}/${a.trials.total}`, a.evidence.join('; ')]),
        )}</details>`
  }</details>`;
}

function rounds(d: SessionReportData): string {
  const exhaustion = d.exhaustion.length
    ? `<h3>Levels exhausted</h3><ul>${d.exhaustion.map((e) => li(`round ${e.round}: <strong>${esc(e.level)}</strong> — ${esc(e.reason)} (best val ${points(e.finalScore)} after ${e.variantsTried} variants). ${esc(e.note)}`)).join('')}</ul>`
    : '';
  return `<h2>Attribution per round</h2>${d.rounds.length ? d.rounds.map(round).join('\n') : '<p>No attribution was recorded in this session.</p>'}${exhaustion}`;
}

function scoreRow(label: string, s: ScoreSummary): Cell[] {
  return [label, num(meanSd(s.mean, s.sd)), num(String(s.trials)), num(String(s.cases)), s.trialMeans.map(points).join(', ')];
}

function testScores(d: SessionReportData): string {
  const c = d.test.comparison;
  return `<h2>Test scores (evaluated once, after the search)</h2>${table(['Variant', 'Mean ± sd (points)', 'Trials', 'Cases', 'Per-trial means'], [scoreRow(`baseline v${d.baseline.seq}`, d.test.baseline), scoreRow(`selected v${d.best.seq}`, d.test.best)])}<p>Difference (selected − baseline): <strong>${signedPoints(c.delta)} points</strong>, ${Math.round(100 * c.ci.level)}% paired bootstrap CI ${interval(c.ci)}, paired permutation p = ${c.pValue.toFixed(3)}, ${c.cases} cases; ${d.test.evaluations} test evaluation(s) in the whole session.</p>`;
}

function compute(d: SessionReportData): string {
  const t = d.compute.taskCalls;
  const total = d.compute.total;
  const usageCells = (u: typeof total): Cell[] => [integer(u.calls), integer(u.cacheHits), integer(u.errors), integer(u.inputTokens), integer(u.outputTokens), usd(u.costUsd), usd(u.savedCostUsd), seconds(u.latencyMs)].map(num);
  return `<h2>Compute spent</h2>${table(
    ['Role', 'Model', 'Calls', 'Cache hits', 'Errors', 'Tokens in', 'Tokens out', 'Cost', 'Saved by cache', 'Summed latency'],
    [
      ...d.compute.roles.map((r): Cell[] => [r.role, { html: r.model === null ? '— (no model)' : `${code(r.model)}${r.simulated ? ' <em>(simulated)</em>' : ''}` }, ...usageCells(r)]),
      [{ html: '<strong>total</strong>' }, '', ...usageCells(total)],
    ],
  )}<ul>${li(`Task-model calls paid: <strong>${integer(t.paid)}</strong>; re-running every variant from scratch would have paid <strong>${integer(t.fromScratch)}</strong> — ${integer(t.avoided)} calls (${percent(t.savedFraction)}, ${usd(t.savedCostUsd)}) avoided by the cache and the reuse of unchanged upstream steps.`)}${li(`Wall time: ${seconds(d.compute.wallMs)} (summed latency counts concurrent calls separately, so it can exceed the wall time).`)}</ul>`;
}

function lineage(d: SessionReportData): string {
  const render = (node: LineageNode): string => {
    const c = node.candidate;
    const tags = [c.best ? 'selected' : '', c.accepted === false ? 'rejected' : '', node.otherParents.length ? `merged with ${node.otherParents.join(', ')}` : ''].filter(Boolean);
    const cls = c.best ? ' class="best"' : c.accepted === false ? ' class="rejected"' : '';
    const kids = node.children.length ? `<ul class="lineage">${node.children.map(render).join('')}</ul>` : '';
    return `<li><span${cls}>${esc(candidateLabel(c))}</span>: val ${points(c.valMean)}${tags.length ? ` (${esc(tags.join('; '))})` : ''}${kids}</li>`;
  };
  return `<h2>Candidate lineage</h2><ul class="lineage root">${lineageForest(d.lineage!).map(render).join('')}</ul>`;
}
