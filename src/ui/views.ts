/**
 * The explorer's pages, rendered on the server with hono/html: every interpolated value is escaped,
 * so prompts, model outputs and case data always render as text, never as live HTML. No script runs
 * on these pages (the Content-Security-Policy forbids it); filtering, sorting and paging are plain
 * GET forms and links, which keeps every control reachable by keyboard.
 */
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { AttributionReport } from '../attribution/report.ts';
import type { StepRecord } from '../chain/types.ts';
import type { ResultPage } from '../eval/store.ts';
import type { CaseResult, RunRecord, Variant } from '../eval/types.ts';
import type { MeterSnapshot } from '../models/meter.ts';
import type { OptimizeEvent } from '../optimize/events.ts';
import { describeEvent } from '../optimize/events.ts';
import type { SessionRecord } from '../optimize/session.ts';
import type { BenchStudy } from './bench-study.ts';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export interface PageLinks {
  /** Appends the access token (when the server requires one) to an app path. */
  href(path: string): string;
}

export function layout(title: string, links: PageLinks, body: Html, refreshSeconds?: number): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${refreshSeconds ? html`<meta http-equiv="refresh" content="${refreshSeconds}">` : ''}
<title>${title} — fapo</title>
<link rel="stylesheet" href="${links.href('/assets/app.css')}">
</head>
<body>
<header><nav aria-label="main"><a href="${links.href('/')}">fapo explorer</a></nav></header>
<main id="main">
<h1>${title}</h1>
${body}
</main>
</body>
</html>`;
}

const fmt = (x: number | null | undefined, digits = 3) => (x === null || x === undefined ? '—' : x.toFixed(digits));

export interface WorkspaceSummary {
  id: string;
  dir: string;
  sessions: (SessionRecord & { lastEventAt?: string })[];
  runs: RunRecord[];
  variants: Variant[];
}

export function homePage(workspaces: WorkspaceSummary[], links: PageLinks, studies: BenchStudy[] = []): Html {
  return html`${
    studies.length
      ? html`<section aria-labelledby="studies"><h2 id="studies">Bench studies</h2><ul>${studies.map(
          (s) => html`<li><a href="${links.href(`/study/${s.id}`)}">${s.id}</a> <small>${s.dir}</small></li>`,
        )}</ul></section>`
      : ''
  }${workspaces.map(
    (w) => html`<section aria-labelledby="ws-${w.id}">
<h2 id="ws-${w.id}">${w.id} <small>${w.dir}</small></h2>
<h3>Sessions</h3>
${
  w.sessions.length === 0
    ? html`<p>No optimization session yet.</p>`
    : html`<table>
<caption class="visually-hidden">Sessions of ${w.id}</caption>
<thead><tr><th scope="col">session</th><th scope="col">strategy</th><th scope="col">status</th><th scope="col">started</th><th scope="col">stop reason</th></tr></thead>
<tbody>${w.sessions.map(
        (
          s,
        ) => html`<tr><td><a href="${links.href(`/w/${w.id}/session/${s.id}`)}">${s.id}</a></td><td>${s.config.strategy}</td>
<td><span class="status status-${s.state}">${sessionStatus(s)}</span></td><td>${s.createdAt}</td><td>${s.stopReason ?? s.error ?? ''}</td></tr>`,
      )}</tbody></table>`
}
<h3>Evaluation runs</h3>
${runsTable(w, w.runs, w.variants, links)}
</section>`,
  )}`;
}

/** A running session whose last event is old was most likely killed (resume it with --resume). */
export function sessionStatus(s: SessionRecord & { lastEventAt?: string }): string {
  if (s.state !== 'running') return s.state === 'complete' ? 'finished' : s.state;
  const idleMs = s.lastEventAt ? Date.now() - Date.parse(s.lastEventAt) : Number.POSITIVE_INFINITY;
  return idleMs > 10 * 60_000 ? 'running? (no event for 10 min: killed, resume with --resume)' : 'running';
}

function runsTable(w: { id: string }, runs: RunRecord[], variants: Variant[], links: PageLinks): Html {
  if (runs.length === 0) return html`<p>No evaluation run yet.</p>`;
  const seqOf = new Map(variants.map((v) => [v.hash, v.seq]));
  return html`<table>
<caption class="visually-hidden">Evaluation runs of ${w.id}</caption>
<thead><tr><th scope="col">run</th><th scope="col">variant</th><th scope="col">split</th><th scope="col">trials</th><th scope="col">cases</th><th scope="col">model</th><th scope="col">state</th><th scope="col">purpose</th></tr></thead>
<tbody>${runs.map(
    (r) => html`<tr><td><a href="${links.href(`/w/${w.id}/run/${r.id}`)}">${r.id.slice(0, 12)}</a></td>
<td><a href="${links.href(`/w/${w.id}/variant/${r.spec.variant}`)}">v${seqOf.get(r.spec.variant) ?? '?'}</a></td>
<td>${r.spec.split}</td><td>${r.spec.trials}</td><td>${r.spec.caseIds.length}</td><td>${r.spec.model}</td><td>${r.state}</td><td>${r.spec.purpose ?? ''}</td></tr>`,
  )}</tbody></table>`;
}

/** One attribution round of a session, with the train run its cases link to. */
export interface AttributionRound {
  id: string;
  report: AttributionReport;
  trainRunId?: string;
}

export function sessionPage(
  w: { id: string },
  session: SessionRecord & { lastEventAt?: string },
  events: OptimizeEvent[],
  rounds: AttributionRound[],
  compute: MeterSnapshot | undefined,
  /** The trajectory chart of a finished session (SVG built by the report code, text already escaped). */
  chartSvg: string | undefined,
  links: PageLinks,
): Html {
  const validations = events.filter((e) => e.type === 'validation');
  return html`<p>Status: <strong>${sessionStatus(session)}</strong>; strategy ${session.config.strategy}, seed ${session.config.seed}, ${session.config.trials} trials${session.config.model ? html`, task model ${session.config.model}` : ''}.</p>
${
  validations.length
    ? html`<h2>Variants tried</h2><table>
<thead><tr><th scope="col">#</th><th scope="col">technique</th><th scope="col">changed</th><th scope="col">validation</th><th scope="col">Δ</th><th scope="col">decision</th></tr></thead>
<tbody>${validations.map(
        (e) => html`<tr><td>${e.iteration}</td><td>${e.technique}</td><td>${e.stepsChanged.join(', ')}</td>
<td>${e.validation ? `${fmt(e.validation.mean)} ± ${fmt(e.validation.sd)}` : '—'}</td><td>${e.delta === undefined ? '' : fmt(e.delta)}</td>
<td>${e.discarded ? `discarded: ${e.discarded}` : e.accepted ? 'accepted' : 'rejected'}</td></tr>`,
      )}</tbody></table>`
    : ''
}
${chartSvg ? html`<h2>Validation trajectory</h2><figure class="chart">${raw(chartSvg)}</figure>` : ''}
${compute ? computeTable(compute) : ''}
${rounds.length ? html`<h2>Attribution per round</h2>${rounds.map((r) => attributionRound(w, r, links))}` : ''}
<h2>Events</h2>
<ol class="events">${events.map((e) => html`<li><code>${e.type}</code> ${describeEvent(e).join(' ')}</li>`)}</ol>
<p><a href="${links.href(`/w/${w.id}`)}">runs of this workspace</a></p>`;
}

function computeTable(compute: MeterSnapshot): Html {
  const rows = [...Object.entries(compute.roles), ['total', compute.total] as const];
  return html`<h2>Compute per role</h2><table>
<thead><tr><th scope="col">role</th><th scope="col">calls paid</th><th scope="col">cache hits</th><th scope="col">errors</th><th scope="col">input tokens</th><th scope="col">output tokens</th><th scope="col">cost $</th><th scope="col">saved by the cache $</th></tr></thead>
<tbody>${rows.map(
    ([role, u]) =>
      html`<tr><td>${role}</td><td>${u.calls}</td><td>${u.cacheHits}</td><td>${u.errors}</td><td>${u.inputTokens}</td><td>${u.outputTokens}</td><td>${u.costUsd.toFixed(4)}</td><td>${u.savedCostUsd.toFixed(4)}</td></tr>`,
  )}</tbody></table>`;
}

function attributionRound(w: { id: string }, r: AttributionRound, links: PageLinks): Html {
  const caseLink = (caseId: string) =>
    r.trainRunId
      ? html`<a href="${links.href(`/w/${w.id}/run/${r.trainRunId}/case/${encodeURIComponent(caseId)}?trial=0`)}">${caseId}</a>`
      : html`${caseId}`;
  const report = r.report;
  return html`<section aria-label="attribution ${r.id}">
<h3>Round ${report.round ?? '?'} <small>(${r.id})</small></h3>
<p>Train pass rate ${fmt(report.passRate)}; ${report.cases.length} failed cases; recommended level ${report.recommendedLevel}; levels: ${Object.entries(
    report.levelPartition,
  )
    .map(([level, b]) => `${level} ${b.count}`)
    .join(', ')}.</p>
<table>
<thead><tr><th scope="col">cluster</th><th scope="col">label</th><th scope="col">step</th><th scope="col">level</th><th scope="col">cases</th><th scope="col">examples</th><th scope="col">suggested fix</th></tr></thead>
<tbody>${report.clusters.map(
    (c) =>
      html`<tr><td>${c.id}</td><td>${c.label}</td><td>${c.step}</td><td>${c.level}</td><td>${c.count}</td><td>${c.caseIds.map((id, i) => html`${i ? ', ' : ''}${caseLink(id)}`)}</td><td>${c.suggestedFix}</td></tr>`,
  )}</tbody></table>
</section>`;
}

export interface RunPageState {
  status?: string;
  search?: string;
  sort: string;
  descending: boolean;
  offset: number;
  limit: number;
}

export function runPage(
  w: { id: string },
  run: RunRecord,
  page: ResultPage,
  state: RunPageState,
  links: PageLinks,
): Html {
  const base = `/w/${w.id}/run/${run.id}`;
  const query = (over: Partial<RunPageState>) => {
    const s = { ...state, ...over };
    const q = new URLSearchParams();
    if (s.status) q.set('status', s.status);
    if (s.search) q.set('q', s.search);
    q.set('sort', s.sort);
    if (s.descending) q.set('desc', '1');
    q.set('offset', String(s.offset));
    return links.href(`${base}?${q}`);
  };
  const sortLink = (column: string, label: string) =>
    html`<a href="${query({ sort: column, descending: state.sort === column ? !state.descending : false, offset: 0 })}">${label}${state.sort === column ? (state.descending ? ' ▼' : ' ▲') : ''}</a>`;
  const last = Math.min(page.total, state.offset + page.results.length);
  return html`<p>${run.spec.split} split, ${run.spec.trials} trial(s), model ${run.spec.model}, ${run.spec.caseIds.length} cases; state ${run.state}.</p>
<form method="get" action="${base}" class="filters">
${links.href('/').includes('token=') ? html`<input type="hidden" name="token" value="${new URL(links.href('/'), 'http://x').searchParams.get('token') ?? ''}">` : ''}
<label for="status">status</label>
<select id="status" name="status">
${['', 'ok', 'task_error', 'infra_error', 'scorer_error'].map((s) => html`<option value="${s}"${s === (state.status ?? '') ? raw(' selected') : ''}>${s || 'any'}</option>`)}
</select>
<label for="q">search</label>
<input id="q" name="q" type="search" value="${state.search ?? ''}" placeholder="case id or text in outputs">
<input type="hidden" name="sort" value="${state.sort}">
<button type="submit">Filter</button>
</form>
<p aria-live="polite">${page.total === 0 ? 'No result matches.' : `Results ${state.offset + 1}–${last} of ${page.total}.`}</p>
<table>
<caption class="visually-hidden">Per-case results</caption>
<thead><tr><th scope="col">${sortLink('case', 'case')}</th><th scope="col">trial</th><th scope="col">${sortLink('status', 'status')}</th><th scope="col">${sortLink('score', 'score')}</th><th scope="col">cost $</th><th scope="col">${sortLink('latency', 'latency ms')}</th><th scope="col">error</th></tr></thead>
<tbody>${page.results.map(
    (
      r,
    ) => html`<tr><td><a href="${links.href(`${base}/case/${encodeURIComponent(r.caseId)}?trial=${r.trial}`)}">${r.caseId}</a></td><td>${r.trial}</td>
<td>${r.status}</td><td>${fmt(r.score)}</td><td>${fmt(costOf(r), 5)}</td><td>${r.latencyMs.toFixed(0)}</td><td>${r.error ?? ''}</td></tr>`,
  )}</tbody></table>
<nav aria-label="pages" class="pager">
${state.offset > 0 ? html`<a href="${query({ offset: Math.max(0, state.offset - state.limit) })}">previous page</a>` : ''}
${last < page.total ? html`<a href="${query({ offset: state.offset + state.limit })}">next page</a>` : ''}
</nav>`;
}

const costOf = (r: CaseResult) => r.steps.reduce((sum, s) => sum + (s.costUsd ?? 0), 0);

export function casePage(
  w: { id: string },
  run: RunRecord,
  result: CaseResult,
  others: { run: RunRecord; seq: number | undefined }[],
  links: PageLinks,
): Html {
  return html`<p>Run <a href="${links.href(`/w/${w.id}/run/${run.id}`)}">${run.id.slice(0, 12)}</a>, trial ${result.trial}: status <strong>${result.status}</strong>, score ${fmt(result.score)}, ${result.latencyMs.toFixed(0)} ms.</p>
${result.error ? html`<p class="error">Error: ${result.error}</p>` : ''}
${result.feedback ? html`<p>Scorer feedback: ${result.feedback}</p>` : ''}
<h2>Output</h2>
<pre>${stringify(result.output)}</pre>
${
  others.length
    ? html`<h2>Same case in other runs of this split</h2><ul>${others.map(
        (o) =>
          html`<li><a href="${links.href(`/w/${w.id}/compare/${run.id}/${o.run.id}/${encodeURIComponent(result.caseId)}`)}">compare with v${o.seq ?? '?'} (run ${o.run.id.slice(0, 12)})</a></li>`,
      )}</ul>`
    : ''
}
<h2>Steps</h2>
${result.steps.map((s, i) => stepView(s, i))}`;
}

export function comparePage(
  w: { id: string },
  left: { run: RunRecord; seq?: number; result?: CaseResult },
  right: { run: RunRecord; seq?: number; result?: CaseResult },
  links: PageLinks,
): Html {
  const side = (s: typeof left) => html`<section class="side" aria-label="v${s.seq ?? '?'}">
<h2><a href="${links.href(`/w/${w.id}/run/${s.run.id}`)}">v${s.seq ?? '?'}</a>: ${s.result ? `${s.result.status}, score ${fmt(s.result.score)}` : 'no result for this case'}</h2>
${s.result ? html`<pre>${stringify(s.result.output)}</pre>${s.result.steps.map((st, i) => stepView(st, i))}` : ''}
</section>`;
  return html`<div class="compare">${side(left)}${side(right)}</div>`;
}

/** An agent step's loop: why it stopped, then each turn's text and the tool calls it made, in order. */
function agentTrace(agent: NonNullable<StepRecord['agent']>): Html {
  const callsOf = (turn: number) => agent.toolCalls.filter((c) => c.turn === turn);
  return html`<dt>tool loop</dt><dd><p>stopped: ${agent.stopReason}; ${agent.turns.length} turn(s), ${agent.toolCalls.length} tool call(s); tools: ${agent.tools.join(', ') || 'none'}</p>
<table class="tool-trace"><thead><tr><th scope="col">turn</th><th scope="col">tool</th><th scope="col">arguments</th><th scope="col">result or error</th><th scope="col">ms</th></tr></thead><tbody>
${agent.turns.map(
  (t) =>
    html`${t.text ? html`<tr><td>${t.turn}</td><td colspan="3"><pre>${t.text}</pre></td><td>${t.latencyMs.toFixed(1)}</td></tr>` : ''}${callsOf(
      t.turn,
    ).map(
      (c) =>
        html`<tr${c.error ? raw(' class="error"') : ''}><td>${c.turn}</td><td>${c.tool} <small>(${c.source})</small></td><td><pre>${stringify(c.args)}</pre></td><td><pre>${c.error ? `${c.error.kind}: ${c.error.message}` : stringify(c.result)}</pre></td><td>${c.latencyMs.toFixed(1)}</td></tr>`,
    )}`,
)}
</tbody></table></dd>`;
}

function stepView(s: StepRecord, index: number): Html {
  return html`<details class="step"${index < 6 ? raw(' open') : ''}>
<summary>${s.name} <small>(${s.kind}${s.iteration ? `, iteration ${s.iteration + 1}` : ''}) — ${s.latencyMs.toFixed(1)} ms${s.tokens ? `, ${s.tokens.input}/${s.tokens.output} tokens` : ''}${s.cacheHit ? ', cache hit' : ''}${s.error ? ', ERROR' : ''}</small></summary>
<dl>
<dt>inputs</dt><dd><pre>${stringify(s.inputs)}</pre></dd>
${s.messages ? html`<dt>messages</dt><dd>${s.messages.map((m) => html`<p class="role">${m.role}</p><pre>${m.content}</pre>`)}</dd>` : ''}
<dt>output</dt><dd><pre>${stringify(s.output)}</pre></dd>
${s.passages ? html`<dt>passages</dt><dd><ol>${s.passages.map((p) => html`<li>${p.title} <small>(${p.id}, ${p.score.toFixed(2)})</small></li>`)}</ol></dd>` : ''}
${s.agent ? agentTrace(s.agent) : ''}
${s.model ? html`<dt>model</dt><dd>${s.model}${s.costUsd ? ` — $${s.costUsd.toFixed(5)}` : ''}</dd>` : ''}
${s.error ? html`<dt>error</dt><dd class="error">${s.error}</dd>` : ''}
${s.diagnostics.length ? html`<dt>diagnostics</dt><dd><ul>${s.diagnostics.map((d) => html`<li>${d}</li>`)}</ul></dd>` : ''}
</dl>
</details>`;
}

export function variantPage(
  w: { id: string },
  variant: Variant,
  parent: Variant | undefined,
  diffText: string,
  links: PageLinks,
): Html {
  return html`<p>Level ${variant.level}, created by ${variant.createdBy} at ${variant.createdAt}${
    parent ? html`, parent <a href="${links.href(`/w/${w.id}/variant/${parent.hash}`)}">v${parent.seq}</a>` : ''
  }.</p>
${variant.hypothesis ? html`<p>Hypothesis: ${variant.hypothesis}</p>` : ''}
${variant.technique ? html`<p>Technique: ${variant.technique}</p>` : ''}
<h2>${parent ? 'Changes against its parent' : 'Prompts'}</h2>
${
  parent
    ? html`<pre class="diff">${diffText || 'no change'}</pre>`
    : Object.entries(variant.prompts).map(([name, text]) => html`<h3>${name}</h3><pre>${text}</pre>`)
}
<h2>Parameters</h2>
<pre>${stringify(variant.params)}</pre>`;
}

export function notFound(what: string, links: PageLinks): Html {
  return layout('Not found', links, html`<p>${what}</p>`);
}

function stringify(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value, null, 2) ?? String(value));
}

export function studyPage(study: BenchStudy): Html {
  const pct = (x: number | null) => (x === null ? '—' : (100 * x).toFixed(1));
  const { header, table } = study;
  return html`<p>Task models ${header.taskModels.join(', ')}${header.optimizerModel ? html`; optimizer model ${header.optimizerModel}` : ''}; budget ${header.budget}; ${header.trials} trial(s); generated ${header.generatedAt}. FAPO against GEPA: ${table.wins.wins} wins, ${table.wins.ties} ties, ${table.wins.losses} losses over ${table.wins.cells} cells.</p>
<h2>Test scores (points, mean ± sd over trials)</h2>
<table>
<thead><tr><th scope="col">task</th><th scope="col">model</th><th scope="col">strategy</th><th scope="col">status</th><th scope="col">test</th><th scope="col">trials</th><th scope="col">calls</th><th scope="col">tokens</th><th scope="col">cost $</th><th scope="col">wall s</th></tr></thead>
<tbody>${table.rows.map(
    (
      r,
    ) => html`<tr><td>${r.task}</td><td>${r.model}</td><td>${r.strategy}</td><td>${r.status}${r.reason ? html` <small>(${r.reason})</small>` : ''}</td>
<td>${r.mean === null ? '—' : `${pct(r.mean)} ± ${(100 * r.sd).toFixed(1)}`}</td><td>${r.trialMeans.map(pct).join(' / ')}</td>
<td>${r.compute.calls}</td><td>${r.compute.tokens}</td><td>${r.compute.costUsd.toFixed(2)}</td><td>${(r.compute.wallMs / 1000).toFixed(0)}</td></tr>`,
  )}</tbody></table>
<h2>Paired comparisons (same test cases and trials)</h2>
<table>
<thead><tr><th scope="col">task</th><th scope="col">model</th><th scope="col">comparison</th><th scope="col">Δ points</th><th scope="col">95% CI</th><th scope="col">p</th><th scope="col">p (Holm)</th><th scope="col">pairs</th></tr></thead>
<tbody>${table.comparisons.map(
    (c) =>
      html`<tr><td>${c.task}</td><td>${c.model}</td><td>${c.a} − ${c.b}</td><td>${c.deltaPoints.toFixed(1)}</td><td>[${c.ci.low.toFixed(1)}, ${c.ci.high.toFixed(1)}]</td><td>${c.pValue.toFixed(3)}</td><td>${c.pHolm.toFixed(3)}</td><td>${c.pairs}</td></tr>`,
  )}</tbody></table>`;
}
