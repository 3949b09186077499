import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import type { StepKind } from '../chain/types.ts';
import type { Sampling } from '../models/types.ts';
import type { Task } from '../task/load.ts';
import { FAPO_VERSION } from '../version.js';
import type { Store } from './store.ts';
import type { CaseResult, RunRecord, RunSummary, Variant } from './types.ts';

export interface StepStats {
  name: string;
  kind: StepKind;
  runs: number;
  latencyMs: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  cacheHits: number;
  errors: number;
  emptyOutputs: number;
  /** Cases that did not score 1 in which this step erred or returned nothing. */
  failedCasesBlamed: number;
}

export interface RunReport {
  summary: RunSummary;
  steps: StepStats[];
  diagnostics: { message: string; count: number }[];
  errors: { caseId: string; trial: number; status: string; error: string }[];
  /** Passages retrieved per case (mean), so recall gains from volume are visible. */
  passagesPerCase: number;
}

const isEmpty = (v: unknown) =>
  v === undefined || v === null || (typeof v === 'string' && v.trim() === '') || (Array.isArray(v) && v.length === 0);

/** One streaming pass over a run's results: per-step cost and latency, diagnostics, errors. */
export function buildRunReport(store: Store, run: RunRecord): RunReport {
  const steps = new Map<string, StepStats>();
  const diagnostics = new Map<string, number>();
  const errors: RunReport['errors'] = [];
  let passages = 0;
  let results = 0;
  for (const r of store.results(run.id)) {
    results++;
    if (r.error && errors.length < 50)
      errors.push({ caseId: r.caseId, trial: r.trial, status: r.status, error: r.error });
    for (const d of r.diagnostics) {
      const key = d.replace(/#\d+:/, ':');
      diagnostics.set(key, (diagnostics.get(key) ?? 0) + 1);
    }
    const failed = r.status !== 'ok' || (r.score ?? 0) < 1;
    const blamed = new Set<string>();
    for (const s of r.steps) {
      const st = steps.get(s.name) ?? {
        name: s.name,
        kind: s.kind,
        runs: 0,
        latencyMs: 0,
        inputTokens: 0,
        outputTokens: 0,
        costUsd: 0,
        cacheHits: 0,
        errors: 0,
        emptyOutputs: 0,
        failedCasesBlamed: 0,
      };
      st.runs++;
      st.latencyMs += s.latencyMs;
      st.inputTokens += s.tokens?.input ?? 0;
      st.outputTokens += s.tokens?.output ?? 0;
      st.costUsd += s.costUsd ?? 0;
      if (s.cacheHit) st.cacheHits++;
      if (s.error) st.errors++;
      const empty = !s.error && isEmpty(s.output);
      if (empty) st.emptyOutputs++;
      if (failed && (s.error || empty) && !blamed.has(s.name)) {
        blamed.add(s.name);
        st.failedCasesBlamed++;
      }
      if (s.passages) passages += s.passages.length;
      steps.set(s.name, st);
    }
  }
  return {
    summary: store.summarize(run.id),
    steps: [...steps.values()],
    diagnostics: [...diagnostics].map(([message, count]) => ({ message, count })).sort((a, b) => b.count - a.count),
    errors,
    passagesPerCase: results ? passages / results : 0,
  };
}

export const fmtScore = (x: number | null) => (x === null ? 'n/a' : (100 * x).toFixed(1));

/** `53.3 ± 4.1` in points (mean ± sample SD over trials). */
export function formatMeanSd(summary: Pick<RunSummary, 'mean' | 'sd'>): string {
  return summary.mean === null ? 'n/a' : `${fmtScore(summary.mean)} ± ${(100 * summary.sd).toFixed(1)}`;
}

export function renderSummaryMarkdown(
  task: Task,
  variant: Variant,
  run: RunRecord,
  report: RunReport,
  model: { id: string; sampling: Sampling },
): string {
  const s = report.summary;
  const lines: string[] = [];
  lines.push(
    `# ${task.manifest.name}: variant v${variant.seq} (${variant.hash.slice(0, 10)}) on ${run.spec.split}`,
    '',
  );
  if (model.id.startsWith('sim:'))
    lines.push(
      "> Task model is `sim`, fapo's deterministic offline stand-in. These numbers say nothing about a real model.",
      '',
    );
  lines.push(
    `- Score: **${formatMeanSd(s)}** (mean ± sample SD over ${s.trials.length} trial(s), points out of 100; ${s.cases} cases)`,
  );
  lines.push(`- Per trial: ${s.trials.map((t) => `t${t.trial}: ${fmtScore(t.mean)}`).join(', ')}`);
  lines.push(
    `- Status: ok ${s.counts.ok}, task_error ${s.counts.task_error} (scored 0), infra_error ${s.counts.infra_error} (excluded), scorer_error ${s.counts.scorer_error} (excluded)`,
  );
  lines.push(`- Model: \`${model.id}\` with ${JSON.stringify(model.sampling)}`);
  lines.push(`- Passages retrieved per case: ${report.passagesPerCase.toFixed(1)}`);
  lines.push(
    `- Dataset fingerprint (sha256 of ${task.datasets[run.spec.split].path}): \`${run.spec.datasetFingerprint}\``,
    '',
  );
  lines.push(
    '## Steps',
    '',
    '| step | kind | runs | mean latency (ms) | tokens in / out | cost (USD) | cache hits | errors | empty | failed cases blamed |',
    '|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const st of report.steps) {
    lines.push(
      `| ${st.name} | ${st.kind} | ${st.runs} | ${(st.latencyMs / Math.max(1, st.runs)).toFixed(2)} | ${st.inputTokens} / ${st.outputTokens} | ${st.costUsd.toFixed(4)} | ${st.cacheHits} | ${st.errors} | ${st.emptyOutputs} | ${st.failedCasesBlamed} |`,
    );
  }
  if (report.diagnostics.length) {
    lines.push('', '## Diagnostics', '', '| diagnostic | count |', '|---|---|');
    for (const d of report.diagnostics.slice(0, 20)) lines.push(`| ${d.message.replace(/\|/g, '\\|')} | ${d.count} |`);
  }
  if (report.errors.length) {
    lines.push('', '## Errors (first 50)', '', '| case | trial | status | error |', '|---|---|---|---|');
    for (const e of report.errors)
      lines.push(
        `| ${e.caseId} | ${e.trial} | ${e.status} | ${e.error.replace(/\|/g, '\\|').replace(/\n/g, ' ').slice(0, 300)} |`,
      );
  }
  return `${lines.join('\n')}\n`;
}

/** Writes `results.jsonl`, `summary.md` and `manifest.json` under `<task>/.fapo/runs/<run id>/`. */
export async function writeRunArtifacts(opts: {
  task: Task;
  store: Store;
  variant: Variant;
  run: RunRecord;
  model: { id: string; sampling: Sampling };
  extra?: Record<string, unknown>;
}): Promise<{ dir: string; report: RunReport }> {
  const { task, store, variant, run } = opts;
  const dir = join(task.dir, '.fapo', 'runs', run.id.slice(0, 16));
  mkdirSync(dir, { recursive: true });
  const out = createWriteStream(join(dir, 'results.jsonl'));
  for (const r of store.results(run.id)) {
    if (!out.write(`${JSON.stringify(r satisfies CaseResult)}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  const report = buildRunReport(store, run);
  writeFileSync(join(dir, 'summary.md'), renderSummaryMarkdown(task, variant, run, report, opts.model));
  const manifest = {
    fapoVersion: FAPO_VERSION,
    run: { id: run.id, state: run.state, createdAt: run.createdAt, finishedAt: run.finishedAt },
    task: { name: task.manifest.name, scorerFingerprint: run.spec.scorerFingerprint ?? task.scorerFingerprint },
    variant: {
      hash: variant.hash,
      seq: variant.seq,
      level: variant.level,
      parent: variant.parent,
      chainPath: variant.chainPath,
      chainFingerprint: run.spec.chainFingerprint,
    },
    resources: run.spec.resourceFingerprints,
    split: run.spec.split,
    trials: run.spec.trials,
    cases: run.spec.caseIds.length,
    model: opts.model.id,
    sampling: opts.model.sampling,
    datasets: { [run.spec.split]: { path: task.datasets[run.spec.split].path, sha256: run.spec.datasetFingerprint } },
    summary: report.summary,
    ...opts.extra,
  };
  writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return { dir, report };
}
