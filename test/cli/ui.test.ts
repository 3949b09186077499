/** `fapo ui` as a user runs it: prints a loopback URL, serves it, stops cleanly on SIGINT. */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { it } from 'node:test';
import { runCli } from '../fixtures/cli.ts';
import { hostileWorkspace } from '../ui/fixtures.ts';

it('fapo ui prints its URL, serves the workspace and exits 0 on Ctrl-C', async () => {
  const { dir } = hostileWorkspace();
  let child: ChildProcess | undefined;
  let served = '';
  let fetching = false;
  const run = runCli(['ui', dir], {
    onSpawn: (c) => {
      child = c;
      let out = '';
      c.stdout?.on('data', async (d) => {
        out += d;
        const url = /fapo ui: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1];
        if (!url || fetching) return;
        fetching = true; // set before awaiting: a second SIGINT would kill the process instead
        served = await (await fetch(url)).text();
        c.kill('SIGINT');
      });
    },
  });
  const done = await run;
  assert.ok(child);
  assert.equal(done.code, 0, done.stderr);
  assert.match(served, /hostile-ws/);
});

it('fapo ui refuses a folder without a fapo store, with a hint', async () => {
  const done = await runCli(['ui', import.meta.dirname]);
  assert.equal(done.code, 2);
  assert.match(done.stderr, /no fapo store under/);
});
