/**
 * The quick variant of `npm run bench:kill`: a real `fapo eval` against a provider failing 15% of
 * its requests, SIGKILLed while its calls are in flight and run again, ends with the same results
 * and the same compute figures as an uninterrupted run, and a call cap holds across the kills
 * (counted by the provider). How many answers a kill makes the provider send twice depends on the
 * machine's load (an answer in the socket of a process the OS has not scheduled yet is lost): the
 * bench prints that figure.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { computeFigures, type Drill, runDrill } from '../fixtures/kill-loop.ts';

const provider = { faultRate: 0.15, kinds: ['http500', 'http429'] as const, latencyMs: 20 };
const drill = (kills: number, args: string[]): Drill => ({
  args: ['--split', 'val', '--trials', '2', '--json', ...args],
  kills,
  seed: 11,
  provider: { ...provider, kinds: [...provider.kinds] },
});

it('fapo eval killed twice mid-traffic: same results, and the compute figures of an uninterrupted run plus any call a kill made the provider answer twice', async () => {
  const clean = await runDrill('eval', drill(0, []));
  const killed = await runDrill('eval', drill(2, []));
  assert.equal(killed.kills, 2);
  assert.equal(killed.final.code, 0, killed.final.stderr);
  const [a, b] = [clean, killed].map((r) => JSON.parse(r.final.stdout));
  assert.deepEqual(b.summary, a.summary);
  // The meter of the resumed run counts what the killed processes spent (before: only the last one's).
  // Equal to the uninterrupted run's, except for a call whose answer a kill cut off between its
  // ledger entry and its journal write: that call really was paid twice, and the meter says so. At
  // most one such call per kill; how often it happens is bench:kill's figure, not this test's.
  const [uninterrupted, resumed] = [computeFigures(a.usage), computeFigures(b.usage)];
  const repaid = resumed.paid! - uninterrupted.paid!;
  assert.ok(repaid >= 0 && repaid <= killed.kills, `${repaid} calls paid twice over ${killed.kills} kills`);
  assert.equal(resumed.cacheHits, uninterrupted.cacheHits);
  if (repaid === 0) assert.deepEqual(resumed, uninterrupted);
  assert.ok(b.resumed > 0, 'the rerun kept results of the killed ones');
});

it('a call cap holds across kills, counted by the provider', async () => {
  const cap = 60;
  const killed = await runDrill('eval', drill(2, ['--max-calls', String(cap)]));
  assert.ok(killed.kills >= 1, 'killed at least once before the cap');
  assert.equal(killed.final.code, 2, 'the cap stops the run');
  assert.match(killed.final.stderr, /Budget total\.maxCalls = 60 would be exceeded/);
  assert.ok(killed.paid <= cap, `the provider answered ${killed.paid} calls under a cap of ${cap}`);
});
