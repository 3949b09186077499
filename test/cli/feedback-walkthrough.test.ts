/**
 * The feedback walkthrough end to end, offline (docs/assets.md): `fapo init --template feedback`,
 * traces and feedback through `fapo assets` to a judge-scored task, then `fapo optimize` with the
 * model-free rule proposer. The models are the documented stand-ins sim:replies and sim:judge.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { runCli } from '../fixtures/cli.ts';

const root = mkdtempSync(join(tmpdir(), 'fapo-walkthrough-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function ok(args: string[]): Promise<string> {
  const r = await runCli(args);
  assert.equal(r.code, 0, `fapo ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

it('goes from traces and feedback to an optimized, judge-scored reply writer', { timeout: 120_000 }, async () => {
  const demo = join(root, 'demo');
  await ok(['init', demo, '--template', 'feedback']);
  assert.equal(readFileSync(join(demo, '.gitignore'), 'utf8'), '.fapo/\n', 'init keeps stores out of git');
  const run = JSON.parse(await ok(['assets', 'run', join(demo, 'feedback'), '--json']));
  assert.equal(run.state, 'awaiting_review');
  assert.equal(run.redacted.counts.email, 24);
  assert.ok(run.contradictions > 0 && run.clusters.gaps > 0);
  const { fingerprint } = JSON.parse(await ok(['assets', 'review', join(demo, 'feedback'), '--json']));
  await ok(['assets', 'review', join(demo, 'feedback'), '--finalize', fingerprint, '--into', join(demo, 'task')]);
  assert.doesNotMatch(readFileSync(join(demo, 'task', 'data', 'test.jsonl'), 'utf8'), /@example\.com/);

  const session = JSON.parse(await ok(['optimize', join(demo, 'task'), '--json']));
  const test = session.test;
  assert.ok(test.baseline.mean < 0.2, `baseline ${test.baseline.mean}`);
  assert.ok(test.best.mean > 0.8, `selected ${test.best.mean}`);
  const log = readFileSync(join(demo, 'task', '.fapo', 'sessions', session.session.id, 'changelog.md'), 'utf8');
  assert.match(log, /criterion-instruction/);
});
