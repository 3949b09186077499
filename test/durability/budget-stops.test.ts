import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { runCli } from '../fixtures/cli.ts';
import { exampleWorkspace } from '../fixtures/workspace.ts';

const ARGS = ['--no-sandbox', '--trials', '1', '--json'];

it('--prices makes --max-cost a cap for a model outside the price table; a budget spent during the baseline still gets its report', async () => {
  const dir = exampleWorkspace();
  const prices = join(dir, 'prices.json');
  // sim:qa costs nothing by default: priced here, the dollar cap binds during the baseline.
  writeFileSync(prices, JSON.stringify({ 'sim:qa': { input: 100, output: 100 } }));
  const run = await runCli(['optimize', dir, ...ARGS, '--prices', prices, '--max-cost', '1']);
  assert.equal(run.code, 0, run.stderr);
  const out = JSON.parse(run.stdout);
  assert.ok(out.usage.total.costUsd <= 1, `spent $${out.usage.total.costUsd} under a $1 cap`);
  assert.ok(out.usage.total.costUsd > 0.5, 'the prices were applied');
  assert.match(out.session.stopReason, /budget ran out during the baseline evaluation \(\d+ of 30 case runs scored\)/);
  assert.match(out.session.stopReason, /the test evaluation of v1 was cut by the budget: its figure covers 0 of 40/);
  const report = readFileSync(join(out.report, 'report.md'), 'utf8');
  assert.match(report, /budget ran out during the baseline evaluation/);
});

it('a task-call budget spent during the baseline: the report has the full test evaluation (role test)', async () => {
  const dir = exampleWorkspace();
  const run = await runCli(['optimize', dir, ...ARGS, '--max-task-calls', '20']);
  assert.equal(run.code, 0, run.stderr);
  const out = JSON.parse(run.stdout);
  assert.ok(out.usage.roles.task.calls <= 20);
  assert.match(out.session.stopReason, /budget ran out during the baseline evaluation/);
  assert.equal(out.test.baseline.counts.ok + out.test.baseline.counts.task_error, 40);
  assert.ok(existsSync(join(out.report, 'report.html')));
});
