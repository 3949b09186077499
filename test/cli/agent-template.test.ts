/**
 * `fapo init --template agent` gives a tool-using workspace that runs offline, and `fapo optimize`
 * improves it at the prompt level (the sim:support stand-in, a toy agent, not a real model).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../fixtures/cli.ts';
import { tempDir } from '../fixtures/temp.ts';

describe('fapo init --template agent', () => {
  it('scaffolds the support-desk agent, and optimize fixes its tool use with a prompt edit', async () => {
    const dir = join(tempDir('fapo-agent-init-'), 'desk');
    const init = await runCli(['init', dir, '--template', 'agent']);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /tools\/shop\.ts/);

    const run = await runCli(['optimize', dir]);
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(readFileSync(join(dir, '.fapo', 'sessions', 's1', 'report.json'), 'utf8'));
    assert.equal(report.baseline.valMean, 0.5, 'the baseline answers from memory half the time wrongly');
    assert.equal(report.best.level, 'prompt');
    assert.equal(report.best.validation.mean, 1);
    const [change] = report.accepted;
    assert.equal(change.technique, 'tool-use-instruction');
    assert.deepEqual(change.stepsChanged, ['support']);
    // the cases' expected_actions name the first tool the agent never called
    assert.match(change.diff, /\+.*call the find_customer tool/);
    assert.ok(report.test.best.mean > report.test.baseline.mean, 'the held-out test set improves too');
  });

  it('fapo optimize --strategy gepa runs on it offline: agent prompt and tool descriptions are components', async () => {
    const dir = join(tempDir('fapo-agent-gepa-'), 'desk');
    assert.equal((await runCli(['init', dir, '--template', 'agent'])).code, 0);
    const run = await runCli([
      'optimize',
      dir,
      '--strategy',
      'gepa',
      '--reflection-model',
      'sim:reflect',
      '--max-metric-calls',
      '40',
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      /gepa: 6 components \(support, tools\/find_customer, tools\/list_orders, tools\/get_order, tools\/cancel_order, tools\/search:policies\)/,
    );
    const report = JSON.parse(readFileSync(join(dir, '.fapo', 'sessions', 's1', 'report.json'), 'utf8'));
    assert.equal(report.session.strategy, 'gepa');
    assert.equal(report.baseline.valMean, 0.5);
    assert.equal(report.best.validation.mean, 1);
    assert.ok(report.test.best.mean > report.test.baseline.mean);
  });

  it('refuses an unknown template with the list of templates', async () => {
    const run = await runCli(['init', join(tempDir('fapo-agent-init-'), 'x'), '--template', 'nope']);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /unknown template "nope"[\s\S]*qa, agent/);
  });
});
