import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { runCli } from '../fixtures/cli.ts';
import { exampleWorkspace } from '../fixtures/workspace.ts';

const workspace = exampleWorkspace;

const ARGS = ['--trials', '2', '--no-sandbox'];

it('fapo optimize killed mid-session resumes to the same result without repaying work', async () => {
  const clean = JSON.parse((await runCli(['optimize', workspace(), ...ARGS, '--json'])).stdout);

  const dir = workspace();
  let seen = '';
  const killed = await runCli(['optimize', dir, ...ARGS], {
    onSpawn: (child) =>
      child.stdout!.on('data', (d) => {
        seen += d;
        if (/#3 /.test(seen)) child.kill('SIGKILL');
      }),
  });
  assert.equal(killed.signal, 'SIGKILL');
  assert.doesNotMatch(killed.stdout, /search stopped/);

  const resumedRun = await runCli(['optimize', dir, ...ARGS, '--resume', '--json']);
  assert.equal(resumedRun.code, 0, resumedRun.stderr);
  const resumed = JSON.parse(resumedRun.stdout);
  assert.equal(resumed.session.id, 's1', 'the same session continued');
  assert.equal(resumed.best, clean.best);
  assert.deepEqual(
    resumed.trajectory.map((p: { valMean: number }) => p.valMean),
    clean.trajectory.map((p: { valMean: number }) => p.valMean),
  );
  assert.deepEqual(resumed.test, clean.test);
  // Work done before the kill is not paid again, and the report counts the spending of both
  // processes: paid calls and calls avoided equal an uninterrupted session's.
  const taskUsage = (u: { roles: { task: Record<string, number> } }) => [
    u.roles.task.calls! + u.roles.task.unsettledCalls!,
    u.roles.task.cacheHits,
  ];
  assert.deepEqual(taskUsage(resumed.usage), taskUsage(clean.usage));

  // Nothing left to resume (as after a kill before the session was stored): `--resume` starts one,
  // so running the same command again is always right. Its work comes from the cache.
  const nothingLeft = await runCli(['optimize', dir, ...ARGS, '--resume', '--json']);
  assert.equal(nothingLeft.code, 0, nothingLeft.stderr);
  assert.match(nothingLeft.stderr, /no unfinished fapo session to resume: starting a new one/);
  const fresh = JSON.parse(nothingLeft.stdout);
  assert.equal(fresh.session.id, 's2');
  assert.equal(fresh.best, clean.best);
  assert.equal(fresh.usage.roles.task?.calls ?? 0, 0, 'nothing is paid again: its evaluations are in the store');
});

it('a session does not resume once its scorer changed: the message names the file, nothing is lost', async () => {
  const dir = workspace();
  const first = await runCli(['optimize', dir, ...ARGS, '--max-rounds', '1', '--json']);
  assert.equal(first.code, 0, first.stderr);
  writeFileSync(
    join(dir, 'scorer.ts'),
    "import { defineScorer } from 'fapo';\nexport default defineScorer(() => 1);\n",
  );
  const resumed = await runCli(['optimize', dir, ...ARGS, '--max-rounds', '1', '--resume', 's1', '--json']);
  assert.notEqual(resumed.code, 0);
  assert.match(resumed.stderr, /session s1 cannot resume: scorer\.ts changed since it started/);
  assert.match(resumed.stderr, /start a new session/);
  const fresh = await runCli(['optimize', dir, ...ARGS, '--max-rounds', '1', '--json']);
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.equal(JSON.parse(fresh.stdout).session.id, 's2', 'a new session scores with the new scorer');
});
