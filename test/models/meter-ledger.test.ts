import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MeterLedger } from '../../src/models/meter-ledger.ts';
import { UsageMeter } from '../../src/models/meter.ts';
import { BudgetExceededError } from '../../src/util/errors.ts';
import { tempDir } from '../fixtures/temp.ts';

const outcome = (input: number, output: number, costUsd = 0) => ({
  usage: { inputTokens: input, outputTokens: output },
  costUsd,
  latencyMs: 10,
});

/** A meter of a new process: what a `kill -9` leaves on disk is all it knows. */
function nextProcess(path: string, caps = {}): UsageMeter {
  const meter = new UsageMeter(caps);
  meter.persistTo(MeterLedger.open(path));
  return meter;
}

describe('UsageMeter with a ledger (spending across kill -9)', () => {
  it('a new process starts from what the killed ones spent, so a call cap holds across kills', async () => {
    const path = join(tempDir('fapo-ledger-'), 'meters', 'session-s1.jsonl');
    const caps = { byRole: { task: { maxCalls: 3 } } };
    const first = nextProcess(path, caps);
    (await first.reserve('task', { tokens: 50, costUsd: 0.01 })).commit(outcome(10, 5, 0.002));
    (await first.reserve('task', { tokens: 50, costUsd: 0.01 })).fail(3);
    // killed: no close, no checkpoint

    const second = nextProcess(path, caps);
    assert.equal(second.usage('task').calls, 2);
    assert.equal(second.usage('task').errors, 1);
    assert.equal(second.usage('task').inputTokens, 10);
    assert.equal(second.usage('task').costUsd, 0.002);
    await second.reserve('task', { tokens: 50, costUsd: 0.01 }); // in flight when killed
    // killed again

    const third = nextProcess(path, caps);
    assert.equal(third.usage('task').unsettledCalls, 1, 'the call cut off by the kill counts at its worst case');
    assert.equal(third.usage('task').unsettledTokens, 50);
    await assert.rejects(third.reserve('task', { tokens: 50, costUsd: 0.01 }), BudgetExceededError);
  });

  it('a dollar cap counts the reserved worst case of a call cut off by a kill', async () => {
    const path = join(tempDir('fapo-ledger-'), 'run.jsonl');
    const caps = { total: { maxCostUsd: 0.003 } };
    await nextProcess(path, caps).reserve('task', { tokens: 10, costUsd: 0.002 });
    await assert.rejects(nextProcess(path, caps).reserve('task', { tokens: 10, costUsd: 0.002 }), BudgetExceededError);
  });

  it('the replay of answers served before a kill is not counted again; later hits are', async () => {
    const path = join(tempDir('fapo-ledger-'), 'run.jsonl');
    const first = nextProcess(path);
    (await first.reserve('task', { tokens: 50, costUsd: 0 })).commit(outcome(10, 5));
    first.recordServed('k1');
    first.recordCacheHit('task', 0.5, 'k0');

    const second = nextProcess(path);
    second.recordCacheHit('task', 0.5, 'k1'); // replay of the paid call
    second.recordCacheHit('task', 0.5, 'k0'); // replay of the hit
    assert.deepEqual([second.usage('task').calls, second.usage('task').cacheHits], [1, 1]);
    second.recordCacheHit('task', 0.5, 'k1'); // a real hit: the replay is used up
    assert.equal(second.usage('task').cacheHits, 2);

    // Killed again before a checkpoint: the third process replays the work of both (the first's
    // answers again, and the second's real hit).
    const third = nextProcess(path);
    for (const key of ['k1', 'k0', 'k1']) third.recordCacheHit('task', 0.5, key);
    assert.equal(third.usage('task').cacheHits, 2, 'a replay of a replay is free too');
    third.checkpoint();
    third.recordCacheHit('task', 0.5, 'k1');
    assert.equal(third.usage('task').cacheHits, 3, 'after a checkpoint nothing is replayed');
  });

  it('skips a line cut short by a kill and compacts the ledger when a process starts', async () => {
    const path = join(tempDir('fapo-ledger-'), 'run.jsonl');
    const first = nextProcess(path);
    (await first.reserve('task', { tokens: 50, costUsd: 0 })).commit(outcome(10, 5));
    appendFileSync(path, '{"t":"reserve","id":9,"ro');
    const second = nextProcess(path);
    assert.equal(second.usage('task').calls, 1);
    assert.equal(second.usage('task').unsettledCalls, 0);
    assert.equal(readFileSync(path, 'utf8').trim().split('\n').length, 1, 'one state line');
  });
});
