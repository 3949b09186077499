/**
 * Resume after a real kill: a child process runs a GEPA session on a small copy of the example task
 * (sim:qa reader, scripted sim reflection), is SIGKILLed mid-run, then `--resume` finishes it. The
 * result must equal an uninterrupted run's, with no reflection call made twice.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Store } from '../../../src/eval/store.ts';
import type { OptimizeEvent } from '../../../src/optimize/events.ts';
import type { GepaState } from '../../../src/optimize/gepa/state.ts';
import { copyExample } from '../../fixtures/workspace.ts';
import { runGepaSession } from './fixtures/gepa-session.ts';

const RUNNER = join(import.meta.dirname, 'fixtures', 'run-gepa.ts');
const OPTIONS = { maxMetricCalls: 70 };
const cleanups: (() => void)[] = [];
after(() => {
  for (const c of cleanups) c();
});

function smallExample(): string {
  const { dir, cleanup } = copyExample();
  cleanups.push(cleanup);
  for (const [split, n] of [
    ['train', 9],
    ['val', 6],
    ['test', 3],
  ] as const) {
    const path = join(dir, 'data', `${split}.jsonl`);
    writeFileSync(path, `${readFileSync(path, 'utf8').split('\n').filter(Boolean).slice(0, n).join('\n')}\n`);
  }
  return dir;
}

/** Runs the session in a child; `killAfter`: SIGKILL once an event it prints satisfies the predicate. */
function runChild(
  dir: string,
  resume: boolean,
  killAfter?: (event: OptimizeEvent) => boolean,
): Promise<{ out: string; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', RUNNER, dir, JSON.stringify(OPTIONS), resume ? 'resume' : ''],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let killed = false;
    let pending = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      pending += d;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith('EVENT ') || !killAfter || killed) continue;
        if (killAfter(JSON.parse(line.slice('EVENT '.length)) as OptimizeEvent)) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    });
    child.stderr.on('data', (d: Buffer) => (out += d));
    child.on('error', reject);
    child.on('close', (code) =>
      killed || code === 0 ? resolve({ out, killed }) : reject(new Error(`child exited ${code}:\n${out}`)),
    );
  });
}

function gepaState(dir: string): GepaState {
  const store = Store.open(dir);
  try {
    return store.getDoc<GepaState>('session:s1', 'gepa')!;
  } finally {
    store.close();
  }
}

const reflectCalls = (dir: string) =>
  existsSync(join(dir, 'reflect-calls.log'))
    ? readFileSync(join(dir, 'reflect-calls.log'), 'utf8').split('\n').filter(Boolean).length
    : 0;

test('a GEPA session killed mid-run resumes to the same result without re-making reflection calls', async () => {
  const whole = smallExample();
  const interrupted = smallExample();
  // The uninterrupted run goes in this process while the child runs (and is killed); the resume too.
  const [killed, a] = await Promise.all([
    runChild(interrupted, false, (event) => event.type === 'gepa-iteration' && event.iteration === 3),
    runGepaSession(whole, OPTIONS, false),
  ]);
  assert.equal(killed.killed, true);
  assert.doesNotMatch(killed.out, /RESULT/, 'killed before the end');
  const partial = gepaState(interrupted);
  assert.ok(partial.iterations.length >= 3 && partial.stopReason === undefined);
  const events: OptimizeEvent[] = [];
  const b = await runGepaSession(interrupted, OPTIONS, true, (e) => events.push(e));
  assert.equal(events[0]?.type === 'session-start' && events[0].resuming, true);
  assert.equal(b.result.best.hash, a.result.best.hash);
  assert.equal(b.result.stopReason, a.result.stopReason);
  assert.deepEqual(b.test.best.summary.mean, a.test.best.summary.mean);
  assert.deepEqual(gepaState(interrupted), gepaState(whole));
  assert.ok(reflectCalls(whole) >= 4);
  assert.equal(reflectCalls(interrupted), reflectCalls(whole));
});
