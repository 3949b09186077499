/** The session report as one self-contained HTML page: inline CSS and SVG, no scripts, no external files. */
import type { AttributionReport } from '../../attribution/report.ts';
import { LEVEL_COST_ORDER } from '../../attribution/types.ts';
import { renderTrajectorySvg, TRAJECTORY_CSS } from './chart.ts';
import { escapeHtml as esc } from './escape.ts';
import { percent } from './format.ts';
import { candidateLabel, lineageForest, type LineageNode } from './lineage.ts';
import {
  acceptedLines,
  acceptedTitle,
  COMPUTE_HEADER,
  computeNotes,
  conventionsText,
  exhaustionLine,
  lineageText,
  modelLabel,
  summaryLines,
  TEST_HEADER,
  testDifference,
  testRows,
  TRAJECTORY_HEADER,
  trajectoryCells,
  usageCells,
} from './sentences.ts';
import type { SessionReportData } from './types.ts';

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2328;max-width:1100px;margin:24px auto;padding:0 16px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #d0d7de;padding-bottom:4px}h3{font-size:15px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
.sim{background:#fff8c5;border:1px solid #d4a72c;padding:8px 12px;border-radius:6px}
.note{color:#59636e;font-size:13px}
pre.diff{background:#f6f8fa;padding:8px;overflow-x:auto;font-size:12px}.add{color:#1a7f37}.del{color:#cf222e}.hunk{color:#8250df}
details{margin:6px 0}summary{cursor:pointer;font-weight:600}
${TRAJECTORY_CSS}
ul.lineage{list-style:none;padding-left:18px;border-left:1px dotted #d0d7de}ul.lineage.root{border-left:none;padding-left:0}
.best{font-weight:700;color:#bc4c00}.rejected{color:#8c959f}
`;

/** Table cells are text (escaped); numeric columns are right-aligned by header. */
function table(header: string[], rows: string[][], numeric: number[] = []): string {
  const td = (text: string, i: number) => `<td${numeric.includes(i) ? ' class="num"' : ''}>${esc(text)}</td>`;
  return `<table><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map(td).join('')}</tr>`).join('')}</tbody></table>`;
}

const list = (lines: string[], cls = ''): string =>
  `<ul${cls ? ` class="${cls}"` : ''}>${lines.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>`;
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

export function renderSessionHtml(d: SessionReportData): string {
  const body = [
    `<h1>${esc(d.title)}</h1>`,
    d.simNotice ? `<p class="sim"><strong>Simulated model.</strong> ${esc(d.simNotice)}</p>` : '',
    `<h2>Summary</h2>${list(summaryLines(d))}<p>Iteration memory: <a href="${esc(d.files.memory)}">${esc(d.files.memory)}</a>; change log: <a href="${esc(d.files.changelog)}">${esc(d.files.changelog)}</a></p>`,
    `<p class="note">${esc(conventionsText(d))}</p>`,
    `<h2>Scope contract</h2>${list(d.scope.lines)}`,
    `<h2>Validation trajectory</h2>${renderTrajectorySvg(d)}<details><summary>Trajectory table (${d.trajectory.length} points)</summary>${table(
      TRAJECTORY_HEADER,
      d.trajectory.map((p) => trajectoryCells(d, p)),
      [0, 4, 5],
    )}</details>`,
    accepted(d),
    `<h2>Attribution per round</h2>${d.rounds.length ? d.rounds.map(round).join('\n') : '<p>No attribution was recorded in this session.</p>'}${d.exhaustion.length ? `<h3>Levels exhausted</h3>${list(d.exhaustion.map(exhaustionLine))}` : ''}`,
    `<h2>Test scores (evaluated once, after the search)</h2>${table(TEST_HEADER, testRows(d), [1, 2, 3])}<p>${esc(testDifference(d))}</p>`,
    `<h2>Compute spent</h2>${table(COMPUTE_HEADER, [...d.compute.roles.map((r) => [r.role, modelLabel(r.model), ...usageCells(r)]), ['total', '', ...usageCells(d.compute.total)]], range(2, COMPUTE_HEADER.length))}${list(computeNotes(d))}`,
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

/** Colours a unified diff line by line (escaped first). */
function diffHtml(diff: string): string {
  const cls = (line: string) =>
    line.startsWith('@@')
      ? 'hunk'
      : line.startsWith('+') && !line.startsWith('+++')
        ? 'add'
        : line.startsWith('-') && !line.startsWith('---')
          ? 'del'
          : '';
  return `<pre class="diff">${diff
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => (cls(l) ? `<span class="${cls(l)}">${esc(l)}</span>` : esc(l)))
    .join('\n')}</pre>`;
}

function accepted(d: SessionReportData): string {
  if (d.accepted.length === 0)
    return '<h2>Accepted variants</h2><p>No variant beat the baseline; the baseline stays selected.</p>';
  const items = d.accepted.map(
    (a) =>
      `<h3>${esc(acceptedTitle(a))}</h3>${list(acceptedLines(a))}<details open><summary>Diff against v${a.parentSeq ?? '?'}</summary>${a.diff === null ? '<p>Diff unavailable: the variant or its parent is not in the store.</p>' : diffHtml(a.diff)}</details>`,
  );
  return `<h2>Accepted variants</h2>${items.join('\n')}`;
}

function round(r: AttributionReport): string {
  const title = `Round ${r.round ?? '?'} — variant ${r.variant}: pass rate ${percent(r.passRate)}, ${r.cases.length} failed of ${r.evaluatedCases}; recommended level ${r.recommendedLevel}`;
  return `<details><summary>${esc(title)}</summary>${table(
    ['Level', 'Failed cases', 'Clusters', 'Allowed', 'Ceiling'],
    LEVEL_COST_ORDER.map((level) => [
      level,
      String(r.levelPartition[level].count),
      r.levelPartition[level].clusters.join(', ') || '—',
      r.allowedLevels.includes(level) ? 'yes' : 'no',
      percent(r.ceilingEstimate[level]),
    ]),
    [1, 4],
  )}<p class="note">Ceilings are optimistic upper bounds (every attributed failure fixed); combined over allowed levels: ${percent(r.ceilingEstimate.combined)}. Analyst: ${r.analyst.enabled ? `${r.analyst.cases} cases in ${r.analyst.calls} calls` : 'off'}.</p>${
    r.clusters.length === 0
      ? '<p>No failures.</p>'
      : table(
          ['Cluster', 'Count', 'Label', 'Step', 'Level', 'Confidence', 'Pattern', 'Examples', 'Suggested fix'],
          r.clusters.map((c) => [
            c.id,
            String(c.count),
            c.label,
            c.step,
            c.level,
            c.confidence,
            c.pattern,
            c.caseIds.join(', '),
            c.suggestedFix,
          ]),
          [1],
        )
  }${
    r.cases.length === 0
      ? ''
      : `<details><summary>Failed cases (${r.cases.length})</summary>${table(
          ['Case', 'Label', 'Step', 'Level', 'Confidence', 'Rule', 'Failed trials', 'Evidence'],
          r.cases.map((a) => [
            a.caseId,
            a.label,
            a.step,
            a.level,
            a.confidence,
            a.rule,
            `${a.trials.failed}/${a.trials.total}`,
            a.evidence.join('; '),
          ]),
        )}</details>`
  }</details>`;
}

function lineage(d: SessionReportData): string {
  const render = (node: LineageNode): string => {
    const c = node.candidate;
    const cls = c.best ? ' class="best"' : c.accepted === false ? ' class="rejected"' : '';
    const kids = node.children.length ? `<ul class="lineage">${node.children.map(render).join('')}</ul>` : '';
    return `<li><span${cls}>${esc(candidateLabel(c))}</span>: ${esc(lineageText(node))}${kids}</li>`;
  };
  return `<h2>Candidate lineage</h2><ul class="lineage root">${lineageForest(d.lineage!).map(render).join('')}</ul>`;
}
