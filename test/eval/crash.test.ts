import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { Store } from '../../src/eval/store.ts';
import { spec, tempWorkspace } from './helpers.ts';

const child = fileURLToPath(new URL('./fixtures/write-until-killed.ts', import.meta.url));

test('results committed before a SIGKILL survive it and the database stays intact', async () => {
  const ws = tempWorkspace();
  const proc = spawn(process.execPath, ['--import', 'tsx', child, ws], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lastReported = await new Promise<number>((resolve, reject) => {
    let last = 0;
    let buffered = '';
    proc.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      if (lines.length) last = Number(lines.at(-1));
      // Kill while the loop is busy, after a good number of commits.
      if (last >= 2000 && proc.exitCode === null && !proc.killed) {
        proc.kill('SIGKILL');
      }
    });
    proc.on('exit', (code, signal) =>
      signal === 'SIGKILL' ? resolve(last) : reject(new Error(`child exited with ${code}: ${stderr}`)),
    );
  });
  assert.ok(lastReported >= 2000);

  const db = new Database(join(ws, '.fapo', 'store.sqlite'));
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  db.close();
  const store = Store.open(ws);
  const run = store.openRun(
    spec(
      Array.from({ length: 1000 }, (_, i) => `case-${i}`),
      { trials: 1000 },
    ),
  );
  const stored = store.doneKeys(run.id).size;
  assert.ok(stored >= lastReported, `stored ${stored} < reported ${lastReported}`);
  assert.equal(stored % 25, 0, 'a batch was partially committed');
  assert.equal(store.summarize(run.id).counts.ok, stored);
  store.close();
});
