/**
 * `fapo assets` end to end on synthetic support traces: the input contract, redaction, feedback
 * with a contradiction, intent clusters with a gap, group-safe splits, checkpointed stages rebuilt
 * from the earliest changed input, and the review gate with its fingerprint.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../fixtures/cli.ts';
import { EXAMPLE_DIR } from '../fixtures/workspace.ts';

const roots: string[] = [];
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

const INTENTS = {
  refund: [
    'I want a refund for order',
    'please refund my order, the item arrived broken',
    'refund request for my broken order',
  ],
  shipping: [
    'my parcel shipping is delayed',
    'where is my parcel, shipping tracking shows no update',
    'parcel shipping delay again',
  ],
  password: ['I cannot reset my password', 'password reset link expired', 'how do I reset the account password'],
  cancel: [
    'cancel my subscription plan',
    'I want to cancel the subscription before renewal',
    'stop my subscription plan now',
  ],
};
const GAP = ['api rate limit exceeded for my token', 'rate limit errors on the api', 'api returns rate limit 429'];

/** A folder with trusted (feedback) and unlabeled traces; personal data sprinkled in to be redacted. */
function traceFiles(): { root: string; trusted: string; unlabeled: string } {
  const root = mkdtempSync(join(tmpdir(), 'fapo-assets-'));
  roots.push(root);
  const trusted: object[] = [];
  const unlabeled: object[] = [];
  for (const [intent, texts] of Object.entries(INTENTS)) {
    texts.forEach((text, i) => {
      const pass = i !== 1;
      trusted.push({
        id: `${intent}-t${i}`,
        input: { text: `${text} — Alice Smith, alice@example.com, +44 20 7946 0958` },
        output: pass ? 'Done, see policy 4.2.' : 'ok',
        feedback: {
          rater: 'r1',
          label: pass ? 'pass' : 'fail',
          comment: pass ? 'Cites the policy section.' : 'Too curt, no next step.',
        },
      });
      for (let k = 0; k < 4; k++)
        unlabeled.push({ id: `${intent}-u${i}-${k}`, input: { text: `${text} (${k})` }, output: '...' });
    });
  }
  // Two raters who disagree on one trace: a contradiction, not half a pass.
  trusted.push({
    id: 'refund-disputed',
    input: { text: 'refund my order please' },
    output: 'Refund issued.',
    feedback: [
      { rater: 'r1', label: true },
      { rater: 'r2', label: false, comment: 'Refunded without checking the order.' },
    ],
  });
  for (const [i, text] of GAP.entries()) unlabeled.push({ id: `gap-${i}`, input: text, output: '...' });
  const write = (name: string, rows: object[]) => {
    writeFileSync(join(root, name), `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
    return join(root, name);
  };
  return { root, trusted: write('trusted.jsonl', trusted), unlabeled: write('unlabeled.jsonl', unlabeled) };
}

async function created(): Promise<{ asset: string; files: ReturnType<typeof traceFiles> }> {
  const files = traceFiles();
  const asset = join(files.root, 'asset');
  const r = await runCli([
    'assets',
    'create',
    asset,
    '--trusted',
    files.trusted,
    '--unlabeled',
    files.unlabeled,
    '--names',
    'Alice Smith',
  ]);
  assert.equal(r.code, 0, r.stderr);
  return { asset, files };
}

const json = async (args: string[]) => {
  const r = await runCli([...args, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
};

describe('fapo assets', () => {
  it('runs every stage to review: redacted, contradiction flagged, gap queued, group-safe splits', async () => {
    const { asset } = await created();
    const out = await json(['assets', 'run', asset]);
    assert.equal(out.state, 'awaiting_review');
    assert.deepEqual(out.traces.skipped, []);
    assert.equal(out.redacted.counts.email, 12);
    assert.equal(out.redacted.counts.phone, 12);
    assert.equal(out.redacted.counts.name, 12);
    assert.equal(out.contradictions, 1);
    assert.ok(out.clusters.gaps >= 1, 'the rate-limit intent has no trusted trace');
    assert.equal(out.splits.regression, 12, 'trusted traces with one clear verdict');
    assert.ok(out.stages.every((s: { reused: boolean }) => !s.reused));

    const review = readFileSync(join(asset, 'review.yaml'), 'utf8');
    assert.doesNotMatch(review, /alice@example\.com|Alice Smith|7946/);
    assert.match(review, /Too curt, no next step/);
    assert.match(review, /refund-disputed/);
    assert.match(review, /rate limit/);
  });

  it('reruns nothing unchanged, and rebuilds from the earliest stage whose input changed', async () => {
    const { asset } = await created();
    const first = await json(['assets', 'run', asset]);
    const again = await json(['assets', 'run', asset]);
    assert.ok(again.stages.every((s: { reused: boolean }) => s.reused));
    assert.deepEqual(
      again.stages.map((s: { fingerprint: string }) => s.fingerprint),
      first.stages.map((s: { fingerprint: string }) => s.fingerprint),
    );
    const config = join(asset, 'asset.yaml');
    writeFileSync(config, readFileSync(config, 'utf8').replace('- Alice Smith', '- Alice Smith\n    - Bob'));
    const changed = await json(['assets', 'run', asset]);
    assert.deepEqual(
      changed.stages.map((s: { name: string; reused: boolean }) => [s.name, s.reused]),
      [
        ['validate', true],
        ['redact', false],
        ['feedback', false],
        ['cluster', false],
        ['match', false],
        ['rubrics', false],
        ['splits', false],
      ],
    );
  });

  it('the same traces give the same asset in a fresh folder (same fingerprints)', async () => {
    const a = await json(['assets', 'run', (await created()).asset]);
    const b = await json(['assets', 'run', (await created()).asset]);
    // File paths differ, so validate's fingerprint does; from redact on, results are content-only.
    assert.deepEqual(a.splits, b.splits);
    assert.equal(a.criteria, b.criteria);
  });

  it('a malformed line stops the run naming file and line, or is skipped and listed', async () => {
    const { asset, files } = await created();
    writeFileSync(files.unlabeled, `${readFileSync(files.unlabeled, 'utf8')}{"id": "broken", "input": \n`);
    const stopped = await runCli(['assets', 'run', asset]);
    assert.notEqual(stopped.code, 0);
    assert.match(stopped.stderr, /unlabeled\.jsonl:52: malformed JSON/);
    const config = join(asset, 'asset.yaml');
    writeFileSync(config, readFileSync(config, 'utf8').replace('malformed: stop', 'malformed: skip'));
    const skipped = await json(['assets', 'run', asset]);
    assert.equal(skipped.traces.skipped.length, 1);
    assert.match(skipped.traces.skipped[0].where, /unlabeled\.jsonl:52$/);
  });

  it('finalizes only the reviewed file: splits, regression set and a judge scorer in the task', async () => {
    const { asset, files } = await created();
    await json(['assets', 'run', asset]);
    const task = join(files.root, 'task');
    mkdirSync(task);
    cpSync(EXAMPLE_DIR, task, { recursive: true, filter: (src) => !src.includes('.fapo') });
    const shown = await json(['assets', 'review', asset]);
    // The reviewer settles the contradiction and drops one criterion; the old fingerprint is now stale.
    const path = join(asset, 'review.yaml');
    const edited = readFileSync(path, 'utf8')
      .replace('verdict: null', 'verdict: fail')
      .replace('keep: true', 'keep: false');
    writeFileSync(path, edited);
    const stale = await runCli(['assets', 'review', asset, '--finalize', shown.fingerprint, '--into', task]);
    assert.notEqual(stale.code, 0);
    assert.match(stale.stderr, /changed after it was reviewed/);
    await json(['assets', 'run', asset]); // nothing changed: the edited review is kept
    assert.equal(readFileSync(path, 'utf8'), edited);
    const now = await json(['assets', 'review', asset]);
    assert.notEqual(now.fingerprint, shown.fingerprint);
    const done = await json(['assets', 'review', asset, '--finalize', now.fingerprint, '--into', task]);
    assert.equal(done.counts.regression, 13, 'the settled contradiction joins the regression set');
    const read = (split: string) =>
      readFileSync(join(task, 'data', `${split}.jsonl`), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
    const clustersOf = (split: string) => new Set(read(split).map((c) => c.metadata.cluster));
    for (const [a, b] of [
      ['train', 'val'],
      ['train', 'test'],
      ['val', 'test'],
    ] as const)
      for (const c of clustersOf(a)) assert.ok(!clustersOf(b).has(c), `cluster ${c} in both ${a} and ${b}`);
    const all = [...read('train'), ...read('val'), ...read('test')];
    assert.ok(all.every((c) => c.metadata.source === 'unlabeled' && !String(c.id).startsWith('gap-')));
    assert.ok(all.some((c) => c.expected.rubric.length > 0));
    assert.match(readFileSync(join(task, 'fapo.task.yaml'), 'utf8'), /scorer: judge-scorer\.ts/);
    assert.match(readFileSync(join(task, 'judge-scorer.ts'), 'utf8'), /defineJudgeScorer/);
    assert.ok(
      readFileSync(join(task, 'data', '.before-assets', 'val.jsonl'), 'utf8').includes('q031'),
      'the old split is kept',
    );
    await runCli(['assets', 'sample', asset, '--n', '2', '--out', join(files.root, 'next.jsonl')]);
    const status = await json(['assets', 'status', asset]);
    assert.equal(status.state, 'finalized', 'reading the unchanged stages keeps the finalized state');
  });
});

describe('fapo assets sample', () => {
  it('picks traces to label blind to outcomes: gaps first, spread over clusters, none already trusted', async () => {
    const { asset, files } = await created();
    await json(['assets', 'run', asset]);
    const out = join(files.root, 'to-label.jsonl');
    const r = await runCli(['assets', 'sample', asset, '--n', '6', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const rows = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(rows.length, 6);
    assert.ok(rows.every((row) => !String(row.id).includes('-t') && row.feedback.label === null));
    assert.ok(String(rows[0].id).startsWith('gap-'), 'the intent nobody judged comes first');
    assert.ok(new Set(rows.map((row) => row.metadata.cluster)).size >= 5, 'one per cluster before a second from any');
    assert.ok(rows.every((row) => !('score' in row) && !('verdict' in row)));
  });
});
