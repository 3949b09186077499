/**
 * Judge scorers end to end through the CLI: the example task scored by a judge model behind a fake
 * OpenAI-compatible server (the real SDK path), metered on the `judge` role, cached (a rerun asks the
 * judge nothing), a judge outage kept as infra errors (never zeros), and `fapo judge calibrate`
 * against human labels.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { agreement } from '../../src/eval/judge-calibration.ts';
import { runCli } from '../fixtures/cli.ts';
import { type FakeLlmServer, type FakeRequest, startFakeOpenAI } from '../fixtures/fake-openai.ts';
import { copyExample } from '../fixtures/workspace.ts';

const JUDGE_SCORER = `import { defineJudgeScorer } from 'fapo';
export default defineJudgeScorer({ guideline: 'The answer names the right entity, and nothing else.' });
`;

const block = (text: string, name: string) => text.match(new RegExp(`${name}:\\n<<<\\n([\\s\\S]*?)\\n>>>`))?.[1];
const norm = (s: string | undefined) =>
  (s ?? '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();

/** A judge that passes an output equal to the reference (after normalisation), whatever the order. */
function fairJudge(req: FakeRequest) {
  const user = req.body.messages.find((m: { role: string }) => m.role === 'user').content as string;
  const met = norm(block(user, 'OUTPUT')) === norm(block(user, 'REFERENCE'));
  return { json: { criteria: [{ met, reason: met ? 'names the entity' : 'another entity' }] } };
}

describe('judge scorers through the CLI', () => {
  let judge: FakeLlmServer;
  let dir: string;
  const cleanups: (() => void)[] = [];
  /** A copy of the example task scored by the judge scorer, removed after the suite. */
  const judgedWorkspace = () => {
    const ws = copyExample();
    cleanups.push(ws.cleanup);
    writeFileSync(join(ws.dir, 'scorer.ts'), JUDGE_SCORER);
    return ws.dir;
  };
  before(async () => {
    judge = await startFakeOpenAI({ respond: fairJudge });
    dir = judgedWorkspace();
  });
  after(async () => {
    await judge.close();
    for (const cleanup of cleanups) cleanup();
  });

  const evalArgs = () => [
    'eval',
    dir,
    '--split',
    'val',
    '--limit',
    '6',
    '--judge-model',
    `openai-compatible:grader@${judge.url}`,
    '--json',
  ];

  it('scores with the judge on its own role, asks both orders per case, and repays nothing on a rerun', async () => {
    const first = await runCli(evalArgs());
    assert.equal(first.code, 0, first.stderr);
    const out = JSON.parse(first.stdout);
    assert.equal(out.summary.counts.ok, 6);
    assert.equal(judge.calls, 12, 'a reference answer: the output is judged before and after it');
    assert.equal(out.judge.model, 'openai-compatible:grader');
    assert.equal(out.judge.usage.calls, 12);
    // The judge's verdicts match the exact-match truth of each output.
    const runs = join(dir, '.fapo', 'runs');
    const results = readFileSync(join(runs, readdirSync(runs)[0]!, 'results.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const val = readFileSync(join(dir, 'data', 'val.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    for (const r of results) {
      const expected = val.find((c: { id: string }) => c.id === r.caseId).expected;
      assert.equal(r.score, norm(String(r.output)) === norm(expected) ? 1 : 0, r.caseId);
    }
    const again = JSON.parse((await runCli(evalArgs())).stdout);
    assert.equal(judge.calls, 12, 'the rerun asked the judge nothing');
    assert.equal(again.summary.mean, out.summary.mean);
  });

  it('a judge outage leaves infra errors, not zeros, and exits non-zero', async () => {
    const down = await startFakeOpenAI({ respond: () => ({ status: 500, message: 'judge overloaded' }) });
    try {
      const ws = judgedWorkspace();
      const r = await runCli([
        'eval',
        ws,
        '--split',
        'val',
        '--limit',
        '3',
        '--judge-model',
        `openai-compatible:grader@${down.url}`,
        '--max-retries',
        '0',
        '--json',
      ]);
      assert.notEqual(r.code, 0);
      const out = JSON.parse(r.stdout);
      assert.equal(out.summary.counts.infra_error, 3);
      assert.equal(out.summary.mean, null);
    } finally {
      await down.close();
    }
  });

  it('a judge scorer without a judge model stops with how to give one', async () => {
    const ws = judgedWorkspace();
    const r = await runCli(['eval', ws, '--split', 'val', '--limit', '2']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--judge-model/);
  });

  it('fapo judge calibrate: agreement, kappa and confusion against human labels', async () => {
    const val = readFileSync(join(dir, 'data', 'val.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .slice(0, 8);
    // Right answers labelled pass, wrong ones fail; one person disagrees with the judge on the last.
    const rows = val.map((c: { id: string; expected: string }, i: number) => ({
      id: c.id,
      output: i % 2 ? 'Nowhere' : c.expected,
      label: i === 7 ? true : i % 2 === 0,
    }));
    const labels = join(dir, 'labels.jsonl');
    writeFileSync(labels, rows.map((r) => JSON.stringify(r)).join('\n'));
    const args = [
      'judge',
      'calibrate',
      dir,
      '--labels',
      labels,
      '--judge-model',
      `openai-compatible:grader@${judge.url}`,
    ];
    const r = await runCli([...args, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.n, 8);
    assert.equal(out.accuracy, 7 / 8);
    assert.deepEqual(out.confusion, {
      humanPass: { judgePass: 4, judgeFail: 1 },
      humanFail: { judgePass: 0, judgeFail: 3 },
    });
    assert.equal(out.kappa, agreement(out.cases).kappa);
    const text = await runCli(args);
    assert.match(text.stdout, /agreement 87\.5%; Cohen's kappa 0\.7[0-9]*/);
    assert.match(text.stdout, new RegExp(`${rows[7].id}: human pass, judge 0\\.00`));
    assert.match(text.stdout, /judge calls paid: 0/, 'the second calibration is answered from the cache');

    writeFileSync(labels, `${JSON.stringify(rows[0])}\n{"id": "nope", "output": "x", "label": true}\n`);
    const bad = await runCli(args);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /labels\.jsonl:2: "nope" is no case of the task/);
  });
});

describe('agreement statistics', () => {
  it("computes accuracy and Cohen's kappa as by hand", () => {
    const pairs = [
      ...Array.from({ length: 4 }, () => ({ human: true, judge: true })),
      { human: true, judge: false },
      { human: false, judge: true },
      ...Array.from({ length: 4 }, () => ({ human: false, judge: false })),
    ];
    const a = agreement(pairs);
    assert.equal(a.accuracy, 0.8);
    // observed 0.8, chance 0.5·0.5 + 0.5·0.5 = 0.5, kappa = 0.3 / 0.5
    assert.ok(Math.abs(a.kappa! - 0.6) < 1e-12);
    assert.equal(agreement([{ human: true, judge: true }]).kappa, null, 'one class only: undefined');
  });
});
