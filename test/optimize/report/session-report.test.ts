import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { GepaLineage } from '../../../src/optimize/gepa/state.ts';
import {
  buildSessionReport,
  lineageFromGepa,
  renderSessionHtml,
  renderSessionMarkdown,
  writeSessionReport,
} from '../../../src/optimize/report/index.ts';
import { taskCallSavings as savings } from '../../../src/models/meter.ts';
import { H, HOSTILE_HYPOTHESIS, MEMORY, TRAJECTORY, sessionInput } from './fixtures.ts';

const REAL = { taskModel: 'openai:gpt-4o-mini', reviewerModel: 'anthropic:claude-haiku' };

describe('session report: JSON document', () => {
  it('computes the task-call savings from the task role: paid = calls, from scratch = calls + cache hits', () => {
    const data = buildSessionReport(sessionInput());
    assert.deepEqual(data.compute.taskCalls, {
      paid: 600,
      avoided: 900,
      fromScratch: 1500,
      savedFraction: 0.6,
      savedCostUsd: 0.375,
    });
    assert.deepEqual(savings(undefined), { paid: 0, avoided: 0, fromScratch: 0, savedFraction: null, savedCostUsd: 0 });
  });

  it('round-trips through JSON unchanged and keeps stable field names', () => {
    const data = buildSessionReport(sessionInput());
    const parsed = JSON.parse(JSON.stringify(data)) as typeof data;
    assert.deepEqual(parsed, data);
    assert.deepEqual(Object.keys(data).sort(), [
      'accepted',
      'baseline',
      'best',
      'compute',
      'conventions',
      'exhaustion',
      'files',
      'format',
      'lineage',
      'models',
      'rounds',
      'scope',
      'seqs',
      'session',
      'simNotice',
      'test',
      'title',
      'trajectory',
      'version',
    ]);
    assert.equal(parsed.test.best.mean, (0.512 + 0.553 + 0.594) / 3);
    assert.equal(parsed.test.comparison.ci.level, 0.95);
  });

  it('lists accepted variants (not the baseline) with their parents, memory deltas and diffs', () => {
    const data = buildSessionReport(sessionInput());
    assert.deepEqual(
      data.accepted.map((a) => [a.seq, a.parentSeq, a.delta, a.technique]),
      [
        [2, 1, 0.1, 'format constraints'],
        [4, 2, 0.06, 'raise k'],
      ],
    );
    assert.match(data.accepted[0]!.diff!, /^\+Answer the question with the bare answer only\.$/m);
    assert.match(data.accepted[1]!.diff!, /^\+ {2}"passagesPerHop": 5$/m);
  });

  it('orders attribution rounds, keeps exhaustion records and per-role compute with models', () => {
    const data = buildSessionReport(sessionInput());
    assert.deepEqual(
      data.rounds.map((r) => r.round),
      [1, 3],
    );
    assert.deepEqual(data.seqs, { [H.v1]: 1, [H.v2]: 2, [H.v3]: 3, [H.v4]: 4, [H.v5]: 5 });
    assert.deepEqual(
      data.exhaustion.map((e) => [e.level, e.reason]),
      [['prompt', 'plateau']],
    );
    assert.deepEqual(
      data.compute.roles.map((r) => [r.role, r.model, r.simulated, r.tokens]),
      [
        ['task', 'sim:default', true, 128000],
        ['reviewer', 'openai:gpt-4o-mini', false, 7200],
      ],
    );
  });

  it('sets a sim notice only when a model is the sim', () => {
    assert.match(
      buildSessionReport(sessionInput()).simNotice ?? '',
      /sim:default \(task\) is fapo's deterministic offline simulator, not a real model/,
    );
    assert.match(
      buildSessionReport(sessionInput({ taskModel: 'openai:gpt-4o', reviewerModel: 'sim:reviewer' })).simNotice ?? '',
      /sim:reviewer/,
    );
    assert.equal(buildSessionReport(sessionInput(REAL)).simNotice, null);
  });
});

describe('session report: Markdown', () => {
  const md = renderSessionMarkdown(buildSessionReport(sessionInput()));

  it('has every required section', () => {
    for (const heading of [
      '# Optimization report: two-hop-qa — session s1 (fapo)',
      '## Summary',
      '## Scope contract',
      '## Validation trajectory',
      '## Accepted variants',
      '## Attribution per round',
      '### Levels exhausted',
      '## Test scores',
      '## Compute spent',
    ]) {
      assert.ok(md.includes(`\n${heading}`) || md.startsWith(heading), `missing section ${heading}`);
    }
    assert.match(md, /### Failure attribution: variant aaaaaaaaaaaa, round 1/);
    assert.match(md, /- caps: passagesPerHop ≤ 5/);
    assert.match(md, /- files a proposal may create: prompts\/\\\*\\\*\n/, 'globs must not turn into emphasis');
  });

  it('prints scores as points with the SD and CI conventions stated', () => {
    assert.match(md, /- Test \(evaluated once\): baseline 42\.0 ± 2\.0 → selected 55\.3 ± 4\.1;/);
    assert.match(md, /Δ \+13\.3 points, 95% CI \[5\.0, 21\.0\], p = 0\.004/);
    assert.match(md, /sample standard deviation \(n−1\) of the per-trial means over 3 trial\(s\)/);
    assert.match(md, /95% paired bootstrap confidence intervals/);
    assert.match(md, /\| 3 \| v4 \| v2 \| param \| 56\.0 ± 1\.0 \| 56\.0 \| yes \|/);
    assert.match(md, /\| selected v4 \| 55\.3 ± 4\.1 \| 3 \| 40 \| 51\.2, 55\.3, 59\.4 \|/);
  });

  it('prints task calls paid vs from scratch, per-role compute and wall time', () => {
    assert.match(
      md,
      /- Task-model calls paid: 600; re-running every variant from scratch would have paid 1,500 — 900 calls \(60%, \$0\.3750\)/,
    );
    assert.match(md, /\| task \| sim:default \(simulated\) \| 600 \| 900 \| 2 \| 120,000 \| 8,000 \| \$0\.2500 \|/);
    assert.match(md, /\| reviewer \| openai:gpt-4o-mini \| 4 \|/);
    assert.match(md, /\| total \| {2}\| 604 \| 900 \| 2 \| 126,000 \| 9,200 \| \$0\.2800 \|/);
    assert.match(md, /Wall time: 65\.4 s/);
  });

  it('shows diffs in fenced blocks and labels the sim', () => {
    assert.match(md, /```diff\n=+\n--- a\/prompts\/answer\n\+\+\+ b\/prompts\/answer/);
    assert.match(md, /> \*\*Simulated model\.\*\*/);
    assert.match(md, /- Task model: sim:default \(simulated\); reviewer: openai:gpt-4o-mini\n/);
    assert.ok(!md.includes('<script>'), 'hypothesis HTML must not reach the Markdown raw');
  });
});

describe('session report: HTML', () => {
  const input = sessionInput();
  const html = renderSessionHtml(buildSessionReport(input));

  it('is self-contained: no external URLs, no src attributes, no scripts or stylesheet links', () => {
    assert.doesNotMatch(html, /https?:\/\//);
    assert.doesNotMatch(html, /\ssrc\s*=/i);
    assert.doesNotMatch(html, /<script|<link/i);
    assert.match(html, /<style>/);
  });

  it('draws an inline SVG with one point per trajectory entry, the best line, the baseline and both test markers', () => {
    const svg = html.slice(html.indexOf('<svg'), html.indexOf('</svg>'));
    assert.ok(svg.length > 0, 'no <svg>');
    assert.equal(svg.match(/<g class="point /g)?.length, TRAJECTORY.length);
    assert.equal(svg.match(/<g class="point accepted"/g)?.length, TRAJECTORY.filter((p) => p.accepted).length);
    assert.equal(svg.match(/<g class="point missing"/g)?.length, 1);
    assert.match(svg, /<path class="best-line" d="M/);
    assert.match(svg, /<line class="baseline"/);
    assert.match(svg, /test-marker test-baseline/);
    assert.match(svg, /test-marker test-best/);
  });

  it('escapes HTML in hypotheses and prompts', () => {
    assert.ok(!html.includes('<script>alert'), 'raw <script> from a hypothesis reached the page');
    assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'));
    assert.ok(HOSTILE_HYPOTHESIS.includes('<script>'));
  });

  it('includes the sim notice when a sim model is used, and not otherwise', () => {
    assert.match(html, /<p class="sim"><strong>Simulated model\.<\/strong>/);
    assert.match(html, /<td>task<\/td><td>sim:default \(simulated\)<\/td>/);
    const real = renderSessionHtml(buildSessionReport(sessionInput(REAL)));
    assert.doesNotMatch(real, /class="sim"|simulated/i);
  });

  it('renders a GEPA lineage as a nested list', () => {
    const gepa = {
      nodes: [
        { index: 0, seq: 1, parents: [], origin: 'seed', valMean: 0.4, isBest: false, changed: [] },
        { index: 1, seq: 2, parents: [0], origin: 'mutation', valMean: 0.5, isBest: false, changed: ['answer'] },
        { index: 2, seq: 3, parents: [1, 0], origin: 'merge', valMean: 0.55, isBest: true, changed: [] },
      ],
    } as unknown as GepaLineage;
    const lineage = lineageFromGepa(gepa);
    const page = renderSessionHtml(buildSessionReport({ ...input, lineage }));
    assert.match(
      page,
      /<h2>Candidate lineage<\/h2><ul class="lineage root"><li><span>#0 v1 \(seed\)<\/span>: val 40\.0<ul class="lineage"><li><span>#1 v2 \(mutation: answer\)<\/span>: val 50\.0<ul class="lineage"><li><span class="best">#2 v3 \(merge\)<\/span>: val 55\.0 \(selected; merged with 0\)/,
    );
    assert.doesNotMatch(html, /Candidate lineage/);
  });
});

describe('writeSessionReport', () => {
  it('writes report.md, report.json, report.html, memory.jsonl and changelog.md', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fapo-report-'));
    try {
      const paths = writeSessionReport(join(dir, 'nested'), sessionInput());
      assert.deepEqual(
        Object.values(paths).map((p) => p.slice(p.lastIndexOf('/') + 1)),
        ['report.md', 'report.json', 'report.html', 'memory.jsonl', 'changelog.md'],
      );
      const json = JSON.parse(readFileSync(paths.json, 'utf8'));
      assert.equal(json.compute.taskCalls.fromScratch, 1500);
      const lines = readFileSync(paths.memory, 'utf8').trimEnd().split('\n');
      assert.deepEqual(
        lines.map((l) => JSON.parse(l)),
        MEMORY,
      );
      const changelog = readFileSync(paths.changelog, 'utf8');
      assert.match(changelog, /^# Change log/);
      assert.match(changelog, /\| 3 \| 3 \| v4 \| v2 \| param \|/);
      assert.match(readFileSync(paths.markdown, 'utf8'), /## Compute spent/);
      assert.match(readFileSync(paths.html, 'utf8'), /<svg/);
      assert.equal(H.v4.length, 64);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
