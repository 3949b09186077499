/**
 * The validation trajectory as an inline SVG line chart. Hand-drawn: a chart library would need a
 * script or an external file, and the report page must be self-contained and script-free.
 */
import { escapeHtml } from './escape.ts';
import { meanSd, points } from './format.ts';
import type { ScoreSummary, SessionReportData } from './types.ts';

const W = 860;
const H = 380;
const M = { left: 52, right: 150, top: 24, bottom: 64 };
const PLOT_W = W - M.left - M.right;
const PLOT_H = H - M.top - M.bottom;

interface Scale {
  y(fraction: number): number;
  ticks: number[];
}

/** A y scale in points over every value drawn, padded and rounded to whole ticks, within [0, 100]. */
function yScale(values: number[]): Scale {
  const pts = values.map((v) => 100 * v);
  const step = Math.max(...pts) - Math.min(...pts) > 40 ? 20 : Math.max(...pts) - Math.min(...pts) > 15 ? 10 : 5;
  const lo = Math.max(0, Math.floor((Math.min(...pts) - 2) / step) * step);
  const hi = Math.min(100, Math.max(lo + step, Math.ceil((Math.max(...pts) + 2) / step) * step));
  const ticks: number[] = [];
  for (let t = lo; t <= hi + 1e-9; t += step) ticks.push(t);
  return { y: (f) => M.top + PLOT_H - ((100 * f - lo) / (hi - lo)) * PLOT_H, ticks };
}

const fmt = (n: number): string => n.toFixed(1);

function whisker(x: number, y: (f: number) => number, mean: number, sd: number, cls: string): string {
  if (sd <= 0) return '';
  const [top, bottom] = [y(Math.min(1, mean + sd)), y(Math.max(0, mean - sd))];
  return `<path class="${cls}" d="M${fmt(x)} ${fmt(top)}V${fmt(bottom)}M${fmt(x - 4)} ${fmt(top)}h8M${fmt(x - 4)} ${fmt(bottom)}h8"/>`;
}

function testMarker(x: number, y: (f: number) => number, label: string, s: ScoreSummary, cls: string): string {
  if (s.mean === null) return '';
  const cy = y(s.mean);
  return [
    `<g class="test-marker ${cls}">`,
    whisker(x, y, s.mean, s.sd, 'whisker'),
    `<path class="diamond" d="M${fmt(x)} ${fmt(cy - 7)}l7 7l-7 7l-7 -7z"><title>${escapeHtml(`${label} on test: ${meanSd(s.mean, s.sd)} (${s.trials} trials, ${s.cases} cases)`)}</title></path>`,
    `<text x="${fmt(x + 11)}" y="${fmt(cy + 4)}">${escapeHtml(`${label} ${points(s.mean)}`)}</text>`,
    '</g>',
  ].join('');
}

export function renderTrajectorySvg(d: SessionReportData): string {
  const traj = d.trajectory;
  const n = Math.max(1, traj.length);
  const x = (i: number) => M.left + ((i + 0.5) * PLOT_W) / n;
  const baseline = d.baseline.valMean;
  const values = [
    ...traj.flatMap((p) =>
      p.valMean === null ? [] : [Math.min(1, p.valMean + p.valSd), Math.max(0, p.valMean - p.valSd)],
    ),
    ...traj.flatMap((p) => (p.bestMean === null ? [] : [p.bestMean])),
    ...[d.test.baseline, d.test.best].flatMap((s) =>
      s.mean === null ? [] : [Math.min(1, s.mean + s.sd), Math.max(0, s.mean - s.sd)],
    ),
    ...(baseline === null ? [] : [baseline]),
  ];
  const { y, ticks } = yScale(values.length ? values : [0, 1]);
  const bottom = M.top + PLOT_H;
  const parts: string[] = [];

  for (const t of ticks) {
    parts.push(
      `<line class="grid" x1="${M.left}" x2="${M.left + PLOT_W}" y1="${fmt(y(t / 100))}" y2="${fmt(y(t / 100))}"/>`,
    );
    parts.push(`<text class="tick" x="${M.left - 6}" y="${fmt(y(t / 100) + 4)}" text-anchor="end">${t}</text>`);
  }
  const labelEvery = Math.ceil(n / 25);
  traj.forEach((p, i) => {
    if (i % labelEvery === 0)
      parts.push(`<text class="tick" x="${fmt(x(i))}" y="${bottom + 16}" text-anchor="middle">${p.iteration}</text>`);
  });
  parts.push(
    `<text class="axis-label" x="${M.left + PLOT_W / 2}" y="${bottom + 34}" text-anchor="middle">iteration (each evaluated variant, in order)</text>`,
  );
  parts.push(
    `<text class="axis-label" transform="translate(14 ${M.top + PLOT_H / 2}) rotate(-90)" text-anchor="middle">validation score (points)</text>`,
  );

  if (baseline !== null) {
    parts.push(
      `<line class="baseline" x1="${M.left}" x2="${M.left + PLOT_W}" y1="${fmt(y(baseline))}" y2="${fmt(y(baseline))}"><title>${escapeHtml(`baseline v${d.baseline.seq}: ${meanSd(baseline, d.baseline.valSd)}`)}</title></line>`,
    );
  }
  const steps = traj.flatMap((p, i) => (p.bestMean === null ? [] : [{ i, v: p.bestMean }]));
  if (steps.length > 0) {
    const path = steps
      .map((s, k) => (k === 0 ? `M${fmt(x(s.i) - PLOT_W / n / 2)} ${fmt(y(s.v))}` : `H${fmt(x(s.i))}V${fmt(y(s.v))}`))
      .join('');
    parts.push(`<path class="best-line" d="${path}H${fmt(x(steps.at(-1)!.i) + PLOT_W / n / 2)}"/>`);
  }

  traj.forEach((p, i) => {
    const title = escapeHtml(
      `#${p.iteration} v${p.seq} (${p.level}): ${p.valMean === null ? 'no validation score' : meanSd(p.valMean, p.valSd)}${p.accepted ? ', accepted' : ', rejected'}${p.note ? ` — ${p.note}` : ''}`,
    );
    if (p.valMean === null) {
      parts.push(
        `<g class="point missing"><path d="M${fmt(x(i) - 4)} ${bottom - 10}l8 8m0 -8l-8 8"/><title>${title}</title></g>`,
      );
      return;
    }
    parts.push(
      `<g class="point ${p.accepted ? 'accepted' : 'rejected'}">${whisker(x(i), y, p.valMean, p.valSd, 'whisker')}<circle cx="${fmt(x(i))}" cy="${fmt(y(p.valMean))}" r="${p.accepted ? 5.5 : 4}"><title>${title}</title></circle></g>`,
    );
  });

  const testX = M.left + PLOT_W + 40;
  parts.push(`<line class="divider" x1="${testX - 24}" x2="${testX - 24}" y1="${M.top}" y2="${bottom}"/>`);
  parts.push(`<text class="tick" x="${testX}" y="${bottom + 16}" text-anchor="middle">test</text>`);
  parts.push(testMarker(testX, y, `baseline v${d.baseline.seq}`, d.test.baseline, 'test-baseline'));
  parts.push(testMarker(testX, y, `selected v${d.best.seq}`, d.test.best, 'test-best'));

  const legendY = H - 12;
  const legend = [
    `<circle class="legend-accepted" cx="${M.left + 6}" cy="${legendY - 4}" r="5"/><text x="${M.left + 16}" y="${legendY}">accepted</text>`,
    `<circle class="legend-rejected" cx="${M.left + 96}" cy="${legendY - 4}" r="4"/><text x="${M.left + 106}" y="${legendY}">rejected (± sd whiskers)</text>`,
    `<path class="best-line" d="M${M.left + 266} ${legendY - 4}h22"/><text x="${M.left + 294}" y="${legendY}">best so far</text>`,
    `<path class="baseline" d="M${M.left + 384} ${legendY - 4}h22"/><text x="${M.left + 412}" y="${legendY}">baseline (validation)</text>`,
    `<path class="legend-test" d="M${M.left + 560} ${legendY - 10}l6 6l-6 6l-6 -6z"/><text x="${M.left + 572}" y="${legendY}">final test</text>`,
    traj.some((p) => p.valMean === null)
      ? `<g class="point-legend missing"><path d="M${M.left + 640} ${legendY - 8}l8 8m0 -8l-8 8"/></g><text x="${M.left + 654}" y="${legendY}">no validation score</text>`
      : '',
  ];
  return [
    `<svg class="trajectory" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="Validation trajectory">`,
    `<title>Validation trajectory: ${traj.length} evaluated variant(s)</title>`,
    ...parts,
    `<g class="legend">${legend.join('')}</g>`,
    '</svg>',
  ].join('\n');
}

/** The styles of renderTrajectorySvg's classes, for every page that shows the chart (report, explorer). */
export const TRAJECTORY_CSS = `svg.trajectory{max-width:100%;height:auto;font-size:11px}
svg .grid{stroke:#eaeef2}svg .tick,svg .axis-label{fill:#59636e}svg .divider{stroke:#d0d7de;stroke-dasharray:2 3}
svg .baseline{stroke:#6e7781;stroke-width:1.5;stroke-dasharray:6 4;fill:none}
svg .best-line{stroke:#0969da;stroke-width:2;fill:none}
svg .whisker{stroke:#8c959f;stroke-width:1.2;fill:none}
svg .point.accepted circle,svg .legend-accepted{fill:#1a7f37;stroke:#fff;stroke-width:1.5}
svg .point.rejected circle,svg .legend-rejected{fill:#fff;stroke:#8c959f;stroke-width:1.5}
svg .point.missing path,svg .point-legend.missing path{stroke:#cf222e;stroke-width:1.5}
svg .test-baseline .diamond{fill:#8c959f}svg .test-best .diamond,svg .legend-test{fill:#bc4c00}
svg .legend text,svg .test-marker text{fill:#1f2328}`;
